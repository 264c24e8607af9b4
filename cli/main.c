#include "config.h"

#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "util/ev_opts.h"

static const char usage_text[] =
	"Usage: efa-verify [-c FILE] [-N NODE] COMMAND [COMMAND OPTIONS]\n"
	"\n"
	"Say whether this node and its jobs use EFA, or fall back to TCP.\n"
	"\n"
	"Commands:\n"
	"  check      this node's readiness for EFA jobs; exit 0 ready, 1 not ready,\n"
	"             2 usage or config error\n"
	"  snapshot   the EFA and TCP counters, as a table or JSON\n"
	"  report     a job's verdict and per-node table: from accounting, or so far\n"
	"             from its nodes while it runs\n"
	"  flush      deliver the results this node had to spool, remove\n"
	"             nftables tables of jobs no longer running here\n"
	"  top        this node's EFA and TCP rates, live\n"
	"\n"
	"Options (before or after COMMAND):\n"
	"  -c, --config FILE  config file (default: $EFA_VERIFY_CONFIG, then\n"
	"                     " EV_DEFAULT_CONFIG ")\n"
	"  -N, --node NAME    Slurm node name for %n in config paths\n"
	"                     (default: $SLURMD_NODENAME, then the short host name)\n"
	"  -h, --help         this help (after COMMAND: the command's)\n"
	"  -V, --version      version\n"
	"\n"
	"Run 'efa-verify COMMAND --help' for a command's options. See efa-verify(8).\n";

static const struct option global_opts[] = {
	{ "config", required_argument, NULL, 'c' },
	{ "node", required_argument, NULL, 'N' },
	{ "version", no_argument, NULL, 'V' },
	EV_OPTS_HELP_END,
};

/* What global_opt and take_globals return to go on; anything else is
 * the exit status. */
#define GO_ON (-1)

/* -c, -N or -V, before the command or after it. */
static int global_opt(struct cli_ctx *ctx, int c, const char *arg)
{
	switch (c) {
	case 'c':
		ctx->config_path = arg;
		return GO_ON;
	case 'N':
		snprintf(ctx->nodename, sizeof(ctx->nodename), "%s", arg);
		if (!ev_valid_nodename(ctx->nodename) || strlen(arg) >= sizeof(ctx->nodename)) {
			cli_error("invalid node name '%.64s': letters, digits, '.', '_', '-' only", arg);
			return EXIT_USAGE;
		}
		return GO_ON;
	case 'V':
		puts("efa-verify " PACKAGE_VERSION);
		return 0;
	}
	return EXIT_USAGE;
}

/* The global options among a command's arguments (argv[0] its name),
 * taken out so the command never sees them. The arguments are read with
 * the command's table and the global options together, in order and none
 * moved ('-'), so a command option's value, "--" and abbreviations count
 * as the command will count them, and what each option used is
 * argv[prev..optind). A global option inside a cluster of short ones is
 * left to the command to refuse. */
static int take_globals(struct cli_ctx *ctx, const struct option *cmd_opts, int *argc, char **argv)
{
	struct option all[32];
	size_t n = 0;
	bool *drop;
	int c, prev = 1, kept = 0, rc = GO_ON;

	for (const struct option *o = cmd_opts; o->name && n < 24; o++)
		if (o->val != 'h')
			all[n++] = *o;
	for (const struct option *o = global_opts; n < 32; o++) {
		all[n++] = *o;
		if (!o->name)
			break;
	}
	if (!(drop = calloc((size_t)*argc + 1, sizeof(*drop)))) {
		cli_error("out of memory");
		return EXIT_USAGE;
	}
	optind = 0;   /* 0: glibc re-initialises for this argv */
	opterr = 0;   /* the command says what is wrong with its own options */
	while (rc == GO_ON && (c = getopt_long(*argc, argv, "-:c:N:hV", all, NULL)) != -1) {
		const char *a = argv[prev];

		if (c == ':' && (optopt == 'c' || optopt == 'N')) {
			cli_error("option '%.64s' needs a value", a);
			rc = EXIT_USAGE;
		} else if ((c == 'c' || c == 'N' || c == 'V') && a[0] == '-' && (a[1] == '-' || a[1] == c)) {
			for (int i = prev; i < optind && i < *argc; i++)
				drop[i] = true;
			rc = global_opt(ctx, c, optarg);
		}
		prev = optind;
	}
	opterr = 1;
	for (int i = 0; i < *argc; i++)
		if (!drop[i])
			argv[kept++] = argv[i];
	argv[kept] = NULL;
	*argc = kept;
	free(drop);
	return rc;
}

void cli_error(const char *fmt, ...)
{
	va_list ap;

	fputs("efa-verify: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

static int default_nodename(char *out, size_t cap)
{
	const char *env = getenv("SLURMD_NODENAME");
	char host[256];
	char *dot;

	if (env && *env) {
		snprintf(out, cap, "%s", env);
		return 0;
	}
	if (gethostname(host, sizeof(host)) < 0)
		return -errno;
	host[sizeof(host) - 1] = '\0';
	dot = strchr(host, '.');
	if (dot)
		*dot = '\0';
	snprintf(out, cap, "%s", host);
	return 0;
}

static int load_config(struct cli_ctx *ctx, const char *cfg_opt)
{
	struct ev_err err = { "" };
	int rc = ev_config_load_default(&ctx->cfg, cfg_opt, ctx->nodename, &err);

	if (rc != 0)
		cli_error("%s", err.msg);
	else if (ctx->cfg.deprecated[0])
		fprintf(stderr, "efa-verify: warning: %s\n", ctx->cfg.deprecated);
	return rc;
}

int main(int argc, char **argv)
{
	static const struct {
		const char *name;
		int (*fn)(struct cli_ctx *, int, char **);
		const struct option *opts;
	} commands[] = {
		{ "check", cmd_check, cmd_check_opts }, { "snapshot", cmd_snapshot, cmd_snapshot_opts },
		{ "report", cmd_report, cmd_report_opts }, { "flush", cmd_flush, cmd_flush_opts },
		{ "top", cmd_top, cmd_top_opts },
		{ NULL, NULL, NULL },
	}, *cmd;
	struct cli_ctx ctx;
	int c, rc;

	memset(&ctx, 0, sizeof(ctx));
	ctx.prog = "efa-verify";
	/* '+': stop at the command; what follows it is take_globals's. */
	while ((c = getopt_long(argc, argv, "+c:N:hV", global_opts, NULL)) != -1) {
		if (c == 'h') {
			fputs(usage_text, stdout);
			return 0;
		}
		if (c == '?' || c == ':' || (rc = global_opt(&ctx, c, optarg)) != GO_ON) {
			if (c == '?' || c == ':')
				fputs(usage_text, stderr);
			return c == '?' || c == ':' ? EXIT_USAGE : rc;
		}
	}
	if (optind >= argc) {
		cli_error("no command given");
		fputs(usage_text, stderr);
		return EXIT_USAGE;
	}

	argc -= optind;
	argv += optind;
	for (cmd = commands; cmd->name && strcmp(cmd->name, argv[0]) != 0; cmd++)
		;
	if (!cmd->name) {
		cli_error("unknown command '%.64s' (commands: check, snapshot, report, flush, top)", argv[0]);
		return EXIT_USAGE;
	}
	if ((rc = take_globals(&ctx, cmd->opts, &argc, argv)) != GO_ON)
		return rc;
	/* A command's --help needs no config, nor this node's name. */
	for (int i = 1; i < argc; i++)
		if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0)
			return cmd->fn(NULL, argc, argv);
	if (!ctx.nodename[0] && default_nodename(ctx.nodename, sizeof(ctx.nodename)) != 0) {
		cli_error("cannot tell this node's name: use --node");
		return EXIT_USAGE;
	}

	if (load_config(&ctx, ctx.config_path) != 0) {
		ev_config_free(&ctx.cfg);
		return EXIT_USAGE;
	}
	rc = cmd->fn(&ctx, argc, argv);
	ev_config_free(&ctx.cfg);
	return rc;
}
