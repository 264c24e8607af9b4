/* efa-verify-prolog: run by slurmd as root on every node of a job at job
 * start (Prolog= with PrologFlags=Alloc, or a prolog.d). Keeps the job's
 * start snapshot for the epilog, makes the job's nftables table that counts
 * its inter-node traffic, marks the job as running on the node (so an
 * epilog can tell another job shared it), removes tables of jobs no longer
 * running, and delivers results an earlier epilog had to spool. It always
 * exits 0: a failing prolog would drain the node, and a missing snapshot
 * only makes the verdict "unknown". */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <syslog.h>
#include <time.h>

#include "ev_ctld.h"
#include "config/ev_config.h"
#include "node/ev_snapshot.h"
#include "ev_deliver.h"
#include "job/ev_job_begin.h"
#include "ev_jobenv.h"
#include "jobnet/ev_jobnet.h"
#include "ev_jobpeers.h"
#include "state/ev_peer_cache.h"
#include "state/ev_running.h"
#include "util/ev_time.h"

static const char usage[] =
	"Usage: efa-verify-prolog [-c FILE] [--no-accounting]\n"
	"\n"
	"Slurm Prolog: snapshot this node's EFA and TCP counters for the job in\n"
	"SLURM_JOB_ID, and whether the job has the whole node, for\n"
	"efa-verify-epilog; make the nftables table that counts the job's\n"
	"traffic to its other nodes (tcp_source: auto), or say in the log why\n"
	"the TCP interfaces are counted instead; remove tables of jobs no longer\n"
	"running here; deliver results spooled by an earlier epilog (for at most\n"
	"prolog_deliver_ms, the rest left for a later epilog); a read-only\n"
	"copy of the snapshot goes to the job's user (for `efa-verify report`\n"
	"while the job runs). Reads SLURMD_NODENAME, SLURM_JOB_ID, SLURM_JOB_UID,\n"
	"SLURM_NODELIST, SLURM_JOB_NUM_NODES, SLURM_JOB_CPUS_PER_NODE,\n"
	"SLURM_JOB_EXCLUSIVE, SLURM_JOB_OVERSUBSCRIBE, SPANK_EFA_VERIFY_MODE and\n"
	"SPANK_EFA_VERIFY_PLUGSTACK_MODE as slurmd sets them. Always exits 0.\n"
	"\n"
	"  -c, --config FILE   config (default: $EFA_VERIFY_CONFIG, then " EV_DEFAULT_CONFIG ")\n"
	"      --no-accounting never contact slurmctld or slurmdbd\n"
	"  -h, --help          this help\n"
	"  -V, --version       version\n";

static int still_running(uint32_t jobid, bool *yes, void *state_dir)
{
	return ev_running_check(state_dir, jobid, yes, NULL);
}

/* Markers a prolog asks slurmctld about, at most: one small RPC each. */
#define STALE_CHECKS_MAX 4

static int job_holds_node(uint32_t jobid, bool *held, void *node)
{
	return ev_ctld_job_on_node(jobid, node, held, NULL);
}

/* Other jobs' running markers whose job slurmctld says no longer holds
 * this node (an epilog killed before it removed its own) are removed, and
 * leave js's start mark: else this job, and every later one, would count
 * as shared until the next boot, and the dead job's nftables table would
 * outlive it (the sweep below takes it now). Asked only when another
 * marker exists, a few a run (ev_running_drop_stale), never without
 * accounting. */
static void drop_stale_markers(const struct ev_config *cfg, const struct ev_jobenv *je, struct ev_job_start *js)
{
	struct ev_err err = { "" };
	size_t dropped = 0;

	if (je->no_accounting || !js->run.n_others)
		return;
	if (ev_running_drop_stale(cfg->state_dir, &js->run, job_holds_node, (void *)je->node, STALE_CHECKS_MAX,
				  &dropped, &err) != 0)
		ev_binlog(LOG_INFO, "job %u on %s: other jobs' running markers not checked: %s", je->jobid, je->node,
			  err.msg);
	if (dropped)
		ev_binlog(LOG_WARNING,
			  "job %u on %s: removed %zu running marker(s) of jobs slurmctld says no longer run here "
			  "(their epilog did not finish)",
			  je->jobid, je->node, dropped);
}

/* The job's TCP: its own table where one can be made (snap says so), else
 * the interfaces' counters the snapshot already holds, and the log says
 * why. Then the tables that crashed prologs and epilogs left behind. The
 * socket stays open for the caller (*nft; NULL without netfilter). */
static void count_tcp(const struct ev_config *cfg, const struct ev_jobenv *je, struct ev_snapshot *snap,
		      struct ev_nft **nft)
{
	struct ev_jobnet_peers peers = { 0 }, local = { 0 };
	struct ev_peer_cache cache;
	struct ev_err err = { "" };
	size_t removed = 0;
	int rc;

	*nft = NULL;
	if (cfg->tcp_source_interface)
		return;
	/* A one-node job has no peers: the cache is not read for it. */
	if (je->job_nodes == 1)
		memset(&cache, 0, sizeof(cache));
	else if (ev_peer_cache_load(cfg->state_dir, &cache, &err) != 0)
		ev_binlog(LOG_WARNING, "job %u on %s: peer cache: %s", je->jobid, je->node, err.msg);
	err.msg[0] = '\0';
	rc = ev_job_peer_addrs(je, !je->no_accounting, &cache, (int64_t)time(NULL), &peers, &err);
	/* What was learned, even where some name was not: the next job start
	 * asks only for what is still missing. */
	{
		struct ev_err serr = { "" };

		if (ev_peer_cache_store(cfg->state_dir, &cache, &serr) != 0)
			ev_binlog(LOG_WARNING, "job %u on %s: peer cache: %s", je->jobid, je->node, serr.msg);
		ev_peer_cache_free(&cache);
	}
	if (!rc &&
	    !(rc = ev_jobnet_local_addrs(&local, &err)))
		rc = ev_jobnet_peers_check(&peers, &local, &err);
	/* Opened in any case, for the sweep below. */
	if (ev_jobnet_open(nft, rc ? NULL : &err) != 0 && !rc)
		rc = -EPROTONOSUPPORT;
	if (!rc)
		rc = ev_jobnet_start(*nft, je->jobid, je->node, &peers, &err);
	ev_jobnet_peers_free(&peers);
	ev_jobnet_peers_free(&local);
	if (rc) {
		ev_binlog(LOG_WARNING, "job %u on %s: TCP counted on interfaces (tcp_source=interface): %s",
			  je->jobid, je->node, err.msg);
	} else {
		snap->tcp_source = EV_TCP_SRC_NFTABLES;
		memset(&snap->net, 0, sizeof(snap->net));
	}
	/* Without CAP_NET_ADMIN the sweep would fail the same way. */
	if (!*nft || rc == -EPERM)
		return;
	if (ev_jobnet_sweep(*nft, je->node, still_running, (void *)cfg->state_dir, &removed, &err) != 0) {
		/* Said once: where nftables does not work, the fallback said why. */
		if (!rc)
			ev_binlog(LOG_WARNING, "job %u on %s: stale nftables tables: %s", je->jobid, je->node,
				  err.msg);
	} else if (removed) {
		ev_binlog(LOG_INFO, "job %u on %s: removed %zu nftables table(s) of jobs no longer running",
			  je->jobid, je->node, removed);
	}
}

int main(int argc, char **argv)
{
	struct ev_jobenv je;
	struct ev_job_facts job;
	struct ev_config cfg;
	struct ev_job_start js;
	struct ev_msgs msgs = { 0 };
	struct ev_nft *nft = NULL;
	struct ev_err err = { "" };
	int rc;

	if (!ev_binary_start(argc, argv, "efa-verify-prolog", usage, &je, &cfg))
		return 0;
	/* libslurm is initialised only when needed: its config parse and
	 * plugin loading cost more CPU than the snapshot (bench/run). */
	if (!je.no_accounting &&
	    (!je.job_nodes || !je.first[0] || (!je.nodelist[0] && je.job_nodes != 1 && !cfg.tcp_source_interface)) &&
	    ev_slurm_ready(&err) == 0)
		ev_jobenv_ask_slurm(&je);
	ev_jobenv_facts(&je, &job);
	rc = ev_job_begin_take(&cfg, &job, &js, &msgs);
	ev_binlog_msgs(&msgs);
	if (rc == 0) {
		/* Here, not in lib/job: the table needs the peers slurmctld
		 * names and CAP_NET_ADMIN (ev_job_begin.h). */
		drop_stale_markers(&cfg, &je, &js);
		count_tcp(&cfg, &je, &js.snap, &nft);
		rc = ev_job_begin_keep(&cfg, &job, &js, &msgs);
		ev_binlog_msgs(&msgs);
		/* No epilog will know of the table. */
		if (rc != 0 && js.snap.tcp_source == EV_TCP_SRC_NFTABLES)
			ev_jobnet_remove(nft, je.jobid, je.node, NULL);
		ev_nft_close(&nft);
	}
	if (!je.no_accounting) {
		/* The job waits for this: bounded (prolog_deliver_ms), the
		 * rest waits for an epilog or `flush`. */
		struct ev_deliver_ctx c = { .state_dir = cfg.state_dir, .node = je.node,
					    .deadline_ms = ev_mono_ms() + (uint64_t)cfg.prolog_deliver_ms,
					    .publish_only = cfg.record_writer == EV_WRITER_SLURMCTLD,
					    .seal = cfg.node_comment == EV_NODE_COMMENT_SEALED };
		size_t done = 0, left = 0;

		if (ev_deliver_spool(&c, &done, &left, &err) != 0)
			ev_binlog(LOG_WARNING, "job %u on %s: %zu spooled result(s) not delivered: %s", je.jobid,
				  je.node, left, err.msg);
		else if (done)
			ev_binlog(LOG_INFO, "job %u on %s: delivered %zu spooled result(s)", je.jobid, je.node,
				  done);
		ev_deliver_done(&c);
	}
	ev_job_start_free(&js);
	ev_config_free(&cfg);
	return 0;
}
