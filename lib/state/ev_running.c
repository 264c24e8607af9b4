#include "state/ev_running.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "node/ev_boot_id.h"
#include "util/ev_file.h"
#include "util/ev_num.h"
#include "state/ev_jobid.h"
#include "state/ev_state_dir.h"
#include "state/ev_state_lock.h"

/* The node's lock, held for a few file operations at a time. */
static int lock_state(const char *state_dir, struct ev_err *err)
{
	return ev_state_lock_file(state_dir, "lock", err);
}

/* seq as a private file open for update: one that is not (a planted
 * symbolic link, another owner, loose modes) is removed and made afresh. */
static int open_seq(const char *path, struct ev_err *err)
{
	for (int attempt = 0; attempt < 2; attempt++) {
		struct stat st;
		int fd = open(path, O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK | O_NOCTTY, 0600);

		if (fd >= 0 && fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && st.st_uid == geteuid() &&
		    !(st.st_mode & 077))
			return fd;
		if (fd < 0 && errno != ELOOP)
			return ev_errf(err, -errno, "%s: %s", path, strerror(errno));
		if (fd >= 0)
			close(fd);
		if (unlink(path) != 0 && errno != ENOENT)
			return ev_errf(err, -errno, "%s: %s", path, strerror(errno));
	}
	return ev_errf(err, -EPERM, "%s: not a private regular file, refused", path);
}

/* Bump the node's event counter; *before gets the value found. A missing
 * or corrupt counter restarts from 0: the epilog compares for equality, so
 * a restart reads as "something happened" (shared), never as "nothing".
 * Rewritten in place under the node's lock rather than renamed over: ext4
 * writes back a file renamed over another at once (auto_da_alloc), which
 * cost every prolog and epilog a block allocation and a discard. A write
 * torn by a crash reads as another number or garbage, i.e. "shared", and a
 * reboot voids the job's counters anyway. */
static int bump_seq(const char *state_dir, uint64_t *before, uint64_t *after, struct ev_err *err)
{
	char path[EV_PATH_CAP], buf[32];
	uint64_t v = 0;
	ssize_t n;
	int fd, len, rc = 0;

	if (ev_path_join(path, sizeof(path), state_dir, "seq"))
		return ev_errf(err, -ENAMETOOLONG, "%s: path too long", state_dir);
	if ((fd = open_seq(path, err)) < 0)
		return fd;
	n = pread(fd, buf, sizeof(buf) - 1, 0);
	if (n > 1 && buf[n - 1] == '\n') {
		buf[n - 1] = '\0';
		if (!ev_parse_u64_strict(buf, &v) || v == UINT64_MAX)
			v = 0;
	}
	*before = v;
	*after = v + 1;
	len = snprintf(buf, sizeof(buf), "%" PRIu64 "\n", v + 1);
	errno = 0;
	if (pwrite(fd, buf, (size_t)len, 0) != len || (n > len && ftruncate(fd, len) != 0))
		rc = ev_errf(err, errno ? -errno : -EIO, "%s: %s", path, strerror(errno ? errno : EIO));
	close(fd);
	return rc;
}

/* Other jobs' markers (ascending, at most EV_STATE_MAX_OTHERS); with a
 * boot id, markers of an earlier boot are removed instead. */
static int scan_running(const char *dir, uint32_t self, const char *boot_id, struct ev_running_mark *m,
			struct ev_err *err)
{
	DIR *d = opendir(dir);
	struct dirent *e;

	if (!d)
		return ev_errf(err, -errno, "%s: %s", dir, strerror(errno));
	m->n_others = 0;
	m->others_truncated = false;
	while ((e = readdir(d))) {
		char path[EV_PATH_CAP], content[EV_BOOT_ID_MAX + 2];
		uint32_t id;
		long n;

		if (ev_jobid_parse(e->d_name, &id, NULL) != 0 || id == self)
			continue;
		if (ev_path_join(path, sizeof(path), dir, e->d_name))
			continue;
		if (boot_id && *boot_id) {
			n = ev_state_read_private(path, content, sizeof(content), NULL);
			if (n > 0 && content[n - 1] == '\n')
				content[n - 1] = '\0';
			if (n < 0 || strcmp(content, boot_id) != 0) {
				/* An earlier boot's job never got its epilog. */
				unlink(path);
				continue;
			}
		}
		if (m->n_others == EV_STATE_MAX_OTHERS) {
			m->others_truncated = true;
			continue;
		}
		m->others[m->n_others++] = id;
	}
	closedir(d);
	qsort(m->others, m->n_others, sizeof(uint32_t), ev_jobid_cmp);
	return 0;
}

int ev_running_begin(const char *state_dir, uint32_t jobid, const char *boot_id,
		     struct ev_running_mark *out, struct ev_err *err)
{
	char dir[EV_PATH_CAP], path[EV_PATH_CAP], content[EV_BOOT_ID_MAX + 2];
	uint64_t before;
	int fd, rc, n;

	memset(out, 0, sizeof(*out));
	if (!jobid)
		return ev_errf(err, -EINVAL, "job id 0");
	if (boot_id && !ev_boot_id_valid(boot_id))
		return ev_errf(err, -EINVAL, "boot id refused");
	if ((rc = ev_state_subdir(state_dir, "running", true, dir, sizeof(dir), err)))
		return rc;
	if ((fd = lock_state(state_dir, err)) < 0)
		return fd;
	if (!(rc = scan_running(dir, jobid, boot_id, out, err)) &&
	    !(rc = bump_seq(state_dir, &before, &out->seq, err))) {
		n = snprintf(content, sizeof(content), "%s\n", boot_id ? boot_id : "");
		snprintf(path, sizeof(path), "%s/%" PRIu32, dir, jobid);
		rc = ev_file_write_atomic_nosync(path, content, (size_t)n, 0600, err);
	}
	close(fd);
	return rc;
}

int ev_running_end(const char *state_dir, uint32_t jobid, const struct ev_running_mark *start,
		   bool *shared, struct ev_err *err)
{
	char dir[EV_PATH_CAP], path[EV_PATH_CAP];
	struct ev_running_mark now;
	uint64_t before, after;
	int fd, rc;

	*shared = false;
	if (!jobid)
		return ev_errf(err, -EINVAL, "job id 0");
	if ((rc = ev_state_subdir(state_dir, "running", true, dir, sizeof(dir), err)))
		return rc;
	if ((fd = lock_state(state_dir, err)) < 0)
		return fd;
	rc = scan_running(dir, jobid, NULL, &now, err);
	if (!rc) {
		snprintf(path, sizeof(path), "%s/%" PRIu32, dir, jobid);
		if (unlink(path) != 0 && errno != ENOENT)
			rc = ev_errf(err, -errno, "%s: %s", path, strerror(errno));
	}
	if (!rc)
		rc = bump_seq(state_dir, &before, &after, err);
	close(fd);
	if (rc)
		return rc;
	*shared = now.n_others > 0 || now.others_truncated;
	if (start)
		*shared = *shared || start->n_others > 0 || start->others_truncated || before != start->seq;
	return 0;
}

struct marker_age {
	uint32_t id;
	struct timespec mtime;
	ino_t ino;
};

static int older_first(const void *a, const void *b)
{
	const struct marker_age *x = a, *y = b;

	if (x->mtime.tv_sec != y->mtime.tv_sec)
		return x->mtime.tv_sec < y->mtime.tv_sec ? -1 : 1;
	if (x->mtime.tv_nsec != y->mtime.tv_nsec)
		return x->mtime.tv_nsec < y->mtime.tv_nsec ? -1 : 1;
	return ev_jobid_cmp(&x->id, &y->id);
}

/* id out of m->others (kept ascending). */
static void forget_other(struct ev_running_mark *m, uint32_t id)
{
	for (size_t i = 0; i < m->n_others; i++) {
		if (m->others[i] != id)
			continue;
		memmove(&m->others[i], &m->others[i + 1], (m->n_others - i - 1) * sizeof(m->others[0]));
		m->n_others--;
		return;
	}
}

/* The marker at path, if it is still the file seen (ino), removed under
 * the node's lock: 1 when removed, 0 when already gone, -1 when it stays
 * (made afresh, or not removable). */
static int remove_marker(const char *state_dir, const char *path, ino_t ino)
{
	struct stat st;
	int fd = lock_state(state_dir, NULL), rc = -1;

	if (fd < 0)
		return -1;
	if (lstat(path, &st) != 0)
		rc = errno == ENOENT ? 0 : -1;
	else if (st.st_ino == ino && unlink(path) == 0)
		rc = 1;
	close(fd);
	return rc;
}

int ev_running_drop_stale(const char *state_dir, struct ev_running_mark *m, ev_running_held_fn held, void *arg,
			  size_t max, size_t *dropped, struct ev_err *err)
{
	struct marker_age v[EV_STATE_MAX_OTHERS];
	char dir[EV_PATH_CAP], path[EV_PATH_CAP];
	size_t n = 0;
	int rc;

	*dropped = 0;
	if (!m->n_others || !max)
		return 0;
	if ((rc = ev_state_subdir(state_dir, "running", false, dir, sizeof(dir), err)))
		return rc;
	for (size_t i = 0; i < m->n_others; i++) {
		struct stat st;

		snprintf(path, sizeof(path), "%s/%" PRIu32, dir, m->others[i]);
		if (lstat(path, &st) != 0)
			continue;   /* its epilog has run meanwhile */
		v[n].id = m->others[i];
		v[n].mtime = st.st_mtim;
		v[n].ino = st.st_ino;
		n++;
	}
	qsort(v, n, sizeof(v[0]), older_first);
	for (size_t i = 0; i < n && i < max; i++) {
		bool yes = true;

		snprintf(path, sizeof(path), "%s/%" PRIu32, dir, v[i].id);
		if ((rc = held(v[i].id, &yes, arg)))
			return ev_errf(err, rc, "cannot tell whether job %" PRIu32 " still runs here", v[i].id);
		if (yes) {
			/* Asked last of all next time. */
			utimensat(AT_FDCWD, path, NULL, AT_SYMLINK_NOFOLLOW);
			continue;
		}
		switch (remove_marker(state_dir, path, v[i].ino)) {
		case 1:
			(*dropped)++;
			/* fall through */
		case 0:
			forget_other(m, v[i].id);
			break;
		default:
			break;
		}
	}
	return 0;
}

int ev_running_check(const char *state_dir, uint32_t jobid, bool *running, struct ev_err *err)
{
	char dir[EV_PATH_CAP], path[EV_PATH_CAP];
	struct stat st;
	int rc;

	*running = true;
	if (!jobid)
		return ev_errf(err, -EINVAL, "job id 0");
	if ((rc = ev_state_subdir(state_dir, "running", false, dir, sizeof(dir), err)))
		return rc;
	snprintf(path, sizeof(path), "%s/%" PRIu32, dir, jobid);
	if (lstat(path, &st) == 0)
		return 0;
	if (errno != ENOENT)
		return ev_errf(err, -errno, "%s: %s", path, strerror(errno));
	*running = false;
	return 0;
}
