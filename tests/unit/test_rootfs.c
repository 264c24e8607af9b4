/* Reading a tree as its own "/": links resolve inside it, only regular
 * files are read, reads are bounded, and without openat2 only the real
 * "/" is read. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <unistd.h>

#include "util/ev_rootfs.h"
#include "testutil.h"

#ifndef SYS_openat2
#define SYS_openat2 437
#endif

static void link_at(const char *dir, const char *rel, const char *target)
{
	char path[4096];

	snprintf(path, sizeof(path), "%s/%s", dir, rel);
	assert_int_equal(tu_write(dir, rel, ""), 0);
	assert_int_equal(unlink(path), 0);
	assert_int_equal(symlink(target, path), 0);
}

static void test_open_errors(void **state)
{
	struct ev_rootfs r;
	struct ev_err err = { "" };
	char *dir = tu_mkdtemp();
	char path[4096];

	(void)state;
	snprintf(path, sizeof(path), "%s/none", dir);
	assert_int_equal(ev_rootfs_open(&r, path, &err), -ENOENT);
	assert_non_null(strstr(err.msg, "no such directory"));
	assert_int_equal(r.fd, -1);
	tu_write(dir, "file", "x");
	snprintf(path, sizeof(path), "%s/file", dir);
	assert_int_equal(ev_rootfs_open(&r, path, &err), -ENOTDIR);
	assert_non_null(strstr(err.msg, "not a directory"));
	assert_int_equal(ev_rootfs_open(&r, "", &err), -EINVAL);
	assert_int_equal(ev_rootfs_open(&r, dir, &err), 0);
	assert_true(r.confined);
	ev_rootfs_close(&r);
	ev_rootfs_close(&r);   /* twice is harmless */
	tu_rm_rf(dir);
	free(dir);
}

static void test_show(void **state)
{
	struct ev_rootfs r = { .fd = -1 };
	char out[256];

	(void)state;
	strcpy(r.path, "/");
	ev_rootfs_show(&r, "usr/lib", out, sizeof(out));
	assert_string_equal(out, "/usr/lib");
	ev_rootfs_show(&r, "", out, sizeof(out));
	assert_string_equal(out, "/");
	strcpy(r.path, "/img//");
	ev_rootfs_show(&r, "/usr/lib", out, sizeof(out));
	assert_string_equal(out, "/img/usr/lib");
	ev_rootfs_show(&r, "/", out, sizeof(out));
	assert_string_equal(out, "/img");
}

/* Links of every kind that point out of the root, to a file holding the
 * marker: none reaches it. Links inside the root work as in the image. */
static void test_links_stay_inside(void **state)
{
	static const char *const marker[] = { "OUTSIDE-MARKER" };
	struct ev_rootfs r;
	struct ev_err err = { "" };
	char *out = tu_mkdtemp(), *root = tu_mkdtemp();
	char target[4096], buf[64];
	bool found = true;
	DIR *d;

	(void)state;
	tu_write(out, "secret", "OUTSIDE-MARKER\n");
	tu_write(out, "dir/secret", "OUTSIDE-MARKER\n");
	snprintf(target, sizeof(target), "%s/secret", out);
	link_at(root, "abs", target);
	snprintf(target, sizeof(target), "../../../../../../../../../..%s/secret", out);
	link_at(root, "a/b/up", target);
	snprintf(target, sizeof(target), "%s/dir", out);
	link_at(root, "dirlink", target);
	tu_write(root, "etc/real", "inside\n");
	link_at(root, "usr/abs-inside", "/etc/real");
	link_at(root, "usr/rel-inside", "../etc/real");

	assert_int_equal(ev_rootfs_open(&r, root, &err), 0);
	assert_int_equal(ev_rootfs_read(&r, "abs", buf, sizeof(buf), &err), -ENOENT);
	assert_int_equal(ev_rootfs_read(&r, "a/b/up", buf, sizeof(buf), &err), -ENOENT);
	assert_int_equal(ev_rootfs_read(&r, "/dirlink/secret", buf, sizeof(buf), &err), -ENOENT);
	assert_int_equal(ev_rootfs_contains(&r, "abs", marker, 1, 1 << 20, &found, &err), -ENOENT);
	assert_false(found);
	assert_int_equal(ev_rootfs_opendir(&r, "dirlink", &d, &err), -ENOENT);
	assert_null(d);
	/* A path with ".." climbs no higher than the root either. */
	snprintf(target, sizeof(target), "../../../../../../..%s/secret", out);
	assert_int_equal(ev_rootfs_read(&r, target, buf, sizeof(buf), &err), -ENOENT);

	assert_int_equal(ev_rootfs_read(&r, "usr/abs-inside", buf, sizeof(buf), &err), 7);
	assert_string_equal(buf, "inside\n");
	assert_int_equal(ev_rootfs_read(&r, "/usr/rel-inside", buf, sizeof(buf), &err), 7);
	ev_rootfs_close(&r);
	tu_rm_rf(out);
	tu_rm_rf(root);
	free(out);
	free(root);
}

/* /proc's magic links jump anywhere; they are refused even under "/". */
static void test_magic_links_refused(void **state)
{
	struct ev_rootfs r;
	struct ev_err err = { "" };
	char buf[256];

	(void)state;
	if (access("/proc/self/root", F_OK) != 0)
		tu_skip("no /proc here");
	assert_int_equal(ev_rootfs_open(&r, "/", &err), 0);
	assert_true(r.confined);
	assert_int_equal(ev_rootfs_read(&r, "proc/self/root/proc/self/status", buf, sizeof(buf), &err), -ELOOP);
	assert_non_null(strstr(err.msg, "does not resolve inside"));
	ev_rootfs_close(&r);
}

static void test_only_regular_files(void **state)
{
	struct ev_rootfs r;
	struct ev_err err = { "" };
	char *root = tu_mkdtemp();
	char path[4096], buf[64];
	bool found;
	DIR *d;

	(void)state;
	tu_write(root, "dir/x", "");
	tu_write(root, "file", "text");
	snprintf(path, sizeof(path), "%s/fifo", root);
	assert_int_equal(mkfifo(path, 0644), 0);
	assert_int_equal(ev_rootfs_open(&r, root, &err), 0);
	assert_int_equal(ev_rootfs_read(&r, "fifo", buf, sizeof(buf), &err), -EINVAL);
	assert_non_null(strstr(err.msg, "not a regular file"));
	assert_int_equal(ev_rootfs_contains(&r, "fifo", (const char *const[]){ "x" }, 1, 100, &found, &err),
			 -EINVAL);
	assert_int_equal(ev_rootfs_read(&r, "dir", buf, sizeof(buf), &err), -EISDIR);
	assert_int_equal(ev_rootfs_opendir(&r, "file", &d, &err), -ENOTDIR);
	assert_int_equal(ev_rootfs_opendir(&r, "fifo", &d, &err), -ENOTDIR);
	assert_int_equal(ev_rootfs_opendir(&r, "dir", &d, &err), 0);
	closedir(d);
	/* A device node (root only can make one): never opened for reading. */
	if (geteuid() == 0) {
		snprintf(path, sizeof(path), "%s/null", root);
		assert_int_equal(mknod(path, S_IFCHR | 0666, makedev(1, 3)), 0);
		assert_int_equal(ev_rootfs_read(&r, "null", buf, sizeof(buf), &err), -EINVAL);
	}
	ev_rootfs_close(&r);
	tu_rm_rf(root);
	free(root);
}

/* Whole or not at all; a file that is exactly cap-1 bytes fits. */
static void test_bounded_read(void **state)
{
	struct ev_rootfs r;
	struct ev_err err = { "" };
	char *root = tu_mkdtemp();
	char buf[8];

	(void)state;
	tu_write(root, "seven", "1234567");
	tu_write(root, "eight", "12345678");
	assert_int_equal(ev_rootfs_open(&r, root, &err), 0);
	assert_int_equal(ev_rootfs_read(&r, "seven", buf, sizeof(buf), &err), 7);
	assert_string_equal(buf, "1234567");
	assert_int_equal(ev_rootfs_read(&r, "eight", buf, sizeof(buf), &err), -EFBIG);
	assert_string_equal(buf, "");
	assert_non_null(strstr(err.msg, "larger than 7 bytes"));
	assert_int_equal(ev_rootfs_read(&r, "none", buf, sizeof(buf), &err), -ENOENT);
	ev_rootfs_close(&r);
	tu_rm_rf(root);
	free(root);
}

/* A string across two of the reader's chunks is found; one past max is
 * never looked for. */
static void test_contains(void **state)
{
	static const char *const needles[] = { "nothere", "FI_EFA_" };
	struct ev_rootfs r;
	struct ev_err err = { "" };
	char *root = tu_mkdtemp();
	char path[4096];
	bool found;
	int fd;

	(void)state;
	snprintf(path, sizeof(path), "%s/lib.so", root);
	for (off_t at = 65536 - 3; at <= 65536 * 3 + 1; at += 65536) {
		assert_true((fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644)) >= 0);
		assert_int_equal(pwrite(fd, "FI_EFA_", 7, at), 7);
		assert_int_equal(ftruncate(fd, 300000), 0);
		close(fd);
		assert_int_equal(ev_rootfs_open(&r, root, &err), 0);
		assert_int_equal(ev_rootfs_contains(&r, "lib.so", needles, 2, 1 << 20, &found, &err), 0);
		assert_true(found);
		assert_int_equal(ev_rootfs_contains(&r, "lib.so", needles, 1, 1 << 20, &found, &err), 0);
		assert_false(found);
		assert_int_equal(ev_rootfs_contains(&r, "lib.so", needles, 2, 299999, &found, &err), -EFBIG);
		assert_false(found);
		ev_rootfs_close(&r);
	}
	tu_rm_rf(root);
	free(root);
}

/* openat2 answering as a kernel before 5.6 (ENOSYS) or a runtime's old
 * seccomp profile (EPERM) does, in a child: "/" is still read (plain
 * opens), any other root refused. The child's exit code says which step
 * went wrong. */
static int without_openat2(int errno_value, const char *dir)
{
	struct sock_filter f[] = {
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_openat2, 0, 1),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | ((unsigned)errno_value & SECCOMP_RET_DATA)),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
	};
	struct sock_fprog prog = { .len = sizeof(f) / sizeof(f[0]), .filter = f };
	struct ev_rootfs r;
	struct ev_err err = { "" };
	char buf[64];
	pid_t pid = fork();
	int st;

	if (pid == 0) {
		if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0 || prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &prog) != 0)
			_exit(10);
		if (ev_rootfs_open(&r, dir, &err) != -ENOSYS || !strstr(err.msg, "openat2 is not available"))
			_exit(11);
		if (ev_rootfs_open(&r, "/", &err) != 0 || r.confined)
			_exit(12);
		if (ev_rootfs_read(&r, "proc/self/comm", buf, sizeof(buf), &err) <= 0)
			_exit(13);
		_exit(0);
	}
	assert_true(pid > 0);
	assert_int_equal(waitpid(pid, &st, 0), pid);
	return WIFEXITED(st) ? WEXITSTATUS(st) : 128;
}

static void test_without_openat2(void **state)
{
	char *dir = tu_mkdtemp();

	(void)state;
	assert_int_equal(without_openat2(ENOSYS, dir), 0);
	assert_int_equal(without_openat2(EPERM, dir), 0);
	tu_rm_rf(dir);
	free(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_open_errors),
		cmocka_unit_test(test_show),
		cmocka_unit_test(test_links_stay_inside),
		cmocka_unit_test(test_magic_links_refused),
		cmocka_unit_test(test_only_regular_files),
		cmocka_unit_test(test_bounded_read),
		cmocka_unit_test(test_contains),
		cmocka_unit_test(test_without_openat2),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
