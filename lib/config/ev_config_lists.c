/* The keys whose values are open maps of names: env.vars,
 * env.instance_types, instance_types and their software versions. */
#include "config/ev_config_parse.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Bounds on what a config can make us allocate. */
#define LISTS_MAX_ENV_RULES 1024
#define LISTS_MAX_INSTANCE_TYPES 512

static bool valid_env_name(const char *s)
{
	if (!*s || strlen(s) >= EV_NAME_MAX || (!isalpha((unsigned char)*s) && *s != '_'))
		return false;
	for (; *s; s++)
		if (!isalnum((unsigned char)*s) && *s != '_')
			return false;
	return true;
}

static int add_env_rule(struct ev_cfg_parse *p, const yaml_node_t *at_node, const struct ev_env_rule *r)
{
	struct ev_config *c = p->c;

	if (c->n_env_rules >= LISTS_MAX_ENV_RULES)
		return ev_yaml_at(&p->y, at_node, "env: too many variables (at most %d in all)", LISTS_MAX_ENV_RULES);
	if (c->n_env_rules == p->env_cap) {
		size_t cap = p->env_cap ? p->env_cap * 2 : 16;
		struct ev_env_rule *nr = realloc(c->env_rules, cap * sizeof(*nr));

		if (!nr)
			return ev_errf(p->y.err, -ENOMEM, "%s: out of memory", p->y.name);
		c->env_rules = nr;
		p->env_cap = cap;
	}
	c->env_rules[c->n_env_rules++] = *r;
	return 0;
}

static int get_env_value(struct ev_cfg_parse *p, const yaml_node_t *v, const char *path, char *dst)
{
	const char *s;
	int rc = ev_yaml_scalar(&p->y, v, path, &s);

	if (rc)
		return rc;
	if (strlen(s) >= EV_ENV_VALUE_MAX)
		return ev_yaml_at(&p->y, v, "%s: value is too long (at most %d bytes)", path, EV_ENV_VALUE_MAX - 1);
	snprintf(dst, EV_ENV_VALUE_MAX, "%s", s);
	return 0;
}

/* Whether mapping n gives key. */
static bool has_key(struct ev_cfg_parse *p, const yaml_node_t *n, const char *key)
{
	EV_YAML_FOR_PAIRS(n, pair)
		if (strcmp(ev_yaml_sval(ev_yaml_node(&p->y, pair->key)), key) == 0)
			return true;
	return false;
}

/* {value: V}: a value, never null (NAME: null is what unsets). */
int ev_cfg_env_value(struct ev_cfg_parse *p, void *base, const struct ev_key *k, const yaml_node_t *v,
		     const char *path)
{
	const struct ev_env_rule *r = base;

	if (ev_yaml_is_null(v))
		return ev_yaml_at(&p->y, v, "%s: expected a value (to unset the variable, write %s: null)", path,
				  r->name);
	return get_env_value(p, v, path, (char *)base + k->off);
}

/* NAME: VALUE | NAME: {value: V, force: BOOL} | NAME: null (unset a built-in). */
static int parse_env_map(struct ev_cfg_parse *p, const yaml_node_t *n, const char *path, const char *itype)
{
	bool empty;
	char b[64];
	int rc = ev_yaml_want_map(&p->y, n, path, &empty);

	if (rc || empty)
		return rc;
	EV_YAML_FOR_PAIRS(n, pair) {
		const yaml_node_t *v = ev_yaml_node(&p->y, pair->value);
		struct ev_env_rule r;
		char vpath[192];
		const char *name;

		if ((rc = ev_yaml_map_key(&p->y, n, pair, path, NULL, &name)))
			return rc;
		if (!valid_env_name(name))
			return ev_yaml_at(&p->y, ev_yaml_node(&p->y, pair->key), "%s: '%s' is not a valid variable name "
					  "([A-Za-z_][A-Za-z0-9_]*, at most %d characters)", path,
					  ev_yaml_show(name, b, sizeof(b)), EV_NAME_MAX - 1);
		memset(&r, 0, sizeof(r));
		snprintf(r.instance_type, sizeof(r.instance_type), "%s", itype);
		snprintf(r.name, sizeof(r.name), "%s", name);
		ev_yaml_subpath(vpath, sizeof(vpath), path, name);
		if (ev_yaml_is_null(v)) {
			r.unset = true;
		} else if (v->type == YAML_SCALAR_NODE) {
			if ((rc = get_env_value(p, v, vpath, r.value)))
				return rc;
		} else if (v->type == YAML_MAPPING_NODE) {
			if ((rc = ev_cfg_section(p, ev_env_rule_keys, &r, v, vpath)))
				return rc;
			if (!has_key(p, v, "value"))
				return ev_yaml_at(&p->y, v, "%s: 'value' is required", vpath);
		} else {
			return ev_yaml_at(&p->y, v, "%s: expected a value, a mapping {value, force} or null, got %s",
					  vpath, ev_yaml_kind(v));
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

static int itype_key(struct ev_cfg_parse *p, const yaml_node_t *map, const yaml_node_pair_t *pair,
		     const char *path, const char **name)
{
	char b[64];
	int rc = ev_yaml_map_key(&p->y, map, pair, path, NULL, name);

	if (rc)
		return rc;
	if (!valid_itype(*name))
		return ev_yaml_at(&p->y, ev_yaml_node(&p->y, pair->key), "%s: '%s' is not a valid instance type name "
				  "(letters, digits, '.', '-', '_'; at most %d characters)", path,
				  ev_yaml_show(*name, b, sizeof(b)), EV_NAME_MAX - 1);
	return 0;
}

int ev_cfg_env_vars(struct ev_cfg_parse *p, void *base, const struct ev_key *k, const yaml_node_t *v,
		    const char *path)
{
	(void)base;
	(void)k;
	return parse_env_map(p, v, path, "");
}

/* A mapping keyed by instance type: one(p, type, value, "path.type") each. */
static int each_itype(struct ev_cfg_parse *p, const yaml_node_t *n, const char *path,
		      int (*one)(struct ev_cfg_parse *, const char *, const yaml_node_t *, const char *))
{
	bool empty;
	int rc;

	if ((rc = ev_yaml_want_map(&p->y, n, path, &empty)) || empty)
		return rc;
	EV_YAML_FOR_PAIRS(n, tp) {
		char tpath[128];
		const char *type;

		if ((rc = itype_key(p, n, tp, path, &type)))
			return rc;
		ev_yaml_subpath(tpath, sizeof(tpath), path, type);
		if ((rc = one(p, type, ev_yaml_node(&p->y, tp->value), tpath)))
			return rc;
	}
	return 0;
}

static int env_itype(struct ev_cfg_parse *p, const char *type, const yaml_node_t *v, const char *path)
{
	return parse_env_map(p, v, path, type);
}

/* TYPE: {NAME: ...}: rules for one instance type. */
int ev_cfg_env_instance_types(struct ev_cfg_parse *p, void *base, const struct ev_key *k,
			      const yaml_node_t *v, const char *path)
{
	(void)base;
	(void)k;
	return each_itype(p, v, path, env_itype);
}

/* Software: version, for each software ev_versions knows. */
int ev_cfg_versions(struct ev_cfg_parse *p, void *base, const struct ev_key *key, const yaml_node_t *n,
		    const char *path)
{
	char (*vers)[EV_VER_MAX] = (char (*)[EV_VER_MAX])((char *)base + key->off);
	const char *keys[EV_SW__COUNT + 1];
	bool empty;
	char b[64];
	int rc = ev_yaml_want_map(&p->y, n, path, &empty);

	if (rc || empty)
		return rc;
	for (int i = 0; i < EV_SW__COUNT; i++)
		keys[i] = ev_sw_name((enum ev_sw)i);
	keys[EV_SW__COUNT] = NULL;
	EV_YAML_FOR_PAIRS(n, pair) {
		const yaml_node_t *v = ev_yaml_node(&p->y, pair->value);
		char vpath[192];
		const char *k, *s;
		int sw;

		if ((rc = ev_yaml_map_key(&p->y, n, pair, path, keys, &k)))
			return rc;
		sw = ev_sw_from_name(k);
		ev_yaml_subpath(vpath, sizeof(vpath), path, k);
		if (ev_yaml_is_null(v)) {
			vers[sw][0] = '\0';
			continue;
		}
		if ((rc = ev_yaml_scalar(&p->y, v, vpath, &s)))
			return rc;
		if (!*s) {
			vers[sw][0] = '\0';
			continue;
		}
		if (strlen(s) >= EV_VER_MAX)
			return ev_yaml_at(&p->y, v, "%s: version is too long (at most %d characters)", vpath,
					  EV_VER_MAX - 1);
		if (!isdigit((unsigned char)*s))
			return ev_yaml_at(&p->y, v, "%s: '%s' is not a version (it must start with a digit, "
					  "e.g. \"2.18.5\")", vpath, ev_yaml_show(s, b, sizeof(b)));
		for (const char *q = s; *q; q++)
			if (!isalnum((unsigned char)*q) && !strchr(".-_+~", *q))
				return ev_yaml_at(&p->y, v, "%s: '%s' is not a version", vpath, ev_yaml_show(s, b, sizeof(b)));
		snprintf(vers[sw], EV_VER_MAX, "%s", s);
	}
	return 0;
}

/* The entry for name, added (all zero) if the config names a new type. */
static int itype_slot(struct ev_cfg_parse *p, const yaml_node_t *at_node, const char *name, size_t *idx)
{
	struct ev_config *c = p->c;

	for (size_t i = 0; i < c->n_instance_types; i++) {
		if (strcmp(c->instance_types[i].name, name) == 0) {
			*idx = i;
			return 0;
		}
	}
	if (c->n_instance_types >= LISTS_MAX_INSTANCE_TYPES)
		return ev_yaml_at(&p->y, at_node, "instance_types: too many instance types (at most %d)",
				  LISTS_MAX_INSTANCE_TYPES);
	if (p->it_cap <= c->n_instance_types) {
		size_t cap = c->n_instance_types * 2 + 8;
		struct ev_instance_type *nt = realloc(c->instance_types, cap * sizeof(*nt));

		if (!nt)
			return ev_errf(p->y.err, -ENOMEM, "%s: out of memory", p->y.name);
		c->instance_types = nt;
		p->it_cap = cap;
	}
	memset(&c->instance_types[c->n_instance_types], 0, sizeof(c->instance_types[0]));
	snprintf(c->instance_types[c->n_instance_types].name, EV_NAME_MAX, "%s", name);
	*idx = c->n_instance_types++;
	return 0;
}

static int itype(struct ev_cfg_parse *p, const char *type, const yaml_node_t *v, const char *path)
{
	size_t idx = 0;
	bool empty;
	int rc;

	if ((rc = ev_yaml_want_map(&p->y, v, path, &empty)))
		return rc;
	/* Even an empty entry declares the type: known, no expectations. */
	if ((rc = itype_slot(p, v, type, &idx)))
		return rc;
	return ev_cfg_section(p, ev_instance_type_keys, &p->c->instance_types[idx], v, path);
}

/* TYPE: {efa_devices: ..., ...}: each entry adds a type or changes a built-in one. */
int ev_cfg_instance_types(struct ev_cfg_parse *p, void *base, const struct ev_key *k, const yaml_node_t *n,
			  const char *path)
{
	(void)base;
	(void)k;
	return each_itype(p, n, path, itype);
}
