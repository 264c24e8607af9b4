/* efa-verify report --local JOBID: this node's numbers so far for a running
 * job, as its epilog would judge them now. `report` runs it on each node of
 * the job (report_live.c), as the user who asked: a user reads their own
 * job's copy of the start file (ev_job_view_load), root reads the prolog's. */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "node/ev_boot_id.h"
#include "node/ev_snapshot.h"
#include "node/ev_delta.h"
#include "node/ev_devices.h"
#include "state/ev_job_start.h"
#include "state/ev_job_view.h"
#include "record/ev_result.h"
#include "util/ev_units.h"
#include "judge/ev_verdict.h"
#include "report.h"

static void print_human(const struct ev_sofar *s)
{
	const struct ev_node_result *r = &s->r;
	char a[32], b[32];

	printf("job %" PRIu32 " on %s so far: %s%s%s%s, EFA %s, TCP %s", r->jobid, r->node,
	       ev_verdict_name(r->verdict), r->reason[0] ? " (" : "", r->reason, r->reason[0] ? ")" : "",
	       ev_bytes_human(r->efa_bytes, a, sizeof(a)), ev_bytes_human(r->tcp_bytes, b, sizeof(b)));
	if (r->efa_bytes + r->tcp_bytes)
		printf(", EFA share %.1f%%", 100.0 * (double)r->efa_bytes / ((double)r->efa_bytes + (double)r->tcp_bytes));
	if (r->nics_total)
		printf(", NICs busy %" PRIu32 "/%" PRIu32, r->nics_busy, r->nics_total);
	if (s->duration_ms)
		printf(", %.1f s since its start", (double)s->duration_ms / 1000.0);
	printf("\n");
}

int report_local(struct cli_ctx *ctx, uint32_t jobid, bool json)
{
	const struct ev_config *cfg = &ctx->cfg;
	struct ev_device_list devs = { 0 };
	struct ev_snapshot now = { 0 };
	struct ev_node_delta d = { 0 };
	struct ev_verdict_in in = { 0 };
	struct ev_node_verdict v;
	struct ev_job_start js;
	struct ev_sofar s;
	struct ev_err err = { "" };
	char boot[EV_BOOT_ID_MAX];
	char *line;
	int rc;

	memset(&s, 0, sizeof(s));
	/* Root has the prolog's own file; anyone else the copy the prolog
	 * left for the job's user, which only that user can reach. */
	rc = geteuid() == 0 ? ev_job_start_load(cfg->state_dir, jobid, &js, &err)
			    : ev_job_view_load(cfg->state_dir, jobid, &js, &err);
	if (rc != 0 && rc != -ENOENT) {
		cli_error("report --local: %s", err.msg);
		in.unknown_reason = rc == -EPERM || rc == -EACCES ? "start_snapshot_unreadable" : "start_snapshot_corrupt";
	}
	if (rc == 0) {
		in.job_nodes = js.snap.job_nodes;
		/* The prolog's judgement, as the epilog uses it: the same
		 * idle-NIC rule so far as at the end. */
		in.whole_node = js.whole.whole;
		in.whole_node_why = js.whole.why;
		s.since = js.snap.time_ns / 1000000000u;
		if (js.boot_id[0] && ev_boot_id_read(NULL, boot, &err) == 0 && strcmp(js.boot_id, boot) != 0) {
			in.unknown_reason = "node_rebooted";
		} else if (ev_devices_discover_names(cfg->sysfs_root, &devs, &err) != 0 ||
			   ev_snapshot_take(cfg, &devs, ev_job_counters, ev_job_device_counters, &now, &err) != 0 ||
			   ev_delta_compute(&js.snap, &now, &d, &err) != 0) {
			cli_error("report --local: %s", err.msg);
			in.unknown_reason = "counters_unreadable";
		} else {
			in.delta = &d;
			s.duration_ms = d.duration_ns / 1000000u;
		}
	}
	ev_verdict_decide(&cfg->verdict, &in, &v);
	snprintf(s.r.node, sizeof(s.r.node), "%s", ctx->nodename);
	s.r.jobid = jobid;
	s.r.job_nodes = in.job_nodes;
	s.r.verdict = v.verdict;
	snprintf(s.r.reason, sizeof(s.r.reason), "%s", v.reason);
	ev_result_fill(&s.r, &cfg->verdict, in.delta);
	s.as_of = now.time_ns ? now.time_ns / 1000000000u : (uint64_t)time(NULL);
	if (json) {
		if ((line = ev_sofar_json(&s)))
			puts(line);
		free(line);
	} else {
		print_human(&s);
	}
	ev_delta_free(&d);
	ev_snapshot_free(&now);
	ev_devices_free(&devs);
	ev_job_start_free(&js);
	return 0;
}
