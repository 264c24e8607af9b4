#include "config.h"

#include "ev_ctld.h"

#include <errno.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ev_slurm_compat.h"

#include "config/ev_config.h"
#include "record/ev_hostlist.h"
#include "record/ev_nodecomment.h"
#include "record/ev_seal.h"
#include "ev_slurm_hosts.h"

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

/* The sealer for results in node records (ev_seal.h): entries that only
 * SlurmUser opens, as Slurm's own credentials to slurmctld are, since
 * EpilogSlurmctld reads them as SlurmUser and root's readers can ask as it
 * (ev_munge_decode), where root itself could not open them; through the
 * munged Slurm's auth/munge uses (AuthInfo's socket=, else its default).
 * Once a process, after ev_slurm_ready. */
static int slurm_seal(const struct ev_seal **out, struct ev_err *err)
{
	static struct ev_seal s;
	static struct ev_seal_munge m;
	static char sock[PATH_MAX];
	static int state;   /* 0 not asked, 1 set, < 0 the error */
	char *info = NULL, *tok, *save = NULL;

	*out = NULL;
	if (!state) {
		if ((state = ev_slurm_user(&m.reader, &info)) == 0) {
			for (tok = info ? strtok_r(info, ",", &save) : NULL; tok; tok = strtok_r(NULL, ",", &save))
				if (strncmp(tok, "socket=", 7) == 0 && tok[7] == '/' && strlen(tok + 7) < sizeof(sock)) {
					snprintf(sock, sizeof(sock), "%s", tok + 7);
					m.socket = sock;
				}
			ev_seal_munge(&s, &m);
			state = 1;
		}
		free(info);
	}
	if (state < 0)
		return ev_errf(err, state, "cannot learn SlurmUser, for whom results are sealed: %s",
			       slurm_strerror(ev_slurm_errno()));
	*out = &s;
	return 0;
}

int ev_ctld_publish(const char *node, const struct ev_node_result *r, bool sealed, struct ev_err *err)
{
	const struct ev_seal *seal = NULL;
	node_info_msg_t *msg = NULL;
	update_node_msg_t up;
	char *text;
	int rc;

	if ((rc = ev_slurm_ready(err)))
		return rc;
	if (sealed && (rc = slurm_seal(&seal, err)))
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
	rc = ev_nodecomment_put(msg->node_array[0].comment, r, seal, EV_NODECOMMENT_KEEP, text, EV_NODECOMMENT_MAX,
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

int ev_ctld_gather(uint32_t jobid, struct ev_node_result **out, size_t *n, struct ev_err *err)
{
	const struct ev_seal *seal;
	node_info_msg_t *msg = NULL;
	struct ev_node_result *v;
	int rc;

	*out = NULL;
	*n = 0;
	if ((rc = ev_slurm_ready(err)) || (rc = slurm_seal(&seal, err)))
		return rc;
	if (slurm_load_node((time_t)0, &msg, SHOW_ALL) != SLURM_SUCCESS || !msg)
		return ev_errf(err, -EIO, "cannot read node records: %s", slurm_strerror(ev_slurm_errno()));
	if (!(v = calloc(msg->record_count ? msg->record_count : 1, sizeof(*v)))) {
		slurm_free_node_info_msg(msg);
		return ev_errf(err, -ENOMEM, "out of memory");
	}
	for (uint32_t i = 0; i < msg->record_count; i++) {
		node_info_t *ni = &msg->node_array[i];

		if (!ni->name)
			continue;
		rc = ev_nodecomment_get(ni->comment, jobid, seal, &v[*n], err);
		/* A node speaks only for itself. */
		if (rc == 0 && strcmp(v[*n].node, ni->name) == 0) {
			(*n)++;
		} else if (rc && rc != -ENOENT) {
			/* Sealed entries this process cannot open here are
			 * so on every node: one refusal, not thousands. */
			ev_err_prefix(err, rc, "node %s", ni->name);
			slurm_free_node_info_msg(msg);
			free(v);
			*n = 0;
			return rc;
		}
	}
	slurm_free_node_info_msg(msg);
	*out = v;
	return 0;
}

int ev_ctld_node_result(const char *node, uint32_t jobid, struct ev_node_result *r, struct ev_err *err)
{
	const struct ev_seal *seal;
	node_info_msg_t *msg = NULL;
	int rc;

	if ((rc = ev_slurm_ready(err)) || (rc = slurm_seal(&seal, err)))
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
	if (msg->record_count == 1 && msg->node_array[0].name && strcmp(msg->node_array[0].name, node) == 0) {
		rc = ev_nodecomment_get(msg->node_array[0].comment, jobid, seal, r, err);
		if (rc == 0 && strcmp(r->node, node) != 0)
			rc = -ENOENT;
		else if (rc && rc != -ENOENT)
			ev_err_prefix(err, rc, "node %s", node);
	}
	slurm_free_node_info_msg(msg);
	return rc;
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

int ev_ctld_job_end(uint32_t jobid, char **nodes, bool *completing, struct ev_err *err)
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

int ev_ctld_job_on_node(uint32_t jobid, const char *node, bool *on, struct ev_err *err)
{
	const slurm_job_info_t *j = NULL;
	job_info_msg_t *msg = NULL;
	char *names[1] = { (char *)node };
	uint32_t base;
	bool gone = true;
	int rc;

	*on = true;
	/* Apart: load_job's -ENOENT means "no such job", this one "no Slurm". */
	if ((rc = ev_slurm_ready(err)))
		return rc;
	if ((rc = load_job(jobid, SHOW_ALL, &msg, &j, "no longer has", err)) == -ENOENT) {
		*on = false;
		return 0;
	}
	if (rc)
		return rc;
	base = j->job_state & JOB_STATE_BASE;
	/* A completing job's node list is the nodes still in its epilogs. */
	if (((j->job_state & JOB_COMPLETING) || base == JOB_RUNNING || base == JOB_SUSPENDED) && j->nodes &&
	    *j->nodes)
		rc = ev_slurm_hostlist_not_in(j->nodes, names, 1, &gone, err);
	if (!rc)
		*on = !gone;
	slurm_free_job_info_msg(msg);
	return rc;
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
