#include "config.h"

#include "ev_jobpeers.h"

#include <arpa/inet.h>
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

/* What is learned of each name, for the cache: its addresses, added to
 * the job's peers as they come. */
struct learned {
	struct ev_jobnet_peers *out;
	const size_t *index;          /* into names[], for the looked-up list's i */
	struct ev_peer_addr (*addr)[EV_PEER_ADDRS];
	unsigned *n;
};

static int learn(void *ctx, size_t i, int family, const void *a, struct ev_err *err)
{
	struct learned *l = ctx;
	size_t k = l->index[i];

	if (l->n[k] < EV_PEER_ADDRS) {
		struct ev_peer_addr *pa = &l->addr[k][l->n[k]++];

		pa->family = family;
		memcpy(&pa->a, a, family == AF_INET ? sizeof(struct in_addr) : sizeof(struct in6_addr));
	}
	return ev_jobnet_peers_add(l->out, family, a, err);
}

/* Look up names[index[0..m)] (within timeout_ms), each one's addresses
 * into the job's peers and the cache as learned from src. */
static int look_up(char **names, const size_t *index, size_t m, long timeout_ms, enum ev_peer_source src,
		   struct ev_peer_cache *cache, int64_t now, struct learned *l, bool *resolved, struct ev_err *err)
{
	char **list = malloc((m ? m : 1) * sizeof(*list));
	bool *ok = calloc(m ? m : 1, sizeof(*ok));
	int rc = 0;

	if (!list || !ok) {
		rc = ev_errf(err, -ENOMEM, "out of memory");
		goto out;
	}
	for (size_t j = 0; j < m; j++)
		list[j] = names[index[j]];
	l->index = index;
	if (m && (rc = ev_resolve_names_each(list, m, timeout_ms, learn, l, ok, err)))
		goto out;
	for (size_t j = 0; j < m; j++) {
		size_t k = index[j];

		if (!ok[j])
			continue;
		resolved[k] = true;
		if (cache)
			ev_peer_cache_put(cache, names[k], src, now, l->addr[k], l->n[k], NULL);
	}
out:
	free(list);
	free(ok);
	return rc;
}

/* Take names[k] from the cache when it learned it lately. */
static void from_cache(struct ev_peer_cache *cache, int64_t now, char **names, size_t n, bool *resolved,
		       struct ev_jobnet_peers *out)
{
	for (size_t k = 0; cache && k < n; k++) {
		const struct ev_peer_entry *e = ev_peer_cache_find(cache, names[k]);

		if (!ev_peer_entry_fresh(e, now))
			continue;
		for (unsigned a = 0; a < e->n; a++)
			if (ev_jobnet_peers_add(out, e->addr[a].family, &e->addr[a].a, NULL) != 0)
				return;
		resolved[k] = true;
	}
}

/* An address given as text (SLURM_NODE_ALIASES, NodeAddr) into the job's
 * peers and, parsed, into the cache: 0, or -1 if it is not an address. */
static int take_text(const char *name, const char *text, enum ev_peer_source src, struct ev_peer_cache *cache,
		     int64_t now, struct ev_jobnet_peers *out)
{
	struct ev_peer_addr pa = { .family = AF_INET };

	if (inet_pton(AF_INET, text, &pa.a.v4) != 1) {
		pa.family = AF_INET6;
		if (inet_pton(AF_INET6, text, &pa.a.v6) != 1)
			return -1;
	}
	if (ev_jobnet_peers_add(out, pa.family, &pa.a, NULL) != 0)
		return -1;
	if (cache)
		ev_peer_cache_put(cache, name, src, now, &pa, 1, NULL);
	return 0;
}

int ev_job_peer_addrs(const struct ev_jobenv *e, bool ask_slurm, struct ev_peer_cache *cache, int64_t now,
		      struct ev_jobnet_peers *out, struct ev_err *err)
{
	char **names = NULL, **addr = NULL;
	bool *resolved = NULL, *alias = NULL;
	size_t *index = NULL, n = 0, m = 0;
	struct learned l = { out, NULL, NULL, NULL };
	uint64_t start = ev_mono_ms();
	long left;
	int rc;

	if ((rc = ev_jobenv_peers(e, &names, &n, err)) || !n)
		return rc;
	if (!(resolved = calloc(n, sizeof(*resolved))) || !(addr = calloc(n, sizeof(*addr))) ||
	    !(alias = calloc(n, sizeof(*alias))) ||
	    !(index = calloc(n, sizeof(*index))) || !(l.addr = calloc(n, sizeof(*l.addr))) ||
	    !(l.n = calloc(n, sizeof(*l.n)))) {
		rc = ev_errf(err, -ENOMEM, "out of memory");
		goto out;
	}
	from_cache(cache, now, names, n, resolved, out);
	for (size_t k = 0; k < n; k++)
		if (!resolved[k])
			index[m++] = k;
	if ((rc = look_up(names, index, m, EV_JOBPEERS_RESOLVE_MS, EV_PEER_SRC_DNS, cache, now, &l, resolved, err)))
		goto out;
	/* What slurmd said, then what slurmctld says. */
	if ((rc = ev_node_aliases_addrs(getenv("SLURM_NODE_ALIASES"), names, n, resolved, addr, err)))
		goto out;
	for (size_t i = 0; i < n; i++)
		alias[i] = addr[i] != NULL;
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
	/* An address (inet_pton, never taken as text further), or a name to
	 * look up in what is left of the time. */
	m = 0;
	for (size_t i = 0; i < n; i++) {
		if (resolved[i])
			continue;
		if (!addr[i]) {
			rc = ev_errf(err, -ENOENT, "node %s: no address (its name does not resolve, no NodeAddr)",
				     names[i]);
			goto out;
		}
		if (take_text(names[i], addr[i], alias[i] ? EV_PEER_SRC_ALIAS : EV_PEER_SRC_NODEADDR, cache, now,
			      out) == 0)
			resolved[i] = true;
		else
			index[m++] = i;
	}
	left = EV_JOBPEERS_RESOLVE_MS - (long)(ev_mono_ms() - start);
	/* A NodeAddr that is a name: looked up as such (swapped in for the
	 * node's name, and back), kept under the node's. */
	for (size_t j = 0; j < m; j++) {
		char *t = names[index[j]];

		names[index[j]] = addr[index[j]];
		addr[index[j]] = t;
	}
	rc = look_up(names, index, m, left > 200 ? left : 200, EV_PEER_SRC_NODEADDR, NULL, now, &l, resolved, err);
	for (size_t j = 0; j < m; j++) {
		size_t k = index[j];
		char *t = names[k];

		names[k] = addr[k];
		addr[k] = t;
		if (!rc && resolved[k] && cache)
			ev_peer_cache_put(cache, names[k], EV_PEER_SRC_NODEADDR, now, l.addr[k], l.n[k], NULL);
	}
	if (rc)
		goto out;
	for (size_t i = 0; i < n; i++) {
		if (!resolved[i]) {
			rc = ev_errf(err, -ENOENT, "node %s: NodeAddr %.64s does not resolve", names[i], addr[i]);
			goto out;
		}
	}
out:
	for (size_t i = 0; addr && i < n; i++)
		free(addr[i]);
	free(addr);
	free(alias);
	free(index);
	free(l.addr);
	free(l.n);
	free(resolved);
	ev_hostlist_free(names, n);
	return rc;
}

int ev_job_peers_refresh(const struct ev_jobenv *e, struct ev_peer_cache *cache, int64_t now, long timeout_ms,
			 size_t *refreshed, struct ev_err *err)
{
	char **names = NULL;
	bool *resolved = NULL;
	size_t *index = NULL, n = 0, m = 0;
	struct ev_jobnet_peers scratch = { 0 };
	struct learned l = { &scratch, NULL, NULL, NULL };
	int rc;

	*refreshed = 0;
	if ((rc = ev_jobenv_peers(e, &names, &n, err)) || !n)
		return rc;
	if (!(resolved = calloc(n, sizeof(*resolved))) || !(index = calloc(n, sizeof(*index))) ||
	    !(l.addr = calloc(n, sizeof(*l.addr))) || !(l.n = calloc(n, sizeof(*l.n)))) {
		rc = ev_errf(err, -ENOMEM, "out of memory");
		goto out;
	}
	/* Only names the cache learned from DNS (an alias or NodeAddr comes
	 * with the next job start) and learned a while ago. */
	for (size_t k = 0; k < n; k++) {
		const struct ev_peer_entry *c = ev_peer_cache_find(cache, names[k]);

		if (!c || (c->source == EV_PEER_SRC_DNS && (c->learned > now ||
							      now - c->learned >= EV_PEER_CACHE_REFRESH_S)))
			index[m++] = k;
	}
	rc = look_up(names, index, m, timeout_ms, EV_PEER_SRC_DNS, cache, now, &l, resolved, err);
	for (size_t j = 0; j < m; j++)
		*refreshed += resolved[index[j]];
out:
	ev_jobnet_peers_free(&scratch);
	free(resolved);
	free(index);
	free(l.addr);
	free(l.n);
	ev_hostlist_free(names, n);
	return rc;
}
