/* What a job step's container changes on one node: the plan slurmstepd
 * applied (ev_step_plan) was made from the host's software; a task that
 * runs in a container (pyxis, enroot, Slurm's OCI --container) loads the
 * image's libfabric and aws-ofi-nccl and sees only the devices bound into
 * it. From what the task found there (container/ev_image.h), this says
 * which variables to change so the tasks get the image's plan, the
 * causes the image proves (judge/ev_cause_container.h), and whether an
 * enforce step must stop before the user's program runs.
 *
 * Pure: no file, no Slurm. */
#ifndef EV_CONTAINER_PLAN_H
#define EV_CONTAINER_PLAN_H

#include <stdbool.h>
#include <stddef.h>

#include "config/ev_config.h"
#include "config/ev_instances.h"
#include "container/ev_image.h"
#include "judge/ev_cause.h"
#include "judge/ev_env.h"
#include "judge/ev_step_plan.h"
#include "util/ev_err.h"

/* The image's name as the record and the user see it: printable, bounded. */
#define EV_IMAGE_LABEL_MAX 128

struct ev_container_in {
	const struct ev_config *cfg;
	enum ev_mode mode;
	const char *instance_type;              /* NULL or "" when unknown */
	const struct ev_step_plan *host;        /* what slurmstepd applied */
	const struct ev_image_facts *facts;     /* what the task saw */
	const char *image;                      /* label (ev_container_label) */
};

/* One change to the task's environment: set NAME=VALUE (overwriting a
 * value only where force), or unset NAME. Only variables efa-verify
 * itself put there are overwritten or unset; the job's own stay. */
struct ev_env_op {
	char name[EV_NAME_MAX];
	char value[EV_ENV_VALUE_MAX];
	bool unset;
	bool force;
};

struct ev_container_plan {
	struct ev_env_plan env;                 /* the image's plan */
	struct ev_env_op ops[2 * EV_ENV_MAX_VARS];
	size_t n_ops;
	struct ev_causes causes;
	/* enforce, and the image certainly keeps EFA out: the tasks stop
	 * before the program runs; reason names the image, the cause and its
	 * fix. In report mode the same line is warn. */
	bool refuse;
	char reason[EV_STEP_WHY_MAX];
	char warn[EV_STEP_WHY_MAX];
};

/* 0 or a negative errno (err says why); out is whole either way. */
int ev_container_plan(const struct ev_container_in *in, struct ev_container_plan *out, struct ev_err *err);

/* A printable, bounded name for the image from what the job says it is
 * (pyxis's PYXIS_CONTAINER_IMAGE, Slurm's --container bundle), taken from
 * the job's environment ("NAME=value" strings, NULL-terminated): the
 * user's own words about their own step, shown, never opened. "" when
 * the job says nothing. */
void ev_container_label(const char *const *job_env, char *out, size_t cap);

#endif
