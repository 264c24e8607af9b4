/* efa-verify.yaml: defaults, and loading a file or text into a config.
 *
 * The file is read by root (prolog, slurmstepd) and by users (srun), so the
 * parser is strict: every key is known, every value typed and bounded, and
 * each error names FILE:LINE:COL so an admin can fix it without guessing.
 * The keys: ev_config_keys.c; YAML: ev_yaml.c; %n: ev_config_expand.c. */
#include "config/ev_config.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config/ev_config_parse.h"
#include "util/ev_file.h"

#define CFG_MAX_BYTES EV_CONFIG_MAX_BYTES

bool ev_valid_nodename(const char *s)
{
	size_t n;

	if (!s)
		return false;
	n = strlen(s);
	if (n < 1 || n > 63 || s[0] == '.' || s[0] == '-')
		return false;
	for (size_t i = 0; i < n; i++) {
		unsigned char ch = (unsigned char)s[i];

		if (!isalnum(ch) && ch != '.' && ch != '_' && ch != '-')
			return false;
	}
	return true;
}

/* ------------------------------------------------------------ defaults */

int ev_config_defaults(struct ev_config *c, struct ev_err *err)
{
	const struct ev_instance_type *tab;
	size_t n;

	if (!c)
		return ev_errf(err, -EINVAL, "config: no config to fill");
	memset(c, 0, sizeof(*c));
	c->mode = EV_MODE_REPORT;
	snprintf(c->sysfs_root, sizeof(c->sysfs_root), "/sys");
	snprintf(c->state_dir, sizeof(c->state_dir), "/var/lib/efa-verify");
	snprintf(c->software_root, sizeof(c->software_root), "/");
	snprintf(c->imds_endpoint, sizeof(c->imds_endpoint), "http://169.254.169.254");
	c->imds_timeout_ms = 1000;
	c->record_wait_ms = 20000;
	c->prolog_deliver_ms = 2000;
	c->require_group = true;
	c->tcp_auto = true;
	c->verdict.min_bytes = 1024 * 1024;
	c->memlock_min_bytes = UINT64_C(1) << 30;
	c->verdict.efa_idle_bytes = 1024 * 1024;
	c->verdict.tcp_fallback_fraction = 0.5;
	c->verdict.idle_nic_fraction = 0.01;
	/* Error events per GiB of a device's EFA traffic. No public number
	 * exists for any of these: AWS's EFA monitoring guide and the efa
	 * driver say what each counter counts, and the SRD paper (Shalev et
	 * al., IEEE Micro 40(6), 2020) that SRD retransmits as part of normal
	 * operation, but none gives a rate a healthy job stays under. So these
	 * are ours, each a margin chosen by reasoning, not measured; the job
	 * log keeps every node's counters so a site can set its own. A GiB
	 * is at least 131,072 packets at EFA's 8 KiB MTU (more with smaller
	 * messages), so 1,000 retransmitted or dropped packets per GiB is
	 * 0.76 % of full-size packets: a judgement, not a measurement, meant
	 * to stay above what SRD retransmits in normal operation (it sprays a
	 * flow over many paths) and below a link that keeps losing packets. */
	c->verdict.max_errors_per_gib[EV_ERRF_RX_DROPS] = 1000;
	c->verdict.max_errors_per_gib[EV_ERRF_RETRANS_PKTS] = 1000;
	/* A timeout makes SRD change the packet's path: a handful per GiB is
	 * congestion, more is a path that keeps failing. */
	c->verdict.max_errors_per_gib[EV_ERRF_RETRANS_TIMEOUT] = 10;
	/* A peer that stopped answering, a connection marked impaired, a
	 * failed RDMA work request: a healthy job has none, so one per GiB
	 * (with the 1 GiB floor, the first one never trips a small job: a
	 * peer that exits while traffic is in flight may cause one). */
	c->verdict.max_errors_per_gib[EV_ERRF_UNRESPONSIVE_REMOTE] = 1;
	c->verdict.max_errors_per_gib[EV_ERRF_IMPAIRED_REMOTE] = 1;
	c->verdict.max_errors_per_gib[EV_ERRF_RDMA_WR_ERR] = 1;
	c->record = EV_RECORD_FOLLOW_MODE;
	c->record_writer = EV_WRITER_NODE;
	/* Safe under PrivateData=jobs, where a result in clear in a node's
	 * Comment would show every user other users' jobs. */
	c->node_comment = EV_NODE_COMMENT_SEALED;
	c->env_builtin = true;
	/* Only aws-ofi-nccl <= 1.5 needs FI_PROVIDER=efa, but with it libfabric
	 * fails loudly instead of quietly picking tcp or sockets: set it unless
	 * the admin says otherwise. */
	c->env_fi_provider = true;
	c->nccl_debug = false;
	for (int i = 0; i < EV_CHECK__COUNT; i++)
		c->checks[i] = EV_ACTION_FAIL;
	c->checks[EV_CHECK_VERSIONS] = EV_ACTION_WARN;
	c->on_not_ready = EV_NOT_READY_FAIL_STEP;
	snprintf(c->log_path, sizeof(c->log_path), "/var/log/efa-verify/jobs.jsonl");

	tab = ev_instances_builtin(&n);
	c->instance_types = calloc(n ? n : 1, sizeof(*c->instance_types));
	if (!c->instance_types)
		return ev_errf(err, -ENOMEM, "config: out of memory");
	memcpy(c->instance_types, tab, n * sizeof(*tab));
	c->n_instance_types = n;
	return 0;
}

void ev_config_free(struct ev_config *c)
{
	if (!c)
		return;
	free(c->env_rules);
	c->env_rules = NULL;
	c->n_env_rules = 0;
	free(c->instance_types);
	c->instance_types = NULL;
	c->n_instance_types = 0;
}

const struct ev_instance_type *ev_config_instance(const struct ev_config *c, const char *name)
{
	if (!c || !name || !*name)
		return NULL;
	return ev_instance_find(c->instance_types, c->n_instance_types, name);
}

/* ------------------------------------------------------------ loading */

static int parse_text(struct ev_config *c, const char *name, const char *text, size_t len,
		      struct ev_err *err)
{
	yaml_document_t doc;
	struct ev_cfg_parse p;
	int rc;

	if ((rc = ev_yaml_load(&doc, name, text, len, err)))
		return rc;
	memset(&p, 0, sizeof(p));
	p.y.name = name;
	p.y.doc = &doc;
	p.y.err = err;
	p.c = c;
	p.it_cap = c->n_instance_types;
	rc = ev_cfg_parse_doc(&p, yaml_document_get_root_node(&doc));
	yaml_document_delete(&doc);
	return rc;
}

int ev_config_load_string(struct ev_config *c, const char *name, const char *yaml, size_t len,
			  struct ev_err *err)
{
	int rc;

	if (!name || !*name)
		name = "<config>";
	/* Every failure leaves *c empty, so ev_config_free on it is safe. */
	if (c)
		memset(c, 0, sizeof(*c));
	if (!c || (!yaml && len))
		return ev_errf(err, -EINVAL, "%s: no config to load", name);
	if (len > CFG_MAX_BYTES)
		return ev_errf(err, -EFBIG, "%s: %zu bytes is larger than the %d byte limit for a config",
			       name, len, CFG_MAX_BYTES);
	if ((rc = ev_config_defaults(c, err)))
		return rc;
	if (strlen(name) >= sizeof(c->path)) {
		rc = ev_errf(err, -ENAMETOOLONG, "config file name is too long");
	} else {
		snprintf(c->path, sizeof(c->path), "%s", name);
		rc = parse_text(c, name, yaml ? yaml : "", len, err);
	}
	if (rc) {
		/* Never hand back half a config: the caller sees nothing loaded. */
		ev_config_free(c);
		memset(c, 0, sizeof(*c));
	}
	return rc;
}

int ev_config_load_file(struct ev_config *c, const char *path, struct ev_err *err)
{
	char *buf;
	long len;
	int rc;

	if (c)
		memset(c, 0, sizeof(*c));
	if (!c || !path || !*path)
		return ev_errf(err, -EINVAL, "config: no file name");
	if ((len = ev_file_read_alloc(path, CFG_MAX_BYTES, "a config", &buf, err)) < 0)
		return (int)len;
	rc = ev_config_load_string(c, path, buf, (size_t)len, err);
	free(buf);
	return rc;
}

int ev_config_load_path(struct ev_config *c, const char *path, bool absent_ok, const char *nodename,
			struct ev_err *err)
{
	int rc = ev_config_load_file(c, path, err);

	if (rc == -ENOENT && absent_ok)
		rc = ev_config_defaults(c, err);
	if (rc == 0)
		rc = ev_config_expand(c, nodename, err);
	if (rc != 0)
		ev_config_free(c);
	return rc;
}

int ev_config_load_default(struct ev_config *c, const char *explicit_path, const char *nodename,
			   struct ev_err *err)
{
	const char *path = explicit_path;

	if (!path || !*path)
		path = getenv("EFA_VERIFY_CONFIG");
	if (!path || !*path)
		return ev_config_load_path(c, EV_DEFAULT_CONFIG, true, nodename, err);
	return ev_config_load_path(c, path, false, nodename, err);
}
