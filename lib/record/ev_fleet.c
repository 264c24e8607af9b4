#include "record/ev_fleet.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/ev_array.h"
#include "util/ev_strmap.h"
#include "record/ev_hostlist.h"
#include "record/ev_record.h"

struct ev_fleet {
	struct ev_fleet_totals t;
	struct ev_strmap node_names;
	struct ev_fleet_node *nodes;       /* by the map's index */
	size_t nodes_cap;
	struct {
		struct ev_strmap names;
		struct ev_fleet_group *g;
		size_t cap;
	} by[EV_FLEET__BY];
	uint64_t seq;                      /* the job being added, from 1 */
};

int ev_fleet_new(struct ev_fleet **f)
{
	return (*f = calloc(1, sizeof(**f))) ? 0 : -ENOMEM;
}

void ev_fleet_free(struct ev_fleet **f)
{
	if (!*f)
		return;
	ev_strmap_free(&(*f)->node_names);
	free((*f)->nodes);
	for (int b = 0; b < EV_FLEET__BY; b++) {
		ev_strmap_free(&(*f)->by[b].names);
		free((*f)->by[b].g);
	}
	free(*f);
	*f = NULL;
}

const struct ev_fleet_totals *ev_fleet_totals(const struct ev_fleet *f)
{
	return &f->t;
}

size_t ev_fleet_nodes_seen(const struct ev_fleet *f)
{
	return f->node_names.n;
}

double ev_fleet_share(uint64_t part, uint64_t whole)
{
	return whole ? (double)part / (double)whole : 0.0;
}

static struct ev_fleet_group *group(struct ev_fleet *f, enum ev_fleet_by by, const char *name)
{
	struct ev_strmap *m = &f->by[by].names;
	size_t i;
	bool added;

	if (!name || !*name)
		name = "(none)";
	/* Room first: a name the map takes always has its counts. */
	if (ev_array_room(&f->by[by].g, &f->by[by].cap, m->n, sizeof(*f->by[by].g), 16) ||
	    ev_strmap_put(m, name, &i, &added))
		return NULL;
	if (added) {
		memset(&f->by[by].g[i], 0, sizeof(f->by[by].g[i]));
		f->by[by].g[i].name = ev_strmap_name(m, i);
	}
	return &f->by[by].g[i];
}

/* The node, counted once as one of this job's. */
static struct ev_fleet_node *node(struct ev_fleet *f, const char *name)
{
	struct ev_fleet_node *n;
	size_t i;
	bool added;

	if (ev_array_room(&f->nodes, &f->nodes_cap, f->node_names.n, sizeof(*f->nodes), 64) ||
	    ev_strmap_put(&f->node_names, name, &i, &added))
		return NULL;
	n = &f->nodes[i];
	if (added) {
		memset(n, 0, sizeof(*n));
		n->name = ev_strmap_name(&f->node_names, i);
	}
	if (n->seen_ != f->seq) {
		n->seen_ = f->seq;
		n->jobs++;
		f->t.node_jobs++;
	}
	return n;
}

/* Each name of a host list, as a node of this job, handed to fn (may be
 * NULL). A list that cannot be read is counted, not an error. */
static int each_node(struct ev_fleet *f, const char *hl, void (*fn)(struct ev_fleet_node *, const void *),
		     const void *arg, struct ev_err *err)
{
	struct ev_err ignored;
	char **names = NULL;
	size_t n = 0;
	int rc = 0;

	if (!hl || !*hl || strchr(hl, ' '))   /* none, or "None assigned" */
		return 0;
	if ((rc = ev_hostlist_expand(hl, EV_FLEET_HOSTLIST_MAX, &names, &n, &ignored)) != 0) {
		ev_hostlist_free(names, n);
		if (rc == -ENOMEM)
			return ev_errf(err, rc, "out of memory");
		f->t.hostlists_unread++;
		return 0;
	}
	for (size_t i = 0; i < n && !rc; i++) {
		struct ev_fleet_node *nd = node(f, names[i]);

		if (!nd)
			rc = ev_errf(err, -ENOMEM, "out of memory");
		else if (fn)
			fn(nd, arg);
	}
	ev_hostlist_free(names, n);
	return rc;
}

struct bad_arg {
	struct ev_fleet *f;
	int64_t end;
};

static void mark_bad(struct ev_fleet_node *n, const void *arg)
{
	const struct bad_arg *a = arg;

	if (n->bad_seen_ == a->f->seq)
		return;
	n->bad_seen_ = a->f->seq;
	n->not_ok++;
	a->f->t.node_not_ok++;
	if (a->end > n->last_not_ok)
		n->last_not_ok = a->end;
}

static void mark_cause(struct ev_fleet_node *n, const void *arg)
{
	const struct ev_record_cause *c = arg;

	n->causes[c->name][c->certainty == EV_CAUSE_LIKELY]++;
}

int ev_fleet_add(struct ev_fleet *f, const struct ev_fleet_job *job, struct ev_err *err)
{
	struct ev_fleet_group *g[EV_FLEET__BY];
	struct ev_fleet_totals *t = &f->t;
	uint64_t gpu_s = job->gpus * job->elapsed;
	struct ev_record rec;
	struct ev_err perr = { "" };
	int rc;

	t->jobs++;
	f->seq++;
	rc = ev_record_parse(job->admin_comment, &rec, &perr);
	if (rc == -ENOENT && !job->started) {
		/* Cancelled before it ran: no traffic, and no record to expect. */
		t->not_started++;
		ev_record_free(&rec);
		return 0;
	}
	if (rc == -ENOMEM) {
		ev_record_free(&rec);
		return ev_errf(err, rc, "out of memory");
	}
	g[EV_FLEET_USER] = group(f, EV_FLEET_USER, job->user);
	g[EV_FLEET_ACCOUNT] = group(f, EV_FLEET_ACCOUNT, job->account);
	g[EV_FLEET_PARTITION] = group(f, EV_FLEET_PARTITION, job->partition);
	if (!g[0] || !g[1] || !g[2]) {
		ev_record_free(&rec);
		return ev_errf(err, -ENOMEM, "out of memory");
	}
	for (int b = 0; b < EV_FLEET__BY; b++)
		g[b]->jobs++;
	if (job->gpus) {
		t->gpu_jobs++;
		t->gpu_seconds += gpu_s;
	}
	if (rc == -ENOENT) {
		t->no_record++;
		ev_record_free(&rec);
		return 0;
	}
	if (rc != 0) {
		if (!t->malformed++)
			snprintf(t->malformed_why, sizeof(t->malformed_why), "%s", perr.msg);
		if (t->n_malformed_jobs < EV_FLEET_EXAMPLES)
			t->malformed_jobs[t->n_malformed_jobs++] = job->jobid;
		ev_record_free(&rec);
		return 0;
	}
	t->verdicts[rec.verdict]++;
	t->gpu_seconds_judged += gpu_s;
	for (int b = 0; b < EV_FLEET__BY; b++)
		g[b]->judged++;
	if (rec.verdict == EV_V_TCP_FALLBACK) {
		t->gpu_seconds_fallback += gpu_s;
		for (int b = 0; b < EV_FLEET__BY; b++)
			g[b]->tcp_fallback++;
	}
	t->unlisted_not_ok += rec.more;
	rc = each_node(f, job->nodes, NULL, NULL, err);
	for (size_t i = 0; !rc && i < rec.n_groups; i++)
		rc = each_node(f, rec.groups[i].hosts, mark_bad, &(struct bad_arg){ f, job->end }, err);
	for (size_t i = 0; !rc && i < rec.n_causes; i++)
		rc = each_node(f, rec.causes[i].hosts, mark_cause, &rec.causes[i], err);
	ev_record_free(&rec);
	return rc;
}

/* Sign of a*b - c*d, exactly: shares compare as cross products, and
 * 64-bit products could overflow (no 128-bit type on every target). */
static int cmp_products(uint64_t a, uint64_t b, uint64_t c, uint64_t d)
{
	uint64_t h[2], l[2], x[2][2] = { { a, b }, { c, d } };

	for (int k = 0; k < 2; k++) {
		uint64_t xl = x[k][0] & 0xffffffffu, xh = x[k][0] >> 32;
		uint64_t yl = x[k][1] & 0xffffffffu, yh = x[k][1] >> 32;
		uint64_t p0 = xl * yl, p1 = xl * yh, p2 = xh * yl, p3 = xh * yh;
		uint64_t mid = (p0 >> 32) + (p1 & 0xffffffffu) + (p2 & 0xffffffffu);

		l[k] = (mid << 32) | (p0 & 0xffffffffu);
		h[k] = p3 + (p1 >> 32) + (p2 >> 32) + (mid >> 32);
	}
	if (h[0] != h[1])
		return h[0] > h[1] ? 1 : -1;
	return l[0] == l[1] ? 0 : l[0] > l[1] ? 1 : -1;
}

bool ev_fleet_repeat(const struct ev_fleet *f, const struct ev_fleet_node *n)
{
	/* not_ok/jobs >= FACTOR * node_not_ok/node_jobs, multiplied out. */
	return n->not_ok >= EV_FLEET_REPEAT_MIN_JOBS &&
	       cmp_products(n->not_ok, f->t.node_jobs, EV_FLEET_REPEAT_FACTOR * f->t.node_not_ok, n->jobs) >= 0;
}

static int cmp_node(const void *a, const void *b)
{
	const struct ev_fleet_node *x = *(const struct ev_fleet_node *const *)a;
	const struct ev_fleet_node *y = *(const struct ev_fleet_node *const *)b;
	int c;

	if (x->not_ok != y->not_ok)
		return x->not_ok > y->not_ok ? -1 : 1;
	if ((c = cmp_products(x->not_ok, y->jobs, y->not_ok, x->jobs)))
		return -c;
	if (x->last_not_ok != y->last_not_ok)
		return x->last_not_ok > y->last_not_ok ? -1 : 1;
	return ev_hostlist_cmp(&x->name, &y->name);
}
int ev_fleet_nodes(const struct ev_fleet *f, const struct ev_fleet_node ***out, size_t *n)
{
	size_t k = 0;

	*out = NULL;
	*n = 0;
	for (size_t i = 0; i < f->node_names.n; i++)
		k += f->nodes[i].not_ok > 0;
	if (!k)
		return 0;
	if (!(*out = calloc(k, sizeof(**out))))
		return -ENOMEM;
	for (size_t i = 0; i < f->node_names.n; i++)
		if (f->nodes[i].not_ok)
			(*out)[(*n)++] = &f->nodes[i];
	qsort(*out, *n, sizeof(**out), cmp_node);
	return 0;
}

static int cmp_group(const void *a, const void *b)
{
	const struct ev_fleet_group *x = *(const struct ev_fleet_group *const *)a;
	const struct ev_fleet_group *y = *(const struct ev_fleet_group *const *)b;
	int c;

	if (x->tcp_fallback != y->tcp_fallback)
		return x->tcp_fallback > y->tcp_fallback ? -1 : 1;
	if ((c = cmp_products(x->tcp_fallback, y->judged, y->tcp_fallback, x->judged)))
		return -c;
	if (x->jobs != y->jobs)
		return x->jobs > y->jobs ? -1 : 1;
	return strcmp(x->name, y->name);
}

int ev_fleet_groups(const struct ev_fleet *f, enum ev_fleet_by by, const struct ev_fleet_group ***out,
		    size_t *n)
{
	size_t k = 0;

	*out = NULL;
	*n = 0;
	if ((unsigned)by >= EV_FLEET__BY)
		return -EINVAL;
	if (!(k = f->by[by].names.n))
		return 0;
	if (!(*out = calloc(k, sizeof(**out))))
		return -ENOMEM;
	for (size_t i = 0; i < k; i++)
		(*out)[(*n)++] = &f->by[by].g[i];
	qsort(*out, *n, sizeof(**out), cmp_group);
	return 0;
}
