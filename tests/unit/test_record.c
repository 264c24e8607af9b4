/* The job record: format, grouping, size bound, order independence, merge
 * into an admin's AdminComment, and the per-node result lines. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "record/ev_hostlist.h"
#include "record/ev_record.h"
#include "record/ev_value.h"

static struct ev_node_result res(const char *node, enum ev_verdict v, const char *reason,
				 uint64_t efa, uint64_t tcp)
{
	struct ev_node_result r;

	memset(&r, 0, sizeof(r));
	snprintf(r.node, sizeof(r.node), "%s", node);
	r.verdict = v;
	snprintf(r.reason, sizeof(r.reason), "%s", reason);
	r.efa_bytes = efa;
	r.tcp_bytes = tcp;
	return r;
}

static void test_all_ok(void **state)
{
	struct ev_node_result r[4];
	char out[EV_RECORD_MAX];
	struct ev_err err;

	(void)state;
	for (int i = 0; i < 4; i++) {
		char n[8];

		snprintf(n, sizeof(n), "n%d", i + 1);
		r[i] = res(n, EV_V_OK, "", 1000, 10);
	}
	assert_int_equal(ev_record_build(r, 4, 4, out, sizeof(out), &err), 0);
	assert_string_equal(out, "efa-verify: verdict=ok nodes=4/4 efa_bytes=4000 tcp_bytes=40");
}

static void test_bad_nodes_grouped_worst_first(void **state)
{
	struct ev_node_result r[] = {
		res("n1", EV_V_OK, "", 5, 0),
		res("n2", EV_V_TCP_FALLBACK, "tcp_bytes:9/efa_bytes:0", 0, 9),
		res("n3", EV_V_TCP_FALLBACK, "tcp_bytes:8/efa_bytes:0", 0, 8),
		res("n7", EV_V_DEGRADED, "idle_nics:3/32", 7, 0),
		res("n4", EV_V_TCP_FALLBACK, "tcp_bytes:7/efa_bytes:0", 0, 7),
		res("n8", EV_V_NO_TRAFFIC, "below_min_bytes", 0, 0),
	};
	char out[EV_RECORD_MAX];
	struct ev_err err;

	(void)state;
	r[3].shared = true;
	assert_int_equal(ev_record_build(r, 6, 8, out, sizeof(out), &err), 0);
	assert_string_equal(out, "efa-verify: verdict=tcp_fallback nodes=6/8 efa_bytes=12 tcp_bytes=24 "
				 "shared=1 bad=n[2-4]:tcp_fallback(tcp_bytes);n7:degraded(idle_nics:3/32)");
	/* no_traffic is not a problem to list; unknown is. */
	r[5].verdict = EV_V_UNKNOWN;
	snprintf(r[5].reason, sizeof(r[5].reason), "counter_reset:tx_bytes@rdmap0");
	assert_int_equal(ev_record_build(r, 6, 6, out, sizeof(out), &err), 0);
	assert_string_equal(out, "efa-verify: verdict=tcp_fallback nodes=6/6 efa_bytes=12 tcp_bytes=24 "
				 "shared=1 bad=n[2-4]:tcp_fallback(tcp_bytes);n7:degraded(idle_nics:3/32);"
				 "n8:unknown(counter_reset:tx_bytes@rdmap0)");
}

static void test_missing_nodes_make_it_unknown(void **state)
{
	struct ev_node_result r[] = { res("n1", EV_V_OK, "", 5, 0) };
	char out[EV_RECORD_MAX];
	struct ev_err err;

	(void)state;
	assert_int_equal(ev_record_build(r, 1, 2, out, sizeof(out), &err), 0);
	assert_string_equal(out, "efa-verify: verdict=unknown nodes=1/2 efa_bytes=5 tcp_bytes=0");
	assert_int_equal(ev_record_build(NULL, 0, 2, out, sizeof(out), &err), 0);
	assert_string_equal(out, "efa-verify: verdict=unknown nodes=0/2 efa_bytes=0 tcp_bytes=0");
}

static void shuffle(struct ev_node_result *r, size_t n, unsigned seed)
{
	for (size_t i = n - 1; i > 0; i--) {
		size_t j;
		struct ev_node_result t;

		seed = seed * 1103515245u + 12345u;
		j = seed % (i + 1);
		t = r[i];
		r[i] = r[j];
		r[j] = t;
	}
}

static void test_order_and_duplicates_do_not_matter(void **state)
{
	enum { N = 64 };
	struct ev_node_result r[N + 2];
	char a[EV_RECORD_MAX], b[EV_RECORD_MAX];
	struct ev_err err;

	(void)state;
	for (int i = 0; i < N; i++) {
		char n[16];

		snprintf(n, sizeof(n), "p5-st-%d", i + 1);
		r[i] = res(n, i % 5 == 0 ? EV_V_DEGRADED : EV_V_OK, i % 5 ? "" : "idle_nics:1/32", 100, 1);
	}
	assert_int_equal(ev_record_build(r, N, N, a, sizeof(a), &err), 0);
	/* A result delivered twice changes nothing. */
	r[N] = r[3];
	r[N + 1] = r[10];
	for (unsigned seed = 1; seed < 20; seed++) {
		shuffle(r, N + 2, seed);
		assert_int_equal(ev_record_build(r, N + 2, N, b, sizeof(b), &err), 0);
		assert_string_equal(a, b);
	}
	assert_non_null(strstr(a, "nodes=64/64"));
	assert_non_null(strstr(a, "bad=p5-st-[1,6,11,16,21,26,31,36,41,46,51,56,61]:degraded(idle_nics:1/32)"));
}

static void test_size_bound_for_huge_jobs(void **state)
{
	static const unsigned sizes[] = { 1024, 8192 };
	struct ev_err err;

	(void)state;
	for (size_t s = 0; s < 2; s++) {
		unsigned n = sizes[s];
		struct ev_node_result *r = calloc(n, sizeof(*r));
		char out[EV_RECORD_MAX];
		struct ev_record rec;
		size_t listed = 0;

		/* The worst case for ranges: every other node bad, every reason
		 * different, long node names. */
		for (unsigned i = 0; i < n; i++) {
			char name[64], reason[64];

			snprintf(name, sizeof(name), "compute-queue-st-p5en48xlarge-%u", i * 2);
			snprintf(reason, sizeof(reason), "tcp_bytes:%u/efa_bytes:%u", 1000000 + i, i);
			r[i] = res(name, i % 3 ? EV_V_TCP_FALLBACK : EV_V_DEGRADED, reason, 0, 1);
		}
		assert_int_equal(ev_record_build(r, n, n, out, sizeof(out), &err), 0);
		print_message("# %u bad nodes, scattered names: record %zu bytes\n", n, strlen(out));
		assert_true(strlen(out) < EV_RECORD_MAX);
		assert_non_null(strstr(out, "_more"));
		/* What is listed plus what is counted is every bad node. */
		assert_int_equal(ev_record_parse(out, &rec, &err), 0);
		for (size_t g = 0; g < rec.n_groups; g++) {
			char **names;
			size_t k;

			assert_int_equal(ev_hostlist_expand(rec.groups[g].hosts, n, &names, &k, &err), 0);
			listed += k;
			ev_hostlist_free(names, k);
		}
		assert_true(listed > 0);
		assert_int_equal(listed + rec.more, n);
		assert_int_equal(rec.reported, n);
		ev_record_free(&rec);
		/* Consecutive names compress to one range whatever the count. */
		for (unsigned i = 0; i < n; i++) {
			snprintf(r[i].node, sizeof(r[i].node), "node%u", i);
			r[i].verdict = EV_V_TCP_FALLBACK;
		}
		assert_int_equal(ev_record_build(r, n, n, out, sizeof(out), &err), 0);
		print_message("# %u bad nodes, one range: record %zu bytes: %s\n", n, strlen(out), out);
		assert_true(strlen(out) < 200);
		assert_null(strstr(out, "_more"));
		free(r);
	}
}

static void test_hostlist(void **state)
{
	char *a[] = { "n10", "n2", "n1", "n3", "login", "n09", "n2", "gpu-st-p5-4" };
	char out[128];

	(void)state;
	assert_int_equal(ev_hostlist_compress(a, 8, out, sizeof(out)), 0);
	assert_string_equal(out, "gpu-st-p5-4,login,n[1-3,10],n09");
	assert_int_equal(ev_hostlist_compress(a, 8, out, 8), -ENAMETOOLONG);
	assert_int_equal(ev_hostlist_compress(a, 0, out, sizeof(out)), 0);
	assert_string_equal(out, "");
}

static void test_merge_keeps_admin_text(void **state)
{
	static const char *const admin[] = {
		NULL, "", "billing=team-a", "billing=team-a efa-verify: verdict=unknown nodes=1/2 efa_bytes=0 tcp_bytes=0",
		"efa-verify: verdict=ok nodes=1/1 efa_bytes=1 tcp_bytes=0 ticket=INC42",
		"a b\nefa-verify: verdict=ok\nnext line", "note=see-efa-verify:docs",
		"x efa-verify: verdict=ok y efa-verify: verdict=unknown nodes=0/1 z",
	};
	const char *rec = "efa-verify: verdict=degraded nodes=2/2 efa_bytes=5 tcp_bytes=0 bad=n1:degraded(idle_nics:1/4)";
	char out[EV_RECORD_MAX], again[EV_RECORD_MAX];
	struct ev_err err;

	(void)state;
	assert_int_equal(ev_record_merge(NULL, "efa-verify: verdict=ok", out, sizeof(out), &err), 0);
	assert_string_equal(out, "{efa-verify: verdict=ok}");
	assert_int_equal(ev_record_merge("billing=team-a", "efa-verify: verdict=ok", out, sizeof(out), &err), 0);
	assert_string_equal(out, "billing=team-a {efa-verify: verdict=ok}");
	/* Merging again replaces ours (written undelimited, as before), keeps
	 * theirs, before and after it. */
	assert_int_equal(ev_record_merge(admin[3], "efa-verify: verdict=ok", out, sizeof(out), &err), 0);
	assert_string_equal(out, "billing=team-a {efa-verify: verdict=ok}");
	assert_int_equal(ev_record_merge(admin[4], rec, out, sizeof(out), &err), 0);
	assert_string_equal(out, "{efa-verify: verdict=degraded nodes=2/2 efa_bytes=5 tcp_bytes=0 "
				 "bad=n1:degraded(idle_nics:1/4)} ticket=INC42");
	assert_int_equal(ev_record_merge(admin[5], rec, out, sizeof(out), &err), 0);
	assert_string_equal(out, "a b {efa-verify: verdict=degraded nodes=2/2 efa_bytes=5 tcp_bytes=0 "
				 "bad=n1:degraded(idle_nics:1/4)} next line");
	/* "efa-verify:" inside an admin's word is not ours. */
	assert_int_equal(ev_record_merge(admin[6], "efa-verify: verdict=ok", out, sizeof(out), &err), 0);
	assert_string_equal(out, "note=see-efa-verify:docs {efa-verify: verdict=ok}");
	/* A second, stale part is dropped; the admin's words all stay. */
	assert_int_equal(ev_record_merge(admin[7], rec, out, sizeof(out), &err), 0);
	assert_string_equal(out, "x {efa-verify: verdict=degraded nodes=2/2 efa_bytes=5 tcp_bytes=0 "
				 "bad=n1:degraded(idle_nics:1/4)} y z");
	/* Idempotent from any starting text, and the record parses back. */
	for (size_t i = 0; i < sizeof(admin) / sizeof(admin[0]); i++) {
		struct ev_record r;

		assert_int_equal(ev_record_merge(admin[i], rec, out, sizeof(out), &err), 0);
		assert_int_equal(ev_record_merge(out, rec, again, sizeof(again), &err), 0);
		assert_string_equal(out, again);
		assert_int_equal(ev_record_parse(out, &r, &err), 0);
		assert_int_equal(r.verdict, EV_V_DEGRADED);
		assert_int_equal(r.n_groups, 1);
		ev_record_free(&r);
	}
	assert_int_equal(ev_record_merge("x", "efa-verify: verdict=ok", out, 8, &err), -ENAMETOOLONG);
}

/* Other tools write AdminComment too (jobstats: "JS1:<gzip+base64>"), and
 * may put anything before or after our part: it is delimited, so what
 * follows it is theirs even where it looks like our keys, and nothing of
 * theirs is read as ours. Records written before they were delimited are
 * still read and replaced. */
static void test_record_delimited(void **state)
{
	static const char js1[] = "JS1:H4sIAAAAAAAAA6tWSlSyUkrLL1KqBQDx8ZyRDQAAAA==";
	const char *rec = "efa-verify: verdict=ok nodes=2/2 efa_bytes=5 tcp_bytes=0";
	const char *rec2 = "efa-verify: verdict=degraded nodes=2/2 efa_bytes=5 tcp_bytes=0 bad=n[1-2]:degraded(x)";
	char out[EV_RECORD_MAX], again[EV_RECORD_MAX], in[EV_RECORD_MAX];
	struct ev_record r;
	struct ev_err err;

	(void)state;
	/* Another tool's text alone: nothing of ours in it. */
	assert_int_equal(ev_record_parse(js1, &r, &err), -ENOENT);
	ev_record_free(&r);
	/* Ours goes after it; theirs is kept byte for byte. */
	assert_int_equal(ev_record_merge(js1, rec, out, sizeof(out), &err), 0);
	snprintf(in, sizeof(in), "%s {%s}", js1, rec);
	assert_string_equal(out, in);
	assert_int_equal(ev_record_parse(out, &r, &err), 0);
	assert_int_equal(r.verdict, EV_V_OK);
	ev_record_free(&r);
	/* Text after ours that looks like our keys is not ours: it is kept,
	 * and the record still parses (undelimited, it would be swallowed). */
	snprintf(in, sizeof(in), "%s {%s} verdict=pass nodes=3 shared=yes", js1, rec);
	assert_int_equal(ev_record_parse(in, &r, &err), 0);
	assert_int_equal(r.reported, 2);
	assert_int_equal(r.shared, 0);
	ev_record_free(&r);
	assert_int_equal(ev_record_merge(in, rec2, out, sizeof(out), &err), 0);
	snprintf(again, sizeof(again), "%s {%s} verdict=pass nodes=3 shared=yes", js1, rec2);
	assert_string_equal(out, again);
	assert_int_equal(ev_record_merge(out, rec2, again, sizeof(again), &err), 0);
	assert_string_equal(out, again);
	/* Glued to their text on either side: still ours, and theirs stays. */
	assert_int_equal(ev_record_merge("a{efa-verify: verdict=ok nodes=1/1 efa_bytes=1 tcp_bytes=0}b", rec, out,
					 sizeof(out), &err), 0);
	assert_string_equal(out, "a {efa-verify: verdict=ok nodes=2/2 efa_bytes=5 tcp_bytes=0} b");
	/* A record written before they were delimited is read, and replaced by
	 * a delimited one, with an admin's words before and after it kept. */
	assert_int_equal(ev_record_parse("t-1 efa-verify: verdict=ok nodes=1/1 efa_bytes=1 tcp_bytes=0 keep", &r, &err),
			 0);
	assert_int_equal(r.efa_bytes, 1);
	ev_record_free(&r);
	assert_int_equal(ev_record_merge("t-1 efa-verify: verdict=ok nodes=1/1 efa_bytes=1 tcp_bytes=0 keep", rec, out,
					 sizeof(out), &err), 0);
	assert_string_equal(out, "t-1 {efa-verify: verdict=ok nodes=2/2 efa_bytes=5 tcp_bytes=0} keep");
	/* Both forms (a writer from before delimiters added the old one):
	 * one record is left. */
	assert_int_equal(ev_record_merge("{efa-verify: verdict=ok nodes=1/2 efa_bytes=1 tcp_bytes=0} x "
					 "efa-verify: verdict=ok nodes=2/2 efa_bytes=1 tcp_bytes=0", rec, out,
					 sizeof(out), &err), 0);
	assert_string_equal(out, "{efa-verify: verdict=ok nodes=2/2 efa_bytes=5 tcp_bytes=0} x");
	/* The delimited part is the one read, wherever an undelimited one is. */
	assert_int_equal(ev_record_parse("efa-verify: see {efa-verify: verdict=ok nodes=1/1 efa_bytes=7 tcp_bytes=0}",
					 &r, &err), 0);
	assert_int_equal(r.efa_bytes, 7);
	ev_record_free(&r);
	/* A part cut short (no '}') is not ours, and does not swallow the
	 * next one; inside the delimiters, only our tokens. */
	assert_int_equal(ev_record_parse("{efa-verify: verdict=ok nodes=1/1", &r, &err), -ENOENT);
	ev_record_free(&r);
	assert_int_equal(ev_record_merge("{efa-verify: verdict=ok", rec, out, sizeof(out), &err), 0);
	assert_string_equal(out, "{efa-verify: verdict=ok {efa-verify: verdict=ok nodes=2/2 efa_bytes=5 tcp_bytes=0}");
	assert_int_equal(ev_record_parse(out, &r, &err), 0);
	assert_int_equal(r.reported, 2);
	ev_record_free(&r);
	assert_int_equal(ev_record_parse("{efa-verify: verdict=ok nodes=1/1 efa_bytes=1 tcp_bytes=0 note}", &r, &err),
			 -EBADMSG);
	ev_record_free(&r);
	assert_int_equal(ev_record_parse("{efa-verify:verdict=ok nodes=1/1 efa_bytes=1 tcp_bytes=0}", &r, &err),
			 -ENOENT);
	ev_record_free(&r);
}

/* Found by fuzz/fuzz_record (fuzz/regressions/record/merge_record_*): a
 * record an admin re-wrapped with a tab or newline between its tokens was
 * cut there, its tail kept as admin text and set next to the new record,
 * which then had two efa_bytes= and no longer parsed. */
static void test_merge_record_split_by_other_whitespace(void **state)
{
	static const char *const admin[] = {
		"efa-verify: verdict=ok nodes=1/1\tefa_bytes=1 tcp_bytes=0",
		"efa-verify: verdict=ok\nnodes=1/1 efa_bytes=1 tcp_bytes=0 ticket=INC42",
		"a\r\nefa-verify:\tverdict=ok \n\t nodes=1/1\r\nefa_bytes=1 tcp_bytes=0\nb",
	};
	static const char *const want[] = {
		"{efa-verify: verdict=degraded nodes=2/2 efa_bytes=5 tcp_bytes=0}",
		"{efa-verify: verdict=degraded nodes=2/2 efa_bytes=5 tcp_bytes=0} ticket=INC42",
		"a {efa-verify: verdict=degraded nodes=2/2 efa_bytes=5 tcp_bytes=0} b",
	};
	const char *rec = "efa-verify: verdict=degraded nodes=2/2 efa_bytes=5 tcp_bytes=0";
	char out[EV_RECORD_MAX], again[EV_RECORD_MAX];
	struct ev_record r;
	struct ev_err err;

	(void)state;
	for (size_t i = 0; i < sizeof(admin) / sizeof(admin[0]); i++) {
		assert_int_equal(ev_record_merge(admin[i], rec, out, sizeof(out), &err), 0);
		assert_string_equal(out, want[i]);
		assert_int_equal(ev_record_parse(out, &r, &err), 0);
		assert_int_equal(r.verdict, EV_V_DEGRADED);
		assert_int_equal(r.efa_bytes, 5);
		ev_record_free(&r);
		assert_int_equal(ev_record_merge(out, rec, again, sizeof(again), &err), 0);
		assert_string_equal(out, again);
	}
	/* The whole re-wrapped record is read, as the parser splits it. */
	assert_int_equal(ev_record_parse(admin[2], &r, &err), 0);
	assert_int_equal(r.reported, 1);
	assert_int_equal(r.efa_bytes, 1);
	ev_record_free(&r);
}

/* Found by fuzz/fuzz_record (fuzz/regressions/record/hostlist_all_digit_names):
 * all-digit host names compressed to "[5,8]", which ev_hostlist_expand
 * refuses, so such nodes could not be read back from a record. */
static void test_hostlist_all_digit_names(void **state)
{
	char *a[] = { "8", "5", "6", "5", "n1", "007" }, out[256], **back;
	size_t n;
	struct ev_err err;

	(void)state;
	assert_int_equal(ev_hostlist_compress(a, 6, out, sizeof(out)), 0);
	assert_string_equal(out, "5,6,8,007,n1");
	assert_int_equal(ev_hostlist_expand(out, 100, &back, &n, &err), 0);
	assert_int_equal(n, 5);
	assert_string_equal(back[0], "5");
	assert_string_equal(back[2], "8");
	assert_string_equal(back[3], "007");
	ev_hostlist_free(back, n);
}

static void test_record_parse(void **state)
{
	struct ev_node_result r[] = {
		res("n1", EV_V_OK, "", 5, 0),
		res("n2", EV_V_NOT_READY, "ports:rdmap1 DOWN", 0, 9),
		res("n3", EV_V_NOT_READY, "ports:rdmap1 DOWN", 0, 8),
		res("n07", EV_V_DEGRADED, "idle_nics:3/32", 7, 0),
	};
	static const char *const bad[] = {
		"efa-verify: verdict=ok nodes=1/1 efa_bytes=1",                     /* no tcp_bytes */
		"efa-verify: verdict=fine nodes=1/1 efa_bytes=1 tcp_bytes=0",
		"efa-verify: verdict=ok nodes=2/1 efa_bytes=1 tcp_bytes=0",
		"efa-verify: verdict=ok nodes=1/1 efa_bytes=01 tcp_bytes=0",
		"efa-verify: verdict=ok nodes=1/1 efa_bytes=1 tcp_bytes=0 tcp_bytes=0",
		"efa-verify: verdict=ok nodes=1/1 efa_bytes=1 tcp_bytes=0 bad=n1",
		"efa-verify: verdict=ok nodes=1/1 efa_bytes=1 tcp_bytes=0 bad=n1:ok",
		"efa-verify: verdict=ok nodes=1/1 efa_bytes=1 tcp_bytes=0 bad=n1:unknown(a b)",
		"efa-verify: verdict=ok nodes=1/1 efa_bytes=1 tcp_bytes=0 bad=n1:unknown(%41)",
		"efa-verify: verdict=ok nodes=1/1 efa_bytes=1 tcp_bytes=0 bad=+3_more;n1:unknown",
		"efa-verify: verdict=ok nodes=1/1 efa_bytes=1 tcp_bytes=0 bad=n/1:unknown",
		"efa-verify: verdict=ok nodes=1/1 efa_bytes=1 tcp_bytes=0 bad=;n1:unknown",
		"efa-verify: verdict=ok nodes=1/1 efa_bytes=1 tcp_bytes=0 shared=0",
		"efa-verify: verdict=ok nodes=1/1 efa_bytes=1 tcp_bytes=0 other_tcp_bytes=5",
		"efa-verify: verdict=ok nodes=1/1 efa_bytes=1 tcp_bytes=0 tcp_source=nftables",
		"efa-verify: verdict=ok nodes=1/1 efa_bytes=1 tcp_bytes=0 other_tcp_bytes=5 tcp_source=guess",
		("efa-verify: verdict=ok nodes=1/1 efa_bytes=1 tcp_bytes=0 other_tcp_bytes=5 other_tcp_bytes=5 "
		 "tcp_source=nftables"),
	};
	char out[EV_RECORD_MAX];
	struct ev_record rec;
	struct ev_err err;

	(void)state;
	assert_int_equal(ev_record_build(r, 4, 5, out, sizeof(out), &err), 0);
	/* Reasons are encoded: the space cannot split the token. */
	assert_string_equal(out, "efa-verify: verdict=not_ready nodes=4/5 efa_bytes=12 tcp_bytes=17 "
				 "bad=n[2-3]:not_ready(ports:rdmap1%20DOWN);n07:degraded(idle_nics:3/32)");
	assert_int_equal(ev_record_parse(out, &rec, &err), 0);
	assert_int_equal(rec.verdict, EV_V_NOT_READY);
	assert_int_equal(rec.reported, 4);
	assert_int_equal(rec.total, 5);
	assert_true(rec.efa_bytes == 12 && rec.tcp_bytes == 17);
	assert_int_equal(rec.n_groups, 2);
	assert_string_equal(rec.groups[0].hosts, "n[2-3]");
	assert_string_equal(rec.groups[0].reason, "ports:rdmap1 DOWN");
	assert_int_equal(rec.groups[1].verdict, EV_V_DEGRADED);
	assert_int_equal(rec.more, 0);
	ev_record_free(&rec);
	assert_int_equal(ev_record_parse("billing=x", &rec, &err), -ENOENT);
	ev_record_free(&rec);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		if (ev_record_parse(bad[i], &rec, &err) == 0)
			fail_msg("accepted: %s", bad[i]);
		ev_record_free(&rec);
	}
	/* Hostile node names never get into a record. */
	snprintf(r[0].node, sizeof(r[0].node), "n1 verdict=ok");
	assert_int_equal(ev_record_build(r, 4, 4, out, sizeof(out), &err), -EINVAL);
	r[0] = res("n1", (enum ev_verdict)99, "", 0, 0);
	assert_int_equal(ev_record_build(r, 4, 4, out, sizeof(out), &err), -EINVAL);
}

/* tcp_source: nftables only when every node that said counted with its
 * table; one node on interfaces makes the job's TCP figure an upper
 * bound, and the record says interface. */
static void test_record_tcp_source(void **state)
{
	struct ev_node_result r[] = {
		res("n1", EV_V_OK, "", 5, 10), res("n2", EV_V_OK, "", 5, 20), res("n3", EV_V_UNKNOWN, "x", 0, 0),
	};
	char out[EV_RECORD_MAX], merged[EV_RECORD_MAX];
	struct ev_record rec;
	struct ev_err err;

	(void)state;
	/* No node said (old results): nothing said. */
	assert_int_equal(ev_record_build(r, 3, 3, out, sizeof(out), &err), 0);
	assert_string_equal(out, "efa-verify: verdict=unknown nodes=3/3 efa_bytes=10 tcp_bytes=30 bad=n3:unknown(x)");
	assert_int_equal(ev_record_parse(out, &rec, &err), 0);
	assert_int_equal(rec.tcp_source, EV_TCP_SRC_NONE);
	ev_record_free(&rec);
	r[0].tcp_source = r[1].tcp_source = EV_TCP_SRC_NFTABLES;
	r[0].other_tcp_bytes = 1000;
	r[1].other_tcp_bytes = 2000;
	assert_int_equal(ev_record_build(r, 3, 3, out, sizeof(out), &err), 0);
	assert_string_equal(out, "efa-verify: verdict=unknown nodes=3/3 efa_bytes=10 tcp_bytes=30 other_tcp_bytes=3000 "
				 "tcp_source=nftables bad=n3:unknown(x)");
	assert_int_equal(ev_record_parse(out, &rec, &err), 0);
	assert_int_equal(rec.tcp_source, EV_TCP_SRC_NFTABLES);
	assert_true(rec.other_tcp_bytes == 3000);
	ev_record_free(&rec);
	/* Whichever node counted on interfaces. */
	r[1].tcp_source = EV_TCP_SRC_INTERFACE;
	r[1].other_tcp_bytes = 0;
	for (int k = 0; k < 2; k++) {
		enum ev_tcp_source t = r[0].tcp_source;

		r[0].tcp_source = r[1].tcp_source;
		r[1].tcp_source = t;
		r[0].other_tcp_bytes = r[0].tcp_source == EV_TCP_SRC_NFTABLES ? 1000 : 0;
		r[1].other_tcp_bytes = r[1].tcp_source == EV_TCP_SRC_NFTABLES ? 1000 : 0;
		assert_int_equal(ev_record_build(r, 3, 3, out, sizeof(out), &err), 0);
		assert_string_equal(out, "efa-verify: verdict=unknown nodes=3/3 efa_bytes=10 tcp_bytes=30 "
					 "other_tcp_bytes=1000 tcp_source=interface iface_nodes=1 bad=n3:unknown(x)");
	}
	assert_int_equal(ev_record_parse(out, &rec, &err), 0);
	assert_int_equal(rec.tcp_source, EV_TCP_SRC_INTERFACE);
	assert_int_equal(rec.iface_nodes, 1);
	ev_record_free(&rec);
	/* Both keys are ours: a merge replaces them, the admin's words stay. */
	assert_int_equal(ev_record_merge("ticket-1 efa-verify: verdict=ok nodes=1/1 efa_bytes=1 tcp_bytes=0 "
					 "other_tcp_bytes=9 tcp_source=nftables keep", out, merged, sizeof(merged), &err), 0);
	assert_string_equal(merged, "ticket-1 {efa-verify: verdict=unknown nodes=3/3 efa_bytes=10 tcp_bytes=30 "
				    "other_tcp_bytes=1000 tcp_source=interface iface_nodes=1 bad=n3:unknown(x)} keep");
}

/* iface_nodes: how many of the nodes that reported counted their TCP on
 * interfaces, so the record tells one node whose table could not be made
 * from a job that counted none; a function of the set of results, as the
 * rest of the record (a node delivered twice counts once). */
static void test_record_iface_nodes(void **state)
{
	struct ev_node_result r[6];
	char out[EV_RECORD_MAX], again[EV_RECORD_MAX];
	struct ev_record rec;
	struct ev_err err;

	(void)state;
	for (int i = 0; i < 5; i++) {
		char name[8];

		snprintf(name, sizeof(name), "n%d", i + 1);
		r[i] = res(name, EV_V_OK, "", 100, 10);
		r[i].tcp_source = EV_TCP_SRC_NFTABLES;
		r[i].other_tcp_bytes = 7;
	}
	/* n2 and n4 could not make their table; n5 had no delta to say. */
	r[1].tcp_source = r[3].tcp_source = EV_TCP_SRC_INTERFACE;
	r[1].other_tcp_bytes = r[3].other_tcp_bytes = 0;
	r[4].tcp_source = EV_TCP_SRC_NONE;
	r[4].other_tcp_bytes = 0;
	assert_int_equal(ev_record_build(r, 5, 6, out, sizeof(out), &err), 0);
	assert_string_equal(out, "efa-verify: verdict=unknown nodes=5/6 efa_bytes=500 tcp_bytes=50 other_tcp_bytes=14 "
				 "tcp_source=interface iface_nodes=2");
	assert_int_equal(ev_record_parse(out, &rec, &err), 0);
	assert_int_equal(rec.tcp_source, EV_TCP_SRC_INTERFACE);
	assert_int_equal(rec.iface_nodes, 2);
	assert_int_equal(rec.reported, 5);
	ev_record_free(&rec);
	/* n2 again, and in another order: the same bytes. */
	r[5] = r[1];
	for (int i = 0; i < 3; i++) {
		struct ev_node_result t = r[i];

		r[i] = r[5 - i];
		r[5 - i] = t;
	}
	assert_int_equal(ev_record_build(r, 6, 6, again, sizeof(again), &err), 0);
	assert_string_equal(again, "efa-verify: verdict=unknown nodes=5/6 efa_bytes=500 tcp_bytes=50 "
				   "other_tcp_bytes=14 tcp_source=interface iface_nodes=2");
	/* Every node on its table: no iface_nodes, the record as before it. */
	for (int i = 0; i < 6; i++)
		if (r[i].tcp_source == EV_TCP_SRC_INTERFACE)
			r[i].tcp_source = EV_TCP_SRC_NFTABLES;
	assert_int_equal(ev_record_build(r, 6, 6, out, sizeof(out), &err), 0);
	assert_null(strstr(out, "iface_nodes"));
	assert_int_equal(ev_record_parse(out, &rec, &err), 0);
	assert_int_equal(rec.iface_nodes, 0);
	ev_record_free(&rec);
	/* A record from before iface_nodes: interface, how many not said. */
	assert_int_equal(ev_record_parse("efa-verify: verdict=ok nodes=2/2 efa_bytes=1 tcp_bytes=0 other_tcp_bytes=0 "
					 "tcp_source=interface", &rec, &err), 0);
	assert_int_equal(rec.tcp_source, EV_TCP_SRC_INTERFACE);
	assert_int_equal(rec.iface_nodes, 0);
	ev_record_free(&rec);
	/* The largest job's record still fits, with the count. */
	{
		enum { N = 8192 };
		struct ev_node_result *big = calloc(N, sizeof(*big));

		assert_non_null(big);
		for (int i = 0; i < N; i++) {
			char name[16];

			snprintf(name, sizeof(name), "node%05d", i);
			big[i] = res(name, i % 3 ? EV_V_OK : EV_V_TCP_FALLBACK, i % 3 ? "" : "tcp_bytes:9/efa_bytes:0",
				     UINT64_MAX / N, UINT64_MAX / N);
			big[i].tcp_source = i % 2 ? EV_TCP_SRC_INTERFACE : EV_TCP_SRC_NFTABLES;
			big[i].other_tcp_bytes = i % 2 ? 0 : UINT64_MAX / N;
		}
		assert_int_equal(ev_record_build(big, N, N, out, sizeof(out), &err), 0);
		assert_true(strlen(out) < EV_RECORD_MAX);
		assert_non_null(strstr(out, " tcp_source=interface iface_nodes=4096 "));
		assert_int_equal(ev_record_parse(out, &rec, &err), 0);
		assert_int_equal(rec.iface_nodes, 4096);
		ev_record_free(&rec);
		free(big);
	}
}

/* A key a later release adds is skipped, so its records still read; a
 * key of ours with a bad value, or repeated, is refused as ever. */
static void test_record_later_keys(void **state)
{
	static const char *const bad[] = {
		"efa-verify: verdict=ok nodes=1/1 efa_bytes=1 tcp_bytes=0 other_tcp_bytes=0 tcp_source=nftables "
		"iface_nodes=1",
		"efa-verify: verdict=ok nodes=1/1 efa_bytes=1 tcp_bytes=0 iface_nodes=1",
		"efa-verify: verdict=ok nodes=1/1 efa_bytes=1 tcp_bytes=0 other_tcp_bytes=0 tcp_source=interface "
		"iface_nodes=0",
		"efa-verify: verdict=ok nodes=1/2 efa_bytes=1 tcp_bytes=0 other_tcp_bytes=0 tcp_source=interface "
		"iface_nodes=2",
		"efa-verify: verdict=ok nodes=2/2 efa_bytes=1 tcp_bytes=0 other_tcp_bytes=0 tcp_source=interface "
		"iface_nodes=1 iface_nodes=1",
		"efa-verify: verdict=ok nodes=1/1 efa_bytes=1 tcp_bytes=0 other_tcp_bytes=0 tcp_source=interface "
		"iface_nodes=x",
		/* Delimited: an undelimited record ends before a word not ours. */
		"{efa-verify: verdict=ok nodes=1/1 efa_bytes=1 tcp_bytes=0 Later=1}",
		"{efa-verify: verdict=ok nodes=1/1 efa_bytes=1 tcp_bytes=0 later}",
		"{efa-verify: verdict=ok nodes=1/1 efa_bytes=1 tcp_bytes=0 =1}",
	};
	struct ev_record rec;
	struct ev_err err;

	(void)state;
	assert_int_equal(ev_record_parse("x {efa-verify: verdict=ok nodes=2/2 efa_bytes=1 tcp_bytes=0 gpu_hours=3.5 "
					 "bad=n2:degraded(idle_nics:1/4) later_key=a:b(c) later_key=again} y", &rec, &err), 0);
	assert_int_equal(rec.reported, 2);
	assert_int_equal(rec.n_groups, 1);
	assert_string_equal(rec.groups[0].hosts, "n2");
	ev_record_free(&rec);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		if (ev_record_parse(bad[i], &rec, &err) == 0)
			fail_msg("accepted: %s", bad[i]);
		ev_record_free(&rec);
	}
}

static void test_hostlist_expand(void **state)
{
	static const char *const bad[] = {
		"", "n[", "n[]", "n[1-]", "n[3-1]", "n[1,]", "n[1]x", "[1-2]", "n[a]", "n,", ",n", "n[1[2]]",
		"a b", "n[01-2]", "n[1-99999999]",
	};
	char **names;
	size_t n;
	struct ev_err err;

	(void)state;
	assert_int_equal(ev_hostlist_expand("gpu-st-p5-4,login,n[1-3,10],n[09-11]", 100, &names, &n, &err), 0);
	assert_int_equal(n, 9);
	assert_string_equal(names[0], "gpu-st-p5-4");
	assert_string_equal(names[4], "n3");
	assert_string_equal(names[5], "n10");
	assert_string_equal(names[6], "n09");
	assert_string_equal(names[8], "n11");
	ev_hostlist_free(names, n);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		int rc = ev_hostlist_expand(bad[i], 1000, &names, &n, &err);

		if (rc == 0 && n > 0)
			fail_msg("accepted: '%s'", bad[i]);
		if (rc == 0)
			ev_hostlist_free(names, n);
		else
			assert_null(names);
	}
	assert_int_equal(ev_hostlist_expand("n[1-5]", 4, &names, &n, &err), -E2BIG);
	/* compress then expand gives back the set, for random sets. */
	for (unsigned seed = 1; seed < 30; seed++) {
		char *in[200], buf[4096], **back;
		size_t k = 0, nb;
		unsigned x = seed;

		for (unsigned i = 0; i < 200; i++) {
			x = x * 1103515245u + 12345u;
			if ((x >> 16) % 3 == 0) {
				in[k] = malloc(16);
				snprintf(in[k], 16, (x >> 8) % 2 ? "a%u" : "b%03u", i);
				k++;
			}
		}
		assert_int_equal(ev_hostlist_compress(in, k, buf, sizeof(buf)), 0);
		assert_int_equal(ev_hostlist_expand(buf, 1000, &back, &nb, &err), 0);
		assert_int_equal(nb, k);
		for (size_t i = 0; i < k; i++) {
			bool found = false;

			for (size_t j = 0; j < nb; j++)
				found = found || strcmp(in[i], back[j]) == 0;
			assert_true(found);
			free(in[i]);
		}
		ev_hostlist_free(back, nb);
	}
}

static void test_result_line_round_trip(void **state)
{
	static const char *const reasons[] = {
		"rx_drops+1234@rdmap16s0", "", "a b", "x=y", "line\nbreak", "100%", "semi;colon(paren)",
		"tab\there", "\xff\x01", "-",
	};
	struct ev_node_result r = res("n3", EV_V_DEGRADED, "rx_drops+1234@rdmap16s0", UINT64_MAX, 42), p;
	char line[EV_RESULT_LINE_MAX];
	struct ev_err err;

	(void)state;
	r.shared = true;
	assert_int_equal(ev_result_format(&r, line, sizeof(line)), 0);
	assert_string_equal(line, "node=n3 verdict=degraded efa_bytes=18446744073709551615 tcp_bytes=42 "
				  "shared=1 reason=rx_drops+1234@rdmap16s0");
	assert_int_equal(ev_result_parse(line, &p, &err), 0);
	assert_memory_equal(&r, &p, sizeof(r));
	r.jobid = 4294967295u;
	r.job_nodes = 1024;
	assert_int_equal(ev_result_format(&r, line, sizeof(line)), 0);
	assert_string_equal(line, "job=4294967295 node=n3 nodes=1024 verdict=degraded efa_bytes=18446744073709551615 "
				  "tcp_bytes=42 shared=1 reason=rx_drops+1234@rdmap16s0");
	/* Hostile reasons: one line, one token each, and back exactly. */
	for (size_t i = 0; i < sizeof(reasons) / sizeof(reasons[0]); i++) {
		memset(r.reason, 0, sizeof(r.reason));
		snprintf(r.reason, sizeof(r.reason), "%s", reasons[i]);
		assert_int_equal(ev_result_format(&r, line, sizeof(line)), 0);
		assert_null(strchr(line, '\n'));
		assert_int_equal(strcspn(line, "\t;()"), strlen(line));
		assert_int_equal(ev_result_parse(line, &p, &err), 0);
		assert_memory_equal(&r, &p, sizeof(r));
	}
	/* Where the TCP was counted, and what else moved. */
	r.tcp_source = EV_TCP_SRC_NFTABLES;
	r.other_tcp_bytes = 99;
	snprintf(r.reason, sizeof(r.reason), "x");
	assert_int_equal(ev_result_format(&r, line, sizeof(line)), 0);
	assert_string_equal(line, "job=4294967295 node=n3 nodes=1024 verdict=degraded efa_bytes=18446744073709551615 "
				  "tcp_bytes=42 other_tcp_bytes=99 tcp_source=nftables shared=1 reason=x");
	assert_int_equal(ev_result_parse(line, &p, &err), 0);
	assert_memory_equal(&r, &p, sizeof(r));
	r.tcp_source = EV_TCP_SRC_INTERFACE;
	r.other_tcp_bytes = 0;
	assert_int_equal(ev_result_format(&r, line, sizeof(line)), 0);
	assert_non_null(strstr(line, " tcp_bytes=42 other_tcp_bytes=0 tcp_source=interface shared=1 "));
	assert_int_equal(ev_result_parse(line, &p, &err), 0);
	assert_memory_equal(&r, &p, sizeof(r));
	/* Not said without a source. */
	r.tcp_source = EV_TCP_SRC_NONE;
	r.other_tcp_bytes = 5;
	assert_int_equal(ev_result_format(&r, line, sizeof(line)), -EINVAL);
	r.other_tcp_bytes = 0;
	/* The longest node name and reason, and every field at its widest,
	 * still fit a line. */
	memset(r.node, 'n', sizeof(r.node) - 1);
	memset(r.reason, 'r', sizeof(r.reason) - 1);
	r.efa_bytes = r.tcp_bytes = r.other_tcp_bytes = UINT64_MAX;
	r.tcp_source = EV_TCP_SRC_INTERFACE;
	r.nics_busy = r.nics_total = 4096;
	r.nic_min_bytes = r.nic_max_bytes = UINT64_MAX;
	r.verdict = EV_V_TCP_FALLBACK;
	r.jobid = r.job_nodes = UINT32_MAX;
	/* Causes at their widest too: the longest names, the longest details. */
	for (int c = EV_CAUSE__COUNT - 1; c >= EV_CAUSE__COUNT - EV_CAUSES_MAX; c--) {
		char d[EV_CAUSE_DETAIL_MAX];

		memset(d, 'd', sizeof(d) - 1);
		d[sizeof(d) - 1] = '\0';
		ev_causes_add(&r.causes, (enum ev_cause_name)c, EV_CAUSE_LIKELY, d);
	}
	r.causes.c[0].name = EV_CAUSE_NCCL_NET_PLUGIN;
	r.causes.c[1].name = EV_CAUSE_UNREACHABLE_PEERS;
	assert_int_equal(r.causes.n, EV_CAUSES_MAX);
	assert_int_equal(ev_result_format(&r, line, sizeof(line)), 0);
	print_message("# the widest result line: %zu bytes\n", strlen(line));
	assert_int_equal(ev_result_parse(line, &p, &err), 0);
	assert_memory_equal(&r, &p, sizeof(r));
	assert_int_equal(ev_result_format(&r, line, 40), -ENAMETOOLONG);
	/* Causes format refuses are not written. */
	r.causes.c[1] = r.causes.c[0];
	assert_int_equal(ev_result_format(&r, line, sizeof(line)), -EINVAL);
	memset(&r.causes, 0, sizeof(r.causes));
	/* A reason that only fits encoded if cut is cut, whole characters. */
	memset(r.reason, ' ', sizeof(r.reason) - 1);
	assert_int_equal(ev_result_format(&r, line, sizeof(line)), 0);
	assert_int_equal(ev_result_parse(line, &p, &err), 0);
	assert_int_equal(strlen(p.reason), (EV_REASON_MAX - 1) / 3);
	/* Hostile names are refused, not written. */
	snprintf(r.node, sizeof(r.node), "n1 verdict=ok");
	assert_int_equal(ev_result_format(&r, line, sizeof(line)), -EINVAL);
	snprintf(r.node, sizeof(r.node), "n1\nnode=n2");
	assert_int_equal(ev_result_format(&r, line, sizeof(line)), -EINVAL);
}

static struct ev_node_result with_causes(struct ev_node_result r, enum ev_cause_name a, enum ev_cause_certainty ca,
					 const char *da, int b, const char *db)
{
	ev_causes_add(&r.causes, a, ca, da);
	if (b >= 0)
		ev_causes_add(&r.causes, (enum ev_cause_name)b, EV_CAUSE_LIKELY, db);
	return r;
}

/* Nodes that name a cause fold into one host range per cause, certain
 * first, then the most nodes; the detail only where they all share it. */
static void test_record_causes(void **state)
{
	struct ev_node_result r[] = {
		with_causes(res("n1", EV_V_TCP_FALLBACK, "tcp_bytes:9/efa_bytes:0", 0, 9), EV_CAUSE_FI_PROVIDER,
			    EV_CAUSE_CERTAIN, "tcp", EV_CAUSE_UNREACHABLE_PEERS, "tx_pkts:9000/rx_pkts:3"),
		with_causes(res("n2", EV_V_TCP_FALLBACK, "tcp_bytes:9/efa_bytes:0", 0, 9), EV_CAUSE_FI_PROVIDER,
			    EV_CAUSE_CERTAIN, "tcp", EV_CAUSE_UNREACHABLE_PEERS, "tx_pkts:8000/rx_pkts:1"),
		with_causes(res("n3", EV_V_TCP_FALLBACK, "tcp_bytes:9/efa_bytes:0", 0, 9), EV_CAUSE_FI_PROVIDER,
			    EV_CAUSE_CERTAIN, "tcp", -1, NULL),
		with_causes(res("n4", EV_V_DEGRADED, "idle_nics:3/32", 5, 0), EV_CAUSE_MEMLOCK, EV_CAUSE_CERTAIN,
			    "65536", -1, NULL),
		with_causes(res("n5", EV_V_OK, "", 5, 0), EV_CAUSE_FI_PROVIDER, EV_CAUSE_LIKELY, "sockets", -1, NULL),
		res("n6", EV_V_OK, "", 5, 0),
	};
	static const char *const bad[] = {
		"cause=",
		"cause=n1",
		"cause=n1:",
		"cause=:memlock",
		"cause=n1:nosuch",
		"cause=n1:memlock()",
		"cause=n1:memlock(a",
		"cause=n1:memlock(a)b",
		"cause=n1:memlock(a(b)",
		"cause=n1:memlock(a%20b)",
		"cause=n1:memlock~~",
		"cause=n1:memlock(a)~",
		"cause=n1:memlock;",
		"cause=;n1:memlock",
		"cause=n1:memlock;;n2:memlock~",
		"cause=n1:memlock;n2:memlock",
		"cause=n/1:memlock",
		"cause=n1:memlock cause=n2:memlock",
		"cause=n1:memlock(aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa)",
	};
	char out[EV_RECORD_MAX], text[EV_RECORD_MAX + 64];
	struct ev_record rec;
	struct ev_err err;

	(void)state;
	assert_int_equal(ev_record_build(r, 6, 6, out, sizeof(out), &err), 0);
	assert_string_equal(out, "efa-verify: verdict=tcp_fallback nodes=6/6 efa_bytes=15 tcp_bytes=27 "
				 "bad=n[1-3]:tcp_fallback(tcp_bytes:9/efa_bytes:0);n4:degraded(idle_nics:3/32) "
				 "cause=n[1-3]:fi_provider(tcp);n4:memlock(65536);n[1-2]:unreachable_peers~;"
				 "n5:fi_provider~(sockets)");
	assert_int_equal(ev_record_parse(out, &rec, &err), 0);
	assert_int_equal(rec.n_groups, 2);
	assert_int_equal(rec.n_causes, 4);
	assert_string_equal(rec.causes[0].hosts, "n[1-3]");
	assert_int_equal(rec.causes[0].name, EV_CAUSE_FI_PROVIDER);
	assert_int_equal(rec.causes[0].certainty, EV_CAUSE_CERTAIN);
	assert_string_equal(rec.causes[0].detail, "tcp");
	assert_string_equal(rec.causes[1].hosts, "n4");
	assert_int_equal(rec.causes[1].name, EV_CAUSE_MEMLOCK);
	assert_string_equal(rec.causes[1].detail, "65536");
	assert_string_equal(rec.causes[2].hosts, "n[1-2]");
	assert_int_equal(rec.causes[2].name, EV_CAUSE_UNREACHABLE_PEERS);
	assert_int_equal(rec.causes[2].certainty, EV_CAUSE_LIKELY);
	assert_string_equal(rec.causes[2].detail, "");
	assert_int_equal(rec.causes[3].certainty, EV_CAUSE_LIKELY);
	assert_string_equal(rec.causes[3].detail, "sockets");
	ev_record_free(&rec);
	/* In AdminComment, between an admin's words, as merged. */
	assert_int_equal(ev_record_merge("billing=a", out, text, sizeof(text), &err), 0);
	assert_int_equal(ev_record_parse(text, &rec, &err), 0);
	assert_int_equal(rec.n_causes, 4);
	ev_record_free(&rec);
	/* Undelimited, as report reads one it built. */
	assert_int_equal(ev_record_parse(out, &rec, &err), 0);
	assert_int_equal(rec.n_causes, 4);
	ev_record_free(&rec);
	/* Old records name no causes. */
	assert_int_equal(ev_record_parse("{efa-verify: verdict=ok nodes=1/1 efa_bytes=1 tcp_bytes=0}", &rec, &err), 0);
	assert_int_equal(rec.n_causes, 0);
	assert_null(rec.causes);
	ev_record_free(&rec);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		snprintf(text, sizeof(text), "{efa-verify: verdict=ok nodes=1/1 efa_bytes=1 tcp_bytes=0 %s}", bad[i]);
		if (ev_record_parse(text, &rec, &err) == 0)
			fail_msg("accepted: %s", text);
		ev_record_free(&rec);
	}
	/* Causes a result line would refuse never get into a record. */
	r[0].causes.c[1] = r[0].causes.c[0];
	assert_int_equal(ev_record_build(r, 6, 6, out, sizeof(out), &err), -EINVAL);
}

/* Every node of a huge job names causes: the record stays in its bound,
 * parses, and every cause it lists is true of all the nodes it lists. */
static void test_causes_size_bound(void **state)
{
	enum { N = 8192 };
	struct ev_node_result *r = calloc(N, sizeof(*r));
	char out[EV_RECORD_MAX];
	struct ev_record rec;
	struct ev_err err;

	(void)state;
	assert_non_null(r);
	for (int pass = 0; pass < 2; pass++) {
		size_t listed = 0;

		for (unsigned i = 0; i < N; i++) {
			char name[64], detail[64];

			/* Pass 0: scattered names; pass 1: one range. */
			snprintf(name, sizeof(name), pass ? "node%u" : "compute-queue-st-p5en48xlarge-%u", i * (2 - pass));
			snprintf(detail, sizeof(detail), "reg_mr_err:%u", i);
			r[i] = res(name, i % 3 ? EV_V_TCP_FALLBACK : EV_V_DEGRADED, detail, 0, 1);
			ev_causes_add(&r[i].causes,
				      (enum ev_cause_name)(pass ? i * EV_CAUSE__COUNT / N : i % EV_CAUSE__COUNT),
				      EV_CAUSE_CERTAIN, detail);
			ev_causes_add(&r[i].causes, EV_CAUSE_SETUP_ERRORS, EV_CAUSE_LIKELY, detail);
			ev_causes_add(&r[i].causes, EV_CAUSE_VERSIONS,
				      (pass ? i >= N / 2 : i % 2) ? EV_CAUSE_LIKELY : EV_CAUSE_CERTAIN,
				      "aws-ofi-nccl:1.7.0/min:1.9.1");
		}
		assert_int_equal(ev_record_build(r, N, N, out, sizeof(out), &err), 0);
		print_message("# %u nodes with causes, %s: record %zu bytes\n", N, pass ? "one range" : "scattered",
			      strlen(out));
		assert_true(strlen(out) < EV_RECORD_MAX);
		assert_int_equal(ev_record_parse(out, &rec, &err), 0);
		assert_int_equal(rec.reported, N);
		for (size_t g = 0; g < rec.n_groups; g++) {
			char **names;
			size_t k;

			assert_int_equal(ev_hostlist_expand(rec.groups[g].hosts, N, &names, &k, &err), 0);
			listed += k;
			ev_hostlist_free(names, k);
		}
		assert_int_equal(listed + rec.more, N);
		for (size_t c = 0; c < rec.n_causes; c++) {
			size_t want = 0, k;
			char **names;

			for (unsigned i = 0; i < N; i++) {
				const struct ev_cause *x = ev_causes_find(&r[i].causes, rec.causes[c].name);

				want += x && x->certainty == rec.causes[c].certainty;
			}
			/* Whole: a listed cause names all of its nodes. */
			assert_int_equal(ev_hostlist_expand(rec.causes[c].hosts, N, &names, &k, &err), 0);
			assert_int_equal(k, want);
			ev_hostlist_free(names, k);
		}
		if (pass) {
			/* Ranges: every cause fits, certain and most nodes first. */
			print_message("# %s\n", strstr(out, " cause="));
			assert_int_equal(rec.n_causes, EV_CAUSE__COUNT + 2);
			assert_non_null(strstr(out, " cause=node[0-4095,6144-6826]:versions;node[0-682]:fi_provider;node["));
			assert_non_null(strstr(out, ";node[4096-6143,6827-8191]:versions~(aws-ofi-nccl:1.7.0/min:1.9.1)"));
		}
		for (size_t c = 1; c < rec.n_causes; c++)
			assert_true(rec.causes[c - 1].certainty <= rec.causes[c].certainty);
		ev_record_free(&rec);
	}
	free(r);
}

/* The containers of r, from their text. */
static void set_containers(struct ev_node_result *r, const char *text)
{
	struct ev_err err = { "" };

	if (ev_containers_parse(text, &r->containers, &err) != 0)
		fail_msg("%s", err.msg);
}

/* A node result says which steps ran in a container, last; a line
 * without containers= (every line before them) has none. */
static void test_result_containers(void **state)
{
	struct ev_node_result r = res("n1", EV_V_OK, "", 5, 0), p;
	char line[EV_RESULT_LINE_MAX], again[EV_RESULT_LINE_MAX], big[4 * EV_RESULT_LINE_MAX];
	struct ev_err err;

	(void)state;
	set_containers(&r, "nvcr.io%23nvidia/pytorch:24.01-py3(0+1);ubuntu(batch)");
	assert_int_equal(ev_result_format(&r, line, sizeof(line)), 0);
	assert_string_equal(line, "node=n1 verdict=ok efa_bytes=5 tcp_bytes=0 shared=0 "
				  "containers=nvcr.io%23nvidia/pytorch:24.01-py3(0+1);ubuntu(batch)");
	assert_int_equal(ev_result_parse(line, &p, &err), 0);
	assert_memory_equal(&r, &p, sizeof(r));
	assert_int_equal(ev_result_parse("node=n1 verdict=ok efa_bytes=5 tcp_bytes=0 shared=0", &p, &err), 0);
	assert_int_equal(p.containers.n + p.containers.more, 0);
	/* Not valid: refused, not written. */
	r.containers.image[1].n_steps = 0;
	assert_int_equal(ev_result_format(&r, line, sizeof(line)), -EINVAL);

	/* Every other field at its widest, and four labels of 128 bytes that
	 * encode to 384 each: the line stays within EV_RESULT_LINE_MAX and
	 * says every image, listed or counted. */
	r = res("n1", EV_V_TCP_FALLBACK, "", UINT64_MAX, UINT64_MAX);
	memset(r.node, 'n', sizeof(r.node) - 1);
	memset(r.reason, 'r', sizeof(r.reason) - 1);
	r.other_tcp_bytes = UINT64_MAX;
	r.tcp_source = EV_TCP_SRC_INTERFACE;
	r.nics_busy = r.nics_total = 4096;
	r.nic_min_bytes = r.nic_max_bytes = UINT64_MAX;
	r.jobid = r.job_nodes = UINT32_MAX;
	for (int c = EV_CAUSE__COUNT - 1; c >= EV_CAUSE__COUNT - EV_CAUSES_MAX; c--) {
		char d[EV_CAUSE_DETAIL_MAX];

		memset(d, 'd', sizeof(d) - 1);
		d[sizeof(d) - 1] = '\0';
		ev_causes_add(&r.causes, (enum ev_cause_name)c, EV_CAUSE_LIKELY, d);
	}
	r.containers.n = EV_CONTAINERS_IMAGES;
	r.containers.more = 10;
	for (uint32_t i = 0; i < EV_CONTAINERS_IMAGES; i++) {
		struct ev_containers_image *im = &r.containers.image[i];

		memset(im->label, ' ', EV_CONTAINERS_LABEL_MAX - 1);
		im->label[EV_CONTAINERS_LABEL_MAX - 2] = (char)('a' + i);
		for (uint32_t s = 0; s < EV_CONTAINERS_STEPS; s++)
			snprintf(im->step[s], sizeof(im->step[s]), "%llu", 99999999999990ull + s);
		im->n_steps = EV_CONTAINERS_STEPS;
		im->more_steps = UINT32_MAX;
	}
	assert_true(ev_containers_valid(&r.containers));
	assert_int_equal(ev_result_format(&r, line, sizeof(line)), 0);
	print_message("# the widest result line with containers: %zu bytes\n", strlen(line));
	assert_true(strlen(line) < EV_RESULT_LINE_MAX);
	assert_non_null(strstr(line, " containers=+14_more"));
	assert_int_equal(ev_result_parse(line, &p, &err), 0);
	assert_int_equal(p.containers.n + p.containers.more, 14);
	/* The rest exactly; the line is canonical. */
	assert_memory_equal(&r, &p, offsetof(struct ev_node_result, containers));
	assert_int_equal(ev_result_format(&p, again, sizeof(again)), 0);
	assert_string_equal(line, again);
	/* The same however much room the caller gives: a line is never longer. */
	assert_int_equal(ev_result_format(&r, big, sizeof(big)), 0);
	assert_string_equal(line, big);
	/* A short label still fits beside them. */
	memset(&r.containers, 0, sizeof(r.containers));
	set_containers(&r, "ubuntu(0+1)");
	assert_int_equal(ev_result_format(&r, line, sizeof(line)), 0);
	assert_non_null(strstr(line, " containers=ubuntu(0+1)"));
	assert_int_equal(ev_result_format(&r, line, strlen(line)), -ENAMETOOLONG);
}

/* The record unites the nodes' containers, whatever their verdict, after
 * everything else; records without containers= still read, naming none. */
static void test_record_containers(void **state)
{
	struct ev_node_result r[6] = {
		res("n1", EV_V_OK, "", 5, 0),
		res("n2", EV_V_TCP_FALLBACK, "tcp_bytes:9/efa_bytes:0", 0, 9),
		res("n3", EV_V_OK, "", 5, 0),
		res("n4", EV_V_OK, "", 5, 0),
	};
	char out[EV_RECORD_MAX], again[EV_RECORD_MAX], merged[EV_RECORD_MAX + 64];
	struct ev_record rec;
	struct ev_err err;

	(void)state;
	set_containers(&r[0], "nvcr.io%23nvidia/pytorch:24.01-py3(0+1)");
	set_containers(&r[1], "nvcr.io%23nvidia/pytorch:24.01-py3(1+2)");
	ev_causes_add(&r[1].causes, EV_CAUSE_FI_PROVIDER, EV_CAUSE_CERTAIN, "tcp");
	set_containers(&r[2], "/fsx/a%20b.sqsh(batch)");
	assert_int_equal(ev_record_build(r, 4, 4, out, sizeof(out), &err), 0);
	assert_string_equal(out, "efa-verify: verdict=tcp_fallback nodes=4/4 efa_bytes=15 tcp_bytes=9 "
				 "bad=n2:tcp_fallback(tcp_bytes:9/efa_bytes:0) cause=n2:fi_provider(tcp) "
				 "containers=/fsx/a%20b.sqsh(batch);nvcr.io%23nvidia/pytorch:24.01-py3(0+1+2)");
	assert_int_equal(ev_record_parse(out, &rec, &err), 0);
	assert_int_equal(rec.containers.n, 2);
	assert_string_equal(rec.containers.image[0].label, "/fsx/a b.sqsh");
	assert_string_equal(rec.containers.image[1].label, "nvcr.io#nvidia/pytorch:24.01-py3");
	assert_int_equal(rec.containers.image[1].n_steps, 3);
	assert_int_equal(rec.n_causes, 1);
	ev_record_free(&rec);
	/* Any order, any node twice, even with other containers: the same
	 * bytes. */
	r[4] = r[0];
	set_containers(&r[4], "zzz(9)");
	r[5] = r[2];
	for (unsigned seed = 1; seed < 8; seed++) {
		shuffle(r, 6, seed);
		assert_int_equal(ev_record_build(r, 6, 4, again, sizeof(again), &err), 0);
		assert_string_equal(out, again);
	}
	/* Into an AdminComment, and out again. */
	assert_int_equal(ev_record_merge("note", out, merged, sizeof(merged), &err), 0);
	assert_int_equal(ev_record_parse(merged, &rec, &err), 0);
	assert_int_equal(rec.containers.n, 2);
	ev_record_free(&rec);
	/* Undelimited, as records were first written: containers= is ours. */
	assert_int_equal(ev_record_parse("note efa-verify: verdict=ok nodes=1/1 efa_bytes=1 tcp_bytes=0 "
					 "containers=a(0) after", &rec, &err), 0);
	assert_int_equal(rec.containers.n, 1);
	ev_record_free(&rec);
	/* Written before containers: none. */
	assert_int_equal(ev_record_parse("efa-verify: verdict=ok nodes=1/1 efa_bytes=1 tcp_bytes=0", &rec, &err), 0);
	assert_int_equal(rec.containers.n + rec.containers.more, 0);
	ev_record_free(&rec);
	assert_int_equal(ev_record_parse("{efa-verify: verdict=ok nodes=1/1 efa_bytes=1 tcp_bytes=0 cause=n1:memlock}",
					 &rec, &err), 0);
	assert_int_equal(rec.containers.n + rec.containers.more, 0);
	ev_record_free(&rec);
	/* A node's containers the record cannot say are refused with it. */
	r[0].containers.image[0].label[0] = '\n';
	assert_int_equal(ev_record_build(r, 6, 4, out, sizeof(out), &err), -EINVAL);
}

/* Refused: bad, empty or repeated containers=. */
static void test_record_containers_refused(void **state)
{
	static const char *const bad[] = {
		"efa-verify: verdict=ok nodes=1/1 efa_bytes=1 tcp_bytes=0 containers=",
		"efa-verify: verdict=ok nodes=1/1 efa_bytes=1 tcp_bytes=0 containers=a(0) containers=b(0)",
		"efa-verify: verdict=ok nodes=1/1 efa_bytes=1 tcp_bytes=0 containers=a(0,1)",
		"efa-verify: verdict=ok nodes=1/1 efa_bytes=1 tcp_bytes=0 containers=b(0);a(0)",
		"efa-verify: verdict=ok nodes=1/1 efa_bytes=1 tcp_bytes=0 containers=a%1B(0)",
		"{efa-verify: verdict=ok nodes=1/1 efa_bytes=1 tcp_bytes=0 containers=a(0)=b}",
		"{efa-verify: verdict=ok nodes=1/1 efa_bytes=1 tcp_bytes=0 containers=a(0) b}",
	};
	static const char *const lines[] = {
		"node=n1 verdict=ok efa_bytes=1 tcp_bytes=2 containers=",
		"node=n1 verdict=ok efa_bytes=1 tcp_bytes=2 containers=a(0) containers=a(0)",
		"node=n1 verdict=ok efa_bytes=1 tcp_bytes=2 containers=a(0,1)",
		"node=n1 verdict=ok efa_bytes=1 tcp_bytes=2 containers=a(0);",
	};
	struct ev_record rec;
	struct ev_node_result p;
	struct ev_err err;

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		if (ev_record_parse(bad[i], &rec, &err) != -EBADMSG)
			fail_msg("accepted: %s", bad[i]);
		ev_record_free(&rec);
	}
	for (size_t i = 0; i < sizeof(lines) / sizeof(lines[0]); i++)
		if (ev_result_parse(lines[i], &p, &err) == 0)
			fail_msg("accepted: %s", lines[i]);
}

/* 8,192 nodes, each naming its own image: the record stays under its
 * bound, and containers= never costs the rest a byte: the record without
 * containers is where the one with them begins. */
static void test_containers_size_bound(void **state)
{
	enum { N = 8192 };
	struct ev_node_result *r = calloc(N, sizeof(*r)), *plain = calloc(N, sizeof(*r));
	char out[EV_RECORD_MAX], without[EV_RECORD_MAX];
	struct ev_record rec;
	struct ev_err err;

	(void)state;
	assert_non_null(r);
	assert_non_null(plain);
	for (int pass = 0; pass < 3; pass++) {
		for (unsigned i = 0; i < N; i++) {
			char name[64], reason[64], label[EV_CONTAINERS_LABEL_MAX];
			struct ev_containers_image *im = &r[i].containers.image[0];

			/* 0: every node ok; 1: a few bad, long labels; 2: many bad,
			 * scattered names, every node a cause. */
			snprintf(name, sizeof(name), pass == 2 ? "compute-queue-st-p5en48xlarge-%u" : "node%u",
				 pass == 2 ? i * 2 : i);
			snprintf(reason, sizeof(reason), "tcp_bytes:%u/efa_bytes:%u", 1000000 + i, i);
			r[i] = res(name, pass == 2 ? (i % 3 ? EV_V_TCP_FALLBACK : EV_V_DEGRADED) :
				   pass == 1 && i % 1000 == 0 ? EV_V_TCP_FALLBACK : EV_V_OK, reason, 1, 1);
			if (pass == 2)
				ev_causes_add(&r[i].causes, (enum ev_cause_name)(i % EV_CAUSE__COUNT), EV_CAUSE_CERTAIN,
					      "x");
			plain[i] = r[i];
			if (pass == 1)
				snprintf(label, sizeof(label), "%05u %0122u", i, 0);
			else
				snprintf(label, sizeof(label), "registry.example.com/team/image-%05u:latest", i);
			memcpy(im->label, label, sizeof(label));
			snprintf(im->step[0], sizeof(im->step[0]), "%u", i % 7);
			im->n_steps = 1;
			r[i].containers.n = 1;
		}
		assert_int_equal(ev_record_build(r, N, N, out, sizeof(out), &err), 0);
		assert_int_equal(ev_record_build(plain, N, N, without, sizeof(without), &err), 0);
		print_message("# %u nodes, pass %d: record %zu bytes, %zu without containers\n", N, pass, strlen(out),
			      strlen(without));
		assert_true(strlen(out) < EV_RECORD_MAX);
		assert_memory_equal(out, without, strlen(without));
		assert_int_equal(ev_record_parse(out, &rec, &err), 0);
		if (pass == 0)
			assert_string_equal(out + strlen(without),
					    " containers=registry.example.com/team/image-00000:latest(0);"
					    "registry.example.com/team/image-00001:latest(1);"
					    "registry.example.com/team/image-00002:latest(2);"
					    "registry.example.com/team/image-00003:latest(3);+8188_more");
		if (pass < 2)
			assert_int_equal(rec.containers.n + rec.containers.more, N);
		else if (strstr(out, " containers="))
			/* Full records may say them, counted, or not at all. */
			assert_int_equal(rec.containers.n + rec.containers.more, N);
		ev_record_free(&rec);
	}
	free(r);
	free(plain);
}

static void test_token_encoding(void **state)
{
	char enc[32], dec[32];

	(void)state;
	assert_int_equal(ev_value_encode("a b%", enc, sizeof(enc)), 8);
	assert_string_equal(enc, "a%20b%25");
	assert_int_equal(ev_value_decode(enc, strlen(enc), dec, sizeof(dec)), 0);
	assert_string_equal(dec, "a b%");
	/* Non-canonical or broken encodings are refused. */
	assert_int_equal(ev_value_decode("%41", 3, dec, sizeof(dec)), -EINVAL);
	assert_int_equal(ev_value_decode("%2a", 3, dec, sizeof(dec)), -EINVAL);
	assert_int_equal(ev_value_decode("%2", 2, dec, sizeof(dec)), -EINVAL);
	assert_int_equal(ev_value_decode("%00", 3, dec, sizeof(dec)), -EINVAL);
	assert_int_equal(ev_value_decode("a b", 3, dec, sizeof(dec)), -EINVAL);
	assert_int_equal(ev_value_decode("abcd", 4, dec, 4), -ENAMETOOLONG);
	/* Cut at a whole character. */
	assert_int_equal(ev_value_encode("ab  ", enc, 6), 5);
	assert_string_equal(enc, "ab%20");
}

static void test_result_parse_refuses_hostile_input(void **state)
{
	static const char *const bad[] = {
		"node=n1 verdict=ok efa_bytes=1",                          /* missing field */
		"node=n1 verdict=great efa_bytes=1 tcp_bytes=2",           /* unknown verdict */
		"node=../etc verdict=ok efa_bytes=1 tcp_bytes=2",          /* path in a name */
		"node=n1 verdict=ok efa_bytes=-1 tcp_bytes=2",
		"node=n1 verdict=ok efa_bytes=1x tcp_bytes=2",
		"node=n1 verdict=ok efa_bytes=1 tcp_bytes=2 reason=a;rm",
		"node=n1 verdict=ok efa_bytes=1 tcp_bytes=2 evil=1",
		"node=n1 verdict=ok efa_bytes=1 tcp_bytes=2 node=n2",
		"node=n1 verdict=ok efa_bytes=1 tcp_bytes=2 shared=2",
		"node=n1 verdict=ok efa_bytes=1 tcp_bytes=2 job=0",
		"node=n1 verdict=ok efa_bytes=1 tcp_bytes=2 job=4294967296",
		"node=n1 verdict=ok efa_bytes=18446744073709551616 tcp_bytes=2",
		"node=n1 verdict=ok efa_bytes=1 tcp_bytes=2\nnode=n2",
		"node=n1 verdict=ok efa_bytes=1 tcp_bytes=2 reason=",
		"node=n1 verdict=ok efa_bytes=1 tcp_bytes=2 reason=a%2",
		"node= verdict=ok efa_bytes=1 tcp_bytes=2",
		"node=n1 verdict=ok efa_bytes=1 tcp_bytes=2 other_tcp_bytes=3",
		"node=n1 verdict=ok efa_bytes=1 tcp_bytes=2 tcp_source=nftables",
		"node=n1 verdict=ok efa_bytes=1 tcp_bytes=2 other_tcp_bytes=3 tcp_source=ebpf",
		"node=n1 verdict=ok efa_bytes=1 tcp_bytes=2 other_tcp_bytes=3 tcp_source=",
		"node=n1 verdict=ok efa_bytes=1 tcp_bytes=2 other_tcp_bytes=3 tcp_source=nftables tcp_source=interface",
		"node=n1 verdict=ok efa_bytes=1 tcp_bytes=2 other_tcp_bytes=-3 tcp_source=nftables",
		"node=n1 verdict=ok efa_bytes=1 tcp_bytes=2 cause=",
		"node=n1 verdict=ok efa_bytes=1 tcp_bytes=2 cause=nosuch",
		"node=n1 verdict=ok efa_bytes=1 tcp_bytes=2 cause=memlock+fi_provider",
		"node=n1 verdict=ok efa_bytes=1 tcp_bytes=2 cause=memlock(a%20b)",
		"node=n1 verdict=ok efa_bytes=1 tcp_bytes=2 cause=memlock cause=memlock",
		"node=n1 verdict=ok efa_bytes=1 tcp_bytes=2 cause=memlock=1",
		"",
		"garbage",
	};
	struct ev_node_result p;
	struct ev_err err;
	char longline[EV_RESULT_LINE_MAX + 1];

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		if (ev_result_parse(bad[i], &p, &err) == 0)
			fail_msg("accepted: %s", bad[i]);
	memset(longline, 'a', sizeof(longline) - 1);
	longline[sizeof(longline) - 1] = '\0';
	assert_int_equal(ev_result_parse(longline, &p, &err), -EMSGSIZE);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_all_ok),
		cmocka_unit_test(test_bad_nodes_grouped_worst_first),
		cmocka_unit_test(test_missing_nodes_make_it_unknown),
		cmocka_unit_test(test_order_and_duplicates_do_not_matter),
		cmocka_unit_test(test_size_bound_for_huge_jobs),
		cmocka_unit_test(test_hostlist),
		cmocka_unit_test(test_merge_keeps_admin_text),
		cmocka_unit_test(test_merge_record_split_by_other_whitespace),
		cmocka_unit_test(test_record_delimited),
		cmocka_unit_test(test_hostlist_all_digit_names),
		cmocka_unit_test(test_record_parse),
		cmocka_unit_test(test_record_tcp_source),
		cmocka_unit_test(test_record_iface_nodes),
		cmocka_unit_test(test_record_later_keys),
		cmocka_unit_test(test_hostlist_expand),
		cmocka_unit_test(test_token_encoding),
		cmocka_unit_test(test_record_causes),
		cmocka_unit_test(test_causes_size_bound),
		cmocka_unit_test(test_result_line_round_trip),
		cmocka_unit_test(test_result_parse_refuses_hostile_input),
		cmocka_unit_test(test_result_containers),
		cmocka_unit_test(test_record_containers),
		cmocka_unit_test(test_record_containers_refused),
		cmocka_unit_test(test_containers_size_bound),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
