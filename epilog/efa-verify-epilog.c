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
#include "config/ev_config.h"
#include "node/ev_snapshot.h"
#include "epilog.h"
#include "ev_deliver.h"
#include "job/ev_job_end.h"
#include "ev_jobenv.h"
#include "ev_jobpeers.h"
#include "state/ev_peer_cache.h"
#include "jobnet/ev_jobnet.h"
#include "record/ev_result.h"
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

/* The job table's counters into net (true), and the table gone in any
 * case: read before the job leaves the running registry, so a prolog's
 * sweep never takes it first. A table that is gone or unreadable leaves
 * the interfaces' counters, said in the log. */
static bool read_tcp_table(const struct ev_jobenv *je, struct ev_net_counts *net)
{
	struct ev_err err = { "" };
	struct ev_nft *nft = NULL;
	bool ok = false;

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
				  .publish_only = cfg->record_writer == EV_WRITER_SLURMCTLD,
				  .seal = cfg->node_comment == EV_NODE_COMMENT_SEALED };
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

/* The job's other nodes, looked up again where this node's cache learned
 * them long ago (state/ev_peer_cache.h): after the result is out, so the
 * next job's start finds them fresh and asks nobody. */
static void refresh_peers(const struct ev_config *cfg, const struct ev_jobenv *je)
{
	struct ev_peer_cache cache;
	struct ev_err err = { "" };
	size_t n = 0;

	if (cfg->tcp_source_interface || je->job_nodes < 2)
		return;
	if (ev_peer_cache_load(cfg->state_dir, &cache, &err) != 0)
		ev_binlog(LOG_WARNING, "job %u on %s: peer cache: %s", je->jobid, je->node, err.msg);
	if (ev_job_peers_refresh(je, &cache, (int64_t)time(NULL), EV_JOBPEERS_RESOLVE_MS, &n, &err) != 0 ||
	    ev_peer_cache_store(cfg->state_dir, &cache, &err) != 0)
		ev_binlog(LOG_WARNING, "job %u on %s: peer cache: %s", je->jobid, je->node, err.msg);
	ev_peer_cache_free(&cache);
}

int main(int argc, char **argv)
{
	/* When the epilog began: a result published long after is late. */
	uint64_t started = ev_mono_ms();
	struct ev_jobenv je;
	struct ev_job_facts job;
	bool net_ok = false;
	struct ev_config cfg;
	struct ev_job_end st;
	struct ev_net_counts net;
	struct ev_msgs msgs = { 0 };
	struct ev_err err = { "" };

	{
		const char *ctx = getenv("SLURM_SCRIPT_CONTEXT");

		if (ctx && strcmp(ctx, "epilog_slurmctld") == 0)
			return ev_epilog_slurmctld(argc, argv, usage);
	}
	if (!ev_binary_start(argc, argv, "efa-verify-epilog", usage, &je, &cfg))
		return 0;
	ev_jobenv_facts(&je, &job);
	/* Who ran the job, for the textfile's info series: slurmd gives the
	 * epilog these (Slurm's prolog/epilog guide); an older slurmd that
	 * gives no account or partition leaves those labels empty. */
	job.user = getenv("SLURM_JOB_USER");
	job.account = getenv("SLURM_JOB_ACCOUNT");
	job.partition = getenv("SLURM_JOB_PARTITION");
	ev_job_end_load(&cfg, &job, &st, &msgs);
	ev_binlog_msgs(&msgs);
	/* Here, not in lib/job: the table needs CAP_NET_ADMIN (ev_job_end.h). */
	if (st.read_table)
		net_ok = read_tcp_table(&je, &net);
	ev_job_end_measure(&cfg, &job, &st, net_ok ? &net : NULL, &msgs);
	ev_binlog_msgs(&msgs);
	/* Only without the prolog's answer: slurmctld may be away now. */
	if ((!st.job_nodes || !st.first[0]) && !je.no_accounting && ev_slurm_ready(&err) == 0) {
		ev_jobenv_ask_slurm(&je);
		if (!st.job_nodes)
			st.job_nodes = je.job_nodes;
		if (!st.first[0])
			snprintf(st.first, sizeof(st.first), "%s", je.first);
	}
	ev_job_end_finish(&cfg, &job, &st, &msgs);
	ev_binlog_msgs(&msgs);
	if (st.spooled && !je.no_accounting)
		deliver(&cfg, &je, &st.result, st.first, started);
	refresh_peers(&cfg, &je);
	ev_job_end_free(&st);
	ev_config_free(&cfg);
	return 0;
}
