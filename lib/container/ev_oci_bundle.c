/* An OCI bundle's config.json: see ev_oci_bundle.h. */
#include "container/ev_oci_bundle.h"

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "util/ev_jsonscan.h"
#include "util/ev_printable.h"

/* runtime-spec's own nesting is 6 deep (linux.seccomp.syscalls[].args[]). */
#define OCI_MAX_DEPTH 16
/* The kernel's uverbs minors: uverbs0 .. uverbs1023. */
#define UVERBS_MAX 1024

enum { TOP_ROOT = 1, TOP_MOUNTS = 2, TOP_LINUX = 4 };
enum { M_DST = 1, M_SRC = 2, M_TYPE = 4, M_OPTS = 8 };

struct rd {
	struct ev_oci_bundle *out;
	unsigned top_seen, root_seen, linux_seen, mount_seen, dev_seen;
	bool have_root;
	char root_path[EV_PATH_MAX];
	/* The mount being read. */
	bool m_has_dst, m_has_src, m_bind;
	char m_dst[EV_PATH_MAX], m_src[EV_PATH_MAX];
	bool m_dst_ok, m_src_ok;      /* each cleaned, and short enough to compare */
	uint64_t devices[UVERBS_MAX / 64], bound[UVERBS_MAX / 64];
};

/* "mounts[2].destination": where ev is, printable and bounded. */
static const char *where(const struct ev_jsonscan_event *ev, char *buf, size_t cap)
{
	size_t o = 0;

	buf[0] = '\0';
	for (size_t i = 0; i < ev->depth && o + 1 < cap; i++) {
		const struct ev_jsonscan_step *st = &ev->path[i];
		char k[EV_JSONSCAN_KEY_MAX];
		int w;

		if (st->in_array) {
			w = snprintf(buf + o, cap - o, "[%zu]", st->index);
		} else {
			ev_printable(k, sizeof(k), st->key, sizeof(k) - 1);
			w = snprintf(buf + o, cap - o, "%s%s%s", i ? "." : "", k, st->key_odd ? "..." : "");
		}
		if (w < 0 || (size_t)w >= cap - o)
			break;
		o += (size_t)w;
	}
	return buf;
}

static const char *kind_name(enum ev_jsonscan_kind k)
{
	switch (k) {
	case EV_JSONSCAN_OBJECT: return "an object";
	case EV_JSONSCAN_ARRAY: return "a list";
	case EV_JSONSCAN_STRING: return "a string";
	case EV_JSONSCAN_NUMBER: return "a number";
	case EV_JSONSCAN_TRUE:
	case EV_JSONSCAN_FALSE: return "a boolean";
	default: return "null";
	}
}

/* ev, a value the runtime reads, is of kind want or null (which Go's
 * encoding/json, runc's reader, takes as absent): 1, 0 for null, or the
 * error. */
static int want(const struct ev_jsonscan_event *ev, enum ev_jsonscan_kind want_kind, struct ev_err *err)
{
	char w[160];

	if (ev->kind == want_kind)
		return 1;
	if (ev->kind == EV_JSONSCAN_NULL)
		return 0;
	return ev_jsonscan_at(ev, err, "%s: expected %s, found %s", where(ev, w, sizeof(w)), kind_name(want_kind),
			      kind_name(ev->kind));
}

/* The key of ev's last step among names[0..n): its bit (1 << i), 0 for
 * none; an error for one given before in this object (*seen) or one that
 * differs from a name in case only, which runc would read and crun not. */
static int key_bit(const struct ev_jsonscan_event *ev, const char *const *names, size_t n, unsigned *seen,
		   struct ev_err *err)
{
	const struct ev_jsonscan_step *st = &ev->path[ev->depth - 1];
	char w[160];

	for (size_t i = 0; i < n; i++) {
		int is = ev_jsonscan_key_is(st, names[i]);

		if (is < 0)
			return ev_jsonscan_at(ev, err, "%s: not a runtime-spec key; '%s' is (runc would read "
					      "this one as it, crun would not): write '%s'", where(ev, w, sizeof(w)),
					      names[i], names[i]);
		if (is > 0) {
			if (*seen & 1u << i)
				return ev_jsonscan_at(ev, err, "%s: given twice in one object",
						      where(ev, w, sizeof(w)));
			*seen |= 1u << i;
			return (int)(1u << i);
		}
	}
	return 0;
}

/* A path as the runtime takes it: absolute (a relative destination is
 * under /), without "." and "..", doubled or trailing slashes. false if it
 * holds a NUL or does not fit out. */
static bool clean(const char *in, size_t len, char *out, size_t cap)
{
	size_t o = 0, i = 0;

	if (strlen(in) != len || cap < 2)
		return false;
	while (i < len) {
		size_t j = i, n;

		while (j < len && in[j] != '/')
			j++;
		n = j - i;
		if (n == 0 || (n == 1 && in[i] == '.')) {
			/* nothing */
		} else if (n == 2 && in[i] == '.' && in[i + 1] == '.') {
			while (o > 0 && out[o] != '/')
				o--;
		} else {
			if (o + 1 + n + 1 > cap)
				return false;
			out[o++] = '/';
			memcpy(out + o, in + i, n);
			o += n;
			out[o] = '\0';
		}
		i = j + 1;
	}
	if (o == 0)
		out[o++] = '/';
	out[o] = '\0';
	return true;
}

/* N of a clean "/dev/infiniband/uverbsN" (the kernel's form: no leading
 * zero, below UVERBS_MAX), else -1. */
static int uverbs_n(const char *p)
{
	static const char pre[] = "/dev/infiniband/uverbs";
	const char *d = p + sizeof(pre) - 1;
	int n = 0;

	if (strncmp(p, pre, sizeof(pre) - 1) != 0 || !*d || (d[0] == '0' && d[1]))
		return -1;
	for (; *d; d++) {
		if (*d < '0' || *d > '9')
			return -1;
		n = n * 10 + (*d - '0');
		if (n >= UVERBS_MAX)
			return -1;
	}
	return n;
}

static void set_bit(uint64_t *set, int n)
{
	set[n / 64] |= UINT64_C(1) << (n % 64);
}

/* The mount just read, in its place in the order: a mount on /dev or
 * /dev/infiniband (or /) hides what earlier mounts put there. linux.devices
 * are made after every mount, so nothing hides them. */
static int end_mount(struct rd *r, const struct ev_jsonscan_event *ev, struct ev_err *err)
{
	char w[160];
	const char *d = r->m_dst;
	int n;

	if (!r->m_has_dst)
		return ev_jsonscan_at(ev, err, "%s: a mount without a destination", where(ev, w, sizeof(w)));
	if (!r->m_dst_ok)
		return 0;
	if (strcmp(d, "/") == 0 || strcmp(d, "/dev") == 0 || strcmp(d, "/dev/infiniband") == 0) {
		r->out->infiniband_mounted = r->m_bind && r->m_src_ok && strcmp(d, "/") != 0 &&
					     strcmp(r->m_src, d) == 0;
		r->out->dev_all = r->out->infiniband_mounted && strcmp(d, "/dev") == 0;
		memset(r->bound, 0, sizeof(r->bound));
	} else if ((n = uverbs_n(d)) >= 0 && r->m_bind && r->m_src_ok && strcmp(r->m_src, d) == 0) {
		set_bit(r->bound, n);
	}
	return 0;
}

static void begin_mount(struct rd *r)
{
	r->mount_seen = 0;
	r->m_has_dst = r->m_has_src = r->m_bind = false;
	r->m_dst_ok = r->m_src_ok = false;
	r->m_dst[0] = r->m_src[0] = '\0';
}

static int mount_member(struct rd *r, const struct ev_jsonscan_event *ev, struct ev_err *err)
{
	static const char *const names[] = { "destination", "source", "type", "options" };
	int bit = key_bit(ev, names, 4, &r->mount_seen, err), rc;

	if (bit < 0)
		return bit;
	if (bit == M_OPTS)
		return want(ev, EV_JSONSCAN_ARRAY, err) < 0 ? -EINVAL : 0;
	if (!bit)
		return 0;
	if ((rc = want(ev, EV_JSONSCAN_STRING, err)) <= 0)
		return rc;
	switch (bit) {
	case M_DST: {
		/* runc and crun take a relative destination as under /. */
		char abs[EV_PATH_MAX];

		r->m_has_dst = true;
		r->m_dst_ok = ev->len + 2 <= sizeof(abs);
		if (r->m_dst_ok) {
			abs[0] = '/';
			memcpy(abs + 1, ev->text, ev->len + 1);
			r->m_dst_ok = clean(abs, ev->len + 1, r->m_dst, sizeof(r->m_dst));
		}
		break;
	}
	case M_SRC:
		/* A relative source is under the bundle, never the host's /dev. */
		r->m_has_src = true;
		r->m_src_ok = ev->text[0] == '/' && clean(ev->text, ev->len, r->m_src, sizeof(r->m_src));
		break;
	case M_TYPE:
		if (strcmp(ev->text, "bind") == 0 && strlen(ev->text) == ev->len)
			r->m_bind = true;
		break;
	}
	return 0;
}

static int on_event(void *ctx, const struct ev_jsonscan_event *ev, struct ev_err *err)
{
	static const char *const top[] = { "root", "mounts", "linux" };
	static const char *const root_keys[] = { "path" };
	static const char *const linux_keys[] = { "devices" };
	struct rd *r = ctx;
	const struct ev_jsonscan_step *p = ev->path;
	bool end = ev->kind == EV_JSONSCAN_END;
	char w[160];
	int bit, rc;

	switch (ev->depth) {
	case 0:
		if (ev->kind != EV_JSONSCAN_OBJECT && !end)
			return ev_jsonscan_at(ev, err, "expected an object (a runtime-spec config), found %s",
					      kind_name(ev->kind));
		return 0;
	case 1:
		if (end)
			return 0;
		if ((bit = key_bit(ev, top, 3, &r->top_seen, err)) < 0)
			return bit;
		if (bit == TOP_ROOT || bit == TOP_LINUX)
			return want(ev, EV_JSONSCAN_OBJECT, err) < 0 ? -EINVAL : 0;
		if (bit == TOP_MOUNTS)
			return want(ev, EV_JSONSCAN_ARRAY, err) < 0 ? -EINVAL : 0;
		return 0;
	}
	/* Below the top: only root.path, mounts[] and linux.devices[] matter,
	 * and the object each is in was checked when it opened. */
	if (ev_jsonscan_key_is(&p[0], "root") > 0) {
		if (ev->depth != 2 || end)
			return 0;
		if ((bit = key_bit(ev, root_keys, 1, &r->root_seen, err)) <= 0)
			return bit;
		if ((rc = want(ev, EV_JSONSCAN_STRING, err)) <= 0)
			return rc;
		if (ev->len == 0 || strlen(ev->text) != ev->len)
			return ev_jsonscan_at(ev, err, "root.path: %s", ev->len ? "holds a NUL" : "empty");
		if (ev->len >= sizeof(r->root_path))
			return ev_errf(err, -ENAMETOOLONG, "%s: root.path: longer than %zu bytes", ev->doc_name,
				       sizeof(r->root_path) - 1);
		memcpy(r->root_path, ev->text, ev->len + 1);
		r->have_root = true;
		return 0;
	}
	if (ev_jsonscan_key_is(&p[0], "mounts") > 0) {
		if (ev->depth == 2) {
			if (end)
				return end_mount(r, ev, err);
			if (ev->kind != EV_JSONSCAN_OBJECT)
				return ev_jsonscan_at(ev, err, "%s: expected an object, found %s",
						      where(ev, w, sizeof(w)), kind_name(ev->kind));
			begin_mount(r);
			return 0;
		}
		if (ev->depth == 3 && !end)
			return mount_member(r, ev, err);
		if (ev->depth == 4 && !end && ev_jsonscan_key_is(&p[2], "options") > 0) {
			if (ev->kind != EV_JSONSCAN_STRING)
				return ev_jsonscan_at(ev, err, "%s: expected a string, found %s",
						      where(ev, w, sizeof(w)), kind_name(ev->kind));
			if ((strcmp(ev->text, "bind") == 0 || strcmp(ev->text, "rbind") == 0) &&
			    strlen(ev->text) == ev->len)
				r->m_bind = true;
		}
		return 0;
	}
	if (ev_jsonscan_key_is(&p[0], "linux") > 0) {
		if (ev->depth == 2) {
			if (end)
				return 0;
			if ((bit = key_bit(ev, linux_keys, 1, &r->linux_seen, err)) <= 0)
				return bit;
			return want(ev, EV_JSONSCAN_ARRAY, err) < 0 ? -EINVAL : 0;
		}
		if (ev_jsonscan_key_is(&p[1], "devices") <= 0)
			return 0;
		if (ev->depth == 3) {
			if (end)
				return 0;
			if (ev->kind != EV_JSONSCAN_OBJECT)
				return ev_jsonscan_at(ev, err, "%s: expected an object, found %s",
						      where(ev, w, sizeof(w)), kind_name(ev->kind));
			r->dev_seen = 0;
			return 0;
		}
		if (ev->depth == 4 && !end) {
			char clean_path[64];
			int n;

			if ((bit = key_bit(ev, root_keys, 1, &r->dev_seen, err)) <= 0)
				return bit;
			if ((rc = want(ev, EV_JSONSCAN_STRING, err)) <= 0)
				return rc;
			if (clean(ev->text, ev->len, clean_path, sizeof(clean_path)) &&
			    (n = uverbs_n(clean_path)) >= 0)
				set_bit(r->devices, n);
		}
	}
	return 0;
}

static void make_label(const char *bundle_dir, char *label, size_t cap)
{
	size_t n = ev_printable(label, cap - 3, bundle_dir, cap - 4);

	if (bundle_dir[n])
		memcpy(label + n, "...", 4);
}

int ev_oci_bundle_parse(const char *bundle_dir, const char *text, size_t len, struct ev_oci_bundle *out,
			struct ev_err *err)
{
	struct rd *r;
	char name[EV_OCI_LABEL_MAX + 16];
	size_t blen = strlen(bundle_dir);
	int rc, w, uv = 0;

	memset(out, 0, sizeof(*out));
	make_label(bundle_dir, out->label, sizeof(out->label));
	snprintf(name, sizeof(name), "%s/config.json", out->label);
	if (!blen)
		return ev_errf(err, -EINVAL, "an OCI bundle with an empty path");
	if (blen >= sizeof(out->bundle))
		return ev_errf(err, -ENAMETOOLONG, "%s: the bundle's path is longer than %zu bytes", out->label,
			       sizeof(out->bundle) - 1);
	if (len > EV_OCI_CONFIG_MAX)
		return ev_errf(err, -EFBIG, "%s: larger than %d KiB: refused (a runtime's own is a few KiB)", name,
			       EV_OCI_CONFIG_MAX / 1024);
	if (!(r = calloc(1, sizeof(*r))))
		return ev_errf(err, -ENOMEM, "%s: out of memory", name);
	r->out = out;
	rc = ev_jsonscan(name, text, len, OCI_MAX_DEPTH, on_event, r, err);
	if (!rc && !r->have_root)
		rc = ev_errf(err, -EINVAL, "%s: no root.path: the runtime would have no root filesystem", name);
	if (!rc) {
		memcpy(out->bundle, bundle_dir, blen + 1);
		if (r->root_path[0] == '/')
			w = snprintf(out->rootfs, sizeof(out->rootfs), "%s", r->root_path);
		else
			w = snprintf(out->rootfs, sizeof(out->rootfs), "%s%s%s", bundle_dir,
				     bundle_dir[blen - 1] == '/' ? "" : "/", r->root_path);
		if (w < 0 || (size_t)w >= sizeof(out->rootfs))
			rc = ev_errf(err, -ENAMETOOLONG, "%s: the root filesystem's path is too long", name);
	}
	for (size_t i = 0; !rc && i < UVERBS_MAX / 64; i++)
		uv += __builtin_popcountll(r->devices[i] | r->bound[i]);
	out->uverbs_devices = uv;
	free(r);
	if (rc) {
		char label[EV_OCI_LABEL_MAX];

		memcpy(label, out->label, sizeof(label));
		memset(out, 0, sizeof(*out));
		memcpy(out->label, label, sizeof(label));
	}
	return rc;
}

static const char *file_kind(mode_t m)
{
	if (S_ISDIR(m))
		return "a directory";
	if (S_ISFIFO(m))
		return "a FIFO";
	if (S_ISSOCK(m))
		return "a socket";
	if (S_ISCHR(m) || S_ISBLK(m))
		return "a device";
	return "not a regular file";
}

/* config.json's bytes, from the bundle's directory dfd: never through a
 * symbolic link, never a FIFO or device opened, at most the cap. */
static long read_config(int dfd, const char *name, char **out, struct ev_err *err)
{
	struct stat st, fst;
	char *buf;
	size_t got = 0;
	int fd, rc;

	*out = NULL;
	if (fstatat(dfd, "config.json", &st, AT_SYMLINK_NOFOLLOW) != 0) {
		rc = -errno;
		if (rc == -ENOENT)
			return ev_errf(err, rc, "%s: no such file: not an OCI bundle", name);
		return ev_errf(err, rc, "%s: %s", name, strerror(-rc));
	}
	if (S_ISLNK(st.st_mode))
		return ev_errf(err, -ELOOP, "%s: a symbolic link: refused (the bundle's own file is read, "
			       "never a link's target)", name);
	if (!S_ISREG(st.st_mode))
		return ev_errf(err, -EINVAL, "%s: %s, not a file: refused", name, file_kind(st.st_mode));
	if (st.st_size > EV_OCI_CONFIG_MAX)
		return ev_errf(err, -EFBIG, "%s: larger than %d KiB: refused (a runtime's own is a few KiB)", name,
			       EV_OCI_CONFIG_MAX / 1024);
	/* Opened with O_NONBLOCK and checked again: a FIFO swapped in after
	 * the stat above never holds the open up. */
	fd = openat(dfd, "config.json", O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
	if (fd < 0) {
		rc = -errno;
		if (rc == -ELOOP)
			return ev_errf(err, rc, "%s: a symbolic link: refused", name);
		return ev_errf(err, rc, "%s: %s", name, strerror(-rc));
	}
	if (fstat(fd, &fst) != 0 || !S_ISREG(fst.st_mode) || fst.st_dev != st.st_dev || fst.st_ino != st.st_ino) {
		close(fd);
		return ev_errf(err, -EAGAIN, "%s: replaced while it was opened: refused", name);
	}
	if (!(buf = malloc(EV_OCI_CONFIG_MAX + 2))) {
		close(fd);
		return ev_errf(err, -ENOMEM, "%s: out of memory", name);
	}
	/* One byte past the cap tells a file that grew since its stat. */
	while (got <= EV_OCI_CONFIG_MAX) {
		ssize_t n = read(fd, buf + got, EV_OCI_CONFIG_MAX + 1 - got);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			rc = -errno;
			close(fd);
			free(buf);
			return ev_errf(err, rc, "%s: %s", name, strerror(-rc));
		}
		if (n == 0)
			break;
		got += (size_t)n;
	}
	close(fd);
	if (got > EV_OCI_CONFIG_MAX) {
		free(buf);
		return ev_errf(err, -EFBIG, "%s: larger than %d KiB: refused (a runtime's own is a few KiB)", name,
			       EV_OCI_CONFIG_MAX / 1024);
	}
	buf[got] = '\0';
	*out = buf;
	return (long)got;
}

int ev_oci_bundle_read(const char *bundle_dir, struct ev_oci_bundle *out, struct ev_err *err)
{
	char name[EV_OCI_LABEL_MAX + 16];
	char *text;
	long len;
	int dfd, rc;

	memset(out, 0, sizeof(*out));
	make_label(bundle_dir, out->label, sizeof(out->label));
	if (!*bundle_dir)
		return ev_errf(err, -EINVAL, "an OCI bundle with an empty path");
	if (strlen(bundle_dir) >= sizeof(out->bundle))
		return ev_errf(err, -ENAMETOOLONG, "%s: the bundle's path is longer than %zu bytes", out->label,
			       sizeof(out->bundle) - 1);
	/* O_DIRECTORY fails on anything else before opening it: a FIFO named
	 * as the bundle never blocks. */
	dfd = open(bundle_dir, O_RDONLY | O_DIRECTORY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
	if (dfd < 0) {
		rc = -errno;
		if (rc == -ENOENT)
			return ev_errf(err, rc, "OCI bundle %s: no such directory", out->label);
		if (rc == -ENOTDIR)
			return ev_errf(err, rc, "OCI bundle %s: not a directory", out->label);
		return ev_errf(err, rc, "OCI bundle %s: %s", out->label, strerror(-rc));
	}
	snprintf(name, sizeof(name), "%s/config.json", out->label);
	len = read_config(dfd, name, &text, err);
	close(dfd);
	if (len < 0)
		return (int)len;
	rc = ev_oci_bundle_parse(bundle_dir, text, (size_t)len, out, err);
	free(text);
	return rc;
}
