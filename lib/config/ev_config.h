/* efa-verify.yaml: every key with its default, parsed with libyaml.
 * Errors name file:line:column. No Slurm here. */
#ifndef EV_CONFIG_H
#define EV_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util/ev_err.h"
#include "config/ev_instances.h"
#include "config/ev_mode.h"
#include "util/ev_limits.h"

#define EV_URL_MAX 512
#define EV_IFNAME_MAX 16
#define EV_MAX_TCP_IFACES 32
#define EV_ENV_VALUE_MAX 256
#define EV_CONFIG_MAX_BYTES (1024 * 1024)  /* larger files: -EFBIG */

enum ev_check_id {
	EV_CHECK_DEVICES,
	EV_CHECK_PORTS,
	EV_CHECK_EFA_PROVIDER,
	EV_CHECK_PLACEMENT,
	EV_CHECK_VERSIONS,
	EV_CHECK__COUNT
};

enum ev_check_action { EV_ACTION_OFF, EV_ACTION_WARN, EV_ACTION_FAIL };

enum ev_on_not_ready { EV_NOT_READY_FAIL_STEP, EV_NOT_READY_DRAIN };

/* Whether a user's --efa-verify=off also stops the job record. */
enum ev_record_policy { EV_RECORD_FOLLOW_MODE, EV_RECORD_ALWAYS };
/* Who writes the job's record into accounting: the job's first node (it
 * needs slurmdbd), or efa-verify-epilog run by slurmctld as
 * EpilogSlurmctld, the nodes then only publishing their results. */
enum ev_record_writer { EV_WRITER_NODE, EV_WRITER_SLURMCTLD };
/* What a node's results in its Comment show to whoever reads it (every
 * user: `scontrol show node`): nothing but opaque words that only root
 * and SlurmUser can open, or the results in clear (record/ev_seal.h). */
enum ev_node_comment { EV_NODE_COMMENT_SEALED, EV_NODE_COMMENT_PLAIN };

/* The error-counter families whose growth the verdict judges, each against
 * its own rate (verdict.max_errors_per_gib.<name>). The kernel efa driver's
 * counter names; rdma_wr_err is rdma_read_wr_err and rdma_write_wr_err,
 * each judged on its own. */
enum ev_error_family {
	EV_ERRF_RX_DROPS,
	EV_ERRF_RETRANS_PKTS,
	EV_ERRF_RETRANS_TIMEOUT,
	EV_ERRF_UNRESPONSIVE_REMOTE,
	EV_ERRF_IMPAIRED_REMOTE,
	EV_ERRF_RDMA_WR_ERR,
	EV_ERRF__COUNT
};

struct ev_verdict_cfg {
	uint64_t min_bytes;            /* below this on both paths: no_traffic (default 1 MiB) */
	uint64_t efa_idle_bytes;       /* EFA below this counts as idle (default 1 MiB) */
	double tcp_fallback_fraction;  /* TCP share of inter-node bytes above this: tcp_fallback (0.5) */
	double idle_nic_fraction;      /* a NIC under this fraction of the busiest one is idle (0.01) */
	/* Error events per GiB of a device's EFA traffic above which the
	 * node is degraded; a device that moved less than 1 GiB is judged as
	 * if it had moved 1 GiB. Defaults and their basis: ev_config.c. */
	double max_errors_per_gib[EV_ERRF__COUNT];
};

struct ev_env_rule {
	char instance_type[EV_NAME_MAX];   /* "" = every instance type */
	char name[EV_NAME_MAX];
	char value[EV_ENV_VALUE_MAX];      /* "" with unset=true removes a built-in */
	bool force;                        /* overwrite what the user set */
	bool unset;
};

struct ev_config {
	char path[EV_PATH_MAX];            /* file it came from; "" = defaults only */
	enum ev_mode mode;
	char sysfs_root[EV_PATH_MAX];
	char state_dir[EV_PATH_MAX];
	char software_root[EV_PATH_MAX];   /* where versions are looked for; "/" */
	char imds_endpoint[EV_URL_MAX];
	long imds_timeout_ms;
	bool require_group;
	char expect_az[EV_NAME_MAX];       /* "" = not set */
	char expect_group[256];            /* "" = not set */
	/* tcp_source: interface. The job's TCP is then read from the TCP
	 * interfaces' counters, as where nftables cannot be used; the default
	 * (auto) counts the job's inter-node traffic in an nftables table. */
	bool tcp_source_interface;
	bool tcp_auto;                     /* tcp_interfaces: auto */
	char tcp_ifaces[EV_MAX_TCP_IFACES][EV_IFNAME_MAX];
	size_t n_tcp_ifaces;
	struct ev_verdict_cfg verdict;
	/* A task's RLIMIT_MEMLOCK below this is the memlock cause (0: not
	 * judged). Default 1 GiB: EFA's guidance is unlimited, and systemd's
	 * default of 8 MiB for slurmd is the limit most often met. */
	uint64_t memlock_min_bytes;
	bool env_builtin;                  /* start from the aws-ofi-nccl cheatsheet */
	bool env_fi_provider;              /* built-in FI_PROVIDER=efa (a default, not a rule) */
	bool nccl_debug;                   /* add NCCL_DEBUG=INFO */
	struct ev_env_rule *env_rules;     /* heap */
	size_t n_env_rules;
	struct ev_instance_type *instance_types; /* heap: built-ins, then overrides */
	size_t n_instance_types;
	enum ev_check_action checks[EV_CHECK__COUNT];
	enum ev_on_not_ready on_not_ready;
	char prometheus_textfile_dir[EV_PATH_MAX]; /* "" = unset */
	char log_path[EV_PATH_MAX];        /* "" = no log */
	/* How long the job's first node waits in its epilog for the other
	 * nodes' results before writing a record with what it has. */
	long record_wait_ms;
	/* How long a prolog spends delivering results earlier epilogs
	 * spooled, before the job starts; the rest waits for an epilog or
	 * `efa-verify flush`. */
	long prolog_deliver_ms;
	enum ev_record_policy record;
	enum ev_record_writer record_writer;
	enum ev_node_comment node_comment;
	/* A key that is still accepted but no longer does anything, as
	 * "FILE:LINE:COL: what to use instead" ("" = none): the binaries show
	 * it, the job goes on. */
	char deprecated[EV_ERR_MAX];
};

/* Defaults of every key. Allocates the instance table: pair with ev_config_free. */
int ev_config_defaults(struct ev_config *c, struct ev_err *err);

/* Defaults, then the file. -ENOENT (message says so) if the file is absent:
 * the caller decides whether an absent default file is fine.
 * Both loaders overwrite *c (free an earlier config first). On any error the
 * message is "FILE:LINE:COL: what" (or "FILE: what" for I/O and size) and
 * *c is left zeroed, so ev_config_free(c) is still safe. */
int ev_config_load_file(struct ev_config *c, const char *path, struct ev_err *err);

/* Defaults, then YAML text; name is used in error messages (file:line:col). */
int ev_config_load_string(struct ev_config *c, const char *name,
			  const char *yaml, size_t len, struct ev_err *err);

/* The config at path, %n expanded for nodename; absent_ok: a missing file
 * means all defaults (only the default path may be missing). On error *c
 * is freed. */
int ev_config_load_path(struct ev_config *c, const char *path, bool absent_ok, const char *nodename,
			struct ev_err *err);

/* The config a binary runs with: explicit_path (-c), else $EFA_VERIFY_CONFIG
 * from this process's own environment, else the default path, which may be
 * absent (all defaults). Then %n is expanded for nodename. */
int ev_config_load_default(struct ev_config *c, const char *explicit_path, const char *nodename,
			   struct ev_err *err);

/* Expand %n (Slurm node name) and %% in every path and URL value (call once:
 * a literal "%%" becomes "%"). All or nothing: on error no value changes;
 * -ENAMETOOLONG if a result does not fit. nodename
 * must be a plain host name ([A-Za-z0-9._-], no leading dot): it ends up in
 * paths opened as root. NULL nodename: %n is an error if used. */
int ev_config_expand(struct ev_config *c, const char *nodename, struct ev_err *err);

void ev_config_free(struct ev_config *c);

const char *ev_check_name(enum ev_check_id id);    /* config key */
const char *ev_error_family_name(enum ev_error_family f);   /* config key */
const char *ev_record_policy_name(enum ev_record_policy r);
const char *ev_record_writer_name(enum ev_record_writer w);
const char *ev_action_name(enum ev_check_action a);

/* The instance type entry for name in this config, or NULL. */
const struct ev_instance_type *ev_config_instance(const struct ev_config *c, const char *name);

/* True if s is a safe Slurm node / host name for use in a path component. */
bool ev_valid_nodename(const char *s);

#endif
