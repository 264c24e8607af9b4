#include "ev_verdict.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

static const char *const names[] = {
	[EV_V_NO_TRAFFIC] = "no_traffic", [EV_V_OK] = "ok", [EV_V_UNKNOWN] = "unknown",
	[EV_V_DEGRADED] = "degraded", [EV_V_TCP_FALLBACK] = "tcp_fallback",
	[EV_V_NOT_READY] = "not_ready",
};

const char *ev_verdict_name(enum ev_verdict v)
{
	return (unsigned)v < sizeof(names) / sizeof(names[0]) ? names[v] : "unknown";
}

int ev_verdict_from_name(const char *s)
{
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (s && strcmp(s, names[i]) == 0)
			return (int)i;
	return -1;
}

enum ev_verdict ev_verdict_worse(enum ev_verdict a, enum ev_verdict b)
{
	return a > b ? a : b;
}

/* Reasons end up in AdminComment tokens: anything else becomes '_'. */
void ev_reason_clean(char *s)
{
	for (; *s; s++)
		if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') || (*s >= '0' && *s <= '9') ||
		      strchr("_.:/+-@", *s)))
			*s = '_';
}

static void set(struct ev_node_verdict *o, enum ev_verdict v, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static void set(struct ev_node_verdict *o, enum ev_verdict v, const char *fmt, ...)
{
	va_list ap;

	o->verdict = v;
	va_start(ap, fmt);
	vsnprintf(o->reason, sizeof(o->reason), fmt, ap);
	va_end(ap);
	ev_reason_clean(o->reason);
}

/* Data that makes the totals not the job's: the verdict is unknown. */
static bool untrustworthy(const struct ev_node_delta *d, struct ev_node_verdict *out)
{
	for (size_t i = 0; i < d->n; i++) {
		const struct ev_dev_delta *x = &d->devs[i];

		switch (x->state) {
		case EV_DEV_RESET:
			set(out, EV_V_UNKNOWN, "counter_reset:%s@%s", x->bad_counter, x->dev);
			return true;
		case EV_DEV_MISSING:
			set(out, EV_V_UNKNOWN, "device_missing@%s", x->dev);
			return true;
		case EV_DEV_UNREADABLE:
			set(out, EV_V_UNKNOWN, "counter_unreadable:%s@%s", x->bad_counter, x->dev);
			return true;
		case EV_DEV_NO_COUNTERS:
			/* A driver without byte counters: no traffic is not zero traffic. */
			set(out, EV_V_UNKNOWN, "no_byte_counters@%s", x->dev);
			return true;
		case EV_DEV_OK:
			break;
		}
	}
	if (d->tcp_reset) {
		set(out, EV_V_UNKNOWN, "tcp_counter_reset@%s", d->tcp_bad_if);
		return true;
	}
	return false;
}

void ev_verdict_decide(const struct ev_verdict_cfg *c, const struct ev_verdict_in *in,
		       struct ev_node_verdict *out)
{
	const struct ev_node_delta *d = in->delta;
	uint64_t busiest = 0;
	size_t idle = 0;
	double share;

	memset(out, 0, sizeof(*out));
	if (in->not_ready) {
		set(out, EV_V_NOT_READY, "%s",
		    in->not_ready_reason && *in->not_ready_reason ? in->not_ready_reason : "not_ready");
		goto done;
	}
	if (in->unknown_reason && *in->unknown_reason) {
		set(out, EV_V_UNKNOWN, "%s", in->unknown_reason);
		goto done;
	}
	if (!d) {
		set(out, EV_V_UNKNOWN, "no_start_snapshot");
		goto done;
	}
	if (untrustworthy(d, out))
		goto done;
	share = d->tcp_bytes ? (double)d->tcp_bytes / ((double)d->tcp_bytes + (double)d->efa_bytes) : 0.0;
	/* job_nodes 0 (not known): judged as multi-node, since a fallback
	 * missed is worse than one reported on a single-node job. */
	if (d->efa_bytes < c->efa_idle_bytes && in->job_nodes != 1 && d->tcp_bytes >= c->min_bytes &&
	    share > c->tcp_fallback_fraction) {
		set(out, EV_V_TCP_FALLBACK, "tcp_bytes:%llu/efa_bytes:%llu", (unsigned long long)d->tcp_bytes,
		    (unsigned long long)d->efa_bytes);
		goto done;
	}
	/* EFA idle and part of the TCP path unreadable: a fallback cannot be
	 * ruled out, so nothing is claimed. */
	if (d->efa_bytes < c->efa_idle_bytes && in->job_nodes != 1 && d->tcp_incomplete) {
		set(out, EV_V_UNKNOWN, "tcp_counter_unreadable@%s", d->tcp_bad_if);
		goto done;
	}
	/* One node has no inter-node traffic to judge, whatever TCP did. */
	if ((d->efa_bytes < c->min_bytes && d->tcp_bytes < c->min_bytes) ||
	    (in->job_nodes == 1 && d->efa_bytes < c->efa_idle_bytes)) {
		set(out, EV_V_NO_TRAFFIC, "%s", in->job_nodes == 1 ? "single_node" : "below_min_bytes");
		goto done;
	}
	if (d->efa_bytes < c->efa_idle_bytes) {
		/* Some TCP, little EFA, but not enough TCP to call it fallback. */
		set(out, EV_V_NO_TRAFFIC, "efa_idle");
		goto done;
	}
	if (d->errors > c->max_error_events) {
		const struct ev_dev_delta *w = NULL;

		for (size_t i = 0; i < d->n; i++)
			if (!w || d->devs[i].top_error_delta > w->top_error_delta)
				w = &d->devs[i];
		set(out, EV_V_DEGRADED, "%s+%llu@%s", w->top_error, (unsigned long long)w->top_error_delta,
		    w->dev);
		goto done;
	}
	for (size_t i = 0; i < d->n; i++)
		if (d->devs[i].bytes > busiest)
			busiest = d->devs[i].bytes;
	for (size_t i = 0; i < d->n; i++)
		if ((double)d->devs[i].bytes < c->idle_nic_fraction * (double)busiest)
			idle++;
	if (idle) {
		set(out, EV_V_DEGRADED, "idle_nics:%zu/%zu", idle, d->n);
		goto done;
	}
	set(out, EV_V_OK, "%s", "");
done:
	out->shared = in->shared;
}
