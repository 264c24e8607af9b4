/* The locked-memory limit a step's tasks get, and what it proves. EFA
 * registers every buffer it sends from or receives into; below a few
 * hundred MiB of RLIMIT_MEMLOCK libfabric's efa provider cannot register
 * its own packet pools and fails ("Cannot allocate memory"), and NCCL or
 * MPI fall back to TCP or stop.
 *
 * The limit is judged where it is known before the tasks run: from the
 * launcher's own limit and the one the submitting side asked for, applied
 * as the launcher applies it. Pure: no I/O. */
#ifndef EV_CAUSE_MEMLOCK_H
#define EV_CAUSE_MEMLOCK_H

#include <stdbool.h>
#include <stdint.h>

#include "judge/ev_cause.h"

/* No limit (RLIM_INFINITY as a u64). */
#define EV_MEMLOCK_UNLIMITED UINT64_MAX

/* A limit the submitting side asked the launcher to give the tasks. */
struct ev_limit_ask {
	bool asked;
	/* The user insisted: applied whole or not at all (an unprivileged
	 * setrlimit above the hard limit fails and the launcher's stays);
	 * otherwise cut to the hard limit. */
	bool insisted;
	uint64_t value;
};

/* The soft limit a task gets from a launcher whose own is (cur, max). */
uint64_t ev_memlock_task_limit(uint64_t cur, uint64_t max, const struct ev_limit_ask *ask);

/* Parse the asked limit as the launcher's environment carries it: decimal
 * bytes, a leading 'U' when the user insisted. NULL or malformed: not
 * asked (the launcher ignores it too). */
void ev_limit_ask_parse(const char *text, struct ev_limit_ask *ask);

/* limit below min_bytes (0: not judged): memlock, certain, its detail the
 * limit in bytes. */
void ev_causes_from_memlock(uint64_t limit, uint64_t min_bytes, struct ev_causes *cs);

#endif
