/* libfabric and rdma-core probes, for real: libfabric loads the test efa
 * provider from FI_PROVIDER_PATH; rdma-core sees this machine's (no) devices.
 * libfabric initialises once per process, so the case without the provider
 * runs in a child started before any libfabric call. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "node/ev_fabric.h"
#include "node/ev_verbs.h"
#include "testutil.h"

static char self[4096];

static void test_without_provider_no_efa(void **state)
{
	pid_t pid;
	int st;

	(void)state;
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		char *argv[] = { self, "--child-no-provider", NULL };

		unsetenv("FI_PROVIDER_PATH");
		execv(self, argv);
		_exit(99);
	}
	assert_int_equal(waitpid(pid, &st, 0), pid);
	assert_true(WIFEXITED(st));
	/* The child exits 0 only if it saw no efa provider, with a reason. */
	assert_int_equal(WEXITSTATUS(st), 0);
}

static int child_no_provider(void)
{
	struct ev_fabric_info fi;
	struct ev_err err;

	if (ev_fabric_probe(&fi, &err) != 0)
		return 2;
	if (fi.have_efa || !fi.detail[0] || !strstr(fi.detail, "fi_getinfo"))
		return 3;
	return 0;
}

static void test_fake_provider_found(void **state)
{
	struct ev_fabric_info fi;
	struct ev_err err;
	unsigned maj, min;

	(void)state;
	assert_int_equal(ev_fabric_probe(&fi, &err), 0);
	assert_true(fi.have_efa);
	assert_int_equal(fi.n_efa_devices, 3);
	assert_string_equal(fi.first_device, "rdmap16s0");
	assert_int_equal(sscanf(fi.version, "%u.%u", &maj, &min), 2);
	assert_true(maj >= 1);
	/* Probing twice in one process (the plugin's case) works the same. */
	assert_int_equal(ev_fabric_probe(&fi, &err), 0);
	assert_true(fi.have_efa);
}

/* libfabric 1.x lists one "efa" RDM fi_info per device. */
static void test_libfabric1_layout(void **state)
{
	struct ev_fabric_info fi;
	struct ev_err err;

	(void)state;
	setenv("EV_FAKE_EFA_LAYOUT", "1", 1);
	assert_int_equal(ev_fabric_probe(&fi, &err), 0);
	unsetenv("EV_FAKE_EFA_LAYOUT");
	assert_true(fi.have_efa);
	assert_int_equal(fi.n_efa_devices, 3);
	assert_string_equal(fi.first_device, "rdmap16s0");
	assert_string_equal(fi.fabrics, "efa");
}

/* libfabric 2.x lists every NIC twice for RDM, under the efa-direct and the
 * efa fabric (same "-rdm" domain name): one device each, both fabrics named,
 * which the probe's hints must let through. */
static void test_libfabric2_layout(void **state)
{
	struct ev_fabric_info fi;
	struct ev_err err;

	(void)state;
	setenv("EV_FAKE_EFA_LAYOUT", "2", 1);
	setenv("EV_FAKE_EFA_DOMAINS", "32", 1);
	assert_int_equal(ev_fabric_probe(&fi, &err), 0);
	unsetenv("EV_FAKE_EFA_LAYOUT");
	setenv("EV_FAKE_EFA_DOMAINS", "3", 1);
	assert_true(fi.have_efa);
	assert_int_equal(fi.n_efa_devices, 32);
	assert_string_equal(fi.first_device, "rdmap16s0");
	assert_string_equal(fi.fabrics, "efa, efa-direct");
}

/* A provider that is registered but has no device (the built-in efa
 * provider on a machine without EFA) is "no efa provider". */
static void test_no_devices(void **state)
{
	struct ev_fabric_info fi;
	struct ev_err err;

	(void)state;
	setenv("EV_FAKE_EFA_DOMAINS", "0", 1);
	assert_int_equal(ev_fabric_probe(&fi, &err), 0);
	setenv("EV_FAKE_EFA_DOMAINS", "3", 1);
	assert_false(fi.have_efa);
	assert_int_equal(fi.n_efa_devices, 0);
	assert_non_null(strstr(fi.detail, "fi_getinfo"));
}

static void test_verbs_without_hardware(void **state)
{
	struct ev_device d = { .name = "rdmap16s0", .driver = "efa", .port_state = 4 };
	struct ev_device_list l = { .devs = &d, .n = 1 };
	struct ev_verbs_info vi;
	struct ev_err err;

	(void)state;
	assert_int_equal(ev_verbs_probe(&l, &vi, &err), 0);
	assert_int_equal(vi.n_opened, 0);
	assert_int_equal(vi.n_efadv_ok, 0);
	assert_non_null(strstr(vi.first_failure, "rdmap16s0: not found by rdma-core"));
	l.n = 0;
	assert_int_equal(ev_verbs_probe(&l, &vi, &err), 0);
	assert_string_equal(vi.first_failure, "");
}

int main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_without_provider_no_efa),
		cmocka_unit_test(test_fake_provider_found),
		cmocka_unit_test(test_libfabric1_layout),
		cmocka_unit_test(test_libfabric2_layout),
		cmocka_unit_test(test_no_devices),
		cmocka_unit_test(test_verbs_without_hardware),
	};
	char path[4096];
	ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);

	if (n < 0)
		return 1;
	self[n] = '\0';
	if (argc > 1 && strcmp(argv[1], "--child-no-provider") == 0)
		return child_no_provider();
	snprintf(path, sizeof(path), "%s/tests/fakeprov/.libs", tu_builddir());
	setenv("FI_PROVIDER_PATH", path, 1);
	setenv("EV_FAKE_EFA_DOMAINS", "3", 1);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
