/* efa-verify.yaml's keys, as one table per mapping: each row says what its
 * value is and where in the struct it goes. The parser, the list of valid
 * keys in an "unknown key" message and the test that every key is
 * documented all read these rows, so a key cannot be accepted without
 * being parsed, nor parsed into a field its row does not name. */
#ifndef EV_CONFIG_KEYS_H
#define EV_CONFIG_KEYS_H

#include <stddef.h>

#include "config/ev_config.h"

enum ev_key_type {
	EV_KEY_BOOL,      /* bool */
	EV_KEY_LONG,      /* long, or an int-sized field; min..max */
	EV_KEY_BYTES,     /* uint64_t, "64K", "2 GiB" */
	EV_KEY_NUMBER,    /* double, lo..hi */
	EV_KEY_PATH,      /* char[], absolute */
	EV_KEY_PATH_OPT,  /* char[], absolute, or null/"" for not set */
	EV_KEY_URL,       /* char[], http(s):// */
	EV_KEY_WORD,      /* char[], letters, digits and extra; null is "" */
	EV_KEY_TEXT,      /* char[], printable ASCII; null is "" */
	EV_KEY_ENUM,      /* an enum (int-sized) or bool field, one of choices */
	EV_KEY_SECTION,   /* a mapping of the keys in sub, into the same struct */
	EV_KEY_CUSTOM,    /* a value of a shape of its own: parse reads it */
};

struct ev_key_choices {
	size_t n;
	const char *const *names;   /* as written, in the order messages list them */
	const int *values;          /* what each stores; NULL: its index */
};

struct ev_key;
struct ev_cfg_parse;        /* lib/config/ev_config_parse.h */
struct yaml_node_s;

/* Reads v (at path, for messages) into base + k->off. */
typedef int ev_key_parse_fn(struct ev_cfg_parse *p, void *base, const struct ev_key *k,
			    const struct yaml_node_s *v, const char *path);

struct ev_key {
	const char *name;                    /* NULL ends a table */
	enum ev_key_type type;
	size_t off, size;                    /* the field, in the struct the table fills */
	long min, max;                       /* LONG */
	double lo, hi;                       /* NUMBER */
	const char *range;                   /* NUMBER: lo..hi in words, for messages */
	const struct ev_key_choices *choices; /* ENUM */
	const char *extra;                   /* WORD */
	/* SECTION: its keys. CUSTOM: the keys of each entry of its map (each
	 * env var's {value, force}, each instance type's), NULL if none. */
	const struct ev_key *sub;
	ev_key_parse_fn *parse;              /* CUSTOM */
};

/* The top level, filling struct ev_config. */
extern const struct ev_key ev_config_keys[];
/* One entry of instance_types, filling struct ev_instance_type. */
extern const struct ev_key ev_instance_type_keys[];
/* One variable of env.vars as a mapping, filling struct ev_env_rule. */
extern const struct ev_key ev_env_rule_keys[];

#endif
