#include "judge/ev_step_plan.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "judge/ev_cause_env.h"
#include "judge/ev_cause_memlock.h"

bool ev_step_wants_judgement(enum ev_mode mode, bool user_asked, enum ev_record_policy record)
{
	return mode == EV_MODE_ENFORCE || user_asked || record == EV_RECORD_ALWAYS;
}

/* Counted, and kept for the step's end line if it is the first. */
static void warn(struct ev_step_plan *p, const char *prefix, const char *what)
{
	if (!p->n_warn++)
		snprintf(p->first_warn, sizeof(p->first_warn), "%s%s", prefix, what);
}

static const char *job_value(const char *const *env, const char *name)
{
	size_t len = strlen(name);

	for (size_t i = 0; env && env[i]; i++)
		if (strncmp(env[i], name, len) == 0 && env[i][len] == '=')
			return env[i] + len + 1;
	return NULL;
}

const char *ev_step_env_value(const struct ev_step_in *in, const struct ev_step_plan *p, size_t i)
{
	const char *v = p->kept[i] ? job_value(in->job_env, p->env.vars[i].name) : NULL;

	return v ? v : p->env.vars[i].value;
}

static void judge_readiness(const struct ev_step_in *in, struct ev_step_plan *p)
{
	const struct ev_readiness *r = &p->readiness;

	ev_readiness_evaluate(in->cfg, in->facts, &p->readiness);
	p->judged = true;
	ev_readiness_reason(r, p->reason, sizeof(p->reason));
	if (in->mode == EV_MODE_ENFORCE)
		p->refuse = !r->ready;
	else if (in->mode == EV_MODE_OFF)
		p->record_not_ready = !r->ready;
	else
		p->report_not_ready = !r->ready;
	for (int i = 0; i < EV_CHECK__COUNT; i++) {
		char what[EV_STEP_WHY_MAX];

		if (r->checks[i].status != EV_ST_WARN)
			continue;
		snprintf(what, sizeof(what), "%s: %s", ev_check_name(r->checks[i].id), r->checks[i].summary);
		warn(p, "", what);
	}
}

/* Only on a node with EFA devices: elsewhere the variables would point
 * libfabric at a provider that is not there. */
static void plan_env(const struct ev_step_in *in, struct ev_step_plan *p)
{
	const struct ev_node_facts *f = in->facts;
	struct ev_err err = { "" };

	p->have_efa = f->devices_rc == 0 && (f->devices.n > 0 || in->any_device);
	if (!p->have_efa)
		return;
	if (ev_env_plan_build(in->cfg, ev_node_facts_instance_type(f, NULL), in->env_versions, &p->env,
			      &err) != 0) {
		snprintf(p->env_error, sizeof(p->env_error), "%s", err.msg);
		p->env.n = 0;
		p->env.n_skipped = 0;
		return;
	}
	/* The job's own value wins unless the rule forces it. */
	for (size_t i = 0; i < p->env.n; i++)
		p->kept[i] = !p->env.vars[i].force && job_value(in->job_env, p->env.vars[i].name);
}

struct env_view {
	const struct ev_step_in *in;
	const struct ev_step_plan *p;
};

/* What a task gets: the plan's value unless the job's own stays. */
static const char *task_value(void *ctx, const char *name)
{
	const struct env_view *e = ctx;

	for (size_t i = 0; i < e->p->env.n; i++)
		if (strcmp(e->p->env.vars[i].name, name) == 0)
			return ev_step_env_value(e->in, e->p, i);
	return job_value(e->in->job_env, name);
}

/* Only from what is known of the tasks (job_env NULL: nothing is the
 * job's; memlock NULL: the limit is not judged). */
static void judge_env(const struct ev_step_in *in, struct ev_step_plan *p)
{
	const struct ev_node_facts *f = in->facts;
	const struct ev_instance_type *it = NULL;
	struct env_view view = { in, p };
	char why[EV_STEP_WHY_MAX];

	if (in->job_env) {
		if (ev_node_facts_instance_type(f, NULL))
			it = ev_config_instance(in->cfg, ev_node_facts_instance_type(f, NULL));
		ev_causes_from_env(task_value, &view, it ? it->rdma_read : -1, &p->causes);
	}
	if (in->memlock)
		ev_causes_from_memlock(*in->memlock, in->cfg->memlock_min_bytes, &p->causes);
	for (size_t i = 0; i < p->causes.n; i++) {
		const struct ev_cause *c = &p->causes.c[i];

		if (c->certainty != EV_CAUSE_CERTAIN || !ev_cause_excludes_efa(c->name))
			continue;
		ev_cause_say(c, why, sizeof(why));
		if (in->mode == EV_MODE_ENFORCE && !p->refuse) {
			p->refuse = p->refuse_env = true;
			snprintf(p->reason, sizeof(p->reason), "%s", why);
		} else if (in->mode != EV_MODE_ENFORCE) {
			warn(p, "", why);
		}
	}
}

static void placement_differs(const struct ev_step_in *in, struct ev_step_plan *p, const char *why)
{
	p->placement = EV_STEP_PLACEMENT_DIFFERENT;
	snprintf(p->placement_why, sizeof(p->placement_why), "%s", why);
	if (in->cfg->checks[EV_CHECK_PLACEMENT] == EV_ACTION_FAIL) {
		p->refuse = true;
		snprintf(p->reason, sizeof(p->reason), "placement: %s", why);
	} else {
		warn(p, "placement: ", why);
	}
}

/* Nodes cannot see each other's IMDS: each compares itself with the facts
 * its peers published (ev_placement.h). A fact too old or from another boot
 * is not judged, and the step is told. */
static int judge_placement(const struct ev_step_in *in, struct ev_step_plan *p, struct ev_err *err)
{
	const struct ev_step_peers *sp = in->peers;
	const struct ev_imds_info *m = &in->facts->imds;
	struct ev_peer self, *peers = NULL;
	char why[EV_STEP_WHY_MAX];

	if (sp->unverified[0]) {
		p->placement = EV_STEP_PLACEMENT_UNVERIFIED;
		snprintf(p->placement_why, sizeof(p->placement_why), "%s", sp->unverified);
		warn(p, "placement across nodes not verified: ", sp->unverified);
		return 0;
	}
	if (sp->n) {
		peers = calloc(sp->n, sizeof(*peers));
		if (!peers)
			return ev_errf(err, -ENOMEM, "out of memory comparing placement");
		memcpy(peers, sp->peers, sp->n * sizeof(*peers));
	}
	if (ev_placement_drop_stale(peers, sp->n, sp->now, EV_PLACEMENT_FACTS_MAX_AGE, why, sizeof(why)) > 0)
		warn(p, "", why);
	else
		p->placement_memo_new = true;
	memset(&self, 0, sizeof(self));
	snprintf(self.node, sizeof(self.node), "%s", in->node);
	snprintf(self.az, sizeof(self.az), "%s", m->availability_zone);
	snprintf(self.group, sizeof(self.group), "%s", m->in_group ? m->placement_group : "");
	self.known = true;
	p->placement = EV_STEP_PLACEMENT_SAME;
	if (ev_placement_consistent(&self, peers, sp->n, why, sizeof(why)) != 0) {
		p->placement_memo.different = true;
		snprintf(p->placement_memo.why, sizeof(p->placement_memo.why), "%s", why);
		placement_differs(in, p, why);
	}
	free(peers);
	return 0;
}

/* An earlier step's judgement, as it found it. */
static void judge_placement_memo(const struct ev_step_in *in, struct ev_step_plan *p)
{
	p->placement_memo = *in->placement_memo;
	p->placement = EV_STEP_PLACEMENT_SAME;
	if (p->placement_memo.different)
		placement_differs(in, p, p->placement_memo.why);
}

int ev_step_plan(const struct ev_step_in *in, struct ev_step_plan *p, struct ev_err *err)
{
	memset(p, 0, sizeof(*p));
	if (in->judged)
		judge_readiness(in, p);
	/* off turns the environment off, whatever is recorded. */
	if (in->mode == EV_MODE_OFF)
		return 0;
	plan_env(in, p);
	if (p->have_efa)
		judge_env(in, p);
	p->wants_peers = in->mode == EV_MODE_ENFORCE && !p->refuse && in->facts->imds_rc == 0 &&
			 in->cfg->checks[EV_CHECK_PLACEMENT] != EV_ACTION_OFF;
	if (p->wants_peers && in->placement_memo) {
		judge_placement_memo(in, p);
		return 0;
	}
	if (p->wants_peers && in->peers)
		return judge_placement(in, p, err);
	return 0;
}
