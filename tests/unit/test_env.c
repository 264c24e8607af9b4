/* The EFA environment plan: built-ins by instance type and by the versions
 * found on the node (aws-ofi-nccl's doc/efa-env-var.md), then config rules. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config/ev_config.h"
#include "judge/ev_env.h"
#include "node/ev_versions.h"
#include "testutil.h"

#define RDMA "FI_EFA_USE_DEVICE_RDMA"

static const struct ev_env_var *get(const struct ev_env_plan *p, const char *name)
{
	for (size_t i = 0; i < p->n; i++)
		if (strcmp(p->vars[i].name, name) == 0)
			return &p->vars[i];
	return NULL;
}

static const struct ev_env_skip *skipped(const struct ev_env_plan *p, const char *name)
{
	for (size_t i = 0; i < p->n_skipped; i++)
		if (strcmp(p->skipped[i].name, name) == 0)
			return &p->skipped[i];
	return NULL;
}

/* Why name was set / not set; the test fails if it was not. */
static const char *set_why(const struct ev_env_plan *p, const char *name)
{
	const struct ev_env_var *v = get(p, name);

	if (!v) {
		fail_msg("%s is not set", name);
		return "";
	}
	return v->why;
}

static const char *skip_why(const struct ev_env_plan *p, const char *name)
{
	const struct ev_env_skip *s = skipped(p, name);

	if (!s) {
		fail_msg("%s is not explained as not set", name);
		return "";
	}
	return s->why;
}

/* Every name is either set or explained as not set, never both, and every
 * variable says why. */
static void assert_consistent(const struct ev_env_plan *p)
{
	for (size_t i = 0; i < p->n; i++) {
		assert_null(skipped(p, p->vars[i].name));
		assert_true(p->vars[i].why[0] != '\0');
	}
	for (size_t i = 0; i < p->n_skipped; i++)
		assert_true(p->skipped[i].why[0] != '\0');
}

static void load(struct ev_config *c, const char *yaml)
{
	struct ev_err err;

	if (ev_config_load_string(c, "t.yaml", yaml, strlen(yaml), &err) != 0)
		fail_msg("%s", err.msg);
}

/* Versions as ev_versions_detect leaves them; NULL = not found. */
static void versions(struct ev_versions *v, const char *libfabric, const char *ofi)
{
	memset(v, 0, sizeof(*v));
	if (libfabric) {
		v->sw[EV_SW_LIBFABRIC].present = true;
		snprintf(v->sw[EV_SW_LIBFABRIC].version, EV_VER_MAX, "%s", libfabric);
	}
	if (ofi) {
		v->sw[EV_SW_AWS_OFI_NCCL].present = true;
		snprintf(v->sw[EV_SW_AWS_OFI_NCCL].version, EV_VER_MAX, "%s", ofi);
	}
}

static void plan_for(const struct ev_config *c, const char *type, const char *libfabric,
		     const char *ofi, struct ev_env_plan *p)
{
	struct ev_versions v;
	struct ev_err err;

	versions(&v, libfabric, ofi);
	if (ev_env_plan_build(c, type, &v, p, &err) != 0)
		fail_msg("plan: %s", err.msg);
	assert_consistent(p);
}

static void assert_contains(const char *hay, const char *needle)
{
	if (!strstr(hay, needle))
		fail_msg("'%s' does not contain '%s'", hay, needle);
}

static void test_builtin_per_instance_type(void **state)
{
	struct ev_config c;
	struct ev_env_plan p;
	struct ev_err err;

	(void)state;
	load(&c, "");
	assert_int_equal(ev_env_plan_build(&c, "p5.48xlarge", NULL, &p, &err), 0);
	assert_string_equal(get(&p, "FI_PROVIDER")->value, "efa");
	assert_string_equal(get(&p, RDMA)->value, "1");
	assert_false(get(&p, "FI_PROVIDER")->force);
	assert_null(get(&p, "NCCL_DEBUG"));
	/* Never injected: not needed on kernels >= 5.15. */
	assert_null(get(&p, "FI_EFA_FORK_SAFE"));
	assert_null(skipped(&p, "FI_EFA_FORK_SAFE"));
	assert_consistent(&p);
	/* c5n has no RDMA read: the variable would make libfabric abort. */
	assert_int_equal(ev_env_plan_build(&c, "c5n.18xlarge", NULL, &p, &err), 0);
	assert_non_null(get(&p, "FI_PROVIDER"));
	assert_null(get(&p, RDMA));
	assert_contains(skip_why(&p, RDMA), "c5n.18xlarge has no RDMA read");
	/* Unknown type (IMDS down): only what is safe everywhere. */
	assert_int_equal(ev_env_plan_build(&c, NULL, NULL, &p, &err), 0);
	assert_int_equal(p.n, 1);
	assert_string_equal(p.vars[0].name, "FI_PROVIDER");
	assert_contains(skip_why(&p, RDMA), "instance type unknown");
	assert_int_equal(ev_env_plan_build(&c, "", NULL, &p, &err), 0);
	assert_null(get(&p, RDMA));
	/* A type the table does not know: its RDMA read is not known either. */
	assert_int_equal(ev_env_plan_build(&c, "m7i.large", NULL, &p, &err), 0);
	assert_null(get(&p, RDMA));
	assert_contains(skip_why(&p, RDMA), "m7i.large is not in the instance table");
	ev_config_free(&c);
}

/* libfabric < 1.18 / >= 1.18 / not found x aws-ofi-nccl < 1.7 / >= 1.7 /
 * not found / <= 1.5, on a type with RDMA read and one without. */
static void test_rdma_by_versions(void **state)
{
	static const struct {
		const char *lf, *ofi;
		bool set;
		const char *why;            /* in the variable's or the skip's why */
		const char *not_why;        /* must not be in it */
	} cases[] = {
		{ "1.17", "1.6.0", true,
		  "p4d.24xlarge has RDMA read; libfabric 1.17 < 1.18; aws-ofi-nccl 1.6.0 < 1.7", NULL },
		{ "1.17", "1.7.4-aws", true, "p4d.24xlarge has RDMA read; libfabric 1.17 < 1.18", "aws-ofi-nccl" },
		{ "1.17", NULL, true, "p4d.24xlarge has RDMA read; libfabric 1.17 < 1.18", "unsure" },
		{ "1.17", "1.5.0", true, "libfabric 1.17 < 1.18; aws-ofi-nccl 1.5.0 < 1.7", NULL },
		{ "1.18.0", "1.6.0", true, "p4d.24xlarge has RDMA read; aws-ofi-nccl 1.6.0 < 1.7", "libfabric" },
		{ "1.18.0", "1.7.4-aws", false,
		  "libfabric 1.18.0 >= 1.18 and aws-ofi-nccl 1.7.4-aws >= 1.7 use RDMA read without it", NULL },
		{ "1.18.0", NULL, true, "p4d.24xlarge has RDMA read; aws-ofi-nccl not found; set where unsure",
		  "libfabric" },
		{ "1.18.0", "1.5.0", true, "aws-ofi-nccl 1.5.0 < 1.7", "libfabric" },
		{ NULL, "1.6.0", true, "p4d.24xlarge has RDMA read; aws-ofi-nccl 1.6.0 < 1.7", "unsure" },
		{ NULL, "1.7.4-aws", true, "p4d.24xlarge has RDMA read; libfabric version not found; set where unsure",
		  "aws-ofi-nccl" },
		{ NULL, NULL, true, "libfabric version not found; aws-ofi-nccl not found; set where unsure", NULL },
		{ NULL, "1.5.0", true, "aws-ofi-nccl 1.5.0 < 1.7", NULL },
	};
	struct ev_config c;
	struct ev_env_plan p;

	(void)state;
	load(&c, "");
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const char *why;

		plan_for(&c, "p4d.24xlarge", cases[i].lf, cases[i].ofi, &p);
		if (cases[i].set) {
			if (!get(&p, RDMA))
				fail_msg("case %zu (%s, %s): not set", i, cases[i].lf, cases[i].ofi);
			assert_string_equal(get(&p, RDMA)->value, "1");
			assert_false(get(&p, RDMA)->force);
			why = set_why(&p, RDMA);
		} else {
			if (get(&p, RDMA))
				fail_msg("case %zu (%s, %s): set", i, cases[i].lf, cases[i].ofi);
			why = skip_why(&p, RDMA);
		}
		assert_contains(why, cases[i].why);
		if (cases[i].not_why && strstr(why, cases[i].not_why))
			fail_msg("case %zu: '%s' mentions '%s'", i, why, cases[i].not_why);
		/* FI_PROVIDER is there whatever the versions. */
		assert_string_equal(get(&p, "FI_PROVIDER")->value, "efa");

		/* No RDMA read: never, whatever the versions say. */
		plan_for(&c, "c5n.18xlarge", cases[i].lf, cases[i].ofi, &p);
		assert_null(get(&p, RDMA));
		assert_contains(skip_why(&p, RDMA), "c5n.18xlarge has no RDMA read");
	}
	ev_config_free(&c);
}

/* Version strings as real installs write them, and ones no install writes. */
static void test_version_strings(void **state)
{
	static const struct {
		const char *lf;
		bool lf_new;                /* counts as >= 1.18 */
	} lf[] = {
		{ "1.18.0", true }, { "1.18", true }, { "1.17", false }, { "1.17.1", false },
		{ "2.1.0", true }, { "2.1.0amzn3.0", true }, { "1.18.2amzn1.0", true },
		{ "1.9", false },           /* numeric: 9 < 18 */
		{ "1.100", true }, { "1", false }, { "1.17rc1", false },
		{ "garbage", false }, { "", false }, { "v1.18", false },
	};
	static const struct {
		const char *ofi;
		bool ofi_new;               /* counts as >= 1.7 */
	} ofi[] = {
		{ "1.7.4-aws", true }, { "1.7", true }, { "1.7.0", true }, { "1.10.0", true },
		{ "1.6.99", false }, { "1.5.0", false }, { "garbage", false }, { "", false },
	};
	struct ev_config c;
	struct ev_env_plan p;

	(void)state;
	load(&c, "");
	for (size_t i = 0; i < sizeof(lf) / sizeof(lf[0]); i++) {
		for (size_t k = 0; k < sizeof(ofi) / sizeof(ofi[0]); k++) {
			bool want = !(lf[i].lf_new && ofi[k].ofi_new);

			plan_for(&c, "p5.48xlarge", lf[i].lf, ofi[k].ofi, &p);
			if ((get(&p, RDMA) != NULL) != want)
				fail_msg("libfabric '%s', aws-ofi-nccl '%s': %s, expected %s", lf[i].lf,
					 ofi[k].ofi, get(&p, RDMA) ? "set" : "not set", want ? "set" : "not set");
		}
	}
	/* A string that is no version is said as not found, not compared. */
	plan_for(&c, "p5.48xlarge", "garbage", "junk", &p);
	assert_contains(set_why(&p, RDMA), "libfabric version not found; aws-ofi-nccl not found");
	assert_null(strstr(set_why(&p, RDMA), "garbage"));
	plan_for(&c, "p5.48xlarge", "1.9", "1.10.0", &p);
	assert_contains(set_why(&p, RDMA), "libfabric 1.9 < 1.18");
	ev_config_free(&c);
}

static void test_fi_provider_default_and_config(void **state)
{
	struct ev_config c;
	struct ev_env_plan p;

	(void)state;
	load(&c, "");
	plan_for(&c, "p5.48xlarge", "2.1.0", "1.9.1", &p);
	assert_string_equal(get(&p, "FI_PROVIDER")->value, "efa");
	assert_false(get(&p, "FI_PROVIDER")->force);
	assert_contains(set_why(&p, "FI_PROVIDER"), "env.fi_provider default: libfabric fails loudly");
	/* Up-to-date software: FI_PROVIDER is all a step gets. */
	assert_int_equal(p.n, 1);
	assert_contains(skip_why(&p, RDMA), "libfabric 2.1.0 >= 1.18 and aws-ofi-nccl 1.9.1 >= 1.7");
	/* aws-ofi-nccl 1.5 and older need it. */
	plan_for(&c, "p5.48xlarge", "2.1.0", "1.5.0", &p);
	assert_contains(set_why(&p, "FI_PROVIDER"), "aws-ofi-nccl 1.5.0 is 1.5 or older and needs it");
	plan_for(&c, "p5.48xlarge", "2.1.0", "1.5.3", &p);
	assert_contains(set_why(&p, "FI_PROVIDER"), "1.5 or older");
	plan_for(&c, "p5.48xlarge", "2.1.0", "1.6.0", &p);
	assert_contains(set_why(&p, "FI_PROVIDER"), "default");
	plan_for(&c, "c5n.18xlarge", NULL, NULL, &p);
	assert_non_null(get(&p, "FI_PROVIDER"));
	ev_config_free(&c);

	/* The default can be turned off on its own; the RDMA rule stays. */
	load(&c, "env:\n  fi_provider: false\n");
	plan_for(&c, "p4d.24xlarge", "1.17", "1.6.0", &p);
	assert_null(get(&p, "FI_PROVIDER"));
	assert_string_equal(skip_why(&p, "FI_PROVIDER"), "env.fi_provider is false");
	assert_non_null(get(&p, RDMA));
	plan_for(&c, "p4d.24xlarge", "1.17", "1.5.0", &p);
	assert_null(get(&p, "FI_PROVIDER"));
	assert_contains(skip_why(&p, "FI_PROVIDER"), "though aws-ofi-nccl 1.5.0 (1.5 or older) needs it");
	ev_config_free(&c);

	/* ... and a rule still sets it. */
	load(&c, "env:\n  fi_provider: false\n  vars:\n    FI_PROVIDER: efa\n");
	plan_for(&c, "p5.48xlarge", NULL, NULL, &p);
	assert_string_equal(get(&p, "FI_PROVIDER")->value, "efa");
	assert_string_equal(set_why(&p, "FI_PROVIDER"), "env.vars");
	ev_config_free(&c);
}

/* A variable the user set is kept (force=false: the plugin sets it with
 * overwrite=0) unless a rule says force; rules win over the built-ins. */
static void test_user_value_wins_and_force(void **state)
{
	struct ev_config c;
	struct ev_env_plan p;

	(void)state;
	load(&c, "env:\n"
		 "  vars:\n"
		 "    NCCL_SOCKET_IFNAME: {value: \"^lo,docker\", force: true}\n"
		 "    FI_EFA_USE_HUGE_PAGE: \"0\"\n");
	plan_for(&c, "p4d.24xlarge", "1.17", NULL, &p);
	assert_false(get(&p, "FI_PROVIDER")->force);
	assert_false(get(&p, RDMA)->force);
	assert_false(get(&p, "FI_EFA_USE_HUGE_PAGE")->force);
	assert_string_equal(set_why(&p, "FI_EFA_USE_HUGE_PAGE"), "env.vars");
	assert_true(get(&p, "NCCL_SOCKET_IFNAME")->force);
	assert_string_equal(set_why(&p, "NCCL_SOCKET_IFNAME"), "env.vars, force");
	ev_config_free(&c);

	/* An admin's rule overrides the version rule both ways. */
	load(&c, "env:\n  vars:\n    FI_EFA_USE_DEVICE_RDMA: {value: \"1\", force: true}\n");
	plan_for(&c, "p5.48xlarge", "2.1.0", "1.9.1", &p);
	assert_true(get(&p, RDMA)->force);
	assert_null(skipped(&p, RDMA));
	ev_config_free(&c);
	load(&c, "env:\n  instance_types:\n    p4d.24xlarge:\n      FI_EFA_USE_DEVICE_RDMA: null\n");
	plan_for(&c, "p4d.24xlarge", "1.17", NULL, &p);
	assert_null(get(&p, RDMA));
	assert_string_equal(skip_why(&p, RDMA), "env.instance_types.p4d.24xlarge sets it to null");
	plan_for(&c, "p5.48xlarge", "1.17", NULL, &p);
	assert_non_null(get(&p, RDMA));
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
		 "    FI_EFA_USE_HUGE_PAGE: \"0\"\n"
		 "    FI_EFA_USE_DEVICE_RDMA: null\n"
		 "  instance_types:\n"
		 "    p4d.24xlarge:\n"
		 "      NCCL_PROTO: simple\n");
	assert_int_equal(ev_env_plan_build(&c, "p4d.24xlarge", NULL, &p, &err), 0);
	assert_consistent(&p);
	assert_true(get(&p, "FI_PROVIDER")->force);
	assert_string_equal(get(&p, "NCCL_DEBUG")->value, "INFO");
	assert_string_equal(set_why(&p, "NCCL_DEBUG"), "env.nccl_debug is true");
	assert_string_equal(get(&p, "FI_EFA_USE_HUGE_PAGE")->value, "0");
	assert_null(get(&p, RDMA));
	assert_string_equal(skip_why(&p, RDMA), "env.vars sets it to null");
	assert_string_equal(get(&p, "NCCL_PROTO")->value, "simple");
	assert_string_equal(set_why(&p, "NCCL_PROTO"), "env.instance_types.p4d.24xlarge");
	assert_int_equal(ev_env_plan_build(&c, "p5.48xlarge", NULL, &p, &err), 0);
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
	assert_int_equal(ev_env_plan_build(&c, "p5.48xlarge", NULL, &p, &err), 0);
	assert_consistent(&p);
	assert_int_equal(p.n, 1);
	assert_string_equal(p.vars[0].name, "MY_VAR");
	assert_string_equal(skip_why(&p, "FI_PROVIDER"), "env.builtin is false");
	assert_string_equal(skip_why(&p, RDMA), "env.builtin is false");
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
	assert_int_equal(ev_env_plan_build(&c, "p5.48xlarge", NULL, &p, &err), -E2BIG);
	assert_non_null(strstr(err.msg, "more than 64"));
	ev_config_free(&c);
}

/* Many removals: explained up to the bound, then unexplained, never an error. */
static void test_many_unsets(void **state)
{
	struct ev_config c;
	struct ev_env_plan p;
	struct ev_err err;
	char yaml[8192];
	size_t o;

	(void)state;
	o = (size_t)snprintf(yaml, sizeof(yaml), "env:\n  vars:\n");
	for (int i = 0; i < 40; i++)
		o += (size_t)snprintf(yaml + o, sizeof(yaml) - o, "    V%d: x\n", i);
	o += (size_t)snprintf(yaml + o, sizeof(yaml) - o, "  instance_types:\n    p5.48xlarge:\n");
	for (int i = 0; i < 40; i++)
		o += (size_t)snprintf(yaml + o, sizeof(yaml) - o, "      V%d: null\n", i);
	load(&c, yaml);
	assert_int_equal(ev_env_plan_build(&c, "p5.48xlarge", NULL, &p, &err), 0);
	assert_int_equal(p.n, 2);
	assert_int_equal(p.n_skipped, EV_ENV_MAX_SKIPPED);
	assert_consistent(&p);
	ev_config_free(&c);
}

/* The step reads only the two versions the plan needs, from the files real
 * installs leave; the NCCL library search is not done. */
static void test_versions_from_files(void **state)
{
	struct ev_config c;
	struct ev_versions v;
	struct ev_env_plan p;
	struct ev_err err;
	char *dir = tu_mkdtemp();

	(void)state;
	load(&c, "");
	assert_int_equal(tu_write(dir, "opt/amazon/efa/lib/pkgconfig/libfabric.pc",
				  "prefix=/opt/amazon/efa\nName: libfabric\nVersion: 2.1.0amzn3.0\n"), 0);
	assert_int_equal(tu_write(dir, "opt/amazon/ofi-nccl/lib/pkgconfig/aws-ofi-nccl.pc",
				  "Name: aws-ofi-nccl\nVersion: 1.13.2-aws\n"), 0);
	assert_int_equal(tu_write(dir, "usr/lib/x86_64-linux-gnu/libnccl.so.2.18.5", ""), 0);
	assert_int_equal(ev_versions_detect_some(dir, dir, EV_ENV_SW_MASK, &v, &err), 0);
	assert_true(v.sw[EV_SW_LIBFABRIC].present);
	assert_true(v.sw[EV_SW_AWS_OFI_NCCL].present);
	assert_false(v.sw[EV_SW_NCCL].present);
	assert_int_equal(ev_env_plan_build(&c, "p5.48xlarge", &v, &p, &err), 0);
	assert_null(get(&p, RDMA));
	assert_contains(skip_why(&p, RDMA), "libfabric 2.1.0amzn3.0 >= 1.18 and aws-ofi-nccl 1.13.2-aws >= 1.7");
	/* An older installer's libfabric. */
	assert_int_equal(tu_write(dir, "opt/amazon/efa/lib/pkgconfig/libfabric.pc",
				  "Name: libfabric\nVersion: 1.16.1amzn3.0\n"), 0);
	assert_int_equal(ev_versions_detect_some(dir, dir, EV_ENV_SW_MASK, &v, &err), 0);
	assert_int_equal(ev_env_plan_build(&c, "p4d.24xlarge", &v, &p, &err), 0);
	assert_string_equal(set_why(&p, RDMA), "p4d.24xlarge has RDMA read; libfabric 1.16.1amzn3.0 < 1.18");
	tu_rm_rf(dir);
	free(dir);
	ev_config_free(&c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_builtin_per_instance_type),
		cmocka_unit_test(test_rdma_by_versions),
		cmocka_unit_test(test_version_strings),
		cmocka_unit_test(test_fi_provider_default_and_config),
		cmocka_unit_test(test_user_value_wins_and_force),
		cmocka_unit_test(test_rules_set_force_unset_and_types),
		cmocka_unit_test(test_builtin_off),
		cmocka_unit_test(test_too_many_vars),
		cmocka_unit_test(test_many_unsets),
		cmocka_unit_test(test_versions_from_files),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
