/* The epilog's work on one node (lib/job/ev_job_end), after the prolog's
 * (ev_job_begin): over a simulated sysfs tree whose counters the tests
 * move, a boot id of the test's own and a fresh state_dir. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <syslog.h>
#include <unistd.h>

#include "config/ev_config.h"
#include "job/ev_job_begin.h"
#include "job/ev_job_end.h"
#include "state/ev_job_start.h"
#include "state/ev_findings.h"
#include "state/ev_notready.h"
#include "state/ev_running.h"
#include "state/ev_spool.h"
#include "testutil.h"

#define BOOT_A "0b1e5f8e-5c51-4a47-9d0e-7f2a1c3b4d5e"
#define BOOT_B "9a8b7c6d-1e2f-4a3b-8c9d-0e1f2a3b4c5d"

struct fx {
	char *dir;
	char root[1024], proc[1024];
	struct ev_config cfg;
	struct ev_job_facts job;
	struct ev_job_end st;
	struct ev_msgs msgs;
	struct ev_err err;
};

static int setup(void **state)
{
	struct fx *x = calloc(1, sizeof(*x));

	x->dir = tu_mkdtemp();
	snprintf(x->root, sizeof(x->root), "%s/sys", x->dir);
	snprintf(x->proc, sizeof(x->proc), "%s/proc", x->dir);
	if (ev_config_defaults(&x->cfg, &x->err) != 0 || tu_fixture(x->root, "--type", "p4d.24xlarge", NULL) != 0 ||
	    tu_write(x->dir, "proc/sys/kernel/random/boot_id", BOOT_A "\n") != 0)
		return -1;
	snprintf(x->cfg.sysfs_root, sizeof(x->cfg.sysfs_root), "%s", x->root);
	snprintf(x->cfg.state_dir, sizeof(x->cfg.state_dir), "%s/state", x->dir);
	snprintf(x->cfg.log_path, sizeof(x->cfg.log_path), "%s/jobs.jsonl", x->dir);
	x->job = (struct ev_job_facts){ .jobid = 42, .node = "n1", .job_nodes = 2, .first = "n0",
					.exclusive = "NODE", .proc_root = x->proc };
	*state = x;
	return 0;
}

static int teardown(void **state)
{
	struct fx *x = *state;

	ev_job_end_free(&x->st);
	ev_config_free(&x->cfg);
	tu_rm_rf(x->dir);
	free(x->dir);
	free(x);
	return 0;
}

/* The prolog of job jobid, its table's counts standing in for nftables'
 * when table is set (as the prolog does when it made the table). */
static void prolog(struct fx *x, uint32_t jobid, bool table)
{
	struct ev_job_facts job = x->job;
	struct ev_job_start js;
	struct ev_msgs msgs = { 0 };

	job.jobid = jobid;
	assert_int_equal(ev_job_begin_take(&x->cfg, &job, &js, &msgs), 0);
	if (table) {
		js.snap.tcp_source = EV_TCP_SRC_NFTABLES;
		memset(&js.snap.net, 0, sizeof(js.snap.net));
	}
	assert_int_equal(ev_job_begin_keep(&x->cfg, &job, &js, &msgs), 0);
	assert_int_equal(msgs.n, 0);
	ev_job_start_free(&js);
}

/* The epilog's three steps, as efa-verify-epilog calls them. */
static int epilog(struct fx *x, const struct ev_net_counts *net)
{
	ev_job_end_load(&x->cfg, &x->job, &x->st, &x->msgs);
	ev_job_end_measure(&x->cfg, &x->job, &x->st, x->st.read_table ? net : NULL, &x->msgs);
	return ev_job_end_finish(&x->cfg, &x->job, &x->st, &x->msgs);
}

static void traffic(struct fx *x)
{
	assert_int_equal(tu_fixture(x->root, "--add", "*:tx_bytes=4000000000", "--add", "*:rx_bytes=4000000000",
				    NULL), 0);
}

/* What the spool holds for job 42 on n1 ("" if nothing). */
static void spooled(struct fx *x, char *out, size_t cap)
{
	struct ev_spool_entry *e = NULL;
	size_t n = 0;

	out[0] = '\0';
	assert_int_equal(ev_spool_list(x->cfg.state_dir, &e, &n, NULL, &x->err), 0);
	for (size_t i = 0; i < n; i++)
		if (e[i].jobid == 42 && strcmp(e[i].node, "n1") == 0)
			snprintf(out, cap, "%s", e[i].line);
	free(e);
}

static void test_ok_job(void **state)
{
	struct fx *x = *state;
	struct ev_job_start back;
	char line[EV_SPOOL_LINE_MAX], log[8192] = "";
	FILE *f;

	prolog(x, 42, false);
	traffic(x);
	assert_int_equal(epilog(x, NULL), 0);
	assert_int_equal(x->msgs.n, 0);
	assert_false(x->st.read_table);
	assert_int_equal(x->st.verdict.verdict, EV_V_OK);
	assert_true(x->st.spooled);
	assert_string_equal(x->st.line, "job=42 node=n1 nodes=2 verdict=ok efa_bytes=32000000000 tcp_bytes=0 "
					"other_tcp_bytes=0 tcp_source=interface shared=0 nics=4/4 nic_min=8000000000 "
					"nic_max=8000000000");
	spooled(x, line, sizeof(line));
	assert_string_equal(line, x->st.line);
	/* The prolog's first node, for the caller's delivery. */
	assert_string_equal(x->st.first, "n0");
	/* The start file has served; the node's log has the line. */
	assert_int_equal(ev_job_start_load(x->cfg.state_dir, 42, &back, &x->err), -ENOENT);
	ev_job_start_free(&back);
	assert_non_null(f = fopen(x->cfg.log_path, "r"));
	assert_non_null(fgets(log, sizeof(log), f));
	fclose(f);
	assert_non_null(strstr(log, "\"verdict\":\"ok\""));
}

/* The prolog's count and first node stand over the epilog's, which
 * shrink as the job's nodes finish. */
static void test_prolog_count_stands(void **state)
{
	struct fx *x = *state;

	x->job.job_nodes = 4;
	prolog(x, 42, false);
	x->job.job_nodes = 0;
	x->job.first = "";
	ev_job_end_load(&x->cfg, &x->job, &x->st, &x->msgs);
	assert_int_equal(x->st.job_nodes, 4);
	assert_string_equal(x->st.first, "n0");
}

static void test_rebooted(void **state)
{
	struct fx *x = *state;
	struct ev_net_counts net = { 1, 2, 3, 4 };

	prolog(x, 42, true);
	assert_int_equal(tu_write(x->proc, "sys/kernel/random/boot_id", BOOT_B "\n"), 0);
	traffic(x);
	assert_int_equal(epilog(x, &net), 0);
	assert_true(x->st.rebooted);
	/* The reboot took the table with it: nothing to read. */
	assert_false(x->st.read_table);
	assert_int_equal(x->st.verdict.verdict, EV_V_UNKNOWN);
	assert_string_equal(x->st.verdict.reason, "node_rebooted");
	assert_string_equal(x->st.line, "job=42 node=n1 nodes=2 verdict=unknown efa_bytes=0 tcp_bytes=0 shared=0 "
					"reason=node_rebooted");
}

static void test_corrupt_start_file(void **state)
{
	struct fx *x = *state;

	prolog(x, 42, false);
	assert_int_equal(tu_write(x->cfg.state_dir, "jobs/42.start", "efa-verify start 2\ngarbage\n"), 0);
	assert_int_equal(epilog(x, NULL), 0);
	assert_int_equal(x->msgs.n, 1);
	assert_int_equal(x->msgs.m[0].prio, LOG_ERR);
	assert_memory_equal(x->msgs.m[0].text, "job 42 on n1: ", 14);
	assert_int_equal(x->st.verdict.verdict, EV_V_UNKNOWN);
	assert_string_equal(x->st.verdict.reason, "start_snapshot_corrupt");
	/* The facts' count stands in for the prolog's. */
	assert_int_equal(x->st.result.job_nodes, 2);
	assert_true(x->st.spooled);
}

static void test_no_start_file(void **state)
{
	struct fx *x = *state;

	assert_int_equal(epilog(x, NULL), 0);
	assert_int_equal(x->msgs.n, 0);
	assert_false(x->st.have_start);
	assert_int_equal(x->st.verdict.verdict, EV_V_UNKNOWN);
	assert_string_equal(x->st.verdict.reason, "no_start_snapshot");
	assert_string_equal(x->st.line, "job=42 node=n1 nodes=2 verdict=unknown efa_bytes=0 tcp_bytes=0 shared=0 "
					"reason=no_start_snapshot");
}

static void test_not_ready(void **state)
{
	struct fx *x = *state;

	prolog(x, 42, false);
	assert_int_equal(ev_notready_mark(x->cfg.state_dir, 42, "no_efa_device", &x->err), 0);
	traffic(x);
	assert_int_equal(epilog(x, NULL), 0);
	assert_int_equal(x->st.verdict.verdict, EV_V_NOT_READY);
	assert_non_null(strstr(x->st.verdict.reason, "no_efa_device"));
	assert_non_null(strstr(x->st.line, " verdict=not_ready "));
	/* Named by its check, once: the words are the verdict's reason. */
	assert_non_null(strstr(x->st.line, " cause=not_ready(no_efa_device)"));
	/* Taken: a second epilog of the id would not see it. */
	assert_int_equal(ev_notready_take(x->cfg.state_dir, 42, NULL, 0, &x->err), 0);
}

/* The steps' findings name the causes of a node that is not ok, with
 * what made it not ready; the findings are taken either way. */
static void test_findings_named(void **state)
{
	struct fx *x = *state;

	prolog(x, 42, false);
	assert_int_equal(ev_notready_mark(x->cfg.state_dir, 42, "placement: n1 in use1-az1, n2 in use1-az2", &x->err),
			 0);
	assert_int_equal(ev_findings_add(x->cfg.state_dir, 42, "fi_provider(tcp)", &x->err), 0);
	assert_int_equal(ev_findings_add(x->cfg.state_dir, 42, "garbage(", &x->err), 0);
	traffic(x);
	assert_int_equal(epilog(x, NULL), 0);
	assert_int_equal(x->st.verdict.verdict, EV_V_NOT_READY);
	assert_non_null(strstr(x->st.line, " cause=fi_provider(tcp)+placement"));
	assert_int_equal(x->st.causes.n, 2);
	assert_int_equal(x->st.causes.c[1].name, EV_CAUSE_PLACEMENT);
	assert_string_equal(x->st.causes.c[1].detail, "");
	assert_int_equal(ev_findings_take(x->cfg.state_dir, 42, NULL, 0, &x->err), 0);
}

/* A node that is ok names nothing, whatever a step said. */
static void test_ok_names_nothing(void **state)
{
	struct fx *x = *state;

	prolog(x, 42, false);
	assert_int_equal(ev_findings_add(x->cfg.state_dir, 42, "fi_provider(tcp)", &x->err), 0);
	traffic(x);
	assert_int_equal(epilog(x, NULL), 0);
	assert_true(x->st.verdict.verdict == EV_V_OK || x->st.verdict.verdict == EV_V_NO_TRAFFIC);
	assert_null(strstr(x->st.line, "cause="));
	assert_int_equal(x->st.causes.n, 0);
	assert_int_equal(ev_findings_take(x->cfg.state_dir, 42, NULL, 0, &x->err), 0);
}

/* A step's container line, as slurmstepd's side of the plugin leaves it. */
static void container_step(struct fx *x, const char *step, const char *image)
{
	char line[EV_CONTAINERS_FINDING_MAX];

	assert_int_equal(ev_containers_finding(step, image, line, sizeof(line)), 0);
	assert_int_equal(ev_findings_add_within(x->cfg.state_dir, 42, line, EV_CONTAINERS_FINDINGS_ROOM, &x->err), 0);
}

/* Which steps ran in a container is said whatever the verdict: an ok
 * node too, in its result line and its log line; they are no causes. */
static void test_containers_ok(void **state)
{
	struct fx *x = *state;
	char log[8192] = "";
	FILE *f;

	prolog(x, 42, false);
	container_step(x, "1", "nvcr.io#nvidia/pytorch:24.01-py3");
	container_step(x, "0", "nvcr.io#nvidia/pytorch:24.01-py3");
	container_step(x, "0", "nvcr.io#nvidia/pytorch:24.01-py3");
	container_step(x, "batch", "/fsx/ubuntu.sqsh");
	assert_int_equal(ev_findings_add(x->cfg.state_dir, 42, "fi_provider(tcp)", &x->err), 0);
	traffic(x);
	assert_int_equal(epilog(x, NULL), 0);
	assert_int_equal(x->msgs.n, 0);
	assert_int_equal(x->st.verdict.verdict, EV_V_OK);
	assert_int_equal(x->st.causes.n, 0);
	assert_string_equal(x->st.line, "job=42 node=n1 nodes=2 verdict=ok efa_bytes=32000000000 tcp_bytes=0 "
					"other_tcp_bytes=0 tcp_source=interface shared=0 nics=4/4 nic_min=8000000000 "
					"nic_max=8000000000 containers=/fsx/ubuntu.sqsh(batch);"
					"nvcr.io%23nvidia/pytorch:24.01-py3(0+1)");
	assert_int_equal(ev_containers_cmp(&x->st.result.containers, &x->st.containers), 0);
	assert_non_null(f = fopen(x->cfg.log_path, "r"));
	assert_non_null(fgets(log, sizeof(log), f));
	fclose(f);
	assert_non_null(strstr(log, "\"containers\":[{\"image\":\"/fsx/ubuntu.sqsh\",\"steps\":[\"batch\"],"
				    "\"steps_unlisted\":0},{\"image\":\"nvcr.io#nvidia/pytorch:24.01-py3\","
				    "\"steps\":[\"0\",\"1\"],\"steps_unlisted\":0}],\"containers_unlisted\":0,"));
	assert_int_equal(ev_findings_take(x->cfg.state_dir, 42, NULL, 0, &x->err), 0);
}

/* Beside causes: each where it belongs, and a broken container line is
 * said and left out, not read as causes. */
static void test_containers_and_causes(void **state)
{
	struct fx *x = *state;

	prolog(x, 42, false);
	assert_int_equal(ev_notready_mark(x->cfg.state_dir, 42, "no_efa_device", &x->err), 0);
	container_step(x, "0", "ubuntu");
	assert_int_equal(ev_findings_add(x->cfg.state_dir, 42, "fi_provider(tcp)", &x->err), 0);
	assert_int_equal(ev_findings_add(x->cfg.state_dir, 42, "container 0 bad label", &x->err), 0);
	traffic(x);
	assert_int_equal(epilog(x, NULL), 0);
	assert_int_equal(x->st.verdict.verdict, EV_V_NOT_READY);
	assert_non_null(strstr(x->st.line, " cause=fi_provider(tcp)+not_ready(no_efa_device) containers=ubuntu(0)"));
	assert_int_equal(x->msgs.n, 1);
	assert_int_equal(x->msgs.m[0].prio, LOG_WARNING);
	assert_non_null(strstr(x->msgs.m[0].text, "container finding"));
}

/* A job of thousands of container steps fills the findings no further
 * than its share: a later step's causes are still written and named. */
static void test_many_container_steps(void **state)
{
	struct fx *x = *state;

	prolog(x, 42, false);
	/* Lines of one length, that would fill the file to its last bytes. */
	for (unsigned i = 1000; i < 4000; i++) {
		char step[16];

		snprintf(step, sizeof(step), "%u", i);
		container_step(x, step, i % 2 ? "debian" : "ubuntu");
	}
	assert_int_equal(ev_findings_add(x->cfg.state_dir, 42, "fi_provider(tcp)+nccl_net(Socket)+memlock(65536)",
					 &x->err), 0);
	assert_int_equal(ev_notready_mark(x->cfg.state_dir, 42, "no_efa_device", &x->err), 0);
	traffic(x);
	assert_int_equal(epilog(x, NULL), 0);
	assert_int_equal(x->msgs.n, 0);
	assert_non_null(strstr(x->st.line, " cause=fi_provider(tcp)+nccl_net(Socket)+memlock(65536)+not_ready(no_efa_device)"
					   " containers=debian(1001+1003+1005+1007+1009+1011+1013+1015+"));
	assert_non_null(strstr(x->st.line, "_more);ubuntu(1000+1002+1004+1006+1008+1010+1012+1014+"));
}

/* Another job on the node during ours. */
static void test_shared(void **state)
{
	struct fx *x = *state;
	bool running = true;

	prolog(x, 42, false);
	prolog(x, 43, false);
	traffic(x);
	assert_int_equal(epilog(x, NULL), 0);
	assert_true(x->st.shared);
	assert_true(x->st.result.shared);
	assert_non_null(strstr(x->st.line, " shared=1"));
	assert_int_equal(ev_running_check(x->cfg.state_dir, 42, &running, &x->err), 0);
	assert_false(running);
}

/* A counter lower at the end than at the start was reset: unknown, never
 * a wrapped huge number. */
static void test_counters_reset(void **state)
{
	struct fx *x = *state;

	assert_int_equal(tu_fixture(x->root, "--set", "rdmap16s0:tx_bytes=5000", NULL), 0);
	prolog(x, 42, false);
	traffic(x);
	assert_int_equal(tu_fixture(x->root, "--set", "rdmap16s0:tx_bytes=10", NULL), 0);
	assert_int_equal(epilog(x, NULL), 0);
	assert_int_equal(x->st.verdict.verdict, EV_V_UNKNOWN);
	assert_string_equal(x->st.verdict.reason, "counter_reset:tx_bytes@rdmap16s0");
	assert_int_equal(x->st.delta.n_reset, 1);
}

/* The job's nftables table: what the caller read is the job's TCP. */
static void test_table_counts(void **state)
{
	struct fx *x = *state;
	struct ev_net_counts net = { .peer_tx = 300, .peer_rx = 200, .all_tx = 1300, .all_rx = 1200 };

	prolog(x, 42, true);
	traffic(x);
	assert_int_equal(epilog(x, &net), 0);
	assert_true(x->st.read_table);
	assert_int_equal(x->st.delta.tcp_source, EV_TCP_SRC_NFTABLES);
	assert_int_equal(x->st.result.tcp_bytes, 500);
	assert_non_null(strstr(x->st.line, " tcp_bytes=500 other_tcp_bytes=2000 tcp_source=nftables "));
}

/* The outputs that fail are said with the epilog's words; the result is
 * spooled all the same. */
static void test_output_errors_said(void **state)
{
	struct fx *x = *state;

	snprintf(x->cfg.log_path, sizeof(x->cfg.log_path), "%s", x->dir);
	prolog(x, 42, false);
	assert_int_equal(epilog(x, NULL), 0);
	assert_int_equal(x->msgs.n, 1);
	assert_int_equal(x->msgs.m[0].prio, LOG_ERR);
	assert_memory_equal(x->msgs.m[0].text, "job 42 on n1: log: ", 19);
	assert_true(x->st.spooled);
}

/* What a killed epilog left goes with the next one: its temporaries in
 * state_dir and the Prometheus directory, and its job's user's copy. */
static void test_leftovers_swept(void **state)
{
	struct fx *x = *state;
	char prom[1024], path[2048];
	struct dirent *de;
	DIR *d;

	snprintf(prom, sizeof(prom), "%s/prom", x->dir);
	snprintf(x->cfg.prometheus_textfile_dir, sizeof(x->cfg.prometheus_textfile_dir), "%s", prom);
	x->job.have_uid = true;
	x->job.uid = geteuid() == 0 ? (uint32_t)tu_unprivileged_uid() : (uint32_t)geteuid();
	assert_int_equal(chmod(x->dir, 0711), 0);
	prolog(x, 41, false);
	prolog(x, 42, false);
	/* 41's epilog was killed after its marker went, before the rest. */
	assert_int_equal(ev_running_end(x->cfg.state_dir, 41, NULL, &(bool){ false }, &x->err), 0);
	assert_int_equal(tu_write_aged(x->cfg.state_dir, "spool/41.n1.rec.tmp.999", "half", 120), 0);
	assert_int_equal(tu_write_aged(x->dir, "prom/efa_verify_job_41_n1.prom.tmp.999", "half", 120), 0);
	assert_int_equal(epilog(x, NULL), 0);
	assert_int_equal(x->msgs.n, 1);
	assert_int_equal(x->msgs.m[0].prio, LOG_INFO);
	assert_string_equal(x->msgs.m[0].text, "job 42 on n1: removed 3 file(s) left by killed prologs and epilogs "
					       "or of jobs no longer running");
	snprintf(path, sizeof(path), "%s/view/%u", x->cfg.state_dir, (unsigned)x->job.uid);
	assert_non_null(d = opendir(path));
	while ((de = readdir(d)))
		assert_true(de->d_name[0] == '.');
	closedir(d);
	snprintf(path, sizeof(path), "%s/spool/41.n1.rec.tmp.999", x->cfg.state_dir);
	assert_int_equal(access(path, F_OK), -1);
	snprintf(path, sizeof(path), "%s/efa_verify_job_41_n1.prom.tmp.999", prom);
	assert_int_equal(access(path, F_OK), -1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_ok_job, setup, teardown),
		cmocka_unit_test_setup_teardown(test_prolog_count_stands, setup, teardown),
		cmocka_unit_test_setup_teardown(test_rebooted, setup, teardown),
		cmocka_unit_test_setup_teardown(test_corrupt_start_file, setup, teardown),
		cmocka_unit_test_setup_teardown(test_no_start_file, setup, teardown),
		cmocka_unit_test_setup_teardown(test_not_ready, setup, teardown),
		cmocka_unit_test_setup_teardown(test_findings_named, setup, teardown),
		cmocka_unit_test_setup_teardown(test_ok_names_nothing, setup, teardown),
		cmocka_unit_test_setup_teardown(test_containers_ok, setup, teardown),
		cmocka_unit_test_setup_teardown(test_containers_and_causes, setup, teardown),
		cmocka_unit_test_setup_teardown(test_many_container_steps, setup, teardown),
		cmocka_unit_test_setup_teardown(test_shared, setup, teardown),
		cmocka_unit_test_setup_teardown(test_counters_reset, setup, teardown),
		cmocka_unit_test_setup_teardown(test_table_counts, setup, teardown),
		cmocka_unit_test_setup_teardown(test_leftovers_swept, setup, teardown),
		cmocka_unit_test_setup_teardown(test_output_errors_said, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
