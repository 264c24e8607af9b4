/* Software versions from fake install roots laid out as real installs are. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

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

static void tu_link(const char *dir, const char *rel, const char *target)
{
	char path[4096];

	snprintf(path, sizeof(path), "%s/%s", dir, rel);
	assert_int_equal(tu_write(dir, rel, ""), 0);   /* its parent directories */
	assert_int_equal(unlink(path), 0);
	assert_int_equal(symlink(target, path), 0);
}

/* The marker versions (9.9.9) are outside the root; links in the root
 * point at them absolutely and with "../..". Read confined, the links
 * resolve inside the root, where nothing is: none of them is seen. An
 * absolute link to a place inside the image resolves there, as in the
 * container. */
static void test_links_stay_inside(void **state)
{
	struct ev_versions v;
	struct ev_err err;
	char *out = tu_mkdtemp(), *root = tu_mkdtemp();
	char target[4096], up[4096];

	(void)state;
	tu_write(out, "opt/amazon/efa_installed_packages", "# EFA installer version: 9.9.9\naws-ofi-nccl 9.9.9\n");
	tu_write(out, "usr/lib/pkgconfig/libfabric.pc", "Name: libfabric\nVersion: 9.9.9\n");
	tu_write(out, "lib64/libnccl.so.9.9.9", "");
	tu_write(out, "cuda/version.txt", "CUDA Version 9.9.9\n");
	tu_write(out, "nvidia/version", "NVRM version: NVIDIA UNIX x86_64 Kernel Module  999.9.9  x\n");

	/* Absolute, to the outside file as the host names it. */
	snprintf(target, sizeof(target), "%s/opt/amazon/efa_installed_packages", out);
	tu_link(root, "opt/amazon/efa_installed_packages", target);
	/* Absolute, to a directory outside (a pkg-config dir, a library dir). */
	snprintf(target, sizeof(target), "%s/usr/lib/pkgconfig", out);
	tu_link(root, "usr/lib/pkgconfig", target);
	snprintf(target, sizeof(target), "%s/lib64", out);
	tu_link(root, "usr/lib64", target);
	/* "../.." far enough to climb out of root from any depth. */
	snprintf(up, sizeof(up), "../../../../../../../../../../../..%s/cuda", out);
	tu_link(root, "usr/local/cuda", up);
	snprintf(up, sizeof(up), "../../../../../../../../../../../..%s/nvidia/version", out);
	tu_link(root, "proc/driver/nvidia/version", up);

	assert_int_equal(ev_versions_detect(root, "/nonexistent", &v, &err), 0);
	for (int i = 0; i < EV_SW__COUNT; i++)
		if (v.sw[i].present)
			fail_msg("%s %s read through a link out of the root (%s)", ev_sw_name((enum ev_sw)i),
				 v.sw[i].version, v.sw[i].source);

	/* Inside the image, an absolute link means the image's own "/". */
	tu_write(root, "opt/cuda-12.2/version.txt", "CUDA Version 12.2.2\n");
	unlink(strcat(strcpy(target, root), "/usr/local/cuda"));
	assert_int_equal(symlink("/opt/cuda-12.2", target), 0);
	tu_write(root, "opt/nccl/libnccl.so.2.18.5", "");
	unlink(strcat(strcpy(target, root), "/usr/lib64"));
	assert_int_equal(symlink("/opt/nccl", target), 0);
	assert_int_equal(ev_versions_detect(root, "/nonexistent", &v, &err), 0);
	assert_string_equal(v.sw[EV_SW_CUDA].version, "12.2.2");
	assert_string_equal(v.sw[EV_SW_NCCL].version, "2.18.5");
	/* Shown as the path it was asked by, under the root. */
	snprintf(target, sizeof(target), "%s/usr/local/cuda/version.txt", root);
	assert_string_equal(v.sw[EV_SW_CUDA].source, target);
	tu_rm_rf(out);
	tu_rm_rf(root);
	free(out);
	free(root);
}

static void on_alarm(int sig)
{
	(void)sig;
	fprintf(stderr, "blocked on a FIFO\n");
	_exit(1);
}

/* A FIFO where a version file is expected: not read, and nothing waits
 * for a writer that never comes. */
static void test_fifo_is_not_read(void **state)
{
	struct ev_versions v;
	struct ev_err err;
	char *root = tu_mkdtemp();
	char path[4096];

	(void)state;
	tu_write(root, "usr/local/cuda/x", "");
	tu_write(root, "opt/amazon/x", "");
	snprintf(path, sizeof(path), "%s/usr/local/cuda/version.txt", root);
	assert_int_equal(mkfifo(path, 0644), 0);
	snprintf(path, sizeof(path), "%s/opt/amazon/efa_installed_packages", root);
	assert_int_equal(mkfifo(path, 0644), 0);
	signal(SIGALRM, on_alarm);
	alarm(5);
	assert_int_equal(ev_versions_detect(root, "/nonexistent", &v, &err), 0);
	alarm(0);
	assert_false(v.sw[EV_SW_CUDA].present);
	assert_false(v.sw[EV_SW_EFA_INSTALLER].present);
	tu_rm_rf(root);
	free(root);
}

/* A version file of 4 GiB (sparse), its version at its head: no install
 * writes that, so it is not read at all, and quickly. */
static void test_huge_file_is_not_read(void **state)
{
	struct ev_versions v;
	struct ev_err err;
	struct timespec t0, t1;
	char *root = tu_mkdtemp();
	char path[4096];
	int fd;

	(void)state;
	tu_write(root, "usr/local/cuda/version.json", "{\"cuda\": {\"version\": \"12.2.2\"}}\n");
	tu_write(root, "opt/amazon/efa/lib/pkgconfig/libfabric.pc", "Name: libfabric\nVersion: 1.22.0\n");
	snprintf(path, sizeof(path), "%s/usr/local/cuda/version.json", root);
	assert_true((fd = open(path, O_WRONLY)) >= 0);
	assert_int_equal(ftruncate(fd, 4LL << 30), 0);
	close(fd);
	snprintf(path, sizeof(path), "%s/opt/amazon/efa/lib/pkgconfig/libfabric.pc", root);
	assert_true((fd = open(path, O_WRONLY)) >= 0);
	assert_int_equal(ftruncate(fd, 1 << 20), 0);
	close(fd);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	assert_int_equal(ev_versions_detect(root, "/nonexistent", &v, &err), 0);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	assert_false(v.sw[EV_SW_CUDA].present);
	assert_false(v.sw[EV_SW_LIBFABRIC].present);
	assert_true(t1.tv_sec - t0.tv_sec < 2);
	tu_rm_rf(root);
	free(root);
}

/* A directory where a file is expected, and a file where a directory is:
 * absent, not an error. */
static void test_wrong_types_are_absent(void **state)
{
	struct ev_versions v;
	struct ev_err err;
	char *root = tu_mkdtemp();

	(void)state;
	tu_write(root, "opt/amazon/efa_installed_packages/x", "# EFA installer version: 1.26.1\n");
	tu_write(root, "opt/amazon/efa/lib/pkgconfig/libfabric.pc/Version: 1.22.0", "");
	tu_write(root, "usr/local/cuda/version.json/x", "");
	tu_write(root, "usr/lib64", "libnccl.so.2.18.5\n");
	tu_write(root, "usr/local/lib/libnccl.so.2.18.5/x", "");    /* a directory named as a library */
	assert_int_equal(ev_versions_detect(root, "/nonexistent", &v, &err), 0);
	for (int i = 0; i < EV_SW__COUNT; i++)
		if (v.sw[i].present)
			fail_msg("%s: %s read from %s", ev_sw_name((enum ev_sw)i), v.sw[i].version, v.sw[i].source);
	tu_rm_rf(root);
	free(root);
}

/* A root that is a file is an error; one that does not exist says
 * nothing is installed (a site's software_root for nodes yet to come). */
static void test_root_itself(void **state)
{
	struct ev_versions v;
	struct ev_err err = { "" };
	char *root = tu_mkdtemp();
	char path[4096];

	(void)state;
	tu_write(root, "file", "");
	snprintf(path, sizeof(path), "%s/file", root);
	assert_int_equal(ev_versions_detect(path, "/nonexistent", &v, &err), -ENOTDIR);
	assert_non_null(strstr(err.msg, "not a directory"));
	snprintf(path, sizeof(path), "%s/none", root);
	assert_int_equal(ev_versions_detect(path, "/nonexistent", &v, &err), 0);
	tu_rm_rf(root);
	free(root);
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
		cmocka_unit_test(test_links_stay_inside),
		cmocka_unit_test(test_fifo_is_not_read),
		cmocka_unit_test(test_huge_file_is_not_read),
		cmocka_unit_test(test_wrong_types_are_absent),
		cmocka_unit_test(test_root_itself),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
