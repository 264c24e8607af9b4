/* Strict reading of a libyaml document: see ev_yaml.h. */
#include "config/ev_yaml.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "util/ev_num.h"
#include "util/ev_printable.h"

/* The schema is at most 5 levels deep; anything far deeper is not ours. */
#define YAML_MAX_DEPTH 32
/* Bounds open maps (env vars, instance types) so duplicate checks stay cheap. */
#define YAML_MAX_MAP_ENTRIES 256

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

int ev_yaml_at(struct ev_yaml *y, const yaml_node_t *n, const char *fmt, ...)
{
	char msg[EV_ERR_MAX];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	return mark_err(y->err, -EINVAL, y->name, n->start_mark, "%s", msg);
}

const char *ev_yaml_show(const char *s, char *buf, size_t cap)
{
	size_t n = ev_printable(buf, cap - 3, s, 48);

	if (s[n])
		memcpy(buf + n, "...", 4);
	return buf;
}

const char *ev_yaml_kind(const yaml_node_t *n)
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

void ev_yaml_join(char *buf, size_t cap, const char *const *names, size_t n)
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

void ev_yaml_subpath(char *out, size_t cap, const char *path, const char *key)
{
	snprintf(out, cap, "%s%s%s", path, *path ? "." : "", key);
}

const char *ev_yaml_sval(const yaml_node_t *n)
{
	return (const char *)n->data.scalar.value;
}

/* YAML's null: an empty or ~/null plain scalar. A quoted "" is a string. */
bool ev_yaml_is_null(const yaml_node_t *n)
{
	const char *s;

	if (n->type != YAML_SCALAR_NODE || n->data.scalar.style != YAML_PLAIN_SCALAR_STYLE)
		return false;
	s = ev_yaml_sval(n);
	return !*s || strcmp(s, "~") == 0 || strcmp(s, "null") == 0 ||
	       strcmp(s, "Null") == 0 || strcmp(s, "NULL") == 0;
}

int ev_yaml_scalar(struct ev_yaml *y, const yaml_node_t *n, const char *path, const char **out)
{
	if (n->type != YAML_SCALAR_NODE)
		return ev_yaml_at(y, n, "%s: expected a single value, got %s", path, ev_yaml_kind(n));
	if (strlen(ev_yaml_sval(n)) != n->data.scalar.length)
		return ev_yaml_at(y, n, "%s: value contains a NUL byte", path);
	*out = ev_yaml_sval(n);
	return 0;
}

static bool has_ctrl(const char *s)
{
	for (; *s; s++)
		if ((unsigned char)*s < 0x20 || *s == 0x7f)
			return true;
	return false;
}

int ev_yaml_bool(struct ev_yaml *y, const yaml_node_t *n, const char *path, bool *out)
{
	static const char *const yes[] = { "true", "yes", "on" };
	static const char *const no[] = { "false", "no", "off" };
	const char *s;
	char b[64];
	int rc = ev_yaml_scalar(y, n, path, &s);

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
	return ev_yaml_at(y, n, "%s: '%s' is not a boolean (use true or false; yes/no and on/off also work)",
			  path, ev_yaml_show(s, b, sizeof(b)));
}

int ev_yaml_long(struct ev_yaml *y, const yaml_node_t *n, const char *path, long min, long max,
		 long *out)
{
	const char *s;
	char b[64];
	int rc = ev_yaml_scalar(y, n, path, &s);

	if (rc)
		return rc;
	rc = ev_num_long(s, EV_NUM_SIGN, min, max, out, NULL);
	if (rc == -EINVAL)
		return ev_yaml_at(y, n, "%s: '%s' is not an integer", path, ev_yaml_show(s, b, sizeof(b)));
	if (rc)
		return ev_yaml_at(y, n, "%s: %s is out of range (%ld..%ld)", path, ev_yaml_show(s, b, sizeof(b)),
				  min, max);
	return 0;
}

int ev_yaml_u64(struct ev_yaml *y, const yaml_node_t *n, const char *path, uint64_t *out)
{
	const char *s;
	char b[64];
	int rc = ev_yaml_scalar(y, n, path, &s);

	if (rc)
		return rc;
	rc = ev_num_u64(s, 0, 0, UINT64_MAX, out, NULL);
	if (rc == -EINVAL)
		return ev_yaml_at(y, n, "%s: '%s' is not a non-negative integer", path,
				  ev_yaml_show(s, b, sizeof(b)));
	if (rc)
		return ev_yaml_at(y, n, "%s: %s is out of range (0..%llu)", path, ev_yaml_show(s, b, sizeof(b)),
				  (unsigned long long)UINT64_MAX);
	return 0;
}

/* "1048576", "1 MiB", "64K", "2GiB": K/M/G/T are powers of 1024 with or
 * without "iB"; a bare "B" is bytes. "KB" is refused: 1000 or 1024 is
 * anyone's guess. */
int ev_yaml_bytes(struct ev_yaml *y, const yaml_node_t *n, const char *path, uint64_t *out)
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
	int rc = ev_yaml_scalar(y, n, path, &s);

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
		if (ev_num_u64(num, 0, 0, UINT64_MAX >> units[i].shift, &v, NULL) != 0)
			return ev_yaml_at(y, n, "%s: %s is too large", path, ev_yaml_show(s, b, sizeof(b)));
		*out = v << units[i].shift;
		return 0;
	}
bad:
	return ev_yaml_at(y, n, "%s: '%s' is not a byte count (an integer, optionally followed by "
			  "K/KiB, M/MiB, G/GiB or T/TiB)", path, ev_yaml_show(s, b, sizeof(b)));
}

/* A plain decimal number (strtod alone would also take "nan", "inf" and
 * hex floats) from lo to hi; range says what it is in the message. */
int ev_yaml_number(struct ev_yaml *y, const yaml_node_t *n, const char *path, double lo, double hi,
		   const char *range, double *out)
{
	const char *s, *q;
	char *end;
	char b[64];
	bool digit = false;
	double v;
	int rc = ev_yaml_scalar(y, n, path, &s);

	if (rc)
		return rc;
	for (q = s; *q; q++) {
		if (*q >= '0' && *q <= '9')
			digit = true;
		else if (!strchr(".eE+-", *q))
			break;
	}
	if (*q || !digit)
		return ev_yaml_at(y, n, "%s: '%s' is not a number", path, ev_yaml_show(s, b, sizeof(b)));
	errno = 0;
	v = strtod(s, &end);
	if (*end || errno == ERANGE || !isfinite(v))
		return ev_yaml_at(y, n, "%s: '%s' is not a number", path, ev_yaml_show(s, b, sizeof(b)));
	if (v < lo || v > hi)
		return ev_yaml_at(y, n, "%s: %s is out of range (%s)", path, ev_yaml_show(s, b, sizeof(b)), range);
	*out = v;
	return 0;
}

static void strip_trailing_slashes(char *s, size_t keep)
{
	size_t n = strlen(s);

	while (n > keep && s[n - 1] == '/')
		s[--n] = '\0';
}

/* Absolute path; optional ones take null or "" for "not set". */
int ev_yaml_path(struct ev_yaml *y, const yaml_node_t *n, const char *path, char *dst, size_t cap,
		 bool optional)
{
	const char *s;
	char b[64];
	int rc;

	if (optional && ev_yaml_is_null(n)) {
		dst[0] = '\0';
		return 0;
	}
	rc = ev_yaml_scalar(y, n, path, &s);
	if (rc)
		return rc;
	if (!*s) {
		if (optional) {
			dst[0] = '\0';
			return 0;
		}
		return ev_yaml_at(y, n, "%s: must not be empty", path);
	}
	if (s[0] != '/')
		return ev_yaml_at(y, n, "%s: '%s' is not an absolute path (it must start with /)", path,
				  ev_yaml_show(s, b, sizeof(b)));
	if (has_ctrl(s))
		return ev_yaml_at(y, n, "%s: path contains control characters", path);
	if (strlen(s) >= cap)
		return ev_yaml_at(y, n, "%s: path is too long (at most %zu bytes)", path, cap - 1);
	snprintf(dst, cap, "%s", s);
	strip_trailing_slashes(dst, 1);
	return 0;
}

int ev_yaml_url(struct ev_yaml *y, const yaml_node_t *n, const char *path, char *dst, size_t cap)
{
	const char *s, *host, *q;
	char b[64];
	int rc = ev_yaml_scalar(y, n, path, &s);

	if (rc)
		return rc;
	if (strncasecmp(s, "http://", 7) == 0)
		host = s + 7;
	else if (strncasecmp(s, "https://", 8) == 0)
		host = s + 8;
	else
		return ev_yaml_at(y, n, "%s: '%s' is not an http:// or https:// URL", path,
				  ev_yaml_show(s, b, sizeof(b)));
	if (!*host || *host == '/')
		return ev_yaml_at(y, n, "%s: '%s' has no host", path, ev_yaml_show(s, b, sizeof(b)));
	for (q = s; *q; q++)
		if ((unsigned char)*q <= 0x20 || *q == 0x7f)
			return ev_yaml_at(y, n, "%s: URL contains spaces or control characters", path);
	if (strlen(s) >= cap)
		return ev_yaml_at(y, n, "%s: URL is too long (at most %zu bytes)", path, cap - 1);
	snprintf(dst, cap, "%s", s);
	/* The IMDS client appends "/latest/...": keep the base without a slash. */
	strip_trailing_slashes(dst, (size_t)(host - s) + 1);
	return 0;
}

int ev_yaml_enum(struct ev_yaml *y, const yaml_node_t *n, const char *path, const char *const *names,
		 const int *values, size_t count, int *out)
{
	const char *s;
	char list[128], b[64];
	int rc = ev_yaml_scalar(y, n, path, &s);

	if (rc)
		return rc;
	for (size_t i = 0; i < count; i++) {
		if (strcmp(s, names[i]) == 0) {
			*out = values ? values[i] : (int)i;
			return 0;
		}
	}
	ev_yaml_join(list, sizeof(list), names, count);
	return ev_yaml_at(y, n, "%s: '%s' is not valid (one of: %s)", path, ev_yaml_show(s, b, sizeof(b)),
			  list);
}

/* Printable ASCII, no spaces, bounded: AZ names, instance type names. */
int ev_yaml_word(struct ev_yaml *y, const yaml_node_t *n, const char *path, char *dst, size_t cap,
		 const char *extra)
{
	const char *s;
	char b[64];
	int rc;

	if (ev_yaml_is_null(n)) {
		dst[0] = '\0';
		return 0;
	}
	rc = ev_yaml_scalar(y, n, path, &s);
	if (rc)
		return rc;
	if (strlen(s) >= cap)
		return ev_yaml_at(y, n, "%s: value is too long (at most %zu characters)", path, cap - 1);
	for (const char *q = s; *q; q++)
		if (!isalnum((unsigned char)*q) && !strchr(extra, *q))
			return ev_yaml_at(y, n, "%s: '%s' contains '%c' (allowed: letters, digits, %s)", path,
					  ev_yaml_show(s, b, sizeof(b)), isprint((unsigned char)*q) ? *q : '?',
					  extra);
	snprintf(dst, cap, "%s", s);
	return 0;
}

int ev_yaml_text(struct ev_yaml *y, const yaml_node_t *n, const char *path, char *dst, size_t cap)
{
	const char *s;
	int rc;

	if (ev_yaml_is_null(n)) {
		dst[0] = '\0';
		return 0;
	}
	if ((rc = ev_yaml_scalar(y, n, path, &s)))
		return rc;
	if (strlen(s) >= cap)
		return ev_yaml_at(y, n, "%s: too long (at most %zu characters)", path, cap - 1);
	for (const char *q = s; *q; q++)
		if ((unsigned char)*q < 0x20 || (unsigned char)*q >= 0x7f)
			return ev_yaml_at(y, n, "%s: only printable ASCII is allowed", path);
	snprintf(dst, cap, "%s", s);
	return 0;
}

yaml_node_t *ev_yaml_node(struct ev_yaml *y, int id)
{
	return yaml_document_get_node(y->doc, id);
}

/* Sections may be left empty ("placement:" with everything commented out). */
int ev_yaml_want_map(struct ev_yaml *y, const yaml_node_t *n, const char *path, bool *empty)
{
	*empty = false;
	if (ev_yaml_is_null(n)) {
		*empty = true;
		return 0;
	}
	if (n->type != YAML_MAPPING_NODE)
		return ev_yaml_at(y, n, "%s: expected a mapping (key: value lines), got %s",
				  *path ? path : "top level", ev_yaml_kind(n));
	return 0;
}

/* Check the key of one pair: a scalar, one of valid (NULL = any name), and
 * not repeated earlier in this mapping. Earlier keys passed the same
 * checks, so the duplicate scan is bounded by the valid set or the cap. */
int ev_yaml_map_key(struct ev_yaml *y, const yaml_node_t *map, const yaml_node_pair_t *pair,
		    const char *path, const char *const *valid, const char **key)
{
	const yaml_node_t *k = ev_yaml_node(y, pair->key);
	char list[512], b[64];
	const char *s;

	if (!k || k->type != YAML_SCALAR_NODE)
		return ev_yaml_at(y, k ? k : map, "%s: keys must be plain names, got %s",
				  *path ? path : "top level", k ? ev_yaml_kind(k) : "nothing");
	if (strlen(ev_yaml_sval(k)) != k->data.scalar.length)
		return ev_yaml_at(y, k, "%s: key contains a NUL byte", *path ? path : "top level");
	s = ev_yaml_sval(k);
	if (valid) {
		size_t i;

		for (i = 0; valid[i]; i++)
			if (strcmp(valid[i], s) == 0)
				break;
		if (!valid[i]) {
			ev_yaml_join(list, sizeof(list), valid, SIZE_MAX);
			if (*path)
				return ev_yaml_at(y, k, "unknown key '%s' in %s (valid keys: %s)",
						  ev_yaml_show(s, b, sizeof(b)), path, list);
			return ev_yaml_at(y, k, "unknown key '%s' (valid keys: %s)", ev_yaml_show(s, b, sizeof(b)),
					  list);
		}
	} else if (pair - map->data.mapping.pairs.start >= YAML_MAX_MAP_ENTRIES) {
		return ev_yaml_at(y, k, "%s: too many entries (at most %d)", path, YAML_MAX_MAP_ENTRIES);
	}
	for (const yaml_node_pair_t *q = map->data.mapping.pairs.start; q < pair; q++) {
		const yaml_node_t *prev = ev_yaml_node(y, q->key);

		if (prev && strcmp(ev_yaml_sval(prev), s) == 0) {
			char full[256];

			ev_yaml_subpath(full, sizeof(full), path, ev_yaml_show(s, b, sizeof(b)));
			return ev_yaml_at(y, k, "duplicate key '%s' (first given at line %zu)", full,
					  prev->start_mark.line + 1);
		}
	}
	*key = s;
	return 0;
}

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
			if (++depth > YAML_MAX_DEPTH)
				rc = mark_err(err, -EINVAL, name, ev.start_mark,
					      "nesting is too deep (more than %d levels)", YAML_MAX_DEPTH);
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

int ev_yaml_load(yaml_document_t *doc, const char *name, const char *text, size_t len,
		 struct ev_err *err)
{
	yaml_parser_t ps;
	int rc;

	if ((rc = prescan(name, text, len, err)))
		return rc;
	if (!yaml_parser_initialize(&ps))
		return ev_errf(err, -ENOMEM, "%s: out of memory", name);
	yaml_parser_set_input_string(&ps, (const unsigned char *)text, len);
	if (!yaml_parser_load(&ps, doc))
		rc = syntax_error(name, &ps, text, len, err);
	yaml_parser_delete(&ps);
	return rc;
}
