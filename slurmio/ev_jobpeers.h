/* The addresses of a job's other nodes, for the job's nftables table
 * (ev_jobnet): what the prolog knows of the job, looked up. */
#ifndef EV_JOBPEERS_H
#define EV_JOBPEERS_H

#include <stdbool.h>

#include "util/ev_err.h"
#include "ev_jobenv.h"
#include "jobnet/ev_jobnet.h"
#include "state/ev_peer_cache.h"

/* How long the names may take to resolve, all together. */
#define EV_JOBPEERS_RESOLVE_MS 1000

/* Names that do not resolve that a prolog asks slurmctld about, one
 * single-node read each. Every node of the job asks, so a job start costs
 * slurmctld up to nodes x this many small reads; beyond it the job's TCP is
 * counted on the interfaces and the log says why. */
#define EV_JOBPEERS_ASK_MAX 32

/* Every address of every other node of the job: from cache what it learned
 * lately (state/ev_peer_cache.h; NULL: none), each other name looked up at
 * once (bounded); for the names that did not resolve, the address slurmd
 * gave in SLURM_NODE_ALIASES (cloud nodes, Slurm up to 23.02), then, with
 * ask_slurm, the NodeAddr of each one's slurmctld node record (one small RPC
 * per name, at most EV_JOBPEERS_ASK_MAX names, else -E2BIG; never the whole
 * node table; a NodeAddr that is itself a name is looked up in what is
 * left of the time). What is learned goes into cache, with where it came
 * from (the caller stores it). 0, or -ENOENT naming a node whose address
 * stays unknown: no guess is made. out is added to (free it either way). */
int ev_job_peer_addrs(const struct ev_jobenv *e, bool ask_slurm, struct ev_peer_cache *cache, int64_t now,
		      struct ev_jobnet_peers *out, struct ev_err *err);

/* Off the job-start path (the epilog): look up again, within timeout_ms,
 * the job's other nodes that cache lacks or learned from DNS at least
 * EV_PEER_CACHE_REFRESH_S ago, so the next job start finds them fresh.
 * DNS only: no RPC. *refreshed: names learned. */
int ev_job_peers_refresh(const struct ev_jobenv *e, struct ev_peer_cache *cache, int64_t now, long timeout_ms,
			 size_t *refreshed, struct ev_err *err);

#endif
