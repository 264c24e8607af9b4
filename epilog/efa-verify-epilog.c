/* efa-verify-epilog: run by slurmd as root on every node of a job at job
 * end. Reads and removes the job's nftables table (where the prolog made
 * one), compares the counters with the prolog's snapshot, decides this node's
 * verdict, leaves it in the node's log (and Prometheus textfile), spools it,
 * and hands it on to the job's accounting record (ev_deliver). Always exits
 * 0: a failing epilog drains the node. */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <time.h>

#include "ev_ctld.h"
#include "node/ev_boot_id.h"
#include "config/ev_config.h"
#include "node/ev_snapshot.h"
#include "node/ev_delta.h"
#include "epilog.h"
#include "ev_deliver.h"
#include "node/ev_devices.h"
#include "state/ev_job_start.h"
#include "state/ev_job_view.h"
#include "ev_jobenv.h"
#include "record/ev_joblog.h"
#include "record/ev_prom.h"
#include "jobnet/ev_jobnet.h"
#include "state/ev_notready.h"
#include "record/ev_result.h"
#include "state/ev_running.h"
#include "state/ev_spool.h"
#include "judge/ev_verdict.h"
#include "util/ev_time.h"

static const char usage[] =
	"Usage: efa-verify-epilog [-c FILE] [--no-accounting]\n"
	"\n"
	"Slurm Epilog: read and remove the job's nftables table (its traffic to\n"
	"its other nodes, and the rest), compare this node's EFA and TCP\n"
	"counters with the job's start snapshot, decide the node's verdict\n"
	"(ok, tcp_fallback, degraded, no_traffic, unknown; not_ready where a\n"
	"step of the job found the node not ready), append it as a JSON line to\n"
	"the config's `log` (and a Prometheus textfile where configured), and\n"
	"hand it on to the job's AdminComment in accounting. The job's first\n"
	"node writes that record once every node has reported (waiting at most\n"
	"record_wait_ms). A result Slurm cannot take now stays spooled in\n"
	"state_dir for a later prolog, epilog or `efa-verify flush`.\n"
	"\n"
	"As slurm.conf's EpilogSlurmctld (SLURM_SCRIPT_CONTEXT=epilog_slurmctld,\n"
	"on the slurmctld host): write the job's record into accounting once\n"
	"its nodes have published, for nodes that cannot reach slurmdbd (config\n"
	"record_writer: slurmctld); a record it cannot write stays pending in\n"
	"this host's state_dir for its next run or `efa-verify flush`. Always\n"
	"exits 0.\n"
	"\n"
	"  -c, --config FILE   config (default: $EFA_VERIFY_CONFIG, then " EV_DEFAULT_CONFIG ")\n"
	"      --no-accounting node-local work only; results stay spooled\n"
	"  -h, --help          this help\n"
	"  -V, --version       version\n";

/* The node's own outputs: the JSON line and the textfile metrics. */
static void node_outputs(const struct ev_config *cfg, const struct ev_jobenv *je,
			 const struct ev_node_delta *d, const struct ev_node_verdict *v, unsigned job_nodes)
{
	struct ev_joblog_entry e = { (uint64_t)time(NULL), je->jobid, je->node, job_nodes, v, d };
	struct ev_err err = { "" };

	if (cfg->log_path[0] && ev_joblog_write(cfg->log_path, &e, &err) != 0)
		ev_binlog(LOG_ERR, "job %u on %s: log: %s", je->jobid, je->node, err.msg);
	if (cfg->prometheus_textfile_dir[0]) {
		if (ev_prom_write(cfg->prometheus_textfile_dir, &e, &err) != 0 ||
		    ev_prom_prune(cfg->prometheus_textfile_dir, EV_PROM_KEEP, &err) != 0)
			ev_binlog(LOG_ERR, "job %u on %s: prometheus: %s", je->jobid, je->node, err.msg);
	}
}

/* The job table's counters into net (true), and the table gone in any
 * case: read before the job leaves the running registry, so a prolog's
 * sweep never takes it first. A table that is gone or unreadable leaves
 * the interfaces' counters, said in the log. */
static bool read_tcp_table(const struct ev_jobenv *je, bool rebooted, struct ev_net_counts *net)
{
	struct ev_err err = { "" };
	struct ev_nft *nft = NULL;
	bool ok = false;

	if (rebooted)
		return false;
	if (ev_jobnet_open(&nft, &err) != 0 || ev_jobnet_read(nft, je->jobid, je->node, net, &err) != 0)
		ev_binlog(LOG_WARNING, "job %u on %s: TCP counted on interfaces (tcp_source=interface): %s",
			  je->jobid, je->node, err.msg);
	else
		ok = true;
	if (nft && ev_jobnet_remove(nft, je->jobid, je->node, &err) != 0)
		ev_binlog(LOG_WARNING, "job %u on %s: %s (left for the next prolog or `efa-verify flush`)",
			  je->jobid, je->node, err.msg);
	ev_nft_close(&nft);
	return ok;
}

static void deliver(const struct ev_config *cfg, const struct ev_jobenv *je, const struct ev_node_result *r,
		    const char *first, uint64_t started)
{
	struct ev_deliver_ctx c = { .state_dir = cfg->state_dir, .node = je->node, .started_ms = started,
				  .nodelist = je->nodelist,
				  .publish_only = cfg->record_writer == EV_WRITER_SLURMCTLD };
	struct ev_err err = { "" };
	bool aggregator = first[0] && strcmp(first, je->node) == 0;
	unsigned wait = (unsigned)cfg->record_wait_ms;
	size_t done = 0, left = 0;
	int rc;

	/* The first node writes the record once all have published; any
	 * other node only publishes, unless it is so late that the first
	 * node may have stopped waiting (or the first node is unknown). */
	c.late_ms = wait / 2 ? wait / 2 : 1;
	rc = ev_deliver_result(&c, r, aggregator || !first[0], aggregator ? wait : 0, &err);
	if (rc) {
		ev_binlog(LOG_WARNING, "job %u on %s: result spooled, not delivered: %s", je->jobid, je->node,
			  err.msg);
	} else if (ev_deliver_spool(&c, &done, &left, &err) != 0) {
		ev_binlog(LOG_WARNING, "job %u on %s: %zu earlier result(s) still spooled: %s", je->jobid,
			  je->node, left, err.msg);
	} else if (done) {
		ev_binlog(LOG_INFO, "job %u on %s: delivered %zu earlier spooled result(s)", je->jobid, je->node,
			  done);
	}
	ev_deliver_done(&c);
}

int main(int argc, char **argv)
{
	struct ev_jobenv je;
	struct ev_config cfg;
	struct ev_device_list devs = { 0 };
	struct ev_job_start js;
	struct ev_snapshot end = { 0 };
	struct ev_node_delta d = { 0 };
	struct ev_node_verdict v;
	struct ev_verdict_in in = { 0 };
	struct ev_node_result r = { 0 };
	struct ev_err err = { "" };
	char boot_id[EV_BOOT_ID_MAX] = "", line[EV_RESULT_LINE_MAX], first[EV_NAME_MAX];
	char not_ready[EV_NOTREADY_REASON_MAX];
	uint64_t started = ev_mono_ms();
	struct ev_net_counts net;
	bool have_start, shared = false, net_ok = false, rebooted;
	int rc, nr;

	{
		const char *ctx = getenv("SLURM_SCRIPT_CONTEXT");

		if (ctx && strcmp(ctx, "epilog_slurmctld") == 0)
			return ev_epilog_slurmctld(argc, argv, usage);
	}
	if (!ev_binary_start(argc, argv, "efa-verify-epilog", usage, &je, &cfg))
		return 0;
	in.job_nodes = je.job_nodes;
	snprintf(first, sizeof(first), "%s", je.first);
	if (ev_boot_id_read(NULL, boot_id, &err) != 0)
		boot_id[0] = '\0';
	rc = ev_job_start_load(cfg.state_dir, je.jobid, &js, &err);
	have_start = rc == 0;
	if (rc != 0 && rc != -ENOENT) {
		ev_binlog(LOG_ERR, "job %u on %s: %s", je.jobid, je.node, err.msg);
		in.unknown_reason = "start_snapshot_corrupt";
	}
	if (have_start) {
		/* The prolog's count and first node: slurmctld's count shrinks
		 * as epilogs finish. */
		if (js.snap.job_nodes)
			in.job_nodes = js.snap.job_nodes;
		if (js.first[0])
			snprintf(first, sizeof(first), "%s", js.first);
		rebooted = js.boot_id[0] && boot_id[0] && strcmp(js.boot_id, boot_id) != 0;
		if (js.snap.tcp_source == EV_TCP_SRC_NFTABLES)
			net_ok = read_tcp_table(&je, rebooted, &net);
		if (rebooted) {
			/* Counters restarted with the node: no delta means anything. */
			in.unknown_reason = "node_rebooted";
		} else if (ev_devices_discover_names(cfg.sysfs_root, &devs, &err) != 0 ||
			   ev_snapshot_take(&cfg, &devs, ev_job_counters, &end, &err) != 0) {
			ev_binlog(LOG_ERR, "job %u on %s: %s", je.jobid, je.node, err.msg);
		} else {
			if (net_ok) {
				end.tcp_source = EV_TCP_SRC_NFTABLES;
				end.net = net;
			}
			if (ev_delta_compute(&js.snap, &end, &d, &err) != 0)
				ev_binlog(LOG_ERR, "job %u on %s: %s", je.jobid, je.node, err.msg);
			else
				in.delta = &d;
		}
	}
	if (have_start) {
		in.whole_node = js.whole.whole;
		in.whole_node_why = js.whole.why;
	}
	/* A step found the node not ready: that is the node's verdict. */
	nr = ev_notready_take(cfg.state_dir, je.jobid, not_ready, sizeof(not_ready), &err);
	if (nr > 0) {
		in.not_ready = true;
		in.not_ready_reason = not_ready;
	} else if (nr < 0) {
		ev_binlog(LOG_WARNING, "job %u on %s: a step's not-ready finding: %s", je.jobid, je.node,
			  err.msg);
	}
	if (ev_running_end(cfg.state_dir, je.jobid, have_start ? &js.run : NULL, &shared, &err) != 0)
		ev_binlog(LOG_WARNING, "job %u on %s: shared-node check: %s", je.jobid, je.node, err.msg);
	in.shared = shared;
	/* Only without the prolog's answer: slurmctld may be away now. */
	if ((!in.job_nodes || !first[0]) && !je.no_accounting && ev_slurm_ready(&err) == 0) {
		ev_jobenv_ask_slurm(&je);
		if (!in.job_nodes)
			in.job_nodes = je.job_nodes;
		if (!first[0])
			snprintf(first, sizeof(first), "%s", je.first);
	}
	ev_verdict_decide(&cfg.verdict, &in, &v);
	node_outputs(&cfg, &je, in.delta, &v, in.job_nodes);

	snprintf(r.node, sizeof(r.node), "%s", je.node);
	r.jobid = je.jobid;
	r.job_nodes = in.job_nodes;
	r.verdict = v.verdict;
	snprintf(r.reason, sizeof(r.reason), "%s", v.reason);
	r.shared = shared;
	ev_result_fill(&r, &cfg.verdict, in.delta);
	/* The start file has served: gone before the (possibly long) wait. */
	ev_state_remove_start(cfg.state_dir, je.jobid);
	if (je.have_uid && je.uid != 0)
		ev_job_view_remove(cfg.state_dir, je.jobid, je.uid);
	/* Spooled before anything can fail, removed once delivered. */
	if (ev_result_format(&r, line, sizeof(line)) != 0 ||
	    ev_spool_put(cfg.state_dir, je.jobid, je.node, line, &err) != 0)
		ev_binlog(LOG_ERR, "job %u on %s: cannot spool the result: %s", je.jobid, je.node, err.msg);
	else if (!je.no_accounting)
		deliver(&cfg, &je, &r, first, started);

	ev_delta_free(&d);
	if (have_start || rc != -ENOENT)
		ev_job_start_free(&js);
	ev_snapshot_free(&end);
	ev_devices_free(&devs);
	ev_config_free(&cfg);
	return 0;
}
