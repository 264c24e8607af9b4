/* Counter snapshots and the bounded file helpers they stand on. */
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
#include <unistd.h>

#include "config/ev_config.h"
#include "node/ev_snapshot.h"
#include "node/ev_delta.h"
#include "node/ev_devices.h"
#include "util/ev_file.h"
#include "util/ev_num.h"
#include "testutil.h"

struct fx {
	char *dir;
	char root[1024];
	struct ev_config cfg;
	struct ev_device_list devs;
	struct ev_snapshot snap;
	struct ev_err err;
};

static int setup(void **state)
{
	struct fx *x = calloc(1, sizeof(*x));

	x->dir = tu_mkdtemp();
	snprintf(x->root, sizeof(x->root), "%s/sys", x->dir);
	if (ev_config_defaults(&x->cfg, &x->err) != 0)
		return -1;
	snprintf(x->cfg.sysfs_root, sizeof(x->cfg.sysfs_root), "%s", x->root);
	*state = x;
	return 0;
}

static int teardown(void **state)
{
	struct fx *x = *state;

	ev_snapshot_free(&x->snap);
	ev_devices_free(&x->devs);
	ev_config_free(&x->cfg);
	tu_rm_rf(x->dir);
	free(x->dir);
	free(x);
	return 0;
}

static void take(struct fx *x)
{
	ev_snapshot_free(&x->snap);
	ev_devices_free(&x->devs);
	assert_int_equal(ev_devices_discover(x->root, &x->devs, &x->err), 0);
	assert_int_equal(ev_snapshot_take(&x->cfg, &x->devs, NULL, NULL, &x->snap, &x->err), 0);
}

static void test_values_read_back(void **state)
{
	struct fx *x = *state;
	const struct ev_counter *c;

	assert_int_equal(tu_fixture(x->root, "--type", "p4d.24xlarge", NULL), 0);
	assert_int_equal(tu_fixture(x->root, "--set", "rdmap17s0:tx_bytes=18446744073709551615",
				    "--set", "rdmap17s0:rdma_read_bytes=4096", "--add", "*:rx_bytes=7",
				    "--set", "rdmap17s0:submitted_cmds=3", NULL), 0);
	take(x);
	assert_int_equal(x->snap.n_efa, 4);
	assert_int_equal(x->snap.n_bad, 0);
	assert_true(x->snap.time_ns > 0);
	assert_string_equal(x->snap.efa[1].dev, "rdmap17s0");
	c = ev_counter_find(&x->snap.efa[1], "tx_bytes");
	assert_non_null(c);
	assert_true(c->ok);
	assert_true(c->value == UINT64_MAX);
	assert_int_equal(ev_counter_find(&x->snap.efa[1], "rdma_read_bytes")->value, 4096);
	for (size_t i = 0; i < 4; i++)
		assert_int_equal(ev_counter_find(&x->snap.efa[i], "rx_bytes")->value, 7);
	/* Device-level counters are found too. */
	assert_int_equal(ev_counter_find(&x->snap.efa[1], "submitted_cmds")->value, 3);
	assert_int_equal(x->snap.efa[1].n_port, 22);
	assert_int_equal(x->snap.efa[1].n_device, 12);
	/* lifespan is an attribute, not a counter. */
	assert_null(ev_counter_find(&x->snap.efa[1], "lifespan"));
	assert_null(ev_counter_find(&x->snap.efa[1], "no_such_counter"));
}

static void test_old_kernel_counters_absent_not_zero(void **state)
{
	struct fx *x = *state;

	assert_int_equal(tu_fixture(x->root, "--type", "p4d.24xlarge", "--kernel", "old", NULL), 0);
	take(x);
	assert_non_null(ev_counter_find(&x->snap.efa[0], "tx_bytes"));
	assert_null(ev_counter_find(&x->snap.efa[0], "rdma_read_bytes"));
	assert_null(ev_counter_find(&x->snap.efa[0], "retrans_pkts"));
	assert_int_equal(x->snap.efa[0].n_device, 0);
	assert_int_equal(x->snap.n_bad, 0);
}

static void test_missing_and_garbage_counters(void **state)
{
	struct fx *x = *state;
	const struct ev_counter *c;

	assert_int_equal(tu_fixture(x->root, "--type", "p4d.24xlarge", "--missing-counter", "rx_drops",
				    "--garbage-counter", "rx_bytes", NULL), 0);
	take(x);
	assert_null(ev_counter_find(&x->snap.efa[0], "rx_drops"));
	c = ev_counter_find(&x->snap.efa[0], "rx_bytes");
	assert_non_null(c);
	assert_false(c->ok);
	assert_int_equal(c->value, 0);
	assert_int_equal(x->snap.n_bad, 4);
}

static void test_overflowing_counter_is_bad(void **state)
{
	struct fx *x = *state;
	char p[2048];

	assert_int_equal(tu_fixture(x->root, "--type", "p4d.24xlarge", "--devices", "1", NULL), 0);
	snprintf(p, sizeof(p), "%s/class/infiniband/rdmap16s0/ports/1/hw_counters/tx_bytes", x->root + 1);
	assert_int_equal(tu_write("/", p, "18446744073709551616\n"), 0);
	take(x);
	assert_false(ev_counter_find(&x->snap.efa[0], "tx_bytes")->ok);
	assert_int_equal(x->snap.n_bad, 1);
}

static void test_tcp_auto_finds_ena_only(void **state)
{
	struct fx *x = *state;

	assert_int_equal(tu_fixture(x->root, "--type", "p4d.24xlarge", "--ena", "2", NULL), 0);
	assert_int_equal(tu_fixture(x->root, "--set", "net/ens5:tx_bytes=100", "--set", "net/ens6:rx_bytes=5", NULL), 0);
	take(x);
	assert_int_equal(x->snap.n_tcp, 2);
	assert_string_equal(x->snap.tcp[0].ifname, "ens5");
	assert_string_equal(x->snap.tcp[1].ifname, "ens6");
	assert_true(x->snap.tcp[0].ok);
	assert_int_equal(x->snap.tcp[0].tx_bytes, 100);
	assert_int_equal(x->snap.tcp[1].rx_bytes, 5);
	assert_ptr_equal(ev_snapshot_if(&x->snap, "ens6"), &x->snap.tcp[1]);
	assert_ptr_equal(ev_snapshot_if(&x->snap, "ens5"), &x->snap.tcp[0]);
	assert_null(ev_snapshot_if(&x->snap, "ens"));
	assert_null(ev_snapshot_if(&x->snap, "eth0"));
	assert_null(ev_snapshot_if(NULL, "ens5"));
}

/* More ENA interfaces than the old fixed 32, the primary listed last:
 * every one is counted, and the text form carries them all. */
static void test_tcp_auto_counts_40_interfaces_primary_last(void **state)
{
	struct fx *x = *state;
	struct ev_snapshot back = { 0 };
	char link[1200], target[256];
	ssize_t tn;
	size_t len;
	char *text;

	assert_int_equal(tu_fixture(x->root, "--type", "none", "--ena", "40", NULL), 0);
	/* Made again, ens5 is the class/net entry created last. */
	snprintf(link, sizeof(link), "%s/class/net/ens5", x->root);
	tn = readlink(link, target, sizeof(target) - 1);
	assert_true(tn > 0);
	target[tn] = '\0';
	assert_int_equal(unlink(link), 0);
	assert_int_equal(symlink(target, link), 0);
	assert_int_equal(tu_fixture(x->root, "--set", "net/ens5:tx_bytes=7777", NULL), 0);
	take(x);
	assert_int_equal(x->snap.n_tcp, 40);
	assert_non_null(ev_snapshot_if(&x->snap, "ens5"));
	assert_int_equal(ev_snapshot_if(&x->snap, "ens5")->tx_bytes, 7777);
	assert_non_null(ev_snapshot_if(&x->snap, "ens44"));
	text = ev_snapshot_serialize(&x->snap, &len);
	assert_non_null(text);
	assert_int_equal(ev_snapshot_deserialize(text, len, &back, &x->err), 0);
	assert_int_equal(back.n_tcp, 40);
	assert_int_equal(ev_snapshot_if(&back, "ens5")->tx_bytes, 7777);
	ev_snapshot_free(&back);
	free(text);
}

static void test_tcp_explicit_list_with_lo_and_missing(void **state)
{
	struct fx *x = *state;

	assert_int_equal(tu_fixture(x->root, "--type", "none", NULL), 0);
	assert_int_equal(tu_fixture(x->root, "--set", "net/lo:tx_bytes=42", NULL), 0);
	x->cfg.tcp_auto = false;
	snprintf(x->cfg.tcp_ifaces[0], EV_IFNAME_MAX, "lo");
	snprintf(x->cfg.tcp_ifaces[1], EV_IFNAME_MAX, "eth9");
	x->cfg.n_tcp_ifaces = 2;
	take(x);
	assert_int_equal(x->snap.n_efa, 0);
	assert_int_equal(x->snap.n_tcp, 2);
	assert_true(x->snap.tcp[0].ok);
	assert_int_equal(x->snap.tcp[0].tx_bytes, 42);
	assert_false(x->snap.tcp[1].ok);
	assert_int_equal(x->snap.n_bad, 1);
}

static void test_device_vanished_between_discovery_and_snapshot(void **state)
{
	struct fx *x = *state;
	char p[2048];

	assert_int_equal(tu_fixture(x->root, "--type", "p4d.24xlarge", NULL), 0);
	assert_int_equal(ev_devices_discover(x->root, &x->devs, &x->err), 0);
	snprintf(p, sizeof(p), "%s/class/infiniband/rdmap18s0", x->root);
	assert_int_equal(unlink(p), 0);
	assert_int_equal(ev_snapshot_take(&x->cfg, &x->devs, NULL, NULL, &x->snap, &x->err), 0);
	assert_int_equal(x->snap.n_efa, 3);
	assert_string_equal(x->snap.efa[2].dev, "rdmap19s0");
}

static bool in_job_counters(const char *name)
{
	for (size_t i = 0; ev_job_counters[i]; i++)
		if (strcmp(ev_job_counters[i], name) == 0)
			return true;
	return false;
}

/* The named read hands back its names in the order given, and
 * ev_counter_find bsearches them: the list must stay sorted, and hold every
 * counter the verdict is made of. */
static void test_job_counters_sorted_and_cover_the_verdict(void **state)
{
	static const char *const traffic[] = { "tx_bytes", "rx_bytes", "rdma_read_bytes", "rdma_write_bytes" };
	size_t n = 0;

	(void)state;
	for (; ev_job_counters[n]; n++) {
		assert_true(strlen(ev_job_counters[n]) < EV_COUNTER_NAME_MAX);
		if (n)
			assert_true(strcmp(ev_job_counters[n - 1], ev_job_counters[n]) < 0);
	}
	assert_int_equal(n, 14);
	for (size_t i = 0; i < 4; i++)
		assert_true(in_job_counters(traffic[i]));
	for (n = 0; ev_error_counters[n]; n++)
		assert_true(in_job_counters(ev_error_counters[n]));
	assert_int_equal(n, EV_N_ERROR_COUNTERS);
	assert_true(in_job_counters("tx_pkts") && in_job_counters("rx_pkts"));
}

/* What the prolog and epilog read: the named port counters and the
 * device-level setup errors, equal to what a full read finds for them,
 * nothing else. */
static void test_job_snapshot_equals_full_read_for_its_names(void **state)
{
	struct fx *x = *state;
	struct ev_snapshot full;

	assert_int_equal(tu_fixture(x->root, "--type", "p5.48xlarge", NULL), 0);
	assert_int_equal(tu_fixture(x->root, "--add", "*:tx_bytes=1000", "--set", "rdmap17s0:retrans_pkts=9",
				    "--set", "rdmap17s0:submitted_cmds=3", "--set", "rdmap18s0:rx_pkts=77",
				    "--reg-mr-err", "4", "--set", "rdmap19s0:create_qp_err=6", NULL), 0);
	assert_int_equal(ev_devices_discover_names(x->root, &x->devs, &x->err), 0);
	assert_int_equal(x->devs.n, 32);
	assert_int_equal(ev_snapshot_take(&x->cfg, &x->devs, NULL, NULL, &full, &x->err), 0);
	assert_int_equal(ev_snapshot_take(&x->cfg, &x->devs, ev_job_counters, ev_job_device_counters, &x->snap, &x->err), 0);
	assert_int_equal(x->snap.n_efa, 32);
	assert_int_equal(x->snap.n_bad, 0);
	for (size_t i = 0; i < x->snap.n_efa; i++) {
		const struct ev_dev_counters *d = &x->snap.efa[i];

		assert_string_equal(d->dev, full.efa[i].dev);
		assert_int_equal(d->n_port, 14);
		assert_int_equal(d->n_device, EV_N_JOB_DEVICE_COUNTERS);
		for (size_t k = 0; k < d->n_port; k++) {
			const struct ev_counter *f = ev_counter_find(&full.efa[i], d->port[k].name);

			assert_string_equal(d->port[k].name, ev_job_counters[k]);
			assert_non_null(f);
			assert_true(d->port[k].ok && f->ok);
			assert_true(d->port[k].value == f->value);
		}
		for (size_t k = 0; k < d->n_device; k++) {
			const struct ev_counter *f = ev_counter_find(&full.efa[i], d->device[k].name);

			assert_string_equal(d->device[k].name, ev_job_device_counters[k]);
			assert_non_null(f);
			assert_true(d->device[k].ok && f->ok);
			assert_true(d->device[k].value == f->value);
		}
		assert_int_equal(ev_counter_find(d, "reg_mr_err")->value, 4);
		assert_null(ev_counter_find(d, "submitted_cmds"));
		assert_null(ev_counter_find(d, "send_bytes"));
		assert_int_equal(ev_counter_find(d, "tx_bytes")->value, 1000);
	}
	assert_int_equal(ev_counter_find(&x->snap.efa[1], "retrans_pkts")->value, 9);
	assert_int_equal(ev_counter_find(&x->snap.efa[2], "rx_pkts")->value, 77);
	assert_int_equal(ev_counter_find(&x->snap.efa[3], "create_qp_err")->value, 6);
	assert_int_equal(x->snap.n_tcp, full.n_tcp);
	ev_snapshot_free(&full);
}

/* A named counter the driver lacks is absent, as in a listing; one that is
 * there but unreadable or garbage is kept and counted bad; a symlink is not
 * a counter (a listing passed over it too). */
static void test_job_snapshot_absent_garbage_dir_and_symlink(void **state)
{
	struct fx *x = *state;
	const struct ev_counter *c;
	char p[2048], t[2048];

	assert_int_equal(tu_fixture(x->root, "--type", "p4d.24xlarge", "--kernel", "old",
				    "--garbage-counter", "rx_bytes", NULL), 0);
	snprintf(p, sizeof(p), "%s/class/infiniband/rdmap16s0/ports/1/hw_counters/tx_pkts", x->root);
	assert_int_equal(unlink(p), 0);
	assert_int_equal(mkdir(p, 0755), 0);
	snprintf(p, sizeof(p), "%s/class/infiniband/rdmap17s0/ports/1/hw_counters/rx_drops", x->root);
	snprintf(t, sizeof(t), "%s/class/infiniband/rdmap17s0/ports/1/hw_counters/tx_bytes", x->root);
	assert_int_equal(unlink(p), 0);
	assert_int_equal(symlink(t, p), 0);
	assert_int_equal(ev_devices_discover_names(x->root, &x->devs, &x->err), 0);
	assert_int_equal(ev_snapshot_take(&x->cfg, &x->devs, ev_job_counters, ev_job_device_counters, &x->snap, &x->err), 0);
	assert_int_equal(x->snap.n_efa, 4);
	/* The old driver has no RDMA or retransmission counters. */
	assert_null(ev_counter_find(&x->snap.efa[0], "rdma_read_bytes"));
	assert_null(ev_counter_find(&x->snap.efa[0], "retrans_pkts"));
	c = ev_counter_find(&x->snap.efa[0], "rx_bytes");
	assert_non_null(c);
	assert_false(c->ok);
	c = ev_counter_find(&x->snap.efa[0], "tx_pkts");
	assert_non_null(c);
	assert_false(c->ok);
	assert_true(ev_counter_find(&x->snap.efa[1], "tx_pkts")->ok);
	assert_null(ev_counter_find(&x->snap.efa[1], "rx_drops"));
	assert_non_null(ev_counter_find(&x->snap.efa[0], "rx_drops"));
	/* Four garbage rx_bytes, one directory. */
	assert_int_equal(x->snap.n_bad, 5);
}

/* Older efa drivers have no ports/1/hw_counters: the same counters are read
 * from the device's hw_counters, for the job snapshot as for a full one,
 * and a job's delta and verdict come out as on a current driver. */
static void test_device_level_layout(void **state)
{
	struct fx *x = *state;
	struct ev_snapshot start, full;
	struct ev_node_delta d;
	char p[2048];
	struct stat st;

	assert_int_equal(tu_fixture(x->root, "--type", "p4d.24xlarge", "--layout", "device", NULL), 0);
	snprintf(p, sizeof(p), "%s/class/infiniband/rdmap16s0/ports/1/hw_counters", x->root);
	assert_int_equal(stat(p, &st), -1);
	assert_int_equal(ev_devices_discover_names(x->root, &x->devs, &x->err), 0);
	assert_int_equal(ev_snapshot_take(&x->cfg, &x->devs, ev_job_counters, ev_job_device_counters, &start, &x->err), 0);
	assert_int_equal(tu_fixture(x->root, "--add", "*:tx_bytes=1073741824", "--add", "*:rx_bytes=1073741824",
				    "--set", "rdmap17s0:retrans_pkts=5000", "--reg-mr-err", "2", NULL), 0);
	assert_int_equal(ev_snapshot_take(&x->cfg, &x->devs, ev_job_counters, ev_job_device_counters, &x->snap, &x->err), 0);
	assert_int_equal(x->snap.n_efa, 4);
	assert_int_equal(x->snap.n_bad, 0);
	for (size_t i = 0; i < x->snap.n_efa; i++) {
		const struct ev_dev_counters *dc = &x->snap.efa[i];

		/* Only the named ones, the traffic and the setup errors, from
		 * the device level, sorted, none twice. */
		assert_int_equal(dc->n_port, 0);
		assert_int_equal(dc->n_device, 14 + EV_N_JOB_DEVICE_COUNTERS);
		for (size_t k = 1; k < dc->n_device; k++)
			assert_true(strcmp(dc->device[k - 1].name, dc->device[k].name) < 0);
		for (size_t k = 0; ev_job_counters[k]; k++)
			assert_non_null(ev_counter_find(dc, ev_job_counters[k]));
		assert_int_equal(ev_counter_find(dc, "reg_mr_err")->value, 2);
		assert_null(ev_counter_find(dc, "submitted_cmds"));
		assert_true(ev_counter_find(dc, "tx_bytes")->value == 1073741824ull);
	}
	assert_int_equal(ev_delta_compute(&start, &x->snap, &d, &x->err), 0);
	assert_true(d.efa_bytes == 8ull << 30);
	assert_int_equal(d.n_no_counters, 0);
	assert_int_equal(d.devs[1].state, EV_DEV_OK);
	assert_true(d.devs[1].errors == 5000);
	assert_string_equal(d.top_setup_error, "reg_mr_err");
	assert_int_equal(d.top_setup_error_delta, 8);
	ev_delta_free(&d);
	/* A full snapshot (efa-verify snapshot) shows them all, as before. */
	assert_int_equal(ev_snapshot_take(&x->cfg, &x->devs, NULL, NULL, &full, &x->err), 0);
	assert_int_equal(full.efa[0].n_port, 0);
	assert_true(full.efa[0].n_device > 14);
	assert_non_null(ev_counter_find(&full.efa[0], "submitted_cmds"));
	ev_snapshot_free(&full);
	ev_snapshot_free(&start);
	/* A current driver's device-level counters stay out of a job's
	 * snapshot, but for the setup errors. */
	ev_snapshot_free(&x->snap);
	ev_devices_free(&x->devs);
	tu_rm_rf(x->root);
	assert_int_equal(tu_fixture(x->root, "--type", "p4d.24xlarge", NULL), 0);
	assert_int_equal(ev_devices_discover_names(x->root, &x->devs, &x->err), 0);
	assert_int_equal(ev_snapshot_take(&x->cfg, &x->devs, ev_job_counters, ev_job_device_counters, &x->snap, &x->err), 0);
	assert_int_equal(x->snap.efa[0].n_device, EV_N_JOB_DEVICE_COUNTERS);
	assert_int_equal(x->snap.efa[0].n_port, 14);
	assert_null(ev_counter_find(&x->snap.efa[0], "submitted_cmds"));
}

static void test_parse_u64(void **state)
{
	struct ev_err err;
	uint64_t v = 1;

	(void)state;
	assert_int_equal(ev_parse_u64("0", &v, &err), 0);
	assert_int_equal(v, 0);
	assert_int_equal(ev_parse_u64("  123\n", &v, &err), 0);
	assert_int_equal(v, 123);
	assert_int_equal(ev_parse_u64("18446744073709551615", &v, &err), 0);
	assert_true(v == UINT64_MAX);
	assert_int_equal(ev_parse_u64("18446744073709551616", &v, &err), -ERANGE);
	assert_int_equal(ev_parse_u64("", &v, &err), -EINVAL);
	assert_int_equal(ev_parse_u64("-1", &v, &err), -EINVAL);
	assert_int_equal(ev_parse_u64("12ab", &v, &err), -EINVAL);
	assert_int_equal(ev_parse_u64("1 2", &v, &err), -EINVAL);
	assert_int_equal(ev_parse_u64("\x01\x02", &v, &err), -EINVAL);
	assert_null(strchr(err.msg, '\x01'));
	assert_non_null(strstr(err.msg, "not a counter value"));
}

static void test_read_bounded_and_nofollow(void **state)
{
	struct fx *x = *state;
	char buf[8], path[2048], link[2048];
	long n;

	assert_int_equal(tu_write(x->dir, "f", "0123456789abcdef\n"), 0);
	snprintf(path, sizeof(path), "%s/f", x->dir);
	n = ev_file_read_at(AT_FDCWD, path, buf, sizeof(buf), false, &x->err);
	assert_int_equal(n, 7);
	assert_string_equal(buf, "0123456");
	snprintf(link, sizeof(link), "%s/l", x->dir);
	assert_int_equal(symlink(path, link), 0);
	assert_int_equal(ev_file_read_at(AT_FDCWD, link, buf, sizeof(buf), false, &x->err), -ELOOP);
	assert_non_null(strstr(x->err.msg, "symbolic link"));
	assert_int_equal(ev_file_read_at(AT_FDCWD, link, buf, sizeof(buf), true, &x->err), 7);
	snprintf(path, sizeof(path), "%s/none", x->dir);
	assert_int_equal(ev_file_read_at(AT_FDCWD, path, buf, sizeof(buf), false, &x->err), -ENOENT);
}

/* The private-file reader behind the state, IMDS and fabric caches. */
static void test_read_private_bounds_modes_and_links(void **state)
{
	struct fx *x = *state;
	char buf[8], path[2048], link[2048];

	assert_int_equal(tu_write(x->dir, "p", "1234567"), 0);
	snprintf(path, sizeof(path), "%s/p", x->dir);
	assert_int_equal(chmod(path, 0644), 0);
	/* cap-1 bytes fit exactly; nobody else may write it: fine with 022. */
	assert_int_equal(ev_file_read_private(AT_FDCWD, path, buf, sizeof(buf), 022, &x->err), 7);
	assert_string_equal(buf, "1234567");
	/* Others may read it: not private enough for 077. */
	assert_int_equal(ev_file_read_private(AT_FDCWD, path, buf, sizeof(buf), 077, &x->err), -EPERM);
	assert_non_null(strstr(x->err.msg, "not a private file"));
	assert_int_equal(chmod(path, 0600), 0);
	assert_int_equal(ev_file_read_private(AT_FDCWD, path, buf, sizeof(buf), 077, &x->err), 7);
	/* One byte more is too large, never a cut read. */
	assert_int_equal(tu_write(x->dir, "p", "12345678"), 0);
	assert_int_equal(ev_file_read_private(AT_FDCWD, path, buf, sizeof(buf), 022, &x->err), -EFBIG);
	assert_string_equal(buf, "");
	snprintf(link, sizeof(link), "%s/l", x->dir);
	assert_int_equal(symlink(path, link), 0);
	assert_int_equal(ev_file_read_private(AT_FDCWD, link, buf, sizeof(buf), 022, &x->err), -ELOOP);
	/* A FIFO is refused at once, not waited on. */
	snprintf(link, sizeof(link), "%s/fifo", x->dir);
	assert_int_equal(mkfifo(link, 0600), 0);
	assert_int_equal(ev_file_read_private(AT_FDCWD, link, buf, sizeof(buf), 022, &x->err), -EPERM);
	snprintf(link, sizeof(link), "%s/none", x->dir);
	assert_int_equal(ev_file_read_private(AT_FDCWD, link, buf, sizeof(buf), 022, &x->err), -ENOENT);
}

static void test_write_atomic_replaces_symlink_not_target(void **state)
{
	struct fx *x = *state;
	char path[2048], target[2048], buf[64];
	struct stat st;

	snprintf(target, sizeof(target), "%s/target", x->dir);
	snprintf(path, sizeof(path), "%s/state", x->dir);
	assert_int_equal(tu_write(x->dir, "target", "precious"), 0);
	assert_int_equal(symlink(target, path), 0);
	assert_int_equal(ev_file_write_atomic(path, "new", 3, 0600, &x->err), 0);
	/* The planted link was replaced; what it pointed at is untouched. */
	assert_int_equal(ev_file_read_at(AT_FDCWD, target, buf, sizeof(buf), false, &x->err), 8);
	assert_string_equal(buf, "precious");
	assert_int_equal(lstat(path, &st), 0);
	assert_true(S_ISREG(st.st_mode));
	assert_int_equal(st.st_mode & 0777, 0600);
	assert_int_equal(ev_file_read_at(AT_FDCWD, path, buf, sizeof(buf), false, &x->err), 3);
	snprintf(path, sizeof(path), "%s/no/such/dir/f", x->dir);
	assert_int_equal(ev_file_write_atomic(path, "x", 1, 0600, &x->err), -ENOENT);
}

static void test_mkdir_p_refuses_symlink(void **state)
{
	struct fx *x = *state;
	char path[2048], link[2048];
	struct stat st;

	snprintf(path, sizeof(path), "%s/a/b/c", x->dir);
	assert_int_equal(ev_mkdir_p(path, 0700, true, &x->err), 0);
	assert_int_equal(stat(path, &st), 0);
	assert_true(S_ISDIR(st.st_mode));
	assert_int_equal(ev_mkdir_p(path, 0700, true, &x->err), 0);
	snprintf(link, sizeof(link), "%s/evil", x->dir);
	assert_int_equal(symlink("/tmp", link), 0);
	snprintf(path, sizeof(path), "%s/evil/sub", x->dir);
	assert_int_equal(ev_mkdir_p(path, 0700, true, &x->err), -ELOOP);
	assert_int_equal(ev_path_join(path, 8, "/abc", "defgh"), -ENAMETOOLONG);
	assert_int_equal(ev_path_join(path, sizeof(path), "/sys/", "/class"), 0);
	assert_string_equal(path, "/sys/class");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_values_read_back, setup, teardown),
		cmocka_unit_test_setup_teardown(test_old_kernel_counters_absent_not_zero, setup, teardown),
		cmocka_unit_test_setup_teardown(test_missing_and_garbage_counters, setup, teardown),
		cmocka_unit_test_setup_teardown(test_overflowing_counter_is_bad, setup, teardown),
		cmocka_unit_test_setup_teardown(test_tcp_auto_finds_ena_only, setup, teardown),
		cmocka_unit_test_setup_teardown(test_tcp_auto_counts_40_interfaces_primary_last, setup, teardown),
		cmocka_unit_test_setup_teardown(test_tcp_explicit_list_with_lo_and_missing, setup, teardown),
		cmocka_unit_test_setup_teardown(test_device_vanished_between_discovery_and_snapshot, setup, teardown),
		cmocka_unit_test(test_job_counters_sorted_and_cover_the_verdict),
		cmocka_unit_test_setup_teardown(test_job_snapshot_equals_full_read_for_its_names, setup, teardown),
		cmocka_unit_test_setup_teardown(test_job_snapshot_absent_garbage_dir_and_symlink, setup, teardown),
		cmocka_unit_test_setup_teardown(test_device_level_layout, setup, teardown),
		cmocka_unit_test(test_parse_u64),
		cmocka_unit_test_setup_teardown(test_read_bounded_and_nofollow, setup, teardown),
		cmocka_unit_test_setup_teardown(test_read_private_bounds_modes_and_links, setup, teardown),
		cmocka_unit_test_setup_teardown(test_write_atomic_replaces_symlink_not_target, setup, teardown),
		cmocka_unit_test_setup_teardown(test_mkdir_p_refuses_symlink, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
