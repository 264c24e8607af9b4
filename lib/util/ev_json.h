/* A small streaming JSON writer into a growing buffer. Keys are given with
 * each value inside objects and NULL inside arrays. An allocation failure is
 * sticky and reported by ev_json_finish. */
#ifndef EV_JSON_H
#define EV_JSON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util/ev_buf.h"

#define EV_JSON_MAX_DEPTH 32

struct ev_json {
	struct ev_buf out;
	int depth;
	bool first[EV_JSON_MAX_DEPTH];
	bool failed;                  /* unbalanced nesting */
};

void ev_json_init(struct ev_json *j);
void ev_json_obj_begin(struct ev_json *j, const char *key);
void ev_json_obj_end(struct ev_json *j);
void ev_json_arr_begin(struct ev_json *j, const char *key);
void ev_json_arr_end(struct ev_json *j);
void ev_json_str(struct ev_json *j, const char *key, const char *val);  /* NULL -> null */
void ev_json_u64(struct ev_json *j, const char *key, uint64_t v);
void ev_json_i64(struct ev_json *j, const char *key, int64_t v);
void ev_json_double(struct ev_json *j, const char *key, double v);
void ev_json_bool(struct ev_json *j, const char *key, bool v);
void ev_json_null(struct ev_json *j, const char *key);

/* Records whose members are written in a fixed order take a table of
 * fields rather than a call per field, so that the order and the names are
 * data one can read at a glance. The _Generic in each macro refuses, at
 * compile time, a member whose type is not the one the table says. */
enum ev_json_kind {
	EV_JSON_KIND_U64,
	EV_JSON_KIND_DOUBLE,             /* NAN (not known) is null */
	EV_JSON_KIND_STR,                /* a char array */
	EV_JSON_KIND_TEXT,               /* a char array; empty (not known) is null */
	EV_JSON_KIND_NAME,               /* name(record): an enum member's name */
};
struct ev_json_field {
	const char *key;
	size_t off;
	enum ev_json_kind kind;
	const char *(*name)(const void *record);
};
#define EV_JSON_U64_AT(key, type, member) \
	{ key, _Generic(((type *)0)->member, uint64_t: offsetof(type, member)), EV_JSON_KIND_U64, NULL }
#define EV_JSON_DOUBLE_AT(key, type, member) \
	{ key, _Generic(((type *)0)->member, double: offsetof(type, member)), EV_JSON_KIND_DOUBLE, NULL }
#define EV_JSON_CHARS_AT_(key, type, member, kind) \
	{ key, _Generic(&((type *)0)->member, char(*)[sizeof(((type *)0)->member)]: offsetof(type, member)), \
	  kind, NULL }
#define EV_JSON_STR_AT(key, type, member) EV_JSON_CHARS_AT_(key, type, member, EV_JSON_KIND_STR)
#define EV_JSON_TEXT_AT(key, type, member) EV_JSON_CHARS_AT_(key, type, member, EV_JSON_KIND_TEXT)
#define EV_JSON_NAME_OF(key, fn) { key, 0, EV_JSON_KIND_NAME, fn }
void ev_json_fields(struct ev_json *j, const void *base, const struct ev_json_field *f, size_t n);

/* An array under key of one object per item (n items, size bytes apart):
 * the item's fields, then whatever more (may be NULL) writes, for members a
 * table cannot say. */
void ev_json_records(struct ev_json *j, const char *key, const void *items, size_t n, size_t size,
		     const struct ev_json_field *f, size_t n_fields, void (*more)(struct ev_json *j, const void *item));
/* NUL-terminated text (caller frees), or NULL after an allocation failure or
 * unbalanced nesting. The writer is reset either way. */
char *ev_json_finish(struct ev_json *j, size_t *len);
void ev_json_free(struct ev_json *j);

#endif
