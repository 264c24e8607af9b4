/* The environment a task gets. Built-ins follow the aws-ofi-nccl EFA
 * cheatsheet: select the efa provider, and use RDMA read only where the
 * hardware has it (setting FI_EFA_USE_DEVICE_RDMA=1 elsewhere makes
 * libfabric fail to open the endpoint). */
#include "ev_env.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

static struct ev_env_var *find(struct ev_env_plan *p, const char *name)
{
	for (size_t i = 0; i < p->n; i++)
		if (strcmp(p->vars[i].name, name) == 0)
			return &p->vars[i];
	return NULL;
}

static int put(struct ev_env_plan *p, const char *name, const char *value, bool force,
	       struct ev_err *err)
{
	struct ev_env_var *v = find(p, name);

	if (!v) {
		if (p->n >= EV_ENV_MAX_VARS)
			return ev_errf(err, -E2BIG, "more than %d variables to inject", EV_ENV_MAX_VARS);
		v = &p->vars[p->n++];
	}
	snprintf(v->name, sizeof(v->name), "%s", name);
	snprintf(v->value, sizeof(v->value), "%s", value);
	v->force = force;
	return 0;
}

static void drop(struct ev_env_plan *p, const char *name)
{
	struct ev_env_var *v = find(p, name);

	if (!v)
		return;
	/* Keep the order of the rest: it is the order tasks see them in. */
	memmove(v, v + 1, (size_t)(&p->vars[p->n] - (v + 1)) * sizeof(*v));
	p->n--;
}

int ev_env_plan_build(const struct ev_config *cfg, const char *instance_type,
		      struct ev_env_plan *out, struct ev_err *err)
{
	const struct ev_instance_type *it = NULL;
	int rc;

	memset(out, 0, sizeof(*out));
	if (instance_type && *instance_type)
		it = ev_config_instance(cfg, instance_type);
	if (cfg->env_builtin) {
		if ((rc = put(out, "FI_PROVIDER", "efa", false, err)))
			return rc;
		if (it && it->rdma_read && (rc = put(out, "FI_EFA_USE_DEVICE_RDMA", "1", false, err)))
			return rc;
	}
	if (cfg->nccl_debug && (rc = put(out, "NCCL_DEBUG", "INFO", false, err)))
		return rc;
	for (size_t i = 0; i < cfg->n_env_rules; i++) {
		const struct ev_env_rule *r = &cfg->env_rules[i];

		if (r->instance_type[0] &&
		    (!instance_type || strcmp(r->instance_type, instance_type) != 0))
			continue;
		if (r->unset)
			drop(out, r->name);
		else if ((rc = put(out, r->name, r->value, r->force, err)))
			return rc;
	}
	return 0;
}
