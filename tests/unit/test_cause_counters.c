/* The counter causes: the delta's setup-error and packet growth, and the
 * causes ev_causes_from_delta names from it, on snapshots built in memory
 * (port counters and device-level counters set by name). */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "judge/ev_cause_counters.h"
#include "node/ev_delta.h"

#define MAXC 32
#define NDEV 4

struct snap {
	struct ev_snapshot s;
	struct ev_dev_counters d[NDEV];
	struct ev_counter port[NDEV][MAXC], device[NDEV][MAXC];
};

/* A current driver's device: the job's port counters and the setup errors
 * at device level, every one at base. */
static void snap_init(struct snap *x, size_t ndev, uint64_t base)
{
	memset(x, 0, sizeof(*x));
	x->s.efa = x->d;
	x->s.time_ns = 1;
	for (size_t i = 0; i < ndev; i++) {
		struct ev_dev_counters *d = &x->d[x->s.n_efa++];

		snprintf(d->dev, sizeof(d->dev), "rdmap%zus0", 16 + i);
		d->port = x->port[i];
		d->device = x->device[i];
		for (size_t k = 0; ev_job_counters[k]; k++) {
			snprintf(d->port[k].name, sizeof(d->port[k].name), "%s", ev_job_counters[k]);
			d->port[k].value = base;
			d->port[k].ok = true;
			d->n_port++;
		}
		for (size_t k = 0; ev_job_device_counters[k]; k++) {
			snprintf(d->device[k].name, sizeof(d->device[k].name), "%s", ev_job_device_counters[k]);
			d->device[k].value = base;
			d->device[k].ok = true;
			d->n_device++;
		}
	}
}

static struct ev_counter *counter(struct snap *x, size_t dev, const char *name)
{
	struct ev_counter *c = (struct ev_counter *)ev_counter_find(&x->d[dev], name);

	if (!c)
		fail_msg("%s not in device %zu", name, dev);
	return c;
}

static void add(struct snap *x, size_t dev, const char *name, uint64_t v)
{
	counter(x, dev, name)->value += v;
}

/* Removes a device-level counter (an older prolog's start file). */
static void drop_device_level(struct snap *x)
{
	for (size_t i = 0; i < x->s.n_efa; i++)
		x->d[i].n_device = 0;
}

struct fx {
	struct snap a, b;
	struct ev_node_delta d;
	struct ev_causes cs;
	struct ev_err err;
};

static int setup(void **state)
{
	struct fx *x = calloc(1, sizeof(*x));

	snap_init(&x->a, NDEV, 100);
	snap_init(&x->b, NDEV, 100);
	x->b.s.time_ns = 2;
	*state = x;
	return 0;
}

static int teardown(void **state)
{
	struct fx *x = *state;

	ev_delta_free(&x->d);
	free(x);
	return 0;
}

static void judge(struct fx *x)
{
	ev_delta_free(&x->d);
	assert_int_equal(ev_delta_compute(&x->a.s, &x->b.s, &x->d, &x->err), 0);
	memset(&x->cs, 0, sizeof(x->cs));
	ev_causes_from_delta(&x->d, &x->cs);
}

static size_t setup_index(const char *name)
{
	for (size_t i = 0; ev_job_device_counters[i]; i++)
		if (strcmp(ev_job_device_counters[i], name) == 0)
			return i;
	fail_msg("%s is not a setup counter", name);
	return 0;
}

/* Sorted (ev_counter_find bsearches them), the kernel's names, the memlock
 * one among them. */
static void test_device_counters_list(void **state)
{
	size_t n = 0;

	(void)state;
	for (; ev_job_device_counters[n]; n++)
		if (n)
			assert_true(strcmp(ev_job_device_counters[n - 1], ev_job_device_counters[n]) < 0);
	assert_int_equal(n, EV_N_JOB_DEVICE_COUNTERS);
	setup_index("reg_mr_err");
	setup_index("create_qp_err");
}

/* Each setup counter summed over the devices; the top one is the largest
 * sum, not the largest on one device. */
static void test_setup_growth_summed_over_devices(void **state)
{
	struct fx *x = *state;

	add(&x->b, 0, "reg_mr_err", 8);
	add(&x->b, 1, "create_qp_err", 5);
	add(&x->b, 2, "create_qp_err", 5);
	judge(x);
	assert_int_equal(x->d.setup_growth[setup_index("reg_mr_err")], 8);
	assert_int_equal(x->d.setup_growth[setup_index("create_qp_err")], 10);
	assert_int_equal(x->d.setup_errors, 18);
	assert_string_equal(x->d.top_setup_error, "create_qp_err");
	assert_int_equal(x->d.top_setup_error_delta, 10);
	assert_true(x->d.devs[0].setup_known[setup_index("reg_mr_err")]);
	assert_int_equal(x->d.devs[0].setup_growth[setup_index("reg_mr_err")], 8);
	assert_int_equal(x->cs.n, 1);
	assert_int_equal(x->cs.c[0].name, EV_CAUSE_SETUP_ERRORS);
	assert_int_equal(x->cs.c[0].certainty, EV_CAUSE_CERTAIN);
	assert_string_equal(x->cs.c[0].detail, "create_qp_err:10");
}

/* What low memlock leaves: reg_mr_err grows, the job's traffic hardly
 * starts. */
static void test_setup_errors_named(void **state)
{
	struct fx *x = *state;
	const struct ev_cause *c;

	for (size_t i = 0; i < NDEV; i++)
		add(&x->b, i, "reg_mr_err", 3);
	judge(x);
	c = ev_causes_find(&x->cs, EV_CAUSE_SETUP_ERRORS);
	assert_non_null(c);
	assert_string_equal(c->detail, "reg_mr_err:12");
	assert_null(ev_causes_find(&x->cs, EV_CAUSE_UNREACHABLE_PEERS));
}

static void test_packet_growth_summed(void **state)
{
	struct fx *x = *state;

	for (size_t i = 0; i < NDEV; i++) {
		add(&x->b, i, "tx_pkts", 1000 * (i + 1));
		add(&x->b, i, "rx_pkts", i);
		add(&x->b, i, "unresponsive_remote_events", 1);
		add(&x->b, i, "retrans_timeout_events", 2);
	}
	judge(x);
	assert_int_equal(x->d.n_pkts, NDEV);
	assert_int_equal(x->d.tx_pkts, 10000);
	assert_int_equal(x->d.rx_pkts, 6);
	assert_int_equal(x->d.unresponsive_remote_events, 4);
	assert_int_equal(x->d.retrans_timeout_events, 8);
	assert_int_equal(x->d.devs[3].tx_pkts, 4000);
	assert_true(x->d.devs[3].pkts_known);
}

/* Sent much, heard almost nothing, and the device gave up on a peer. */
static void test_unreachable_full_pattern(void **state)
{
	struct fx *x = *state;
	const struct ev_cause *c;

	add(&x->b, 0, "tx_pkts", 9000);
	add(&x->b, 0, "rx_pkts", 3);
	add(&x->b, 1, "unresponsive_remote_events", 4);
	judge(x);
	c = ev_causes_find(&x->cs, EV_CAUSE_UNREACHABLE_PEERS);
	assert_non_null(c);
	assert_int_equal(c->certainty, EV_CAUSE_LIKELY);
	assert_string_equal(c->detail, "tx_pkts:9000/rx_pkts:3/unresponsive_remote_events:4");
	assert_null(ev_causes_find(&x->cs, EV_CAUSE_SETUP_ERRORS));
	/* Both events: the larger first, the other's name shortened to fit. */
	add(&x->b, 2, "retrans_timeout_events", 7);
	judge(x);
	assert_string_equal(ev_causes_find(&x->cs, EV_CAUSE_UNREACHABLE_PEERS)->detail,
			    "tx_pkts:9000/rx_pkts:3/retrans_timeout_events:7/unresponsive:4");
	/* With the setup errors too, both named, the certain one first. */
	add(&x->b, 3, "alloc_ucontext_err", 1);
	judge(x);
	assert_int_equal(x->cs.n, 2);
	assert_int_equal(x->cs.c[0].name, EV_CAUSE_SETUP_ERRORS);
	assert_string_equal(x->cs.c[0].detail, "alloc_ucontext_err:1");
}

/* Each part of the pattern missing in turn: not named. */
static void test_unreachable_needs_every_part(void **state)
{
	struct fx *x = *state;
	struct {
		uint64_t tx, rx, unresp, retrans;
		bool named;
	} cases[] = {
		{ 1000, 9, 1, 0, true },       /* the edge: 9 < 1% of 1000 */
		{ 1000, 0, 0, 1, true },
		{ 999, 0, 5, 5, false },       /* too little sent to tell */
		{ 1000, 10, 5, 5, false },     /* 1% answered: the peers are there */
		{ 100000, 50000, 5, 5, false },
		{ 100000, 0, 0, 0, false },    /* sends only (a broadcast root): no peer given up on */
		{ 0, 0, 5, 5, false },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		snap_init(&x->b, NDEV, 100);
		x->b.s.time_ns = 2;
		add(&x->b, 0, "tx_pkts", cases[i].tx);
		add(&x->b, 0, "rx_pkts", cases[i].rx);
		add(&x->b, 0, "unresponsive_remote_events", cases[i].unresp);
		add(&x->b, 0, "retrans_timeout_events", cases[i].retrans);
		judge(x);
		if ((ev_causes_find(&x->cs, EV_CAUSE_UNREACHABLE_PEERS) != NULL) != cases[i].named)
			fail_msg("case %zu: unreachable_peers %s", i, cases[i].named ? "not named" : "named");
	}
}

/* A job that ran well: traffic both ways, nothing failed. */
static void test_healthy_names_nothing(void **state)
{
	struct fx *x = *state;

	for (size_t i = 0; i < NDEV; i++) {
		add(&x->b, i, "tx_pkts", 5000000);
		add(&x->b, i, "rx_pkts", 4900000);
		add(&x->b, i, "tx_bytes", 1ull << 34);
		add(&x->b, i, "rx_bytes", 1ull << 34);
		add(&x->b, i, "retrans_timeout_events", 1);
	}
	judge(x);
	assert_int_equal(x->d.setup_errors, 0);
	assert_string_equal(x->d.top_setup_error, "");
	assert_int_equal(x->cs.n, 0);
}

/* Counters lower at the end (a driver reload) name nothing: not a huge
 * wrapped growth, not a send with no answer. */
static void test_reset_names_nothing(void **state)
{
	struct fx *x = *state;

	/* The traffic back to zero, while the counters a cause is made of
	 * came out past their start values: the device is reset, and what it
	 * shows is not taken. */
	snap_init(&x->b, NDEV, 0);
	x->b.s.time_ns = 2;
	for (size_t i = 0; i < NDEV; i++) {
		add(&x->b, i, "tx_pkts", 9100);
		add(&x->b, i, "rx_pkts", 100);
		add(&x->b, i, "unresponsive_remote_events", 104);
		add(&x->b, i, "reg_mr_err", 107);
	}
	judge(x);
	assert_int_equal(x->d.n_reset, NDEV);
	assert_int_equal(x->d.setup_errors, 0);
	assert_int_equal(x->d.n_pkts, 0);
	assert_int_equal(x->cs.n, 0);

	/* Only rx_pkts and one setup counter went back (traffic forward): that
	 * device's packets and that counter are left out, nothing is named. */
	snap_init(&x->b, NDEV, 100);
	x->b.s.time_ns = 2;
	add(&x->b, 0, "tx_pkts", 9000);
	counter(&x->b, 0, "rx_pkts")->value = 1;
	add(&x->b, 0, "unresponsive_remote_events", 4);
	counter(&x->b, 1, "reg_mr_err")->value = 2;
	judge(x);
	assert_int_equal(x->d.n_reset, 0);
	assert_false(x->d.devs[0].pkts_known);
	assert_int_equal(x->d.n_pkts, NDEV - 1);
	assert_int_equal(x->d.tx_pkts, 0);
	assert_false(x->d.devs[1].setup_known[setup_index("reg_mr_err")]);
	assert_int_equal(x->d.setup_errors, 0);
	assert_int_equal(x->cs.n, 0);
}

/* A start file from before the setup counters: they are at one end only,
 * so not compared; the packet pattern still is. */
static void test_counter_at_one_end_not_compared(void **state)
{
	struct fx *x = *state;

	drop_device_level(&x->a);
	for (size_t i = 0; i < NDEV; i++)
		add(&x->b, i, "reg_mr_err", 50);
	add(&x->b, 0, "tx_pkts", 9000);
	add(&x->b, 0, "retrans_timeout_events", 1);
	judge(x);
	assert_false(x->d.devs[0].setup_known[setup_index("reg_mr_err")]);
	assert_int_equal(x->d.setup_errors, 0);
	assert_null(ev_causes_find(&x->cs, EV_CAUSE_SETUP_ERRORS));
	assert_string_equal(ev_causes_find(&x->cs, EV_CAUSE_UNREACHABLE_PEERS)->detail,
			    "tx_pkts:9000/rx_pkts:0/retrans_timeout_events:1");
}

/* Counts too long for the detail: the packets whole, an event's name
 * shortened before it is left out, never a number cut. */
static void test_unreachable_detail_fits(void **state)
{
	struct fx *x = *state;
	const struct ev_cause *c;

	add(&x->b, 0, "tx_pkts", 123456789012ull);
	add(&x->b, 0, "rx_pkts", 12345678);
	add(&x->b, 0, "unresponsive_remote_events", 123456);
	add(&x->b, 0, "retrans_timeout_events", 99);
	judge(x);
	c = ev_causes_find(&x->cs, EV_CAUSE_UNREACHABLE_PEERS);
	assert_non_null(c);
	assert_true(strlen(c->detail) < EV_CAUSE_DETAIL_MAX);
	assert_string_equal(c->detail, "tx_pkts:123456789012/rx_pkts:12345678/unresponsive:123456");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_device_counters_list),
		cmocka_unit_test_setup_teardown(test_setup_growth_summed_over_devices, setup, teardown),
		cmocka_unit_test_setup_teardown(test_setup_errors_named, setup, teardown),
		cmocka_unit_test_setup_teardown(test_packet_growth_summed, setup, teardown),
		cmocka_unit_test_setup_teardown(test_unreachable_full_pattern, setup, teardown),
		cmocka_unit_test_setup_teardown(test_unreachable_needs_every_part, setup, teardown),
		cmocka_unit_test_setup_teardown(test_healthy_names_nothing, setup, teardown),
		cmocka_unit_test_setup_teardown(test_reset_names_nothing, setup, teardown),
		cmocka_unit_test_setup_teardown(test_counter_at_one_end_not_compared, setup, teardown),
		cmocka_unit_test_setup_teardown(test_unreachable_detail_fits, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
