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

#include "ev_config.h"
#include "ev_delta.h"
#include "ev_verdict.h"

#define MIB (1024ull * 1024ull)

static const char *const port_names[] = {
	"impaired_remote_conn_events", "rdma_read_bytes", "rdma_write_bytes", "retrans_pkts",
	"retrans_timeout_events", "rx_bytes", "rx_drops", "tx_bytes", "unresponsive_remote_events",
};
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
};

static int setup(void **state)
{
	struct fx *x = calloc(1, sizeof(*x));
	struct ev_err err;

	if (ev_config_defaults(&x->cfg, &err) != 0)
		return -1;
	x->a = snap(4, 1000);
	x->b = snap(4, 2000);
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
	struct ev_verdict_in in = { .delta = &x->d, .job_nodes = nodes };

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
	/* EFA at efa_idle_bytes is not idle any more. */
	x->b->tcp[0].tx_bytes = 100 * MIB;
	all_devices(x, "tx_bytes", x->cfg.verdict.efa_idle_bytes / 4);
	assert_int_equal(judge(x, 2), EV_V_OK);
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
}

static void test_degraded_error_growth(void **state)
{
	struct fx *x = *state;

	all_devices(x, "tx_bytes", 100 * MIB);
	put(x->a, 3, "rx_drops", 50);
	put(x->b, 3, "rx_drops", 1284);
	put(x->b, 1, "retrans_pkts", 7);
	assert_int_equal(judge(x, 4), EV_V_DEGRADED);
	assert_string_equal(x->v.reason, "rx_drops+1234@rdmap19s0");
	assert_int_equal(x->d.errors, 1241);
	x->cfg.verdict.max_error_events = 1241;
	assert_int_equal(judge(x, 4), EV_V_OK);
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
	assert_string_equal(x->v.reason, "tcp_counter_reset");
}

static void test_absent_counters_are_not_zero_traffic_errors(void **state)
{
	struct fx *x = *state;

	/* An old driver without retrans counters: nothing to judge there. */
	for (size_t i = 0; i < 4; i++) {
		x->a->efa[i].n_port = 0;
		x->b->efa[i].n_port = 0;
	}
	assert_int_equal(judge(x, 4), EV_V_NO_TRAFFIC);
	assert_int_equal(x->d.errors, 0);
	/* An unreadable counter at one end is skipped, not a reset. */
	x->a->efa[0].n_port = NPORT;
	x->b->efa[0].n_port = NPORT;
	put(x->b, 0, "tx_bytes", 100 * MIB);
	x->a->efa[0].port[7].ok = false;
	assert_int_equal(judge(x, 4), EV_V_NO_TRAFFIC);
	assert_int_equal(x->d.n_reset, 0);
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
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_ok_when_every_nic_carries_traffic, setup, teardown),
		cmocka_unit_test_setup_teardown(test_tcp_fallback, setup, teardown),
		cmocka_unit_test_setup_teardown(test_tcp_fallback_thresholds, setup, teardown),
		cmocka_unit_test_setup_teardown(test_no_traffic, setup, teardown),
		cmocka_unit_test_setup_teardown(test_degraded_idle_nics, setup, teardown),
		cmocka_unit_test_setup_teardown(test_degraded_error_growth, setup, teardown),
		cmocka_unit_test_setup_teardown(test_reset_is_unknown_not_huge, setup, teardown),
		cmocka_unit_test_setup_teardown(test_missing_device_and_tcp_reset, setup, teardown),
		cmocka_unit_test_setup_teardown(test_absent_counters_are_not_zero_traffic_errors, setup, teardown),
		cmocka_unit_test_setup_teardown(test_not_ready_and_no_start, setup, teardown),
		cmocka_unit_test(test_names_and_order),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
