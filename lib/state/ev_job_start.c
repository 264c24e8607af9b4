#include "state/ev_job_start.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config/ev_config.h"
#include "util/ev_file.h"
#include "state/ev_state_dir.h"

static int job_path(const char *state_dir, uint32_t jobid, char *out, size_t cap, struct ev_err *err)
{
	int n = snprintf(out, cap, "%s/jobs/%" PRIu32 ".start", state_dir, jobid);

	if (n < 0 || (size_t)n >= cap)
		return ev_errf(err, -ENAMETOOLONG, "%s: path too long", state_dir);
	return 0;
}

/* Takes text (frees it). */
static int save(const char *state_dir, uint32_t jobid, char *text, size_t len, struct ev_err *err)
{
	char dir[EV_PATH_CAP], path[EV_PATH_CAP];
	int rc;

	if (!text)
		return ev_errf(err, -ENOMEM, "out of memory");
	if (!jobid)
		rc = ev_errf(err, -EINVAL, "job id 0");
	else if (!(rc = ev_state_subdir(state_dir, "jobs", true, dir, sizeof(dir), err)) &&
		 !(rc = job_path(state_dir, jobid, path, sizeof(path), err)))
		rc = ev_file_write_atomic_nosync(path, text, len, 0600, err);
	free(text);
	return rc;
}

int ev_job_start_save(const char *state_dir, const struct ev_job_start *js, struct ev_err *err)
{
	size_t len = 0;
	char *text;

	if (js->node[0] && !ev_valid_nodename(js->node))
		return ev_errf(err, -EINVAL, "node name '%.64s' refused", js->node);
	if (!ev_boot_id_valid(js->boot_id))
		return ev_errf(err, -EINVAL, "boot id refused");
	text = ev_job_start_serialize(js, &len);
	return save(state_dir, js->jobid, text, len, err);
}

int ev_job_start_load(const char *state_dir, uint32_t jobid, struct ev_job_start *out,
		      struct ev_err *err)
{
	char dir[EV_PATH_CAP], path[EV_PATH_CAP];
	char *buf;
	long n;
	int rc;

	memset(out, 0, sizeof(*out));
	if ((rc = job_path(state_dir, jobid, path, sizeof(path), err)))
		return rc;
	if ((rc = ev_state_subdir(state_dir, "jobs", false, dir, sizeof(dir), err)))
		return rc == -ENOENT ? ev_errf(err, rc, "no start snapshot for job %" PRIu32, jobid) : rc;
	buf = malloc(EV_JOB_START_MAX + 1);
	if (!buf)
		return ev_errf(err, -ENOMEM, "out of memory");
	n = ev_state_read_private(path, buf, EV_JOB_START_MAX + 1, err);
	if (n == -ENOENT) {
		free(buf);
		return ev_errf(err, -ENOENT, "no start snapshot for job %" PRIu32, jobid);
	}
	if (n < 0) {
		free(buf);
		return (int)n;
	}
	rc = ev_job_start_deserialize(buf, (size_t)n, out, err);
	free(buf);
	if (rc)
		return ev_err_prefix(err, rc, "%s", path);
	/* A format 1 file has no job line; a format 2 one must be this job's. */
	if (out->jobid && out->jobid != jobid) {
		ev_job_start_free(out);
		return ev_errf(err, -EBADMSG, "%s: belongs to job %" PRIu32 ", not %" PRIu32, path,
			       out->jobid, jobid);
	}
	out->jobid = jobid;
	return 0;
}

int ev_state_remove_start(const char *state_dir, uint32_t jobid)
{
	char path[EV_PATH_CAP];

	if (job_path(state_dir, jobid, path, sizeof(path), NULL))
		return -ENAMETOOLONG;
	return unlink(path) == 0 || errno == ENOENT ? 0 : -errno;
}
