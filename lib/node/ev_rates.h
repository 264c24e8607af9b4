/* Rates between two counter snapshots: what `efa-verify top` shows each
 * interval. Pure functions over ev_snapshot (and, for port states, the
 * device list); the caller measures the elapsed time on a monotonic clock.
 *
 * A rate that cannot be known is NAN (JSON null, "-" on screen), never a
 * guess: a counter absent from the driver, unreadable at either end, or a
 * device that is new, gone or reset. Counters are 64-bit and never wrap on a
 * live device, so one that went backwards was reset (driver reload, device
 * re-attach); one that moved faster than the link can carry was reset and
 * overtook its old value between two reads. Either way the device is shown
 * as reset for that interval and measured again from the new values.
 *
 * A device's traffic (gbps, for totals and sorting) follows ev_delta.h:
 * max(tx+rx, rdma read+write), never double counted, never hidden. */
#ifndef EV_RATES_H
#define EV_RATES_H

#include <stdbool.h>
#include <stddef.h>

#include "node/ev_snapshot.h"
#include "node/ev_devices.h"
#include "util/ev_err.h"

/* When a port's rate cannot be read: above any EFA port today. */
#define EV_RATES_DEFAULT_LINK_GBPS 800.0
/* A counter moving faster than this many times its link's rate was reset. */
#define EV_RATES_LINK_SLACK 2.0
/* TCP interfaces' link rate is not read; ENA tops out well below this. */
#define EV_RATES_TCP_LINK_GBPS 800.0
#define EV_RATES_MAX_ERRORS 8
#define EV_RATES_HIST_MAX 16

enum ev_rate_status {
	EV_RATE_OK,
	EV_RATE_NEW,         /* first seen this interval: rates from the next one */
	EV_RATE_GONE,        /* seen before, absent now (stays so while absent) */
	EV_RATE_RESET,       /* a counter went backwards, or jumped: bad_counter */
	EV_RATE_UNREADABLE,  /* a traffic counter unreadable or at one end only: bad_counter */
	EV_RATE_NO_COUNTERS, /* no traffic counter at all (very old driver) */
};

struct ev_error_rate {
	char name[EV_COUNTER_NAME_MAX];   /* one of ev_error_counters */
	double per_s;                     /* NAN: unreadable at either end */
};

struct ev_dev_rate {
	char dev[EV_NAME_MAX];
	enum ev_rate_status status;
	char bad_counter[EV_COUNTER_NAME_MAX];
	char port_state[32];              /* "ACTIVE", "DOWN", ...; "" not known (gone) */
	double tx_gbps, rx_gbps;          /* port tx_bytes/rx_bytes, 10^9 bits/s */
	double tx_pps, rx_pps;            /* tx_pkts/rx_pkts */
	double rdma_read_gbps, rdma_write_gbps;
	double gbps;                      /* max(tx+rx, rdma read+write) */
	struct ev_error_rate errors[EV_RATES_MAX_ERRORS];  /* those the driver has */
	size_t n_errors;
	double errors_per_s;              /* sum of the known ones; 0 when none */
};

struct ev_if_rate {
	char ifname[EV_IFNAME_MAX];
	enum ev_rate_status status;
	double tx_gbps, rx_gbps;
};

struct ev_rates {
	double interval_s;
	struct ev_dev_rate *devs;         /* by name; ev_rates_sort_by_traffic reorders */
	size_t n;
	struct ev_if_rate *ifs;           /* by name */
	size_t n_if;
	/* Totals over OK devices and interfaces only; n_not_ok says how many
	 * were left out, so a total is never passed off as complete. */
	double efa_tx_gbps, efa_rx_gbps, efa_gbps;
	double efa_rdma_read_gbps, efa_rdma_write_gbps;
	double tcp_tx_gbps, tcp_rx_gbps, tcp_gbps;
	double efa_share;                 /* efa/(efa+tcp); NAN when neither moved */
	size_t n_not_ok, n_if_not_ok;
	size_t n_active;                  /* ports ACTIVE */
};

/* Rates from prev to cur over elapsed_s (> 0). devs (may be NULL) gives
 * cur's devices' port states and link rates. last (may be NULL) is the
 * previous interval's result: a device or interface it had as gone that is
 * still absent stays in the result as gone. Every device in cur or prev is
 * in the result. -EINVAL for a bad elapsed_s, -ENOMEM. */
int ev_rates_compute(const struct ev_snapshot *prev, const struct ev_snapshot *cur, double elapsed_s,
		     const struct ev_device_list *devs, const struct ev_rates *last, struct ev_rates *out,
		     struct ev_err *err);
void ev_rates_free(struct ev_rates *r);

/* Busiest first, devices with no known traffic last, then by name. */
void ev_rates_sort_by_traffic(struct ev_rates *r);

/* "100 Gb/sec (4X EDR)" -> 100; NAN if not of that form. */
double ev_rates_link_gbps(const char *rate);

const char *ev_rate_status_name(enum ev_rate_status s);

/* The devices' traffic folded into n equal buckets over [0, max]: what
 * fits on a small terminal. Devices whose traffic is not known (not OK)
 * are counted in n_unknown. With no traffic at all there is one bucket. */
struct ev_rates_hist {
	size_t n;                         /* buckets */
	double width, max;                /* Gb/s */
	size_t count[EV_RATES_HIST_MAX];
	size_t n_unknown;
};
void ev_rates_histogram(const struct ev_rates *r, size_t n, struct ev_rates_hist *h);

#endif
