/* efa-verify check: this node's readiness, as SPEC.md's "Node readiness". */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "judge/ev_env.h"
#include "util/ev_json.h"
#include "util/ev_opts.h"
#include "judge/ev_readiness.h"

static const char check_usage[] =
	"Usage: efa-verify check [--json] [--cached]\n"
	"\n"
	"Check this node: EFA devices and their count for the instance type, port\n"
	"state, libfabric's efa provider and rdma-core, placement group and\n"
	"availability zone from IMDSv2, software versions against the minimums;\n"
	"then the environment a job step would get here, and why.\n"
	"\n"
	"  --json     one JSON object on stdout\n"
	"  --cached   use only cached IMDS data; never contact IMDS\n"
	"\n"
	"Exit status: 0 ready, 1 not ready, 2 usage or config error.\n";

/* What the plugin would inject into a step's tasks on this node, built as
 * the plugin builds it: only on a node with EFA devices, from the versions
 * files say (not f->versions, which may hold the loaded libfabric's). */
static bool env_plan(const struct cli_ctx *ctx, const struct ev_node_facts *f, struct ev_env_plan *plan,
		     char *note, size_t cap)
{
	struct ev_versions sw;
	const struct ev_versions *vp;
	struct ev_err err = { "" };

	if (f->devices_rc != 0 || f->devices.n == 0) {
		snprintf(note, cap, "no EFA device here, so a step gets nothing");
		return false;
	}
	vp = ev_versions_detect_some(ctx->cfg.software_root, ctx->cfg.sysfs_root, EV_ENV_SW_MASK, &sw,
				     &err) == 0 ? &sw : NULL;
	if (ev_env_plan_build(&ctx->cfg, f->imds_rc == 0 ? f->imds.instance_type : NULL, vp, plan,
			      &err) != 0) {
		snprintf(note, cap, "not injected: %s", err.msg);
		return false;
	}
	note[0] = '\0';
	return true;
}

static void json_env(struct ev_json *j, const struct cli_ctx *ctx, const struct ev_node_facts *f)
{
	struct ev_env_plan *plan = calloc(1, sizeof(*plan));
	char note[EV_ERR_MAX + 32];
	bool ok;

	ev_json_obj_begin(j, "env");
	if (!plan) {
		ev_json_str(j, "note", "out of memory");
		ev_json_obj_end(j);
		return;
	}
	ok = env_plan(ctx, f, plan, note, sizeof(note));
	ev_json_str(j, "note", ok ? NULL : note);
	ev_json_arr_begin(j, "set");
	for (size_t i = 0; ok && i < plan->n; i++) {
		ev_json_obj_begin(j, NULL);
		ev_json_str(j, "name", plan->vars[i].name);
		ev_json_str(j, "value", plan->vars[i].value);
		ev_json_bool(j, "force", plan->vars[i].force);
		ev_json_str(j, "why", plan->vars[i].why);
		ev_json_obj_end(j);
	}
	ev_json_arr_end(j);
	ev_json_arr_begin(j, "not_set");
	for (size_t i = 0; ok && i < plan->n_skipped; i++) {
		ev_json_obj_begin(j, NULL);
		ev_json_str(j, "name", plan->skipped[i].name);
		ev_json_str(j, "why", plan->skipped[i].why);
		ev_json_obj_end(j);
	}
	ev_json_arr_end(j);
	ev_json_obj_end(j);
	free(plan);
}

static void print_env(const struct cli_ctx *ctx, const struct ev_node_facts *f)
{
	struct ev_env_plan *plan = calloc(1, sizeof(*plan));
	char note[EV_ERR_MAX + 32];

	if (!plan) {
		cli_error("out of memory");
		return;
	}
	if (!env_plan(ctx, f, plan, note, sizeof(note))) {
		printf("environment: %s\n", note);
		free(plan);
		return;
	}
	printf("environment a step gets%s (a variable the job sets itself is kept unless forced):\n",
	       ctx->cfg.mode == EV_MODE_OFF ? " with --efa-verify (mode is off)" : "");
	for (size_t i = 0; i < plan->n; i++)
		printf("  %-7s %s=%s (%s)\n", plan->vars[i].force ? "forced" : "set", plan->vars[i].name,
		       plan->vars[i].value, plan->vars[i].why);
	for (size_t i = 0; i < plan->n_skipped; i++)
		printf("  %-7s %s (%s)\n", "not set", plan->skipped[i].name, plan->skipped[i].why);
	if (!plan->n && !plan->n_skipped)
		printf("  nothing\n");
	free(plan);
}

static void print_json(const struct cli_ctx *ctx, const struct ev_node_facts *f,
		       const struct ev_readiness *r)
{
	struct ev_json j;
	int rc;

	cli_json_begin(&j);
	ev_json_str(&j, "node", ctx->nodename);
	ev_json_bool(&j, "ready", r->ready);
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
	json_env(&j, ctx, f);
	if ((rc = cli_json_print(&j)))
		cli_error("writing JSON: %s", strerror(-rc));
}

static void print_human(const struct cli_ctx *ctx, const struct ev_node_facts *f,
			const struct ev_readiness *r)
{
	int fails = 0, warns = 0;

	if (f->imds_rc == 0)
		printf("node %s: %s, %s, %s%s\n", ctx->nodename, f->imds.instance_type,
		       f->imds.availability_zone,
		       f->imds.in_group ? "placement group " : "no placement group",
		       f->imds.in_group ? f->imds.placement_group : "");
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
	print_env(ctx, f);
}

int cmd_check(struct cli_ctx *ctx, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "cached", no_argument, NULL, 'C' },
		EV_OPTS_HELP_END,
	};
	struct ev_gather_opts gopts = { .allow_imds_fetch = true };
	struct ev_node_facts facts;
	struct ev_readiness r;
	bool json = false;
	int c;

	optind = 0;   /* 0: glibc re-initialises, dropping main's "+" ordering */
	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case 'j': json = true; break;
		case 'C': gopts.allow_imds_fetch = false; break;
		case 'h': fputs(check_usage, stdout); return 0;
		default: fputs(check_usage, stderr); return EXIT_USAGE;
		}
	}
	if (optind < argc) {
		cli_error("check: unexpected argument '%.64s'", argv[optind]);
		return EXIT_USAGE;
	}
	ev_node_facts_gather(&ctx->cfg, &gopts, &facts);
	ev_readiness_evaluate(&ctx->cfg, &facts, &r);
	if (json)
		print_json(ctx, &facts, &r);
	else
		print_human(ctx, &facts, &r);
	ev_node_facts_free(&facts);
	return r.ready ? EXIT_READY : EXIT_NOT_READY;
}
