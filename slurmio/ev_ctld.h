/* What the binaries ask slurmctld: each node's result in its own node
 * record (see ev_nodecomment.h for why) and the job while slurmctld holds
 * it. The job's record is written in accounting (ev_dbd.h). libslurm only; the protocol built on it is in
 * ev_deliver. */
#ifndef EV_CTLD_H
#define EV_CTLD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util/ev_err.h"
#include "record/ev_result.h"

/* 0 once libslurm is initialised from a readable slurm.conf (SLURM_CONF,
 * else /etc/slurm/slurm.conf); -ENOENT without one. Call before any Slurm
 * RPC in a standalone binary: libslurm exits the process when it finds no
 * config, and a prolog or epilog must never fail that way. */
int ev_slurm_ready(struct ev_err *err);

/* Put r into node's Comment (read, merge, write), sealed (config
 * node_comment: sealed) for SlurmUser (ev_seal.h), or plain. The caller
 * holds the node's publish lock, so two epilogs of one node never race.
 * A seal that fails (no libmunge, munged away) fails the publishing: the
 * result stays spooled, never goes in clear instead. */
int ev_ctld_publish(const char *node, const struct ev_node_result *r, bool sealed, struct ev_err *err);

/* Readers open sealed entries whatever node_comment says (a node may
 * hold entries from before a change), as SlurmUser; an entry they may
 * not open (-EACCES: a user's `efa-verify report`) or cannot open now
 * (munged away) fails the read rather than read as no result: a record
 * written without it would say the node did not report. */

/* Every node's result for jobid, from one read of all node records; a
 * record's entry counts only for the node that holds it. *out malloc'ed.
 * The reply grows with the cluster (megabytes at 8,192 nodes): only for a
 * job whose node list nobody knows any more, once, never polled. Sealed,
 * each node record costs up to EV_NODECOMMENT_KEEP requests to munged
 * (about 0.1 ms each). */
int ev_ctld_gather(uint32_t jobid, struct ev_node_result **out, size_t *n, struct ev_err *err);

/* node's published result for jobid: one small RPC (REQUEST_NODE_INFO_SINGLE),
 * whatever the cluster's size. 0, -ENOENT (nothing of this job there, or
 * no such node), -EIO (slurmctld not reached), or a sealed entry's failure
 * (above). */
int ev_ctld_node_result(const char *node, uint32_t jobid, struct ev_node_result *r, struct ev_err *err);

/* The job as slurmctld holds it while its epilogs run, from one
 * REQUEST_JOB_INFO_SINGLE (its reply does not grow with the cluster).
 * *completing: the job is COMPLETING, and *nodes (Slurm host list,
 * malloc'ed; NULL for none) holds the nodes whose epilogs slurmctld still
 * waits for: pack_job sends, for a completing job, the names of its
 * node_bitmap_cg, whose bit make_node_idle clears when a node's epilogs
 * are done (Slurm 22.05, 24.11 and 26.05 alike). Otherwise *nodes is the
 * job's allocation. -ENOENT: slurmctld does not have the job. */
int ev_ctld_job_end(uint32_t jobid, char **nodes, bool *completing, struct ev_err *err);

/* Whether job jobid still holds node (*on): RUNNING or SUSPENDED with
 * node in its allocation, or COMPLETING with node among those whose
 * epilogs slurmctld still waits for. A job slurmctld no longer has, or has
 * finished with on node, does not: *on false, 0. One
 * REQUEST_JOB_INFO_SINGLE. -EIO: slurmctld not reached; -ENOENT: no Slurm
 * config. */
int ev_ctld_job_on_node(uint32_t jobid, const char *node, bool *on, struct ev_err *err);

/* No AdminComment here: slurmctld refuses to change a finished job's
 * ("Job has already finished", 22.05 to 26.05 alike), and the record is
 * written after the job has finished, so it goes to accounting (ev_dbd.h). */

/* A job as slurmctld holds it now, for `efa-verify report`: running (its
 * steps can start on its nodes) or not, and where and whose. */
struct ev_job_live {
	bool running;                /* RUNNING and not completing */
	bool het;                    /* a component of a heterogeneous job */
	uint32_t uid;                /* its user */
	char **names;                /* its nodes, in Slurm's order, each a plain host name */
	size_t n;
};
/* -ENOENT: slurmctld does not know the job (or does not show it to this
 * user); -EIO: slurmctld not reached; -EINVAL: a node name that is not a
 * plain host name. Pair with ev_job_live_free, also after an error. */
int ev_job_live_get(uint32_t jobid, struct ev_job_live *out, struct ev_err *err);
void ev_job_live_free(struct ev_job_live *j);

#endif
