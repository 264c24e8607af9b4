/* Installed EFA/NCCL/CUDA software, read from the files real installs leave
 * (never by running anything), under a root: the node's, an image's, or a
 * test's fake install. */
#include "node/ev_versions.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "util/ev_file.h"

bool ev_version_valid(const char *s)
{
	size_t n = strlen(s);

	if (!n || n >= EV_VER_MAX || !isdigit((unsigned char)s[0]))
		return false;
	for (size_t i = 0; i < n; i++)
		if (!(isalnum((unsigned char)s[i]) || s[i] == '.' || s[i] == '-' || s[i] == '_' || s[i] == '+'))
			return false;
	return true;
}

/* Copy the version token that starts at p (digits, dots, then suffix). */
static bool take_version(const char *p, char *out)
{
	size_t n = strspn(p, "0123456789.abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ-_+");

	if (n == 0 || n >= EV_VER_MAX)
		return false;
	memcpy(out, p, n);
	out[n] = '\0';
	while (n && out[n - 1] == '.')
		out[--n] = '\0';
	return ev_version_valid(out);
}

static long read_under(const struct ev_rootfs *root, const char *rel, char *buf, size_t cap, char *src,
		       size_t src_cap)
{
	ev_rootfs_show(root, rel, src, src_cap);
	return ev_rootfs_read(root, rel, buf, cap, NULL);
}

/* What real installs write is far smaller; a larger file is not one of
 * theirs, and is not read at all rather than read in part. */
#define LIST_MAX 65536          /* efa_installed_packages, CUDA's version.json */
#define SMALL_MAX 16384         /* a pkg-config file, a driver's version line */
#define DIR_ENTRIES_MAX 100000

static void set(struct ev_sw_version *v, const char *ver, const char *src)
{
	v->present = true;
	snprintf(v->version, sizeof(v->version), "%s", ver);
	snprintf(v->source, sizeof(v->source), "%s", src);
}

/* "# EFA installer version: 1.26.1" in /opt/amazon/efa_installed_packages. */
static void efa_installer(const struct ev_rootfs *root, struct ev_sw_version *v)
{
	char buf[LIST_MAX], src[512], ver[EV_VER_MAX];
	const char *key = "EFA installer version:";
	char *p;

	if (read_under(root, "opt/amazon/efa_installed_packages", buf, sizeof(buf), src, sizeof(src)) <= 0)
		return;
	p = strstr(buf, key);
	if (p && take_version(p + strlen(key) + strspn(p + strlen(key), " \t"), ver))
		set(v, ver, src);
}

/* "Version:" at the start of a line of a pkg-config file under root. */
static bool pc_version(const struct ev_rootfs *root, const char *rel, char *ver, char *src, size_t src_cap)
{
	char buf[SMALL_MAX];

	if (read_under(root, rel, buf, sizeof(buf), src, src_cap) <= 0)
		return false;
	for (char *p = buf; (p = strstr(p, "Version:")); p++)
		if ((p == buf || p[-1] == '\n') && take_version(p + 8 + strspn(p + 8, " \t"), ver))
			return true;
	return false;
}

/* Each libfabric install carries a pkg-config file with its version: the
 * EFA installer's, a local build's, a distribution's -dev package (Debian 13:
 * 2.1.0, with the efa provider). Where several are installed, the installer's
 * is the one EFA jobs are set up to load, so it is looked for first. Without
 * any, ev_readiness asks the loaded library. */
static void libfabric(const struct ev_rootfs *root, struct ev_sw_version *v)
{
	static const char *const pcs[] = {
		"opt/amazon/efa/lib/pkgconfig/libfabric.pc",
		"opt/amazon/efa/lib64/pkgconfig/libfabric.pc",
		"usr/local/lib/pkgconfig/libfabric.pc",
		"usr/lib/x86_64-linux-gnu/pkgconfig/libfabric.pc",
		"usr/lib/aarch64-linux-gnu/pkgconfig/libfabric.pc",
		"usr/lib64/pkgconfig/libfabric.pc",
		"usr/lib/pkgconfig/libfabric.pc",
	};
	char src[512], ver[EV_VER_MAX];

	for (size_t i = 0; i < sizeof(pcs) / sizeof(pcs[0]); i++) {
		if (pc_version(root, pcs[i], ver, src, sizeof(src))) {
			set(v, ver, src);
			return;
		}
	}
}

/* A library's name on a file, or on a link (the name alone tells the
 * version; nothing is read through it); a directory so named is not one. */
static bool library_entry(DIR *d, const struct dirent *de)
{
	struct stat st;

	if (de->d_type == DT_REG || de->d_type == DT_LNK)
		return true;
	return de->d_type == DT_UNKNOWN && fstatat(dirfd(d), de->d_name, &st, AT_SYMLINK_NOFOLLOW) == 0 &&
	       (S_ISREG(st.st_mode) || S_ISLNK(st.st_mode));
}

/* The highest libPREFIX.so.X.Y.Z in dir, e.g. libnccl.so.2.18.5. */
static bool highest_so(const struct ev_rootfs *root, const char *dir, const char *prefix, char *best, char *src,
		       size_t src_cap)
{
	struct dirent *de;
	size_t pl = strlen(prefix), seen = 0;
	bool found = false;
	DIR *d;

	if (ev_rootfs_opendir(root, dir, &d, NULL) != 0)
		return false;
	/* An image may hold a directory of millions of names; a real library
	 * directory holds a few thousand. */
	while ((de = readdir(d)) && seen++ < DIR_ENTRIES_MAX) {
		char ver[EV_VER_MAX], file[EV_PATH_CAP];

		if (strncmp(de->d_name, prefix, pl) != 0 || !take_version(de->d_name + pl, ver) ||
		    !library_entry(d, de))
			continue;
		/* libnccl.so.2 alone says too little. */
		if (!strchr(ver, '.'))
			continue;
		if (!found || ev_version_cmp(ver, best) > 0) {
			memcpy(best, ver, sizeof(ver));
			snprintf(file, sizeof(file), "%s/%s", dir, de->d_name);
			ev_rootfs_show(root, file, src, src_cap);
			found = true;
		}
	}
	closedir(d);
	return found;
}

static void nccl(const struct ev_rootfs *root, struct ev_sw_version *v)
{
	static const char *const dirs[] = {
		"usr/lib/x86_64-linux-gnu", "usr/lib/aarch64-linux-gnu", "usr/local/cuda/lib64",
		"usr/local/lib", "opt/nccl/build/lib", "usr/lib64",
	};
	char best[EV_VER_MAX] = "", cur[EV_VER_MAX], src[512], cursrc[512];
	bool any = false;

	for (size_t i = 0; i < sizeof(dirs) / sizeof(dirs[0]); i++) {
		if (!highest_so(root, dirs[i], "libnccl.so.", cur, cursrc, sizeof(cursrc)))
			continue;
		if (!any || ev_version_cmp(cur, best) > 0) {
			memcpy(best, cur, sizeof(cur));
			memcpy(src, cursrc, sizeof(src));
			any = true;
		}
	}
	if (any)
		set(v, best, src);
}

/* aws-ofi-nccl installs where the EFA installer or the DLAMI puts it; its
 * version is in the installer's package list or its own pkg-config file. */
static void aws_ofi_nccl(const struct ev_rootfs *root, struct ev_sw_version *v)
{
	static const char *const pcs[] = {
		"opt/amazon/ofi-nccl/lib/pkgconfig/aws-ofi-nccl.pc",
		"opt/aws-ofi-nccl/lib/pkgconfig/aws-ofi-nccl.pc",
	};
	char buf[LIST_MAX], src[512], ver[EV_VER_MAX];
	char *p;

	for (size_t i = 0; i < sizeof(pcs) / sizeof(pcs[0]); i++) {
		if (pc_version(root, pcs[i], ver, src, sizeof(src))) {
			set(v, ver, src);
			return;
		}
	}
	if (read_under(root, "opt/amazon/efa_installed_packages", buf, sizeof(buf), src, sizeof(src)) <= 0)
		return;
	/* A package line such as "aws-ofi-nccl 1.7.3-aws" or "libnccl-ofi-1.7.3". */
	for (p = buf; (p = strstr(p, "ofi-nccl")); p++) {
		const char *q = p + 8;

		q += strspn(q, " \t-_:=");
		if (take_version(q, ver)) {
			set(v, ver, src);
			return;
		}
	}
}

/* "NVRM version: NVIDIA UNIX x86_64 Kernel Module  535.54.03  ..." or the
 * module's sysfs version file. */
static void nvidia(const struct ev_rootfs *root, const char *sysfs_root, struct ev_sw_version *v)
{
	char buf[SMALL_MAX], src[512], ver[EV_VER_MAX];
	char *p;

	/* The kernel's module, so the host's sysfs (in a container too), as
	 * the config names it. */
	if (sysfs_root && ev_path_join(src, sizeof(src), sysfs_root, "module/nvidia/version") == 0 &&
	    ev_file_read_at(AT_FDCWD, src, buf, sizeof(buf), true, NULL) > 0 && take_version(buf, ver)) {
		set(v, ver, src);
		return;
	}
	if (read_under(root, "proc/driver/nvidia/version", buf, sizeof(buf), src, sizeof(src)) <= 0)
		return;
	p = strstr(buf, "Kernel Module");
	if (p && take_version(p + 13 + strspn(p + 13, " \t"), ver))
		set(v, ver, src);
}

/* version.json {"cuda": {"version": "12.2.2"}} (11.1+) or version.txt
 * "CUDA Version 11.8.0" (older). */
static void cuda(const struct ev_rootfs *root, struct ev_sw_version *v)
{
	char buf[LIST_MAX], src[512], ver[EV_VER_MAX];
	char *p;

	if (read_under(root, "usr/local/cuda/version.json", buf, sizeof(buf), src, sizeof(src)) > 0 &&
	    (p = strstr(buf, "\"cuda\""))) {
		p = strstr(p, "\"version\"");
		if (p) {
			p += 9;
			p += strspn(p, " \t\r\n:");
			if (*p == '"' && take_version(p + 1, ver)) {
				set(v, ver, src);
				return;
			}
		}
	}
	if (read_under(root, "usr/local/cuda/version.txt", buf, sizeof(buf), src, sizeof(src)) > 0 &&
	    (p = strstr(buf, "CUDA Version")) && take_version(p + 12 + strspn(p + 12, " \t"), ver))
		set(v, ver, src);
}

int ev_versions_detect_in(const struct ev_rootfs *root, const char *sysfs_root, unsigned mask,
			  struct ev_versions *out, struct ev_err *err)
{
	memset(out, 0, sizeof(*out));
	if (!root)
		return ev_errf(err, -EINVAL, "versions: no root");
	if (mask & EV_SW_BIT(EV_SW_EFA_INSTALLER))
		efa_installer(root, &out->sw[EV_SW_EFA_INSTALLER]);
	if (mask & EV_SW_BIT(EV_SW_LIBFABRIC))
		libfabric(root, &out->sw[EV_SW_LIBFABRIC]);
	if (mask & EV_SW_BIT(EV_SW_NCCL))
		nccl(root, &out->sw[EV_SW_NCCL]);
	if (mask & EV_SW_BIT(EV_SW_AWS_OFI_NCCL))
		aws_ofi_nccl(root, &out->sw[EV_SW_AWS_OFI_NCCL]);
	if (mask & EV_SW_BIT(EV_SW_NVIDIA_DRIVER))
		nvidia(root, sysfs_root, &out->sw[EV_SW_NVIDIA_DRIVER]);
	if (mask & EV_SW_BIT(EV_SW_CUDA))
		cuda(root, &out->sw[EV_SW_CUDA]);
	return 0;
}

int ev_versions_detect_some(const char *software_root, const char *sysfs_root, unsigned mask,
			    struct ev_versions *out, struct ev_err *err)
{
	struct ev_rootfs root;
	int rc;

	memset(out, 0, sizeof(*out));
	if (!software_root || !sysfs_root)
		return ev_errf(err, -EINVAL, "versions: no root");
	/* Nothing installed there is what a missing root says. */
	if ((rc = ev_rootfs_open(&root, software_root, err)) == -ENOENT) {
		ev_err_clear(err);
		return 0;
	}
	if (rc)
		return ev_err_prefix(err, rc, "versions");
	rc = ev_versions_detect_in(&root, sysfs_root, mask, out, err);
	ev_rootfs_close(&root);
	return rc;
}

int ev_versions_detect(const char *software_root, const char *sysfs_root, struct ev_versions *out,
		       struct ev_err *err)
{
	return ev_versions_detect_some(software_root, sysfs_root, EV_SW_ALL, out, err);
}

int ev_version_cmp(const char *a, const char *b)
{
	/* Numeric fields compare as numbers ("535.104" > "535.54"); a missing
	 * field is 0 ("11.8" == "11.8.0"); a non-numeric suffix is ignored
	 * ("1.7.3-aws" == "1.7.3"). */
	while (*a || *b) {
		unsigned long x = 0, y = 0;
		bool da = isdigit((unsigned char)*a), db = isdigit((unsigned char)*b);

		if (!da && !db)
			break;
		while (isdigit((unsigned char)*a))
			x = x < 100000000000ul ? x * 10 + (unsigned long)(*a - '0') : x, a++;
		while (isdigit((unsigned char)*b))
			y = y < 100000000000ul ? y * 10 + (unsigned long)(*b - '0') : y, b++;
		if (x != y)
			return x < y ? -1 : 1;
		if (*a == '.')
			a++;
		else if (*a)
			a = "";
		if (*b == '.')
			b++;
		else if (*b)
			b = "";
	}
	return 0;
}
