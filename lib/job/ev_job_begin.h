/* The prolog's work on one node, without Slurm and without nftables:
 *
 *   ev_job_begin_take   the boot id, whether the job has the whole node,
 *                       an earlier job's stale not-ready finding removed,
 *                       the job's running marker, the start snapshot
 *   (the caller)        the job's TCP: its nftables table, made from the
 *                       peers Slurm names, into js->snap
 *   ev_job_begin_keep   the start file for the epilog, and the user's copy
 *
 * The caller makes the table between the two because it needs the job's
 * peer addresses from slurmctld, and a netlink socket with CAP_NET_ADMIN
 * that unit tests do not have. What goes wrong is said in msgs, which the
 * caller logs; the prolog goes on regardless (a missing start file only
 * makes the verdict unknown). */
#ifndef EV_JOB_BEGIN_H
#define EV_JOB_BEGIN_H

#include "config/ev_config.h"
#include "state/ev_job_start.h"
#include "job/ev_job_facts.h"
#include "job/ev_msgs.h"

/* Fills js (pair with ev_job_start_free, also after an error). 0: the
 * snapshot was taken and js->snap holds it; else a negative errno, said
 * in msgs, and there is nothing to keep. */
int ev_job_begin_take(const struct ev_config *cfg, const struct ev_job_facts *job, struct ev_job_start *js,
		      struct ev_msgs *msgs);
/* The start file, then the user's read-only copy (where the job's user
 * is known and not root). A negative errno when the start file could not
 * be saved (no epilog will know of the job's table then); a copy that
 * could not be made is only said in msgs. */
int ev_job_begin_keep(const struct ev_config *cfg, const struct ev_job_facts *job, const struct ev_job_start *js,
		      struct ev_msgs *msgs);

#endif
