#include "util/ev_json.h"

#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void ev_json_init(struct ev_json *j)
{
	memset(j, 0, sizeof(*j));
	j->first[0] = true;
}

static void put(struct ev_json *j, const char *s, size_t n)
{
	ev_buf_add(&j->out, s, n);
}

static void puts_(struct ev_json *j, const char *s)
{
	put(j, s, strlen(s));
}

static void put_string(struct ev_json *j, const char *s)
{
	static const char hex[] = "0123456789abcdef";
	const unsigned char *p = (const unsigned char *)s;
	const unsigned char *run = p;

	put(j, "\"", 1);
	for (; *p; p++) {
		char esc[7];

		/* Values come from sysfs and HTTP bodies: escape every control
		 * byte so the output stays one valid JSON line. */
		if (*p >= 0x20 && *p != '"' && *p != '\\' && *p != 0x7f)
			continue;
		put(j, (const char *)run, (size_t)(p - run));
		run = p + 1;
		switch (*p) {
		case '"': puts_(j, "\\\""); break;
		case '\\': puts_(j, "\\\\"); break;
		case '\n': puts_(j, "\\n"); break;
		case '\t': puts_(j, "\\t"); break;
		case '\r': puts_(j, "\\r"); break;
		default:
			esc[0] = '\\'; esc[1] = 'u'; esc[2] = '0'; esc[3] = '0';
			esc[4] = hex[*p >> 4]; esc[5] = hex[*p & 15]; esc[6] = '\0';
			puts_(j, esc);
		}
	}
	put(j, (const char *)run, (size_t)(p - run));
	put(j, "\"", 1);
}

/* Comma and key before a value at the current depth. */
static void prefix(struct ev_json *j, const char *key)
{
	if (j->depth < 0 || j->depth >= EV_JSON_MAX_DEPTH) {
		j->failed = true;
		return;
	}
	if (!j->first[j->depth])
		put(j, ",", 1);
	j->first[j->depth] = false;
	if (key) {
		put_string(j, key);
		put(j, ":", 1);
	}
}

static void open_(struct ev_json *j, const char *key, const char *tok)
{
	prefix(j, key);
	puts_(j, tok);
	if (j->depth + 1 >= EV_JSON_MAX_DEPTH) {
		j->failed = true;
		return;
	}
	j->depth++;
	j->first[j->depth] = true;
}

static void close_(struct ev_json *j, const char *tok)
{
	if (j->depth <= 0) {
		j->failed = true;
		return;
	}
	j->depth--;
	puts_(j, tok);
}

void ev_json_obj_begin(struct ev_json *j, const char *key) { open_(j, key, "{"); }
void ev_json_obj_end(struct ev_json *j) { close_(j, "}"); }
void ev_json_arr_begin(struct ev_json *j, const char *key) { open_(j, key, "["); }
void ev_json_arr_end(struct ev_json *j) { close_(j, "]"); }

void ev_json_str(struct ev_json *j, const char *key, const char *val)
{
	prefix(j, key);
	if (val)
		put_string(j, val);
	else
		puts_(j, "null");
}

void ev_json_u64(struct ev_json *j, const char *key, uint64_t v)
{
	char b[24];

	prefix(j, key);
	snprintf(b, sizeof(b), "%" PRIu64, v);
	puts_(j, b);
}

void ev_json_i64(struct ev_json *j, const char *key, int64_t v)
{
	char b[24];

	prefix(j, key);
	snprintf(b, sizeof(b), "%" PRId64, v);
	puts_(j, b);
}

void ev_json_fields(struct ev_json *j, const void *base, const struct ev_json_field *f, size_t n)
{
	const char *p = base;

	for (size_t i = 0; i < n; i++) {
		const char *at = p + f[i].off;
		uint64_t u;
		double d;

		switch (f[i].kind) {
		case EV_JSON_KIND_U64:
			memcpy(&u, at, sizeof(u));
			ev_json_u64(j, f[i].key, u);
			break;
		case EV_JSON_KIND_DOUBLE:
			memcpy(&d, at, sizeof(d));
			ev_json_double(j, f[i].key, d);
			break;
		case EV_JSON_KIND_STR: ev_json_str(j, f[i].key, at); break;
		case EV_JSON_KIND_TEXT: ev_json_str(j, f[i].key, *at ? at : NULL); break;
		case EV_JSON_KIND_NAME: ev_json_str(j, f[i].key, f[i].name(base)); break;
		}
	}
}

void ev_json_records(struct ev_json *j, const char *key, const void *items, size_t n, size_t size,
		     const struct ev_json_field *f, size_t n_fields, void (*more)(struct ev_json *j, const void *item))
{
	ev_json_arr_begin(j, key);
	for (size_t i = 0; i < n; i++) {
		const void *item = (const char *)items + i * size;

		ev_json_obj_begin(j, NULL);
		ev_json_fields(j, item, f, n_fields);
		if (more)
			more(j, item);
		ev_json_obj_end(j);
	}
	ev_json_arr_end(j);
}

void ev_json_double(struct ev_json *j, const char *key, double v)
{
	char b[32];

	prefix(j, key);
	/* JSON has no NaN or infinity. */
	if (!isfinite(v)) {
		puts_(j, "null");
		return;
	}
	snprintf(b, sizeof(b), "%.6g", v);
	puts_(j, b);
}

void ev_json_bool(struct ev_json *j, const char *key, bool v)
{
	prefix(j, key);
	puts_(j, v ? "true" : "false");
}

void ev_json_null(struct ev_json *j, const char *key)
{
	prefix(j, key);
	puts_(j, "null");
}

char *ev_json_finish(struct ev_json *j, size_t *len)
{
	char *out = NULL;

	if (!j->failed && j->depth == 0 && j->out.p)
		out = ev_buf_take(&j->out, len);
	ev_json_free(j);
	return out;
}

void ev_json_free(struct ev_json *j)
{
	ev_buf_free(&j->out);
	ev_json_init(j);
}
