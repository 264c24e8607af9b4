#include "ev_verdict.h"

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

/* Reasons end up in AdminComment tokens: anything else becomes '_'. */
static void clean(char *s)
{
	for (; *s; s++)
		if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') || (*s >= '0' && *s <= '9') ||
		      strchr("_.:/+-@", *s)))
			*s = '_';
}

static void set(struct ev_node_verdict *o, enum ev_verdict v, const char *fmt, const char *a,
		unsigned long long x, unsigned long long y)
{
	o->verdict = v;
	snprintf(o->reason, sizeof(o->reason), fmt, a, x, y);
	clean(o->reason);
}

void ev_verdict_decide(const struct ev_verdict_cfg *c, const struct ev_verdict_in *in,
		       struct ev_node_verdict *out)
{
	const struct ev_node_delta *d = in->delta;
	uint64_t busiest = 0;
	size_t idle = 0, judged = 0;

	memset(out, 0, sizeof(*out));
	if (in->not_ready) {
		set(out, EV_V_NOT_READY, "%s", in->not_ready_reason ? in->not_ready_reason : "not_ready", 0, 0);
		return;
	}
	if (!d) {
		set(out, EV_V_UNKNOWN, "%sno_start_snapshot", "", 0, 0);
		return;
	}
	/* A reset or vanished device means the totals are not the job's. */
	for (size_t i = 0; i < d->n; i++) {
		if (d->devs[i].state == EV_DEV_RESET) {
			out->verdict = EV_V_UNKNOWN;
			snprintf(out->reason, sizeof(out->reason), "counter_reset:%s@%s", d->devs[i].bad_counter,
				 d->devs[i].dev);
			clean(out->reason);
			return;
		}
		if (d->devs[i].state == EV_DEV_MISSING) {
			set(out, EV_V_UNKNOWN, "device_missing@%s", d->devs[i].dev, 0, 0);
			return;
		}
	}
	if (d->tcp_reset) {
		set(out, EV_V_UNKNOWN, "%stcp_counter_reset", "", 0, 0);
		return;
	}
	/* job_nodes 0 (not known): judged as multi-node, since a fallback
	 * missed is worse than one reported on a single-node job. */
	if (d->efa_bytes < c->efa_idle_bytes && in->job_nodes != 1 && d->tcp_bytes >= c->min_bytes &&
	    (double)d->tcp_bytes / ((double)d->tcp_bytes + (double)d->efa_bytes) > c->tcp_fallback_fraction) {
		set(out, EV_V_TCP_FALLBACK, "%stcp_bytes:%llu/efa_bytes:%llu", "",
		    (unsigned long long)d->tcp_bytes, (unsigned long long)d->efa_bytes);
		return;
	}
	/* One node has no inter-node traffic to judge, whatever TCP did. */
	if ((d->efa_bytes < c->min_bytes && d->tcp_bytes < c->min_bytes) ||
	    (in->job_nodes == 1 && d->efa_bytes < c->efa_idle_bytes)) {
		set(out, EV_V_NO_TRAFFIC, "%s", in->job_nodes == 1 ? "single_node" : "below_min_bytes", 0, 0);
		return;
	}
	if (d->efa_bytes < c->efa_idle_bytes) {
		/* Some TCP, little EFA, but not enough TCP to call it fallback. */
		set(out, EV_V_NO_TRAFFIC, "%sefa_idle", "", 0, 0);
		return;
	}
	for (size_t i = 0; i < d->n; i++) {
		uint64_t b = d->devs[i].tx_bytes + d->devs[i].rx_bytes;

		if (b > busiest)
			busiest = b;
	}
	for (size_t i = 0; i < d->n; i++) {
		uint64_t b = d->devs[i].tx_bytes + d->devs[i].rx_bytes;

		judged++;
		if ((double)b < c->idle_nic_fraction * (double)busiest)
			idle++;
	}
	if (d->errors > c->max_error_events) {
		const struct ev_dev_delta *w = &d->devs[0];

		for (size_t i = 1; i < d->n; i++)
			if (d->devs[i].top_error_delta > w->top_error_delta)
				w = &d->devs[i];
		out->verdict = EV_V_DEGRADED;
		snprintf(out->reason, sizeof(out->reason), "%s+%llu@%s", w->top_error,
			 (unsigned long long)w->top_error_delta, w->dev);
		clean(out->reason);
		return;
	}
	if (idle) {
		set(out, EV_V_DEGRADED, "%sidle_nics:%llu/%llu", "", (unsigned long long)idle,
		    (unsigned long long)judged);
		return;
	}
	set(out, EV_V_OK, "%s", "", 0, 0);
}
