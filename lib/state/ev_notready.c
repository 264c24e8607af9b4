#include "state/ev_notready.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "util/ev_file.h"
#include "state/ev_state_dir.h"

int ev_notready_mark(const char *state_dir, uint32_t jobid, const char *reason, struct ev_err *err)
{
	char path[EV_PATH_CAP], line[EV_NOTREADY_REASON_MAX + 1];
	struct stat st;
	size_t n;
	int rc;

	if ((rc = ev_state_job_path(state_dir, "notready", jobid, true, path, sizeof(path), err)))
		return rc;
	/* The first finding is the one to fix; later steps say the same. */
	if (lstat(path, &st) == 0)
		return 0;
	n = ev_state_line(line, sizeof(line), reason) + 1;
	return ev_file_write_atomic_nosync(path, line, n, 0600, err);
}

int ev_notready_take(const char *state_dir, uint32_t jobid, char *reason, size_t cap, struct ev_err *err)
{
	char buf[EV_NOTREADY_REASON_MAX + 1];
	long n;
	int rc;

	if ((rc = ev_state_job_take(state_dir, "notready", jobid, buf, sizeof(buf), &n, err)))
		return rc == -ENOENT ? 0 : rc;
	/* Still a finding when unreadable (not ours, too large): the node was
	 * found not ready; only the words are lost. */
	if (n < 0)
		buf[0] = '\0';
	else if (n > 0 && buf[n - 1] == '\n')
		buf[n - 1] = '\0';
	if (reason && cap)
		snprintf(reason, cap, "%s", n < 0 ? "not_ready" : buf);
	return 1;
}
