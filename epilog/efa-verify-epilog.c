/* efa-verify-epilog: run by slurmd as root on every node of a job at job
 * end. Compares the counters with the prolog's snapshot, decides this node's
 * verdict and logs it. Always exits 0: a failing epilog drains the node. */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <time.h>

#include "ev_config.h"
#include "ev_counters.h"
#include "ev_delta.h"
#include "ev_devices.h"
#include "ev_jobenv.h"
#include "ev_joblog.h"
#include "ev_json.h"
#include "ev_state.h"
#include "ev_verdict.h"

static const char usage[] =
	"Usage: efa-verify-epilog [-c FILE]\n"
	"\n"
	"Slurm Epilog: compare this node's EFA and TCP counters with the job's\n"
	"start snapshot, decide the node's verdict (ok, tcp_fallback, degraded,\n"
	"no_traffic, unknown) and append it as a JSON line to the config's `log`.\n"
	"Always exits 0.\n"
	"\n"
	"  -c, --config FILE  config (default: $EFA_VERIFY_CONFIG, then " EV_DEFAULT_CONFIG ")\n"
	"  -h, --help         this help\n"
	"  -V, --version      version\n";

static void log_line(const struct ev_config *cfg, const struct ev_jobenv *je,
		     const struct ev_node_delta *d, const struct ev_node_verdict *v)
{
	struct ev_json j;
	struct ev_err err = { "" };
	size_t len = 0;
	char *s;

	if (!cfg->log_path[0])
		return;
	ev_json_init(&j);
	ev_json_obj_begin(&j, NULL);
	ev_json_u64(&j, "time", (uint64_t)time(NULL));
	ev_json_u64(&j, "job", je->jobid);
	ev_json_str(&j, "node", je->node);
	ev_json_u64(&j, "job_nodes", je->job_nodes);
	ev_json_str(&j, "verdict", ev_verdict_name(v->verdict));
	ev_json_str(&j, "reason", v->reason[0] ? v->reason : NULL);
	if (d) {
		ev_json_u64(&j, "efa_bytes", d->efa_bytes);
		ev_json_u64(&j, "tcp_bytes", d->tcp_bytes);
		ev_json_u64(&j, "error_events", d->errors);
		ev_json_u64(&j, "duration_ms", d->duration_ns / 1000000);
		ev_json_arr_begin(&j, "devices");
		for (size_t i = 0; i < d->n; i++) {
			ev_json_obj_begin(&j, NULL);
			ev_json_str(&j, "name", d->devs[i].dev);
			ev_json_u64(&j, "tx_bytes", d->devs[i].tx_bytes);
			ev_json_u64(&j, "rx_bytes", d->devs[i].rx_bytes);
			ev_json_u64(&j, "errors", d->devs[i].errors);
			ev_json_obj_end(&j);
		}
		ev_json_arr_end(&j);
	}
	ev_json_obj_end(&j);
	s = ev_json_finish(&j, &len);
	if (!s || ev_joblog_append(cfg->log_path, s, len, &err) != 0)
		ev_binlog(LOG_ERR, "job %u on %s: log: %s", je->jobid, je->node, s ? err.msg : "out of memory");
	free(s);
}

int main(int argc, char **argv)
{
	struct ev_jobenv je;
	struct ev_config cfg;
	struct ev_device_list devs = { 0 };
	struct ev_snapshot start = { 0 }, end = { 0 };
	struct ev_node_delta d = { 0 };
	struct ev_node_verdict v;
	struct ev_verdict_in in = { 0 };
	struct ev_err err = { "" };
	int rc;

	if (!ev_binary_start(argc, argv, "efa-verify-epilog", usage, &je, &cfg))
		return 0;
	in.job_nodes = je.job_nodes;
	rc = ev_state_load_start(cfg.state_dir, je.jobid, &start, &err);
	if (rc != 0 && rc != -ENOENT)
		ev_binlog(LOG_ERR, "job %u on %s: %s", je.jobid, je.node, err.msg);
	if (rc == 0) {
		if (ev_devices_discover(cfg.sysfs_root, &devs, &err) != 0 ||
		    ev_snapshot_take(&cfg, &devs, &end, &err) != 0 ||
		    ev_delta_compute(&start, &end, &d, &err) != 0)
			ev_binlog(LOG_ERR, "job %u on %s: %s", je.jobid, je.node, err.msg);
		else
			in.delta = &d;
		/* The prolog's count: slurmctld's shrinks as epilogs finish. */
		if (start.job_nodes)
			in.job_nodes = start.job_nodes;
	}
	ev_verdict_decide(&cfg.verdict, &in, &v);
	je.job_nodes = in.job_nodes;
	log_line(&cfg, &je, in.delta, &v);
	ev_state_remove_start(cfg.state_dir, je.jobid);
	ev_delta_free(&d);
	ev_snapshot_free(&start);
	ev_snapshot_free(&end);
	ev_devices_free(&devs);
	ev_config_free(&cfg);
	return 0;
}
