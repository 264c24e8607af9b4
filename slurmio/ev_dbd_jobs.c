/* The fleet query (ev_dbd_jobs.h): windows of end time asked of slurmdbd
 * one after another. libslurm only. */
#include "config.h"

#include "ev_dbd_jobs.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <pwd.h>
#include <string.h>

#include "ev_slurm_compat.h"
#include <slurm/slurmdb.h>

#include "ev_dbd_priv.h"

/* A list of our own strings (malloc'ed: the list frees them with free). */
static ev_list_t *str_list(const char *one)
{
	ev_list_t *l = slurm_list_create(free);
	char *s = one ? strdup(one) : NULL;

	if (!l || (one && !s)) {
		free(s);
		if (l)
			slurm_list_destroy(l);
		return NULL;
	}
	if (s)
		slurm_list_append(l, s);
	return l;
}

static void free_cond(slurmdb_job_cond_t *c)
{
	if (!c)
		return;
	if (c->cluster_list)
		slurm_list_destroy(c->cluster_list);
	if (c->state_list)
		slurm_list_destroy(c->state_list);
	if (c->partition_list)
		slurm_list_destroy(c->partition_list);
	if (c->userid_list)
		slurm_list_destroy(c->userid_list);
	free(c);
}

/* Every job of ours in q whose current row ended (a final state) in a
 * window, the window set by the caller. Ours are malloc'ed, Slurm's
 * destructors xfree: free it with free_cond, never slurmdb_destroy_job_cond. */
static slurmdb_job_cond_t *jobs_cond(const struct ev_dbd *db, const struct ev_dbd_jobs_query *q)
{
	slurmdb_job_cond_t *c = calloc(1, sizeof(*c));
	char num[16];

	if (!c)
		return NULL;
	if (!(c->cluster_list = str_list(db->cluster)) || !(c->state_list = str_list(NULL)))
		goto fail;
	/* With a state, slurmdbd selects the rows that ended in the window
	 * in that state (time_end between usage_start and usage_end, both
	 * ends included); without one, every job eligible during it, the
	 * running and the long ones in window after window. Requeued and
	 * resized rows are a run the job's current row follows: left out. */
	for (uint32_t s = JOB_COMPLETE; s < JOB_END; s++) {
		char *v;

		snprintf(num, sizeof(num), "%" PRIu32, s);
		if (!(v = strdup(num)))
			goto fail;
		slurm_list_append(c->state_list, v);
	}
	if (q->partition && !(c->partition_list = str_list(q->partition)))
		goto fail;
	if (q->by_uid) {
		snprintf(num, sizeof(num), "%" PRIu32, q->uid);
		if (!(c->userid_list = str_list(num)))
			goto fail;
	}
	/* NO_TRUNC: otherwise slurmdbd cuts each job's start and elapsed time
	 * to the window asked, and a window is far shorter than a job. */
	c->flags = JOBCOND_FLAG_NO_STEP | JOBCOND_FLAG_NO_TRUNC;
	/* 0 would ask for jobs whose scheduling flags are all clear. */
	c->db_flags = SLURMDB_JOB_FLAG_NOTSET;
	return c;
fail:
	free_cond(c);
	return NULL;
}

/* gres/gpu's TRES id in this accounting, 0 when it has none (no GPU job
 * then). Deleted TRES too: jobs of the window may predate the deletion. */
static int gpu_tres_id(struct ev_dbd *db, uint32_t *id, struct ev_err *err)
{
	slurmdb_tres_cond_t *c = calloc(1, sizeof(*c));
	slurmdb_tres_rec_t *t;
	ev_list_itr_t *it;
	ev_list_t *l;

	*id = 0;
	if (!c)
		return ev_errf(err, -ENOMEM, "out of memory");
	c->with_deleted = 1;
	l = slurmdb_tres_get(db->conn, c);
	free(c);
	slurmdb_connection_commit(db->conn, false);
	if (!l)
		return ev_errf(err, -EIO, "cannot read the TRES from slurmdbd: %s", slurm_strerror(ev_slurm_errno()));
	it = slurm_list_iterator_create(l);
	while ((t = slurm_list_next(it)))
		if (t->type && t->name && strcmp(t->type, "gres") == 0 && strcmp(t->name, "gpu") == 0)
			*id = t->id;
	slurm_list_iterator_destroy(it);
	slurm_list_destroy(l);
	return 0;
}

static bool ended(uint32_t state)
{
	uint32_t base = state & JOB_STATE_BASE;

	return base >= JOB_COMPLETE && base < JOB_END;
}

/* Hand over one window's jobs. */
/* Whether j is the asked user's: by the name accounting gives it where it
 * gives one, else by uid. Seen with 22.05: a query for root's jobs was
 * answered with jobs of another user that had just ended, which a check of
 * the uid alone let through; by name they are told apart. */
static bool users_job(const slurmdb_job_rec_t *j, const struct ev_dbd_jobs_query *q, const char *name)
{
	if (name[0] && j->user && *j->user)
		return strcmp(j->user, name) == 0;
	return j->uid == q->uid;
}

static int each(const ev_list_t *jobs, const struct ev_dbd_jobs_query *q, const char *name, int64_t s, int64_t e,
		uint32_t gpu, ev_dbd_job_fn fn, void *arg, uint64_t *handed)
{
	ev_list_itr_t *it = slurm_list_iterator_create((ev_list_t *)jobs);
	slurmdb_job_rec_t *j;
	char uid[16];
	int rc = 0;

	while (!rc && (j = slurm_list_next(it))) {
		struct ev_dbd_job job;

		/* What the window asked for, and nothing else: a job outside
		 * it belongs to another window, which hands it over there. */
		if (!ended(j->state) || (int64_t)j->end < s || (int64_t)j->end >= e)
			continue;
		/* The user and partition asked for, checked here too: slurmdbd
		 * (22.05) answered a user's query with other users' jobs that
		 * ended in the same window. */
		if ((q->by_uid && !users_job(j, q, name)) ||
		    (q->partition && (!j->partition || strcmp(j->partition, q->partition) != 0)))
			continue;
		snprintf(uid, sizeof(uid), "%" PRIu32, j->uid);
		job = (struct ev_dbd_job){
			.jobid = j->jobid,
			.user = j->user && *j->user ? j->user : uid,
			.account = j->account ? j->account : "",
			.partition = j->partition ? j->partition : "",
			.nodes = j->nodes ? j->nodes : "",
			.admin_comment = j->admin_comment ? j->admin_comment : "",
			.end = (int64_t)j->end,
			.elapsed = j->elapsed,
			.gpus = ev_tres_count(j->tres_alloc_str, gpu),
			.started = j->alloc_nodes != 0,
		};
		(*handed)++;
		rc = fn(&job, arg);
	}
	slurm_list_iterator_destroy(it);
	return rc;
}

int ev_dbd_jobs_each(struct ev_dbd *db, const struct ev_dbd_jobs_query *q, ev_dbd_job_fn fn, void *arg,
		     struct ev_dbd_jobs_stats *st, struct ev_err *err)
{
	slurmdb_job_cond_t *c;
	struct ev_dbd_walk w;
	int64_t s, e;
	uint32_t gpu;
	char name[256] = "", pwbuf[4096];
	struct passwd pw, *pwp = NULL;
	int rc;

	memset(st, 0, sizeof(*st));
	if (q->by_uid && getpwuid_r((uid_t)q->uid, &pw, pwbuf, sizeof(pwbuf), &pwp) == 0 && pwp)
		snprintf(name, sizeof(name), "%s", pw.pw_name);
	/* usage_start 0 makes slurmdbd take "now" instead. */
	if (q->since < 1 || q->until <= q->since)
		return ev_errf(err, -EINVAL, "the time range is empty");
	if ((rc = gpu_tres_id(db, &gpu, err)))
		return rc;
	if (!(c = jobs_cond(db, q)))
		return ev_errf(err, -ENOMEM, "out of memory");
	ev_dbd_walk_init(&w, q->since, q->until, EV_DBD_WINDOW_JOBS, EV_DBD_WINDOW_MAX, EV_DBD_WINDOW_FIRST_S);
	while (ev_dbd_walk_next(&w, &s, &e)) {
		ev_list_t *jobs;
		bool take;

		c->usage_start = (time_t)s;
		c->usage_end = (time_t)(e - 1);   /* both ends are in: [s, e) */
		jobs = slurmdb_jobs_get(db->conn, c);
		/* No transaction left open between windows: see ev_dbd.c. */
		slurmdb_connection_commit(db->conn, false);
		if (!jobs) {
			int e_ = ev_slurm_errno();

			/* A user who is not an operator may ask for no wider a
			 * window than slurmdbd.conf's MaxQueryTimeRange. */
			if (e_ == ESLURM_DB_QUERY_TOO_WIDE && ev_dbd_walk_too_wide(&w))
				continue;
			rc = ev_errf(err, -EIO, "cannot read jobs from slurmdbd: %s", slurm_strerror(e_));
			break;
		}
		take = ev_dbd_walk_took(&w, (size_t)slurm_list_count(jobs));
		if (take)
			rc = each(jobs, q, name, s, e, gpu, fn, arg, &st->jobs);
		slurm_list_destroy(jobs);
		if (rc)
			break;
	}
	st->windows = w.windows;
	st->retries = w.retries;
	st->most = w.most;
	free_cond(c);
	return rc;
}
