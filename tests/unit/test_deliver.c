/* ev_deliver_spool's time budget: a prolog delivering what earlier
 * epilogs spooled must not hold its job's start for all of them. Slurm is
 * played by the fakes below, each as slow as set: what makes a spooled
 * result slow to deliver is the write of its job's record to slurmdbd, and
 * one read of each of the job's nodes from slurmctld (the job itself long
 * gone from slurmctld, its nodes from accounting). EV_TEST_DBD_WRITE_MS
 * and EV_TEST_CTLD_US set the fakes' latencies (default 2 ms and 50 us),
 * EV_TEST_DEADLINE_MS the budget (default 100); the times are printed. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ev_deliver.h"
#include "ev_ctld.h"
#include "ev_dbd.h"
#include "ev_jobenv.h"
#include "ev_slurm_hosts.h"
#include "record/ev_hostlist.h"
#include "record/ev_result.h"
#include "state/ev_spool.h"
#include "util/ev_time.h"
#include "testutil.h"

#define RESULTS 200
#define JOB_NODES 64

static unsigned dbd_write_ms = 2, ctld_us = 50;
static int dbd_writes;
static bool published_sealed, seal_fails;

static void rpc(void)
{
	struct timespec ts = { 0, (long)ctld_us * 1000 };

	nanosleep(&ts, NULL);
}

static void node_result(uint32_t jobid, const char *node, struct ev_node_result *r)
{
	memset(r, 0, sizeof(*r));
	snprintf(r->node, sizeof(r->node), "%s", node);
	r->jobid = jobid;
	r->job_nodes = JOB_NODES;
	r->verdict = EV_V_OK;
	r->efa_bytes = 1u << 30;
}

/* ---------------------------------------------------------------- fakes */

int ev_ctld_publish(const char *node, const struct ev_node_result *r, bool sealed, struct ev_err *err)
{
	(void)node, (void)r;
	rpc();
	published_sealed = sealed;
	if (sealed && seal_fails)
		return ev_errf(err, -ECONNREFUSED, "node comment: MUNGE: munged not reached");
	return 0;
}

int ev_ctld_gather(uint32_t jobid, struct ev_node_result **out, size_t *n, struct ev_err *err)
{
	(void)jobid, (void)out, (void)n;
	return ev_errf(err, -EIO, "not in this test");
}

int ev_ctld_node_result(const char *node, uint32_t jobid, struct ev_node_result *r, struct ev_err *err)
{
	(void)err;
	rpc();
	node_result(jobid, node, r);
	return 0;
}

int ev_ctld_job_end(uint32_t jobid, char **nodes, bool *completing, struct ev_err *err)
{
	*nodes = NULL;
	*completing = false;
	rpc();
	return ev_errf(err, -ENOENT, "slurmctld no longer has job %u", jobid);
}

int ev_slurm_hostlist_not_in(const char *list, char *const *names, size_t n, bool *out, struct ev_err *err)
{
	(void)list, (void)names, (void)err;
	for (size_t i = 0; i < n; i++)
		out[i] = true;
	return 0;
}

struct ev_dbd {
	int unused;
};
static struct ev_dbd the_db;

int ev_dbd_open(struct ev_dbd **db, struct ev_err *err)
{
	(void)err;
	*db = &the_db;
	return 0;
}

void ev_dbd_close(struct ev_dbd **db)
{
	*db = NULL;
}

int ev_dbd_get_comment(struct ev_dbd *db, uint32_t jobid, char **out, bool *ended, struct ev_err *err)
{
	(void)db, (void)jobid, (void)err;
	rpc();
	*ended = true;
	*out = strdup("");
	return *out ? 0 : -ENOMEM;
}

int ev_dbd_get_nodes(struct ev_dbd *db, uint32_t jobid, char **out, struct ev_err *err)
{
	(void)db, (void)jobid, (void)err;
	rpc();
	*out = strdup("q[1-64]");
	return *out ? 0 : -ENOMEM;
}

int ev_dbd_set_comment(struct ev_dbd *db, uint32_t jobid, const char *text, struct ev_err *err)
{
	(void)db, (void)jobid, (void)text, (void)err;
	ev_sleep_ms(dbd_write_ms);
	dbd_writes++;
	return 0;
}

int ev_nodelist_expand(const char *list, char ***names, size_t *n, struct ev_err *err)
{
	(void)list;
	return ev_hostlist_expand("q[1-64]", JOB_NODES, names, n, err);
}

/* ---------------------------------------------------------------- tests */

static unsigned env_num(const char *name, unsigned dflt)
{
	const char *v = getenv(name);

	return v && *v ? (unsigned)strtoul(v, NULL, 10) : dflt;
}

/* RESULTS results of JOB_NODES-node jobs, node q1's, in the spool. */
static void spool(const char *state)
{
	char line[EV_RESULT_LINE_MAX];
	struct ev_node_result r;
	struct ev_err err = { "" };

	for (uint32_t j = 1; j <= RESULTS; j++) {
		node_result(1000 + j, "q1", &r);
		assert_int_equal(ev_result_format(&r, line, sizeof(line)), 0);
		assert_int_equal(ev_spool_put(state, r.jobid, "q1", line, &err), 0);
	}
}

static size_t spooled(const char *state)
{
	struct ev_spool_entry *v = NULL;
	struct ev_err err = { "" };
	size_t n = 0;

	assert_int_equal(ev_spool_list(state, &v, &n, NULL, &err), 0);
	free(v);
	return n;
}

/* The prolog's bound against no bound (an epilog, flush), on the same
 * spool. */
static void test_spool_delivery_bounded(void **state)
{
	char *dir = tu_mkdtemp();
	unsigned budget = env_num("EV_TEST_DEADLINE_MS", 100);
	struct ev_deliver_ctx c = { .state_dir = dir, .node = "q1" };
	struct ev_err err = { "" };
	size_t done = 0, left = 0;
	uint64_t t0, bounded, unbounded;
	int rc;

	(void)state;
	dbd_write_ms = env_num("EV_TEST_DBD_WRITE_MS", 2);
	ctld_us = env_num("EV_TEST_CTLD_US", 50);

	spool(dir);
	dbd_writes = 0;
	t0 = ev_mono_ms();
	c.deadline_ms = t0 + budget;
	rc = ev_deliver_spool(&c, &done, &left, &err);
	bounded = ev_mono_ms() - t0;
	ev_deliver_done(&c);
	printf("# %d spooled %d-node results, slurmdbd write %u ms, slurmctld RPC %u us: "
	       "bounded at %u ms: %zu delivered in %llu ms, %zu left\n",
	       RESULTS, JOB_NODES, dbd_write_ms, ctld_us, budget, done, (unsigned long long)bounded, left);
	assert_int_equal(rc, -ETIMEDOUT);
	assert_non_null(strstr(err.msg, "left spooled"));
	assert_true(done >= 1);
	assert_true(left > 0);
	assert_int_equal(done + left, RESULTS);
	assert_int_equal(dbd_writes, (int)done);
	assert_int_equal(spooled(dir), left);

	/* No bound: everything, as an epilog or flush delivers. */
	spool(dir);
	memset(&c, 0, sizeof(c));
	c.state_dir = dir;
	c.node = "q1";
	t0 = ev_mono_ms();
	rc = ev_deliver_spool(&c, &done, &left, &err);
	unbounded = ev_mono_ms() - t0;
	ev_deliver_done(&c);
	printf("# unbounded: %zu delivered in %llu ms\n", done, (unsigned long long)unbounded);
	assert_int_equal(rc, 0);
	assert_int_equal(done, RESULTS);
	assert_int_equal(spooled(dir), 0);
	/* The bound held: one delivery at most past it. */
	assert_true(bounded < budget + 2 * unbounded / RESULTS + 50);
	assert_true(bounded < unbounded);
	tu_rm_rf(dir);
	free(dir);
}

/* node_comment reaches the publishing; a result that cannot be sealed
 * (munged away) stays spooled and is never published in clear instead. */
static void test_seal_failure_keeps_spooled(void **state)
{
	char *dir = tu_mkdtemp(), line[EV_RESULT_LINE_MAX];
	struct ev_deliver_ctx c = { .state_dir = dir, .node = "q1", .seal = true, .publish_only = true };
	struct ev_node_result r;
	struct ev_err err = { "" };

	(void)state;
	ctld_us = 0;
	node_result(77, "q1", &r);
	assert_int_equal(ev_result_format(&r, line, sizeof(line)), 0);
	assert_int_equal(ev_spool_put(dir, 77, "q1", line, &err), 0);
	seal_fails = true;
	published_sealed = false;
	assert_int_equal(ev_deliver_result(&c, &r, false, 0, &err), -ECONNREFUSED);
	assert_true(published_sealed);
	assert_non_null(strstr(err.msg, "munged not reached"));
	assert_true(c.ctld_down);
	assert_int_equal(spooled(dir), 1);
	ev_deliver_done(&c);
	/* munged back: delivered, sealed, and gone from the spool. */
	seal_fails = false;
	memset(&c, 0, sizeof(c));
	c.state_dir = dir;
	c.node = "q1";
	c.seal = true;
	c.publish_only = true;
	assert_int_equal(ev_deliver_result(&c, &r, false, 0, &err), 0);
	assert_true(published_sealed);
	assert_int_equal(spooled(dir), 0);
	/* plain: as the config says. */
	c.seal = false;
	assert_int_equal(ev_deliver_result(&c, &r, false, 0, &err), 0);
	assert_false(published_sealed);
	ev_deliver_done(&c);
	tu_rm_rf(dir);
	free(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_spool_delivery_bounded),
		cmocka_unit_test(test_seal_failure_keeps_spooled),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
