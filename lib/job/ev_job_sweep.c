#include "job/ev_job_sweep.h"

#include <syslog.h>

#include "record/ev_prom.h"
#include "state/ev_job_view.h"
#include "state/ev_state_dir.h"

int ev_job_sweep(const struct ev_config *cfg, size_t *removed, struct ev_err *err)
{
	struct ev_err later;
	int rc, r;

	*removed = 0;
	rc = ev_state_sweep_tmp(cfg->state_dir, removed, err);
	if ((r = ev_job_view_sweep(cfg->state_dir, removed, rc ? &later : err)) && !rc)
		rc = r;
	if (cfg->prometheus_textfile_dir[0] &&
	    (r = ev_prom_sweep_tmp(cfg->prometheus_textfile_dir, removed, rc ? &later : err)) && !rc)
		rc = r;
	return rc;
}

void ev_job_sweep_said(const struct ev_config *cfg, const struct ev_job_facts *job, struct ev_msgs *msgs)
{
	struct ev_err err = { "" };
	size_t removed = 0;

	if (ev_job_sweep(cfg, &removed, &err) != 0)
		ev_msgf(msgs, LOG_WARNING, "job %u on %s: leftovers of killed prologs and epilogs: %s", job->jobid,
			job->node, err.msg);
	if (removed)
		ev_msgf(msgs, LOG_INFO, "job %u on %s: removed %zu file(s) left by killed prologs and epilogs or "
			"of jobs no longer running", job->jobid, job->node, removed);
}
