/* The efa-verify command: a thin adapter over lib/. */
#ifndef EV_CLI_H
#define EV_CLI_H

#include <getopt.h>
#include <stdbool.h>

#include "config/ev_config.h"
#include "util/ev_json.h"

/* Exit codes of `efa-verify check` (efa-verify(8)). */
enum { EXIT_READY = 0, EXIT_NOT_READY = 1, EXIT_USAGE = 2 };

struct cli_ctx {
	struct ev_config cfg;
	char nodename[EV_NAME_MAX];
	const char *prog;
	const char *config_path;   /* -c as given; NULL = default or $EFA_VERIFY_CONFIG */
};

/* Each command parses its own options from argv (argv[0] is its name),
 * with its table below. main reads the tables too: a global option (-c,
 * -N, -V) may follow the command's name, and main takes it out before
 * the command sees its arguments, parsing them as the command will (an
 * option's value, "--", abbreviations). */
/* The end of every command's usage: where the global options go. */
#define CLI_GLOBAL_HELP \
	"\nAlso -c FILE and -N NAME, before or after the command (efa-verify --help).\n"
extern const struct option cmd_check_opts[], cmd_snapshot_opts[], cmd_report_opts[], cmd_flush_opts[],
	cmd_top_opts[];

int cmd_check(struct cli_ctx *ctx, int argc, char **argv);
/* check --root DIR [--type TYPE]: an unpacked container image (check_root.c). */
int check_root(struct cli_ctx *ctx, const char *root, const char *type, bool as_json, bool cached);
int cmd_snapshot(struct cli_ctx *ctx, int argc, char **argv);
int cmd_report(struct cli_ctx *ctx, int argc, char **argv);
int cmd_flush(struct cli_ctx *ctx, int argc, char **argv);
int cmd_top(struct cli_ctx *ctx, int argc, char **argv);

/* A command's --json answer: cli_json_begin opens its object,
 * cli_json_print closes it and prints it as one line (flushed): 0, -ENOMEM
 * or -EIO; the caller says what failed. */
void cli_json_begin(struct ev_json *j);
int cli_json_print(struct ev_json *j);

/* "efa-verify: msg" on stderr. */
void cli_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif
