#include "ev_record.h"

#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ev_config.h"

/* Room kept at the end of a record for ";+N_more". */
#define MORE_RESERVE 24
#define EXPAND_MAX 1000000

static const char *const our_keys[] = { "verdict", "nodes", "efa_bytes", "tcp_bytes", "other_tcp_bytes", "tcp_source",
					 "shared", "bad", NULL };

/* ------------------------------------------------------------ tokens */

static bool token_char(unsigned char c)
{
	return isalnum(c) || (c && strchr("_.:/+@-", c));
}

static int hexval(char c)
{
	return c >= '0' && c <= '9' ? c - '0' : c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
}

size_t ev_token_encode(const char *s, char *out, size_t cap)
{
	static const char hex[] = "0123456789ABCDEF";
	size_t o = 0;

	if (!cap)
		return 0;
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;

		if (token_char(c)) {
			if (o + 1 >= cap)
				break;
			out[o++] = (char)c;
		} else {
			if (o + 3 >= cap)
				break;
			out[o++] = '%';
			out[o++] = hex[c >> 4];
			out[o++] = hex[c & 15];
		}
	}
	out[o] = '\0';
	return o;
}

int ev_token_decode(const char *s, size_t len, char *out, size_t cap)
{
	size_t o = 0;

	if (!cap)
		return -ENAMETOOLONG;
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c == '%') {
			int h, l;

			if (i + 2 >= len)
				return -EINVAL;
			h = hexval(s[i + 1]);
			l = hexval(s[i + 2]);
			if (h < 0 || l < 0)
				return -EINVAL;
			c = (unsigned char)(h * 16 + l);
			/* Only the canonical form: one text, one encoding. */
			if (!c || token_char(c))
				return -EINVAL;
			i += 2;
		} else if (!token_char(c)) {
			return -EINVAL;
		}
		if (o + 1 >= cap)
			return -ENAMETOOLONG;
		out[o++] = (char)c;
	}
	out[o] = '\0';
	return 0;
}

/* ------------------------------------------------------------ node results */

static bool valid_verdict(enum ev_verdict v)
{
	return (unsigned)v <= EV_V_NOT_READY;
}

void ev_result_fill(struct ev_node_result *r, const struct ev_verdict_cfg *c, const struct ev_node_delta *d)
{
	uint64_t busiest = 0, min = UINT64_MAX, max = 0;
	uint32_t busy = 0, total = 0;

	if (!d)
		return;
	r->efa_bytes = d->efa_bytes;
	r->tcp_bytes = d->tcp_bytes;
	r->tcp_source = d->tcp_source;
	r->other_tcp_bytes = d->other_tcp_bytes;
	for (size_t i = 0; i < d->n; i++)
		if (d->devs[i].state == EV_DEV_OK && d->devs[i].bytes > busiest)
			busiest = d->devs[i].bytes;
	for (size_t i = 0; i < d->n && total < 4096; i++) {
		uint64_t b = d->devs[i].bytes;

		if (d->devs[i].state != EV_DEV_OK)
			continue;
		total++;
		if (b && (double)b >= c->idle_nic_fraction * (double)busiest)
			busy++;
		min = b < min ? b : min;
		max = b > max ? b : max;
	}
	r->nics_busy = busy;
	r->nics_total = total;
	r->nic_min_bytes = total ? min : 0;
	r->nic_max_bytes = max;
}

int ev_result_format(const struct ev_node_result *r, char *out, size_t cap)
{
	char enc[EV_REASON_MAX], job[24] = "", nodes[24] = "", reason[EV_REASON_MAX + 8] = "", nics[80] = "";
	char tcp[64] = "";
	int n;

	if (!ev_valid_nodename(r->node) || !valid_verdict(r->verdict) || r->nics_busy > r->nics_total ||
	    r->nic_min_bytes > r->nic_max_bytes || (unsigned)r->tcp_source > EV_TCP_SRC_NFTABLES ||
	    (r->tcp_source == EV_TCP_SRC_NONE && r->other_tcp_bytes))
		return -EINVAL;
	if (r->tcp_source != EV_TCP_SRC_NONE)
		snprintf(tcp, sizeof(tcp), " other_tcp_bytes=%" PRIu64 " tcp_source=%s", r->other_tcp_bytes,
			 ev_tcp_source_name(r->tcp_source));
	if (r->nics_total)
		snprintf(nics, sizeof(nics), " nics=%" PRIu32 "/%" PRIu32 " nic_min=%" PRIu64 " nic_max=%" PRIu64,
			 r->nics_busy, r->nics_total, r->nic_min_bytes, r->nic_max_bytes);
	if (r->jobid)
		snprintf(job, sizeof(job), "job=%" PRIu32 " ", r->jobid);
	if (r->job_nodes)
		snprintf(nodes, sizeof(nodes), " nodes=%" PRIu32, r->job_nodes);
	if (r->reason[0] && ev_token_encode(r->reason, enc, sizeof(enc)))
		snprintf(reason, sizeof(reason), " reason=%s", enc);
	n = snprintf(out, cap, "%snode=%s%s verdict=%s efa_bytes=%" PRIu64 " tcp_bytes=%" PRIu64 "%s shared=%d%s%s",
		     job, r->node, nodes, ev_verdict_name(r->verdict), r->efa_bytes, r->tcp_bytes, tcp,
		     r->shared ? 1 : 0, nics, reason);
	return n < 0 || (size_t)n >= cap ? -ENAMETOOLONG : 0;
}

static bool parse_u64(const char *s, uint64_t *v);

/* "B/T" with 0 < T <= 4096 and B <= T. */
static bool parse_ratio(const char *s, uint32_t *busy, uint32_t *total)
{
	char a[24];
	const char *slash = strchr(s, '/');
	uint64_t b, t;

	if (!slash || (size_t)(slash - s) >= sizeof(a))
		return false;
	memcpy(a, s, (size_t)(slash - s));
	a[slash - s] = '\0';
	if (!parse_u64(a, &b) || !parse_u64(slash + 1, &t) || !t || t > 4096 || b > t)
		return false;
	*busy = (uint32_t)b;
	*total = (uint32_t)t;
	return true;
}

/* Canonical decimal: no sign, no leading zero, no overflow. */
static bool parse_u64(const char *s, uint64_t *v)
{
	uint64_t x = 0;

	if (!*s || (s[0] == '0' && s[1]))
		return false;
	for (; *s; s++) {
		if (*s < '0' || *s > '9' || x > (UINT64_MAX - (uint64_t)(*s - '0')) / 10)
			return false;
		x = x * 10 + (uint64_t)(*s - '0');
	}
	*v = x;
	return true;
}

int ev_result_parse(const char *line, struct ev_node_result *r, struct ev_err *err)
{
	enum { K_JOB = 1, K_NODE = 2, K_NODES = 4, K_VERDICT = 8, K_EFA = 16, K_TCP = 32, K_SHARED = 64,
	       K_REASON = 128, K_NICS = 256, K_NIC_MIN = 512, K_NIC_MAX = 1024, K_OTHER = 2048,
	       K_SOURCE = 4096 };
	char buf[EV_RESULT_LINE_MAX], *save = NULL;
	size_t len = strlen(line);
	unsigned seen = 0;

	memset(r, 0, sizeof(*r));
	if (len >= sizeof(buf))
		return ev_errf(err, -EMSGSIZE, "node result longer than %d bytes", EV_RESULT_LINE_MAX - 1);
	for (size_t i = 0; i < len; i++)
		if ((unsigned char)line[i] < 0x20 || line[i] == 0x7f)
			return ev_errf(err, -EBADMSG, "node result: control character");
	memcpy(buf, line, len + 1);
	for (char *t = strtok_r(buf, " ", &save); t; t = strtok_r(NULL, " ", &save)) {
		char *v = strchr(t, '=');
		unsigned key = 0;
		uint64_t x;
		int vd;

		if (!v) {
			memset(r, 0, sizeof(*r));
			return ev_errf(err, -EBADMSG, "node result: '%.32s' is not key=value", t);
		}
		*v++ = '\0';
		if (strcmp(t, "node") == 0 && ev_valid_nodename(v)) {
			memcpy(r->node, v, strlen(v) + 1);
			key = K_NODE;
		} else if (strcmp(t, "verdict") == 0 && (vd = ev_verdict_from_name(v)) >= 0) {
			r->verdict = (enum ev_verdict)vd;
			key = K_VERDICT;
		} else if (strcmp(t, "efa_bytes") == 0 && parse_u64(v, &r->efa_bytes)) {
			key = K_EFA;
		} else if (strcmp(t, "tcp_bytes") == 0 && parse_u64(v, &r->tcp_bytes)) {
			key = K_TCP;
		} else if (strcmp(t, "other_tcp_bytes") == 0 && parse_u64(v, &r->other_tcp_bytes)) {
			key = K_OTHER;
		} else if (strcmp(t, "tcp_source") == 0 && ev_tcp_source_parse(v, &r->tcp_source) == 0) {
			key = K_SOURCE;
		} else if ((strcmp(t, "job") == 0 || strcmp(t, "nodes") == 0) && parse_u64(v, &x) && x &&
			   x <= UINT32_MAX) {
			*(t[0] == 'j' ? &r->jobid : &r->job_nodes) = (uint32_t)x;
			key = t[0] == 'j' ? K_JOB : K_NODES;
		} else if (strcmp(t, "shared") == 0 && (strcmp(v, "0") == 0 || strcmp(v, "1") == 0)) {
			r->shared = v[0] == '1';
			key = K_SHARED;
		} else if (strcmp(t, "nics") == 0 && parse_ratio(v, &r->nics_busy, &r->nics_total)) {
			key = K_NICS;
		} else if (strcmp(t, "nic_min") == 0 && parse_u64(v, &r->nic_min_bytes)) {
			key = K_NIC_MIN;
		} else if (strcmp(t, "nic_max") == 0 && parse_u64(v, &r->nic_max_bytes)) {
			key = K_NIC_MAX;
		} else if (strcmp(t, "reason") == 0 && *v &&
			   ev_token_decode(v, strlen(v), r->reason, sizeof(r->reason)) == 0) {
			key = K_REASON;
		}
		if (!key || (seen & key)) {
			memset(r, 0, sizeof(*r));
			return ev_errf(err, -EBADMSG, "node result: bad, unknown or repeated field '%.32s'", t);
		}
		seen |= key;
	}
	if ((seen & (K_NODE | K_VERDICT | K_EFA | K_TCP)) != (K_NODE | K_VERDICT | K_EFA | K_TCP)) {
		memset(r, 0, sizeof(*r));
		return ev_errf(err, -EBADMSG, "node result: node, verdict, efa_bytes and tcp_bytes are required");
	}
	/* The balance comes whole or not at all, and consistent. */
	if (((seen & (K_NICS | K_NIC_MIN | K_NIC_MAX)) && (seen & (K_NICS | K_NIC_MIN | K_NIC_MAX)) !=
	     (K_NICS | K_NIC_MIN | K_NIC_MAX)) || r->nic_min_bytes > r->nic_max_bytes) {
		memset(r, 0, sizeof(*r));
		return ev_errf(err, -EBADMSG, "node result: nics, nic_min and nic_max go together, min <= max");
	}
	if (!(seen & K_OTHER) != !(seen & K_SOURCE)) {
		memset(r, 0, sizeof(*r));
		return ev_errf(err, -EBADMSG, "node result: other_tcp_bytes and tcp_source go together");
	}
	return 0;
}

/* ------------------------------------------------------------ hostlists */

/* Prefix and numeric suffix: "queue-st-p5-12" -> ("queue-st-p5-", 12).
 * width is the zero-padded width ("n007" -> 3), 0 for an unpadded number
 * ("n12"), -1 for no number: n9 and n10 belong in one range, n09 does not. */
static void split_name(const char *s, size_t *plen, unsigned long long *num, int *width)
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

	split_name(x, &px, &nx, &wx);
	split_name(y, &py, &ny, &wy);
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
	if (n)
		qsort(names, n, sizeof(*names), cmp_names);
	while (i < n) {
		size_t plen, j = i;
		unsigned long long num;
		int width;
		bool bracket;

		split_name(names[i], &plen, &num, &width);
		/* All-digit names are listed one by one: "[5,8]" has no prefix,
		 * which ev_hostlist_expand refuses, and "5-8" is a host name. */
		if (width < 0 || plen == 0) {
			EMIT("%s%s", o ? "," : "", names[i]);
			for (j = i; i < n && cmp_names(&names[i], &names[j]) == 0;)
				i++;
			continue;
		}
		/* Every name of this prefix and width goes in one bracket. */
		while (j < n) {
			size_t pl;
			unsigned long long nm;
			int wd;

			split_name(names[j], &pl, &nm, &wd);
			if (pl != plen || wd != width || strncmp(names[j], names[i], plen) != 0)
				break;
			j++;
		}
		bracket = cmp_names(&names[i], &names[j - 1]) != 0;
		EMIT("%s%.*s%s", o ? "," : "", (int)plen, names[i], bracket ? "[" : "");
		for (size_t k = i; k < j;) {
			size_t pl, e = k;
			unsigned long long a, b;
			int wd;

			split_name(names[k], &pl, &a, &wd);
			b = a;
			while (e + 1 < j) {
				unsigned long long c;

				split_name(names[e + 1], &pl, &c, &wd);
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
			k = e + 1;
		}
		if (bracket)
			EMIT("]");
		i = j;
	}
#undef EMIT
	return 0;
}

void ev_hostlist_free(char **names, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(names[i]);
	free(names);
}

static int push_name(char ***v, size_t *n, size_t *cap, size_t max, const char *name, struct ev_err *err)
{
	if (!ev_valid_nodename(name))
		return ev_errf(err, -EINVAL, "hostlist: '%.64s' is not a host name", name);
	if (*n >= max)
		return ev_errf(err, -E2BIG, "hostlist: more than %zu names", max);
	if (*n == *cap) {
		char **nv = realloc(*v, (*cap ? *cap * 2 : 16) * sizeof(**v));

		if (!nv)
			return ev_errf(err, -ENOMEM, "out of memory");
		*v = nv;
		*cap = *cap ? *cap * 2 : 16;
	}
	if (!((*v)[*n] = strdup(name)))
		return ev_errf(err, -ENOMEM, "out of memory");
	(*n)++;
	return 0;
}

/* One "a" or "a-b" of a bracket: digits only, b >= a, the same width. */
static int expand_range(const char *pre, size_t plen, const char *r, size_t rlen, char ***v, size_t *n,
			size_t *cap, size_t max, struct ev_err *err)
{
	const char *dash = memchr(r, '-', rlen);
	size_t la = dash ? (size_t)(dash - r) : rlen, lb = dash ? rlen - la - 1 : la;
	const char *b = dash ? dash + 1 : r;
	unsigned long long x = 0, y = 0;
	int width;

	if (!la || !lb || la > 18 || lb > 18)
		return ev_errf(err, -EINVAL, "hostlist: bad range");
	for (size_t i = 0; i < la; i++) {
		if (!isdigit((unsigned char)r[i]))
			return ev_errf(err, -EINVAL, "hostlist: bad range");
		x = x * 10 + (unsigned long long)(r[i] - '0');
	}
	for (size_t i = 0; i < lb; i++) {
		if (!isdigit((unsigned char)b[i]))
			return ev_errf(err, -EINVAL, "hostlist: bad range");
		y = y * 10 + (unsigned long long)(b[i] - '0');
	}
	width = (r[0] == '0' && la > 1) ? (int)la : 0;
	if (y < x || (width && lb != la))
		return ev_errf(err, -EINVAL, "hostlist: bad range");
	if (y - x >= max)
		return ev_errf(err, -E2BIG, "hostlist: more than %zu names", max);
	for (unsigned long long k = x; k <= y; k++) {
		char name[EV_NAME_MAX + 24];
		int rc;

		snprintf(name, sizeof(name), "%.*s%0*llu", (int)plen, pre, width, k);
		if ((rc = push_name(v, n, cap, max, name, err)))
			return rc;
	}
	return 0;
}

int ev_hostlist_expand(const char *hl, size_t max, char ***names, size_t *n, struct ev_err *err)
{
	char **v = NULL;
	size_t cnt = 0, cap = 0;
	const char *p = hl;
	int rc = 0;

	*names = NULL;
	*n = 0;
	if (max > EXPAND_MAX)
		max = EXPAND_MAX;
	while (*p && !rc) {
		const char *br = NULL, *e = p;

		/* One item: up to a comma outside brackets; a bracket ends it. */
		while (*e && *e != ',') {
			if (*e == '[') {
				br = e;
				e = strchr(e, ']');
				if (!e || (e[1] != ',' && e[1] != '\0')) {
					rc = ev_errf(err, -EINVAL, "hostlist: unbalanced or misplaced '['");
					break;
				}
			}
			e++;
		}
		if (rc)
			break;
		if (e == p) {
			rc = ev_errf(err, -EINVAL, "hostlist: empty name");
			break;
		}
		if (!br) {
			char name[EV_NAME_MAX];

			if ((size_t)(e - p) >= sizeof(name)) {
				rc = ev_errf(err, -EINVAL, "hostlist: name too long");
				break;
			}
			memcpy(name, p, (size_t)(e - p));
			name[e - p] = '\0';
			rc = push_name(&v, &cnt, &cap, max, name, err);
		} else {
			const char *q = br + 1, *close = e - 1;

			if (br == p || memchr(p, ']', (size_t)(br - p)) || memchr(q, '[', (size_t)(close - q)) ||
			    q == close) {
				rc = ev_errf(err, -EINVAL, "hostlist: bad brackets");
				break;
			}
			while (q < close && !rc) {
				const char *c = memchr(q, ',', (size_t)(close - q));
				size_t rl = c ? (size_t)(c - q) : (size_t)(close - q);

				rc = expand_range(p, (size_t)(br - p), q, rl, &v, &cnt, &cap, max, err);
				q += rl + (c ? 1 : 0);
				if (!rc && c && q == close)
					rc = ev_errf(err, -EINVAL, "hostlist: empty range");
			}
		}
		if (rc)
			break;
		p = *e ? e + 1 : e;
		if (*e == ',' && !*p)
			rc = ev_errf(err, -EINVAL, "hostlist: trailing comma");
	}
	if (rc) {
		ev_hostlist_free(v, cnt);
		return rc;
	}
	*names = v;
	*n = cnt;
	return 0;
}

/* ------------------------------------------------------------ record */

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
	return 0;
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

int ev_record_build(const struct ev_node_result *results, size_t n, unsigned total_nodes,
		    char *out, size_t cap, struct ev_err *err)
{
	struct ev_node_result *r = NULL;
	char **names = NULL, *hl = NULL;
	bool *done = NULL;
	enum ev_verdict worst = EV_V_NO_TRAFFIC;
	enum ev_tcp_source source = EV_TCP_SRC_NONE;
	uint64_t efa = 0, tcp = 0, other = 0;
	char tcp_text[80] = "";
	size_t m = 0, shared = 0, o = 0, groups = 0, more = 0;
	int rc = 0, w;

	if (!cap)
		return ev_errf(err, -ENAMETOOLONG, "record buffer too small");
	out[0] = '\0';
	if (cap > EV_RECORD_MAX)
		cap = EV_RECORD_MAX;
	for (size_t i = 0; i < n; i++)
		if (!ev_valid_nodename(results[i].node) || !valid_verdict(results[i].verdict))
			return ev_errf(err, -EINVAL, "node result %zu: bad node name or verdict", i);
	hl = malloc(EV_RECORD_MAX);
	if (n) {
		r = malloc(n * sizeof(*r));
		names = malloc(n * sizeof(*names));
		done = calloc(n, sizeof(*done));
	}
	if (!hl || (n && (!r || !names || !done))) {
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
	}
	if (source != EV_TCP_SRC_NONE)
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
			ev_token_encode(same ? r[i].reason : kind, enc, sizeof(enc));
			snprintf(label, sizeof(label), ":%s%s%s%s", ev_verdict_name(r[i].verdict), enc[0] ? "(" : "",
				 enc, enc[0] ? ")" : "");
			used = o + strlen(sep) + strlen(label) + MORE_RESERVE;
			budget = (long)cap - 1 - (long)used;
			if (budget <= 0) {
				more += k;
				continue;
			}
			fit = fit_hostlist(names, k, hl, (size_t)budget + 1);
			more += k - fit;
			if (!fit)
				continue;
			o += (size_t)snprintf(out + o, cap - o, "%s%s%s", sep, hl, label);
			groups++;
		}
	}
	if (more)
		snprintf(out + o, cap - o, "%s+%zu_more", groups ? ";" : " bad=", more);
out:
	free(r);
	free(names);
	free(done);
	free(hl);
	return rc;
}

static bool is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

/* A "key=value" token with one of our keys. */
static bool our_token(const char *t, size_t len)
{
	const char *eq = memchr(t, '=', len);

	if (!eq)
		return false;
	for (size_t i = 0; our_keys[i]; i++)
		if (strlen(our_keys[i]) == (size_t)(eq - t) && memcmp(t, our_keys[i], (size_t)(eq - t)) == 0)
			return true;
	return false;
}

/* Our part of c: "efa-verify:" at the start or after whitespace, followed
 * by whitespace or the end, and every our-key token after it. */
static bool locate(const char *c, size_t *start, size_t *end)
{
	size_t pl = strlen(EV_RECORD_PREFIX);

	for (const char *p = strstr(c, EV_RECORD_PREFIX); p; p = strstr(p + 1, EV_RECORD_PREFIX)) {
		const char *e = p + pl;

		if ((p != c && !is_space(p[-1])) || (*e && !is_space(*e)))
			continue;
		for (;;) {
			const char *t = e;
			size_t tl;

			/* Any whitespace, as the parser splits on: a record an admin
			 * re-wrapped with tabs or newlines is still all ours, or its
			 * tail would survive a merge next to the new record. */
			while (is_space(*t))
				t++;
			if (t == e)
				break;
			tl = strcspn(t, " \t\n\r");
			if (!tl || !our_token(t, tl))
				break;
			e = t + tl;
		}
		*start = (size_t)(p - c);
		*end = (size_t)(e - c);
		return true;
	}
	return false;
}

/* s[0..n) without leading and trailing whitespace. */
static void trim(const char **s, size_t *n)
{
	while (*n && is_space(**s))
		(*s)++, (*n)--;
	while (*n && is_space((*s)[*n - 1]))
		(*n)--;
}

/* Append seg[0..n), trimmed, to out at *len with a space between words. */
static void add_segment(char *out, size_t *len, const char *seg, size_t n)
{
	trim(&seg, &n);
	if (!n)
		return;
	if (*len)
		out[(*len)++] = ' ';
	memcpy(out + *len, seg, n);
	*len += n;
}

int ev_record_merge(const char *admin_comment, const char *record, char *out, size_t cap,
		    struct ev_err *err)
{
	const char *c = admin_comment ? admin_comment : "";
	const char *p = c, *head = c;
	size_t len = strlen(c), hl = len, al = 0, s, e;
	bool found = false;
	char *after;
	int n;

	/* head: the admin's words before our (first) part, where ours goes;
	 * after: every word after it, with any further efa-verify part cut. */
	if (!(after = malloc(len + 1)))
		return ev_errf(err, -ENOMEM, "out of memory");
	while (locate(p, &s, &e)) {
		if (!found)
			hl = s;
		else
			add_segment(after, &al, p, s);
		found = true;
		p += e;
	}
	if (found)
		add_segment(after, &al, p, strlen(p));
	trim(&head, &hl);
	n = snprintf(out, cap, "%.*s%s%s%s%.*s", (int)hl, head, hl ? " " : "", record, al ? " " : "",
		     (int)al, after);
	free(after);
	if (n < 0 || (size_t)n >= cap)
		return ev_errf(err, -ENAMETOOLONG, "AdminComment would be longer than %zu bytes", cap);
	return 0;
}

void ev_record_free(struct ev_record *r)
{
	free(r->groups);
	free(r->text_);
	memset(r, 0, sizeof(*r));
}

static int parse_bad(struct ev_record *r, char *v, struct ev_err *err)
{
	char *save = NULL;
	size_t cap = 0;

	if (v[0] == ';' || v[strlen(v) - 1] == ';' || strstr(v, ";;"))
		return ev_errf(err, -EBADMSG, "record: empty group in bad=");
	for (char *g = strtok_r(v, ";", &save); g; g = strtok_r(NULL, ";", &save)) {
		struct ev_record_group *x;
		char *colon, *open, *vname;
		uint64_t more;
		int vd;

		if (r->more)
			return ev_errf(err, -EBADMSG, "record: text after +N_more");
		if (g[0] == '+') {
			size_t gl = strlen(g);

			if (gl < 7 || strcmp(g + gl - 5, "_more") != 0)
				return ev_errf(err, -EBADMSG, "record: bad '+N_more'");
			g[gl - 5] = '\0';
			if (!parse_u64(g + 1, &more) || !more || more > SIZE_MAX)
				return ev_errf(err, -EBADMSG, "record: bad '+N_more'");
			r->more = (size_t)more;
			continue;
		}
		colon = strchr(g, ':');
		if (!colon || colon == g ||
		    strspn(g, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-[],") !=
			    (size_t)(colon - g))
			return ev_errf(err, -EBADMSG, "record: bad host list in bad=");
		*colon = '\0';
		vname = colon + 1;
		open = strchr(vname, '(');
		if (r->n_groups == cap) {
			struct ev_record_group *ng = realloc(r->groups, (cap ? cap * 2 : 8) * sizeof(*ng));

			if (!ng)
				return ev_errf(err, -ENOMEM, "out of memory");
			r->groups = ng;
			cap = cap ? cap * 2 : 8;
		}
		x = &r->groups[r->n_groups];
		memset(x, 0, sizeof(*x));
		x->hosts = g;
		if (open) {
			size_t ol = strlen(open);

			if (ol < 3 || open[ol - 1] != ')' ||
			    ev_token_decode(open + 1, ol - 2, x->reason, sizeof(x->reason)) != 0)
				return ev_errf(err, -EBADMSG, "record: bad reason in bad=");
			*open = '\0';
		}
		vd = ev_verdict_from_name(vname);
		if (vd <= EV_V_OK)
			return ev_errf(err, -EBADMSG, "record: bad verdict in bad=");
		x->verdict = (enum ev_verdict)vd;
		r->n_groups++;
	}
	return 0;
}

int ev_record_parse(const char *text, struct ev_record *r, struct ev_err *err)
{
	enum { K_VERDICT = 1, K_NODES = 2, K_EFA = 4, K_TCP = 8, K_SHARED = 16, K_BAD = 32, K_OTHER = 64,
	       K_SOURCE = 128 };
	size_t s, e;
	char *save = NULL, *t;
	unsigned seen = 0;
	int rc = 0;

	memset(r, 0, sizeof(*r));
	if (!text || !locate(text, &s, &e))
		return ev_errf(err, -ENOENT, "no efa-verify record");
	if (e - s >= 64 * 1024)
		return ev_errf(err, -EMSGSIZE, "efa-verify record too long");
	if (!(r->text_ = strndup(text + s, e - s)))
		return ev_errf(err, -ENOMEM, "out of memory");
	strtok_r(r->text_, " \t\n\r", &save);   /* the prefix */
	while (!rc && (t = strtok_r(NULL, " \t\n\r", &save))) {
		char *v = strchr(t, '=');
		unsigned key = 0;
		uint64_t a, b;
		int vd;

		*v++ = '\0';   /* locate() took only key=value tokens */
		if (strcmp(t, "verdict") == 0 && (vd = ev_verdict_from_name(v)) >= 0) {
			r->verdict = (enum ev_verdict)vd;
			key = K_VERDICT;
		} else if (strcmp(t, "nodes") == 0 && strchr(v, '/')) {
			char *sl = strchr(v, '/');

			*sl = '\0';
			if (parse_u64(v, &a) && parse_u64(sl + 1, &b) && a <= b && b <= UINT32_MAX) {
				r->reported = (unsigned)a;
				r->total = (unsigned)b;
				key = K_NODES;
			}
		} else if (strcmp(t, "efa_bytes") == 0 && parse_u64(v, &r->efa_bytes)) {
			key = K_EFA;
		} else if (strcmp(t, "tcp_bytes") == 0 && parse_u64(v, &r->tcp_bytes)) {
			key = K_TCP;
		} else if (strcmp(t, "other_tcp_bytes") == 0 && parse_u64(v, &r->other_tcp_bytes)) {
			key = K_OTHER;
		} else if (strcmp(t, "tcp_source") == 0 && ev_tcp_source_parse(v, &r->tcp_source) == 0) {
			key = K_SOURCE;
		} else if (strcmp(t, "shared") == 0 && parse_u64(v, &a) && a && a <= UINT32_MAX) {
			r->shared = (unsigned)a;
			key = K_SHARED;
		} else if (strcmp(t, "bad") == 0 && *v && !(seen & K_BAD)) {
			if ((rc = parse_bad(r, v, err)))
				break;
			key = K_BAD;
		}
		if (!key || (seen & key))
			rc = ev_errf(err, -EBADMSG, "record: bad or repeated '%.32s'", t);
		seen |= key;
	}
	if (!rc && (seen & (K_VERDICT | K_NODES | K_EFA | K_TCP)) != (K_VERDICT | K_NODES | K_EFA | K_TCP))
		rc = ev_errf(err, -EBADMSG, "record: verdict, nodes, efa_bytes and tcp_bytes are required");
	if (!rc && !(seen & K_OTHER) != !(seen & K_SOURCE))
		rc = ev_errf(err, -EBADMSG, "record: other_tcp_bytes and tcp_source go together");
	return rc;
}
