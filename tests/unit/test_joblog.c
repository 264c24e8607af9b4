/* What each node leaves per job besides the record: the JSON log line and
 * the Prometheus textfile, and how they refuse what is not theirs. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "node/ev_delta.h"
#include "util/ev_file.h"
#include "record/ev_joblog.h"
#include "record/ev_prom.h"
#include "judge/ev_verdict.h"
#include "testutil.h"

struct fx {
	char *dir;
	struct ev_dev_delta devs[2];
	struct ev_node_delta d;
	struct ev_node_verdict v;
	struct ev_joblog_entry e;
	struct ev_err err;
};

static int setup(void **state)
{
	struct fx *x = calloc(1, sizeof(*x));

	x->dir = tu_mkdtemp();
	snprintf(x->devs[0].dev, sizeof(x->devs[0].dev), "rdmap16s0");
	x->devs[0].bytes = 3000;
	x->devs[0].tx_bytes = 1000;
	x->devs[0].rx_bytes = 2000;
	x->devs[0].errors = 7;
	snprintf(x->devs[0].top_error, sizeof(x->devs[0].top_error), "rx_drops");
	x->devs[0].error_known[0] = x->devs[0].error_known[1] = x->devs[0].error_known[6] = true;
	x->devs[0].error_growth[0] = 5;     /* rx_drops */
	x->devs[0].error_growth[6] = 2;     /* rdma_write_wr_err; retrans_pkts known, 0 */
	snprintf(x->devs[1].dev, sizeof(x->devs[1].dev), "rdmap17s0");
	x->devs[1].state = EV_DEV_RESET;
	x->d.devs = x->devs;
	x->d.n = 2;
	x->d.efa_bytes = 3000;
	x->d.tcp_bytes = 42;
	x->d.tcp_source = EV_TCP_SRC_INTERFACE;
	x->d.errors = 7;
	x->d.duration_ns = 61234000000ull;
	x->v.verdict = EV_V_DEGRADED;
	snprintf(x->v.reason, sizeof(x->v.reason), "rx_drops+7@rdmap16s0");
	x->e.time = 1795600000;
	x->e.jobid = 42;
	x->e.node = "n1";
	x->e.job_nodes = 4;
	x->e.verdict = &x->v;
	x->e.delta = &x->d;
	*state = x;
	return 0;
}

static int teardown(void **state)
{
	struct fx *x = *state;

	tu_rm_rf(x->dir);
	free(x->dir);
	free(x);
	return 0;
}

static size_t count(const char *hay, const char *needle)
{
	size_t n = 0;

	for (const char *p = hay; (p = strstr(p, needle)); p += strlen(needle))
		n++;
	return n;
}

static void test_json_line(void **state)
{
	struct fx *x = *state;
	size_t len = 0;
	char *s = ev_joblog_format(&x->e, &len);

	assert_non_null(s);
	assert_int_equal(strlen(s), len);
	assert_null(strchr(s, '\n'));
	assert_true(strncmp(s, "{\"time\":1795600000,\"job\":42,\"node\":\"n1\",\"job_nodes\":4,"
			       "\"verdict\":\"degraded\",\"reason\":\"rx_drops+7@rdmap16s0\",\"causes\":[],"
			       "\"containers\":[],\"containers_unlisted\":0,\"shared\":false,",
			    strlen("{\"time\":1795600000,\"job\":42,\"node\":\"n1\",\"job_nodes\":4,"
				   "\"verdict\":\"degraded\",\"reason\":\"rx_drops+7@rdmap16s0\",\"causes\":[],"
				   "\"containers\":[],\"containers_unlisted\":0,\"shared\":false,")) == 0);
	assert_non_null(strstr(s, "\"efa_bytes\":3000,"));
	assert_non_null(strstr(s, "\"tcp_bytes\":42,"));
	/* Interfaces (a delta's default): the rest is not known. */
	assert_non_null(strstr(s, "\"other_tcp_bytes\":null,\"tcp_source\":\"interface\","));
	assert_non_null(strstr(s, "\"duration_ms\":61234,"));
	assert_non_null(strstr(s, "{\"name\":\"rdmap16s0\",\"state\":\"ok\",\"bytes\":3000,\"tx_bytes\":1000,"
				  "\"rx_bytes\":2000,\"errors\":7,\"top_error\":\"rx_drops\","
				  "\"error_counts\":{\"rx_drops\":5,\"rdma_write_wr_err\":2}}"));
	assert_non_null(strstr(s, "{\"name\":\"rdmap17s0\",\"state\":\"reset\","));
	assert_non_null(strstr(s, "\"top_error\":null,\"error_counts\":{}}]}"));
	free(s);
	x->d.tcp_source = EV_TCP_SRC_NFTABLES;
	x->d.tcp_tx_bytes = 40;
	x->d.tcp_rx_bytes = 2;
	x->d.other_tcp_bytes = 1234;
	s = ev_joblog_format(&x->e, &len);
	assert_non_null(strstr(s, "\"tcp_bytes\":42,\"tcp_tx_bytes\":40,\"tcp_rx_bytes\":2,\"other_tcp_bytes\":1234,"
				  "\"tcp_source\":\"nftables\","));
	free(s);

	/* No start snapshot: no numbers at all, and an empty reason is null. */
	x->e.delta = NULL;
	x->v.reason[0] = '\0';
	s = ev_joblog_format(&x->e, &len);
	assert_non_null(s);
	assert_null(strstr(s, "efa_bytes"));
	assert_null(strstr(s, "devices"));
	assert_non_null(strstr(s, "\"reason\":null,"));
	assert_int_equal(s[len - 1], '}');
	free(s);
}

/* The causes a node names, in its order: in the log line, and one series
 * each in the textfile (none without). */
static void test_causes(void **state)
{
	struct fx *x = *state;
	struct ev_causes cs;
	size_t len = 0;
	char *s;

	memset(&cs, 0, sizeof(cs));
	ev_causes_add(&cs, EV_CAUSE_UNREACHABLE_PEERS, EV_CAUSE_LIKELY, "tx_pkts:9000/rx_pkts:3");
	ev_causes_add(&cs, EV_CAUSE_NOT_READY, EV_CAUSE_CERTAIN, NULL);
	x->e.causes = &cs;
	s = ev_joblog_format(&x->e, &len);
	assert_non_null(strstr(s, "\"reason\":\"rx_drops+7@rdmap16s0\",\"causes\":["
				  "{\"name\":\"not_ready\",\"certainty\":\"certain\",\"detail\":null},"
				  "{\"name\":\"unreachable_peers\",\"certainty\":\"likely\","
				  "\"detail\":\"tx_pkts:9000/rx_pkts:3\"}],\"containers\":[],"));
	free(s);
	s = ev_prom_format(&x->e, &len);
	assert_int_equal(count(s, "# HELP "), count(s, "# TYPE "));
	assert_int_equal(count(s, "# TYPE efa_verify_job_cause_info gauge\n"), 1);
	assert_non_null(strstr(s, "\nefa_verify_job_cause_info{jobid=\"42\",node=\"n1\",cause=\"not_ready\","
				  "certainty=\"certain\"} 1\nefa_verify_job_cause_info{jobid=\"42\",node=\"n1\","
				  "cause=\"unreachable_peers\",certainty=\"likely\"} 1\n"));
	free(s);
	cs.n = 0;
	s = ev_prom_format(&x->e, &len);
	assert_null(strstr(s, "efa_verify_job_cause"));
	free(s);
	x->e.causes = NULL;
	s = ev_joblog_format(&x->e, &len);
	assert_non_null(strstr(s, "\"causes\":[],"));
	free(s);
}

/* Which steps ran in a container, the image as the step named it (JSON
 * escapes it); the textfile has no series for them. */
static void test_containers(void **state)
{
	struct fx *x = *state;
	struct ev_containers cs;
	struct ev_err err = { "" };
	size_t len = 0;
	char *s;

	assert_int_equal(ev_containers_parse("a%22b%5Cc(0+1+3_more);ubuntu(batch);+3_more", &cs, &err), 0);
	x->e.containers = &cs;
	s = ev_joblog_format(&x->e, &len);
	assert_non_null(strstr(s, "\"causes\":[],\"containers\":[{\"image\":\"a\\\"b\\\\c\",\"steps\":[\"0\",\"1\"],"
				  "\"steps_unlisted\":3},{\"image\":\"ubuntu\",\"steps\":[\"batch\"],\"steps_unlisted\":0}],"
				  "\"containers_unlisted\":3,\"shared\":false,"));
	free(s);
	s = ev_prom_format(&x->e, &len);
	assert_null(strstr(s, "container"));
	free(s);
}

/* Whole lines, one write each, in a file of root's own making. */
static void test_append(void **state)
{
	struct fx *x = *state;
	char path[2048], target[2048], buf[256];
	struct stat st;
	long n;

	snprintf(path, sizeof(path), "%s/a/b/jobs.jsonl", x->dir);
	assert_int_equal(ev_joblog_append(path, "{\"one\":1}", 9, &x->err), 0);
	assert_int_equal(ev_joblog_write(path, &x->e, &x->err), 0);
	n = ev_file_read_at(AT_FDCWD, path, buf, sizeof(buf), false, &x->err);
	assert_true(n > 0);
	assert_true(strncmp(buf, "{\"one\":1}\n{\"time\":", 18) == 0);
	assert_int_equal(count(buf, "\n"), 1);     /* the last newline is stripped by the reader */
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0640);
	assert_int_equal(st.st_nlink, 1);
	snprintf(target, sizeof(target), "%s/a/b", x->dir);
	assert_int_equal(stat(target, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0750);

	assert_int_equal(ev_joblog_append(path, "two\nlines", 9, &x->err), -EINVAL);
	assert_non_null(strstr(x->err.msg, "newline"));
	assert_int_equal(ev_joblog_append("", "x", 1, &x->err), -EINVAL);
	snprintf(path, sizeof(path), "%s/a/b/", x->dir);
	assert_int_equal(ev_joblog_append(path, "x", 1, &x->err), -EINVAL);
	/* A directory at the log path is no log either. */
	snprintf(path, sizeof(path), "%s/dir.jsonl", x->dir);
	assert_int_equal(mkdir(path, 0700), 0);
	assert_true(ev_joblog_append(path, "x", 1, &x->err) < 0);
}

/* size of path, or -1 */
static long size_of(const char *path)
{
	struct stat st;

	return lstat(path, &st) == 0 ? (long)st.st_size : -1;
}

/* A symlink at the log path, or in place of its directory: not followed,
 * the target untouched. */
static void test_append_refuses_symlink(void **state)
{
	struct fx *x = *state;
	char path[2048], target[2048], link[2048];

	assert_int_equal(tu_write(x->dir, "precious", "keep"), 0);
	snprintf(target, sizeof(target), "%s/precious", x->dir);
	snprintf(path, sizeof(path), "%s/link.jsonl", x->dir);
	assert_int_equal(symlink(target, path), 0);
	assert_int_equal(ev_joblog_append(path, "x", 1, &x->err), -ELOOP);
	assert_non_null(strstr(x->err.msg, "symbolic link"));
	assert_int_equal(size_of(target), 4);

	snprintf(target, sizeof(target), "%s/realdir", x->dir);
	assert_int_equal(mkdir(target, 0700), 0);
	snprintf(link, sizeof(link), "%s/linkdir", x->dir);
	assert_int_equal(symlink(target, link), 0);
	snprintf(path, sizeof(path), "%s/jobs.jsonl", link);
	assert_int_equal(ev_joblog_append(path, "x", 1, &x->err), -ELOOP);
	snprintf(path, sizeof(path), "%s/jobs.jsonl", target);
	assert_int_equal(size_of(path), -1);
}

/* A second name on the log file: whatever it is (a hard link planted to a
 * file elsewhere, or our log linked to elsewhere), nothing is appended. */
static void test_append_refuses_hard_link(void **state)
{
	struct fx *x = *state;
	char path[2048], other[2048];
	struct stat st;

	snprintf(path, sizeof(path), "%s/jobs.jsonl", x->dir);
	assert_int_equal(tu_write(x->dir, "shadow", "root:x:0:\n"), 0);
	snprintf(other, sizeof(other), "%s/shadow", x->dir);
	assert_int_equal(link(other, path), 0);
	assert_int_equal(ev_joblog_append(path, "x", 1, &x->err), -EPERM);
	assert_non_null(strstr(x->err.msg, "has 2 links, not 1"));
	assert_int_equal(size_of(other), 10);

	/* Our own log, once it has a second name, likewise; with one again,
	 * appended to. */
	assert_int_equal(unlink(other), 0);
	assert_int_equal(ev_joblog_append(path, "x", 1, &x->err), 0);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_size, 10 + 2);
	snprintf(other, sizeof(other), "%s/copy", x->dir);
	assert_int_equal(link(path, other), 0);
	assert_int_equal(ev_joblog_append(path, "y", 1, &x->err), -EPERM);
	assert_int_equal(size_of(path), 12);
}

/* A FIFO at the log path: refused without blocking, with or without a
 * reader at the other end, and the reader gets nothing. */
static void test_append_refuses_fifo(void **state)
{
	struct fx *x = *state;
	char path[2048], c;
	int rfd;

	snprintf(path, sizeof(path), "%s/fifo.jsonl", x->dir);
	assert_int_equal(mkfifo(path, 0600), 0);
	assert_int_equal(ev_joblog_append(path, "x", 1, &x->err), -ENXIO);
	rfd = open(path, O_RDONLY | O_NONBLOCK);
	assert_true(rfd >= 0);
	assert_int_equal(ev_joblog_append(path, "x", 1, &x->err), -EPERM);
	assert_non_null(strstr(x->err.msg, "not a regular file"));
	assert_true(read(rfd, &c, 1) <= 0);
	close(rfd);
}

/* Owned by another user: the log file, or the directory it is in. Only
 * root can give a file away (chown), so only a root run can show it; CI
 * runs as root, and elsewhere it says SKIP. */
static void test_append_refuses_other_owner(void **state)
{
	struct fx *x = *state;
	uid_t other = tu_unprivileged_uid();
	char path[2048], dir[2048];
	struct stat st;

	if (geteuid() != 0)
		tu_skip("needs root: only root can give a file to another user (chown)");
	snprintf(path, sizeof(path), "%s/jobs.jsonl", x->dir);
	assert_int_equal(ev_joblog_append(path, "x", 1, &x->err), 0);
	assert_int_equal(chown(path, other, (gid_t)-1), 0);
	assert_int_equal(ev_joblog_append(path, "y", 1, &x->err), -EPERM);
	assert_non_null(strstr(x->err.msg, "owned by uid"));
	assert_int_equal(size_of(path), 2);
	/* Given back, it is the log again (so the refusal was the owner's). */
	assert_int_equal(chown(path, 0, (gid_t)-1), 0);
	assert_int_equal(ev_joblog_append(path, "y", 1, &x->err), 0);

	/* A directory of another user's: whatever is in it is theirs to swap. */
	snprintf(dir, sizeof(dir), "%s/theirs", x->dir);
	assert_int_equal(mkdir(dir, 0755), 0);
	assert_int_equal(chown(dir, other, (gid_t)-1), 0);
	snprintf(path, sizeof(path), "%s/jobs.jsonl", dir);
	assert_int_equal(ev_joblog_append(path, "x", 1, &x->err), -EPERM);
	assert_non_null(strstr(x->err.msg, "owned by uid"));
	assert_int_equal(stat(path, &st), -1);
}

/* A directory anyone may write: refused unless sticky (/tmp). */
static void test_append_refuses_open_dir(void **state)
{
	struct fx *x = *state;
	char path[2048], dir[2048];

	snprintf(dir, sizeof(dir), "%s/open", x->dir);
	assert_int_equal(mkdir(dir, 0700), 0);
	assert_int_equal(chmod(dir, 0777), 0);
	snprintf(path, sizeof(path), "%s/jobs.jsonl", dir);
	assert_int_equal(ev_joblog_append(path, "x", 1, &x->err), -EPERM);
	assert_non_null(strstr(x->err.msg, "writable by anyone"));
	assert_int_equal(size_of(path), -1);
	assert_int_equal(chmod(dir, 01777), 0);
	assert_int_equal(ev_joblog_append(path, "x", 1, &x->err), 0);
	assert_int_equal(chmod(dir, 0775), 0);
	assert_int_equal(ev_joblog_append(path, "x", 1, &x->err), 0);
}

static void test_prom_text(void **state)
{
	struct fx *x = *state;
	size_t len = 0;
	char *s, *a, out[8];

	x->e.user = "alice";
	x->e.account = "physics";
	x->e.partition = "gpu";
	s = ev_prom_format(&x->e, &len);
	assert_non_null(s);
	assert_int_equal(strlen(s), len);
	assert_int_equal(s[len - 1], '\n');
	/* Every family has its HELP and TYPE, once. */
	assert_int_equal(count(s, "# HELP "), count(s, "# TYPE "));
	assert_int_equal(count(s, "# TYPE efa_verify_job_verdict gauge\n"), 1);
	/* Who ran the job on the info series alone; the Slurm job id is
	 * jobid on every series, never Prometheus's own job. */
	assert_non_null(strstr(s, "\nefa_verify_job_info{jobid=\"42\",node=\"n1\",user=\"alice\",account=\"physics\","
				  "partition=\"gpu\"} 1\n"));
	assert_int_equal(count(s, "user="), 1);
	assert_null(strstr(s, "{job="));
	/* The reason's name, never its numbers or device. */
	assert_non_null(strstr(s, "\nefa_verify_job_verdict_info{jobid=\"42\",node=\"n1\",verdict=\"degraded\","
				  "reason=\"rx_drops\"} 1\n"));
	assert_null(strstr(s, "rx_drops+7"));
	/* One-hot verdict: one 1, the other five 0. */
	assert_int_equal(count(s, "efa_verify_job_verdict{"), 6);
	assert_non_null(strstr(s, "efa_verify_job_verdict{jobid=\"42\",node=\"n1\",verdict=\"degraded\"} 1\n"));
	for (int i = EV_V_NO_TRAFFIC; i <= EV_V_NOT_READY; i++) {
		char line[128];

		snprintf(line, sizeof(line), "efa_verify_job_verdict{jobid=\"42\",node=\"n1\",verdict=\"%s\"} %d\n",
			 ev_verdict_name(i), i == EV_V_DEGRADED);
		assert_non_null(strstr(s, line));
	}
	/* Bytes that moved are counters, in base units. */
	assert_non_null(strstr(s, "# TYPE efa_verify_job_efa_bytes_total counter\n"
				  "efa_verify_job_efa_bytes_total{jobid=\"42\",node=\"n1\"} 3000\n"));
	assert_non_null(strstr(s, "# TYPE efa_verify_job_tcp_bytes_total counter\n"
				  "efa_verify_job_tcp_bytes_total{jobid=\"42\",node=\"n1\"} 42\n"));
	assert_non_null(strstr(s, "# TYPE efa_verify_job_error_events_total counter\n"
				  "efa_verify_job_error_events_total{jobid=\"42\",node=\"n1\"} 7\n"));
	assert_int_equal(count(s, " counter\n"), 6);
	assert_non_null(strstr(s, "efa_verify_job_duration_seconds{jobid=\"42\",node=\"n1\"} 61.234\n"));
	assert_non_null(strstr(s, "efa_verify_job_device_bytes_total{jobid=\"42\",node=\"n1\",device=\"rdmap16s0\"} "
				  "3000\n"));
	assert_int_equal(count(s, "efa_verify_job_device_bytes_total{"), 2);
	assert_non_null(strstr(s, "efa_verify_job_tcp_source_info{jobid=\"42\",node=\"n1\",source=\"interface\"} 1\n"));
	/* Counted on interfaces, the rest is in tcp_bytes: no other_tcp_bytes. */
	assert_null(strstr(s, "other_tcp_bytes"));
	free(s);
	x->d.tcp_source = EV_TCP_SRC_NFTABLES;
	x->d.other_tcp_bytes = 77;
	s = ev_prom_format(&x->e, &len);
	assert_int_equal(count(s, "# HELP "), count(s, "# TYPE "));
	assert_non_null(strstr(s, "efa_verify_job_tcp_source_info{jobid=\"42\",node=\"n1\",source=\"nftables\"} 1\n"));
	assert_non_null(strstr(s, "# TYPE efa_verify_job_other_tcp_bytes_total counter\n"
				  "efa_verify_job_other_tcp_bytes_total{jobid=\"42\",node=\"n1\"} 77\n"));
	free(s);

	/* What slurmd passed on, made a label value: quotes and backslashes
	 * escaped, a newline or a byte of UTF-8 '_' (a textfile that is not
	 * UTF-8 fails the node's whole scrape), a long one bounded; none is
	 * an empty value. */
	{
		char big[600];

		memset(big, 'u', sizeof(big) - 1);
		big[sizeof(big) - 1] = '\0';
		x->e.user = "a\"b\\c\nd\xc3\xa9";
		x->e.account = big;
		x->e.partition = NULL;
		s = ev_prom_format(&x->e, &len);
		assert_non_null(strstr(s, "user=\"a\\\"b\\\\c_d__\",account=\""));
		a = strstr(s, "account=\"") + strlen("account=\"");
		assert_int_equal(strcspn(a, "\""), EV_PROM_VALUE_MAX - 1);
		assert_non_null(strstr(a, "\",partition=\"\"} 1\n"));
		free(s);
	}
	x->e.user = x->e.account = x->e.partition = NULL;

	/* Label values are escaped, and cut before an escape, never inside;
	 * printable ASCII only. */
	assert_int_equal(ev_prom_escape("a\"b\\c\nd", out, sizeof(out)), 7);
	assert_string_equal(out, "a\\\"b\\\\c");
	assert_int_equal(ev_prom_escape("ab\"", out, 4), 2);
	assert_string_equal(out, "ab");
	assert_int_equal(ev_prom_escape("a\tb\x7f\xff", out, sizeof(out)), 5);
	assert_string_equal(out, "a_b__");
	assert_int_equal(ev_prom_escape(NULL, out, sizeof(out)), 0);
	assert_string_equal(out, "");
}

static void touch_at(const char *dir, const char *name, time_t t)
{
	char path[2048];
	struct timespec ts[2] = { { t, 0 }, { t, 0 } };

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	assert_int_equal(utimensat(AT_FDCWD, path, ts, AT_SYMLINK_NOFOLLOW), 0);
}

/* One file per job and node, the newest kept; nothing that is not ours is
 * touched, and a hostile node name writes nothing. */
static void test_prom_write_and_prune(void **state)
{
	struct fx *x = *state;
	char dir[2048], path[2048], name[64];
	struct stat st;

	snprintf(dir, sizeof(dir), "%s/prom", x->dir);
	for (uint32_t job = 1; job <= 5; job++) {
		x->e.jobid = job;
		assert_int_equal(ev_prom_write(dir, &x->e, &x->err), 0);
		snprintf(name, sizeof(name), "efa_verify_job_%u_n1.prom", job);
		touch_at(dir, name, (time_t)1795600000 + job);
	}
	snprintf(path, sizeof(path), "%s/efa_verify_job_3_n1.prom", dir);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0644);
	assert_int_equal(tu_write(dir, "node_exporter_other.prom", "x 1\n"), 0);
	assert_int_equal(tu_write(x->dir, "target", "t"), 0);
	snprintf(path, sizeof(path), "%s/target", x->dir);
	snprintf(name, sizeof(name), "%s/efa_verify_job_9_n1.prom", dir);
	assert_int_equal(symlink(path, name), 0);

	assert_int_equal(ev_prom_prune(dir, 2, &x->err), 0);
	for (uint32_t job = 1; job <= 5; job++) {
		snprintf(path, sizeof(path), "%s/efa_verify_job_%u_n1.prom", dir, job);
		assert_int_equal(stat(path, &st) == 0, job >= 4);
	}
	snprintf(path, sizeof(path), "%s/node_exporter_other.prom", dir);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(lstat(name, &st), 0);
	assert_true(S_ISLNK(st.st_mode));
	/* Pruning a directory that is not there is nothing to do. */
	snprintf(path, sizeof(path), "%s/none", x->dir);
	assert_int_equal(ev_prom_prune(path, 2, &x->err), 0);

	/* A symlink, a hard link to another file, a FIFO at a file's name:
	 * replaced by a new file of ours, never written through, no wait. */
	x->e.jobid = 5;
	snprintf(path, sizeof(path), "%s/target", x->dir);
	snprintf(name, sizeof(name), "%s/efa_verify_job_5_n1.prom", dir);
	assert_int_equal(unlink(name), 0);
	assert_int_equal(symlink(path, name), 0);
	assert_int_equal(ev_prom_write(dir, &x->e, &x->err), 0);
	assert_int_equal(lstat(name, &st), 0);
	assert_true(S_ISREG(st.st_mode));
	assert_int_equal(size_of(path), 1);
	assert_int_equal(unlink(name), 0);
	assert_int_equal(link(path, name), 0);
	assert_int_equal(ev_prom_write(dir, &x->e, &x->err), 0);
	assert_int_equal(lstat(name, &st), 0);
	assert_int_equal(st.st_nlink, 1);
	assert_true(st.st_size > 100);
	assert_int_equal(size_of(path), 1);
	assert_int_equal(unlink(name), 0);
	assert_int_equal(mkfifo(name, 0644), 0);
	assert_int_equal(ev_prom_write(dir, &x->e, &x->err), 0);
	assert_int_equal(lstat(name, &st), 0);
	assert_true(S_ISREG(st.st_mode));

	x->e.node = "../evil";
	assert_int_equal(ev_prom_write(dir, &x->e, &x->err), -EINVAL);
	snprintf(path, sizeof(path), "%s/efa_verify_job_5_../evil.prom", dir);
	assert_int_equal(stat(path, &st), -1);
	x->e.node = "n1";
	x->e.jobid = 0;
	assert_int_equal(ev_prom_write(dir, &x->e, &x->err), -EINVAL);
	assert_int_equal(ev_prom_write("", &x->e, &x->err), -EINVAL);
}

/* The directory the textfiles go to gets the care of the log's: never
 * through a symlink, not another user's, not writable by anyone. Nothing
 * is written or pruned in one refused. */
static void test_prom_refuses_dir(void **state)
{
	struct fx *x = *state;
	char dir[2048], link[2048], path[2048];

	snprintf(dir, sizeof(dir), "%s/prom", x->dir);
	assert_int_equal(ev_prom_write(dir, &x->e, &x->err), 0);
	snprintf(path, sizeof(path), "%s/efa_verify_job_42_n1.prom", dir);
	assert_true(size_of(path) > 0);

	snprintf(link, sizeof(link), "%s/promlink", x->dir);
	assert_int_equal(symlink(dir, link), 0);
	x->e.jobid = 43;
	assert_int_equal(ev_prom_write(link, &x->e, &x->err), -ELOOP);
	assert_int_equal(ev_prom_prune(link, 0, &x->err), -ELOOP);
	snprintf(path, sizeof(path), "%s/efa_verify_job_43_n1.prom", dir);
	assert_int_equal(size_of(path), -1);

	assert_int_equal(chmod(dir, 0777), 0);
	assert_int_equal(ev_prom_write(dir, &x->e, &x->err), -EPERM);
	assert_non_null(strstr(x->err.msg, "writable by anyone"));
	assert_int_equal(ev_prom_prune(dir, 0, &x->err), -EPERM);
	assert_int_equal(size_of(path), -1);
	snprintf(path, sizeof(path), "%s/efa_verify_job_42_n1.prom", dir);
	assert_true(size_of(path) > 0);
	assert_int_equal(chmod(dir, 0755), 0);

	/* Another user's directory: only root can make one (CI runs as root). */
	if (geteuid() != 0)
		tu_skip("needs root: only root can give a file to another user (chown)");
	assert_int_equal(chown(dir, tu_unprivileged_uid(), (gid_t)-1), 0);
	assert_int_equal(ev_prom_write(dir, &x->e, &x->err), -EPERM);
	assert_non_null(strstr(x->err.msg, "owned by uid"));
	assert_int_equal(ev_prom_prune(dir, 0, &x->err), -EPERM);
	assert_true(size_of(path) > 0);
	snprintf(path, sizeof(path), "%s/efa_verify_job_43_n1.prom", dir);
	assert_int_equal(size_of(path), -1);
	assert_int_equal(chown(dir, 0, (gid_t)-1), 0);
	assert_int_equal(ev_prom_write(dir, &x->e, &x->err), 0);
	assert_true(size_of(path) > 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_json_line, setup, teardown),
		cmocka_unit_test_setup_teardown(test_causes, setup, teardown),
		cmocka_unit_test_setup_teardown(test_containers, setup, teardown),
		cmocka_unit_test_setup_teardown(test_append, setup, teardown),
		cmocka_unit_test_setup_teardown(test_append_refuses_symlink, setup, teardown),
		cmocka_unit_test_setup_teardown(test_append_refuses_hard_link, setup, teardown),
		cmocka_unit_test_setup_teardown(test_append_refuses_fifo, setup, teardown),
		cmocka_unit_test_setup_teardown(test_append_refuses_other_owner, setup, teardown),
		cmocka_unit_test_setup_teardown(test_append_refuses_open_dir, setup, teardown),
		cmocka_unit_test_setup_teardown(test_prom_text, setup, teardown),
		cmocka_unit_test_setup_teardown(test_prom_write_and_prune, setup, teardown),
		cmocka_unit_test_setup_teardown(test_prom_refuses_dir, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
