/* Inside the efa-verify.yaml parser: what its files share. Not for the
 * binaries (they use ev_config.h). */
#ifndef EV_CONFIG_PARSE_H
#define EV_CONFIG_PARSE_H

#include "config/ev_config.h"
#include "config/ev_config_keys.h"
#include "config/ev_yaml.h"

struct ev_cfg_parse {
	struct ev_yaml y;
	struct ev_config *c;
	const yaml_node_t *key;    /* the key whose value is being read */
	size_t env_cap;
	size_t it_cap;
};

/* The document's top level into p->c (ev_config_keys.c). */
int ev_cfg_parse_doc(struct ev_cfg_parse *p, const yaml_node_t *root);
/* A mapping of keys into base (n null: nothing set). */
int ev_cfg_section(struct ev_cfg_parse *p, const struct ev_key *keys, void *base, const yaml_node_t *n,
		   const char *path);

/* The keys whose values are lists and maps of names (ev_config_lists.c). */
ev_key_parse_fn ev_cfg_env_vars, ev_cfg_env_instance_types, ev_cfg_env_value, ev_cfg_instance_types,
	ev_cfg_versions;

#endif
