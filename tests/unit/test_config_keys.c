/* efa-verify.yaml's key table (lib/config/ev_config_keys.c): every key it holds is
 * parsed into the field its row names and into no other, every row can be
 * parsed, and every key is documented. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config/ev_config.h"
#include "config/ev_config_keys.h"
#include "testutil.h"

#define NAME "t.yaml"
#define ITYPE "p5.48xlarge"

/* Where a table's struct is in a loaded config. */
enum where { IN_CONFIG, IN_ITYPE, IN_ENV_RULE };

struct walk {
	enum where where;
	char prefix[512];     /* YAML that opens the mapping the table reads */
	int indent;           /* of the table's keys */
	char path[128];
	int checked;          /* scalar keys set and read back */
};

static long get_int(const void *f, size_t size)
{
	if (size == sizeof(long))
		return *(const long *)f;
	if (size == sizeof(int))
		return *(const int *)f;
	return *(const bool *)f;
}

static void put_int(void *f, size_t size, long v)
{
	if (size == sizeof(long))
		*(long *)f = v;
	else if (size == sizeof(int))
		*(int *)f = (int)v;
	else
		*(bool *)f = v != 0;
}

/* A value for k unlike the one its field holds (cur): its YAML text, and
 * the field as it must be after loading it (want, k->size bytes, starting
 * as a copy of cur). false for a key this test does not set. */
static bool distinct(const struct ev_key *k, const void *cur, char *text, size_t cap, void *want)
{
	memcpy(want, cur, k->size);
	switch (k->type) {
	case EV_KEY_BOOL:
		snprintf(text, cap, "%s", *(const bool *)cur ? "false" : "true");
		*(bool *)want = !*(const bool *)cur;
		return true;
	case EV_KEY_LONG: {
		long v = get_int(cur, k->size) == k->max ? k->min : k->max;

		snprintf(text, cap, "%ld", v);
		put_int(want, k->size, v);
		return true;
	}
	case EV_KEY_BYTES: {
		uint64_t v = *(const uint64_t *)cur == (3u << 20) ? 5u << 20 : 3u << 20;

		snprintf(text, cap, "%u MiB", (unsigned)(v >> 20));
		*(uint64_t *)want = v;
		return true;
	}
	case EV_KEY_NUMBER: {
		double v = k->lo + (k->hi - k->lo) * 0.37;

		if (v == *(const double *)cur)
			v = k->lo + (k->hi - k->lo) * 0.61;
		snprintf(text, cap, "%.17g", v);
		*(double *)want = strtod(text, NULL);
		return true;
	}
	case EV_KEY_PATH:
	case EV_KEY_PATH_OPT:
		snprintf(text, cap, "/t/%s", k->name);
		break;
	case EV_KEY_URL:
		snprintf(text, cap, "http://198.18.0.7:8080");
		break;
	case EV_KEY_WORD:
		snprintf(text, cap, "zq9");
		break;
	case EV_KEY_TEXT:
		snprintf(text, cap, "Text 1");
		break;
	case EV_KEY_ENUM:
		for (size_t i = 0; i < k->choices->n; i++) {
			long v = k->choices->values ? k->choices->values[i] : (long)i;

			if (v != get_int(cur, k->size)) {
				snprintf(text, cap, "%s", k->choices->names[i]);
				put_int(want, k->size, v);
				return true;
			}
		}
		return false;
	case EV_KEY_SECTION:
	case EV_KEY_CUSTOM:
		return false;
	}
	/* A string field: the text and its NUL over what was there. */
	assert_true(strlen(text) < k->size);
	memcpy(want, text, strlen(text) + 1);
	return true;
}

static const char *setup_yaml(enum where w)
{
	switch (w) {
	case IN_ITYPE:
		return "instance_types:\n  " ITYPE ": {}\n";
	case IN_ENV_RULE:
		return "env:\n  vars:\n    FOO: {value: v}\n";
	case IN_CONFIG:
		break;
	}
	return "";
}

static void *base_of(struct ev_config *c, enum where w, size_t *size)
{
	switch (w) {
	case IN_ITYPE:
		*size = sizeof(struct ev_instance_type);
		return (void *)ev_config_instance(c, ITYPE);
	case IN_ENV_RULE:
		*size = sizeof(struct ev_env_rule);
		return c->n_env_rules == 1 ? &c->env_rules[0] : NULL;
	case IN_CONFIG:
		break;
	}
	*size = sizeof(struct ev_config);
	return c;
}

/* Everything but the heap pointers: after the field is put back, c1 must
 * be c0 to the byte, tables included. */
static void assert_same_config(struct ev_config *c0, struct ev_config *c1, const char *path)
{
	struct ev_config a = *c0, b = *c1;

	a.instance_types = b.instance_types = NULL;
	a.env_rules = b.env_rules = NULL;
	if (memcmp(&a, &b, sizeof(a)) != 0 || c0->n_instance_types != c1->n_instance_types ||
	    memcmp(c0->instance_types, c1->instance_types, c0->n_instance_types * sizeof(*c0->instance_types)) ||
	    c0->n_env_rules != c1->n_env_rules ||
	    (c0->n_env_rules && memcmp(c0->env_rules, c1->env_rules, c0->n_env_rules * sizeof(*c0->env_rules))))
		fail_msg("%s: setting it changed something besides its own field", path);
}

/* Set key k alone, then read its field back by the row's offset. */
static void check_key(struct walk *w, const struct ev_key *k)
{
	struct ev_config c0, c1;
	struct ev_err e = { "" };
	unsigned char want[4096];
	char yaml[2048], value[256];
	const char *base_yaml = setup_yaml(w->where);
	size_t bsize;
	unsigned char *b0, *b1;

	if (k->type == EV_KEY_CUSTOM)
		return;     /* a shape of its own: test_config.c has its cases */
	assert_true(k->size > 0 && k->size <= sizeof(want));
	if (ev_config_load_string(&c0, NAME, base_yaml, strlen(base_yaml), &e) != 0)
		fail_msg("%s", e.msg);
	b0 = base_of(&c0, w->where, &bsize);
	assert_non_null(b0);
	assert_true(k->off + k->size <= bsize);
	if (!distinct(k, b0 + k->off, value, sizeof(value), want)) {
		ev_config_free(&c0);
		return;
	}
	/* prefix opens what base_yaml gave c0, now with this key. */
	snprintf(yaml, sizeof(yaml), "%s%*s%s: %s\n", w->prefix, w->indent, "", k->name, value);
	if (ev_config_load_string(&c1, NAME, yaml, strlen(yaml), &e) != 0)
		fail_msg("%s: '%s' refused: %s", w->path, value, e.msg);
	b1 = base_of(&c1, w->where, &bsize);
	assert_non_null(b1);
	if (memcmp(b1 + k->off, want, k->size) != 0)
		fail_msg("%s: '%s' did not reach the field at offset %zu", w->path, value, k->off);
	/* Put the old field back: nothing else may differ. */
	memcpy(b1 + k->off, b0 + k->off, k->size);
	assert_same_config(&c0, &c1, w->path);
	w->checked++;
	ev_config_free(&c0);
	ev_config_free(&c1);
}

static void walk_table(struct walk *w, const struct ev_key *keys)
{
	for (const struct ev_key *k = keys; k->name; k++) {
		struct walk sub = *w;
		size_t plen = strlen(w->path);

		snprintf(w->path + plen, sizeof(w->path) - plen, "%s%s", plen ? "." : "", k->name);
		if (k->type == EV_KEY_SECTION) {
			snprintf(sub.path, sizeof(sub.path), "%s", w->path);
			snprintf(sub.prefix, sizeof(sub.prefix), "%s%*s%s:\n", w->prefix, w->indent, "", k->name);
			sub.indent = w->indent + 2;
			sub.checked = 0;
			walk_table(&sub, k->sub);
			w->checked += sub.checked;
		} else {
			check_key(w, k);
		}
		w->path[plen] = '\0';
	}
}

/* Each key set to a value of its own, alone: it lands in its row's field,
 * and only there. A row whose offset names another key's field fails here. */
static void test_every_key_fills_its_field(void **state)
{
	struct walk w;

	(void)state;
	memset(&w, 0, sizeof(w));
	walk_table(&w, ev_config_keys);
	memset(&w.prefix, 0, sizeof(w.prefix));
	w.where = IN_ITYPE;
	snprintf(w.prefix, sizeof(w.prefix), "instance_types:\n  " ITYPE ":\n");
	w.indent = 4;
	snprintf(w.path, sizeof(w.path), "instance_types." ITYPE);
	walk_table(&w, ev_instance_type_keys);
	w.where = IN_ENV_RULE;
	snprintf(w.prefix, sizeof(w.prefix), "env:\n  vars:\n    FOO:\n      value: v\n");
	w.indent = 6;
	snprintf(w.path, sizeof(w.path), "env.vars.FOO");
	walk_table(&w, ev_env_rule_keys);
	/* Every scalar key of the schema, not a few: 37 when this was written. */
	if (w.checked < 37)
		fail_msg("only %d keys set and read back", w.checked);
}

/* Each row can be read: a section has its keys, a custom key its parser,
 * an enum its names, and a field is a size the parser stores. */
static void check_rows(const struct ev_key *keys, int *n)
{
	for (const struct ev_key *k = keys; k->name; k++, (*n)++) {
		switch (k->type) {
		case EV_KEY_SECTION:
			assert_non_null(k->sub);
			check_rows(k->sub, n);
			break;
		case EV_KEY_CUSTOM:
			assert_non_null(k->parse);
			if (k->sub)
				check_rows(k->sub, n);
			break;
		case EV_KEY_ENUM:
			assert_non_null(k->choices);
			assert_true(k->choices->n > 0);
			/* fall through */
		case EV_KEY_LONG:
		case EV_KEY_BOOL:
			assert_true(k->size == sizeof(bool) || k->size == sizeof(int) || k->size == sizeof(long));
			break;
		case EV_KEY_NUMBER:
			assert_non_null(k->range);
			assert_true(k->lo < k->hi);
			break;
		case EV_KEY_WORD:
			assert_non_null(k->extra);
			break;
		case EV_KEY_BYTES:
		case EV_KEY_PATH:
		case EV_KEY_PATH_OPT:
		case EV_KEY_URL:
		case EV_KEY_TEXT:
			break;
		}
		for (const struct ev_key *o = keys; o < k; o++)
			if (strcmp(o->name, k->name) == 0)
				fail_msg("key %s is in its table twice", k->name);
	}
}

/* The rows that fill fields of one struct: a table and its sections. */
static void collect(const struct ev_key *keys, const struct ev_key **out, size_t *n, size_t cap)
{
	for (const struct ev_key *k = keys; k->name; k++) {
		if (k->type == EV_KEY_SECTION)
			collect(k->sub, out, n, cap);
		else if (k->size) {
			assert_true(*n < cap);
			out[(*n)++] = k;
		}
	}
}

/* No two keys share a byte of their struct: a row given another key's
 * field (a copy-paste of the row above) fails here, whatever it sets. */
static void assert_no_overlap(const struct ev_key *table, size_t struct_size)
{
	const struct ev_key *rows[128];
	size_t n = 0;

	collect(table, rows, &n, 128);
	for (size_t i = 0; i < n; i++) {
		assert_true(rows[i]->off + rows[i]->size <= struct_size);
		for (size_t j = 0; j < i; j++)
			if (rows[i]->off < rows[j]->off + rows[j]->size &&
			    rows[j]->off < rows[i]->off + rows[i]->size)
				fail_msg("%s and %s fill the same bytes (offset %zu)", rows[j]->name, rows[i]->name,
					 rows[i]->off);
	}
}

static void test_rows_complete(void **state)
{
	int n = 0;

	(void)state;
	check_rows(ev_config_keys, &n);
	assert_true(n > 40);
	assert_no_overlap(ev_config_keys, sizeof(struct ev_config));
	assert_no_overlap(ev_instance_type_keys, sizeof(struct ev_instance_type));
	assert_no_overlap(ev_env_rule_keys, sizeof(struct ev_env_rule));
}

/* The "unknown key" message lists the table, in its order. */
static void test_unknown_key_lists_the_table(void **state)
{
	struct ev_config c;
	struct ev_err e = { "" };
	char want[1024] = "";

	(void)state;
	for (const struct ev_key *k = ev_config_keys; k->name; k++)
		snprintf(want + strlen(want), sizeof(want) - strlen(want), "%s%s", k == ev_config_keys ? "" : ", ",
			 k->name);
	assert_int_equal(ev_config_load_string(&c, NAME, "nope: 1\n", 8, &e), -EINVAL);
	assert_non_null(strstr(e.msg, want));
	assert_int_equal(ev_config_load_string(&c, NAME, "imds: {nope: 1}\n", 16, &e), -EINVAL);
	assert_non_null(strstr(e.msg, "unknown key 'nope' in imds (valid keys: endpoint, timeout_ms)"));
}

static char *slurp(const char *rel)
{
	char path[4096];
	FILE *f;
	char *buf;
	long n;

	snprintf(path, sizeof(path), "%s/%s", tu_srcdir(), rel);
	if (!(f = fopen(path, "r")))
		return NULL;
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	rewind(f);
	buf = calloc(1, (size_t)n + 1);
	if (buf && fread(buf, 1, (size_t)n, f) != (size_t)n) {
		free(buf);
		buf = NULL;
	}
	fclose(f);
	return buf;
}

/* name as a word of text: not inside a longer name. */
static bool has_word(const char *text, const char *name)
{
	size_t n = strlen(name);

	for (const char *p = text; (p = strstr(p, name)); p++) {
		bool left = p == text || !(p[-1] == '_' || (p[-1] >= 'a' && p[-1] <= 'z'));
		char r = p[n];

		if (left && !(r == '_' || (r >= 'a' && r <= 'z')))
			return true;
	}
	return false;
}

static void check_documented(const struct ev_key *keys, const char *man, const char *conf, const char *path,
			     int *n)
{
	for (const struct ev_key *k = keys; k->name; k++, (*n)++) {
		char full[256], key[96];

		snprintf(full, sizeof(full), "%s%s%s", path, *path ? "." : "", k->name);
		snprintf(key, sizeof(key), "%s:", k->name);
		if (!has_word(man, k->name))
			fail_msg("efa-verify.yaml(5) does not document %s", full);
		if (!strstr(conf, key))
			fail_msg("conf/efa-verify.yaml does not show %s", full);
		if (k->sub)
			check_documented(k->sub, man, conf, full, n);
	}
}

/* Every key of the table is in the man page and in the shipped sample
 * (set, or in a commented example); every top-level key is set there. */
static void test_every_key_documented(void **state)
{
	char *man = slurp("man/efa-verify.yaml.5");
	char *conf = slurp("conf/efa-verify.yaml");
	int n = 0;

	(void)state;
	assert_non_null(man);
	assert_non_null(conf);
	/* The man page escapes hyphens; none of our names has one. */
	check_documented(ev_config_keys, man, conf, "", &n);
	assert_true(n > 40);
	for (const struct ev_key *k = ev_config_keys; k->name; k++) {
		char line[96];

		snprintf(line, sizeof(line), "\n%s:", k->name);
		if (!strstr(conf, line))
			fail_msg("conf/efa-verify.yaml does not set %s", k->name);
	}
	free(man);
	free(conf);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_every_key_fills_its_field),
		cmocka_unit_test(test_rows_complete),
		cmocka_unit_test(test_unknown_key_lists_the_table),
		cmocka_unit_test(test_every_key_documented),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
