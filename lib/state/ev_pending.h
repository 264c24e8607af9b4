/* Jobs whose record the slurmctld host could not write yet (slurmdbd
 * away): state_dir/pending/<jobid>, one empty file each, kept by
 * efa-verify-epilog run as EpilogSlurmctld and taken by its next run or
 * `efa-verify flush` there. The job's results stay in its nodes' records
 * in slurmctld; only the job id is needed to write its record again. */
#ifndef EV_PENDING_H
#define EV_PENDING_H

#include <stddef.h>
#include <stdint.h>

#include "util/ev_err.h"

/* At most this many are listed (and so retried) in one run: an outage's
 * backlog drains over several runs, each bounded. */
#define EV_PENDING_MAX 1024

int ev_pending_put(const char *state_dir, uint32_t jobid, struct ev_err *err);
/* Removing a job that is not pending is not an error. */
int ev_pending_remove(const char *state_dir, uint32_t jobid, struct ev_err *err);
/* The pending job ids, ascending (malloc'ed; *n 0 and *ids NULL for none).
 * A name that is not a job id is left alone. */
int ev_pending_list(const char *state_dir, uint32_t **ids, size_t *n, struct ev_err *err);

#endif
