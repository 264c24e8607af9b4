/* Start snapshots kept between prolog and epilog. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ev_config.h"
#include "ev_counters.h"
#include "ev_delta.h"
#include "ev_devices.h"
#include "ev_state.h"
#include "ev_verdict.h"
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
	char *t1, *t2;
	size_t l1, l2;

	assert_int_equal(tu_fixture(x->root, "--set", "rdmap16s0:tx_bytes=18446744073709551615",
				    "--set", "net/ens5:rx_bytes=77", NULL), 0);
	assert_int_equal(ev_snapshot_take(&x->cfg, &x->devs, NULL, &x->a, &x->err), 0);
	x->a.job_nodes = 512;
	assert_int_equal(ev_state_save_start(x->state, 4242, &x->a, &x->err), 0);
	assert_int_equal(ev_state_load_start(x->state, 4242, &x->b, &x->err), 0);
	t1 = ev_snapshot_serialize(&x->a, &l1);
	t2 = ev_snapshot_serialize(&x->b, &l2);
	assert_int_equal(l1, l2);
	assert_string_equal(t1, t2);
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
	char path[2048];
	struct stat st;

	assert_int_equal(ev_snapshot_take(&x->cfg, &x->devs, NULL, &x->a, &x->err), 0);
	assert_int_equal(ev_state_save_start(x->state, 7, &x->a, &x->err), 0);
	snprintf(path, sizeof(path), "%s/jobs/7.start", x->state);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	snprintf(path, sizeof(path), "%s/jobs", x->state);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0700);
	assert_int_equal(ev_state_remove_start(x->state, 7), 0);
	assert_int_equal(ev_state_load_start(x->state, 7, &x->b, &x->err), -ENOENT);
	assert_string_equal(x->err.msg, "no start snapshot for job 7");
	assert_int_equal(ev_state_remove_start(x->state, 7), 0);
}

static void test_planted_symlink_and_loose_modes_refused(void **state)
{
	struct fx *x = *state;
	char path[2048], target[2048];

	assert_int_equal(ev_snapshot_take(&x->cfg, &x->devs, NULL, &x->a, &x->err), 0);
	assert_int_equal(ev_state_save_start(x->state, 8, &x->a, &x->err), 0);
	snprintf(path, sizeof(path), "%s/jobs/9.start", x->state);
	snprintf(target, sizeof(target), "%s/jobs/8.start", x->state);
	assert_int_equal(symlink(target, path), 0);
	assert_int_equal(ev_state_load_start(x->state, 9, &x->b, &x->err), -ELOOP);
	/* Saving over the planted link replaces the link, not its target. */
	assert_int_equal(ev_state_save_start(x->state, 9, &x->a, &x->err), 0);
	assert_int_equal(chmod(target, 0666), 0);
	assert_int_equal(ev_state_load_start(x->state, 8, &x->b, &x->err), -EPERM);
	/* A state dir that is a symlink is refused. */
	snprintf(path, sizeof(path), "%s/linked", x->dir);
	assert_int_equal(symlink(x->state, path), 0);
	snprintf(target, sizeof(target), "%s/linked", x->dir);
	assert_int_equal(ev_state_save_start(target, 10, &x->a, &x->err), -ELOOP);
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

static void test_jobid(void **state)
{
	uint32_t id;
	struct ev_err err;

	(void)state;
	assert_int_equal(ev_jobid_parse("123", &id, &err), 0);
	assert_int_equal(id, 123);
	assert_int_equal(ev_jobid_parse("4294967295", &id, &err), 0);
	assert_int_equal(ev_jobid_parse("4294967296", &id, &err), -EINVAL);
	assert_int_equal(ev_jobid_parse("0", &id, &err), -EINVAL);
	assert_int_equal(ev_jobid_parse("12/../x", &id, &err), -EINVAL);
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

	/* What the prolog and epilog will do, on a real fixture tree. */
	assert_int_equal(ev_snapshot_take(&x->cfg, &x->devs, NULL, &x->a, &x->err), 0);
	assert_int_equal(ev_state_save_start(x->state, 11, &x->a, &x->err), 0);
	assert_int_equal(tu_fixture(x->root, "--add", "*:tx_bytes=104857600", "--add", "*:rx_bytes=104857600", NULL), 0);
	assert_int_equal(ev_state_load_start(x->state, 11, &x->b, &x->err), 0);
	ev_snapshot_free(&x->a);
	assert_int_equal(ev_snapshot_take(&x->cfg, &x->devs, NULL, &x->a, &x->err), 0);
	assert_int_equal(ev_delta_compute(&x->b, &x->a, &d, &x->err), 0);
	ev_verdict_decide(&x->cfg.verdict, &in, &v);
	assert_int_equal(v.verdict, EV_V_OK);
	assert_true(d.efa_bytes == 8ull * 104857600ull);
	ev_delta_free(&d);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_round_trip_is_exact, setup, teardown),
		cmocka_unit_test_setup_teardown(test_file_is_private_and_removable, setup, teardown),
		cmocka_unit_test_setup_teardown(test_planted_symlink_and_loose_modes_refused, setup, teardown),
		cmocka_unit_test(test_corrupt_and_truncated),
		cmocka_unit_test(test_jobid),
		cmocka_unit_test_setup_teardown(test_prolog_to_epilog_on_a_tree, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
