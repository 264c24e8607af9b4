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
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "ev_slurm_compat.h"
#include <slurm/spank.h>

#include "node/ev_boot_id.h"
#include "config/ev_config.h"
#include "node/ev_counters.h"
#include "node/ev_delta.h"
#include "node/ev_devices.h"
#include "judge/ev_env.h"
#include "aws/ev_imds_cache.h"
#include "config/ev_mode.h"
#include "ev_node_info.h"
#include "state/ev_notready.h"
#include "aws/ev_placement.h"
#include "util/ev_printable.h"
#include "judge/ev_readiness.h"
#include "record/ev_stepline.h"
#include "judge/ev_verdict.h"

SPANK_PLUGIN(efa_verify, 1);

#define PFX "efa-verify: "
/* Exit status of the tasks of a step refused in enforce mode. */
#define EV_EXIT_NOT_READY 1

/* The plugin's state, kept apart by where each part comes from (as pyxis's
 * plugin context keeps the user's arguments, its config and the job apart).
 * Three of them may give a mode: ctx.option.value (the user's),
 * ctx.plugstack.mode (the admin's plugstack line), ctx.config.file.mode (the
 * config file's). ev_mode_resolve (lib/config/ev_mode.h) picks the step's
 * effective_mode from them, and says why in that order. */
struct plugstack_args {                 /* the plugstack line: the admin's */
	char config_path[EV_PATH_MAX];
	struct ev_mode_choice mode;     /* mode= */
};

struct site_config {                    /* the config file, read in slurmstepd */
	bool loaded;
	char error[EV_ERR_MAX + 64];    /* said in user_init, where the user sees it */
	struct ev_config file;
};

struct step {                           /* what slurmstepd found for this step */
	enum ev_mode effective_mode;
	char node[EV_NAME_MAX];
	bool have_efa;
	struct ev_env_plan env;
	bool not_ready;                 /* enforce: the step is refused */
	bool reported_not_ready;        /* report: said at step end */
	char reason[512];
	int n_warn;
	char first_warn[512];
	bool imds_ok;
	struct ev_imds_info imds;
	/* The step's own traffic, for its end line (step_traffic_line). */
	bool counting;
	struct ev_snapshot start;
};

static struct {
	/* --efa-verify, the user's: from srun/sbatch/salloc, or in a step of
	 * an sbatch/salloc job, the allocation's (user_option_from_job). */
	struct ev_mode_choice option;
	struct plugstack_args plugstack;
	struct site_config config;
	struct step step;
} ctx;

static int opt_cb(int val, const char *arg, int remote)
{
	(void)val;
	if (ev_mode_parse_option(arg, &ctx.option.value) != 0) {
		/* Never echo more than a bounded, printable prefix of user input. */
		char shown[33];
		size_t i = ev_printable(shown, sizeof(shown), arg, SIZE_MAX);

		slurm_error(PFX "invalid value '%s%s' for --efa-verify: valid values are off, report, enforce",
			    shown, arg[i] ? "..." : "");
		return -1;
	}
	ctx.option.given = true;
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
	snprintf(ctx.plugstack.config_path, sizeof(ctx.plugstack.config_path), "%s", EV_DEFAULT_CONFIG);
	for (int i = 0; i < ac; i++) {
		if (strncmp(av[i], "config=", 7) == 0) {
			if (av[i][7] != '/' || strlen(av[i] + 7) >= sizeof(ctx.plugstack.config_path)) {
				slurm_error(PFX "plugstack: config= needs an absolute path");
				return -1;
			}
			snprintf(ctx.plugstack.config_path, sizeof(ctx.plugstack.config_path), "%s", av[i] + 7);
		} else if (strncmp(av[i], "mode=", 5) == 0) {
			if (ev_mode_parse(av[i] + 5, &ctx.plugstack.mode.value) != 0) {
				slurm_error(PFX "plugstack: mode=%s is not off, report or enforce", av[i] + 5);
				return -1;
			}
			ctx.plugstack.mode.given = true;
		} else {
			slurm_error(PFX "plugstack: unknown argument '%s' (known: config=PATH, mode=MODE)", av[i]);
			return -1;
		}
	}
	return 0;
}

int slurm_spank_init(spank_t sp, int ac, char **av)
{
	memset(&ctx, 0, sizeof(ctx));
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
	const char *path;

	if (node_name(ctx.step.node, sizeof(ctx.step.node)) != 0) {
		snprintf(ctx.config.error, sizeof(ctx.config.error),
			 "cannot tell this node's Slurm name; efa-verify is off for this step");
		return;
	}
	/* Only the default path may be absent (all defaults); the job's
	 * environment names no config here (EFA_VERIFY_CONFIG is a binary's). */
	path = ctx.plugstack.config_path;
	if (ev_config_load_path(&ctx.config.file, path, strcmp(path, EV_DEFAULT_CONFIG) == 0, ctx.step.node,
				&err) != 0) {
		/* The job runs: a broken config disables efa-verify, loudly. */
		snprintf(ctx.config.error, sizeof(ctx.config.error), "%s; efa-verify is off on %s", err.msg,
			 ctx.step.node);
		return;
	}
	/* slurmd's log, not the user's terminal: it is the admin's to fix. */
	if (ctx.config.file.deprecated[0])
		slurm_info(PFX "%s", ctx.config.file.deprecated);
	ctx.config.loaded = true;
}

static void judge_node(void)
{
	struct ev_gather_opts opts = { .allow_imds_fetch = true, .fabric_cache = true };
	struct ev_node_facts f;
	bool any = false;
	struct ev_readiness r;
	struct ev_err err = { "" };
	const struct ev_config *cfg = &ctx.config.file;
	struct step *st = &ctx.step;

	/* The full judgement costs a libfabric probe: done when it can stop the
	 * step, or when the user asked with --efa-verify and will be told. */
	if (st->effective_mode == EV_MODE_ENFORCE || ctx.option.given) {
		ev_node_facts_gather(cfg, &opts, &f);
		ev_readiness_evaluate(cfg, &f, &r);
		ev_readiness_reason(&r, st->reason, sizeof(st->reason));
		if (st->effective_mode == EV_MODE_ENFORCE)
			st->not_ready = !r.ready;
		else if (!r.ready)
			st->reported_not_ready = true;
		for (int i = 0; i < EV_CHECK__COUNT; i++) {
			if (r.checks[i].status != EV_ST_WARN)
				continue;
			if (!st->n_warn++)
				snprintf(st->first_warn, sizeof(st->first_warn), "%s: %s",
					 ev_check_name(r.checks[i].id), r.checks[i].summary);
		}
	} else {
		/* report: only what the environment needs (any EFA device at all,
		 * the instance type), no libfabric probe: every step pays this. */
		memset(&f, 0, sizeof(f));
		f.devices_rc = ev_devices_any(cfg->sysfs_root, &any, &err);
		f.imds_rc = ev_imds_get(cfg, true, &f.imds, NULL, &err);
	}
	st->have_efa = f.devices_rc == 0 && (f.devices.n > 0 || any);
	st->imds_ok = f.imds_rc == 0;
	if (st->imds_ok)
		st->imds = f.imds;
	if (st->have_efa) {
		struct ev_versions sw;
		const struct ev_versions *vp;

		/* The versions decide FI_EFA_USE_DEVICE_RDMA: only the two the
		 * plan needs, from their files (under 10 us; no library directory
		 * listing, no libfabric). Read here even after a full judgement,
		 * whose versions may include the loaded libfabric's: report and
		 * enforce steps, and efa-verify check, must agree. */
		vp = ev_versions_detect_some(cfg->software_root, cfg->sysfs_root, EV_ENV_SW_MASK, &sw, &err) == 0
			     ? &sw : NULL;
		if (ev_env_plan_build(cfg, f.imds_rc == 0 ? f.imds.instance_type : NULL, vp, &st->env, &err) != 0) {
			slurm_error(PFX "%s: environment not injected: %s", st->node, err.msg);
			st->env.n = 0;
		}
	}
	ev_node_facts_free(&f);
}

/* Nodes cannot see each other's IMDS, so each publishes its placement in its
 * own Slurm node record (Extra) and compares itself with one reference: the
 * job's first node (ev_nodes_sync_facts says why one is enough). The job's
 * nodes come from slurmctld's job record, named by the step's job id (from
 * the step's credential, not the environment): three small RPCs per node per
 * enforce step (the job, this node's record, the reference's), none whose
 * reply grows with the cluster, and an update once per boot and half-day.
 * A reference that has not published, or whose fact is from before its last
 * boot or too old (ev_placement_facts_fresh), is not judged, and the step says so. */
#define EV_MAX_PEERS 1
/* Counted, and kept for the step's end line if it is the first warning. */
static void warn_once(const char *prefix, const char *what)
{
	if (!ctx.step.n_warn++)
		snprintf(ctx.step.first_warn, sizeof(ctx.step.first_warn), "%s%s", prefix, what);
}

static void judge_job_placement(spank_t sp)
{
	enum ev_check_action act = ctx.config.file.checks[EV_CHECK_PLACEMENT];
	char facts[EV_PLACEMENT_FACTS_MAX], why[512], boot[EV_BOOT_ID_MAX], *nodes = NULL;
	struct ev_peer self, *peers;
	struct ev_err err = { "" };
	uint32_t jobid = 0;
	int64_t now = (int64_t)time(NULL);
	size_t n = 0;

	if (!ctx.step.imds_ok || act == EV_ACTION_OFF)
		return;
	if (ev_boot_id_read(NULL, boot, &err) != 0) {
		warn_once("placement across nodes not verified: ", err.msg);
		return;
	}
	if (ev_placement_facts_format(&ctx.step.imds, boot, now, facts, sizeof(facts)) != 0) {
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
	if (ev_nodes_sync_facts(nodes, ctx.step.node, facts, peers, EV_MAX_PEERS, &n, &err) != 0) {
		warn_once("placement across nodes not verified: ", err.msg);
		goto out;
	}
	if (ev_placement_drop_stale(peers, n, now, EV_PLACEMENT_FACTS_MAX_AGE, why, sizeof(why)) > 0)
		warn_once("", why);
	memset(&self, 0, sizeof(self));
	snprintf(self.node, sizeof(self.node), "%s", ctx.step.node);
	ev_placement_facts_parse(facts, &self);
	if (ev_placement_consistent(&self, peers, n, why, sizeof(why)) != 0) {
		if (act == EV_ACTION_FAIL) {
			ctx.step.not_ready = true;
			snprintf(ctx.step.reason, sizeof(ctx.step.reason), "placement: %s", why);
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
static int step_snapshot(struct ev_snapshot *s)
{
	struct ev_device_list devs = { 0 };
	struct ev_err err = { "" };
	int rc = ev_devices_discover_names(ctx.config.file.sysfs_root, &devs, &err);

	if (rc == 0)
		rc = ev_snapshot_take(&ctx.config.file, &devs, ev_job_counters, s, &err);
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

	if (!ctx.step.counting || step_snapshot(&end) != 0 ||
	    ev_delta_compute(&ctx.step.start, &end, &d, &err) != 0)
		goto out;
	/* The step's nodes, as the verdict counts a job's: one node moves no
	 * inter-node traffic. */
	if (spank_get_item(sp, S_JOB_NNODES, &nodes) == ESPANK_SUCCESS)
		in.job_nodes = nodes;
	in.delta = &d;
	ev_verdict_decide(&ctx.config.file.verdict, &in, &v);
	if (ev_step_line(ctx.step.node, &d, &v, ctx.config.file.verdict.min_bytes, line, sizeof(line)))
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
		slurm_error(PFX "%s: no job id: the not-ready finding will not reach the job record", ctx.step.node);
		return;
	}
	if (ev_notready_mark(ctx.config.file.state_dir, jobid, ctx.step.reason, &err) != 0)
		slurm_error(PFX "%s: the not-ready finding will not reach the job record: %s", ctx.step.node, err.msg);
}

/* A step inside an sbatch/salloc job does not get the allocation's option
 * from srun; the job's SLURM_SPANK_EFA_VERIFY_MODE (set from the option by
 * sbatch/salloc) carries it. It is one of three words or ignored, like the
 * option itself. */
static void user_option_from_job(spank_t sp)
{
	char word[16];

	if (spank_getenv(sp, "SLURM_SPANK_EFA_VERIFY_MODE", word, sizeof(word)) == ESPANK_SUCCESS &&
	    ev_mode_parse(word, &ctx.option.value) == 0)
		ctx.option.given = true;
}

int slurm_spank_init_post_opt(spank_t sp, int ac, char **av)
{
	(void)ac;
	(void)av;
	if (!spank_remote(sp)) {
		/* srun/sbatch/salloc: hand an explicit choice to the prolog and
		 * epilog (they see it as SPANK_EFA_VERIFY_MODE), and the
		 * plugstack line's mode= (SPANK_EFA_VERIFY_PLUGSTACK_MODE):
		 * they never read plugstack.conf, and a site that says mode=off
		 * there means the job's record too. */
		if (ctx.option.given &&
		    spank_job_control_setenv(sp, "EFA_VERIFY_MODE", ev_mode_name(ctx.option.value), 1) != ESPANK_SUCCESS)
			slurm_error(PFX "cannot pass the mode to the prolog/epilog");
		if (ctx.plugstack.mode.given &&
		    spank_job_control_setenv(sp, "EFA_VERIFY_PLUGSTACK_MODE", ev_mode_name(ctx.plugstack.mode.value),
					     1) != ESPANK_SUCCESS)
			slurm_error(PFX "cannot pass the plugstack mode= to the prolog/epilog");
		return 0;
	}
	load_remote_config();
	if (!ctx.config.loaded)
		return 0;
	if (!ctx.option.given)
		user_option_from_job(sp);
	ctx.step.effective_mode = ev_mode_resolve(&ctx.option, &ctx.plugstack.mode, ctx.config.file.mode);
	if (ctx.step.effective_mode == EV_MODE_OFF)
		return 0;
	judge_node();
	if (ctx.step.effective_mode == EV_MODE_ENFORCE && !ctx.step.not_ready)
		judge_job_placement(sp);
	if (ctx.step.not_ready || ctx.step.reported_not_ready)
		keep_not_ready(sp);
	if (ctx.option.given && ctx.step.have_efa && !ctx.step.not_ready)
		ctx.step.counting = step_snapshot(&ctx.step.start) == 0;
	if (ctx.step.not_ready && ctx.config.file.on_not_ready == EV_NOT_READY_DRAIN) {
		struct ev_err err = { "" };

		if (ev_node_drain(ctx.step.node, ctx.step.reason, &err) != 0)
			slurm_error(PFX "%s", err.msg);
	}
	return 0;
}

static void inject_env(spank_t sp)
{
	for (size_t i = 0; i < ctx.step.env.n; i++) {
		const struct ev_env_var *v = &ctx.step.env.vars[i];

		/* overwrite=0 keeps a value the user chose; force overrides it. */
		spank_err_t rc = spank_setenv(sp, v->name, v->value, v->force ? 1 : 0);

		if (rc != ESPANK_SUCCESS && rc != ESPANK_ENV_EXISTS)
			slurm_error(PFX "%s: cannot set %s: %s", ctx.step.node, v->name, spank_strerror(rc));
	}
}

int slurm_spank_user_init(spank_t sp, int ac, char **av)
{
	(void)ac;
	(void)av;
	if (!spank_remote(sp))
		return 0;
	if (ctx.config.error[0]) {
		slurm_error(PFX "%s", ctx.config.error);
		return 0;
	}
	if (!ctx.config.loaded || ctx.step.effective_mode == EV_MODE_OFF)
		return 0;
	if (ctx.step.not_ready) {
		slurm_error(PFX "%s not ready: %s", ctx.step.node, ctx.step.reason);
		return -1;
	}
	if (ctx.step.have_efa)
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
	if (!spank_remote(sp) || !ctx.config.loaded || ctx.step.effective_mode != EV_MODE_ENFORCE ||
	    !ctx.step.not_ready)
		return 0;
	_exit(EV_EXIT_NOT_READY);
}

int slurm_spank_task_exit(spank_t sp, int ac, char **av)
{
	int local_id = -1;

	(void)ac;
	(void)av;
	if (!spank_remote(sp) || !ctx.config.loaded || !ctx.option.given ||
	    ctx.step.effective_mode == EV_MODE_OFF || ctx.step.not_ready)
		return 0;
	/* One line per node, not per task. */
	if (spank_get_item(sp, S_TASK_ID, &local_id) != ESPANK_SUCCESS || local_id != 0)
		return 0;
	if (!ctx.step.have_efa)
		slurm_error(PFX "%s: no EFA device: this node's traffic cannot use EFA", ctx.step.node);
	else if (ctx.step.reported_not_ready)
		slurm_error(PFX "%s not ready (report mode, step not stopped): %s", ctx.step.node, ctx.step.reason);
	else if (ctx.step.n_warn)
		slurm_error(PFX "%s: %d warning%s: %s", ctx.step.node, ctx.step.n_warn,
			    ctx.step.n_warn == 1 ? "" : "s", ctx.step.first_warn);
	step_traffic_line(sp);
	return 0;
}

int slurm_spank_exit(spank_t sp, int ac, char **av)
{
	(void)sp;
	(void)ac;
	(void)av;
	if (ctx.config.loaded)
		ev_config_free(&ctx.config.file);
	ctx.config.loaded = false;
	ev_snapshot_free(&ctx.step.start);
	ctx.step.counting = false;
	return 0;
}
