/* libfabric's answer, kept per boot in state_dir/fabric.cache.
 *
 * Asking libfabric means loading it and every provider it has, which costs
 * a step tens to hundreds of milliseconds (Debian's build: ~400 ms for
 * psm2/infinipath constructors, bench/run). Whether the efa provider is
 * there does not change while a node runs, short of a package upgrade, so
 * an enforce step reuses a recent answer: a found provider for 10 minutes,
 * a missing one for 60 s (so a fix is seen soon). Ports, devices and
 * placement are still read fresh by every step. Root-only like the IMDS
 * cache: a regular 0600 file of ours, never through a symlink; anything
 * else is a miss. */
#ifndef EV_FABRIC_CACHE_H
#define EV_FABRIC_CACHE_H

#include <stdint.h>

#include "util/ev_err.h"
#include "node/ev_fabric.h"

#define EV_FABRIC_CACHE_TTL 600
#define EV_FABRIC_CACHE_NEG_TTL 60

/* 0 and *out on a fresh entry of this boot; -ENOENT on a miss (absent,
 * stale, other boot, refused: err says which where it matters). */
int ev_fabric_cache_load(const char *state_dir, const char *boot_id, uint64_t now,
			 struct ev_fabric_info *out, struct ev_err *err);
int ev_fabric_cache_save(const char *state_dir, const char *boot_id, uint64_t now,
			 const struct ev_fabric_info *in, struct ev_err *err);

#endif
