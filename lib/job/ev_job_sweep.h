/* What a killed prolog or epilog leaves behind, removed by the next one
 * and by `efa-verify flush`: temporaries of atomic writes (in state_dir,
 * its directories and the Prometheus directory) abandoned for more than
 * EV_FILE_TMP_STALE_S, and the user's copies of jobs no longer running.
 * A few readdirs, one per directory. */
#ifndef EV_JOB_SWEEP_H
#define EV_JOB_SWEEP_H

#include <stddef.h>

#include "config/ev_config.h"
#include "util/ev_err.h"
#include "job/ev_job_facts.h"
#include "job/ev_msgs.h"

/* *removed: how many files went. 0, or the first negative errno (the
 * rest is still swept). */
int ev_job_sweep(const struct ev_config *cfg, size_t *removed, struct ev_err *err);
/* The same from a job's prolog or epilog: what went and what failed is
 * said in msgs. */
void ev_job_sweep_said(const struct ev_config *cfg, const struct ev_job_facts *job, struct ev_msgs *msgs);

#endif
