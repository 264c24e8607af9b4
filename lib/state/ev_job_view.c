#include "state/ev_job_view.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <dirent.h>
#include <endian.h>
#include <sys/stat.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "util/ev_file.h"
#include "state/ev_jobid.h"
#include "state/ev_running.h"
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

/* The raw POSIX ACL xattr (the kernel's posix_acl_xattr layout, little
 * endian), as libacl would build it: owner r, the named user r, mask r,
 * group and others nothing. */
#define ACL_XATTR "system.posix_acl_access"
struct acl_entry {
	uint16_t tag, perm;
	uint32_t id;
};
struct acl_raw {
	uint32_t version;
	struct acl_entry e[5];
};

/* Let uid (and no one else but the owner) read fd's file. Why an ACL and
 * not the user owning something: whatever the user owns they can chmod,
 * fill and rename in; a file and directory of root's they can only read.
 * Why not a reader of root's opening it for them: that would be a setuid
 * program, more code running with root's powers on the user's say. The
 * raw xattr needs no libacl; ext4, XFS, tmpfs and Lustre take it. */
static int grant_read(int fd, uint32_t uid, const char *shown, struct ev_err *err)
{
	const uint32_t none = 0xffffffffu;
	struct acl_raw a = {
		htole32(2),
		{ { htole16(0x01), htole16(4), htole32(none) },   /* owner: r */
		  { htole16(0x02), htole16(4), htole32(uid) },    /* the job's user: r */
		  { htole16(0x04), htole16(0), htole32(none) },   /* group: nothing */
		  { htole16(0x10), htole16(4), htole32(none) },   /* mask: r */
		  { htole16(0x20), htole16(0), htole32(none) } }, /* others: nothing */
	};

	if (fsetxattr(fd, ACL_XATTR, &a, sizeof(a), 0) == 0)
		return 0;
	if (errno == EOPNOTSUPP)
		return ev_errf(err, -EOPNOTSUPP, "%s: the file system has no POSIX ACLs (mount option acl): "
			       "no copy the job's user alone can read", shown);
	return ev_errf(err, -errno, "%s: cannot let uid %" PRIu32 " read it: %s", shown, uid, strerror(errno));
}

/* Every directory above state_dir must let uid pass, or the copy is out
 * of its reach: one no group or others may search (made 0700 by an older
 * version, or by a umask) and not uid's own is said, not changed (it is
 * the admin's). */
static int reachable_above(const char *state_dir, uint32_t uid, struct ev_err *err)
{
	char buf[EV_PATH_CAP];
	struct stat st;
	char *slash;

	if (snprintf(buf, sizeof(buf), "%s", state_dir) >= (int)sizeof(buf))
		return ev_errf(err, -ENAMETOOLONG, "%s: path too long", state_dir);
	while ((slash = strrchr(buf, '/'))) {
		if (slash == buf)
			slash[1] = '\0';
		else
			*slash = '\0';
		if (stat(buf, &st) == 0 && S_ISDIR(st.st_mode) && st.st_uid != uid && !(st.st_mode & 011))
			return ev_errf(err, -EACCES, "%s: mode %03o: the job's user cannot pass through it to "
				       "their copy (chmod o+x)", buf, (unsigned)(st.st_mode & 0777));
		if (slash == buf)
			break;
	}
	return 0;
}

int ev_job_view_save(const char *state_dir, const struct ev_job_start *js, uint32_t uid,
		     struct ev_err *err)
{
	char shown[EV_PATH_CAP], name[24];
	struct ev_job_start copy = *js;
	struct stat st;
	int sfd = -1, vfd = -1, ufd = -1, fd = -1, rc;
	size_t len = 0;
	char *text;

	if (!js->jobid)
		return ev_errf(err, -EINVAL, "job id 0");
	if (!state_dir || !*state_dir)
		return ev_errf(err, -EINVAL, "no state_dir");
	if ((rc = ev_mkdir_p_passable(state_dir, 0711, true, err)) || (rc = reachable_above(state_dir, uid, err)))
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
	if (mkdirat(vfd, name, 0711) != 0 && errno != EEXIST) {
		rc = ev_errf(err, -errno, "%s: cannot create: %s", shown, strerror(errno));
		goto out;
	}
	if ((ufd = open_dir_at(vfd, name, false, shown, &st, err)) < 0) {
		rc = ufd;
		goto out;
	}
	if (st.st_uid != uid && st.st_uid != geteuid()) {
		rc = ev_errf(err, -EPERM, "%s: owned by uid %u, not %" PRIu32 ": refused", shown,
			     (unsigned)st.st_uid, uid);
		goto out;
	}
	/* Root's, 0711, whatever it was: an older version handed it to the
	 * user, who could then store anything in it and rename our copies
	 * away; taken back, they can do neither. */
	if ((st.st_uid != geteuid() && fchown(ufd, geteuid(), (gid_t)-1) != 0) ||
	    ((st.st_mode & 07777) != 0711 && fchmod(ufd, 0711) != 0)) {
		rc = ev_errf(err, -errno, "%s: cannot make it root's: %s", shown, strerror(errno));
		goto out;
	}
	/* Not the other jobs of the node: they are not this user's to see. */
	memset(&copy.run, 0, sizeof(copy.run));
	if (!(text = ev_job_start_serialize(&copy, &len))) {
		rc = ev_errf(err, -ENOMEM, "out of memory");
		goto out;
	}
	snprintf(name, sizeof(name), "%" PRIu32 ".start", js->jobid);
	rc = ev_file_write_atomic_at_nosync(ufd, name, text, len, 0400, err);
	free(text);
	if (rc || uid == geteuid())
		goto out;
	snprintf(shown, sizeof(shown), "%s/view/%" PRIu32 "/%s", state_dir, uid, name);
	if ((fd = openat(ufd, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC)) < 0)
		rc = ev_errf(err, -errno, "%s: %s", shown, strerror(errno));
	else
		rc = grant_read(fd, uid, shown, err);
	if (fd >= 0)
		close(fd);
	/* A copy nobody can read is no use to anyone. */
	if (rc)
		unlinkat(ufd, name, 0);
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
	if (st.st_uid != owner || (st.st_mode & 022)) {
		rc = ev_errf(err, -EPERM, "%s: not state_dir's owner's alone: refused", shown);
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

/* One user's directory: our abandoned temporaries, and the copies of jobs
 * no longer running here (their epilog never came: killed, or the node
 * went down), which a later user given the same uid must not read. */
static int sweep_user(const char *state_dir, int vfd, const char *uname, size_t *removed, struct ev_err *err)
{
	char shown[EV_PATH_CAP], id[16];
	struct dirent *de;
	struct stat st;
	int ufd, rc;
	DIR *d;

	snprintf(shown, sizeof(shown), "%s/view/%s", state_dir, uname);
	if ((ufd = open_dir_at(vfd, uname, false, shown, &st, err)) < 0)
		return ufd;
	/* An older version's directory of the user's waits for that user's
	 * next prolog to be taken back (ev_job_view_save). */
	if (st.st_uid != geteuid() || (st.st_mode & 022)) {
		close(ufd);
		return 0;
	}
	if ((rc = ev_file_sweep_tmp(shown, "", removed, err)) || !(d = fdopendir(ufd))) {
		rc = rc ? rc : ev_errf(err, -errno, "%s: %s", shown, strerror(errno));
		close(ufd);
		return rc;
	}
	while ((de = readdir(d))) {
		const char *dot = strchr(de->d_name, '.');
		uint32_t jobid;
		bool running;

		if (!dot || strcmp(dot, ".start") != 0 || (size_t)(dot - de->d_name) >= sizeof(id))
			continue;
		snprintf(id, sizeof(id), "%.*s", (int)(dot - de->d_name), de->d_name);
		/* An unreadable registry is "running": nothing is removed on a guess. */
		if (ev_jobid_parse(id, &jobid, NULL) != 0 || ev_running_check(state_dir, jobid, &running, NULL) != 0 ||
		    running)
			continue;
		if (unlinkat(ufd, de->d_name, 0) == 0)
			(*removed)++;
		else if (errno != ENOENT && !rc)
			rc = ev_errf(err, -errno, "%s/%s: %s", shown, de->d_name, strerror(errno));
	}
	closedir(d);
	return rc;
}

int ev_job_view_sweep(const char *state_dir, size_t *removed, struct ev_err *err)
{
	char shown[EV_PATH_CAP];
	struct dirent *de;
	struct stat st;
	int vfd, rc = 0;
	DIR *d;

	if (!state_dir || !*state_dir)
		return ev_errf(err, -EINVAL, "no state_dir");
	snprintf(shown, sizeof(shown), "%s/view", state_dir);
	if ((vfd = open_dir_at(AT_FDCWD, shown, false, shown, &st, err)) < 0)
		return vfd == -ENOENT ? 0 : vfd;
	if (st.st_uid != geteuid() || (st.st_mode & 022)) {
		close(vfd);
		return ev_errf(err, -EPERM, "%s: not a private directory of uid %u: refused", shown,
			       (unsigned)geteuid());
	}
	if ((rc = ev_file_sweep_tmp(shown, "", removed, err)) || !(d = fdopendir(vfd))) {
		rc = rc ? rc : ev_errf(err, -errno, "%s: %s", shown, strerror(errno));
		close(vfd);
		return rc;
	}
	while ((de = readdir(d))) {
		uint32_t uid;
		int r;

		if (de->d_name[0] == '.' || ev_jobid_parse(de->d_name, &uid, NULL) != 0)
			continue;
		if ((r = sweep_user(state_dir, dirfd(d), de->d_name, removed, err)) && !rc)
			rc = r;
	}
	closedir(d);
	return rc;
}
