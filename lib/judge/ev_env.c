/* The environment a task gets. The built-ins follow aws-ofi-nccl's
 * doc/efa-env-var.md, by the versions found on the node:
 *
 * FI_EFA_USE_DEVICE_RDMA=1 where the instance type has RDMA read, unless
 * libfabric >= 1.18 AND aws-ofi-nccl >= 1.7 are both known. Where the type
 * has no RDMA read (or is unknown) it is never set: libfabric aborts the
 * program when it is 1 and the device cannot read. libfabric >= 1.18 turns
 * RDMA read on by itself only for callers asking for API 1.18 or later
 * (aws-ofi-nccl >= 1.7 does; older aws-ofi-nccl, and other libfabric users
 * such as an older MPI, get it only from this variable), and on a device
 * with RDMA read the variable is harmless. So a version that was not found
 * counts as old: aws-ofi-nccl missing from the node may still come with the
 * job (a container, a conda env), and an unknown libfabric may be < 1.18.
 * Setting it where unsure costs nothing; leaving it out can cost a job RDMA
 * read.
 *
 * FI_PROVIDER=efa: only aws-ofi-nccl <= 1.5 needs it, but it makes
 * libfabric fail loudly instead of quietly picking tcp or sockets, which is
 * what efa-verify's users expect; so it is a default (env.fi_provider), not
 * a rule.
 *
 * FI_EFA_FORK_SAFE is never set: libfabric handles fork itself on kernels
 * >= 5.15 and the variable does nothing there.
 *
 * Versions come from files (ev_versions_detect_some), never from loading
 * libfabric: a report step must stay cheap; fi_version is known only to
 * enforce steps and checks (or a cache that comes and goes), and the
 * environment must not differ between steps of one job; and the library the
 * plugin loads need not be the one the job's tasks load. */
#include "judge/ev_env.h"

#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

/* Thresholds of doc/efa-env-var.md. */
#define LIBFABRIC_RDMA_BY_DEFAULT "1.18"
#define OFI_NCCL_ASKS_RDMA "1.7"
#define OFI_NCCL_WITHOUT_PROVIDER "1.6"    /* 1.5 and older need FI_PROVIDER=efa */

static struct ev_env_var *find(struct ev_env_plan *p, const char *name)
{
	for (size_t i = 0; i < p->n; i++)
		if (strcmp(p->vars[i].name, name) == 0)
			return &p->vars[i];
	return NULL;
}

static void unskip(struct ev_env_plan *p, const char *name)
{
	for (size_t i = 0; i < p->n_skipped; i++) {
		if (strcmp(p->skipped[i].name, name) == 0) {
			memmove(&p->skipped[i], &p->skipped[i + 1],
				(p->n_skipped - i - 1) * sizeof(p->skipped[0]));
			p->n_skipped--;
			return;
		}
	}
}

__attribute__((format(printf, 3, 4)))
static void skip(struct ev_env_plan *p, const char *name, const char *fmt, ...)
{
	struct ev_env_skip *s;
	va_list ap;

	unskip(p, name);
	/* Explanations only: past the bound a removal goes unexplained rather
	 * than failing the plan. */
	if (p->n_skipped >= EV_ENV_MAX_SKIPPED)
		return;
	s = &p->skipped[p->n_skipped++];
	snprintf(s->name, sizeof(s->name), "%s", name);
	va_start(ap, fmt);
	vsnprintf(s->why, sizeof(s->why), fmt, ap);
	va_end(ap);
}

static int put(struct ev_env_plan *p, const char *name, const char *value, bool force,
	       const char *why, struct ev_err *err)
{
	struct ev_env_var *v = find(p, name);

	if (!v) {
		if (p->n >= EV_ENV_MAX_VARS)
			return ev_errf(err, -E2BIG, "more than %d variables to inject", EV_ENV_MAX_VARS);
		v = &p->vars[p->n++];
	}
	snprintf(v->name, sizeof(v->name), "%s", name);
	snprintf(v->value, sizeof(v->value), "%s", value);
	snprintf(v->why, sizeof(v->why), "%s", why);
	v->force = force;
	unskip(p, name);
	return 0;
}

static bool drop(struct ev_env_plan *p, const char *name)
{
	struct ev_env_var *v = find(p, name);

	if (!v)
		return false;
	/* Keep the order of the rest: it is the order tasks see them in. */
	memmove(v, v + 1, (size_t)(&p->vars[p->n] - (v + 1)) * sizeof(*v));
	p->n--;
	return true;
}

/* The version found for sw, or NULL. The readers only keep tokens that
 * start with a digit; anything else is as good as not found. */
static const char *known(const struct ev_versions *v, enum ev_sw sw)
{
	if (!v || !v->sw[sw].present || !isdigit((unsigned char)v->sw[sw].version[0]))
		return NULL;
	return v->sw[sw].version;
}

__attribute__((format(printf, 4, 5)))
static void append(char *buf, size_t cap, size_t *o, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (*o >= cap)
		return;
	va_start(ap, fmt);
	n = vsnprintf(buf + *o, cap - *o, fmt, ap);
	va_end(ap);
	if (n > 0)
		*o += (size_t)n;
}

static int builtin_rdma(struct ev_env_plan *p, const struct ev_instance_type *it,
			const char *instance_type, const struct ev_versions *versions,
			struct ev_err *err)
{
	static const char name[] = "FI_EFA_USE_DEVICE_RDMA";
	const char *lf = known(versions, EV_SW_LIBFABRIC);
	const char *ofi = known(versions, EV_SW_AWS_OFI_NCCL);
	bool lf_old = lf && ev_version_cmp(lf, LIBFABRIC_RDMA_BY_DEFAULT) < 0;
	bool ofi_old = ofi && ev_version_cmp(ofi, OFI_NCCL_ASKS_RDMA) < 0;
	char why[EV_ENV_WHY_MAX];
	size_t o = 0;

	if (!it) {
		if (instance_type && *instance_type)
			skip(p, name, "%s is not in the instance table, so RDMA read is not known; "
			     "libfabric aborts if it is set and the device has none", instance_type);
		else
			skip(p, name, "instance type unknown, so RDMA read is not known; "
			     "libfabric aborts if it is set and the device has none");
		return 0;
	}
	if (!it->rdma_read) {
		skip(p, name, "%s has no RDMA read; libfabric would abort with it", it->name);
		return 0;
	}
	if (lf && !lf_old && ofi && !ofi_old) {
		skip(p, name, "libfabric %s >= %s and aws-ofi-nccl %s >= %s use RDMA read without it",
		     lf, LIBFABRIC_RDMA_BY_DEFAULT, ofi, OFI_NCCL_ASKS_RDMA);
		return 0;
	}
	append(why, sizeof(why), &o, "%s has RDMA read", it->name);
	if (lf_old || ofi_old) {
		if (lf_old)
			append(why, sizeof(why), &o, "; libfabric %s < %s", lf, LIBFABRIC_RDMA_BY_DEFAULT);
		if (ofi_old)
			append(why, sizeof(why), &o, "; aws-ofi-nccl %s < %s", ofi, OFI_NCCL_ASKS_RDMA);
	} else {
		if (!lf)
			append(why, sizeof(why), &o, "; libfabric version not found");
		if (!ofi)
			append(why, sizeof(why), &o, "; aws-ofi-nccl not found");
		append(why, sizeof(why), &o, "; set where unsure, harmless with RDMA read");
	}
	return put(p, name, "1", false, why, err);
}

static int builtin_provider(struct ev_env_plan *p, const struct ev_config *cfg,
			    const struct ev_versions *versions, struct ev_err *err)
{
	static const char name[] = "FI_PROVIDER";
	const char *ofi = known(versions, EV_SW_AWS_OFI_NCCL);
	bool needed = ofi && ev_version_cmp(ofi, OFI_NCCL_WITHOUT_PROVIDER) < 0;
	char why[EV_ENV_WHY_MAX];

	if (!cfg->env_fi_provider) {
		if (needed)
			skip(p, name, "env.fi_provider is false, though aws-ofi-nccl %s (1.5 or older) "
			     "needs it", ofi);
		else
			skip(p, name, "env.fi_provider is false");
		return 0;
	}
	if (needed)
		snprintf(why, sizeof(why), "aws-ofi-nccl %s is 1.5 or older and needs it", ofi);
	else
		snprintf(why, sizeof(why), "env.fi_provider default: libfabric fails loudly "
			 "instead of picking another provider");
	return put(p, name, "efa", false, why, err);
}

int ev_env_plan_build(const struct ev_config *cfg, const char *instance_type,
		      const struct ev_versions *versions, struct ev_env_plan *out,
		      struct ev_err *err)
{
	const struct ev_instance_type *it = NULL;
	int rc;

	memset(out, 0, sizeof(*out));
	if (instance_type && *instance_type)
		it = ev_config_instance(cfg, instance_type);
	if (cfg->env_builtin) {
		if ((rc = builtin_provider(out, cfg, versions, err)) ||
		    (rc = builtin_rdma(out, it, instance_type, versions, err)))
			return rc;
	} else {
		skip(out, "FI_PROVIDER", "env.builtin is false");
		skip(out, "FI_EFA_USE_DEVICE_RDMA", "env.builtin is false");
	}
	if (cfg->nccl_debug && (rc = put(out, "NCCL_DEBUG", "INFO", false, "env.nccl_debug is true", err)))
		return rc;
	for (size_t i = 0; i < cfg->n_env_rules; i++) {
		const struct ev_env_rule *r = &cfg->env_rules[i];
		char why[EV_ENV_WHY_MAX];

		if (r->instance_type[0] &&
		    (!instance_type || strcmp(r->instance_type, instance_type) != 0))
			continue;
		if (r->instance_type[0])
			snprintf(why, sizeof(why), "env.instance_types.%s%s", r->instance_type,
				 r->force ? ", force" : "");
		else
			snprintf(why, sizeof(why), "env.vars%s", r->force ? ", force" : "");
		if (r->unset) {
			if (drop(out, r->name))
				skip(out, r->name, "%s sets it to null", why);
		} else if ((rc = put(out, r->name, r->value, r->force, why, err))) {
			return rc;
		}
	}
	return 0;
}
