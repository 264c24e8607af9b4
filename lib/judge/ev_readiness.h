/* Node readiness: gather the facts (devices, libfabric, rdma-core, IMDS,
 * versions) once, then judge them against the config with a pure function. */
#ifndef EV_READINESS_H
#define EV_READINESS_H

#include <stdbool.h>

#include "config/ev_config.h"
#include "node/ev_devices.h"
#include "util/ev_err.h"
#include "node/ev_fabric.h"
#include "aws/ev_imds.h"
#include "node/ev_verbs.h"
#include "node/ev_versions.h"

struct ev_node_facts {
	struct ev_device_list devices;
	int devices_rc;                 /* 0 or negative errno */
	char devices_err[EV_ERR_MAX];
	struct ev_fabric_info fabric;
	int fabric_rc;
	char fabric_err[EV_ERR_MAX];
	struct ev_verbs_info verbs;
	int verbs_rc;                   /* -ENOTSUP: not probed (simulated sysfs) */
	char verbs_err[EV_ERR_MAX];
	struct ev_imds_info imds;
	int imds_rc;
	char imds_err[EV_ERR_MAX];
	bool imds_cached;
	/* Where IMDS did not answer: the instance type DMI names (ev_dmi.h),
	 * "" if none. */
	char dmi_instance_type[EV_NAME_MAX];
	struct ev_versions versions;
	int versions_rc;
	char versions_err[EV_ERR_MAX];
};

enum ev_status { EV_ST_OK, EV_ST_WARN, EV_ST_FAIL, EV_ST_SKIP };

struct ev_check_result {
	enum ev_check_id id;
	enum ev_status status;
	char summary[384];   /* what was found */
	char fix[256];       /* what a user would try; "" when ok */
};

struct ev_readiness {
	struct ev_check_result checks[EV_CHECK__COUNT];
	bool ready;                     /* no check FAILed */
	const struct ev_instance_type *itype;   /* into the config's table, or NULL */
};

/* Which facts to gather; IMDS is the only one that can take time. */
struct ev_gather_opts {
	bool allow_imds_fetch;          /* false: cache only */
	bool fabric_cache;              /* reuse/keep libfabric's answer in state_dir (ev_fabric_cache.h) */
};

/* Where the node's instance type came from: IMDS, or DMI where IMDS did
 * not answer. */
enum ev_itype_source { EV_ITYPE_NONE, EV_ITYPE_IMDS, EV_ITYPE_DMI };

/* The node's instance type (NULL: not known), IMDS's first; *src (may be
 * NULL) says where it came from. */
const char *ev_node_facts_instance_type(const struct ev_node_facts *f, enum ev_itype_source *src);
const char *ev_itype_source_name(enum ev_itype_source s);   /* "imds", "dmi", NULL for none */

/* Never fails as a whole: each fact keeps its own rc and message. */
void ev_node_facts_gather(const struct ev_config *cfg, const struct ev_gather_opts *opts,
		     struct ev_node_facts *f);
void ev_node_facts_free(struct ev_node_facts *f);

/* Pure: same facts and config, same result. */
void ev_readiness_evaluate(const struct ev_config *cfg, const struct ev_node_facts *f,
			   struct ev_readiness *out);

const char *ev_status_name(enum ev_status s);   /* "ok", "warn", "FAIL", "skip" */

/* First failing check as one line, "ports: rdmap1s2 port 1 is DOWN" ("" if ready). */
void ev_readiness_reason(const struct ev_readiness *r, char *buf, size_t cap);

#endif
