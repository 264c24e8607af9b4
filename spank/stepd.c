/* The plugin in slurmstepd (remote context, root): judges the node before
 * the user's tasks start, injects the EFA environment into them, refuses
 * the step in enforce mode on a node that is not ready, keeps the finding
 * for the epilog, and says at step end what the step's traffic did. */
#include "config.h"

#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/resource.h>

#include "plugin.h"

#include "node/ev_boot_id.h"
#include "config/ev_config.h"
#include "node/ev_counters.h"
#include "node/ev_delta.h"
#include "node/ev_devices.h"
#include "judge/ev_env.h"
#include "aws/ev_imds_cache.h"
#include "ev_node_info.h"
#include "judge/ev_cause_counters.h"
#include "judge/ev_cause_env.h"
#include "judge/ev_cause_memlock.h"
#include "state/ev_findings.h"
#include "state/ev_notready.h"
#include "state/ev_placement_memo.h"
#include "aws/ev_placement.h"
#include "judge/ev_readiness.h"
#include "judge/ev_step_plan.h"
#include "record/ev_stepline.h"
#include "judge/ev_verdict.h"

/* Exit status of the tasks of a step refused in enforce mode. */
#define EV_EXIT_NOT_READY 1

struct site_config {                    /* the config file, read in slurmstepd */
	bool loaded;
	char error[EV_ERR_MAX + 64];    /* said in user_init, where the user sees it */
	struct ev_config file;
};

struct step {                           /* what slurmstepd found for this step */
	enum ev_mode effective_mode;
	char node[EV_NAME_MAX];
	char instance_type[EV_NAME_MAX];        /* "" when unknown */
	struct ev_step_plan plan;       /* readiness, placement, environment */
	/* The step's own traffic, for its end line (step_traffic_line). */
	bool counting;
	struct ev_snapshot start;
};

static struct {
	struct site_config config;
	struct step step;
} ctx;

void ev_stepd_reset(void)
{
	memset(&ctx, 0, sizeof(ctx));
	ev_container_reset();
}

static struct ev_stepd_view view(void)
{
	struct ev_stepd_view v = {
		.cfg = &ctx.config.file, .node = ctx.step.node, .mode = ctx.step.effective_mode,
		.plan = &ctx.step.plan, .instance_type = ctx.step.instance_type,
	};
	return v;
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
	path = ev_plugin.plugstack.config_path;
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

/* The node's facts, for the plan: the whole judgement (a libfabric probe)
 * when the plan needs it, else only what the environment needs (any EFA
 * device at all, the instance type): every step pays for that much. */
static void gather_node(struct ev_step_in *in, struct ev_node_facts *f, bool *any)
{
	struct ev_gather_opts opts = { .allow_imds_fetch = true, .fabric_cache = true };
	const struct ev_config *cfg = in->cfg;
	struct ev_err err = { "" };

	if (in->judged) {
		ev_node_facts_gather(cfg, &opts, f);
		return;
	}
	memset(f, 0, sizeof(*f));
	f->devices_rc = ev_devices_any(cfg->sysfs_root, any, &err);
	f->imds_rc = ev_imds_get(cfg, true, &f->imds, NULL, &err);
}

/* Nodes cannot see each other's IMDS, so each publishes its placement in its
 * own Slurm node record (Extra) and compares itself with one reference: the
 * job's first node (ev_nodes_sync_facts says why one is enough). The job's
 * nodes come from slurmctld's job record, named by the step's job id (from
 * the step's credential, not the environment): three small RPCs per node at
 * the job's first enforce step (the job, this node's record, the
 * reference's), none whose reply grows with the cluster, and an update once
 * per boot and half-day. Later steps take the first one's judgement
 * (state/ev_placement_memo.h).
 * Whether the reference's fact may be judged, and what it says, is the
 * plan's (ev_step_plan). */
#define EV_MAX_PEERS 1
static void gather_peers(spank_t sp, const struct ev_imds_info *imds, struct ev_peer *peers,
			 struct ev_step_peers *out)
{
	char facts[EV_PLACEMENT_FACTS_MAX], boot[EV_BOOT_ID_MAX], *nodes = NULL;
	struct ev_err err = { "" };
	uint32_t jobid = 0;
	int rc;

	memset(out, 0, sizeof(*out));
	out->peers = peers;
	out->now = (int64_t)time(NULL);
	if (ev_boot_id_read(NULL, boot, &err) != 0)
		goto unverified;
	if (ev_placement_facts_format(imds, boot, out->now, facts, sizeof(facts)) != 0) {
		ev_errf(&err, -EINVAL, "this node's facts cannot be written");
		goto unverified;
	}
	if (spank_get_item(sp, S_JOB_ID, &jobid) != ESPANK_SUCCESS) {
		ev_errf(&err, -ENOENT, "no job id");
		goto unverified;
	}
	if (ev_job_nodes(jobid, &nodes, &err) != 0)
		goto unverified;
	rc = ev_nodes_sync_facts(nodes, ctx.step.node, facts, peers, EV_MAX_PEERS, &out->n, &err);
	free(nodes);
	if (rc == 0)
		return;
unverified:
	out->n = 0;
	snprintf(out->unverified, sizeof(out->unverified), "%s", err.msg);
}

/* The RLIMIT_MEMLOCK the tasks will get. slurmstepd sets the tasks' limits
 * last, just before exec and after every SPANK hook: from its own (slurmd's,
 * which the tasks inherit) and, for a limit the cluster propagates (or the
 * user did with --propagate), the submitting srun's or sbatch's, which it
 * hands over in the step's SLURM_RLIMIT_MEMLOCK. It is the user's own
 * limit for the user's own job: the value is a number, never a path. */
static bool task_memlock(const char *const *job_env, uint64_t *out)
{
	static const char name[] = "SLURM_RLIMIT_MEMLOCK=";
	struct ev_limit_ask ask = { 0 };
	struct rlimit own;

	if (getrlimit(RLIMIT_MEMLOCK, &own) != 0)
		return false;
	for (size_t i = 0; job_env && job_env[i]; i++)
		if (strncmp(job_env[i], name, sizeof(name) - 1) == 0)
			ev_limit_ask_parse(job_env[i] + sizeof(name) - 1, &ask);
	*out = ev_memlock_task_limit(own.rlim_cur == RLIM_INFINITY ? EV_MEMLOCK_UNLIMITED : own.rlim_cur,
				     own.rlim_max == RLIM_INFINITY ? EV_MEMLOCK_UNLIMITED : own.rlim_max, &ask);
	return true;
}

/* Gather, then plan (lib/judge/ev_step_plan.h); the job's peers only when
 * the plan asks for them, which costs RPCs to slurmctld. */
static void plan_step(spank_t sp)
{
	struct ev_node_facts f;
	struct ev_versions sw;
	struct ev_peer peers[EV_MAX_PEERS];
	struct ev_step_peers job_peers;
	struct ev_err err = { "" };
	char **job_env = NULL;
	uint64_t memlock;
	struct ev_placement_memo memo;
	uint32_t jobid = 0;
	struct ev_step_in in = {
		.cfg = &ctx.config.file,
		.node = ctx.step.node,
		.mode = ctx.step.effective_mode,
		.facts = &f,
		.judged = ev_step_wants_judgement(ctx.step.effective_mode, ev_plugin.option.given,
						  ctx.config.file.record),
	};
	int rc;

	gather_node(&in, &f, &in.any_device);
	/* Only the two the plan needs, from their files (under 10 us; no
	 * library directory listing, no libfabric). */
	if (ev_versions_detect_some(in.cfg->software_root, in.cfg->sysfs_root, EV_ENV_SW_MASK, &sw, &err) == 0)
		in.env_versions = &sw;
	if (spank_get_item(sp, S_JOB_ENV, &job_env) == ESPANK_SUCCESS)
		in.job_env = (const char *const *)job_env;
	if (task_memlock(in.job_env, &memlock))
		in.memlock = &memlock;
	rc = ev_step_plan(&in, &ctx.step.plan, &err);
	if (rc == 0 && ctx.step.plan.wants_peers) {
		if (spank_get_item(sp, S_JOB_ID, &jobid) != ESPANK_SUCCESS)
			jobid = 0;
		if (jobid && ev_placement_memo_get(ctx.config.file.state_dir, jobid, &memo, &err) == 1) {
			in.placement_memo = &memo;
		} else {
			gather_peers(sp, &f.imds, peers, &job_peers);
			in.peers = &job_peers;
		}
		rc = ev_step_plan(&in, &ctx.step.plan, &err);
		if (rc == 0 && jobid && ctx.step.plan.placement_memo_new &&
		    ev_placement_memo_put(ctx.config.file.state_dir, jobid, &ctx.step.plan.placement_memo, &err) != 0)
			slurm_error(PFX "%s: the job's later steps will judge placement again: %s", ctx.step.node,
				    err.msg);
	}
	if (rc != 0)
		slurm_error(PFX "%s: %s", ctx.step.node, err.msg);
	if (ctx.step.plan.env_error[0])
		slurm_error(PFX "%s: environment not injected: %s", ctx.step.node, ctx.step.plan.env_error);
	{
		const char *t = ev_node_facts_instance_type(&f, NULL);

		snprintf(ctx.step.instance_type, sizeof(ctx.step.instance_type), "%s", t ? t : "");
	}
	ev_node_facts_free(&f);
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
		rc = ev_snapshot_take(&ctx.config.file, &devs, ev_job_counters, NULL, s, &err);
	ev_devices_free(&devs);
	return rc;
}

static void step_traffic_line(spank_t sp)
{
	struct ev_snapshot end = { 0 };
	struct ev_node_delta d = { 0 };
	struct ev_verdict_in in = { 0 };
	struct ev_node_verdict v;
	struct ev_causes causes;
	struct ev_err err = { "" };
	uint32_t nodes = 0;
	char line[1024];

	if (!ctx.step.counting || step_snapshot(&end) != 0 ||
	    ev_delta_compute(&ctx.step.start, &end, &d, &err) != 0)
		goto out;
	/* The step's nodes, as the verdict counts a job's: one node moves no
	 * inter-node traffic. */
	if (spank_get_item(sp, S_JOB_NNODES, &nodes) == ESPANK_SUCCESS)
		in.job_nodes = nodes;
	in.delta = &d;
	ev_verdict_decide(&ctx.config.file.verdict, &in, &v);
	/* Causes as the epilog names them: only for a step that is not ok. */
	causes = ctx.step.plan.causes;
	if (v.verdict != EV_V_OK && v.verdict != EV_V_NO_TRAFFIC)
		ev_causes_from_delta(&d, &causes);
	else
		causes.n = 0;
	if (ev_step_line(ctx.step.node, &d, &v, &causes, ctx.config.file.verdict.min_bytes, line, sizeof(line)))
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
	if (ev_notready_mark(ctx.config.file.state_dir, jobid, ctx.step.plan.reason, &err) != 0)
		slurm_error(PFX "%s: the not-ready finding will not reach the job record: %s", ctx.step.node, err.msg);
}

/* What the step's environment proves, for the job's record (the epilog
 * takes state_dir/findings/<job>): written by root, named by the job id
 * of the step's credential, its values encoded by ev_causes_format. */
static void keep_findings(spank_t sp)
{
	struct ev_err err = { "" };
	char line[EV_FINDINGS_LINE_MAX];
	uint32_t jobid = 0;

	if (!ctx.step.plan.causes.n || ev_causes_format(&ctx.step.plan.causes, line, sizeof(line)) != 0)
		return;
	if (spank_get_item(sp, S_JOB_ID, &jobid) != ESPANK_SUCCESS || !jobid)
		return;
	if (ev_findings_add(ctx.config.file.state_dir, jobid, line, &err) != 0)
		slurm_error(PFX "%s: the step's findings will not reach the job record: %s", ctx.step.node,
			    err.msg);
}

/* A step inside an sbatch/salloc job does not get the allocation's option
 * from srun; the job's SLURM_SPANK_EFA_VERIFY_MODE (set from the option by
 * sbatch/salloc) carries it. It is one of three words or ignored, like the
 * option itself. */
static void user_option_from_job(spank_t sp)
{
	char word[16];

	if (spank_getenv(sp, "SLURM_SPANK_EFA_VERIFY_MODE", word, sizeof(word)) == ESPANK_SUCCESS &&
	    ev_mode_parse(word, &ev_plugin.option.value) == 0)
		ev_plugin.option.given = true;
}

int ev_stepd_init_post_opt(spank_t sp)
{
	load_remote_config();
	if (!ctx.config.loaded)
		return 0;
	if (!ev_plugin.option.given)
		user_option_from_job(sp);
	ev_container_name(sp);
	ctx.step.effective_mode =
		ev_mode_resolve(&ev_plugin.option, &ev_plugin.plugstack.mode, ctx.config.file.mode);
	if (ctx.step.effective_mode == EV_MODE_OFF) {
		/* The record is kept anyway: it says whether the node was
		 * ready, with no environment, no refusal and no word to the
		 * step. */
		if (ctx.config.file.record == EV_RECORD_ALWAYS) {
			plan_step(sp);
			if (ctx.step.plan.record_not_ready)
				keep_not_ready(sp);
		}
		return 0;
	}
	plan_step(sp);
	keep_findings(sp);
	if ((ctx.step.plan.refuse && !ctx.step.plan.refuse_env) || ctx.step.plan.report_not_ready)
		keep_not_ready(sp);
	if (ev_plugin.option.given && ctx.step.plan.have_efa && !ctx.step.plan.refuse)
		ctx.step.counting = step_snapshot(&ctx.step.start) == 0;
	if (ctx.step.plan.refuse && !ctx.step.plan.refuse_env &&
	    ctx.config.file.on_not_ready == EV_NOT_READY_DRAIN) {
		struct ev_err err = { "" };

		if (ev_node_drain(ctx.step.node, ctx.step.plan.reason, &err) != 0)
			slurm_error(PFX "%s", err.msg);
	}
	return 0;
}

static void inject_env(spank_t sp)
{
	for (size_t i = 0; i < ctx.step.plan.env.n; i++) {
		const struct ev_env_var *v = &ctx.step.plan.env.vars[i];
		spank_err_t rc;

		if (ctx.step.plan.kept[i])
			continue;
		/* overwrite=0 keeps a value the user chose; force overrides it. */
		rc = spank_setenv(sp, v->name, v->value, v->force ? 1 : 0);

		if (rc != ESPANK_SUCCESS && rc != ESPANK_ENV_EXISTS)
			slurm_error(PFX "%s: cannot set %s: %s", ctx.step.node, v->name, spank_strerror(rc));
	}
}

int ev_stepd_user_init(spank_t sp)
{
	if (ctx.config.error[0]) {
		slurm_error(PFX "%s", ctx.config.error);
		return 0;
	}
	if (!ctx.config.loaded || ctx.step.effective_mode == EV_MODE_OFF)
		return 0;
	if (ctx.step.plan.refuse_env) {
		slurm_error(PFX "%s: step refused: its environment keeps EFA out: %s", ctx.step.node,
			    ctx.step.plan.reason);
		return -1;
	}
	if (ctx.step.plan.refuse) {
		slurm_error(PFX "%s not ready: %s", ctx.step.node, ctx.step.plan.reason);
		return -1;
	}
	/* Said before the program runs: its traffic will not use EFA. */
	for (size_t i = 0; i < ctx.step.plan.causes.n; i++) {
		const struct ev_cause *c = &ctx.step.plan.causes.c[i];
		char why[EV_STEP_WHY_MAX];

		if (c->certainty != EV_CAUSE_CERTAIN || !ev_cause_excludes_efa(c->name))
			continue;
		ev_cause_say(c, why, sizeof(why));
		slurm_error(PFX "%s: %s", ctx.step.node, why);
	}
	if (ctx.step.plan.have_efa)
		inject_env(sp);
	{
		struct ev_stepd_view v = view();

		ev_container_prepare(sp, &v);
	}
	return 0;
}

/* Slurm ignores an error returned by a plugin loaded as `optional`, which is
 * how efa-verify is meant to be loaded (a broken plugin must not stop jobs).
 * So enforce stops the step itself: each task of a node that is not ready
 * ends here, in the forked child, before the user's program is executed.
 * The reason was printed once for the node in user_init. */
int ev_stepd_task_init(spank_t sp)
{
	struct ev_stepd_view v = view();

	if (!ctx.config.loaded || ctx.step.effective_mode == EV_MODE_OFF)
		return 0;
	if (ctx.step.effective_mode == EV_MODE_ENFORCE && ctx.step.plan.refuse)
		_exit(EV_EXIT_NOT_READY);
	return ev_container_task(sp, &v);
}

int ev_stepd_task_exit(spank_t sp)
{
	struct ev_stepd_view v = view();
	int local_id = -1;

	if (ctx.config.loaded && ctx.step.effective_mode != EV_MODE_OFF)
		ev_container_collect(sp, &v, &ctx.step.plan.causes);
	if (!ctx.config.loaded || !ev_plugin.option.given || ctx.step.effective_mode == EV_MODE_OFF ||
	    ctx.step.plan.refuse)
		return 0;
	/* One line per node, not per task. */
	if (spank_get_item(sp, S_TASK_ID, &local_id) != ESPANK_SUCCESS || local_id != 0)
		return 0;
	if (!ctx.step.plan.have_efa)
		slurm_error(PFX "%s: no EFA device: this node's traffic cannot use EFA", ctx.step.node);
	else if (ctx.step.plan.report_not_ready)
		slurm_error(PFX "%s not ready (report mode, step not stopped): %s", ctx.step.node, ctx.step.plan.reason);
	else if (ctx.step.plan.n_warn)
		slurm_error(PFX "%s: %d warning%s: %s", ctx.step.node, ctx.step.plan.n_warn,
			    ctx.step.plan.n_warn == 1 ? "" : "s", ctx.step.plan.first_warn);
	step_traffic_line(sp);
	return 0;
}

void ev_stepd_exit(void)
{
	if (ctx.config.loaded)
		ev_config_free(&ctx.config.file);
	ctx.config.loaded = false;
	ev_snapshot_free(&ctx.step.start);
	ctx.step.counting = false;
	ev_container_reset();
}
