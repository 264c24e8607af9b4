/* A node's results in its Slurm node record's Comment: put/get, one entry
 * per job, eviction of the oldest, admin words kept, broken entries dropped,
 * sealed entries (through a fake sealer) that show nothing in clear, and the
 * NIC balance fields of a result line. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <stdbool.h>
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
	assert_int_equal(ev_nodecomment_put(NULL, &r, NULL, 4, a, sizeof(a), NULL), 0);
	assert_string_equal(a, "efa-verify-results: job=42,node=n1,nodes=4,verdict=ok,efa_bytes=123,tcp_bytes=0,"
			       "shared=0,nics=3/4,nic_min=0,nic_max=99,reason=idle_nics:1/4");
	assert_int_equal(ev_nodecomment_get(a, 42, NULL, &got, NULL), 0);
	assert_memory_equal(&got, &r, sizeof(r));
	assert_int_equal(ev_nodecomment_get(a, 43, NULL, &got, NULL), -ENOENT);
	/* The same job again replaces, never duplicates. */
	r.efa_bytes = 7;
	assert_int_equal(ev_nodecomment_put(a, &r, NULL, 4, b, sizeof(b), NULL), 0);
	assert_non_null(strstr(b, "efa_bytes=7"));
	assert_null(strstr(b, "efa_bytes=123"));
	assert_int_equal(ev_nodecomment_get(b, 42, NULL, &got, NULL), 0);
	assert_int_equal(got.efa_bytes, 7);
}

/* A plain entry has ',' for ' ': the containers' text, which has no ',',
 * comes back whole. */
static void test_plain_containers(void **state)
{
	char a[EV_NODECOMMENT_MAX];
	struct ev_node_result r = res(42, "n1", EV_V_OK, 123), got;

	(void)state;
	assert_int_equal(ev_containers_parse("a%20b%2Cc(batch+0+1+2_more);ubuntu(7);+1_more", &r.containers, NULL), 0);
	assert_int_equal(ev_nodecomment_put(NULL, &r, NULL, 4, a, sizeof(a), NULL), 0);
	assert_string_equal(a, "efa-verify-results: job=42,node=n1,nodes=4,verdict=ok,efa_bytes=123,tcp_bytes=0,"
			       "shared=0,containers=a%20b%2Cc(batch+0+1+2_more);ubuntu(7);+1_more");
	assert_int_equal(ev_nodecomment_get(a, 42, NULL, &got, NULL), 0);
	assert_memory_equal(&got, &r, sizeof(r));
}

static void test_keeps_the_newest(void **state)
{
	char a[EV_NODECOMMENT_MAX] = "", b[EV_NODECOMMENT_MAX];
	struct ev_node_result got;

	(void)state;
	for (uint32_t j = 1; j <= 10; j++) {
		struct ev_node_result r = res(j, "n1", EV_V_OK, j);

		assert_int_equal(ev_nodecomment_put(a, &r, NULL, 3, b, sizeof(b), NULL), 0);
		memcpy(a, b, sizeof(a));
	}
	for (uint32_t j = 1; j <= 7; j++)
		assert_int_equal(ev_nodecomment_get(a, j, NULL, &got, NULL), -ENOENT);
	for (uint32_t j = 8; j <= 10; j++) {
		assert_int_equal(ev_nodecomment_get(a, j, NULL, &got, NULL), 0);
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
					    &r, NULL, 4, out, sizeof(out), NULL),
			 0);
	assert_string_equal(out, "rack 7 see ticket efa-verify-results: "
				 "job=2,node=n2,verdict=ok,efa_bytes=1,tcp_bytes=0,shared=0 "
				 "job=5,node=n2,nodes=4,verdict=tcp_fallback,efa_bytes=0,tcp_bytes=0,shared=0");
	assert_int_equal(ev_nodecomment_get(out, 1, NULL, &got, NULL), -ENOENT);
	assert_int_equal(ev_nodecomment_strip(out, strip, sizeof(strip)), 0);
	assert_string_equal(strip, "rack 7 see ticket");
	/* Words that only look like ours are not. */
	assert_int_equal(ev_nodecomment_get("xefa-verify-results: job=5,node=n2,verdict=ok,efa_bytes=1,tcp_bytes=0", 5,
					    NULL, &got, NULL),
			 -ENOENT);
	/* No job id, no entry; a hostile node name is refused. */
	r.jobid = 0;
	assert_int_equal(ev_nodecomment_put("", &r, NULL, 4, out, sizeof(out), NULL), -EINVAL);
	r = res(5, "n2;rm", EV_V_OK, 0);
	assert_int_equal(ev_nodecomment_put("", &r, NULL, 4, out, sizeof(out), NULL), -EINVAL);
	/* Too small a buffer is an error, not a cut entry. */
	r = res(5, "n2", EV_V_OK, 0);
	assert_int_equal(ev_nodecomment_put("", &r, NULL, 4, out, 40, NULL), -ENAMETOOLONG);
}

/* ---------------------------------------------------------------- a fake sealer
 * "MUNGE:" + hex of the line's bytes each XORed with 0x5a + ":", one word
 * with a sealed entry's look. A word whose hex starts "00" is one this
 * process may not open; `down` makes every call fail as if munged were
 * away. Calls are counted. */
struct fake {
	bool down;
	int seals, unseals;
};

static int fake_seal(void *ctx, const char *line, char *out, size_t cap, struct ev_err *err)
{
	struct fake *f = ctx;
	size_t n = strlen(line), o;

	f->seals++;
	if (f->down)
		return ev_errf(err, -ECONNREFUSED, "fake munged away");
	if (6 + 2 * n + 2 > cap)
		return ev_errf(err, -ENAMETOOLONG, "too long");
	o = (size_t)snprintf(out, cap, "MUNGE:");
	for (size_t i = 0; i < n; i++)
		o += (size_t)snprintf(out + o, cap - o, "%02x", (unsigned char)line[i] ^ 0x5a);
	snprintf(out + o, cap - o, ":");
	return 0;
}

static int fake_unseal(void *ctx, const char *word, char *line, size_t cap, struct ev_err *err)
{
	struct fake *f = ctx;
	size_t n = strlen(word);

	f->unseals++;
	if (f->down)
		return ev_errf(err, -ECONNREFUSED, "fake munged away");
	if (n < 8 || (n - 7) % 2 || (n - 7) / 2 >= cap)
		return ev_errf(err, -EBADMSG, "not ours");
	if (strncmp(word + 6, "00", 2) == 0)
		return ev_errf(err, -EACCES, "fake: unauthorized");
	for (size_t i = 0; i < (n - 7) / 2; i++) {
		unsigned v;

		if (sscanf(word + 6 + 2 * i, "%2x", &v) != 1)
			return ev_errf(err, -EBADMSG, "not ours");
		line[i] = (char)(v ^ 0x5a);
	}
	line[(n - 7) / 2] = '\0';
	return 0;
}

static const struct ev_seal_ops fake_ops = { .seal = fake_seal, .unseal = fake_unseal };

/* Our part of c holds only sealed words: no job id, verdict or bytes. */
static void assert_nothing_in_clear(const char *c)
{
	const char *p = strstr(c, EV_NODECOMMENT_PREFIX);

	assert_non_null(p);
	p += strlen(EV_NODECOMMENT_PREFIX);
	assert_null(strstr(p, "job="));
	assert_null(strstr(p, "verdict"));
	assert_null(strstr(p, "bytes"));
	assert_null(strstr(p, "n1"));
	for (const char *w = p; *w;) {
		size_t l;

		w += strspn(w, " ");
		l = strcspn(w, " ");
		if (l)
			assert_true(ev_seal_word(w, l));
		w += l;
	}
}

static void test_sealed_put_get(void **state)
{
	char a[EV_NODECOMMENT_MAX], b[EV_NODECOMMENT_MAX];
	struct fake f = { 0 };
	struct ev_seal seal = { &fake_ops, &f };
	struct ev_node_result r = res(42, "n1", EV_V_TCP_FALLBACK, 123), got;
	struct ev_err err = { "" };

	(void)state;
	assert_int_equal(ev_nodecomment_put("rack 7", &r, &seal, 4, a, sizeof(a), &err), 0);
	assert_int_equal(strncmp(a, "rack 7 efa-verify-results: MUNGE:", 33), 0);
	assert_nothing_in_clear(a);
	assert_null(strstr(a, "42"));
	assert_null(strstr(a, "tcp_fallback"));
	assert_int_equal(ev_nodecomment_get(a, 42, &seal, &got, NULL), 0);
	assert_memory_equal(&got, &r, sizeof(r));
	assert_int_equal(ev_nodecomment_get(a, 43, &seal, &got, NULL), -ENOENT);
	/* Without a sealer a sealed entry is not read. */
	assert_int_equal(ev_nodecomment_get(a, 42, NULL, &got, NULL), -ENOENT);
	/* The same job again replaces its sealed entry. */
	r.efa_bytes = 7;
	assert_int_equal(ev_nodecomment_put(a, &r, &seal, 4, b, sizeof(b), &err), 0);
	assert_null(strstr(strstr(b, "MUNGE:") + 1, "MUNGE:"));
	assert_int_equal(ev_nodecomment_get(b, 42, &seal, &got, NULL), 0);
	assert_int_equal(got.efa_bytes, 7);
	/* The plain form of the same Comment does show the job: what the
	 * checks above would catch. */
	r.efa_bytes = 123;
	assert_int_equal(ev_nodecomment_put("rack 7", &r, NULL, 4, a, sizeof(a), &err), 0);
	assert_non_null(strstr(a, "job=42"));
	assert_non_null(strstr(a, "verdict=tcp_fallback"));
}

/* A node switched to sealed: its earlier plain entries are sealed too at
 * its next put, and still read; the oldest beyond keep go. */
static void test_sealed_hides_history(void **state)
{
	char a[EV_NODECOMMENT_MAX] = "", b[EV_NODECOMMENT_MAX];
	struct fake f = { 0 };
	struct ev_seal seal = { &fake_ops, &f };
	struct ev_node_result got;
	struct ev_err err = { "" };

	(void)state;
	for (uint32_t j = 1; j <= 3; j++) {
		struct ev_node_result r = res(j, "n1", EV_V_OK, j);

		assert_int_equal(ev_nodecomment_put(a, &r, NULL, 3, b, sizeof(b), &err), 0);
		memcpy(a, b, sizeof(a));
	}
	assert_non_null(strstr(a, "job=2"));
	{
		struct ev_node_result r = res(4, "n1", EV_V_OK, 4);

		assert_int_equal(ev_nodecomment_put(a, &r, &seal, 3, b, sizeof(b), &err), 0);
	}
	assert_nothing_in_clear(b);
	/* Two kept (resealed) and the new one: three seals, job 1 dropped
	 * unopened. */
	assert_int_equal(f.seals, 3);
	assert_int_equal(ev_nodecomment_get(b, 1, &seal, &got, NULL), -ENOENT);
	for (uint32_t j = 2; j <= 4; j++) {
		assert_int_equal(ev_nodecomment_get(b, j, &seal, &got, NULL), 0);
		assert_int_equal(got.efa_bytes, j);
	}
}

/* Broken sealed entries go, ones this process may not open stay, and a
 * sealer that is away fails the put: nothing goes in clear instead. */
static void test_sealed_broken_refused_down(void **state)
{
	char out[EV_NODECOMMENT_MAX], line[EV_RESULT_LINE_MAX];
	struct fake f = { 0 };
	struct ev_seal seal = { &fake_ops, &f };
	struct ev_node_result r = res(9, "n1", EV_V_OK, 1), got;
	struct ev_err err = { "" };

	(void)state;
	/* MUNGE:zz: does not decode; MUNGE:00ab: is someone else's. */
	assert_int_equal(ev_nodecomment_put("efa-verify-results: MUNGE:zz: MUNGE:00ab:", &r, &seal, 4, out, sizeof(out),
					    &err),
			 0);
	assert_null(strstr(out, "MUNGE:zz:"));
	assert_non_null(strstr(out, "MUNGE:00ab:"));
	assert_int_equal(ev_nodecomment_get(out, 9, &seal, &got, NULL), 0);
	/* A sealed entry whose line is not a result is broken too. */
	assert_int_equal(fake_seal(&f, "job=3 node=n1 verdict=nonsense", line, sizeof(line), NULL), 0);
	{
		char c[EV_NODECOMMENT_MAX];

		snprintf(c, sizeof(c), "efa-verify-results: %s", line);
		assert_int_equal(ev_nodecomment_put(c, &r, &seal, 4, out, sizeof(out), &err), 0);
		assert_null(strstr(out, line));
	}
	/* The job not found past an entry this process may not open: that
	 * is said, not "no result" (the job's entry may be that one). */
	err.msg[0] = '\0';
	assert_int_equal(ev_nodecomment_get("efa-verify-results: MUNGE:00ab:", 9, &seal, &got, &err), -EACCES);
	assert_non_null(strstr(err.msg, "unauthorized"));
	/* Found before it: found. */
	assert_int_equal(ev_nodecomment_put("efa-verify-results: MUNGE:00ab:", &r, &seal, 4, out, sizeof(out), &err),
			 0);
	assert_int_equal(ev_nodecomment_get(out, 9, &seal, &got, NULL), 0);
	/* Sealer away: put fails, get says so, plain entries still read. */
	f.down = true;
	assert_int_equal(ev_nodecomment_put("", &r, &seal, 4, out, sizeof(out), &err), -ECONNREFUSED);
	assert_non_null(strstr(err.msg, "fake munged away"));
	{
		const char *mixed = "efa-verify-results: job=5,node=n1,verdict=ok,efa_bytes=1,tcp_bytes=0 MUNGE:aa:";

		assert_int_equal(ev_nodecomment_get(mixed, 5, &seal, &got, NULL), 0);
		assert_int_equal(ev_nodecomment_get(mixed, 6, &seal, &got, &err), -ECONNREFUSED);
	}
}

/* A reader opens entries newest first and stops at the job's; after one
 * failure it opens no more: a user's read costs one refusal, not keep. */
static void test_sealed_reads_are_bounded(void **state)
{
	char a[EV_NODECOMMENT_MAX] = "", b[EV_NODECOMMENT_MAX];
	struct fake f = { 0 };
	struct ev_seal seal = { &fake_ops, &f };
	struct ev_node_result got;
	struct ev_err err = { "" };

	(void)state;
	for (uint32_t j = 1; j <= EV_NODECOMMENT_KEEP; j++) {
		struct ev_node_result r = res(j, "n1", EV_V_OK, j);

		assert_int_equal(ev_nodecomment_put(a, &r, &seal, EV_NODECOMMENT_KEEP, b, sizeof(b), &err), 0);
		memcpy(a, b, sizeof(a));
	}
	/* Each put opened every earlier entry once and sealed one. */
	assert_int_equal(f.seals, EV_NODECOMMENT_KEEP);
	assert_int_equal(f.unseals, EV_NODECOMMENT_KEEP * (EV_NODECOMMENT_KEEP - 1) / 2);
	f.unseals = 0;
	assert_int_equal(ev_nodecomment_get(a, EV_NODECOMMENT_KEEP, &seal, &got, NULL), 0);
	assert_int_equal(f.unseals, 1);
	f.unseals = 0;
	assert_int_equal(ev_nodecomment_get(a, 1, &seal, &got, NULL), 0);
	assert_int_equal(f.unseals, EV_NODECOMMENT_KEEP);
	f.unseals = 0;
	assert_int_equal(ev_nodecomment_get(a, 999, &seal, &got, NULL), -ENOENT);
	assert_int_equal(f.unseals, EV_NODECOMMENT_KEEP);
	f.unseals = 0;
	f.down = true;
	assert_int_equal(ev_nodecomment_get(a, 1, &seal, &got, &err), -ECONNREFUSED);
	assert_int_equal(f.unseals, 1);
	/* A plain put keeps sealed entries unopened. */
	f.down = false;
	f.unseals = 0;
	{
		struct ev_node_result r = res(100, "n1", EV_V_OK, 1);

		assert_int_equal(ev_nodecomment_put(a, &r, NULL, EV_NODECOMMENT_KEEP, b, sizeof(b), &err), 0);
	}
	assert_int_equal(f.unseals, 0);
	assert_non_null(strstr(b, "job=100"));
	assert_int_equal(ev_nodecomment_get(b, 1, &seal, &got, NULL), -ENOENT);
	assert_int_equal(ev_nodecomment_get(b, 2, &seal, &got, NULL), 0);
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
		cmocka_unit_test(test_plain_containers),
		cmocka_unit_test(test_keeps_the_newest),
		cmocka_unit_test(test_admin_words_and_garbage),
		cmocka_unit_test(test_sealed_put_get),
		cmocka_unit_test(test_sealed_hides_history),
		cmocka_unit_test(test_sealed_broken_refused_down),
		cmocka_unit_test(test_sealed_reads_are_bounded),
		cmocka_unit_test(test_nic_fields),
		cmocka_unit_test(test_fill_from_delta),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
