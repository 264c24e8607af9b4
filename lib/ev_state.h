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
 * created 0700. Files are written atomically (0600) and read back strictly:
 * a truncated or foreign file is an error with a message, never a guess.
 * Nothing here knows about Slurm: job ids are just decimal uint32. */
#ifndef EV_STATE_H
#define EV_STATE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ev_counters.h"
#include "ev_err.h"
#include "ev_whole_node.h"

/* Slurm job ids are decimal uint32; anything else never becomes a file name. */
int ev_jobid_parse(const char *s, uint32_t *out, struct ev_err *err);

int ev_state_save_start(const char *state_dir, uint32_t jobid, const struct ev_snapshot *s,
			struct ev_err *err);
/* -ENOENT (message says "no start snapshot") when the prolog left none. */
int ev_state_load_start(const char *state_dir, uint32_t jobid, struct ev_snapshot *out,
			struct ev_err *err);
int ev_state_remove_start(const char *state_dir, uint32_t jobid);

/* Text form of a snapshot, for the file and for tests. */
char *ev_snapshot_serialize(const struct ev_snapshot *s, size_t *len);
int ev_snapshot_deserialize(const char *text, size_t len, struct ev_snapshot *out,
			    struct ev_err *err);

/* ---------------------------------------------------------------- added */

#define EV_BOOT_ID_MAX 40            /* 36 characters of a UUID, and a NUL */
#define EV_STATE_MAX_OTHERS 64       /* other running jobs kept by number */

/* The node's running-job registry at one moment (see ev_running_begin). */
struct ev_running_mark {
	uint64_t seq;                          /* node event counter after our own event */
	uint32_t others[EV_STATE_MAX_OTHERS];  /* other jobs running then, ascending */
	size_t n_others;
	bool others_truncated;                 /* more than EV_STATE_MAX_OTHERS */
};

/* The start file: the snapshot plus what the epilog needs to judge it. */
struct ev_job_start {
	uint32_t jobid;
	char node[EV_NAME_MAX];                /* "" = not given */
	char boot_id[EV_BOOT_ID_MAX];          /* "" = not known */
	char first[EV_NAME_MAX];               /* the job's first node (its aggregator); "" = not known */
	struct ev_whole_node whole;            /* the job has the whole node (prolog's judgement) */
	struct ev_running_mark run;
	struct ev_snapshot snap;
};

/* Format 2 (format 1 files, without the context lines, still load). */
int ev_job_start_save(const char *state_dir, const struct ev_job_start *js, struct ev_err *err);
/* -ENOENT: no start file. Other errors: the file is there but unusable
 * (the verdict is then "unknown", with err.msg in the log). Pair with
 * ev_job_start_free, also after an error. */
int ev_job_start_load(const char *state_dir, uint32_t jobid, struct ev_job_start *out,
		      struct ev_err *err);
void ev_job_start_free(struct ev_job_start *js);
char *ev_job_start_serialize(const struct ev_job_start *js, size_t *len);
int ev_job_start_deserialize(const char *text, size_t len, struct ev_job_start *out,
			     struct ev_err *err);

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

/* This boot's id (proc_root/sys/kernel/random/boot_id; proc_root NULL or ""
 * = "/proc"): a changed boot id between prolog and epilog means the counters
 * restarted. */
int ev_boot_id_read(const char *proc_root, char out[EV_BOOT_ID_MAX], struct ev_err *err);
/* What the kernel's boot_id looks like: lowercase hex and dashes, shorter
 * than EV_BOOT_ID_MAX. */
bool ev_boot_id_valid(const char *s);

/* Running-job registry, so the epilog can tell whether another job used the
 * node during its window. Counters are per device, not per job.
 *
 * ev_running_begin (prolog): under the node's lock, bump seq, note the other
 * jobs' markers and create ours. Markers left by an earlier boot (their
 * boot id differs from a non-empty boot_id) are removed as stale.
 * ev_running_end (epilog): under the lock, note other markers, remove ours,
 * bump seq. *shared is true if any other job was running at start or at end,
 * or if seq moved in between: every other job's prolog and epilog bumps it,
 * so a job that began and ended inside our window is seen too. start NULL
 * (no start file): shared is judged from the end alone. */
int ev_running_begin(const char *state_dir, uint32_t jobid, const char *boot_id,
		     struct ev_running_mark *out, struct ev_err *err);
int ev_running_end(const char *state_dir, uint32_t jobid, const struct ev_running_mark *start,
		   bool *shared, struct ev_err *err);

/* Whether job jobid has a marker in the registry (its prolog ran, its
 * epilog has not): *running. An unreadable registry is an error, never a
 * "no". */
int ev_running_check(const char *state_dir, uint32_t jobid, bool *running, struct ev_err *err);

/* An exclusive lock on state_dir/<name>.lock (created 0600, never through a
 * symlink, refused unless ours); returns the fd to close, or -errno. Serialises
 * read-modify-write steps among concurrent prologs and epilogs of a node. */
int ev_state_lock(const char *state_dir, const char *name, struct ev_err *err);

/* A step's finding that the node is not ready (an enforce refusal, or
 * report mode's not-ready line), kept for the job's epilog: slurmstepd's
 * side of the plugin marks it, the epilog takes it into the node's verdict.
 * reason is one line (control characters become '_', cut at
 * EV_NOTREADY_REASON_MAX - 1 bytes). The first finding of a job stays. */
#define EV_NOTREADY_REASON_MAX 256
int ev_notready_mark(const char *state_dir, uint32_t jobid, const char *reason, struct ev_err *err);
/* 1 with the reason (reason may be NULL: just remove it), 0 if there is
 * none, or a negative errno. The marker is removed either way. */
int ev_notready_take(const char *state_dir, uint32_t jobid, char *reason, size_t cap, struct ev_err *err);

/* Spool of node results that could not be delivered. A line is opaque here
 * (one line, no NUL, < EV_SPOOL_LINE_MAX). put replaces an earlier entry of
 * the same job and node; delivery removes it. node: ev_valid_nodename. */
#define EV_SPOOL_LINE_MAX 512
#define EV_SPOOL_MAX_ENTRIES 4096

struct ev_spool_entry {
	uint32_t jobid;
	char node[EV_NAME_MAX];
	char line[EV_SPOOL_LINE_MAX];
	bool bad;            /* unreadable, foreign, oversized: line empty; remove it */
};

int ev_spool_put(const char *state_dir, uint32_t jobid, const char *node, const char *line,
		 struct ev_err *err);
/* Entries sorted by job id, then node; names that are not ours are
 * skipped. No spool directory: 0 entries. At most EV_SPOOL_MAX_ENTRIES
 * (*truncated says if more; may be NULL). *out is malloc'ed (free it). */
int ev_spool_list(const char *state_dir, struct ev_spool_entry **out, size_t *n, bool *truncated,
		  struct ev_err *err);
/* 0 also if it was already gone (delivered by someone else). */
int ev_spool_remove(const char *state_dir, uint32_t jobid, const char *node, struct ev_err *err);

#endif
