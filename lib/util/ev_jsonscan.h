/* Reading JSON another program wrote (an OCI bundle's config.json),
 * strictly and without building a tree: RFC 8259 exactly (no comments, no
 * trailing commas, no byte-order mark, UTF-8 only, every \u escape paired),
 * each value handed to a callback with its place in the document.
 *
 * Not libyaml, though JSON is nearly YAML: libyaml refuses JSON that
 * runtimes read (a \ud83d\ude00 pair, a raw DEL, a key over 1024
 * characters or with a line break before its ':') and reads what no
 * runtime would (comments, unquoted words), so the two would disagree on
 * the same file. Memory: one buffer the size of the text, for decoded
 * strings; the nesting is bounded. */
#ifndef EV_JSONSCAN_H
#define EV_JSONSCAN_H

#include <stdbool.h>
#include <stddef.h>

#include "util/ev_err.h"

#define EV_JSONSCAN_MAX_DEPTH 32
/* A key kept for the path, with its NUL. The names a reader looks for are
 * short; a longer key is kept cut, and marked so it equals none of them. */
#define EV_JSONSCAN_KEY_MAX 64

enum ev_jsonscan_kind {
	EV_JSONSCAN_OBJECT,   /* an object opens */
	EV_JSONSCAN_ARRAY,    /* an array opens */
	EV_JSONSCAN_END,      /* the object or array at this place closes */
	EV_JSONSCAN_STRING,
	EV_JSONSCAN_NUMBER,
	EV_JSONSCAN_TRUE,
	EV_JSONSCAN_FALSE,
	EV_JSONSCAN_NULL,
};

/* One step from a container to a value in it. */
struct ev_jsonscan_step {
	bool in_array;
	size_t index;                    /* in an array: the value's place, from 0 */
	char key[EV_JSONSCAN_KEY_MAX];   /* in an object: the key (decoded) */
	bool key_odd;                    /* the key was too long for key[] or held a NUL */
};

struct ev_jsonscan_event {
	enum ev_jsonscan_kind kind;
	/* path[0..depth): from the top value down to this one; depth 0 is the
	 * top value itself. An END has its container's path. */
	const struct ev_jsonscan_step *path;
	size_t depth;
	/* STRING: the decoded text, NUL-terminated, len bytes (a \u0000 makes
	 * strlen shorter); NUMBER: as written. NULL otherwise. */
	const char *text;
	size_t len;
	/* For ev_jsonscan_at: the document, its name, the value's offset. */
	const char *doc_name;
	const char *doc;
	size_t offset;
};

/* fn returns 0 to go on, or a negative errno (err set) to stop the scan. */
typedef int (*ev_jsonscan_fn)(void *ctx, const struct ev_jsonscan_event *ev, struct ev_err *err);

/* Read text[0..len) as one JSON value, calling fn for each value in the
 * order of the text. 0, fn's error, -ENOMEM, or -EINVAL with
 * "NAME:LINE:COL: what" for text that is not JSON or nests more than
 * max_depth (at most EV_JSONSCAN_MAX_DEPTH) objects and arrays. fn sees
 * everything before the error: a caller keeps nothing from a failed scan. */
int ev_jsonscan(const char *name, const char *text, size_t len, unsigned max_depth, ev_jsonscan_fn fn,
		void *ctx, struct ev_err *err);

/* -EINVAL with "NAME:LINE:COL: message" at ev's value (columns count
 * characters, from 1). */
int ev_jsonscan_at(const struct ev_jsonscan_event *ev, struct ev_err *err, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* The step's key is name: 1; differs from it in ASCII case only: -1 (Go's
 * encoding/json, which runc reads config.json with, matches keys so; crun
 * does not); else 0. Never for an array step. */
int ev_jsonscan_key_is(const struct ev_jsonscan_step *st, const char *name);

#endif
