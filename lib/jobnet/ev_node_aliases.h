/* SLURM_NODE_ALIASES: the addresses slurmd hands a prolog for cloud nodes
 * (Slurm up to 23.02), "name:addr:host,name:[v6addr]:host,...". The prolog
 * takes a job's peers from there when their names do not resolve. */
#ifndef EV_NODE_ALIASES_H
#define EV_NODE_ALIASES_H

#include <stdbool.h>
#include <stddef.h>

#include "util/ev_err.h"

/* For each names[k] that is not skip[k] and has no addr[k] yet, the address
 * of its entry in aliases (malloc'ed into addr[k]; the first entry of a
 * name wins). The address is taken as text, without its brackets, and is
 * only ever read as an address later (inet_pton). A malformed entry ends
 * the reading: the entries after it cannot be told apart, and names left
 * without an address are looked up elsewhere. aliases may be NULL.
 * 0, or -ENOMEM. */
int ev_node_aliases_addrs(const char *aliases, char *const *names, size_t n, const bool *skip, char **addr,
			  struct ev_err *err);

#endif
