/* The job record: format, grouping, size bound, order independence, merge
 * into an admin's AdminComment, and the per-node result lines. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ev_record.h"

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
				 "shared=1 bad=n[2-4]:tcp_fallback(tcp_bytes);n7:degraded(idle_nics)");
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
	assert_non_null(strstr(a, "bad=p5-st-[1,6,11,16,21,26,31,36,41,46,51,56,61]:degraded(idle_nics)"));
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

		/* The worst case for ranges: every other node bad. */
		for (unsigned i = 0; i < n; i++) {
			char name[16];

			snprintf(name, sizeof(name), "node%u", i * 2);
			r[i] = res(name, EV_V_TCP_FALLBACK, "tcp_bytes:1/efa_bytes:0", 0, 1);
		}
		assert_int_equal(ev_record_build(r, n, n, out, sizeof(out), &err), 0);
		assert_true(strlen(out) < EV_RECORD_MAX);
		assert_non_null(strstr(out, "_more"));
		/* Consecutive names compress to one range whatever the count. */
		for (unsigned i = 0; i < n; i++)
			snprintf(r[i].node, sizeof(r[i].node), "node%u", i);
		assert_int_equal(ev_record_build(r, n, n, out, sizeof(out), &err), 0);
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
	char out[EV_RECORD_MAX];
	struct ev_err err;

	(void)state;
	assert_int_equal(ev_record_merge(NULL, "efa-verify: verdict=ok", out, sizeof(out), &err), 0);
	assert_string_equal(out, "efa-verify: verdict=ok");
	assert_int_equal(ev_record_merge("billing=team-a", "efa-verify: verdict=ok", out, sizeof(out), &err), 0);
	assert_string_equal(out, "billing=team-a efa-verify: verdict=ok");
	/* Merging again replaces ours, keeps theirs: idempotent. */
	assert_int_equal(ev_record_merge("billing=team-a efa-verify: verdict=unknown nodes=1/2",
					 "efa-verify: verdict=ok", out, sizeof(out), &err), 0);
	assert_string_equal(out, "billing=team-a efa-verify: verdict=ok");
	/* "efa-verify:" inside an admin's word is not ours. */
	assert_int_equal(ev_record_merge("note=see-efa-verify:docs", "efa-verify: verdict=ok", out,
					 sizeof(out), &err), 0);
	assert_string_equal(out, "note=see-efa-verify:docs efa-verify: verdict=ok");
	assert_int_equal(ev_record_merge("x", "efa-verify: verdict=ok", out, 8, &err), -ENAMETOOLONG);
}

static void test_result_line_round_trip(void **state)
{
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
		"garbage",
	};
	struct ev_node_result p;
	struct ev_err err;
	char longline[600];

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
		cmocka_unit_test(test_result_line_round_trip),
		cmocka_unit_test(test_result_parse_refuses_hostile_input),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
