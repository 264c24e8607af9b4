#include "record/ev_record.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config/ev_config.h"
#include "record/ev_hostlist.h"
#include "record/ev_value.h"

/* Room kept at the end of a record for ";+N_more". */
#define MORE_RESERVE 24

/* a and b name the same causes alike: 0, else their order. */
static int cmp_causes(const struct ev_causes *a, const struct ev_causes *b)
{
	int c;

	if (a->n != b->n)
		return a->n > b->n ? -1 : 1;
	for (size_t i = 0; i < a->n; i++) {
		if (a->c[i].name != b->c[i].name)
			return a->c[i].name < b->c[i].name ? -1 : 1;
		if (a->c[i].certainty != b->c[i].certainty)
			return a->c[i].certainty < b->c[i].certainty ? -1 : 1;
		if ((c = strcmp(a->c[i].detail, b->c[i].detail)))
			return c;
	}
	return 0;
}

/* The kind of a reason, for grouping: "idle_nics:3/32" -> "idle_nics". */
static void reason_kind(const char *reason, char *out, size_t cap)
{
	size_t n = strcspn(reason, ":+@");

	if (n >= cap)
		n = cap - 1;
	memcpy(out, reason, n);
	out[n] = '\0';
}

static int cmp_results(const void *a, const void *b)
{
	const struct ev_node_result *x = a, *y = b;
	char *nx = (char *)x->node, *ny = (char *)y->node;
	int c = ev_hostlist_cmp(&nx, &ny);

	if (c)
		return c;
	/* The same node twice: the worse result first, so it is the one kept;
	 * then every field, so equal-looking duplicates still sort one way. */
	if (x->verdict != y->verdict)
		return x->verdict > y->verdict ? -1 : 1;
	if ((c = strcmp(x->reason, y->reason)))
		return c;
	if (x->efa_bytes != y->efa_bytes)
		return x->efa_bytes > y->efa_bytes ? -1 : 1;
	if (x->tcp_bytes != y->tcp_bytes)
		return x->tcp_bytes > y->tcp_bytes ? -1 : 1;
	if (x->other_tcp_bytes != y->other_tcp_bytes)
		return x->other_tcp_bytes > y->other_tcp_bytes ? -1 : 1;
	if (x->tcp_source != y->tcp_source)
		return x->tcp_source < y->tcp_source ? -1 : 1;
	if (x->shared != y->shared)
		return x->shared ? -1 : 1;
	if (x->jobid != y->jobid)
		return x->jobid < y->jobid ? -1 : 1;
	if (x->job_nodes != y->job_nodes)
		return x->job_nodes > y->job_nodes ? -1 : 1;
	if ((c = cmp_causes(&x->causes, &y->causes)))
		return c;
	return ev_containers_cmp(&x->containers, &y->containers);
}

static uint64_t sat_add(uint64_t a, uint64_t b)
{
	return a > UINT64_MAX - b ? UINT64_MAX : a + b;
}

/* How many of names[0..k) (sorted) are listed within cap: all if they fit,
 * else a prefix found by bisection. A longer prefix can, rarely, compress
 * shorter than a slightly shorter one, so this is not always the very
 * longest, but it is deterministic, which is what the record needs. */
static size_t fit_hostlist(char **names, size_t k, char *hl, size_t cap)
{
	size_t lo = 0, hi = k;

	if (ev_hostlist_compress(names, k, hl, cap) == 0)
		return k;
	while (lo < hi) {
		size_t mid = lo + (hi - lo + 1) / 2;

		if (ev_hostlist_compress(names, mid, hl, cap) == 0)
			lo = mid;
		else
			hi = mid - 1;
	}
	if (!lo || ev_hostlist_compress(names, lo, hl, cap) != 0) {
		hl[0] = '\0';
		return 0;
	}
	return lo;
}

/* The nodes that name one cause with one certainty. */
struct cause_group {
	enum ev_cause_name name;
	enum ev_cause_certainty certainty;
	size_t k;
	const char *detail;               /* all of them say it; NULL where they differ */
};

/* Certain first, then the most nodes, then the vocabulary's order. */
static int cmp_cause_groups(const void *a, const void *b)
{
	const struct cause_group *x = a, *y = b;

	if (x->certainty != y->certainty)
		return x->certainty == EV_CAUSE_CERTAIN ? -1 : 1;
	if (x->k != y->k)
		return x->k > y->k ? -1 : 1;
	return x->name < y->name ? -1 : x->name > y->name;
}

static bool has_cause(const struct ev_node_result *r, const struct cause_group *g, const char **detail)
{
	const struct ev_cause *c = ev_causes_find(&r->causes, g->name);

	if (!c || c->certainty != g->certainty)
		return false;
	*detail = c->detail;
	return true;
}

/* The " cause=GROUP;..." token of r[0..m) into out, at most cap-1 bytes
 * ("" when no node names a cause). A group that does not fit whole is left
 * out: a cause never names part of its nodes. names: room for m names;
 * hl: EV_RECORD_MAX bytes. */
static void build_causes(struct ev_node_result *r, size_t m, char **names, char *hl, char *out, size_t cap)
{
	struct cause_group g[2 * EV_CAUSE__COUNT];
	size_t ng = 0, o = 0;

	out[0] = '\0';
	for (int c = EV_CAUSE_CERTAIN; c <= EV_CAUSE_LIKELY; c++) {
		for (int n = 0; n < EV_CAUSE__COUNT; n++) {
			struct cause_group x = { (enum ev_cause_name)n, (enum ev_cause_certainty)c, 0, NULL };
			const char *d;
			bool same = true;

			for (size_t i = 0; i < m; i++) {
				if (!has_cause(&r[i], &x, &d))
					continue;
				same = same && (!x.k || strcmp(x.detail, d) == 0);
				if (!x.k)
					x.detail = d;
				x.k++;
			}
			if (!x.k)
				continue;
			if (!same)
				x.detail = NULL;
			g[ng++] = x;
		}
	}
	qsort(g, ng, sizeof(*g), cmp_cause_groups);
	for (size_t j = 0; j < ng; j++) {
		char label[EV_CAUSE_DETAIL_MAX + 32];
		const char *sep = o ? ";" : " cause=", *d, *detail = g[j].detail ? g[j].detail : "";
		size_t k = 0, used;

		for (size_t i = 0; i < m; i++)
			if (has_cause(&r[i], &g[j], &d))
				names[k++] = r[i].node;
		snprintf(label, sizeof(label), ":%s%s%s%s%s", ev_cause_name(g[j].name),
			 g[j].certainty == EV_CAUSE_LIKELY ? "~" : "", detail[0] ? "(" : "", detail, detail[0] ? ")" : "");
		used = o + strlen(sep) + strlen(label);
		if (used >= cap || ev_hostlist_compress(names, k, hl, cap - used) != 0)
			continue;
		o += (size_t)snprintf(out + o, cap - o, "%s%s%s", sep, hl, label);
	}
}

/* " containers=..." of r[0..m) after out, in the room the rest left
 * (cap): never at the cost of the counts, bad= or cause=. */
static int add_containers(const struct ev_node_result *r, size_t m, char *out, size_t cap, struct ev_err *err)
{
	static const char key[] = " containers=";
	const struct ev_containers **sets = malloc((m ? m : 1) * sizeof(*sets));
	struct ev_containers all;
	size_t k = 0, o = strlen(out);
	int rc;

	if (!sets)
		return ev_errf(err, -ENOMEM, "out of memory");
	for (size_t i = 0; i < m; i++)
		if (r[i].containers.n || r[i].containers.more)
			sets[k++] = &r[i].containers;
	rc = ev_containers_union(sets, k, &all, err);
	free(sets);
	if (rc || (!all.n && !all.more) || o + strlen(key) + EV_CONTAINERS_TEXT_MIN > cap)
		return rc;
	memcpy(out + o, key, sizeof(key));
	o += strlen(key);
	return ev_containers_format(&all, out + o, cap - o) ? ev_errf(err, -EINVAL, "containers refused") : 0;
}

int ev_record_build(const struct ev_node_result *results, size_t n, unsigned total_nodes,
		    char *out, size_t cap, struct ev_err *err)
{
	struct ev_node_result *r = NULL;
	char **names = NULL, *hl = NULL, *causes = NULL, ctext[EV_CAUSES_MAX * (EV_CAUSE_DETAIL_MAX + 24)];
	bool *done = NULL;
	enum ev_verdict worst = EV_V_NO_TRAFFIC;
	enum ev_tcp_source source = EV_TCP_SRC_NONE;
	uint64_t efa = 0, tcp = 0, other = 0;
	char tcp_text[128] = "";
	size_t m = 0, shared = 0, iface = 0, o = 0, groups = 0, more = 0, lim;
	int rc = 0, w;

	if (!cap)
		return ev_errf(err, -ENAMETOOLONG, "record buffer too small");
	out[0] = '\0';
	if (cap > EV_RECORD_MAX)
		cap = EV_RECORD_MAX;
	for (size_t i = 0; i < n; i++)
		if (!ev_valid_nodename(results[i].node) || !ev_verdict_valid(results[i].verdict) ||
		    ev_causes_format(&results[i].causes, ctext, sizeof(ctext)) != 0 ||
		    !ev_containers_valid(&results[i].containers))
			return ev_errf(err, -EINVAL, "node result %zu: bad node name, verdict, causes or containers", i);
	hl = malloc(EV_RECORD_MAX);
	causes = malloc(EV_RECORD_MAX);
	if (n) {
		r = malloc(n * sizeof(*r));
		names = malloc(n * sizeof(*names));
		done = calloc(n, sizeof(*done));
	}
	if (!hl || !causes || (n && (!r || !names || !done))) {
		rc = ev_errf(err, -ENOMEM, "out of memory");
		goto out;
	}
	if (n) {
		memcpy(r, results, n * sizeof(*r));
		qsort(r, n, sizeof(*r), cmp_results);
	}
	/* One result per node. */
	for (size_t i = 0; i < n; i++)
		if (!m || strcmp(r[m - 1].node, r[i].node) != 0)
			r[m++] = r[i];
	if (!m)
		worst = EV_V_UNKNOWN;
	for (size_t i = 0; i < m; i++) {
		worst = ev_verdict_worse(worst, r[i].verdict);
		efa = sat_add(efa, r[i].efa_bytes);
		tcp = sat_add(tcp, r[i].tcp_bytes);
		other = sat_add(other, r[i].other_tcp_bytes);
		shared += r[i].shared;
		/* One node on interfaces makes the job's TCP figure an upper
		 * bound: the record says so. */
		if (r[i].tcp_source == EV_TCP_SRC_INTERFACE ||
		    (r[i].tcp_source == EV_TCP_SRC_NFTABLES && source == EV_TCP_SRC_NONE))
			source = r[i].tcp_source;
		iface += r[i].tcp_source == EV_TCP_SRC_INTERFACE;
	}
	/* How many: one node that could not make its table is not a job that
	 * counted none, and only the others' TCP is the job's own. */
	if (source == EV_TCP_SRC_INTERFACE)
		snprintf(tcp_text, sizeof(tcp_text), " other_tcp_bytes=%" PRIu64 " tcp_source=%s iface_nodes=%zu",
			 other, ev_tcp_source_name(source), iface);
	else if (source != EV_TCP_SRC_NONE)
		snprintf(tcp_text, sizeof(tcp_text), " other_tcp_bytes=%" PRIu64 " tcp_source=%s", other,
			 ev_tcp_source_name(source));
	/* Nodes that never reported make the job's verdict unknown at best. */
	if (m < total_nodes)
		worst = ev_verdict_worse(worst, EV_V_UNKNOWN);
	w = snprintf(out, cap, EV_RECORD_PREFIX " verdict=%s nodes=%zu/%zu efa_bytes=%" PRIu64
		     " tcp_bytes=%" PRIu64 "%s", ev_verdict_name(worst), m, total_nodes > m ? (size_t)total_nodes : m,
		     efa, tcp, tcp_text);
	if (w > 0 && shared && (size_t)w < cap)
		w += snprintf(out + w, cap - (size_t)w, " shared=%zu", shared);
	if (w < 0 || (size_t)w + MORE_RESERVE >= cap) {
		out[0] = '\0';
		rc = ev_errf(err, -ENAMETOOLONG, "record buffer too small");
		goto out;
	}
	o = (size_t)w;
	/* Causes may take up to half the room the bad nodes would have, and
	 * stand after them; what they leave is the bad nodes'. */
	build_causes(r, m, names, hl, causes, (cap - 1 - o - MORE_RESERVE) / 2 + 1);
	lim = cap - strlen(causes);
	/* Bad nodes, grouped by verdict and reason kind, worst first. */
	for (int v = EV_V_NOT_READY; v > EV_V_OK; v--) {
		for (size_t i = 0; i < m; i++) {
			char kind[EV_REASON_MAX], k2[EV_REASON_MAX], label[EV_REASON_MAX + 32];
			char enc[EV_REASON_MAX];
			const char *sep = groups ? ";" : " bad=";
			size_t k = 0, fit, used;
			bool same = true;
			long budget;

			if (done[i] || (int)r[i].verdict != v)
				continue;
			reason_kind(r[i].reason, kind, sizeof(kind));
			for (size_t j = i; j < m; j++) {
				if (done[j] || r[j].verdict != r[i].verdict)
					continue;
				reason_kind(r[j].reason, k2, sizeof(k2));
				if (strcmp(kind, k2) != 0)
					continue;
				done[j] = true;
				same = same && strcmp(r[j].reason, r[i].reason) == 0;
				names[k++] = r[j].node;
			}
			ev_value_encode(same ? r[i].reason : kind, enc, sizeof(enc));
			snprintf(label, sizeof(label), ":%s%s%s%s", ev_verdict_name(r[i].verdict), enc[0] ? "(" : "",
				 enc, enc[0] ? ")" : "");
			used = o + strlen(sep) + strlen(label) + MORE_RESERVE;
			budget = (long)lim - 1 - (long)used;
			if (budget <= 0) {
				more += k;
				continue;
			}
			fit = fit_hostlist(names, k, hl, (size_t)budget + 1);
			more += k - fit;
			if (!fit)
				continue;
			o += (size_t)snprintf(out + o, lim - o, "%s%s%s", sep, hl, label);
			groups++;
		}
	}
	if (more)
		o += (size_t)snprintf(out + o, lim - o, "%s+%zu_more", groups ? ";" : " bad=", more);
	memcpy(out + o, causes, strlen(causes) + 1);
	rc = add_containers(r, m, out, cap, err);
out:
	free(r);
	free(names);
	free(done);
	free(hl);
	free(causes);
	return rc;
}
