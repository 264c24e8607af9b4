/* The fleet over many jobs (lib/record/ev_fleet.c): what report --since
 * counts from the records in accounting, how it ranks nodes, users,
 * accounts and partitions, and that what it keeps grows with the names it
 * has seen, not with the jobs. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "testutil.h"
#include "record/ev_fleet.h"

static void add(struct ev_fleet *f, uint32_t jobid, const char *user, const char *account, const char *partition,
		const char *nodes, const char *comment, int64_t end, uint64_t elapsed, uint64_t gpus)
{
	const struct ev_fleet_job j = { .jobid = jobid, .user = user, .account = account, .partition = partition,
					.nodes = nodes, .admin_comment = comment, .end = end, .elapsed = elapsed,
					.gpus = gpus, .started = true };
	struct ev_err err = { "" };

	assert_int_equal(ev_fleet_add(f, &j, &err), 0);
}

static const struct ev_fleet_node *find_node(const struct ev_fleet_node **v, size_t n, const char *name)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(v[i]->name, name) == 0)
			return v[i];
	fail_msg("node %s not ranked", name);
	return NULL;
}

/* The brief example of a record, and jobs of every verdict around it. */
static struct ev_fleet *mixed_fleet(void)
{
	struct ev_fleet *f;

	assert_int_equal(ev_fleet_new(&f), 0);
	add(f, 1, "alice", "ml", "gpu", "n[1-4]",
	    "{efa-verify: verdict=ok nodes=4/4 efa_bytes=400 tcp_bytes=0}", 1000, 3600, 8);
	add(f, 2, "alice", "ml", "gpu", "n[1-2]",
	    "{efa-verify: verdict=tcp_fallback nodes=2/2 efa_bytes=0 tcp_bytes=18 "
	    "bad=n[1-2]:tcp_fallback(tcp_bytes:9/efa_bytes:0) cause=n[1-2]:fi_provider(tcp)}",
	    2000, 1800, 16);
	add(f, 3, "bob", "phys", "cpu", "n[5-8]",
	    "{efa-verify: verdict=degraded nodes=4/4 efa_bytes=12 tcp_bytes=0 bad=n7:degraded(idle_nics:3/32) "
	    "cause=n7:setup_errors~(reg_mr_err:3)}",
	    1500, 600, 0);
	/* Another tool's text around ours, as AdminComment holds it. */
	add(f, 4, "bob", "phys", "gpu", "n[1-8]",
	    "JS1:abc {efa-verify: verdict=tcp_fallback nodes=6/8 efa_bytes=12 tcp_bytes=24 "
	    "bad=n[2-4]:tcp_fallback(tcp_bytes:9/efa_bytes:0);n7:degraded(idle_nics:3/32) "
	    "cause=n[2-4]:fi_provider(tcp);n7:setup_errors~(reg_mr_err:3)} admin note",
	    3000, 7200, 8);
	add(f, 5, "carol", "ml", "gpu", "n[1-2]", "JS1:only-another-tool", 2500, 7200, 8);
	add(f, 6, "carol", "ml", "gpu", "n1", "{efa-verify: verdict=bogus nodes=1/1 efa_bytes=0 tcp_bytes=0}", 2600,
	    60, 0);
	add(f, 7, "dave", NULL, "cpu", "n9",
	    "{efa-verify: verdict=not_ready nodes=1/1 efa_bytes=0 tcp_bytes=0 bad=n9:not_ready(ports) "
	    "cause=n9:not_ready(ports)}",
	    2700, 10, 0);
	add(f, 8, "dave", NULL, "cpu", "n[9-10]",
	    "{efa-verify: verdict=unknown nodes=1/2 efa_bytes=0 tcp_bytes=0 bad=n10:unknown(no_start_snapshot)}",
	    2800, 10, 0);
	add(f, 9, "dave", NULL, "cpu", "n11", "{efa-verify: verdict=no_traffic nodes=1/1 efa_bytes=0 tcp_bytes=0}",
	    2900, 10, 0);
	{
		/* Cancelled while pending: it never ran. */
		const struct ev_fleet_job never = { .jobid = 10, .user = "erin", .account = "ml", .partition = "gpu",
						    .nodes = "None assigned", .admin_comment = "", .end = 2950 };
		struct ev_err err = { "" };

		assert_int_equal(ev_fleet_add(f, &never, &err), 0);
	}
	return f;
}

static void test_verdicts(void **state)
{
	struct ev_fleet *f = mixed_fleet();
	const struct ev_fleet_totals *t = ev_fleet_totals(f);

	(void)state;
	assert_int_equal(t->jobs, 10);
	assert_int_equal(t->verdicts[EV_V_OK], 1);
	assert_int_equal(t->verdicts[EV_V_TCP_FALLBACK], 2);
	assert_int_equal(t->verdicts[EV_V_DEGRADED], 1);
	assert_int_equal(t->verdicts[EV_V_NOT_READY], 1);
	assert_int_equal(t->verdicts[EV_V_UNKNOWN], 1);
	assert_int_equal(t->verdicts[EV_V_NO_TRAFFIC], 1);
	/* Counted as what they are, never given a verdict. */
	assert_int_equal(t->no_record, 1);
	assert_int_equal(t->malformed, 1);
	assert_int_equal(t->n_malformed_jobs, 1);
	assert_int_equal(t->malformed_jobs[0], 6);
	assert_non_null(strstr(t->malformed_why, "verdict"));
	assert_int_equal(t->not_started, 1);
	ev_fleet_free(&f);
	assert_null(f);
}

/* Nodes by jobs not ok on them, with their causes and when last. */
static void test_nodes_ranked(void **state)
{
	struct ev_fleet *f = mixed_fleet();
	const struct ev_fleet_node **v, *n;
	size_t k;

	(void)state;
	assert_int_equal(ev_fleet_nodes(f, &v, &k), 0);
	/* n1 n2 (job 2), n2 n3 n4 (job 4), n7 (jobs 3, 4), n9, n10. */
	assert_int_equal(k, 7);
	assert_int_equal(ev_fleet_nodes_seen(f), 11);
	/* Two jobs not ok: n2 (of 3 jobs with a record), n7 (of 2: the
	 * higher share first). */
	assert_string_equal(v[0]->name, "n7");
	assert_string_equal(v[1]->name, "n2");
	/* One each: the higher share first (n10 1/1; n3, n4, n9 1/2; n1
	 * 1/3), then the later (n3 and n4 at 3000, n9 at 2700), then the
	 * name. */
	assert_string_equal(v[2]->name, "n10");
	assert_string_equal(v[3]->name, "n3");
	assert_string_equal(v[4]->name, "n4");
	assert_string_equal(v[5]->name, "n9");
	assert_string_equal(v[6]->name, "n1");

	n = find_node(v, k, "n7");
	assert_int_equal(n->not_ok, 2);
	assert_int_equal(n->jobs, 2);
	assert_int_equal(n->last_not_ok, 3000);
	assert_int_equal(n->causes[EV_CAUSE_SETUP_ERRORS][1], 2);
	assert_int_equal(n->causes[EV_CAUSE_SETUP_ERRORS][0], 0);
	n = find_node(v, k, "n2");
	assert_int_equal(n->not_ok, 2);
	/* Jobs 1, 2 and 4 with a record; not job 5 (none) or 6 (malformed). */
	assert_int_equal(n->jobs, 3);
	assert_int_equal(n->causes[EV_CAUSE_FI_PROVIDER][0], 2);
	n = find_node(v, k, "n1");
	assert_int_equal(n->jobs, 3);
	assert_int_equal(n->not_ok, 1);
	assert_int_equal(n->last_not_ok, 2000);
	n = find_node(v, k, "n9");
	assert_int_equal(n->causes[EV_CAUSE_NOT_READY][0], 1);
	free(v);
	ev_fleet_free(&f);
}

/* Users, accounts and partitions by jobs in tcp_fallback, and their share
 * of the jobs with a record. */
static void test_groups_ranked(void **state)
{
	struct ev_fleet *f = mixed_fleet();
	const struct ev_fleet_group **g;
	size_t k;

	(void)state;
	assert_int_equal(ev_fleet_groups(f, EV_FLEET_USER, &g, &k), 0);
	assert_int_equal(k, 4);   /* erin's job never ran */
	/* alice and bob: one fallback each of two judged, two jobs: by name. */
	assert_string_equal(g[0]->name, "alice");
	assert_string_equal(g[1]->name, "bob");
	assert_int_equal(g[0]->tcp_fallback, 1);
	assert_int_equal(g[0]->judged, 2);
	assert_int_equal(g[0]->jobs, 2);
	/* No fallback: more jobs first. carol's have no record read. */
	assert_string_equal(g[2]->name, "dave");
	assert_int_equal(g[2]->judged, 3);
	assert_string_equal(g[3]->name, "carol");
	assert_int_equal(g[3]->jobs, 2);
	assert_int_equal(g[3]->judged, 0);
	free(g);

	assert_int_equal(ev_fleet_groups(f, EV_FLEET_ACCOUNT, &g, &k), 0);
	assert_int_equal(k, 3);
	/* ml: 1 of 2 judged (50%), phys: 1 of 2: ml has more jobs (4). */
	assert_string_equal(g[0]->name, "ml");
	assert_int_equal(g[0]->jobs, 4);
	assert_string_equal(g[1]->name, "phys");
	/* No account in accounting: one name for all such jobs. */
	assert_string_equal(g[2]->name, "(none)");
	assert_int_equal(g[2]->jobs, 3);
	free(g);

	assert_int_equal(ev_fleet_groups(f, EV_FLEET_PARTITION, &g, &k), 0);
	assert_int_equal(k, 2);
	assert_string_equal(g[0]->name, "gpu");
	assert_int_equal(g[0]->tcp_fallback, 2);
	assert_int_equal(g[0]->judged, 3);
	assert_string_equal(g[1]->name, "cpu");
	assert_int_equal(g[1]->tcp_fallback, 0);
	free(g);
	assert_int_equal(ev_fleet_groups(f, EV_FLEET__BY, &g, &k), -EINVAL);
	ev_fleet_free(&f);
}

/* GPU-hours: GPUs x elapsed, of every job that ran, of those with a
 * record, of those in tcp_fallback. */
static void test_gpu_hours(void **state)
{
	struct ev_fleet *f = mixed_fleet();
	const struct ev_fleet_totals *t = ev_fleet_totals(f);

	(void)state;
	assert_int_equal(t->gpu_jobs, 4);
	assert_int_equal(t->gpu_seconds, 8 * 3600 + 16 * 1800 + 8 * 7200 + 8 * 7200);
	assert_int_equal(t->gpu_seconds_judged, 8 * 3600 + 16 * 1800 + 8 * 7200);
	assert_int_equal(t->gpu_seconds_fallback, 16 * 1800 + 8 * 7200);
	ev_fleet_free(&f);

	assert_int_equal(ev_fleet_new(&f), 0);
	add(f, 1, "u", "a", "p", "n1", "{efa-verify: verdict=ok nodes=1/1 efa_bytes=0 tcp_bytes=0}", 1, 100, 0);
	assert_int_equal(ev_fleet_totals(f)->gpu_jobs, 0);
	assert_int_equal(ev_fleet_totals(f)->gpu_seconds, 0);
	ev_fleet_free(&f);
}

static char *record_bad(const char *bad)
{
	static char buf[512];

	snprintf(buf, sizeof(buf), "{efa-verify: verdict=degraded nodes=10/10 efa_bytes=1 tcp_bytes=0 bad=%s}", bad);
	return buf;
}

/* The node that fails again and again stands out; one that failed twice,
 * or no more often than the rest of the fleet, does not. */
static void test_repeat_offender(void **state)
{
	static const char ok[] = "{efa-verify: verdict=ok nodes=10/10 efa_bytes=1 tcp_bytes=0}";
	const struct ev_fleet_node **v;
	struct ev_fleet *f;
	size_t k;

	(void)state;
	assert_int_equal(ev_fleet_new(&f), 0);
	/* 20 jobs on n[0-9]: n3 not ok in 5 (25%), n4 in 2 (10%); the fleet
	 * 7 of 200 node-jobs (3.5%), twice that 7%. */
	for (uint32_t j = 0; j < 20; j++) {
		const char *c = ok;

		if (j < 5)
			c = record_bad(j < 2 ? "n[3-4]:degraded(rx_drops)" : "n3:degraded(rx_drops)");
		add(f, j + 1, "u", "a", "p", "n[0-9]", c, 100 + j, 10, 0);
	}
	assert_int_equal(ev_fleet_totals(f)->node_jobs, 200);
	assert_int_equal(ev_fleet_totals(f)->node_not_ok, 7);
	assert_int_equal(ev_fleet_nodes(f, &v, &k), 0);
	assert_int_equal(k, 2);
	assert_string_equal(v[0]->name, "n3");
	assert_int_equal(v[0]->not_ok, 5);
	assert_int_equal(v[0]->jobs, 20);
	assert_int_equal(v[0]->last_not_ok, 104);
	assert_true(ev_fleet_repeat(f, v[0]));
	/* Twice the fleet's share, but fewer than 3 jobs: noise. */
	assert_string_equal(v[1]->name, "n4");
	assert_false(ev_fleet_repeat(f, v[1]));
	free(v);
	ev_fleet_free(&f);

	/* Every node not ok in every job: the fleet's problem, none stands out. */
	assert_int_equal(ev_fleet_new(&f), 0);
	for (uint32_t j = 0; j < 10; j++)
		add(f, j + 1, "u", "a", "p", "n[0-9]", record_bad("n[0-9]:degraded(rx_drops)"), 100, 10, 0);
	assert_int_equal(ev_fleet_nodes(f, &v, &k), 0);
	assert_int_equal(k, 10);
	for (size_t i = 0; i < k; i++)
		assert_false(ev_fleet_repeat(f, v[i]));
	free(v);
	ev_fleet_free(&f);

	/* Exactly twice the fleet's share stands out: n1 3 of 3 (100%), n2
	 * 0 of 3, fleet 3 of 6 ... that is 50%: 100% >= 2 x 50%. */
	assert_int_equal(ev_fleet_new(&f), 0);
	for (uint32_t j = 0; j < 3; j++)
		add(f, j + 1, "u", "a", "p", "n[1-2]", record_bad("n1:degraded(rx_drops)"), 100, 10, 0);
	assert_int_equal(ev_fleet_nodes(f, &v, &k), 0);
	assert_int_equal(k, 1);
	assert_true(ev_fleet_repeat(f, v[0]));
	free(v);
	/* One more job where n2 alone fails: fleet 4/8, n1 3/4 < 2 x 4/8. */
	add(f, 9, "u", "a", "p", "n[1-2]", record_bad("n2:degraded(rx_drops)"), 100, 10, 0);
	assert_int_equal(ev_fleet_nodes(f, &v, &k), 0);
	assert_false(ev_fleet_repeat(f, v[0]));
	free(v);
	ev_fleet_free(&f);
}

/* Records that do not parse are counted as malformed, with the first
 * few job ids, and never crash or count as a verdict. */
static void test_malformed(void **state)
{
	static const char *const bad[] = {
		"{efa-verify: verdict=ok}",
		"{efa-verify: verdict=ok nodes=1/1 efa_bytes=1 tcp_bytes=2 bad=n[1-:ok}",
		"{efa-verify: verdict=ok nodes=2/1 efa_bytes=1 tcp_bytes=2}",
		"{efa-verify: verdict=ok nodes=1/1 efa_bytes=x tcp_bytes=2}",
		"{efa-verify: verdict=ok nodes=1/1 efa_bytes=1 tcp_bytes=2 cause=n1:no_such_cause}",
		"{efa-verify: verdict=ok verdict=ok nodes=1/1 efa_bytes=1 tcp_bytes=2}",
		"{efa-verify: garbage}",
	};
	const size_t n_bad = sizeof(bad) / sizeof(bad[0]);
	const struct ev_fleet_totals *t;
	struct ev_fleet *f;
	size_t k;
	char *huge;

	(void)state;
	assert_int_equal(ev_fleet_new(&f), 0);
	for (size_t i = 0; i < n_bad; i++)
		add(f, (uint32_t)(100 + i), "u", "a", "p", "n1", bad[i], 10, 10, 4);
	/* Longer than any record is written. */
	huge = malloc(70000);
	memcpy(huge, "{efa-verify: verdict=ok ", 24);
	memset(huge + 24, 'x', 70000 - 26);
	memcpy(huge + 70000 - 2, "}", 2);
	add(f, 200, "u", "a", "p", "n1", huge, 10, 10, 4);
	free(huge);
	t = ev_fleet_totals(f);
	assert_int_equal(t->malformed, n_bad + 1);
	assert_int_equal(t->n_malformed_jobs, EV_FLEET_EXAMPLES);
	for (size_t i = 0; i < EV_FLEET_EXAMPLES; i++)
		assert_int_equal(t->malformed_jobs[i], 100 + i);
	assert_true(t->malformed_why[0]);
	for (size_t i = 0; i < EV_FLEET_VERDICTS; i++)
		assert_int_equal(t->verdicts[i], 0);
	assert_int_equal(ev_fleet_nodes_seen(f), 0);
	/* Their GPU time is not counted as judged. */
	assert_int_equal(t->gpu_seconds, 40 * (n_bad + 1));
	assert_int_equal(t->gpu_seconds_judged, 0);
	{
		const struct ev_fleet_group **g;

		assert_int_equal(ev_fleet_groups(f, EV_FLEET_USER, &g, &k), 0);
		assert_int_equal(k, 1);
		assert_int_equal(g[0]->jobs, n_bad + 1);
		assert_int_equal(g[0]->judged, 0);
		free(g);
	}
	ev_fleet_free(&f);
}

/* Big jobs: every node of a 5000-node host list counted, the bad ones
 * ranked in host order; a list too long to expand is counted, not
 * expanded; nodes a record counts but does not name are said. */
static void test_many_nodes(void **state)
{
	const struct ev_fleet_node **v;
	const struct ev_fleet_totals *t;
	struct ev_fleet *f;
	size_t k;

	(void)state;
	assert_int_equal(ev_fleet_new(&f), 0);
	add(f, 1, "u", "a", "p", "gpu-st-p5-[1-5000]",
	    "{efa-verify: verdict=tcp_fallback nodes=5000/5000 efa_bytes=0 tcp_bytes=9 "
	    "bad=gpu-st-p5-[1000-1999]:tcp_fallback;gpu-st-p5-[2000-2009,3000]:degraded;+42_more "
	    "cause=gpu-st-p5-[1000-1999]:nccl_net(Socket)}",
	    50, 10, 8);
	t = ev_fleet_totals(f);
	assert_int_equal(ev_fleet_nodes_seen(f), 5000);
	assert_int_equal(t->node_jobs, 5000);
	assert_int_equal(t->node_not_ok, 1011);
	assert_int_equal(t->unlisted_not_ok, 42);
	assert_int_equal(ev_fleet_nodes(f, &v, &k), 0);
	assert_int_equal(k, 1011);
	/* All alike: in host order, numerically. */
	assert_string_equal(v[0]->name, "gpu-st-p5-1000");
	assert_string_equal(v[1]->name, "gpu-st-p5-1001");
	assert_string_equal(v[k - 1]->name, "gpu-st-p5-3000");
	assert_int_equal(v[0]->causes[EV_CAUSE_NCCL_NET][0], 1);
	free(v);

	/* Over EV_FLEET_HOSTLIST_MAX: not expanded, said. */
	add(f, 2, "u", "a", "p", "n[1-100000]",
	    "{efa-verify: verdict=degraded nodes=2/2 efa_bytes=0 tcp_bytes=9 bad=m[1-99999999]:degraded}", 60, 10,
	    0);
	assert_int_equal(t->hostlists_unread, 2);
	assert_int_equal(ev_fleet_nodes_seen(f), 5000);
	/* Not a Slurm host list: likewise. */
	add(f, 3, "u", "a", "p", "n[1-2]x[3-4]", "{efa-verify: verdict=ok nodes=1/1 efa_bytes=0 tcp_bytes=0}", 70,
	    10, 0);
	assert_int_equal(t->hostlists_unread, 3);
	assert_int_equal(t->verdicts[EV_V_OK], 1);
	ev_fleet_free(&f);
}

/* Bytes malloc has handed out and not had back: from its arenas, and as
 * blocks of their own (mmap'ed, the big ones). */
/* Each rule of the rankings, where the ones before it tie. */
static void test_ties(void **state)
{
	static const char ok[] = "{efa-verify: verdict=ok nodes=1/1 efa_bytes=1 tcp_bytes=0}";
	const struct ev_fleet_node **v;
	const struct ev_fleet_group **g;
	struct ev_fleet *f;
	size_t k;

	(void)state;
	assert_int_equal(ev_fleet_new(&f), 0);
	/* a1 and a2 alike (1 of 1) but a2 later: a2 first, whatever the name. */
	add(f, 1, "u1", "a", "p", "a1", record_bad("a1:degraded(rx_drops)"), 100, 10, 0);
	add(f, 2, "u1", "a", "p", "a2", record_bad("a2:degraded(rx_drops)"), 200, 10, 0);
	/* u1: one fallback in 4 judged; u2: one in 2, fewer jobs: u2 first. */
	add(f, 3, "u1", "a", "p", "b1", "{efa-verify: verdict=tcp_fallback nodes=1/1 efa_bytes=0 tcp_bytes=9}", 300,
	    10, 0);
	add(f, 4, "u1", "a", "p", "b1", ok, 300, 10, 0);
	add(f, 5, "u2", "a", "p", "b1", "{efa-verify: verdict=tcp_fallback nodes=1/1 efa_bytes=0 tcp_bytes=9}", 300,
	    10, 0);
	add(f, 6, "u2", "a", "p", "b1", ok, 300, 10, 0);
	/* A node named twice in one record's bad= is one job not ok. */
	add(f, 7, "u3", "a", "p", "c1",
	    "{efa-verify: verdict=degraded nodes=1/1 efa_bytes=1 tcp_bytes=0 bad=c1:degraded;c[1-1]:unknown}", 50, 10,
	    0);
	assert_int_equal(ev_fleet_nodes(f, &v, &k), 0);
	assert_int_equal(k, 3);
	assert_string_equal(v[0]->name, "a2");
	assert_string_equal(v[1]->name, "a1");
	assert_string_equal(v[2]->name, "c1");
	assert_int_equal(v[2]->not_ok, 1);
	assert_int_equal(v[2]->jobs, 1);
	assert_int_equal(ev_fleet_totals(f)->node_not_ok, 3);
	free(v);
	assert_int_equal(ev_fleet_groups(f, EV_FLEET_USER, &g, &k), 0);
	assert_int_equal(k, 3);
	assert_string_equal(g[0]->name, "u2");
	assert_string_equal(g[1]->name, "u1");
	assert_int_equal(g[1]->judged, 4);
	free(g);
	ev_fleet_free(&f);
}

static size_t heap_in_use(void)
{
	struct mallinfo2 m = mallinfo2();

	return m.uordblks + m.hblkhd;
}

/* What the fleet keeps grows with the names seen, never with the jobs:
 * 200000 more jobs over the same nodes, users, accounts and partitions
 * leave the heap as it was after the first 1000. */
static void test_memory_bounded(void **state)
{
	static const char *const comments[] = {
		"{efa-verify: verdict=ok nodes=8/8 efa_bytes=400 tcp_bytes=0}",
		"{efa-verify: verdict=tcp_fallback nodes=8/8 efa_bytes=0 tcp_bytes=18 "
		"bad=n[1-2]:tcp_fallback(tcp_bytes:9/efa_bytes:0) cause=n[1-2]:fi_provider(tcp)}",
		"{efa-verify: verdict=degraded nodes=8/8 efa_bytes=12 tcp_bytes=0 bad=n7:degraded(idle_nics:3/32) "
		"cause=n7:setup_errors~(reg_mr_err:3)}",
		"no record here",
		"{efa-verify: verdict=bogus}",
	};
	static const char *const users[] = { "alice", "bob", "carol" };
	struct ev_fleet *f;
	size_t before, after;
	char *volatile probe;   /* volatile: a malloc never used may be left out */

	(void)state;
	/* Where malloc is not glibc's (a sanitizer's), its counts say nothing. */
	before = heap_in_use();
	probe = malloc(1 << 20);
	assert_non_null(probe);
	probe[0] = 1;
	if (heap_in_use() < before + (1 << 20)) {
		free(probe);
		tu_skip("mallinfo2 does not see this malloc (a sanitizer's)");
	}
	free(probe);
	assert_int_equal(ev_fleet_new(&f), 0);
	for (uint32_t j = 0; j < 201000; j++) {
		char nodes[32];

		if (j == 1000)
			before = heap_in_use();
		snprintf(nodes, sizeof(nodes), "n[%u-%u]", j % 8 + 1, j % 8 + 8);
		add(f, j, users[j % 3], j % 2 ? "ml" : "phys", j % 5 ? "gpu" : "cpu", nodes, comments[j % 5],
		    1000 + j, 60, 8);
	}
	after = heap_in_use();
	assert_int_equal(ev_fleet_totals(f)->jobs, 201000);
	assert_int_equal(ev_fleet_nodes_seen(f), 15);
	/* Not a byte per job: 200000 jobs would be 200 KB. */
	assert_true(after <= before + 4096);
	ev_fleet_free(&f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_verdicts),
		cmocka_unit_test(test_nodes_ranked),
		cmocka_unit_test(test_groups_ranked),
		cmocka_unit_test(test_gpu_hours),
		cmocka_unit_test(test_repeat_offender),
		cmocka_unit_test(test_malformed),
		cmocka_unit_test(test_many_nodes),
		cmocka_unit_test(test_ties),
		cmocka_unit_test(test_memory_bounded),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
