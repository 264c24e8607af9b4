/* Device discovery on simulated trees made by tests/fixtures/mkfixture.py. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "node/ev_devices.h"
#include "testutil.h"

struct fx {
	char *dir;
	char root[1024];
	struct ev_device_list l;
	struct ev_err err;
};

static int setup(void **state)
{
	struct fx *x = calloc(1, sizeof(*x));

	x->dir = tu_mkdtemp();
	snprintf(x->root, sizeof(x->root), "%s/sys", x->dir);
	*state = x;
	return 0;
}

static int teardown(void **state)
{
	struct fx *x = *state;

	ev_devices_free(&x->l);
	tu_rm_rf(x->dir);
	free(x->dir);
	free(x);
	return 0;
}

static void test_p5_has_32_active_devices(void **state)
{
	struct fx *x = *state;

	assert_int_equal(tu_fixture(x->root, "--type", "p5.48xlarge", NULL), 0);
	assert_int_equal(ev_devices_discover(x->root, &x->l, &x->err), 0);
	assert_int_equal(x->l.n, 32);
	assert_int_equal(x->l.n_rdma_other, 0);
	for (size_t i = 0; i < x->l.n; i++) {
		assert_true(ev_device_active(&x->l.devs[i]));
		assert_string_equal(x->l.devs[i].driver, "efa");
		assert_string_equal(x->l.devs[i].port_state_name, "ACTIVE");
		assert_string_equal(x->l.devs[i].link_rate, "100 Gb/sec (4X EDR)");
		if (i)
			assert_true(strcmp(x->l.devs[i - 1].name, x->l.devs[i].name) < 0);
	}
}

static void test_p4d_names_and_pci_addresses(void **state)
{
	struct fx *x = *state;

	assert_int_equal(tu_fixture(x->root, "--type", "p4d.24xlarge", NULL), 0);
	assert_int_equal(ev_devices_discover(x->root, &x->l, &x->err), 0);
	assert_int_equal(x->l.n, 4);
	assert_string_equal(x->l.devs[0].name, "rdmap16s0");
	assert_string_equal(x->l.devs[0].pci_addr, "0000:00:10.0");
	assert_string_equal(x->l.devs[3].name, "rdmap19s0");
}

/* The snapshot's discovery: the same devices, in the same order, without
 * the port and PCI reads (so nothing claims a port state it did not read). */
static void test_names_only_same_devices(void **state)
{
	struct fx *x = *state;
	struct ev_device_list names;

	assert_int_equal(tu_fixture(x->root, "--type", "p4d.24xlarge", "--other-rdma", "--port-down", "2", NULL), 0);
	assert_int_equal(ev_devices_discover(x->root, &x->l, &x->err), 0);
	assert_int_equal(ev_devices_discover_names(x->root, &names, &x->err), 0);
	assert_int_equal(names.n, x->l.n);
	assert_int_equal(names.n, 4);
	assert_int_equal(names.n_rdma_other, x->l.n_rdma_other);
	assert_int_equal(names.n_rdma_other, 1);
	for (size_t i = 0; i < names.n; i++) {
		assert_string_equal(names.devs[i].name, x->l.devs[i].name);
		assert_string_equal(names.devs[i].driver, "efa");
		assert_int_equal(names.devs[i].port_state, -1);
		assert_false(ev_device_active(&names.devs[i]));
		assert_string_equal(names.devs[i].pci_addr, "");
		assert_string_equal(names.devs[i].link_rate, "");
	}
	ev_devices_free(&names);
}

static void test_node_without_efa(void **state)
{
	struct fx *x = *state;

	assert_int_equal(tu_fixture(x->root, "--type", "none", NULL), 0);
	assert_int_equal(ev_devices_discover(x->root, &x->l, &x->err), 0);
	assert_int_equal(x->l.n, 0);
	assert_null(x->l.devs);
}

static void test_missing_class_dir_is_zero_devices(void **state)
{
	struct fx *x = *state;

	assert_int_equal(ev_devices_discover("/nonexistent/efa-verify-sys", &x->l, &x->err), 0);
	assert_int_equal(x->l.n, 0);
}

static void test_port_down(void **state)
{
	struct fx *x = *state;

	assert_int_equal(tu_fixture(x->root, "--type", "p4d.24xlarge", "--port-down", "1", NULL), 0);
	assert_int_equal(ev_devices_discover(x->root, &x->l, &x->err), 0);
	assert_true(ev_device_active(&x->l.devs[0]));
	assert_false(ev_device_active(&x->l.devs[1]));
	assert_int_equal(x->l.devs[1].port_state, 1);
	assert_string_equal(x->l.devs[1].port_state_name, "DOWN");
}

static void test_other_rdma_driver_skipped(void **state)
{
	struct fx *x = *state;

	assert_int_equal(tu_fixture(x->root, "--type", "p4d.24xlarge", "--other-rdma", NULL), 0);
	assert_int_equal(ev_devices_discover(x->root, &x->l, &x->err), 0);
	assert_int_equal(x->l.n, 4);
	assert_int_equal(x->l.n_rdma_other, 1);
	for (size_t i = 0; i < x->l.n; i++)
		assert_string_not_equal(x->l.devs[i].name, "mlx5_0");
}

static void test_unreadable_state_and_broken_link(void **state)
{
	struct fx *x = *state;
	char p[2048];

	assert_int_equal(tu_fixture(x->root, "--type", "p4d.24xlarge", NULL), 0);
	/* A garbage state file: the number is unknown, the device still listed. */
	snprintf(p, sizeof(p), "%s/class/infiniband/rdmap17s0/ports/1/state", x->root);
	assert_int_equal(tu_write("/", p + 1, "\x01\x02garbage"), 0);
	/* A dangling class link: skipped, not fatal. */
	snprintf(p, sizeof(p), "%s/class/infiniband/rdmap99s0", x->root);
	assert_int_equal(symlink("../../devices/nowhere", p), 0);
	assert_int_equal(ev_devices_discover(x->root, &x->l, &x->err), 0);
	assert_int_equal(x->l.n, 4);
	assert_int_equal(x->l.devs[1].port_state, -1);
	for (const char *c = x->l.devs[1].port_state_name; *c; c++)
		assert_true(*c >= 0x20 && *c < 0x7f);
}

static void test_hostile_device_name_ignored(void **state)
{
	struct fx *x = *state;
	char p[2048];

	assert_int_equal(tu_fixture(x->root, "--type", "p4d.24xlarge", NULL), 0);
	snprintf(p, sizeof(p), "%s/class/infiniband/bad name;rm", x->root);
	assert_int_equal(symlink("rdmap16s0", p), 0);
	assert_int_equal(ev_devices_discover(x->root, &x->l, &x->err), 0);
	assert_int_equal(x->l.n, 4);
}

static void test_any_efa_device(void **state)
{
	struct fx *x = *state;
	bool any = true;
	char sub[600];

	/* No tree at all, then a node with only another RDMA driver: none. */
	assert_int_equal(ev_devices_any(x->root, &any, &x->err), 0);
	assert_false(any);
	snprintf(sub, sizeof(sub), "%s/none", x->root);
	assert_int_equal(tu_fixture(sub, "--type", "none", "--other-rdma", NULL), 0);
	assert_int_equal(ev_devices_any(sub, &any, &x->err), 0);
	assert_false(any);
	assert_int_equal(tu_fixture(x->root, "--type", "p5.48xlarge", NULL), 0);
	assert_int_equal(ev_devices_any(x->root, &any, &x->err), 0);
	assert_true(any);
}

static void test_too_many_devices_is_bounded(void **state)
{
	struct fx *x = *state;

	assert_int_equal(tu_fixture(x->root, "--type", "p5.48xlarge", "--devices", "257", "--ena", "0", NULL), 0);
	assert_int_equal(ev_devices_discover(x->root, &x->l, &x->err), -E2BIG);
	assert_non_null(strstr(x->err.msg, "more than 256 EFA devices"));
	assert_int_equal(x->l.n, 0);
	assert_null(x->l.devs);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_p5_has_32_active_devices, setup, teardown),
		cmocka_unit_test_setup_teardown(test_p4d_names_and_pci_addresses, setup, teardown),
		cmocka_unit_test_setup_teardown(test_names_only_same_devices, setup, teardown),
		cmocka_unit_test_setup_teardown(test_node_without_efa, setup, teardown),
		cmocka_unit_test_setup_teardown(test_any_efa_device, setup, teardown),
		cmocka_unit_test_setup_teardown(test_missing_class_dir_is_zero_devices, setup, teardown),
		cmocka_unit_test_setup_teardown(test_port_down, setup, teardown),
		cmocka_unit_test_setup_teardown(test_other_rdma_driver_skipped, setup, teardown),
		cmocka_unit_test_setup_teardown(test_unreadable_state_and_broken_link, setup, teardown),
		cmocka_unit_test_setup_teardown(test_hostile_device_name_ignored, setup, teardown),
		cmocka_unit_test_setup_teardown(test_too_many_devices_is_bounded, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
