/* The little efa-verify asks of slurmctld about nodes, through libslurm. */
#ifndef EV_NODE_INFO_H
#define EV_NODE_INFO_H

#include <stddef.h>
#include <stdint.h>

#include "util/ev_err.h"
#include "aws/ev_placement.h"

/* Drain node with reason (prefixed "efa-verify: "). Needs root. */
int ev_node_drain(const char *node, const char *reason, struct ev_err *err);

/* The nodes slurmctld allocated to job jobid (its het job components
 * included), as a Slurm host list in *nodes (free() it): one RPC. A step
 * compares its placement with these, never with a node list from the job's
 * environment, which the job's user sets. -ENOENT if slurmctld has no
 * running job of that id. */
int ev_job_nodes(uint32_t jobid, char **nodes, struct ev_err *err);

/* This node's placement against one reference: the first node of
 * nodelist other than self_node (the job's first node; the first node's is
 * the second). peers gets the reference's published facts and boot time
 * (*n = 1; 0 for a one-node job). For self_node, make sure its record's
 * Extra holds current facts (ev_placement_facts_should_publish: written once per boot
 * and half-bound, never over an Extra value that is not efa-verify's).
 *
 * Why one reference and not every node of the job: every node of a step
 * runs this at launch, so comparing with all of them would make each node
 * read the whole node table (a 1,024-node step: 1,024 whole-table reads,
 * megabytes each at 8,192 nodes). Agreeing with one reference is
 * agreeing with each other: a node placed apart from the reference refuses
 * the step itself, and when the reference is the one apart, every other
 * node refuses. Cost: two single-node reads per node (its own record, the
 * reference's), whatever the job's and the cluster's size.
 *
 * -ESRCH if self_node is not in nodelist: nothing is then published.
 * Where slurmctld has SchedulerParameters=extra_constraints, Extra is the
 * site's (jobs' --extra filters match it): nothing is published and
 * -ENOTSUP says why. */
int ev_nodes_sync_facts(const char *nodelist, const char *self_node, const char *facts,
			struct ev_peer *peers, size_t cap, size_t *n, struct ev_err *err);

#endif
