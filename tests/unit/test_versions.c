/* Software versions from fake install roots laid out as real installs are. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "node/ev_versions.h"
#include "testutil.h"

static void test_version_cmp(void **state)
{
	(void)state;
	assert_true(ev_version_cmp("535.54.03", "535.104.05") < 0);
	assert_true(ev_version_cmp("535.104.05", "535.54.03") > 0);
	assert_int_equal(ev_version_cmp("1.7.3-aws", "1.7.3"), 0);
	assert_int_equal(ev_version_cmp("11.8", "11.8.0"), 0);
	assert_true(ev_version_cmp("2.18.5", "2.18.10") < 0);
	assert_true(ev_version_cmp("12.2", "11.8") > 0);
	assert_true(ev_version_cmp("1.26.1", "1.26") > 0);
	assert_int_equal(ev_version_cmp("", ""), 0);
	assert_true(ev_version_cmp("", "1") < 0);
	assert_int_equal(ev_version_cmp("garbage", "junk"), 0);
	/* libfabric 2: the major decides (2.1 is newer than 1.22), and
	 * fi_version()'s "2.1" equals the pkg-config file's "2.1.0". */
	assert_true(ev_version_cmp("2.1.0", "1.22.0") > 0);
	assert_true(ev_version_cmp("2.1", "1.18") > 0);
	assert_true(ev_version_cmp("1.22.0amzn4.0", "2.0") < 0);
	assert_true(ev_version_cmp("2.0.0", "2.1") < 0);
	assert_int_equal(ev_version_cmp("2.1.0", "2.1"), 0);
	/* Absurdly long numbers neither overflow nor crash. */
	assert_true(ev_version_cmp("99999999999999999999999999", "1") > 0);
}

static void test_nothing_installed(void **state)
{
	struct ev_versions v;
	struct ev_err err;
	char *dir = tu_mkdtemp();

	(void)state;
	assert_int_equal(ev_versions_detect(dir, dir, &v, &err), 0);
	for (int i = 0; i < EV_SW__COUNT; i++)
		assert_false(v.sw[i].present);
	assert_int_equal(ev_versions_detect(NULL, dir, &v, &err), -22);
	tu_rm_rf(dir);
	free(dir);
}

static void test_full_p5_install(void **state)
{
	struct ev_versions v;
	struct ev_err err;
	char *dir = tu_mkdtemp();

	(void)state;
	tu_write(dir, "opt/amazon/efa_installed_packages",
		 "# EFA installer version: 1.26.1\n# Debug packages installed: No\n"
		 "# Packages installed:\nlibfabric-aws 1.18.1amzn1.0\n");
	tu_write(dir, "opt/amazon/efa/lib/pkgconfig/libfabric.pc",
		 "prefix=/opt/amazon/efa\nName: libfabric\nVersion: 1.18.1amzn1.0\n");
	tu_write(dir, "usr/lib/x86_64-linux-gnu/libnccl.so.2", "");
	tu_write(dir, "usr/lib/x86_64-linux-gnu/libnccl.so.2.18.5", "");
	tu_write(dir, "usr/local/cuda/lib64/libnccl.so.2.16.2", "");
	tu_write(dir, "opt/amazon/ofi-nccl/lib/pkgconfig/aws-ofi-nccl.pc", "Name: aws-ofi-nccl\nVersion: 1.7.3-aws\n");
	tu_write(dir, "sys/module/nvidia/version", "535.54.03\n");
	tu_write(dir, "usr/local/cuda/version.json",
		 "{\n   \"cuda\" : {\n      \"name\" : \"CUDA SDK\",\n      \"version\" : \"12.2.2\"\n   },\n"
		 "   \"cuda_cudart\" : {\"version\" : \"12.2.140\"}\n}\n");
	{
		char sys[2048];

		snprintf(sys, sizeof(sys), "%s/sys", dir);
		assert_int_equal(ev_versions_detect(dir, sys, &v, &err), 0);
	}
	assert_string_equal(v.sw[EV_SW_EFA_INSTALLER].version, "1.26.1");
	assert_string_equal(v.sw[EV_SW_LIBFABRIC].version, "1.18.1amzn1.0");
	/* The highest NCCL wins, wherever it is. */
	assert_string_equal(v.sw[EV_SW_NCCL].version, "2.18.5");
	assert_non_null(strstr(v.sw[EV_SW_NCCL].source, "libnccl.so.2.18.5"));
	assert_string_equal(v.sw[EV_SW_AWS_OFI_NCCL].version, "1.7.3-aws");
	assert_string_equal(v.sw[EV_SW_NVIDIA_DRIVER].version, "535.54.03");
	assert_string_equal(v.sw[EV_SW_CUDA].version, "12.2.2");
	tu_rm_rf(dir);
	free(dir);
}

/* A distribution's libfabric (Debian 13: 2.1.0) is found by its pkg-config
 * file; the EFA installer's wins where both are installed. */
static void test_distribution_libfabric(void **state)
{
	struct ev_versions v;
	struct ev_err err;
	char *dir = tu_mkdtemp();

	(void)state;
	tu_write(dir, "usr/lib/x86_64-linux-gnu/pkgconfig/libfabric.pc",
		 "prefix=/usr\nName: libfabric\nDescription: OFI-WG libfabric\nVersion: 2.1.0\nRequires:\n");
	assert_int_equal(ev_versions_detect(dir, dir, &v, &err), 0);
	assert_true(v.sw[EV_SW_LIBFABRIC].present);
	assert_string_equal(v.sw[EV_SW_LIBFABRIC].version, "2.1.0");
	assert_non_null(strstr(v.sw[EV_SW_LIBFABRIC].source, "usr/lib/x86_64-linux-gnu/pkgconfig/libfabric.pc"));
	tu_write(dir, "opt/amazon/efa/lib/pkgconfig/libfabric.pc", "Name: libfabric\nVersion: 1.22.0amzn4.0\n");
	assert_int_equal(ev_versions_detect(dir, dir, &v, &err), 0);
	assert_string_equal(v.sw[EV_SW_LIBFABRIC].version, "1.22.0amzn4.0");
	tu_rm_rf(dir);
	free(dir);

	dir = tu_mkdtemp();
	tu_write(dir, "usr/lib64/pkgconfig/libfabric.pc", "Name: libfabric\nVersion: 2.2.0\n");
	assert_int_equal(ev_versions_detect(dir, dir, &v, &err), 0);
	assert_string_equal(v.sw[EV_SW_LIBFABRIC].version, "2.2.0");
	tu_rm_rf(dir);
	free(dir);
}

static void test_older_formats(void **state)
{
	struct ev_versions v;
	struct ev_err err;
	char *dir = tu_mkdtemp();

	(void)state;
	tu_write(dir, "usr/local/cuda/version.txt", "CUDA Version 11.4.4\n");
	tu_write(dir, "proc/driver/nvidia/version",
		 "NVRM version: NVIDIA UNIX x86_64 Kernel Module  470.182.03  Fri Feb 24 03:29:56 UTC 2023\n"
		 "GCC version:  gcc version 7.3.1\n");
	tu_write(dir, "opt/amazon/efa_installed_packages",
		 "# EFA installer version: 1.15.1\naws-ofi-nccl 1.6.0-aws\n");
	assert_int_equal(ev_versions_detect(dir, "/nonexistent", &v, &err), 0);
	assert_string_equal(v.sw[EV_SW_CUDA].version, "11.4.4");
	assert_string_equal(v.sw[EV_SW_NVIDIA_DRIVER].version, "470.182.03");
	assert_string_equal(v.sw[EV_SW_AWS_OFI_NCCL].version, "1.6.0-aws");
	assert_false(v.sw[EV_SW_NCCL].present);
	tu_rm_rf(dir);
	free(dir);
}

static void test_malformed_files_are_absent(void **state)
{
	struct ev_versions v;
	struct ev_err err;
	char *dir = tu_mkdtemp();

	(void)state;
	tu_write(dir, "usr/local/cuda/version.json", "{\"cuda\": {\"version\": [1,2]}}");
	tu_write(dir, "opt/amazon/efa_installed_packages", "# EFA installer version: ;rm -rf /\n");
	tu_write(dir, "proc/driver/nvidia/version", "\x7f\x45\x4c\x46 binary");
	tu_write(dir, "usr/lib/x86_64-linux-gnu/libnccl.so.evil", "");
	assert_int_equal(ev_versions_detect(dir, dir, &v, &err), 0);
	for (int i = 0; i < EV_SW__COUNT; i++)
		assert_false(v.sw[i].present);
	tu_rm_rf(dir);
	free(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_version_cmp),
		cmocka_unit_test(test_nothing_installed),
		cmocka_unit_test(test_full_p5_install),
		cmocka_unit_test(test_distribution_libfabric),
		cmocka_unit_test(test_older_formats),
		cmocka_unit_test(test_malformed_files_are_absent),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
