/* A container image's facts: libfabric and its efa provider found as the
 * loader finds them, libefa, the devices a live container sees, read
 * confined to the image; and the line that carries them, read back
 * strictly. */
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
#include <sys/sysmacros.h>
#include <unistd.h>

#include "container/ev_image.h"
#include "testutil.h"

/* An ELF object as far as the loader's first look goes, with text in it. */
static void elf(const char *root, const char *rel, const char *text)
{
	char body[512];

	snprintf(body, sizeof(body), "\177ELF\002\001\001%s", text);
	assert_int_equal(tu_write(root, rel, body), 0);
}

#define EFA_TEXT "FI_EFA_USE_DEVICE_RDMA=1 was set by user, but EFA device has no rdma-read capability."
#define NO_EFA_TEXT "fi_getinfo: tcp;ofi_rxm verbs shm FI_PROVIDER"

static struct ev_image_facts inspect(const char *root, unsigned flags)
{
	struct ev_image_facts f;
	struct ev_err err = { "x" };

	assert_int_equal(ev_image_inspect(root, "/nonexistent", flags, &f, &err), 0);
	assert_string_equal(err.msg, "");
	return f;
}

static void test_fabric(void **state)
{
	char *root = tu_mkdtemp();

	(void)state;
	assert_int_equal(inspect(root, 0).fabric, EV_FABRIC_NONE);
	/* Built in, in the distribution's directory. */
	elf(root, "usr/lib/x86_64-linux-gnu/libfabric.so.1", EFA_TEXT);
	assert_int_equal(inspect(root, 0).fabric, EV_FABRIC_EFA);
	/* The EFA installer's comes first, as the loader takes it: a libfabric
	 * there without efa is what a task loads. */
	elf(root, "opt/amazon/efa/lib64/libfabric.so.1", NO_EFA_TEXT);
	assert_int_equal(inspect(root, 0).fabric, EV_FABRIC_NO_EFA);
	/* Its provider apart, in libfabric's provider directory. */
	elf(root, "opt/amazon/efa/lib64/libfabric/libefa-fi.so", "Defines the size of sliding receive window.");
	assert_int_equal(inspect(root, 0).fabric, EV_FABRIC_EFA);
	elf(root, "opt/amazon/efa/lib64/libfabric/libefa-fi.so", NO_EFA_TEXT);
	assert_int_equal(inspect(root, 0).fabric, EV_FABRIC_NO_EFA);
	/* Not an ELF object: the loader passes over it, to the next, and so
	 * does this. */
	assert_int_equal(tu_write(root, "opt/amazon/efa/lib64/libfabric.so.1", NO_EFA_TEXT), 0);
	assert_int_equal(inspect(root, 0).fabric, EV_FABRIC_EFA);
	tu_rm_rf(root);
	free(root);
}

/* libfabric.so.1 -> libfabric.so.1.20.0, as packages lay it: followed,
 * inside the image. A link to the host's copy (absolute, and "../..")
 * resolves inside the image, where there is none. */
static void test_fabric_links(void **state)
{
	char *root = tu_mkdtemp(), *out = tu_mkdtemp();
	char path[4096], target[4096];

	(void)state;
	elf(root, "usr/lib64/libfabric.so.1.20.0", EFA_TEXT);
	snprintf(path, sizeof(path), "%s/usr/lib64/libfabric.so.1", root);
	assert_int_equal(symlink("libfabric.so.1.20.0", path), 0);
	assert_int_equal(inspect(root, 0).fabric, EV_FABRIC_EFA);
	unlink(path);
	snprintf(path, sizeof(path), "%s/usr/lib64/libfabric.so.1.20.0", root);
	unlink(path);

	elf(out, "lib/libfabric.so.1", EFA_TEXT);
	elf(out, "lib/libefa.so.1", "");
	snprintf(path, sizeof(path), "%s/usr/lib64/libfabric.so.1", root);
	snprintf(target, sizeof(target), "%s/lib/libfabric.so.1", out);
	assert_int_equal(symlink(target, path), 0);
	snprintf(path, sizeof(path), "%s/usr/lib64/libefa.so.1", root);
	snprintf(target, sizeof(target), "../../../../../../../../../..%s/lib/libefa.so.1", out);
	assert_int_equal(symlink(target, path), 0);
	assert_int_equal(inspect(root, 0).fabric, EV_FABRIC_NONE);
	assert_false(inspect(root, 0).libefa);
	tu_rm_rf(root);
	tu_rm_rf(out);
	free(root);
	free(out);
}

/* A libfabric too large to be one is not judged, and says why; a FIFO of
 * that name is passed over without waiting. */
static void test_fabric_unreadable(void **state)
{
	struct ev_image_facts f;
	struct ev_err err = { "" };
	char *root = tu_mkdtemp();
	char path[4096];
	int fd;

	(void)state;
	elf(root, "usr/lib64/libfabric.so.1", EFA_TEXT);
	snprintf(path, sizeof(path), "%s/usr/lib64/libfabric.so.1", root);
	assert_true((fd = open(path, O_WRONLY)) >= 0);
	assert_int_equal(ftruncate(fd, (off_t)EV_IMAGE_LIB_MAX + 1), 0);
	close(fd);
	assert_int_equal(ev_image_inspect(root, "/nonexistent", 0, &f, &err), 0);
	assert_int_equal(f.fabric, EV_FABRIC_UNKNOWN);
	assert_non_null(strstr(err.msg, "libfabric.so.1: larger than"));
	unlink(path);
	assert_int_equal(mkfifo(path, 0644), 0);
	assert_int_equal(inspect(root, 0).fabric, EV_FABRIC_NONE);
	tu_rm_rf(root);
	free(root);
}

static void test_libefa(void **state)
{
	char *root = tu_mkdtemp();
	char path[4096];

	(void)state;
	assert_false(inspect(root, 0).libefa);
	assert_int_equal(tu_write(root, "usr/lib64/libefa.so.1", "not a library"), 0);
	assert_false(inspect(root, 0).libefa);
	elf(root, "usr/lib/x86_64-linux-gnu/libefa.so.1.3.50.0", "");
	snprintf(path, sizeof(path), "%s/usr/lib/x86_64-linux-gnu/libefa.so.1", root);
	assert_int_equal(symlink("/usr/lib/x86_64-linux-gnu/libefa.so.1.3.50.0", path), 0);
	assert_true(inspect(root, 0).libefa);
	tu_rm_rf(root);
	free(root);
}

/* Only with EV_IMAGE_DEVICES, only uverbsN character devices. */
static void test_uverbs(void **state)
{
	char *root = tu_mkdtemp();
	char path[4096];

	(void)state;
	assert_int_equal(inspect(root, 0).uverbs, -1);
	assert_int_equal(inspect(root, EV_IMAGE_DEVICES).uverbs, 0);
	assert_int_equal(tu_write(root, "dev/infiniband/uverbs0", ""), 0);   /* a plain file */
	assert_int_equal(tu_write(root, "dev/infiniband/rdma_cm", ""), 0);
	assert_int_equal(inspect(root, EV_IMAGE_DEVICES).uverbs, 0);
	if (geteuid() == 0) {
		for (int i = 1; i <= 4; i++) {
			snprintf(path, sizeof(path), "%s/dev/infiniband/uverbs%d", root, i);
			assert_int_equal(mknod(path, S_IFCHR | 0666, makedev(231, 192 + i)), 0);
		}
		snprintf(path, sizeof(path), "%s/dev/infiniband/uverbsX", root);
		assert_int_equal(mknod(path, S_IFCHR | 0666, makedev(231, 200)), 0);
		assert_int_equal(inspect(root, EV_IMAGE_DEVICES).uverbs, 4);
	}
	tu_rm_rf(root);
	free(root);
}

/* NCCL's search only for check --root; a step's look skips it. */
static void test_software(void **state)
{
	char *root = tu_mkdtemp();
	struct ev_image_facts f;

	(void)state;
	tu_write(root, "usr/lib/x86_64-linux-gnu/libnccl.so.2.18.5", "");
	tu_write(root, "opt/amazon/efa/lib/pkgconfig/libfabric.pc", "Version: 1.22.0amzn4.0\n");
	tu_write(root, "opt/amazon/efa_installed_packages", "# EFA installer version: 1.34.0\n");
	f = inspect(root, 0);
	assert_false(f.sw.sw[EV_SW_NCCL].present);
	assert_string_equal(f.sw.sw[EV_SW_LIBFABRIC].version, "1.22.0amzn4.0");
	assert_string_equal(f.sw.sw[EV_SW_EFA_INSTALLER].version, "1.34.0");
	f = inspect(root, EV_IMAGE_ALL_SW);
	assert_string_equal(f.sw.sw[EV_SW_NCCL].version, "2.18.5");
	/* The driver is the host's: read from the sysfs named, none without. */
	{
		struct ev_err err = { "" };
		char sys[4096];

		tu_write(root, "host-sys/module/nvidia/version", "535.54.03\n");
		snprintf(sys, sizeof(sys), "%s/host-sys", root);
		assert_int_equal(ev_image_inspect(root, sys, 0, &f, &err), 0);
		assert_string_equal(f.sw.sw[EV_SW_NVIDIA_DRIVER].version, "535.54.03");
		assert_int_equal(ev_image_inspect(root, NULL, EV_IMAGE_ALL_SW, &f, &err), 0);
		assert_false(f.sw.sw[EV_SW_NVIDIA_DRIVER].present);
	}
	tu_rm_rf(root);
	free(root);
}

static void test_bad_root(void **state)
{
	struct ev_image_facts f;
	struct ev_err err = { "" };
	char *root = tu_mkdtemp();
	char path[4096];

	(void)state;
	snprintf(path, sizeof(path), "%s/none", root);
	assert_int_equal(ev_image_inspect(path, "/sys", 0, &f, &err), -ENOENT);
	assert_non_null(strstr(err.msg, "no such directory"));
	assert_int_equal(f.uverbs, -1);
	tu_write(root, "file", "");
	snprintf(path, sizeof(path), "%s/file", root);
	assert_int_equal(ev_image_inspect(path, "/sys", 0, &f, &err), -ENOTDIR);
	tu_rm_rf(root);
	free(root);
}

static void set_sw(struct ev_image_facts *f, enum ev_sw i, const char *v)
{
	f->sw.sw[i].present = true;
	snprintf(f->sw.sw[i].version, sizeof(f->sw.sw[i].version), "%s", v);
}

static void roundtrip(const struct ev_image_facts *f, const char *want)
{
	struct ev_image_facts back;
	struct ev_err err = { "" };
	char line[EV_IMAGE_FACTS_LINE_MAX];

	assert_int_equal(ev_image_facts_format(f, line, sizeof(line)), 0);
	if (want)
		assert_string_equal(line, want);
	assert_int_equal(ev_image_facts_parse(line, &back, &err), 0);
	assert_int_equal(back.libefa, f->libefa);
	assert_int_equal(back.fabric, f->fabric);
	assert_int_equal(back.uverbs, f->uverbs);
	for (int i = 0; i < EV_SW__COUNT; i++) {
		assert_int_equal(back.sw.sw[i].present, f->sw.sw[i].present);
		if (f->sw.sw[i].present)
			assert_string_equal(back.sw.sw[i].version, f->sw.sw[i].version);
	}
}

static void test_format_parse(void **state)
{
	struct ev_image_facts f = { .uverbs = -1 };
	char line[EV_IMAGE_FACTS_LINE_MAX], small[40];

	(void)state;
	roundtrip(&f, "efa_installer=- libfabric=- nccl=- aws_ofi_nccl=- nvidia_driver=- cuda=- libefa=0 "
		      "fabric=unknown uverbs=-");
	set_sw(&f, EV_SW_EFA_INSTALLER, "1.26.1");
	set_sw(&f, EV_SW_LIBFABRIC, "1.18.1amzn1.0");
	set_sw(&f, EV_SW_AWS_OFI_NCCL, "1.7.3-aws");
	set_sw(&f, EV_SW_NVIDIA_DRIVER, "535.54.03");
	set_sw(&f, EV_SW_CUDA, "12.2.2");
	f.libefa = true;
	f.fabric = EV_FABRIC_EFA;
	f.uverbs = 4;
	roundtrip(&f, "efa_installer=1.26.1 libfabric=1.18.1amzn1.0 nccl=- aws_ofi_nccl=1.7.3-aws "
		      "nvidia_driver=535.54.03 cuda=12.2.2 libefa=1 fabric=efa uverbs=4");
	f.uverbs = 0;
	f.fabric = EV_FABRIC_NO_EFA;
	roundtrip(&f, NULL);
	f.fabric = EV_FABRIC_NONE;
	roundtrip(&f, NULL);
	/* The widest facts fit the line. */
	for (int i = 0; i < EV_SW__COUNT; i++) {
		char v[EV_VER_MAX];

		memset(v, '9', sizeof(v) - 1);
		v[sizeof(v) - 1] = '\0';
		set_sw(&f, (enum ev_sw)i, v);
	}
	f.uverbs = EV_IMAGE_UVERBS_MAX;
	roundtrip(&f, NULL);
	assert_int_equal(ev_image_facts_format(&f, small, sizeof(small)), -ENAMETOOLONG);
	assert_string_equal(small, "");
	/* What format will not write. */
	f.uverbs = EV_IMAGE_UVERBS_MAX + 1;
	assert_int_equal(ev_image_facts_format(&f, line, sizeof(line)), -EINVAL);
	f.uverbs = -2;
	assert_int_equal(ev_image_facts_format(&f, line, sizeof(line)), -EINVAL);
	f.uverbs = 1;
	f.fabric = (enum ev_fabric_efa)9;
	assert_int_equal(ev_image_facts_format(&f, line, sizeof(line)), -EINVAL);
	f.fabric = EV_FABRIC_EFA;
	set_sw(&f, EV_SW_CUDA, "12.2 x");
	assert_int_equal(ev_image_facts_format(&f, line, sizeof(line)), -EINVAL);
	memset(f.sw.sw[EV_SW_CUDA].version, '1', EV_VER_MAX);   /* unterminated */
	assert_int_equal(ev_image_facts_format(&f, line, sizeof(line)), -EINVAL);
	assert_int_equal(ev_image_facts_parse(NULL, &f, NULL), -EINVAL);
}

#define GOOD "efa_installer=1.26.1 libfabric=2.1.0 nccl=- aws_ofi_nccl=- nvidia_driver=- cuda=12.2.2 " \
	     "libefa=1 fabric=efa uverbs=4"

static void test_parse_strict(void **state)
{
	static const char *const bad[] = {
		"",
		" " GOOD,
		GOOD " ",
		"efa_installer=1.26.1  libfabric=2.1.0 nccl=- aws_ofi_nccl=- nvidia_driver=- cuda=12.2.2 libefa=1 "
		"fabric=efa uverbs=4",
		GOOD " extra=1",
		GOOD " uverbs=4",
		"libfabric=2.1.0 efa_installer=1.26.1 nccl=- aws_ofi_nccl=- nvidia_driver=- cuda=12.2.2 libefa=1 "
		"fabric=efa uverbs=4",                                    /* out of order */
		"efa_installer=1.26.1 efa_installer=1.26.1 libfabric=2.1.0 nccl=- aws_ofi_nccl=- nvidia_driver=- "
		"cuda=12.2.2 libefa=1 fabric=efa uverbs=4",               /* twice */
		"efa_installer=1.26.1 libfabric=2.1.0 nccl=- aws_ofi_nccl=- nvidia_driver=- cuda=12.2.2 libefa=1 "
		"fabric=efa",                                             /* missing */
		"efa_installer=1.26.1 libfabric=2.1.0 nccl=- aws_ofi_nccl=- nvidia_driver=- cuda=12.2.2 libefa=1 "
		"fabric=efa bogus=1",                                     /* unknown */
		"efa_installer=1.26.1 libfabric=2.1.0 nccl=- aws_ofi_nccl=- nvidia_driver=- cuda=12.2.2 libefa=1 "
		"fabric=efa uverbs=04",
		"efa_installer=1.26.1 libfabric=2.1.0 nccl=- aws_ofi_nccl=- nvidia_driver=- cuda=12.2.2 libefa=1 "
		"fabric=efa uverbs=-1",
		"efa_installer=1.26.1 libfabric=2.1.0 nccl=- aws_ofi_nccl=- nvidia_driver=- cuda=12.2.2 libefa=1 "
		"fabric=efa uverbs=4097",
		"efa_installer=1.26.1 libfabric=2.1.0 nccl=- aws_ofi_nccl=- nvidia_driver=- cuda=12.2.2 libefa=1 "
		"fabric=efa uverbs=+4",
		"efa_installer=1.26.1 libfabric=2.1.0 nccl=- aws_ofi_nccl=- nvidia_driver=- cuda=12.2.2 libefa=yes "
		"fabric=efa uverbs=4",
		"efa_installer=1.26.1 libfabric=2.1.0 nccl=- aws_ofi_nccl=- nvidia_driver=- cuda=12.2.2 libefa=1 "
		"fabric=EFA uverbs=4",
		"efa_installer=1.26.1 libfabric=2.1.0 nccl= aws_ofi_nccl=- nvidia_driver=- cuda=12.2.2 libefa=1 "
		"fabric=efa uverbs=4",                                    /* empty value */
		"efa_installer=1.26.1 libfabric=2.1.0 nccl aws_ofi_nccl=- nvidia_driver=- cuda=12.2.2 libefa=1 "
		"fabric=efa uverbs=4",                                    /* no '=' */
		"efa_installer=1.26.1 libfabric=v2.1.0 nccl=- aws_ofi_nccl=- nvidia_driver=- cuda=12.2.2 libefa=1 "
		"fabric=efa uverbs=4",                                    /* not a version */
		"efa_installer=1.26.1 libfabric=2.1.0;rm nccl=- aws_ofi_nccl=- nvidia_driver=- cuda=12.2.2 libefa=1 "
		"fabric=efa uverbs=4",
		"efa_installer=1.26.1 libfabric=2.1.0=1 nccl=- aws_ofi_nccl=- nvidia_driver=- cuda=12.2.2 libefa=1 "
		"fabric=efa uverbs=4",
		"efa_installer=1.26.1 libfabric=12345678901234567890123456789012 nccl=- aws_ofi_nccl=- "
		"nvidia_driver=- cuda=12.2.2 libefa=1 fabric=efa uverbs=4",   /* 32 characters */
		"efa_installer=1.26.1 libfabric=2.1.0\tnccl=- aws_ofi_nccl=- nvidia_driver=- cuda=12.2.2 libefa=1 "
		"fabric=efa uverbs=4",
		"efa_installer=1.26.1 libfabric=2.1.0 nccl=- aws_ofi_nccl=- nvidia_driver=- cuda=12.2.2 libefa=1 "
		"fabric=efa uverbs=4\n",
		"efa_installer=1.26.1 libfabric=2.1\xc3\xa9 nccl=- aws_ofi_nccl=- nvidia_driver=- cuda=12.2.2 libefa=1 "
		"fabric=efa uverbs=4",
		"=1.26.1 libfabric=2.1.0 nccl=- aws_ofi_nccl=- nvidia_driver=- cuda=12.2.2 libefa=1 fabric=efa "
		"uverbs=4",
		"efa_installer_is_a_much_longer_key_than_any=1 libfabric=2.1.0",
	};
	struct ev_image_facts f;
	struct ev_err err = { "" };
	char huge[EV_IMAGE_FACTS_LINE_MAX + 16];

	(void)state;
	assert_int_equal(ev_image_facts_parse(GOOD, &f, &err), 0);
	assert_int_equal(f.uverbs, 4);
	assert_string_equal(f.sw.sw[EV_SW_LIBFABRIC].version, "2.1.0");
	assert_string_equal(f.sw.sw[EV_SW_LIBFABRIC].source, "");
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		err.msg[0] = '\0';
		f.uverbs = 7;
		f.libefa = true;
		if (ev_image_facts_parse(bad[i], &f, &err) != -EBADMSG)
			fail_msg("parsed '%s'", bad[i]);
		assert_int_equal(f.uverbs, -1);
		assert_false(f.libefa);
		assert_false(f.sw.sw[EV_SW_EFA_INSTALLER].present);
		assert_true(err.msg[0] != '\0');
		assert_null(strchr(err.msg, '\n'));
	}
	memset(huge, 'a', sizeof(huge) - 1);
	huge[sizeof(huge) - 1] = '\0';
	assert_int_equal(ev_image_facts_parse(huge, &f, &err), -EBADMSG);
	assert_non_null(strstr(err.msg, "longer than"));
	assert_int_equal(ev_image_facts_parse(bad[9], &f, &err), -EBADMSG);
	assert_non_null(strstr(err.msg, "unknown key 'bogus'"));
	assert_int_equal(ev_image_facts_parse(bad[7], &f, &err), -EBADMSG);
	assert_non_null(strstr(err.msg, "twice"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_fabric),
		cmocka_unit_test(test_fabric_links),
		cmocka_unit_test(test_fabric_unreadable),
		cmocka_unit_test(test_libefa),
		cmocka_unit_test(test_uverbs),
		cmocka_unit_test(test_software),
		cmocka_unit_test(test_bad_root),
		cmocka_unit_test(test_format_parse),
		cmocka_unit_test(test_parse_strict),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
