/* Whether a job has the whole node, so that every EFA NIC of it is one the
 * job could use: a job on part of a node shares the NICs with other jobs
 * (or leaves them idle by design), and is never degraded for idle NICs.
 *
 * The facts come from what slurmd gives a node's prolog (decoded in
 * slurmio/ev_jobenv.c, from the job's credential):
 *  - SLURM_JOB_EXCLUSIVE (26.05 on): NODE or TOPO is a whole node.
 *  - SLURM_JOB_OVERSUBSCRIBE (23.11 to 25.11, where EXCLUSIVE is absent):
 *    NO is --exclusive or an OverSubscribe=EXCLUSIVE partition. 26.05 says
 *    NO for any job that may not oversubscribe, so it is read only where
 *    EXCLUSIVE is absent.
 *  - SLURM_JOB_CPUS_PER_NODE (22.05 on): the job's CPUs on this node; all
 *    the CPUs the node has online is a whole node too (an exclusive job
 *    gets them all, and so does one that asked for every CPU).
 * Nothing here knows Slurm: the caller passes the values. */
#ifndef EV_WHOLE_NODE_H
#define EV_WHOLE_NODE_H

#include <stddef.h>

#include "util/ev_err.h"

enum ev_whole { EV_WHOLE_UNKNOWN, EV_WHOLE_YES, EV_WHOLE_NO };

#define EV_WHOLE_WHY_MAX 40

struct ev_whole_in {
	const char *exclusive;       /* SLURM_JOB_EXCLUSIVE; NULL = not given */
	const char *oversubscribe;   /* SLURM_JOB_OVERSUBSCRIBE; NULL = not given */
	unsigned job_cpus;           /* the job's CPUs on this node; 0 = not known */
	unsigned node_cpus;          /* CPUs online on this node; 0 = not known */
};

struct ev_whole_node {
	enum ev_whole whole;
	/* Why, as a reason token: "exclusive", "all_cpus:96/96", "cpus:8/96",
	 * "no_cpu_counts", ... */
	char why[EV_WHOLE_WHY_MAX];
};

void ev_whole_node_judge(const struct ev_whole_in *in, struct ev_whole_node *out);

const char *ev_whole_name(enum ev_whole w);          /* "yes", "no", "unknown" */
/* -1 if not one of those names. */
int ev_whole_from_name(const char *s);

/* The count in a CPU list as the kernel prints one ("0-95", "0,2-5"):
 * -EINVAL for anything else. */
int ev_cpu_list_count(const char *list, unsigned *n);
/* CPUs online: sysfs_root/devices/system/cpu/online. */
int ev_cpus_online(const char *sysfs_root, unsigned *n, struct ev_err *err);
/* Entry idx of a Slurm CPU count list, "96(x2),48" (one entry per node, in
 * the job's node order); n_nodes, if not 0, must be the list's length.
 * -EINVAL for a malformed list, -ERANGE for an idx past its end. */
int ev_cpus_per_node_at(const char *spec, size_t idx, size_t n_nodes, unsigned *out);

#endif
