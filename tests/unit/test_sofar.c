/* A running job's numbers so far: the JSON line each node prints, read back
 * strictly, and the answers of a job's nodes collected from srun's output. */
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
#include <sys/mman.h>
#include <unistd.h>

#include "record/ev_sofar.h"

static struct ev_sofar sample(const char *node)
{
	struct ev_sofar s;

	memset(&s, 0, sizeof(s));
	snprintf(s.r.node, sizeof(s.r.node), "%s", node);
	s.r.jobid = 42;
	s.r.job_nodes = 4;
	s.r.verdict = EV_V_DEGRADED;
	snprintf(s.r.reason, sizeof(s.r.reason), "%s", "rx_drops+4321@rdmap18s0");
	s.r.efa_bytes = 18446744073709551615ull;
	s.r.tcp_bytes = 7;
	s.r.nics_busy = 3;
	s.r.nics_total = 4;
	s.r.nic_min_bytes = 0;
	s.r.nic_max_bytes = 524288000;
	s.since = 1767225600;
	s.as_of = 1767225695;
	s.duration_ms = 95012;
	return s;
}

static void same(const struct ev_sofar *a, const struct ev_sofar *b)
{
	assert_string_equal(a->r.node, b->r.node);
	assert_string_equal(a->r.reason, b->r.reason);
	assert_int_equal(a->r.jobid, b->r.jobid);
	assert_int_equal(a->r.job_nodes, b->r.job_nodes);
	assert_int_equal(a->r.verdict, b->r.verdict);
	assert_true(a->r.efa_bytes == b->r.efa_bytes && a->r.tcp_bytes == b->r.tcp_bytes);
	assert_int_equal(a->r.nics_busy, b->r.nics_busy);
	assert_int_equal(a->r.nics_total, b->r.nics_total);
	assert_true(a->r.nic_min_bytes == b->r.nic_min_bytes && a->r.nic_max_bytes == b->r.nic_max_bytes);
	assert_false(b->r.shared);
	assert_true(a->since == b->since && a->as_of == b->as_of && a->duration_ms == b->duration_ms);
}

static void test_round_trip(void **state)
{
	struct ev_sofar a = sample("n1"), b;
	struct ev_err err;
	char *line = ev_sofar_json(&a);

	(void)state;
	assert_non_null(line);
	assert_null(strchr(line, '\n'));
	assert_non_null(strstr(line, "\"so_far\":true"));
	assert_non_null(strstr(line, "\"shared\":null"));
	assert_int_equal(ev_sofar_parse(line, &b, &err), 0);
	same(&a, &b);
	free(line);

	/* No reason, no NIC numbers (no delta): null and left out. */
	a = sample("ip-10-0-1-12");
	a.r.verdict = EV_V_UNKNOWN;
	a.r.reason[0] = '\0';
	a.r.nics_busy = a.r.nics_total = 0;
	a.r.nic_min_bytes = a.r.nic_max_bytes = 0;
	a.r.efa_bytes = a.r.tcp_bytes = 0;
	line = ev_sofar_json(&a);
	assert_non_null(strstr(line, "\"reason\":null"));
	assert_non_null(strstr(line, "\"efa_share\":null"));
	assert_null(strstr(line, "nics_total"));
	assert_int_equal(ev_sofar_parse(line, &b, &err), 0);
	same(&a, &b);
	free(line);

	/* What the writer refuses. */
	a = sample("../etc");
	assert_null(ev_sofar_json(&a));
	a = sample("n1");
	a.r.verdict = (enum ev_verdict)77;
	assert_null(ev_sofar_json(&a));
}

static void test_strict(void **state)
{
	static const char *const bad[] = {
		"",
		"[]",
		"{}",
		"{\"job\":42}",
		/* a required key missing (tcp_bytes) */
		"{\"job\":42,\"node\":\"n1\",\"so_far\":true,\"as_of\":1,\"verdict\":\"ok\",\"efa_bytes\":1}",
		/* so_far false: a finished node's result is not this */
		"{\"job\":42,\"node\":\"n1\",\"so_far\":false,\"as_of\":1,\"verdict\":\"ok\",\"efa_bytes\":1,\"tcp_bytes\":0}",
		/* repeated key */
		"{\"job\":42,\"job\":43,\"node\":\"n1\",\"so_far\":true,\"as_of\":1,\"verdict\":\"ok\",\"efa_bytes\":1,\"tcp_bytes\":0}",
		/* unknown key */
		"{\"job\":42,\"node\":\"n1\",\"so_far\":true,\"as_of\":1,\"verdict\":\"ok\",\"efa_bytes\":1,\"tcp_bytes\":0,\"x\":1}",
		/* a node name that could name a path */
		"{\"job\":42,\"node\":\"../n1\",\"so_far\":true,\"as_of\":1,\"verdict\":\"ok\",\"efa_bytes\":1,\"tcp_bytes\":0}",
		/* unknown verdict */
		"{\"job\":42,\"node\":\"n1\",\"so_far\":true,\"as_of\":1,\"verdict\":\"fine\",\"efa_bytes\":1,\"tcp_bytes\":0}",
		/* negative, fractional, exponent, overflowing, quoted bytes */
		"{\"job\":42,\"node\":\"n1\",\"so_far\":true,\"as_of\":1,\"verdict\":\"ok\",\"efa_bytes\":-1,\"tcp_bytes\":0}",
		"{\"job\":42,\"node\":\"n1\",\"so_far\":true,\"as_of\":1,\"verdict\":\"ok\",\"efa_bytes\":1.5,\"tcp_bytes\":0}",
		"{\"job\":42,\"node\":\"n1\",\"so_far\":true,\"as_of\":1,\"verdict\":\"ok\",\"efa_bytes\":1e3,\"tcp_bytes\":0}",
		"{\"job\":42,\"node\":\"n1\",\"so_far\":true,\"as_of\":1,\"verdict\":\"ok\",\"efa_bytes\":18446744073709551616,\"tcp_bytes\":0}",
		"{\"job\":42,\"node\":\"n1\",\"so_far\":true,\"as_of\":1,\"verdict\":\"ok\",\"efa_bytes\":\"1\",\"tcp_bytes\":0}",
		/* job id 0 and beyond 32 bits */
		"{\"job\":0,\"node\":\"n1\",\"so_far\":true,\"as_of\":1,\"verdict\":\"ok\",\"efa_bytes\":1,\"tcp_bytes\":0}",
		"{\"job\":4294967296,\"node\":\"n1\",\"so_far\":true,\"as_of\":1,\"verdict\":\"ok\",\"efa_bytes\":1,\"tcp_bytes\":0}",
		/* a reason that is not a token, a control character, text after */
		"{\"job\":42,\"node\":\"n1\",\"so_far\":true,\"as_of\":1,\"verdict\":\"ok\",\"reason\":\"a b\",\"efa_bytes\":1,\"tcp_bytes\":0}",
		"{\"job\":42,\"node\":\"n1\",\"so_far\":true,\"as_of\":1,\"verdict\":\"ok\",\"reason\":\"a\\u0001\",\"efa_bytes\":1,\"tcp_bytes\":0}",
		"{\"job\":42,\"node\":\"n1\",\"so_far\":true,\"as_of\":1,\"verdict\":\"ok\",\"efa_bytes\":1,\"tcp_bytes\":0} x",
		"{\"job\":42,\"node\":\"n1\",\"so_far\":true,\"as_of\":1,\"verdict\":\"ok\",\"efa_bytes\":1,\"tcp_bytes\":0",
		"{\"job\":42,\"node\":\"n1\",\"so_far\":true,\"as_of\":1,\"verdict\":\"ok\",\"efa_bytes\":1,,\"tcp_bytes\":0}",
		/* NIC numbers that do not add up */
		"{\"job\":42,\"node\":\"n1\",\"so_far\":true,\"as_of\":1,\"verdict\":\"ok\",\"efa_bytes\":1,\"tcp_bytes\":0,\"nics_busy\":5,\"nics_total\":4}",
		"{\"job\":42,\"node\":\"n1\",\"so_far\":true,\"as_of\":1,\"verdict\":\"ok\",\"efa_bytes\":1,\"tcp_bytes\":0,\"nic_min_bytes\":5,\"nic_max_bytes\":4}",
	};
	struct ev_sofar s;
	struct ev_err err;

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		if (ev_sofar_parse(bad[i], &s, &err) != -EBADMSG)
			fail_msg("accepted: %s", bad[i]);
	}
	/* The smallest good one; white space and escapes as JSON allows. */
	assert_int_equal(ev_sofar_parse(" { \"job\" : 42 , \"node\":\"n\\u0031\",\"so_far\":true,\"as_of\":1,"
					"\"verdict\":\"ok\",\"efa_bytes\":1,\"tcp_bytes\":0,\"efa_share\":1,"
					"\"shared\":null} ", &s, &err), 0);
	assert_string_equal(s.r.node, "n1");
}

/* A line that ends in "\\u" is refused without reading past its end: the
 * line is put last before a page nothing may read, so a reader that looks
 * at the four hex digits before checking the first is killed there (in any
 * build, not only under ASan). */
static void test_escape_at_end(void **state)
{
	static const char *const tails[] = { "{\"node\":\"\\u", "{\"node\":\"\\u0", "{\"node\":\"\\u00",
					     "{\"node\":\"\\u003", "{\"\\u", "{\"node\":\"\\" };
	long pg = sysconf(_SC_PAGESIZE);
	char *map = mmap(NULL, (size_t)pg * 2, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	struct ev_sofar s;
	struct ev_err err;

	(void)state;
	assert_true(map != MAP_FAILED);
	assert_int_equal(mprotect(map + pg, (size_t)pg, PROT_NONE), 0);
	for (size_t i = 0; i < sizeof(tails) / sizeof(tails[0]); i++) {
		size_t len = strlen(tails[i]);
		char *line = map + pg - len - 1;

		memcpy(line, tails[i], len + 1);
		assert_int_equal(ev_sofar_parse(line, &s, &err), -EBADMSG);
	}
	munmap(map, (size_t)pg * 2);
}

static void test_collect(void **state)
{
	char *names[] = { "n1", "n2", "n3", "n4" };
	struct ev_sofar res[4], one;
	bool answered[4];
	size_t ignored, got;
	char *l1, *l2, *l3, *other, text[8192];

	(void)state;
	one = sample("n1");
	l1 = ev_sofar_json(&one);
	one = sample("n2");
	one.r.efa_bytes = 2;
	l2 = ev_sofar_json(&one);
	one = sample("n3");
	one.r.efa_bytes = 3;
	l3 = ev_sofar_json(&one);
	one = sample("n2");
	one.r.jobid = 43;              /* another job's: ignored */
	other = ev_sofar_json(&one);
	/* Any order, srun's own noise, a node twice, a node not in the job,
	 * a line without a label, a task beyond the nodes. */
	snprintf(text, sizeof(text), "2: %s\nsrun: something\n1: %s\n0: %s\n2: %s\n3: {\"job\":42,\"node\":\"n9\"}\n"
		 "%s\n4: %s\n", l3, other, l1, l3, l1, l1);
	got = ev_sofar_collect(text, 42, names, 4, res, answered, &ignored);
	assert_int_equal(got, 2);
	assert_int_equal(ignored, 6);
	assert_true(answered[0] && !answered[1] && answered[2] && !answered[3]);
	assert_string_equal(res[0].r.node, "n1");
	assert_int_equal(res[2].r.efa_bytes, 3);
	/* The last line without its newline still counts; labels may be
	 * right-aligned. */
	snprintf(text, sizeof(text), " 0: %s", l1);
	assert_int_equal(ev_sofar_collect(text, 42, names, 4, res, answered, &ignored), 1);
	assert_int_equal(ev_sofar_collect(NULL, 42, names, 4, res, answered, &ignored), 0);

	/* A task answers for its own node only: n1's task claiming n2 first
	 * (with numbers of its choosing) does not take n2's place, nor its own,
	 * and n2's own line counts. */
	snprintf(text, sizeof(text), "0: %s\n1: %s\n0: %s\n", l2, l2, l1);
	got = ev_sofar_collect(text, 42, names, 4, res, answered, &ignored);
	assert_int_equal(got, 2);
	assert_int_equal(ignored, 1);
	assert_true(answered[0] && answered[1]);
	assert_string_equal(res[0].r.node, "n1");
	assert_string_equal(res[1].r.node, "n2");
	/* ... and alone, it answers for nobody. */
	snprintf(text, sizeof(text), "0: %s\n0: %s\n", l2, l3);
	assert_int_equal(ev_sofar_collect(text, 42, names, 4, res, answered, &ignored), 0);
	assert_int_equal(ignored, 2);
	/* Unlabelled answers (what a step without --label prints) count for
	 * no node. */
	snprintf(text, sizeof(text), "%s\n%s\n", l1, l2);
	assert_int_equal(ev_sofar_collect(text, 42, names, 4, res, answered, &ignored), 0);
	free(l1);
	free(l2);
	free(l3);
	free(other);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_round_trip),
		cmocka_unit_test(test_strict),
		cmocka_unit_test(test_escape_at_end),
		cmocka_unit_test(test_collect),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
