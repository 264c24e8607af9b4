/* Reading a libyaml document strictly: typed, bounded scalars, mappings
 * whose keys are known and given once, and every error as
 * "FILE:LINE:COL: path: what". What efa-verify.yaml's schema is lives in
 * ev_config_keys.c; this file knows YAML, not the keys. */
#ifndef EV_YAML_H
#define EV_YAML_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <yaml.h>

#include "util/ev_err.h"

/* A document being read: the name its messages start with. */
struct ev_yaml {
	const char *name;
	yaml_document_t *doc;
	struct ev_err *err;
};

/* Parse text into doc (one document, bounded nesting, no aliases); the
 * caller deletes doc after a 0. Errors name name:line:col. */
int ev_yaml_load(yaml_document_t *doc, const char *name, const char *text, size_t len,
		 struct ev_err *err);

/* -EINVAL with "NAME:LINE:COL: message" at node n. */
int ev_yaml_at(struct ev_yaml *y, const yaml_node_t *n, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* A value as it may appear in a message: printable, at most 48 characters
 * and "..." (cap at least 52). */
const char *ev_yaml_show(const char *s, char *buf, size_t cap);
/* "a mapping", "a list", "a single value": what n is, for a message. */
const char *ev_yaml_kind(const yaml_node_t *n);
/* names[0..n) (or up to a NULL) as "a, b, c", cut to fit cap. */
void ev_yaml_join(char *buf, size_t cap, const char *const *names, size_t n);
/* "path.key", or "key" at the top level (path ""). */
void ev_yaml_subpath(char *out, size_t cap, const char *path, const char *key);

yaml_node_t *ev_yaml_node(struct ev_yaml *y, int id);
const char *ev_yaml_sval(const yaml_node_t *n);
/* YAML's null: an empty or ~/null plain scalar. A quoted "" is a string. */
bool ev_yaml_is_null(const yaml_node_t *n);
/* n as a string: a scalar without NUL bytes. */
int ev_yaml_scalar(struct ev_yaml *y, const yaml_node_t *n, const char *path, const char **out);

/* Typed values; path names the key in messages. */
int ev_yaml_bool(struct ev_yaml *y, const yaml_node_t *n, const char *path, bool *out);
int ev_yaml_long(struct ev_yaml *y, const yaml_node_t *n, const char *path, long min, long max,
		 long *out);
int ev_yaml_u64(struct ev_yaml *y, const yaml_node_t *n, const char *path, uint64_t *out);
/* "1048576", "1 MiB", "64K", "2GiB": K/M/G/T are powers of 1024. */
int ev_yaml_bytes(struct ev_yaml *y, const yaml_node_t *n, const char *path, uint64_t *out);
/* A plain decimal number from lo to hi; range says what it is in words. */
int ev_yaml_number(struct ev_yaml *y, const yaml_node_t *n, const char *path, double lo, double hi,
		   const char *range, double *out);
/* An absolute path; optional ones take null or "" for "not set". */
int ev_yaml_path(struct ev_yaml *y, const yaml_node_t *n, const char *path, char *dst, size_t cap,
		 bool optional);
int ev_yaml_url(struct ev_yaml *y, const yaml_node_t *n, const char *path, char *dst, size_t cap);
/* One of names[0..count); *out is values[i] (i itself if values is NULL). */
int ev_yaml_enum(struct ev_yaml *y, const yaml_node_t *n, const char *path, const char *const *names,
		 const int *values, size_t count, int *out);
/* Letters, digits and extra; null is "". */
int ev_yaml_word(struct ev_yaml *y, const yaml_node_t *n, const char *path, char *dst, size_t cap,
		 const char *extra);
/* Printable ASCII; null is "". */
int ev_yaml_text(struct ev_yaml *y, const yaml_node_t *n, const char *path, char *dst, size_t cap);

/* A mapping, or null (*empty: a section left empty). */
int ev_yaml_want_map(struct ev_yaml *y, const yaml_node_t *n, const char *path, bool *empty);
/* The key of one pair: a scalar, one of valid (NULL-ended; NULL = any name,
 * up to a bound), not given earlier in this mapping. */
int ev_yaml_map_key(struct ev_yaml *y, const yaml_node_t *map, const yaml_node_pair_t *pair,
		    const char *path, const char *const *valid, const char **key);

#define EV_YAML_FOR_PAIRS(map, pair) \
	for (yaml_node_pair_t *pair = (map)->data.mapping.pairs.start; \
	     pair < (map)->data.mapping.pairs.top; pair++)

#endif
