/* Many jobs from accounting (slurmdbd), one at a time, for the fleet
 * report: every job that ended in [since, until), in memory a window of
 * them at a time.
 *
 * slurmdb_jobs_get answers with one whole list, so a week of a busy
 * cluster would be one list of every job (and slurmdbd's copy of it).
 * Instead [since, until) is walked in windows of end time, each asked for
 * alone and handed to the caller, job by job, before the next is asked:
 * what is held at once is one window's jobs. Each window aims at
 * EV_DBD_WINDOW_JOBS jobs: its span follows the jobs the last one held; a
 * window that held more than EV_DBD_WINDOW_MAX is dropped unread and asked
 * again in halves (down to one second), as is one slurmdbd refuses as
 * wider than its MaxQueryTimeRange (no later window is wider). Jobs are selected by the end of
 * their current row, with a final state (the states slurmdbd selects
 * "ended in the window" for), so each ended job is in exactly one window:
 * no job is handed over twice, and none held back to find out. */
#ifndef EV_DBD_JOBS_H
#define EV_DBD_JOBS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ev_dbd.h"
#include "util/ev_err.h"

#define EV_DBD_WINDOW_JOBS 4000
#define EV_DBD_WINDOW_MAX (4 * EV_DBD_WINDOW_JOBS)
/* The first window's span, before any window has said how dense the jobs are. */
#define EV_DBD_WINDOW_FIRST_S 3600

/* One job, valid during the callback only. Strings are never NULL ("" for
 * none). */
struct ev_dbd_job {
	uint32_t jobid;
	const char *user;           /* the name, or the uid in decimal when accounting has none */
	const char *account, *partition;
	const char *nodes;          /* Slurm host list; "None assigned" or "" for a job that never ran */
	const char *admin_comment;
	int64_t end;                /* seconds since the epoch */
	uint64_t elapsed;           /* seconds it ran, suspended time excluded */
	uint64_t gpus;              /* gres/gpu in its allocated TRES; 0 for none */
	bool started;
};

struct ev_dbd_jobs_query {
	int64_t since, until;       /* ended in [since, until); since > 0 */
	const char *partition;      /* NULL: every partition */
	bool by_uid;
	uint32_t uid;               /* with by_uid: this user's jobs only */
};

/* What the walk did, for the caller to say. */
struct ev_dbd_jobs_stats {
	unsigned windows;           /* windows taken */
	unsigned retries;           /* windows dropped for holding too many */
	size_t most;                /* jobs in the largest window taken */
	uint64_t jobs;              /* jobs handed over */
};

/* fn returns 0 to go on, anything else to stop the walk with that value. */
typedef int (*ev_dbd_job_fn)(const struct ev_dbd_job *job, void *arg);

/* Hand fn every job of q, oldest window first. 0, fn's value, -EINVAL for
 * a bad query, or -EIO with err saying why slurmdbd could not be read. */
int ev_dbd_jobs_each(struct ev_dbd *db, const struct ev_dbd_jobs_query *q, ev_dbd_job_fn fn, void *arg,
		     struct ev_dbd_jobs_stats *st, struct ev_err *err);

/* ---- the pure parts (ev_dbd_jobs_walk.c), apart for their tests */

/* The windows over [since, until). */
struct ev_dbd_walk {
	int64_t since, until;
	int64_t start, span;        /* the window now: [start, min(start + span, until)) */
	int64_t span_max;           /* no window spans more */
	size_t want, max;
	unsigned windows, retries;
	size_t most;
};

void ev_dbd_walk_init(struct ev_dbd_walk *w, int64_t since, int64_t until, size_t want, size_t max,
		      int64_t first_span);
/* The window to ask for, [*s, *e); false when [since, until) is done. */
bool ev_dbd_walk_next(const struct ev_dbd_walk *w, int64_t *s, int64_t *e);
/* The window asked for held jobs: true to take them (the walk moves past
 * it), false to drop them unread (too many: the next window is its first
 * half). */
bool ev_dbd_walk_took(struct ev_dbd_walk *w, size_t jobs);

/* slurmdbd refused the window as too wide (its MaxQueryTimeRange, for
 * users who are not operators): the next is its first half, and no later
 * window is wider. false when it is one second already. */
bool ev_dbd_walk_too_wide(struct ev_dbd_walk *w);

/* The count of TRES id in Slurm's "ID=COUNT,ID=COUNT" (tres_alloc_str); 0
 * when absent, id is 0, or the text is not that form. */
uint64_t ev_tres_count(const char *tres, uint32_t id);

#endif
