/* ev_readiness_evaluate is pure: facts are built by hand here, so each check's
 * every branch is reachable without hardware. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "judge/ev_readiness.h"

struct fx {
	struct ev_config cfg;
	struct ev_node_facts f;
	struct ev_readiness r;
};

/* A healthy p4d: 4 ACTIVE devices, efa provider, group, good versions. */
static int setup(void **state)
{
	struct fx *x = calloc(1, sizeof(*x));
	struct ev_err err;

	if (!x || ev_config_defaults(&x->cfg, &err) != 0)
		return -1;
	x->f.devices.n = 4;
	x->f.devices.devs = calloc(4, sizeof(struct ev_device));
	for (int i = 0; i < 4; i++) {
		struct ev_device *d = &x->f.devices.devs[i];

		snprintf(d->name, sizeof(d->name), "rdmap%ds27", 16 + 16 * i);
		snprintf(d->driver, sizeof(d->driver), "efa");
		d->port_state = EV_PORT_ACTIVE;
		snprintf(d->port_state_name, sizeof(d->port_state_name), "ACTIVE");
		snprintf(d->link_rate, sizeof(d->link_rate), "100 Gb/sec (4X EDR)");
	}
	x->f.fabric.have_efa = true;
	x->f.fabric.n_efa_devices = 4;
	snprintf(x->f.fabric.version, sizeof(x->f.fabric.version), "1.18");
	snprintf(x->f.fabric.first_device, sizeof(x->f.fabric.first_device), "rdmap16s27");
	snprintf(x->f.fabric.fabrics, sizeof(x->f.fabric.fabrics), "efa");
	x->f.verbs_rc = -ENOTSUP;
	snprintf(x->f.imds.instance_type, sizeof(x->f.imds.instance_type), "p4d.24xlarge");
	snprintf(x->f.imds.availability_zone, sizeof(x->f.imds.availability_zone), "us-east-1a");
	x->f.imds.in_group = true;
	snprintf(x->f.imds.placement_group, sizeof(x->f.imds.placement_group), "pg-train");
	x->f.versions.sw[EV_SW_NCCL].present = true;
	snprintf(x->f.versions.sw[EV_SW_NCCL].version, EV_VER_MAX, "2.18.5");
	*state = x;
	return 0;
}

static int teardown(void **state)
{
	struct fx *x = *state;

	ev_node_facts_free(&x->f);
	ev_config_free(&x->cfg);
	free(x);
	return 0;
}

static const struct ev_check_result *eval(struct fx *x, enum ev_check_id id)
{
	ev_readiness_evaluate(&x->cfg, &x->f, &x->r);
	return &x->r.checks[id];
}

static void test_healthy_node_is_ready(void **state)
{
	struct fx *x = *state;
	char reason[256];

	eval(x, EV_CHECK_DEVICES);
	assert_true(x->r.ready);
	for (int i = 0; i < EV_CHECK__COUNT; i++)
		assert_int_equal(x->r.checks[i].status, EV_ST_OK);
	assert_non_null(x->r.itype);
	assert_string_equal(x->r.itype->name, "p4d.24xlarge");
	assert_non_null(strstr(x->r.checks[EV_CHECK_DEVICES].summary, "4 EFA devices"));
	assert_non_null(strstr(x->r.checks[EV_CHECK_PLACEMENT].summary, "pg-train"));
	ev_readiness_reason(&x->r, reason, sizeof(reason));
	assert_string_equal(reason, "");
}

static void test_no_devices_fails_and_ports_skip(void **state)
{
	struct fx *x = *state;
	char reason[256];

	x->f.devices.n = 0;
	assert_int_equal(eval(x, EV_CHECK_DEVICES)->status, EV_ST_FAIL);
	assert_false(x->r.ready);
	assert_int_equal(x->r.checks[EV_CHECK_PORTS].status, EV_ST_SKIP);
	ev_readiness_reason(&x->r, reason, sizeof(reason));
	assert_non_null(strstr(reason, "devices: no EFA device"));
	assert_non_null(strstr(reason, "Efa: Enabled: true"));
}

static void test_wrong_device_count_fails(void **state)
{
	struct fx *x = *state;
	const struct ev_check_result *c;

	x->f.devices.n = 3;
	c = eval(x, EV_CHECK_DEVICES);
	assert_int_equal(c->status, EV_ST_FAIL);
	assert_string_equal(c->summary, "3 EFA devices, p4d.24xlarge has 4");
}

static void test_unknown_type_does_not_guess_count(void **state)
{
	struct fx *x = *state;
	const struct ev_check_result *c;

	snprintf(x->f.imds.instance_type, sizeof(x->f.imds.instance_type), "x9.huge");
	x->f.devices.n = 3;
	c = eval(x, EV_CHECK_DEVICES);
	assert_int_equal(c->status, EV_ST_OK);
	assert_null(x->r.itype);
	assert_non_null(strstr(c->summary, "expected count unknown"));
}

static void test_port_down_fails_with_device_name(void **state)
{
	struct fx *x = *state;
	const struct ev_check_result *c;

	x->f.devices.devs[2].port_state = 1;
	snprintf(x->f.devices.devs[2].port_state_name, 32, "DOWN");
	c = eval(x, EV_CHECK_PORTS);
	assert_int_equal(c->status, EV_ST_FAIL);
	assert_string_equal(c->summary, "rdmap48s27 port 1 is DOWN");
	assert_false(x->r.ready);

	x->f.devices.devs[0].port_state = -1;
	x->f.devices.devs[0].port_state_name[0] = '\0';
	c = eval(x, EV_CHECK_PORTS);
	assert_non_null(strstr(c->summary, "2 of 4 ports not ACTIVE"));
	assert_non_null(strstr(c->summary, "rdmap16s27 port 1 is unreadable"));
}

static void test_efa_provider_summary(void **state)
{
	struct fx *x = *state;
	const struct ev_check_result *c;

	c = eval(x, EV_CHECK_EFA_PROVIDER);
	assert_int_equal(c->status, EV_ST_OK);
	assert_string_equal(c->summary, "libfabric 1.18: efa provider, 4 devices (rdmap16s27), fabric efa");
	/* libfabric 2: the NICs once, both fabrics named. */
	snprintf(x->f.fabric.version, sizeof(x->f.fabric.version), "2.1");
	snprintf(x->f.fabric.fabrics, sizeof(x->f.fabric.fabrics), "efa, efa-direct");
	c = eval(x, EV_CHECK_EFA_PROVIDER);
	assert_string_equal(c->summary,
			    "libfabric 2.1: efa provider, 4 devices (rdmap16s27), fabrics efa, efa-direct");
	/* A cache entry without fabric names still reads well. */
	x->f.fabric.n_efa_devices = 1;
	x->f.fabric.fabrics[0] = '\0';
	c = eval(x, EV_CHECK_EFA_PROVIDER);
	assert_string_equal(c->summary, "libfabric 2.1: efa provider, 1 device (rdmap16s27)");
}

static void test_no_efa_provider_fails(void **state)
{
	struct fx *x = *state;
	const struct ev_check_result *c;

	x->f.fabric.have_efa = false;
	snprintf(x->f.fabric.detail, sizeof(x->f.fabric.detail), "No data available");
	c = eval(x, EV_CHECK_EFA_PROVIDER);
	assert_int_equal(c->status, EV_ST_FAIL);
	assert_string_equal(c->summary, "libfabric 1.18 has no efa provider: No data available");
	assert_non_null(strstr(c->fix, "/opt/amazon/efa"));
}

static void test_rdma_core_open_failure_fails_devices(void **state)
{
	struct fx *x = *state;
	const struct ev_check_result *c;

	x->f.verbs_rc = 0;
	x->f.verbs.n_opened = 2;
	snprintf(x->f.verbs.first_failure, sizeof(x->f.verbs.first_failure),
		 "rdmap48s27: ibv_open_device: Permission denied");
	c = eval(x, EV_CHECK_DEVICES);
	assert_int_equal(c->status, EV_ST_FAIL);
	assert_non_null(strstr(c->summary, "opened 2 of 4"));
	assert_non_null(strstr(c->summary, "Permission denied"));
}

static void test_no_group_fails_unless_not_required(void **state)
{
	struct fx *x = *state;
	const struct ev_check_result *c;

	x->f.imds.in_group = false;
	c = eval(x, EV_CHECK_PLACEMENT);
	assert_int_equal(c->status, EV_ST_FAIL);
	assert_string_equal(c->summary, "not in a placement group (us-east-1a)");
	assert_non_null(strstr(c->fix, "PlacementGroup: Enabled: true"));

	x->cfg.require_group = false;
	c = eval(x, EV_CHECK_PLACEMENT);
	assert_int_equal(c->status, EV_ST_OK);
	assert_true(x->r.ready);
}

static void test_expected_az_and_group(void **state)
{
	struct fx *x = *state;
	const struct ev_check_result *c;

	snprintf(x->cfg.expect_az, sizeof(x->cfg.expect_az), "us-east-1b");
	c = eval(x, EV_CHECK_PLACEMENT);
	assert_int_equal(c->status, EV_ST_FAIL);
	assert_string_equal(c->summary, "availability zone us-east-1a, expected us-east-1b");

	snprintf(x->cfg.expect_az, sizeof(x->cfg.expect_az), "us-east-1a");
	snprintf(x->cfg.expect_group, sizeof(x->cfg.expect_group), "pg-other");
	c = eval(x, EV_CHECK_PLACEMENT);
	assert_int_equal(c->status, EV_ST_FAIL);
	assert_string_equal(c->summary, "placement group pg-train, expected pg-other");

	snprintf(x->cfg.expect_group, sizeof(x->cfg.expect_group), "pg-train");
	assert_int_equal(eval(x, EV_CHECK_PLACEMENT)->status, EV_ST_OK);
}

static void test_imds_down_warns_not_fails(void **state)
{
	struct fx *x = *state;
	const struct ev_check_result *c;

	x->f.imds_rc = -ETIMEDOUT;
	snprintf(x->f.imds_err, sizeof(x->f.imds_err), "IMDS token: timed out after 1000 ms");
	x->f.devices.n = 3;
	c = eval(x, EV_CHECK_PLACEMENT);
	assert_int_equal(c->status, EV_ST_WARN);
	assert_non_null(strstr(c->summary, "timed out"));
	assert_true(x->r.ready);
	/* Without the instance type, a device count cannot be judged. */
	assert_int_equal(x->r.checks[EV_CHECK_DEVICES].status, EV_ST_OK);
}

static void test_versions_below_minimum_warn_by_default(void **state)
{
	struct fx *x = *state;
	const struct ev_check_result *c;

	snprintf(x->f.versions.sw[EV_SW_NCCL].version, EV_VER_MAX, "2.14.3");
	c = eval(x, EV_CHECK_VERSIONS);
	assert_int_equal(c->status, EV_ST_WARN);
	assert_non_null(strstr(c->summary, "nccl 2.14.3 < 2.15.1"));
	assert_true(x->r.ready);

	x->cfg.checks[EV_CHECK_VERSIONS] = EV_ACTION_FAIL;
	assert_int_equal(eval(x, EV_CHECK_VERSIONS)->status, EV_ST_FAIL);
	assert_false(x->r.ready);
}

static void test_actions_warn_and_off(void **state)
{
	struct fx *x = *state;

	x->f.fabric.have_efa = false;
	x->cfg.checks[EV_CHECK_EFA_PROVIDER] = EV_ACTION_WARN;
	assert_int_equal(eval(x, EV_CHECK_EFA_PROVIDER)->status, EV_ST_WARN);
	assert_true(x->r.ready);
	x->cfg.checks[EV_CHECK_EFA_PROVIDER] = EV_ACTION_OFF;
	assert_int_equal(eval(x, EV_CHECK_EFA_PROVIDER)->status, EV_ST_SKIP);
	assert_true(x->r.ready);
}

static void test_reason_names_first_failure(void **state)
{
	struct fx *x = *state;
	char reason[64];

	x->f.devices.devs[1].port_state = 1;
	snprintf(x->f.devices.devs[1].port_state_name, 32, "DOWN");
	x->f.imds.in_group = false;
	eval(x, EV_CHECK_PORTS);
	ev_readiness_reason(&x->r, reason, sizeof(reason));
	/* Truncated to the buffer, never overflowing it. */
	assert_int_equal(strncmp(reason, "ports: rdmap32s27 port 1 is DOWN", 32), 0);
	assert_true(strlen(reason) < sizeof(reason));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_healthy_node_is_ready, setup, teardown),
		cmocka_unit_test_setup_teardown(test_no_devices_fails_and_ports_skip, setup, teardown),
		cmocka_unit_test_setup_teardown(test_wrong_device_count_fails, setup, teardown),
		cmocka_unit_test_setup_teardown(test_unknown_type_does_not_guess_count, setup, teardown),
		cmocka_unit_test_setup_teardown(test_port_down_fails_with_device_name, setup, teardown),
		cmocka_unit_test_setup_teardown(test_efa_provider_summary, setup, teardown),
		cmocka_unit_test_setup_teardown(test_no_efa_provider_fails, setup, teardown),
		cmocka_unit_test_setup_teardown(test_rdma_core_open_failure_fails_devices, setup, teardown),
		cmocka_unit_test_setup_teardown(test_no_group_fails_unless_not_required, setup, teardown),
		cmocka_unit_test_setup_teardown(test_expected_az_and_group, setup, teardown),
		cmocka_unit_test_setup_teardown(test_imds_down_warns_not_fails, setup, teardown),
		cmocka_unit_test_setup_teardown(test_versions_below_minimum_warn_by_default, setup, teardown),
		cmocka_unit_test_setup_teardown(test_actions_warn_and_off, setup, teardown),
		cmocka_unit_test_setup_teardown(test_reason_names_first_failure, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
