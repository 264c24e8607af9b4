/* Bounded file I/O for sysfs, config and state files, all read as root. */
#include "util/ev_file.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

/* Open dirfd/path for reading without hanging on a FIFO (O_NONBLOCK) and,
 * unless follow, without following a final symlink; fd or -errno. */
static int open_ro(int dirfd, const char *path, bool follow, struct ev_err *err)
{
	int fd = openat(dirfd, path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK | (follow ? 0 : O_NOFOLLOW));
	int rc = -errno;

	if (fd >= 0)
		return fd;
	if (rc == -ENOENT)
		return ev_errf(err, rc, "%s: no such file", path);
	if (rc == -ELOOP)
		return ev_errf(err, rc, "%s: is a symbolic link, refused", path);
	return ev_errf(err, rc, "%s: cannot open: %s", path, strerror(-rc));
}

/* Read fd to EOF into buf (at most cap-1 bytes, NUL-terminated) and close
 * it. whole: more than cap-1 bytes is -EFBIG (a cut file must not pass for
 * a whole one; it may have grown since any fstat); else the rest is left. */
static long read_close(int fd, char *buf, size_t cap, bool whole, const char *path, struct ev_err *err)
{
	size_t len = 0;
	int rc;

	for (;;) {
		char extra;
		ssize_t r;

		if (len == cap - 1 && !whole)
			break;
		r = len < cap - 1 ? read(fd, buf + len, cap - 1 - len) : read(fd, &extra, 1);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			rc = -errno;
			close(fd);
			buf[0] = '\0';
			return ev_errf(err, rc, "%s: read: %s", path, strerror(-rc));
		}
		if (r == 0)
			break;
		if (len == cap - 1) {
			close(fd);
			buf[0] = '\0';
			return ev_errf(err, -EFBIG, "%s: larger than %zu bytes, ignored", path, cap - 1);
		}
		len += (size_t)r;
	}
	close(fd);
	buf[len] = '\0';
	return (long)len;
}

/* open_ro for a read into buf: buf is "" until something is read. */
static int open_for(int dirfd, const char *path, char *buf, size_t cap, bool follow, struct ev_err *err)
{
	if (!cap)
		return ev_errf(err, -EINVAL, "%s: no buffer", path);
	buf[0] = '\0';
	return open_ro(dirfd, path, follow, err);
}

long ev_file_read_at(int dirfd, const char *path, char *buf, size_t cap, bool follow,
		     struct ev_err *err)
{
	long len;
	int fd;

	if ((fd = open_for(dirfd, path, buf, cap, follow, err)) < 0)
		return fd;
	len = read_close(fd, buf, cap, false, path, err);
	while (len > 0 && (buf[len - 1] == '\n' || buf[len - 1] == ' ' || buf[len - 1] == '\t' ||
			   buf[len - 1] == '\r'))
		buf[--len] = '\0';
	return len;
}

long ev_file_read_private(int dirfd, const char *path, char *buf, size_t cap, unsigned loose_bits,
			  struct ev_err *err)
{
	return ev_file_read_owned(dirfd, path, geteuid(), buf, cap, loose_bits, err);
}

long ev_file_read_owned(int dirfd, const char *path, uid_t owner, char *buf, size_t cap,
			unsigned loose_bits, struct ev_err *err)
{
	struct stat st;
	int fd;

	if ((fd = open_for(dirfd, path, buf, cap, false, err)) < 0)
		return fd;
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) || st.st_uid != owner ||
	    (st.st_mode & loose_bits)) {
		close(fd);
		return ev_errf(err, -EPERM, "%s: not a private file of uid %u, ignored", path, (unsigned)owner);
	}
	return read_close(fd, buf, cap, true, path, err);
}

long ev_file_read_alloc(const char *path, size_t max, const char *what, char **out, struct ev_err *err)
{
	struct stat st;
	char *buf;
	long len;
	int fd, rc;

	*out = NULL;
	if ((fd = open_ro(AT_FDCWD, path, true, err)) < 0)
		return fd;
	if (fstat(fd, &st) != 0) {
		rc = -errno;
		close(fd);
		return ev_errf(err, rc, "%s: cannot stat: %s", path, strerror(-rc));
	}
	if (!S_ISREG(st.st_mode)) {
		close(fd);
		return ev_errf(err, -EINVAL, "%s: not a regular file", path);
	}
	if ((unsigned long long)st.st_size > max) {
		close(fd);
		return ev_errf(err, -EFBIG, "%s: %lld bytes is larger than the %zu byte limit for %s", path,
			       (long long)st.st_size, max, what);
	}
	if (!(buf = malloc((size_t)st.st_size + 2))) {
		close(fd);
		return ev_errf(err, -ENOMEM, "%s: out of memory", path);
	}
	/* One byte past the size seen, to notice a file that grew meanwhile. */
	len = read_close(fd, buf, (size_t)st.st_size + 2, false, path, err);
	if (len > st.st_size)
		len = ev_errf(err, -EAGAIN, "%s: changed while being read; try again", path);
	if (len < 0)
		free(buf);
	else
		*out = buf;
	return len;
}

/* path is relative to dirfd (or AT_FDCWD): the tmp file and the rename
 * stay in the directory dirfd was opened on, whatever its name leads to
 * meanwhile. */
static int write_atomic(int dirfd, const char *path, const void *data, size_t len, unsigned mode,
			bool sync, struct ev_err *err)
{
	char tmp[4096];
	const char *p = data;
	size_t off = 0;
	int fd, rc;

	if (snprintf(tmp, sizeof(tmp), "%s.tmp.%ld", path, (long)getpid()) >= (int)sizeof(tmp))
		return ev_errf(err, -ENAMETOOLONG, "%s: path too long", path);
	unlinkat(dirfd, tmp, 0);
	fd = openat(dirfd, tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, mode);
	if (fd < 0) {
		rc = -errno;
		return ev_errf(err, rc, "%s: cannot create: %s", tmp, strerror(-rc));
	}
	while (off < len) {
		ssize_t w = write(fd, p + off, len - off);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0) {
			rc = w < 0 ? -errno : -EIO;
			goto fail;
		}
		off += (size_t)w;
	}
	/* The data must be on disk before the name points at it. */
	if (sync && fsync(fd) != 0) {
		rc = -errno;
		goto fail;
	}
	if (close(fd) != 0) {
		fd = -1;
		rc = -errno;
		goto fail;
	}
	fd = -1;
	/* rename replaces a symlink at path itself, never writes through it. */
	if (renameat(dirfd, tmp, dirfd, path) != 0) {
		rc = -errno;
		goto fail;
	}
	return 0;
fail:
	if (fd >= 0)
		close(fd);
	unlinkat(dirfd, tmp, 0);
	return ev_errf(err, rc, "%s: cannot write: %s", path, strerror(-rc));
}

int ev_file_write_atomic(const char *path, const void *data, size_t len, unsigned mode,
			 struct ev_err *err)
{
	return write_atomic(AT_FDCWD, path, data, len, mode, true, err);
}

int ev_file_write_atomic_nosync(const char *path, const void *data, size_t len, unsigned mode,
				struct ev_err *err)
{
	return write_atomic(AT_FDCWD, path, data, len, mode, false, err);
}

int ev_file_write_atomic_at(int dirfd, const char *name, const void *data, size_t len, unsigned mode,
			    struct ev_err *err)
{
	return write_atomic(dirfd, name, data, len, mode, true, err);
}

int ev_file_write_atomic_at_nosync(int dirfd, const char *name, const void *data, size_t len,
				   unsigned mode, struct ev_err *err)
{
	return write_atomic(dirfd, name, data, len, mode, false, err);
}

int ev_dir_open_checked(const char *path, struct ev_err *err)
{
	struct stat st;
	int fd, rc;

	fd = open(path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0) {
		rc = -errno;
		/* O_NOFOLLOW|O_DIRECTORY on a symlink: ELOOP, or ENOTDIR on
		 * some kernels; say which it was. */
		if ((rc == -ELOOP || rc == -ENOTDIR) && lstat(path, &st) == 0 && S_ISLNK(st.st_mode))
			return ev_errf(err, -ELOOP, "%s: is a symbolic link, refused", path);
		return ev_errf(err, rc, "%s: %s", path, strerror(-rc));
	}
	/* Checked on what was opened, not on the name: a rename meanwhile
	 * changes nothing, everything after goes through fd. */
	if (fstat(fd, &st) != 0) {
		rc = -errno;
		close(fd);
		return ev_errf(err, rc, "%s: %s", path, strerror(-rc));
	}
	if (st.st_uid != geteuid()) {
		close(fd);
		return ev_errf(err, -EPERM, "%s: owned by uid %u, not %u: refused", path, (unsigned)st.st_uid,
			       (unsigned)geteuid());
	}
	/* Anyone could rename our files away and plant theirs in it. Group
	 * write is the admin's choice (Ubuntu's /var/log is root:syslog
	 * 0775); a sticky directory (/tmp) keeps others off our names. */
	if ((st.st_mode & S_IWOTH) && !(st.st_mode & S_ISVTX)) {
		close(fd);
		return ev_errf(err, -EPERM, "%s: writable by anyone (mode %03o): refused", path,
			       (unsigned)(st.st_mode & 0777));
	}
	return fd;
}

int ev_file_check_own(int fd, const char *path, struct ev_err *err)
{
	struct stat st;

	if (fstat(fd, &st) != 0)
		return ev_errf(err, -errno, "%s: %s", path, strerror(errno));
	if (!S_ISREG(st.st_mode))
		return ev_errf(err, -EPERM, "%s: not a regular file, refused", path);
	if (st.st_uid != geteuid())
		return ev_errf(err, -EPERM, "%s: owned by uid %u, not %u: refused", path, (unsigned)st.st_uid,
			       (unsigned)geteuid());
	/* A second name means another file's contents (a hard link planted
	 * to /etc/shadow, say) would get our writes. */
	if (st.st_nlink != 1)
		return ev_errf(err, -EPERM, "%s: has %lu links, not 1: refused", path, (unsigned long)st.st_nlink);
	return 0;
}

/* A directory mkdir just made, set to mode whatever the umask (root's may
 * be 077): through an fd, never a symlink put in its place meanwhile. */
static int set_made_mode(const char *path, unsigned mode, struct ev_err *err)
{
	int fd = open(path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC), rc = 0;

	if (fd < 0 || fchmod(fd, mode) != 0)
		rc = ev_errf(err, -errno, "%s: cannot set mode %03o: %s", path, mode, strerror(errno));
	if (fd >= 0)
		close(fd);
	return rc;
}

/* Missing components of path made: parents parent_mode (set exactly when
 * exact_parents), path itself mode. */
static int mkdir_p(const char *path, unsigned parent_mode, bool exact_parents, unsigned mode, bool no_symlinks,
		   struct ev_err *err)
{
	char buf[4096];
	size_t len = strlen(path);

	if (len == 0 || len >= sizeof(buf))
		return ev_errf(err, -ENAMETOOLONG, "%s: bad directory name", path);
	memcpy(buf, path, len + 1);
	for (char *s = buf + 1;; s++) {
		struct stat st;
		char saved = *s;

		if (*s != '/' && *s != '\0')
			continue;
		*s = '\0';
		if (lstat(buf, &st) == 0) {
			if (S_ISLNK(st.st_mode) && no_symlinks)
				return ev_errf(err, -ELOOP, "%s: is a symbolic link, refused", buf);
			if (!S_ISLNK(st.st_mode) && !S_ISDIR(st.st_mode))
				return ev_errf(err, -ENOTDIR, "%s: not a directory", buf);
		} else if (errno == ENOENT) {
			unsigned m = saved ? parent_mode : mode;
			int rc;

			if (mkdir(buf, m) != 0) {
				if (errno != EEXIST)
					return ev_errf(err, -errno, "%s: cannot create: %s", buf, strerror(errno));
			} else if (saved && exact_parents && (rc = set_made_mode(buf, m, err))) {
				return rc;
			}
		} else {
			return ev_errf(err, -errno, "%s: %s", buf, strerror(errno));
		}
		*s = saved;
		if (!saved)
			break;
	}
	return 0;
}

int ev_mkdir_p(const char *path, unsigned mode, bool no_symlinks, struct ev_err *err)
{
	return mkdir_p(path, mode, false, mode, no_symlinks, err);
}

int ev_mkdir_p_passable(const char *path, unsigned mode, bool no_symlinks, struct ev_err *err)
{
	return mkdir_p(path, 0711, true, mode, no_symlinks, err);
}

/* "<base>.tmp.<digits>" as write_atomic names its temporaries, with base
 * beginning with prefix. */
static bool our_tmp_name(const char *name, const char *prefix)
{
	const char *t = strstr(name, ".tmp."), *d;

	if (!t || t == name || strncmp(name, prefix, strlen(prefix)) != 0 || (size_t)(t - name) < strlen(prefix))
		return false;
	/* The last ".tmp." is the one write_atomic added. */
	for (const char *n; (n = strstr(t + 1, ".tmp.")); t = n)
		;
	d = t + 5;
	if (!*d)
		return false;
	for (; *d; d++)
		if (*d < '0' || *d > '9')
			return false;
	return true;
}

int ev_file_sweep_tmp(const char *dir, const char *prefix, size_t *removed, struct ev_err *err)
{
	struct timespec now;
	struct dirent *de;
	int dfd, rc = 0;
	DIR *d;

	if ((dfd = open(dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)) < 0)
		return errno == ENOENT ? 0 : ev_errf(err, -errno, "%s: %s", dir, strerror(errno));
	if (!(d = fdopendir(dfd))) {
		rc = -errno;
		close(dfd);
		return ev_errf(err, rc, "%s: %s", dir, strerror(-rc));
	}
	clock_gettime(CLOCK_REALTIME, &now);
	while ((de = readdir(d))) {
		struct stat st;

		if (!our_tmp_name(de->d_name, prefix ? prefix : ""))
			continue;
		/* Ours (root's, a plain file) and abandoned: a write that is
		 * alive renames its temporary within moments. */
		if (fstatat(dfd, de->d_name, &st, AT_SYMLINK_NOFOLLOW) != 0 || !S_ISREG(st.st_mode) ||
		    st.st_uid != geteuid() || st.st_mtim.tv_sec > now.tv_sec - EV_FILE_TMP_STALE_S)
			continue;
		if (unlinkat(dfd, de->d_name, 0) == 0) {
			if (removed)
				(*removed)++;
		} else if (errno != ENOENT && !rc) {
			rc = ev_errf(err, -errno, "%s/%s: %s", dir, de->d_name, strerror(errno));
		}
	}
	closedir(d);
	return rc;
}

int ev_path_join(char *out, size_t cap, const char *a, const char *b)
{
	size_t la = strlen(a);
	int n;

	while (la > 1 && a[la - 1] == '/')
		la--;
	while (*b == '/')
		b++;
	n = snprintf(out, cap, "%.*s/%s", (int)la, a, b);
	if (n < 0 || (size_t)n >= cap)
		return -ENAMETOOLONG;
	return 0;
}

bool ev_valid_name(const char *s, size_t max)
{
	size_t n = 0;

	if (!*s || *s == '.')
		return false;
	for (; s[n]; n++) {
		char c = s[n];

		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		      c == '_' || c == '-' || c == '.'))
			return false;
	}
	return n < max;
}
