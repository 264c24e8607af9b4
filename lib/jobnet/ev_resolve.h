/* Host names to addresses, bounded in time: the prolog resolves the job's
 * other nodes at every job start, and a slow or absent DNS server must not
 * hold it up. Names are looked up by worker threads (one per 64 names, at
 * most 8) while the caller waits; whatever has not answered when the time
 * is up counts as not resolved, and its thread is left to finish on its
 * own. */
#ifndef EV_RESOLVE_H
#define EV_RESOLVE_H

#include <stdbool.h>
#include <stddef.h>

#include "util/ev_err.h"
#include "jobnet/ev_jobnet.h"

/* Add every IPv4 and IPv6 address of names[i] to out and set resolved[i]
 * when it had any. A name that does not resolve is not an error (the
 * caller asks elsewhere); only -ENOMEM and the resolver failing to start
 * are. */
int ev_resolve_names(char *const *names, size_t n, long timeout_ms, struct ev_jobnet_peers *out, bool *resolved,
		     struct ev_err *err);

/* The same, each address handed to fn with the index of its name (for a
 * caller that keeps them per name); fn's non-zero return stops and is
 * returned. */
typedef int (*ev_resolve_fn)(void *ctx, size_t i, int family, const void *addr, struct ev_err *err);
int ev_resolve_names_each(char *const *names, size_t n, long timeout_ms, ev_resolve_fn fn, void *ctx,
			  bool *resolved, struct ev_err *err);

#endif
