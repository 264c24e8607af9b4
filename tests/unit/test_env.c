/* The EFA environment plan: built-ins per instance type, then config rules. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "ev_config.h"
#include "ev_env.h"

static const struct ev_env_var *get(const struct ev_env_plan *p, const char *name)
{
	for (size_t i = 0; i < p->n; i++)
		if (strcmp(p->vars[i].name, name) == 0)
			return &p->vars[i];
	return NULL;
}

static void load(struct ev_config *c, const char *yaml)
{
	struct ev_err err;

	if (ev_config_load_string(c, "t.yaml", yaml, strlen(yaml), &err) != 0)
		fail_msg("%s", err.msg);
}

static void test_builtin_per_instance_type(void **state)
{
	struct ev_config c;
	struct ev_env_plan p;
	struct ev_err err;

	(void)state;
	load(&c, "");
	assert_int_equal(ev_env_plan_build(&c, "p5.48xlarge", &p, &err), 0);
	assert_string_equal(get(&p, "FI_PROVIDER")->value, "efa");
	assert_string_equal(get(&p, "FI_EFA_USE_DEVICE_RDMA")->value, "1");
	assert_false(get(&p, "FI_PROVIDER")->force);
	assert_null(get(&p, "NCCL_DEBUG"));
	/* c5n has no RDMA read: the variable would break endpoint creation. */
	assert_int_equal(ev_env_plan_build(&c, "c5n.18xlarge", &p, &err), 0);
	assert_non_null(get(&p, "FI_PROVIDER"));
	assert_null(get(&p, "FI_EFA_USE_DEVICE_RDMA"));
	/* Unknown type (IMDS down): only what is safe everywhere. */
	assert_int_equal(ev_env_plan_build(&c, NULL, &p, &err), 0);
	assert_int_equal(p.n, 1);
	assert_string_equal(p.vars[0].name, "FI_PROVIDER");
	ev_config_free(&c);
}

static void test_rules_set_force_unset_and_types(void **state)
{
	struct ev_config c;
	struct ev_env_plan p;
	struct ev_err err;

	(void)state;
	load(&c, "env:\n"
		 "  nccl_debug: true\n"
		 "  vars:\n"
		 "    FI_PROVIDER: {value: efa, force: true}\n"
		 "    FI_EFA_FORK_SAFE: \"1\"\n"
		 "    FI_EFA_USE_DEVICE_RDMA: null\n"
		 "  instance_types:\n"
		 "    p4d.24xlarge:\n"
		 "      NCCL_PROTO: simple\n");
	assert_int_equal(ev_env_plan_build(&c, "p4d.24xlarge", &p, &err), 0);
	assert_true(get(&p, "FI_PROVIDER")->force);
	assert_string_equal(get(&p, "NCCL_DEBUG")->value, "INFO");
	assert_string_equal(get(&p, "FI_EFA_FORK_SAFE")->value, "1");
	assert_null(get(&p, "FI_EFA_USE_DEVICE_RDMA"));
	assert_string_equal(get(&p, "NCCL_PROTO")->value, "simple");
	assert_int_equal(ev_env_plan_build(&c, "p5.48xlarge", &p, &err), 0);
	assert_null(get(&p, "NCCL_PROTO"));
	ev_config_free(&c);
}

static void test_builtin_off(void **state)
{
	struct ev_config c;
	struct ev_env_plan p;
	struct ev_err err;

	(void)state;
	load(&c, "env:\n  builtin: false\n  vars:\n    MY_VAR: x\n");
	assert_int_equal(ev_env_plan_build(&c, "p5.48xlarge", &p, &err), 0);
	assert_int_equal(p.n, 1);
	assert_string_equal(p.vars[0].name, "MY_VAR");
	ev_config_free(&c);
}

static void test_too_many_vars(void **state)
{
	struct ev_config c;
	struct ev_env_plan p;
	struct ev_err err;
	char yaml[8192];
	size_t o;

	(void)state;
	o = (size_t)snprintf(yaml, sizeof(yaml), "env:\n  vars:\n");
	for (int i = 0; i < EV_ENV_MAX_VARS + 1; i++)
		o += (size_t)snprintf(yaml + o, sizeof(yaml) - o, "    V%d: x\n", i);
	load(&c, yaml);
	assert_int_equal(ev_env_plan_build(&c, "p5.48xlarge", &p, &err), -E2BIG);
	assert_non_null(strstr(err.msg, "more than 64"));
	ev_config_free(&c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_builtin_per_instance_type),
		cmocka_unit_test(test_rules_set_force_unset_and_types),
		cmocka_unit_test(test_builtin_off),
		cmocka_unit_test(test_too_many_vars),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
