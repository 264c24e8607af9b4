#include "state/ev_placement_memo.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "util/ev_file.h"
#include "state/ev_state_dir.h"

#define SUB "placement"

int ev_placement_memo_put(const char *state_dir, uint32_t jobid, const struct ev_placement_memo *m,
			  struct ev_err *err)
{
	char path[EV_PATH_CAP], line[EV_PLACEMENT_MEMO_WHY_MAX + 16];
	struct stat st;
	size_t n;
	int rc;

	if ((rc = ev_state_job_path(state_dir, SUB, jobid, true, path, sizeof(path), err)))
		return rc;
	if (lstat(path, &st) == 0)
		return 0;
	n = (size_t)snprintf(line, sizeof(line), "%s", m->different ? "different " : "same\n");
	if (m->different)
		n += ev_state_line(line + n, sizeof(line) - n, m->why) + 1;
	return ev_file_write_atomic_nosync(path, line, n, 0600, err);
}

int ev_placement_memo_get(const char *state_dir, uint32_t jobid, struct ev_placement_memo *m, struct ev_err *err)
{
	char path[EV_PATH_CAP], buf[EV_PLACEMENT_MEMO_WHY_MAX + 16];
	long n;
	int rc;

	memset(m, 0, sizeof(*m));
	if ((rc = ev_state_job_path(state_dir, SUB, jobid, false, path, sizeof(path), err)))
		return rc == -ENOENT ? 0 : rc;
	n = ev_state_read_private(path, buf, sizeof(buf), err);
	if (n <= 0 || buf[n - 1] != '\n')
		return 0;
	buf[n - 1] = '\0';
	if (strcmp(buf, "same") == 0)
		return 1;
	if (strncmp(buf, "different ", 10) != 0 || !buf[10] || strchr(buf, '\n'))
		return 0;
	m->different = true;
	snprintf(m->why, sizeof(m->why), "%s", buf + 10);
	return 1;
}

void ev_placement_memo_remove(const char *state_dir, uint32_t jobid)
{
	char buf[1];
	long got;

	ev_state_job_take(state_dir, SUB, jobid, buf, sizeof(buf), &got, NULL);
}
