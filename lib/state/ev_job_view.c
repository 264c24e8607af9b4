#include "state/ev_job_view.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "util/ev_file.h"
#include "state/ev_state_dir.h"

/* dirfd/name as a directory (never through a symlink), fstat'ed into st.
 * pass: only to go through (O_PATH), which a user can where root lets them
 * search but not list. */
static int open_dir_at(int dirfd, const char *name, bool pass, const char *shown, struct stat *st,
		       struct ev_err *err)
{
	int fd = openat(dirfd, name, (pass ? O_PATH : O_RDONLY) | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);

	if (fd < 0) {
		int rc = -errno;

		if (rc == -ENOTDIR || rc == -ELOOP)
			return ev_errf(err, -EPERM, "%s: not a directory, refused", shown);
		return ev_errf(err, rc, "%s: %s", shown, strerror(-rc));
	}
	if (fstat(fd, st) != 0) {
		int rc = -errno;

		close(fd);
		return ev_errf(err, rc, "%s: %s", shown, strerror(-rc));
	}
	return fd;
}

/* state_dir, view/ and view/<uid>/ as far as they were opened. */
static void close_dirs(int sfd, int vfd, int ufd)
{
	if (ufd >= 0)
		close(ufd);
	if (vfd >= 0)
		close(vfd);
	if (sfd >= 0)
		close(sfd);
}

/* A directory of root's that users pass through: ours, written by nobody
 * else, and searchable by all (011 added where missing). */
static int passage(int dirfd, const char *name, const char *shown, struct ev_err *err)
{
	struct stat st;
	int fd = open_dir_at(dirfd, name, false, shown, &st, err);

	if (fd < 0)
		return fd;
	if (st.st_uid != geteuid() || (st.st_mode & 022)) {
		close(fd);
		return ev_errf(err, -EPERM, "%s: not a private directory of uid %u (owner %u, mode %03o): refused",
			       shown, (unsigned)geteuid(), (unsigned)st.st_uid, (unsigned)(st.st_mode & 0777));
	}
	if ((st.st_mode & 011) != 011 && fchmod(fd, (st.st_mode & 07777) | 011) != 0) {
		int rc = -errno;

		close(fd);
		return ev_errf(err, rc, "%s: chmod: %s", shown, strerror(-rc));
	}
	return fd;
}

int ev_job_view_save(const char *state_dir, const struct ev_job_start *js, uint32_t uid,
		     struct ev_err *err)
{
	char shown[EV_PATH_CAP], name[24];
	struct ev_job_start copy = *js;
	struct stat st;
	int sfd = -1, vfd = -1, ufd = -1, rc;
	size_t len = 0;
	char *text;

	if (!js->jobid)
		return ev_errf(err, -EINVAL, "job id 0");
	if (!state_dir || !*state_dir)
		return ev_errf(err, -EINVAL, "no state_dir");
	if ((rc = ev_mkdir_p(state_dir, 0711, true, err)))
		return rc;
	if ((sfd = passage(AT_FDCWD, state_dir, state_dir, err)) < 0)
		return sfd;
	snprintf(shown, sizeof(shown), "%s/view", state_dir);
	if (mkdirat(sfd, "view", 0711) != 0 && errno != EEXIST) {
		rc = ev_errf(err, -errno, "%s: cannot create: %s", shown, strerror(errno));
		goto out;
	}
	if ((vfd = passage(sfd, "view", shown, err)) < 0) {
		rc = vfd;
		goto out;
	}
	snprintf(name, sizeof(name), "%" PRIu32, uid);
	snprintf(shown, sizeof(shown), "%s/view/%s", state_dir, name);
	if (mkdirat(vfd, name, 0700) != 0 && errno != EEXIST) {
		rc = ev_errf(err, -errno, "%s: cannot create: %s", shown, strerror(errno));
		goto out;
	}
	if ((ufd = open_dir_at(vfd, name, false, shown, &st, err)) < 0) {
		rc = ufd;
		goto out;
	}
	/* Ours when just made (or left half made): handed to the user, who
	 * may read, never write, there; root writes regardless. */
	if (st.st_uid != uid && st.st_uid == geteuid() &&
	    (fchown(ufd, (uid_t)uid, (gid_t)-1) != 0 || fchmod(ufd, 0500) != 0)) {
		rc = ev_errf(err, -errno, "%s: cannot hand it to uid %" PRIu32 ": %s", shown, uid, strerror(errno));
		goto out;
	}
	if (st.st_uid != uid && st.st_uid != geteuid()) {
		rc = ev_errf(err, -EPERM, "%s: owned by uid %u, not %" PRIu32 ": refused", shown,
			     (unsigned)st.st_uid, uid);
		goto out;
	}
	/* Not the other jobs of the node: they are not this user's to see. */
	memset(&copy.run, 0, sizeof(copy.run));
	if (!(text = ev_job_start_serialize(&copy, &len))) {
		rc = ev_errf(err, -ENOMEM, "out of memory");
		goto out;
	}
	snprintf(name, sizeof(name), "%" PRIu32 ".start", js->jobid);
	rc = ev_file_write_atomic_at_nosync(ufd, name, text, len, 0444, err);
	free(text);
out:
	close_dirs(sfd, vfd, ufd);
	return rc;
}

int ev_job_view_load(const char *state_dir, uint32_t jobid, struct ev_job_start *out,
		     struct ev_err *err)
{
	char shown[EV_PATH_CAP], name[24];
	uid_t me = geteuid(), owner;
	struct stat st;
	int sfd, vfd = -1, ufd = -1, rc;
	char *buf = NULL;
	long n;

	memset(out, 0, sizeof(*out));
	if (!state_dir || !*state_dir)
		return ev_errf(err, -EINVAL, "no state_dir");
	if ((sfd = open_dir_at(AT_FDCWD, state_dir, true, state_dir, &st, err)) < 0)
		return sfd == -ENOENT ? ev_errf(err, -ENOENT, "no start snapshot for job %" PRIu32, jobid) : sfd;
	/* Whoever keeps state_dir (root) must own the copy: one its user
	 * could have written would be no measurement. */
	owner = st.st_uid;
	rc = -EPERM;
	if (st.st_mode & 022) {
		rc = ev_errf(err, -EPERM, "%s: writable by group or others: refused", state_dir);
		goto out;
	}
	snprintf(shown, sizeof(shown), "%s/view", state_dir);
	if ((vfd = open_dir_at(sfd, "view", true, shown, &st, err)) < 0) {
		rc = vfd;
		goto out;
	}
	if (st.st_uid != owner || (st.st_mode & 022)) {
		rc = ev_errf(err, -EPERM, "%s: not state_dir's owner's alone: refused", shown);
		goto out;
	}
	snprintf(name, sizeof(name), "%u", (unsigned)me);
	snprintf(shown, sizeof(shown), "%s/view/%s", state_dir, name);
	if ((ufd = open_dir_at(vfd, name, true, shown, &st, err)) < 0) {
		rc = ufd;
		goto out;
	}
	if (st.st_uid != me) {
		rc = ev_errf(err, -EPERM, "%s: not uid %u's: refused", shown, (unsigned)me);
		goto out;
	}
	snprintf(name, sizeof(name), "%" PRIu32 ".start", jobid);
	snprintf(shown, sizeof(shown), "%s/view/%u/%s", state_dir, (unsigned)me, name);
	if (!(buf = malloc(EV_JOB_START_MAX + 1))) {
		rc = ev_errf(err, -ENOMEM, "out of memory");
		goto out;
	}
	n = ev_file_read_owned(ufd, name, owner, buf, EV_JOB_START_MAX + 1, 022, err);
	if (n < 0) {
		rc = (int)n;
		if (rc == -EPERM)
			ev_errf(err, rc, "%s: not written by state_dir's owner (uid %u): refused", shown,
				(unsigned)owner);
		goto out;
	}
	if ((rc = ev_job_start_deserialize(buf, (size_t)n, out, err))) {
		ev_err_prefix(err, rc, "%s", shown);
		goto out;
	}
	if (out->jobid != jobid) {
		rc = ev_errf(err, -EBADMSG, "%s: belongs to job %" PRIu32 ", not %" PRIu32, shown, out->jobid, jobid);
		ev_job_start_free(out);
	}
out:
	if (rc == -ENOENT)
		ev_errf(err, rc, "no start snapshot for job %" PRIu32 " of uid %u", jobid, (unsigned)me);
	free(buf);
	close_dirs(sfd, vfd, ufd);
	return rc;
}

int ev_job_view_remove(const char *state_dir, uint32_t jobid, uint32_t uid)
{
	char path[EV_PATH_CAP], name[24];
	int fd, rc = 0;

	if (!state_dir || !*state_dir)
		return -EINVAL;
	if (snprintf(path, sizeof(path), "%s/view/%" PRIu32, state_dir, uid) >= (int)sizeof(path))
		return -ENAMETOOLONG;
	fd = open(path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return errno == ENOENT ? 0 : -errno;
	snprintf(name, sizeof(name), "%" PRIu32 ".start", jobid);
	if (unlinkat(fd, name, 0) != 0 && errno != ENOENT)
		rc = -errno;
	close(fd);
	return rc;
}
