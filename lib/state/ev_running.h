#ifndef EV_RUNNING_H
#define EV_RUNNING_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util/ev_err.h"

#define EV_STATE_MAX_OTHERS 64       /* other running jobs kept by number */

/* The node's running-job registry at one moment (see ev_running_begin). */
struct ev_running_mark {
	uint64_t seq;                          /* node event counter after our own event */
	uint32_t others[EV_STATE_MAX_OTHERS];  /* other jobs running then, ascending */
	size_t n_others;
	bool others_truncated;                 /* more than EV_STATE_MAX_OTHERS */
};

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

#endif
