#include "job/ev_job_begin.h"

#include <stdio.h>
#include <string.h>
#include <syslog.h>

#include "node/ev_boot_id.h"
#include "node/ev_counters.h"
#include "node/ev_snapshot.h"
#include "node/ev_devices.h"
#include "node/ev_whole_node.h"
#include "job/ev_job_sweep.h"
#include "state/ev_job_view.h"
#include "state/ev_findings.h"
#include "state/ev_notready.h"
#include "state/ev_placement_memo.h"
#include "state/ev_running.h"

/* Kept for the epilog: slurmd's variables are here at job start, not all
 * of them at job end. */
static void judge_whole_node(const struct ev_config *cfg, const struct ev_job_facts *job, struct ev_whole_node *out)
{
	struct ev_whole_in in = {
		.exclusive = job->exclusive,
		.oversubscribe = job->oversubscribe,
		.job_cpus = job->job_cpus,
	};

	if (ev_cpus_online(cfg->sysfs_root, &in.node_cpus, NULL) != 0)
		in.node_cpus = 0;
	ev_whole_node_judge(&in, out);
}

int ev_job_begin_take(const struct ev_config *cfg, const struct ev_job_facts *job, struct ev_job_start *js,
		      struct ev_msgs *msgs)
{
	struct ev_device_list devs = { 0 };
	struct ev_err err = { "" };
	int rc;

	memset(js, 0, sizeof(*js));
	js->jobid = job->jobid;
	snprintf(js->node, sizeof(js->node), "%s", job->node);
	snprintf(js->first, sizeof(js->first), "%s", job->first ? job->first : "");
	if (ev_boot_id_read(job->proc_root, js->boot_id, &err) != 0)
		js->boot_id[0] = '\0';
	judge_whole_node(cfg, job, &js->whole);
	/* A step's finding left by an earlier job of this id (its epilog
	 * never ran) is not this job's. */
	ev_notready_take(cfg->state_dir, job->jobid, NULL, 0, NULL);
	ev_findings_take(cfg->state_dir, job->jobid, NULL, 0, NULL);
	ev_placement_memo_remove(cfg->state_dir, job->jobid);
	/* Marked before the snapshot: a job that starts meanwhile sees ours. */
	if (ev_running_begin(cfg->state_dir, job->jobid, js->boot_id[0] ? js->boot_id : NULL, &js->run, &err) != 0)
		ev_msgf(msgs, LOG_WARNING, "job %u on %s: shared-node check: %s", job->jobid, job->node, err.msg);
	if ((rc = ev_devices_discover_names(cfg->sysfs_root, &devs, &err)) != 0 ||
	    (rc = ev_snapshot_take(cfg, &devs, ev_job_counters, ev_job_device_counters, &js->snap, &err)) != 0) {
		ev_msgf(msgs, LOG_ERR, "job %u on %s: %s", job->jobid, job->node, err.msg);
	} else {
		/* The node count is kept now: while epilogs run, slurmctld's
		 * count shrinks as each node finishes. */
		js->snap.job_nodes = job->job_nodes;
	}
	ev_devices_free(&devs);
	return rc;
}

int ev_job_begin_keep(const struct ev_config *cfg, const struct ev_job_facts *job, const struct ev_job_start *js,
		      struct ev_msgs *msgs)
{
	struct ev_err err = { "" };
	int rc;

	if ((rc = ev_job_start_save(cfg->state_dir, js, &err)) != 0) {
		ev_msgf(msgs, LOG_ERR, "job %u on %s: %s", job->jobid, job->node, err.msg);
		return rc;
	}
	/* Before the user's copy: an earlier job's of the same uid is gone. */
	ev_job_sweep_said(cfg, job, msgs);
	/* Root's own file is for the epilog alone. */
	if (job->have_uid && job->uid != 0 && ev_job_view_save(cfg->state_dir, js, job->uid, &err) != 0)
		ev_msgf(msgs, LOG_WARNING, "job %u on %s: no copy for the job's user (report so far): %s",
			job->jobid, job->node, err.msg);
	return 0;
}
