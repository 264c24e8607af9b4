/* The EFA environment for a job's tasks: the aws-ofi-nccl cheatsheet
 * defaults for the instance type, then the config's rules. */
#ifndef EV_ENV_H
#define EV_ENV_H

#include <stdbool.h>
#include <stddef.h>

#include "ev_config.h"
#include "ev_err.h"

#define EV_ENV_MAX_VARS 64

struct ev_env_var {
	char name[EV_NAME_MAX];
	char value[EV_ENV_VALUE_MAX];
	bool force;
};

struct ev_env_plan {
	struct ev_env_var vars[EV_ENV_MAX_VARS];
	size_t n;
};

/* instance_type may be NULL/"" when unknown (IMDS down): then only rules that
 * apply to every type, and no RDMA variables. */
int ev_env_plan_build(const struct ev_config *cfg, const char *instance_type,
		      struct ev_env_plan *out, struct ev_err *err);

#endif
