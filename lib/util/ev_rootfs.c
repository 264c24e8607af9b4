#include "util/ev_rootfs.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

/* glibc 2.36 has no wrapper, and headers older than the kernel's may lack
 * the number; it is the same on every architecture (the unified table). */
#ifndef SYS_openat2
#define SYS_openat2 437
#endif

#define RESOLVE (RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS)

/* openat2 with RESOLVE_IN_ROOT says EAGAIN where a rename or mount raced
 * its ".." handling; a retry or two settles it. */
#define OPENAT2_TRIES 8

static const char *strip(const char *rel)
{
	while (*rel == '/')
		rel++;
	return *rel ? rel : ".";
}

/* rel opened below the root: fd or -errno. */
static int ropen(const struct ev_rootfs *r, const char *rel, int flags)
{
	struct open_how how = { .flags = (unsigned long long)flags, .resolve = RESOLVE };
	int fd = -1;

	rel = strip(rel);
	if (!r->confined) {
		fd = openat(r->fd, rel, flags);
		return fd >= 0 ? fd : -errno;
	}
	for (int i = 0; i < OPENAT2_TRIES; i++) {
		fd = (int)syscall(SYS_openat2, r->fd, rel, &how, sizeof(how));
		if (fd >= 0 || errno != EAGAIN)
			break;
	}
	return fd >= 0 ? fd : -errno;
}

/* Whether fd is the real "/": only there may links be followed unconfined. */
static bool is_real_root(int fd)
{
	struct stat a, b;

	return fstat(fd, &a) == 0 && stat("/", &b) == 0 && a.st_dev == b.st_dev && a.st_ino == b.st_ino;
}

int ev_rootfs_open(struct ev_rootfs *r, const char *root, struct ev_err *err)
{
	struct open_how how = { .flags = O_PATH | O_CLOEXEC, .resolve = RESOLVE };
	int probe, rc;

	memset(r, 0, sizeof(*r));
	r->fd = -1;
	if (!root || !*root)
		return ev_errf(err, -EINVAL, "no root directory given");
	if (strlen(root) >= sizeof(r->path))
		return ev_errf(err, -ENAMETOOLONG, "%.64s...: path too long", root);
	snprintf(r->path, sizeof(r->path), "%s", root);
	r->fd = open(root, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (r->fd < 0) {
		rc = -errno;
		r->fd = -1;
		if (rc == -ENOENT)
			return ev_errf(err, rc, "%s: no such directory", root);
		if (rc == -ENOTDIR)
			return ev_errf(err, rc, "%s: not a directory", root);
		return ev_errf(err, rc, "%s: cannot open: %s", root, strerror(-rc));
	}
	probe = (int)syscall(SYS_openat2, r->fd, ".", &how, sizeof(how));
	if (probe >= 0) {
		close(probe);
		r->confined = true;
		return 0;
	}
	rc = -errno;
	/* EPERM: a seccomp filter that predates openat2 (older container
	 * runtimes' default profiles) refuses it as unknown. */
	if (rc != -ENOSYS && rc != -EPERM) {
		ev_rootfs_close(r);
		return ev_errf(err, rc, "%s: cannot open: %s", root, strerror(-rc));
	}
	if (is_real_root(r->fd))
		return 0;
	ev_rootfs_close(r);
	return ev_errf(err, -ENOSYS,
		       "%s: openat2 is not available here (%s), so links in it could not be kept inside it; refused",
		       root, rc == -ENOSYS ? "Linux before 5.6" : "refused by a seccomp filter");
}

void ev_rootfs_close(struct ev_rootfs *r)
{
	if (r->fd >= 0)
		close(r->fd);
	r->fd = -1;
}

void ev_rootfs_show(const struct ev_rootfs *r, const char *rel, char *out, size_t cap)
{
	size_t n = strlen(r->path);

	while (*rel == '/')
		rel++;
	while (n > 1 && r->path[n - 1] == '/')
		n--;
	if (!*rel)
		snprintf(out, cap, "%.*s", (int)n, r->path);
	else
		snprintf(out, cap, "%.*s/%s", (int)(n == 1 && r->path[0] == '/' ? 0 : n), r->path, rel);
}

static int open_error(const struct ev_rootfs *r, const char *rel, int rc, struct ev_err *err)
{
	char shown[EV_PATH_CAP];

	ev_rootfs_show(r, rel, shown, sizeof(shown));
	switch (rc) {
	case -ENOENT:
		return ev_errf(err, rc, "%s: no such file", shown);
	case -ELOOP:
		return ev_errf(err, rc, "%s: a link that does not resolve inside %s", shown, r->path);
	case -EISDIR:
		return ev_errf(err, rc, "%s: a directory, not a file", shown);
	case -EINVAL:
		return ev_errf(err, rc, "%s: not a regular file", shown);
	}
	return ev_errf(err, rc, "%s: cannot open: %s", shown, strerror(-rc));
}

int ev_rootfs_open_file(const struct ev_rootfs *r, const char *rel, struct stat *st, struct ev_err *err)
{
	struct stat a, b;
	int pfd, fd;

	pfd = ropen(r, rel, O_PATH | O_CLOEXEC);
	if (pfd < 0)
		return open_error(r, rel, pfd, err);
	if (fstat(pfd, &a) != 0) {
		int rc = -errno;

		close(pfd);
		return open_error(r, rel, rc, err);
	}
	close(pfd);
	if (!S_ISREG(a.st_mode))
		return open_error(r, rel, S_ISDIR(a.st_mode) ? -EISDIR : -EINVAL, err);
	/* O_NONBLOCK: should a FIFO take the file's place meanwhile, opening
	 * it must not wait for a writer; the check below refuses it. */
	fd = ropen(r, rel, O_RDONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
	if (fd < 0)
		return open_error(r, rel, fd, err);
	if (fstat(fd, &b) != 0 || !S_ISREG(b.st_mode) || b.st_dev != a.st_dev || b.st_ino != a.st_ino) {
		close(fd);
		return open_error(r, rel, -EINVAL, err);
	}
	if (st)
		*st = b;
	return fd;
}

long ev_rootfs_read(const struct ev_rootfs *r, const char *rel, char *buf, size_t cap, struct ev_err *err)
{
	char shown[EV_PATH_CAP];
	struct stat st;
	size_t len = 0;
	int fd, rc = 0;

	if (!cap)
		return ev_errf(err, -EINVAL, "no buffer");
	buf[0] = '\0';
	if ((fd = ev_rootfs_open_file(r, rel, &st, err)) < 0)
		return fd;
	if ((unsigned long long)st.st_size > cap - 1)
		rc = -EFBIG;
	/* One byte past cap-1 is tried: a file that grew since fstat is as
	 * much too large as one that was. */
	while (!rc) {
		char extra;
		ssize_t n = len < cap - 1 ? read(fd, buf + len, cap - 1 - len) : read(fd, &extra, 1);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			rc = -errno;
		else if (n == 0)
			break;
		else if (len == cap - 1)
			rc = -EFBIG;
		else
			len += (size_t)n;
	}
	close(fd);
	if (!rc) {
		buf[len] = '\0';
		return (long)len;
	}
	buf[0] = '\0';
	ev_rootfs_show(r, rel, shown, sizeof(shown));
	if (rc == -EFBIG)
		return ev_errf(err, rc, "%s: larger than %zu bytes, not read", shown, cap - 1);
	return ev_errf(err, rc, "%s: read: %s", shown, strerror(-rc));
}

int ev_rootfs_contains(const struct ev_rootfs *r, const char *rel, const char *const *needles, size_t n,
		       size_t max, bool *found, struct ev_err *err)
{
	enum { CHUNK = 65536 };
	char buf[CHUNK + EV_ROOTFS_NEEDLE_MAX], shown[EV_PATH_CAP];
	size_t keep = 0, total = 0, longest = 0;
	struct stat st;
	int fd, rc = 0;

	*found = false;
	if (!n)
		return ev_errf(err, -EINVAL, "nothing to search for");
	for (size_t i = 0; i < n; i++) {
		size_t l = strlen(needles[i]);

		if (!l || l > EV_ROOTFS_NEEDLE_MAX)
			return ev_errf(err, -EINVAL, "search string of %zu bytes", l);
		longest = l > longest ? l : longest;
	}
	if ((fd = ev_rootfs_open_file(r, rel, &st, err)) < 0)
		return fd;
	if ((unsigned long long)st.st_size > max)
		rc = -EFBIG;
	/* Each chunk follows the last longest-1 bytes of the one before, so
	 * a string across two chunks is still seen. */
	while (!rc && !*found && total <= max) {
		ssize_t got = read(fd, buf + keep, CHUNK);

		if (got < 0 && errno == EINTR)
			continue;
		if (got < 0) {
			rc = -errno;
			break;
		}
		if (got == 0)
			break;
		total += (size_t)got;
		if (total > max) {
			rc = -EFBIG;
			break;
		}
		for (size_t i = 0; i < n && !*found; i++)
			*found = memmem(buf, keep + (size_t)got, needles[i], strlen(needles[i])) != NULL;
		{
			size_t have = keep + (size_t)got, tail = have < longest - 1 ? have : longest - 1;

			memmove(buf, buf + have - tail, tail);
			keep = tail;
		}
	}
	close(fd);
	if (!rc)
		return 0;
	*found = false;
	ev_rootfs_show(r, rel, shown, sizeof(shown));
	if (rc == -EFBIG)
		return ev_errf(err, rc, "%s: larger than %zu bytes, not read", shown, max);
	return ev_errf(err, rc, "%s: read: %s", shown, strerror(-rc));
}

int ev_rootfs_opendir(const struct ev_rootfs *r, const char *rel, DIR **out, struct ev_err *err)
{
	char shown[EV_PATH_CAP];
	int fd, rc;

	*out = NULL;
	/* O_DIRECTORY: anything else is refused before it is opened. */
	fd = ropen(r, rel, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd >= 0 && (*out = fdopendir(fd)))
		return 0;
	rc = fd < 0 ? fd : -errno;
	if (fd >= 0)
		close(fd);
	ev_rootfs_show(r, rel, shown, sizeof(shown));
	if (rc == -ENOENT)
		return ev_errf(err, rc, "%s: no such directory", shown);
	if (rc == -ENOTDIR)
		return ev_errf(err, rc, "%s: not a directory", shown);
	if (rc == -ELOOP)
		return ev_errf(err, rc, "%s: a link that does not resolve inside %s", shown, r->path);
	return ev_errf(err, rc, "%s: cannot open: %s", shown, strerror(-rc));
}
