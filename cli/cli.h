#ifndef EV_CLI_H
#define EV_CLI_H
#include "ev_config.h"
struct cli_ctx {
	struct ev_config cfg;
	const char *nodename;
	int json;
};
int cmd_check(struct cli_ctx *ctx, int argc, char **argv);
int cmd_snapshot(struct cli_ctx *ctx, int argc, char **argv);
#endif
