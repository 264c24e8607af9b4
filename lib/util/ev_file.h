/* Small, bounded file reads for sysfs and state files.
 *
 * Everything efa-verify reads as root goes through here: reads are bounded,
 * never follow a symlink in the final component unless asked, and report
 * absent files distinctly from unreadable ones. */
#ifndef EV_FILE_H
#define EV_FILE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "util/ev_err.h"

/* Read at most cap-1 bytes of dirfd/path into buf, NUL-terminate, strip
 * trailing whitespace. Returns the length, -ENOENT if absent, or another
 * negative errno. dirfd may be AT_FDCWD. follow=false adds O_NOFOLLOW. */
long ev_file_read_at(int dirfd, const char *path, char *buf, size_t cap,
		     bool follow, struct ev_err *err);

/* Read a small private file whole: regular, owned by the effective user,
 * no mode bit of loose_bits (022: nobody else may write it; 077: nobody else
 * may touch it), at most cap-1 bytes, never through a symlink or a FIFO.
 * NUL-terminated, nothing stripped; returns the length, or -ENOENT, -ELOOP,
 * -EPERM (not private), -EFBIG (too large), another negative errno. */
long ev_file_read_private(int dirfd, const char *path, char *buf, size_t cap, unsigned loose_bits,
			  struct ev_err *err);

/* ev_file_read_private for a file another user owns: regular, owned by
 * owner, no mode bit of loose_bits. What a job's user reads of root's. */
long ev_file_read_owned(int dirfd, const char *path, uid_t owner, char *buf, size_t cap,
			unsigned loose_bits, struct ev_err *err);

/* Read a regular file of at most max bytes whole, following symlinks (an
 * admin's file, read by whoever runs): *out is a fresh NUL-terminated copy
 * to free. The length, or -ENOENT, -EINVAL (not a regular file), -EFBIG
 * ("... byte limit for <what>"), -EAGAIN (it grew while read), another
 * negative errno; *out is NULL then. */
long ev_file_read_alloc(const char *path, size_t max, const char *what, char **out, struct ev_err *err);

/* Write data atomically: tmp file in the same directory (O_EXCL|O_NOFOLLOW,
 * mode), fsync, rename over path. Never follows a symlink at path. */
int ev_file_write_atomic(const char *path, const void *data, size_t len,
			 unsigned mode, struct ev_err *err);
/* The same without the fsync, for state that means nothing after a crash
 * anyway (a start snapshot, a running-job marker: the next boot's counters
 * and boot id make them void): readers still never see a torn file, and
 * each prolog saves a few ms of CPU and disk flushes (bench/run). */
int ev_file_write_atomic_nosync(const char *path, const void *data, size_t len,
				unsigned mode, struct ev_err *err);

/* ev_file_write_atomic relative to an open directory: name is one path
 * component in dirfd; the tmp file and the rename stay in that directory. */
int ev_file_write_atomic_at(int dirfd, const char *name, const void *data, size_t len,
			    unsigned mode, struct ev_err *err);

/* The same without the fsync (see ev_file_write_atomic_nosync). */
int ev_file_write_atomic_at_nosync(int dirfd, const char *name, const void *data, size_t len,
				   unsigned mode, struct ev_err *err);

/* Open a directory root writes files into (O_DIRECTORY, never through a
 * final symlink) and check what was opened: owned by the effective user,
 * not writable by others unless sticky. The fd, or -ELOOP, -EPERM, another
 * negative errno. */
int ev_dir_open_checked(const char *path, struct ev_err *err);

/* Check an open file root is about to write into: a regular file, owned by
 * the effective user, with one link. 0 or -EPERM (path is for the message). */
int ev_file_check_own(int fd, const char *path, struct ev_err *err);

/* mkdir -p with the given mode for newly created components; refuses to
 * continue through a component that is a symlink when no_symlinks. */
int ev_mkdir_p(const char *path, unsigned mode, bool no_symlinks, struct ev_err *err);
/* ev_mkdir_p for a directory below which others have a file to reach (the
 * job's user's copy under state_dir): missing parents are made 0711, the
 * umask notwithstanding, so anyone may pass through and nobody list them. */
int ev_mkdir_p_passable(const char *path, unsigned mode, bool no_symlinks, struct ev_err *err);

/* Seconds after which a temporary of the atomic writes above is abandoned
 * (its writer was killed between create and rename): a live write renames
 * it within moments. */
#define EV_FILE_TMP_STALE_S 60
/* Remove the abandoned temporaries in dir, one readdir: regular files of
 * the effective user named "<prefix...>.tmp.<pid>" whose mtime is older
 * than EV_FILE_TMP_STALE_S. Nothing else, not a fresh temporary, not
 * another name. *removed (may be NULL) is increased by the number gone.
 * 0 also when dir does not exist; else the first negative errno. */
int ev_file_sweep_tmp(const char *dir, const char *prefix, size_t *removed, struct ev_err *err);

/* True if s is a safe single path component read from sysfs: 1..max-1
 * characters of [A-Za-z0-9_.-], not starting with '.'. */
bool ev_valid_name(const char *s, size_t max);

/* Join a and b with one '/', into out (cap). -ENAMETOOLONG if it won't fit. */
int ev_path_join(char *out, size_t cap, const char *a, const char *b);

#endif
