#ifndef EV_NOTREADY_H
#define EV_NOTREADY_H

#include <stddef.h>
#include <stdint.h>

#include "util/ev_err.h"

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

#endif
