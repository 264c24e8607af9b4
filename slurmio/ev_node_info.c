#include "ev_node_info.h"

#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "ev_slurm_compat.h"

int ev_node_drain(const char *node, const char *reason, struct ev_err *err)
{
	update_node_msg_t msg;
	char why[512];

	slurm_init_update_node_msg(&msg);
	snprintf(why, sizeof(why), "efa-verify: %s", reason);
	msg.node_names = (char *)node;
	msg.node_state = NODE_STATE_DRAIN;
	msg.reason = why;
	ev_slurm_reason_uid(&msg, getuid());
	if (slurm_update_node(&msg) != SLURM_SUCCESS)
		return ev_errf(err, -EIO, "cannot drain %s: %s", node, slurm_strerror(ev_slurm_errno()));
	return 0;
}

/* Slurm 23.11's SchedulerParameters=extra_constraints makes a node's Extra
 * something jobs' --extra filters are matched against: the site's, not a
 * place for our facts. Asked only when about to publish (once per boot per
 * node), so an enforce step normally costs no extra RPC. */
static int extra_is_sites(bool *yes, struct ev_err *err)
{
	slurm_conf_t *conf = NULL;
	const char *p;

	*yes = false;
	if (slurm_load_ctl_conf((time_t)0, &conf) != SLURM_SUCCESS || !conf) {
		if (conf)
			ev_slurm_free_conf(conf);
		return ev_errf(err, -EIO, "cannot read slurmctld's configuration: %s",
			       slurm_strerror(ev_slurm_errno()));
	}
	for (p = conf->sched_params; p && *p;) {
		size_t len = strcspn(p, ",");

		if (len == strlen("extra_constraints") && strncmp(p, "extra_constraints", len) == 0)
			*yes = true;
		p += len;
		p += *p == ',';
	}
	ev_slurm_free_conf(conf);
	return 0;
}

int ev_job_nodes(uint32_t jobid, char **nodes, struct ev_err *err)
{
	job_info_msg_t *msg = NULL;
	size_t len = 0, at = 0;
	char *out = NULL;

	*nodes = NULL;
	if (ev_slurm_load_job(&msg, jobid, SHOW_ALL) != SLURM_SUCCESS || !msg) {
		int e = ev_slurm_errno();

		if (e == ESLURM_INVALID_JOB_ID)
			return ev_errf(err, -ENOENT, "slurmctld has no job %u", jobid);
		return ev_errf(err, -EIO, "cannot read job %u from slurmctld: %s", jobid, slurm_strerror(e));
	}
	/* The id of an array's first task also names the whole array, whose
	 * other tasks are other jobs: only this job's record, or the
	 * components of the het job it leads, count. Their lists are joined
	 * with commas, which a host list reads as one (no hostlist string
	 * call: 23.11 dropped the malloc'ing one from the public API). */
	for (int pass = 0; pass < 2; pass++) {
		for (uint32_t i = 0; i < msg->record_count; i++) {
			const slurm_job_info_t *j = &msg->job_array[i];
			size_t l;

			if ((j->job_id != jobid && !(j->het_job_id && j->het_job_id == jobid)) || !j->nodes ||
			    !*j->nodes)
				continue;
			l = strlen(j->nodes);
			if (pass == 0) {
				len += l + 1;
				continue;
			}
			if (at)
				out[at++] = ',';
			memcpy(out + at, j->nodes, l);
			at += l;
		}
		if (pass == 0) {
			if (!len) {
				slurm_free_job_info_msg(msg);
				return ev_errf(err, -ENOENT, "slurmctld has no nodes for job %u", jobid);
			}
			if (!(out = malloc(len))) {
				slurm_free_job_info_msg(msg);
				return ev_errf(err, -ENOMEM, "out of memory");
			}
		}
	}
	out[at] = '\0';
	slurm_free_job_info_msg(msg);
	*nodes = out;
	return 0;
}

/* One node's record: name checked, as slurmctld may answer with none. */
static int load_one(const char *node, node_info_msg_t **msg, struct ev_err *err)
{
	*msg = NULL;
	if (slurm_load_node_single(msg, (char *)node, SHOW_ALL) != SLURM_SUCCESS || !*msg)
		return ev_errf(err, -EIO, "cannot read node %s from slurmctld: %s", node,
			       slurm_strerror(ev_slurm_errno()));
	if ((*msg)->record_count != 1 || !(*msg)->node_array[0].name ||
	    strcmp((*msg)->node_array[0].name, node) != 0) {
		slurm_free_node_info_msg(*msg);
		*msg = NULL;
		return ev_errf(err, -ENOENT, "slurmctld does not know node %s", node);
	}
	return 0;
}

int ev_nodes_sync_facts(const char *nodelist, const char *self_node, const char *facts,
			struct ev_peer *peers, size_t cap, size_t *n, struct ev_err *err)
{
	node_info_msg_t *msg = NULL;
	ev_hostlist_t *hl;
	char *ref = NULL, *h;
	bool publish = false, self_seen = false;
	int rc;

	*n = 0;
	hl = slurm_hostlist_create(nodelist);
	if (!hl)
		return ev_errf(err, -EINVAL, "bad node list '%.64s'", nodelist);
	/* The reference: the job's first node other than this one. */
	while ((h = slurm_hostlist_shift(hl))) {
		if (strcmp(h, self_node) == 0)
			self_seen = true;
		else if (!ref)
			ref = strdup(h);
		free(h);
		if (self_seen && ref)
			break;
	}
	slurm_hostlist_destroy(hl);
	/* The name comes from slurmstepd itself, so this should not happen;
	 * if it does, this node speaks for nobody. */
	if (!self_seen) {
		free(ref);
		return ev_errf(err, -ESRCH, "%s is not one of the job's nodes (%.64s)", self_node, nodelist);
	}
	if ((rc = load_one(self_node, &msg, err))) {
		free(ref);
		return rc;
	}
	publish = ev_placement_facts_should_publish(msg->node_array[0].extra, facts, EV_PLACEMENT_FACTS_MAX_AGE);
	slurm_free_node_info_msg(msg);
	if (ref && cap) {
		struct ev_peer *p = &peers[0];

		rc = load_one(ref, &msg, err);
		free(ref);
		if (rc)
			return rc;
		memset(p, 0, sizeof(*p));
		snprintf(p->node, sizeof(p->node), "%s", msg->node_array[0].name);
		ev_placement_facts_parse(msg->node_array[0].extra, p);
		p->node_boot = (int64_t)msg->node_array[0].boot_time;
		slurm_free_node_info_msg(msg);
		*n = 1;
	} else {
		free(ref);
	}
	if (publish) {
		update_node_msg_t up;
		bool sites;

		if ((rc = extra_is_sites(&sites, err)))
			return rc;
		if (sites)
			return ev_errf(err, -ENOTSUP,
				       "SchedulerParameters=extra_constraints: node Extra is matched against "
				       "jobs' --extra, so efa-verify does not publish placement there");
		slurm_init_update_node_msg(&up);
		up.node_names = (char *)self_node;
		up.extra = (char *)facts;
		if (slurm_update_node(&up) != SLURM_SUCCESS)
			return ev_errf(err, -EIO, "cannot publish %s's placement: %s", self_node,
				       slurm_strerror(ev_slurm_errno()));
	}
	return 0;
}
