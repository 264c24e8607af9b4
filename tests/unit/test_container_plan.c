/* ev_container_plan: what a step's container changes of the plan
 * slurmstepd applied, from what a task saw in the image. The host's plan
 * is made the way the plugin makes it (ev_env_plan_build, by the node's
 * versions); the image's facts are built by hand, as ev_image_facts_parse
 * hands them to root. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "judge/ev_container_plan.h"

#define P4D "p4d.24xlarge"

struct fx {
	struct ev_config cfg;
	struct ev_step_plan host;
	struct ev_image_facts img;
	struct ev_container_in in;
	struct ev_container_plan p;
};

static void version(struct ev_versions *v, enum ev_sw sw, const char *ver)
{
	v->sw[sw].present = true;
	snprintf(v->sw[sw].version, sizeof(v->sw[sw].version), "%s", ver);
}

/* The node: libfabric 2.1.0 and aws-ofi-nccl 1.9.0, whose plan on p4d
 * needs no FI_EFA_USE_DEVICE_RDMA. A healthy image like it. */
static int setup(void **state)
{
	struct fx *x = calloc(1, sizeof(*x));
	struct ev_versions node = { 0 };
	struct ev_err err = { "" };

	if (!x || ev_config_defaults(&x->cfg, &err) != 0)
		return -1;
	version(&node, EV_SW_LIBFABRIC, "2.1.0");
	version(&node, EV_SW_AWS_OFI_NCCL, "1.9.0");
	if (ev_env_plan_build(&x->cfg, P4D, &node, &x->host.env, &err) != 0)
		return -1;
	x->host.have_efa = true;
	x->img.sw = node;
	x->img.libefa = true;
	x->img.fabric = EV_FABRIC_EFA;
	x->img.uverbs = 1;
	x->in.cfg = &x->cfg;
	x->in.mode = EV_MODE_ENFORCE;
	x->in.instance_type = P4D;
	x->in.host = &x->host;
	x->in.facts = &x->img;
	x->in.image = "nvcr.io/nvidia/pytorch:24.05";
	*state = x;
	return 0;
}

static int teardown(void **state)
{
	struct fx *x = *state;

	ev_config_free(&x->cfg);
	free(x);
	return 0;
}

static const struct ev_env_op *op_for(const struct ev_container_plan *p, const char *name)
{
	for (size_t i = 0; i < p->n_ops; i++)
		if (strcmp(p->ops[i].name, name) == 0)
			return &p->ops[i];
	return NULL;
}

static bool in_host_plan(const struct ev_step_plan *h, const char *name)
{
	for (size_t i = 0; i < h->env.n; i++)
		if (strcmp(h->env.vars[i].name, name) == 0)
			return true;
	return false;
}

static void plan(struct fx *x)
{
	struct ev_err err = { "" };

	assert_int_equal(ev_container_plan(&x->in, &x->p, &err), 0);
}

static void healthy_image_changes_nothing(void **state)
{
	struct fx *x = *state;

	plan(x);
	assert_int_equal(x->p.n_ops, 0);
	assert_int_equal(x->p.causes.n, 0);
	assert_false(x->p.refuse);
	assert_string_equal(x->p.warn, "");
}

/* libfabric 1.16 in the image: it needs the variable the node's 2.1.0
 * did not, and the variable is set, overwriting nothing of the job's. */
static void old_libfabric_sets_rdma_variable(void **state)
{
	struct fx *x = *state;
	const struct ev_env_op *o;

	assert_false(in_host_plan(&x->host, "FI_EFA_USE_DEVICE_RDMA"));
	version(&x->img.sw, EV_SW_LIBFABRIC, "1.16.0");
	plan(x);
	o = op_for(&x->p, "FI_EFA_USE_DEVICE_RDMA");
	assert_non_null(o);
	assert_false(o->unset);
	assert_string_equal(o->value, "1");
	assert_false(o->force);
	assert_false(x->p.refuse);
}

/* The other way: the node's old libfabric made efa-verify set it, the
 * image's new one does not want it: it goes, since efa-verify put it
 * there. */
static void new_image_unsets_what_efa_verify_set(void **state)
{
	struct fx *x = *state;
	struct ev_versions node = { 0 };
	struct ev_err err = { "" };
	const struct ev_env_op *o;

	version(&node, EV_SW_LIBFABRIC, "1.16.0");
	version(&node, EV_SW_AWS_OFI_NCCL, "1.9.0");
	assert_int_equal(ev_env_plan_build(&x->cfg, P4D, &node, &x->host.env, &err), 0);
	assert_true(in_host_plan(&x->host, "FI_EFA_USE_DEVICE_RDMA"));
	plan(x);
	o = op_for(&x->p, "FI_EFA_USE_DEVICE_RDMA");
	assert_non_null(o);
	assert_true(o->unset);
}

/* ... unless the job set it itself (kept): then it is the job's. */
static void job_own_value_stays(void **state)
{
	struct fx *x = *state;
	struct ev_versions node = { 0 };
	struct ev_err err = { "" };

	version(&node, EV_SW_LIBFABRIC, "1.16.0");
	version(&node, EV_SW_AWS_OFI_NCCL, "1.9.0");
	assert_int_equal(ev_env_plan_build(&x->cfg, P4D, &node, &x->host.env, &err), 0);
	for (size_t i = 0; i < x->host.env.n; i++)
		x->host.kept[i] = true;
	plan(x);
	assert_null(op_for(&x->p, "FI_EFA_USE_DEVICE_RDMA"));
}

static void no_device_refuses_in_enforce(void **state)
{
	struct fx *x = *state;

	x->img.uverbs = 0;
	plan(x);
	assert_true(x->p.refuse);
	assert_non_null(ev_causes_find(&x->p.causes, EV_CAUSE_NO_EFA_DEVICE_IN_CONTAINER));
	assert_non_null(strstr(x->p.reason, "container nvcr.io/nvidia/pytorch:24.05: "));
	assert_non_null(strstr(x->p.reason, "no_efa_device_in_container"));
	assert_non_null(strstr(x->p.reason, "fix: "));
}

static void no_device_warns_in_report(void **state)
{
	struct fx *x = *state;

	x->img.uverbs = 0;
	x->in.mode = EV_MODE_REPORT;
	plan(x);
	assert_false(x->p.refuse);
	assert_string_equal(x->p.reason, "");
	assert_non_null(strstr(x->p.warn, "no_efa_device_in_container"));
}

/* Devices not looked at is no evidence: nothing is said of them. */
static void devices_not_looked_at_say_nothing(void **state)
{
	struct fx *x = *state;

	x->img.uverbs = -1;
	plan(x);
	assert_null(ev_causes_find(&x->p.causes, EV_CAUSE_NO_EFA_DEVICE_IN_CONTAINER));
	assert_false(x->p.refuse);
}

static void no_provider_refuses(void **state)
{
	struct fx *x = *state;

	x->img.fabric = EV_FABRIC_NO_EFA;
	plan(x);
	assert_true(x->p.refuse);
	assert_non_null(ev_causes_find(&x->p.causes, EV_CAUSE_NO_EFA_PROVIDER_IN_CONTAINER));
}

/* No libfabric in the image's directories: the job may bring its own, so
 * enforce says it (likely) and does not refuse. */
static void absent_libfabric_does_not_refuse(void **state)
{
	struct fx *x = *state;
	const struct ev_cause *c;

	x->img.fabric = EV_FABRIC_NONE;
	plan(x);
	assert_false(x->p.refuse);
	c = ev_causes_find(&x->p.causes, EV_CAUSE_NO_EFA_PROVIDER_IN_CONTAINER);
	assert_non_null(c);
	assert_int_equal(c->certainty, EV_CAUSE_LIKELY);
}

/* A node with no EFA environment (no device): the image changes no
 * variable, and still says what it lacks. */
static void no_host_environment_no_ops(void **state)
{
	struct fx *x = *state;

	x->host.have_efa = false;
	version(&x->img.sw, EV_SW_LIBFABRIC, "1.16.0");
	x->img.uverbs = 0;
	plan(x);
	assert_int_equal(x->p.n_ops, 0);
	assert_non_null(ev_causes_find(&x->p.causes, EV_CAUSE_NO_EFA_DEVICE_IN_CONTAINER));
}

static void unnamed_image_is_said_so(void **state)
{
	struct fx *x = *state;

	x->img.uverbs = 0;
	x->in.image = "";
	plan(x);
	assert_non_null(strstr(x->p.reason, "container (unnamed): "));
}

static void label_from_job_env(void **state)
{
	char out[EV_IMAGE_LABEL_MAX], big[4096];
	const char *srun[] = { "HOME=/home/u", "PYXIS_CONTAINER_IMAGE=ubuntu:22.04", NULL };
	const char *option[] = { "_SLURM_SPANK_OPTION_pyxis_container_image=img", NULL };
	const char *oci[] = { "SLURM_CONTAINER=/home/u/bundle", NULL };
	const char *both[] = { "SLURM_CONTAINER=/b", "PYXIS_CONTAINER_IMAGE=p", NULL };
	const char *hostile[] = { "PYXIS_CONTAINER_IMAGE=a\033[2Jb\nc", NULL };
	const char *empty[] = { "PYXIS_CONTAINER_IMAGE=", NULL };
	const char *longv[] = { big, NULL };

	(void)state;
	ev_container_label(srun, out, sizeof(out));
	assert_string_equal(out, "ubuntu:22.04");
	/* pyxis's option is pyxis's alone: not a name the job gave us. */
	ev_container_label(option, out, sizeof(out));
	assert_string_equal(out, "");
	ev_container_label(oci, out, sizeof(out));
	assert_string_equal(out, "/home/u/bundle");
	ev_container_label(both, out, sizeof(out));
	assert_string_equal(out, "p");
	ev_container_label(hostile, out, sizeof(out));
	assert_string_equal(out, "a?[2Jb?c");
	ev_container_label(empty, out, sizeof(out));
	assert_string_equal(out, "");
	ev_container_label(NULL, out, sizeof(out));
	assert_string_equal(out, "");
	snprintf(big, sizeof(big), "SLURM_CONTAINER=");
	memset(big + strlen(big), 'x', 3000);
	big[sizeof(big) - 1] = '\0';
	ev_container_label(longv, out, sizeof(out));
	assert_true(strlen(out) < EV_IMAGE_LABEL_MAX);
	assert_string_equal(out + strlen(out) - 3, "...");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(healthy_image_changes_nothing, setup, teardown),
		cmocka_unit_test_setup_teardown(old_libfabric_sets_rdma_variable, setup, teardown),
		cmocka_unit_test_setup_teardown(new_image_unsets_what_efa_verify_set, setup, teardown),
		cmocka_unit_test_setup_teardown(job_own_value_stays, setup, teardown),
		cmocka_unit_test_setup_teardown(no_device_refuses_in_enforce, setup, teardown),
		cmocka_unit_test_setup_teardown(no_device_warns_in_report, setup, teardown),
		cmocka_unit_test_setup_teardown(devices_not_looked_at_say_nothing, setup, teardown),
		cmocka_unit_test_setup_teardown(no_provider_refuses, setup, teardown),
		cmocka_unit_test_setup_teardown(absent_libfabric_does_not_refuse, setup, teardown),
		cmocka_unit_test_setup_teardown(no_host_environment_no_ops, setup, teardown),
		cmocka_unit_test_setup_teardown(unnamed_image_is_said_so, setup, teardown),
		cmocka_unit_test(label_from_job_env),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
