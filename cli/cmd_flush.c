/* efa-verify flush: deliver the results this node's epilogs had to spool
 * (slurmctld or slurmdbd away), remove nftables tables of jobs no longer
 * running here, and optionally rebuild one job's record. */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "ev_dbd.h"
#include "ev_deliver.h"
#include "state/ev_jobid.h"
#include "jobnet/ev_jobnet.h"
#include "job/ev_job_sweep.h"
#include "util/ev_opts.h"
#include "state/ev_running.h"

static const char flush_usage[] =
	"Usage: efa-verify flush [--job JOBID | --rewrite JOBID]\n"
	"\n"
	"Deliver this node's spooled results (state_dir/spool) to Slurm: each is\n"
	"published in the node's record and the job's accounting record is\n"
	"rebuilt from every node's result (with record_writer: slurmctld, only\n"
	"published). On the slurmctld host, also write the records its\n"
	"EpilogSlurmctld could not (state_dir/pending). Delivering twice changes\n"
	"nothing.\n"
	"Also removes this node's nftables tables (inet efa_verify_<job>_<node>)\n"
	"of jobs that are no longer running here, which a crashed prolog or\n"
	"epilog left, temporary files a killed writer left (over a minute old)\n"
	"and the users' copies of start files of jobs no longer running.\n"
	"Prologs and epilogs do all of this on their own; run it by hand or\n"
	"from a timer to do it sooner. As root.\n"
	"\n"
	"  --job JOBID      also rebuild JOBID's record from what its nodes published\n"
	"  --rewrite JOBID  the same, where another tool's write to the AdminComment\n"
	"                   wiped the record (jobstats writes the whole field): the\n"
	"                   record is put back beside that tool's text, which stays\n"
	"                   as it is; says whether it was missing\n"
	"\n"
	"Exit status: 0 nothing left spooled or pending, 1 some still are,\n"
	"2 usage or config error.\n"
	CLI_GLOBAL_HELP;

static int still_running(uint32_t jobid, bool *yes, void *state_dir)
{
	return ev_running_check(state_dir, jobid, yes, NULL);
}

/* Tables of jobs no longer running. Without nftables (no nf_tables, not
 * root) there is nothing of ours to remove: nothing is said. */
static void sweep_tables(const struct cli_ctx *ctx)
{
	struct ev_err err = { "" };
	struct ev_nft *nft = NULL;
	size_t removed = 0;
	int rc = ev_jobnet_open(&nft, &err);

	if (!rc)
		rc = ev_jobnet_sweep(nft, ctx->nodename, still_running, (void *)ctx->cfg.state_dir, &removed, &err);
	ev_nft_close(&nft);
	if (rc && rc != -EPERM && rc != -EPROTONOSUPPORT && rc != -EAFNOSUPPORT && rc != -EOPNOTSUPP)
		cli_error("flush: nftables: %s", err.msg);
	if (removed)
		printf("removed %zu nftables table(s) of jobs no longer running on %s\n", removed, ctx->nodename);
}

/* What killed prologs and epilogs left (ev_job_sweep.h). */
static void sweep_files(const struct cli_ctx *ctx)
{
	struct ev_err err = { "" };
	size_t removed = 0;

	if (ev_job_sweep(&ctx->cfg, &removed, &err) != 0)
		cli_error("flush: %s", err.msg);
	if (removed)
		printf("removed %zu file(s) left by killed prologs and epilogs or of jobs no longer running\n", removed);
}

/* Whether the job's AdminComment holds our record now (one that does not
 * parse counts as missing: the write replaces it). */
static int record_present(uint32_t jobid, bool *yes, struct ev_err *err)
{
	struct ev_dbd *db = NULL;
	struct ev_record r;
	char *comment = NULL;
	bool ended;
	int rc = ev_dbd_open(&db, err);

	memset(&r, 0, sizeof(r));
	if (!rc)
		rc = ev_dbd_get_comment(db, jobid, &comment, &ended, err);
	ev_dbd_close(&db);
	*yes = !rc && ev_record_parse(comment, &r, NULL) == 0;
	ev_record_free(&r);
	free(comment);
	return rc;
}

/* main reads it too, to tell this command's options from the global ones (cli.h). */
const struct option cmd_flush_opts[] = {
	{ "job", required_argument, NULL, 'j' },
	{ "rewrite", required_argument, NULL, 'r' },
	EV_OPTS_HELP_END,
};

int cmd_flush(struct cli_ctx *ctx, int argc, char **argv)
{
	struct ev_deliver_ctx dc;
	struct ev_err err = { "" };
	uint32_t jobid = 0;
	bool rewrite = false, had = false;
	size_t done = 0, left = 0, pdone = 0, pleft = 0;
	int c, rc = 0;

	optind = 0;   /* 0: glibc re-initialises, dropping main's "+" ordering */
	while ((c = getopt_long(argc, argv, "h", cmd_flush_opts, NULL)) != -1) {
		switch (c) {
		case 'j':
		case 'r':
			rewrite = c == 'r';
			if (ev_jobid_parse(optarg, &jobid, &err) != 0) {
				cli_error("flush: %s", err.msg);
				return EXIT_USAGE;
			}
			break;
		case 'h': fputs(flush_usage, stdout); return 0;
		default: fputs(flush_usage, stderr); return EXIT_USAGE;
		}
	}
	if (optind != argc) {
		cli_error("flush: unexpected argument '%.64s'", argv[optind]);
		return EXIT_USAGE;
	}
	memset(&dc, 0, sizeof(dc));
	dc.state_dir = ctx->cfg.state_dir;
	dc.node = ctx->nodename;
	dc.publish_only = ctx->cfg.record_writer == EV_WRITER_SLURMCTLD;
	dc.seal = ctx->cfg.node_comment == EV_NODE_COMMENT_SEALED;
	if (ev_deliver_spool(&dc, &done, &left, &err) != 0) {
		cli_error("flush: %s", err.msg);
		rc = 1;
	}
	printf("delivered %zu, still spooled %zu\n", done, left);
	/* On the slurmctld host: the records its EpilogSlurmctld could not
	 * write. Said only where there were some. */
	if (ev_deliver_pending(&dc, &pdone, &pleft, &err) != 0) {
		cli_error("flush: %s", err.msg);
		rc = 1;
	}
	if (pdone || pleft)
		printf("records written %zu, still pending %zu\n", pdone, pleft);
	sweep_tables(ctx);
	sweep_files(ctx);
	if (rewrite && record_present(jobid, &had, &err) != 0) {
		cli_error("flush: job %" PRIu32 ": %s", jobid, err.msg);
		rc = 1;
	} else if (jobid && !dc.ctld_down) {
		if (ev_deliver_complete(&dc, jobid, 0, 0, &err) != 0) {
			cli_error("flush: job %" PRIu32 ": %s", jobid, err.msg);
			rc = 1;
		} else {
			printf("job %" PRIu32 ": %s%s\n", jobid,
			       !rewrite ? "" : had ? "record present: " : "record put back: ", dc.record);
		}
	}
	ev_deliver_done(&dc);
	return rc || left || pleft ? 1 : 0;
}
