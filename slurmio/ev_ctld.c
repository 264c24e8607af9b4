#include "config.h"

#include "ev_acct.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ev_slurm_compat.h"
#include <slurm/slurmdb.h>

#include "config/ev_config.h"
#include "record/ev_hostlist.h"
#include "record/ev_nodecomment.h"
#include "ev_slurm_hosts.h"

/* Exported by libslurm (sacctmgr uses it) but not declared in its headers:
 * it sets every field to "leave unchanged" (NO_VAL), which a zeroed record
 * would not — derived_ec 0 would overwrite the job's derived exit code. */
extern slurmdb_job_rec_t *slurmdb_create_job_rec(void);

/* libslurm needs its config read, and its accounting plugin loaded, before
 * the accounting calls work; without a slurm.conf it retries for a minute
 * and then exits the process, which an epilog must never do: check first. */
int ev_slurm_ready(struct ev_err *err)
{
	static int state;   /* 0 not tried, 1 ready, -1 no config */
	const char *conf = getenv("SLURM_CONF");

	if (!state) {
		if (!conf || !*conf)
			conf = "/etc/slurm/slurm.conf";
		if (access(conf, R_OK) != 0) {
			state = -1;
		} else {
			slurm_init(NULL);
			state = 1;
		}
	}
	if (state < 0)
		return ev_errf(err, -ENOENT, "no readable Slurm config (%s)", conf ? conf : "SLURM_CONF");
	return 0;
}

int ev_acct_publish(const char *node, const struct ev_node_result *r, struct ev_err *err)
{
	node_info_msg_t *msg = NULL;
	update_node_msg_t up;
	char *text;
	int rc;

	if ((rc = ev_slurm_ready(err)))
		return rc;
	if (slurm_load_node_single(&msg, (char *)node, SHOW_ALL) != SLURM_SUCCESS || !msg)
		return ev_errf(err, -EIO, "cannot read node %s from slurmctld: %s", node,
			       slurm_strerror(ev_slurm_errno()));
	if (msg->record_count != 1 || !msg->node_array[0].name || strcmp(msg->node_array[0].name, node)) {
		slurm_free_node_info_msg(msg);
		return ev_errf(err, -ENOENT, "slurmctld does not know node %s", node);
	}
	if (!(text = malloc(EV_NODECOMMENT_MAX))) {
		slurm_free_node_info_msg(msg);
		return ev_errf(err, -ENOMEM, "out of memory");
	}
	rc = ev_nodecomment_put(msg->node_array[0].comment, r, EV_NODECOMMENT_KEEP, text, EV_NODECOMMENT_MAX,
				err);
	slurm_free_node_info_msg(msg);
	if (!rc) {
		slurm_init_update_node_msg(&up);
		up.node_names = (char *)node;
		up.comment = text;
		if (slurm_update_node(&up) != SLURM_SUCCESS)
			rc = ev_errf(err, -EIO, "cannot update node %s: %s", node,
				     slurm_strerror(ev_slurm_errno()));
	}
	free(text);
	return rc;
}

int ev_acct_gather(uint32_t jobid, struct ev_node_result **out, size_t *n, struct ev_err *err)
{
	node_info_msg_t *msg = NULL;
	struct ev_node_result *v;
	int rc;

	*out = NULL;
	*n = 0;
	if ((rc = ev_slurm_ready(err)))
		return rc;
	if (slurm_load_node((time_t)0, &msg, SHOW_ALL) != SLURM_SUCCESS || !msg)
		return ev_errf(err, -EIO, "cannot read node records: %s", slurm_strerror(ev_slurm_errno()));
	if (!(v = calloc(msg->record_count ? msg->record_count : 1, sizeof(*v)))) {
		slurm_free_node_info_msg(msg);
		return ev_errf(err, -ENOMEM, "out of memory");
	}
	for (uint32_t i = 0; i < msg->record_count; i++) {
		node_info_t *ni = &msg->node_array[i];

		/* A node speaks only for itself. */
		if (ni->name && ev_nodecomment_get(ni->comment, jobid, &v[*n]) == 0 &&
		    strcmp(v[*n].node, ni->name) == 0)
			(*n)++;
	}
	slurm_free_node_info_msg(msg);
	*out = v;
	return 0;
}

int ev_acct_node_result(const char *node, uint32_t jobid, struct ev_node_result *r, struct ev_err *err)
{
	node_info_msg_t *msg = NULL;
	int rc;

	if ((rc = ev_slurm_ready(err)))
		return rc;
	if (slurm_load_node_single(&msg, (char *)node, SHOW_ALL) != SLURM_SUCCESS || !msg) {
		/* An unknown node is an answer, not slurmctld being away. */
		if (ev_slurm_errno() == ESLURM_INVALID_NODE_NAME)
			return ev_errf(err, -ENOENT, "slurmctld does not know node %s", node);
		return ev_errf(err, -EIO, "cannot read node %s from slurmctld: %s", node,
			       slurm_strerror(ev_slurm_errno()));
	}
	rc = -ENOENT;
	/* A node speaks only for itself. */
	if (msg->record_count == 1 && msg->node_array[0].name && strcmp(msg->node_array[0].name, node) == 0 &&
	    ev_nodecomment_get(msg->node_array[0].comment, jobid, r) == 0 && strcmp(r->node, node) == 0)
		rc = 0;
	slurm_free_node_info_msg(msg);
	return rc;
}

int ev_acct_not_in(const char *list, char *const *names, size_t n, bool *out, struct ev_err *err)
{
	ev_hostlist_t *hl;

	if (!list || !*list) {
		for (size_t i = 0; i < n; i++)
			out[i] = true;
		return 0;
	}
	if (!(hl = slurm_hostlist_create(list)))
		return ev_errf(err, -ENOMEM, "cannot read the node list '%.64s'", list);
	for (size_t i = 0; i < n; i++)
		out[i] = slurm_hostlist_find(hl, names[i]) < 0;
	slurm_hostlist_destroy(hl);
	return 0;
}

/* Job jobid as slurmctld has it (free with slurm_free_job_info_msg); where
 * slurmctld does not know the job, -ENOENT "slurmctld <unknown> job N". */
/* Job jobid from slurmctld into *msg; with j, also its own record there (an
 * array's first task's id also names the array: this job only), -ENOENT
 * when slurmctld has none. */
static int load_job(uint32_t jobid, uint16_t flags, job_info_msg_t **msg, const slurm_job_info_t **j,
		    const char *unknown, struct ev_err *err)
{
	int rc;

	*msg = NULL;
	if ((rc = ev_slurm_ready(err)))
		return rc;
	if (ev_slurm_load_job(msg, jobid, flags) != SLURM_SUCCESS || !*msg) {
		int e = ev_slurm_errno();

		if (e == ESLURM_INVALID_JOB_ID)
			return ev_errf(err, -ENOENT, "slurmctld %s job %u", unknown, jobid);
		return ev_errf(err, -EIO, "cannot read job %u from slurmctld: %s", jobid, slurm_strerror(e));
	}
	if (!j)
		return 0;
	*j = NULL;
	for (uint32_t i = 0; i < (*msg)->record_count && !*j; i++)
		if ((*msg)->job_array[i].job_id == jobid)
			*j = &(*msg)->job_array[i];
	if (*j)
		return 0;
	slurm_free_job_info_msg(*msg);
	*msg = NULL;
	return ev_errf(err, -ENOENT, "slurmctld %s job %u", unknown, jobid);
}

int ev_acct_job_end(uint32_t jobid, char **nodes, bool *completing, struct ev_err *err)
{
	const slurm_job_info_t *j = NULL;
	job_info_msg_t *msg = NULL;
	int rc;

	*nodes = NULL;
	*completing = false;
	/* No SHOW_DETAIL: the job's resources per node are not needed. */
	if ((rc = load_job(jobid, SHOW_ALL, &msg, &j, "no longer has", err)))
		return rc;
	*completing = (j->job_state & JOB_COMPLETING) != 0;
	if (j->nodes && *j->nodes && !(*nodes = strdup(j->nodes)))
		rc = ev_errf(err, -ENOMEM, "out of memory");
	slurm_free_job_info_msg(msg);
	return rc;
}

int ev_acct_ctld_get_comment(uint32_t jobid, char **out, struct ev_err *err)
{
	job_info_msg_t *msg;
	int rc;

	*out = NULL;
	if ((rc = load_job(jobid, SHOW_DETAIL, &msg, NULL, "no longer has", err)))
		return rc;
	if (msg->record_count < 1 || msg->job_array[0].job_id != jobid ||
	    ((msg->job_array[0].job_state & JOB_STATE_BASE) >= JOB_COMPLETE &&
	     !(msg->job_array[0].job_state & JOB_COMPLETING))) {
		slurm_free_job_info_msg(msg);
		return ev_errf(err, -ENOENT, "job %u has finished in slurmctld", jobid);
	}
	*out = strdup(msg->job_array[0].admin_comment ? msg->job_array[0].admin_comment : "");
	slurm_free_job_info_msg(msg);
	return *out ? 0 : ev_errf(err, -ENOMEM, "out of memory");
}

int ev_acct_ctld_set_comment(uint32_t jobid, const char *text, struct ev_err *err)
{
	job_desc_msg_t d;
	char id[16];
	int e;

	slurm_init_job_desc_msg(&d);
	snprintf(id, sizeof(id), "%u", jobid);
	d.job_id_str = id;
	d.admin_comment = (char *)text;
	if (slurm_update_job(&d) == SLURM_SUCCESS)
		return 0;
	e = ev_slurm_errno();
	if (e == ESLURM_INVALID_JOB_ID || e == ESLURM_JOB_FINISHED || e == ESLURM_ALREADY_DONE)
		return ev_errf(err, -ENOENT, "job %u has finished in slurmctld", jobid);
	return ev_errf(err, -EIO, "cannot update job %u in slurmctld: %s", jobid, slurm_strerror(e));
}

int ev_job_live_get(uint32_t jobid, struct ev_job_live *out, struct ev_err *err)
{
	const slurm_job_info_t *j = NULL;
	job_info_msg_t *msg;
	int rc;

	memset(out, 0, sizeof(*out));
	if ((rc = load_job(jobid, SHOW_DETAIL, &msg, &j, "has no", err)))
		return rc;
	out->running = (j->job_state & JOB_STATE_BASE) == JOB_RUNNING && !(j->job_state & JOB_COMPLETING);
	out->het = j->het_job_id && j->het_job_id != NO_VAL;
	out->uid = j->user_id;
	if (out->running && j->nodes && *j->nodes)
		rc = ev_slurm_hostlist_expand(j->nodes, (size_t)-1, &out->names, &out->n, err);
	slurm_free_job_info_msg(msg);
	return rc;
}

void ev_job_live_free(struct ev_job_live *j)
{
	for (size_t i = 0; i < j->n; i++)
		free(j->names[i]);
	free(j->names);
	j->names = NULL;
	j->n = 0;
}

struct ev_acct_db {
	void *conn;
	char *cluster;
};

int ev_acct_db_open(struct ev_acct_db **db, struct ev_err *err)
{
	slurm_conf_t *conf = NULL;
	struct ev_acct_db *d;
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

void ev_acct_db_close(struct ev_acct_db **db)
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
static slurmdb_job_cond_t *job_cond(struct ev_acct_db *db, uint32_t jobid)
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

/* One field of the job's current row in accounting. */
static int get_job_field(struct ev_acct_db *db, uint32_t jobid, bool nodes, char **out, struct ev_err *err)
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
	if (!jobs)
		return ev_errf(err, -EIO, "cannot read job %u from accounting: %s", jobid,
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
	}
	slurm_list_iterator_destroy(it);
	slurm_list_destroy(jobs);
	if (rc == -ENOENT)
		return ev_errf(err, rc, "accounting has no job %u (yet)", jobid);
	if (rc)
		return ev_errf(err, rc, "out of memory");
	return 0;
}

int ev_acct_get_comment(struct ev_acct_db *db, uint32_t jobid, char **out, struct ev_err *err)
{
	return get_job_field(db, jobid, false, out, err);
}

int ev_acct_get_nodes(struct ev_acct_db *db, uint32_t jobid, char **out, struct ev_err *err)
{
	int rc = get_job_field(db, jobid, true, out, err);

	/* "None assigned", or nothing: no node list. */
	if (!rc && (!**out || strchr(*out, ' '))) {
		free(*out);
		*out = NULL;
		return ev_errf(err, -ENOENT, "accounting has no nodes for job %u", jobid);
	}
	return rc;
}

int ev_acct_set_comment(struct ev_acct_db *db, uint32_t jobid, const char *text, struct ev_err *err)
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
		rc = ev_errf(err, changed ? -ENOENT : -EIO, "cannot set job %u's AdminComment in accounting: %s",
			     jobid, changed ? "no such job" : slurm_strerror(ev_slurm_errno()));
		slurmdb_connection_commit(db->conn, false);
	} else if (slurmdb_connection_commit(db->conn, true) != SLURM_SUCCESS) {
		rc = ev_errf(err, -EIO, "accounting refused to commit job %u's AdminComment", jobid);
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
