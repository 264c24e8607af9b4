#include "state/ev_pending.h"

#include <dirent.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "state/ev_jobid.h"
#include "state/ev_state_dir.h"
#include "util/ev_file.h"

int ev_pending_put(const char *state_dir, uint32_t jobid, struct ev_err *err)
{
	char path[EV_PATH_CAP];
	int rc;

	if ((rc = ev_state_job_path(state_dir, "pending", jobid, true, path, sizeof(path), err)))
		return rc;
	return ev_file_write_atomic(path, "", 0, 0600, err);
}

int ev_pending_remove(const char *state_dir, uint32_t jobid, struct ev_err *err)
{
	char path[EV_PATH_CAP];
	int rc;

	if ((rc = ev_state_job_path(state_dir, "pending", jobid, false, path, sizeof(path), err)))
		return rc == -ENOENT ? 0 : rc;
	if (unlink(path) != 0 && errno != ENOENT)
		return ev_errf(err, -errno, "%s: %s", path, strerror(errno));
	return 0;
}

static int cmp_id(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return x < y ? -1 : x > y;
}

int ev_pending_list(const char *state_dir, uint32_t **ids, size_t *n, struct ev_err *err)
{
	char dir[EV_PATH_CAP];
	struct dirent *e;
	uint32_t *v;
	DIR *d;
	int rc;

	*ids = NULL;
	*n = 0;
	if ((rc = ev_state_subdir(state_dir, "pending", false, dir, sizeof(dir), err)))
		return rc == -ENOENT ? 0 : rc;
	if (!(d = opendir(dir)))
		return errno == ENOENT ? 0 : ev_errf(err, -errno, "%s: %s", dir, strerror(errno));
	if (!(v = malloc(EV_PENDING_MAX * sizeof(*v)))) {
		closedir(d);
		return ev_errf(err, -ENOMEM, "out of memory");
	}
	while ((e = readdir(d)) && *n < EV_PENDING_MAX) {
		uint32_t id;

		/* Temporaries of an atomic write and anything not ours stay. */
		if (ev_jobid_parse(e->d_name, &id, NULL) == 0)
			v[(*n)++] = id;
	}
	closedir(d);
	if (!*n) {
		free(v);
		return 0;
	}
	qsort(v, *n, sizeof(*v), cmp_id);
	*ids = v;
	return 0;
}
