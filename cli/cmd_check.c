/* efa-verify check: this node's readiness, and the plan a job step gets
 * here (lib/judge/ev_step_plan.h), the same the plugin applies. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "util/ev_json.h"
#include "util/ev_opts.h"
#include "judge/ev_step_plan.h"

static const char check_usage[] =
	"Usage: efa-verify check [--json] [--cached]\n"
	"       efa-verify check --root DIR [--type TYPE] [--json] [--cached]\n"
	"\n"
	"Check this node: EFA devices and their count for the instance type, port\n"
	"state, libfabric's efa provider and rdma-core, placement group and\n"
	"availability zone from IMDSv2, software versions against the minimums;\n"
	"then the environment a job step would get here, and why.\n"
	"\n"
	"With --root, check a container image unpacked in DIR instead, as a step\n"
	"in it would run on TYPE: libfabric with its efa provider, libefa, the EFA\n"
	"installer, aws-ofi-nccl, NCCL and CUDA against TYPE's minimums, the\n"
	"causes the image gives, and the environment it would get. Links in DIR\n"
	"resolve inside it, as in the container.\n"
	"\n"
	"  --json        one JSON object on stdout\n"
	"  --cached      use only cached IMDS data; never contact IMDS\n"
	"  --root DIR    check the image unpacked in DIR, not this node\n"
	"  --type TYPE   the instance type to judge the image for (default: this\n"
	"                machine's, from IMDS or DMI)\n"
	"\n"
	"Exit status: 0 ready, 1 not ready, 2 usage or config error. An image is\n"
	"not ready when it certainly lacks EFA (no libfabric with the efa provider,\n"
	"no libefa) or a component is below TYPE's minimum.\n"
	CLI_GLOBAL_HELP;

/* Why the plan sets nothing: NULL when it sets what it lists. */
static const char *env_note(const struct ev_step_plan *p, char *note, size_t cap)
{
	if (!p->have_efa)
		return "no EFA device here, so a step gets nothing";
	if (p->env_error[0]) {
		snprintf(note, cap, "not injected: %s", p->env_error);
		return note;
	}
	return NULL;
}

static void json_env(struct ev_json *j, const struct ev_step_in *in, const struct ev_step_plan *p)
{
	char buf[EV_ERR_MAX + 32];
	const char *note = env_note(p, buf, sizeof(buf));

	ev_json_obj_begin(j, "env");
	ev_json_str(j, "note", note);
	ev_json_arr_begin(j, "set");
	for (size_t i = 0; i < p->env.n; i++) {
		ev_json_obj_begin(j, NULL);
		ev_json_str(j, "name", p->env.vars[i].name);
		ev_json_str(j, "value", ev_step_env_value(in, p, i));
		ev_json_bool(j, "force", p->env.vars[i].force);
		ev_json_bool(j, "kept", p->kept[i]);
		ev_json_str(j, "why", p->env.vars[i].why);
		ev_json_obj_end(j);
	}
	ev_json_arr_end(j);
	ev_json_arr_begin(j, "not_set");
	for (size_t i = 0; i < p->env.n_skipped; i++) {
		ev_json_obj_begin(j, NULL);
		ev_json_str(j, "name", p->env.skipped[i].name);
		ev_json_str(j, "why", p->env.skipped[i].why);
		ev_json_obj_end(j);
	}
	ev_json_arr_end(j);
	ev_json_obj_end(j);
}

static void print_env(const struct cli_ctx *ctx, const struct ev_step_in *in, const struct ev_step_plan *p)
{
	char buf[EV_ERR_MAX + 32];
	const char *note = env_note(p, buf, sizeof(buf));

	if (note) {
		printf("environment: %s\n", note);
		return;
	}
	printf("environment a step gets%s (a variable the job sets itself is kept unless forced):\n",
	       ctx->cfg.mode == EV_MODE_OFF ? " with --efa-verify (mode is off)" : "");
	for (size_t i = 0; i < p->env.n; i++) {
		const struct ev_env_var *v = &p->env.vars[i];

		if (p->kept[i])
			printf("  %-7s %s=%s (set here, so kept; else %s: %s)\n", "kept", v->name,
			       ev_step_env_value(in, p, i), v->value, v->why);
		else
			printf("  %-7s %s=%s (%s)\n", v->force ? "forced" : "set", v->name, v->value, v->why);
	}
	for (size_t i = 0; i < p->env.n_skipped; i++)
		printf("  %-7s %s (%s)\n", "not set", p->env.skipped[i].name, p->env.skipped[i].why);
	if (!p->env.n && !p->env.n_skipped)
		printf("  nothing\n");
}

static void print_json(const struct cli_ctx *ctx, const struct ev_step_in *in, const struct ev_step_plan *p)
{
	const struct ev_node_facts *f = in->facts;
	const struct ev_readiness *r = &p->readiness;
	enum ev_itype_source src;
	struct ev_json j;
	int rc;

	cli_json_begin(&j);
	ev_json_str(&j, "node", ctx->nodename);
	ev_json_bool(&j, "ready", r->ready);
	/* IMDS's, else DMI's where IMDS did not answer: the checks and the
	 * environment judged by it either way. */
	ev_json_str(&j, "instance_type", ev_node_facts_instance_type(f, &src));
	ev_json_str(&j, "instance_type_source", ev_itype_source_name(src));
	ev_json_obj_begin(&j, "imds");
	ev_json_bool(&j, "ok", f->imds_rc == 0);
	ev_json_bool(&j, "cached", f->imds_rc == 0 && f->imds_cached);
	ev_json_str(&j, "error", f->imds_rc ? f->imds_err : NULL);
	ev_json_str(&j, "instance_id", f->imds_rc ? NULL : f->imds.instance_id);
	ev_json_str(&j, "instance_type", f->imds_rc ? NULL : f->imds.instance_type);
	ev_json_str(&j, "availability_zone", f->imds_rc ? NULL : f->imds.availability_zone);
	ev_json_str(&j, "placement_group",
		    f->imds_rc == 0 && f->imds.in_group ? f->imds.placement_group : NULL);
	ev_json_obj_end(&j);
	ev_json_arr_begin(&j, "checks");
	for (int i = 0; i < EV_CHECK__COUNT; i++) {
		const struct ev_check_result *c = &r->checks[i];

		ev_json_obj_begin(&j, NULL);
		ev_json_str(&j, "name", ev_check_name(c->id));
		ev_json_str(&j, "status", c->status == EV_ST_FAIL ? "fail" : ev_status_name(c->status));
		ev_json_str(&j, "summary", c->summary);
		ev_json_str(&j, "fix", c->fix[0] ? c->fix : NULL);
		ev_json_obj_end(&j);
	}
	ev_json_arr_end(&j);
	ev_json_arr_begin(&j, "devices");
	for (size_t i = 0; i < f->devices.n; i++) {
		const struct ev_device *d = &f->devices.devs[i];

		ev_json_obj_begin(&j, NULL);
		ev_json_str(&j, "name", d->name);
		ev_json_str(&j, "pci", d->pci_addr);
		ev_json_str(&j, "state", d->port_state_name[0] ? d->port_state_name : NULL);
		ev_json_str(&j, "rate", d->link_rate[0] ? d->link_rate : NULL);
		ev_json_obj_end(&j);
	}
	ev_json_arr_end(&j);
	ev_json_obj_begin(&j, "versions");
	for (int i = 0; i < EV_SW__COUNT; i++)
		ev_json_str(&j, ev_sw_name(i), f->versions.sw[i].present ? f->versions.sw[i].version : NULL);
	ev_json_obj_end(&j);
	json_env(&j, in, p);
	if ((rc = cli_json_print(&j)))
		cli_error("writing JSON: %s", strerror(-rc));
}

static void print_human(const struct cli_ctx *ctx, const struct ev_step_in *in, const struct ev_step_plan *p)
{
	const struct ev_node_facts *f = in->facts;
	const struct ev_readiness *r = &p->readiness;
	int fails = 0, warns = 0;

	if (f->imds_rc == 0)
		printf("node %s: %s, %s, %s%s\n", ctx->nodename, f->imds.instance_type,
		       f->imds.availability_zone,
		       f->imds.in_group ? "placement group " : "no placement group",
		       f->imds.in_group ? f->imds.placement_group : "");
	else if (ev_node_facts_instance_type(f, NULL))
		printf("node %s: %s (instance type from DMI; IMDS: %s)\n", ctx->nodename,
		       ev_node_facts_instance_type(f, NULL), f->imds_err);
	else
		printf("node %s: instance unknown (IMDS: %s)\n", ctx->nodename, f->imds_err);
	for (int i = 0; i < EV_CHECK__COUNT; i++) {
		const struct ev_check_result *c = &r->checks[i];

		printf("  %-5s %-13s %s\n", ev_status_name(c->status), ev_check_name(c->id), c->summary);
		if (c->fix[0] && (c->status == EV_ST_FAIL || c->status == EV_ST_WARN))
			printf("  %-5s %-13s fix: %s\n", "", "", c->fix);
		fails += c->status == EV_ST_FAIL;
		warns += c->status == EV_ST_WARN;
	}
	printf("%s (%d failed, %d warning%s)\n", r->ready ? "READY" : "NOT READY", fails, warns,
	       warns == 1 ? "" : "s");
	print_env(ctx, in, p);
}

/* main reads it too, to tell this command's options from the global ones (cli.h). */
const struct option cmd_check_opts[] = {
	{ "json", no_argument, NULL, 'j' },
	{ "cached", no_argument, NULL, 'C' },
	{ "root", required_argument, NULL, 'r' },
	{ "type", required_argument, NULL, 't' },
	EV_OPTS_HELP_END,
};

int cmd_check(struct cli_ctx *ctx, int argc, char **argv)
{
	struct ev_gather_opts gopts = { .allow_imds_fetch = true };
	struct ev_node_facts facts;
	struct ev_versions sw;
	struct ev_step_plan *plan;
	struct ev_err err = { "" };
	struct ev_step_in in = { .facts = &facts, .judged = true };
	const char *root = NULL, *type = NULL;
	bool json = false, ready;
	int c;

	optind = 0;   /* 0: glibc re-initialises, dropping main's "+" ordering */
	while ((c = getopt_long(argc, argv, "h", cmd_check_opts, NULL)) != -1) {
		switch (c) {
		case 'j': json = true; break;
		case 'C': gopts.allow_imds_fetch = false; break;
		case 'r': root = optarg; break;
		case 't': type = optarg; break;
		case 'h': fputs(check_usage, stdout); return 0;
		default: fputs(check_usage, stderr); return EXIT_USAGE;
		}
	}
	if (optind < argc) {
		cli_error("check: unexpected argument '%.64s'", argv[optind]);
		return EXIT_USAGE;
	}
	if (root)
		return check_root(ctx, root, type, json, !gopts.allow_imds_fetch);
	if (type) {
		cli_error("check: --type is for --root DIR (a node is judged for its own type)");
		return EXIT_USAGE;
	}
	/* As the plugin gathers for a step it judges: every fact, and the
	 * environment's versions from their files. This process's environment
	 * stands for the job's: srun hands the caller's on to the tasks. */
	in.cfg = &ctx->cfg;
	in.node = ctx->nodename;
	/* Where the site's mode is off: a step with --efa-verify. */
	in.mode = ctx->cfg.mode == EV_MODE_OFF ? EV_MODE_ENFORCE : ctx->cfg.mode;
	in.job_env = (const char *const *)environ;
	ev_node_facts_gather(&ctx->cfg, &gopts, &facts);
	if (ev_versions_detect_some(ctx->cfg.software_root, ctx->cfg.sysfs_root, EV_ENV_SW_MASK, &sw, &err) == 0)
		in.env_versions = &sw;
	plan = calloc(1, sizeof(*plan));
	if (!plan || ev_step_plan(&in, plan, &err) != 0) {
		cli_error("check: %s", plan ? err.msg : "out of memory");
		ev_node_facts_free(&facts);
		free(plan);
		return EXIT_USAGE;
	}
	if (json)
		print_json(ctx, &in, plan);
	else
		print_human(ctx, &in, plan);
	ready = plan->readiness.ready;
	free(plan);
	ev_node_facts_free(&facts);
	return ready ? EXIT_READY : EXIT_NOT_READY;
}
