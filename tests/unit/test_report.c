/* What `efa-verify report` says of a finished job's causes, human and
 * --json, with its Slurm calls faked: accounting holds the record, the node
 * records the nodes' results. */
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
#include <unistd.h>

#include "cli.h"
#include "ev_ctld.h"
#include "ev_dbd.h"
#include "ev_dbd_jobs.h"
#include "record/ev_record.h"
#include "report.h"

static struct ev_node_result fake_res[2];
/* What gather fails with (0: it does not): a user under node_comment: sealed. */
static int gather_rc;
static char fake_comment[EV_RECORD_MAX + 64];

int ev_dbd_open(struct ev_dbd **db, struct ev_err *err)
{
	(void)err;
	*db = (struct ev_dbd *)fake_comment;
	return 0;
}

void ev_dbd_close(struct ev_dbd **db)
{
	*db = NULL;
}

int ev_dbd_get_comment(struct ev_dbd *db, uint32_t jobid, char **out, bool *ended, struct ev_err *err)
{
	(void)db, (void)jobid, (void)err;
	*out = strdup(fake_comment);
	*ended = true;
	return 0;
}

/* The fleet's query: one job, from the fleet's record; the query kept. */
static struct ev_dbd_jobs_query fake_query;

int ev_dbd_jobs_each(struct ev_dbd *db, const struct ev_dbd_jobs_query *q, ev_dbd_job_fn fn, void *arg,
		     struct ev_dbd_jobs_stats *st, struct ev_err *err)
{
	const struct ev_dbd_job job = { .jobid = 7, .user = "alice", .account = "ml", .partition = "gpu",
					.nodes = "n[1-2]", .admin_comment = fake_comment, .end = q->since,
					.elapsed = 3600, .gpus = 8, .started = true };

	(void)db, (void)err;
	fake_query = *q;
	memset(st, 0, sizeof(*st));
	st->windows = 1;
	return fn(&job, arg);
}

int ev_ctld_gather(uint32_t jobid, struct ev_node_result **out, size_t *n, struct ev_err *err)
{
	(void)jobid;
	*out = NULL;
	*n = 0;
	if (gather_rc)
		return ev_errf(err, gather_rc, "node n1: MUNGE: Unauthorized credential for client UID=1000 GID=1000");
	*out = malloc(sizeof(fake_res));
	memcpy(*out, fake_res, sizeof(fake_res));
	*n = 2;
	return 0;
}

int ev_job_live_get(uint32_t jobid, struct ev_job_live *out, struct ev_err *err)
{
	(void)jobid, (void)err;
	memset(out, 0, sizeof(*out));
	return 0;
}

void ev_job_live_free(struct ev_job_live *j)
{
	(void)j;
}

int report_running(struct cli_ctx *ctx, uint32_t jobid, const struct ev_job_live *live, bool json,
		   unsigned timeout_s)
{
	(void)ctx, (void)jobid, (void)live, (void)json, (void)timeout_s;
	return 99;
}

int report_local(struct cli_ctx *ctx, uint32_t jobid, bool json)
{
	(void)ctx, (void)jobid, (void)json;
	return 99;
}

void cli_error(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

/* report's stdout for argv, and its exit status. */
static char *run_report_rc(int argc, char **argv, int want)
{
	static struct cli_ctx ctx;
	char path[] = "/tmp/test_report_XXXXXX", *text = calloc(1, 65536);
	int fd = mkstemp(path), saved = dup(STDOUT_FILENO);
	FILE *f;

	assert_true(fd >= 0 && saved >= 0);
	fflush(stdout);
	assert_int_equal(dup2(fd, STDOUT_FILENO), STDOUT_FILENO);
	assert_int_equal(cmd_report(&ctx, argc, argv), want);
	fflush(stdout);
	dup2(saved, STDOUT_FILENO);
	close(saved);
	close(fd);
	f = fopen(path, "r");
	assert_non_null(f);
	(void)!fread(text, 1, 65535, f);
	fclose(f);
	unlink(path);
	return text;
}

static char *run_report(int argc, char **argv)
{
	return run_report_rc(argc, argv, 0);
}

static int setup(void **state)
{
	char record[EV_RECORD_MAX];
	struct ev_err err;

	(void)state;
	for (int i = 0; i < 2; i++) {
		memset(&fake_res[i], 0, sizeof(fake_res[i]));
		snprintf(fake_res[i].node, sizeof(fake_res[i].node), "n%d", i + 1);
		fake_res[i].verdict = EV_V_TCP_FALLBACK;
		snprintf(fake_res[i].reason, sizeof(fake_res[i].reason), "tcp_bytes:9/efa_bytes:0");
		fake_res[i].tcp_bytes = 9;
		ev_causes_add(&fake_res[i].causes, EV_CAUSE_FI_PROVIDER, EV_CAUSE_CERTAIN, "tcp");
	}
	ev_causes_add(&fake_res[1].causes, EV_CAUSE_UNREACHABLE_PEERS, EV_CAUSE_LIKELY, "tx_pkts:9000/rx_pkts:3");
	assert_int_equal(ev_record_build(fake_res, 2, 2, record, sizeof(record), &err), 0);
	assert_int_equal(ev_record_merge("", record, fake_comment, sizeof(fake_comment), &err), 0);
	return 0;
}

/* The nodes ran steps in containers: n1 two images, n2 one of them. */
static int setup_containers(void **state)
{
	char record[EV_RECORD_MAX];
	struct ev_err err;

	setup(state);
	assert_int_equal(ev_containers_parse("nvcr.io%23nvidia/pytorch:24.01-py3(0+1+2+3+4+5+6+7+2_more);"
					     "ubuntu%20jammy(batch);+3_more", &fake_res[0].containers, &err), 0);
	assert_int_equal(ev_containers_parse("ubuntu%20jammy(0)", &fake_res[1].containers, &err), 0);
	assert_int_equal(ev_record_build(fake_res, 2, 2, record, sizeof(record), &err), 0);
	assert_int_equal(ev_record_merge("", record, fake_comment, sizeof(fake_comment), &err), 0);
	return 0;
}

static void test_containers_human(void **state)
{
	char *argv[] = { "report", "7", NULL };
	char *out = run_report(2, argv);

	(void)state;
	assert_non_null(strstr(out, "    fix: check the security group allows all traffic from itself (self-referencing "
				    "rule) and that the peers are up\n"
				    "  containers: nvcr.io#nvidia/pytorch:24.01-py3: steps 0,1,2,3,4,5,6,7 and 2 more\n"
				    "              ubuntu jammy: steps batch,0\n"
				    "              and 3 more images\n\n  NODE "));
	free(out);
}

static void test_containers_json(void **state)
{
	char *argv[] = { "report", "--json", "7", NULL };
	char *out = run_report(3, argv);

	(void)state;
	/* The job's, after its causes. */
	assert_non_null(strstr(out, "\"fix\":\"check the security group allows all traffic from itself "
				    "(self-referencing rule) and that the peers are up\"}],\"containers\":["
				    "{\"image\":\"nvcr.io#nvidia/pytorch:24.01-py3\",\"steps\":[\"0\",\"1\",\"2\",\"3\","
				    "\"4\",\"5\",\"6\",\"7\"],\"steps_unlisted\":2},{\"image\":\"ubuntu jammy\","
				    "\"steps\":[\"batch\",\"0\"],\"steps_unlisted\":0}],\"containers_unlisted\":3,"
				    "\"nodes\":["));
	/* Each node's own. */
	assert_non_null(strstr(out, "\"detail\":\"tx_pkts:9000/rx_pkts:3\"}],\"containers\":[{\"image\":"
				    "\"ubuntu jammy\",\"steps\":[\"0\"],\"steps_unlisted\":0}],"
				    "\"containers_unlisted\":0,"));
	free(out);
}

/* A job whose steps ran in none says nothing of them (--json: empty). */
static void test_no_containers(void **state)
{
	char *argv[] = { "report", "7", NULL }, *jargv[] = { "report", "--json", "7", NULL };
	char *out = run_report(2, argv);

	(void)state;
	assert_null(strstr(out, "container"));
	free(out);
	out = run_report(3, jargv);
	assert_non_null(strstr(out, "}],\"containers\":[],\"containers_unlisted\":0,\"nodes\":["));
	free(out);
}

static void test_human(void **state)
{
	char *argv[] = { "report", "7", NULL };
	char *out = run_report(2, argv);

	(void)state;
	assert_non_null(strstr(out, "\n  cause: n[1-2]: fi_provider (tcp)\n"
				    "    fix: unset FI_PROVIDER or set it to efa in the job script\n"
				    "  likely cause: n2: unreachable_peers (tx_pkts:9000/rx_pkts:3)\n"
				    "    fix: check the security group allows all traffic from itself (self-referencing "
				    "rule) and that the peers are up\n"));
	free(out);
}

static void test_json(void **state)
{
	char *argv[] = { "report", "--json", "7", NULL };
	char *out = run_report(3, argv);

	(void)state;
	assert_non_null(strstr(out, "\"not_ok_unlisted\":0,\"causes\":[{\"name\":\"fi_provider\",\"detail\":\"tcp\","
				    "\"nodes\":\"n[1-2]\",\"certainty\":\"certain\",\"evidence\":\"the step's "
				    "FI_PROVIDER excludes efa\",\"fix\":\"unset FI_PROVIDER or set it to efa in the job "
				    "script\"},{\"name\":\"unreachable_peers\",\"detail\":\"tx_pkts:9000/rx_pkts:3\","
				    "\"nodes\":\"n2\",\"certainty\":\"likely\","));
	/* Each node's own, as its result says them. */
	assert_non_null(strstr(out, "{\"node\":\"n2\",\"verdict\":\"tcp_fallback\",\"reason\":\"tcp_bytes:9/efa_bytes:0\","
				    "\"causes\":[{\"name\":\"fi_provider\",\"certainty\":\"certain\",\"detail\":\"tcp\"},"
				    "{\"name\":\"unreachable_peers\",\"certainty\":\"likely\","
				    "\"detail\":\"tx_pkts:9000/rx_pkts:3\"}],"));
	free(out);
}

/* One node of two counted on interfaces: the report says how many, human
 * and --json; a record from before iface_nodes says "some". */
static void test_iface_nodes(void **state)
{
	char *argv[] = { "report", "7", NULL }, *jargv[] = { "report", "--json", "7", NULL };
	char record[EV_RECORD_MAX], *out;
	struct ev_err err;

	(void)state;
	fake_res[0].tcp_source = EV_TCP_SRC_NFTABLES;
	fake_res[0].other_tcp_bytes = 1000;
	fake_res[1].tcp_source = EV_TCP_SRC_INTERFACE;
	assert_int_equal(ev_record_build(fake_res, 2, 2, record, sizeof(record), &err), 0);
	assert_int_equal(ev_record_merge("", record, fake_comment, sizeof(fake_comment), &err), 0);
	out = run_report(2, argv);
	assert_non_null(strstr(out, "\n  TCP counted on interfaces on 1 of 2 nodes (tcp_source=interface): all their "
				    "traffic, storage and Slurm's included; the other nodes' is the job's own\n"));
	free(out);
	out = run_report(3, jargv);
	assert_non_null(strstr(out, "\"other_tcp_bytes\":null,\"tcp_source\":\"interface\",\"efa_share\":0,"
				    "\"iface_nodes\":1,"));
	free(out);
	snprintf(fake_comment, sizeof(fake_comment), "{efa-verify: verdict=ok nodes=2/2 efa_bytes=1 tcp_bytes=0 "
		 "other_tcp_bytes=0 tcp_source=interface}");
	out = run_report(2, argv);
	assert_non_null(strstr(out, "\n  TCP counted on interfaces on some nodes (tcp_source=interface)"));
	free(out);
	out = run_report(3, jargv);
	assert_non_null(strstr(out, "\"iface_nodes\":null,"));
	free(out);
}

/* A user who may not open the nodes' sealed results still gets the
 * record, without the node table. */
static void test_sealed_results_left_out(void **state)
{
	char *argv[] = { "report", "7", NULL };
	char *out;

	(void)state;
	gather_rc = -EACCES;
	out = run_report(2, argv);
	gather_rc = 0;
	assert_non_null(strstr(out, "job 7: tcp_fallback, 2/2 nodes reported"));
	assert_non_null(strstr(out, "n[1-2]"));
	assert_null(strstr(out, "NODE "));
	free(out);
}

/* --since (or any of the fleet's options) makes report the fleet's; a job
 * id with it, or its options without --since, are usage errors. */
static void test_fleet_hook(void **state)
{
	char *argv[] = { "report", "--json", "--since", "2026-01-01", "--until", "2026-01-02T12:00:00", NULL };
	char *bad1[] = { "report", "--top", "5", "7", NULL };
	char *bad2[] = { "report", "--since=7d", "7", NULL };
	struct tm tm = { .tm_year = 126, .tm_mon = 0, .tm_mday = 1, .tm_isdst = -1 };
	char *out = run_report(6, argv);

	(void)state;
	assert_non_null(strstr(out, "\"jobs\":1,\"not_started\":0,\"judged\":1,\"verdicts\":{\"not_ready\":0,"
				    "\"tcp_fallback\":1,"));
	assert_int_equal(fake_query.since, mktime(&tm));
	assert_int_equal(fake_query.until, mktime(&tm) + 86400 + 12 * 3600);
	assert_null(fake_query.partition);
	assert_false(fake_query.by_uid);
	free(out);
	free(run_report_rc(4, bad1, 2));
	free(run_report_rc(3, bad2, 2));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_human, setup),
		cmocka_unit_test_setup(test_json, setup),
		cmocka_unit_test_setup(test_iface_nodes, setup),
		cmocka_unit_test_setup(test_sealed_results_left_out, setup),
		cmocka_unit_test_setup(test_fleet_hook, setup),
		cmocka_unit_test_setup(test_containers_human, setup_containers),
		cmocka_unit_test_setup(test_containers_json, setup_containers),
		cmocka_unit_test_setup(test_no_containers, setup),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
