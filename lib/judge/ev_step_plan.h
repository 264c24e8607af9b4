/* What a job step gets on one node, decided in one place: whether the node
 * is ready and why not, whether its placement agrees with the job's other
 * nodes, and the environment its tasks get, each with its reason. The SPANK
 * plugin applies the plan to a real step; `efa-verify check` shows the
 * plan for this node. Both gather the facts (the plugin through SPANK and
 * slurmio/, check by itself) and hand them here, so what check shows is
 * what a step gets, by construction and not by a second copy of the rule.
 *
 * Pure: no file, no clock, no Slurm. Every input is a fact already
 * gathered. */
#ifndef EV_STEP_PLAN_H
#define EV_STEP_PLAN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "aws/ev_placement.h"
#include "config/ev_config.h"
#include "judge/ev_cause.h"
#include "judge/ev_env.h"
#include "judge/ev_readiness.h"
#include "node/ev_versions.h"
#include "state/ev_placement_memo.h"
#include "util/ev_err.h"

#define EV_STEP_WHY_MAX 512

/* The job's other nodes, as far as the caller found them. */
struct ev_step_peers {
	/* Why they could not be gathered ("no job id", slurmctld's error);
	 * "" when they were. Not gathered: placement is not compared, and
	 * the step is told. */
	char unverified[EV_ERR_MAX];
	const struct ev_peer *peers;    /* their published facts, as read */
	size_t n;
	int64_t now;                    /* the reader's clock, Unix seconds */
};

struct ev_step_in {
	const struct ev_config *cfg;
	const char *node;               /* this node's Slurm name */
	enum ev_mode mode;              /* the step's: report, enforce, or off (record: always) */
	/* judged: facts are ev_node_facts_gather's whole set, and the node's
	 * readiness is judged from them. Otherwise only devices_rc and imds
	 * are read (any_device then says whether a device exists). */
	const struct ev_node_facts *facts;
	bool judged;
	bool any_device;
	/* The versions the environment depends on (EV_ENV_SW_MASK), from their
	 * files and not facts->versions, which may name the loaded libfabric
	 * instead; NULL: unknown. */
	const struct ev_versions *env_versions;
	/* The job's environment as the tasks would see it ("NAME=value",
	 * NULL-terminated); NULL: unknown, nothing is counted as the job's. */
	const char *const *job_env;
	/* The tasks' RLIMIT_MEMLOCK in bytes as they will get it
	 * (ev_memlock_task_limit); NULL: not known, not judged. */
	const uint64_t *memlock;
	/* NULL: not gathered (see wants_peers). */
	const struct ev_step_peers *peers;
	/* The job's placement as an earlier step judged it on this node
	 * (placement_memo in the plan); given, it stands in for peers. */
	const struct ev_placement_memo *placement_memo;
};

enum ev_step_placement {
	EV_STEP_PLACEMENT_NOT_COMPARED, /* not asked (report, not ready, no IMDS, check off) */
	EV_STEP_PLACEMENT_UNVERIFIED,   /* asked, but the peers could not be read */
	EV_STEP_PLACEMENT_SAME,         /* every judged peer shares zone and group */
	EV_STEP_PLACEMENT_DIFFERENT,
};

struct ev_step_plan {
	bool judged;                    /* readiness below is meaningful */
	struct ev_readiness readiness;
	bool refuse;                    /* enforce: the step must not run here */
	/* ... because of the job's own environment (causes below), not the
	 * node: nothing to drain, the node is not "not ready". */
	bool refuse_env;
	bool report_not_ready;          /* report: not ready, said at step end */
	/* off (planned only under record: always): not ready, for the job
	 * record alone; the step is neither stopped nor told, and gets no
	 * environment. */
	bool record_not_ready;
	char reason[EV_STEP_WHY_MAX];   /* why, one line, when refuse or a not_ready above */
	int n_warn;
	char first_warn[EV_STEP_WHY_MAX];
	/* Compare with the job's other nodes: an enforce step on a node that
	 * is ready and knows its own placement, with the placement check on.
	 * A caller that can gather peers and passed none gathers them and
	 * plans again with them. */
	bool wants_peers;
	enum ev_step_placement placement;
	char placement_why[EV_STEP_WHY_MAX];
	/* Judged against peers whose facts were all fresh, or taken from a
	 * memo: what later steps of the job may take instead of asking again
	 * (placement_memo_new: this plan judged it, the caller keeps it). */
	bool placement_memo_new;
	struct ev_placement_memo placement_memo;
	bool have_efa;                  /* no EFA device: no environment */
	char env_error[EV_ERR_MAX];     /* have_efa, but no environment: why */
	struct ev_env_plan env;
	/* env.vars[i] is set by the job itself and not forced: its value
	 * stays. */
	bool kept[EV_ENV_MAX_VARS];
	/* What the tasks' environment and memlock limit prove
	 * (judge/ev_cause_env.h, ev_cause_memlock.h), from the values they
	 * get: kept for the job's record. One that keeps EFA
	 * out refuses an enforce step (reason says it and the fix) and is a
	 * warning in report. */
	struct ev_causes causes;
};

/* 0, or -ENOMEM (err says so); out is whole either way. */
int ev_step_plan(const struct ev_step_in *in, struct ev_step_plan *out, struct ev_err *err);

/* Whether a step must pay for the whole judgement (ev_node_facts_gather, a
 * libfabric probe): when it can stop the step, when the user asked with
 * --efa-verify and will be told, or when the site keeps every job's record
 * (record: always), whose not_ready must not depend on the mode. Otherwise
 * only the environment's facts are read, which every step pays. */
bool ev_step_wants_judgement(enum ev_mode mode, bool user_asked, enum ev_record_policy record);

/* The value env.vars[i] will have in the tasks: the job's own if kept. */
const char *ev_step_env_value(const struct ev_step_in *in, const struct ev_step_plan *p, size_t i);

#endif
