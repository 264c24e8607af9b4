/* What the epilog's textfile holds for every kind of job, for
 * tests/integration/prom_lint.sh:
 *
 *   prom_probe DIR
 *
 * writes DIR/efa_verify_job_<jobid>_<node>.prom through ev_prom_write for
 * jobs of every verdict, with the reasons ev_verdict_decide gives them,
 * every cause at each certainty, each place TCP is counted, and users,
 * accounts and partitions slurmd could pass on (quotes, backslashes, a
 * newline, UTF-8, a long one, none). Exits 0 when every file is written. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config/ev_config.h"
#include "judge/ev_cause.h"
#include "judge/ev_verdict.h"
#include "node/ev_delta.h"
#include "record/ev_joblog.h"
#include "record/ev_prom.h"

#define GIB (1024ull * 1024 * 1024)
#define NDEV 4

struct job {
	const char *what;
	struct ev_verdict_in in;
	struct ev_node_delta d;
	struct ev_dev_delta devs[NDEV];
	bool no_delta;
	const char *user, *account, *partition;
};

/* Four devices that moved each bytes; the node's TCP as given. */
static void traffic(struct job *j, uint64_t each, uint64_t tcp, enum ev_tcp_source src)
{
	for (int i = 0; i < NDEV; i++) {
		snprintf(j->devs[i].dev, sizeof(j->devs[i].dev), "rdmap%ds0", 16 + i);
		j->devs[i].bytes = j->devs[i].tx_bytes = each;
	}
	j->d.devs = j->devs;
	j->d.n = NDEV;
	j->d.efa_bytes = each * NDEV;
	j->d.tcp_bytes = tcp;
	j->d.tcp_source = src;
	j->d.other_tcp_bytes = src == EV_TCP_SRC_NFTABLES ? 12345 : 0;
	j->d.duration_ns = 61234000000ull;
	j->in.job_nodes = 2;
	j->in.whole_node = EV_WHOLE_YES;
}

int main(int argc, char **argv)
{
	static struct job jobs[16];
	static char long_name[300];
	struct ev_config cfg;
	struct ev_err err = { "" };
	size_t n = 0, cause = 0;
	int rc = 0;

	if (argc != 2) {
		fputs("usage: prom_probe DIR\n", stderr);
		return 2;
	}
	if (ev_config_defaults(&cfg, &err) != 0) {
		fprintf(stderr, "prom_probe: %s\n", err.msg);
		return 1;
	}
	memset(long_name, 'u', sizeof(long_name) - 1);

	jobs[n].what = "ok";
	traffic(&jobs[n++], 4 * GIB, 0, EV_TCP_SRC_NFTABLES);
	jobs[n].what = "ok, idle NICs not judged (part of the node)";
	traffic(&jobs[n], 4 * GIB, 0, EV_TCP_SRC_INTERFACE);
	jobs[n].devs[3].bytes = 0;
	jobs[n++].in.whole_node = EV_WHOLE_NO;
	jobs[n].what = "tcp_fallback, EFA idle";
	traffic(&jobs[n++], 0, 8000000000ull, EV_TCP_SRC_INTERFACE);
	jobs[n].what = "tcp_fallback, a share";
	traffic(&jobs[n++], 64 * 1024 * 1024, 8000000000ull, EV_TCP_SRC_NFTABLES);
	jobs[n].what = "degraded, an error storm";
	traffic(&jobs[n], 4 * GIB, 0, EV_TCP_SRC_INTERFACE);
	jobs[n].devs[0].error_known[0] = true;
	jobs[n++].devs[0].error_growth[0] = 50000;
	jobs[n].what = "degraded, idle NICs";
	traffic(&jobs[n], 4 * GIB, 0, EV_TCP_SRC_NFTABLES);
	jobs[n++].devs[2].bytes = 0;
	jobs[n].what = "unknown, a counter reset";
	traffic(&jobs[n], 4 * GIB, 0, EV_TCP_SRC_INTERFACE);
	jobs[n].devs[1].state = EV_DEV_RESET;
	snprintf(jobs[n++].devs[1].bad_counter, sizeof(jobs[0].devs[1].bad_counter), "tx_bytes");
	jobs[n].what = "unknown, no start snapshot";
	jobs[n++].no_delta = true;
	jobs[n].what = "unknown, the node rebooted";
	jobs[n].no_delta = true;
	jobs[n++].in.unknown_reason = "node_rebooted";
	jobs[n].what = "not_ready";
	jobs[n].no_delta = true;
	jobs[n].in.not_ready = true;
	jobs[n++].in.not_ready_reason = "ports: rdmap17s0 port 1 is DOWN (fix: check the EFA device)";
	jobs[n].what = "not_ready, placement";
	traffic(&jobs[n], 0, 0, EV_TCP_SRC_NONE);
	jobs[n].in.not_ready = true;
	jobs[n++].in.not_ready_reason = "placement: az:use1-az1/use1-az2";
	jobs[n].what = "no_traffic";
	traffic(&jobs[n++], 0, 0, EV_TCP_SRC_INTERFACE);
	jobs[n].what = "no_traffic, one node";
	traffic(&jobs[n], 0, 8000000000ull, EV_TCP_SRC_INTERFACE);
	jobs[n++].in.job_nodes = 1;

	for (size_t i = 0; i < n && !rc; i++) {
		struct job *j = &jobs[i];
		struct ev_node_verdict v;
		struct ev_causes cs = { .n = 0 };
		char node[16];
		/* Each job its own kind of user: slurmd passes on what the
		 * user database holds. */
		static const char *const users[] = { "alice", "a\"b\\c\nd", "jos\xc3\xa9", NULL, "bob" };
		struct ev_joblog_entry e;

		j->in.delta = j->no_delta ? NULL : &j->d;
		ev_verdict_decide(&cfg.verdict, &j->in, &v);
		/* Every cause, at both certainties, over the jobs not ok. */
		if (v.verdict != EV_V_OK && v.verdict != EV_V_NO_TRAFFIC)
			for (int k = 0; k < 3; k++, cause++)
				ev_causes_add(&cs, (enum ev_cause_name)(cause % EV_CAUSE__COUNT),
					      (cause / EV_CAUSE__COUNT) % 2 ? EV_CAUSE_LIKELY : EV_CAUSE_CERTAIN,
					      "tx_pkts:9000/rx_pkts:3");
		snprintf(node, sizeof(node), "n%zu", i % 3 + 1);
		e = (struct ev_joblog_entry){
			.time = 1795600000 + i, .jobid = (uint32_t)(100 + i), .node = node,
			.job_nodes = j->in.job_nodes, .verdict = &v, .delta = j->in.delta, .causes = &cs,
			.user = i == 5 ? long_name : users[i % 5],
			.account = i % 4 == 3 ? NULL : i % 2 ? "physics" : "",
			.partition = i % 3 ? "gpu-p5" : "a\tb",
		};
		printf("%u %s: %s %s\n", e.jobid, j->what, ev_verdict_name(v.verdict), v.reason);
		if ((rc = ev_prom_write(argv[1], &e, &err)) != 0)
			fprintf(stderr, "prom_probe: %s\n", err.msg);
	}
	if (!rc && cause < 2 * EV_CAUSE__COUNT) {
		fprintf(stderr, "prom_probe: only %zu causes named, not every cause at each certainty\n", cause);
		rc = 1;
	}
	ev_config_free(&cfg);
	return rc ? 1 : 0;
}
