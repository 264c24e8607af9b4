/* A small streaming JSON writer into a growing buffer. Keys are given with
 * each value inside objects and NULL inside arrays. An allocation failure is
 * sticky and reported by ev_json_finish. */
#ifndef EV_JSON_H
#define EV_JSON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ev_buf.h"

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

/* Records whose numbers are written in a fixed order take a table of
 * fields rather than a call per field, so that the order and the names are
 * data one can read at a glance. The _Generic in each macro refuses, at
 * compile time, a member whose type is not the one the table says. */
struct ev_json_field {
	const char *key;
	size_t off;
	bool is_double;               /* else uint64_t */
};
#define EV_JSON_U64_AT(key, type, member) \
	{ key, _Generic(((type *)0)->member, uint64_t: offsetof(type, member)), false }
#define EV_JSON_DOUBLE_AT(key, type, member) \
	{ key, _Generic(((type *)0)->member, double: offsetof(type, member)), true }
void ev_json_fields(struct ev_json *j, const void *base, const struct ev_json_field *f, size_t n);
/* NUL-terminated text (caller frees), or NULL after an allocation failure or
 * unbalanced nesting. The writer is reset either way. */
char *ev_json_finish(struct ev_json *j, size_t *len);
void ev_json_free(struct ev_json *j);

#endif
