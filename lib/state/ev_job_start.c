#include "state/ev_job_start.h"

#include <errno.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config/ev_config.h"
#include "util/ev_buf.h"
#include "util/ev_file.h"
#include "util/ev_num.h"
#include "state/ev_jobid.h"
#include "state/ev_state_dir.h"

#define START_MAGIC "efa-verify-snapshot 2"

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

/* Format 2: the job's context lines, then the snapshot's. */
char *ev_job_start_serialize(const struct ev_job_start *js, size_t *len)
{
	struct ev_buf b = { 0 };

	ev_buf_printf(&b, START_MAGIC "\njob %" PRIu32 "\n", js->jobid);
	if (js->node[0])
		ev_buf_printf(&b, "node %s\n", js->node);
	if (js->boot_id[0])
		ev_buf_printf(&b, "boot_id %s\n", js->boot_id);
	if (js->first[0])
		ev_buf_printf(&b, "first %s\n", js->first);
	if (js->whole.whole != EV_WHOLE_UNKNOWN || js->whole.why[0])
		ev_buf_printf(&b, "whole_node %s\nwhole_node_why %s\n", ev_whole_name(js->whole.whole),
			      js->whole.why[0] ? js->whole.why : "-");
	ev_buf_printf(&b, "seq %" PRIu64 "\nothers", js->run.seq);
	for (size_t i = 0; i < js->run.n_others && i < EV_STATE_MAX_OTHERS; i++)
		ev_buf_printf(&b, " %" PRIu32, js->run.others[i]);
	ev_buf_printf(&b, "\n");
	if (js->run.others_truncated)
		ev_buf_printf(&b, "others_truncated 1\n");
	ev_snapshot_text_append(&b, &js->snap);
	return ev_buf_take(&b, len);
}

enum { H_JOB = 1, H_NODE = 2, H_BOOT = 4, H_SEQ = 8, H_OTHERS = 16, H_TRUNC = 32, H_FIRST = 64,
       H_WHOLE = 128, H_WHOLE_WHY = 256 };

struct reading {
	struct ev_job_start *js;
	unsigned seen;
};

/* A why token as ev_whole_node_judge makes one. */
static bool whole_why_valid(const char *s)
{
	if (strlen(s) >= EV_WHOLE_WHY_MAX)
		return false;
	for (; *s; s++)
		if (!((*s >= 'a' && *s <= 'z') || (*s >= '0' && *s <= '9') || strchr("_:/-", *s)))
			return false;
	return true;
}

static int header(void *ctx, char **t, int nt)
{
	struct reading *r = ctx;
	struct ev_job_start *js = r->js;
	unsigned *seen = &r->seen;
	uint64_t v;

	if (strcmp(t[0], "others") == 0) {
		if (*seen & H_OTHERS || nt - 1 > EV_STATE_MAX_OTHERS)
			return -1;
		*seen |= H_OTHERS;
		for (int i = 1; i < nt; i++) {
			if (!ev_parse_u64_strict(t[i], &v) || v == 0 || v > UINT32_MAX)
				return -1;
			js->run.others[js->run.n_others++] = (uint32_t)v;
		}
		qsort(js->run.others, js->run.n_others, sizeof(uint32_t), ev_jobid_cmp);
		return 0;
	}
	if (nt != 2)
		return -1;
	if (strcmp(t[0], "job") == 0 && !(*seen & H_JOB) && ev_parse_u64_strict(t[1], &v) && v && v <= UINT32_MAX) {
		js->jobid = (uint32_t)v;
		*seen |= H_JOB;
	} else if (strcmp(t[0], "node") == 0 && !(*seen & H_NODE) && ev_valid_nodename(t[1])) {
		memcpy(js->node, t[1], strlen(t[1]) + 1);
		*seen |= H_NODE;
	} else if (strcmp(t[0], "first") == 0 && !(*seen & H_FIRST) && ev_valid_nodename(t[1])) {
		memcpy(js->first, t[1], strlen(t[1]) + 1);
		*seen |= H_FIRST;
	} else if (strcmp(t[0], "whole_node") == 0 && !(*seen & H_WHOLE) && ev_whole_from_name(t[1]) >= 0) {
		js->whole.whole = (enum ev_whole)ev_whole_from_name(t[1]);
		*seen |= H_WHOLE;
	} else if (strcmp(t[0], "whole_node_why") == 0 && !(*seen & H_WHOLE_WHY) && whole_why_valid(t[1])) {
		if (strcmp(t[1], "-") != 0)
			memcpy(js->whole.why, t[1], strlen(t[1]) + 1);
		*seen |= H_WHOLE_WHY;
	} else if (strcmp(t[0], "boot_id") == 0 && !(*seen & H_BOOT) && ev_boot_id_valid(t[1])) {
		memcpy(js->boot_id, t[1], strlen(t[1]) + 1);
		*seen |= H_BOOT;
	} else if (strcmp(t[0], "seq") == 0 && !(*seen & H_SEQ) && ev_parse_u64_strict(t[1], &v)) {
		js->run.seq = v;
		*seen |= H_SEQ;
	} else if (strcmp(t[0], "others_truncated") == 0 && !(*seen & H_TRUNC) && strcmp(t[1], "1") == 0) {
		js->run.others_truncated = true;
		*seen |= H_TRUNC;
	} else {
		return -1;
	}
	return 0;
}

static const char *missing(void *ctx)
{
	const struct reading *r = ctx;

	if ((r->seen & (H_JOB | H_SEQ | H_OTHERS)) != (H_JOB | H_SEQ | H_OTHERS))
		return "job, seq or others missing";
	return NULL;
}

int ev_job_start_deserialize(const char *text, size_t len, struct ev_job_start *out, struct ev_err *err)
{
	char *tok[EV_STATE_MAX_OTHERS + 2];
	struct reading r = { out, 0 };
	struct ev_snapshot_wrap w = { START_MAGIC, tok, EV_STATE_MAX_OTHERS + 2, header, missing, &r };
	int rc;

	memset(out, 0, sizeof(*out));
	rc = ev_snapshot_parse(text, len, &w, &out->snap, err);
	if (rc)
		ev_job_start_free(out);
	return rc;
}

void ev_job_start_free(struct ev_job_start *js)
{
	ev_snapshot_free(&js->snap);
	memset(js, 0, sizeof(*js));
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
