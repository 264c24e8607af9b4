/* Causes the step's environment proves: a variable that sends libfabric
 * or NCCL to another transport, or one the node's hardware makes harmful.
 * Read from the values the tasks get (the job's own, or what the plan
 * forces over them), never from a file or path the job names. */
#ifndef EV_CAUSE_ENV_H
#define EV_CAUSE_ENV_H

#include "judge/ev_cause.h"

/* The value a task gets for name, or NULL when unset. */
typedef const char *(*ev_env_lookup_fn)(void *ctx, const char *name);

/* rdma_read: 1 the instance type reads over RDMA, 0 it does not, -1 not
 * known (stale_env is then not judged). Only values that certainly keep
 * EFA out are named: an unknown NCCL_NET is not a cause. */
void ev_causes_from_env(ev_env_lookup_fn lookup, void *ctx, int rdma_read, struct ev_causes *cs);

/* Whether cause n, when certain, means the step's traffic cannot use EFA
 * at all (enforce refuses such a step before the user's program runs). */
bool ev_cause_excludes_efa(enum ev_cause_name n);

#endif
