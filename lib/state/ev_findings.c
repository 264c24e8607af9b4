#include "state/ev_findings.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "state/ev_state_dir.h"

/* Whether text (NUL-terminated) has line (with its '\n') as a whole line. */
static int has_line(const char *text, const char *line)
{
	for (const char *p = text; (p = strstr(p, line)); p++)
		if (p == text || p[-1] == '\n')
			return 1;
	return 0;
}

int ev_findings_add(const char *state_dir, uint32_t jobid, const char *line, struct ev_err *err)
{
	return ev_findings_add_within(state_dir, jobid, line, EV_FINDINGS_MAX, err);
}

int ev_findings_add_within(const char *state_dir, uint32_t jobid, const char *line, size_t room,
			   struct ev_err *err)
{
	char path[EV_PATH_CAP], buf[EV_FINDINGS_MAX + 1], out[EV_FINDINGS_LINE_MAX + 1];
	struct stat st;
	size_t n;
	long have;
	int rc, fd;

	if ((rc = ev_state_job_path(state_dir, "findings", jobid, true, path, sizeof(path), err)))
		return rc;
	if (!(n = ev_state_line(out, sizeof(out), line)))
		return 0;
	n++;
	have = ev_state_read_private(path, buf, sizeof(buf), err);
	if (have >= 0) {
		buf[have] = '\0';
		if (has_line(buf, out) || (size_t)have + n > room || (size_t)have + n > EV_FINDINGS_MAX)
			return 0;
	} else if (have != -ENOENT) {
		return (int)have;
	} else if (n > room) {
		return 0;
	}
	fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd < 0)
		return ev_errf(err, -errno, "%s: %s", path, strerror(errno));
	/* Only root's own regular file: state_dir is root's, but never write
	 * through something else that stands there. */
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) || st.st_uid != geteuid()) {
		close(fd);
		return ev_errf(err, -EPERM, "%s: not a regular file of this user", path);
	}
	if (write(fd, out, n) != (ssize_t)n) {
		rc = errno ? -errno : -EIO;
		close(fd);
		return ev_errf(err, rc, "%s: %s", path, strerror(-rc));
	}
	if (close(fd) != 0)
		return ev_errf(err, -errno, "%s: %s", path, strerror(errno));
	return 0;
}

int ev_findings_take(const char *state_dir, uint32_t jobid, char *out, size_t cap, struct ev_err *err)
{
	char buf[EV_FINDINGS_MAX + 1];
	long n;
	int rc;

	if (out && cap)
		out[0] = '\0';
	if ((rc = ev_state_job_take(state_dir, "findings", jobid, buf, sizeof(buf), &n, err)))
		return rc == -ENOENT ? 0 : rc;
	if (n < 0)
		return (int)n;
	buf[n] = '\0';
	if (out && cap)
		snprintf(out, cap, "%s", buf);
	return n > 0;
}
