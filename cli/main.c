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
	"Usage: efa-verify [-c FILE] [-N NODE] COMMAND [--json]\n"
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
	"Options:\n"
	"  -c, --config FILE  config file (default: $EFA_VERIFY_CONFIG, then\n"
	"                     " EV_DEFAULT_CONFIG ")\n"
	"  -N, --node NAME    Slurm node name for %n in config paths\n"
	"                     (default: $SLURMD_NODENAME, then the short host name)\n"
	"  -h, --help         this help\n"
	"  -V, --version      version\n"
	"\n"
	"Run 'efa-verify COMMAND --help' for a command's options. See efa-verify(8).\n";

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
	static const struct option opts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "node", required_argument, NULL, 'N' },
		{ "version", no_argument, NULL, 'V' },
		EV_OPTS_HELP_END,
	};
	static const struct {
		const char *name;
		int (*fn)(struct cli_ctx *, int, char **);
	} commands[] = {
		{ "check", cmd_check }, { "snapshot", cmd_snapshot },
		{ "report", cmd_report }, { "flush", cmd_flush }, { "top", cmd_top },
		{ NULL, NULL },
	}, *cmd;
	struct cli_ctx ctx;
	const char *cfg_opt = NULL;
	int c, rc;

	memset(&ctx, 0, sizeof(ctx));
	ctx.prog = "efa-verify";
	/* '+': stop at the command so its own options are left to it. */
	while ((c = getopt_long(argc, argv, "+c:N:hV", opts, NULL)) != -1) {
		switch (c) {
		case 'c':
			cfg_opt = ctx.config_path = optarg;
			break;
		case 'N':
			snprintf(ctx.nodename, sizeof(ctx.nodename), "%s", optarg);
			if (!ev_valid_nodename(ctx.nodename) || strlen(optarg) >= sizeof(ctx.nodename)) {
				cli_error("invalid node name '%.64s': letters, digits, '.', '_', '-' only", optarg);
				return EXIT_USAGE;
			}
			break;
		case 'h':
			fputs(usage_text, stdout);
			return 0;
		case 'V':
			puts("efa-verify " PACKAGE_VERSION);
			return 0;
		default:
			fputs(usage_text, stderr);
			return EXIT_USAGE;
		}
	}
	if (optind >= argc) {
		cli_error("no command given");
		fputs(usage_text, stderr);
		return EXIT_USAGE;
	}
	if (!ctx.nodename[0] && default_nodename(ctx.nodename, sizeof(ctx.nodename)) != 0) {
		cli_error("cannot tell this node's name: use --node");
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
	/* A command's --help needs no config. */
	for (int i = 1; i < argc; i++)
		if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0)
			return cmd->fn(NULL, argc, argv);

	if (load_config(&ctx, cfg_opt) != 0) {
		ev_config_free(&ctx.cfg);
		return EXIT_USAGE;
	}
	rc = cmd->fn(&ctx, argc, argv);
	ev_config_free(&ctx.cfg);
	return rc;
}
