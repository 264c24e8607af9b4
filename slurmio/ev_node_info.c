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

int ev_nodes_sync_facts(const char *nodelist, const char *self_node, const char *facts,
			struct ev_peer *peers, size_t cap, size_t *n, struct ev_err *err)
{
	node_info_msg_t *msg = NULL;
	ev_hostlist_t *hl;
	bool publish = false;

	*n = 0;
	hl = slurm_hostlist_create(nodelist);
	if (!hl)
		return ev_errf(err, -EINVAL, "bad node list '%.64s'", nodelist);
	if (slurm_load_node((time_t)0, &msg, SHOW_ALL) != SLURM_SUCCESS) {
		slurm_hostlist_destroy(hl);
		return ev_errf(err, -EIO, "cannot read node records: %s", slurm_strerror(ev_slurm_errno()));
	}
	for (uint32_t i = 0; i < msg->record_count; i++) {
		node_info_t *ni = &msg->node_array[i];
		struct ev_peer *p;

		if (!ni->name || slurm_hostlist_find(hl, ni->name) < 0)
			continue;
		if (strcmp(ni->name, self_node) == 0) {
			const char *ex = ni->extra ? ni->extra : "";

			/* Only our own text, or nothing, is ever replaced. */
			publish = strcmp(ex, facts) != 0 &&
				  (!*ex || strncmp(ex, EV_FACTS_PREFIX, strlen(EV_FACTS_PREFIX)) == 0);
			continue;
		}
		if (*n >= cap)
			continue;
		p = &peers[(*n)++];
		memset(p, 0, sizeof(*p));
		snprintf(p->node, sizeof(p->node), "%s", ni->name);
		ev_facts_parse(ni->extra, p);
	}
	slurm_free_node_info_msg(msg);
	slurm_hostlist_destroy(hl);
	if (publish) {
		update_node_msg_t up;
		bool sites;
		int rc;

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
