#include "config.h"

#include "ev_jobpeers.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "record/ev_hostlist.h"
#include "jobnet/ev_node_aliases.h"
#include "jobnet/ev_resolve.h"
#include "util/ev_time.h"
#include "ev_slurm_hosts.h"

/* NodeAddr of each unresolved name without an address yet into addr[]
 * (malloc'ed; NULL where slurmctld has none other than the name itself,
 * which did not resolve): one single-node read each in the Slurm module
 * (ev_slurm_node_addrs), never the whole node table, which every node of a
 * job would otherwise read at once at every job start. */
static int node_addrs(char **names, size_t n, const bool *resolved, char **addr, struct ev_err *err)
{
	size_t ask = 0;

	for (size_t k = 0; k < n; k++)
		ask += !resolved[k] && !addr[k];
	if (!ask)
		return 0;
	/* Every node of the job asks for all the others: the job start costs
	 * slurmctld nodes x asked reads. Past the bound, counting on the
	 * interfaces costs it nothing. */
	if (ask > EV_JOBPEERS_ASK_MAX)
		return ev_errf(err, -E2BIG,
			       "%zu of the job's node names do not resolve: more than %d to ask slurmctld for "
			       "one by one at each node (make the names resolve, e.g. in /etc/hosts)",
			       ask, EV_JOBPEERS_ASK_MAX);
	return ev_slurm_node_addrs(names, n, resolved, addr, err);
}

int ev_job_peer_addrs(const struct ev_jobenv *e, bool ask_slurm, struct ev_jobnet_peers *out,
		      struct ev_err *err)
{
	char **names = NULL, **addr = NULL, **hosts = NULL;
	bool *resolved = NULL, *hres = NULL;
	size_t n = 0, nh = 0;
	uint64_t start = ev_mono_ms();
	long left;
	int rc;

	if ((rc = ev_jobenv_peers(e, &names, &n, err)) || !n)
		return rc;
	if (!(resolved = calloc(n, sizeof(*resolved))) || !(addr = calloc(n, sizeof(*addr))) ||
	    !(hosts = calloc(n, sizeof(*hosts))) || !(hres = calloc(n, sizeof(*hres)))) {
		rc = ev_errf(err, -ENOMEM, "out of memory");
		goto out;
	}
	if ((rc = ev_resolve_names(names, n, EV_JOBPEERS_RESOLVE_MS, out, resolved, err)))
		goto out;
	/* What slurmd said, then what slurmctld says. */
	if ((rc = ev_node_aliases_addrs(getenv("SLURM_NODE_ALIASES"), names, n, resolved, addr, err)))
		goto out;
	for (size_t i = 0; i < n; i++) {
		if (resolved[i] || addr[i])
			continue;
		if (!ask_slurm) {
			rc = ev_errf(err, -ENOENT, "node %s: name does not resolve (and Slurm is not asked)",
				     names[i]);
			goto out;
		}
		if ((rc = node_addrs(names, n, resolved, addr, err)))
			goto out;
		break;
	}
	/* NodeAddr: an address (inet_pton, never taken as text further), or
	 * a name to look up in what is left of the time. */
	for (size_t i = 0; i < n; i++) {
		if (resolved[i])
			continue;
		if (!addr[i]) {
			rc = ev_errf(err, -ENOENT, "node %s: no address (its name does not resolve, no NodeAddr)",
				     names[i]);
			goto out;
		}
		if (ev_jobnet_peers_add_text(out, addr[i], NULL) == 0)
			resolved[i] = true;
		else
			hosts[nh++] = addr[i];
	}
	left = EV_JOBPEERS_RESOLVE_MS - (long)(ev_mono_ms() - start);
	if (nh && (rc = ev_resolve_names(hosts, nh, left > 200 ? left : 200, out, hres, err)))
		goto out;
	for (size_t i = 0, h = 0; i < n; i++) {
		if (resolved[i])
			continue;
		if (!hres[h++]) {
			rc = ev_errf(err, -ENOENT, "node %s: NodeAddr %.64s does not resolve", names[i], addr[i]);
			goto out;
		}
	}
out:
	for (size_t i = 0; addr && i < n; i++)
		free(addr[i]);
	free(addr);
	free(hosts);
	free(hres);
	free(resolved);
	ev_hostlist_free(names, n);
	return rc;
}
