/* efa-verify.yaml: defaults, every key, every error path with its exact
 * FILE:LINE:COL, the shipped default file, and %n expansion. */
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
#include <unistd.h>

#include "config/ev_config.h"
#include "testutil.h"

#define NAME "t.yaml"

static int load(struct ev_config *c, const char *text, struct ev_err *e)
{
	return ev_config_load_string(c, NAME, text, strlen(text), e);
}

/* Loads text, expects -EINVAL, a message starting with prefix and holding
 * phrase, and a config left empty. */
#define expect_error(text, prefix, phrase) expect_error_at(__LINE__, text, prefix, phrase)
static void expect_error_at(int line, const char *text, const char *prefix, const char *phrase)
{
	struct ev_config c;
	struct ev_err e = { "" };
	int rc = load(&c, text, &e);

	if (rc != -EINVAL || strncmp(e.msg, prefix, strlen(prefix)) != 0 || !strstr(e.msg, phrase))
		print_error("line %d: rc=%d msg='%s' (want prefix '%s', phrase '%s')\n", line, rc,
			    e.msg, prefix, phrase);
	assert_int_equal(rc, -EINVAL);
	assert_memory_equal(e.msg, prefix, strlen(prefix));
	assert_non_null(strstr(e.msg, phrase));
	assert_null(c.instance_types);
	assert_null(c.env_rules);
	assert_int_equal(c.n_instance_types, 0);
	ev_config_free(&c);
}

static void assert_defaults(const struct ev_config *c)
{
	size_t n;

	assert_int_equal(c->mode, EV_MODE_REPORT);
	assert_string_equal(c->sysfs_root, "/sys");
	assert_string_equal(c->state_dir, "/var/lib/efa-verify");
	assert_string_equal(c->software_root, "/");
	assert_string_equal(c->imds_endpoint, "http://169.254.169.254");
	assert_int_equal(c->imds_timeout_ms, 1000);
	assert_true(c->require_group);
	assert_string_equal(c->expect_az, "");
	assert_string_equal(c->expect_group, "");
	assert_true(c->tcp_auto);
	assert_false(c->tcp_source_interface);
	assert_int_equal(c->n_tcp_ifaces, 0);
	assert_int_equal(c->verdict.min_bytes, 1048576);
	assert_int_equal(c->verdict.efa_idle_bytes, 1048576);
	assert_true(c->verdict.tcp_fallback_fraction == 0.5);
	assert_true(c->verdict.idle_nic_fraction == 0.01);
	assert_true(c->verdict.max_errors_per_gib[EV_ERRF_RX_DROPS] == 1000);
	assert_true(c->verdict.max_errors_per_gib[EV_ERRF_RETRANS_PKTS] == 1000);
	assert_true(c->verdict.max_errors_per_gib[EV_ERRF_RETRANS_TIMEOUT] == 10);
	assert_true(c->verdict.max_errors_per_gib[EV_ERRF_UNRESPONSIVE_REMOTE] == 1);
	assert_true(c->verdict.max_errors_per_gib[EV_ERRF_IMPAIRED_REMOTE] == 1);
	assert_true(c->verdict.max_errors_per_gib[EV_ERRF_RDMA_WR_ERR] == 1);
	assert_int_equal(c->record, EV_RECORD_FOLLOW_MODE);
	assert_string_equal(c->deprecated, "");
	assert_true(c->env_builtin);
	assert_true(c->env_fi_provider);
	assert_false(c->nccl_debug);
	assert_int_equal(c->n_env_rules, 0);
	assert_int_equal(c->checks[EV_CHECK_DEVICES], EV_ACTION_FAIL);
	assert_int_equal(c->checks[EV_CHECK_PORTS], EV_ACTION_FAIL);
	assert_int_equal(c->checks[EV_CHECK_EFA_PROVIDER], EV_ACTION_FAIL);
	assert_int_equal(c->checks[EV_CHECK_PLACEMENT], EV_ACTION_FAIL);
	assert_int_equal(c->checks[EV_CHECK_VERSIONS], EV_ACTION_WARN);
	assert_int_equal(c->on_not_ready, EV_NOT_READY_FAIL_STEP);
	assert_string_equal(c->prometheus_textfile_dir, "");
	assert_string_equal(c->log_path, "/var/log/efa-verify/jobs.jsonl");
	ev_instances_builtin(&n);
	assert_int_equal(c->n_instance_types, n);
	assert_non_null(c->instance_types);
	assert_int_equal(ev_config_instance(c, "p5.48xlarge")->efa_devices, 32);
}

/* ------------------------------------------------------------ defaults */

static void test_defaults(void **state)
{
	struct ev_config c;
	struct ev_err e = { "" };

	(void)state;
	assert_int_equal(ev_config_defaults(&c, &e), 0);
	assert_defaults(&c);
	assert_string_equal(c.path, "");
	/* The copy is the config's own: changing it leaves the table alone. */
	c.instance_types[0].efa_devices = 99;
	assert_int_not_equal(ev_instances_builtin(NULL)[0].efa_devices, 99);
	ev_config_free(&c);
	assert_null(c.instance_types);
	ev_config_free(&c);
	ev_config_free(NULL);
	assert_int_equal(ev_config_defaults(NULL, &e), -EINVAL);
}

static void test_empty_inputs(void **state)
{
	static const char *const texts[] = {
		"", "# only a comment\n", "\n\n# a\n   # b\n", "---\n", "--- ~\n", "---\n...\n", "null\n",
	};

	(void)state;
	for (size_t i = 0; i < sizeof(texts) / sizeof(texts[0]); i++) {
		struct ev_config c;
		struct ev_err e = { "" };

		assert_int_equal(load(&c, texts[i], &e), 0);
		assert_defaults(&c);
		assert_string_equal(c.path, NAME);
		ev_config_free(&c);
	}
}

/* ------------------------------------------------------------ every key */

static const char every_key[] =
	"mode: enforce\n"
	"sysfs_root: /tmp/sim/%n/sys/\n"
	"state_dir: /tmp/state\n"
	"software_root: /opt/fake\n"
	"imds:\n"
	"  endpoint: http://127.0.0.1:8111/\n"
	"  timeout_ms: 250\n"
	"placement:\n"
	"  require_group: no\n"
	"  availability_zone: us-east-1a\n"
	"  group_name: pg train\n"
	"tcp_source: interface\n"
	"tcp_interfaces: [ens5, eth0]\n"
	"verdict:\n"
	"  min_bytes: 4MiB\n"
	"  efa_idle_bytes: 64K\n"
	"  tcp_fallback_fraction: 0.75\n"
	"  idle_nic_fraction: 1e-3\n"
	"  max_errors_per_gib:\n"
	"    rx_drops: 5\n"
	"    retrans_pkts: 2.5\n"
	"    retrans_timeout_events: 0\n"
	"    unresponsive_remote_events: 1e3\n"
	"    impaired_remote_conn_events: '7'\n"
	"    rdma_wr_err: 0.25\n"
	"env:\n"
	"  builtin: false\n"
	"  fi_provider: false\n"
	"  nccl_debug: on\n"
	"  vars:\n"
	"    FI_EFA_FORK_SAFE: \"1\"\n"
	"    NCCL_SOCKET_IFNAME: {value: \"^lo,docker\", force: true}\n"
	"    FI_EFA_USE_DEVICE_RDMA: null\n"
	"  instance_types:\n"
	"    p4d.24xlarge:\n"
	"      NCCL_PROTO: simple\n"
	"      _X1:\n"
	"        value: ''\n"
	"instance_types:\n"
	"  p5.48xlarge:\n"
	"    efa_devices: 16\n"
	"    min_versions:\n"
	"      nccl: \"2.20.3\"\n"
	"      cuda: null\n"
	"  x9.metal:\n"
	"    efa_devices: 2\n"
	"    rdma_read: true\n"
	"    recommended_versions: {libfabric: 1.22.0amzn4.0}\n"
	"checks:\n"
	"  devices: warn\n"
	"  ports: off\n"
	"  efa_provider: fail\n"
	"  placement: off\n"
	"  versions: fail\n"
	"on_not_ready: drain\n"
	"prometheus_textfile_dir: /var/lib/node_exporter/\n"
	"record: always\n"
	"log: /tmp/log/%n.jsonl\n";

static void test_every_key(void **state)
{
	struct ev_config c;
	struct ev_err e = { "" };
	const struct ev_instance_type *p5, *x9, *p4d;
	const struct ev_env_rule *r;
	size_t n;

	(void)state;
	assert_int_equal(load(&c, every_key, &e), 0);
	assert_int_equal(c.mode, EV_MODE_ENFORCE);
	assert_string_equal(c.sysfs_root, "/tmp/sim/%n/sys");
	assert_string_equal(c.state_dir, "/tmp/state");
	assert_string_equal(c.software_root, "/opt/fake");
	assert_string_equal(c.imds_endpoint, "http://127.0.0.1:8111");
	assert_int_equal(c.imds_timeout_ms, 250);
	assert_false(c.require_group);
	assert_string_equal(c.expect_az, "us-east-1a");
	assert_string_equal(c.expect_group, "pg train");
	assert_true(c.tcp_source_interface);
	assert_false(c.tcp_auto);
	assert_int_equal(c.n_tcp_ifaces, 2);
	assert_string_equal(c.tcp_ifaces[0], "ens5");
	assert_string_equal(c.tcp_ifaces[1], "eth0");
	assert_int_equal(c.verdict.min_bytes, 4u << 20);
	assert_int_equal(c.verdict.efa_idle_bytes, 64u << 10);
	assert_true(c.verdict.tcp_fallback_fraction == 0.75);
	assert_true(c.verdict.idle_nic_fraction == 1e-3);
	assert_true(c.verdict.max_errors_per_gib[EV_ERRF_RX_DROPS] == 5);
	assert_true(c.verdict.max_errors_per_gib[EV_ERRF_RETRANS_PKTS] == 2.5);
	assert_true(c.verdict.max_errors_per_gib[EV_ERRF_RETRANS_TIMEOUT] == 0);
	assert_true(c.verdict.max_errors_per_gib[EV_ERRF_UNRESPONSIVE_REMOTE] == 1000);
	assert_true(c.verdict.max_errors_per_gib[EV_ERRF_IMPAIRED_REMOTE] == 7);
	assert_true(c.verdict.max_errors_per_gib[EV_ERRF_RDMA_WR_ERR] == 0.25);
	assert_int_equal(c.record, EV_RECORD_ALWAYS);
	assert_string_equal(c.deprecated, "");
	assert_false(c.env_builtin);
	assert_false(c.env_fi_provider);
	assert_true(c.nccl_debug);

	assert_int_equal(c.n_env_rules, 5);
	r = &c.env_rules[0];
	assert_string_equal(r->instance_type, "");
	assert_string_equal(r->name, "FI_EFA_FORK_SAFE");
	assert_string_equal(r->value, "1");
	assert_false(r->force);
	assert_false(r->unset);
	r = &c.env_rules[1];
	assert_string_equal(r->name, "NCCL_SOCKET_IFNAME");
	assert_string_equal(r->value, "^lo,docker");
	assert_true(r->force);
	r = &c.env_rules[2];
	assert_string_equal(r->name, "FI_EFA_USE_DEVICE_RDMA");
	assert_true(r->unset);
	assert_string_equal(r->value, "");
	r = &c.env_rules[3];
	assert_string_equal(r->instance_type, "p4d.24xlarge");
	assert_string_equal(r->name, "NCCL_PROTO");
	assert_string_equal(r->value, "simple");
	r = &c.env_rules[4];
	assert_string_equal(r->instance_type, "p4d.24xlarge");
	assert_string_equal(r->name, "_X1");
	assert_string_equal(r->value, "");
	assert_false(r->unset);

	/* p5 overridden field by field; the rest stays built in. */
	p5 = ev_config_instance(&c, "p5.48xlarge");
	assert_non_null(p5);
	assert_int_equal(p5->efa_devices, 16);
	assert_true(p5->rdma_read);
	assert_true(p5->rdma_write);
	assert_string_equal(p5->min_version[EV_SW_NCCL], "2.20.3");
	assert_string_equal(p5->min_version[EV_SW_CUDA], "");
	assert_string_equal(p5->min_version[EV_SW_EFA_INSTALLER], "1.26.1");
	assert_string_equal(p5->recommended[EV_SW_CUDA], "12.2");
	/* A new type starts empty. */
	x9 = ev_config_instance(&c, "x9.metal");
	assert_non_null(x9);
	assert_int_equal(x9->efa_devices, 2);
	assert_true(x9->rdma_read);
	assert_false(x9->rdma_write);
	assert_string_equal(x9->min_version[EV_SW_NCCL], "");
	assert_string_equal(x9->recommended[EV_SW_LIBFABRIC], "1.22.0amzn4.0");
	ev_instances_builtin(&n);
	assert_int_equal(c.n_instance_types, n + 1);
	/* Untouched types are the built-in ones. */
	p4d = ev_config_instance(&c, "p4d.24xlarge");
	assert_int_equal(p4d->efa_devices, 4);
	assert_false(p4d->rdma_write);
	/* The built-in table itself is not modified by an override. */
	assert_int_equal(ev_instance_find(ev_instances_builtin(NULL), n, "p5.48xlarge")->efa_devices, 32);

	assert_int_equal(c.checks[EV_CHECK_DEVICES], EV_ACTION_WARN);
	assert_int_equal(c.checks[EV_CHECK_PORTS], EV_ACTION_OFF);
	assert_int_equal(c.checks[EV_CHECK_EFA_PROVIDER], EV_ACTION_FAIL);
	assert_int_equal(c.checks[EV_CHECK_PLACEMENT], EV_ACTION_OFF);
	assert_int_equal(c.checks[EV_CHECK_VERSIONS], EV_ACTION_FAIL);
	assert_int_equal(c.on_not_ready, EV_NOT_READY_DRAIN);
	assert_string_equal(c.prometheus_textfile_dir, "/var/lib/node_exporter");
	assert_string_equal(c.log_path, "/tmp/log/%n.jsonl");
	ev_config_free(&c);
	ev_config_free(&c);
}

static void test_partial_sections(void **state)
{
	struct ev_config c;
	struct ev_err e = { "" };

	(void)state;
	/* Empty sections and a single changed key keep every other default. */
	assert_int_equal(load(&c, "placement:\nimds:\n  timeout_ms: 60000\nenv:\n  vars:\n"
				  "verdict: {}\nchecks:\n", &e), 0);
	assert_int_equal(c.imds_timeout_ms, 60000);
	assert_string_equal(c.imds_endpoint, "http://169.254.169.254");
	assert_true(c.require_group);
	assert_true(c.env_builtin);
	ev_config_free(&c);

	assert_int_equal(load(&c, "log: \"\"\nprometheus_textfile_dir: ''\n", &e), 0);
	assert_string_equal(c.log_path, "");
	assert_string_equal(c.prometheus_textfile_dir, "");
	ev_config_free(&c);
	assert_int_equal(load(&c, "log: null\nimds: {endpoint: HTTPS://imds.example/x/}\n"
				  "software_root: ///\ntcp_interfaces: auto\n", &e), 0);
	assert_string_equal(c.log_path, "");
	assert_string_equal(c.imds_endpoint, "HTTPS://imds.example/x");
	assert_string_equal(c.software_root, "/");
	assert_true(c.tcp_auto);
	ev_config_free(&c);
	assert_int_equal(load(&c, "log:\nplacement: {availability_zone: ~, group_name: null}\n", &e), 0);
	assert_string_equal(c.log_path, "");
	assert_string_equal(c.expect_az, "");
	ev_config_free(&c);
}

static void test_booleans(void **state)
{
	static const struct {
		const char *word;
		bool val;
	} words[] = {
		{ "true", true }, { "True", true }, { "TRUE", true }, { "yes", true }, { "on", true },
		{ "\"yes\"", true }, { "false", false }, { "no", false }, { "off", false },
		{ "Off", false }, { "NO", false },
	};
	char text[64];

	(void)state;
	for (size_t i = 0; i < sizeof(words) / sizeof(words[0]); i++) {
		struct ev_config c;
		struct ev_err e = { "" };

		snprintf(text, sizeof(text), "env:\n  nccl_debug: %s\n", words[i].word);
		assert_int_equal(load(&c, text, &e), 0);
		assert_int_equal(c.nccl_debug, words[i].val);
		ev_config_free(&c);
	}
	expect_error("placement:\n  require_group: maybe\n", NAME ":2:18: ",
		     "placement.require_group: 'maybe' is not a boolean");
	expect_error("env:\n  builtin: 1\n", NAME ":2:12: ", "env.builtin: '1' is not a boolean");
	expect_error("env:\n  builtin:\n", NAME ":2:11: ", "not a boolean");
	expect_error("env:\n  builtin: [true]\n", NAME ":2:12: ",
		     "env.builtin: expected a single value, got a list");
}

static void test_byte_values(void **state)
{
	static const struct {
		const char *text;
		uint64_t val;
	} ok[] = {
		{ "0", 0 }, { "1048576", 1048576 }, { "1K", 1024 }, { "1KiB", 1024 }, { "3 MiB", 3u << 20 },
		{ "2M", 2u << 20 }, { "1G", 1u << 30 }, { "5GiB", 5ull << 30 }, { "2T", 2ull << 40 },
		{ "7TiB", 7ull << 40 }, { "512B", 512 }, { "18446744073709551615", UINT64_MAX },
		{ "16777215T", 16777215ull << 40 },
	};
	static const char *const bad[] = { "1KB", "1k", "-1", "abc", "1.5M", "M", "1 M B", "0x10",
					   "1MiBs", "99999999999999999999", "16777216T", "\"1 G \"", "~" };
	char text[96], prefix[64];

	(void)state;
	for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		struct ev_config c;
		struct ev_err e = { "" };

		snprintf(text, sizeof(text), "verdict:\n  min_bytes: %s\n  efa_idle_bytes: '%s'\n",
			 ok[i].text, ok[i].text);
		assert_int_equal(load(&c, text, &e), 0);
		assert_true(c.verdict.min_bytes == ok[i].val);
		assert_true(c.verdict.efa_idle_bytes == ok[i].val);
		ev_config_free(&c);
	}
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		snprintf(text, sizeof(text), "verdict:\n  min_bytes: %s\n", bad[i]);
		snprintf(prefix, sizeof(prefix), NAME ":2:14: verdict.min_bytes: ");
		expect_error(text, prefix, "verdict.min_bytes");
	}
	expect_error("verdict:\n  efa_idle_bytes: 1KB\n", NAME ":2:19: ", "is not a byte count");
	expect_error("verdict:\n  min_bytes: 99999999999999999999\n", NAME ":2:14: ", "too large");
	/* The old key is still a typed key: a bad value is an error. */
	expect_error("verdict:\n  max_error_events: 1K\n", NAME ":2:21: ",
		     "verdict.max_error_events: '1K' is not a non-negative integer");
	expect_error("verdict:\n  max_error_events: -3\n", NAME ":2:21: ", "not a non-negative integer");
	expect_error("verdict:\n  max_error_events: 18446744073709551616\n", NAME ":2:21: ",
		     "out of range");
}

static void test_error_rates(void **state)
{
	struct ev_config c;
	struct ev_err e = { "" };

	(void)state;
	expect_error("verdict:\n  max_errors_per_gib:\n    retrans_pkts: -1\n", NAME ":3:19: ",
		     "verdict.max_errors_per_gib.retrans_pkts: -1 is out of range (events per GiB, from 0 to 1e15)");
	expect_error("verdict:\n  max_errors_per_gib:\n    rx_drops: lots\n", NAME ":3:15: ",
		     "verdict.max_errors_per_gib.rx_drops: 'lots' is not a number");
	expect_error("verdict:\n  max_errors_per_gib:\n    rx_drops: .nan\n", NAME ":3:15: ", "is not a number");
	expect_error("verdict:\n  max_errors_per_gib:\n    rx_drops: 1e16\n", NAME ":3:15: ", "out of range");
	expect_error("verdict:\n  max_errors_per_gib:\n    rx_drops: [1]\n", NAME ":3:15: ",
		     "expected a single value, got a list");
	/* One name per family; a counter's own name is not a family. */
	expect_error("verdict:\n  max_errors_per_gib:\n    rdma_read_wr_err: 1\n", NAME ":3:5: ",
		     "unknown key 'rdma_read_wr_err' in verdict.max_errors_per_gib (valid keys: rx_drops, "
		     "retrans_pkts, retrans_timeout_events, unresponsive_remote_events, "
		     "impaired_remote_conn_events, rdma_wr_err)");
	expect_error("verdict:\n  max_errors_per_gib:\n    rx_drops: 1\n    rx_drops: 2\n", NAME ":4:5: ",
		     "duplicate key 'verdict.max_errors_per_gib.rx_drops' (first given at line 3)");
	expect_error("verdict:\n  max_errors_per_gib: 5\n", NAME ":2:23: ",
		     "verdict.max_errors_per_gib: expected a mapping (key: value lines), got a single value");
	expect_error("record: sometimes\n", NAME ":1:9: ",
		     "record: 'sometimes' is not valid (one of: follow_mode, always)");
	expect_error("record: [always]\n", NAME ":1:9: ", "record: expected a single value, got a list");
	expect_error("record_writer: head\n", NAME ":1:16: ",
		     "record_writer: 'head' is not valid (one of: node, slurmctld)");
	expect_error("node_comment: clear\n", NAME ":1:15: ",
		     "node_comment: 'clear' is not valid (one of: sealed, plain)");

	/* An empty section keeps every default; a family given alone keeps the others'. */
	assert_int_equal(load(&c, "verdict:\n  max_errors_per_gib:\n", &e), 0);
	assert_true(c.verdict.max_errors_per_gib[EV_ERRF_RETRANS_PKTS] == 1000);
	ev_config_free(&c);
	assert_int_equal(load(&c, "verdict:\n  max_errors_per_gib: {retrans_timeout_events: 3}\n", &e), 0);
	assert_true(c.verdict.max_errors_per_gib[EV_ERRF_RETRANS_TIMEOUT] == 3);
	assert_true(c.verdict.max_errors_per_gib[EV_ERRF_RX_DROPS] == 1000);
	assert_int_equal(c.record, EV_RECORD_FOLLOW_MODE);
	ev_config_free(&c);
	assert_int_equal(load(&c, "record: follow_mode\n", &e), 0);
	assert_int_equal(c.record, EV_RECORD_FOLLOW_MODE);
	ev_config_free(&c);
	assert_string_equal(ev_error_family_name(EV_ERRF_RDMA_WR_ERR), "rdma_wr_err");
	assert_string_equal(ev_error_family_name(EV_ERRF__COUNT), "unknown");
	assert_string_equal(ev_record_policy_name(EV_RECORD_ALWAYS), "always");
	/* The job's first node writes the record unless the slurmctld host does. */
	assert_int_equal(load(&c, "mode: report\n", &e), 0);
	assert_int_equal(c.record_writer, EV_WRITER_NODE);
	ev_config_free(&c);
	assert_int_equal(load(&c, "record_writer: slurmctld\n", &e), 0);
	assert_int_equal(c.record_writer, EV_WRITER_SLURMCTLD);
	ev_config_free(&c);
	assert_string_equal(ev_record_writer_name(EV_WRITER_SLURMCTLD), "slurmctld");
	assert_string_equal(ev_record_writer_name((enum ev_record_writer)7), "unknown");
	/* Node results are sealed unless the config says plain. */
	assert_int_equal(load(&c, "mode: report\n", &e), 0);
	assert_int_equal(c.node_comment, EV_NODE_COMMENT_SEALED);
	ev_config_free(&c);
	assert_int_equal(load(&c, "node_comment: plain\n", &e), 0);
	assert_int_equal(c.node_comment, EV_NODE_COMMENT_PLAIN);
	ev_config_free(&c);
	assert_int_equal(load(&c, "node_comment: sealed\n", &e), 0);
	assert_int_equal(c.node_comment, EV_NODE_COMMENT_SEALED);
	ev_config_free(&c);
}

/* 0.1.0's max_error_events: accepted (a config that worked keeps working),
 * ignored, and said where it is and what replaces it. */
static void test_deprecated_max_error_events(void **state)
{
	struct ev_config c;
	struct ev_err e = { "" };

	(void)state;
	assert_int_equal(load(&c, "mode: report\nverdict:\n  min_bytes: 1M\n  max_error_events: 0\n", &e), 0);
	assert_string_equal(c.deprecated,
			    NAME ":4:3: verdict.max_error_events is ignored: error growth is now judged per GiB "
			    "of EFA traffic, per counter family (verdict.max_errors_per_gib, see "
			    "efa-verify.yaml(5)); remove it");
	assert_true(c.verdict.max_errors_per_gib[EV_ERRF_RX_DROPS] == 1000);
	ev_config_free(&c);
	assert_int_equal(load(&c, "verdict:\n  max_errors_per_gib: {rx_drops: 2}\n", &e), 0);
	assert_string_equal(c.deprecated, "");
	ev_config_free(&c);
}

static void test_fractions(void **state)
{
	static const struct {
		const char *text;
		double val;
	} ok[] = { { "0", 0.0 }, { "1", 1.0 }, { "0.25", 0.25 }, { ".5", 0.5 }, { "1e-2", 0.01 },
		   { "1.0", 1.0 } };
	static const char *const bad[] = { "1.5", "-0.1", "nan", "inf", "0x1p-1", "half", "1e999",
					   "50%", "''", "null" };
	char text[96];

	(void)state;
	for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		struct ev_config c;
		struct ev_err e = { "" };

		snprintf(text, sizeof(text), "verdict: {tcp_fallback_fraction: %s, idle_nic_fraction: %s}\n",
			 ok[i].text, ok[i].text);
		assert_int_equal(load(&c, text, &e), 0);
		assert_true(c.verdict.tcp_fallback_fraction == ok[i].val);
		assert_true(c.verdict.idle_nic_fraction == ok[i].val);
		ev_config_free(&c);
	}
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		snprintf(text, sizeof(text), "verdict:\n  idle_nic_fraction: %s\n", bad[i]);
		expect_error(text, NAME ":2:22: verdict.idle_nic_fraction: ", "");
	}
	expect_error("verdict:\n  tcp_fallback_fraction: 2\n", NAME ":2:26: ",
		     "2 is out of range (a fraction from 0 to 1)");
	expect_error("verdict:\n  tcp_fallback_fraction: nan\n", NAME ":2:26: ", "'nan' is not a number");
}

static void test_tcp_interfaces(void **state)
{
	struct ev_config c;
	struct ev_err e = { "" };
	char text[1024];
	size_t o;

	(void)state;
	assert_int_equal(load(&c, "tcp_interfaces:\n  - ens5\n  - eth-0.100\n  - abcdefghijklmno\n",
			      &e), 0);
	assert_false(c.tcp_auto);
	assert_int_equal(c.n_tcp_ifaces, 3);
	assert_string_equal(c.tcp_ifaces[1], "eth-0.100");
	assert_string_equal(c.tcp_ifaces[2], "abcdefghijklmno");
	ev_config_free(&c);

	/* Exactly the maximum is fine; one more is refused. */
	o = (size_t)snprintf(text, sizeof(text), "tcp_interfaces: [");
	for (int i = 0; i < EV_MAX_TCP_IFACES; i++)
		o += (size_t)snprintf(text + o, sizeof(text) - o, "%seth%d", i ? ", " : "", i);
	snprintf(text + o, sizeof(text) - o, "]\n");
	assert_int_equal(load(&c, text, &e), 0);
	assert_int_equal(c.n_tcp_ifaces, EV_MAX_TCP_IFACES);
	ev_config_free(&c);
	snprintf(text + o, sizeof(text) - o, ", ethX]\n");
	expect_error(text, NAME ":1:17: ", "33 interfaces, at most 32");

	expect_error("tcp_interfaces: []\n", NAME ":1:17: ", "the list is empty");
	expect_error("tcp_interfaces: eth0\n", NAME ":1:17: ",
		     "expected 'auto' or a list of interface names, got a single value 'eth0'");
	expect_error("tcp_interfaces: {eth0: 1}\n", NAME ":1:17: ", "expected 'auto' or a list");
	expect_error("tcp_interfaces: [a/b]\n", NAME ":1:18: ", "'a/b' is not a valid interface name");
	expect_error("tcp_interfaces: [ens5, .]\n", NAME ":1:24: ", "'.' is not a valid interface name");
	expect_error("tcp_interfaces: ['..']\n", NAME ":1:18: ", "not a valid interface name");
	expect_error("tcp_interfaces: [abcdefghijklmnop]\n", NAME ":1:18: ", "not a valid interface name");
	expect_error("tcp_interfaces: ['a b']\n", NAME ":1:18: ", "not a valid interface name");
	expect_error("tcp_interfaces: ['']\n", NAME ":1:18: ", "not a valid interface name");
	expect_error("tcp_interfaces: [eth0, eth0]\n", NAME ":1:24: ", "'eth0' is listed twice");
	expect_error("tcp_interfaces: [[eth0]]\n", NAME ":1:18: ", "each entry must be an interface name");
	expect_error("tcp_interfaces: [~]\n", NAME ":1:18: ", "each entry must be an interface name");
}

static void test_env_errors(void **state)
{
	char text[512], big[300];

	(void)state;
	expect_error("env:\n  vars:\n    1X: a\n", NAME ":3:5: ", "'1X' is not a valid variable name");
	expect_error("env:\n  vars:\n    A-B: a\n", NAME ":3:5: ", "env.vars: 'A-B' is not a valid variable name");
	expect_error("env:\n  vars:\n    'A B': a\n", NAME ":3:5: ", "not a valid variable name");
	expect_error("env:\n  vars:\n    '': a\n", NAME ":3:5: ", "not a valid variable name");
	expect_error("env:\n  vars:\n    X: {force: true}\n", NAME ":3:8: ", "env.vars.X: 'value' is required");
	expect_error("env:\n  vars:\n    X: {value: a, forse: true}\n", NAME ":3:19: ",
		     "unknown key 'forse' in env.vars.X (valid keys: value, force)");
	expect_error("env:\n  vars:\n    X: {value: a, force: sure}\n", NAME ":3:26: ",
		     "env.vars.X.force: 'sure' is not a boolean");
	expect_error("env:\n  vars:\n    X: {value: null}\n", NAME ":3:16: ", "write X: null");
	expect_error("env:\n  vars:\n    X: [a, b]\n", NAME ":3:8: ",
		     "env.vars.X: expected a value, a mapping {value, force} or null, got a list");
	expect_error("env:\n  vars:\n    X: \"a\\0b\"\n", NAME ":3:8: ", "env.vars.X: value contains a NUL byte");
	expect_error("env:\n  vars:\n    X: a\n    X: b\n", NAME ":4:5: ",
		     "duplicate key 'env.vars.X' (first given at line 3)");
	expect_error("env:\n  vars: [X]\n", NAME ":2:9: ", "env.vars: expected a mapping");
	expect_error("env:\n  instance_types:\n    p5/48: {X: a}\n", NAME ":3:5: ",
		     "'p5/48' is not a valid instance type name");
	expect_error("env:\n  instance_types:\n    p5.48xlarge: {9: a}\n", NAME ":3:19: ",
		     "env.instance_types.p5.48xlarge: '9' is not a valid variable name");
	expect_error("env:\n  instance_types:\n    p5.48xlarge: [a]\n", NAME ":3:18: ",
		     "env.instance_types.p5.48xlarge: expected a mapping");
	expect_error("env:\n  extra: 1\n", NAME ":2:3: ",
		     "unknown key 'extra' in env (valid keys: builtin, fi_provider, nccl_debug, vars, instance_types)");

	memset(big, 'v', sizeof(big) - 1);
	big[EV_ENV_VALUE_MAX] = '\0';
	snprintf(text, sizeof(text), "env:\n  vars:\n    X: %s\n", big);
	expect_error(text, NAME ":3:8: ", "env.vars.X: value is too long (at most 255 bytes)");
	big[EV_ENV_VALUE_MAX - 1] = '\0';
	snprintf(text, sizeof(text), "env:\n  vars:\n    X: %s\n", big);
	{
		struct ev_config c;
		struct ev_err e = { "" };

		assert_int_equal(load(&c, text, &e), 0);
		assert_int_equal(strlen(c.env_rules[0].value), EV_ENV_VALUE_MAX - 1);
		ev_config_free(&c);
	}
	memset(big, 'N', sizeof(big) - 1);
	big[EV_NAME_MAX] = '\0';
	snprintf(text, sizeof(text), "env:\n  vars:\n    %s: a\n", big);
	expect_error(text, NAME ":3:5: ", "not a valid variable name");
}

static void test_env_many(void **state)
{
	struct ev_config c;
	struct ev_err e = { "" };
	size_t cap = 64 * 1024, o;
	char *text = malloc(cap);

	(void)state;
	assert_non_null(text);
	/* Enough rules to grow the array several times. */
	o = (size_t)snprintf(text, cap, "env:\n  vars:\n");
	for (int i = 0; i < 200; i++)
		o += (size_t)snprintf(text + o, cap - o, "    V%d: %d\n", i, i);
	assert_int_equal(load(&c, text, &e), 0);
	assert_int_equal(c.n_env_rules, 200);
	assert_string_equal(c.env_rules[199].name, "V199");
	assert_string_equal(c.env_rules[199].value, "199");
	ev_config_free(&c);

	/* One open map holds at most 256 entries. */
	o = (size_t)snprintf(text, cap, "env:\n  vars:\n");
	for (int i = 0; i < 257; i++)
		o += (size_t)snprintf(text + o, cap - o, "    V%d: %d\n", i, i);
	expect_error(text, NAME ":259:5: ", "env.vars: too many entries (at most 256)");
	free(text);
}

static void test_instance_type_errors(void **state)
{
	(void)state;
	expect_error("instance_types:\n  p5.48xlarge:\n    min_versions: {openmpi: \"4.1\"}\n",
		     NAME ":3:20: ",
		     "unknown key 'openmpi' in instance_types.p5.48xlarge.min_versions (valid keys: "
		     "efa_installer, libfabric, nccl, aws_ofi_nccl, nvidia_driver, cuda)");
	expect_error("instance_types:\n  p5.48xlarge:\n    min_versions: {nccl: abc}\n", NAME ":3:26: ",
		     "instance_types.p5.48xlarge.min_versions.nccl: 'abc' is not a version");
	expect_error("instance_types:\n  p5.48xlarge:\n    min_versions: {nccl: '2.18 5'}\n",
		     NAME ":3:26: ", "is not a version");
	expect_error("instance_types:\n  p5.48xlarge:\n    recommended_versions: {cuda: "
		     "12.2.3.4.5.6.7.8.9.10.11.12.13.14}\n", NAME ":3:34: ", "version is too long");
	expect_error("instance_types:\n  p5.48xlarge:\n    efa_devices: 1000\n", NAME ":3:18: ",
		     "instance_types.p5.48xlarge.efa_devices: 1000 is out of range (0..128)");
	expect_error("instance_types:\n  p5.48xlarge:\n    efa_devices: -1\n", NAME ":3:18: ",
		     "out of range");
	expect_error("instance_types:\n  p5.48xlarge:\n    efa_devices: many\n", NAME ":3:18: ",
		     "'many' is not an integer");
	expect_error("instance_types:\n  p5.48xlarge:\n    efa: 4\n", NAME ":3:5: ",
		     "unknown key 'efa' in instance_types.p5.48xlarge (valid keys: efa_devices, "
		     "rdma_read, rdma_write, min_versions, recommended_versions)");
	expect_error("instance_types:\n  p5.48xlarge:\n    rdma_read: sometimes\n", NAME ":3:16: ",
		     "is not a boolean");
	expect_error("instance_types:\n  'p5 48': {}\n", NAME ":2:3: ", "not a valid instance type name");
	expect_error("instance_types:\n  p5.48xlarge: 32\n", NAME ":2:16: ",
		     "instance_types.p5.48xlarge: expected a mapping (key: value lines), got a single value");
	expect_error("instance_types:\n  p5.48xlarge: {}\n  p5.48xlarge: {}\n", NAME ":3:3: ",
		     "duplicate key 'instance_types.p5.48xlarge'");
	expect_error("instance_types: [p5]\n", NAME ":1:17: ", "instance_types: expected a mapping");
}

static void test_instance_type_declare(void **state)
{
	struct ev_config c;
	struct ev_err e = { "" };
	const struct ev_instance_type *it;

	(void)state;
	/* An empty entry still declares the type (known, no expectations). */
	assert_int_equal(load(&c, "instance_types:\n  m7i.48xlarge:\n  g6e.48xlarge: {}\n"
				  "  p4d.24xlarge:\n    rdma_write: yes\n    min_versions: {nccl: ''}\n",
			      &e), 0);
	it = ev_config_instance(&c, "m7i.48xlarge");
	assert_non_null(it);
	assert_int_equal(it->efa_devices, 0);
	assert_non_null(ev_config_instance(&c, "g6e.48xlarge"));
	it = ev_config_instance(&c, "p4d.24xlarge");
	assert_true(it->rdma_write);
	assert_true(it->rdma_read);
	assert_int_equal(it->efa_devices, 4);
	assert_string_equal(it->min_version[EV_SW_NCCL], "");
	assert_string_equal(it->min_version[EV_SW_AWS_OFI_NCCL], "1.6.0");
	assert_null(ev_config_instance(&c, "m5.large"));
	assert_null(ev_config_instance(&c, ""));
	assert_null(ev_config_instance(&c, NULL));
	assert_null(ev_config_instance(NULL, "p5.48xlarge"));
	ev_config_free(&c);
}

static void test_checks(void **state)
{
	(void)state;
	expect_error("checks:\n  devices: maybe\n", NAME ":2:12: ",
		     "checks.devices: 'maybe' is not valid (one of: fail, warn, off)");
	expect_error("checks:\n  network: off\n", NAME ":2:3: ",
		     "unknown key 'network' in checks (valid keys: devices, ports, efa_provider, "
		     "placement, versions)");
	expect_error("checks: fail\n", NAME ":1:9: ", "checks: expected a mapping");
	expect_error("checks:\n  ports: [off]\n", NAME ":2:10: ", "expected a single value");
}

/* ------------------------------------------------------------ error paths */

static void test_top_level_errors(void **state)
{
	char deep[256];
	size_t o = 0;

	(void)state;
	expect_error("mode: report\nbogus: 1\n", NAME ":2:1: ",
		     "unknown key 'bogus' (valid keys: mode, sysfs_root, state_dir, software_root, imds, "
		     "placement, tcp_source, tcp_interfaces, verdict, causes, env, instance_types, checks, on_not_ready, "
		     "prometheus_textfile_dir, log, record_wait_ms, prolog_deliver_ms, record, record_writer, "
		     "node_comment)");
	expect_error("placement:\n  require_grp: true\n", NAME ":2:3: ",
		     "unknown key 'require_grp' in placement (valid keys: require_group, "
		     "availability_zone, group_name)");
	expect_error("imds:\n  url: http://x\n", NAME ":2:3: ",
		     "unknown key 'url' in imds (valid keys: endpoint, timeout_ms)");
	expect_error("verdict:\n  min: 1\n", NAME ":2:3: ", "unknown key 'min' in verdict");
	expect_error("mode: {a: 1}\n", NAME ":1:7: ", "mode: expected a single value, got a mapping");
	expect_error("mode: bogus\n", NAME ":1:7: ",
		     "mode: 'bogus' is not valid (one of: off, report, enforce)");
	expect_error("on_not_ready: reboot\n", NAME ":1:15: ",
		     "on_not_ready: 'reboot' is not valid (one of: fail_step, drain)");
	expect_error("tcp_source: nftables\n", NAME ":1:13: ",
		     "tcp_source: 'nftables' is not valid (one of: auto, interface)");
	expect_error("mode: off\nmode: report\n", NAME ":2:1: ",
		     "duplicate key 'mode' (first given at line 1)");
	expect_error("placement:\n  group_name: a\n  group_name: b\n", NAME ":3:3: ",
		     "duplicate key 'placement.group_name' (first given at line 2)");
	expect_error("imds:\n  timeout_ms: abc\n", NAME ":2:15: ", "imds.timeout_ms: 'abc' is not an integer");
	expect_error("imds:\n  timeout_ms: 0\n", NAME ":2:15: ", "imds.timeout_ms: 0 is out of range (1..60000)");
	expect_error("imds:\n  timeout_ms: 60001\n", NAME ":2:15: ", "60001 is out of range");
	expect_error("imds:\n  timeout_ms: 99999999999999999999999\n", NAME ":2:15: ", "out of range");
	expect_error("imds:\n  timeout_ms: 1.5\n", NAME ":2:15: ", "is not an integer");
	expect_error("imds: http://x\n", NAME ":1:7: ", "imds: expected a mapping (key: value lines), got a single value");
	expect_error("imds:\n  endpoint: ftp://169.254.169.254\n", NAME ":2:13: ",
		     "imds.endpoint: 'ftp://169.254.169.254' is not an http:// or https:// URL");
	expect_error("imds:\n  endpoint: 169.254.169.254\n", NAME ":2:13: ", "is not an http:// or https:// URL");
	expect_error("imds:\n  endpoint: http://\n", NAME ":2:13: ", "has no host");
	expect_error("imds:\n  endpoint: 'http://a b'\n", NAME ":2:13: ", "spaces or control characters");
	expect_error("sysfs_root: sys\n", NAME ":1:13: ",
		     "sysfs_root: 'sys' is not an absolute path (it must start with /)");
	expect_error("state_dir: ./state\n", NAME ":1:12: ", "state_dir: './state' is not an absolute path");
	expect_error("software_root: ''\n", NAME ":1:16: ", "software_root: must not be empty");
	expect_error("software_root:\n", NAME ":1:15: ", "software_root: must not be empty");
	expect_error("prometheus_textfile_dir: metrics\n", NAME ":1:26: ", "is not an absolute path");
	expect_error("log: jobs.jsonl\n", NAME ":1:6: ", "log: 'jobs.jsonl' is not an absolute path");
	expect_error("log: \"/var/log/\\tx\"\n", NAME ":1:6: ", "log: path contains control characters");
	expect_error("log: [a]\n", NAME ":1:6: ", "log: expected a single value, got a list");
	expect_error("placement:\n  availability_zone: us east\n", NAME ":2:22: ", "contains ' '");
	expect_error("placement:\n  group_name: \"a\\tb\"\n", NAME ":2:15: ", "only printable ASCII");
	expect_error("? [a, b]\n: 1\n", NAME ":1:3: ", "top level: keys must be plain names, got a list");
	/* Syntax errors, structure. */
	expect_error("mode: [report\n", NAME ":2:1: ", "YAML syntax error");
	expect_error("mode: report\n  bad indent: x\n", NAME ":2:13: ", "YAML syntax error");
	expect_error("mode: report\nimds:\n\ttimeout_ms: 5\n", NAME ":3:1: ",
		     "YAML syntax error: a tab; YAML indentation must use spaces");
	expect_error("- a\n- b\n", NAME ":1:1: ", "the top level must be a mapping (key: value lines), got a list");
	expect_error("just text\n", NAME ":1:1: ", "the top level must be a mapping");
	expect_error("mode: report\n---\nmode: off\n", NAME ":2:1: ", "only one YAML document is allowed");
	expect_error("mode: &m report\nlog: *m\n", NAME ":2:6: ", "aliases (*name) are not supported");
	expect_error("mode: report\nlog: \"\xff\xfe\"\n", NAME ":2:7: ", "YAML syntax error");
	for (int i = 0; i < 40; i++)
		o += (size_t)snprintf(deep + o, sizeof(deep) - o, "[");
	snprintf(deep + o, sizeof(deep) - o, "\n");
	expect_error(deep, NAME ":1:33: ", "nesting is too deep (more than 32 levels)");
}

static void test_error_leaves_nothing(void **state)
{
	struct ev_config c;
	struct ev_err e = { "" };

	(void)state;
	/* Errors after allocations (env rules, a new type) free them again. */
	assert_int_equal(load(&c, "env:\n  vars: {A: 1, B: 2}\ninstance_types:\n  new.x: {efa_devices: 1}\n"
				  "mode: wrong\n", &e), -EINVAL);
	assert_null(c.env_rules);
	assert_null(c.instance_types);
	assert_int_equal(c.n_env_rules, 0);
	assert_string_equal(c.path, "");
	ev_config_free(&c);
	ev_config_free(&c);
	/* A NULL name still gives a located message. */
	assert_int_equal(ev_config_load_string(&c, NULL, "mode: x\n", 8, &e), -EINVAL);
	assert_memory_equal(e.msg, "<config>:1:7: ", 14);
	assert_int_equal(ev_config_load_string(NULL, NAME, "", 0, &e), -EINVAL);
	assert_int_equal(ev_config_load_string(&c, NAME, NULL, 3, &e), -EINVAL);
	/* NULL text of length 0 is an empty config. */
	assert_int_equal(ev_config_load_string(&c, NAME, NULL, 0, &e), 0);
	assert_defaults(&c);
	ev_config_free(&c);
}

/* ------------------------------------------------------------ files */

static void test_load_file(void **state)
{
	char *dir = tu_mkdtemp();
	char path[512], missing[512];
	struct ev_config c;
	struct ev_err e = { "" };
	FILE *f;

	(void)state;
	snprintf(missing, sizeof(missing), "%s/nope.yaml", dir);
	/* Even an early failure leaves a struct that ev_config_free accepts. */
	memset(&c, 0xa5, sizeof(c));
	assert_int_equal(ev_config_load_file(&c, missing, &e), -ENOENT);
	assert_null(c.instance_types);
	assert_null(c.env_rules);
	assert_true(strncmp(e.msg, missing, strlen(missing)) == 0);
	assert_string_equal(e.msg + strlen(missing), ": no such file");
	ev_config_free(&c);

	assert_int_equal(ev_config_load_file(&c, dir, &e), -EINVAL);
	assert_non_null(strstr(e.msg, "not a regular file"));

	assert_int_equal(tu_write(dir, "good.yaml", "mode: off\nstate_dir: /s/%n\n"), 0);
	snprintf(path, sizeof(path), "%s/good.yaml", dir);
	assert_int_equal(ev_config_load_file(&c, path, &e), 0);
	assert_int_equal(c.mode, EV_MODE_OFF);
	assert_string_equal(c.path, path);
	assert_string_equal(c.state_dir, "/s/%n");
	ev_config_free(&c);

	/* Errors in a file carry the file's name. */
	assert_int_equal(tu_write(dir, "bad.yaml", "# comment\nmode: off\n\nchecks:\n  ports: maybe\n"), 0);
	snprintf(path, sizeof(path), "%s/bad.yaml", dir);
	assert_int_equal(ev_config_load_file(&c, path, &e), -EINVAL);
	assert_true(strncmp(e.msg, path, strlen(path)) == 0);
	assert_string_equal(e.msg + strlen(path),
			    ":5:10: checks.ports: 'maybe' is not valid (one of: fail, warn, off)");

	/* One byte over 1 MiB is refused before parsing. */
	snprintf(path, sizeof(path), "%s/big.yaml", dir);
	f = fopen(path, "w");
	assert_non_null(f);
	for (int i = 0; i < 1024 * 1024; i++)
		fputc(i % 64 == 63 ? '\n' : '#', f);
	fputc('\n', f);
	fclose(f);
	assert_int_equal(ev_config_load_file(&c, path, &e), -EFBIG);
	assert_non_null(strstr(e.msg, "larger than the 1048576 byte limit"));
	assert_true(strncmp(e.msg, path, strlen(path)) == 0);
	/* Exactly 1 MiB of comments is fine. */
	assert_int_equal(truncate(path, 1024 * 1024), 0);
	assert_int_equal(ev_config_load_file(&c, path, &e), 0);
	ev_config_free(&c);
	{
		char *big = calloc(1, 1024 * 1024 + 2);

		assert_non_null(big);
		memset(big, '#', 1024 * 1024 + 1);
		assert_int_equal(ev_config_load_string(&c, NAME, big, 1024 * 1024 + 1, &e), -EFBIG);
		assert_non_null(strstr(e.msg, NAME ": 1048577 bytes is larger"));
		free(big);
	}

	/* (Unreadable: test_unreadable_file.) */
	assert_int_equal(ev_config_load_file(&c, NULL, &e), -EINVAL);
	assert_int_equal(ev_config_load_file(&c, "", &e), -EINVAL);
	tu_rm_rf(dir);
	free(dir);
}

/* In tu_as_unprivileged's child: no cmocka asserts, a status instead. */
static int load_unreadable(void *arg)
{
	const char *dir = arg;
	struct ev_config c;
	struct ev_err e = { "" };
	char path[4096];
	FILE *f;
	int rc;

	snprintf(path, sizeof(path), "%s/unreadable.yaml", dir);
	if (!(f = fopen(path, "w")))
		return 10;
	fputs("mode: enforce\n", f);
	if (fclose(f) != 0 || chmod(path, 0) != 0)
		return 11;
	rc = ev_config_load_file(&c, path, &e);
	if (rc == 0)
		ev_config_free(&c);
	if (rc != -EACCES || !strstr(e.msg, "cannot open") || !strstr(e.msg, path)) {
		fprintf(stderr, "# uid %u: %d (%s), expected %d, 'cannot open' and the path\n",
			(unsigned)geteuid(), rc, e.msg, -EACCES);
		return 1;
	}
	return 0;
}

/* A config its reader may not read: said, with the file. Root reads any
 * file, so as root this runs in a child that is an ordinary user. */
static void test_unreadable_file(void **state)
{
	char *dir = tu_mkdtemp_unprivileged();
	int rc;

	(void)state;
	if (!dir)
		tu_skip("no directory an unprivileged user can reach ($TMPDIR, /tmp, /var/tmp, /dev/shm)");
	rc = tu_as_unprivileged(load_unreadable, dir);
	tu_rm_rf(dir);
	free(dir);
	assert_int_equal(rc, 0);
}

static void test_shipped_conf(void **state)
{
	char path[4096];
	struct ev_config c, d;
	struct ev_err e = { "" };
	int rc;

	(void)state;
	snprintf(path, sizeof(path), "%s/conf/efa-verify.yaml", tu_srcdir());
	rc = ev_config_load_file(&c, path, &e);
	if (rc != 0)
		print_error("%s\n", e.msg);
	assert_int_equal(rc, 0);
	/* The documented file states the defaults, nothing else. */
	assert_defaults(&c);
	assert_int_equal(ev_config_defaults(&d, &e), 0);
	assert_int_equal(c.n_instance_types, d.n_instance_types);
	assert_memory_equal(c.instance_types, d.instance_types,
			    d.n_instance_types * sizeof(*d.instance_types));
	assert_memory_equal(&c.verdict, &d.verdict, sizeof(d.verdict));
	assert_memory_equal(c.checks, d.checks, sizeof(d.checks));
	ev_config_free(&c);
	ev_config_free(&d);
}

static char *slurp(const char *rel)
{
	char path[4096];
	char *buf = calloc(1, 256 * 1024);
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", tu_srcdir(), rel);
	f = fopen(path, "r");
	if (!f || !buf) {
		print_error("cannot read %s\n", path);
		free(buf);
		if (f)
			fclose(f);
		return NULL;
	}
	if (fread(buf, 1, 256 * 1024 - 1, f) == 0)
		buf[0] = '\0';
	fclose(f);
	return buf;
}

/* The man page names every software version key and its neighbours; that
 * it documents every key of the parser is test_config_keys's. */
static void test_man_page_names_versions(void **state)
{
	char *man = slurp("man/efa-verify.yaml.5");

	(void)state;
	assert_non_null(man);
	for (int s = 0; s < EV_SW__COUNT; s++)
		assert_non_null(strstr(man, ev_sw_name((enum ev_sw)s)));
	assert_non_null(strstr(man, ".SH FILES"));
	assert_non_null(strstr(man, ".BR efa-verify (8)"));
	free(man);
}

/* ------------------------------------------------------------ %n */

static void test_expand(void **state)
{
	struct ev_config c;
	struct ev_err e = { "" };

	(void)state;
	assert_int_equal(load(&c, "sysfs_root: /sim/%n/sys\nstate_dir: /st/%n/%n\n"
				  "software_root: /sw/100%%\nimds: {endpoint: 'http://127.0.0.1:9/%n'}\n"
				  "prometheus_textfile_dir: /prom/%n\nlog: /log/%n.jsonl\n", &e), 0);
	assert_int_equal(ev_config_expand(&c, "node-01", &e), 0);
	assert_string_equal(c.sysfs_root, "/sim/node-01/sys");
	assert_string_equal(c.state_dir, "/st/node-01/node-01");
	assert_string_equal(c.software_root, "/sw/100%");
	assert_string_equal(c.imds_endpoint, "http://127.0.0.1:9/node-01");
	assert_string_equal(c.prometheus_textfile_dir, "/prom/node-01");
	assert_string_equal(c.log_path, "/log/node-01.jsonl");
	ev_config_free(&c);

	/* Without %n, no node name is needed. */
	assert_int_equal(ev_config_defaults(&c, &e), 0);
	assert_int_equal(ev_config_expand(&c, NULL, &e), 0);
	assert_defaults(&c);
	ev_config_free(&c);

	/* Errors leave every value as it was. */
	assert_int_equal(load(&c, "state_dir: /st/%n\nlog: /log/%n\n", &e), 0);
	assert_int_equal(ev_config_expand(&c, NULL, &e), -EINVAL);
	assert_string_equal(e.msg, "state_dir uses %n but the node name is not known");
	assert_string_equal(c.state_dir, "/st/%n");
	for (const char *const *bad = (const char *const[]){ "../x", ".hidden", "-x", "a/b", "a b",
			"", "..", "n\n", NULL }; *bad; bad++) {
		assert_int_equal(ev_config_expand(&c, *bad, &e), -EINVAL);
		assert_non_null(strstr(e.msg, "state_dir uses %n but the node name is not a plain host name"));
		assert_string_equal(c.state_dir, "/st/%n");
		assert_string_equal(c.log_path, "/log/%n");
	}
	ev_config_free(&c);

	assert_int_equal(load(&c, "log: /log/%x\n", &e), 0);
	assert_int_equal(ev_config_expand(&c, "n1", &e), -EINVAL);
	assert_string_equal(e.msg, "log: unknown escape '%x' (only %n and %% are known)");
	ev_config_free(&c);
	assert_int_equal(load(&c, "sysfs_root: /sys%\n", &e), 0);
	assert_int_equal(ev_config_expand(&c, "n1", &e), -EINVAL);
	assert_non_null(strstr(e.msg, "sysfs_root: '%' at the end"));
	ev_config_free(&c);

	/* Too long once expanded. */
	{
		char text[EV_PATH_MAX + 64], name[64];

		memset(name, 'n', 63);
		name[63] = '\0';
		assert_true(ev_valid_nodename(name));
		snprintf(text, sizeof(text), "state_dir: /%0*d/%%n\n", EV_PATH_MAX - 40, 0);
		assert_int_equal(load(&c, text, &e), 0);
		assert_int_equal(ev_config_expand(&c, name, &e), -ENAMETOOLONG);
		assert_non_null(strstr(e.msg, "state_dir is too long after expanding %n"));
		assert_non_null(strstr(c.state_dir, "%n"));
		ev_config_free(&c);
	}
	assert_int_equal(ev_config_expand(NULL, "n1", &e), -EINVAL);
}

static void test_valid_nodename(void **state)
{
	char name[80];

	(void)state;
	assert_true(ev_valid_nodename("node1"));
	assert_true(ev_valid_nodename("ip-10-0-1-5.ec2.internal"));
	assert_true(ev_valid_nodename("queue1-dy-p5-1"));
	assert_true(ev_valid_nodename("a_b"));
	assert_true(ev_valid_nodename("9"));
	assert_false(ev_valid_nodename(NULL));
	assert_false(ev_valid_nodename(""));
	assert_false(ev_valid_nodename("."));
	assert_false(ev_valid_nodename(".."));
	assert_false(ev_valid_nodename(".x"));
	assert_false(ev_valid_nodename("-x"));
	assert_false(ev_valid_nodename("a/b"));
	assert_false(ev_valid_nodename("a b"));
	assert_false(ev_valid_nodename("a%n"));
	assert_false(ev_valid_nodename("n\xc3\xa9"));
	memset(name, 'a', sizeof(name));
	name[63] = '\0';
	assert_true(ev_valid_nodename(name));
	name[63] = 'a';
	name[64] = '\0';
	assert_false(ev_valid_nodename(name));
}

static void test_names(void **state)
{
	enum ev_mode m = EV_MODE_OFF;

	(void)state;
	for (int i = EV_MODE_OFF; i <= EV_MODE_ENFORCE; i++) {
		assert_int_equal(ev_mode_parse(ev_mode_name((enum ev_mode)i), &m), 0);
		assert_int_equal(m, i);
	}
	assert_string_equal(ev_mode_name(EV_MODE_REPORT), "report");
	assert_int_equal(ev_mode_parse("Enforce", &m), -EINVAL);
	assert_int_equal(ev_mode_parse("", &m), -EINVAL);
	assert_int_equal(ev_mode_parse(NULL, &m), -EINVAL);
	assert_int_equal(ev_mode_parse("off", NULL), 0);
	assert_string_equal(ev_mode_name((enum ev_mode)7), "unknown");
	assert_string_equal(ev_check_name(EV_CHECK_DEVICES), "devices");
	assert_string_equal(ev_check_name(EV_CHECK_PORTS), "ports");
	assert_string_equal(ev_check_name(EV_CHECK_EFA_PROVIDER), "efa_provider");
	assert_string_equal(ev_check_name(EV_CHECK_PLACEMENT), "placement");
	assert_string_equal(ev_check_name(EV_CHECK_VERSIONS), "versions");
	assert_string_equal(ev_check_name(EV_CHECK__COUNT), "unknown");
	assert_string_equal(ev_action_name(EV_ACTION_OFF), "off");
	assert_string_equal(ev_action_name(EV_ACTION_WARN), "warn");
	assert_string_equal(ev_action_name(EV_ACTION_FAIL), "fail");
	assert_string_equal(ev_action_name((enum ev_check_action)9), "unknown");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_defaults),
		cmocka_unit_test(test_empty_inputs),
		cmocka_unit_test(test_every_key),
		cmocka_unit_test(test_partial_sections),
		cmocka_unit_test(test_booleans),
		cmocka_unit_test(test_byte_values),
		cmocka_unit_test(test_fractions),
		cmocka_unit_test(test_error_rates),
		cmocka_unit_test(test_deprecated_max_error_events),
		cmocka_unit_test(test_tcp_interfaces),
		cmocka_unit_test(test_env_errors),
		cmocka_unit_test(test_env_many),
		cmocka_unit_test(test_instance_type_errors),
		cmocka_unit_test(test_instance_type_declare),
		cmocka_unit_test(test_checks),
		cmocka_unit_test(test_top_level_errors),
		cmocka_unit_test(test_error_leaves_nothing),
		cmocka_unit_test(test_load_file),
		cmocka_unit_test(test_unreadable_file),
		cmocka_unit_test(test_shipped_conf),
		cmocka_unit_test(test_man_page_names_versions),
		cmocka_unit_test(test_expand),
		cmocka_unit_test(test_valid_nodename),
		cmocka_unit_test(test_names),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
