#include "ev_record.h"

#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int ev_result_format(const struct ev_node_result *r, char *out, size_t cap)
{
	int n = snprintf(out, cap, "node=%s verdict=%s efa_bytes=%" PRIu64 " tcp_bytes=%" PRIu64
			 " shared=%d reason=%s", r->node, ev_verdict_name(r->verdict), r->efa_bytes,
			 r->tcp_bytes, r->shared ? 1 : 0, r->reason[0] ? r->reason : "-");

	return n < 0 || (size_t)n >= cap ? -ENAMETOOLONG : 0;
}

static bool token_ok(const char *s, bool name)
{
	if (!*s)
		return false;
	for (; *s; s++)
		if (!(isalnum((unsigned char)*s) || strchr(name ? "._-" : "_.:/+-@", *s)))
			return false;
	return true;
}

int ev_result_parse(const char *line, struct ev_node_result *r, struct ev_err *err)
{
	char buf[EV_RESULT_LINE_MAX], *save = NULL;
	unsigned seen = 0;

	memset(r, 0, sizeof(*r));
	if (strlen(line) >= sizeof(buf))
		return ev_errf(err, -EMSGSIZE, "node result longer than %d bytes", EV_RESULT_LINE_MAX);
	memcpy(buf, line, strlen(line) + 1);
	for (char *t = strtok_r(buf, " \n", &save); t; t = strtok_r(NULL, " \n", &save)) {
		char *v = strchr(t, '=');
		char *end;

		if (!v)
			return ev_errf(err, -EBADMSG, "node result: '%.32s' is not key=value", t);
		*v++ = '\0';
		if (strcmp(t, "node") == 0 && token_ok(v, true) && strlen(v) < sizeof(r->node)) {
			memcpy(r->node, v, strlen(v) + 1);
			seen |= 1;
		} else if (strcmp(t, "verdict") == 0 && ev_verdict_from_name(v) >= 0) {
			r->verdict = (enum ev_verdict)ev_verdict_from_name(v);
			seen |= 2;
		} else if ((strcmp(t, "efa_bytes") == 0 || strcmp(t, "tcp_bytes") == 0) && isdigit((unsigned char)*v)) {
			uint64_t x = strtoull(v, &end, 10);

			if (*end)
				return ev_errf(err, -EBADMSG, "node result: bad %s", t);
			*(t[0] == 'e' ? &r->efa_bytes : &r->tcp_bytes) = x;
			seen |= t[0] == 'e' ? 4 : 8;
		} else if (strcmp(t, "shared") == 0 && (strcmp(v, "0") == 0 || strcmp(v, "1") == 0)) {
			r->shared = v[0] == '1';
		} else if (strcmp(t, "reason") == 0 && token_ok(v, false) && strlen(v) < sizeof(r->reason)) {
			if (strcmp(v, "-") != 0)
				memcpy(r->reason, v, strlen(v) + 1);
		} else {
			return ev_errf(err, -EBADMSG, "node result: bad or unknown field '%.32s'", t);
		}
	}
	if (seen != 15)
		return ev_errf(err, -EBADMSG, "node result: node, verdict, efa_bytes and tcp_bytes are required");
	return 0;
}

/* Prefix and numeric suffix: "queue-st-p5-12" -> ("queue-st-p5-", 12).
 * width is the zero-padded width ("n007" -> 3), 0 for an unpadded number
 * ("n12"), -1 for no number: n9 and n10 belong in one range, n09 does not. */
static void split(const char *s, size_t *plen, unsigned long long *num, int *width)
{
	size_t n = strlen(s), i = n;

	while (i > 0 && isdigit((unsigned char)s[i - 1]) && n - i < 18)
		i--;
	*plen = i;
	if (i == n) {
		*width = -1;
		*num = 0;
		return;
	}
	*width = (s[i] == '0' && n - i > 1) ? (int)(n - i) : 0;
	*num = strtoull(s + i, NULL, 10);
}

static int cmp_names(const void *a, const void *b)
{
	const char *x = *(char *const *)a, *y = *(char *const *)b;
	size_t px, py;
	unsigned long long nx, ny;
	int wx, wy, c;

	split(x, &px, &nx, &wx);
	split(y, &py, &ny, &wy);
	c = strncmp(x, y, px < py ? px : py);
	if (c || px != py)
		return c ? c : (px < py ? -1 : 1);
	if (wx != wy)
		return wx < wy ? -1 : 1;
	if (nx != ny)
		return nx < ny ? -1 : 1;
	return 0;
}

int ev_hostlist_compress(char **names, size_t n, char *out, size_t cap)
{
	size_t o = 0, i = 0;

#define EMIT(...) do { \
		int w_ = snprintf(out + o, cap > o ? cap - o : 0, __VA_ARGS__); \
		if (w_ < 0 || o + (size_t)w_ >= cap) return -ENAMETOOLONG; \
		o += (size_t)w_; \
	} while (0)

	if (!cap)
		return -ENAMETOOLONG;
	out[0] = '\0';
	qsort(names, n, sizeof(*names), cmp_names);
	while (i < n) {
		size_t plen, j = i;
		unsigned long long num;
		int width;
		bool bracket;

		split(names[i], &plen, &num, &width);
		if (width < 0) {
			EMIT("%s%s", o ? "," : "", names[i]);
			i++;
			continue;
		}
		/* Every name of this prefix and width goes in one bracket. */
		while (j < n) {
			size_t pl;
			unsigned long long nm;
			int wd;

			split(names[j], &pl, &nm, &wd);
			if (pl != plen || wd != width || strncmp(names[j], names[i], plen) != 0)
				break;
			j++;
		}
		bracket = j - i > 1;
		EMIT("%s%.*s%s", o ? "," : "", (int)plen, names[i], bracket ? "[" : "");
		for (size_t k = i; k < j;) {
			size_t pl, e = k;
			unsigned long long a, b;
			int wd;

			split(names[k], &pl, &a, &wd);
			b = a;
			while (e + 1 < j) {
				unsigned long long c;

				split(names[e + 1], &pl, &c, &wd);
				if (c == b)        /* duplicate name */
					e++;
				else if (c == b + 1)
					b = c, e++;
				else
					break;
			}
			if (a == b)
				EMIT("%s%0*llu", k > i ? "," : "", width, a);
			else
				EMIT("%s%0*llu-%0*llu", k > i ? "," : "", width, a, width, b);
			(void)num;
			k = e + 1;
		}
		if (bracket)
			EMIT("]");
		i = j;
	}
#undef EMIT
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
	int c = cmp_names(&nx, &ny);

	if (c)
		return c;
	/* The same node twice: the worse result first, so it is the one kept. */
	if (x->verdict != y->verdict)
		return x->verdict > y->verdict ? -1 : 1;
	return strcmp(x->reason, y->reason);
}

int ev_record_build(const struct ev_node_result *results, size_t n, unsigned total_nodes,
		    char *out, size_t cap, struct ev_err *err)
{
	struct ev_node_result *r = NULL;
	char **names = NULL;
	bool *done = NULL;
	enum ev_verdict worst = EV_V_NO_TRAFFIC;
	uint64_t efa = 0, tcp = 0;
	size_t m = 0, shared = 0, o = 0, groups = 0, more = 0;
	int rc = 0, w;

	if (cap > EV_RECORD_MAX)
		cap = EV_RECORD_MAX;
	if (n) {
		r = malloc(n * sizeof(*r));
		names = malloc(n * sizeof(*names));
		done = calloc(n, sizeof(*done));
		if (!r || !names || !done) {
			rc = ev_errf(err, -ENOMEM, "out of memory");
			goto out;
		}
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
		if (r[i].verdict > worst)
			worst = r[i].verdict;
		efa = efa > UINT64_MAX - r[i].efa_bytes ? UINT64_MAX : efa + r[i].efa_bytes;
		tcp = tcp > UINT64_MAX - r[i].tcp_bytes ? UINT64_MAX : tcp + r[i].tcp_bytes;
		shared += r[i].shared;
	}
	/* Nodes that never reported make the job's verdict unknown at best. */
	if (m < total_nodes && worst < EV_V_UNKNOWN)
		worst = EV_V_UNKNOWN;
	w = snprintf(out, cap, EV_RECORD_PREFIX " verdict=%s nodes=%zu/%u efa_bytes=%" PRIu64
		     " tcp_bytes=%" PRIu64, ev_verdict_name(worst), m, total_nodes > m ? total_nodes : (unsigned)m,
		     efa, tcp);
	if (w < 0 || (size_t)w >= cap) {
		rc = ev_errf(err, -ENAMETOOLONG, "record buffer too small");
		goto out;
	}
	o = (size_t)w;
	if (shared) {
		w = snprintf(out + o, cap - o, " shared=%zu", shared);
		o += (size_t)w;
	}
	/* Bad nodes, grouped by verdict and reason kind, worst first. */
	for (int v = EV_V_NOT_READY; v > EV_V_OK; v--) {
		for (size_t i = 0; i < m; i++) {
			char kind[EV_REASON_MAX], k2[EV_REASON_MAX], hl[EV_RECORD_MAX];
			size_t k = 0;

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
				names[k++] = r[j].node;
			}
			if (ev_hostlist_compress(names, k, hl, sizeof(hl)) == 0) {
				/* room for this group and a final " +N_more" */
				w = snprintf(out + o, cap - o, "%s%s:%s%s%s%s", groups ? ";" : " bad=", hl,
					     ev_verdict_name(r[i].verdict), kind[0] ? "(" : "", kind,
					     kind[0] ? ")" : "");
				if (w > 0 && o + (size_t)w + 24 < cap) {
					o += (size_t)w;
					groups++;
					continue;
				}
				out[o] = '\0';
			}
			more += k;
		}
	}
	if (more)
		snprintf(out + o, cap - o, "%s+%zu_more", groups ? ";" : " bad=", more);
out:
	free(r);
	free(names);
	free(done);
	return rc;
}

int ev_record_merge(const char *admin_comment, const char *record, char *out, size_t cap,
		    struct ev_err *err)
{
	const char *c = admin_comment ? admin_comment : "";
	const char *ours = NULL;
	size_t keep;
	int n;

	/* Ours starts at the beginning or after a space. */
	for (const char *p = strstr(c, EV_RECORD_PREFIX); p; p = strstr(p + 1, EV_RECORD_PREFIX))
		if (p == c || p[-1] == ' ') {
			ours = p;
			break;
		}
	keep = ours ? (size_t)(ours - c) : strlen(c);
	while (keep && c[keep - 1] == ' ')
		keep--;
	n = snprintf(out, cap, "%.*s%s%s", (int)keep, c, keep ? " " : "", record);
	if (n < 0 || (size_t)n >= cap)
		return ev_errf(err, -ENAMETOOLONG, "AdminComment would be longer than %zu bytes", cap);
	return 0;
}
