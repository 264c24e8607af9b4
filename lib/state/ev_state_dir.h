/* What the prolog leaves for the epilog, all under state_dir:
 *
 *   jobs/<jobid>.start           the job's start snapshot and context
 *   running/<jobid>              one marker per job between prolog and epilog
 *   notready/<jobid>             a step found the node not ready (slurmstepd)
 *   seq, lock                    the node's event counter and its lock
 *   spool/<jobid>.<node>.rec     a node result not yet delivered
 *
 * Root-only: state_dir and every directory in it must be real directories
 * (not symlinks) owned by the effective uid and not group/world-writable;
 * created 0700 (missing parents of state_dir 0711, for view/: see
 * ev_job_view.h). Files are written atomically (0600) and read back strictly:
 * a truncated or foreign file is an error with a message, never a guess.
 * Nothing here knows about Slurm: job ids are just decimal uint32. */
#ifndef EV_STATE_DIR_H
#define EV_STATE_DIR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util/ev_err.h"
#include "util/ev_limits.h"


/* What every file of state_dir goes through (ev_state_dir.c says why). */
int ev_state_check_dir(const char *path, struct ev_err *err);
int ev_state_subdir(const char *state_dir, const char *sub, bool create, char *out, size_t cap,
		    struct ev_err *err);
/* state_dir/sub/<jobid> into out, for the stores of one file per job
 * (notready/, pending/): sub checked (created when create), job 0 refused. */
int ev_state_job_path(const char *state_dir, const char *sub, uint32_t jobid, bool create, char *out, size_t cap,
		      struct ev_err *err);
long ev_state_read_private(const char *path, char *buf, size_t cap, struct ev_err *err);
/* Take state_dir/sub/<jobid> (a store of one file per job that is read
 * once): *got is what ev_state_read_private read (bytes, or its negative
 * errno, err saying why), and the file is gone. -ENOENT when there is none;
 * another negative errno when it could not be named or removed. */
int ev_state_job_take(const char *state_dir, const char *sub, uint32_t jobid, char *buf, size_t cap, long *got,
		      struct ev_err *err);
/* s as one line of a state file: each control byte '_', at most cap - 2
 * bytes of it, then '\n' and a NUL. Returns the bytes of s taken (the
 * line's length is one more). */
size_t ev_state_line(char *out, size_t cap, const char *s);
/* Missing parents of state_dir are made 0711 (the job's user passes them
 * to reach their copy, ev_job_view.h), state_dir itself 0700. */
int ev_state_make_dir(const char *state_dir, struct ev_err *err);
/* The temporaries a killed writer left (ev_file_sweep_tmp) in state_dir
 * and its directories of root's alone: jobs, spool, running, notready,
 * findings, pending, placement. One readdir each; a missing one is skipped. */
int ev_state_sweep_tmp(const char *state_dir, size_t *removed, struct ev_err *err);

#endif
