/* The little efa-verify asks of slurmctld about nodes, through libslurm. */
#ifndef EV_NODE_INFO_H
#define EV_NODE_INFO_H

#include <stddef.h>

#include "ev_err.h"
#include "ev_placement.h"

/* Drain node with reason (prefixed "efa-verify: "). Needs root. */
int ev_node_drain(const char *node, const char *reason, struct ev_err *err);

/* Read every node of nodelist in one RPC into peers (cap entries), each with
 * its published placement facts if any; and, for self_node, make sure its
 * record's Extra holds facts (written only if different, and never over an
 * Extra value that is not efa-verify's). Where slurmctld has
 * SchedulerParameters=extra_constraints, Extra is the site's (jobs' --extra
 * filters match it): nothing is published and -ENOTSUP says why. */
int ev_nodes_sync_facts(const char *nodelist, const char *self_node, const char *facts,
			struct ev_peer *peers, size_t cap, size_t *n, struct ev_err *err);

#endif
