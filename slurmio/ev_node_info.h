/* Publishing a node's EFA facts (AZ, placement group, instance type) in its
 * Slurm node record, and reading them back for a job's nodes. */
#ifndef EV_NODE_INFO_H
#define EV_NODE_INFO_H
#endif
