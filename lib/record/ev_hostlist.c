#include "record/ev_hostlist.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config/ev_config.h"
#include "util/ev_array.h"

#define EXPAND_MAX 1000000

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

int ev_hostlist_cmp(const void *a, const void *b)
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
		qsort(names, n, sizeof(*names), ev_hostlist_cmp);
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
			for (j = i; i < n && ev_hostlist_cmp(&names[i], &names[j]) == 0;)
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
		bracket = ev_hostlist_cmp(&names[i], &names[j - 1]) != 0;
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
	if (ev_array_room(v, cap, *n, sizeof(**v), 16))
		return ev_errf(err, -ENOMEM, "out of memory");
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
	char name[EV_NAME_MAX + 24];
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
	if (plen > EV_NAME_MAX)
		return ev_errf(err, -EINVAL, "hostlist: '%.64s' is not a host name", pre);
	/* The prefix once, the number by hand: every node of an 8,193-node
	 * job expands its node list (twice) at every job start, and with
	 * snprintf for each name that took 1.0 ms of CPU instead of 0.4
	 * (bench/run --peers-only). */
	memcpy(name, pre, plen);
	for (unsigned long long k = x; k <= y; k++) {
		char digits[24];
		size_t d = 0;
		int rc;

		for (unsigned long long q = k; q || !d; q /= 10)
			digits[d++] = (char)('0' + q % 10);
		while ((int)d < width)
			digits[d++] = '0';
		for (size_t i = 0; i < d; i++)
			name[plen + i] = digits[d - 1 - i];
		name[plen + d] = '\0';
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
