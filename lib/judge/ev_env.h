/* The EFA environment for a job's tasks: the built-ins of aws-ofi-nccl's
 * doc/efa-env-var.md, decided by the instance type and the versions found
 * on the node, then the config's rules. Every variable says why, so
 * `efa-verify check` can tell what a step would get. */
#ifndef EV_ENV_H
#define EV_ENV_H

#include <stdbool.h>
#include <stddef.h>

#include "config/ev_config.h"
#include "util/ev_err.h"
#include "node/ev_versions.h"

#define EV_ENV_MAX_VARS 64
#define EV_ENV_MAX_SKIPPED 16
#define EV_ENV_WHY_MAX 256

struct ev_env_var {
	char name[EV_NAME_MAX];
	char value[EV_ENV_VALUE_MAX];
	bool force;                   /* overwrite what the user set; else the user's value wins */
	char why[EV_ENV_WHY_MAX];     /* "p4d.24xlarge has RDMA read; libfabric 1.17 < 1.18" */
};

/* A variable the plan considered and left out. */
struct ev_env_skip {
	char name[EV_NAME_MAX];
	char why[EV_ENV_WHY_MAX];     /* "libfabric 2.1.0 >= 1.18 and aws-ofi-nccl 1.9.1 >= 1.7 ..." */
};

struct ev_env_plan {
	struct ev_env_var vars[EV_ENV_MAX_VARS];   /* injected, in this order */
	size_t n;
	/* Explanation only: a built-in left out, or a variable a rule removed
	 * (past EV_ENV_MAX_SKIPPED the rest go unexplained). A name is in
	 * vars or here, never both. */
	struct ev_env_skip skipped[EV_ENV_MAX_SKIPPED];
	size_t n_skipped;
};

/* The software the plan looks at, for ev_versions_detect_some: a few small
 * files, cheap enough for every job step. */
#define EV_ENV_SW_MASK (EV_SW_BIT(EV_SW_LIBFABRIC) | EV_SW_BIT(EV_SW_AWS_OFI_NCCL))

/* instance_type may be NULL/"" when unknown (IMDS down): then only rules that
 * apply to every type, and no RDMA variables. versions may be NULL (nothing
 * known); only libfabric and aws-ofi-nccl are looked at. The rule for the
 * built-ins is in ev_env.c. */
int ev_env_plan_build(const struct ev_config *cfg, const char *instance_type,
		      const struct ev_versions *versions, struct ev_env_plan *out,
		      struct ev_err *err);

#endif
