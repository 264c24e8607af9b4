#include "judge/ev_verdict.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "util/ev_names.h"

static const char *const names[] = {
	[EV_V_NO_TRAFFIC] = "no_traffic", [EV_V_OK] = "ok", [EV_V_UNKNOWN] = "unknown",
	[EV_V_DEGRADED] = "degraded", [EV_V_TCP_FALLBACK] = "tcp_fallback",
	[EV_V_NOT_READY] = "not_ready",
};

const char *ev_verdict_name(enum ev_verdict v)
{
	return ev_name_of(names, EV_NAMES_N(names), (int)v);
}

int ev_verdict_from_name(const char *s)
{
	return ev_name_find(names, EV_NAMES_N(names), s);
}

bool ev_verdict_valid(enum ev_verdict v)
{
	return (unsigned)v <= EV_V_NOT_READY;
}

enum ev_verdict ev_verdict_worse(enum ev_verdict a, enum ev_verdict b)
{
	return a > b ? a : b;
}

/* Reasons end up in AdminComment tokens: nothing that would end a token. */
bool ev_reason_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       (c && strchr("_.:/+-@", c));
}

void ev_reason_clean(char *s)
{
	for (; *s; s++)
		if (!ev_reason_char(*s))
			*s = '_';
}

size_t ev_reason_name(const char *reason, char *out, size_t cap)
{
	size_t n = 0;

	if (!cap)
		return 0;
	for (; reason && n + 1 < cap && ((reason[n] >= 'a' && reason[n] <= 'z') ||
					 (reason[n] >= '0' && reason[n] <= '9') || reason[n] == '_');
	     n++)
		out[n] = reason[n];
	out[n] = '\0';
	return n;
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

/* A device whose numbers are not the job's makes the verdict unknown, for
 * the reason its state gives; a reason that names the counter at fault says
 * which. */
static const struct {
	const char *why;
	bool names_counter;
} untrusted[] = {
	[EV_DEV_RESET] = { "counter_reset", true },
	[EV_DEV_MISSING] = { "device_missing", false },
	[EV_DEV_UNREADABLE] = { "counter_unreadable", true },
	/* A driver without byte counters: no traffic is not zero traffic. */
	[EV_DEV_NO_COUNTERS] = { "no_byte_counters", false },
};
_Static_assert(EV_NAMES_N(untrusted) == EV_DEV_STATE_LAST + 1, "a reason for every state a device can be in");

/* Data that makes the totals not the job's: the verdict is unknown. */
static bool untrustworthy(const struct ev_node_delta *d, struct ev_node_verdict *out)
{
	for (size_t i = 0; i < d->n; i++) {
		const struct ev_dev_delta *x = &d->devs[i];

		if (x->state == EV_DEV_OK)
			continue;
		if (untrusted[x->state].names_counter)
			set(out, EV_V_UNKNOWN, "%s:%s@%s", untrusted[x->state].why, x->bad_counter, x->dev);
		else
			set(out, EV_V_UNKNOWN, "%s@%s", untrusted[x->state].why, x->dev);
		return true;
	}
	if (d->tcp_reset) {
		set(out, EV_V_UNKNOWN, "tcp_counter_reset@%s", d->tcp_bad_if);
		return true;
	}
	return false;
}

#define GIB (1024.0 * 1024.0 * 1024.0)

/* A rate as a reason shows it: whole events from 100 up, else 3 digits. */
static void fmt_rate(char *buf, size_t cap, double r)
{
	snprintf(buf, cap, r >= 100 ? "%.0f" : "%.3g", r);
}

/* Error growth judged per GiB of the device's own traffic, so a sick NIC is
 * not averaged away by 31 healthy ones; a device that moved less than a
 * GiB is judged as if it had moved one, so the first event of a small job
 * is no storm. The counter furthest past its family's rate is named. */
static bool error_storm(const struct ev_verdict_cfg *c, const struct ev_node_delta *d, struct ev_node_verdict *out)
{
	const struct ev_dev_delta *wd = NULL;
	double wrate = 0, wover = 0;
	size_t wk = 0;
	char rate[32];

	for (size_t i = 0; i < d->n; i++) {
		const struct ev_dev_delta *x = &d->devs[i];
		double gib = (double)x->bytes / GIB;

		if (x->state != EV_DEV_OK)
			continue;
		if (gib < 1.0)
			gib = 1.0;
		for (size_t k = 0; k < EV_N_ERROR_COUNTERS; k++) {
			double r = (double)x->error_growth[k] / gib, max;
			double over;

			if (!x->error_known[k] || !x->error_growth[k])
				continue;
			max = c->max_errors_per_gib[ev_error_counter_family[k]];
			if (r <= max)
				continue;
			over = max > 0 ? r / max : HUGE_VAL;
			if (!wd || over > wover) {
				wd = x;
				wk = k;
				wrate = r;
				wover = over;
			}
		}
	}
	if (!wd)
		return false;
	fmt_rate(rate, sizeof(rate), wrate);
	set(out, EV_V_DEGRADED, "%s:%s/GiB@%s", ev_error_counters[wk], rate, wd->dev);
	return true;
}

/* Why idle NICs are not held against this node, or NULL if they are: only
 * a multi-node job that had the whole node could have used every NIC. */
static const char *idle_nics_excused(const struct ev_verdict_in *in)
{
	if (in->job_nodes == 1)
		return "single_node";
	if (in->job_nodes == 0)
		return "job_nodes_unknown";
	if (in->whole_node == EV_WHOLE_NO)
		return "part_of_node";
	if (in->whole_node == EV_WHOLE_UNKNOWN)
		return "whole_node_unknown";
	return NULL;
}

void ev_verdict_decide(const struct ev_verdict_cfg *c, const struct ev_verdict_in *in,
		       struct ev_node_verdict *out)
{
	const struct ev_node_delta *d = in->delta;
	uint64_t busiest = 0;
	size_t idle = 0;
	double share;
	const char *excuse;

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
	/* TCP's share of the inter-node bytes, whatever EFA moved: 2 MiB of
	 * EFA beside 500 GB of TCP is a fallback too, a partial one. job_nodes
	 * 0 (not known): judged as multi-node, since a fallback missed is worse
	 * than one reported on a single-node job. */
	if (in->job_nodes != 1 && d->tcp_bytes >= c->min_bytes && share > c->tcp_fallback_fraction) {
		if (d->efa_bytes < c->efa_idle_bytes) {
			set(out, EV_V_TCP_FALLBACK, "tcp_bytes:%llu/efa_bytes:%llu",
			    (unsigned long long)d->tcp_bytes, (unsigned long long)d->efa_bytes);
		} else {
			/* Cut, not rounded: 0.999 is not all of it. */
			set(out, EV_V_TCP_FALLBACK, "tcp_share:%.2f/tcp_bytes:%llu/efa_bytes:%llu",
			    floor(share * 100.0) / 100.0, (unsigned long long)d->tcp_bytes,
			    (unsigned long long)d->efa_bytes);
		}
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
	if (error_storm(c, d, out))
		goto done;
	for (size_t i = 0; i < d->n; i++)
		if (d->devs[i].bytes > busiest)
			busiest = d->devs[i].bytes;
	for (size_t i = 0; i < d->n; i++)
		if ((double)d->devs[i].bytes < c->idle_nic_fraction * (double)busiest)
			idle++;
	excuse = idle_nics_excused(in);
	if (idle && !excuse) {
		set(out, EV_V_DEGRADED, "idle_nics:%zu/%zu", idle, d->n);
	} else if (idle) {
		/* ok, and the record's reader still learns why not degraded:
		 * for a multi-node job, with what the prolog saw. */
		const char *why = in->job_nodes > 1 && in->whole_node_why ? in->whole_node_why : "";

		set(out, EV_V_OK, "idle_nics:%zu/%zu:not_judged:%s%s%s", idle, d->n, excuse, *why ? ":" : "", why);
	} else {
		set(out, EV_V_OK, "%s", "");
	}
done:
	out->shared = in->shared;
}
