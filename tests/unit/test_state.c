/* Start snapshots kept between prolog and epilog. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "node/ev_boot_id.h"
#include "config/ev_config.h"
#include "node/ev_snapshot.h"
#include "node/ev_delta.h"
#include "node/ev_devices.h"
#include "util/ev_file.h"
#include "state/ev_job_start.h"
#include "state/ev_job_view.h"
#include "state/ev_state_dir.h"
#include "record/ev_prom.h"
#include "state/ev_jobid.h"
#include "state/ev_findings.h"
#include "state/ev_notready.h"
#include "state/ev_placement_memo.h"
#include "state/ev_peer_cache.h"
#include "state/ev_pending.h"
#include "state/ev_running.h"
#include "state/ev_spool.h"
#include "judge/ev_cause_counters.h"
#include "judge/ev_verdict.h"
#include "testutil.h"

struct fx {
	char *dir;
	char root[1024], state[1024];
	struct ev_config cfg;
	struct ev_device_list devs;
	struct ev_snapshot a, b;
	struct ev_err err;
};

static int setup(void **state)
{
	struct fx *x = calloc(1, sizeof(*x));

	x->dir = tu_mkdtemp();
	snprintf(x->root, sizeof(x->root), "%s/sys", x->dir);
	snprintf(x->state, sizeof(x->state), "%s/state", x->dir);
	if (ev_config_defaults(&x->cfg, &x->err) != 0 ||
	    tu_fixture(x->root, "--type", "p4d.24xlarge", "--garbage-counter", "rx_drops", NULL) != 0)
		return -1;
	snprintf(x->cfg.sysfs_root, sizeof(x->cfg.sysfs_root), "%s", x->root);
	if (ev_devices_discover(x->root, &x->devs, &x->err) != 0)
		return -1;
	*state = x;
	return 0;
}

static int teardown(void **state)
{
	struct fx *x = *state;

	ev_snapshot_free(&x->a);
	ev_snapshot_free(&x->b);
	ev_devices_free(&x->devs);
	ev_config_free(&x->cfg);
	tu_rm_rf(x->dir);
	free(x->dir);
	free(x);
	return 0;
}

static void test_round_trip_is_exact(void **state)
{
	struct fx *x = *state;
	struct ev_job_start back;
	char *t1, *t2, path[2048];
	size_t l1, l2;

	assert_int_equal(tu_fixture(x->root, "--set", "rdmap16s0:tx_bytes=18446744073709551615",
				    "--set", "net/ens5:rx_bytes=77", NULL), 0);
	assert_int_equal(ev_snapshot_take(&x->cfg, &x->devs, NULL, NULL, &x->a, &x->err), 0);
	x->a.job_nodes = 512;
	assert_int_equal(ev_job_start_save(x->state, &(struct ev_job_start){ .jobid = 4242, .snap = x->a }, &x->err), 0);
	assert_int_equal(ev_job_start_load(x->state, 4242, &back, &x->err), 0);
	x->b = back.snap;
	t1 = ev_snapshot_serialize(&x->a, &l1);
	t2 = ev_snapshot_serialize(&x->b, &l2);
	assert_int_equal(l1, l2);
	assert_string_equal(t1, t2);
	/* A format 1 file (the snapshot alone, no job line) still loads, as
	 * the job it is named for. */
	snprintf(path, sizeof(path), "%s/jobs/4243.start", x->state);
	assert_int_equal(ev_file_write_atomic(path, t1, l1, 0600, &x->err), 0);
	assert_int_equal(ev_job_start_load(x->state, 4243, &back, &x->err), 0);
	assert_int_equal(back.jobid, 4243);
	free(t2);
	t2 = ev_snapshot_serialize(&back.snap, &l2);
	assert_string_equal(t1, t2);
	ev_job_start_free(&back);
	free(t1);
	free(t2);
	assert_true(ev_counter_find(&x->b.efa[0], "tx_bytes")->value == UINT64_MAX);
	/* A garbage counter stays "unreadable", not zero. */
	assert_false(ev_counter_find(&x->b.efa[0], "rx_drops")->ok);
	assert_int_equal(x->b.tcp[0].rx_bytes, 77);
	assert_int_equal(x->b.time_ns, x->a.time_ns);
	/* The job's node count travels with the start snapshot. */
	assert_int_equal(x->b.job_nodes, 512);
}

static void test_file_is_private_and_removable(void **state)
{
	struct fx *x = *state;
	struct ev_job_start back;
	char path[2048];
	struct stat st;

	assert_int_equal(ev_snapshot_take(&x->cfg, &x->devs, NULL, NULL, &x->a, &x->err), 0);
	assert_int_equal(ev_job_start_save(x->state, &(struct ev_job_start){ .jobid = 7, .snap = x->a }, &x->err), 0);
	snprintf(path, sizeof(path), "%s/jobs/7.start", x->state);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	snprintf(path, sizeof(path), "%s/jobs", x->state);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0700);
	assert_int_equal(ev_state_remove_start(x->state, 7), 0);
	assert_int_equal(ev_job_start_load(x->state, 7, &back, &x->err), -ENOENT);
	ev_job_start_free(&back);
	assert_string_equal(x->err.msg, "no start snapshot for job 7");
	assert_int_equal(ev_state_remove_start(x->state, 7), 0);
}

static void test_planted_symlink_and_loose_modes_refused(void **state)
{
	struct fx *x = *state;
	struct ev_job_start back;
	char path[2048], target[2048];

	assert_int_equal(ev_snapshot_take(&x->cfg, &x->devs, NULL, NULL, &x->a, &x->err), 0);
	assert_int_equal(ev_job_start_save(x->state, &(struct ev_job_start){ .jobid = 8, .snap = x->a }, &x->err), 0);
	snprintf(path, sizeof(path), "%s/jobs/9.start", x->state);
	snprintf(target, sizeof(target), "%s/jobs/8.start", x->state);
	assert_int_equal(symlink(target, path), 0);
	assert_int_equal(ev_job_start_load(x->state, 9, &back, &x->err), -ELOOP);
	ev_job_start_free(&back);
	/* Saving over the planted link replaces the link, not its target. */
	assert_int_equal(ev_job_start_save(x->state, &(struct ev_job_start){ .jobid = 9, .snap = x->a }, &x->err), 0);
	assert_int_equal(chmod(target, 0666), 0);
	assert_int_equal(ev_job_start_load(x->state, 8, &back, &x->err), -EPERM);
	ev_job_start_free(&back);
	/* A state dir that is a symlink is refused. */
	snprintf(path, sizeof(path), "%s/linked", x->dir);
	assert_int_equal(symlink(x->state, path), 0);
	snprintf(target, sizeof(target), "%s/linked", x->dir);
	assert_int_equal(ev_job_start_save(target, &(struct ev_job_start){ .jobid = 10, .snap = x->a }, &x->err), -ELOOP);
}

static void test_corrupt_and_truncated(void **state)
{
	static const char *const bad[] = {
		"",
		"not a snapshot\n",
		"efa-verify-snapshot 1\ntime_ns 5\nE rdmap0\nP tx_bytes 12\n",          /* no end */
		"efa-verify-snapshot 1\nP tx_bytes 12\nend\n",                          /* counter before device */
		"efa-verify-snapshot 1\nE ../../etc\nend\n",
		"efa-verify-snapshot 1\nE rdmap0\nP tx_bytes -3\nend\n",
		"efa-verify-snapshot 1\nE rdmap0\nP tx_bytes 1\nend\nE more\n",
		"efa-verify-snapshot 1\nT ens5 1\nend\n",
		/* repeated counter, adjacent and not (found after sorting) */
		"efa-verify-snapshot 1\nE rdmap0\nP tx_bytes 1\nP tx_bytes 2\nend\n",
		"efa-verify-snapshot 1\nE rdmap0\nP tx_bytes 1\nP rx_bytes 2\nP tx_bytes 3\nend\n",
		/* the job table's counters and their source go together */
		"efa-verify-snapshot 1\nnet 1 2 3 4\nend\n",
		"efa-verify-snapshot 1\ntcp_source interface\nnet 1 2 3 4\nend\n",
		"efa-verify-snapshot 1\ntcp_source nftables\nend\n",
		"efa-verify-snapshot 1\ntcp_source nftables\nnet 1 2 3\nend\n",
		"efa-verify-snapshot 1\ntcp_source nftables\nnet 1 2 3 x\nend\n",
		"efa-verify-snapshot 1\ntcp_source nftables\nnet 1 2 3 4\nnet 1 2 3 4\nend\n",
		"efa-verify-snapshot 1\ntcp_source bogus\nend\n",
		"efa-verify-snapshot 1\ntcp_source interface\ntcp_source interface\nend\n",
		/* a device or an interface listed twice */
		"efa-verify-snapshot 1\nE rdmap0\nP tx_bytes 1\nE rdmap0\nP tx_bytes 2\nend\n",
		"efa-verify-snapshot 1\nT ens5 1 2\nT ens5 3 4\nend\n",
	};
	struct ev_snapshot s;
	struct ev_err err;

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		if (ev_snapshot_deserialize(bad[i], strlen(bad[i]), &s, &err) == 0)
			fail_msg("accepted #%zu", i);
		assert_int_equal(s.n_efa, 0);
		assert_null(s.efa);
	}
	assert_int_equal(ev_snapshot_deserialize("efa-verify-snapshot 1\nend\n\0x", 28, &s, &err), -EBADMSG);
}

static void read_seq(const struct fx *x, char *buf, size_t cap)
{
	char path[2048];
	FILE *f;

	snprintf(path, sizeof(path), "%s/seq", x->state);
	f = fopen(path, "r");
	assert_non_null(f);
	assert_non_null(fgets(buf, (int)cap, f));
	fclose(f);
}

/* The shared-node check: a job alone is not shared; one that overlapped
 * another, or saw one begin and end inside its window, is. */
static void test_running_registry_sees_overlap(void **state)
{
	struct fx *x = *state;
	struct ev_running_mark a, b, c;
	bool shared = true;
	char buf[64];

	assert_int_equal(ev_running_begin(x->state, 10, NULL, &a, &x->err), 0);
	assert_int_equal(a.n_others, 0);
	assert_int_equal(ev_running_end(x->state, 10, &a, &shared, &x->err), 0);
	assert_false(shared);
	read_seq(x, buf, sizeof(buf));
	assert_string_equal(buf, "2\n");

	/* 11 runs; 12 starts and ends inside 11's window. */
	assert_int_equal(ev_running_begin(x->state, 11, NULL, &b, &x->err), 0);
	assert_int_equal(ev_running_begin(x->state, 12, NULL, &c, &x->err), 0);
	/* What the sweep of stale nftables tables asks. */
	assert_int_equal(ev_running_check(x->state, 12, &shared, &x->err), 0);
	assert_true(shared);
	assert_int_equal(ev_running_check(x->state, 10, &shared, &x->err), 0);
	assert_false(shared);
	assert_int_equal(c.n_others, 1);
	assert_int_equal(c.others[0], 11);
	assert_int_equal(ev_running_end(x->state, 12, &c, &shared, &x->err), 0);
	assert_true(shared);
	shared = false;
	assert_int_equal(ev_running_end(x->state, 11, &b, &shared, &x->err), 0);
	assert_true(shared);
	read_seq(x, buf, sizeof(buf));
	assert_string_equal(buf, "6\n");
}

/* held(): the jobs in arg (0-terminated) are alive, any other is not; -EIO
 * for job 99 (slurmctld not answering). Each call is counted. */
struct held_fake {
	const uint32_t *alive;
	int calls;
};

static int fake_held(uint32_t jobid, bool *held, void *arg)
{
	struct held_fake *h = arg;

	h->calls++;
	if (jobid == 99)
		return -EIO;
	*held = false;
	for (const uint32_t *a = h->alive; *a; a++)
		*held = *held || *a == jobid;
	return 0;
}

/* A job whose epilog was killed before ev_running_end left its marker:
 * once whoever knows says it no longer holds the node, the next prolog
 * removes it, and neither that job nor a later one counts as shared. A
 * live job's marker stays (and is asked last next time); asking stops at
 * the first error and at max. */
static void test_running_stale_marker_dropped(void **state)
{
	struct fx *x = *state;
	const uint32_t alive[] = { 31, 0 };
	struct held_fake h = { alive, 0 };
	struct ev_running_mark dead, live, m, later;
	size_t dropped = 9;
	bool shared = true;

	assert_int_equal(ev_running_begin(x->state, 30, NULL, &dead, &x->err), 0);   /* its epilog dies */
	assert_int_equal(ev_running_begin(x->state, 31, NULL, &live, &x->err), 0);
	assert_int_equal(ev_running_begin(x->state, 32, NULL, &m, &x->err), 0);
	assert_int_equal(m.n_others, 2);
	assert_int_equal(ev_running_drop_stale(x->state, &m, fake_held, &h, 4, &dropped, &x->err), 0);
	assert_int_equal(dropped, 1);
	assert_int_equal(h.calls, 2);
	assert_int_equal(m.n_others, 1);
	assert_int_equal(m.others[0], 31);
	/* The sweep of nftables tables now takes 30's. */
	assert_int_equal(ev_running_check(x->state, 30, &shared, &x->err), 0);
	assert_false(shared);
	assert_int_equal(ev_running_check(x->state, 31, &shared, &x->err), 0);
	assert_true(shared);
	assert_int_equal(ev_running_end(x->state, 31, &live, &shared, &x->err), 0);
	assert_true(shared);   /* 32 did run beside it */
	assert_int_equal(ev_running_end(x->state, 32, &m, &shared, &x->err), 0);
	assert_true(shared);   /* so did 31 */

	/* A later job alone on the node: not shared. */
	assert_int_equal(ev_running_begin(x->state, 33, NULL, &later, &x->err), 0);
	assert_int_equal(later.n_others, 0);
	assert_int_equal(ev_running_end(x->state, 33, &later, &shared, &x->err), 0);
	assert_false(shared);

	/* slurmctld not answering: one question, nothing removed. */
	assert_int_equal(ev_running_begin(x->state, 99, NULL, &dead, &x->err), 0);
	assert_int_equal(ev_running_begin(x->state, 98, NULL, &dead, &x->err), 0);
	assert_int_equal(ev_running_begin(x->state, 40, NULL, &m, &x->err), 0);
	assert_int_equal(m.n_others, 2);
	h.calls = 0;
	/* 99's marker the oldest: asked first. */
	{
		char p[1200];
		struct timespec old[2] = { { 1000, 0 }, { 1000, 0 } };

		snprintf(p, sizeof(p), "%s/running/99", x->state);
		assert_int_equal(utimensat(AT_FDCWD, p, old, 0), 0);
	}
	assert_int_equal(ev_running_drop_stale(x->state, &m, fake_held, &h, 4, &dropped, &x->err), -EIO);
	assert_int_equal(h.calls, 1);
	assert_int_equal(dropped, 0);
	assert_int_equal(m.n_others, 2);
	/* max bounds the questions. */
	h.calls = 0;
	assert_int_equal(ev_running_drop_stale(x->state, &m, fake_held, &h, 0, &dropped, &x->err), 0);
	assert_int_equal(h.calls, 0);
}

/* seq is rewritten in place: a longer number than before, garbage (which
 * restarts the count, and so reads as shared) and a planted symbolic link
 * (removed, its target untouched) all leave one good private file. */
static void test_seq_rewritten_in_place_and_never_followed(void **state)
{
	struct fx *x = *state;
	struct ev_running_mark a;
	char path[2048], target[2048], buf[64];
	struct stat st;
	bool shared = false;

	assert_int_equal(ev_running_begin(x->state, 20, NULL, &a, &x->err), 0);
	assert_int_equal(tu_write(x->state, "seq", "999\n"), 0);
	assert_int_equal(chmod(x->state, 0700), 0);
	snprintf(path, sizeof(path), "%s/seq", x->state);
	assert_int_equal(chmod(path, 0600), 0);
	assert_int_equal(ev_running_end(x->state, 20, &a, &shared, &x->err), 0);
	assert_true(shared);
	read_seq(x, buf, sizeof(buf));
	assert_string_equal(buf, "1000\n");

	assert_int_equal(tu_write(x->state, "seq", "12345678901234567890123\n"), 0);
	assert_int_equal(chmod(path, 0600), 0);
	assert_int_equal(ev_running_begin(x->state, 21, NULL, &a, &x->err), 0);
	assert_int_equal(a.seq, 1);
	read_seq(x, buf, sizeof(buf));
	assert_string_equal(buf, "1\n");

	assert_int_equal(tu_write(x->dir, "precious", "keep"), 0);
	snprintf(target, sizeof(target), "%s/precious", x->dir);
	assert_int_equal(unlink(path), 0);
	assert_int_equal(symlink(target, path), 0);
	assert_int_equal(ev_running_end(x->state, 21, &a, &shared, &x->err), 0);
	assert_true(shared);
	assert_int_equal(lstat(path, &st), 0);
	assert_true(S_ISREG(st.st_mode));
	assert_int_equal(st.st_mode & 0777, 0600);
	read_seq(x, buf, sizeof(buf));
	assert_string_equal(buf, "1\n");
	snprintf(path, sizeof(path), "%s", target);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_size, 4);
}

/* The spool keeps a result until it is delivered: put replaces the same
 * job and node, list sorts and reads back every byte up to the limit, and
 * what is not a well-formed entry of ours is either skipped (foreign names)
 * or marked bad (foreign content), never delivered. */
static void test_spool_put_list_remove(void **state)
{
	struct fx *x = *state;
	struct ev_spool_entry *v = NULL;
	char longest[EV_SPOOL_LINE_MAX], path[2048];
	bool truncated = true;
	size_t n = 9;

	/* No spool directory yet: nothing, not an error. */
	assert_int_equal(ev_spool_list(x->state, &v, &n, &truncated, &x->err), 0);
	assert_int_equal(n, 0);
	assert_false(truncated);
	assert_int_equal(ev_spool_put(x->state, 20, "n2", "job=20 node=n2 v=1", &x->err), 0);
	assert_int_equal(ev_spool_put(x->state, 7, "n9", "job=7 node=n9", &x->err), 0);
	assert_int_equal(ev_spool_put(x->state, 20, "n1", "job=20 node=n1", &x->err), 0);
	assert_int_equal(ev_spool_put(x->state, 20, "n2", "job=20 node=n2 v=2", &x->err), 0);
	memset(longest, 'x', sizeof(longest) - 1);
	longest[sizeof(longest) - 1] = '\0';
	assert_int_equal(ev_spool_put(x->state, 30, "n1", longest, &x->err), 0);
	/* Not ours, or not one entry: skipped, or marked bad. */
	snprintf(path, sizeof(path), "%s/spool", x->state);
	assert_int_equal(tu_write(path, "README", "hello\n"), 0);
	assert_int_equal(tu_write(path, "40.n1.rec", "two\nlines\n"), 0);
	assert_int_equal(tu_write(path, "41.n1.rec", "bell\a\n"), 0);
	assert_int_equal(tu_write(path, "0.n1.rec", "job zero\n"), 0);
	assert_int_equal(tu_write(path, "42.bad name.rec", "x\n"), 0);
	snprintf(path, sizeof(path), "%s/spool/4%s", x->state, "0.n1.rec");
	assert_int_equal(chmod(path, 0600), 0);
	snprintf(path, sizeof(path), "%s/spool/41.n1.rec", x->state);
	assert_int_equal(chmod(path, 0600), 0);

	assert_int_equal(ev_spool_list(x->state, &v, &n, &truncated, &x->err), 0);
	assert_int_equal(n, 6);
	assert_int_equal(v[0].jobid, 7);
	assert_string_equal(v[0].line, "job=7 node=n9");
	assert_int_equal(v[1].jobid, 20);
	assert_string_equal(v[1].node, "n1");
	assert_string_equal(v[2].node, "n2");
	assert_string_equal(v[2].line, "job=20 node=n2 v=2");
	assert_int_equal(v[3].jobid, 30);
	assert_false(v[3].bad);
	assert_string_equal(v[3].line, longest);
	assert_int_equal(v[4].jobid, 40);
	assert_true(v[4].bad);
	assert_string_equal(v[4].line, "");
	assert_int_equal(v[5].jobid, 41);
	assert_true(v[5].bad);
	free(v);

	/* Removed once delivered; removing again is no error. */
	assert_int_equal(ev_spool_remove(x->state, 20, "n2", &x->err), 0);
	assert_int_equal(ev_spool_remove(x->state, 20, "n2", &x->err), 0);
	assert_int_equal(ev_spool_list(x->state, &v, &n, NULL, &x->err), 0);
	assert_int_equal(n, 5);
	free(v);

	/* Refused before anything is written. */
	assert_int_equal(ev_spool_put(x->state, 1, "n1", "two\nlines", &x->err), -EINVAL);
	assert_int_equal(ev_spool_put(x->state, 1, "n1", "", &x->err), -EINVAL);
	{
		char toolong[EV_SPOOL_LINE_MAX + 1];

		memset(toolong, 'z', EV_SPOOL_LINE_MAX);
		toolong[EV_SPOOL_LINE_MAX] = '\0';
		assert_int_equal(ev_spool_put(x->state, 1, "n1", toolong, &x->err), -EINVAL);
	}
	assert_int_equal(ev_spool_put(x->state, 1, "../n1", "x", &x->err), -EINVAL);
	assert_int_equal(ev_spool_put(x->state, 0, "n1", "x", &x->err), -EINVAL);
	assert_int_equal(ev_spool_remove(x->state, 1, "../../etc", &x->err), -EINVAL);
}

/* A planted symlink in the spool is never written through. */
static void test_spool_planted_symlink(void **state)
{
	struct fx *x = *state;
	char path[2048], target[2048], buf[64];
	struct ev_spool_entry *v = NULL;
	size_t n = 0;

	assert_int_equal(ev_spool_put(x->state, 5, "n1", "first", &x->err), 0);
	assert_int_equal(tu_write(x->dir, "precious", "keep"), 0);
	snprintf(target, sizeof(target), "%s/precious", x->dir);
	snprintf(path, sizeof(path), "%s/spool/5.n1.rec", x->state);
	assert_int_equal(unlink(path), 0);
	assert_int_equal(symlink(target, path), 0);
	/* Listed as bad (not a private file), so delivery removes it. */
	assert_int_equal(ev_spool_list(x->state, &v, &n, NULL, &x->err), 0);
	assert_int_equal(n, 1);
	assert_true(v[0].bad);
	free(v);
	assert_int_equal(ev_spool_put(x->state, 5, "n1", "second", &x->err), 0);
	assert_int_equal(ev_file_read_at(AT_FDCWD, target, buf, sizeof(buf), false, &x->err), 4);
	assert_string_equal(buf, "keep");
	assert_int_equal(ev_file_read_at(AT_FDCWD, path, buf, sizeof(buf), false, &x->err), 6);
	assert_string_equal(buf, "second");
}

/* The boot id decides "node_rebooted": only a real one is taken. */
static void test_boot_id(void **state)
{
	struct fx *x = *state;
	char id[EV_BOOT_ID_MAX], proc[2048];

	assert_int_equal(ev_boot_id_read(NULL, id, &x->err), 0);
	assert_int_equal(strlen(id), 36);
	snprintf(proc, sizeof(proc), "%s/proc", x->dir);
	assert_int_equal(ev_mkdir_p(proc, 0755, true, &x->err), 0);
	assert_int_equal(tu_write(proc, "sys/kernel/random/boot_id", "0b1c2d3e-0000-4000-8000-00000000abcd\n"), 0);
	assert_int_equal(ev_boot_id_read(proc, id, &x->err), 0);
	assert_string_equal(id, "0b1c2d3e-0000-4000-8000-00000000abcd");
	assert_int_equal(tu_write(proc, "sys/kernel/random/boot_id", "not a boot id; rm -rf /\n"), 0);
	assert_int_equal(ev_boot_id_read(proc, id, &x->err), -EBADMSG);
	assert_string_equal(id, "");
	snprintf(proc, sizeof(proc), "%s/none", x->dir);
	assert_true(ev_boot_id_read(proc, id, &x->err) < 0);
}

/* Format 2 keeps what the epilog judges with: first node, boot id, seq and
 * the other jobs running at the start. */
static void test_start_file_v2_round_trip(void **state)
{
	struct fx *x = *state;
	struct ev_job_start js, back;

	memset(&js, 0, sizeof(js));
	js.jobid = 77;
	snprintf(js.node, sizeof(js.node), "n3");
	snprintf(js.first, sizeof(js.first), "n1");
	snprintf(js.boot_id, sizeof(js.boot_id), "0b1c2d3e-0000-4000-8000-00000000abcd");
	js.run.seq = 12345;
	js.run.n_others = 2;
	js.run.others[0] = 5;
	js.run.others[1] = 76;
	js.run.others_truncated = true;
	js.whole.whole = EV_WHOLE_NO;
	snprintf(js.whole.why, sizeof(js.whole.why), "cpus:8/192");
	assert_int_equal(tu_fixture(x->root, "--reg-mr-err", "5", NULL), 0);
	assert_int_equal(ev_snapshot_take(&x->cfg, &x->devs, ev_job_counters, ev_job_device_counters, &js.snap, &x->err), 0);
	js.snap.job_nodes = 4;
	/* What the prolog does once the job's table is made. */
	assert_int_equal(js.snap.tcp_source, EV_TCP_SRC_INTERFACE);
	js.snap.tcp_source = EV_TCP_SRC_NFTABLES;
	js.snap.net = (struct ev_net_counts){ 1, 2, 3, UINT64_MAX };
	assert_int_equal(ev_job_start_save(x->state, &js, &x->err), 0);
	assert_int_equal(ev_job_start_load(x->state, 77, &back, &x->err), 0);
	assert_int_equal(back.snap.tcp_source, EV_TCP_SRC_NFTABLES);
	assert_true(back.snap.net.peer_tx == 1 && back.snap.net.peer_rx == 2 && back.snap.net.all_tx == 3 &&
		    back.snap.net.all_rx == UINT64_MAX);
	/* The interfaces are kept too: the epilog falls back to them. */
	assert_int_equal(back.snap.n_tcp, js.snap.n_tcp);
	assert_int_equal(back.jobid, 77);
	assert_string_equal(back.node, "n3");
	assert_string_equal(back.first, "n1");
	assert_string_equal(back.boot_id, js.boot_id);
	assert_true(back.run.seq == 12345);
	assert_int_equal(back.run.n_others, 2);
	assert_int_equal(back.run.others[1], 76);
	assert_true(back.run.others_truncated);
	assert_int_equal(back.whole.whole, EV_WHOLE_NO);
	assert_string_equal(back.whole.why, "cpus:8/192");
	assert_int_equal(back.snap.job_nodes, 4);
	assert_int_equal(back.snap.n_efa, js.snap.n_efa);
	assert_int_equal(back.snap.efa[0].n_port, js.snap.efa[0].n_port);
	/* The device-level setup errors come back as they were. */
	assert_int_equal(back.snap.efa[0].n_device, EV_N_JOB_DEVICE_COUNTERS);
	assert_int_equal(ev_counter_find(&back.snap.efa[3], "reg_mr_err")->value, 5);
	/* The fixture's garbage rx_drops stays unreadable, not zero. */
	assert_false(ev_counter_find(&back.snap.efa[0], "rx_drops")->ok);
	ev_job_start_free(&back);
	/* Another job's file is not this one's. */
	assert_int_equal(ev_job_start_load(x->state, 78, &back, &x->err), -ENOENT);
	ev_job_start_free(&back);
	ev_job_start_free(&js);
}

/* In tu_as_unprivileged's child: no cmocka asserts, a status instead. */
struct view_probe {
	const char *state;
	unsigned other_uid;     /* a job of another user's */
	int want_load;          /* ev_job_view_load(90)'s result */
};

static int probe_as_user(void *arg)
{
	const struct view_probe *p = arg;
	struct ev_job_start js;
	struct ev_err err;
	char path[2048];
	int rc, fd;

	rc = ev_job_view_load(p->state, 90, &js, &err);
	if (rc != p->want_load) {
		fprintf(stderr, "# load: %d %s\n", rc, err.msg);
		return 1;
	}
	if (rc == 0 && (js.jobid != 90 || strcmp(js.node, "n3") != 0 || js.run.n_others != 0 ||
			js.run.others_truncated || js.snap.n_efa != 4 || js.snap.job_nodes != 4))
		return 2;
	ev_job_start_free(&js);
	if (p->want_load != 0)
		return 0;
	/* Root's own file, the node's other jobs, another user's copy: out of reach. */
	if (ev_job_start_load(p->state, 90, &js, &err) == 0)
		return 3;
	ev_job_start_free(&js);
	snprintf(path, sizeof(path), "%s/view/%u/91.start", p->state, p->other_uid);
	if (open(path, O_RDONLY) >= 0 || errno != EACCES)
		return 4;
	if (ev_job_view_load(p->state, 91, &js, &err) != -ENOENT)
		return 5;
	/* Its own copy: read, never written; nothing new in root's directories. */
	snprintf(path, sizeof(path), "%s/view/%u/90.start", p->state, (unsigned)geteuid());
	if ((fd = open(path, O_WRONLY)) >= 0 || errno != EACCES)
		return 6;
	snprintf(path, sizeof(path), "%s/view/planted", p->state);
	if ((fd = open(path, O_WRONLY | O_CREAT, 0644)) >= 0 || errno != EACCES)
		return 7;
	snprintf(path, sizeof(path), "%s/view", p->state);
	if (opendir(path) != NULL || errno != EACCES)
		return 8;
	/* Its own directory is root's: nothing stored there, nothing renamed
	 * away, no mode changed. */
	snprintf(path, sizeof(path), "%s/view/%u/planted", p->state, (unsigned)geteuid());
	if ((fd = open(path, O_WRONLY | O_CREAT, 0644)) >= 0 || errno != EACCES)
		return 9;
	snprintf(path, sizeof(path), "%s/view/%u", p->state, (unsigned)geteuid());
	if (chmod(path, 0700) == 0 || errno != EPERM)
		return 10;
	return 0;
}

/* The job's user's copy of the start file: theirs to read, nobody else's,
 * and nobody's to change. */
static void test_view_for_the_jobs_user(void **state)
{
	struct fx *x = *state;
	struct ev_job_start js, back;
	struct view_probe p = { 0 };
	char st[2048], path[2048], *udir;
	struct stat sb;
	uid_t user = tu_unprivileged_uid();

	memset(&js, 0, sizeof(js));
	js.jobid = 90;
	snprintf(js.node, sizeof(js.node), "n3");
	js.run.n_others = 1;
	js.run.others[0] = 55;
	assert_int_equal(ev_snapshot_take(&x->cfg, &x->devs, ev_job_counters, ev_job_device_counters, &js.snap, &x->err), 0);
	js.snap.job_nodes = 4;
	/* As anyone: the copy for oneself reads back, without the others. */
	assert_int_equal(ev_job_view_save(x->state, &js, (uint32_t)geteuid(), &x->err), 0);
	assert_int_equal(ev_job_view_load(x->state, 90, &back, &x->err), 0);
	assert_int_equal(back.run.n_others, 0);
	assert_int_equal(back.snap.n_efa, js.snap.n_efa);
	ev_job_start_free(&back);
	assert_int_equal(ev_job_view_load(x->state, 89, &back, &x->err), -ENOENT);
	assert_non_null(strstr(x->err.msg, "no start snapshot for job 89"));
	assert_int_equal(ev_job_view_remove(x->state, 90, (uint32_t)geteuid()), 0);
	assert_int_equal(ev_job_view_load(x->state, 90, &back, &x->err), -ENOENT);
	assert_int_equal(ev_job_view_remove(x->state, 90, (uint32_t)geteuid()), 0);
	if (geteuid() != 0) {
		ev_job_start_free(&js);
		tu_skip("needs root: the copy is handed to another user (chown)");
	}
	udir = tu_mkdtemp_unprivileged();
	if (!udir) {
		ev_job_start_free(&js);
		tu_skip("no directory an unprivileged user can reach ($TMPDIR, /tmp, /var/tmp, /dev/shm)");
	}
	/* An existing state_dir of 0700 is opened for passing through. */
	snprintf(st, sizeof(st), "%s/state", udir);
	assert_int_equal(mkdir(st, 0700), 0);
	assert_int_equal(ev_job_start_save(st, &js, &x->err), 0);
	assert_int_equal(ev_job_view_save(st, &js, (uint32_t)user, &x->err), 0);
	js.jobid = 91;
	/* A directory above state_dir that keeps the user out is said, not
	 * changed (udir is the unprivileged user's, 0700). */
	assert_int_equal(ev_job_view_save(st, &js, 12345, &x->err), -EACCES);
	assert_non_null(strstr(x->err.msg, "chmod o+x"));
	assert_int_equal(chmod(udir, 0711), 0);
	assert_int_equal(ev_job_view_save(st, &js, 12345, &x->err), 0);
	js.jobid = 90;
	assert_int_equal(stat(st, &sb), 0);
	assert_int_equal(sb.st_mode & 0777, 0711);
	snprintf(path, sizeof(path), "%s/view", st);
	assert_int_equal(stat(path, &sb), 0);
	assert_int_equal(sb.st_mode & 0777, 0711);
	assert_int_equal(sb.st_uid, 0);
	snprintf(path, sizeof(path), "%s/view/%u", st, (unsigned)user);
	assert_int_equal(stat(path, &sb), 0);
	assert_int_equal(sb.st_mode & 0777, 0711);
	assert_int_equal(sb.st_uid, 0);
	/* Read by its user through the ACL alone: the group bits are its
	 * mask, others nothing. */
	snprintf(path, sizeof(path), "%s/view/%u/90.start", st, (unsigned)user);
	assert_int_equal(stat(path, &sb), 0);
	assert_int_equal(sb.st_mode & 0777, 0440);
	assert_int_equal(sb.st_uid, 0);
	p.state = st;
	p.other_uid = 12345;
	assert_int_equal(tu_as_unprivileged(probe_as_user, &p), 0);
	/* A directory an older version handed to the user is taken back. */
	snprintf(path, sizeof(path), "%s/view/%u", st, (unsigned)user);
	assert_int_equal(chown(path, user, (gid_t)-1), 0);
	assert_int_equal(chmod(path, 0700), 0);
	/* A second save (a requeued job) goes over the first. */
	assert_int_equal(ev_job_view_save(st, &js, (uint32_t)user, &x->err), 0);
	assert_int_equal(stat(path, &sb), 0);
	assert_int_equal(sb.st_mode & 0777, 0711);
	assert_int_equal(sb.st_uid, 0);
	assert_int_equal(tu_as_unprivileged(probe_as_user, &p), 0);
	snprintf(path, sizeof(path), "%s/view/%u/90.start", st, (unsigned)user);
	/* A copy its user could have written is no measurement. */
	assert_int_equal(chown(path, user, (gid_t)-1), 0);
	p.want_load = -EPERM;
	assert_int_equal(tu_as_unprivileged(probe_as_user, &p), 0);
	assert_int_equal(chown(path, 0, (gid_t)-1), 0);
	snprintf(path, sizeof(path), "%s/view", st);
	assert_int_equal(chmod(path, 0777), 0);
	assert_int_equal(tu_as_unprivileged(probe_as_user, &p), 0);
	/* ...and root will not write into such a directory either. */
	assert_int_equal(ev_job_view_save(st, &js, (uint32_t)user, &x->err), -EPERM);
	assert_int_equal(chmod(path, 0711), 0);
	/* A user directory of someone else's is refused, never written in. */
	snprintf(path, sizeof(path), "%s/view/777", st);
	assert_int_equal(mkdir(path, 0700), 0);
	assert_int_equal(chown(path, 778, (gid_t)-1), 0);
	assert_int_equal(ev_job_view_save(st, &js, 777, &x->err), -EPERM);
	/* The epilog's removal. */
	assert_int_equal(ev_job_view_remove(st, 90, (uint32_t)user), 0);
	p.want_load = -ENOENT;
	assert_int_equal(tu_as_unprivileged(probe_as_user, &p), 0);
	ev_job_start_free(&js);
	tu_rm_rf(udir);
	free(udir);
}

/* Whether the job had the whole node travels in the start file; a file
 * without it (an older prolog's) is "not known", and a bad value is a
 * corrupt file, never a guess. */
static void test_start_file_whole_node(void **state)
{
	static const char head[] = "efa-verify-snapshot 2\njob 9\nseq 1\nothers\n";
	static const struct {
		const char *lines;
		int rc;
		enum ev_whole whole;
		const char *why;
	} cases[] = {
		{ "", 0, EV_WHOLE_UNKNOWN, "" },
		{ "whole_node yes\nwhole_node_why exclusive\n", 0, EV_WHOLE_YES, "exclusive" },
		{ "whole_node unknown\nwhole_node_why -\n", 0, EV_WHOLE_UNKNOWN, "" },
		{ "whole_node no\nwhole_node_why cpus:1/2\n", 0, EV_WHOLE_NO, "cpus:1/2" },
		{ "whole_node maybe\n", -EBADMSG, EV_WHOLE_UNKNOWN, "" },
		{ "whole_node yes\nwhole_node yes\n", -EBADMSG, EV_WHOLE_UNKNOWN, "" },
		{ "whole_node_why Exclusive!\n", -EBADMSG, EV_WHOLE_UNKNOWN, "" },
		{ "whole_node_why aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\n", -EBADMSG, EV_WHOLE_UNKNOWN, "" },
	};
	struct ev_err err;

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char text[512];
		struct ev_job_start js;
		int n = snprintf(text, sizeof(text), "%s%stime_ns 1\nend\n", head, cases[i].lines);

		assert_int_equal(ev_job_start_deserialize(text, (size_t)n, &js, &err), cases[i].rc);
		if (cases[i].rc == 0) {
			assert_int_equal(js.whole.whole, cases[i].whole);
			assert_string_equal(js.whole.why, cases[i].why);
		}
		ev_job_start_free(&js);
	}
}

/* A step's not-ready finding, from slurmstepd to the job's epilog. */
/* The slurmctld host's pending records: kept, listed in job order, taken
 * once; what is not a job id in there is left alone. */
static void test_pending(void **state)
{
	struct fx *x = *state;
	char path[2048];
	uint32_t *ids = NULL;
	size_t n = 9;
	struct stat st;
	int fd;

	/* None kept: none listed, and no directory made for it. */
	assert_int_equal(ev_pending_list(x->state, &ids, &n, &x->err), 0);
	assert_int_equal(n, 0);
	assert_null(ids);
	snprintf(path, sizeof(path), "%s/pending", x->state);
	assert_int_equal(lstat(path, &st), -1);
	assert_int_equal(ev_pending_remove(x->state, 7, &x->err), 0);
	assert_int_equal(ev_pending_put(x->state, 300, &x->err), 0);
	assert_int_equal(ev_pending_put(x->state, 12, &x->err), 0);
	assert_int_equal(ev_pending_put(x->state, 12, &x->err), 0);
	assert_int_equal(lstat(path, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0700);
	snprintf(path, sizeof(path), "%s/pending/12.tmp.99", x->state);
	assert_true((fd = open(path, O_CREAT | O_WRONLY, 0600)) >= 0);
	close(fd);
	assert_int_equal(ev_pending_list(x->state, &ids, &n, &x->err), 0);
	assert_int_equal(n, 2);
	assert_int_equal(ids[0], 12);
	assert_int_equal(ids[1], 300);
	free(ids);
	assert_int_equal(ev_pending_remove(x->state, 12, &x->err), 0);
	assert_int_equal(ev_pending_list(x->state, &ids, &n, &x->err), 0);
	assert_int_equal(n, 1);
	assert_int_equal(ids[0], 300);
	free(ids);
	assert_int_equal(lstat(path, &st), 0);
	assert_int_equal(ev_pending_put(x->state, 0, &x->err), -EINVAL);
}

static void test_findings(void **state)
{
	struct fx *x = *state;
	char out[EV_FINDINGS_MAX + 1], path[2048], line[EV_FINDINGS_LINE_MAX];
	struct stat st;

	assert_int_equal(ev_findings_take(x->state, 51, out, sizeof(out), &x->err), 0);
	assert_string_equal(out, "");
	assert_int_equal(ev_findings_add(x->state, 51, "fi_provider(tcp)", &x->err), 0);
	/* Each step says it again: kept once. */
	assert_int_equal(ev_findings_add(x->state, 51, "fi_provider(tcp)", &x->err), 0);
	assert_int_equal(ev_findings_add(x->state, 51, "nccl_net(Socket)\nx", &x->err), 0);
	assert_int_equal(ev_findings_add(x->state, 51, "", &x->err), 0);
	snprintf(path, sizeof(path), "%s/findings/51", x->state);
	assert_int_equal(lstat(path, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	assert_int_equal(ev_findings_take(x->state, 52, out, sizeof(out), &x->err), 0);
	assert_int_equal(ev_findings_take(x->state, 51, out, sizeof(out), &x->err), 1);
	assert_string_equal(out, "fi_provider(tcp)\nnccl_net(Socket)_x\n");
	assert_int_equal(ev_findings_take(x->state, 51, out, sizeof(out), &x->err), 0);
	/* Thousands of different lines: the file stops growing at its cap. */
	for (int i = 0; i < 2000; i++) {
		snprintf(line, sizeof(line), "versions(libfabric:%d)", i);
		assert_int_equal(ev_findings_add(x->state, 53, line, &x->err), 0);
	}
	assert_int_equal(ev_findings_take(x->state, 53, out, sizeof(out), &x->err), 1);
	assert_true(strlen(out) <= EV_FINDINGS_MAX);
	assert_true(strlen(out) > EV_FINDINGS_MAX - 64);
	assert_non_null(strstr(out, "versions(libfabric:0)\n"));
	/* Never written through a link standing in its place. */
	snprintf(path, sizeof(path), "%s/findings/54", x->state);
	assert_int_equal(symlink("/etc/passwd", path), 0);
	assert_true(ev_findings_add(x->state, 54, "memlock(1)", &x->err) < 0);
	assert_int_equal(ev_findings_add(x->state, 0, "x", &x->err), -EINVAL);
}

static void test_placement_memo(void **state)
{
	struct fx *x = *state;
	struct ev_placement_memo m = { .different = true, .why = "zones differ:\nn1 a, n2 b" }, got;
	char path[2048];
	struct stat st;

	assert_int_equal(ev_placement_memo_get(x->state, 61, &got, &x->err), 0);
	assert_int_equal(ev_placement_memo_put(x->state, 61, &m, &x->err), 0);
	snprintf(path, sizeof(path), "%s/placement/61", x->state);
	assert_int_equal(lstat(path, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	assert_int_equal(ev_placement_memo_get(x->state, 61, &got, &x->err), 1);
	assert_true(got.different);
	assert_string_equal(got.why, "zones differ:_n1 a, n2 b");
	/* The first judgement stands for the job. */
	m.different = false;
	assert_int_equal(ev_placement_memo_put(x->state, 61, &m, &x->err), 0);
	assert_int_equal(ev_placement_memo_get(x->state, 61, &got, &x->err), 1);
	assert_true(got.different);
	assert_int_equal(ev_placement_memo_put(x->state, 62, &m, &x->err), 0);
	assert_int_equal(ev_placement_memo_get(x->state, 62, &got, &x->err), 1);
	assert_false(got.different);
	ev_placement_memo_remove(x->state, 61);
	assert_int_equal(ev_placement_memo_get(x->state, 61, &got, &x->err), 0);
	ev_placement_memo_remove(x->state, 61);
	/* What does not parse, or is not root's own file that only root may
	 * write, is no memo: the step judges afresh. */
	for (const char *const *t = (const char *const[]){ "same", "different \n", "diff x\n", "same\nmore\n",
							   "\n", NULL };
	     *t; t++) {
		assert_int_equal(tu_write(x->state, "placement/63", *t), 0);
		snprintf(path, sizeof(path), "%s/placement/63", x->state);
		assert_int_equal(chmod(path, 0600), 0);
		assert_int_equal(ev_placement_memo_get(x->state, 63, &got, &x->err), 0);
	}
	assert_int_equal(tu_write(x->state, "placement/64", "same\n"), 0);
	snprintf(path, sizeof(path), "%s/placement/64", x->state);
	assert_int_equal(chmod(path, 0622), 0);
	assert_int_equal(ev_placement_memo_get(x->state, 64, &got, &x->err), 0);
	snprintf(path, sizeof(path), "%s/placement/65", x->state);
	assert_int_equal(symlink("/etc/passwd", path), 0);
	assert_int_equal(ev_placement_memo_get(x->state, 65, &got, &x->err), 0);
	/* ... and a link in its place is never written through. */
	assert_int_equal(ev_placement_memo_put(x->state, 65, &m, &x->err), 0);
	assert_int_equal(lstat(path, &st), 0);
	assert_true(S_ISLNK(st.st_mode));
	assert_int_equal(ev_placement_memo_get(x->state, 65, &got, &x->err), 0);
	assert_int_equal(ev_placement_memo_put(x->state, 0, &m, &x->err), -EINVAL);
}

static struct ev_peer_addr v4(const char *text)
{
	struct ev_peer_addr a = { .family = AF_INET };

	assert_int_equal(inet_pton(AF_INET, text, &a.a.v4), 1);
	return a;
}

/* What a node learned of its peers, kept across jobs: found by name,
 * fresh only within its age, replaced by what is learned later, written
 * sorted and whole, and not trusted when it is not root's or does not
 * parse. */
static void test_peer_cache(void **state)
{
	struct fx *x = *state;
	struct ev_peer_cache c, back;
	struct ev_peer_addr a[6] = { v4("198.18.0.2"), v4("198.18.0.3") }, six = { .family = AF_INET6 };
	const struct ev_peer_entry *e;
	char path[2048], name[32], *text = NULL;
	const int64_t now = 1760000000;

	assert_int_equal(ev_peer_cache_load(x->state, &c, &x->err), 0);
	assert_int_equal(c.n, 0);
	assert_int_equal(ev_state_make_dir(x->state, &x->err), 0);
	assert_null(ev_peer_cache_find(&c, "n2"));
	assert_int_equal(ev_peer_cache_store(x->state, &c, &x->err), 0);   /* nothing changed: nothing written */
	snprintf(path, sizeof(path), "%s/peers", x->state);
	assert_int_not_equal(access(path, F_OK), 0);

	assert_int_equal(inet_pton(AF_INET6, "2001:db8::7", &six.a.v6), 1);
	assert_int_equal(ev_peer_cache_put(&c, "n3", EV_PEER_SRC_NODEADDR, now - 10, &a[1], 1, &x->err), 0);
	assert_int_equal(ev_peer_cache_put(&c, "n2", EV_PEER_SRC_DNS, now - 4000, a, 2, &x->err), 0);
	assert_int_equal(ev_peer_cache_put(&c, "n10", EV_PEER_SRC_ALIAS, now, &six, 1, &x->err), 0);
	assert_int_equal(ev_peer_cache_put(&c, "../x", EV_PEER_SRC_DNS, now, a, 1, &x->err), -EINVAL);
	assert_int_equal(ev_peer_cache_put(&c, "n4", EV_PEER_SRC_DNS, now, a, 0, &x->err), -EINVAL);
	assert_int_equal(ev_peer_cache_store(x->state, &c, &x->err), 0);
	assert_true(ev_file_read_alloc(path, 1 << 20, "peers", &text, &x->err) > 0);
	assert_string_equal(text, "efa-verify-peers 1\n"
				  "n10 alias 1760000000 2001:db8::7\n"
				  "n2 dns 1759996000 198.18.0.2,198.18.0.3\n"
				  "n3 nodeaddr 1759999990 198.18.0.3\n");
	free(text);
	ev_peer_cache_free(&c);

	assert_int_equal(ev_peer_cache_load(x->state, &back, &x->err), 0);
	assert_int_equal(back.n, 3);
	e = ev_peer_cache_find(&back, "n2");
	assert_non_null(e);
	assert_int_equal(e->n, 2);
	assert_int_equal(e->source, EV_PEER_SRC_DNS);
	assert_false(ev_peer_entry_fresh(e, now));      /* learned more than an hour ago */
	assert_true(ev_peer_entry_fresh(ev_peer_cache_find(&back, "n3"), now));
	assert_false(ev_peer_entry_fresh(ev_peer_cache_find(&back, "n3"), now - 3600));   /* from the future */
	assert_null(ev_peer_cache_find(&back, "n1"));
	assert_null(ev_peer_cache_find(&back, "n"));
	/* Learned again: the new addresses replace the old. */
	assert_int_equal(ev_peer_cache_put(&back, "n2", EV_PEER_SRC_DNS, now, &a[1], 1, &x->err), 0);
	e = ev_peer_cache_find(&back, "n2");
	assert_int_equal(e->n, 1);
	assert_int_equal(e->learned, now);
	assert_int_equal(back.n, 3);
	/* Many names, put in any order: found, and written sorted. */
	for (int i = 5000; i > 0; i--) {
		snprintf(name, sizeof(name), "node%d", i);
		assert_int_equal(ev_peer_cache_put(&back, name, EV_PEER_SRC_DNS, now, a, 1, &x->err), 0);
	}
	assert_non_null(ev_peer_cache_find(&back, "node4321"));
	assert_int_equal(ev_peer_cache_store(x->state, &back, &x->err), 0);
	ev_peer_cache_free(&back);
	assert_int_equal(ev_peer_cache_load(x->state, &back, &x->err), 0);
	assert_int_equal(back.n, 5003);
	assert_true(back.sorted);
	ev_peer_cache_free(&back);

	/* Not trusted: another's writable file, garbage, a cut line. */
	for (const char *const *t = (const char *const[]){ "efa-verify-peers 1\nn2 dns 1 198.18.0.2",
							   "efa-verify-peers 1\nn2 dns x 198.18.0.2\n",
							   "efa-verify-peers 1\nn2 ftp 1 198.18.0.2\n",
							   "efa-verify-peers 1\nn2 dns 1 999.1.1.1\n",
							   "efa-verify-peers 1\n-n2 dns 1 198.18.0.2\n",
							   "efa-verify-peers 1\nn2 dns 1\n",
							   "efa-verify-peers 2\n", "", NULL };
	     *t; t++) {
		assert_int_equal(tu_write(x->state, "peers", *t), 0);
		assert_int_equal(chmod(path, 0600), 0);
		assert_int_equal(ev_peer_cache_load(x->state, &back, &x->err), -EBADMSG);
		assert_int_equal(back.n, 0);
		assert_null(ev_peer_cache_find(&back, "n2"));
	}
	assert_int_equal(tu_write(x->state, "peers", "efa-verify-peers 1\nn2 dns 1 198.18.0.2\n"), 0);
	assert_int_equal(chmod(path, 0666), 0);
	assert_true(ev_peer_cache_load(x->state, &back, &x->err) < 0);
	assert_int_equal(back.n, 0);
	assert_int_equal(chmod(path, 0600), 0);
	assert_int_equal(ev_peer_cache_load(x->state, &back, &x->err), 0);
	assert_int_equal(back.n, 1);
	ev_peer_cache_free(&back);
}

/* A cache of 8,192 names with an address each of its own (some with two,
 * some IPv6, the sources and ages mixed) comes back name by name as it
 * went in, from the file alone: what an 8,193-node job's prolog takes. */
static void test_peer_cache_8k(void **state)
{
	enum { N = 8192 };
	struct fx *x = *state;
	struct ev_peer_cache c, back;
	const int64_t now = 1760000000;
	char name[32];

	(void)state;
	assert_int_equal(ev_state_make_dir(x->state, &x->err), 0);
	memset(&c, 0, sizeof(c));
	c.sorted = true;
	for (int i = N; i > 0; i--) {
		struct ev_peer_addr a[2] = { { .family = AF_INET }, { .family = AF_INET6 } };

		a[0].a.v4.s_addr = htonl(0xc6130000u + (uint32_t)i);
		a[1].a.v6.s6_addr[0] = 0x20, a[1].a.v6.s6_addr[1] = 0x01, a[1].a.v6.s6_addr[2] = 0x0d;
		a[1].a.v6.s6_addr[3] = 0xb8, a[1].a.v6.s6_addr[14] = (uint8_t)(i >> 8), a[1].a.v6.s6_addr[15] = (uint8_t)i;
		snprintf(name, sizeof(name), "p%05d", i);
		assert_int_equal(ev_peer_cache_put(&c, name, (enum ev_peer_source)(i % EV_PEER_SRC__COUNT), now - i, a,
						   i % 7 ? 1 : 2, &x->err), 0);
	}
	assert_int_equal(ev_peer_cache_store(x->state, &c, &x->err), 0);
	ev_peer_cache_free(&c);
	assert_int_equal(ev_peer_cache_load(x->state, &back, &x->err), 0);
	assert_int_equal(back.n, N);
	for (int i = 1; i <= N; i++) {
		const struct ev_peer_entry *e;

		snprintf(name, sizeof(name), "p%05d", i);
		e = ev_peer_cache_find(&back, name);
		assert_non_null(e);
		assert_string_equal(e->name, name);
		assert_int_equal(e->source, i % EV_PEER_SRC__COUNT);
		assert_int_equal(e->learned, now - i);
		assert_int_equal(e->n, i % 7 ? 1 : 2);
		assert_int_equal(e->addr[0].family, AF_INET);
		assert_int_equal(ntohl(e->addr[0].a.v4.s_addr), 0xc6130000u + (uint32_t)i);
		if (e->n == 2) {
			assert_int_equal(e->addr[1].family, AF_INET6);
			assert_int_equal(e->addr[1].a.v6.s6_addr[0], 0x20);
			assert_int_equal(e->addr[1].a.v6.s6_addr[14], (uint8_t)(i >> 8));
			assert_int_equal(e->addr[1].a.v6.s6_addr[15], (uint8_t)i);
		}
	}
	assert_null(ev_peer_cache_find(&back, "p00000"));
	assert_null(ev_peer_cache_find(&back, "p08193"));
	ev_peer_cache_free(&back);
}

static void test_notready_marker(void **state)
{
	struct fx *x = *state;
	char reason[EV_NOTREADY_REASON_MAX], path[2048], big[600];
	struct stat st;

	/* Nothing marked: nothing found, and no directory made for it. */
	assert_int_equal(ev_notready_take(x->state, 41, reason, sizeof(reason), &x->err), 0);
	assert_int_equal(ev_notready_mark(x->state, 41, "ports: rdmap17s0 DOWN\nand more", &x->err), 0);
	snprintf(path, sizeof(path), "%s/notready/41", x->state);
	assert_int_equal(lstat(path, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	snprintf(path, sizeof(path), "%s/notready", x->state);
	assert_int_equal(lstat(path, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0700);
	/* The first finding stays. */
	assert_int_equal(ev_notready_mark(x->state, 41, "placement: other", &x->err), 0);
	/* Another job's is its own. */
	assert_int_equal(ev_notready_take(x->state, 42, reason, sizeof(reason), &x->err), 0);
	assert_int_equal(ev_notready_take(x->state, 41, reason, sizeof(reason), &x->err), 1);
	assert_string_equal(reason, "ports: rdmap17s0 DOWN_and more");
	/* Taken once. */
	assert_int_equal(ev_notready_take(x->state, 41, reason, sizeof(reason), &x->err), 0);
	/* A long reason is cut; an empty one is still a finding. */
	memset(big, 'r', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	assert_int_equal(ev_notready_mark(x->state, 43, big, &x->err), 0);
	assert_int_equal(ev_notready_take(x->state, 43, reason, sizeof(reason), &x->err), 1);
	assert_int_equal(strlen(reason), EV_NOTREADY_REASON_MAX - 1);
	assert_int_equal(ev_notready_mark(x->state, 44, NULL, &x->err), 0);
	assert_int_equal(ev_notready_take(x->state, 44, NULL, 0, &x->err), 1);
	/* Job id 0 is no job. */
	assert_int_equal(ev_notready_mark(x->state, 0, "x", &x->err), -EINVAL);
}

/* Only root's own files count: a marker planted as a symbolic link is not
 * read through (the finding stays, its words do not), and a notready
 * directory that is a link is refused. */
static void test_notready_planted(void **state)
{
	struct fx *x = *state;
	char reason[EV_NOTREADY_REASON_MAX], path[2048], target[2048];

	assert_int_equal(ev_notready_mark(x->state, 50, "real", &x->err), 0);
	snprintf(target, sizeof(target), "%s/secret", x->dir);
	assert_int_equal(tu_write(x->dir, "secret", "do not read me\n"), 0);
	snprintf(path, sizeof(path), "%s/notready/51", x->state);
	assert_int_equal(symlink(target, path), 0);
	assert_int_equal(ev_notready_take(x->state, 51, reason, sizeof(reason), &x->err), 1);
	assert_string_equal(reason, "not_ready");
	assert_int_equal(access(target, F_OK), 0);
	assert_int_equal(ev_notready_take(x->state, 50, reason, sizeof(reason), &x->err), 1);
	assert_string_equal(reason, "real");
	/* The directory itself replaced by a link: refused both ways. */
	snprintf(path, sizeof(path), "%s/notready", x->state);
	snprintf(target, sizeof(target), "%s/elsewhere", x->dir);
	assert_int_equal(mkdir(target, 0700), 0);
	assert_int_equal(rmdir(path), 0);
	assert_int_equal(symlink(target, path), 0);
	assert_int_equal(ev_notready_mark(x->state, 52, "x", &x->err), -ELOOP);
	assert_int_equal(ev_notready_take(x->state, 52, reason, sizeof(reason), &x->err), -ELOOP);
	assert_int_equal(rmdir(target), 0);
}

static struct ev_snapshot net_snap(enum ev_tcp_source src, struct ev_net_counts c, struct ev_tcp_counters *t)
{
	struct ev_snapshot s;

	memset(&s, 0, sizeof(s));
	s.tcp_source = src;
	s.net = c;
	s.tcp = t;
	s.n_tcp = 1;
	return s;
}

/* The job's TCP: from its table when both ends have its counters, else
 * from the interfaces, said in tcp_source. */
static void test_delta_tcp_source(void **state)
{
	struct ev_tcp_counters t0 = { "ens5", 1000, 1000, true }, t1 = { "ens5", 9000, 5000, true };
	struct ev_snapshot a, b;
	struct ev_node_delta d;
	struct ev_err err;

	(void)state;
	a = net_snap(EV_TCP_SRC_NFTABLES, (struct ev_net_counts){ 0, 0, 0, 0 }, &t0);
	b = net_snap(EV_TCP_SRC_NFTABLES, (struct ev_net_counts){ 700, 300, 1700, 900 }, &t1);
	assert_int_equal(ev_delta_compute(&a, &b, &d, &err), 0);
	assert_int_equal(d.tcp_source, EV_TCP_SRC_NFTABLES);
	assert_int_equal(d.tcp_bytes, 1000);
	assert_int_equal(d.tcp_tx_bytes, 700);
	assert_int_equal(d.tcp_rx_bytes, 300);
	assert_int_equal(d.other_tcp_bytes, 1600);
	assert_false(d.tcp_reset || d.tcp_incomplete);
	ev_delta_free(&d);

	/* Counters read one after another: all a hair below peer is 0, not a wrap. */
	b.net = (struct ev_net_counts){ 700, 300, 690, 300 };
	assert_int_equal(ev_delta_compute(&a, &b, &d, &err), 0);
	assert_int_equal(d.other_tcp_bytes, 0);
	ev_delta_free(&d);

	/* A counter lower at the end: another table took its place. */
	a.net.peer_rx = 400;
	assert_int_equal(ev_delta_compute(&a, &b, &d, &err), 0);
	assert_true(d.tcp_reset);
	assert_string_equal(d.tcp_bad_if, "nftables");
	ev_delta_free(&d);

	/* The table gone at the end: the interfaces, all of their bytes. */
	a.net.peer_rx = 0;
	b.tcp_source = EV_TCP_SRC_INTERFACE;
	assert_int_equal(ev_delta_compute(&a, &b, &d, &err), 0);
	assert_int_equal(d.tcp_source, EV_TCP_SRC_INTERFACE);
	assert_int_equal(d.tcp_bytes, 12000);
	assert_int_equal(d.other_tcp_bytes, 0);
	ev_delta_free(&d);

	/* A start file from before tcp_source (NONE): interfaces. */
	a.tcp_source = EV_TCP_SRC_NONE;
	b.tcp_source = EV_TCP_SRC_NFTABLES;
	assert_int_equal(ev_delta_compute(&a, &b, &d, &err), 0);
	assert_int_equal(d.tcp_source, EV_TCP_SRC_INTERFACE);
	assert_int_equal(d.tcp_bytes, 12000);
	ev_delta_free(&d);
}

static void test_jobid(void **state)
{
	uint32_t id;
	struct ev_err err;

	(void)state;
	assert_int_equal(ev_jobid_parse("123", &id, &err), 0);
	assert_int_equal(id, 123);
	assert_int_equal(ev_jobid_parse("4294967295", &id, &err), 0);
	assert_int_equal(ev_jobid_parse("4294967296", &id, &err), -EINVAL);
	assert_string_equal(err.msg, "job id '4294967296' is out of range");
	assert_int_equal(ev_jobid_parse("0", &id, &err), -EINVAL);
	assert_string_equal(err.msg, "job id '0' is out of range");
	assert_int_equal(ev_jobid_parse("12/../x", &id, &err), -EINVAL);
	assert_string_equal(err.msg, "job id '12/../x' is not a Slurm job id");
	/* Eleven digits are no job id, leading zeros or not. */
	assert_int_equal(ev_jobid_parse("00000000012", &id, &err), -EINVAL);
	assert_string_equal(err.msg, "job id '00000000012' is not a Slurm job id");
	assert_int_equal(ev_jobid_parse("0000000012", &id, &err), 0);
	assert_int_equal(id, 12);
	assert_int_equal(ev_jobid_parse("+5", &id, &err), -EINVAL);
	assert_int_equal(ev_jobid_parse(" 5", &id, &err), -EINVAL);
	assert_int_equal(ev_jobid_parse("", &id, &err), -EINVAL);
	assert_int_equal(ev_jobid_parse(NULL, &id, &err), -EINVAL);
	assert_int_equal(ev_jobid_parse("-5", &id, &err), -EINVAL);
}

static void test_prolog_to_epilog_on_a_tree(void **state)
{
	struct fx *x = *state;
	struct ev_node_delta d;
	struct ev_node_verdict v;
	struct ev_verdict_in in = { .delta = &d, .job_nodes = 2 };
	struct ev_job_start back;

	/* What the prolog and epilog will do, on a real fixture tree. */
	assert_int_equal(ev_snapshot_take(&x->cfg, &x->devs, NULL, NULL, &x->a, &x->err), 0);
	assert_int_equal(ev_job_start_save(x->state, &(struct ev_job_start){ .jobid = 11, .snap = x->a }, &x->err), 0);
	assert_int_equal(tu_fixture(x->root, "--add", "*:tx_bytes=104857600", "--add", "*:rx_bytes=104857600", NULL), 0);
	assert_int_equal(ev_job_start_load(x->state, 11, &back, &x->err), 0);
	x->b = back.snap;
	ev_snapshot_free(&x->a);
	assert_int_equal(ev_snapshot_take(&x->cfg, &x->devs, NULL, NULL, &x->a, &x->err), 0);
	assert_int_equal(ev_delta_compute(&x->b, &x->a, &d, &x->err), 0);
	ev_verdict_decide(&x->cfg.verdict, &in, &v);
	assert_int_equal(v.verdict, EV_V_OK);
	assert_true(d.efa_bytes == 8ull * 104857600ull);
	ev_delta_free(&d);
}

/* A start file an older prolog wrote has no setup errors ("D" lines): it
 * loads, and the epilog's delta leaves them uncompared, while the packet
 * counters it has still name unreachable peers. A current start file names
 * the setup errors the job met. */
static void test_start_file_without_setup_counters(void **state)
{
	struct fx *x = *state;
	struct ev_node_delta d;
	struct ev_causes cs = { .n = 0 };
	struct ev_job_start back;
	char *text;
	size_t len;

	assert_int_equal(ev_snapshot_take(&x->cfg, &x->devs, ev_job_counters, NULL, &x->a, &x->err), 0);
	text = ev_snapshot_serialize(&x->a, &len);
	assert_null(strstr(text, "\nD "));
	free(text);
	assert_int_equal(ev_job_start_save(x->state, &(struct ev_job_start){ .jobid = 12, .snap = x->a }, &x->err), 0);
	ev_snapshot_free(&x->a);
	assert_int_equal(ev_snapshot_take(&x->cfg, &x->devs, ev_job_counters, ev_job_device_counters, &x->a, &x->err),
			 0);
	assert_int_equal(ev_job_start_save(x->state, &(struct ev_job_start){ .jobid = 13, .snap = x->a }, &x->err), 0);
	/* The job: memory registration failing, and peers never answering. */
	assert_int_equal(tu_fixture(x->root, "--reg-mr-err", "3", "--tx-only", "100000000", "--unresponsive", "2",
				    NULL), 0);
	ev_snapshot_free(&x->a);
	assert_int_equal(ev_snapshot_take(&x->cfg, &x->devs, ev_job_counters, ev_job_device_counters, &x->a, &x->err),
			 0);

	assert_int_equal(ev_job_start_load(x->state, 12, &back, &x->err), 0);
	assert_int_equal(back.snap.efa[0].n_device, 0);
	assert_int_equal(ev_delta_compute(&back.snap, &x->a, &d, &x->err), 0);
	ev_job_start_free(&back);
	assert_int_equal(d.setup_errors, 0);
	assert_int_equal(d.n_pkts, 4);
	assert_int_equal(d.tx_pkts, 4 * (100000000 / 8192));
	ev_causes_from_delta(&d, &cs);
	assert_null(ev_causes_find(&cs, EV_CAUSE_SETUP_ERRORS));
	assert_string_equal(ev_causes_find(&cs, EV_CAUSE_UNREACHABLE_PEERS)->detail,
			    "tx_pkts:48828/rx_pkts:0/unresponsive_remote_events:8");
	ev_delta_free(&d);

	memset(&cs, 0, sizeof(cs));
	assert_int_equal(ev_job_start_load(x->state, 13, &back, &x->err), 0);
	assert_int_equal(ev_delta_compute(&back.snap, &x->a, &d, &x->err), 0);
	ev_job_start_free(&back);
	ev_causes_from_delta(&d, &cs);
	assert_string_equal(ev_causes_find(&cs, EV_CAUSE_SETUP_ERRORS)->detail, "reg_mr_err:12");
	assert_non_null(ev_causes_find(&cs, EV_CAUSE_UNREACHABLE_PEERS));
	ev_delta_free(&d);
}

/* Whether dir/rel exists (lstat). */
static bool exists(const char *dir, const char *rel)
{
	char path[4096];
	struct stat sb;

	snprintf(path, sizeof(path), "%s/%s", dir, rel);
	return lstat(path, &sb) == 0;
}

/* A writer killed between create and rename leaves "<name>.tmp.<pid>":
 * the sweep removes ours once over a minute old, and nothing else. */
static void test_sweep_abandoned_temporaries(void **state)
{
	struct fx *x = *state;
	static const char *const subs[] = { "", "jobs/", "spool/", "running/", "notready/", "pending/", "view/" };
	char rel[256], prom[2048], path[4096];
	size_t removed = 0;

	assert_int_equal(mkdir(x->state, 0700), 0);
	for (size_t i = 0; i < sizeof(subs) / sizeof(subs[0]); i++) {
		snprintf(rel, sizeof(rel), "%s7.start.tmp.4242", subs[i]);
		assert_int_equal(tu_write_aged(x->state, rel, "old", 120), 0);
		snprintf(rel, sizeof(rel), "%s8.rec.tmp.4243", subs[i]);
		assert_int_equal(tu_write_aged(x->state, rel, "being written", 5), 0);
	}
	/* Other names, however old: not ours. */
	assert_int_equal(tu_write_aged(x->state, "jobs/notes.tmp", "x", 600), 0);
	assert_int_equal(tu_write_aged(x->state, "jobs/7.start.tmp.12x", "x", 600), 0);
	assert_int_equal(tu_write_aged(x->state, "jobs/7.start.tmp.", "x", 600), 0);
	assert_int_equal(tu_write_aged(x->state, "spool/.tmp.77", "x", 600), 0);
	snprintf(path, sizeof(path), "%s/running/9.tmp.55", x->state);
	assert_int_equal(symlink("/etc/passwd", path), 0);
	snprintf(prom, sizeof(prom), "%s/prom", x->dir);
	assert_int_equal(mkdir(prom, 0755), 0);
	assert_int_equal(tu_write_aged(prom, "efa_verify_job_7_n1.prom.tmp.4242", "old", 120), 0);
	assert_int_equal(tu_write_aged(prom, "efa_verify_job_8_n1.prom.tmp.4243", "new", 5), 0);
	assert_int_equal(tu_write_aged(prom, "node_gpu.prom.tmp.4242", "another exporter's", 600), 0);
	if (geteuid() == 0) {
		assert_int_equal(tu_write_aged(x->state, "notready/3.tmp.99", "another user's", 600), 0);
		snprintf(path, sizeof(path), "%s/notready/3.tmp.99", x->state);
		assert_int_equal(chown(path, tu_unprivileged_uid(), (gid_t)-1), 0);
	}
	assert_int_equal(ev_state_sweep_tmp(x->state, &removed, &x->err), 0);
	assert_int_equal(removed, 6);
	assert_int_equal(ev_job_view_sweep(x->state, &removed, &x->err), 0);
	assert_int_equal(removed, 7);
	assert_int_equal(ev_prom_sweep_tmp(prom, &removed, &x->err), 0);
	assert_int_equal(removed, 8);
	for (size_t i = 0; i < sizeof(subs) / sizeof(subs[0]); i++) {
		snprintf(rel, sizeof(rel), "%s7.start.tmp.4242", subs[i]);
		assert_false(exists(x->state, rel));
		snprintf(rel, sizeof(rel), "%s8.rec.tmp.4243", subs[i]);
		assert_true(exists(x->state, rel));
	}
	assert_true(exists(x->state, "jobs/notes.tmp"));
	assert_true(exists(x->state, "jobs/7.start.tmp.12x"));
	assert_true(exists(x->state, "jobs/7.start.tmp."));
	assert_true(exists(x->state, "spool/.tmp.77"));
	assert_true(exists(x->state, "running/9.tmp.55"));
	assert_false(exists(prom, "efa_verify_job_7_n1.prom.tmp.4242"));
	assert_true(exists(prom, "efa_verify_job_8_n1.prom.tmp.4243"));
	assert_true(exists(prom, "node_gpu.prom.tmp.4242"));
	if (geteuid() == 0)
		assert_true(exists(x->state, "notready/3.tmp.99"));
	/* Nothing there, nothing to do. */
	snprintf(path, sizeof(path), "%s/none", x->dir);
	assert_int_equal(ev_state_sweep_tmp(path, &removed, &x->err), 0);
	assert_int_equal(ev_job_view_sweep(path, &removed, &x->err), 0);
	assert_int_equal(removed, 8);
}

/* A uid given to someone else later never finds an earlier job's copy:
 * copies of jobs no longer running go with the next sweep. */
static void test_view_sweep_stale_copies(void **state)
{
	struct fx *x = *state;
	uint32_t uid = geteuid() == 0 ? (uint32_t)tu_unprivileged_uid() : (uint32_t)geteuid();
	struct ev_running_mark mark;
	struct ev_job_start js;
	size_t removed = 0;
	char rel[64];

	memset(&js, 0, sizeof(js));
	snprintf(js.node, sizeof(js.node), "n1");
	assert_int_equal(ev_snapshot_take(&x->cfg, &x->devs, ev_job_counters, ev_job_device_counters, &js.snap, &x->err), 0);
	assert_int_equal(chmod(x->dir, 0711), 0);
	/* 90 runs (its marker), 91 ended without an epilog, 92 of another uid too. */
	assert_int_equal(ev_running_begin(x->state, 90, NULL, &mark, &x->err), 0);
	js.jobid = 90;
	assert_int_equal(ev_job_view_save(x->state, &js, uid, &x->err), 0);
	js.jobid = 91;
	assert_int_equal(ev_job_view_save(x->state, &js, uid, &x->err), 0);
	js.jobid = 92;
	assert_int_equal(ev_job_view_save(x->state, &js, uid + 1, &x->err), 0);
	snprintf(rel, sizeof(rel), "view/%u/README", (unsigned)uid);
	assert_int_equal(tu_write_aged(x->state, rel, "not a copy", 600), 0);
	assert_int_equal(ev_job_view_sweep(x->state, &removed, &x->err), 0);
	assert_int_equal(removed, 2);
	snprintf(rel, sizeof(rel), "view/%u/90.start", (unsigned)uid);
	assert_true(exists(x->state, rel));
	snprintf(rel, sizeof(rel), "view/%u/91.start", (unsigned)uid);
	assert_false(exists(x->state, rel));
	snprintf(rel, sizeof(rel), "view/%u/92.start", (unsigned)uid + 1);
	assert_false(exists(x->state, rel));
	snprintf(rel, sizeof(rel), "view/%u/README", (unsigned)uid);
	assert_true(exists(x->state, rel));
	ev_job_start_free(&js);
}

/* In tu_as_unprivileged's child: the copy of job 90 reads back. */
static int load_as_user(void *arg)
{
	struct ev_job_start js;
	struct ev_err err;
	int rc = ev_job_view_load(arg, 90, &js, &err);

	if (rc)
		fprintf(stderr, "# load: %d %s\n", rc, err.msg);
	ev_job_start_free(&js);
	return rc ? 1 : 0;
}

static unsigned mode_of(const char *path)
{
	struct stat sb;

	return stat(path, &sb) == 0 ? (unsigned)(sb.st_mode & 07777) : 01000;
}

/* state_dir: /var/lib/efa-verify/%n on a node that never had one: the
 * directories above the node's are made so the job's user can pass (0711,
 * whatever root's umask), state_dir itself root's alone until the copy. */
static void test_view_through_made_parents(void **state)
{
	struct fx *x = *state;
	struct ev_running_mark mark;
	struct ev_job_start js;
	char *udir, st[2048], path[2048];
	mode_t old;
	int rc;

	(void)x;
	if (geteuid() != 0)
		tu_skip("needs root: the copy is for another user");
	if (!(udir = tu_mkdtemp_unprivileged()))
		tu_skip("no directory an unprivileged user can reach ($TMPDIR, /tmp, /var/tmp, /dev/shm)");
	assert_int_equal(chmod(udir, 0711), 0);
	assert_int_equal(chown(udir, 0, 0), 0);
	snprintf(st, sizeof(st), "%s/lib/efa-verify/n1", udir);
	/* The prolog's first write: the running marker. */
	old = umask(077);
	rc = ev_running_begin(st, 90, NULL, &mark, &x->err);
	umask(old);
	assert_int_equal(rc, 0);
	snprintf(path, sizeof(path), "%s/lib", udir);
	assert_int_equal(mode_of(path), 0711);
	snprintf(path, sizeof(path), "%s/lib/efa-verify", udir);
	assert_int_equal(mode_of(path), 0711);
	assert_int_equal(mode_of(st), 0700);
	memset(&js, 0, sizeof(js));
	js.jobid = 90;
	snprintf(js.node, sizeof(js.node), "n1");
	assert_int_equal(ev_snapshot_take(&x->cfg, &x->devs, ev_job_counters, ev_job_device_counters, &js.snap, &x->err), 0);
	assert_int_equal(ev_job_view_save(st, &js, (uint32_t)tu_unprivileged_uid(), &x->err), 0);
	assert_int_equal(mode_of(st), 0711);
	assert_int_equal(tu_as_unprivileged(load_as_user, st), 0);
	/* A parent an older version made 0700 is named, not changed. */
	snprintf(path, sizeof(path), "%s/lib/efa-verify", udir);
	assert_int_equal(chmod(path, 0700), 0);
	assert_int_equal(ev_job_view_save(st, &js, (uint32_t)tu_unprivileged_uid(), &x->err), -EACCES);
	assert_non_null(strstr(x->err.msg, "lib/efa-verify: mode 700"));
	assert_int_equal(mode_of(path), 0700);
	ev_job_start_free(&js);
	tu_rm_rf(udir);
	free(udir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_round_trip_is_exact, setup, teardown),
		cmocka_unit_test_setup_teardown(test_file_is_private_and_removable, setup, teardown),
		cmocka_unit_test_setup_teardown(test_planted_symlink_and_loose_modes_refused, setup, teardown),
		cmocka_unit_test(test_corrupt_and_truncated),
		cmocka_unit_test(test_jobid),
		cmocka_unit_test(test_delta_tcp_source),
		cmocka_unit_test_setup_teardown(test_spool_put_list_remove, setup, teardown),
		cmocka_unit_test_setup_teardown(test_spool_planted_symlink, setup, teardown),
		cmocka_unit_test_setup_teardown(test_boot_id, setup, teardown),
		cmocka_unit_test_setup_teardown(test_start_file_v2_round_trip, setup, teardown),
		cmocka_unit_test_setup_teardown(test_start_file_without_setup_counters, setup, teardown),
		cmocka_unit_test(test_start_file_whole_node),
		cmocka_unit_test_setup_teardown(test_findings, setup, teardown),
		cmocka_unit_test_setup_teardown(test_notready_marker, setup, teardown),
		cmocka_unit_test_setup_teardown(test_placement_memo, setup, teardown),
		cmocka_unit_test_setup_teardown(test_peer_cache_8k, setup, teardown),
		cmocka_unit_test_setup_teardown(test_peer_cache, setup, teardown),
		cmocka_unit_test_setup_teardown(test_pending, setup, teardown),
		cmocka_unit_test_setup_teardown(test_notready_planted, setup, teardown),
		cmocka_unit_test_setup_teardown(test_running_registry_sees_overlap, setup, teardown),
		cmocka_unit_test_setup_teardown(test_running_stale_marker_dropped, setup, teardown),
		cmocka_unit_test_setup_teardown(test_seq_rewritten_in_place_and_never_followed, setup, teardown),
		cmocka_unit_test_setup_teardown(test_prolog_to_epilog_on_a_tree, setup, teardown),
		cmocka_unit_test_setup_teardown(test_view_for_the_jobs_user, setup, teardown),
		cmocka_unit_test_setup_teardown(test_sweep_abandoned_temporaries, setup, teardown),
		cmocka_unit_test_setup_teardown(test_view_sweep_stale_copies, setup, teardown),
		cmocka_unit_test_setup_teardown(test_view_through_made_parents, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
