/* The prolog's work on one node (lib/job/ev_job_begin): over a simulated
 * sysfs tree, a boot id of the test's own and a fresh state_dir. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <syslog.h>
#include <unistd.h>

#include "config/ev_config.h"
#include "job/ev_job_begin.h"
#include "state/ev_job_start.h"
#include "state/ev_job_view.h"
#include "state/ev_findings.h"
#include "state/ev_notready.h"
#include "state/ev_running.h"
#include "testutil.h"

#define BOOT_A "0b1e5f8e-5c51-4a47-9d0e-7f2a1c3b4d5e"

struct fx {
	char *dir;
	char proc[1024];
	struct ev_config cfg;
	struct ev_job_facts job;
	struct ev_job_start js;
	struct ev_msgs msgs;
	struct ev_err err;
};

static int setup(void **state)
{
	struct fx *x = calloc(1, sizeof(*x));
	char root[1024];

	x->dir = tu_mkdtemp();
	snprintf(root, sizeof(root), "%s/sys", x->dir);
	snprintf(x->proc, sizeof(x->proc), "%s/proc", x->dir);
	if (ev_config_defaults(&x->cfg, &x->err) != 0 || tu_fixture(root, "--type", "p4d.24xlarge", NULL) != 0 ||
	    tu_write(x->dir, "proc/sys/kernel/random/boot_id", BOOT_A "\n") != 0)
		return -1;
	snprintf(x->cfg.sysfs_root, sizeof(x->cfg.sysfs_root), "%s", root);
	snprintf(x->cfg.state_dir, sizeof(x->cfg.state_dir), "%s/state", x->dir);
	snprintf(x->cfg.log_path, sizeof(x->cfg.log_path), "%s/jobs.jsonl", x->dir);
	x->job = (struct ev_job_facts){ .jobid = 42, .node = "n1", .job_nodes = 2, .first = "n0",
					.proc_root = x->proc };
	*state = x;
	return 0;
}

static int teardown(void **state)
{
	struct fx *x = *state;

	ev_job_start_free(&x->js);
	ev_config_free(&x->cfg);
	tu_rm_rf(x->dir);
	free(x->dir);
	free(x);
	return 0;
}

/* The start file holds what the epilog needs: the snapshot, the node
 * count and first node of job start, the boot id, the whole-node
 * judgement and the running mark; the job is marked running. */
static void test_start_file(void **state)
{
	struct fx *x = *state;
	struct ev_job_start back;
	bool running = false;

	x->job.exclusive = "NODE";
	assert_int_equal(ev_job_begin_take(&x->cfg, &x->job, &x->js, &x->msgs), 0);
	assert_int_equal(ev_job_begin_keep(&x->cfg, &x->job, &x->js, &x->msgs), 0);
	assert_int_equal(x->msgs.n, 0);
	assert_int_equal(ev_job_start_load(x->cfg.state_dir, 42, &back, &x->err), 0);
	assert_int_equal(back.jobid, 42);
	assert_string_equal(back.node, "n1");
	assert_string_equal(back.first, "n0");
	assert_string_equal(back.boot_id, BOOT_A);
	assert_int_equal(back.whole.whole, EV_WHOLE_YES);
	assert_string_equal(back.whole.why, "exclusive");
	assert_int_equal(back.snap.job_nodes, 2);
	assert_int_equal(back.snap.n_efa, 4);
	assert_int_equal(back.snap.tcp_source, EV_TCP_SRC_INTERFACE);
	assert_int_equal(back.run.n_others, 0);
	ev_job_start_free(&back);
	assert_int_equal(ev_running_check(x->cfg.state_dir, 42, &running, &x->err), 0);
	assert_true(running);
	/* Root's own job: no user's copy. */
	assert_int_equal(ev_job_view_load(x->cfg.state_dir, 42, &back, &x->err), -ENOENT);
	ev_job_start_free(&back);
}

/* Part of a node: the CPU counts say so, against the node's online CPUs. */
static void test_part_of_node(void **state)
{
	struct fx *x = *state;

	x->job.job_cpus = 8;
	assert_int_equal(ev_job_begin_take(&x->cfg, &x->job, &x->js, &x->msgs), 0);
	assert_int_equal(x->js.whole.whole, EV_WHOLE_NO);
	assert_string_equal(x->js.whole.why, "cpus:8/96");
}

/* The job's user gets a copy they alone can read (root's, through an ACL,
 * in root's directories); root's job does not. */
static void test_user_copy(void **state)
{
	struct fx *x = *state;
	uint32_t uid = geteuid() == 0 ? (uint32_t)tu_unprivileged_uid() : (uint32_t)geteuid();
	char path[2048];
	struct stat st;

	x->job.have_uid = true;
	x->job.uid = uid;
	/* The user passes through the test's directory to their copy. */
	assert_int_equal(chmod(x->dir, 0711), 0);
	assert_int_equal(ev_job_begin_take(&x->cfg, &x->job, &x->js, &x->msgs), 0);
	assert_int_equal(ev_job_begin_keep(&x->cfg, &x->job, &x->js, &x->msgs), 0);
	assert_int_equal(x->msgs.n, 0);
	snprintf(path, sizeof(path), "%s/view/%u/42.start", x->cfg.state_dir, uid);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 0777, uid == geteuid() ? 0400 : 0440);
	assert_int_equal(st.st_uid, geteuid());
	assert_int_equal(stat(dirname(path), &st), 0);
	assert_int_equal(st.st_mode & 0777, 0711);
	assert_int_equal(st.st_uid, geteuid());
}

/* A job of a uid once another person's finds no earlier job's copy: the
 * prolog sweeps copies of jobs not running, and abandoned temporaries. */
static void test_stale_copies_removed(void **state)
{
	struct fx *x = *state;
	uint32_t uid = geteuid() == 0 ? (uint32_t)tu_unprivileged_uid() : (uint32_t)geteuid();
	char rel[2048];

	x->job.have_uid = true;
	x->job.uid = uid;
	assert_int_equal(chmod(x->dir, 0711), 0);
	x->js.jobid = 7;
	assert_int_equal(ev_job_view_save(x->cfg.state_dir, &x->js, uid, &x->err), 0);
	assert_int_equal(tu_write_aged(x->cfg.state_dir, "jobs/7.start.tmp.31", "half", 120), 0);
	assert_int_equal(ev_job_begin_take(&x->cfg, &x->job, &x->js, &x->msgs), 0);
	assert_int_equal(ev_job_begin_keep(&x->cfg, &x->job, &x->js, &x->msgs), 0);
	assert_int_equal(x->msgs.n, 1);
	assert_int_equal(x->msgs.m[0].prio, LOG_INFO);
	assert_non_null(strstr(x->msgs.m[0].text, "removed 2 file(s)"));
	snprintf(rel, sizeof(rel), "%s/view/%u/7.start", x->cfg.state_dir, (unsigned)uid);
	assert_int_equal(access(rel, F_OK), -1);
	snprintf(rel, sizeof(rel), "%s/view/%u/42.start", x->cfg.state_dir, (unsigned)uid);
	assert_int_equal(access(rel, F_OK), 0);
}

/* A finding an earlier job of this id left (its epilog never ran) is not
 * this job's. */
static void test_stale_not_ready_removed(void **state)
{
	struct fx *x = *state;

	assert_int_equal(ev_notready_mark(x->cfg.state_dir, 42, "left_over", &x->err), 0);
	assert_int_equal(ev_findings_add(x->cfg.state_dir, 42, "fi_provider(tcp)", &x->err), 0);
	assert_int_equal(ev_job_begin_take(&x->cfg, &x->job, &x->js, &x->msgs), 0);
	assert_int_equal(ev_notready_take(x->cfg.state_dir, 42, NULL, 0, &x->err), 0);
	assert_int_equal(ev_findings_take(x->cfg.state_dir, 42, NULL, 0, &x->err), 0);
}

/* No sysfs to read: no snapshot, said; the job is marked running all the
 * same, so other jobs see it. */
static void test_no_sysfs(void **state)
{
	struct fx *x = *state;
	bool running = false;

	snprintf(x->cfg.sysfs_root, sizeof(x->cfg.sysfs_root), "%s/file", x->dir);
	assert_int_equal(tu_write(x->dir, "file", "not a directory\n"), 0);
	assert_int_not_equal(ev_job_begin_take(&x->cfg, &x->job, &x->js, &x->msgs), 0);
	assert_int_equal(x->msgs.n, 1);
	assert_int_equal(x->msgs.m[0].prio, LOG_ERR);
	assert_memory_equal(x->msgs.m[0].text, "job 42 on n1: ", 14);
	assert_int_equal(ev_running_check(x->cfg.state_dir, 42, &running, &x->err), 0);
	assert_true(running);
}

/* A state_dir that cannot be written: the marker and the start file are
 * said to have failed, in order, with the prolog's words. */
static void test_state_dir_unwritable(void **state)
{
	struct fx *x = *state;

	snprintf(x->cfg.state_dir, sizeof(x->cfg.state_dir), "%s/file", x->dir);
	assert_int_equal(tu_write(x->dir, "file", "not a directory\n"), 0);
	assert_int_equal(ev_job_begin_take(&x->cfg, &x->job, &x->js, &x->msgs), 0);
	assert_int_equal(x->msgs.n, 1);
	assert_int_equal(x->msgs.m[0].prio, LOG_WARNING);
	assert_memory_equal(x->msgs.m[0].text, "job 42 on n1: shared-node check: ", 33);
	assert_int_not_equal(ev_job_begin_keep(&x->cfg, &x->job, &x->js, &x->msgs), 0);
	assert_int_equal(x->msgs.n, 2);
	assert_int_equal(x->msgs.m[1].prio, LOG_ERR);
	assert_memory_equal(x->msgs.m[1].text, "job 42 on n1: ", 14);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_start_file, setup, teardown),
		cmocka_unit_test_setup_teardown(test_part_of_node, setup, teardown),
		cmocka_unit_test_setup_teardown(test_stale_copies_removed, setup, teardown),
		cmocka_unit_test_setup_teardown(test_user_copy, setup, teardown),
		cmocka_unit_test_setup_teardown(test_stale_not_ready_removed, setup, teardown),
		cmocka_unit_test_setup_teardown(test_no_sysfs, setup, teardown),
		cmocka_unit_test_setup_teardown(test_state_dir_unwritable, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
