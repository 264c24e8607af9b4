#include "judge/ev_container_plan.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "judge/ev_cause_container.h"
#include "util/ev_printable.h"

static const struct ev_env_var *find(const struct ev_env_plan *p, const char *name)
{
	for (size_t i = 0; i < p->n; i++)
		if (strcmp(p->vars[i].name, name) == 0)
			return &p->vars[i];
	return NULL;
}

static void op(struct ev_container_plan *out, const char *name, const char *value, bool force)
{
	struct ev_env_op *o;

	if (out->n_ops >= sizeof(out->ops) / sizeof(out->ops[0]))
		return;
	o = &out->ops[out->n_ops++];
	snprintf(o->name, sizeof(o->name), "%s", name);
	o->unset = !value;
	o->force = force;
	snprintf(o->value, sizeof(o->value), "%s", value ? value : "");
}

/* The host's variables that efa-verify set and the image's plan changes
 * or drops, then the image's that the host's plan did not have. A
 * variable the job set itself (kept) is the job's in both. */
static void env_ops(const struct ev_container_in *in, struct ev_container_plan *out)
{
	const struct ev_step_plan *h = in->host;

	for (size_t i = 0; i < h->env.n; i++) {
		const struct ev_env_var *v = &h->env.vars[i], *c = find(&out->env, v->name);

		if (h->kept[i])
			continue;
		if (!c)
			op(out, v->name, NULL, true);
		else if (strcmp(c->value, v->value) != 0)
			op(out, v->name, c->value, true);
	}
	for (size_t i = 0; i < out->env.n; i++) {
		const struct ev_env_var *c = &out->env.vars[i];

		if (!find(&h->env, c->name))
			op(out, c->name, c->value, c->force);
	}
}

int ev_container_plan(const struct ev_container_in *in, struct ev_container_plan *out, struct ev_err *err)
{
	const struct ev_instance_type *itype = NULL;
	const char *type = in->instance_type && *in->instance_type ? in->instance_type : NULL;
	int rc = 0;

	memset(out, 0, sizeof(*out));
	if (type)
		itype = ev_config_instance(in->cfg, type);
	ev_cause_container(in->facts, itype, &out->causes);
	/* No environment on the host (no device, or its plan failed): the
	 * image changes nothing of it. */
	if (in->host->have_efa && !in->host->env_error[0]) {
		rc = ev_env_plan_build(in->cfg, type, &in->facts->sw, &out->env, err);
		if (rc == 0)
			env_ops(in, out);
	}
	for (size_t i = 0; i < out->causes.n; i++) {
		const struct ev_cause *c = &out->causes.c[i];
		char why[EV_STEP_WHY_MAX - EV_IMAGE_LABEL_MAX - 32];
		char *line = in->mode == EV_MODE_ENFORCE ? out->reason : out->warn;

		if (c->certainty != EV_CAUSE_CERTAIN || line[0])
			continue;
		ev_cause_say(c, why, sizeof(why));
		snprintf(line, EV_STEP_WHY_MAX, "container %s: %s", in->image && *in->image ? in->image : "(unnamed)",
			 why);
		if (in->mode == EV_MODE_ENFORCE)
			out->refuse = true;
	}
	return rc;
}

/* pyxis's image where the job names it in its environment (pyxis reads it
 * there when --container-image is not given; the option itself reaches
 * only pyxis), then Slurm's own --container. */
static const char *const label_vars[] = {
	"PYXIS_CONTAINER_IMAGE=",
	"SLURM_CONTAINER=",
};

void ev_container_label(const char *const *job_env, char *out, size_t cap)
{
	if (cap)
		out[0] = '\0';
	for (size_t k = 0; k < sizeof(label_vars) / sizeof(label_vars[0]); k++) {
		size_t l = strlen(label_vars[k]);

		for (size_t i = 0; job_env && job_env[i]; i++) {
			if (strncmp(job_env[i], label_vars[k], l) != 0 || !job_env[i][l])
				continue;
			size_t took = ev_printable(out, cap, job_env[i] + l, EV_IMAGE_LABEL_MAX - 4);

			/* Cut: say so, the way a long name is shown elsewhere. */
			if (job_env[i][l + took] && strlen(out) + 4 <= cap)
				strcat(out, "...");
			return;
		}
	}
}
