/* ev_step_plan: what a step gets on a node, from facts a caller gathered.
 * Devices come from simulated sysfs trees (tests/fixtures/mkfixture.py)
 * and versions from package files, read as the plugin and `efa-verify
 * check` read them; IMDS facts and the job's peers are built by hand, as
 * SPANK and slurmio would hand them over. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "judge/ev_step_plan.h"
#include "testutil.h"

#define NOW ((int64_t)1760000000)
#define BOOT "0b4e1a1c-6d4f-4f39-9a61-0123456789ab"

struct fx {
	char *root;
	char sys[512], sw[512];
	struct ev_config cfg;
	struct ev_node_facts f;
	struct ev_versions sw_versions;
	struct ev_step_in in;
	struct ev_step_plan p;
	struct ev_peer peer;
	struct ev_step_peers peers;
};

static int setup(void **state)
{
	struct fx *x = calloc(1, sizeof(*x));
	struct ev_err err;

	if (!x || ev_config_defaults(&x->cfg, &err) != 0)
		return -1;
	x->root = tu_mkdtemp();
	snprintf(x->sys, sizeof(x->sys), "%s/sys", x->root);
	snprintf(x->sw, sizeof(x->sw), "%s/sw", x->root);
	if (mkdir(x->sw, 0755) != 0)
		return -1;
	x->in.cfg = &x->cfg;
	x->in.node = "n1";
	x->in.mode = EV_MODE_ENFORCE;
	x->in.facts = &x->f;
	x->in.judged = true;
	*state = x;
	return 0;
}

static int teardown(void **state)
{
	struct fx *x = *state;

	ev_node_facts_free(&x->f);
	ev_config_free(&x->cfg);
	tu_rm_rf(x->root);
	free(x->root);
	free(x);
	return 0;
}

/* A p5 in us-east-1a, group pg-a, with the devices the fixture has, a
 * working efa provider and NCCL, as ev_node_facts_gather would find it. */
static void node(struct fx *x, const char *type, const char *opt, const char *val)
{
	struct ev_err err = { "" };

	assert_int_equal(tu_fixture(x->sys, "--type", type, opt, val, NULL), 0);
	x->f.devices_rc = ev_devices_discover(x->sys, &x->f.devices, &err);
	assert_int_equal(x->f.devices_rc, 0);
	x->f.fabric.have_efa = x->f.devices.n > 0;
	x->f.fabric.n_efa_devices = (int)x->f.devices.n;
	snprintf(x->f.fabric.version, sizeof(x->f.fabric.version), "1.18");
	snprintf(x->f.fabric.fabrics, sizeof(x->f.fabric.fabrics), "efa");
	x->f.verbs_rc = -ENOTSUP;
	snprintf(x->f.imds.instance_type, sizeof(x->f.imds.instance_type), "p5.48xlarge");
	snprintf(x->f.imds.availability_zone, sizeof(x->f.imds.availability_zone), "us-east-1a");
	x->f.imds.in_group = true;
	snprintf(x->f.imds.placement_group, sizeof(x->f.imds.placement_group), "pg-a");
	x->f.versions.sw[EV_SW_NCCL].present = true;
	snprintf(x->f.versions.sw[EV_SW_NCCL].version, EV_VER_MAX, "2.18.5");
}

/* libfabric and aws-ofi-nccl as their packages install them. */
static void software(struct fx *x, const char *libfabric, const char *ofi_nccl)
{
	char text[128];
	struct ev_err err = { "" };

	snprintf(text, sizeof(text), "Name: libfabric\nVersion: %s\n", libfabric);
	assert_int_equal(tu_write(x->sw, "opt/amazon/efa/lib/pkgconfig/libfabric.pc", text), 0);
	snprintf(text, sizeof(text), "Name: aws-ofi-nccl\nVersion: %s\n", ofi_nccl);
	assert_int_equal(tu_write(x->sw, "opt/amazon/ofi-nccl/lib/pkgconfig/aws-ofi-nccl.pc", text), 0);
	assert_int_equal(ev_versions_detect_some(x->sw, x->sys, EV_ENV_SW_MASK, &x->sw_versions, &err), 0);
	x->in.env_versions = &x->sw_versions;
}

/* The job's reference node, having published a fact written at `age`
 * seconds before now. */
static void peer(struct fx *x, const char *az, const char *group, int64_t age)
{
	memset(&x->peer, 0, sizeof(x->peer));
	snprintf(x->peer.node, sizeof(x->peer.node), "n2");
	x->peer.known = true;
	snprintf(x->peer.az, sizeof(x->peer.az), "%s", az);
	snprintf(x->peer.group, sizeof(x->peer.group), "%s", group);
	snprintf(x->peer.type, sizeof(x->peer.type), "p5.48xlarge");
	snprintf(x->peer.boot_id, sizeof(x->peer.boot_id), BOOT);
	x->peer.written = NOW - age;
	memset(&x->peers, 0, sizeof(x->peers));
	x->peers.peers = &x->peer;
	x->peers.n = 1;
	x->peers.now = NOW;
	x->in.peers = &x->peers;
}

static void plan(struct fx *x)
{
	struct ev_err err = { "" };

	assert_int_equal(ev_step_plan(&x->in, &x->p, &err), 0);
}

static int var(const struct ev_step_plan *p, const char *name)
{
	for (size_t i = 0; i < p->env.n; i++)
		if (strcmp(p->env.vars[i].name, name) == 0)
			return (int)i;
	return -1;
}

static bool skipped(const struct ev_step_plan *p, const char *name)
{
	for (size_t i = 0; i < p->env.n_skipped; i++)
		if (strcmp(p->env.skipped[i].name, name) == 0)
			return true;
	return false;
}

static void test_ready_node(void **state)
{
	struct fx *x = *state;
	int i;

	node(x, "p5.48xlarge", NULL, NULL);
	plan(x);
	assert_true(x->p.judged);
	assert_true(x->p.readiness.ready);
	assert_false(x->p.refuse);
	assert_false(x->p.report_not_ready);
	assert_string_equal(x->p.reason, "");
	assert_int_equal(x->p.n_warn, 0);
	assert_true(x->p.have_efa);
	assert_string_equal(x->p.env_error, "");
	i = var(&x->p, "FI_PROVIDER");
	assert_true(i >= 0);
	assert_string_equal(x->p.env.vars[i].value, "efa");
	assert_false(x->p.kept[i]);
	/* Versions unknown: RDMA read is set where unsure. */
	i = var(&x->p, "FI_EFA_USE_DEVICE_RDMA");
	assert_true(i >= 0);
	assert_string_equal(x->p.env.vars[i].value, "1");
	/* Enforce, ready, placement known: compare with the job's peers,
	 * which were not given. */
	assert_true(x->p.wants_peers);
	assert_int_equal(x->p.placement, EV_STEP_PLACEMENT_NOT_COMPARED);
}

static void test_down_port(void **state)
{
	struct fx *x = *state;

	node(x, "p5.48xlarge", "--port-down", "3");
	plan(x);
	assert_false(x->p.readiness.ready);
	assert_true(x->p.refuse);
	assert_non_null(strstr(x->p.reason, "ports: rdmap19s0 port 1 is DOWN (fix: "));
	assert_false(x->p.wants_peers);
	/* The environment is planned all the same: report steps still run. */
	assert_true(x->p.have_efa);
	assert_true(var(&x->p, "FI_PROVIDER") >= 0);

	x->in.mode = EV_MODE_REPORT;
	plan(x);
	assert_false(x->p.refuse);
	assert_true(x->p.report_not_ready);
	assert_non_null(strstr(x->p.reason, "ports: rdmap19s0 port 1 is DOWN (fix: "));
	assert_false(x->p.wants_peers);
}

static void test_missing_devices(void **state)
{
	struct fx *x = *state;

	node(x, "p5.48xlarge", "--devices", "30");
	plan(x);
	assert_true(x->p.refuse);
	assert_non_null(strstr(x->p.reason, "devices: 30 EFA devices, p5.48xlarge has 32 (fix: "));
	assert_true(x->p.have_efa);
}

static void test_no_device(void **state)
{
	struct fx *x = *state;

	node(x, "none", NULL, NULL);
	plan(x);
	assert_true(x->p.refuse);
	assert_non_null(strstr(x->p.reason, "devices: no EFA device"));
	assert_false(x->p.have_efa);
	assert_int_equal(x->p.env.n, 0);
	assert_int_equal(x->p.env.n_skipped, 0);
}

/* A report step that does not pay for the whole judgement: devices only
 * as "any", no readiness, the environment all the same. */
static void test_report_without_judgement(void **state)
{
	struct fx *x = *state;

	x->in.mode = EV_MODE_REPORT;
	x->in.judged = false;
	x->in.any_device = true;
	snprintf(x->f.imds.instance_type, sizeof(x->f.imds.instance_type), "p5.48xlarge");
	plan(x);
	assert_false(x->p.judged);
	assert_false(x->p.refuse);
	assert_false(x->p.report_not_ready);
	assert_true(x->p.have_efa);
	assert_true(var(&x->p, "FI_EFA_USE_DEVICE_RDMA") >= 0);
	assert_false(x->p.wants_peers);
	assert_false(ev_step_wants_judgement(EV_MODE_REPORT, false, EV_RECORD_FOLLOW_MODE));
	assert_true(ev_step_wants_judgement(EV_MODE_REPORT, true, EV_RECORD_FOLLOW_MODE));
	assert_true(ev_step_wants_judgement(EV_MODE_ENFORCE, false, EV_RECORD_FOLLOW_MODE));
}

/* off under record: always: the record still says whether the node was
 * ready, and the step is neither stopped, told, nor given an environment. */
static void test_off_judged_for_the_record(void **state)
{
	struct fx *x = *state;

	assert_true(ev_step_wants_judgement(EV_MODE_OFF, false, EV_RECORD_ALWAYS));
	assert_true(ev_step_wants_judgement(EV_MODE_REPORT, false, EV_RECORD_ALWAYS));
	assert_false(ev_step_wants_judgement(EV_MODE_OFF, false, EV_RECORD_FOLLOW_MODE));
	node(x, "p5.48xlarge", "--port-down", "3");
	x->in.mode = EV_MODE_OFF;
	plan(x);
	assert_true(x->p.judged);
	assert_false(x->p.readiness.ready);
	assert_true(x->p.record_not_ready);
	assert_non_null(strstr(x->p.reason, "ports: rdmap19s0 port 1 is DOWN (fix: "));
	assert_false(x->p.refuse);
	assert_false(x->p.report_not_ready);
	assert_false(x->p.wants_peers);
	assert_false(x->p.have_efa);
	assert_int_equal(x->p.env.n, 0);
}

static void test_versions_decide_rdma(void **state)
{
	struct fx *x = *state;
	int i;

	node(x, "p5.48xlarge", NULL, NULL);
	software(x, "2.1.0amzn3.0", "1.13.2-aws");
	plan(x);
	assert_int_equal(var(&x->p, "FI_EFA_USE_DEVICE_RDMA"), -1);
	assert_true(skipped(&x->p, "FI_EFA_USE_DEVICE_RDMA"));

	software(x, "1.17.1amzn1.0", "1.5.0-aws");
	plan(x);
	i = var(&x->p, "FI_EFA_USE_DEVICE_RDMA");
	assert_true(i >= 0);
	assert_string_equal(x->p.env.vars[i].value, "1");
	assert_non_null(strstr(x->p.env.vars[i].why, "libfabric 1.17.1amzn1.0 < 1.18"));
}

static void test_user_value_kept_unless_forced(void **state)
{
	struct fx *x = *state;
	const char *job_env[] = { "HOME=/home/u", "FI_PROVIDERX=1", "FI_PROVIDER=tcp", NULL };
	struct ev_err err = { "" };
	char path[600];
	int i;

	node(x, "p5.48xlarge", NULL, NULL);
	x->in.job_env = job_env;
	plan(x);
	i = var(&x->p, "FI_PROVIDER");
	assert_true(i >= 0);
	assert_true(x->p.kept[i]);
	assert_string_equal(ev_step_env_value(&x->in, &x->p, (size_t)i), "tcp");
	i = var(&x->p, "FI_EFA_USE_DEVICE_RDMA");
	assert_false(x->p.kept[i]);
	assert_string_equal(ev_step_env_value(&x->in, &x->p, (size_t)i), "1");

	assert_int_equal(tu_write(x->root, "force.yaml",
				  "env:\n  vars:\n    FI_PROVIDER: {value: efa, force: true}\n"), 0);
	snprintf(path, sizeof(path), "%s/force.yaml", x->root);
	ev_config_free(&x->cfg);
	assert_int_equal(ev_config_load_path(&x->cfg, path, false, "n1", &err), 0);
	plan(x);
	i = var(&x->p, "FI_PROVIDER");
	assert_true(i >= 0);
	assert_true(x->p.env.vars[i].force);
	assert_false(x->p.kept[i]);
	assert_string_equal(ev_step_env_value(&x->in, &x->p, (size_t)i), "efa");
}

static const struct ev_cause *cause(const struct ev_step_plan *p, enum ev_cause_name n)
{
	return ev_causes_find(&p->causes, n);
}

/* The job's own environment as the tasks get it: a transport that keeps
 * EFA out is a certain cause; enforce refuses the step (the job's fault,
 * not the node's), report warns. */
static void test_env_causes(void **state)
{
	struct fx *x = *state;
	const char *tcp[] = { "FI_PROVIDER=tcp", "NCCL_NET=Socket", NULL };
	const char *efa[] = { "FI_PROVIDER=efa", "NCCL_NET=AWS Libfabric", "NCCL_NET_PLUGIN=ofi", NULL };
	const char *neg[] = { "FI_PROVIDER=^efa", "NCCL_NET_PLUGIN=none", NULL };
	const char *layered[] = { "FI_PROVIDER=tcp;ofi_rxm,efa", NULL };
	const char *rdma[] = { "FI_EFA_USE_DEVICE_RDMA=1", NULL };

	node(x, "p5.48xlarge", NULL, NULL);
	x->f.imds_rc = 0;
	snprintf(x->f.imds.instance_type, sizeof(x->f.imds.instance_type), "p5.48xlarge");
	x->in.job_env = tcp;
	plan(x);
	assert_non_null(cause(&x->p, EV_CAUSE_FI_PROVIDER));
	assert_string_equal(cause(&x->p, EV_CAUSE_FI_PROVIDER)->detail, "tcp");
	assert_int_equal(cause(&x->p, EV_CAUSE_FI_PROVIDER)->certainty, EV_CAUSE_CERTAIN);
	assert_string_equal(cause(&x->p, EV_CAUSE_NCCL_NET)->detail, "Socket");
	assert_true(x->p.refuse);
	assert_true(x->p.refuse_env);
	assert_non_null(strstr(x->p.reason, "fi_provider(tcp)"));
	assert_non_null(strstr(x->p.reason, "fix: "));

	x->in.mode = EV_MODE_REPORT;
	plan(x);
	assert_false(x->p.refuse);
	assert_int_equal(x->p.causes.n, 2);
	assert_true(x->p.n_warn >= 1);

	x->in.job_env = efa;
	plan(x);
	assert_int_equal(x->p.causes.n, 0);

	x->in.job_env = neg;
	plan(x);
	assert_non_null(cause(&x->p, EV_CAUSE_FI_PROVIDER));
	assert_non_null(cause(&x->p, EV_CAUSE_NCCL_NET_PLUGIN));

	x->in.job_env = layered;
	plan(x);
	assert_null(cause(&x->p, EV_CAUSE_FI_PROVIDER));

	/* RDMA read on a p5 is right; stale only where the type has none. */
	x->in.job_env = rdma;
	plan(x);
	assert_null(cause(&x->p, EV_CAUSE_STALE_ENV));
	snprintf(x->f.imds.instance_type, sizeof(x->f.imds.instance_type), "c5n.18xlarge");
	plan(x);
	assert_non_null(cause(&x->p, EV_CAUSE_STALE_ENV));

	/* Unknown environment: nothing is the job's, nothing is said. */
	x->in.job_env = NULL;
	plan(x);
	assert_int_equal(x->p.causes.n, 0);
}

/* The tasks' memlock limit below the site's minimum: certain, refused in
 * enforce (the job's limit, not the node's readiness), a warning in
 * report; at the minimum, unlimited or unknown: nothing. */
static void test_memlock_cause(void **state)
{
	struct fx *x = *state;
	uint64_t low = 4194304, at = UINT64_C(1) << 30, unlimited = UINT64_MAX;

	node(x, "p5.48xlarge", NULL, NULL);
	x->in.memlock = &low;
	plan(x);
	assert_non_null(cause(&x->p, EV_CAUSE_MEMLOCK));
	assert_string_equal(cause(&x->p, EV_CAUSE_MEMLOCK)->detail, "4194304");
	assert_int_equal(cause(&x->p, EV_CAUSE_MEMLOCK)->certainty, EV_CAUSE_CERTAIN);
	assert_true(x->p.refuse && x->p.refuse_env);
	assert_non_null(strstr(x->p.reason, "memlock(4194304)"));
	assert_non_null(strstr(x->p.reason, "fix: "));

	x->in.mode = EV_MODE_REPORT;
	plan(x);
	assert_false(x->p.refuse);
	assert_non_null(cause(&x->p, EV_CAUSE_MEMLOCK));
	assert_true(x->p.n_warn >= 1);
	assert_non_null(strstr(x->p.first_warn, "memlock(4194304)"));

	x->in.memlock = &at;
	plan(x);
	assert_null(cause(&x->p, EV_CAUSE_MEMLOCK));
	x->in.memlock = &unlimited;
	plan(x);
	assert_null(cause(&x->p, EV_CAUSE_MEMLOCK));
	x->in.memlock = NULL;
	plan(x);
	assert_null(cause(&x->p, EV_CAUSE_MEMLOCK));

	/* memlock_min_bytes: 0 turns the judgement off. */
	x->in.memlock = &low;
	x->cfg.memlock_min_bytes = 0;
	plan(x);
	assert_null(cause(&x->p, EV_CAUSE_MEMLOCK));
	assert_int_equal(x->p.n_warn, 0);
}

/* A rule that forces FI_PROVIDER=efa over the job's tcp: the tasks get
 * efa, so there is no cause. */
static void test_forced_value_is_no_cause(void **state)
{
	struct fx *x = *state;
	const char *tcp[] = { "FI_PROVIDER=tcp", NULL };
	struct ev_err err = { "" };
	char path[600];

	node(x, "p5.48xlarge", NULL, NULL);
	assert_int_equal(tu_write(x->root, "force.yaml",
				  "env:\n  vars:\n    FI_PROVIDER: {value: efa, force: true}\n"), 0);
	snprintf(path, sizeof(path), "%s/force.yaml", x->root);
	ev_config_free(&x->cfg);
	assert_int_equal(ev_config_load_path(&x->cfg, path, false, "n1", &err), 0);
	x->in.job_env = tcp;
	plan(x);
	assert_null(cause(&x->p, EV_CAUSE_FI_PROVIDER));
	assert_false(x->p.refuse);
}

static void test_placement_mismatch(void **state)
{
	struct fx *x = *state;

	node(x, "p5.48xlarge", NULL, NULL);
	peer(x, "us-east-1a", "pg-a", 60);
	plan(x);
	assert_int_equal(x->p.placement, EV_STEP_PLACEMENT_SAME);
	assert_false(x->p.refuse);
	assert_int_equal(x->p.n_warn, 0);

	peer(x, "us-east-1b", "pg-a", 60);
	plan(x);
	assert_int_equal(x->p.placement, EV_STEP_PLACEMENT_DIFFERENT);
	assert_true(x->p.refuse);
	assert_string_equal(x->p.reason, "placement: nodes of this job are in different availability zones: "
					 "n1 us-east-1a, n2 us-east-1b");

	peer(x, "us-east-1a", "", 60);
	plan(x);
	assert_true(x->p.refuse);
	assert_string_equal(x->p.reason, "placement: nodes of this job are in different placement groups: "
					 "n1 pg-a, n2 (none)");

	/* placement: warn says so and runs the step. */
	x->cfg.checks[EV_CHECK_PLACEMENT] = EV_ACTION_WARN;
	plan(x);
	assert_false(x->p.refuse);
	assert_int_equal(x->p.placement, EV_STEP_PLACEMENT_DIFFERENT);
	assert_int_equal(x->p.n_warn, 1);
	assert_non_null(strstr(x->p.first_warn, "placement: nodes of this job are in different placement groups"));

	/* off: not compared at all. */
	x->cfg.checks[EV_CHECK_PLACEMENT] = EV_ACTION_OFF;
	plan(x);
	assert_false(x->p.wants_peers);
	assert_int_equal(x->p.placement, EV_STEP_PLACEMENT_NOT_COMPARED);
	assert_false(x->p.refuse);
}

static void test_placement_facts_too_old(void **state)
{
	struct fx *x = *state;

	node(x, "p5.48xlarge", NULL, NULL);
	peer(x, "us-east-1b", "pg-a", EV_PLACEMENT_FACTS_MAX_AGE + 60);
	plan(x);
	/* Too old to judge: not a mismatch, but the step is told. */
	assert_false(x->p.refuse);
	assert_int_equal(x->p.placement, EV_STEP_PLACEMENT_SAME);
	assert_int_equal(x->p.n_warn, 1);
	assert_non_null(strstr(x->p.first_warn, "placement of n2 not verified: fact is from "));
	assert_non_null(strstr(x->p.first_warn, "older than 24 h"));
}

/* A judgement against fresh facts is for the job's later steps to keep;
 * one made without them (too old, unverified) is not. A memo stands in
 * for the peers, with what it found. */
static void test_placement_memo(void **state)
{
	struct fx *x = *state;
	struct ev_placement_memo same = { 0 }, diff = { .different = true, .why = "nodes of this job are in "
									     "different availability zones: n1 a, n2 b" };

	node(x, "p5.48xlarge", NULL, NULL);
	peer(x, "us-east-1a", "pg-a", 60);
	plan(x);
	assert_true(x->p.placement_memo_new);
	assert_false(x->p.placement_memo.different);
	peer(x, "us-east-1b", "pg-a", 60);
	plan(x);
	assert_true(x->p.placement_memo_new);
	assert_true(x->p.placement_memo.different);
	assert_string_equal(x->p.placement_memo.why, x->p.placement_why);
	peer(x, "us-east-1b", "pg-a", EV_PLACEMENT_FACTS_MAX_AGE + 60);
	plan(x);
	assert_false(x->p.placement_memo_new);
	peer(x, "us-east-1a", "pg-a", 60);
	snprintf(x->peers.unverified, sizeof(x->peers.unverified), "no job id");
	plan(x);
	assert_false(x->p.placement_memo_new);

	/* From a memo: no peers, nothing new to keep, the same outcome. */
	x->in.peers = NULL;
	x->in.placement_memo = &same;
	plan(x);
	assert_int_equal(x->p.placement, EV_STEP_PLACEMENT_SAME);
	assert_false(x->p.placement_memo_new);
	assert_false(x->p.refuse);
	x->in.placement_memo = &diff;
	plan(x);
	assert_int_equal(x->p.placement, EV_STEP_PLACEMENT_DIFFERENT);
	assert_true(x->p.refuse);
	assert_string_equal(x->p.reason, "placement: nodes of this job are in different availability zones: n1 a, n2 b");
	x->cfg.checks[EV_CHECK_PLACEMENT] = EV_ACTION_WARN;
	plan(x);
	assert_false(x->p.refuse);
	assert_int_equal(x->p.n_warn, 1);
	/* Report mode does not compare: the memo is not used. */
	x->in.mode = EV_MODE_REPORT;
	plan(x);
	assert_int_equal(x->p.placement, EV_STEP_PLACEMENT_NOT_COMPARED);
}

static void test_placement_unverified(void **state)
{
	struct fx *x = *state;

	node(x, "p5.48xlarge", NULL, NULL);
	peer(x, "us-east-1b", "pg-a", 60);
	snprintf(x->peers.unverified, sizeof(x->peers.unverified), "no job id");
	plan(x);
	assert_false(x->p.refuse);
	assert_int_equal(x->p.placement, EV_STEP_PLACEMENT_UNVERIFIED);
	assert_string_equal(x->p.first_warn, "placement across nodes not verified: no job id");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_ready_node, setup, teardown),
		cmocka_unit_test_setup_teardown(test_down_port, setup, teardown),
		cmocka_unit_test_setup_teardown(test_missing_devices, setup, teardown),
		cmocka_unit_test_setup_teardown(test_no_device, setup, teardown),
		cmocka_unit_test_setup_teardown(test_report_without_judgement, setup, teardown),
		cmocka_unit_test_setup_teardown(test_off_judged_for_the_record, setup, teardown),
		cmocka_unit_test_setup_teardown(test_versions_decide_rdma, setup, teardown),
		cmocka_unit_test_setup_teardown(test_user_value_kept_unless_forced, setup, teardown),
		cmocka_unit_test_setup_teardown(test_env_causes, setup, teardown),
		cmocka_unit_test_setup_teardown(test_memlock_cause, setup, teardown),
		cmocka_unit_test_setup_teardown(test_forced_value_is_no_cause, setup, teardown),
		cmocka_unit_test_setup_teardown(test_placement_mismatch, setup, teardown),
		cmocka_unit_test_setup_teardown(test_placement_facts_too_old, setup, teardown),
		cmocka_unit_test_setup_teardown(test_placement_unverified, setup, teardown),
		cmocka_unit_test_setup_teardown(test_placement_memo, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
