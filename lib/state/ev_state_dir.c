#include "state/ev_state_dir.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "util/ev_file.h"

/* A directory we keep root's state in: a real directory (lstat, so a
 * symlink is refused), ours, and writable by nobody else, who could
 * otherwise plant links or files in it. */
int ev_state_check_dir(const char *path, struct ev_err *err)
{
	struct stat st;

	if (lstat(path, &st) != 0)
		return ev_errf(err, -errno, "%s: %s", path, strerror(errno));
	if (S_ISLNK(st.st_mode))
		return ev_errf(err, -ELOOP, "%s: is a symbolic link, refused", path);
	if (!S_ISDIR(st.st_mode))
		return ev_errf(err, -ENOTDIR, "%s: not a directory", path);
	if (st.st_uid != geteuid())
		return ev_errf(err, -EPERM, "%s: owned by uid %u, not %u: refused", path, (unsigned)st.st_uid,
			       (unsigned)geteuid());
	if (st.st_mode & 022)
		return ev_errf(err, -EPERM, "%s: writable by group or others (mode %03o): refused", path,
			       (unsigned)(st.st_mode & 0777));
	return 0;
}

/* state_dir/sub into out, both checked; created 0700 when create. */
int ev_state_subdir(const char *state_dir, const char *sub, bool create, char *out, size_t cap,
		  struct ev_err *err)
{
	int rc;

	if (!state_dir || !*state_dir)
		return ev_errf(err, -EINVAL, "no state_dir");
	if (ev_path_join(out, cap, state_dir, sub))
		return ev_errf(err, -ENAMETOOLONG, "%s: path too long", state_dir);
	if (create && ((rc = ev_state_make_dir(state_dir, err)) || (rc = ev_mkdir_p(out, 0700, true, err))))
		return rc;
	if ((rc = ev_state_check_dir(state_dir, err)))
		return rc;
	return ev_state_check_dir(out, err);
}

/* A small state file: regular, ours, nobody else may write it. */
long ev_state_read_private(const char *path, char *buf, size_t cap, struct ev_err *err)
{
	return ev_file_read_private(AT_FDCWD, path, buf, cap, 022, err);
}

int ev_state_job_take(const char *state_dir, const char *sub, uint32_t jobid, char *buf, size_t cap, long *got,
		      struct ev_err *err)
{
	char path[EV_PATH_CAP];
	int rc;

	if ((rc = ev_state_job_path(state_dir, sub, jobid, false, path, sizeof(path), err)))
		return rc;
	*got = ev_state_read_private(path, buf, cap, err);
	if (*got == -ENOENT)
		return -ENOENT;
	if (unlink(path) != 0 && errno != ENOENT)
		return ev_errf(err, -errno, "%s: %s", path, strerror(errno));
	return 0;
}

int ev_state_make_dir(const char *state_dir, struct ev_err *err)
{
	return ev_mkdir_p_passable(state_dir, 0700, true, err);
}

int ev_state_sweep_tmp(const char *state_dir, size_t *removed, struct ev_err *err)
{
	static const char *const subs[] = { "jobs", "spool", "running", "notready", "findings", "pending", "placement" };
	char dir[EV_PATH_CAP];
	int rc;

	if (!state_dir || !*state_dir)
		return ev_errf(err, -EINVAL, "no state_dir");
	if (access(state_dir, F_OK) != 0 && errno == ENOENT)
		return 0;
	if ((rc = ev_state_check_dir(state_dir, err)) || (rc = ev_file_sweep_tmp(state_dir, "", removed, err)))
		return rc;
	for (size_t i = 0; i < sizeof(subs) / sizeof(subs[0]); i++) {
		if (ev_path_join(dir, sizeof(dir), state_dir, subs[i]))
			return ev_errf(err, -ENAMETOOLONG, "%s: path too long", state_dir);
		if (access(dir, F_OK) != 0 && errno == ENOENT)
			continue;
		if ((rc = ev_state_check_dir(dir, err)) || (rc = ev_file_sweep_tmp(dir, "", removed, err)))
			return rc;
	}
	return 0;
}

int ev_state_job_path(const char *state_dir, const char *sub, uint32_t jobid, bool create, char *out, size_t cap,
		      struct ev_err *err)
{
	char dir[EV_PATH_CAP];
	int rc, n;

	if (!jobid)
		return ev_errf(err, -EINVAL, "job id 0");
	if ((rc = ev_state_subdir(state_dir, sub, create, dir, sizeof(dir), err)))
		return rc;
	n = snprintf(out, cap, "%s/%" PRIu32, dir, jobid);
	if (n < 0 || (size_t)n >= cap)
		return ev_errf(err, -ENAMETOOLONG, "%s: path too long", dir);
	return 0;
}

size_t ev_state_line(char *out, size_t cap, const char *s)
{
	size_t n = 0;

	for (; s && s[n] && n + 2 < cap; n++)
		out[n] = (unsigned char)s[n] < 0x20 || s[n] == 0x7f ? '_' : s[n];
	out[n] = '\n';
	out[n + 1] = '\0';
	return n;
}
