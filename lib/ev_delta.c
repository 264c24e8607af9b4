#include "ev_delta.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

const char *const ev_error_counters[] = {
	"rx_drops", "retrans_pkts", "retrans_timeout_events", "unresponsive_remote_events",
	"impaired_remote_conn_events", NULL,
};

/* Sums never wrap either: a saturated total still reads as "a lot". */
static uint64_t sat_add(uint64_t a, uint64_t b)
{
	return a > UINT64_MAX - b ? UINT64_MAX : a + b;
}

static const struct ev_dev_counters *find_dev(const struct ev_snapshot *s, const char *name)
{
	for (size_t i = 0; i < s->n_efa; i++)
		if (strcmp(s->efa[i].dev, name) == 0)
			return &s->efa[i];
	return NULL;
}

/* end - start of one counter into *d. Absent or unreadable on either side:
 * 0 and no judgement. Lower at the end: a reset. */
static bool diff(const struct ev_dev_counters *a, const struct ev_dev_counters *b, const char *name,
		 uint64_t *d)
{
	const struct ev_counter *x = ev_counter_find(a, name), *y = ev_counter_find(b, name);

	*d = 0;
	if (!x || !y || !x->ok || !y->ok)
		return true;
	if (y->value < x->value)
		return false;
	*d = y->value - x->value;
	return true;
}

static void dev_delta(const struct ev_dev_counters *a, const struct ev_dev_counters *b,
		      struct ev_dev_delta *o)
{
	static const char *const traffic[] = { "tx_bytes", "rx_bytes", "rdma_read_bytes", "rdma_write_bytes" };
	uint64_t *dst[] = { &o->tx_bytes, &o->rx_bytes, &o->rdma_read_bytes, &o->rdma_write_bytes };

	for (size_t i = 0; i < 4; i++) {
		if (!diff(a, b, traffic[i], dst[i])) {
			o->state = EV_DEV_RESET;
			memcpy(o->bad_counter, traffic[i], strlen(traffic[i]) + 1);
			return;
		}
	}
	for (size_t i = 0; ev_error_counters[i]; i++) {
		uint64_t d;

		if (!diff(a, b, ev_error_counters[i], &d)) {
			o->state = EV_DEV_RESET;
			memcpy(o->bad_counter, ev_error_counters[i], strlen(ev_error_counters[i]) + 1);
			return;
		}
		o->errors = sat_add(o->errors, d);
		if (d > o->top_error_delta) {
			o->top_error_delta = d;
			memcpy(o->top_error, ev_error_counters[i], strlen(ev_error_counters[i]) + 1);
		}
	}
}

int ev_delta_compute(const struct ev_snapshot *start, const struct ev_snapshot *end,
		     struct ev_node_delta *out, struct ev_err *err)
{
	size_t cap = start->n_efa + end->n_efa;

	memset(out, 0, sizeof(*out));
	if (end->time_ns > start->time_ns)
		out->duration_ns = end->time_ns - start->time_ns;
	if (cap) {
		out->devs = calloc(cap, sizeof(*out->devs));
		if (!out->devs)
			return ev_errf(err, -ENOMEM, "out of memory");
	}
	/* Every device seen at either end; one seen at one end only is missing. */
	for (int pass = 0; pass < 2; pass++) {
		const struct ev_snapshot *s = pass ? end : start;

		for (size_t i = 0; i < s->n_efa; i++) {
			const struct ev_dev_counters *a, *b;
			struct ev_dev_delta *o;

			if (pass && find_dev(start, s->efa[i].dev))
				continue;
			o = &out->devs[out->n++];
			memcpy(o->dev, s->efa[i].dev, sizeof(o->dev));
			a = find_dev(start, o->dev);
			b = find_dev(end, o->dev);
			if (!a || !b) {
				o->state = EV_DEV_MISSING;
				out->n_missing++;
				continue;
			}
			dev_delta(a, b, o);
			if (o->state == EV_DEV_RESET) {
				out->n_reset++;
				continue;
			}
			out->efa_bytes = sat_add(out->efa_bytes, sat_add(o->tx_bytes, o->rx_bytes));
			out->errors = sat_add(out->errors, o->errors);
		}
	}
	for (size_t i = 0; i < end->n_tcp; i++) {
		const struct ev_tcp_counters *b = &end->tcp[i];

		for (size_t k = 0; k < start->n_tcp; k++) {
			const struct ev_tcp_counters *a = &start->tcp[k];

			if (strcmp(a->ifname, b->ifname) != 0 || !a->ok || !b->ok)
				continue;
			if (b->tx_bytes < a->tx_bytes || b->rx_bytes < a->rx_bytes)
				out->tcp_reset = true;
			else
				out->tcp_bytes = sat_add(out->tcp_bytes, sat_add(b->tx_bytes - a->tx_bytes,
										 b->rx_bytes - a->rx_bytes));
		}
	}
	return 0;
}

void ev_delta_free(struct ev_node_delta *d)
{
	free(d->devs);
	memset(d, 0, sizeof(*d));
}
