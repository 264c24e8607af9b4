/* efa-verify report JOBID: the job's record from accounting, and each
 * node's result while slurmctld's node records still hold it; for a job
 * still running, its numbers so far from its nodes (report_live.c). */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "state/ev_jobid.h"
#include "util/ev_json.h"
#include "util/ev_opts.h"
#include "record/ev_result_json.h"
#include "util/ev_units.h"
#include "ev_dbd.h"
#include "report.h"

static const char report_usage[] =
	"Usage: efa-verify report JOBID [--json] [--timeout SECONDS]\n"
	"       efa-verify report --local JOBID [--json]\n"
	"       efa-verify report --since WHEN [--until WHEN] [--partition NAME]\n"
	"                         [--user NAME|UID] [--top N] [--json]\n"
	"\n"
	"A finished job's efa-verify record from Slurm accounting (its\n"
	"AdminComment): verdict, nodes reported, EFA bytes, TCP bytes between\n"
	"the job's nodes and other IP bytes (storage, Slurm; never fallback),\n"
	"where TCP was counted (tcp_source: nftables, or interface where a\n"
	"node's table could not be made: then that node's TCP holds all of its\n"
	"interfaces' bytes, and iface_nodes says how many nodes), EFA share,\n"
	"the nodes that were not ok and the causes their evidence names\n"
	"(\"cause:\" where it proves one, \"likely cause:\" where it only\n"
	"suggests one), each with its fix, which steps ran in a container with\n"
	"which image or bundle (\"containers:\"); and a per-node table with each\n"
	"node's NIC balance (busy NICs, least/most bytes on one NIC) for as long as\n"
	"slurmctld's node records keep the job (its last few jobs per node).\n"
	"\n"
	"A running job's numbers so far: what each of its nodes moved since the\n"
	"job started there, judged by the same rules, asked of every node at once\n"
	"with `srun --overlap --jobid=JOBID` (the job's user and root can).\n"
	"\n"
	"  --json             one JSON object on stdout\n"
	"  --timeout SECONDS  how long a running job's nodes may take to answer\n"
	"                     (default 30)\n"
	"  --local            this node's numbers so far only (what report runs on\n"
	"                     each node of a running job)\n"
	"  --since WHEN       the fleet: every job that ended since WHEN (7d, or a\n"
	"                     local date) by verdict, node, user, account, partition\n"
	"                     and GPU-hours (efa-verify report --since 1d --help,\n"
	"                     efa-verify-report(8)), with\n"
	"  --until, --partition, --user, --top\n"
	"\n"
	"The record is one part of the AdminComment, \"{efa-verify: ...}\"; other\n"
	"tools' text around it is theirs. If another tool replaced the field (jobstats\n"
	"writes it whole from EpilogSlurmctld), the record is shown from the results\n"
	"the job's nodes published, while slurmctld's node records hold them, and\n"
	"report says so (--json: record_from \"node_results\");\n"
	"`efa-verify flush --rewrite JOBID` puts it back.\n"
	"\n"
	"Exit status: 0 shown, 1 the job has no efa-verify record (yet), or it\n"
	"runs and no node of it could be asked, 2 usage error or Slurm unreachable.\n"
	CLI_GLOBAL_HELP;

static double share(uint64_t efa, uint64_t tcp)
{
	return efa + tcp ? (double)efa / ((double)efa + (double)tcp) : 0.0;
}

/* The traffic fields, alike for the job and each node: other_tcp_bytes
 * and tcp_source are null where not known. */
static void traffic_json(struct ev_json *j, uint64_t efa, uint64_t tcp, enum ev_tcp_source src,
			 uint64_t other)
{
	ev_json_u64(j, "efa_bytes", efa);
	ev_json_u64(j, "tcp_bytes", tcp);
	ev_json_tcp_source(j, src, other);
	ev_json_double(j, "efa_share", share(efa, tcp));
}

static const char *source_word(enum ev_tcp_source src)
{
	return src == EV_TCP_SRC_NONE ? "-" : ev_tcp_source_name(src);
}

static void print_json(const struct report_view *v)
{
	const struct ev_record *rec = v->rec;
	struct ev_json j;
	int rc;

	cli_json_begin(&j);
	ev_json_u64(&j, "job", v->jobid);
	ev_json_bool(&j, "so_far", v->so_far);
	if (v->so_far) {
		ev_json_u64(&j, "as_of", v->as_of);
		if (v->since)
			ev_json_u64(&j, "since", v->since);
		else
			ev_json_null(&j, "since");
	}
	ev_json_str(&j, "verdict", ev_verdict_name(rec->verdict));
	ev_json_u64(&j, "nodes_reported", rec->reported);
	ev_json_u64(&j, "nodes_total", rec->total);
	traffic_json(&j, rec->efa_bytes, rec->tcp_bytes, rec->tcp_source, rec->other_tcp_bytes);
	/* How many nodes' TCP is not the job's own alone: 0 with nftables,
	 * null where the record does not say (no source, or a record from
	 * before iface_nodes). */
	if (rec->tcp_source == EV_TCP_SRC_NFTABLES)
		ev_json_u64(&j, "iface_nodes", 0);
	else if (rec->tcp_source == EV_TCP_SRC_INTERFACE && rec->iface_nodes)
		ev_json_u64(&j, "iface_nodes", rec->iface_nodes);
	else
		ev_json_null(&j, "iface_nodes");
	/* Sharing is judged when the job ends. */
	if (v->so_far)
		ev_json_null(&j, "shared_nodes");
	else
		ev_json_u64(&j, "shared_nodes", rec->shared);
	ev_json_arr_begin(&j, "not_ok");
	for (size_t i = 0; i < rec->n_groups; i++) {
		ev_json_obj_begin(&j, NULL);
		ev_json_str(&j, "nodes", rec->groups[i].hosts);
		ev_json_verdict(&j, rec->groups[i].verdict, rec->groups[i].reason);
		ev_json_obj_end(&j);
	}
	ev_json_arr_end(&j);
	ev_json_u64(&j, "not_ok_unlisted", rec->more);
	ev_json_arr_begin(&j, "causes");
	for (size_t i = 0; i < rec->n_causes; i++) {
		const struct ev_record_cause *c = &rec->causes[i];

		ev_json_obj_begin(&j, NULL);
		ev_json_str(&j, "name", ev_cause_name(c->name));
		ev_json_str(&j, "detail", c->detail[0] ? c->detail : NULL);
		ev_json_str(&j, "nodes", c->hosts);
		ev_json_str(&j, "certainty", ev_cause_certainty_name(c->certainty));
		ev_json_str(&j, "evidence", ev_cause_evidence(c->name));
		ev_json_str(&j, "fix", ev_cause_fix(c->name));
		ev_json_obj_end(&j);
	}
	ev_json_arr_end(&j);
	ev_json_containers(&j, &rec->containers);
	ev_json_arr_begin(&j, "nodes");
	for (size_t i = 0; i < v->n; i++) {
		const struct ev_node_result *r = &v->res[i];

		ev_json_obj_begin(&j, NULL);
		ev_json_str(&j, "node", r->node);
		ev_json_verdict(&j, r->verdict, r->reason);
		ev_json_causes(&j, &r->causes, false);
		ev_json_containers(&j, &r->containers);
		traffic_json(&j, r->efa_bytes, r->tcp_bytes, r->tcp_source, r->other_tcp_bytes);
		if (v->so_far)
			ev_json_null(&j, "shared");
		else
			ev_json_bool(&j, "shared", r->shared);
		ev_json_nics(&j, r);
		if (v->so_far && v->sofar[i].as_of) {
			ev_json_u64(&j, "since", v->sofar[i].since);
			ev_json_u64(&j, "as_of", v->sofar[i].as_of);
			ev_json_u64(&j, "duration_ms", v->sofar[i].duration_ms);
		} else if (v->so_far) {
			ev_json_null(&j, "since");
			ev_json_null(&j, "as_of");
			ev_json_null(&j, "duration_ms");
		}
		ev_json_obj_end(&j);
	}
	ev_json_arr_end(&j);
	ev_json_str(&j, "admin_comment", v->comment);
	/* Where the record shown came from: the AdminComment, or (ours not in
	 * it) the nodes' results. */
	if (!v->so_far)
		ev_json_str(&j, "record_from", v->fallback ? "node_results" : "admin_comment");
	if ((rc = cli_json_print(&j)))
		cli_error("writing JSON: %s", strerror(-rc));
}

/* "containers: IMAGE: steps 0,1", an image a line. Labels are printable
 * ASCII (ev_containers_parse refuses any other), so they print as they are. */
static void print_containers(const struct ev_containers *c)
{
	for (uint32_t i = 0; i < c->n; i++) {
		const struct ev_containers_image *im = &c->image[i];

		printf("  %-12s%s: step%s ", i ? "" : "containers:", im->label,
		       im->n_steps + (im->more_steps > 0) > 1 ? "s" : "");
		for (uint32_t s = 0; s < im->n_steps; s++)
			printf("%s%s", s ? "," : "", im->step[s]);
		if (im->more_steps)
			printf(" and %" PRIu32 " more", im->more_steps);
		printf("\n");
	}
	if (c->more)
		printf("  %-12sand %" PRIu32 " more image%s\n", c->n ? "" : "containers:", c->more,
		       c->more > 1 ? "s" : "");
}

static void print_human(const struct report_view *v)
{
	const struct ev_record *rec = v->rec;
	char a[32], b[32], c[32];

	if (v->so_far) {
		time_t t = (time_t)v->as_of;
		char when[32] = "?";
		struct tm tm;

		if (localtime_r(&t, &tm))
			strftime(when, sizeof(when), "%Y-%m-%d %H:%M:%S", &tm);
		printf("job %" PRIu32 ": %s so far, running; %zu/%u nodes answered at %s", v->jobid,
		       ev_verdict_name(rec->verdict), v->answered, rec->total, when);
		if (v->since && v->since <= v->as_of)
			printf(", %" PRIu64 " s after its start", v->as_of - v->since);
		printf("\n");
	} else {
		printf("job %" PRIu32 ": %s, %u/%u nodes reported%s\n", v->jobid, ev_verdict_name(rec->verdict),
		       rec->reported, rec->total, rec->shared ? " (some nodes shared with other jobs)" : "");
		if (v->fallback)
			printf("  %s\n", v->fallback);
	}
	printf("  EFA %s, TCP %s, EFA share %.1f%%%s\n", ev_bytes_human(rec->efa_bytes, a, sizeof(a)),
	       ev_bytes_human(rec->tcp_bytes, b, sizeof(b)), 100.0 * share(rec->efa_bytes, rec->tcp_bytes),
	       v->so_far ? " so far" : "");
	if (rec->tcp_source == EV_TCP_SRC_NFTABLES)
		printf("  TCP between the job's nodes (tcp_source=nftables); other IP traffic %s, not judged\n",
		       ev_bytes_human(rec->other_tcp_bytes, c, sizeof(c)));
	else if (rec->tcp_source == EV_TCP_SRC_INTERFACE && rec->iface_nodes)
		printf("  TCP counted on interfaces on %u of %u nodes (tcp_source=interface): "
		       "all their traffic, storage and Slurm's included; the other nodes' is the job's own\n",
		       rec->iface_nodes, rec->reported);
	else if (rec->tcp_source == EV_TCP_SRC_INTERFACE)
		printf("  TCP counted on interfaces on some nodes (tcp_source=interface): "
		       "all their traffic, storage and Slurm's included\n");
	if (rec->n_groups || rec->more) {
		printf("  not ok%s:\n", v->so_far ? " so far" : "");
		for (size_t i = 0; i < rec->n_groups; i++)
			printf("    %-20s %-13s %s\n", rec->groups[i].hosts, ev_verdict_name(rec->groups[i].verdict),
			       rec->groups[i].reason[0] ? rec->groups[i].reason : "");
		if (rec->more)
			printf("    and %zu more node(s) not listed\n", rec->more);
	}
	/* Why, where the nodes' evidence says, and what to do about it. */
	for (size_t i = 0; i < rec->n_causes; i++) {
		const struct ev_record_cause *k = &rec->causes[i];

		printf("  %scause: %s: %s%s%s%s\n    fix: %s\n", k->certainty == EV_CAUSE_LIKELY ? "likely " : "",
		       k->hosts, ev_cause_name(k->name), k->detail[0] ? " (" : "", k->detail, k->detail[0] ? ")" : "",
		       ev_cause_fix(k->name));
	}
	print_containers(&rec->containers);
	if (!v->n) {
		printf("  (per-node results no longer in slurmctld's node records; see each node's log)\n");
		return;
	}
	printf("\n  %-12s %-13s %12s %12s %12s %-9s %6s %9s %8s  %s\n", "NODE", v->so_far ? "SO FAR" : "VERDICT",
	       "EFA", "TCP", "OTHER IP", "SOURCE", "SHARE", "NICS BUSY", "BALANCE", "REASON");
	for (size_t i = 0; i < v->n; i++) {
		const struct ev_node_result *r = &v->res[i];
		char nics[24] = "-", bal[16] = "-";

		if (r->nics_total) {
			snprintf(nics, sizeof(nics), "%" PRIu32 "/%" PRIu32, r->nics_busy, r->nics_total);
			snprintf(bal, sizeof(bal), "%.2f", ev_result_nic_balance(r));
		}
		printf("  %-12s %-13s %12s %12s %12s %-9s %5.1f%% %9s %8s  %s%s\n", r->node,
		       ev_verdict_name(r->verdict), ev_bytes_human(r->efa_bytes, a, sizeof(a)),
		       ev_bytes_human(r->tcp_bytes, b, sizeof(b)),
		       r->tcp_source == EV_TCP_SRC_NFTABLES ? ev_bytes_human(r->other_tcp_bytes, c, sizeof(c)) : "-",
		       source_word(r->tcp_source), 100.0 * share(r->efa_bytes, r->tcp_bytes), nics, bal,
		       r->reason[0] ? r->reason : "", r->shared ? " (shared)" : "");
	}
}

void report_print(const struct report_view *v, bool json)
{
	if (json)
		print_json(v);
	else
		print_human(v);
}

static int cmp_node(const void *a, const void *b)
{
	const struct ev_node_result *x = a, *y = b;
	size_t lx = strlen(x->node), ly = strlen(y->node);

	/* n2 before n10: shorter first among equal prefixes is close enough. */
	return lx != ly ? (lx < ly ? -1 : 1) : strcmp(x->node, y->node);
}

/* No record in the AdminComment: from what the job's nodes published, while
 * slurmctld's node records still hold it. Another tool that writes the
 * whole field after us (jobstats' EpilogSlurmctld) wipes ours; this says so
 * and shows what the nodes said. 0 shown, 1 nothing to show. */
static int report_from_nodes(const struct cli_ctx *ctx, uint32_t jobid, const char *comment, bool json)
{
	struct ev_node_result *res = NULL;
	struct ev_record rec;
	struct ev_err err = { "" };
	char built[EV_RECORD_MAX], why[256];
	unsigned total = 0;
	size_t n = 0;
	int rc = 1;

	memset(&rec, 0, sizeof(rec));
	if (ev_ctld_gather(jobid, &res, &n, &err) != 0 || !n) {
		/* Sealed node results (node_comment: sealed) open for root and
		 * SlurmUser only: anyone else is told why there is nothing. */
		cli_error("report: job %" PRIu32 ": no efa-verify record in its AdminComment (yet)%s%s%s%s%s", jobid,
			  err.msg[0] ? "; the nodes' results cannot be read here: " : "", err.msg,
			  ctx->cfg.log_path[0] ? "; if another tool replaced it, each node's log has the job: " : "",
			  ctx->cfg.log_path, ctx->cfg.log_path[0] ? " (job=JOBID lines)" : "");
		goto out;
	}
	qsort(res, n, sizeof(*res), cmp_node);
	for (size_t i = 0; i < n; i++)
		if (res[i].job_nodes > total)
			total = res[i].job_nodes;
	if (ev_record_build(res, n, total, built, sizeof(built), &err) != 0 ||
	    ev_record_parse(built, &rec, &err) != 0) {
		cli_error("report: job %" PRIu32 ": %s", jobid, err.msg);
		goto out;
	}
	snprintf(why, sizeof(why),
		 "no efa-verify record in its AdminComment%s: shown from the %zu node result(s) slurmctld still "
		 "holds; `efa-verify flush --rewrite %" PRIu32 "` puts it back",
		 comment && *comment ? " (another tool's text replaced it)" : " (not written yet, or wiped)", n, jobid);
	report_print(&(struct report_view){ .jobid = jobid, .rec = &rec, .res = res, .n = n, .comment = comment,
					    .fallback = why },
		     json);
	rc = 0;
out:
	ev_record_free(&rec);
	free(res);
	return rc;
}

/* The finished job's record, from accounting. */
static int report_record(const struct cli_ctx *ctx, uint32_t jobid, bool json)
{
	struct ev_dbd *db = NULL;
	struct ev_node_result *res = NULL;
	struct ev_record rec;
	struct ev_err err = { "" };
	char *comment = NULL;
	bool ended;
	size_t n = 0;
	int rc;

	if (ev_dbd_open(&db, &err) != 0 || ev_dbd_get_comment(db, jobid, &comment, &ended, &err) != 0) {
		rc = strstr(err.msg, "has no job") ? 1 : EXIT_USAGE;
		cli_error("report: %s", err.msg);
		ev_dbd_close(&db);
		return rc;
	}
	ev_dbd_close(&db);
	if ((rc = ev_record_parse(comment, &rec, &err)) == -ENOENT) {
		ev_record_free(&rec);
		rc = report_from_nodes(ctx, jobid, comment, json);
		free(comment);
		return rc;
	}
	if (rc != 0) {
		cli_error("report: job %" PRIu32 ": %s", jobid, err.msg);
		ev_record_free(&rec);
		free(comment);
		return 1;
	}
	/* Node records are a bonus: the record alone answers the question. */
	if (ev_ctld_gather(jobid, &res, &n, &err) != 0)
		n = 0;
	else
		qsort(res, n, sizeof(*res), cmp_node);
	report_print(&(struct report_view){ .jobid = jobid, .rec = &rec, .res = res, .n = n, .comment = comment },
		     json);
	ev_record_free(&rec);
	free(res);
	free(comment);
	return 0;
}

/* main reads it too, to tell this command's options from the global ones (cli.h). */
const struct option cmd_report_opts[] = {
	{ "json", no_argument, NULL, 'j' },
	{ "local", no_argument, NULL, 'l' },
	{ "timeout", required_argument, NULL, 't' },
	EV_OPTS_HELP_END,
};

int cmd_report(struct cli_ctx *ctx, int argc, char **argv)
{
	struct ev_job_live live;
	struct ev_err err = { "" };
	bool json = false, local = false;
	unsigned long timeout = 30;
	uint32_t jobid;
	char *end;
	int c, rc;

	if (report_fleet_wanted(argc, argv))
		return report_fleet(ctx, argc, argv);
	optind = 0;   /* 0: glibc re-initialises, dropping main's "+" ordering */
	while ((c = getopt_long(argc, argv, "h", cmd_report_opts, NULL)) != -1) {
		switch (c) {
		case 'j': json = true; break;
		case 'l': local = true; break;
		case 't':
			errno = 0;
			timeout = strtoul(optarg, &end, 10);
			if (errno || end == optarg || *end || timeout < 1 || timeout > 3600) {
				cli_error("report: --timeout takes whole seconds from 1 to 3600");
				return EXIT_USAGE;
			}
			break;
		case 'h': fputs(report_usage, stdout); return 0;
		default: fputs(report_usage, stderr); return EXIT_USAGE;
		}
	}
	if (optind != argc - 1) {
		cli_error("report: give exactly one job id");
		fputs(report_usage, stderr);
		return EXIT_USAGE;
	}
	if (ev_jobid_parse(argv[optind], &jobid, &err) != 0) {
		cli_error("report: %s", err.msg);
		return EXIT_USAGE;
	}
	if (local)
		return report_local(ctx, jobid, json);
	/* A job slurmctld shows running is asked; any other has its record
	 * (or none yet) in accounting. */
	rc = ev_job_live_get(jobid, &live, &err);
	if (rc == 0 && live.running)
		rc = report_running(ctx, jobid, &live, json, (unsigned)timeout);
	else if (rc == -EINVAL)
		cli_error("report: job %" PRIu32 ": %s", jobid, err.msg);
	else
		rc = report_record(ctx, jobid, json);
	ev_job_live_free(&live);
	return rc == -EINVAL ? EXIT_USAGE : rc;
}
