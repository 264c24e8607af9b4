/* efa-verify.yaml: defaults, libyaml document walk, %n expansion.
 *
 * The file is read by root (prolog, slurmstepd) and by users (srun), so the
 * parser is strict: every key is known, every value typed and bounded, and
 * each error names FILE:LINE:COL so an admin can fix it without guessing. */
#include "ev_config.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include <yaml.h>

#define CFG_MAX_BYTES EV_CONFIG_MAX_BYTES
/* The schema is at most 5 levels deep; anything far deeper is not ours. */
#define CFG_MAX_DEPTH 32
/* Bounds open maps (env vars, instance types) so duplicate checks stay cheap. */
#define CFG_MAX_MAP_ENTRIES 256
#define CFG_MAX_ENV_RULES 1024
#define CFG_MAX_INSTANCE_TYPES 512
#define CFG_MAX_EFA_DEVICES 128

/* ------------------------------------------------------------ names */

static const char *const mode_names[] = { "off", "report", "enforce" };
static const char *const check_names[EV_CHECK__COUNT] = {
	[EV_CHECK_DEVICES] = "devices",
	[EV_CHECK_PORTS] = "ports",
	[EV_CHECK_EFA_PROVIDER] = "efa_provider",
	[EV_CHECK_PLACEMENT] = "placement",
	[EV_CHECK_VERSIONS] = "versions",
};
/* Indexed by enum ev_check_action. */
static const char *const action_names[] = { "off", "warn", "fail" };
static const char *const not_ready_names[] = { "fail_step", "drain" };
static const char *const record_names[] = { "follow_mode", "always" };
static const char *const error_family_names[EV_ERRF__COUNT] = {
	[EV_ERRF_RX_DROPS] = "rx_drops",
	[EV_ERRF_RETRANS_PKTS] = "retrans_pkts",
	[EV_ERRF_RETRANS_TIMEOUT] = "retrans_timeout_events",
	[EV_ERRF_UNRESPONSIVE_REMOTE] = "unresponsive_remote_events",
	[EV_ERRF_IMPAIRED_REMOTE] = "impaired_remote_conn_events",
	[EV_ERRF_RDMA_WR_ERR] = "rdma_wr_err",
};
static const char *const tcp_source_names[] = { "auto", "interface" };

const char *ev_mode_name(enum ev_mode m)
{
	if ((int)m < 0 || (size_t)m >= sizeof(mode_names) / sizeof(mode_names[0]))
		return "unknown";
	return mode_names[m];
}

int ev_mode_parse(const char *s, enum ev_mode *out)
{
	if (!s)
		return -EINVAL;
	for (size_t i = 0; i < sizeof(mode_names) / sizeof(mode_names[0]); i++) {
		if (strcmp(s, mode_names[i]) == 0) {
			if (out)
				*out = (enum ev_mode)i;
			return 0;
		}
	}
	return -EINVAL;
}

const char *ev_check_name(enum ev_check_id id)
{
	if ((int)id < 0 || id >= EV_CHECK__COUNT)
		return "unknown";
	return check_names[id];
}

const char *ev_error_family_name(enum ev_error_family f)
{
	if ((int)f < 0 || f >= EV_ERRF__COUNT)
		return "unknown";
	return error_family_names[f];
}

const char *ev_record_policy_name(enum ev_record_policy r)
{
	if ((int)r < 0 || (size_t)r >= sizeof(record_names) / sizeof(record_names[0]))
		return "unknown";
	return record_names[r];
}

const char *ev_action_name(enum ev_check_action a)
{
	if ((int)a < 0 || (size_t)a >= sizeof(action_names) / sizeof(action_names[0]))
		return "unknown";
	return action_names[a];
}

bool ev_valid_nodename(const char *s)
{
	size_t n;

	if (!s)
		return false;
	n = strlen(s);
	if (n < 1 || n > 63 || s[0] == '.' || s[0] == '-')
		return false;
	for (size_t i = 0; i < n; i++) {
		unsigned char ch = (unsigned char)s[i];

		if (!isalnum(ch) && ch != '.' && ch != '_' && ch != '-')
			return false;
	}
	return true;
}

/* ------------------------------------------------------------ defaults */

int ev_config_defaults(struct ev_config *c, struct ev_err *err)
{
	const struct ev_instance_type *tab;
	size_t n;

	if (!c)
		return ev_errf(err, -EINVAL, "config: no config to fill");
	memset(c, 0, sizeof(*c));
	c->mode = EV_MODE_REPORT;
	snprintf(c->sysfs_root, sizeof(c->sysfs_root), "/sys");
	snprintf(c->state_dir, sizeof(c->state_dir), "/var/lib/efa-verify");
	snprintf(c->software_root, sizeof(c->software_root), "/");
	snprintf(c->imds_endpoint, sizeof(c->imds_endpoint), "http://169.254.169.254");
	c->imds_timeout_ms = 1000;
	c->record_wait_ms = 20000;
	c->require_group = true;
	c->tcp_auto = true;
	c->verdict.min_bytes = 1024 * 1024;
	c->verdict.efa_idle_bytes = 1024 * 1024;
	c->verdict.tcp_fallback_fraction = 0.5;
	c->verdict.idle_nic_fraction = 0.01;
	/* Error events per GiB of a device's EFA traffic. No public number
	 * exists for any of these: AWS's EFA monitoring guide and the efa
	 * driver say what each counter counts, and the SRD paper (Shalev et
	 * al., IEEE Micro 40(6), 2020) that SRD retransmits as part of normal
	 * operation, but none gives a rate a healthy job stays under. So these
	 * are ours, each a margin chosen by reasoning, not measured; the job
	 * log keeps every node's counters so a site can set its own. A GiB
	 * is at least 131,072 packets at EFA's 8 KiB MTU (more with smaller
	 * messages), so 1,000 retransmitted or dropped packets per GiB is
	 * 0.76 % of full-size packets: a judgement, not a measurement, meant
	 * to stay above what SRD retransmits in normal operation (it sprays a
	 * flow over many paths) and below a link that keeps losing packets. */
	c->verdict.max_errors_per_gib[EV_ERRF_RX_DROPS] = 1000;
	c->verdict.max_errors_per_gib[EV_ERRF_RETRANS_PKTS] = 1000;
	/* A timeout makes SRD change the packet's path: a handful per GiB is
	 * congestion, more is a path that keeps failing. */
	c->verdict.max_errors_per_gib[EV_ERRF_RETRANS_TIMEOUT] = 10;
	/* A peer that stopped answering, a connection marked impaired, a
	 * failed RDMA work request: a healthy job has none, so one per GiB
	 * (with the 1 GiB floor, the first one never trips a small job: a
	 * peer that exits while traffic is in flight may cause one). */
	c->verdict.max_errors_per_gib[EV_ERRF_UNRESPONSIVE_REMOTE] = 1;
	c->verdict.max_errors_per_gib[EV_ERRF_IMPAIRED_REMOTE] = 1;
	c->verdict.max_errors_per_gib[EV_ERRF_RDMA_WR_ERR] = 1;
	c->record = EV_RECORD_FOLLOW_MODE;
	c->env_builtin = true;
	/* Only aws-ofi-nccl <= 1.5 needs FI_PROVIDER=efa, but with it libfabric
	 * fails loudly instead of quietly picking tcp or sockets: set it unless
	 * the admin says otherwise. */
	c->env_fi_provider = true;
	c->nccl_debug = false;
	for (int i = 0; i < EV_CHECK__COUNT; i++)
		c->checks[i] = EV_ACTION_FAIL;
	c->checks[EV_CHECK_VERSIONS] = EV_ACTION_WARN;
	c->on_not_ready = EV_NOT_READY_FAIL_STEP;
	snprintf(c->log_path, sizeof(c->log_path), "/var/log/efa-verify/jobs.jsonl");

	tab = ev_instances_builtin(&n);
	c->instance_types = calloc(n ? n : 1, sizeof(*c->instance_types));
	if (!c->instance_types)
		return ev_errf(err, -ENOMEM, "config: out of memory");
	memcpy(c->instance_types, tab, n * sizeof(*tab));
	c->n_instance_types = n;
	return 0;
}

void ev_config_free(struct ev_config *c)
{
	if (!c)
		return;
	free(c->env_rules);
	c->env_rules = NULL;
	c->n_env_rules = 0;
	free(c->instance_types);
	c->instance_types = NULL;
	c->n_instance_types = 0;
}

const struct ev_instance_type *ev_config_instance(const struct ev_config *c, const char *name)
{
	if (!c || !name || !*name)
		return NULL;
	return ev_instance_find(c->instance_types, c->n_instance_types, name);
}

/* ------------------------------------------------------------ error helpers */

struct pctx {
	const char *name;          /* file name for messages */
	yaml_document_t *doc;
	struct ev_config *c;
	struct ev_err *err;
	size_t env_cap;
	size_t it_cap;
};

/* "FILE:LINE:COL: msg" at a libyaml mark (0-based there, 1-based here). */
static int mark_err(struct ev_err *err, int rc, const char *name, yaml_mark_t m,
		    const char *fmt, ...) __attribute__((format(printf, 5, 6)));
static int mark_err(struct ev_err *err, int rc, const char *name, yaml_mark_t m,
		    const char *fmt, ...)
{
	char msg[EV_ERR_MAX];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	return ev_errf(err, rc, "%s:%zu:%zu: %s", name, m.line + 1, m.column + 1, msg);
}

static int at(struct pctx *p, const yaml_node_t *n, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static int at(struct pctx *p, const yaml_node_t *n, const char *fmt, ...)
{
	char msg[EV_ERR_MAX];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	return mark_err(p->err, -EINVAL, p->name, n->start_mark, "%s", msg);
}

/* A value as it may appear in a message: printable, and short. */
static const char *show(const char *s, char *buf, size_t cap)
{
	size_t i, o = 0;

	for (i = 0; s[i] && o + 4 < cap; i++) {
		unsigned char ch = (unsigned char)s[i];

		if (i == 48) {
			buf[o++] = '.';
			buf[o++] = '.';
			buf[o++] = '.';
			break;
		}
		buf[o++] = (ch >= 0x20 && ch < 0x7f) ? (char)ch : '?';
	}
	buf[o] = '\0';
	return buf;
}

static const char *kind(const yaml_node_t *n)
{
	switch (n->type) {
	case YAML_MAPPING_NODE:
		return "a mapping";
	case YAML_SEQUENCE_NODE:
		return "a list";
	case YAML_SCALAR_NODE:
		return "a single value";
	default:
		return "nothing";
	}
}

static void join_names(char *buf, size_t cap, const char *const *names, size_t n)
{
	size_t o = 0;

	buf[0] = '\0';
	for (size_t i = 0; i < n && names[i]; i++) {
		int w = snprintf(buf + o, cap - o, "%s%s", i ? ", " : "", names[i]);

		if (w < 0 || (size_t)w >= cap - o)
			break;
		o += (size_t)w;
	}
}

static void subpath(char *out, size_t cap, const char *path, const char *key)
{
	snprintf(out, cap, "%s%s%s", path, *path ? "." : "", key);
}

/* ------------------------------------------------------------ scalar parsing */

static const char *sval(const yaml_node_t *n)
{
	return (const char *)n->data.scalar.value;
}

/* YAML's null: an empty or ~/null plain scalar. A quoted "" is a string. */
static bool is_null(const yaml_node_t *n)
{
	const char *s;

	if (n->type != YAML_SCALAR_NODE || n->data.scalar.style != YAML_PLAIN_SCALAR_STYLE)
		return false;
	s = sval(n);
	return !*s || strcmp(s, "~") == 0 || strcmp(s, "null") == 0 ||
	       strcmp(s, "Null") == 0 || strcmp(s, "NULL") == 0;
}

static int scalar(struct pctx *p, const yaml_node_t *n, const char *path, const char **out)
{
	if (n->type != YAML_SCALAR_NODE)
		return at(p, n, "%s: expected a single value, got %s", path, kind(n));
	if (strlen(sval(n)) != n->data.scalar.length)
		return at(p, n, "%s: value contains a NUL byte", path);
	*out = sval(n);
	return 0;
}

static bool has_ctrl(const char *s)
{
	for (; *s; s++)
		if ((unsigned char)*s < 0x20 || *s == 0x7f)
			return true;
	return false;
}

static int get_bool(struct pctx *p, const yaml_node_t *n, const char *path, bool *out)
{
	static const char *const yes[] = { "true", "yes", "on" };
	static const char *const no[] = { "false", "no", "off" };
	const char *s;
	char b[64];
	int rc = scalar(p, n, path, &s);

	if (rc)
		return rc;
	for (size_t i = 0; i < 3; i++) {
		if (strcasecmp(s, yes[i]) == 0) {
			*out = true;
			return 0;
		}
		if (strcasecmp(s, no[i]) == 0) {
			*out = false;
			return 0;
		}
	}
	return at(p, n, "%s: '%s' is not a boolean (use true or false; yes/no and on/off also work)",
		  path, show(s, b, sizeof(b)));
}

/* Plain decimal: digits only (an optional '-' where negatives can be given). */
static int parse_u64_text(const char *s, uint64_t *out)
{
	uint64_t v = 0;

	if (!*s)
		return -EINVAL;
	for (; *s; s++) {
		if (*s < '0' || *s > '9')
			return -EINVAL;
		if (v > (UINT64_MAX - (uint64_t)(*s - '0')) / 10)
			return -ERANGE;
		v = v * 10 + (uint64_t)(*s - '0');
	}
	*out = v;
	return 0;
}

static int get_long(struct pctx *p, const yaml_node_t *n, const char *path, long min, long max,
		    long *out)
{
	const char *s;
	char b[64];
	bool neg;
	uint64_t v;
	long x;
	int rc = scalar(p, n, path, &s);

	if (rc)
		return rc;
	neg = *s == '-';
	rc = parse_u64_text((*s == '-' || *s == '+') ? s + 1 : s, &v);
	if (rc == -EINVAL)
		return at(p, n, "%s: '%s' is not an integer", path, show(s, b, sizeof(b)));
	if (rc == -ERANGE || v > (uint64_t)LONG_MAX)
		goto range;
	x = neg ? -(long)v : (long)v;
	if (x < min || x > max)
		goto range;
	*out = x;
	return 0;
range:
	return at(p, n, "%s: %s is out of range (%ld..%ld)", path, show(s, b, sizeof(b)), min, max);
}

static int get_u64(struct pctx *p, const yaml_node_t *n, const char *path, uint64_t *out)
{
	const char *s;
	char b[64];
	int rc = scalar(p, n, path, &s);

	if (rc)
		return rc;
	rc = parse_u64_text(s, out);
	if (rc == -EINVAL)
		return at(p, n, "%s: '%s' is not a non-negative integer", path, show(s, b, sizeof(b)));
	if (rc == -ERANGE)
		return at(p, n, "%s: %s is out of range (0..%llu)", path, show(s, b, sizeof(b)),
			  (unsigned long long)UINT64_MAX);
	return 0;
}

/* "1048576", "1 MiB", "64K", "2GiB": K/M/G/T are powers of 1024 with or
 * without "iB"; a bare "B" is bytes. "KB" is refused: 1000 or 1024 is
 * anyone's guess. */
static int get_bytes(struct pctx *p, const yaml_node_t *n, const char *path, uint64_t *out)
{
	static const struct {
		const char *suffix;
		unsigned shift;
	} units[] = {
		{ "", 0 }, { "B", 0 },
		{ "K", 10 }, { "KiB", 10 },
		{ "M", 20 }, { "MiB", 20 },
		{ "G", 30 }, { "GiB", 30 },
		{ "T", 40 }, { "TiB", 40 },
	};
	const char *s, *e;
	char num[32], b[64];
	uint64_t v;
	size_t len;
	int rc = scalar(p, n, path, &s);

	if (rc)
		return rc;
	for (e = s; *e >= '0' && *e <= '9'; e++)
		;
	len = (size_t)(e - s);
	if (len == 0 || len >= sizeof(num))
		goto bad;
	memcpy(num, s, len);
	num[len] = '\0';
	while (*e == ' ')
		e++;
	for (size_t i = 0; i < sizeof(units) / sizeof(units[0]); i++) {
		if (strcmp(e, units[i].suffix) != 0)
			continue;
		if (parse_u64_text(num, &v) != 0 || (units[i].shift && v > (UINT64_MAX >> units[i].shift)))
			return at(p, n, "%s: %s is too large", path, show(s, b, sizeof(b)));
		*out = v << units[i].shift;
		return 0;
	}
bad:
	return at(p, n, "%s: '%s' is not a byte count (an integer, optionally followed by "
		  "K/KiB, M/MiB, G/GiB or T/TiB)", path, show(s, b, sizeof(b)));
}

/* A plain decimal number (strtod alone would also take "nan", "inf" and
 * hex floats) from lo to hi; range says what it is in the message. */
static int get_number(struct pctx *p, const yaml_node_t *n, const char *path, double lo, double hi,
		      const char *range, double *out)
{
	const char *s, *q;
	char *end;
	char b[64];
	bool digit = false;
	double v;
	int rc = scalar(p, n, path, &s);

	if (rc)
		return rc;
	for (q = s; *q; q++) {
		if (*q >= '0' && *q <= '9')
			digit = true;
		else if (!strchr(".eE+-", *q))
			break;
	}
	if (*q || !digit)
		return at(p, n, "%s: '%s' is not a number", path, show(s, b, sizeof(b)));
	errno = 0;
	v = strtod(s, &end);
	if (*end || errno == ERANGE || !isfinite(v))
		return at(p, n, "%s: '%s' is not a number", path, show(s, b, sizeof(b)));
	if (v < lo || v > hi)
		return at(p, n, "%s: %s is out of range (%s)", path, show(s, b, sizeof(b)), range);
	*out = v;
	return 0;
}

static int get_fraction(struct pctx *p, const yaml_node_t *n, const char *path, double *out)
{
	return get_number(p, n, path, 0.0, 1.0, "a fraction from 0 to 1", out);
}

static void strip_trailing_slashes(char *s, size_t keep)
{
	size_t n = strlen(s);

	while (n > keep && s[n - 1] == '/')
		s[--n] = '\0';
}

/* Absolute path; optional ones take null or "" for "not set". */
static int get_path(struct pctx *p, const yaml_node_t *n, const char *path, char *dst, size_t cap,
		    bool optional)
{
	const char *s;
	char b[64];
	int rc;

	if (optional && is_null(n)) {
		dst[0] = '\0';
		return 0;
	}
	rc = scalar(p, n, path, &s);
	if (rc)
		return rc;
	if (!*s) {
		if (optional) {
			dst[0] = '\0';
			return 0;
		}
		return at(p, n, "%s: must not be empty", path);
	}
	if (s[0] != '/')
		return at(p, n, "%s: '%s' is not an absolute path (it must start with /)", path,
			  show(s, b, sizeof(b)));
	if (has_ctrl(s))
		return at(p, n, "%s: path contains control characters", path);
	if (strlen(s) >= cap)
		return at(p, n, "%s: path is too long (at most %zu bytes)", path, cap - 1);
	snprintf(dst, cap, "%s", s);
	strip_trailing_slashes(dst, 1);
	return 0;
}

static int get_url(struct pctx *p, const yaml_node_t *n, const char *path, char *dst, size_t cap)
{
	const char *s, *host, *q;
	char b[64];
	int rc = scalar(p, n, path, &s);

	if (rc)
		return rc;
	if (strncasecmp(s, "http://", 7) == 0)
		host = s + 7;
	else if (strncasecmp(s, "https://", 8) == 0)
		host = s + 8;
	else
		return at(p, n, "%s: '%s' is not an http:// or https:// URL", path,
			  show(s, b, sizeof(b)));
	if (!*host || *host == '/')
		return at(p, n, "%s: '%s' has no host", path, show(s, b, sizeof(b)));
	for (q = s; *q; q++)
		if ((unsigned char)*q <= 0x20 || *q == 0x7f)
			return at(p, n, "%s: URL contains spaces or control characters", path);
	if (strlen(s) >= cap)
		return at(p, n, "%s: URL is too long (at most %zu bytes)", path, cap - 1);
	snprintf(dst, cap, "%s", s);
	/* The IMDS client appends "/latest/...": keep the base without a slash. */
	strip_trailing_slashes(dst, (size_t)(host - s) + 1);
	return 0;
}

static int get_enum(struct pctx *p, const yaml_node_t *n, const char *path,
		    const char *const *names, size_t count, int *out)
{
	const char *s;
	char list[128], b[64];
	int rc = scalar(p, n, path, &s);

	if (rc)
		return rc;
	for (size_t i = 0; i < count; i++) {
		if (strcmp(s, names[i]) == 0) {
			*out = (int)i;
			return 0;
		}
	}
	join_names(list, sizeof(list), names, count);
	return at(p, n, "%s: '%s' is not valid (one of: %s)", path, show(s, b, sizeof(b)), list);
}

/* Printable ASCII, no spaces, bounded: AZ names, instance type names. */
static int get_word(struct pctx *p, const yaml_node_t *n, const char *path, char *dst, size_t cap,
		    const char *extra)
{
	const char *s;
	char b[64];
	int rc;

	if (is_null(n)) {
		dst[0] = '\0';
		return 0;
	}
	rc = scalar(p, n, path, &s);
	if (rc)
		return rc;
	if (strlen(s) >= cap)
		return at(p, n, "%s: value is too long (at most %zu characters)", path, cap - 1);
	for (const char *q = s; *q; q++)
		if (!isalnum((unsigned char)*q) && !strchr(extra, *q))
			return at(p, n, "%s: '%s' contains '%c' (allowed: letters, digits, %s)", path,
				  show(s, b, sizeof(b)), isprint((unsigned char)*q) ? *q : '?',
				  extra);
	snprintf(dst, cap, "%s", s);
	return 0;
}

/* ------------------------------------------------------------ mappings */

static yaml_node_t *node(struct pctx *p, int id)
{
	return yaml_document_get_node(p->doc, id);
}

/* Sections may be left empty ("placement:" with everything commented out). */
static int want_map(struct pctx *p, const yaml_node_t *n, const char *path, bool *empty)
{
	*empty = false;
	if (is_null(n)) {
		*empty = true;
		return 0;
	}
	if (n->type != YAML_MAPPING_NODE)
		return at(p, n, "%s: expected a mapping (key: value lines), got %s",
			  *path ? path : "top level", kind(n));
	return 0;
}

/* Check the key of one pair: a scalar, one of valid (NULL = any name), and
 * not repeated earlier in this mapping. Earlier keys passed the same
 * checks, so the duplicate scan is bounded by the valid set or the cap. */
static int map_key(struct pctx *p, const yaml_node_t *map, const yaml_node_pair_t *pair,
		   const char *path, const char *const *valid, const char **key)
{
	const yaml_node_t *k = node(p, pair->key);
	char list[512], b[64];
	const char *s;

	if (!k || k->type != YAML_SCALAR_NODE)
		return at(p, k ? k : map, "%s: keys must be plain names, got %s",
			  *path ? path : "top level", k ? kind(k) : "nothing");
	if (strlen(sval(k)) != k->data.scalar.length)
		return at(p, k, "%s: key contains a NUL byte", *path ? path : "top level");
	s = sval(k);
	if (valid) {
		size_t i;

		for (i = 0; valid[i]; i++)
			if (strcmp(valid[i], s) == 0)
				break;
		if (!valid[i]) {
			join_names(list, sizeof(list), valid, SIZE_MAX);
			if (*path)
				return at(p, k, "unknown key '%s' in %s (valid keys: %s)",
					  show(s, b, sizeof(b)), path, list);
			return at(p, k, "unknown key '%s' (valid keys: %s)", show(s, b, sizeof(b)),
				  list);
		}
	} else if (pair - map->data.mapping.pairs.start >= CFG_MAX_MAP_ENTRIES) {
		return at(p, k, "%s: too many entries (at most %d)", path, CFG_MAX_MAP_ENTRIES);
	}
	for (const yaml_node_pair_t *q = map->data.mapping.pairs.start; q < pair; q++) {
		const yaml_node_t *prev = node(p, q->key);

		if (prev && strcmp(sval(prev), s) == 0) {
			char full[256];

			subpath(full, sizeof(full), path, show(s, b, sizeof(b)));
			return at(p, k, "duplicate key '%s' (first given at line %zu)", full,
				  prev->start_mark.line + 1);
		}
	}
	*key = s;
	return 0;
}

#define FOR_PAIRS(p, map, pair) \
	for (yaml_node_pair_t *pair = (map)->data.mapping.pairs.start; \
	     pair < (map)->data.mapping.pairs.top; pair++)

/* ------------------------------------------------------------ sections */

static int parse_imds(struct pctx *p, const yaml_node_t *n)
{
	static const char *const keys[] = { "endpoint", "timeout_ms", NULL };
	bool empty;
	int rc = want_map(p, n, "imds", &empty);

	if (rc || empty)
		return rc;
	FOR_PAIRS(p, n, pair) {
		const yaml_node_t *v = node(p, pair->value);
		const char *k;

		if ((rc = map_key(p, n, pair, "imds", keys, &k)))
			return rc;
		if (strcmp(k, "endpoint") == 0)
			rc = get_url(p, v, "imds.endpoint", p->c->imds_endpoint,
				     sizeof(p->c->imds_endpoint));
		else
			rc = get_long(p, v, "imds.timeout_ms", 1, 60000, &p->c->imds_timeout_ms);
		if (rc)
			return rc;
	}
	return 0;
}

static int parse_placement(struct pctx *p, const yaml_node_t *n)
{
	static const char *const keys[] = { "require_group", "availability_zone", "group_name", NULL };
	struct ev_config *c = p->c;
	bool empty;
	int rc = want_map(p, n, "placement", &empty);

	if (rc || empty)
		return rc;
	FOR_PAIRS(p, n, pair) {
		const yaml_node_t *v = node(p, pair->value);
		const char *k;

		if ((rc = map_key(p, n, pair, "placement", keys, &k)))
			return rc;
		if (strcmp(k, "require_group") == 0) {
			rc = get_bool(p, v, "placement.require_group", &c->require_group);
		} else if (strcmp(k, "availability_zone") == 0) {
			rc = get_word(p, v, "placement.availability_zone", c->expect_az,
				      sizeof(c->expect_az), "-");
		} else {
			const char *s;

			if (is_null(v)) {
				c->expect_group[0] = '\0';
				continue;
			}
			if ((rc = scalar(p, v, "placement.group_name", &s)))
				return rc;
			/* AWS allows up to 255 ASCII characters. */
			if (strlen(s) >= sizeof(c->expect_group))
				return at(p, v, "placement.group_name: too long (at most %zu characters)",
					  sizeof(c->expect_group) - 1);
			for (const char *q = s; *q; q++)
				if ((unsigned char)*q < 0x20 || (unsigned char)*q >= 0x7f)
					return at(p, v, "placement.group_name: only printable ASCII is allowed");
			snprintf(c->expect_group, sizeof(c->expect_group), "%s", s);
		}
		if (rc)
			return rc;
	}
	return 0;
}

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

static int parse_tcp_interfaces(struct pctx *p, const yaml_node_t *n)
{
	struct ev_config *c = p->c;
	size_t count;
	char b[64];

	if (n->type == YAML_SCALAR_NODE && strcmp(sval(n), "auto") == 0) {
		c->tcp_auto = true;
		c->n_tcp_ifaces = 0;
		return 0;
	}
	if (n->type != YAML_SEQUENCE_NODE)
		return at(p, n, "tcp_interfaces: expected 'auto' or a list of interface names, got %s%s%s%s",
			  kind(n), n->type == YAML_SCALAR_NODE ? " '" : "",
			  n->type == YAML_SCALAR_NODE ? show(sval(n), b, sizeof(b)) : "",
			  n->type == YAML_SCALAR_NODE ? "'" : "");
	count = (size_t)(n->data.sequence.items.top - n->data.sequence.items.start);
	if (count == 0)
		return at(p, n, "tcp_interfaces: the list is empty (give at least one name, or auto)");
	if (count > EV_MAX_TCP_IFACES)
		return at(p, n, "tcp_interfaces: %zu interfaces, at most %d are allowed", count,
			  EV_MAX_TCP_IFACES);
	c->n_tcp_ifaces = 0;
	for (yaml_node_item_t *it = n->data.sequence.items.start; it < n->data.sequence.items.top; it++) {
		const yaml_node_t *v = node(p, *it);
		const char *s;
		int rc;

		if (!v || v->type != YAML_SCALAR_NODE || is_null(v))
			return at(p, v ? v : n, "tcp_interfaces: each entry must be an interface name");
		if ((rc = scalar(p, v, "tcp_interfaces", &s)))
			return rc;
		if (!valid_ifname(s))
			return at(p, v, "tcp_interfaces: '%s' is not a valid interface name "
				  "(1-15 characters, no '/', ':' or spaces, not . or ..)",
				  show(s, b, sizeof(b)));
		for (size_t i = 0; i < c->n_tcp_ifaces; i++)
			if (strcmp(c->tcp_ifaces[i], s) == 0)
				return at(p, v, "tcp_interfaces: '%s' is listed twice", s);
		snprintf(c->tcp_ifaces[c->n_tcp_ifaces++], EV_IFNAME_MAX, "%s", s);
	}
	c->tcp_auto = false;
	return 0;
}

/* A mapping whose keys are the count names of a table (checks, error
 * families): each value goes to one(p, value, "path.key", index). */
static int parse_named(struct pctx *p, const yaml_node_t *n, const char *path, const char *const *names,
		       int count, int (*one)(struct pctx *, const yaml_node_t *, const char *, int))
{
	const char *keys[16];
	bool empty;
	int rc = want_map(p, n, path, &empty);

	_Static_assert(EV_CHECK__COUNT < 16 && EV_ERRF__COUNT < 16, "keys[] holds every name and a NULL");
	if (rc || empty)
		return rc;
	for (int i = 0; i < count; i++)
		keys[i] = names[i];
	keys[count] = NULL;
	FOR_PAIRS(p, n, pair) {
		char full[96];
		const char *k;
		int id = 0;

		if ((rc = map_key(p, n, pair, path, keys, &k)))
			return rc;
		while (strcmp(names[id], k) != 0)
			id++;
		subpath(full, sizeof(full), path, k);
		if ((rc = one(p, node(p, pair->value), full, id)))
			return rc;
	}
	return 0;
}

static int error_rate_one(struct pctx *p, const yaml_node_t *v, const char *path, int family)
{
	/* Beyond 1e15 per GiB is more events than a u64 counter holds for
	 * any traffic a job moves: no threshold, say so instead. */
	return get_number(p, v, path, 0.0, 1e15, "events per GiB, from 0 to 1e15",
			  &p->c->verdict.max_errors_per_gib[family]);
}

static int parse_verdict(struct pctx *p, const yaml_node_t *n)
{
	static const char *const keys[] = { "min_bytes", "efa_idle_bytes", "tcp_fallback_fraction",
					    "idle_nic_fraction", "max_errors_per_gib", "max_error_events",
					    NULL };
	struct ev_verdict_cfg *v = &p->c->verdict;
	bool empty;
	int rc = want_map(p, n, "verdict", &empty);

	if (rc || empty)
		return rc;
	FOR_PAIRS(p, n, pair) {
		const yaml_node_t *val = node(p, pair->value);
		char path[64];
		const char *k;

		if ((rc = map_key(p, n, pair, "verdict", keys, &k)))
			return rc;
		subpath(path, sizeof(path), "verdict", k);
		if (strcmp(k, "min_bytes") == 0) {
			rc = get_bytes(p, val, path, &v->min_bytes);
		} else if (strcmp(k, "efa_idle_bytes") == 0) {
			rc = get_bytes(p, val, path, &v->efa_idle_bytes);
		} else if (strcmp(k, "tcp_fallback_fraction") == 0) {
			rc = get_fraction(p, val, path, &v->tcp_fallback_fraction);
		} else if (strcmp(k, "idle_nic_fraction") == 0) {
			rc = get_fraction(p, val, path, &v->idle_nic_fraction);
		} else if (strcmp(k, "max_errors_per_gib") == 0) {
			rc = parse_named(p, val, "verdict.max_errors_per_gib", error_family_names, EV_ERRF__COUNT,
					 error_rate_one);
		} else {
			/* 0.1.0's absolute count has no per-GiB equivalent, so it
			 * is not translated; but a config that worked must not
			 * turn efa-verify off on upgrade (and with it every job's
			 * record): still a valid integer, then ignored, and the
			 * binaries say so. */
			yaml_mark_t m = node(p, pair->key)->start_mark;
			uint64_t ignored;

			if ((rc = get_u64(p, val, path, &ignored)))
				return rc;
			snprintf(p->c->deprecated, sizeof(p->c->deprecated),
				 "%s:%zu:%zu: verdict.max_error_events is ignored: error growth is now judged "
				 "per GiB of EFA traffic, per counter family (verdict.max_errors_per_gib, "
				 "see efa-verify.yaml(5)); remove it",
				 p->name, m.line + 1, m.column + 1);
		}
		if (rc)
			return rc;
	}
	return 0;
}

static bool valid_env_name(const char *s)
{
	if (!*s || strlen(s) >= EV_NAME_MAX || (!isalpha((unsigned char)*s) && *s != '_'))
		return false;
	for (; *s; s++)
		if (!isalnum((unsigned char)*s) && *s != '_')
			return false;
	return true;
}

static int add_env_rule(struct pctx *p, const yaml_node_t *at_node, const struct ev_env_rule *r)
{
	struct ev_config *c = p->c;

	if (c->n_env_rules >= CFG_MAX_ENV_RULES)
		return at(p, at_node, "env: too many variables (at most %d in all)", CFG_MAX_ENV_RULES);
	if (c->n_env_rules == p->env_cap) {
		size_t cap = p->env_cap ? p->env_cap * 2 : 16;
		struct ev_env_rule *nr = realloc(c->env_rules, cap * sizeof(*nr));

		if (!nr)
			return ev_errf(p->err, -ENOMEM, "%s: out of memory", p->name);
		c->env_rules = nr;
		p->env_cap = cap;
	}
	c->env_rules[c->n_env_rules++] = *r;
	return 0;
}

static int get_env_value(struct pctx *p, const yaml_node_t *v, const char *path, char *dst)
{
	const char *s;
	int rc = scalar(p, v, path, &s);

	if (rc)
		return rc;
	if (strlen(s) >= EV_ENV_VALUE_MAX)
		return at(p, v, "%s: value is too long (at most %d bytes)", path, EV_ENV_VALUE_MAX - 1);
	snprintf(dst, EV_ENV_VALUE_MAX, "%s", s);
	return 0;
}

/* NAME: VALUE | NAME: {value: V, force: BOOL} | NAME: null (unset a built-in). */
static int parse_env_map(struct pctx *p, const yaml_node_t *n, const char *path, const char *itype)
{
	static const char *const rule_keys[] = { "value", "force", NULL };
	bool empty;
	char b[64];
	int rc = want_map(p, n, path, &empty);

	if (rc || empty)
		return rc;
	FOR_PAIRS(p, n, pair) {
		const yaml_node_t *v = node(p, pair->value);
		struct ev_env_rule r;
		char vpath[192];
		const char *name;

		if ((rc = map_key(p, n, pair, path, NULL, &name)))
			return rc;
		if (!valid_env_name(name))
			return at(p, node(p, pair->key), "%s: '%s' is not a valid variable name "
				  "([A-Za-z_][A-Za-z0-9_]*, at most %d characters)", path,
				  show(name, b, sizeof(b)), EV_NAME_MAX - 1);
		memset(&r, 0, sizeof(r));
		snprintf(r.instance_type, sizeof(r.instance_type), "%s", itype);
		snprintf(r.name, sizeof(r.name), "%s", name);
		subpath(vpath, sizeof(vpath), path, name);
		if (is_null(v)) {
			r.unset = true;
		} else if (v->type == YAML_SCALAR_NODE) {
			if ((rc = get_env_value(p, v, vpath, r.value)))
				return rc;
		} else if (v->type == YAML_MAPPING_NODE) {
			bool have_value = false;

			FOR_PAIRS(p, v, rp) {
				const yaml_node_t *rv = node(p, rp->value);
				char rpath[224];
				const char *k;

				if ((rc = map_key(p, v, rp, vpath, rule_keys, &k)))
					return rc;
				subpath(rpath, sizeof(rpath), vpath, k);
				if (strcmp(k, "force") == 0) {
					rc = get_bool(p, rv, rpath, &r.force);
				} else if (is_null(rv)) {
					return at(p, rv, "%s: expected a value (to unset the variable, "
						  "write %s: null)", rpath, name);
				} else {
					rc = get_env_value(p, rv, rpath, r.value);
					have_value = true;
				}
				if (rc)
					return rc;
			}
			if (!have_value)
				return at(p, v, "%s: 'value' is required", vpath);
		} else {
			return at(p, v, "%s: expected a value, a mapping {value, force} or null, got %s",
				  vpath, kind(v));
		}
		if ((rc = add_env_rule(p, v, &r)))
			return rc;
	}
	return 0;
}

static bool valid_itype(const char *s)
{
	if (!*s || strlen(s) >= EV_NAME_MAX)
		return false;
	for (; *s; s++)
		if (!isalnum((unsigned char)*s) && !strchr(".-_", *s))
			return false;
	return true;
}

static int itype_key(struct pctx *p, const yaml_node_t *map, const yaml_node_pair_t *pair,
		     const char *path, const char **name)
{
	char b[64];
	int rc = map_key(p, map, pair, path, NULL, name);

	if (rc)
		return rc;
	if (!valid_itype(*name))
		return at(p, node(p, pair->key), "%s: '%s' is not a valid instance type name "
			  "(letters, digits, '.', '-', '_'; at most %d characters)", path,
			  show(*name, b, sizeof(b)), EV_NAME_MAX - 1);
	return 0;
}

static int parse_env(struct pctx *p, const yaml_node_t *n)
{
	static const char *const keys[] = { "builtin", "fi_provider", "nccl_debug", "vars", "instance_types",
					    NULL };
	bool empty;
	int rc = want_map(p, n, "env", &empty);

	if (rc || empty)
		return rc;
	FOR_PAIRS(p, n, pair) {
		const yaml_node_t *v = node(p, pair->value);
		const char *k;

		if ((rc = map_key(p, n, pair, "env", keys, &k)))
			return rc;
		if (strcmp(k, "builtin") == 0) {
			rc = get_bool(p, v, "env.builtin", &p->c->env_builtin);
		} else if (strcmp(k, "fi_provider") == 0) {
			rc = get_bool(p, v, "env.fi_provider", &p->c->env_fi_provider);
		} else if (strcmp(k, "nccl_debug") == 0) {
			rc = get_bool(p, v, "env.nccl_debug", &p->c->nccl_debug);
		} else if (strcmp(k, "vars") == 0) {
			rc = parse_env_map(p, v, "env.vars", "");
		} else {
			if ((rc = want_map(p, v, "env.instance_types", &empty)) || empty)
				return rc;
			FOR_PAIRS(p, v, tp) {
				char tpath[128];
				const char *type;

				if ((rc = itype_key(p, v, tp, "env.instance_types", &type)))
					return rc;
				subpath(tpath, sizeof(tpath), "env.instance_types", type);
				if ((rc = parse_env_map(p, node(p, tp->value), tpath, type)))
					return rc;
			}
		}
		if (rc)
			return rc;
	}
	return 0;
}

static int parse_versions(struct pctx *p, const yaml_node_t *n, const char *path,
			  char (*vers)[EV_VER_MAX])
{
	const char *keys[EV_SW__COUNT + 1];
	bool empty;
	char b[64];
	int rc = want_map(p, n, path, &empty);

	if (rc || empty)
		return rc;
	for (int i = 0; i < EV_SW__COUNT; i++)
		keys[i] = ev_sw_name((enum ev_sw)i);
	keys[EV_SW__COUNT] = NULL;
	FOR_PAIRS(p, n, pair) {
		const yaml_node_t *v = node(p, pair->value);
		char vpath[192];
		const char *k, *s;
		int sw;

		if ((rc = map_key(p, n, pair, path, keys, &k)))
			return rc;
		sw = ev_sw_from_name(k);
		subpath(vpath, sizeof(vpath), path, k);
		if (is_null(v)) {
			vers[sw][0] = '\0';
			continue;
		}
		if ((rc = scalar(p, v, vpath, &s)))
			return rc;
		if (!*s) {
			vers[sw][0] = '\0';
			continue;
		}
		if (strlen(s) >= EV_VER_MAX)
			return at(p, v, "%s: version is too long (at most %d characters)", vpath,
				  EV_VER_MAX - 1);
		if (!isdigit((unsigned char)*s))
			return at(p, v, "%s: '%s' is not a version (it must start with a digit, "
				  "e.g. \"2.18.5\")", vpath, show(s, b, sizeof(b)));
		for (const char *q = s; *q; q++)
			if (!isalnum((unsigned char)*q) && !strchr(".-_+~", *q))
				return at(p, v, "%s: '%s' is not a version", vpath, show(s, b, sizeof(b)));
		snprintf(vers[sw], EV_VER_MAX, "%s", s);
	}
	return 0;
}

/* The entry for name, added (all zero) if the config names a new type. */
static int itype_slot(struct pctx *p, const yaml_node_t *at_node, const char *name, size_t *idx)
{
	struct ev_config *c = p->c;

	for (size_t i = 0; i < c->n_instance_types; i++) {
		if (strcmp(c->instance_types[i].name, name) == 0) {
			*idx = i;
			return 0;
		}
	}
	if (c->n_instance_types >= CFG_MAX_INSTANCE_TYPES)
		return at(p, at_node, "instance_types: too many instance types (at most %d)",
			  CFG_MAX_INSTANCE_TYPES);
	if (p->it_cap <= c->n_instance_types) {
		size_t cap = c->n_instance_types * 2 + 8;
		struct ev_instance_type *nt = realloc(c->instance_types, cap * sizeof(*nt));

		if (!nt)
			return ev_errf(p->err, -ENOMEM, "%s: out of memory", p->name);
		c->instance_types = nt;
		p->it_cap = cap;
	}
	memset(&c->instance_types[c->n_instance_types], 0, sizeof(c->instance_types[0]));
	snprintf(c->instance_types[c->n_instance_types].name, EV_NAME_MAX, "%s", name);
	*idx = c->n_instance_types++;
	return 0;
}

static int parse_instance_types(struct pctx *p, const yaml_node_t *n)
{
	static const char *const keys[] = { "efa_devices", "rdma_read", "rdma_write", "min_versions",
					    "recommended_versions", NULL };
	bool empty;
	int rc = want_map(p, n, "instance_types", &empty);

	if (rc || empty)
		return rc;
	FOR_PAIRS(p, n, tp) {
		const yaml_node_t *tv = node(p, tp->value);
		char tpath[128];
		const char *type;
		size_t idx = 0;

		if ((rc = itype_key(p, n, tp, "instance_types", &type)))
			return rc;
		subpath(tpath, sizeof(tpath), "instance_types", type);
		if ((rc = want_map(p, tv, tpath, &empty)))
			return rc;
		/* Even an empty entry declares the type: known, no expectations. */
		if ((rc = itype_slot(p, tv, type, &idx)))
			return rc;
		if (empty)
			continue;
		FOR_PAIRS(p, tv, pair) {
			const yaml_node_t *v = node(p, pair->value);
			struct ev_instance_type *it = &p->c->instance_types[idx];
			char path[192];
			const char *k;

			if ((rc = map_key(p, tv, pair, tpath, keys, &k)))
				return rc;
			subpath(path, sizeof(path), tpath, k);
			if (strcmp(k, "efa_devices") == 0) {
				long d;

				if ((rc = get_long(p, v, path, 0, CFG_MAX_EFA_DEVICES, &d)))
					return rc;
				it->efa_devices = (unsigned)d;
			} else if (strcmp(k, "rdma_read") == 0) {
				rc = get_bool(p, v, path, &it->rdma_read);
			} else if (strcmp(k, "rdma_write") == 0) {
				rc = get_bool(p, v, path, &it->rdma_write);
			} else if (strcmp(k, "min_versions") == 0) {
				rc = parse_versions(p, v, path, it->min_version);
			} else {
				rc = parse_versions(p, v, path, it->recommended);
			}
			if (rc)
				return rc;
		}
	}
	return 0;
}

static int check_one(struct pctx *p, const yaml_node_t *v, const char *path, int id)
{
	/* Listed in the order people read them, not the enum's. */
	static const char *const shown[] = { "fail", "warn", "off" };
	static const enum ev_check_action act[] = { EV_ACTION_FAIL, EV_ACTION_WARN, EV_ACTION_OFF };
	int a, rc = get_enum(p, v, path, shown, 3, &a);

	if (!rc)
		p->c->checks[id] = act[a];
	return rc;
}

static int parse_top(struct pctx *p, const yaml_node_t *root)
{
	static const char *const keys[] = {
		"mode", "sysfs_root", "state_dir", "software_root", "imds", "placement",
		"tcp_source", "tcp_interfaces", "verdict", "env", "instance_types", "checks", "on_not_ready",
		"prometheus_textfile_dir", "log", "record_wait_ms", "record", NULL
	};
	struct ev_config *c = p->c;
	int rc;

	FOR_PAIRS(p, root, pair) {
		const yaml_node_t *v = node(p, pair->value);
		const char *k;
		int e;

		if ((rc = map_key(p, root, pair, "", keys, &k)))
			return rc;
		if (strcmp(k, "mode") == 0) {
			if (!(rc = get_enum(p, v, "mode", mode_names, 3, &e)))
				c->mode = (enum ev_mode)e;
		} else if (strcmp(k, "sysfs_root") == 0) {
			rc = get_path(p, v, k, c->sysfs_root, sizeof(c->sysfs_root), false);
		} else if (strcmp(k, "state_dir") == 0) {
			rc = get_path(p, v, k, c->state_dir, sizeof(c->state_dir), false);
		} else if (strcmp(k, "software_root") == 0) {
			rc = get_path(p, v, k, c->software_root, sizeof(c->software_root), false);
		} else if (strcmp(k, "imds") == 0) {
			rc = parse_imds(p, v);
		} else if (strcmp(k, "placement") == 0) {
			rc = parse_placement(p, v);
		} else if (strcmp(k, "tcp_interfaces") == 0) {
			rc = parse_tcp_interfaces(p, v);
		} else if (strcmp(k, "verdict") == 0) {
			rc = parse_verdict(p, v);
		} else if (strcmp(k, "env") == 0) {
			rc = parse_env(p, v);
		} else if (strcmp(k, "instance_types") == 0) {
			rc = parse_instance_types(p, v);
		} else if (strcmp(k, "checks") == 0) {
			rc = parse_named(p, v, "checks", check_names, EV_CHECK__COUNT, check_one);
		} else if (strcmp(k, "on_not_ready") == 0) {
			if (!(rc = get_enum(p, v, "on_not_ready", not_ready_names, 2, &e)))
				c->on_not_ready = (enum ev_on_not_ready)e;
		} else if (strcmp(k, "prometheus_textfile_dir") == 0) {
			rc = get_path(p, v, k, c->prometheus_textfile_dir,
				      sizeof(c->prometheus_textfile_dir), true);
		} else if (strcmp(k, "record_wait_ms") == 0) {
			rc = get_long(p, v, k, 0, 600000, &c->record_wait_ms);
		} else if (strcmp(k, "record") == 0) {
			if (!(rc = get_enum(p, v, "record", record_names, 2, &e)))
				c->record = (enum ev_record_policy)e;
		} else if (strcmp(k, "tcp_source") == 0) {
			if (!(rc = get_enum(p, v, "tcp_source", tcp_source_names, 2, &e)))
				c->tcp_source_interface = e == 1;
		} else {
			rc = get_path(p, v, k, c->log_path, sizeof(c->log_path), true);
		}
		if (rc)
			return rc;
	}
	return 0;
}

/* ------------------------------------------------------------ loading */

static int syntax_error(const char *name, const yaml_parser_t *ps, const char *text, size_t len,
			struct ev_err *err)
{
	yaml_mark_t m = ps->problem_mark;
	const char *problem = ps->problem ? ps->problem : "cannot parse";

	if (ps->error == YAML_MEMORY_ERROR)
		return ev_errf(err, -ENOMEM, "%s: out of memory while parsing", name);
	if (ps->error == YAML_READER_ERROR) {
		/* The reader reports a byte offset only; turn it into line:col. */
		size_t off = ps->problem_offset < len ? ps->problem_offset : len;

		memset(&m, 0, sizeof(m));
		for (size_t i = 0; i < off; i++) {
			if (text[i] == '\n') {
				m.line++;
				m.column = 0;
			} else {
				m.column++;
			}
		}
		return mark_err(err, -EINVAL, name, m, "YAML syntax error: %s (byte %zu)", problem,
				ps->problem_offset);
	}
	/* The commonest mistake, and libyaml's words for it are cryptic. */
	if (m.index < len && text[m.index] == '\t')
		return mark_err(err, -EINVAL, name, m,
				"YAML syntax error: a tab; YAML indentation must use spaces");
	if (ps->context)
		return mark_err(err, -EINVAL, name, m, "YAML syntax error: %s (%s at line %zu)",
				problem, ps->context, ps->context_mark.line + 1);
	return mark_err(err, -EINVAL, name, m, "YAML syntax error: %s", problem);
}

/* Event pass before building the tree: one document, bounded nesting, and
 * no aliases (a few lines of aliases can make a tree walk exponential). */
static int prescan(const char *name, const char *text, size_t len, struct ev_err *err)
{
	yaml_parser_t ps;
	int depth = 0, docs = 0, rc = 0;
	bool done = false;

	if (!yaml_parser_initialize(&ps))
		return ev_errf(err, -ENOMEM, "%s: out of memory", name);
	yaml_parser_set_input_string(&ps, (const unsigned char *)text, len);
	while (!rc && !done) {
		yaml_event_t ev;

		if (!yaml_parser_parse(&ps, &ev)) {
			rc = syntax_error(name, &ps, text, len, err);
			break;
		}
		switch (ev.type) {
		case YAML_DOCUMENT_START_EVENT:
			if (++docs > 1)
				rc = mark_err(err, -EINVAL, name, ev.start_mark,
					      "only one YAML document is allowed");
			break;
		case YAML_MAPPING_START_EVENT:
		case YAML_SEQUENCE_START_EVENT:
			if (++depth > CFG_MAX_DEPTH)
				rc = mark_err(err, -EINVAL, name, ev.start_mark,
					      "nesting is too deep (more than %d levels)", CFG_MAX_DEPTH);
			break;
		case YAML_MAPPING_END_EVENT:
		case YAML_SEQUENCE_END_EVENT:
			depth--;
			break;
		case YAML_ALIAS_EVENT:
			rc = mark_err(err, -EINVAL, name, ev.start_mark,
				      "aliases (*name) are not supported; write the value out");
			break;
		case YAML_STREAM_END_EVENT:
			done = true;
			break;
		default:
			break;
		}
		yaml_event_delete(&ev);
	}
	yaml_parser_delete(&ps);
	return rc;
}

static int parse_text(struct ev_config *c, const char *name, const char *text, size_t len,
		      struct ev_err *err)
{
	yaml_parser_t ps;
	yaml_document_t doc;
	yaml_node_t *root;
	struct pctx p;
	int rc;

	if ((rc = prescan(name, text, len, err)))
		return rc;
	if (!yaml_parser_initialize(&ps))
		return ev_errf(err, -ENOMEM, "%s: out of memory", name);
	yaml_parser_set_input_string(&ps, (const unsigned char *)text, len);
	if (!yaml_parser_load(&ps, &doc)) {
		rc = syntax_error(name, &ps, text, len, err);
		yaml_parser_delete(&ps);
		return rc;
	}
	memset(&p, 0, sizeof(p));
	p.name = name;
	p.doc = &doc;
	p.c = c;
	p.err = err;
	p.it_cap = c->n_instance_types;
	root = yaml_document_get_root_node(&doc);
	/* No document, or one holding only a null: all defaults. */
	if (root && !is_null(root)) {
		if (root->type != YAML_MAPPING_NODE)
			rc = at(&p, root, "the top level must be a mapping (key: value lines), got %s",
				kind(root));
		else
			rc = parse_top(&p, root);
	}
	yaml_document_delete(&doc);
	yaml_parser_delete(&ps);
	return rc;
}

int ev_config_load_string(struct ev_config *c, const char *name, const char *yaml, size_t len,
			  struct ev_err *err)
{
	int rc;

	if (!name || !*name)
		name = "<config>";
	/* Every failure leaves *c empty, so ev_config_free on it is safe. */
	if (c)
		memset(c, 0, sizeof(*c));
	if (!c || (!yaml && len))
		return ev_errf(err, -EINVAL, "%s: no config to load", name);
	if (len > CFG_MAX_BYTES)
		return ev_errf(err, -EFBIG, "%s: %zu bytes is larger than the %d byte limit for a config",
			       name, len, CFG_MAX_BYTES);
	if ((rc = ev_config_defaults(c, err)))
		return rc;
	if (strlen(name) >= sizeof(c->path)) {
		rc = ev_errf(err, -ENAMETOOLONG, "config file name is too long");
	} else {
		snprintf(c->path, sizeof(c->path), "%s", name);
		rc = parse_text(c, name, yaml ? yaml : "", len, err);
	}
	if (rc) {
		/* Never hand back half a config: the caller sees nothing loaded. */
		ev_config_free(c);
		memset(c, 0, sizeof(*c));
	}
	return rc;
}

int ev_config_load_file(struct ev_config *c, const char *path, struct ev_err *err)
{
	struct stat st;
	char *buf;
	size_t len = 0;
	int fd, rc;

	if (c)
		memset(c, 0, sizeof(*c));
	if (!c || !path || !*path)
		return ev_errf(err, -EINVAL, "config: no file name");
	/* O_NONBLOCK: a FIFO put where the config belongs must not hang slurmd. */
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	if (fd < 0) {
		rc = -errno;
		if (rc == -ENOENT)
			return ev_errf(err, rc, "%s: no such file", path);
		return ev_errf(err, rc, "%s: cannot open: %s", path, strerror(-rc));
	}
	if (fstat(fd, &st) != 0) {
		rc = -errno;
		close(fd);
		return ev_errf(err, rc, "%s: cannot stat: %s", path, strerror(-rc));
	}
	if (!S_ISREG(st.st_mode)) {
		close(fd);
		return ev_errf(err, -EINVAL, "%s: not a regular file", path);
	}
	if (st.st_size > CFG_MAX_BYTES) {
		close(fd);
		return ev_errf(err, -EFBIG, "%s: %lld bytes is larger than the %d byte limit for a config",
			       path, (long long)st.st_size, CFG_MAX_BYTES);
	}
	/* One byte past the size seen, to notice a file that grew meanwhile. */
	buf = malloc((size_t)st.st_size + 2);
	if (!buf) {
		close(fd);
		return ev_errf(err, -ENOMEM, "%s: out of memory", path);
	}
	while (len < (size_t)st.st_size + 1) {
		ssize_t r = read(fd, buf + len, (size_t)st.st_size + 1 - len);

		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			rc = -errno;
			free(buf);
			close(fd);
			return ev_errf(err, rc, "%s: read error: %s", path, strerror(-rc));
		}
		if (r == 0)
			break;
		len += (size_t)r;
	}
	close(fd);
	if (len > (size_t)st.st_size) {
		free(buf);
		return ev_errf(err, -EAGAIN, "%s: changed while being read; try again", path);
	}
	rc = ev_config_load_string(c, path, buf, len, err);
	free(buf);
	return rc;
}

/* ------------------------------------------------------------ %n expansion */

static int expand_one(const char *key, const char *in, char *out, size_t cap, const char *nodename,
		      struct ev_err *err)
{
	size_t o = 0;

	for (const char *s = in; *s; s++) {
		const char *add;
		char one[2] = { 0, 0 };
		size_t alen;

		if (*s != '%') {
			one[0] = *s;
			add = one;
		} else if (s[1] == '%') {
			add = "%";
			s++;
		} else if (s[1] == 'n') {
			if (!nodename)
				return ev_errf(err, -EINVAL, "%s uses %%n but the node name is not known",
					       key);
			if (!ev_valid_nodename(nodename))
				return ev_errf(err, -EINVAL,
					       "%s uses %%n but the node name is not a plain host name "
					       "(letters, digits, '.', '_', '-'; at most 63; no leading '.' or '-')",
					       key);
			add = nodename;
			s++;
		} else if (!s[1]) {
			return ev_errf(err, -EINVAL, "%s: '%%' at the end (write %%%% for a literal %%)",
				       key);
		} else {
			return ev_errf(err, -EINVAL, "%s: unknown escape '%%%c' (only %%n and %%%% are known)",
				       key, isprint((unsigned char)s[1]) ? s[1] : '?');
		}
		alen = strlen(add);
		if (alen >= cap - o)
			return ev_errf(err, -ENAMETOOLONG, "%s is too long after expanding %%n "
				       "(at most %zu bytes)", key, cap - 1);
		memcpy(out + o, add, alen);
		o += alen;
	}
	out[o] = '\0';
	return 0;
}

int ev_config_expand(struct ev_config *c, const char *nodename, struct ev_err *err)
{
	struct {
		const char *key;
		char *val;
		size_t cap;
	} f[] = {
		{ "sysfs_root", c ? c->sysfs_root : NULL, sizeof(c->sysfs_root) },
		{ "state_dir", c ? c->state_dir : NULL, sizeof(c->state_dir) },
		{ "software_root", c ? c->software_root : NULL, sizeof(c->software_root) },
		{ "imds.endpoint", c ? c->imds_endpoint : NULL, sizeof(c->imds_endpoint) },
		{ "prometheus_textfile_dir", c ? c->prometheus_textfile_dir : NULL,
		  sizeof(c->prometheus_textfile_dir) },
		{ "log", c ? c->log_path : NULL, sizeof(c->log_path) },
	};
	enum { NF = sizeof(f) / sizeof(f[0]) };
	char (*tmp)[EV_PATH_MAX];
	int rc = 0;

	if (!c)
		return ev_errf(err, -EINVAL, "config: nothing to expand");
	tmp = calloc(NF, sizeof(*tmp));
	if (!tmp)
		return ev_errf(err, -ENOMEM, "config: out of memory");
	/* All or nothing: a failed expansion leaves every value as it was. */
	for (size_t i = 0; i < NF && !rc; i++)
		rc = expand_one(f[i].key, f[i].val, tmp[i], f[i].cap, nodename, err);
	if (!rc)
		for (size_t i = 0; i < NF; i++)
			memcpy(f[i].val, tmp[i], strlen(tmp[i]) + 1);
	free(tmp);
	return rc;
}

int ev_config_load_path(struct ev_config *c, const char *path, bool absent_ok, const char *nodename,
			struct ev_err *err)
{
	int rc = ev_config_load_file(c, path, err);

	if (rc == -ENOENT && absent_ok)
		rc = ev_config_defaults(c, err);
	if (rc == 0)
		rc = ev_config_expand(c, nodename, err);
	if (rc != 0)
		ev_config_free(c);
	return rc;
}

int ev_config_load_default(struct ev_config *c, const char *explicit_path, const char *nodename,
			   struct ev_err *err)
{
	const char *path = explicit_path;

	if (!path || !*path)
		path = getenv("EFA_VERIFY_CONFIG");
	if (!path || !*path)
		return ev_config_load_path(c, EV_DEFAULT_CONFIG, true, nodename, err);
	return ev_config_load_path(c, path, false, nodename, err);
}
