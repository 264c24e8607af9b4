/* Reading a directory tree as if it were "/": an unpacked container image,
 * an OCI bundle's rootfs, or "/" itself inside a container task.
 *
 * Every path, and every symbolic link met on the way, resolves inside the
 * root (openat2's RESOLVE_IN_ROOT): an absolute link resolves against the
 * root as it would in the container, ".." stops at the root, and a
 * /proc magic link is refused. So a link in an image never takes the
 * reader, who may be root, to a file outside it. Where a file is expected,
 * only a regular file is read (a FIFO or a device in an image is never
 * opened for reading), and reads are bounded.
 *
 * A kernel without openat2 (before 5.6): the root "/" is read with plain
 * opens (inside a container, "/" already is the container's, and nothing
 * resolves above it); any other root is refused, since nothing else
 * confines its links. */
#ifndef EV_ROOTFS_H
#define EV_ROOTFS_H

#include <dirent.h>
#include <stdbool.h>
#include <stddef.h>
#include <sys/stat.h>

#include "util/ev_err.h"
#include "util/ev_limits.h"

struct ev_rootfs {
	int fd;                  /* the root directory, O_PATH */
	bool confined;           /* openat2; false: "/" read with plain opens */
	char path[EV_PATH_MAX];  /* the root as given, for messages */
};

/* Open root (a directory; symlinks in the root's own path are the
 * caller's and followed). 0; -ENOENT (no such directory), -ENOTDIR (not
 * a directory), -ENOSYS (no openat2 and root is not "/"), another
 * negative errno. */
int ev_rootfs_open(struct ev_rootfs *r, const char *root, struct ev_err *err);
void ev_rootfs_close(struct ev_rootfs *r);

/* How rel under r is shown to a user: root and rel joined ("/img" +
 * "usr/lib" = "/img/usr/lib"; "/" + "usr/lib" = "/usr/lib"). Cut to cap. */
void ev_rootfs_show(const struct ev_rootfs *r, const char *rel, char *out, size_t cap);

/* Open rel (leading '/' or not, the same) for reading: a regular file, or
 * -ENOENT, -EINVAL (not a regular file: a FIFO, a device, a socket),
 * -EISDIR, -ELOOP (a magic link, or too many links), another negative
 * errno. *st (may be NULL) is the file's. The file is first reached
 * without being opened (O_PATH) and its type checked, so a device node is
 * never opened: opening one can act (a watchdog starts its countdown). */
int ev_rootfs_open_file(const struct ev_rootfs *r, const char *rel, struct stat *st, struct ev_err *err);

/* Read rel whole into buf: at most cap-1 bytes, NUL-terminated, nothing
 * stripped. The length; -EFBIG when the file holds more than cap-1 bytes
 * (a cut file never passes for a whole one); ev_rootfs_open_file's
 * errors. */
long ev_rootfs_read(const struct ev_rootfs *r, const char *rel, char *buf, size_t cap, struct ev_err *err);

/* Whether rel, a regular file of at most max bytes, holds any of the n
 * strings in needles (each at most EV_ROOTFS_NEEDLE_MAX bytes). 0 with
 * *found set; -EFBIG above max; ev_rootfs_open_file's errors. Read in
 * bounded chunks, never mapped: a file cut short while mapped would kill
 * the reader with SIGBUS. */
#define EV_ROOTFS_NEEDLE_MAX 64
int ev_rootfs_contains(const struct ev_rootfs *r, const char *rel, const char *const *needles, size_t n,
		       size_t max, bool *found, struct ev_err *err);

/* List directory rel: opened inside the root (never through a link out of
 * it) and handed to fdopendir; closedir it. 0, -ENOENT, -ENOTDIR, another
 * negative errno. Names in it are single components: fstatat(dirfd(d),
 * name, ..., AT_SYMLINK_NOFOLLOW) on them stays inside. */
int ev_rootfs_opendir(const struct ev_rootfs *r, const char *rel, DIR **out, struct ev_err *err);

#endif
