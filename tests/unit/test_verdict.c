/* Deltas and verdicts on hand-built snapshots: every verdict, its reason,
 * and the thresholds at their boundaries. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config/ev_config.h"
#include "node/ev_delta.h"
#include "util/ev_names.h"
#include "judge/ev_verdict.h"

#define MIB (1024ull * 1024ull)

#define GIB (1024ull * MIB)

/* Sorted, as a snapshot keeps them. */
static const char *const port_names[] = {
	"impaired_remote_conn_events", "rdma_read_bytes", "rdma_read_wr_err", "rdma_write_bytes",
	"rdma_write_wr_err", "retrans_pkts", "retrans_timeout_events", "rx_bytes", "rx_drops", "tx_bytes",
	"unresponsive_remote_events",
};
enum { P_RX_BYTES = 7, P_RX_DROPS = 8, P_TX_BYTES = 9 };
#define NPORT (sizeof(port_names) / sizeof(port_names[0]))

/* A snapshot of n devices, every counter 0, one TCP interface. */
static struct ev_snapshot *snap(size_t n, uint64_t t)
{
	struct ev_snapshot *s = calloc(1, sizeof(*s));

	s->time_ns = t;
	s->n_efa = n;
	s->efa = calloc(n, sizeof(*s->efa));
	for (size_t i = 0; i < n; i++) {
		snprintf(s->efa[i].dev, sizeof(s->efa[i].dev), "rdmap%zus0", 16 + i);
		s->efa[i].n_port = NPORT;
		s->efa[i].port = calloc(NPORT, sizeof(struct ev_counter));
		for (size_t k = 0; k < NPORT; k++) {
			snprintf(s->efa[i].port[k].name, EV_COUNTER_NAME_MAX, "%s", port_names[k]);
			s->efa[i].port[k].ok = true;
		}
	}
	s->n_tcp = 1;
	s->tcp = calloc(1, sizeof(*s->tcp));
	snprintf(s->tcp[0].ifname, EV_IFNAME_MAX, "ens5");
	s->tcp[0].ok = true;
	return s;
}

static void put(struct ev_snapshot *s, size_t dev, const char *name, uint64_t v)
{
	for (size_t k = 0; k < s->efa[dev].n_port; k++)
		if (strcmp(s->efa[dev].port[k].name, name) == 0) {
			s->efa[dev].port[k].value = v;
			return;
		}
	fail_msg("no counter %s", name);
}

static void drop(struct ev_snapshot *s)
{
	ev_snapshot_free(s);
	free(s);
}

struct fx {
	struct ev_config cfg;
	struct ev_snapshot *a, *b;
	struct ev_node_delta d;
	struct ev_node_verdict v;
	/* The prolog's judgement judge() passes on: whole node by default,
	 * so the idle-NIC rule applies unless a test says otherwise. */
	enum ev_whole whole;
	const char *whole_why;
};

static int setup(void **state)
{
	struct fx *x = calloc(1, sizeof(*x));
	struct ev_err err;

	if (ev_config_defaults(&x->cfg, &err) != 0)
		return -1;
	x->a = snap(4, 1000);
	x->b = snap(4, 2000);
	x->whole = EV_WHOLE_YES;
	x->whole_why = "exclusive";
	*state = x;
	return 0;
}

static int teardown(void **state)
{
	struct fx *x = *state;

	ev_delta_free(&x->d);
	drop(x->a);
	drop(x->b);
	ev_config_free(&x->cfg);
	free(x);
	return 0;
}

static enum ev_verdict judge(struct fx *x, unsigned nodes)
{
	struct ev_err err;
	struct ev_verdict_in in = { .delta = &x->d, .job_nodes = nodes, .whole_node = x->whole,
				    .whole_node_why = x->whole_why };

	ev_delta_free(&x->d);
	assert_int_equal(ev_delta_compute(x->a, x->b, &x->d, &err), 0);
	ev_verdict_decide(&x->cfg.verdict, &in, &x->v);
	return x->v.verdict;
}

static void all_devices(struct fx *x, const char *name, uint64_t v)
{
	for (size_t i = 0; i < 4; i++)
		put(x->b, i, name, v);
}

static void test_ok_when_every_nic_carries_traffic(void **state)
{
	struct fx *x = *state;

	all_devices(x, "tx_bytes", 100 * MIB);
	all_devices(x, "rx_bytes", 100 * MIB);
	x->b->tcp[0].tx_bytes = 5 * MIB;
	assert_int_equal(judge(x, 4), EV_V_OK);
	assert_true(x->d.efa_bytes == 800 * MIB);
	assert_true(x->d.tcp_bytes == 5 * MIB);
	assert_int_equal(x->d.duration_ns, 1000);
	assert_string_equal(x->v.reason, "");
}

static void test_tcp_fallback(void **state)
{
	struct fx *x = *state;

	x->b->tcp[0].tx_bytes = 500 * MIB;
	x->b->tcp[0].rx_bytes = 500 * MIB;
	put(x->b, 0, "tx_bytes", 1000);   /* keep-alives, under efa_idle_bytes */
	assert_int_equal(judge(x, 2), EV_V_TCP_FALLBACK);
	assert_string_equal(x->v.reason, "tcp_bytes:1048576000/efa_bytes:1000");
	/* The same traffic on one node is not inter-node traffic. */
	assert_int_equal(judge(x, 1), EV_V_NO_TRAFFIC);
	assert_string_equal(x->v.reason, "single_node");
	/* Node count not known: judged as a multi-node job. */
	assert_int_equal(judge(x, 0), EV_V_TCP_FALLBACK);
}

static void test_tcp_fallback_thresholds(void **state)
{
	struct fx *x = *state;

	/* Exactly min_bytes of TCP counts; a byte less does not. */
	x->b->tcp[0].tx_bytes = x->cfg.verdict.min_bytes;
	assert_int_equal(judge(x, 2), EV_V_TCP_FALLBACK);
	x->b->tcp[0].tx_bytes = x->cfg.verdict.min_bytes - 1;
	assert_int_equal(judge(x, 2), EV_V_NO_TRAFFIC);
	assert_string_equal(x->v.reason, "below_min_bytes");
	/* EFA at efa_idle_bytes is not idle any more: 100 MiB of TCP beside
	 * it is a partial fallback, said with TCP's share. */
	x->b->tcp[0].tx_bytes = 100 * MIB;
	all_devices(x, "tx_bytes", x->cfg.verdict.efa_idle_bytes / 4);
	assert_int_equal(judge(x, 2), EV_V_TCP_FALLBACK);
	assert_string_equal(x->v.reason, "tcp_share:0.99/tcp_bytes:104857600/efa_bytes:1048576");
	/* EFA carrying most of it: ok. */
	all_devices(x, "tx_bytes", 100 * MIB);
	assert_int_equal(judge(x, 2), EV_V_OK);
}

/* TCP's share is judged whatever EFA moved (an older rule took 2 MiB of EFA beside
 * 500 GB of inter-node TCP for ok). */
static void test_partial_fallback_share(void **state)
{
	struct fx *x = *state;

	all_devices(x, "tx_bytes", 512 * 1024);          /* 2 MiB of EFA */
	x->b->tcp[0].tx_bytes = 250 * GIB;
	x->b->tcp[0].rx_bytes = 250 * GIB;
	assert_int_equal(judge(x, 8), EV_V_TCP_FALLBACK);
	/* Cut, not rounded: 0.99999 is said as 0.99. */
	assert_string_equal(x->v.reason, "tcp_share:0.99/tcp_bytes:536870912000/efa_bytes:2097152");
	/* Node count not known: judged as a multi-node job. */
	assert_int_equal(judge(x, 0), EV_V_TCP_FALLBACK);
	/* A single-node job is never tcp_fallback: its TCP is not inter-node. */
	assert_int_equal(judge(x, 1), EV_V_OK);
	/* A share of 0.93 says 0.93. */
	all_devices(x, "tx_bytes", 7 * GIB / 4);         /* 7 GiB of EFA */
	x->b->tcp[0].tx_bytes = 93 * GIB;
	x->b->tcp[0].rx_bytes = 0;
	assert_int_equal(judge(x, 2), EV_V_TCP_FALLBACK);
	assert_string_equal(x->v.reason, "tcp_share:0.93/tcp_bytes:99857989632/efa_bytes:7516192768");
	/* At the fraction exactly it is not above it. */
	x->b->tcp[0].tx_bytes = 7 * GIB;
	assert_int_equal(judge(x, 2), EV_V_OK);
	x->b->tcp[0].tx_bytes = 7 * GIB + 1;
	assert_int_equal(judge(x, 2), EV_V_TCP_FALLBACK);
	assert_string_equal(x->v.reason, "tcp_share:0.50/tcp_bytes:7516192769/efa_bytes:7516192768");
	/* A share above the fraction, TCP under min_bytes: no fallback. */
	x->cfg.verdict.min_bytes = 8 * GIB;
	assert_int_equal(judge(x, 2), EV_V_NO_TRAFFIC);
	assert_string_equal(x->v.reason, "below_min_bytes");
}

static void test_no_traffic(void **state)
{
	struct fx *x = *state;

	put(x->b, 0, "tx_bytes", 10);
	x->b->tcp[0].tx_bytes = 10;
	assert_int_equal(judge(x, 4), EV_V_NO_TRAFFIC);
	assert_string_equal(x->v.reason, "below_min_bytes");
}

static void test_degraded_idle_nics(void **state)
{
	struct fx *x = *state;

	put(x->b, 2, "tx_bytes", 800 * MIB);
	assert_int_equal(judge(x, 4), EV_V_DEGRADED);
	assert_string_equal(x->v.reason, "idle_nics:3/4");
	/* A NIC at the idle fraction of the busiest is not idle. */
	all_devices(x, "tx_bytes", (uint64_t)(800 * MIB * x->cfg.verdict.idle_nic_fraction));
	put(x->b, 2, "tx_bytes", 800 * MIB);
	assert_int_equal(judge(x, 4), EV_V_OK);
	assert_string_equal(x->v.reason, "");
}

/* Idle NICs count against the NICs the job could use: all of them only
 * for a multi-node job that had the whole node. Otherwise ok, and the
 * reason says what was seen and why it was not held against the node. */
static void test_idle_nics_only_on_whole_nodes(void **state)
{
	struct fx *x = *state;

	put(x->b, 2, "tx_bytes", 800 * MIB);
	x->whole_why = "all_cpus:96/96";
	assert_int_equal(judge(x, 2), EV_V_DEGRADED);
	assert_string_equal(x->v.reason, "idle_nics:3/4");
	x->whole = EV_WHOLE_NO;
	x->whole_why = "cpus:8/96";
	assert_int_equal(judge(x, 2), EV_V_OK);
	assert_string_equal(x->v.reason, "idle_nics:3/4:not_judged:part_of_node:cpus:8/96");
	/* Not known whether the job had the whole node: not degraded, said so. */
	x->whole = EV_WHOLE_UNKNOWN;
	x->whole_why = "job_cpus_unknown";
	assert_int_equal(judge(x, 2), EV_V_OK);
	assert_string_equal(x->v.reason, "idle_nics:3/4:not_judged:whole_node_unknown:job_cpus_unknown");
	x->whole_why = NULL;   /* no start file: no why */
	assert_int_equal(judge(x, 2), EV_V_OK);
	assert_string_equal(x->v.reason, "idle_nics:3/4:not_judged:whole_node_unknown");
	/* A single-node job, even an exclusive one, and an unknown node count. */
	x->whole = EV_WHOLE_YES;
	x->whole_why = "exclusive";
	assert_int_equal(judge(x, 1), EV_V_OK);
	assert_string_equal(x->v.reason, "idle_nics:3/4:not_judged:single_node");
	assert_int_equal(judge(x, 0), EV_V_OK);
	assert_string_equal(x->v.reason, "idle_nics:3/4:not_judged:job_nodes_unknown");
	/* Error rates are judged whatever the node's share. */
	x->whole = EV_WHOLE_NO;
	put(x->b, 2, "unresponsive_remote_events", 2);
	assert_int_equal(judge(x, 2), EV_V_DEGRADED);
	assert_string_equal(x->v.reason, "unresponsive_remote_events:2/GiB@rdmap18s0");
}

/* Error growth per GiB of the device's own traffic (under an older rule one
 * retransmit anywhere made a node degraded). */
static void test_error_rates(void **state)
{
	struct fx *x = *state;

	/* 64 GiB over the 4 NICs, retransmits at 50/GiB: ok. */
	all_devices(x, "tx_bytes", 8 * GIB);
	all_devices(x, "rx_bytes", 8 * GIB);
	all_devices(x, "retrans_pkts", 800);
	all_devices(x, "rx_drops", 16);
	assert_int_equal(judge(x, 4), EV_V_OK);
	assert_string_equal(x->v.reason, "");
	assert_true(x->d.devs[0].error_growth[1] == 800);
	assert_true(x->d.devs[0].error_known[1]);
	/* At the rate exactly: ok; one more event: degraded, named with its rate. */
	put(x->b, 1, "retrans_pkts", 16000);
	assert_int_equal(judge(x, 4), EV_V_OK);
	put(x->b, 1, "retrans_pkts", 16001);
	assert_int_equal(judge(x, 4), EV_V_DEGRADED);
	assert_string_equal(x->v.reason, "retrans_pkts:1000/GiB@rdmap17s0");
	/* A storm on one NIC of many is not averaged away. */
	put(x->b, 1, "retrans_pkts", 320000);
	assert_int_equal(judge(x, 4), EV_V_DEGRADED);
	assert_string_equal(x->v.reason, "retrans_pkts:20000/GiB@rdmap17s0");
	/* The counter furthest past its own rate is named: retransmits at
	 * 20x, path timeouts at 50x. */
	put(x->b, 3, "retrans_timeout_events", 8000);
	assert_int_equal(judge(x, 4), EV_V_DEGRADED);
	assert_string_equal(x->v.reason, "retrans_timeout_events:500/GiB@rdmap19s0");
	/* Each family has its own key. */
	x->cfg.verdict.max_errors_per_gib[EV_ERRF_RETRANS_TIMEOUT] = 1000;
	x->cfg.verdict.max_errors_per_gib[EV_ERRF_RETRANS_PKTS] = 30000;
	assert_int_equal(judge(x, 4), EV_V_OK);
	/* rdma_wr_err: each of the two counters, named as the driver names it. */
	put(x->b, 0, "rdma_write_wr_err", 17);
	assert_int_equal(judge(x, 4), EV_V_DEGRADED);
	assert_string_equal(x->v.reason, "rdma_write_wr_err:1.06/GiB@rdmap16s0");
	put(x->b, 0, "rdma_write_wr_err", 0);
	put(x->b, 2, "rdma_read_wr_err", 33);
	assert_int_equal(judge(x, 4), EV_V_DEGRADED);
	assert_string_equal(x->v.reason, "rdma_read_wr_err:2.06/GiB@rdmap18s0");
	/* A rate of 0: any event trips. */
	put(x->b, 2, "rdma_read_wr_err", 0);
	x->cfg.verdict.max_errors_per_gib[EV_ERRF_IMPAIRED_REMOTE] = 0;
	put(x->b, 3, "impaired_remote_conn_events", 1);
	assert_int_equal(judge(x, 4), EV_V_DEGRADED);
	assert_string_equal(x->v.reason, "impaired_remote_conn_events:0.0625/GiB@rdmap19s0");
}

/* A device that moved less than a GiB is judged as if it had moved one:
 * the first event of a small job is no storm. */
static void test_error_rate_floor(void **state)
{
	struct fx *x = *state;

	all_devices(x, "tx_bytes", 2 * MIB);
	put(x->b, 0, "unresponsive_remote_events", 1);
	put(x->b, 1, "retrans_pkts", 999);
	assert_int_equal(judge(x, 2), EV_V_OK);
	put(x->a, 3, "rx_drops", 50);
	put(x->b, 3, "rx_drops", 1284);
	assert_int_equal(judge(x, 2), EV_V_DEGRADED);
	assert_string_equal(x->v.reason, "rx_drops:1234/GiB@rdmap19s0");
	assert_int_equal(x->d.errors, 1234 + 999 + 1);
	/* A device without traffic: the same floor. */
	put(x->b, 3, "tx_bytes", 0);
	assert_int_equal(judge(x, 2), EV_V_DEGRADED);
	assert_string_equal(x->v.reason, "rx_drops:1234/GiB@rdmap19s0");
	/* Errors are judged before idle NICs: the storm is the cause. */
	assert_true(x->whole == EV_WHOLE_YES);
}

static void test_reset_is_unknown_not_huge(void **state)
{
	struct fx *x = *state;

	put(x->a, 1, "tx_bytes", 5000);
	put(x->b, 1, "tx_bytes", 10);
	all_devices(x, "rx_bytes", 100 * MIB);
	assert_int_equal(judge(x, 4), EV_V_UNKNOWN);
	assert_string_equal(x->v.reason, "counter_reset:tx_bytes@rdmap17s0");
	assert_int_equal(x->d.n_reset, 1);
	/* The reset device is not added in. */
	assert_true(x->d.efa_bytes == 300 * MIB);
}

static void test_missing_device_and_tcp_reset(void **state)
{
	struct fx *x = *state;
	struct ev_snapshot *three = snap(3, 2000);

	drop(x->b);
	x->b = three;
	assert_int_equal(judge(x, 4), EV_V_UNKNOWN);
	assert_string_equal(x->v.reason, "device_missing@rdmap19s0");
	assert_int_equal(x->d.n_missing, 1);
	/* A device that appears mid-job is missing from the start. */
	drop(x->a);
	x->a = snap(2, 1000);
	assert_int_equal(judge(x, 4), EV_V_UNKNOWN);
	assert_string_equal(x->v.reason, "device_missing@rdmap18s0");

	drop(x->a);
	x->a = snap(3, 1000);
	x->a->tcp[0].rx_bytes = 99;
	assert_int_equal(judge(x, 4), EV_V_UNKNOWN);
	assert_string_equal(x->v.reason, "tcp_counter_reset@ens5");
	/* An interface gone at the end, EFA idle: fallback not ruled out. */
	x->a->tcp[0].rx_bytes = 0;
	snprintf(x->b->tcp[0].ifname, EV_IFNAME_MAX, "ens6");
	assert_int_equal(judge(x, 4), EV_V_UNKNOWN);
	assert_string_equal(x->v.reason, "tcp_counter_unreadable@ens5");
	assert_true(x->d.tcp_incomplete);
	/* ... but with EFA busy the TCP gap does not matter. */
	drop(x->a);
	x->a = snap(3, 1000);
	for (size_t i = 0; i < 3; i++)
		put(x->b, i, "tx_bytes", 100 * MIB);
	assert_int_equal(judge(x, 4), EV_V_OK);
}

static void test_absent_counters_are_not_zero_traffic_errors(void **state)
{
	struct fx *x = *state;

	/* A driver without any byte counter: traffic unknown, not zero. */
	for (size_t i = 0; i < 4; i++) {
		x->a->efa[i].n_port = 0;
		x->b->efa[i].n_port = 0;
	}
	x->b->tcp[0].tx_bytes = 500 * MIB;
	assert_int_equal(judge(x, 4), EV_V_UNKNOWN);
	assert_string_equal(x->v.reason, "no_byte_counters@rdmap16s0");
	assert_int_equal(x->d.n_no_counters, 4);
	assert_int_equal(x->d.devs[0].state, EV_DEV_NO_COUNTERS);
	x->b->tcp[0].tx_bytes = 0;

	/* Only the basic counters (an old driver without RDMA or retrans
	 * counters): judged on those, no errors counted. */
	for (size_t i = 0; i < 4; i++) {
		x->a->efa[i].n_port = NPORT;
		x->b->efa[i].n_port = NPORT;
	}
	for (size_t i = 0; i < 4; i++) {
		static const size_t keep[] = { P_RX_BYTES, P_TX_BYTES };

		for (int e = 0; e < 2; e++) {
			struct ev_snapshot *s = e ? x->b : x->a;
			struct ev_counter c0 = s->efa[i].port[keep[0]], c1 = s->efa[i].port[keep[1]];

			s->efa[i].port[0] = c0;
			s->efa[i].port[1] = c1;
			s->efa[i].n_port = 2;
		}
		x->b->efa[i].port[1].value = 100 * MIB;   /* tx_bytes */
	}
	assert_int_equal(judge(x, 4), EV_V_OK);
	assert_int_equal(x->d.errors, 0);
	assert_int_equal(x->d.devs[0].n_error_counters, 0);
	assert_true(x->d.efa_bytes == 400 * MIB);
}

static void test_unreadable_counter_is_unknown(void **state)
{
	struct fx *x = *state;

	all_devices(x, "tx_bytes", 100 * MIB);
	/* Unreadable at one end: that device's traffic is not known. */
	x->a->efa[2].port[P_TX_BYTES].ok = false;
	assert_int_equal(judge(x, 4), EV_V_UNKNOWN);
	assert_string_equal(x->v.reason, "counter_unreadable:tx_bytes@rdmap18s0");
	assert_int_equal(x->d.n_unreadable, 1);
	assert_int_equal(x->d.n_reset, 0);
	/* An unreadable error counter only makes errors a lower bound. */
	x->a->efa[2].port[P_TX_BYTES].ok = true;
	x->b->efa[1].port[P_RX_DROPS].ok = false;
	assert_int_equal(judge(x, 4), EV_V_OK);
	assert_int_equal(x->d.devs[1].n_error_counters, EV_N_ERROR_COUNTERS - 1);
	assert_false(x->d.devs[1].error_known[0]);
	/* A counter present at one end only (driver upgraded mid-job). */
	x->b->efa[1].port[P_RX_DROPS].ok = true;
	x->b->efa[3].n_port = P_TX_BYTES;  /* drops tx_bytes and unresponsive_remote_events */
	assert_int_equal(judge(x, 4), EV_V_UNKNOWN);
	assert_string_equal(x->v.reason, "counter_unreadable:tx_bytes@rdmap19s0");
}

static void test_rdma_bytes_not_double_counted(void **state)
{
	struct fx *x = *state;

	/* tx/rx include the RDMA traffic: the device moved tx+rx. */
	all_devices(x, "tx_bytes", 100 * MIB);
	all_devices(x, "rdma_write_bytes", 80 * MIB);
	assert_int_equal(judge(x, 4), EV_V_OK);
	assert_true(x->d.devs[0].bytes == 100 * MIB);
	assert_true(x->d.efa_bytes == 400 * MIB);
	assert_true(x->d.rdma_write_bytes == 320 * MIB);
	/* RDMA counted where tx/rx are not: never hidden. */
	all_devices(x, "tx_bytes", 0);
	all_devices(x, "rdma_read_bytes", 30 * MIB);
	assert_int_equal(judge(x, 4), EV_V_OK);
	assert_true(x->d.devs[3].bytes == 110 * MIB);
	assert_true(x->d.efa_bytes == 440 * MIB);
	assert_true(x->d.efa_tx_bytes == 0);
}

static void test_fallback_fraction_boundary(void **state)
{
	struct fx *x = *state;

	/* TCP share exactly at tcp_fallback_fraction is not above it. */
	x->cfg.verdict.tcp_fallback_fraction = 0.5;
	x->cfg.verdict.efa_idle_bytes = 4 * MIB;
	x->b->tcp[0].tx_bytes = 2 * MIB;
	put(x->b, 0, "tx_bytes", 2 * MIB);
	assert_int_equal(judge(x, 2), EV_V_NO_TRAFFIC);
	assert_string_equal(x->v.reason, "efa_idle");
	x->b->tcp[0].tx_bytes = 2 * MIB + 1;
	assert_int_equal(judge(x, 2), EV_V_TCP_FALLBACK);
	/* EFA one byte under efa_idle_bytes is idle, a full fallback; at it,
	 * a partial one, said as TCP's share. */
	x->b->tcp[0].tx_bytes = 100 * MIB;
	put(x->b, 0, "tx_bytes", 4 * MIB - 1);
	assert_int_equal(judge(x, 2), EV_V_TCP_FALLBACK);
	assert_string_equal(x->v.reason, "tcp_bytes:104857600/efa_bytes:4194303");
	put(x->b, 0, "tx_bytes", 4 * MIB);
	assert_int_equal(judge(x, 2), EV_V_TCP_FALLBACK);
	assert_string_equal(x->v.reason, "tcp_share:0.96/tcp_bytes:104857600/efa_bytes:4194304");
}

static void test_context_inputs(void **state)
{
	struct fx *x = *state;
	struct ev_err err;
	struct ev_verdict_in in = { .job_nodes = 2, .shared = true };

	all_devices(x, "tx_bytes", 100 * MIB);
	assert_int_equal(ev_delta_compute(x->a, x->b, &x->d, &err), 0);
	in.delta = &x->d;
	ev_verdict_decide(&x->cfg.verdict, &in, &x->v);
	assert_int_equal(x->v.verdict, EV_V_OK);
	assert_true(x->v.shared);
	/* The caller knows better (the node rebooted): unknown, said why. */
	in.unknown_reason = "node rebooted=yes";
	ev_verdict_decide(&x->cfg.verdict, &in, &x->v);
	assert_int_equal(x->v.verdict, EV_V_UNKNOWN);
	assert_string_equal(x->v.reason, "node_rebooted_yes");
	assert_true(x->v.shared);
	/* not_ready wins over everything, and gets a default reason. */
	in.not_ready = true;
	in.shared = false;
	ev_verdict_decide(&x->cfg.verdict, &in, &x->v);
	assert_int_equal(x->v.verdict, EV_V_NOT_READY);
	assert_string_equal(x->v.reason, "not_ready");
	assert_false(x->v.shared);
	/* A long hostile reason is cut and cleaned, never overflows. */
	{
		char longr[300];

		memset(longr, ' ', sizeof(longr) - 1);
		longr[sizeof(longr) - 1] = '\0';
		longr[0] = '\n';
		in.not_ready_reason = longr;
		ev_verdict_decide(&x->cfg.verdict, &in, &x->v);
		assert_int_equal(strlen(x->v.reason), EV_REASON_MAX - 1);
		assert_int_equal(strspn(x->v.reason, "_"), EV_REASON_MAX - 1);
	}
}

static void test_not_ready_and_no_start(void **state)
{
	struct fx *x = *state;
	struct ev_verdict_in in = { .not_ready = true, .not_ready_reason = "ports: rdmap1 DOWN", .job_nodes = 2 };

	ev_verdict_decide(&x->cfg.verdict, &in, &x->v);
	assert_int_equal(x->v.verdict, EV_V_NOT_READY);
	/* Reasons are tokens: spaces never get into key=value text. */
	assert_string_equal(x->v.reason, "ports:_rdmap1_DOWN");
	in.not_ready = false;
	in.delta = NULL;
	ev_verdict_decide(&x->cfg.verdict, &in, &x->v);
	assert_int_equal(x->v.verdict, EV_V_UNKNOWN);
	assert_string_equal(x->v.reason, "no_start_snapshot");
}

static void test_names_and_order(void **state)
{
	(void)state;
	assert_true(EV_V_NOT_READY > EV_V_TCP_FALLBACK);
	assert_true(EV_V_TCP_FALLBACK > EV_V_DEGRADED);
	assert_true(EV_V_DEGRADED > EV_V_UNKNOWN);
	assert_true(EV_V_UNKNOWN > EV_V_OK);
	assert_true(EV_V_OK > EV_V_NO_TRAFFIC);
	for (int v = EV_V_NO_TRAFFIC; v <= EV_V_NOT_READY; v++)
		assert_int_equal(ev_verdict_from_name(ev_verdict_name(v)), v);
	assert_int_equal(ev_verdict_from_name("bogus"), -1);
	assert_int_equal(ev_verdict_from_name(NULL), -1);
	assert_int_equal(ev_verdict_worse(EV_V_OK, EV_V_NO_TRAFFIC), EV_V_OK);
	assert_int_equal(ev_verdict_worse(EV_V_UNKNOWN, EV_V_TCP_FALLBACK), EV_V_TCP_FALLBACK);
	assert_string_equal(ev_dev_state_name(EV_DEV_NO_COUNTERS), "no_counters");
}

/* The lookups every enum's names go through: a value outside the table, or
 * a hole in it, is "unknown", never an index past the end. */
static void test_name_tables(void **state)
{
	static const char *const names[] = { [0] = "zero", [1] = "one", [3] = "three" };

	(void)state;
	assert_int_equal(EV_NAMES_N(names), 4);
	assert_string_equal(ev_name_of(names, EV_NAMES_N(names), 0), "zero");
	assert_string_equal(ev_name_of(names, EV_NAMES_N(names), 3), "three");
	assert_string_equal(ev_name_of(names, EV_NAMES_N(names), 2), "unknown");
	assert_string_equal(ev_name_of(names, EV_NAMES_N(names), 4), "unknown");
	assert_string_equal(ev_name_of(names, EV_NAMES_N(names), -1), "unknown");
	assert_int_equal(ev_name_find(names, EV_NAMES_N(names), "zero"), 0);
	assert_int_equal(ev_name_find(names, EV_NAMES_N(names), "three"), 3);
	assert_int_equal(ev_name_find(names, EV_NAMES_N(names), "two"), -1);
	assert_int_equal(ev_name_find(names, EV_NAMES_N(names), "thre"), -1);
	assert_int_equal(ev_name_find(names, EV_NAMES_N(names), ""), -1);
	assert_int_equal(ev_name_find(names, EV_NAMES_N(names), NULL), -1);
	/* The first n only. */
	assert_int_equal(ev_name_find(names, 3, "three"), -1);
	assert_string_equal(ev_name_of(names, 3, 3), "unknown");
	assert_string_equal(ev_verdict_name((enum ev_verdict)99), "unknown");
}

/* What a reason may hold: the so-far reader accepts what the verdict makes. */
static void test_reason_chars(void **state)
{
	char s[] = "idle_nics:1/4@n1 a=b\t;\"x\"+.-Z9";

	(void)state;
	for (const char *p = "azAZ09_.:/+-@"; *p; p++)
		assert_true(ev_reason_char(*p));
	for (const char *p = " =\t\n;\"'\\,{}$`"; *p; p++)
		assert_false(ev_reason_char(*p));
	assert_false(ev_reason_char('\0'));
	assert_false(ev_reason_char((char)0xc3));
	ev_reason_clean(s);
	assert_string_equal(s, "idle_nics:1/4@n1_a_b___x_+.-Z9");
}

/* A reason's name: what a Prometheus label may hold of it, the kind of
 * reason, never its numbers or places, bounded. */
static void test_reason_names(void **state)
{
	static const char *const cases[][2] = {
		{ "tcp_bytes:8000000000/efa_bytes:0", "tcp_bytes" },
		{ "tcp_share:0.93/tcp_bytes:1/efa_bytes:2", "tcp_share" },
		{ "retrans_pkts:4321/GiB@rdmap16s0", "retrans_pkts" },
		{ "rx_drops+7@rdmap16s0", "rx_drops" },
		{ "idle_nics:31/32:not_judged:part_of_node", "idle_nics" },
		{ "counter_reset:tx_bytes@rdmap16s0", "counter_reset" },
		{ "device_missing@rdmap17s0", "device_missing" },
		{ "ports:_rdmap17s0_port_1_is_DOWN", "ports" },
		{ "no_start_snapshot", "no_start_snapshot" },
		{ "", "" },
		{ "Ports:_x", "" },
		{ "@rdmap16s0", "" },
	};
	char out[EV_REASON_NAME_MAX], small[4];
	char long_reason[EV_REASON_MAX];

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		assert_int_equal(ev_reason_name(cases[i][0], out, sizeof(out)), strlen(cases[i][1]));
		assert_string_equal(out, cases[i][1]);
	}
	/* One long word: the name is cut, never longer than a label allows. */
	memset(long_reason, 'a', sizeof(long_reason) - 1);
	long_reason[sizeof(long_reason) - 1] = '\0';
	assert_int_equal(ev_reason_name(long_reason, out, sizeof(out)), EV_REASON_NAME_MAX - 1);
	assert_int_equal(ev_reason_name("tcp_bytes:1", small, sizeof(small)), 3);
	assert_string_equal(small, "tcp");
	assert_int_equal(ev_reason_name(NULL, out, sizeof(out)), 0);
	assert_string_equal(out, "");
	assert_int_equal(ev_reason_name("x", out, 0), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_ok_when_every_nic_carries_traffic, setup, teardown),
		cmocka_unit_test_setup_teardown(test_tcp_fallback, setup, teardown),
		cmocka_unit_test_setup_teardown(test_tcp_fallback_thresholds, setup, teardown),
		cmocka_unit_test_setup_teardown(test_no_traffic, setup, teardown),
		cmocka_unit_test_setup_teardown(test_degraded_idle_nics, setup, teardown),
		cmocka_unit_test_setup_teardown(test_idle_nics_only_on_whole_nodes, setup, teardown),
		cmocka_unit_test_setup_teardown(test_error_rates, setup, teardown),
		cmocka_unit_test_setup_teardown(test_error_rate_floor, setup, teardown),
		cmocka_unit_test_setup_teardown(test_partial_fallback_share, setup, teardown),
		cmocka_unit_test_setup_teardown(test_reset_is_unknown_not_huge, setup, teardown),
		cmocka_unit_test_setup_teardown(test_missing_device_and_tcp_reset, setup, teardown),
		cmocka_unit_test_setup_teardown(test_absent_counters_are_not_zero_traffic_errors, setup, teardown),
		cmocka_unit_test_setup_teardown(test_unreadable_counter_is_unknown, setup, teardown),
		cmocka_unit_test_setup_teardown(test_rdma_bytes_not_double_counted, setup, teardown),
		cmocka_unit_test_setup_teardown(test_fallback_fraction_boundary, setup, teardown),
		cmocka_unit_test_setup_teardown(test_context_inputs, setup, teardown),
		cmocka_unit_test_setup_teardown(test_not_ready_and_no_start, setup, teardown),
		cmocka_unit_test(test_names_and_order),
		cmocka_unit_test(test_name_tables),
		cmocka_unit_test(test_reason_chars),
		cmocka_unit_test(test_reason_names),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
