/* This node's cache of Slurm node names to addresses, with where each came
 * from and when, for the prolog's peer addresses (the job's own TCP is
 * counted against them). Every node of a job resolves every other node's
 * name at the job's start, all at once: 67 million lookups at an
 * 8,192-node job, more than one second allows. Names and addresses of a
 * cluster's nodes change rarely (a node replaced, a cloud node powered
 * up), so each node keeps what it learned and asks again only for names
 * it lacks or learned long ago; the epilog, off the job-start path,
 * refreshes the job's peers that are getting old.
 *
 * state_dir/peers, root's own file, replaced whole (atomically):
 *   efa-verify-peers 1
 *   NAME SOURCE LEARNED ADDR[,ADDR...]
 * sorted by name; SOURCE dns, alias (SLURM_NODE_ALIASES) or nodeaddr
 * (slurmctld's NodeAddr); LEARNED in Unix seconds. A file that is not
 * root's own, or does not parse, is no cache: names are resolved again. */
#ifndef EV_PEER_CACHE_H
#define EV_PEER_CACHE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <netinet/in.h>

#include "util/ev_err.h"
#include "util/ev_limits.h"

/* Younger entries are taken as they are. A name whose address changed
 * counts the new address's traffic as the job's TCP no earlier than this
 * (interface counters would not tell it at all). */
#define EV_PEER_CACHE_TTL_S 3600
/* The epilog refreshes the job's peers learned longer ago than this. */
#define EV_PEER_CACHE_REFRESH_S (EV_PEER_CACHE_TTL_S / 2)
/* Names kept (a cluster's nodes); beyond it, the oldest go. */
#define EV_PEER_CACHE_MAX 65536
#define EV_PEER_ADDRS 4

enum ev_peer_source { EV_PEER_SRC_DNS, EV_PEER_SRC_ALIAS, EV_PEER_SRC_NODEADDR, EV_PEER_SRC__COUNT };

struct ev_peer_addr {
	int family;                  /* AF_INET or AF_INET6 */
	union {
		struct in_addr v4;
		struct in6_addr v6;
	} a;
};

struct ev_peer_entry {
	char name[EV_NAME_MAX];
	enum ev_peer_source source;
	int64_t learned;
	unsigned n;
	struct ev_peer_addr addr[EV_PEER_ADDRS];
};

struct ev_peer_cache {
	struct ev_peer_entry *e;
	size_t n, cap;
	bool sorted;                 /* by name, one entry each */
	bool changed;                /* put since load: store writes */
};

const char *ev_peer_source_name(enum ev_peer_source s);

/* The cache as stored (none: empty, 0). A file that is not root's own
 * private file, too large or malformed is an empty cache, -EBADMSG and
 * err saying why (the caller logs it and goes on). */
int ev_peer_cache_load(const char *state_dir, struct ev_peer_cache *c, struct ev_err *err);
/* name's entry, or NULL. */
const struct ev_peer_entry *ev_peer_cache_find(struct ev_peer_cache *c, const char *name);
/* Whether e may be taken as it is at now. */
bool ev_peer_entry_fresh(const struct ev_peer_entry *e, int64_t now);
/* name's addresses as learned from src at now (replacing what it had;
 * past EV_PEER_ADDRS dropped). -EINVAL for a name that is not a node
 * name or no address. */
int ev_peer_cache_put(struct ev_peer_cache *c, const char *name, enum ev_peer_source src, int64_t now,
		      const struct ev_peer_addr *addrs, unsigned n, struct ev_err *err);
/* Written back when changed (sorted, the oldest dropped past the cap). */
int ev_peer_cache_store(const char *state_dir, struct ev_peer_cache *c, struct ev_err *err);
void ev_peer_cache_free(struct ev_peer_cache *c);

#endif
