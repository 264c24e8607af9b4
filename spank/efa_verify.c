/* efa_verify.so: the SPANK side of efa-verify.
 *
 * srun/sbatch/salloc (local and allocator contexts, as the user): the
 * --efa-verify option, validated before any allocation, and handed to the
 * prolog/epilog as SPANK_EFA_VERIFY_MODE.
 * slurmstepd (remote context, root): on nodes with EFA devices, the EFA
 * environment goes into the tasks; in enforce mode the node's readiness is
 * judged before the user's tasks start and a node that is not ready fails the
 * step with one line saying why.
 *
 * Nothing the user controls reaches a path: the option takes three words,
 * the config comes from plugstack or the default path, never from the job's
 * environment. IMDS is read from the per-boot cache, so a step makes no IMDS
 * request once a node has asked once. */
#include "config.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "ev_slurm_compat.h"
#include <slurm/spank.h>

#include "ev_boot_id.h"
#include "ev_config.h"
#include "ev_counters.h"
#include "ev_delta.h"
#include "ev_devices.h"
#include "ev_env.h"
#include "ev_imds_cache.h"
#include "ev_node_info.h"
#include "ev_notready.h"
#include "ev_placement.h"
#include "ev_readiness.h"
#include "ev_stepline.h"
#include "ev_verdict.h"

SPANK_PLUGIN(efa_verify, 1);

#define PFX "efa-verify: "
/* Exit status of the tasks of a step refused in enforce mode. */
#define EV_EXIT_NOT_READY 1

static struct {
	bool opt_given;                 /* --efa-verify on the command line */
	enum ev_mode opt_mode;
	bool arg_mode_given;            /* mode= in plugstack */
	enum ev_mode arg_mode;
	char config_path[EV_PATH_MAX];
	/* remote */
	bool cfg_loaded;
	char cfg_error[EV_ERR_MAX + 64];   /* said in user_init, where the user sees it */
	struct ev_config cfg;
	enum ev_mode mode;
	char node[EV_NAME_MAX];
	bool have_efa;
	struct ev_env_plan env;
	bool not_ready;
	char reason[512];
	int n_warn;
	char first_warn[512];
	bool imds_ok;
	struct ev_imds_info imds;
	bool reported_not_ready;        /* report mode: said at step end */
} g;

static int parse_mode_arg(const char *optarg, enum ev_mode *m)
{
	/* Bare --efa-verify asks for the strict behaviour. sbatch hands a
	 * missing optional argument on to the job's steps as the text "(null)"
	 * (Slurm 22.05 prints the NULL into SLURM_SPANK_OPTION_*), so that is
	 * the bare form too. */
	if (!optarg || !*optarg || strcmp(optarg, "(null)") == 0) {
		*m = EV_MODE_ENFORCE;
		return 0;
	}
	return ev_mode_parse(optarg, m);
}

static int opt_cb(int val, const char *optarg, int remote)
{
	(void)val;
	if (parse_mode_arg(optarg, &g.opt_mode) != 0) {
		/* Never echo more than a bounded, printable prefix of user input. */
		char shown[33];
		size_t i;

		for (i = 0; optarg[i] && i < sizeof(shown) - 1; i++)
			shown[i] = (optarg[i] >= 0x20 && optarg[i] < 0x7f) ? optarg[i] : '?';
		shown[i] = '\0';
		slurm_error(PFX "invalid value '%s%s' for --efa-verify: valid values are off, report, enforce",
			    shown, optarg[i] ? "..." : "");
		return -1;
	}
	g.opt_given = true;
	(void)remote;
	return 0;
}

/* Registered from slurm_spank_init: an exported spank_options table would
 * not reach sbatch and salloc (allocator context). */
static struct spank_option efa_verify_option[] = {
	{ "efa-verify", "[off|report|enforce]",
	  "Check that this job's traffic uses EFA (efa-verify): report records it, "
	  "enforce also fails steps on nodes not ready, off does nothing. "
	  "Bare --efa-verify means enforce; without it the site default applies.",
	  2, 0, opt_cb },
	SPANK_OPTIONS_TABLE_END
};

static int parse_plugstack_args(int ac, char **av)
{
	snprintf(g.config_path, sizeof(g.config_path), "%s", EV_DEFAULT_CONFIG);
	for (int i = 0; i < ac; i++) {
		if (strncmp(av[i], "config=", 7) == 0) {
			if (av[i][7] != '/' || strlen(av[i] + 7) >= sizeof(g.config_path)) {
				slurm_error(PFX "plugstack: config= needs an absolute path");
				return -1;
			}
			snprintf(g.config_path, sizeof(g.config_path), "%s", av[i] + 7);
		} else if (strncmp(av[i], "mode=", 5) == 0) {
			if (ev_mode_parse(av[i] + 5, &g.arg_mode) != 0) {
				slurm_error(PFX "plugstack: mode=%s is not off, report or enforce", av[i] + 5);
				return -1;
			}
			g.arg_mode_given = true;
		} else {
			slurm_error(PFX "plugstack: unknown argument '%s' (known: config=PATH, mode=MODE)", av[i]);
			return -1;
		}
	}
	return 0;
}

int slurm_spank_init(spank_t sp, int ac, char **av)
{
	memset(&g, 0, sizeof(g));
	if (spank_option_register(sp, &efa_verify_option[0]) != ESPANK_SUCCESS) {
		slurm_error(PFX "cannot register --efa-verify");
		return -1;
	}
	return parse_plugstack_args(ac, av);
}

/* The Slurm node name slurmstepd runs for, from slurmstepd's own process
 * environment: slurmstepd sets SLURMD_NODENAME there from the name its
 * slurmd was configured with (slurmd -N, or the host's NodeName) while it
 * reads its configuration from slurmd, before any plugin is loaded
 * (_init_from_slurmd in Slurm 22.05, 24.11 and 26.05 alike). Nothing of the
 * job reaches that environment: the job's own variables (spank_getenv:
 * SLURMD_NODENAME, SLURM_STEP_NODELIST, SLURM_NODEID ...) are whatever the
 * user's srun or sbatch sent, and at this point still hold forged values
 * (tests/cluster/forged.sh). Several slurmd can share one host, so the host
 * name will not do. */
static int node_name(char *out, size_t cap)
{
	const char *h = getenv("SLURMD_NODENAME");

	if (!h || strlen(h) >= cap || !ev_valid_nodename(h))
		return -1;
	memcpy(out, h, strlen(h) + 1);
	return 0;
}

static void load_remote_config(void)
{
	struct ev_err err = { "" };
	int rc;

	if (node_name(g.node, sizeof(g.node)) != 0) {
		snprintf(g.cfg_error, sizeof(g.cfg_error),
			 "cannot tell this node's Slurm name; efa-verify is off for this step");
		return;
	}
	rc = ev_config_load_file(&g.cfg, g.config_path, &err);
	if (rc == -ENOENT && strcmp(g.config_path, EV_DEFAULT_CONFIG) == 0)
		rc = ev_config_defaults(&g.cfg, &err);
	if (rc == 0)
		rc = ev_config_expand(&g.cfg, g.node, &err);
	if (rc != 0) {
		/* The job runs: a broken config disables efa-verify, loudly. */
		snprintf(g.cfg_error, sizeof(g.cfg_error), "%s; efa-verify is off on %s", err.msg, g.node);
		ev_config_free(&g.cfg);
		return;
	}
	/* slurmd's log, not the user's terminal: it is the admin's to fix. */
	if (g.cfg.deprecated[0])
		slurm_info(PFX "%s", g.cfg.deprecated);
	g.cfg_loaded = true;
}

static void judge_node(void)
{
	struct ev_gather_opts opts = { .allow_imds_fetch = true, .fabric_cache = true };
	struct ev_node_facts f;
	bool any = false;
	struct ev_readiness r;
	struct ev_err err = { "" };

	/* The full judgement costs a libfabric probe: done when it can stop the
	 * step, or when the user asked with --efa-verify and will be told. */
	if (g.mode == EV_MODE_ENFORCE || g.opt_given) {
		ev_facts_gather(&g.cfg, &opts, &f);
		ev_readiness_evaluate(&g.cfg, &f, &r);
		ev_readiness_reason(&r, g.reason, sizeof(g.reason));
		if (g.mode == EV_MODE_ENFORCE)
			g.not_ready = !r.ready;
		else if (!r.ready)
			g.reported_not_ready = true;
		for (int i = 0; i < EV_CHECK__COUNT; i++) {
			if (r.checks[i].status != EV_ST_WARN)
				continue;
			if (!g.n_warn++)
				snprintf(g.first_warn, sizeof(g.first_warn), "%s: %s",
					 ev_check_name(r.checks[i].id), r.checks[i].summary);
		}
	} else {
		/* report: only what the environment needs (any EFA device at all,
		 * the instance type), no libfabric probe: every step pays this. */
		memset(&f, 0, sizeof(f));
		f.devices_rc = ev_devices_any(g.cfg.sysfs_root, &any, &err);
		f.imds_rc = ev_imds_get(&g.cfg, true, &f.imds, NULL, &err);
	}
	g.have_efa = f.devices_rc == 0 && (f.devices.n > 0 || any);
	g.imds_ok = f.imds_rc == 0;
	if (g.imds_ok)
		g.imds = f.imds;
	if (g.have_efa) {
		struct ev_versions sw;
		const struct ev_versions *vp;

		/* The versions decide FI_EFA_USE_DEVICE_RDMA: only the two the
		 * plan needs, from their files (under 10 us; no library directory
		 * listing, no libfabric). Read here even after a full judgement,
		 * whose versions may include the loaded libfabric's: report and
		 * enforce steps, and efa-verify check, must agree. */
		vp = ev_versions_detect_some(g.cfg.software_root, g.cfg.sysfs_root, EV_ENV_SW_MASK, &sw,
					     &err) == 0 ? &sw : NULL;
		if (ev_env_plan_build(&g.cfg, f.imds_rc == 0 ? f.imds.instance_type : NULL, vp, &g.env,
				      &err) != 0) {
			slurm_error(PFX "%s: environment not injected: %s", g.node, err.msg);
			g.env.n = 0;
		}
	}
	ev_facts_free(&f);
}

/* Nodes cannot see each other's IMDS, so each publishes its placement in its
 * own Slurm node record (Extra) and compares itself with one reference: the
 * job's first node (ev_nodes_sync_facts says why one is enough). The job's
 * nodes come from slurmctld's job record, named by the step's job id (from
 * the step's credential, not the environment): three small RPCs per node per
 * enforce step (the job, this node's record, the reference's), none whose
 * reply grows with the cluster, and an update once per boot and half-day.
 * A reference that has not published, or whose fact is from before its last
 * boot or too old (ev_facts_fresh), is not judged, and the step says so. */
#define EV_MAX_PEERS 1
/* Counted, and kept for the step's end line if it is the first warning. */
static void warn_once(const char *prefix, const char *what)
{
	if (!g.n_warn++)
		snprintf(g.first_warn, sizeof(g.first_warn), "%s%s", prefix, what);
}

static void judge_job_placement(spank_t sp)
{
	enum ev_check_action act = g.cfg.checks[EV_CHECK_PLACEMENT];
	char facts[EV_FACTS_MAX], why[512], boot[EV_BOOT_ID_MAX], *nodes = NULL;
	struct ev_peer self, *peers;
	struct ev_err err = { "" };
	uint32_t jobid = 0;
	int64_t now = (int64_t)time(NULL);
	size_t n = 0;

	if (!g.imds_ok || act == EV_ACTION_OFF)
		return;
	if (ev_boot_id_read(NULL, boot, &err) != 0) {
		warn_once("placement across nodes not verified: ", err.msg);
		return;
	}
	if (ev_facts_format(&g.imds, boot, now, facts, sizeof(facts)) != 0) {
		warn_once("placement across nodes not verified: ", "this node's facts cannot be written");
		return;
	}
	if (spank_get_item(sp, S_JOB_ID, &jobid) != ESPANK_SUCCESS) {
		warn_once("placement across nodes not verified: ", "no job id");
		return;
	}
	if (ev_job_nodes(jobid, &nodes, &err) != 0) {
		warn_once("placement across nodes not verified: ", err.msg);
		return;
	}
	peers = calloc(EV_MAX_PEERS, sizeof(*peers));
	if (!peers) {
		free(nodes);
		return;
	}
	if (ev_nodes_sync_facts(nodes, g.node, facts, peers, EV_MAX_PEERS, &n, &err) != 0) {
		warn_once("placement across nodes not verified: ", err.msg);
		goto out;
	}
	if (ev_placement_drop_stale(peers, n, now, EV_FACTS_MAX_AGE, why, sizeof(why)) > 0)
		warn_once("", why);
	memset(&self, 0, sizeof(self));
	snprintf(self.node, sizeof(self.node), "%s", g.node);
	ev_facts_parse(facts, &self);
	if (ev_placement_consistent(&self, peers, n, why, sizeof(why)) != 0) {
		if (act == EV_ACTION_FAIL) {
			g.not_ready = true;
			snprintf(g.reason, sizeof(g.reason), "placement: %s", why);
		} else {
			warn_once("placement: ", why);
		}
	}
out:
	free(peers);
	free(nodes);
}

/* The step's own traffic, for its end line: the job counters (what a
 * prolog reads, no IMDS) when slurmstepd sets the step up and when its
 * task 0 ends, both as root. A failure only leaves the line out. */
static struct ev_snapshot step_start;
static bool step_started;

static int step_snapshot(struct ev_snapshot *s)
{
	struct ev_device_list devs = { 0 };
	struct ev_err err = { "" };
	int rc = ev_devices_discover_names(g.cfg.sysfs_root, &devs, &err);

	if (rc == 0)
		rc = ev_snapshot_take(&g.cfg, &devs, ev_job_counters, s, &err);
	ev_devices_free(&devs);
	return rc;
}

static void step_traffic_line(spank_t sp)
{
	struct ev_snapshot end = { 0 };
	struct ev_node_delta d = { 0 };
	struct ev_verdict_in in = { 0 };
	struct ev_node_verdict v;
	struct ev_err err = { "" };
	uint32_t nodes = 0;
	char line[512];

	if (!step_started || step_snapshot(&end) != 0 || ev_delta_compute(&step_start, &end, &d, &err) != 0)
		goto out;
	/* The step's nodes, as the verdict counts a job's: one node moves no
	 * inter-node traffic. */
	if (spank_get_item(sp, S_JOB_NNODES, &nodes) == ESPANK_SUCCESS)
		in.job_nodes = nodes;
	in.delta = &d;
	ev_verdict_decide(&g.cfg.verdict, &in, &v);
	if (ev_step_line(g.node, &d, &v, g.cfg.verdict.min_bytes, line, sizeof(line)))
		slurm_error(PFX "%s", line);
out:
	ev_delta_free(&d);
	ev_snapshot_free(&end);
}

/* The node's verdict in the job record says what the step found: the
 * epilog takes this marker (state_dir/notready/<job>). Root writes it here,
 * in slurmstepd, under the config's state_dir (its %n is slurmstepd's own
 * node name) and the job id of the step's credential: nothing the user set
 * names the file. */
static void keep_not_ready(spank_t sp)
{
	struct ev_err err = { "" };
	uint32_t jobid = 0;

	if (spank_get_item(sp, S_JOB_ID, &jobid) != ESPANK_SUCCESS || !jobid) {
		slurm_error(PFX "%s: no job id: the not-ready finding will not reach the job record", g.node);
		return;
	}
	if (ev_notready_mark(g.cfg.state_dir, jobid, g.reason, &err) != 0)
		slurm_error(PFX "%s: the not-ready finding will not reach the job record: %s", g.node, err.msg);
}

int slurm_spank_init_post_opt(spank_t sp, int ac, char **av)
{
	(void)ac;
	(void)av;
	if (!spank_remote(sp)) {
		/* srun/sbatch/salloc: hand an explicit choice to the prolog and
		 * epilog (they see it as SPANK_EFA_VERIFY_MODE). */
		if (g.opt_given &&
		    spank_job_control_setenv(sp, "EFA_VERIFY_MODE", ev_mode_name(g.opt_mode), 1) != ESPANK_SUCCESS)
			slurm_error(PFX "cannot pass the mode to the prolog/epilog");
		return 0;
	}
	load_remote_config();
	if (!g.cfg_loaded)
		return 0;
	/* A step inside an sbatch/salloc job does not get the allocation's
	 * option from srun; the job's SLURM_SPANK_EFA_VERIFY_MODE (set from the
	 * option by sbatch/salloc) carries it. It is one of three words or
	 * ignored, like the option itself. */
	if (!g.opt_given) {
		char word[16];

		if (spank_getenv(sp, "SLURM_SPANK_EFA_VERIFY_MODE", word, sizeof(word)) == ESPANK_SUCCESS &&
		    ev_mode_parse(word, &g.opt_mode) == 0)
			g.opt_given = true;
	}
	g.mode = g.opt_given ? g.opt_mode : g.arg_mode_given ? g.arg_mode : g.cfg.mode;
	if (g.mode == EV_MODE_OFF)
		return 0;
	judge_node();
	if (g.mode == EV_MODE_ENFORCE && !g.not_ready)
		judge_job_placement(sp);
	if (g.not_ready || g.reported_not_ready)
		keep_not_ready(sp);
	if (g.opt_given && g.have_efa && !g.not_ready)
		step_started = step_snapshot(&step_start) == 0;
	if (g.not_ready && g.cfg.on_not_ready == EV_NOT_READY_DRAIN) {
		struct ev_err err = { "" };

		if (ev_node_drain(g.node, g.reason, &err) != 0)
			slurm_error(PFX "%s", err.msg);
	}
	return 0;
}

static void inject_env(spank_t sp)
{
	for (size_t i = 0; i < g.env.n; i++) {
		const struct ev_env_var *v = &g.env.vars[i];

		/* overwrite=0 keeps a value the user chose; force overrides it. */
		spank_err_t rc = spank_setenv(sp, v->name, v->value, v->force ? 1 : 0);

		if (rc != ESPANK_SUCCESS && rc != ESPANK_ENV_EXISTS)
			slurm_error(PFX "%s: cannot set %s: %s", g.node, v->name, spank_strerror(rc));
	}
}

int slurm_spank_user_init(spank_t sp, int ac, char **av)
{
	(void)ac;
	(void)av;
	if (!spank_remote(sp))
		return 0;
	if (g.cfg_error[0]) {
		slurm_error(PFX "%s", g.cfg_error);
		return 0;
	}
	if (!g.cfg_loaded || g.mode == EV_MODE_OFF)
		return 0;
	if (g.not_ready) {
		slurm_error(PFX "%s not ready: %s", g.node, g.reason);
		return -1;
	}
	if (g.have_efa)
		inject_env(sp);
	return 0;
}

/* Slurm ignores an error returned by a plugin loaded as `optional`, which is
 * how efa-verify is meant to be loaded (a broken plugin must not stop jobs).
 * So enforce stops the step itself: each task of a node that is not ready
 * ends here, in the forked child, before the user's program is executed.
 * The reason was printed once for the node in user_init. */
int slurm_spank_task_init(spank_t sp, int ac, char **av)
{
	(void)ac;
	(void)av;
	if (!spank_remote(sp) || !g.cfg_loaded || g.mode != EV_MODE_ENFORCE || !g.not_ready)
		return 0;
	_exit(EV_EXIT_NOT_READY);
}

int slurm_spank_task_exit(spank_t sp, int ac, char **av)
{
	int local_id = -1;

	(void)ac;
	(void)av;
	if (!spank_remote(sp) || !g.cfg_loaded || !g.opt_given || g.mode == EV_MODE_OFF || g.not_ready)
		return 0;
	/* One line per node, not per task. */
	if (spank_get_item(sp, S_TASK_ID, &local_id) != ESPANK_SUCCESS || local_id != 0)
		return 0;
	if (!g.have_efa)
		slurm_error(PFX "%s: no EFA device: this node's traffic cannot use EFA", g.node);
	else if (g.reported_not_ready)
		slurm_error(PFX "%s not ready (report mode, step not stopped): %s", g.node, g.reason);
	else if (g.n_warn)
		slurm_error(PFX "%s: %d warning%s: %s", g.node, g.n_warn, g.n_warn == 1 ? "" : "s",
			    g.first_warn);
	step_traffic_line(sp);
	return 0;
}

int slurm_spank_exit(spank_t sp, int ac, char **av)
{
	(void)sp;
	(void)ac;
	(void)av;
	if (g.cfg_loaded)
		ev_config_free(&g.cfg);
	g.cfg_loaded = false;
	ev_snapshot_free(&step_start);
	step_started = false;
	return 0;
}
