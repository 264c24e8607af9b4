#ifndef EV_JOB_VIEW_H
#define EV_JOB_VIEW_H

#include <stdint.h>

#include "util/ev_err.h"
#include "state/ev_job_start.h"

/* The job's user's copy of its start file, which `efa-verify report` on a
 * running job reads as that user on each of its nodes (through srun):
 *
 *   state_dir/view/<uid>/<jobid>.start
 *
 * state_dir and view/ are root's and only traversable by others (0711: no
 * one else lists or writes them); <uid>/ is the user's (0500), so no other
 * user reaches into it; the file is root's (0444): its user reads it and
 * cannot change it (removing it only leaves them "no start snapshot"). The
 * copy holds the counters, boot id, node names and times, not the other
 * jobs running on the node, which are not the user's to see (seq 0, no
 * others). The epilog judges from its own file in jobs/, never this one.
 * save (root) adds 011 to state_dir's mode so users can pass through it. */
int ev_job_view_save(const char *state_dir, const struct ev_job_start *js, uint32_t uid,
		     struct ev_err *err);
/* As the calling user (euid): -ENOENT (message says "no start snapshot")
 * if there is none, -EPERM if what is there is not as save leaves it.
 * Pair with ev_job_start_free, also after an error. */
int ev_job_view_load(const char *state_dir, uint32_t jobid, struct ev_job_start *out,
		     struct ev_err *err);
/* 0 also if it is already gone. */
int ev_job_view_remove(const char *state_dir, uint32_t jobid, uint32_t uid);

#endif
