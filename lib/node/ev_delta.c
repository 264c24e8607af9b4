#include "node/ev_delta.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

const char *const ev_error_counters[EV_N_ERROR_COUNTERS + 1] = {
	"rx_drops", "retrans_pkts", "retrans_timeout_events", "unresponsive_remote_events",
	"impaired_remote_conn_events", "rdma_read_wr_err", "rdma_write_wr_err", NULL,
};

const enum ev_error_family ev_error_counter_family[EV_N_ERROR_COUNTERS] = {
	EV_ERRF_RX_DROPS, EV_ERRF_RETRANS_PKTS, EV_ERRF_RETRANS_TIMEOUT, EV_ERRF_UNRESPONSIVE_REMOTE,
	EV_ERRF_IMPAIRED_REMOTE, EV_ERRF_RDMA_WR_ERR, EV_ERRF_RDMA_WR_ERR,
};

static const char *const traffic[] = { "tx_bytes", "rx_bytes", "rdma_read_bytes", "rdma_write_bytes" };

const char *ev_dev_state_name(enum ev_dev_state s)
{
	switch (s) {
	case EV_DEV_OK: return "ok";
	case EV_DEV_RESET: return "reset";
	case EV_DEV_MISSING: return "missing";
	case EV_DEV_UNREADABLE: return "unreadable";
	case EV_DEV_NO_COUNTERS: return "no_counters";
	}
	return "?";
}

/* Sums never wrap either: a saturated total still reads as "a lot". */
static uint64_t sat_add(uint64_t a, uint64_t b)
{
	return a > UINT64_MAX - b ? UINT64_MAX : a + b;
}

static void copy_name(char *dst, size_t cap, const char *src)
{
	size_t n = strnlen(src, cap - 1);

	memcpy(dst, src, n);
	dst[n] = '\0';
}

/* end - start of one counter. Absent at both ends (an older driver) is
 * nothing to compare; at one end only, or unreadable, is not zero either:
 * the caller decides what not knowing means. */
enum ev_counter_move ev_counter_move(const struct ev_dev_counters *a, const struct ev_dev_counters *b,
				     const char *name, uint64_t *d)
{
	const struct ev_counter *x = ev_counter_find(a, name), *y = ev_counter_find(b, name);

	*d = 0;
	if (!x && !y)
		return EV_MOVE_ABSENT;
	if (!x || !y || !x->ok || !y->ok)
		return EV_MOVE_UNREADABLE;
	if (y->value < x->value)
		return EV_MOVE_RESET;
	*d = y->value - x->value;
	return EV_MOVE_OK;
}

static void dev_delta(const struct ev_dev_counters *a, const struct ev_dev_counters *b,
		      struct ev_dev_delta *o)
{
	uint64_t *dst[] = { &o->tx_bytes, &o->rx_bytes, &o->rdma_read_bytes, &o->rdma_write_bytes };
	const char *unreadable = NULL;
	bool any = false;

	for (size_t i = 0; i < 4; i++) {
		enum ev_counter_move c = ev_counter_move(a, b, traffic[i], dst[i]);

		if (c == EV_MOVE_RESET) {
			o->state = EV_DEV_RESET;
			copy_name(o->bad_counter, sizeof(o->bad_counter), traffic[i]);
			return;
		}
		if (c == EV_MOVE_UNREADABLE && !unreadable)
			unreadable = traffic[i];
		any |= c != EV_MOVE_ABSENT;
	}
	for (size_t i = 0; ev_error_counters[i]; i++) {
		uint64_t d;
		enum ev_counter_move c = ev_counter_move(a, b, ev_error_counters[i], &d);

		if (c == EV_MOVE_RESET) {
			o->state = EV_DEV_RESET;
			copy_name(o->bad_counter, sizeof(o->bad_counter), ev_error_counters[i]);
			return;
		}
		/* An error counter we cannot compare only makes errors a lower
		 * bound; it does not make the traffic unknown. */
		if (c != EV_MOVE_OK)
			continue;
		o->n_error_counters++;
		o->error_known[i] = true;
		o->error_growth[i] = d;
		o->errors = sat_add(o->errors, d);
		if (d > o->top_error_delta) {
			o->top_error_delta = d;
			copy_name(o->top_error, sizeof(o->top_error), ev_error_counters[i]);
		}
	}
	if (unreadable) {
		o->state = EV_DEV_UNREADABLE;
		copy_name(o->bad_counter, sizeof(o->bad_counter), unreadable);
		return;
	}
	if (!any) {
		o->state = EV_DEV_NO_COUNTERS;
		return;
	}
	o->bytes = sat_add(o->tx_bytes, o->rx_bytes);
	if (sat_add(o->rdma_read_bytes, o->rdma_write_bytes) > o->bytes)
		o->bytes = sat_add(o->rdma_read_bytes, o->rdma_write_bytes);
}

/* The setup errors and the packet pattern of a device not reset (its
 * traffic and error counters went forward). A setup counter reset alone
 * is left out rather than trusted. */
static void setup_and_pkts(const struct ev_dev_counters *a, const struct ev_dev_counters *b,
			   struct ev_dev_delta *o)
{
	static const char *const pkts[] = { "tx_pkts", "rx_pkts", "unresponsive_remote_events",
					    "retrans_timeout_events" };
	uint64_t *dst[] = { &o->tx_pkts, &o->rx_pkts, &o->unresponsive_remote_events, &o->retrans_timeout_events };

	for (size_t i = 0; ev_job_device_counters[i]; i++)
		o->setup_known[i] = ev_counter_move(a, b, ev_job_device_counters[i], &o->setup_growth[i]) ==
				    EV_MOVE_OK;
	o->pkts_known = true;
	for (size_t i = 0; i < 4; i++) {
		enum ev_counter_move c = ev_counter_move(a, b, pkts[i], dst[i]);

		if (c == EV_MOVE_RESET || c == EV_MOVE_UNREADABLE)
			o->pkts_known = false;
	}
	if (!o->pkts_known)
		for (size_t i = 0; i < 4; i++)
			*dst[i] = 0;
}

static void node_setup_and_pkts(const struct ev_dev_delta *o, struct ev_node_delta *out)
{
	for (size_t i = 0; i < EV_N_JOB_DEVICE_COUNTERS; i++) {
		if (!o->setup_known[i])
			continue;
		out->setup_growth[i] = sat_add(out->setup_growth[i], o->setup_growth[i]);
		out->setup_errors = sat_add(out->setup_errors, o->setup_growth[i]);
	}
	if (!o->pkts_known)
		return;
	out->n_pkts++;
	out->tx_pkts = sat_add(out->tx_pkts, o->tx_pkts);
	out->rx_pkts = sat_add(out->rx_pkts, o->rx_pkts);
	out->unresponsive_remote_events = sat_add(out->unresponsive_remote_events, o->unresponsive_remote_events);
	out->retrans_timeout_events = sat_add(out->retrans_timeout_events, o->retrans_timeout_events);
}

/* The job table's counters, end minus start. The table exists only for
 * the job (the prolog makes it, the epilog reads it), so a counter lower
 * at the end means another table took its place: a reset. The counters are
 * read one after another, so all - peer may come out a few packets short
 * of zero: clamped. */
static void net_delta(const struct ev_net_counts *a, const struct ev_net_counts *b, struct ev_node_delta *out)
{
	uint64_t all;

	out->tcp_source = EV_TCP_SRC_NFTABLES;
	if (b->peer_tx < a->peer_tx || b->peer_rx < a->peer_rx || b->all_tx < a->all_tx || b->all_rx < a->all_rx) {
		out->tcp_reset = true;
		copy_name(out->tcp_bad_if, sizeof(out->tcp_bad_if), "nftables");
		return;
	}
	out->tcp_tx_bytes = b->peer_tx - a->peer_tx;
	out->tcp_rx_bytes = b->peer_rx - a->peer_rx;
	out->tcp_bytes = sat_add(out->tcp_tx_bytes, out->tcp_rx_bytes);
	all = sat_add(b->all_tx - a->all_tx, b->all_rx - a->all_rx);
	out->other_tcp_bytes = all > out->tcp_bytes ? all - out->tcp_bytes : 0;
}

static void tcp_delta(const struct ev_snapshot *start, const struct ev_snapshot *end, struct ev_node_delta *out)
{
	if (start->tcp_source == EV_TCP_SRC_NFTABLES && end->tcp_source == EV_TCP_SRC_NFTABLES) {
		net_delta(&start->net, &end->net, out);
		return;
	}
	out->tcp_source = EV_TCP_SRC_INTERFACE;
	for (int pass = 0; pass < 2; pass++) {
		const struct ev_snapshot *s = pass ? end : start;

		for (size_t i = 0; i < s->n_tcp; i++) {
			const struct ev_tcp_counters *a, *b;

			if (pass && ev_snapshot_if(start, s->tcp[i].ifname))
				continue;
			if (!pass && ev_snapshot_if(start, s->tcp[i].ifname) != &s->tcp[i])
				continue;
			a = ev_snapshot_if(start, s->tcp[i].ifname);
			b = ev_snapshot_if(end, s->tcp[i].ifname);
			if (!a || !b || !a->ok || !b->ok || b->tx_bytes < a->tx_bytes || b->rx_bytes < a->rx_bytes) {
				if (a && b && a->ok && b->ok)
					out->tcp_reset = true;
				else
					out->tcp_incomplete = true;
				if (!out->tcp_bad_if[0])
					copy_name(out->tcp_bad_if, sizeof(out->tcp_bad_if), s->tcp[i].ifname);
				continue;
			}
			out->n_tcp++;
			out->tcp_tx_bytes = sat_add(out->tcp_tx_bytes, b->tx_bytes - a->tx_bytes);
			out->tcp_rx_bytes = sat_add(out->tcp_rx_bytes, b->rx_bytes - a->rx_bytes);
		}
	}
	out->tcp_bytes = sat_add(out->tcp_tx_bytes, out->tcp_rx_bytes);
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

			if (pass && ev_snapshot_dev(start, s->efa[i].dev))
				continue;
			/* A device listed twice in one snapshot is counted once. */
			if (ev_snapshot_dev(s, s->efa[i].dev) != &s->efa[i])
				continue;
			o = &out->devs[out->n++];
			copy_name(o->dev, sizeof(o->dev), s->efa[i].dev);
			a = ev_snapshot_dev(start, o->dev);
			b = ev_snapshot_dev(end, o->dev);
			if (!a || !b) {
				o->state = EV_DEV_MISSING;
				out->n_missing++;
				continue;
			}
			dev_delta(a, b, o);
			/* A device whose traffic is unreadable still shows the
			 * job's setup failing; one reset shows nothing. */
			if (o->state != EV_DEV_RESET) {
				setup_and_pkts(a, b, o);
				node_setup_and_pkts(o, out);
			}
			switch (o->state) {
			case EV_DEV_RESET: out->n_reset++; continue;
			case EV_DEV_UNREADABLE: out->n_unreadable++; continue;
			case EV_DEV_NO_COUNTERS: out->n_no_counters++; break;
			default: break;
			}
			out->efa_bytes = sat_add(out->efa_bytes, o->bytes);
			out->efa_tx_bytes = sat_add(out->efa_tx_bytes, o->tx_bytes);
			out->efa_rx_bytes = sat_add(out->efa_rx_bytes, o->rx_bytes);
			out->rdma_read_bytes = sat_add(out->rdma_read_bytes, o->rdma_read_bytes);
			out->rdma_write_bytes = sat_add(out->rdma_write_bytes, o->rdma_write_bytes);
			out->errors = sat_add(out->errors, o->errors);
		}
	}
	for (size_t i = 0; i < EV_N_JOB_DEVICE_COUNTERS; i++) {
		if (out->setup_growth[i] > out->top_setup_error_delta) {
			out->top_setup_error_delta = out->setup_growth[i];
			copy_name(out->top_setup_error, sizeof(out->top_setup_error), ev_job_device_counters[i]);
		}
	}
	tcp_delta(start, end, out);
	return 0;
}

void ev_delta_free(struct ev_node_delta *d)
{
	free(d->devs);
	memset(d, 0, sizeof(*d));
}
