/* efa-verify check --root DIR: a container image, unpacked, judged for an
 * instance type as a step in it would be: its EFA software against the
 * type's minimums, libfabric's efa provider and libefa, the causes a step
 * in it would name, and the environment it would get. Everything under
 * DIR is read confined to it (lib/util/ev_rootfs.h).
 *
 * Not ready: a cause the image certainly gives (no libfabric with the efa
 * provider, no libefa), or a component below the type's minimum. A
 * component the image lacks is a warning: a site may add it at run time
 * (a module, a bind mount). The NVIDIA driver is the host's, never the
 * image's, and is not judged here. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "util/ev_printable.h"
#include "container/ev_image.h"
#include "aws/ev_dmi.h"
#include "aws/ev_imds.h"
#include "aws/ev_imds_cache.h"
#include "judge/ev_cause_container.h"
#include "judge/ev_cause_versions.h"
#include "judge/ev_env.h"
#include "judge/ev_readiness.h"

/* One line of the report: as check's, a name, a status, what was found and
 * what to do. */
struct line {
	const char *name;
	enum ev_status status;
	char summary[256];
	const char *fix;
};

/* The efa provider, libefa, then each component in ev_sw order. */
#define LINES (2 + EV_SW__COUNT)

struct judged {
	const char *root;
	char root_shown[EV_PATH_MAX];
	const struct ev_instance_type *it;
	const char *type_source;       /* "option", "imds", "dmi" */
	char type_found[EV_NAME_MAX];  /* this machine's, without --type */
	struct ev_image_facts facts;
	char note[EV_ERR_MAX];         /* what could not be judged */
	struct line lines[LINES];
	struct ev_causes causes;
	struct ev_env_plan plan;
	char env_error[EV_ERR_MAX];
	bool ready;
};

/* The type: --type's, else the node's own, as check finds it (IMDS, its
 * cache first, then DMI). 0, or EXIT_USAGE with the message said. */
static int instance_type(const struct cli_ctx *ctx, const char *opt, bool cached, struct judged *j)
{
	char *found = j->type_found;
	struct ev_imds_info m;
	struct ev_err err = { "" };
	char shown[EV_NAME_MAX + 8];
	const char *name = opt;

	j->type_source = "option";
	if (!name) {
		if (ev_imds_get(&ctx->cfg, !cached, &m, NULL, &err) == 0) {
			snprintf(found, sizeof(j->type_found), "%s", m.instance_type);
			j->type_source = "imds";
		} else if (ev_dmi_instance_type(ctx->cfg.sysfs_root, found, sizeof(j->type_found), NULL) == 0) {
			j->type_source = "dmi";
		} else {
			cli_error("check --root: this machine's instance type is unknown (IMDS: %s; DMI names none): "
				  "give --type TYPE", err.msg);
			return EXIT_USAGE;
		}
		name = found;
	}
	ev_printable(shown, sizeof(shown), name, EV_NAME_MAX);
	if (!ev_imds_instance_type_ok(name)) {
		cli_error("check --type: '%s' is not an instance type name (such as p5.48xlarge)", shown);
		return EXIT_USAGE;
	}
	if (!(j->it = ev_config_instance(&ctx->cfg, name))) {
		cli_error("check --root: %s%s is not an EFA instance type efa-verify knows (the built-in table and "
			  "the config's instance_types, efa-verify.yaml(5))%s",
			  shown, opt ? "" : " (this machine's)", opt ? "" : ": give --type TYPE");
		return EXIT_USAGE;
	}
	return 0;
}

static void say(struct line *l, const char *name, enum ev_status st, const char *fix, const char *fmt, ...)
	__attribute__((format(printf, 5, 6)));
static void say(struct line *l, const char *name, enum ev_status st, const char *fix, const char *fmt, ...)
{
	va_list ap;

	l->name = name;
	l->status = st;
	l->fix = fix;
	va_start(ap, fmt);
	vsnprintf(l->summary, sizeof(l->summary), fmt, ap);
	va_end(ap);
}

static void judge(struct judged *j)
{
	const struct ev_image_facts *f = &j->facts;
	const char *provider_fix = ev_cause_fix(EV_CAUSE_NO_EFA_PROVIDER_IN_CONTAINER);
	struct line *l = j->lines;

	switch (f->fabric) {
	case EV_FABRIC_EFA:
		say(l++, "efa_provider", EV_ST_OK, NULL, "libfabric has the efa provider");
		break;
	case EV_FABRIC_NO_EFA:
		say(l++, "efa_provider", EV_ST_FAIL, provider_fix, "libfabric without the efa provider");
		break;
	case EV_FABRIC_NONE:
		say(l++, "efa_provider", EV_ST_FAIL, provider_fix,
		    "no libfabric.so.1 where the loader looks (/opt/amazon/efa/lib{,64}, /usr/local/lib, /usr/lib...)");
		break;
	default:
		say(l++, "efa_provider", EV_ST_WARN, NULL, "libfabric not judged: %s", j->note);
		break;
	}
	if (f->libefa)
		say(l++, "libefa", EV_ST_OK, NULL, "rdma-core's libefa.so.1");
	else
		say(l++, "libefa", EV_ST_FAIL, provider_fix, "no rdma-core libefa.so.1 where the loader looks");
	for (int i = 0; i < EV_SW__COUNT; i++) {
		const struct ev_sw_version *v = &f->sw.sw[i];
		const char *min = j->it->min_version[i], *name = ev_sw_name((enum ev_sw)i);

		if (i == EV_SW_NVIDIA_DRIVER)
			say(l++, name, EV_ST_SKIP, NULL, "the host's, not the image's");
		else if (ev_version_short(v, min))
			say(l++, name, EV_ST_FAIL, ev_cause_fix(EV_CAUSE_VERSIONS), "%s, below %s's minimum %s",
			    v->version, j->it->name, min);
		else if (v->present && min[0])
			say(l++, name, EV_ST_OK, NULL, "%s (minimum %s)", v->version, min);
		else if (v->present)
			say(l++, name, EV_ST_OK, NULL, "%s", v->version);
		else if (min[0])
			say(l++, name, EV_ST_WARN, NULL, "not found (minimum %s)", min);
		else
			say(l++, name, EV_ST_SKIP, NULL, "not found (no minimum for %s)", j->it->name);
	}
	j->ready = true;
	for (int i = 0; i < LINES; i++)
		j->ready &= j->lines[i].status != EV_ST_FAIL;
	ev_cause_container(f, j->it, &j->causes);
}

static void json(const struct judged *j)
{
	struct ev_json js;
	char buf[512];
	int rc;

	cli_json_begin(&js);
	ev_json_str(&js, "root", j->root);
	ev_json_bool(&js, "ready", j->ready);
	ev_json_str(&js, "instance_type", j->it->name);
	ev_json_str(&js, "instance_type_source", j->type_source);
	ev_json_str(&js, "fabric", ev_fabric_efa_name(j->facts.fabric));
	ev_json_bool(&js, "libefa", j->facts.libefa);
	ev_json_arr_begin(&js, "checks");
	for (int i = 0; i < LINES; i++) {
		const struct line *l = &j->lines[i];

		ev_json_obj_begin(&js, NULL);
		ev_json_str(&js, "name", l->name);
		ev_json_str(&js, "status", l->status == EV_ST_FAIL ? "fail" : ev_status_name(l->status));
		ev_json_str(&js, "summary", l->summary);
		ev_json_str(&js, "fix", l->fix);
		ev_json_obj_end(&js);
	}
	ev_json_arr_end(&js);
	ev_json_obj_begin(&js, "versions");
	for (int i = 0; i < EV_SW__COUNT; i++)
		ev_json_str(&js, ev_sw_name((enum ev_sw)i),
			    j->facts.sw.sw[i].present ? j->facts.sw.sw[i].version : NULL);
	ev_json_obj_end(&js);
	ev_json_obj_begin(&js, "minimums");
	for (int i = 0; i < EV_SW__COUNT; i++)
		ev_json_str(&js, ev_sw_name((enum ev_sw)i), j->it->min_version[i][0] ? j->it->min_version[i] : NULL);
	ev_json_obj_end(&js);
	ev_json_arr_begin(&js, "causes");
	for (size_t i = 0; i < j->causes.n; i++) {
		const struct ev_cause *c = &j->causes.c[i];

		ev_json_obj_begin(&js, NULL);
		ev_json_str(&js, "name", ev_cause_name(c->name));
		ev_json_str(&js, "certainty", ev_cause_certainty_name(c->certainty));
		ev_json_str(&js, "detail", c->detail[0] ? c->detail : NULL);
		ev_json_str(&js, "evidence", ev_cause_evidence(c->name));
		ev_json_str(&js, "fix", ev_cause_fix(c->name));
		ev_json_obj_end(&js);
	}
	ev_json_arr_end(&js);
	ev_json_obj_begin(&js, "env");
	snprintf(buf, sizeof(buf), "not planned: %s", j->env_error);
	ev_json_str(&js, "note", j->env_error[0] ? buf : NULL);
	ev_json_arr_begin(&js, "set");
	for (size_t i = 0; i < j->plan.n; i++) {
		ev_json_obj_begin(&js, NULL);
		ev_json_str(&js, "name", j->plan.vars[i].name);
		ev_json_str(&js, "value", j->plan.vars[i].value);
		ev_json_bool(&js, "force", j->plan.vars[i].force);
		ev_json_str(&js, "why", j->plan.vars[i].why);
		ev_json_obj_end(&js);
	}
	ev_json_arr_end(&js);
	ev_json_arr_begin(&js, "not_set");
	for (size_t i = 0; i < j->plan.n_skipped; i++) {
		ev_json_obj_begin(&js, NULL);
		ev_json_str(&js, "name", j->plan.skipped[i].name);
		ev_json_str(&js, "why", j->plan.skipped[i].why);
		ev_json_obj_end(&js);
	}
	ev_json_arr_end(&js);
	ev_json_obj_end(&js);
	if ((rc = cli_json_print(&js)))
		cli_error("writing JSON: %s", strerror(-rc));
}

static void human(const struct judged *j)
{
	int fails = 0, warns = 0;

	printf("image %s for %s%s\n", j->root_shown, j->it->name,
	       strcmp(j->type_source, "option") == 0 ? "" :
	       strcmp(j->type_source, "imds") == 0 ? " (this machine's, from IMDS)" : " (this machine's, from DMI)");
	for (int i = 0; i < LINES; i++) {
		const struct line *l = &j->lines[i];

		printf("  %-5s %-13s %s\n", ev_status_name(l->status), l->name, l->summary);
		if (l->fix && l->status == EV_ST_FAIL)
			printf("  %-5s %-13s fix: %s\n", "", "", l->fix);
		fails += l->status == EV_ST_FAIL;
		warns += l->status == EV_ST_WARN;
	}
	for (size_t i = 0; i < j->causes.n; i++) {
		const struct ev_cause *c = &j->causes.c[i];

		printf("  %scause: %s%s%s%s\n    fix: %s\n", c->certainty == EV_CAUSE_LIKELY ? "likely " : "",
		       ev_cause_name(c->name), c->detail[0] ? " (" : "", c->detail, c->detail[0] ? ")" : "",
		       ev_cause_fix(c->name));
	}
	printf("%s (%d failed, %d warning%s)\n", j->ready ? "READY" : "NOT READY", fails, warns,
	       warns == 1 ? "" : "s");
	if (j->env_error[0]) {
		printf("environment: not planned: %s\n", j->env_error);
		return;
	}
	printf("environment a step in this image gets on %s, with --efa-verify (a variable the job sets itself is "
	       "kept unless forced):\n", j->it->name);
	for (size_t i = 0; i < j->plan.n; i++) {
		const struct ev_env_var *v = &j->plan.vars[i];

		printf("  %-7s %s=%s (%s)\n", v->force ? "forced" : "set", v->name, v->value, v->why);
	}
	for (size_t i = 0; i < j->plan.n_skipped; i++)
		printf("  %-7s %s (%s)\n", "not set", j->plan.skipped[i].name, j->plan.skipped[i].why);
	if (!j->plan.n && !j->plan.n_skipped)
		printf("  nothing\n");
}

int check_root(struct cli_ctx *ctx, const char *root, const char *type, bool as_json, bool cached)
{
	struct judged *j = calloc(1, sizeof(*j));
	struct ev_err err = { "" };
	int rc;

	if (!j) {
		cli_error("check --root: out of memory");
		return EXIT_USAGE;
	}
	j->root = root;
	if (root[ev_printable(j->root_shown, sizeof(j->root_shown), root, sizeof(j->root_shown) - 4)] != '\0')
		strcat(j->root_shown, "...");
	if ((rc = instance_type(ctx, type, cached, j)) != 0)
		goto out;
	/* The driver is the host's: none is read for an image (NULL sysfs). */
	if ((rc = ev_image_inspect(root, NULL, EV_IMAGE_ALL_SW, &j->facts, &err)) != 0) {
		char msg[EV_ERR_MAX];

		ev_printable(msg, sizeof(msg), err.msg, sizeof(msg));
		cli_error("check --root: %s", msg);
		rc = EXIT_USAGE;
		goto out;
	}
	ev_printable(j->note, sizeof(j->note), err.msg, sizeof(j->note));
	judge(j);
	err.msg[0] = '\0';
	if (ev_env_plan_build(&ctx->cfg, j->it->name, &j->facts.sw, &j->plan, &err) != 0)
		snprintf(j->env_error, sizeof(j->env_error), "%s", err.msg[0] ? err.msg : "failed");
	if (as_json)
		json(j);
	else
		human(j);
	rc = j->ready ? EXIT_READY : EXIT_NOT_READY;
out:
	free(j);
	return rc;
}
