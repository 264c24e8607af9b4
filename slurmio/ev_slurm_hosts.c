#include "config.h"

#include "ev_slurm_hosts.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "ev_ctld.h"
#include "config/ev_config.h"
#include "record/ev_hostlist.h"
#include "ev_slurm_compat.h"

int ev_slurm_hostlist_expand(const char *list, size_t max, char ***names, size_t *n, struct ev_err *err)
{
	ev_hostlist_t *hl = slurm_hostlist_create(list);
	char **v = NULL, *h;
	size_t cnt = 0, total;
	int rc = 0;

	*names = NULL;
	*n = 0;
	if (!hl)
		return ev_errf(err, -EINVAL, "Slurm cannot read the node list '%.64s'", list);
	total = (size_t)slurm_hostlist_count(hl);
	if (total > max)
		rc = ev_errf(err, -E2BIG, "the node list '%.64s' has more than %zu names", list, max);
	else if (!(v = calloc(total + 1, sizeof(*v))))
		rc = ev_errf(err, -ENOMEM, "out of memory");
	/* Slurm's allocations, not ours: copied into our own heap. */
	while (!rc && cnt < total && (h = slurm_hostlist_shift(hl))) {
		/* Plain host names only, as lib's reader gives them. */
		if (!ev_valid_nodename(h) || strlen(h) >= EV_NAME_MAX)
			rc = ev_errf(err, -EINVAL, "node name in '%.64s' refused", list);
		else if (!(v[cnt] = strdup(h)))
			rc = ev_errf(err, -ENOMEM, "out of memory");
		else
			cnt++;
		free(h);
	}
	slurm_hostlist_destroy(hl);
	if (rc) {
		ev_hostlist_free(v, cnt);
		return rc;
	}
	*names = v;
	*n = cnt;
	return 0;
}

int ev_slurm_job_nodelist(uint32_t jobid, unsigned *num, char **nodes, struct ev_err *err)
{
	job_info_msg_t *msg = NULL;
	int rc = 0;

	*num = 0;
	*nodes = NULL;
	if ((rc = ev_slurm_ready(err)))
		return rc;
	if (ev_slurm_load_job(&msg, jobid, SHOW_DETAIL) != SLURM_SUCCESS || !msg)
		return ev_errf(err, -EIO, "cannot read job %u from slurmctld: %s", jobid,
			       slurm_strerror(ev_slurm_errno()));
	if (msg->record_count < 1) {
		rc = ev_errf(err, -ENOENT, "slurmctld has no job %u", jobid);
	} else {
		*num = msg->job_array[0].num_nodes;
		if (msg->job_array[0].nodes && !(*nodes = strdup(msg->job_array[0].nodes)))
			rc = ev_errf(err, -ENOMEM, "out of memory");
	}
	slurm_free_job_info_msg(msg);
	return rc;
}

int ev_slurm_node_addrs(char **names, size_t n, const bool *resolved, char **addr, struct ev_err *err)
{
	int rc;

	if ((rc = ev_slurm_ready(err)))
		return rc;
	/* One single-node read per name: its reply is one record whatever the
	 * cluster's size (the caller bounds how many). */
	for (size_t k = 0; k < n; k++) {
		node_info_msg_t *msg = NULL;
		const node_info_t *ni;

		if (resolved[k] || addr[k])
			continue;
		if (slurm_load_node_single(&msg, names[k], SHOW_ALL) != SLURM_SUCCESS || !msg)
			return ev_errf(err, -EIO, "cannot read node %s from slurmctld: %s", names[k],
				       slurm_strerror(ev_slurm_errno()));
		ni = msg->record_count == 1 ? &msg->node_array[0] : NULL;
		if (ni && ni->name && strcmp(ni->name, names[k]) == 0 && ni->node_addr && *ni->node_addr &&
		    strcmp(ni->node_addr, ni->name) != 0 && !(addr[k] = strdup(ni->node_addr)))
			rc = ev_errf(err, -ENOMEM, "out of memory");
		slurm_free_node_info_msg(msg);
		if (rc)
			return rc;
	}
	return 0;
}

int ev_slurm_hostlist_not_in(const char *list, char *const *names, size_t n, bool *out, struct ev_err *err)
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
