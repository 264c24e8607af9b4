/* efa-verify report JOBID: the job's record from accounting, and each
 * node's result while slurmctld's node records still hold it. */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "ev_acct.h"
#include "ev_json.h"
#include "ev_record.h"
#include "ev_state.h"

static const char report_usage[] =
	"Usage: efa-verify report JOBID [--json]\n"
	"\n"
	"The job's efa-verify record from Slurm accounting (its AdminComment):\n"
	"verdict, nodes reported, EFA bytes, TCP bytes between the job's nodes\n"
	"and other IP bytes (storage, Slurm; never fallback), where TCP was\n"
	"counted (tcp_source: nftables, or interface where the job's table could\n"
	"not be made: then TCP holds all of the interfaces' bytes), EFA share,\n"
	"the nodes that were not ok; and a per-node table with each node's NIC\n"
	"balance (busy NICs, least/most bytes on one NIC) for as long as\n"
	"slurmctld's node records keep the job (its last few jobs per node).\n"
	"\n"
	"  --json     one JSON object on stdout\n"
	"\n"
	"Exit status: 0 shown, 1 the job has no efa-verify record (yet),\n"
	"2 usage error or Slurm unreachable.\n";

/* 1536 -> "1.5 KiB"; exact bytes are in --json. */
static const char *human(uint64_t b, char *buf, size_t cap)
{
	static const char *const unit[] = { "B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB" };
	double v = (double)b;
	int u = 0;

	while (v >= 1024 && u < 6) {
		v /= 1024;
		u++;
	}
	if (u == 0)
		snprintf(buf, cap, "%" PRIu64 " B", b);
	else
		snprintf(buf, cap, "%.1f %s", v, unit[u]);
	return buf;
}

static double share(uint64_t efa, uint64_t tcp)
{
	return efa + tcp ? (double)efa / ((double)efa + (double)tcp) : 0.0;
}

static double balance(const struct ev_node_result *r)
{
	return r->nic_max_bytes ? (double)r->nic_min_bytes / (double)r->nic_max_bytes : 0.0;
}

static int cmp_node(const void *a, const void *b)
{
	const struct ev_node_result *x = a, *y = b;
	size_t lx = strlen(x->node), ly = strlen(y->node);

	/* n2 before n10: shorter first among equal prefixes is close enough. */
	return lx != ly ? (lx < ly ? -1 : 1) : strcmp(x->node, y->node);
}

/* other_tcp_bytes and tcp_source; null where not known. */
static void tcp_json(struct ev_json *j, enum ev_tcp_source src, uint64_t other)
{
	if (src == EV_TCP_SRC_NFTABLES)
		ev_json_u64(j, "other_tcp_bytes", other);
	else
		ev_json_null(j, "other_tcp_bytes");
	ev_json_str(j, "tcp_source", src == EV_TCP_SRC_NONE ? NULL : ev_tcp_source_name(src));
}

static const char *source_word(enum ev_tcp_source src)
{
	return src == EV_TCP_SRC_NONE ? "-" : ev_tcp_source_name(src);
}

static void print_json(uint32_t jobid, const char *comment, const struct ev_record *rec,
		       const struct ev_node_result *res, size_t n)
{
	struct ev_json j;
	char *out;

	ev_json_init(&j);
	ev_json_obj_begin(&j, NULL);
	ev_json_u64(&j, "job", jobid);
	ev_json_str(&j, "verdict", ev_verdict_name(rec->verdict));
	ev_json_u64(&j, "nodes_reported", rec->reported);
	ev_json_u64(&j, "nodes_total", rec->total);
	ev_json_u64(&j, "efa_bytes", rec->efa_bytes);
	ev_json_u64(&j, "tcp_bytes", rec->tcp_bytes);
	tcp_json(&j, rec->tcp_source, rec->other_tcp_bytes);
	ev_json_double(&j, "efa_share", share(rec->efa_bytes, rec->tcp_bytes));
	ev_json_u64(&j, "shared_nodes", rec->shared);
	ev_json_arr_begin(&j, "not_ok");
	for (size_t i = 0; i < rec->n_groups; i++) {
		ev_json_obj_begin(&j, NULL);
		ev_json_str(&j, "nodes", rec->groups[i].hosts);
		ev_json_str(&j, "verdict", ev_verdict_name(rec->groups[i].verdict));
		ev_json_str(&j, "reason", rec->groups[i].reason[0] ? rec->groups[i].reason : NULL);
		ev_json_obj_end(&j);
	}
	ev_json_arr_end(&j);
	ev_json_u64(&j, "not_ok_unlisted", rec->more);
	ev_json_arr_begin(&j, "nodes");
	for (size_t i = 0; i < n; i++) {
		const struct ev_node_result *r = &res[i];

		ev_json_obj_begin(&j, NULL);
		ev_json_str(&j, "node", r->node);
		ev_json_str(&j, "verdict", ev_verdict_name(r->verdict));
		ev_json_str(&j, "reason", r->reason[0] ? r->reason : NULL);
		ev_json_u64(&j, "efa_bytes", r->efa_bytes);
		ev_json_u64(&j, "tcp_bytes", r->tcp_bytes);
		tcp_json(&j, r->tcp_source, r->other_tcp_bytes);
		ev_json_double(&j, "efa_share", share(r->efa_bytes, r->tcp_bytes));
		ev_json_bool(&j, "shared", r->shared);
		if (r->nics_total) {
			ev_json_u64(&j, "nics_busy", r->nics_busy);
			ev_json_u64(&j, "nics_total", r->nics_total);
			ev_json_u64(&j, "nic_min_bytes", r->nic_min_bytes);
			ev_json_u64(&j, "nic_max_bytes", r->nic_max_bytes);
			ev_json_double(&j, "nic_balance", balance(r));
		}
		ev_json_obj_end(&j);
	}
	ev_json_arr_end(&j);
	ev_json_str(&j, "admin_comment", comment);
	ev_json_obj_end(&j);
	out = ev_json_finish(&j, NULL);
	if (out)
		puts(out);
	free(out);
}

static void print_human(uint32_t jobid, const struct ev_record *rec, const struct ev_node_result *res,
			size_t n)
{
	char a[32], b[32], c[32];

	printf("job %" PRIu32 ": %s, %u/%u nodes reported%s\n", jobid, ev_verdict_name(rec->verdict),
	       rec->reported, rec->total, rec->shared ? " (some nodes shared with other jobs)" : "");
	printf("  EFA %s, TCP %s, EFA share %.1f%%\n", human(rec->efa_bytes, a, sizeof(a)),
	       human(rec->tcp_bytes, b, sizeof(b)), 100.0 * share(rec->efa_bytes, rec->tcp_bytes));
	if (rec->tcp_source == EV_TCP_SRC_NFTABLES)
		printf("  TCP between the job's nodes (tcp_source=nftables); other IP traffic %s, not judged\n",
		       human(rec->other_tcp_bytes, c, sizeof(c)));
	else if (rec->tcp_source == EV_TCP_SRC_INTERFACE)
		printf("  TCP counted on interfaces on some nodes (tcp_source=interface): "
		       "all their traffic, storage and Slurm's included\n");
	if (rec->n_groups || rec->more) {
		printf("  not ok:\n");
		for (size_t i = 0; i < rec->n_groups; i++)
			printf("    %-20s %-13s %s\n", rec->groups[i].hosts, ev_verdict_name(rec->groups[i].verdict),
			       rec->groups[i].reason[0] ? rec->groups[i].reason : "");
		if (rec->more)
			printf("    and %zu more node(s) not listed\n", rec->more);
	}
	if (!n) {
		printf("  (per-node results no longer in slurmctld's node records; see each node's log)\n");
		return;
	}
	printf("\n  %-12s %-13s %12s %12s %12s %-9s %6s %9s %8s  %s\n", "NODE", "VERDICT", "EFA", "TCP",
	       "OTHER IP", "SOURCE", "SHARE", "NICS BUSY", "BALANCE", "REASON");
	for (size_t i = 0; i < n; i++) {
		const struct ev_node_result *r = &res[i];
		char nics[24] = "-", bal[16] = "-";

		if (r->nics_total) {
			snprintf(nics, sizeof(nics), "%" PRIu32 "/%" PRIu32, r->nics_busy, r->nics_total);
			snprintf(bal, sizeof(bal), "%.2f", balance(r));
		}
		printf("  %-12s %-13s %12s %12s %12s %-9s %5.1f%% %9s %8s  %s%s\n", r->node,
		       ev_verdict_name(r->verdict), human(r->efa_bytes, a, sizeof(a)), human(r->tcp_bytes, b, sizeof(b)),
		       r->tcp_source == EV_TCP_SRC_NFTABLES ? human(r->other_tcp_bytes, c, sizeof(c)) : "-",
		       source_word(r->tcp_source), 100.0 * share(r->efa_bytes, r->tcp_bytes), nics, bal,
		       r->reason[0] ? r->reason : "", r->shared ? " (shared)" : "");
	}
}

int cmd_report(struct cli_ctx *ctx, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct ev_acct_db *db = NULL;
	struct ev_node_result *res = NULL;
	struct ev_record rec;
	struct ev_err err = { "" };
	char *comment = NULL;
	bool json = false;
	uint32_t jobid;
	size_t n = 0;
	int c, rc;

	(void)ctx;
	optind = 0;   /* 0: glibc re-initialises, dropping main's "+" ordering */
	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case 'j': json = true; break;
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
	if (ev_acct_db_open(&db, &err) != 0 || ev_acct_get_comment(db, jobid, &comment, &err) != 0) {
		rc = strstr(err.msg, "has no job") ? 1 : EXIT_USAGE;
		cli_error("report: %s", err.msg);
		ev_acct_db_close(&db);
		return rc;
	}
	ev_acct_db_close(&db);
	if ((rc = ev_record_parse(comment, &rec, &err)) != 0) {
		cli_error("report: job %" PRIu32 ": %s", jobid,
			  rc == -ENOENT ? "no efa-verify record in its AdminComment (yet)" : err.msg);
		ev_record_free(&rec);
		free(comment);
		return 1;
	}
	/* Node records are a bonus: the record alone answers the question. */
	if (ev_acct_gather(jobid, &res, &n, &err) != 0)
		n = 0;
	else
		qsort(res, n, sizeof(*res), cmp_node);
	if (json)
		print_json(jobid, comment, &rec, res, n);
	else
		print_human(jobid, &rec, res, n);
	ev_record_free(&rec);
	free(res);
	free(comment);
	return 0;
}
