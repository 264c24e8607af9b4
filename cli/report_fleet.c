/* efa-verify report --since: the fleet over every job that ended in a time
 * range, from accounting, a window of jobs at a time (slurmio's
 * ev_dbd_jobs_each), tallied by lib/record/ev_fleet. */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "util/ev_json.h"
#include "util/ev_names.h"
#include "util/ev_opts.h"
#include "util/ev_printable.h"
#include "util/ev_when.h"
#include "record/ev_fleet.h"
#include "ev_dbd.h"
#include "ev_dbd_jobs.h"
#include "report.h"

#define TOP_DEFAULT 20

static const char fleet_usage[] =
	"Usage: efa-verify report --since WHEN [--until WHEN] [--partition NAME]\n"
	"                         [--user NAME|UID] [--top N] [--json]\n"
	"\n"
	"The fleet over every job that ended from --since to --until, from the\n"
	"efa-verify records in Slurm accounting (slurmdbd): jobs by verdict (and\n"
	"those without a record), the nodes ranked by the jobs they were not ok in,\n"
	"with their causes and when last, the ones that stand out marked '!' (not ok\n"
	"in at least 3 jobs, and at least twice the fleet's share of jobs not ok);\n"
	"users, accounts and partitions ranked by jobs in tcp_fallback; and the\n"
	"share of GPU-hours spent in tcp_fallback.\n"
	"\n"
	"  --since WHEN       the start: a duration back from now (7d, 24h, 90m,\n"
	"                     30s, 2w) or a local date, YYYY-MM-DD or\n"
	"                     YYYY-MM-DDTHH:MM:SS (as sacct reads them)\n"
	"  --until WHEN       the end, not included (default: now)\n"
	"  --partition NAME   that partition's jobs only\n"
	"  --user NAME|UID    that user's jobs only\n"
	"  --top N            rows per table (default 20; 0: all)\n"
	"  --json             one JSON object on stdout\n"
	"\n"
	"Exit status: 0 the report was produced, 1 slurmdbd could not be read,\n"
	"2 usage error. See efa-verify-report(8).\n"
	CLI_GLOBAL_HELP;

static const struct option fleet_opts[] = {
	{ "since", required_argument, NULL, 's' },
	{ "until", required_argument, NULL, 'u' },
	{ "partition", required_argument, NULL, 'p' },
	{ "user", required_argument, NULL, 'U' },
	{ "top", required_argument, NULL, 't' },
	{ "json", no_argument, NULL, 'j' },
	EV_OPTS_HELP_END,
};

bool report_fleet_wanted(int argc, char **argv)
{
	for (int i = 1; i < argc && strcmp(argv[i], "--") != 0; i++)
		for (const struct option *o = fleet_opts; o->name; o++) {
			size_t n = strlen(o->name);

			if (o->has_arg == required_argument && strncmp(argv[i], "--", 2) == 0 &&
			    strncmp(argv[i] + 2, o->name, n) == 0 && (!argv[i][2 + n] || argv[i][2 + n] == '='))
				return true;
		}
	return false;
}

/* Slurm's partition names; slurmdbd puts the name into its SQL. */
static bool partition_name(const char *s)
{
	if (!*s || strlen(s) > 64)
		return false;
	for (; *s; s++)
		if (!isalnum((unsigned char)*s) && !strchr("._-", *s))
			return false;
	return true;
}

/* A user name of this host, else a uid as digits (a user the host does
 * not know may still have jobs): the name first, as Slurm reads one. */
static int user_uid(const char *s, uint32_t *uid)
{
	struct passwd pw, *res = NULL;
	char buf[4096];
	char *end;
	unsigned long v;

	if (getpwnam_r(s, &pw, buf, sizeof(buf), &res) == 0 && res) {
		*uid = (uint32_t)res->pw_uid;
		return 0;
	}
	if (!*s || strspn(s, "0123456789") != strlen(s))
		return -ENOENT;
	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno || v >= UINT32_MAX)
		return -ENOENT;
	*uid = (uint32_t)v;
	return 0;
}

struct fleet_run {
	struct ev_fleet *fleet;
	struct ev_err err;
};

static int add_job(const struct ev_dbd_job *j, void *arg)
{
	struct fleet_run *r = arg;
	const struct ev_fleet_job job = {
		.jobid = j->jobid, .user = j->user, .account = j->account, .partition = j->partition,
		.nodes = j->nodes, .admin_comment = j->admin_comment, .end = j->end, .elapsed = j->elapsed,
		.gpus = j->gpus, .started = j->started,
	};

	return ev_fleet_add(r->fleet, &job, &r->err);
}

/* ------------------------------------------------------------------ output */

struct fleet_view {
	const struct ev_fleet *f;
	const struct ev_fleet_totals *t;
	const struct ev_dbd_jobs_query *q;
	const char *user;                   /* as given */
	const struct ev_dbd_jobs_stats *st;
	size_t top;                         /* 0: all */
	const struct ev_fleet_node **nodes;
	size_t n_nodes;
	const struct ev_fleet_group **groups[EV_FLEET__BY];
	size_t n_groups[EV_FLEET__BY];
};

/* Worst first, as the record orders verdicts. */
static const enum ev_verdict verdict_order[] = { EV_V_NOT_READY, EV_V_TCP_FALLBACK, EV_V_DEGRADED,
						 EV_V_UNKNOWN, EV_V_OK, EV_V_NO_TRAFFIC };
static const char *const by_key[EV_FLEET__BY] = { "users", "accounts", "partitions" };
static const char *const by_head[EV_FLEET__BY] = { "USER", "ACCOUNT", "PARTITION" };

static size_t shown(const struct fleet_view *v, size_t n)
{
	return v->top && n > v->top ? v->top : n;
}

static uint64_t judged(const struct ev_fleet_totals *t)
{
	uint64_t n = 0;

	for (size_t i = 0; i < EV_FLEET_VERDICTS; i++)
		n += t->verdicts[i];
	return n;
}

/* A node's causes, most jobs first: (cause, certainty) pairs by index. */
static size_t node_causes(const struct ev_fleet_node *n, unsigned order[EV_CAUSE__COUNT * 2])
{
	size_t k = 0;

	for (unsigned i = 0; i < EV_CAUSE__COUNT * 2; i++)
		if (n->causes[i / 2][i % 2])
			order[k++] = i;
	/* Insertion sort: at most 20 entries. Ties keep the vocabulary's order. */
	for (size_t i = 1; i < k; i++)
		for (size_t j = i; j > 0 && n->causes[order[j] / 2][order[j] % 2] >
					    n->causes[order[j - 1] / 2][order[j - 1] % 2]; j--) {
			unsigned x = order[j];

			order[j] = order[j - 1];
			order[j - 1] = x;
		}
	return k;
}

static void print_json(const struct fleet_view *v)
{
	const struct ev_fleet_totals *t = v->t;
	struct ev_json j;
	size_t n;
	int rc;

	cli_json_begin(&j);
	ev_json_i64(&j, "since", v->q->since);
	ev_json_i64(&j, "until", v->q->until);
	ev_json_str(&j, "partition", v->q->partition);
	ev_json_str(&j, "user", v->user);
	ev_json_u64(&j, "jobs", t->jobs);
	ev_json_u64(&j, "not_started", t->not_started);
	ev_json_u64(&j, "judged", judged(t));
	ev_json_obj_begin(&j, "verdicts");
	for (size_t i = 0; i < EV_NAMES_N(verdict_order); i++)
		ev_json_u64(&j, ev_verdict_name(verdict_order[i]), t->verdicts[verdict_order[i]]);
	ev_json_obj_end(&j);
	ev_json_u64(&j, "no_record", t->no_record);
	ev_json_u64(&j, "malformed", t->malformed);
	ev_json_arr_begin(&j, "malformed_jobs");
	for (size_t i = 0; i < t->n_malformed_jobs; i++)
		ev_json_u64(&j, NULL, t->malformed_jobs[i]);
	ev_json_arr_end(&j);
	ev_json_str(&j, "malformed_why", t->malformed ? t->malformed_why : NULL);

	ev_json_u64(&j, "nodes_seen", ev_fleet_nodes_seen(v->f));
	ev_json_u64(&j, "nodes_not_ok", v->n_nodes);
	ev_json_double(&j, "fleet_not_ok_share", ev_fleet_share(t->node_not_ok, t->node_jobs));
	ev_json_obj_begin(&j, "repeat_rule");
	ev_json_u64(&j, "min_jobs", EV_FLEET_REPEAT_MIN_JOBS);
	ev_json_u64(&j, "share_factor", EV_FLEET_REPEAT_FACTOR);
	ev_json_obj_end(&j);
	ev_json_arr_begin(&j, "nodes");
	for (size_t i = 0, k = shown(v, v->n_nodes); i < k; i++) {
		const struct ev_fleet_node *nd = v->nodes[i];
		unsigned order[EV_CAUSE__COUNT * 2];

		ev_json_obj_begin(&j, NULL);
		ev_json_str(&j, "node", nd->name);
		ev_json_u64(&j, "not_ok", nd->not_ok);
		ev_json_u64(&j, "jobs", nd->jobs);
		ev_json_double(&j, "share", ev_fleet_share(nd->not_ok, nd->jobs));
		ev_json_i64(&j, "last_not_ok", nd->last_not_ok);
		ev_json_bool(&j, "repeat", ev_fleet_repeat(v->f, nd));
		ev_json_arr_begin(&j, "causes");
		for (size_t c = 0, nc = node_causes(nd, order); c < nc; c++) {
			ev_json_obj_begin(&j, NULL);
			ev_json_str(&j, "name", ev_cause_name((enum ev_cause_name)(order[c] / 2)));
			ev_json_str(&j, "certainty",
				    ev_cause_certainty_name(order[c] % 2 ? EV_CAUSE_LIKELY : EV_CAUSE_CERTAIN));
			ev_json_u64(&j, "jobs", nd->causes[order[c] / 2][order[c] % 2]);
			ev_json_obj_end(&j);
		}
		ev_json_arr_end(&j);
		ev_json_obj_end(&j);
	}
	ev_json_arr_end(&j);
	ev_json_u64(&j, "nodes_more", v->n_nodes - shown(v, v->n_nodes));
	ev_json_u64(&j, "unlisted_not_ok", t->unlisted_not_ok);
	ev_json_u64(&j, "hostlists_unread", t->hostlists_unread);

	for (int b = 0; b < EV_FLEET__BY; b++) {
		char more[32];

		n = shown(v, v->n_groups[b]);
		ev_json_arr_begin(&j, by_key[b]);
		for (size_t i = 0; i < n; i++) {
			const struct ev_fleet_group *g = v->groups[b][i];

			ev_json_obj_begin(&j, NULL);
			ev_json_str(&j, "name", g->name);
			ev_json_u64(&j, "tcp_fallback", g->tcp_fallback);
			ev_json_double(&j, "share", ev_fleet_share(g->tcp_fallback, g->judged));
			ev_json_u64(&j, "judged", g->judged);
			ev_json_u64(&j, "jobs", g->jobs);
			ev_json_obj_end(&j);
		}
		ev_json_arr_end(&j);
		snprintf(more, sizeof(more), "%s_more", by_key[b]);
		ev_json_u64(&j, more, v->n_groups[b] - n);
	}

	ev_json_obj_begin(&j, "gpu");
	ev_json_u64(&j, "jobs", t->gpu_jobs);
	ev_json_u64(&j, "gpu_seconds", t->gpu_seconds);
	ev_json_u64(&j, "gpu_seconds_judged", t->gpu_seconds_judged);
	ev_json_u64(&j, "gpu_seconds_tcp_fallback", t->gpu_seconds_fallback);
	if (t->gpu_seconds_judged)
		ev_json_double(&j, "tcp_fallback_share", ev_fleet_share(t->gpu_seconds_fallback, t->gpu_seconds_judged));
	else
		ev_json_null(&j, "tcp_fallback_share");
	ev_json_obj_end(&j);

	ev_json_obj_begin(&j, "query");
	ev_json_u64(&j, "windows", v->st->windows);
	ev_json_u64(&j, "windows_split", v->st->retries);
	ev_json_u64(&j, "largest_window", v->st->most);
	ev_json_obj_end(&j);
	if ((rc = cli_json_print(&j)))
		cli_error("writing JSON: %s", strerror(-rc));
}

/* Names from accounting, shown bounded and printable. */
static const char *safe(const char *s, char *buf, size_t cap)
{
	size_t took = ev_printable(buf, cap, s, cap - 1);

	if (s[took] && cap > 4)
		memcpy(buf + cap - 4, "...", 4);
	return buf;
}

static void print_more(size_t more, const char *what)
{
	if (more)
		printf("     ... and %zu more %s (--top 0 shows all)\n", more, what);
}

static void print_human(const struct fleet_view *v)
{
	const struct ev_fleet_totals *t = v->t;
	uint64_t all = judged(t);
	char a[32], b[32], name[41];

	printf("efa-verify report: jobs that ended from %s to %s",
	       ev_when_text((time_t)v->q->since, a, sizeof(a)), ev_when_text((time_t)v->q->until, b, sizeof(b)));
	if (v->q->partition || v->user)
		printf(" (%s%s%s%s%s)", v->q->partition ? "partition " : "", v->q->partition ? v->q->partition : "",
		       v->q->partition && v->user ? ", " : "", v->user ? "user " : "",
		       v->user ? safe(v->user, name, sizeof(name)) : "");
	printf("\n  %" PRIu64 " jobs: %" PRIu64 " with a record, %" PRIu64 " without one, %" PRIu64
	       " with a malformed one, %" PRIu64 " never started\n",
	       t->jobs, all, t->no_record, t->malformed, t->not_started);

	printf("\n  %-14s %8s %7s\n", "VERDICT", "JOBS", "SHARE");
	for (size_t i = 0; i < EV_NAMES_N(verdict_order); i++) {
		uint64_t n = t->verdicts[verdict_order[i]];

		printf("  %-14s %8" PRIu64 " %6.1f%%\n", ev_verdict_name(verdict_order[i]), n,
		       100.0 * ev_fleet_share(n, all));
	}
	printf("  %-14s %8" PRIu64 "\n", "no record", t->no_record);
	printf("  %-14s %8" PRIu64, "malformed", t->malformed);
	if (t->malformed) {
		/* The parser's words may quote the AdminComment, which another
		 * tool wrote: never raw to the terminal. */
		char why[sizeof(t->malformed_why)];

		printf("  jobs");
		for (size_t i = 0; i < t->n_malformed_jobs; i++)
			printf("%s %" PRIu32, i ? "," : "", t->malformed_jobs[i]);
		printf("%s; the first: %s", t->malformed > t->n_malformed_jobs ? ", ..." : "",
		       safe(t->malformed_why, why, sizeof(why)));
	}
	printf("\n  (share: of the jobs with a record)\n");

	printf("\n  NODES NOT OK: %zu of the %zu seen, most jobs not ok first; '!' stands out: not ok in at\n"
	       "  least %d jobs and in at least %d times the fleet's share of jobs not ok (%.1f%%)\n",
	       v->n_nodes, ev_fleet_nodes_seen(v->f), EV_FLEET_REPEAT_MIN_JOBS, EV_FLEET_REPEAT_FACTOR,
	       100.0 * ev_fleet_share(t->node_not_ok, t->node_jobs));
	if (v->n_nodes)
		printf("     %-20s %7s %7s %6s  %-19s  %s\n", "NODE", "NOT OK", "JOBS", "SHARE", "LAST NOT OK", "CAUSES");
	for (size_t i = 0, k = shown(v, v->n_nodes); i < k; i++) {
		const struct ev_fleet_node *nd = v->nodes[i];
		unsigned order[EV_CAUSE__COUNT * 2];
		size_t nc = node_causes(nd, order);

		printf("  %c  %-20s %7" PRIu64 " %7" PRIu64 " %5.1f%%  %-19s  ", ev_fleet_repeat(v->f, nd) ? '!' : ' ',
		       nd->name, nd->not_ok, nd->jobs, 100.0 * ev_fleet_share(nd->not_ok, nd->jobs),
		       ev_when_text((time_t)nd->last_not_ok, a, sizeof(a)));
		for (size_t c = 0; c < nc; c++)
			printf("%s%s%s %" PRIu64, c ? ", " : "", ev_cause_name((enum ev_cause_name)(order[c] / 2)),
			       order[c] % 2 ? "~" : "", nd->causes[order[c] / 2][order[c] % 2]);
		printf("%s\n", nc ? "" : "-");
	}
	print_more(v->n_nodes - shown(v, v->n_nodes), "nodes");
	if (t->unlisted_not_ok)
		printf("  %" PRIu64 " more times a node was not ok in a record that counts it without naming it"
		       " (bad=...;+N_more)\n", t->unlisted_not_ok);
	if (t->hostlists_unread)
		printf("  %" PRIu64 " host lists could not be read (not Slurm host ranges, or over %d names)\n",
		       t->hostlists_unread, EV_FLEET_HOSTLIST_MAX);

	for (int g = 0; g < EV_FLEET__BY; g++) {
		size_t k = shown(v, v->n_groups[g]);

		printf("\n  %-20s %8s %7s %8s %8s\n", by_head[g], "FALLBACK", "SHARE", "JUDGED", "JOBS");
		for (size_t i = 0; i < k; i++) {
			const struct ev_fleet_group *gr = v->groups[g][i];

			printf("  %-20s %8" PRIu64 " %6.1f%% %8" PRIu64 " %8" PRIu64 "\n",
			       safe(gr->name, name, 21), gr->tcp_fallback,
			       100.0 * ev_fleet_share(gr->tcp_fallback, gr->judged), gr->judged, gr->jobs);
		}
		print_more(v->n_groups[g] - k, by_key[g]);
	}
	printf("  (FALLBACK: jobs in tcp_fallback; SHARE: of its jobs with a record, JUDGED)\n");

	if (!t->gpu_jobs) {
		printf("\n  GPU-hours: no GPU jobs\n");
		return;
	}
	printf("\n  GPU-hours: %.1f in %" PRIu64 " GPU jobs; of the %.1f in jobs with a record, %.1f (%.1f%%)"
	       " in tcp_fallback\n",
	       t->gpu_seconds / 3600.0, t->gpu_jobs, t->gpu_seconds_judged / 3600.0, t->gpu_seconds_fallback / 3600.0,
	       100.0 * ev_fleet_share(t->gpu_seconds_fallback, t->gpu_seconds_judged));
}

/* ------------------------------------------------------------------ command */

static int parse_args(int argc, char **argv, struct ev_dbd_jobs_query *q, const char **user, size_t *top,
		      bool *json)
{
	const char *since = NULL, *until = NULL;
	struct ev_err err = { "" };
	time_t now = time(NULL), t;
	unsigned long n;
	char *end;
	int c;

	optind = 0;   /* 0: glibc re-initialises, dropping main's "+" ordering */
	while ((c = getopt_long(argc, argv, "h", fleet_opts, NULL)) != -1) {
		switch (c) {
		case 's': since = optarg; break;
		case 'u': until = optarg; break;
		case 'p':
			if (!partition_name(optarg)) {
				cli_error("report: --partition: a partition name is letters, digits, '.', '_' and '-'");
				return EXIT_USAGE;
			}
			q->partition = optarg;
			break;
		case 'U':
			if (user_uid(optarg, &q->uid) != 0) {
				char shown_[41];

				cli_error("report: --user: no user '%s' on this host (give the uid)",
					  safe(optarg, shown_, sizeof(shown_)));
				return EXIT_USAGE;
			}
			q->by_uid = true;
			*user = optarg;
			break;
		case 't':
			errno = 0;
			n = strtoul(optarg, &end, 10);
			if (errno || end == optarg || *end || !isdigit((unsigned char)*optarg) || n > 100000) {
				cli_error("report: --top takes a count of rows from 0 (all) to 100000");
				return EXIT_USAGE;
			}
			*top = n;
			break;
		case 'j': *json = true; break;
		case 'h': fputs(fleet_usage, stdout); return -1;
		default: fputs(fleet_usage, stderr); return EXIT_USAGE;
		}
	}
	if (!since) {
		cli_error("report: --until, --partition, --user and --top are the fleet report's, which needs --since");
		return EXIT_USAGE;
	}
	if (optind != argc) {
		cli_error("report: a job id and --since do not go together: one job, or the fleet");
		return EXIT_USAGE;
	}
	if (ev_when_parse(since, now, &t, &err) != 0) {
		cli_error("report: --since: %s", err.msg);
		return EXIT_USAGE;
	}
	q->since = t;
	q->until = now;
	if (until && ev_when_parse(until, now, &t, &err) != 0) {
		cli_error("report: --until: %s", err.msg);
		return EXIT_USAGE;
	}
	if (until)
		q->until = t;
	if (q->since >= q->until) {
		cli_error("report: --since must be before --until (%s)", until ? "given" : "now");
		return EXIT_USAGE;
	}
	if (q->since < 1) {
		cli_error("report: --since: no job ended before 1970");
		return EXIT_USAGE;
	}
	return 0;
}

int report_fleet(struct cli_ctx *ctx, int argc, char **argv)
{
	struct ev_dbd_jobs_query q = { 0 };
	struct ev_dbd_jobs_stats st = { 0 };
	struct fleet_run run = { NULL, { "" } };
	struct fleet_view v = { 0 };
	struct ev_dbd *db = NULL;
	const char *user = NULL;
	size_t top = TOP_DEFAULT;
	bool json = false;
	int rc;

	(void)ctx;
	if ((rc = parse_args(argc, argv, &q, &user, &top, &json)))
		return rc < 0 ? 0 : rc;
	if (ev_fleet_new(&run.fleet) != 0) {
		cli_error("report: out of memory");
		return 1;
	}
	if (ev_dbd_open(&db, &run.err) != 0 ||
	    (rc = ev_dbd_jobs_each(db, &q, add_job, &run, &st, &run.err)) != 0) {
		if (rc == -ENOMEM)
			cli_error("report: out of memory");
		else
			cli_error("report: slurmdbd could not be read: %s", run.err.msg);
		ev_dbd_close(&db);
		ev_fleet_free(&run.fleet);
		return 1;
	}
	ev_dbd_close(&db);
	v = (struct fleet_view){ .f = run.fleet, .t = ev_fleet_totals(run.fleet), .q = &q, .user = user, .st = &st,
				 .top = top };
	rc = ev_fleet_nodes(run.fleet, &v.nodes, &v.n_nodes);
	for (int b = 0; !rc && b < EV_FLEET__BY; b++)
		rc = ev_fleet_groups(run.fleet, (enum ev_fleet_by)b, &v.groups[b], &v.n_groups[b]);
	if (rc) {
		cli_error("report: out of memory");
		rc = 1;
	} else if (json) {
		print_json(&v);
	} else {
		print_human(&v);
	}
	free(v.nodes);
	for (int b = 0; b < EV_FLEET__BY; b++)
		free(v.groups[b]);
	ev_fleet_free(&run.fleet);
	return rc;
}
