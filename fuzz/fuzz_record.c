/* libFuzzer target: the job record and what it is built from (ev_record.h).
 *
 * The record lives in Slurm's AdminComment, which admins edit by hand, and
 * the node result lines travel through a spool any node may fill; both are
 * parsed by root. The first byte picks the test, each asserting what the
 * header promises:
 *   0 result line:  parse; what parses formats within EV_RESULT_LINE_MAX
 *                   and parses back to the same result.
 *   1 result:       a struct from raw bytes; format refuses exactly a bad
 *                   node or verdict, and parse(format(r)) == r (the reason
 *                   cut at a whole character when its encoding is too long).
 *   2 record build: result lines -> record; it parses, its counts and sums
 *                   are the results', its groups expand to exactly the bad
 *                   nodes, and it is the same bytes in any order and with
 *                   every result delivered twice.
 *   3 record parse: arbitrary text; what parses is self-consistent.
 *   4 merge:        the bytes are an AdminComment; merging a record keeps
 *                   every other word, parses back to that record, and a
 *                   second merge changes nothing.
 *   5 hostlist:     expand; what expands compresses and expands back to the
 *                   same set of names.
 *   6 token:        decode is canonical (encode(decode(s)) == s), and
 *                   decode(encode(s)) == s; the containers' text and
 *                   findings line (ev_containers.h): what parses is valid
 *                   and formats back to the same bytes, any label makes a
 *                   findings line that parses, and in any room the text
 *                   reads back to every image, listed or counted. */
#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config/ev_config.h"
#include "fuzz_check.h"
#include "record/ev_containers.h"
#include "record/ev_hostlist.h"
#include "record/ev_record.h"
#include "record/ev_value.h"

#define MAX_RESULTS 64

/* s[0..n) as a NUL-terminated string (cut at the first NUL), at most cap-1. */
static void cstr(char *dst, size_t cap, const unsigned char *s, size_t n)
{
	size_t len = n < cap - 1 ? n : cap - 1;

	memcpy(dst, s, len);
	dst[len] = '\0';
}

static bool same_result(const struct ev_node_result *a, const struct ev_node_result *b)
{
	return strcmp(a->node, b->node) == 0 && a->verdict == b->verdict &&
	       strcmp(a->reason, b->reason) == 0 && a->efa_bytes == b->efa_bytes &&
	       a->tcp_bytes == b->tcp_bytes && a->shared == b->shared && a->jobid == b->jobid &&
	       a->job_nodes == b->job_nodes && a->tcp_source == b->tcp_source &&
	       a->other_tcp_bytes == b->other_tcp_bytes && ev_containers_cmp(&a->containers, &b->containers) == 0;
}

/* format, then parse back: the same result, except a reason whose encoding
 * does not fit, which comes back as a prefix of itself. */
static void format_round_trip(const struct ev_node_result *r)
{
	char line[EV_RESULT_LINE_MAX], line2[EV_RESULT_LINE_MAX], enc[4 * EV_REASON_MAX];
	struct ev_node_result back;
	struct ev_err err = { "" };
	int rc;

	rc = ev_result_format(r, line, sizeof(line));
	CHECK(rc == 0);   /* the header's bound holds for every valid result */
	rc = ev_result_parse(line, &back, &err);
	if (rc)
		fprintf(stderr, "parse of '%s': %s\n", line, err.msg);
	CHECK(rc == 0);
	if (ev_value_encode(r->reason, enc, sizeof(enc)) < EV_REASON_MAX) {
		CHECK(same_result(r, &back));
	} else {
		CHECK(strncmp(back.reason, r->reason, strlen(back.reason)) == 0);
		memcpy(back.reason, r->reason, sizeof(back.reason));
		CHECK(same_result(r, &back));
	}
	/* The text is canonical: a second round gives the same bytes. */
	CHECK(ev_result_parse(line, &back, &err) == 0);
	CHECK(ev_result_format(&back, line2, sizeof(line2)) == 0);
	CHECK(strcmp(line, line2) == 0);
}

static void result_line(const unsigned char *d, size_t n)
{
	char line[EV_RESULT_LINE_MAX + 64];
	struct ev_node_result r;
	struct ev_err err = { "" };
	int rc;

	cstr(line, sizeof(line), d, n);
	rc = ev_result_parse(line, &r, &err);
	if (rc) {
		CHECK(rc < 0 && err.msg[0]);
		return;
	}
	CHECK(ev_valid_nodename(r.node));
	CHECK((unsigned)r.verdict <= EV_V_NOT_READY);
	format_round_trip(&r);
}

static uint64_t take_u64(const unsigned char **d, size_t *n, size_t bytes)
{
	uint64_t v = 0;

	for (size_t i = 0; i < bytes && *n; i++, (*d)++, (*n)--)
		v = v << 8 | **d;
	return v;
}

static void result_struct(const unsigned char *d, size_t n)
{
	struct ev_node_result r;
	char line[EV_RESULT_LINE_MAX];
	const unsigned char *nl;
	size_t len;
	unsigned flags;
	bool valid;
	int rc;

	memset(&r, 0, sizeof(r));
	flags = (unsigned)take_u64(&d, &n, 1);
	r.verdict = (enum ev_verdict)(flags & 7);
	r.shared = flags & 8;
	r.efa_bytes = take_u64(&d, &n, flags & 16 ? 8 : 2);
	r.tcp_bytes = take_u64(&d, &n, flags & 32 ? 8 : 2);
	r.jobid = (uint32_t)take_u64(&d, &n, flags & 64 ? 4 : 0);
	r.job_nodes = (uint32_t)take_u64(&d, &n, flags & 128 ? 4 : 0);
	/* Where the TCP was counted; other bytes only where one is said. */
	r.tcp_source = (enum ev_tcp_source)(take_u64(&d, &n, 1) % 4);
	if (r.tcp_source != EV_TCP_SRC_NONE)
		r.other_tcp_bytes = take_u64(&d, &n, 8);
	nl = memchr(d, '\n', n);
	len = nl ? (size_t)(nl - d) : n;
	cstr(r.node, sizeof(r.node), d, len);
	d += len, n -= len;
	if (n)
		d++, n--;
	cstr(r.reason, sizeof(r.reason), d, n);

	valid = ev_valid_nodename(r.node) && (unsigned)r.verdict <= EV_V_NOT_READY &&
		(unsigned)r.tcp_source <= EV_TCP_SRC_NFTABLES;
	rc = ev_result_format(&r, line, sizeof(line));
	if (!valid) {
		CHECK(rc == -EINVAL);
		return;
	}
	format_round_trip(&r);
}

/* ---------------------------------------------------------------- records */

static uint64_t sat_add(uint64_t a, uint64_t b)
{
	return a > UINT64_MAX - b ? UINT64_MAX : a + b;
}

static void check_parsed(const struct ev_record *rec)
{
	CHECK((unsigned)rec->verdict <= EV_V_NOT_READY);
	CHECK(ev_containers_valid(&rec->containers));
	CHECK(rec->reported <= rec->total);
	CHECK(rec->iface_nodes <= rec->reported);
	CHECK(!rec->iface_nodes || rec->tcp_source == EV_TCP_SRC_INTERFACE);
	CHECK(rec->n_groups == 0 || rec->groups);
	for (size_t i = 0; i < rec->n_groups; i++) {
		CHECK(rec->groups[i].hosts && rec->groups[i].hosts[0]);
		CHECK(rec->groups[i].verdict > EV_V_OK && rec->groups[i].verdict <= EV_V_NOT_READY);
		CHECK(strnlen(rec->groups[i].reason, EV_REASON_MAX) < EV_REASON_MAX);
	}
}

/* Results from '\n'-separated lines; the ones that parse. */
static size_t results_from(const unsigned char *d, size_t n, struct ev_node_result *out)
{
	size_t k = 0;

	while (n && k < MAX_RESULTS) {
		const unsigned char *nl = memchr(d, '\n', n);
		size_t len = nl ? (size_t)(nl - d) : n;
		char line[EV_RESULT_LINE_MAX + 8];

		cstr(line, sizeof(line), d, len);
		if (ev_result_parse(line, &out[k], NULL) == 0)
			k++;
		d += len, n -= len;
		if (n)
			d++, n--;
	}
	return k;
}

static void record_build(const unsigned char *d, size_t n)
{
	/* Static: a result is over a KiB with its containers. */
	static struct ev_node_result r[MAX_RESULTS], twice[2 * MAX_RESULTS], uniq[MAX_RESULTS];
	char out[EV_RECORD_MAX], again[EV_RECORD_MAX];
	struct ev_record rec;
	struct ev_err err = { "" };
	unsigned total;
	size_t k, m = 0, listed = 0, bad = 0, shared = 0, iface = 0;
	enum ev_verdict worst = EV_V_NO_TRAFFIC;
	uint64_t efa = 0, tcp = 0;
	bool *seen;
	int rc;

	if (!n)
		return;
	total = d[0];
	k = results_from(d + 1, n - 1, r);
	rc = ev_record_build(r, k, total, out, sizeof(out), &err);
	CHECK(rc == 0);
	CHECK(strlen(out) < EV_RECORD_MAX);

	/* Order and duplicates do not matter: reversed, and everything twice. */
	for (size_t i = 0; i < k; i++)
		twice[i] = twice[2 * k - 1 - i] = r[k - 1 - i];
	CHECK(ev_record_build(twice, k, total, again, sizeof(again), &err) == 0);
	CHECK(strcmp(out, again) == 0);
	CHECK(ev_record_build(twice, 2 * k, total, again, sizeof(again), &err) == 0);
	CHECK(strcmp(out, again) == 0);

	/* One result per node: for a node given twice, the worse one. */
	for (size_t i = 0; i < k; i++) {
		size_t j;

		for (j = 0; j < m && strcmp(uniq[j].node, r[i].node) != 0; j++)
			;
		if (j == m)
			uniq[m++] = r[i];
		else if (r[i].verdict > uniq[j].verdict)
			uniq[j] = r[i];
	}
	for (size_t i = 0; i < m; i++) {
		worst = ev_verdict_worse(worst, uniq[i].verdict);
		bad += uniq[i].verdict > EV_V_OK;
		shared += uniq[i].shared;
		iface += uniq[i].tcp_source == EV_TCP_SRC_INTERFACE;
	}
	if (m < total || !m)
		worst = ev_verdict_worse(worst, EV_V_UNKNOWN);

	rc = ev_record_parse(out, &rec, &err);
	if (rc)
		fprintf(stderr, "parse of '%s': %s\n", out, err.msg);
	CHECK(rc == 0);
	check_parsed(&rec);
	CHECK(rec.verdict == worst);
	CHECK(rec.reported == m);
	CHECK(rec.total == (m > total ? m : total));
	/* The nodes on interfaces, counted where one is (a duplicate's source
	 * is the builder's call, as its bytes are). */
	if (m == k) {
		CHECK(rec.iface_nodes == iface);
		CHECK((rec.tcp_source == EV_TCP_SRC_INTERFACE) == (iface > 0));
	}
	/* Sums are exact when each node came once (a duplicate's bytes depend
	 * on which of its results is the worse, which is the builder's call;
	 * so does its shared flag). */
	if (m == k) {
		for (size_t i = 0; i < m; i++) {
			efa = sat_add(efa, uniq[i].efa_bytes);
			tcp = sat_add(tcp, uniq[i].tcp_bytes);
		}
		CHECK(rec.efa_bytes == efa && rec.tcp_bytes == tcp);
		CHECK(rec.shared == shared);
	}
	/* The groups name each bad node at most once, with its verdict; the
	 * rest are counted in +N_more. */
	seen = calloc(m ? m : 1, sizeof(*seen));
	CHECK(seen != NULL);
	for (size_t g = 0; g < rec.n_groups; g++) {
		char **names = NULL;
		size_t nn = 0;

		rc = ev_hostlist_expand(rec.groups[g].hosts, 100000, &names, &nn, &err);
		if (rc)
			fprintf(stderr, "group '%s' of '%s': %s\n", rec.groups[g].hosts, out, err.msg);
		CHECK(rc == 0);
		for (size_t i = 0; i < nn; i++) {
			size_t j;

			for (j = 0; j < m && strcmp(uniq[j].node, names[i]) != 0; j++)
				;
			CHECK(j < m);
			CHECK(!seen[j]);
			seen[j] = true;
			CHECK(uniq[j].verdict == rec.groups[g].verdict);
			listed++;
		}
		ev_hostlist_free(names, nn);
	}
	CHECK(listed + rec.more == bad);
	free(seen);
	/* Every image the record lists is one a result it was built from
	 * names (of a node given twice, the builder keeps which it keeps). */
	for (uint32_t i = 0; i < rec.containers.n; i++) {
		const struct ev_containers_image *im = &rec.containers.image[i];
		bool found = false;

		for (size_t j = 0; j < k && !found; j++)
			for (uint32_t x = 0; x < r[j].containers.n; x++)
				found = found || strcmp(r[j].containers.image[x].label, im->label) == 0;
		CHECK(found);
	}
	ev_record_free(&rec);
}

static void record_parse(const unsigned char *d, size_t n)
{
	char *text = malloc(n + 1);
	struct ev_record rec;
	struct ev_err err = { "" };
	int rc;

	CHECK(text != NULL);
	cstr(text, n + 1, d, n);
	rc = ev_record_parse(text, &rec, &err);
	if (rc)
		CHECK((rc == -ENOENT || rc == -EBADMSG || rc == -EMSGSIZE) && err.msg[0]);
	else
		check_parsed(&rec);
	ev_record_free(&rec);
	free(text);
}

/* A word of an AdminComment that is not part of a record: it must stay. */
static bool admins_word(const char *w, size_t len)
{
	static const char *const keys[] = { "verdict", "nodes", "efa_bytes", "tcp_bytes", "other_tcp_bytes",
					    "tcp_source", "iface_nodes", "shared", "bad", "cause", "containers" };
	const char *eq = memchr(w, '=', len);

	if (len == strlen(EV_RECORD_PREFIX) && memcmp(w, EV_RECORD_PREFIX, len) == 0)
		return false;
	if (eq)
		for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
			if ((size_t)(eq - w) == strlen(keys[i]) && memcmp(w, keys[i], strlen(keys[i])) == 0)
				return false;
	return true;
}

static bool has_word(const char *text, const char *w, size_t len)
{
	for (const char *p = text; *p;) {
		size_t l;

		p += strspn(p, " \t\n\r");
		l = strcspn(p, " \t\n\r");
		if (l == len && memcmp(p, w, len) == 0)
			return true;
		p += l;
	}
	return false;
}

/* Where the next delimited part of ours in p begins ("{efa-verify:" and
 * whitespace or '}', then a '}' before any '{'), NULL if none; *cut_short
 * if a "{efa-verify:" that opens no part comes first. */
static const char *ours_from(const char *p, bool *cut_short)
{
	static const char open[] = "{" EV_RECORD_PREFIX;
	static const char stops[] = { EV_RECORD_OPEN, EV_RECORD_CLOSE, '\0' };

	for (const char *o = strstr(p, open); o; o = strstr(o + 1, open)) {
		const char *a = o + strlen(open), *e = strpbrk(a, stops);

		if (*a && (*a == EV_RECORD_CLOSE || strchr(" \t\n\r", *a)) && e && *e == EV_RECORD_CLOSE)
			return o;
		*cut_short = true;
	}
	return NULL;
}

static void merge(const unsigned char *d, size_t n)
{
	static const char *const records[] = {
		"efa-verify: verdict=ok nodes=4/4 efa_bytes=4000 tcp_bytes=40",
		("efa-verify: verdict=tcp_fallback nodes=6/8 efa_bytes=12 tcp_bytes=24 other_tcp_bytes=7 "
		 "tcp_source=nftables shared=1 bad=n[2-4]:tcp_fallback(tcp_bytes);n7:degraded(idle_nics:3/32);+2_more "
		 "containers=a%20b(batch+0+3_more);ubuntu(1);+2_more"),
		("efa-verify: verdict=ok nodes=3/3 efa_bytes=9 tcp_bytes=3 other_tcp_bytes=0 tcp_source=interface "
		 "iface_nodes=2"),
	};
	const char *record;
	char comment[2048], out[4096], again[4096];
	struct ev_record want, got;
	struct ev_err err = { "" };
	bool cut_short = false;
	int rc;

	if (!n)
		return;
	record = records[d[0] % 3];
	cstr(comment, sizeof(comment), d + 1, n - 1);
	rc = ev_record_merge(comment, record, out, sizeof(out), &err);
	CHECK(rc == 0);   /* 2 KiB of comment and a record always fit in 4 KiB */

	CHECK(ev_record_parse(record, &want, &err) == 0);
	rc = ev_record_parse(out, &got, &err);
	if (rc)
		fprintf(stderr, "parse of '%s': %s\n", out, err.msg);
	CHECK(rc == 0);
	CHECK(got.verdict == want.verdict && got.reported == want.reported && got.total == want.total);
	CHECK(got.efa_bytes == want.efa_bytes && got.tcp_bytes == want.tcp_bytes);
	CHECK(got.other_tcp_bytes == want.other_tcp_bytes && got.tcp_source == want.tcp_source &&
	      got.iface_nodes == want.iface_nodes);
	CHECK(got.shared == want.shared && got.n_groups == want.n_groups && got.more == want.more);
	CHECK(ev_containers_cmp(&got.containers, &want.containers) == 0);
	ev_record_free(&want);
	ev_record_free(&got);

	/* Every word the admin wrote that is not ours stays: not in a
	 * delimited part, and not touching a delimiter (text glued to one is
	 * kept, split from it). Not checked after a "{efa-verify:" that opens
	 * no part (cut short, or glued to the next word): once a part after it
	 * is cut, the words either side joined may make one, which is ours
	 * too. */
	for (const char *p = comment, *ours = ours_from(comment, &cut_short); *p && !cut_short;) {
		size_t l;

		p += strspn(p, " \t\n\r");
		if (ours && p >= ours) {
			p = strchr(ours, EV_RECORD_CLOSE) + 1;
			ours = ours_from(p, &cut_short);
			continue;
		}
		l = strcspn(p, " \t\n\r");
		if (ours && p + l > ours)
			l = (size_t)(ours - p);
		if (l && admins_word(p, l) && !memchr(p, EV_RECORD_OPEN, l) && !memchr(p, EV_RECORD_CLOSE, l) &&
		    !has_word(out, p, l)) {
			fprintf(stderr, "word '%.*s' of '%s' lost: '%s'\n", (int)l, p, comment, out);
			CHECK(0);
		}
		p += l;
	}

	/* Idempotent. */
	rc = ev_record_merge(out, record, again, sizeof(again), &err);
	CHECK(rc == 0);
	if (strcmp(out, again) != 0)
		fprintf(stderr, "merge not idempotent:\n  comment '%s'\n  once    '%s'\n  twice   '%s'\n",
			comment, out, again);
	CHECK(strcmp(out, again) == 0);
}

/* ---------------------------------------------------------------- hostlists */

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Sorted, without duplicates, in place; the new count. */
static size_t uniq_sorted(char **v, size_t n)
{
	size_t m = 0;

	if (n)
		qsort(v, n, sizeof(*v), cmp_str);
	for (size_t i = 0; i < n; i++)
		if (!m || strcmp(v[m - 1], v[i]) != 0)
			v[m++] = v[i];
	return m;
}

static void hostlist(const unsigned char *d, size_t n)
{
	char hl[512], *packed, **names = NULL, **back = NULL, **a, **b;
	size_t nn = 0, nb = 0, ua, ub;
	struct ev_err err = { "" };
	int rc;

	cstr(hl, sizeof(hl), d, n);
	rc = ev_hostlist_expand(hl, 2000, &names, &nn, &err);
	if (rc) {
		CHECK(rc < 0 && err.msg[0]);
		CHECK(names == NULL && nn == 0);
		return;
	}
	CHECK(nn <= 2000);
	for (size_t i = 0; i < nn; i++)
		CHECK(ev_valid_nodename(names[i]));

	/* compress sorts its argument: give it a copy of the pointers. */
	packed = malloc(1 << 17);
	a = malloc((nn ? nn : 1) * sizeof(*a));
	CHECK(packed && a);
	if (nn)
		memcpy(a, names, nn * sizeof(*a));
	rc = ev_hostlist_compress(a, nn, packed, 1 << 17);
	CHECK(rc == 0);
	rc = ev_hostlist_expand(packed, 2000, &back, &nb, &err);
	if (rc)
		fprintf(stderr, "'%s' -> '%s': %s\n", hl, packed, err.msg);
	CHECK(rc == 0);
	b = malloc((nb ? nb : 1) * sizeof(*b));
	CHECK(b != NULL);
	if (nb)
		memcpy(b, back, nb * sizeof(*b));
	ua = uniq_sorted(a, nn);
	ub = uniq_sorted(b, nb);
	if (ua != ub)
		fprintf(stderr, "'%s' (%zu names) -> '%s' (%zu names)\n", hl, ua, packed, ub);
	CHECK(ua == ub);
	CHECK(nb == ub);   /* compressed form has no duplicates */
	for (size_t i = 0; i < ua; i++)
		CHECK(strcmp(a[i], b[i]) == 0);
	free(a);
	free(b);
	free(packed);
	ev_hostlist_free(names, nn);
	ev_hostlist_free(back, nb);
}

static void token(const unsigned char *d, size_t n)
{
	char s[256], dec[256], enc[3 * 256 + 1], dec2[256];
	size_t len = n < sizeof(s) ? n : sizeof(s);
	int rc;

	memcpy(s, d, len);
	rc = ev_value_decode(s, len, dec, sizeof(dec));
	if (rc == 0) {
		size_t el = ev_value_encode(dec, enc, sizeof(enc));

		CHECK(el == len && memcmp(enc, s, len) == 0);
	} else {
		CHECK(rc == -EINVAL || rc == -ENAMETOOLONG);
	}
	/* Any string (up to its first NUL) survives encode then decode. */
	cstr(s, sizeof(s), d, n);
	CHECK(ev_value_encode(s, enc, sizeof(enc)) == strlen(enc));
	CHECK(strspn(enc, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_.:/+@-%") ==
	      strlen(enc));
	CHECK(ev_value_decode(enc, strlen(enc), dec2, sizeof(dec2)) == 0);
	CHECK(strcmp(dec2, s) == 0);
}

/* The containers' text and findings line: strict parsers, canonical text,
 * and whatever fits the room says every image. */
static void containers(const unsigned char *d, size_t n)
{
	char s[1024], text[2048], again[2048], line[EV_CONTAINERS_FINDING_MAX];
	struct ev_containers c, back, one;
	const struct ev_containers *sets[2] = { &c, &one };
	struct ev_err err = { "" };
	size_t cap;

	cstr(s, sizeof(s), d, n);
	if (ev_containers_parse(s, &c, &err) == 0) {
		CHECK(ev_containers_valid(&c));
		CHECK(ev_containers_format(&c, text, sizeof(text)) == 0);
		CHECK(strcmp(text, s) == 0);
		/* In less room (the least, about the text's own, and some room
		 * the input picks): every image listed or counted, and the text
		 * reads back to itself. */
		for (int i = 0; i < 4; i++) {
			size_t len = strlen(s), caps[] = { EV_CONTAINERS_TEXT_MIN, len, len + 1, len * d[n - 1] / 255 };

			cap = caps[i] < EV_CONTAINERS_TEXT_MIN ? EV_CONTAINERS_TEXT_MIN : caps[i];
			CHECK(ev_containers_format(&c, text, cap) == 0);
			CHECK(strlen(text) < cap);
			CHECK(ev_containers_parse(text, &back, &err) == 0);
			/* Exact, but for a count that reached its bound. */
			CHECK((uint64_t)back.n + back.more <= (uint64_t)c.n + c.more);
			CHECK((uint64_t)back.n + back.more == (uint64_t)c.n + c.more || back.more == UINT32_MAX);
			CHECK(ev_containers_format(&back, again, cap) == 0);
			CHECK(strcmp(text, again) == 0);
		}
	} else {
		CHECK(c.n == 0 && c.more == 0 && err.msg[0]);
	}
	if (ev_containers_finding_parse(s, &one, &err) == 0) {
		CHECK(ev_containers_valid(&one) && one.n == 1);
		CHECK(ev_containers_finding(one.image[0].step[0], one.image[0].label, line, sizeof(line)) == 0);
		CHECK(strcmp(line, s) == 0);
	}
	/* Any label, as a step may name it, makes a line that parses. */
	if (ev_containers_finding("0", s, line, sizeof(line)) == 0) {
		CHECK(ev_containers_finding_parse(line, &one, &err) == 0);
		if (ev_containers_parse(s, &c, NULL) != 0)
			memset(&c, 0, sizeof(c));
		CHECK(ev_containers_union(sets, 2, &back, &err) == 0);
		CHECK(ev_containers_valid(&back));
	} else {
		CHECK(!s[0]);
	}
}

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size)
{
	if (!size)
		return 0;
	/* +1: the seeds' ASCII '0'..'6' pick tests 0..6. */
	switch ((data[0] + 1) % 7) {
	case 0: result_line(data + 1, size - 1); break;
	case 1: result_struct(data + 1, size - 1); break;
	case 2: record_build(data + 1, size - 1); break;
	case 3: record_parse(data + 1, size - 1); break;
	case 4: merge(data + 1, size - 1); break;
	case 5: hostlist(data + 1, size - 1); break;
	case 6:
		token(data + 1, size - 1);
		containers(data + 1, size - 1);
		break;
	}
	return 0;
}
