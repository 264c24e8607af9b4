#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/vfs.h>
#include <sys/stat.h>
#include <unistd.h>

#include "container/ev_oci_bundle.h"
#include "testutil.h"

/* A bundle: a fresh directory with config.json holding text (none if NULL). */
static char *bundle(const char *text)
{
	char *dir = tu_mkdtemp();

	if (text)
		assert_int_equal(tu_write(dir, "config.json", text), 0);
	return dir;
}

/* What a bundle of this config.json reads as, or its error in err. */
static int read_text(const char *text, struct ev_oci_bundle *b, struct ev_err *err)
{
	char *dir = bundle(text);
	int rc = ev_oci_bundle_read(dir, b, err);

	tu_rm_rf(dir);
	free(dir);
	return rc;
}

static char *fixture_text(const char *name)
{
	char path[PATH_MAX];
	FILE *f;
	char *buf = malloc(65536);
	size_t n;

	assert_non_null(buf);
	snprintf(path, sizeof(path), "%s/tests/fixtures/oci/%s", tu_srcdir(), name);
	f = fopen(path, "r");
	assert_non_null(f);
	n = fread(buf, 1, 65535, f);
	fclose(f);
	buf[n] = '\0';
	return buf;
}

/* The facts of a config.json that brings no RDMA device, rootfs relative. */
static void assert_plain(const char *dir, const struct ev_oci_bundle *b)
{
	char want[PATH_MAX];

	snprintf(want, sizeof(want), "%s/rootfs", dir);
	assert_string_equal(b->bundle, dir);
	assert_string_equal(b->label, dir);
	assert_string_equal(b->rootfs, want);
	assert_false(b->infiniband_mounted);
	assert_false(b->dev_all);
	assert_int_equal(b->uverbs_devices, 0);
}

/* What `crun spec` and `crun spec --rootless` wrote (crun 1.8.1, Debian
 * 12: two spaces before the '{', tabs, a space before a tab), and runc's
 * rootless example (libcontainer/specconv/example.go: an rbind of /sys,
 * uid mappings). */
static void test_runtime_specs(void **state)
{
	static const char *const files[] = {
		"crun-1.8.1-spec.json", "crun-1.8.1-spec-rootless.json", "runc-spec-rootless.json",
	};

	(void)state;
	for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		char *text = fixture_text(files[i]);
		char *dir = bundle(text);
		struct ev_oci_bundle b;
		struct ev_err err = { "" };

		if (ev_oci_bundle_read(dir, &b, &err))
			fail_msg("%s: %s", files[i], err.msg);
		assert_plain(dir, &b);
		tu_rm_rf(dir);
		free(dir);
		free(text);
	}
}

/* The crun installed here, if any, writes what reads. */
static void test_crun_spec_here(void **state)
{
	const char *modes[] = { NULL, "--rootless" };

	(void)state;
	struct statfs fs;

	if (access("/usr/bin/crun", X_OK) != 0)
		tu_skip("crun not installed");
	/* crun refuses every command, spec too, where /sys/fs/cgroup is
	 * neither a cgroup2 nor a tmpfs (the matrix roots mount a bare
	 * sysfs): then this crun cannot say what it writes. */
	if (statfs("/sys/fs/cgroup", &fs) != 0 ||
	    ((unsigned long)fs.f_type != 0x63677270UL && (unsigned long)fs.f_type != 0x01021994UL))
		tu_skip("crun needs a cgroup2 or tmpfs on /sys/fs/cgroup; this machine has neither");
	for (size_t i = 0; i < 2; i++) {
		char *dir = bundle(NULL);
		char *argv[] = { "/usr/bin/crun", "spec", "-b", dir, (char *)modes[i], NULL };
		struct ev_oci_bundle b;
		struct ev_err err = { "" };

		assert_int_equal(tu_run(argv), 0);
		if (ev_oci_bundle_read(dir, &b, &err))
			fail_msg("crun spec %s: %s", modes[i] ? modes[i] : "", err.msg);
		assert_plain(dir, &b);
		tu_rm_rf(dir);
		free(dir);
	}
}

#define ROOT "\"root\": {\"path\": \"rootfs\"}"
#define MOUNT(dst, type, src, opts) \
	"{\"destination\": \"" dst "\", \"type\": \"" type "\", \"source\": \"" src "\", \"options\": [" opts "]}"
#define TMPFS_DEV MOUNT("/dev", "tmpfs", "tmpfs", "\"nosuid\", \"mode=755\"")
#define UVERBS(n, minor) \
	"{\"path\": \"/dev/infiniband/uverbs" #n "\", \"type\": \"c\", \"major\": 231, \"minor\": " #minor ", " \
	"\"fileMode\": 8630, \"uid\": 0, \"gid\": 0}"

struct facts {
	bool ib, all;
	int uverbs;
};

static void assert_facts(const char *text, struct facts want)
{
	struct ev_oci_bundle b;
	struct ev_err err = { "" };

	if (read_text(text, &b, &err))
		fail_msg("%s", err.msg);
	if (b.infiniband_mounted != want.ib || b.dev_all != want.all || b.uverbs_devices != want.uverbs)
		fail_msg("got ib=%d all=%d uverbs=%d, want %d %d %d for %s", b.infiniband_mounted, b.dev_all,
			 b.uverbs_devices, want.ib, want.all, want.uverbs, text);
}

/* linux.devices[] entries, as `podman --device` or a CDI spec writes them:
 * each uverbsN once; other RDMA files and cgroup rules are not devices. */
static void test_devices(void **state)
{
	(void)state;
	assert_facts("{" ROOT ", \"mounts\": [" TMPFS_DEV "], \"linux\": {\"devices\": [" UVERBS(0, 192) ", "
		     UVERBS(1, 193) ", " UVERBS(0, 192) ", {\"path\": \"/dev/infiniband/rdma_cm\", \"type\": \"c\", "
		     "\"major\": 10, \"minor\": 58}, {\"path\": \"/dev/infiniband/uverbs01\", \"type\": \"c\"}, "
		     "{\"path\": \"/dev/infiniband/uverbs1024\", \"type\": \"c\"}, {\"path\": \"/dev/uverbs2\"}], "
		     "\"resources\": {\"devices\": [{\"allow\": false, \"access\": \"rwm\"}, {\"allow\": true, "
		     "\"type\": \"c\", \"major\": 231, \"access\": \"rw\"}]}}}",
		     (struct facts){ false, false, 2 });
	/* Devices are made after the mounts: a later /dev mount hides none. */
	assert_facts("{" ROOT ", \"linux\": {\"devices\": [" UVERBS(3, 195) "]}, \"mounts\": [" TMPFS_DEV "]}",
		     (struct facts){ false, false, 1 });
	/* Paths as the runtime cleans them. */
	assert_facts("{" ROOT ", \"linux\": {\"devices\": [{\"path\": \"/dev//infiniband/./uverbs4\"}, "
		     "{\"path\": \"/dev/infiniband/../infiniband/uverbs5\"}]}}", (struct facts){ false, false, 2 });
	/* null is Go's "absent". */
	assert_facts("{" ROOT ", \"mounts\": null, \"linux\": {\"devices\": null}}", (struct facts){ false, false, 0 });
	assert_facts("{" ROOT ", \"linux\": null}", (struct facts){ false, false, 0 });
}

/* Bind mounts of the host's /dev/infiniband, or of its whole /dev, in
 * their order with the other mounts. */
static void test_mounts(void **state)
{
	(void)state;
	/* pyxis/enroot's way, after the runtime's tmpfs /dev. */
	assert_facts("{" ROOT ", \"mounts\": [" TMPFS_DEV ", "
		     MOUNT("/dev/infiniband", "none", "/dev/infiniband", "\"rbind\", \"nosuid\", \"noexec\"") "]}",
		     (struct facts){ true, false, 0 });
	assert_facts("{" ROOT ", \"mounts\": [" MOUNT("/dev/infiniband", "bind", "/dev/infiniband", "") "]}",
		     (struct facts){ true, false, 0 });
	assert_facts("{" ROOT ", \"mounts\": [{\"destination\": \"/dev/infiniband\", \"type\": \"bind\", "
		     "\"source\": \"/dev/infiniband\"}]}", (struct facts){ true, false, 0 });
	assert_facts("{" ROOT ", \"mounts\": [" MOUNT("/dev", "bind", "/dev", "\"rbind\"") "]}",
		     (struct facts){ true, true, 0 });
	/* Destinations and sources as the runtime cleans them; a relative
	 * destination is under /. */
	assert_facts("{" ROOT ", \"mounts\": [" MOUNT("dev//infiniband/", "none", "/dev/./infiniband", "\"bind\"") "]}",
		     (struct facts){ true, false, 0 });
	/* One device file bound onto itself counts as that device. */
	assert_facts("{" ROOT ", \"mounts\": [" TMPFS_DEV ", "
		     MOUNT("/dev/infiniband/uverbs0", "bind", "/dev/infiniband/uverbs0", "") ", "
		     MOUNT("/dev/infiniband/uverbs7", "none", "/dev/infiniband/uverbs7", "\"bind\"") ", "
		     MOUNT("/dev/infiniband/uverbs8", "none", "/dev/infiniband/uverbs9", "\"bind\"") "], "
		     "\"linux\": {\"devices\": [" UVERBS(0, 192) "]}}", (struct facts){ false, false, 2 });
	/* A later mount on /dev or /dev/infiniband hides what was bound. */
	assert_facts("{" ROOT ", \"mounts\": [" MOUNT("/dev/infiniband", "bind", "/dev/infiniband", "") ", "
		     TMPFS_DEV "]}", (struct facts){ false, false, 0 });
	assert_facts("{" ROOT ", \"mounts\": [" MOUNT("/dev", "bind", "/dev", "") ", "
		     MOUNT("/dev/infiniband", "tmpfs", "tmpfs", "") "]}", (struct facts){ false, false, 0 });
	assert_facts("{" ROOT ", \"mounts\": [" MOUNT("/dev/infiniband/uverbs0", "bind", "/dev/infiniband/uverbs0", "")
		     ", " MOUNT("/dev/infiniband", "tmpfs", "tmpfs", "") "]}", (struct facts){ false, false, 0 });
	assert_facts("{" ROOT ", \"mounts\": [" TMPFS_DEV ", " MOUNT("/dev/infiniband", "bind", "/dev/infiniband", "")
		     ", " MOUNT("/dev/shm", "tmpfs", "shm", "") "]}", (struct facts){ true, false, 0 });
	/* Not the host's /dev/infiniband where the runtime looks: a mount that
	 * is no bind, a relative source (under the bundle), another source or
	 * destination, a bind of the host's /dev elsewhere. */
	assert_facts("{" ROOT ", \"mounts\": [" MOUNT("/dev/infiniband", "tmpfs", "/dev/infiniband", "") "]}",
		     (struct facts){ false, false, 0 });
	assert_facts("{" ROOT ", \"mounts\": [" MOUNT("/dev/infiniband", "bind", "dev/infiniband", "") "]}",
		     (struct facts){ false, false, 0 });
	assert_facts("{" ROOT ", \"mounts\": [" MOUNT("/dev/infiniband", "bind", "/srv/ib", "") "]}",
		     (struct facts){ false, false, 0 });
	assert_facts("{" ROOT ", \"mounts\": [" MOUNT("/dev", "bind", "/dev/infiniband", "") "]}",
		     (struct facts){ false, false, 0 });
	assert_facts("{" ROOT ", \"mounts\": [" MOUNT("/host/dev", "bind", "/dev", "\"rbind\"") "]}",
		     (struct facts){ false, false, 0 });
	assert_facts("{" ROOT ", \"mounts\": [" MOUNT("/", "bind", "/", "\"rbind\"") "]}",
		     (struct facts){ false, false, 0 });
	assert_facts("{" ROOT ", \"mounts\": [" MOUNT("/dev/infiniband", "bindx", "/dev/infiniband", "\"nobind\"") "]}",
		     (struct facts){ false, false, 0 });
}

static void test_rootfs(void **state)
{
	char *dir = bundle("{\"root\": {\"path\": \"/srv/images/busybox\"}}");
	char slash[PATH_MAX], want[PATH_MAX];
	struct ev_oci_bundle b;
	struct ev_err err = { "" };

	(void)state;
	assert_int_equal(ev_oci_bundle_read(dir, &b, &err), 0);
	assert_string_equal(b.rootfs, "/srv/images/busybox");
	assert_int_equal(tu_write(dir, "config.json", "{\"root\": {\"path\": \"sub/../fs\", \"readonly\": true}}"), 0);
	snprintf(slash, sizeof(slash), "%s/", dir);
	assert_int_equal(ev_oci_bundle_read(slash, &b, &err), 0);
	/* Relative to the bundle as Slurm joins it, one slash between. */
	snprintf(want, sizeof(want), "%s/sub/../fs", dir);
	assert_string_equal(b.rootfs, want);
	assert_string_equal(b.bundle, slash);
	tu_rm_rf(dir);
	free(dir);
}

/* The message a config.json gets; -EINVAL expected. The bundle's path is
 * replaced by "B". */
static const char *error_of(const char *text)
{
	static char msg[EV_ERR_MAX];
	char *dir = bundle(text);
	struct ev_oci_bundle b;
	struct ev_err err = { "" };
	size_t n = strlen(dir);
	int rc = ev_oci_bundle_read(dir, &b, &err);

	assert_int_equal(rc, -EINVAL);
	/* On an error, nothing but the label. */
	assert_string_equal(b.bundle, "");
	assert_string_equal(b.rootfs, "");
	assert_false(b.infiniband_mounted || b.dev_all || b.uverbs_devices);
	assert_string_equal(b.label, dir);
	assert_memory_equal(err.msg, dir, n);
	snprintf(msg, sizeof(msg), "B%s", err.msg + n);
	tu_rm_rf(dir);
	free(dir);
	return msg;
}

static void test_not_a_config(void **state)
{
	(void)state;
	/* Not JSON: where, by line and column. */
	assert_string_equal(error_of("{\n\t\"root\": {\n\t\t\"path\": \"rootfs\",\n\t}\n}"),
			    "B/config.json:4:2: expected a key (a string) after ',', found '}'");
	assert_string_equal(error_of("{\"root\": {\"path\": \"rootfs\"}} # x"),
			    "B/config.json:1:30: text after the document's value: a word that is not JSON");
	assert_string_equal(error_of(""), "B/config.json:1:1: no JSON value: the document is empty");
	assert_string_equal(error_of("{\"root\" {\"path\": \"rootfs\"}}"),
			    "B/config.json:1:9: expected ':' after a key, found '{'");
	/* JSON, but no config a runtime would start. */
	assert_string_equal(error_of("[]"), "B/config.json:1:1: expected an object (a runtime-spec config), found a list");
	assert_string_equal(error_of("{}"), "B/config.json: no root.path: the runtime would have no root filesystem");
	assert_string_equal(error_of("{\"root\": null}"),
			    "B/config.json: no root.path: the runtime would have no root filesystem");
	assert_string_equal(error_of("{\"root\": {\"path\": 7}}"),
			    "B/config.json:1:19: root.path: expected a string, found a number");
	assert_string_equal(error_of("{\"root\": {\"path\": \"\"}}"), "B/config.json:1:19: root.path: empty");
	assert_string_equal(error_of("{\"root\": {\"path\": \"a\\u0000b\"}}"), "B/config.json:1:19: root.path: holds a NUL");
	assert_string_equal(error_of("{\"root\": \"rootfs\"}"), "B/config.json:1:10: root: expected an object, found a string");
	assert_string_equal(error_of("{" ROOT ", \"mounts\": {}}"),
			    "B/config.json:1:40: mounts: expected a list, found an object");
	assert_string_equal(error_of("{" ROOT ", \"mounts\": [\"/dev\"]}"),
			    "B/config.json:1:41: mounts[0]: expected an object, found a string");
	assert_string_equal(error_of("{" ROOT ", \"mounts\": [{\"type\": \"bind\"}]}"),
			    "B/config.json:1:41: mounts[0]: a mount without a destination");
	assert_string_equal(error_of("{" ROOT ", \"mounts\": [{\"destination\": 1}]}"),
			    "B/config.json:1:57: mounts[0].destination: expected a string, found a number");
	assert_string_equal(error_of("{" ROOT ", \"mounts\": [{\"destination\": \"/d\", \"options\": [1]}]}"),
			    "B/config.json:1:75: mounts[0].options[0]: expected a string, found a number");
	assert_string_equal(error_of("{" ROOT ", \"linux\": {\"devices\": {}}}"),
			    "B/config.json:1:51: linux.devices: expected a list, found an object");
	assert_string_equal(error_of("{" ROOT ", \"linux\": {\"devices\": [{\"path\": false}]}}"),
			    "B/config.json:1:61: linux.devices[0].path: expected a string, found a boolean");
	/* Read two ways, refused: a key twice, a key in another case. */
	assert_string_equal(error_of("{" ROOT ", \"root\": {\"path\": \"/\"}}"),
			    "B/config.json:1:38: root: given twice in one object");
	assert_string_equal(error_of("{\"root\": {\"path\": \"a\", \"path\": \"b\"}}"),
			    "B/config.json:1:32: root.path: given twice in one object");
	assert_string_equal(error_of("{" ROOT ", \"mounts\": [{\"destination\": \"/a\", \"destination\": \"/b\"}]}"),
			    "B/config.json:1:78: mounts[0].destination: given twice in one object");
	assert_string_equal(error_of("{\"Root\": {\"path\": \"rootfs\"}}"),
			    "B/config.json:1:10: Root: not a runtime-spec key; 'root' is (runc would read this one as it, "
			    "crun would not): write 'root'");
	assert_string_equal(error_of("{" ROOT ", \"mounts\": [{\"Destination\": \"/a\"}]}"),
			    "B/config.json:1:57: mounts[0].Destination: not a runtime-spec key; 'destination' is (runc "
			    "would read this one as it, crun would not): write 'destination'");
	/* Keys the runtime does not read are any JSON at all. */
	assert_string_equal(error_of("{" ROOT ", \"annotations\": {\"Root\": 1, \"Root\": [{}]}, \"x\": [1, }"),
			    "B/config.json:1:81: expected a value, found '}'");
}

/* The config's object and k lists in it. */
static void nested(char *out, size_t cap, int k)
{
	size_t n = (size_t)snprintf(out, cap, "{" ROOT ", \"x\": ");

	for (int i = 0; i < k; i++)
		out[n++] = '[';
	for (int i = 0; i < k; i++)
		out[n++] = ']';
	snprintf(out + n, cap - n, "}");
}

static void test_nesting_bounded(void **state)
{
	char text[256], want[128];
	struct ev_oci_bundle b;
	struct ev_err err = { "" };
	size_t head = strlen("{" ROOT ", \"x\": ");

	(void)state;
	/* 16 levels in all read; the 17th is refused where it opens. */
	nested(text, sizeof(text), 15);
	assert_int_equal(read_text(text, &b, &err), 0);
	nested(text, sizeof(text), 16);
	snprintf(want, sizeof(want), "B/config.json:1:%zu: nesting is too deep (more than 16 levels)", head + 16);
	assert_string_equal(error_of(text), want);
}

/* At the cap reads; one byte more is refused before it is parsed. */
static void test_size_capped(void **state)
{
	char *text = malloc(EV_OCI_CONFIG_MAX + 8);
	const char *head = "{" ROOT ", \"x\": \"";
	size_t h = strlen(head);
	struct ev_oci_bundle b;
	struct ev_err err = { "" };
	char *dir;

	(void)state;
	assert_non_null(text);
	memcpy(text, head, h);
	memset(text + h, 'a', EV_OCI_CONFIG_MAX - h - 2);
	strcpy(text + EV_OCI_CONFIG_MAX - 2, "\"}");
	assert_int_equal(strlen(text), EV_OCI_CONFIG_MAX);
	dir = bundle(text);
	assert_int_equal(ev_oci_bundle_read(dir, &b, &err), 0);
	memmove(text + EV_OCI_CONFIG_MAX - 1, "a\"}", 4);
	assert_int_equal(tu_write(dir, "config.json", text), 0);
	assert_int_equal(ev_oci_bundle_read(dir, &b, &err), -EFBIG);
	assert_non_null(strstr(err.msg, "/config.json: larger than 1024 KiB: refused"));
	assert_int_equal(ev_oci_bundle_parse(dir, text, strlen(text), &b, &err), -EFBIG);
	tu_rm_rf(dir);
	free(dir);
	free(text);
}

static void alarm_fails(int sig)
{
	(void)sig;
	fail_msg("the reader blocked");
}

/* What the bundle is not: each refused with its reason, none blocking
 * (an alarm fails the test where one would). */
static void test_bad_bundles(void **state)
{
	char *dir = bundle(NULL), *out = bundle("{" ROOT "}");
	char p[PATH_MAX], q[PATH_MAX];
	struct ev_oci_bundle b;
	struct ev_err err = { "" };

	(void)state;
	signal(SIGALRM, alarm_fails);
	alarm(10);
	snprintf(p, sizeof(p), "%s/none", dir);
	assert_int_equal(ev_oci_bundle_read(p, &b, &err), -ENOENT);
	assert_non_null(strstr(err.msg, "/none: no such directory"));
	assert_int_equal(ev_oci_bundle_read("", &b, &err), -EINVAL);
	assert_string_equal(err.msg, "an OCI bundle with an empty path");
	/* A file, a FIFO: not directories. */
	assert_int_equal(tu_write(dir, "file", "{}"), 0);
	snprintf(p, sizeof(p), "%s/file", dir);
	assert_int_equal(ev_oci_bundle_read(p, &b, &err), -ENOTDIR);
	assert_non_null(strstr(err.msg, "/file: not a directory"));
	snprintf(p, sizeof(p), "%s/fifo", dir);
	assert_int_equal(mkfifo(p, 0600), 0);
	assert_int_equal(ev_oci_bundle_read(p, &b, &err), -ENOTDIR);
	/* A directory without config.json. */
	assert_int_equal(ev_oci_bundle_read(dir, &b, &err), -ENOENT);
	assert_non_null(strstr(err.msg, "/config.json: no such file: not an OCI bundle"));
	/* config.json a FIFO (nobody writes it: opening it would block), a
	 * directory. */
	snprintf(p, sizeof(p), "%s/config.json", dir);
	assert_int_equal(mkfifo(p, 0644), 0);
	assert_int_equal(ev_oci_bundle_read(dir, &b, &err), -EINVAL);
	assert_non_null(strstr(err.msg, "/config.json: a FIFO, not a file: refused"));
	assert_int_equal(unlink(p), 0);
	assert_int_equal(mkdir(p, 0755), 0);
	assert_int_equal(ev_oci_bundle_read(dir, &b, &err), -EINVAL);
	assert_non_null(strstr(err.msg, "/config.json: a directory, not a file: refused"));
	assert_int_equal(rmdir(p), 0);
	/* config.json a symbolic link: out of the bundle, or in it. */
	snprintf(q, sizeof(q), "%s/config.json", out);
	assert_int_equal(symlink(q, p), 0);
	assert_int_equal(ev_oci_bundle_read(dir, &b, &err), -ELOOP);
	assert_non_null(strstr(err.msg, "/config.json: a symbolic link: refused"));
	assert_int_equal(unlink(p), 0);
	assert_int_equal(tu_write(dir, "real.json", "{" ROOT "}"), 0);
	assert_int_equal(symlink("real.json", p), 0);
	assert_int_equal(ev_oci_bundle_read(dir, &b, &err), -ELOOP);
	assert_string_equal(b.rootfs, "");
	/* The bundle itself may be a link (the user's own path to it). */
	assert_int_equal(unlink(p), 0);
	snprintf(p, sizeof(p), "%s/link", dir);
	assert_int_equal(symlink(out, p), 0);
	assert_int_equal(ev_oci_bundle_read(p, &b, &err), 0);
	alarm(0);
	signal(SIGALRM, SIG_DFL);
	tu_rm_rf(dir);
	tu_rm_rf(out);
	free(dir);
	free(out);
}

/* The label is the bundle's path, printable and bounded, in every message. */
static void test_label(void **state)
{
	char path[EV_PATH_MAX + 8];
	struct ev_oci_bundle b;
	struct ev_err err = { "" };

	(void)state;
	assert_int_equal(ev_oci_bundle_read("/nonexistent/b\x1b[2Jx\n", &b, &err), -ENOENT);
	assert_string_equal(b.label, "/nonexistent/b?[2Jx?");
	assert_string_equal(err.msg, "OCI bundle /nonexistent/b?[2Jx?: no such directory");
	/* Components the kernel takes (up to 255 bytes each). */
	memset(path, 'd', sizeof(path) - 1);
	for (size_t i = 0; i < sizeof(path); i += 100)
		path[i] = '/';
	path[EV_PATH_MAX - 1] = '\0';
	assert_int_equal(ev_oci_bundle_read(path, &b, &err), -ENOENT);
	assert_int_equal(strlen(b.label), EV_OCI_LABEL_MAX - 1);
	assert_string_equal(b.label + EV_OCI_LABEL_MAX - 4, "...");
	assert_true(strlen(err.msg) < 200);
	path[EV_PATH_MAX - 1] = 'd';
	path[EV_PATH_MAX] = '\0';
	assert_int_equal(ev_oci_bundle_read(path, &b, &err), -ENAMETOOLONG);
	assert_int_equal(ev_oci_bundle_parse(path, "{}", 2, &b, &err), -ENAMETOOLONG);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_runtime_specs),
		cmocka_unit_test(test_crun_spec_here),
		cmocka_unit_test(test_devices),
		cmocka_unit_test(test_mounts),
		cmocka_unit_test(test_rootfs),
		cmocka_unit_test(test_not_a_config),
		cmocka_unit_test(test_nesting_bounded),
		cmocka_unit_test(test_size_capped),
		cmocka_unit_test(test_bad_bundles),
		cmocka_unit_test(test_label),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
