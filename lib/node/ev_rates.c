#include "node/ev_rates.h"

#include <errno.h>
#include <math.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "node/ev_delta.h"

const char *ev_rate_status_name(enum ev_rate_status s)
{
	switch (s) {
	case EV_RATE_OK: return "ok";
	case EV_RATE_NEW: return "new";
	case EV_RATE_GONE: return "gone";
	case EV_RATE_RESET: return "reset";
	case EV_RATE_UNREADABLE: return "unreadable";
	case EV_RATE_NO_COUNTERS: return "no_counters";
	}
	return "?";
}

static void copy_name(char *dst, size_t cap, const char *src)
{
	size_t n = strnlen(src, cap - 1);

	memcpy(dst, src, n);
	dst[n] = '\0';
}

double ev_rates_link_gbps(const char *rate)
{
	char *end;
	double v;

	if (!rate || !*rate)
		return NAN;
	v = strtod(rate, &end);
	if (end == rate || !(v > 0) || !isfinite(v) || strncmp(end, " Gb/sec", 7) != 0)
		return NAN;
	return v;
}

/* One counter's rate per second. Absent at both ends is a counter this
 * driver does not have; at one end only, or unreadable, is not zero. A
 * counter that outran max_per_s cannot have counted real traffic. */
static enum ev_counter_move rate_of(const struct ev_dev_counters *a, const struct ev_dev_counters *b,
				    const char *name, double elapsed_s, double max_per_s, double *out)
{
	uint64_t d;
	enum ev_counter_move c = ev_counter_move(a, b, name, &d);
	double r;

	*out = NAN;
	if (c != EV_MOVE_OK)
		return c;
	r = (double)d / elapsed_s;
	if (r > max_per_s)
		return EV_MOVE_RESET;
	*out = r;
	return EV_MOVE_OK;
}

static void all_unknown(struct ev_dev_rate *o)
{
	o->tx_gbps = o->rx_gbps = o->tx_pps = o->rx_pps = NAN;
	o->rdma_read_gbps = o->rdma_write_gbps = o->gbps = NAN;
	o->n_errors = 0;
	o->errors_per_s = 0;
}

static void dev_rate(const struct ev_dev_counters *a, const struct ev_dev_counters *b, double elapsed_s,
		     double link_gbps, struct ev_dev_rate *o)
{
	static const struct {
		const char *name;
		size_t off;
		bool bits;
	} traffic[] = {
		{ "tx_bytes", offsetof(struct ev_dev_rate, tx_gbps), true },
		{ "rx_bytes", offsetof(struct ev_dev_rate, rx_gbps), true },
		{ "tx_pkts", offsetof(struct ev_dev_rate, tx_pps), false },
		{ "rx_pkts", offsetof(struct ev_dev_rate, rx_pps), false },
		{ "rdma_read_bytes", offsetof(struct ev_dev_rate, rdma_read_gbps), true },
		{ "rdma_write_bytes", offsetof(struct ev_dev_rate, rdma_write_gbps), true },
	};
	/* Bytes per second the link could carry, with slack for the driver's
	 * cached counters; a packet or an event is at least a byte. */
	double max_per_s = EV_RATES_LINK_SLACK * link_gbps * 1e9 / 8;
	const char *unreadable = NULL;
	bool any = false;

	all_unknown(o);
	for (size_t i = 0; i < sizeof(traffic) / sizeof(traffic[0]); i++) {
		double r, *dst = (double *)((char *)o + traffic[i].off);
		enum ev_counter_move c = rate_of(a, b, traffic[i].name, elapsed_s, max_per_s, &r);

		if (c == EV_MOVE_RESET) {
			o->status = EV_RATE_RESET;
			copy_name(o->bad_counter, sizeof(o->bad_counter), traffic[i].name);
			all_unknown(o);
			return;
		}
		if (c == EV_MOVE_UNREADABLE && !unreadable)
			unreadable = traffic[i].name;
		any |= c != EV_MOVE_ABSENT;
		*dst = traffic[i].bits ? r * 8 / 1e9 : r;
	}
	for (size_t i = 0; ev_error_counters[i] && o->n_errors < EV_RATES_MAX_ERRORS; i++) {
		struct ev_error_rate *e = &o->errors[o->n_errors];
		enum ev_counter_move c = rate_of(a, b, ev_error_counters[i], elapsed_s, max_per_s, &e->per_s);

		if (c == EV_MOVE_RESET) {
			o->status = EV_RATE_RESET;
			copy_name(o->bad_counter, sizeof(o->bad_counter), ev_error_counters[i]);
			all_unknown(o);
			return;
		}
		if (c == EV_MOVE_ABSENT)
			continue;
		/* An error counter that cannot be compared is shown unknown;
		 * it does not make the traffic unknown. */
		copy_name(e->name, sizeof(e->name), ev_error_counters[i]);
		if (c == EV_MOVE_OK)
			o->errors_per_s += e->per_s;
		o->n_errors++;
	}
	if (!any) {
		o->status = EV_RATE_NO_COUNTERS;
		return;
	}
	if (unreadable) {
		o->status = EV_RATE_UNREADABLE;
		copy_name(o->bad_counter, sizeof(o->bad_counter), unreadable);
		o->gbps = NAN;
		return;
	}
	/* fmax ignores a NAN side: an older driver without RDMA counters
	 * still has its tx+rx. */
	o->gbps = fmax(o->tx_gbps + o->rx_gbps, o->rdma_read_gbps + o->rdma_write_gbps);
}

static const struct ev_device *find_info(const struct ev_device_list *l, const char *name)
{
	for (size_t i = 0; l && i < l->n; i++)
		if (strncmp(l->devs[i].name, name, EV_NAME_MAX) == 0)
			return &l->devs[i];
	return NULL;
}

static void dev_unknown(void *o)
{
	all_unknown(o);
}

static void if_unknown(void *o)
{
	struct ev_if_rate *r = o;

	r->tx_gbps = r->rx_gbps = NAN;
}

/* Devices and interfaces are listed alike: by name (their first member, as
 * in their counters), a status, rates not known until computed. One kind of
 * list says how entries of each are laid out, so one algorithm serves both. */
struct kind {
	size_t size, name_cap, status_off;
	void (*unknown)(void *entry);  /* rates not known */
};
static const struct kind dev_kind = { sizeof(struct ev_dev_rate), EV_NAME_MAX, offsetof(struct ev_dev_rate, status),
				      dev_unknown };
static const struct kind if_kind = { sizeof(struct ev_if_rate), EV_IFNAME_MAX, offsetof(struct ev_if_rate, status),
				     if_unknown };
_Static_assert(offsetof(struct ev_dev_rate, dev) == 0 && offsetof(struct ev_if_rate, ifname) == 0 &&
		       offsetof(struct ev_dev_counters, dev) == 0 && offsetof(struct ev_tcp_counters, ifname) == 0,
	       "an entry starts with its name");
_Static_assert(sizeof(((struct ev_dev_rate *)0)->dev) == EV_NAME_MAX &&
		       sizeof(((struct ev_if_rate *)0)->ifname) == EV_IFNAME_MAX,
	       "names as long as the kinds say");

static bool listed(const struct kind *k, const void *list, size_t n, const char *name)
{
	for (size_t i = 0; i < n; i++)
		if (strncmp((const char *)list + i * k->size, name, k->name_cap) == 0)
			return true;
	return false;
}

static void *add(const struct kind *k, void *list, size_t *n, const char *name, enum ev_rate_status st)
{
	char *o = (char *)list + (*n)++ * k->size;

	memset(o, 0, k->size);
	copy_name(o, k->name_cap, name);
	memcpy(o + k->status_off, &st, sizeof(st));
	k->unknown(o);
	return o;
}

static int cmp_name(const void *a, const void *b)
{
	return strcmp(a, b);
}

/* What was seen before and is absent now is gone: an entry of prev's
 * counters (n_prev of them, prev_size bytes apart), or one that the last
 * interval's list had as gone. Then the list is put in name order. */
static void add_gone(const struct kind *k, void *list, size_t *n, const void *prev, size_t n_prev, size_t prev_size,
		     const void *last, size_t n_last)
{
	for (size_t i = 0; i < n_prev; i++) {
		const char *name = (const char *)prev + i * prev_size;

		if (!listed(k, list, *n, name))
			add(k, list, n, name, EV_RATE_GONE);
	}
	for (size_t i = 0; i < n_last; i++) {
		const char *e = (const char *)last + i * k->size;
		enum ev_rate_status st;

		memcpy(&st, e + k->status_off, sizeof(st));
		if (st == EV_RATE_GONE && !listed(k, list, *n, e))
			add(k, list, n, e, EV_RATE_GONE);
	}
	if (*n)
		qsort(list, *n, k->size, cmp_name);
}

static void if_rate(const struct ev_tcp_counters *a, const struct ev_tcp_counters *b, double elapsed_s,
		    struct ev_if_rate *o)
{
	double max_per_s = EV_RATES_LINK_SLACK * EV_RATES_TCP_LINK_GBPS * 1e9 / 8, tx, rx;

	if (!a->ok || !b->ok) {
		o->status = EV_RATE_UNREADABLE;
		return;
	}
	if (b->tx_bytes < a->tx_bytes || b->rx_bytes < a->rx_bytes) {
		o->status = EV_RATE_RESET;
		return;
	}
	tx = (double)(b->tx_bytes - a->tx_bytes) / elapsed_s;
	rx = (double)(b->rx_bytes - a->rx_bytes) / elapsed_s;
	if (tx > max_per_s || rx > max_per_s) {
		o->status = EV_RATE_RESET;
		return;
	}
	o->tx_gbps = tx * 8 / 1e9;
	o->rx_gbps = rx * 8 / 1e9;
}

static int devs_rates(const struct ev_snapshot *prev, const struct ev_snapshot *cur, double elapsed_s,
		      const struct ev_device_list *devs, const struct ev_rates *last, struct ev_rates *out,
		      struct ev_err *err)
{
	size_t cap = prev->n_efa + cur->n_efa + (last ? last->n : 0);

	if (cap && !(out->devs = calloc(cap, sizeof(*out->devs))))
		return ev_errf(err, -ENOMEM, "out of memory");
	for (size_t i = 0; i < cur->n_efa; i++) {
		const struct ev_dev_counters *b = &cur->efa[i], *a;
		const struct ev_device *info;
		struct ev_dev_rate *o;
		double link;

		/* A device listed twice is counted once. */
		if (ev_snapshot_dev(cur, b->dev) != b)
			continue;
		a = ev_snapshot_dev(prev, b->dev);
		o = add(&dev_kind, out->devs, &out->n, b->dev, a ? EV_RATE_OK : EV_RATE_NEW);
		info = find_info(devs, b->dev);
		link = info ? ev_rates_link_gbps(info->link_rate) : NAN;
		if (info)
			copy_name(o->port_state, sizeof(o->port_state), info->port_state_name);
		if (a)
			dev_rate(a, b, elapsed_s, isnan(link) ? EV_RATES_DEFAULT_LINK_GBPS : link, o);
	}
	add_gone(&dev_kind, out->devs, &out->n, prev->efa, prev->n_efa, sizeof(*prev->efa), last ? last->devs : NULL,
		 last ? last->n : 0);
	return 0;
}

static int ifs_rates(const struct ev_snapshot *prev, const struct ev_snapshot *cur, double elapsed_s,
		     const struct ev_rates *last, struct ev_rates *out, struct ev_err *err)
{
	size_t cap = prev->n_tcp + cur->n_tcp + (last ? last->n_if : 0);

	if (cap && !(out->ifs = calloc(cap, sizeof(*out->ifs))))
		return ev_errf(err, -ENOMEM, "out of memory");
	for (size_t i = 0; i < cur->n_tcp; i++) {
		const struct ev_tcp_counters *b = &cur->tcp[i], *a;

		if (ev_snapshot_if(cur, b->ifname) != b)
			continue;
		a = ev_snapshot_if(prev, b->ifname);
		if (!a)
			add(&if_kind, out->ifs, &out->n_if, b->ifname, EV_RATE_NEW);
		else
			if_rate(a, b, elapsed_s, add(&if_kind, out->ifs, &out->n_if, b->ifname, EV_RATE_OK));
	}
	add_gone(&if_kind, out->ifs, &out->n_if, prev->tcp, prev->n_tcp, sizeof(*prev->tcp), last ? last->ifs : NULL,
		 last ? last->n_if : 0);
	return 0;
}

int ev_rates_compute(const struct ev_snapshot *prev, const struct ev_snapshot *cur, double elapsed_s,
		     const struct ev_device_list *devs, const struct ev_rates *last, struct ev_rates *out,
		     struct ev_err *err)
{
	int rc;

	memset(out, 0, sizeof(*out));
	if (!(elapsed_s > 0) || !isfinite(elapsed_s))
		return ev_errf(err, -EINVAL, "elapsed time %g s: must be above 0", elapsed_s);
	out->interval_s = elapsed_s;
	if ((rc = devs_rates(prev, cur, elapsed_s, devs, last, out, err)) ||
	    (rc = ifs_rates(prev, cur, elapsed_s, last, out, err))) {
		ev_rates_free(out);
		return rc;
	}
	for (size_t i = 0; i < out->n; i++) {
		const struct ev_dev_rate *d = &out->devs[i];

		if (strcmp(d->port_state, "ACTIVE") == 0)
			out->n_active++;
		if (d->status != EV_RATE_OK) {
			out->n_not_ok++;
			continue;
		}
		if (isfinite(d->tx_gbps))
			out->efa_tx_gbps += d->tx_gbps;
		if (isfinite(d->rx_gbps))
			out->efa_rx_gbps += d->rx_gbps;
		if (isfinite(d->rdma_read_gbps))
			out->efa_rdma_read_gbps += d->rdma_read_gbps;
		if (isfinite(d->rdma_write_gbps))
			out->efa_rdma_write_gbps += d->rdma_write_gbps;
		if (isfinite(d->gbps))
			out->efa_gbps += d->gbps;
	}
	for (size_t i = 0; i < out->n_if; i++) {
		if (out->ifs[i].status != EV_RATE_OK) {
			out->n_if_not_ok++;
			continue;
		}
		out->tcp_tx_gbps += out->ifs[i].tx_gbps;
		out->tcp_rx_gbps += out->ifs[i].rx_gbps;
	}
	out->tcp_gbps = out->tcp_tx_gbps + out->tcp_rx_gbps;
	out->efa_share = out->efa_gbps + out->tcp_gbps > 0 ? out->efa_gbps / (out->efa_gbps + out->tcp_gbps) : NAN;
	return 0;
}

void ev_rates_free(struct ev_rates *r)
{
	free(r->devs);
	free(r->ifs);
	memset(r, 0, sizeof(*r));
}

static int cmp_traffic(const void *a, const void *b)
{
	const struct ev_dev_rate *x = a, *y = b;
	double gx = isnan(x->gbps) ? -1 : x->gbps, gy = isnan(y->gbps) ? -1 : y->gbps;

	if (gx != gy)
		return gx > gy ? -1 : 1;
	return strcmp(x->dev, y->dev);
}

void ev_rates_sort_by_traffic(struct ev_rates *r)
{
	if (r->n)
		qsort(r->devs, r->n, sizeof(*r->devs), cmp_traffic);
}

void ev_rates_histogram(const struct ev_rates *r, size_t n, struct ev_rates_hist *h)
{
	memset(h, 0, sizeof(*h));
	for (size_t i = 0; i < r->n; i++)
		if (r->devs[i].status == EV_RATE_OK && isfinite(r->devs[i].gbps) && r->devs[i].gbps > h->max)
			h->max = r->devs[i].gbps;
	h->n = n < 1 ? 1 : n > EV_RATES_HIST_MAX ? EV_RATES_HIST_MAX : n;
	if (!(h->max > 0))
		h->n = 1;
	h->width = h->max / (double)h->n;
	for (size_t i = 0; i < r->n; i++) {
		const struct ev_dev_rate *d = &r->devs[i];
		size_t k;

		if (d->status != EV_RATE_OK || !isfinite(d->gbps)) {
			h->n_unknown++;
			continue;
		}
		/* The busiest device closes the last bucket. */
		k = h->width > 0 ? (size_t)(d->gbps / h->width) : 0;
		h->count[k >= h->n ? h->n - 1 : k]++;
	}
}
