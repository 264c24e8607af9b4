#ifndef EV_JOB_VIEW_H
#define EV_JOB_VIEW_H

#include <stddef.h>
#include <stdint.h>

#include "util/ev_err.h"
#include "state/ev_job_start.h"

/* The job's user's copy of its start file, which `efa-verify report` on a
 * running job reads as that user on each of its nodes (through srun):
 *
 *   state_dir/view/<uid>/<jobid>.start
 *
 * Everything on that path is root's: state_dir, view/ and <uid>/ are only
 * traversable by others (0711: no one else lists or writes them, so a user
 * can neither fill the file system root's results go to nor rename root's
 * copies away), and the file is 0400 with an ACL that lets <uid> alone
 * read it. The copy holds the counters, boot id, node names and times,
 * not the other jobs running on the node, which are not the user's to see
 * (seq 0, no others). The epilog judges from its own file in jobs/, never
 * this one. save (root) adds 011 to state_dir's mode so users can pass
 * through it, makes missing parents 0711 and refuses (-EACCES) when a
 * directory above state_dir keeps the user out; -EOPNOTSUPP where the
 * file system has no POSIX ACLs (no copy then). */
int ev_job_view_save(const char *state_dir, const struct ev_job_start *js, uint32_t uid,
		     struct ev_err *err);
/* As the calling user (euid): -ENOENT (message says "no start snapshot")
 * if there is none, -EPERM if what is there is not as save leaves it.
 * Pair with ev_job_start_free, also after an error. */
int ev_job_view_load(const char *state_dir, uint32_t jobid, struct ev_job_start *out,
		     struct ev_err *err);
/* 0 also if it is already gone. */
int ev_job_view_remove(const char *state_dir, uint32_t jobid, uint32_t uid);
/* Remove the copies of jobs with no running marker (ev_running_check) and
 * abandoned temporaries, in every user's directory: a later job of the
 * same uid, maybe another person's, never finds an earlier job's copy.
 * *removed is increased by the number gone; 0 or the first negative errno. */
int ev_job_view_sweep(const char *state_dir, size_t *removed, struct ev_err *err);

#endif
