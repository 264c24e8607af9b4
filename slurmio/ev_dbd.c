#include "config.h"

#include "ev_dbd.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ev_slurm_compat.h"
#include <slurm/slurmdb.h>

#include "ev_ctld.h"
#include "ev_dbd_priv.h"

/* Exported by libslurm (sacctmgr uses it) but not declared in its headers:
 * it sets every field to "leave unchanged" (NO_VAL), which a zeroed record
 * would not — derived_ec 0 would overwrite the job's derived exit code. */
extern slurmdb_job_rec_t *slurmdb_create_job_rec(void);

int ev_dbd_open(struct ev_dbd **db, struct ev_err *err)
{
	slurm_conf_t *conf = NULL;
	struct ev_dbd *d;
	uint16_t flags = 0;
	int rc;

	*db = NULL;
	if ((rc = ev_slurm_ready(err)))
		return rc;
	if (!(d = calloc(1, sizeof(*d))))
		return ev_errf(err, -ENOMEM, "out of memory");
	/* Accounting may serve several clusters: name ours, as sacct does. */
	if (slurm_load_ctl_conf((time_t)0, &conf) != SLURM_SUCCESS || !conf || !conf->cluster_name) {
		if (conf)
			ev_slurm_free_conf(conf);
		free(d);
		return ev_errf(err, -EIO, "cannot read the cluster name from slurmctld: %s",
			       slurm_strerror(ev_slurm_errno()));
	}
	d->cluster = strdup(conf->cluster_name);
	ev_slurm_free_conf(conf);
	if (!d->cluster) {
		free(d);
		return ev_errf(err, -ENOMEM, "out of memory");
	}
	if (!(d->conn = slurmdb_connection_get(&flags))) {
		free(d->cluster);
		free(d);
		return ev_errf(err, -EIO, "cannot reach slurmdbd: %s", slurm_strerror(ev_slurm_errno()));
	}
	*db = d;
	return 0;
}

void ev_dbd_close(struct ev_dbd **db)
{
	if (!*db)
		return;
	slurmdb_connection_close(&(*db)->conn);
	free((*db)->cluster);
	free(*db);
	*db = NULL;
}

/* A condition naming one job of our cluster. Ours are malloc'ed, Slurm's
 * destructors xfree: free it with free_cond, never slurmdb_destroy_job_cond. */
static slurmdb_job_cond_t *job_cond(struct ev_dbd *db, uint32_t jobid)
{
	slurmdb_job_cond_t *c = calloc(1, sizeof(*c));
	slurm_selected_step_t *s = calloc(1, sizeof(*s));
	char *cl = strdup(db->cluster);

	if (!c || !s || !cl) {
		free(c);
		free(s);
		free(cl);
		return NULL;
	}
	s->array_task_id = NO_VAL;
	s->het_job_offset = NO_VAL;
	s->step_id.job_id = jobid;
	s->step_id.step_id = NO_VAL;
	s->step_id.step_het_comp = NO_VAL;
	c->step_list = slurm_list_create(free);
	c->cluster_list = slurm_list_create(free);
	slurm_list_append(c->step_list, s);
	slurm_list_append(c->cluster_list, cl);
	c->flags = JOBCOND_FLAG_NO_STEP;
	/* 0 would ask for jobs whose scheduling flags are all clear. */
	c->db_flags = SLURMDB_JOB_FLAG_NOTSET;
	return c;
}

static void free_cond(slurmdb_job_cond_t *c)
{
	if (!c)
		return;
	slurm_list_destroy(c->step_list);
	slurm_list_destroy(c->cluster_list);
	free(c);
}

/* A row whose job has ended: a final state, or the row a requeue or
 * resize closed (its base state may read pending). */
static bool row_ended(uint32_t state)
{
	return (state & JOB_STATE_BASE) > JOB_SUSPENDED || (state & (JOB_REQUEUE | JOB_RESIZING | JOB_REVOKED));
}

/* One field of the job's current row in accounting, and whether that row
 * has the job's end (ended may be NULL). */
static int get_job_field(struct ev_dbd *db, uint32_t jobid, bool nodes, char **out, bool *ended,
			 struct ev_err *err)
{
	slurmdb_job_cond_t *c = job_cond(db, jobid);
	slurmdb_job_rec_t *j;
	ev_list_itr_t *it;
	ev_list_t *jobs;
	int rc = -ENOENT;

	*out = NULL;
	if (!c)
		return ev_errf(err, -ENOMEM, "out of memory");
	jobs = slurmdb_jobs_get(db->conn, c);
	free_cond(c);
	/* slurmdbd reads a connection's queries inside one database
	 * transaction: until it ends, every later read sees the rows as
	 * this one did, and a writer polling for the job's end would never
	 * see it arrive. Nothing was changed, so it is rolled back. */
	slurmdb_connection_commit(db->conn, false);
	if (!jobs)
		return ev_errf(err, -EIO, "cannot read job %u from slurmdbd: %s", jobid,
			       slurm_strerror(ev_slurm_errno()));
	it = slurm_list_iterator_create(jobs);
	/* A requeued job has one row per run: the last one is the current. */
	while ((j = slurm_list_next(it))) {
		const char *v = nodes ? j->nodes : j->admin_comment;

		if (j->jobid != jobid)
			continue;
		free(*out);
		*out = strdup(v ? v : "");
		rc = *out ? 0 : -ENOMEM;
		/* Not end != 0: accounting fills a pending or running
		 * row's end with the time of the query. Its state says
		 * whether slurmctld's end of the job has arrived. */
		if (ended)
			*ended = row_ended(j->state);
	}
	slurm_list_iterator_destroy(it);
	slurm_list_destroy(jobs);
	if (rc == -ENOENT)
		return ev_errf(err, rc, "accounting has no job %u (yet)", jobid);
	if (rc)
		return ev_errf(err, rc, "out of memory");
	return 0;
}

int ev_dbd_get_comment(struct ev_dbd *db, uint32_t jobid, char **out, bool *ended, struct ev_err *err)
{
	*ended = false;
	return get_job_field(db, jobid, false, out, ended, err);
}

int ev_dbd_get_nodes(struct ev_dbd *db, uint32_t jobid, char **out, struct ev_err *err)
{
	int rc = get_job_field(db, jobid, true, out, NULL, err);

	/* "None assigned", or nothing: no node list. */
	if (!rc && (!**out || strchr(*out, ' '))) {
		free(*out);
		*out = NULL;
		return ev_errf(err, -ENOENT, "accounting has no nodes for job %u", jobid);
	}
	return rc;
}

int ev_dbd_set_comment(struct ev_dbd *db, uint32_t jobid, const char *text, struct ev_err *err)
{
	slurmdb_job_cond_t *c = job_cond(db, jobid);
	slurmdb_job_rec_t *j = slurmdb_create_job_rec();
	ev_list_t *changed = NULL;
	int rc = 0;

	if (!c || !j) {
		rc = ev_errf(err, -ENOMEM, "out of memory");
		goto out;
	}
	/* NULL'ed again before Slurm's destructor, which would xfree it. */
	j->admin_comment = strdup(text);
	if (!j->admin_comment) {
		rc = ev_errf(err, -ENOMEM, "out of memory");
		goto out;
	}
	changed = slurmdb_job_modify(db->conn, c, j);
	if (!changed || !slurm_list_count(changed)) {
		rc = ev_errf(err, changed ? -ENOENT : -EIO, "cannot set job %u's AdminComment in slurmdbd: %s",
			     jobid, changed ? "no such job" : slurm_strerror(ev_slurm_errno()));
		slurmdb_connection_commit(db->conn, false);
	} else if (slurmdb_connection_commit(db->conn, true) != SLURM_SUCCESS) {
		rc = ev_errf(err, -EIO, "slurmdbd refused to commit job %u's AdminComment", jobid);
	}
out:
	if (changed)
		slurm_list_destroy(changed);
	free_cond(c);
	if (j) {
		free(j->admin_comment);
		j->admin_comment = NULL;
		slurmdb_destroy_job_rec(j);
	}
	return rc;
}
