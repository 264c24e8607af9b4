/* A node's results in its Slurm node record's Comment: put/get, one entry
 * per job, eviction of the oldest, admin words kept, broken entries dropped,
 * and the NIC balance fields of a result line. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "record/ev_nodecomment.h"

static struct ev_node_result res(uint32_t job, const char *node, enum ev_verdict v, uint64_t efa)
{
	struct ev_node_result r;

	memset(&r, 0, sizeof(r));
	r.jobid = job;
	snprintf(r.node, sizeof(r.node), "%s", node);
	r.verdict = v;
	r.efa_bytes = efa;
	r.job_nodes = 4;
	return r;
}

static void test_put_get(void **state)
{
	char a[EV_NODECOMMENT_MAX], b[EV_NODECOMMENT_MAX];
	struct ev_node_result r = res(42, "n1", EV_V_OK, 123), got;

	(void)state;
	r.nics_busy = 3;
	r.nics_total = 4;
	r.nic_min_bytes = 0;
	r.nic_max_bytes = 99;
	snprintf(r.reason, sizeof(r.reason), "idle_nics:1/4");
	assert_int_equal(ev_nodecomment_put(NULL, &r, 4, a, sizeof(a), NULL), 0);
	assert_string_equal(a, "efa-verify-results: job=42,node=n1,nodes=4,verdict=ok,efa_bytes=123,tcp_bytes=0,"
			       "shared=0,nics=3/4,nic_min=0,nic_max=99,reason=idle_nics:1/4");
	assert_int_equal(ev_nodecomment_get(a, 42, &got), 0);
	assert_memory_equal(&got, &r, sizeof(r));
	assert_int_equal(ev_nodecomment_get(a, 43, &got), -ENOENT);
	/* The same job again replaces, never duplicates. */
	r.efa_bytes = 7;
	assert_int_equal(ev_nodecomment_put(a, &r, 4, b, sizeof(b), NULL), 0);
	assert_non_null(strstr(b, "efa_bytes=7"));
	assert_null(strstr(b, "efa_bytes=123"));
	assert_int_equal(ev_nodecomment_get(b, 42, &got), 0);
	assert_int_equal(got.efa_bytes, 7);
}

static void test_keeps_the_newest(void **state)
{
	char a[EV_NODECOMMENT_MAX] = "", b[EV_NODECOMMENT_MAX];
	struct ev_node_result got;

	(void)state;
	for (uint32_t j = 1; j <= 10; j++) {
		struct ev_node_result r = res(j, "n1", EV_V_OK, j);

		assert_int_equal(ev_nodecomment_put(a, &r, 3, b, sizeof(b), NULL), 0);
		memcpy(a, b, sizeof(a));
	}
	for (uint32_t j = 1; j <= 7; j++)
		assert_int_equal(ev_nodecomment_get(a, j, &got), -ENOENT);
	for (uint32_t j = 8; j <= 10; j++) {
		assert_int_equal(ev_nodecomment_get(a, j, &got), 0);
		assert_int_equal(got.efa_bytes, j);
	}
}

static void test_admin_words_and_garbage(void **state)
{
	char out[EV_NODECOMMENT_MAX], strip[256];
	struct ev_node_result r = res(5, "n2", EV_V_TCP_FALLBACK, 0), got;

	(void)state;
	/* An admin's words before and after ours stay; a broken entry and a
	 * second, stray part of ours go. */
	assert_int_equal(ev_nodecomment_put("rack 7 efa-verify-results: job=1,node=n2,verdict=bogus "
					    "job=2,node=n2,verdict=ok,efa_bytes=1,tcp_bytes=0,shared=0 see ticket",
					    &r, 4, out, sizeof(out), NULL),
			 0);
	assert_string_equal(out, "rack 7 see ticket efa-verify-results: "
				 "job=2,node=n2,verdict=ok,efa_bytes=1,tcp_bytes=0,shared=0 "
				 "job=5,node=n2,nodes=4,verdict=tcp_fallback,efa_bytes=0,tcp_bytes=0,shared=0");
	assert_int_equal(ev_nodecomment_get(out, 1, &got), -ENOENT);
	assert_int_equal(ev_nodecomment_strip(out, strip, sizeof(strip)), 0);
	assert_string_equal(strip, "rack 7 see ticket");
	/* Words that only look like ours are not. */
	assert_int_equal(ev_nodecomment_get("xefa-verify-results: job=5,node=n2,verdict=ok,efa_bytes=1,tcp_bytes=0", 5,
					    &got),
			 -ENOENT);
	/* No job id, no entry; a hostile node name is refused. */
	r.jobid = 0;
	assert_int_equal(ev_nodecomment_put("", &r, 4, out, sizeof(out), NULL), -EINVAL);
	r = res(5, "n2;rm", EV_V_OK, 0);
	assert_int_equal(ev_nodecomment_put("", &r, 4, out, sizeof(out), NULL), -EINVAL);
	/* Too small a buffer is an error, not a cut entry. */
	r = res(5, "n2", EV_V_OK, 0);
	assert_int_equal(ev_nodecomment_put("", &r, 4, out, 40, NULL), -ENAMETOOLONG);
}

static void test_nic_fields(void **state)
{
	struct ev_node_result r;

	(void)state;
	assert_int_equal(ev_result_parse("node=n1 verdict=ok efa_bytes=1 tcp_bytes=0 nics=2/4 nic_min=0 nic_max=5",
					 &r, NULL),
			 0);
	assert_int_equal(r.nics_busy, 2);
	assert_int_equal(r.nics_total, 4);
	assert_int_equal(r.nic_max_bytes, 5);
	/* Partial, inconsistent or impossible balances are refused. */
	assert_int_equal(ev_result_parse("node=n1 verdict=ok efa_bytes=1 tcp_bytes=0 nics=2/4", &r, NULL), -EBADMSG);
	assert_int_equal(ev_result_parse("node=n1 verdict=ok efa_bytes=1 tcp_bytes=0 nics=5/4 nic_min=0 nic_max=5",
					 &r, NULL),
			 -EBADMSG);
	assert_int_equal(ev_result_parse("node=n1 verdict=ok efa_bytes=1 tcp_bytes=0 nics=1/4 nic_min=6 nic_max=5",
					 &r, NULL),
			 -EBADMSG);
	assert_int_equal(ev_result_parse("node=n1 verdict=ok efa_bytes=1 tcp_bytes=0 nics=1/0 nic_min=0 nic_max=5",
					 &r, NULL),
			 -EBADMSG);
}

static void test_fill_from_delta(void **state)
{
	struct ev_dev_delta devs[3];
	struct ev_node_delta d;
	struct ev_verdict_cfg c = { .idle_nic_fraction = 0.01 };
	struct ev_node_result r;

	(void)state;
	memset(devs, 0, sizeof(devs));
	memset(&d, 0, sizeof(d));
	memset(&r, 0, sizeof(r));
	devs[0].bytes = 1000;
	devs[1].bytes = 5;               /* under 1% of the busiest: idle */
	devs[2].bytes = 0;
	devs[2].state = EV_DEV_RESET;    /* not compared */
	d.devs = devs;
	d.n = 3;
	d.efa_bytes = 1005;
	d.tcp_bytes = 9;
	ev_result_fill(&r, &c, &d);
	assert_int_equal(r.efa_bytes, 1005);
	assert_int_equal(r.tcp_bytes, 9);
	assert_int_equal(r.nics_busy, 1);
	assert_int_equal(r.nics_total, 2);
	assert_int_equal(r.nic_min_bytes, 5);
	assert_int_equal(r.nic_max_bytes, 1000);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_put_get),
		cmocka_unit_test(test_keeps_the_newest),
		cmocka_unit_test(test_admin_words_and_garbage),
		cmocka_unit_test(test_nic_fields),
		cmocka_unit_test(test_fill_from_delta),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
