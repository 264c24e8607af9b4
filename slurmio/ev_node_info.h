/* The little efa-verify asks of slurmctld about nodes, through libslurm. */
#ifndef EV_NODE_INFO_H
#define EV_NODE_INFO_H

#include "ev_err.h"

/* Drain node with reason (prefixed "efa-verify: "). Needs root. */
int ev_node_drain(const char *node, const char *reason, struct ev_err *err);

#endif
