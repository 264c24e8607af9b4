/* efa-verify.yaml's keys (see ev_config_keys.h) and the walk that reads a
 * mapping by its table. */
#include "config/ev_config_parse.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

#define N(a) (sizeof(a) / sizeof((a)[0]))
/* A field of the struct a table fills: where it is, how big it is. */
#define FIELD(type, m) .off = offsetof(type, m), .size = sizeof(((type *)0)->m)
#define C(m) FIELD(struct ev_config, m)
#define T(m) FIELD(struct ev_instance_type, m)
/* More keys than any mapping of the schema has. */
#define MAX_KEYS 24
#define MAX_EFA_DEVICES 128

/* ------------------------------------------------------------ names */

/* Indexed by enum ev_check_action. */
static const char *const action_names[] = { "off", "warn", "fail" };
static const char *const not_ready_names[] = { "fail_step", "drain" };
static const char *const record_names[] = { "follow_mode", "always" };
static const char *const writer_names[] = { "node", "slurmctld" };
static const char *const node_comment_names[] = { "sealed", "plain" };
static const char *const tcp_source_names[] = { "auto", "interface" };
/* Listed in the order people read them, not the enum's. */
static const char *const action_shown[] = { "fail", "warn", "off" };
static const int action_values[] = { EV_ACTION_FAIL, EV_ACTION_WARN, EV_ACTION_OFF };

static const struct ev_key_choices mode_choices = { EV_MODE_COUNT, ev_mode_names, NULL };
static const struct ev_key_choices action_choices = { N(action_shown), action_shown, action_values };
static const struct ev_key_choices not_ready_choices = { N(not_ready_names), not_ready_names, NULL };
static const struct ev_key_choices record_choices = { N(record_names), record_names, NULL };
static const struct ev_key_choices writer_choices = { N(writer_names), writer_names, NULL };
static const struct ev_key_choices node_comment_choices = { N(node_comment_names), node_comment_names, NULL };
static const struct ev_key_choices tcp_source_choices = { N(tcp_source_names), tcp_source_names, NULL };

/* ------------------------------------------------------------ the tables */

static ev_key_parse_fn parse_tcp_interfaces, parse_max_error_events;

/* Indexed by enum ev_check_id: ev_check_name reads the names here. */
#define CHECK(id, name) [id] = { name, EV_KEY_ENUM, C(checks[id]), .choices = &action_choices }
static const struct ev_key check_keys[EV_CHECK__COUNT + 1] = {
	CHECK(EV_CHECK_DEVICES, "devices"),
	CHECK(EV_CHECK_PORTS, "ports"),
	CHECK(EV_CHECK_EFA_PROVIDER, "efa_provider"),
	CHECK(EV_CHECK_PLACEMENT, "placement"),
	CHECK(EV_CHECK_VERSIONS, "versions"),
	[EV_CHECK__COUNT] = { .name = NULL },
};

/* Indexed by enum ev_error_family. Beyond 1e15 per GiB is more events than
 * a u64 counter holds for any traffic a job moves: no threshold, say so
 * instead. */
#define RATE(f, name) [f] = { name, EV_KEY_NUMBER, C(verdict.max_errors_per_gib[f]), .lo = 0.0, \
			      .hi = 1e15, .range = "events per GiB, from 0 to 1e15" }
static const struct ev_key rate_keys[EV_ERRF__COUNT + 1] = {
	RATE(EV_ERRF_RX_DROPS, "rx_drops"),
	RATE(EV_ERRF_RETRANS_PKTS, "retrans_pkts"),
	RATE(EV_ERRF_RETRANS_TIMEOUT, "retrans_timeout_events"),
	RATE(EV_ERRF_UNRESPONSIVE_REMOTE, "unresponsive_remote_events"),
	RATE(EV_ERRF_IMPAIRED_REMOTE, "impaired_remote_conn_events"),
	RATE(EV_ERRF_RDMA_WR_ERR, "rdma_wr_err"),
	[EV_ERRF__COUNT] = { .name = NULL },
};

#define FRACTION .lo = 0.0, .hi = 1.0, .range = "a fraction from 0 to 1"
static const struct ev_key verdict_keys[] = {
	{ "min_bytes", EV_KEY_BYTES, C(verdict.min_bytes) },
	{ "efa_idle_bytes", EV_KEY_BYTES, C(verdict.efa_idle_bytes) },
	{ "tcp_fallback_fraction", EV_KEY_NUMBER, C(verdict.tcp_fallback_fraction), FRACTION },
	{ "idle_nic_fraction", EV_KEY_NUMBER, C(verdict.idle_nic_fraction), FRACTION },
	{ "max_errors_per_gib", EV_KEY_SECTION, .sub = rate_keys },
	{ "max_error_events", EV_KEY_CUSTOM, .parse = parse_max_error_events },
	{ .name = NULL },
};

static const struct ev_key cause_keys[] = {
	{ "memlock_min_bytes", EV_KEY_BYTES, C(memlock_min_bytes) },
	{ .name = NULL },
};

static const struct ev_key imds_keys[] = {
	{ "endpoint", EV_KEY_URL, C(imds_endpoint) },
	{ "timeout_ms", EV_KEY_LONG, C(imds_timeout_ms), .min = 1, .max = 60000 },
	{ .name = NULL },
};

static const struct ev_key placement_keys[] = {
	{ "require_group", EV_KEY_BOOL, C(require_group) },
	{ "availability_zone", EV_KEY_WORD, C(expect_az), .extra = "-" },
	/* AWS allows up to 255 ASCII characters. */
	{ "group_name", EV_KEY_TEXT, C(expect_group) },
	{ .name = NULL },
};

#define R(m) FIELD(struct ev_env_rule, m)
const struct ev_key ev_env_rule_keys[] = {
	{ "value", EV_KEY_CUSTOM, R(value), .parse = ev_cfg_env_value },
	{ "force", EV_KEY_BOOL, R(force) },
	{ .name = NULL },
};

static const struct ev_key env_keys[] = {
	{ "builtin", EV_KEY_BOOL, C(env_builtin) },
	{ "fi_provider", EV_KEY_BOOL, C(env_fi_provider) },
	{ "nccl_debug", EV_KEY_BOOL, C(nccl_debug) },
	{ "vars", EV_KEY_CUSTOM, .parse = ev_cfg_env_vars, .sub = ev_env_rule_keys },
	{ "instance_types", EV_KEY_CUSTOM, .parse = ev_cfg_env_instance_types, .sub = ev_env_rule_keys },
	{ .name = NULL },
};

const struct ev_key ev_instance_type_keys[] = {
	{ "efa_devices", EV_KEY_LONG, T(efa_devices), .min = 0, .max = MAX_EFA_DEVICES },
	{ "rdma_read", EV_KEY_BOOL, T(rdma_read) },
	{ "rdma_write", EV_KEY_BOOL, T(rdma_write) },
	{ "min_versions", EV_KEY_CUSTOM, T(min_version), .parse = ev_cfg_versions },
	{ "recommended_versions", EV_KEY_CUSTOM, T(recommended), .parse = ev_cfg_versions },
	{ .name = NULL },
};

/* In the order the "valid keys" message lists them. */
const struct ev_key ev_config_keys[] = {
	{ "mode", EV_KEY_ENUM, C(mode), .choices = &mode_choices },
	{ "sysfs_root", EV_KEY_PATH, C(sysfs_root) },
	{ "state_dir", EV_KEY_PATH, C(state_dir) },
	{ "software_root", EV_KEY_PATH, C(software_root) },
	{ "imds", EV_KEY_SECTION, .sub = imds_keys },
	{ "placement", EV_KEY_SECTION, .sub = placement_keys },
	{ "tcp_source", EV_KEY_ENUM, C(tcp_source_interface), .choices = &tcp_source_choices },
	{ "tcp_interfaces", EV_KEY_CUSTOM, .parse = parse_tcp_interfaces },
	{ "verdict", EV_KEY_SECTION, .sub = verdict_keys },
	{ "causes", EV_KEY_SECTION, .sub = cause_keys },
	{ "env", EV_KEY_SECTION, .sub = env_keys },
	{ "instance_types", EV_KEY_CUSTOM, .parse = ev_cfg_instance_types, .sub = ev_instance_type_keys },
	{ "checks", EV_KEY_SECTION, .sub = check_keys },
	{ "on_not_ready", EV_KEY_ENUM, C(on_not_ready), .choices = &not_ready_choices },
	{ "prometheus_textfile_dir", EV_KEY_PATH_OPT, C(prometheus_textfile_dir) },
	{ "log", EV_KEY_PATH_OPT, C(log_path) },
	{ "record_wait_ms", EV_KEY_LONG, C(record_wait_ms), .min = 0, .max = 600000 },
	{ "prolog_deliver_ms", EV_KEY_LONG, C(prolog_deliver_ms), .min = 0, .max = 600000 },
	{ "record", EV_KEY_ENUM, C(record), .choices = &record_choices },
	{ "record_writer", EV_KEY_ENUM, C(record_writer), .choices = &writer_choices },
	{ "node_comment", EV_KEY_ENUM, C(node_comment), .choices = &node_comment_choices },
	{ .name = NULL },
};

_Static_assert(sizeof(enum ev_mode) == sizeof(int) && sizeof(enum ev_check_action) == sizeof(int) &&
	       sizeof(enum ev_on_not_ready) == sizeof(int) && sizeof(enum ev_record_policy) == sizeof(int) &&
		       sizeof(enum ev_record_writer) == sizeof(int) && sizeof(enum ev_node_comment) == sizeof(int),
	       "ENUM keys store an int");

/* ------------------------------------------------------------ names */


const char *ev_check_name(enum ev_check_id id)
{
	if ((int)id < 0 || id >= EV_CHECK__COUNT)
		return "unknown";
	return check_keys[id].name;
}

const char *ev_error_family_name(enum ev_error_family f)
{
	if ((int)f < 0 || f >= EV_ERRF__COUNT)
		return "unknown";
	return rate_keys[f].name;
}

const char *ev_record_policy_name(enum ev_record_policy r)
{
	if ((int)r < 0 || (size_t)r >= N(record_names))
		return "unknown";
	return record_names[r];
}

const char *ev_record_writer_name(enum ev_record_writer w)
{
	if ((int)w < 0 || (size_t)w >= N(writer_names))
		return "unknown";
	return writer_names[w];
}

const char *ev_action_name(enum ev_check_action a)
{
	if ((int)a < 0 || (size_t)a >= N(action_names))
		return "unknown";
	return action_names[a];
}

/* ------------------------------------------------------------ the walk */

/* An integer into a field of the size its row gives (bool, int or long). */
static void put_int(void *field, size_t size, long v)
{
	if (size == sizeof(long))
		*(long *)field = v;
	else if (size == sizeof(int))
		*(int *)field = (int)v;
	else
		*(bool *)field = v != 0;
}

static int one_value(struct ev_cfg_parse *p, const struct ev_key *k, void *base, const yaml_node_t *v,
		     const char *path)
{
	struct ev_yaml *y = &p->y;
	void *f = (char *)base + k->off;
	long l;
	int e, rc;

	/* No default: the compiler names a type without a case here. */
	switch (k->type) {
	case EV_KEY_BOOL:
		return ev_yaml_bool(y, v, path, f);
	case EV_KEY_LONG:
		if (!(rc = ev_yaml_long(y, v, path, k->min, k->max, &l)))
			put_int(f, k->size, l);
		return rc;
	case EV_KEY_BYTES:
		return ev_yaml_bytes(y, v, path, f);
	case EV_KEY_NUMBER:
		return ev_yaml_number(y, v, path, k->lo, k->hi, k->range, f);
	case EV_KEY_PATH:
	case EV_KEY_PATH_OPT:
		return ev_yaml_path(y, v, path, f, k->size, k->type == EV_KEY_PATH_OPT);
	case EV_KEY_URL:
		return ev_yaml_url(y, v, path, f, k->size);
	case EV_KEY_WORD:
		return ev_yaml_word(y, v, path, f, k->size, k->extra);
	case EV_KEY_TEXT:
		return ev_yaml_text(y, v, path, f, k->size);
	case EV_KEY_ENUM:
		if (!(rc = ev_yaml_enum(y, v, path, k->choices->names, k->choices->values, k->choices->n, &e)))
			put_int(f, k->size, e);
		return rc;
	case EV_KEY_SECTION:
		return ev_cfg_section(p, k->sub, base, v, path);
	case EV_KEY_CUSTOM:
		return k->parse(p, base, k, v, path);
	}
	return ev_yaml_at(y, v, "%s: key of unknown type %d", path, (int)k->type);
}

int ev_cfg_section(struct ev_cfg_parse *p, const struct ev_key *keys, void *base, const yaml_node_t *n,
		   const char *path)
{
	const char *names[MAX_KEYS + 1];
	size_t count = 0;
	bool empty;
	int rc = ev_yaml_want_map(&p->y, n, path, &empty);

	if (rc || empty)
		return rc;
	for (; keys[count].name && count < MAX_KEYS; count++)
		names[count] = keys[count].name;
	names[count] = NULL;
	EV_YAML_FOR_PAIRS(n, pair) {
		const struct ev_key *k = keys;
		char sub[256];
		const char *name;

		if ((rc = ev_yaml_map_key(&p->y, n, pair, path, names, &name)))
			return rc;
		while (strcmp(k->name, name) != 0)
			k++;
		ev_yaml_subpath(sub, sizeof(sub), path, name);
		p->key = ev_yaml_node(&p->y, pair->key);
		if ((rc = one_value(p, k, base, ev_yaml_node(&p->y, pair->value), sub)))
			return rc;
	}
	return 0;
}

int ev_cfg_parse_doc(struct ev_cfg_parse *p, const yaml_node_t *root)
{
	/* No document, or one holding only a null: all defaults. */
	if (!root || ev_yaml_is_null(root))
		return 0;
	if (root->type != YAML_MAPPING_NODE)
		return ev_yaml_at(&p->y, root, "the top level must be a mapping (key: value lines), got %s",
				  ev_yaml_kind(root));
	return ev_cfg_section(p, ev_config_keys, p->c, root, "");
}

/* ------------------------------------------------------------ values of their own shape */

static bool valid_ifname(const char *s)
{
	size_t n = strlen(s);

	/* The kernel's rules (dev_valid_name): IFNAMSIZ, no '/', ':' or space. */
	if (n < 1 || n >= EV_IFNAME_MAX || strcmp(s, ".") == 0 || strcmp(s, "..") == 0)
		return false;
	for (; *s; s++)
		if (*s == '/' || *s == ':' || isspace((unsigned char)*s) || (unsigned char)*s < 0x20 ||
		    (unsigned char)*s >= 0x7f)
			return false;
	return true;
}

/* auto, or a list of interface names. */
static int parse_tcp_interfaces(struct ev_cfg_parse *p, void *base, const struct ev_key *k,
				const yaml_node_t *n, const char *path)
{
	struct ev_yaml *y = &p->y;
	struct ev_config *c = base;
	size_t count;
	char b[64];

	(void)k;
	(void)path;
	if (n->type == YAML_SCALAR_NODE && strcmp(ev_yaml_sval(n), "auto") == 0) {
		c->tcp_auto = true;
		c->n_tcp_ifaces = 0;
		return 0;
	}
	if (n->type != YAML_SEQUENCE_NODE)
		return ev_yaml_at(y, n, "tcp_interfaces: expected 'auto' or a list of interface names, got %s%s%s%s",
				  ev_yaml_kind(n), n->type == YAML_SCALAR_NODE ? " '" : "",
				  n->type == YAML_SCALAR_NODE ? ev_yaml_show(ev_yaml_sval(n), b, sizeof(b)) : "",
				  n->type == YAML_SCALAR_NODE ? "'" : "");
	count = (size_t)(n->data.sequence.items.top - n->data.sequence.items.start);
	if (count == 0)
		return ev_yaml_at(y, n, "tcp_interfaces: the list is empty (give at least one name, or auto)");
	if (count > EV_MAX_TCP_IFACES)
		return ev_yaml_at(y, n, "tcp_interfaces: %zu interfaces, at most %d are allowed", count,
				  EV_MAX_TCP_IFACES);
	c->n_tcp_ifaces = 0;
	for (yaml_node_item_t *it = n->data.sequence.items.start; it < n->data.sequence.items.top; it++) {
		const yaml_node_t *v = ev_yaml_node(y, *it);
		const char *s;
		int rc;

		if (!v || v->type != YAML_SCALAR_NODE || ev_yaml_is_null(v))
			return ev_yaml_at(y, v ? v : n, "tcp_interfaces: each entry must be an interface name");
		if ((rc = ev_yaml_scalar(y, v, "tcp_interfaces", &s)))
			return rc;
		if (!valid_ifname(s))
			return ev_yaml_at(y, v, "tcp_interfaces: '%s' is not a valid interface name "
					  "(1-15 characters, no '/', ':' or spaces, not . or ..)",
					  ev_yaml_show(s, b, sizeof(b)));
		for (size_t i = 0; i < c->n_tcp_ifaces; i++)
			if (strcmp(c->tcp_ifaces[i], s) == 0)
				return ev_yaml_at(y, v, "tcp_interfaces: '%s' is listed twice", s);
		snprintf(c->tcp_ifaces[c->n_tcp_ifaces++], EV_IFNAME_MAX, "%s", s);
	}
	c->tcp_auto = false;
	return 0;
}

/* 0.1.0's absolute count has no per-GiB equivalent, so it is not
 * translated; but a config that worked must not turn efa-verify off on
 * upgrade (and with it every job's record): still a valid integer, then
 * ignored, and the binaries say so. */
static int parse_max_error_events(struct ev_cfg_parse *p, void *base, const struct ev_key *k,
				  const yaml_node_t *v, const char *path)
{
	struct ev_config *c = base;
	yaml_mark_t m = p->key->start_mark;
	uint64_t ignored;
	int rc;

	(void)k;
	if ((rc = ev_yaml_u64(&p->y, v, path, &ignored)))
		return rc;
	snprintf(c->deprecated, sizeof(c->deprecated),
		 "%s:%zu:%zu: verdict.max_error_events is ignored: error growth is now judged "
		 "per GiB of EFA traffic, per counter family (verdict.max_errors_per_gib, "
		 "see efa-verify.yaml(5)); remove it",
		 p->y.name, m.line + 1, m.column + 1);
	return 0;
}
