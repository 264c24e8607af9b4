/* efa-verify report's parts: the finished job's record (cmd_report.c),
 * a running job's numbers so far gathered from its nodes (report_live.c),
 * one node's numbers so far (report_local.c, what the gathering runs
 * on each node), and the fleet over many jobs (report_fleet.c). */
#ifndef EV_CLI_REPORT_H
#define EV_CLI_REPORT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cli.h"
#include "ev_ctld.h"
#include "record/ev_record.h"
#include "record/ev_sofar.h"

/* What report shows, finished or so far. */
struct report_view {
	uint32_t jobid;
	const struct ev_record *rec;
	const struct ev_node_result *res;   /* per node, sorted */
	size_t n;
	const char *comment;                /* finished: the AdminComment */
	const char *fallback;               /* finished, ours not in it: why and whence it is shown */
	/* So far (running): */
	bool so_far;
	const struct ev_sofar *sofar;       /* parallel to res; as_of 0 = no answer */
	uint64_t as_of, since;              /* seconds since the epoch; since 0 = not known */
	size_t answered;
};

void report_print(const struct report_view *v, bool json);

/* The running job's numbers so far, from its nodes; an exit status. */
int report_running(struct cli_ctx *ctx, uint32_t jobid, const struct ev_job_live *live, bool json,
		   unsigned timeout_s);
/* This node's numbers so far for jobid; an exit status. */
int report_local(struct cli_ctx *ctx, uint32_t jobid, bool json);

/* The fleet over every job that ended in a time range (report_fleet.c):
 * wanted when argv has one of its options (--since, ...); an exit status. */
bool report_fleet_wanted(int argc, char **argv);
int report_fleet(struct cli_ctx *ctx, int argc, char **argv);

#endif
