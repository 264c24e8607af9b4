/* What slurmd tells a Prolog/Epilog in its environment, checked. slurmd
 * sets these itself (the job's own environment is not passed), so they can
 * be trusted more than anything a job step sees; still, each is validated
 * before it names a file. */
#ifndef EV_JOBENV_H
#define EV_JOBENV_H

#include <stdbool.h>
#include <stdint.h>

#include "config/ev_config.h"
#include "util/ev_err.h"
#include "config/ev_mode.h"
#include "job/ev_job_facts.h"
#include "job/ev_msgs.h"

/* A job's node list as Slurm writes it ("n[1-4,7]"); a longer one is not
 * kept (the job's inter-node TCP is then counted on interfaces). */
#define EV_NODELIST_MAX 8192

struct ev_jobenv {
	uint32_t jobid;
	char node[EV_NAME_MAX];
	unsigned job_nodes;          /* from the node list slurmd gave, or slurmctld; 0 = not known */
	char first[EV_NAME_MAX];     /* the job's first node, which writes its record; "" = not known */
	char nodelist[EV_NODELIST_MAX]; /* the job's nodes (slurmd's list, or slurmctld's); "" = not known */
	bool no_accounting;          /* --no-accounting: node-local work only */
	bool have_uid;               /* SLURM_JOB_UID: the job's user, whose view of its start file the prolog keeps */
	uint32_t uid;
	struct ev_mode_choice mode;  /* SPANK_EFA_VERIFY_MODE: the user's --efa-verify */
	/* SPANK_EFA_VERIFY_PLUGSTACK_MODE: the plugstack line's mode=, as the
	 * plugin in srun/sbatch/salloc read it. */
	struct ev_mode_choice plugstack_mode;
	/* What says whether the job has this whole node (ev_whole_node.h),
	 * from the job's credential: SLURM_JOB_EXCLUSIVE (26.05 on) and
	 * SLURM_JOB_OVERSUBSCRIBE (23.11 on), "" where not given, and this
	 * node's entry of SLURM_JOB_CPUS_PER_NODE (0 = not known). */
	char exclusive[16], oversubscribe[16];
	unsigned job_cpus;
};

/* What lib/job takes of e: points into e, so the job's first node filled
 * in later by ev_jobenv_ask_slurm shows (its node count does not). */
void ev_jobenv_facts(const struct ev_jobenv *e, struct ev_job_facts *out);

/* From the environment only. */
int ev_jobenv_read(struct ev_jobenv *e, struct ev_err *err);
/* The job's node count, first node and node list from slurmctld, where
 * the environment did not give them (SLURM_JOB_NODELIST or SLURM_NODELIST). */
void ev_jobenv_ask_slurm(struct ev_jobenv *e);

/* The job's nodes other than e->node, expanded (malloc'ed array of
 * malloc'ed names; ev_hostlist_free). A one-node job has none; -ENOENT
 * when the list is not known or does not hold the job's node count. */
/* A Slurm node list (malloc'ed array of plain host names,
 * ev_hostlist_free): lib's ev_hostlist_expand, without libslurm, for the
 * forms slurmd and slurmctld write; Slurm's own reader (the module) for a
 * form ours does not read. */
int ev_nodelist_expand(const char *list, char ***names, size_t *n, struct ev_err *err);

int ev_jobenv_peers(const struct ev_jobenv *e, char ***names, size_t *n, struct ev_err *err);

/* The job's mode as the plugin in srun/sbatch/salloc passed it on: the
 * user's --efa-verify (SPANK_EFA_VERIFY_MODE) and the plugstack line's
 * mode= (SPANK_EFA_VERIFY_PLUGSTACK_MODE); slurmd and slurmctld give both
 * to their prologs and epilogs. */
void ev_jobenv_modes(struct ev_mode_choice *user, struct ev_mode_choice *plugstack);
/* Whether efa-verify judges and records the job: its mode is not off, or
 * the config says record: always. */
bool ev_job_judged(const struct ev_mode_choice *user, const struct ev_mode_choice *plugstack,
		   const struct ev_config *cfg);
/* Options (-c FILE, --no-accounting, -h, -V) and syslog: 1 to go on, 0 to
 * exit 0 (help, version, a bad option, already said). */
int ev_binary_options(int argc, char **argv, const char *name, const char *usage, const char **cfg_path,
		      bool *no_acct);

/* What both binaries do first: options (-c FILE, --no-accounting, -h, -V), syslog, the job
 * environment, the config. Returns 1 to go on, 0 to exit 0 (help, version,
 * or nothing to do, already logged). Only when it returns 1 do je and cfg
 * hold anything (cfg then needs ev_config_free). */
int ev_binary_start(int argc, char **argv, const char *name, const char *usage,
		    struct ev_jobenv *je, struct ev_config *cfg);

/* One logging path for the prolog and epilog: syslog, and stderr (which
 * slurmd keeps in its log). */
void ev_binlog(int prio, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* What lib/job left to say, in order; msgs is emptied. */
void ev_binlog_msgs(struct ev_msgs *msgs);

#endif
