/* Rates between two snapshots (what efa-verify top shows), on snapshots
 * built in memory: every case is a pair of counter values and a time. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "node/ev_rates.h"

#define MAXC 32

/* A snapshot of up to 4 devices and 2 interfaces, counters set by name. */
struct snap {
	struct ev_snapshot s;
	struct ev_dev_counters d[4];
	struct ev_counter c[4][MAXC];
	struct ev_tcp_counters t[2];
};

static int cmp_counter(const void *a, const void *b)
{
	return strcmp(((const struct ev_counter *)a)->name, ((const struct ev_counter *)b)->name);
}

static void snap_init(struct snap *x)
{
	memset(x, 0, sizeof(*x));
	x->s.efa = x->d;
	x->s.tcp = x->t;
}

static struct ev_dev_counters *dev(struct snap *x, const char *name)
{
	size_t i = x->s.n_efa++;

	snprintf(x->d[i].dev, sizeof(x->d[i].dev), "%s", name);
	x->d[i].port = x->c[i];
	return &x->d[i];
}

/* Set (or add) a counter; ok=false makes it unreadable. Kept sorted, as
 * ev_snapshot_take leaves them. */
static void set(struct ev_dev_counters *d, const char *name, uint64_t v, bool ok)
{
	for (size_t i = 0; i < d->n_port; i++)
		if (strcmp(d->port[i].name, name) == 0) {
			d->port[i].value = v;
			d->port[i].ok = ok;
			return;
		}
	assert_true(d->n_port < MAXC);
	snprintf(d->port[d->n_port].name, sizeof(d->port[0].name), "%s", name);
	d->port[d->n_port].value = v;
	d->port[d->n_port].ok = ok;
	d->n_port++;
	qsort(d->port, d->n_port, sizeof(*d->port), cmp_counter);
}

/* Every counter a current driver has, at base. */
static struct ev_dev_counters *full_dev(struct snap *x, const char *name, uint64_t base)
{
	static const char *const names[] = {
		"tx_bytes", "rx_bytes", "tx_pkts", "rx_pkts", "rdma_read_bytes", "rdma_write_bytes",
		"rx_drops", "retrans_pkts", "retrans_timeout_events", "unresponsive_remote_events",
		"impaired_remote_conn_events",
	};
	struct ev_dev_counters *d = dev(x, name);

	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		set(d, names[i], base, true);
	return d;
}

static void iface(struct snap *x, const char *name, uint64_t tx, uint64_t rx, bool ok)
{
	struct ev_tcp_counters *t = &x->t[x->s.n_tcp++];

	snprintf(t->ifname, sizeof(t->ifname), "%s", name);
	t->tx_bytes = tx;
	t->rx_bytes = rx;
	t->ok = ok;
}

static const struct ev_dev_rate *find(const struct ev_rates *r, const char *name)
{
	for (size_t i = 0; i < r->n; i++)
		if (strcmp(r->devs[i].dev, name) == 0)
			return &r->devs[i];
	fail_msg("device %s not in the rates", name);
	return NULL;
}

static double err_rate(const struct ev_dev_rate *d, const char *name)
{
	for (size_t i = 0; i < d->n_errors; i++)
		if (strcmp(d->errors[i].name, name) == 0)
			return d->errors[i].per_s;
	fail_msg("error counter %s not in %s", name, d->dev);
	return 0;
}

static bool has_err(const struct ev_dev_rate *d, const char *name)
{
	for (size_t i = 0; i < d->n_errors; i++)
		if (strcmp(d->errors[i].name, name) == 0)
			return true;
	return false;
}

static void near_(double a, double b, int line)
{
	if (!(fabs(a - b) <= 1e-9 * fmax(1, fabs(b))))
		fail_msg("line %d: got %.17g, want %.17g", line, a, b);
}
#define near(a, b) near_((a), (b), __LINE__)

static void test_exact_rates(void **state)
{
	struct snap a, b;
	struct ev_rates r;
	struct ev_err err = { "" };
	const struct ev_dev_rate *d;
	struct ev_dev_counters *x;

	(void)state;
	snap_init(&a);
	snap_init(&b);
	full_dev(&a, "rdmap16s0", 1000);
	x = full_dev(&b, "rdmap16s0", 1000);
	/* Over 2 s: 2.5 GB tx = 10 Gb/s, 1.25 GB rx = 5 Gb/s. */
	set(x, "tx_bytes", 1000 + 2500000000ull, true);
	set(x, "rx_bytes", 1000 + 1250000000ull, true);
	set(x, "tx_pkts", 1000 + 600000, true);
	set(x, "rx_pkts", 1000 + 300000, true);
	set(x, "rdma_read_bytes", 1000 + 250000000, true);
	set(x, "rdma_write_bytes", 1000 + 125000000, true);
	set(x, "rx_drops", 1000 + 10, true);
	set(x, "retrans_pkts", 1000 + 4, true);
	iface(&a, "ens5", 0, 0, true);
	iface(&b, "ens5", 250000000, 0, true);   /* 1 Gb/s */

	assert_int_equal(ev_rates_compute(&a.s, &b.s, 2.0, NULL, NULL, &r, &err), 0);
	assert_int_equal(r.n, 1);
	d = find(&r, "rdmap16s0");
	assert_int_equal(d->status, EV_RATE_OK);
	near(r.interval_s, 2.0);
	near(d->tx_gbps, 10.0);
	near(d->rx_gbps, 5.0);
	near(d->tx_pps, 300000);
	near(d->rx_pps, 150000);
	near(d->rdma_read_gbps, 1.0);
	near(d->rdma_write_gbps, 0.5);
	near(d->gbps, 15.0);
	near(err_rate(d, "rx_drops"), 5);
	near(err_rate(d, "retrans_pkts"), 2);
	near(err_rate(d, "unresponsive_remote_events"), 0);
	near(d->errors_per_s, 7);
	assert_int_equal(d->n_errors, 5);
	assert_int_equal(r.n_if, 1);
	near(r.ifs[0].tx_gbps, 1.0);
	near(r.ifs[0].rx_gbps, 0);
	near(r.efa_gbps, 15.0);
	near(r.efa_tx_gbps, 10.0);
	near(r.tcp_gbps, 1.0);
	near(r.efa_share, 15.0 / 16.0);
	assert_int_equal(r.n_not_ok, 0);
	ev_rates_free(&r);
}

/* RDMA counted beside tx/rx would be counted twice; an RDMA-only device
 * must not look idle. */
static void test_traffic_is_max_of_port_and_rdma(void **state)
{
	struct snap a, b;
	struct ev_rates r;
	struct ev_dev_counters *d;

	(void)state;
	snap_init(&a);
	snap_init(&b);
	full_dev(&a, "rdmap16s0", 0);
	d = full_dev(&b, "rdmap16s0", 0);
	set(d, "rdma_write_bytes", 125000000, true);   /* 1 Gb/s of RDMA, no tx/rx */
	assert_int_equal(ev_rates_compute(&a.s, &b.s, 1.0, NULL, NULL, &r, NULL), 0);
	near(r.devs[0].gbps, 1.0);
	near(r.efa_gbps, 1.0);
	near(r.efa_share, 1.0);
	ev_rates_free(&r);
}

static void test_nothing_moved_share_unknown(void **state)
{
	struct snap a, b;
	struct ev_rates r;

	(void)state;
	snap_init(&a);
	snap_init(&b);
	full_dev(&a, "rdmap16s0", 5);
	full_dev(&b, "rdmap16s0", 5);
	assert_int_equal(ev_rates_compute(&a.s, &b.s, 1.0, NULL, NULL, &r, NULL), 0);
	assert_int_equal(r.devs[0].status, EV_RATE_OK);
	near(r.devs[0].tx_gbps, 0);
	assert_true(isnan(r.efa_share));
	ev_rates_free(&r);
}

static void test_reset_is_never_negative(void **state)
{
	struct snap a, b;
	struct ev_rates r;
	const struct ev_dev_rate *d;

	(void)state;
	snap_init(&a);
	snap_init(&b);
	full_dev(&a, "rdmap16s0", 1000000);
	full_dev(&a, "rdmap17s0", 1000000);
	full_dev(&b, "rdmap16s0", 0);          /* driver reloaded: everything from 0 */
	set(full_dev(&b, "rdmap17s0", 1000000), "tx_bytes", 1000000 + 125000000, true);
	assert_int_equal(ev_rates_compute(&a.s, &b.s, 1.0, NULL, NULL, &r, NULL), 0);
	d = find(&r, "rdmap16s0");
	assert_int_equal(d->status, EV_RATE_RESET);
	assert_non_null(strstr("tx_bytes rx_bytes", d->bad_counter));
	assert_true(isnan(d->tx_gbps) && isnan(d->rx_gbps) && isnan(d->gbps));
	assert_true(isnan(d->rdma_read_gbps) && isnan(d->tx_pps));
	assert_int_equal(d->n_errors, 0);
	/* The totals are the other device's, and say one was left out. */
	near(r.efa_gbps, 1.0);
	assert_int_equal(r.n_not_ok, 1);
	ev_rates_free(&r);
}

static void test_error_counter_reset_resets_device(void **state)
{
	struct snap a, b;
	struct ev_rates r;

	(void)state;
	snap_init(&a);
	snap_init(&b);
	full_dev(&a, "rdmap16s0", 100);
	set(full_dev(&b, "rdmap16s0", 200), "retrans_pkts", 3, true);
	assert_int_equal(ev_rates_compute(&a.s, &b.s, 1.0, NULL, NULL, &r, NULL), 0);
	assert_int_equal(r.devs[0].status, EV_RATE_RESET);
	assert_string_equal(r.devs[0].bad_counter, "retrans_pkts");
	ev_rates_free(&r);
}

/* A counter reset and counted past its old value between two reads would
 * otherwise be a rate of petabits. */
static void test_jump_beyond_link_is_reset(void **state)
{
	struct snap a, b;
	struct ev_rates r;
	struct ev_device_list devs;
	struct ev_device info[2];

	(void)state;
	memset(info, 0, sizeof(info));
	snprintf(info[0].name, sizeof(info[0].name), "rdmap16s0");
	snprintf(info[0].link_rate, sizeof(info[0].link_rate), "100 Gb/sec (4X EDR)");
	snprintf(info[0].port_state_name, sizeof(info[0].port_state_name), "ACTIVE");
	snprintf(info[1].name, sizeof(info[1].name), "rdmap17s0");
	snprintf(info[1].link_rate, sizeof(info[1].link_rate), "100 Gb/sec (4X EDR)");
	snprintf(info[1].port_state_name, sizeof(info[1].port_state_name), "DOWN");
	devs.devs = info;
	devs.n = 2;
	snap_init(&a);
	snap_init(&b);
	full_dev(&a, "rdmap16s0", 0);
	full_dev(&a, "rdmap17s0", 0);
	/* 100 Gb/s link, 2x slack: 25 GB in a second is the most it can be. */
	set(full_dev(&b, "rdmap16s0", 0), "tx_bytes", 25000000000ull, true);
	set(full_dev(&b, "rdmap17s0", 0), "rx_bytes", 25000000001ull, true);
	assert_int_equal(ev_rates_compute(&a.s, &b.s, 1.0, &devs, NULL, &r, NULL), 0);
	assert_int_equal(find(&r, "rdmap16s0")->status, EV_RATE_OK);
	near(find(&r, "rdmap16s0")->tx_gbps, 200.0);
	assert_int_equal(find(&r, "rdmap17s0")->status, EV_RATE_RESET);
	assert_string_equal(find(&r, "rdmap17s0")->bad_counter, "rx_bytes");
	assert_string_equal(find(&r, "rdmap16s0")->port_state, "ACTIVE");
	assert_string_equal(find(&r, "rdmap17s0")->port_state, "DOWN");
	assert_int_equal(r.n_active, 1);
	ev_rates_free(&r);

	/* Over a longer interval the same jump is plausible. */
	assert_int_equal(ev_rates_compute(&a.s, &b.s, 2.0, &devs, NULL, &r, NULL), 0);
	assert_int_equal(find(&r, "rdmap17s0")->status, EV_RATE_OK);
	ev_rates_free(&r);
}

static void test_gone_new_and_gone_again(void **state)
{
	struct snap a, b, c;
	struct ev_rates r1, r2;
	const struct ev_dev_rate *d;

	(void)state;
	snap_init(&a);
	snap_init(&b);
	snap_init(&c);
	full_dev(&a, "rdmap16s0", 0);
	full_dev(&a, "rdmap17s0", 0);
	full_dev(&b, "rdmap16s0", 0);
	full_dev(&b, "rdmap18s0", 0);   /* appeared */
	full_dev(&c, "rdmap16s0", 0);
	full_dev(&c, "rdmap18s0", 0);
	assert_int_equal(ev_rates_compute(&a.s, &b.s, 1.0, NULL, NULL, &r1, NULL), 0);
	assert_int_equal(r1.n, 3);
	/* By name, whatever order they came in. */
	assert_string_equal(r1.devs[0].dev, "rdmap16s0");
	assert_string_equal(r1.devs[1].dev, "rdmap17s0");
	assert_string_equal(r1.devs[2].dev, "rdmap18s0");
	d = find(&r1, "rdmap17s0");
	assert_int_equal(d->status, EV_RATE_GONE);
	assert_true(isnan(d->tx_gbps));
	assert_string_equal(d->port_state, "");
	d = find(&r1, "rdmap18s0");
	assert_int_equal(d->status, EV_RATE_NEW);
	assert_true(isnan(d->gbps));
	assert_int_equal(r1.n_not_ok, 2);

	/* Still absent an interval later: still shown gone; the new one counts. */
	assert_int_equal(ev_rates_compute(&b.s, &c.s, 1.0, NULL, &r1, &r2, NULL), 0);
	assert_int_equal(r2.n, 3);
	assert_int_equal(find(&r2, "rdmap17s0")->status, EV_RATE_GONE);
	assert_int_equal(find(&r2, "rdmap18s0")->status, EV_RATE_OK);
	assert_int_equal(r2.n_not_ok, 1);
	ev_rates_free(&r1);
	ev_rates_free(&r2);
}

static void test_unreadable_and_old_driver(void **state)
{
	struct snap a, b;
	struct ev_rates r;
	struct ev_dev_counters *x, *y;
	const struct ev_dev_rate *d;

	(void)state;
	snap_init(&a);
	snap_init(&b);
	/* rdmap16s0: rx_bytes unreadable now; rx_drops unreadable. */
	full_dev(&a, "rdmap16s0", 0);
	x = full_dev(&b, "rdmap16s0", 0);
	set(x, "tx_bytes", 125000000, true);
	set(x, "rx_bytes", 0, false);
	set(x, "rx_drops", 0, false);
	/* rdmap17s0: an old driver: tx/rx bytes, packets and rx_drops only. */
	x = dev(&a, "rdmap17s0");
	y = dev(&b, "rdmap17s0");
	set(x, "tx_bytes", 0, true);
	set(x, "rx_bytes", 0, true);
	set(x, "rx_drops", 0, true);
	set(y, "tx_bytes", 125000000, true);
	set(y, "rx_bytes", 125000000, true);
	set(y, "rx_drops", 2, true);
	/* rdmap18s0: no counters at all. */
	dev(&a, "rdmap18s0");
	dev(&b, "rdmap18s0");
	assert_int_equal(ev_rates_compute(&a.s, &b.s, 1.0, NULL, NULL, &r, NULL), 0);

	d = find(&r, "rdmap16s0");
	assert_int_equal(d->status, EV_RATE_UNREADABLE);
	assert_string_equal(d->bad_counter, "rx_bytes");
	near(d->tx_gbps, 1.0);
	assert_true(isnan(d->rx_gbps) && isnan(d->gbps));
	assert_true(isnan(err_rate(d, "rx_drops")));

	d = find(&r, "rdmap17s0");
	assert_int_equal(d->status, EV_RATE_OK);
	near(d->gbps, 2.0);
	assert_true(isnan(d->rdma_read_gbps) && isnan(d->tx_pps));
	assert_int_equal(d->n_errors, 1);
	assert_false(has_err(d, "retrans_pkts"));
	near(d->errors_per_s, 2);

	assert_int_equal(find(&r, "rdmap18s0")->status, EV_RATE_NO_COUNTERS);
	near(r.efa_gbps, 2.0);
	assert_int_equal(r.n_not_ok, 2);
	ev_rates_free(&r);
}

/* A counter at one end only (a file that appeared or went) is not zero. */
static void test_counter_at_one_end(void **state)
{
	struct snap a, b;
	struct ev_rates r;
	struct ev_dev_counters *x;

	(void)state;
	snap_init(&a);
	snap_init(&b);
	x = dev(&a, "rdmap16s0");
	set(x, "rx_bytes", 0, true);
	x = dev(&b, "rdmap16s0");
	set(x, "rx_bytes", 0, true);
	set(x, "tx_bytes", 5, true);
	assert_int_equal(ev_rates_compute(&a.s, &b.s, 1.0, NULL, NULL, &r, NULL), 0);
	assert_int_equal(r.devs[0].status, EV_RATE_UNREADABLE);
	assert_string_equal(r.devs[0].bad_counter, "tx_bytes");
	ev_rates_free(&r);
}

static void test_interfaces(void **state)
{
	struct snap a, b, c;
	struct ev_rates r1, r2;

	(void)state;
	snap_init(&a);
	snap_init(&b);
	snap_init(&c);
	iface(&a, "ens5", 1000, 1000, true);
	iface(&a, "ens6", 1000, 1000, true);
	iface(&b, "ens5", 500, 1000, true);    /* reset */
	iface(&b, "ens7", 0, 0, true);         /* new; ens6 gone */
	iface(&c, "ens5", 500 + 125000000, 1000, true);
	iface(&c, "ens7", 0, 0, false);        /* unreadable */
	assert_int_equal(ev_rates_compute(&a.s, &b.s, 1.0, NULL, NULL, &r1, NULL), 0);
	assert_int_equal(r1.n_if, 3);
	assert_string_equal(r1.ifs[0].ifname, "ens5");
	assert_int_equal(r1.ifs[0].status, EV_RATE_RESET);
	assert_true(isnan(r1.ifs[0].tx_gbps));
	assert_int_equal(r1.ifs[1].status, EV_RATE_GONE);
	assert_int_equal(r1.ifs[2].status, EV_RATE_NEW);
	assert_int_equal(r1.n_if_not_ok, 3);
	near(r1.tcp_gbps, 0);
	assert_int_equal(ev_rates_compute(&b.s, &c.s, 0.5, NULL, &r1, &r2, NULL), 0);
	assert_int_equal(r2.n_if, 3);
	assert_int_equal(r2.ifs[0].status, EV_RATE_OK);
	near(r2.ifs[0].tx_gbps, 2.0);
	assert_int_equal(r2.ifs[1].status, EV_RATE_GONE);
	assert_int_equal(r2.ifs[2].status, EV_RATE_UNREADABLE);
	near(r2.tcp_gbps, 2.0);
	assert_true(isnan(r2.efa_share) == false);
	near(r2.efa_share, 0);
	ev_rates_free(&r1);
	ev_rates_free(&r2);
}

static void test_bad_elapsed(void **state)
{
	struct snap a;
	struct ev_rates r;
	struct ev_err err = { "" };

	(void)state;
	snap_init(&a);
	assert_int_equal(ev_rates_compute(&a.s, &a.s, 0, NULL, NULL, &r, &err), -EINVAL);
	assert_non_null(strstr(err.msg, "elapsed"));
	assert_int_equal(ev_rates_compute(&a.s, &a.s, -1, NULL, NULL, &r, NULL), -EINVAL);
	assert_int_equal(ev_rates_compute(&a.s, &a.s, NAN, NULL, NULL, &r, NULL), -EINVAL);
	assert_int_equal(ev_rates_compute(&a.s, &a.s, INFINITY, NULL, NULL, &r, NULL), -EINVAL);
	assert_int_equal(ev_rates_compute(&a.s, &a.s, 1, NULL, NULL, &r, NULL), 0);
	assert_int_equal(r.n, 0);
	ev_rates_free(&r);
}

static void test_duplicate_device_once(void **state)
{
	struct snap a, b;
	struct ev_rates r;

	(void)state;
	snap_init(&a);
	snap_init(&b);
	full_dev(&a, "rdmap16s0", 0);
	full_dev(&b, "rdmap16s0", 0);
	full_dev(&b, "rdmap16s0", 0);
	assert_int_equal(ev_rates_compute(&a.s, &b.s, 1.0, NULL, NULL, &r, NULL), 0);
	assert_int_equal(r.n, 1);
	ev_rates_free(&r);
}

static void test_sort_by_traffic(void **state)
{
	struct snap a, b;
	struct ev_rates r;

	(void)state;
	snap_init(&a);
	snap_init(&b);
	full_dev(&a, "rdmap16s0", 0);
	full_dev(&a, "rdmap17s0", 100);
	full_dev(&a, "rdmap18s0", 0);
	full_dev(&a, "rdmap19s0", 0);
	full_dev(&b, "rdmap16s0", 0);
	full_dev(&b, "rdmap17s0", 0);                                  /* reset: last */
	set(full_dev(&b, "rdmap18s0", 0), "tx_bytes", 1000, true);     /* busiest */
	full_dev(&b, "rdmap19s0", 0);
	assert_int_equal(ev_rates_compute(&a.s, &b.s, 1.0, NULL, NULL, &r, NULL), 0);
	ev_rates_sort_by_traffic(&r);
	assert_string_equal(r.devs[0].dev, "rdmap18s0");
	assert_string_equal(r.devs[1].dev, "rdmap16s0");   /* ties by name */
	assert_string_equal(r.devs[2].dev, "rdmap19s0");
	assert_string_equal(r.devs[3].dev, "rdmap17s0");
	ev_rates_free(&r);
}

static void test_histogram(void **state)
{
	struct ev_dev_rate d[6];
	struct ev_rates r = { .devs = d, .n = 6 };
	struct ev_rates_hist h;
	double g[6] = { 0, 10, 50, 99, 100, NAN };

	(void)state;
	memset(d, 0, sizeof(d));
	for (int i = 0; i < 6; i++) {
		d[i].gbps = g[i];
		d[i].status = isnan(g[i]) ? EV_RATE_GONE : EV_RATE_OK;
	}
	ev_rates_histogram(&r, 4, &h);
	assert_int_equal(h.n, 4);
	near(h.max, 100);
	near(h.width, 25);
	assert_int_equal(h.count[0], 2);   /* 0, 10 */
	assert_int_equal(h.count[1], 0);
	assert_int_equal(h.count[2], 1);   /* 50 */
	assert_int_equal(h.count[3], 2);   /* 99, and the busiest closes the last */
	assert_int_equal(h.n_unknown, 1);

	for (int i = 0; i < 5; i++)
		d[i].gbps = 0;
	ev_rates_histogram(&r, 4, &h);
	assert_int_equal(h.n, 1);
	assert_int_equal(h.count[0], 5);

	ev_rates_histogram(&r, 100, &h);
	assert_true(h.n <= EV_RATES_HIST_MAX);
}

static void test_link_rate_parse(void **state)
{
	(void)state;
	near(ev_rates_link_gbps("100 Gb/sec (4X EDR)"), 100);
	near(ev_rates_link_gbps("400 Gb/sec (4X NDR)"), 400);
	near(ev_rates_link_gbps("12.5 Gb/sec (1X FDR)"), 12.5);
	assert_true(isnan(ev_rates_link_gbps("")));
	assert_true(isnan(ev_rates_link_gbps(NULL)));
	assert_true(isnan(ev_rates_link_gbps("fast")));
	assert_true(isnan(ev_rates_link_gbps("-5 Gb/sec")));
	assert_true(isnan(ev_rates_link_gbps("100 Mb/sec")));
}

static void test_status_names(void **state)
{
	(void)state;
	assert_string_equal(ev_rate_status_name(EV_RATE_OK), "ok");
	assert_string_equal(ev_rate_status_name(EV_RATE_NEW), "new");
	assert_string_equal(ev_rate_status_name(EV_RATE_GONE), "gone");
	assert_string_equal(ev_rate_status_name(EV_RATE_RESET), "reset");
	assert_string_equal(ev_rate_status_name(EV_RATE_UNREADABLE), "unreadable");
	assert_string_equal(ev_rate_status_name(EV_RATE_NO_COUNTERS), "no_counters");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_exact_rates),
		cmocka_unit_test(test_traffic_is_max_of_port_and_rdma),
		cmocka_unit_test(test_nothing_moved_share_unknown),
		cmocka_unit_test(test_reset_is_never_negative),
		cmocka_unit_test(test_error_counter_reset_resets_device),
		cmocka_unit_test(test_jump_beyond_link_is_reset),
		cmocka_unit_test(test_gone_new_and_gone_again),
		cmocka_unit_test(test_unreadable_and_old_driver),
		cmocka_unit_test(test_counter_at_one_end),
		cmocka_unit_test(test_interfaces),
		cmocka_unit_test(test_bad_elapsed),
		cmocka_unit_test(test_duplicate_device_once),
		cmocka_unit_test(test_sort_by_traffic),
		cmocka_unit_test(test_histogram),
		cmocka_unit_test(test_link_rate_parse),
		cmocka_unit_test(test_status_names),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
