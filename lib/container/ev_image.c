#include "container/ev_image.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "util/ev_names.h"
#include "util/ev_rootfs.h"

static const char *const fabric_names[] = {
	[EV_FABRIC_UNKNOWN] = "unknown",
	[EV_FABRIC_NONE] = "none",
	[EV_FABRIC_NO_EFA] = "no_efa",
	[EV_FABRIC_EFA] = "efa",
};

const char *ev_fabric_efa_name(enum ev_fabric_efa e)
{
	return ev_name_of(fabric_names, EV_NAMES_N(fabric_names), (int)e);
}

/* Where the loader finds libfabric.so.1 and libefa.so.1 in the images
 * EFA jobs run: the EFA installer's directories first (its ld.so.conf.d
 * entry puts them ahead), then a local build's, then the distribution's. */
static const char *const lib_dirs[] = {
	"opt/amazon/efa/lib", "opt/amazon/efa/lib64", "usr/local/lib", "usr/lib/x86_64-linux-gnu",
	"usr/lib/aarch64-linux-gnu", "usr/lib64", "usr/lib",
};

/* Text the efa provider's code carries (ev_image.h says why each is
 * evidence), searched for in the file that holds the provider. */
static const char *const efa_markers[] = {
	"FI_EFA_",
	"Defines the size of sliding receive window.",
};

static void note(struct ev_err *n, const struct ev_err *e)
{
	if (!n->msg[0])
		snprintf(n->msg, sizeof(n->msg), "%s", e->msg);
}

/* rel is a regular file that starts as an ELF object does: what the
 * loader would take. A FIFO, a directory or a text file of that name it
 * would pass over, and so does this. */
static bool is_elf(const struct ev_rootfs *r, const char *rel)
{
	char magic[4];
	bool elf;
	int fd = ev_rootfs_open_file(r, rel, NULL, NULL);

	if (fd < 0)
		return false;
	elf = pread(fd, magic, sizeof(magic), 0) == (ssize_t)sizeof(magic) && memcmp(magic, "\177ELF", 4) == 0;
	close(fd);
	return elf;
}

/* The first of lib_dirs holding name as the loader would load it: its
 * index, or -1. */
static int find_lib(const struct ev_rootfs *r, const char *name, char *rel, size_t cap)
{
	for (size_t i = 0; i < EV_NAMES_N(lib_dirs); i++) {
		snprintf(rel, cap, "%s/%s", lib_dirs[i], name);
		if (is_elf(r, rel))
			return (int)i;
	}
	rel[0] = '\0';
	return -1;
}

static enum ev_fabric_efa fabric(const struct ev_rootfs *r, struct ev_err *n)
{
	char rel[EV_PATH_CAP];
	struct ev_err e = { "" };
	bool found;
	int i = find_lib(r, "libfabric.so.1", rel, sizeof(rel));

	if (i < 0)
		return EV_FABRIC_NONE;
	if (ev_rootfs_contains(r, rel, efa_markers, EV_NAMES_N(efa_markers), EV_IMAGE_LIB_MAX, &found, &e) != 0) {
		note(n, &e);
		return EV_FABRIC_UNKNOWN;
	}
	if (found)
		return EV_FABRIC_EFA;
	/* Built with the provider apart: libfabric loads it from its own
	 * provider directory, $libdir/libfabric. */
	snprintf(rel, sizeof(rel), "%s/libfabric/libefa-fi.so", lib_dirs[i]);
	if (!is_elf(r, rel))
		return EV_FABRIC_NO_EFA;
	if (ev_rootfs_contains(r, rel, efa_markers, EV_NAMES_N(efa_markers), EV_IMAGE_LIB_MAX, &found, &e) != 0) {
		note(n, &e);
		return EV_FABRIC_UNKNOWN;
	}
	return found ? EV_FABRIC_EFA : EV_FABRIC_NO_EFA;
}

/* uverbsN character devices in dev/infiniband: what rdma-core opens. */
static int uverbs(const struct ev_rootfs *r, struct ev_err *n)
{
	struct ev_err e = { "" };
	struct dirent *de;
	int count = 0, rc;
	DIR *d;

	if ((rc = ev_rootfs_opendir(r, "dev/infiniband", &d, &e)) == -ENOENT || rc == -ENOTDIR)
		return 0;
	if (rc) {
		note(n, &e);
		return -1;
	}
	while ((de = readdir(d)) && count < EV_IMAGE_UVERBS_MAX) {
		const char *num = de->d_name + 6;
		struct stat st;

		if (strncmp(de->d_name, "uverbs", 6) != 0 || !*num || strspn(num, "0123456789") != strlen(num))
			continue;
		if (fstatat(dirfd(d), de->d_name, &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISCHR(st.st_mode))
			count++;
	}
	closedir(d);
	return count;
}

int ev_image_inspect(const char *root, const char *sysfs_root, unsigned flags, struct ev_image_facts *out,
		     struct ev_err *err)
{
	struct ev_err n = { "" };
	struct ev_rootfs r;
	char rel[EV_PATH_CAP];
	int rc;

	memset(out, 0, sizeof(*out));
	out->uverbs = -1;
	if ((rc = ev_rootfs_open(&r, root, err)) != 0)
		return rc;
	rc = ev_versions_detect_in(&r, sysfs_root,
				   flags & EV_IMAGE_ALL_SW ? EV_SW_ALL : EV_IMAGE_SW_STEP, &out->sw, err);
	if (rc == 0) {
		out->fabric = fabric(&r, &n);
		out->libefa = find_lib(&r, "libefa.so.1", rel, sizeof(rel)) >= 0;
		if (flags & EV_IMAGE_DEVICES)
			out->uverbs = uverbs(&r, &n);
		if (err)
			*err = n;
	}
	ev_rootfs_close(&r);
	return rc;
}

/* ------------------------------------------------------------ the line */

enum { K_LIBEFA = EV_SW__COUNT, K_FABRIC, K_UVERBS, K__COUNT };

static const char *key_name(int k)
{
	if (k < EV_SW__COUNT)
		return ev_sw_name((enum ev_sw)k);
	return k == K_LIBEFA ? "libefa" : k == K_FABRIC ? "fabric" : "uverbs";
}

int ev_image_facts_format(const struct ev_image_facts *f, char *out, size_t cap)
{
	size_t o = 0;

	if (!cap)
		return -ENAMETOOLONG;
	out[0] = '\0';
	if ((unsigned)f->fabric >= EV_NAMES_N(fabric_names) || f->uverbs < -1 || f->uverbs > EV_IMAGE_UVERBS_MAX)
		return -EINVAL;
	for (int k = 0; k < K__COUNT; k++) {
		char num[16];
		const char *v;
		int len;

		if (k < EV_SW__COUNT) {
			const struct ev_sw_version *s = &f->sw.sw[k];

			if (s->present && (strnlen(s->version, sizeof(s->version)) == sizeof(s->version) ||
					   !ev_version_valid(s->version))) {
				out[0] = '\0';
				return -EINVAL;
			}
			v = s->present ? s->version : "-";
		} else if (k == K_LIBEFA) {
			v = f->libefa ? "1" : "0";
		} else if (k == K_FABRIC) {
			v = ev_fabric_efa_name(f->fabric);
		} else {
			snprintf(num, sizeof(num), "%d", f->uverbs);
			v = f->uverbs < 0 ? "-" : num;
		}
		len = snprintf(out + o, cap - o, "%s%s=%s", k ? " " : "", key_name(k), v);
		if (len < 0 || (size_t)len >= cap - o) {
			out[0] = '\0';
			return -ENAMETOOLONG;
		}
		o += (size_t)len;
	}
	return 0;
}

/* Nothing of a refused line is kept. */
static int bad(struct ev_image_facts *f, struct ev_err *err, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static int bad(struct ev_image_facts *f, struct ev_err *err, const char *fmt, ...)
{
	va_list ap;

	memset(f, 0, sizeof(*f));
	f->uverbs = -1;
	if (err) {
		va_start(ap, fmt);
		vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
		va_end(ap);
	}
	return -EBADMSG;
}

/* One token's value into f; 0 or -1. */
static int take(struct ev_image_facts *f, int k, const char *v)
{
	if (k < EV_SW__COUNT) {
		struct ev_sw_version *s = &f->sw.sw[k];

		if (strcmp(v, "-") == 0)
			return 0;
		if (!ev_version_valid(v))
			return -1;
		s->present = true;
		snprintf(s->version, sizeof(s->version), "%s", v);
		return 0;
	}
	if (k == K_LIBEFA) {
		if (strcmp(v, "0") != 0 && strcmp(v, "1") != 0)
			return -1;
		f->libefa = v[0] == '1';
		return 0;
	}
	if (k == K_FABRIC) {
		int e = ev_name_find(fabric_names, EV_NAMES_N(fabric_names), v);

		if (e < 0)
			return -1;
		f->fabric = (enum ev_fabric_efa)e;
		return 0;
	}
	if (strcmp(v, "-") == 0)
		return 0;
	/* Digits as format writes them: no sign, no leading zero. */
	if (!*v || strlen(v) > 4 || strspn(v, "0123456789") != strlen(v) || (v[0] == '0' && v[1]))
		return -1;
	f->uverbs = atoi(v);
	return f->uverbs <= EV_IMAGE_UVERBS_MAX ? 0 : -1;
}

int ev_image_facts_parse(const char *line, struct ev_image_facts *f, struct ev_err *err)
{
	char again[EV_IMAGE_FACTS_LINE_MAX], at[24];
	const char *p = line;
	size_t len;

	memset(f, 0, sizeof(*f));
	f->uverbs = -1;
	if (!line)
		return ev_errf(err, -EINVAL, "image facts: none given");
	len = strnlen(line, EV_IMAGE_FACTS_LINE_MAX);
	if (len == EV_IMAGE_FACTS_LINE_MAX)
		return ev_errf(err, -EBADMSG, "image facts: longer than %d bytes", EV_IMAGE_FACTS_LINE_MAX - 1);
	for (size_t i = 0; i < len; i++) {
		if ((unsigned char)line[i] < 0x20 || (unsigned char)line[i] > 0x7e) {
			snprintf(at, sizeof(at), "0x%02x at %zu", (unsigned char)line[i], i);
			return bad(f, err, "image facts: byte %s is not printable", at);
		}
	}
	for (int next = 0; next < K__COUNT; next++) {
		char key[24], val[EV_VER_MAX];
		size_t tl, kl;
		int k = -1;

		if (next && *p == ' ')
			p++;
		if (!*p)
			return bad(f, err, "image facts: '%s' missing", key_name(next));
		tl = strcspn(p, " ");
		kl = strcspn(p, "= ");
		if (!tl || kl == tl || kl >= sizeof(key))
			return bad(f, err, "image facts: malformed near '%.24s'", p);
		memcpy(key, p, kl);
		key[kl] = '\0';
		for (int i = 0; i < K__COUNT; i++)
			if (strcmp(key, key_name(i)) == 0)
				k = i;
		if (k < 0)
			return bad(f, err, "image facts: unknown key '%s'", key);
		if (k < next)
			return bad(f, err, "image facts: '%s' twice", key);
		if (k != next)
			return bad(f, err, "image facts: '%s' where '%s' belongs", key, key_name(next));
		if (tl - kl - 1 >= sizeof(val))
			return bad(f, err, "image facts: value of '%s' longer than the longest version", key);
		memcpy(val, p + kl + 1, tl - kl - 1);
		val[tl - kl - 1] = '\0';
		if (take(f, k, val) != 0)
			return bad(f, err, "image facts: '%s=%.32s' is not a value format writes", key, val);
		p += tl;
	}
	if (*p)
		return bad(f, err, "image facts: more after the last key: '%.24s'", p);
	/* Canonical, which the pipe's reader relies on: writing it back gives
	 * the same line. */
	if (ev_image_facts_format(f, again, sizeof(again)) != 0 || strcmp(again, line) != 0)
		return bad(f, err, "image facts: not in the form format writes");
	return 0;
}
