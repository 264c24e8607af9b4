/* report --since against jobs from a file instead of slurmdbd, for
 * tests/integration/report_fleet.py:
 *
 *   EV_FLEET_JOBS=FILE report_fleet_probe report --since ... [--json]
 *
 * FILE has one job a line, tab-separated: jobid, uid, user, account,
 * partition, end (seconds since the epoch), elapsed, gpus, started (0/1),
 * nodes, AdminComment ("-" for an empty field). Each job the query would
 * select (ended in [since, until), its partition and uid) is handed to
 * report as slurmio would; the query itself goes to stderr as one
 * "query:" line. With EV_FLEET_DBD_DOWN set, slurmdbd cannot be reached. */
#include "config.h"

#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "ev_dbd.h"
#include "ev_dbd_jobs.h"
#include "report.h"

void cli_error(const char *fmt, ...)
{
	va_list ap;

	fputs("efa-verify: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

static char dummy;

int ev_dbd_open(struct ev_dbd **db, struct ev_err *err)
{
	if (getenv("EV_FLEET_DBD_DOWN"))
		return ev_errf(err, -EIO, "cannot reach slurmdbd: Connection refused");
	*db = (struct ev_dbd *)&dummy;
	return 0;
}

void ev_dbd_close(struct ev_dbd **db)
{
	*db = NULL;
}

static char *field(char **p)
{
	char *f = strsep(p, "\t\n");

	return !f ? "" : strcmp(f, "-") == 0 ? "" : f;
}

int ev_dbd_jobs_each(struct ev_dbd *db, const struct ev_dbd_jobs_query *q, ev_dbd_job_fn fn, void *arg,
		     struct ev_dbd_jobs_stats *st, struct ev_err *err)
{
	const char *path = getenv("EV_FLEET_JOBS");
	char line[8192], who[16] = "-";
	FILE *f;
	int rc = 0;

	(void)db;
	memset(st, 0, sizeof(*st));
	if (q->by_uid)
		snprintf(who, sizeof(who), "%" PRIu32, q->uid);
	fprintf(stderr, "query: since=%" PRId64 " until=%" PRId64 " partition=%s uid=%s\n", q->since, q->until,
		q->partition ? q->partition : "-", who);
	if (!path || !(f = fopen(path, "r")))
		return ev_errf(err, -EIO, "EV_FLEET_JOBS: %s", path ? strerror(errno) : "not set");
	st->windows = 1;
	while (!rc && fgets(line, sizeof(line), f)) {
		char *p = line;
		struct ev_dbd_job j;
		uint32_t uid;

		j.jobid = (uint32_t)strtoul(field(&p), NULL, 10);
		uid = (uint32_t)strtoul(field(&p), NULL, 10);
		j.user = field(&p);
		j.account = field(&p);
		j.partition = field(&p);
		j.end = strtoll(field(&p), NULL, 10);
		j.elapsed = strtoull(field(&p), NULL, 10);
		j.gpus = strtoull(field(&p), NULL, 10);
		j.started = strcmp(field(&p), "1") == 0;
		j.nodes = field(&p);
		j.admin_comment = field(&p);
		if (j.end < q->since || j.end >= q->until || (q->partition && strcmp(q->partition, j.partition)) ||
		    (q->by_uid && uid != q->uid))
			continue;
		st->jobs++;
		rc = fn(&j, arg);
	}
	st->most = st->jobs;
	fclose(f);
	return rc;
}

int main(int argc, char **argv)
{
	struct cli_ctx ctx;

	memset(&ctx, 0, sizeof(ctx));
	if (argc < 2 || strcmp(argv[1], "report") != 0) {
		fprintf(stderr, "usage: report_fleet_probe report --since WHEN [...]\n");
		return 2;
	}
	return report_fleet(&ctx, argc - 1, argv + 1);
}
