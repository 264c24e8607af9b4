#include "job/ev_job_end.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <time.h>

#include "aws/ev_imds_cache.h"
#include "node/ev_devices.h"
#include "node/ev_versions.h"
#include "judge/ev_cause_counters.h"
#include "judge/ev_cause_versions.h"
#include "job/ev_job_sweep.h"
#include "record/ev_joblog.h"
#include "record/ev_prom.h"
#include "state/ev_job_view.h"
#include "state/ev_placement_memo.h"
#include "state/ev_running.h"
#include "state/ev_spool.h"

/* The result is spooled as formatted: whatever fits a result line fits. */
_Static_assert(EV_RESULT_LINE_MAX <= EV_SPOOL_LINE_MAX, "a node result line must fit the spool");

void ev_job_end_load(const struct ev_config *cfg, const struct ev_job_facts *job, struct ev_job_end *st,
		     struct ev_msgs *msgs)
{
	struct ev_err err = { "" };

	memset(st, 0, sizeof(*st));
	st->job_nodes = job->job_nodes;
	snprintf(st->first, sizeof(st->first), "%s", job->first ? job->first : "");
	if (ev_boot_id_read(job->proc_root, st->boot_id, &err) != 0)
		st->boot_id[0] = '\0';
	st->load_rc = ev_job_start_load(cfg->state_dir, job->jobid, &st->js, &err);
	st->have_start = st->load_rc == 0;
	if (st->load_rc != 0 && st->load_rc != -ENOENT) {
		ev_msgf(msgs, LOG_ERR, "job %u on %s: %s", job->jobid, job->node, err.msg);
		st->in.unknown_reason = "start_snapshot_corrupt";
	}
	if (!st->have_start)
		return;
	/* The prolog's count and first node: slurmctld's count shrinks as
	 * epilogs finish. */
	if (st->js.snap.job_nodes)
		st->job_nodes = st->js.snap.job_nodes;
	if (st->js.first[0])
		snprintf(st->first, sizeof(st->first), "%s", st->js.first);
	st->rebooted = st->js.boot_id[0] && st->boot_id[0] && strcmp(st->js.boot_id, st->boot_id) != 0;
	/* A reboot took the table with it. */
	st->read_table = st->js.snap.tcp_source == EV_TCP_SRC_NFTABLES && !st->rebooted;
}

/* The end snapshot and what moved since the start one. */
static void measure_delta(const struct ev_config *cfg, const struct ev_job_facts *job, struct ev_job_end *st,
			  const struct ev_net_counts *net, struct ev_msgs *msgs)
{
	struct ev_device_list devs = { 0 };
	struct ev_err err = { "" };

	if (ev_devices_discover_names(cfg->sysfs_root, &devs, &err) != 0 ||
	    ev_snapshot_take(cfg, &devs, ev_job_counters, ev_job_device_counters, &st->end, &err) != 0) {
		ev_msgf(msgs, LOG_ERR, "job %u on %s: %s", job->jobid, job->node, err.msg);
	} else {
		if (net) {
			st->end.tcp_source = EV_TCP_SRC_NFTABLES;
			st->end.net = *net;
		}
		if (ev_delta_compute(&st->js.snap, &st->end, &st->delta, &err) != 0)
			ev_msgf(msgs, LOG_ERR, "job %u on %s: %s", job->jobid, job->node, err.msg);
		else
			st->in.delta = &st->delta;
	}
	ev_devices_free(&devs);
}

/* The steps' container lines out of st->findings into st->containers;
 * the lines left are causes. */
static void take_containers(const struct ev_job_facts *job, struct ev_job_end *st, struct ev_msgs *msgs)
{
	struct ev_containers *one;
	const struct ev_containers **sets;
	struct ev_err err = { "" };
	char *w = st->findings;
	size_t k = 0, lines = 0;

	memset(&st->containers, 0, sizeof(st->containers));
	for (const char *p = st->findings; (p = strchr(p, '\n')); p++)
		lines++;
	one = calloc(lines ? lines : 1, sizeof(*one));
	sets = calloc(lines ? lines : 1, sizeof(*sets));
	if (!one || !sets) {
		ev_msgf(msgs, LOG_WARNING, "job %u on %s: the steps' containers: out of memory", job->jobid, job->node);
		goto out;
	}
	for (char *line = st->findings, *nl; *line; line = nl + 1) {
		size_t len;

		if (!(nl = strchr(line, '\n')))
			break;
		len = (size_t)(nl - line) + 1;
		if (!ev_containers_is_finding(line)) {
			memmove(w, line, len);
			w += len;
			continue;
		}
		*nl = '\0';
		if (ev_containers_finding_parse(line, &one[k], &err) == 0) {
			sets[k] = &one[k];
			k++;
		} else {
			ev_msgf(msgs, LOG_WARNING, "job %u on %s: a step's finding: %s", job->jobid, job->node, err.msg);
		}
	}
	*w = '\0';
	if (ev_containers_union(sets, k, &st->containers, &err) != 0)
		ev_msgf(msgs, LOG_WARNING, "job %u on %s: the steps' containers: %s", job->jobid, job->node, err.msg);
out:
	free(one);
	free(sets);
}

void ev_job_end_measure(const struct ev_config *cfg, const struct ev_job_facts *job, struct ev_job_end *st,
			const struct ev_net_counts *net, struct ev_msgs *msgs)
{
	struct ev_err err = { "" };
	int nr;

	if (st->have_start) {
		if (st->rebooted)
			/* Counters restarted with the node: no delta means anything. */
			st->in.unknown_reason = "node_rebooted";
		else
			measure_delta(cfg, job, st, net, msgs);
		st->in.whole_node = st->js.whole.whole;
		st->in.whole_node_why = st->js.whole.why;
	}
	/* A step found the node not ready: that is the node's verdict. */
	nr = ev_notready_take(cfg->state_dir, job->jobid, st->not_ready, sizeof(st->not_ready), &err);
	if (nr > 0) {
		st->in.not_ready = true;
		st->in.not_ready_reason = st->not_ready;
	} else if (nr < 0) {
		ev_msgf(msgs, LOG_WARNING, "job %u on %s: a step's not-ready finding: %s", job->jobid, job->node,
			err.msg);
	}
	nr = ev_findings_take(cfg->state_dir, job->jobid, st->findings, sizeof(st->findings), &err);
	if (nr < 0)
		ev_msgf(msgs, LOG_WARNING, "job %u on %s: the steps' findings: %s", job->jobid, job->node, err.msg);
	take_containers(job, st, msgs);
	ev_placement_memo_remove(cfg->state_dir, job->jobid);
	if (ev_running_end(cfg->state_dir, job->jobid, st->have_start ? &st->js.run : NULL, &st->shared, &err) != 0)
		ev_msgf(msgs, LOG_WARNING, "job %u on %s: shared-node check: %s", job->jobid, job->node, err.msg);
	st->in.shared = st->shared;
}

/* Only evidence: what the steps proved, what the counters show, what
 * made the node not ready. A node that is ok, or moved nothing, has no
 * cause to name. */
/* The node's software against its instance type's minimums: read only for
 * a job that was not ok (the NCCL search lists library directories), with
 * the instance type from the IMDS cache the plugin keeps (a job end never
 * asks IMDS). Not judged where the site turned the versions check off. */
static void judge_versions(const struct ev_config *cfg, struct ev_job_end *st)
{
	const struct ev_instance_type *it;
	struct ev_imds_info m;
	struct ev_versions sw;
	struct ev_err err = { "" };

	if (cfg->checks[EV_CHECK_VERSIONS] == EV_ACTION_OFF || ev_imds_get(cfg, false, &m, NULL, &err) != 0 ||
	    !(it = ev_config_instance(cfg, m.instance_type)))
		return;
	if (ev_versions_detect(cfg->software_root, cfg->sysfs_root, &sw, &err) == 0)
		ev_causes_from_versions(&sw, it, &st->causes);
}

static void judge_causes(const struct ev_config *cfg, const struct ev_job_facts *job, struct ev_job_end *st,
			 struct ev_msgs *msgs)
{
	enum ev_verdict v = st->verdict.verdict;
	struct ev_err err = { "" };

	memset(&st->causes, 0, sizeof(st->causes));
	if (v == EV_V_OK || v == EV_V_NO_TRAFFIC)
		return;
	for (char *line = st->findings, *nl; *line; line = nl + 1) {
		struct ev_causes found;

		if (!(nl = strchr(line, '\n')))
			break;
		*nl = '\0';
		if (ev_causes_parse(line, &found, &err) != 0) {
			ev_msgf(msgs, LOG_WARNING, "job %u on %s: a step's finding: %s", job->jobid, job->node,
				err.msg);
			continue;
		}
		for (size_t i = 0; i < found.n; i++)
			ev_causes_add(&st->causes, found.c[i].name, found.c[i].certainty, found.c[i].detail);
	}
	if (st->in.delta)
		ev_causes_from_delta(st->in.delta, &st->causes);
	judge_versions(cfg, st);
	/* The check that failed names it ("ports: rdmap17s0 port 1 is
	 * DOWN; fix: ..." is ports); its words are in the verdict's reason
	 * already, and the record has no room to say them twice. */
	if (st->in.not_ready) {
		char check[EV_CAUSE_DETAIL_MAX];

		snprintf(check, sizeof(check), "%.*s", (int)strcspn(st->not_ready, ": "), st->not_ready);
		if (strcmp(check, "placement") == 0)
			ev_causes_add(&st->causes, EV_CAUSE_PLACEMENT, EV_CAUSE_CERTAIN, NULL);
		else
			ev_causes_add(&st->causes, EV_CAUSE_NOT_READY, EV_CAUSE_CERTAIN, check[0] ? check : NULL);
	}
}

/* The node's own outputs: the JSON line and the textfile metrics. */
static void node_outputs(const struct ev_config *cfg, const struct ev_job_facts *job, const struct ev_job_end *st,
			 struct ev_msgs *msgs)
{
	struct ev_joblog_entry e = {
		.time = (uint64_t)time(NULL), .jobid = job->jobid, .node = job->node, .job_nodes = st->in.job_nodes,
		.verdict = &st->verdict, .delta = st->in.delta, .causes = &st->causes, .containers = &st->containers,
		.user = job->user, .account = job->account, .partition = job->partition,
	};
	struct ev_err err = { "" };

	if (cfg->log_path[0] && ev_joblog_write(cfg->log_path, &e, &err) != 0)
		ev_msgf(msgs, LOG_ERR, "job %u on %s: log: %s", job->jobid, job->node, err.msg);
	if (cfg->prometheus_textfile_dir[0]) {
		if (ev_prom_write(cfg->prometheus_textfile_dir, &e, &err) != 0 ||
		    ev_prom_prune(cfg->prometheus_textfile_dir, EV_PROM_KEEP, &err) != 0)
			ev_msgf(msgs, LOG_ERR, "job %u on %s: prometheus: %s", job->jobid, job->node, err.msg);
	}
}

int ev_job_end_finish(const struct ev_config *cfg, const struct ev_job_facts *job, struct ev_job_end *st,
		      struct ev_msgs *msgs)
{
	struct ev_node_result *r = &st->result;
	struct ev_err err = { "" };
	int rc;

	st->in.job_nodes = st->job_nodes;
	ev_verdict_decide(&cfg->verdict, &st->in, &st->verdict);
	judge_causes(cfg, job, st, msgs);
	node_outputs(cfg, job, st, msgs);

	memset(r, 0, sizeof(*r));
	snprintf(r->node, sizeof(r->node), "%s", job->node);
	r->jobid = job->jobid;
	r->job_nodes = st->in.job_nodes;
	r->verdict = st->verdict.verdict;
	snprintf(r->reason, sizeof(r->reason), "%s", st->verdict.reason);
	r->shared = st->shared;
	r->causes = st->causes;
	r->containers = st->containers;
	ev_result_fill(r, &cfg->verdict, st->in.delta);
	/* The start file has served: gone before the (possibly long) wait. */
	ev_state_remove_start(cfg->state_dir, job->jobid);
	if (job->have_uid && job->uid != 0)
		ev_job_view_remove(cfg->state_dir, job->jobid, job->uid);
	/* Spooled before anything can fail, removed once delivered. */
	if ((rc = ev_result_format(r, st->line, sizeof(st->line))) != 0 ||
	    (rc = ev_spool_put(cfg->state_dir, job->jobid, job->node, st->line, &err)) != 0) {
		ev_msgf(msgs, LOG_ERR, "job %u on %s: cannot spool the result: %s", job->jobid, job->node, err.msg);
		return rc;
	}
	st->spooled = true;
	ev_job_sweep_said(cfg, job, msgs);
	return 0;
}

void ev_job_end_free(struct ev_job_end *st)
{
	ev_delta_free(&st->delta);
	ev_job_start_free(&st->js);
	ev_snapshot_free(&st->end);
}
