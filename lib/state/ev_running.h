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

/* Whether job jobid still holds this node, from whoever knows (slurmctld):
 * 0 with *held set, else a negative errno (not known now). */
typedef int (*ev_running_held_fn)(uint32_t jobid, bool *held, void *arg);

/* A marker outlives its job when the epilog never reaches ev_running_end
 * (killed by PrologEpilogTimeout, OOM): it would make every later job
 * "shared", and keep its job's nftables table from the sweep, until the
 * next boot. So the prolog asks held() about m's other jobs, and removes
 * the markers of those that no longer hold the node, taking them out of m
 * too (they count neither at start nor at end; seq does not move: no job
 * began or ended). At most max are asked a run, the least lately
 * confirmed first (a confirmed marker's time is set to now), so on a node
 * many live jobs share each run asks a few and every marker comes round.
 * Asking stops at held()'s first error, so a slurmctld that does not
 * answer costs one wait, not max. A marker made afresh meanwhile (the job
 * requeued onto this node again) is another file, and stays. *dropped
 * counts the markers removed. */
int ev_running_drop_stale(const char *state_dir, struct ev_running_mark *m, ev_running_held_fn held, void *arg,
			  size_t max, size_t *dropped, struct ev_err *err);

/* Whether job jobid has a marker in the registry (its prolog ran, its
 * epilog has not): *running. An unreadable registry is an error, never a
 * "no". */
int ev_running_check(const char *state_dir, uint32_t jobid, bool *running, struct ev_err *err);

#endif
