/* What the prolog and epilog know of a job on this node, from slurmd's
 * environment (or slurmctld) as the caller read it: lib/job takes plain
 * values and never asks Slurm. */
#ifndef EV_JOB_FACTS_H
#define EV_JOB_FACTS_H

#include <stdbool.h>
#include <stdint.h>

struct ev_job_facts {
	uint32_t jobid;
	const char *node;            /* this node: a plain host name */
	unsigned job_nodes;          /* nodes in the job; 0 = not known */
	const char *first;           /* the job's first node; "" = not known */
	bool have_uid;               /* uid is the job's user */
	uint32_t uid;
	/* Whether the job has the whole node (ev_whole_node.h); the prolog
	 * alone reads them. NULL = not given, job_cpus 0 = not known. */
	const char *exclusive, *oversubscribe;
	unsigned job_cpus;
	/* The job's user name, account and partition as slurmd gave the
	 * epilog (NULL: not given); only the textfile metrics show them, and
	 * they make them fit a label value (ev_prom.h). */
	const char *user, *account, *partition;
	/* Where the boot id is read (NULL: /proc); a test's own tree. */
	const char *proc_root;
};

#endif
