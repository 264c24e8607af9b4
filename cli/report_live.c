/* efa-verify report on a running job: every node of the job is asked for
 * its numbers so far at once, by running `efa-verify report --local` there
 * with srun. Slurm starts steps in a job for its own user only: that user
 * asks as themselves, root asks as that user, anyone else is refused by
 * slurmctld and told so in one line. The step is an ordinary one that overlaps the job's own:
 * srun (the one configure found, by its path) is started with an argument
 * vector (no shell), a fixed environment of its own, in a session of its
 * own and with a deadline (run_bounded.h). What comes back is the user's
 * to write: each answer counts for the node whose task printed it only,
 * and what srun and the tasks said on stderr is shown printable. */
#include "config.h"

#include <inttypes.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "util/ev_printable.h"
#include "record/ev_record.h"
#include "report.h"
#include "run_bounded.h"

/* --efa-verify=off for the step, the way srun takes a SPANK option from
 * its environment (SLURM_SPANK_ + "_SLURM_SPANK_OPTION_<plugin>_<option>",
 * non-alphanumerics as '_'): with efa_verify.so in plugstack the step gets
 * no environment, no readiness judgement and no end line, whatever the
 * site's or the job's mode; without it srun ignores the variable, where an
 * unknown --efa-verify would be an error. */
#define EV_STEP_OFF_ENV "SLURM_SPANK__SLURM_SPANK_OPTION_efa_verify_efa_verify=off"

/* srun's whole environment, none of the caller's: what is in an admin's
 * shell (keys, tokens, proxies) must not reach a process the job's user
 * owns, and srun's --export names what of it goes on to the tasks. Slurm's
 * config is the caller's only if it is a plain absolute path. */
#define STEP_PATH "PATH=/usr/local/bin:/usr/bin:/bin"
#define STEP_EXPORT "--export=PATH,LANG"

struct step_env {
	char conf[PATH_MAX + 16];
	char *v[5];
};

static bool sane_path(const char *p)
{
	if (!p || p[0] != '/' || strlen(p) >= PATH_MAX)
		return false;
	for (; *p; p++)
		if ((unsigned char)*p <= 0x20 || (unsigned char)*p >= 0x7f)
			return false;
	return true;
}

static void step_env(struct step_env *e)
{
	const char *conf = getenv("SLURM_CONF");
	size_t k = 0;

	e->v[k++] = STEP_PATH;
	e->v[k++] = "LANG=C";
	e->v[k++] = EV_STEP_OFF_ENV;
	if (sane_path(conf)) {
		snprintf(e->conf, sizeof(e->conf), "SLURM_CONF=%s", conf);
		e->v[k++] = e->conf;
	}
	e->v[k] = NULL;
}

/* What srun and the tasks said, line by line, each printable. */
static void show_stderr(const char *s, size_t len)
{
	char line[RUN_ERR_CAP];

	while (len) {
		const char *nl = memchr(s, '\n', len);
		size_t l = nl ? (size_t)(nl - s) : len;

		ev_printable(line, sizeof(line), s, l);
		fprintf(stderr, "%s\n", line);
		l += nl ? 1 : 0;
		s += l;
		len -= l;
	}
}

/* srun's reason, from what it printed: its first error, else its first
 * line; printable, one line. */
static void first_reason(const char *text, char *out, size_t cap)
{
	const char *p = strstr(text, "error: "), *e;

	p = p ? p + 7 : text;
	while (*p == '\n')
		p++;
	e = strchr(p, '\n');
	ev_printable(out, cap, p, e ? (size_t)(e - p) : SIZE_MAX);
}

static int self_path(char *out, size_t cap)
{
	ssize_t n = readlink("/proc/self/exe", out, cap - 1);

	if (n <= 0 || (size_t)n >= cap - 1)
		return -1;
	out[n] = '\0';
	return 0;
}

int report_running(struct cli_ctx *ctx, uint32_t jobid, const struct ev_job_live *live, bool json,
		   unsigned timeout_s)
{
	char self[PATH_MAX], cfg[PATH_MAX], id[16], nn[16], jobopt[32], why[256] = "", text[EV_RECORD_MAX];
	char *argv[28], *const *names;
	const char *conf_path;
	struct step_env env;
	struct ev_node_result *res = NULL;
	struct ev_sofar *sofar = NULL;
	struct ev_record rec = { 0 };
	struct ev_err err = { "" };
	struct run_child c = { 0 };
	struct run_as as = { 0 };
	bool *answered = NULL;
	size_t n = 0, got, ignored, a = 0;
	uint64_t since = 0, as_of = 0;
	int rc = EXIT_USAGE;

	if (live->het) {
		cli_error("report: job %" PRIu32 " is part of a heterogeneous job: its numbers so far are not "
			  "gathered (its record comes when it ends)", jobid);
		return 1;
	}
	if (!live->n) {
		cli_error("report: job %" PRIu32 " is running, but slurmctld names none of its nodes", jobid);
		return 1;
	}
	names = live->names;
	n = live->n;
	if (self_path(self, sizeof(self)) != 0) {
		cli_error("report: cannot tell where this program is (/proc/self/exe)");
		goto out;
	}
	snprintf(id, sizeof(id), "%" PRIu32, jobid);
	snprintf(nn, sizeof(nn), "%zu", n);
	snprintf(jobopt, sizeof(jobopt), "--jobid=%" PRIu32, jobid);
	argv[a++] = EV_SRUN;
	argv[a++] = jobopt;
	argv[a++] = "--overlap";           /* beside the job's own steps, on resources it holds */
	argv[a++] = "-N";
	argv[a++] = nn;
	argv[a++] = "--ntasks-per-node=1";
	argv[a++] = "--cpus-per-task=1";
	argv[a++] = "--quiet";
	argv[a++] = "--label";                /* whose task said it: a line counts for that node only */
	argv[a++] = "--distribution=block";   /* task i on the job's i-th node, in Slurm's order */
	argv[a++] = STEP_EXPORT;
	argv[a++] = "--kill-on-bad-exit=0";   /* a node that fails leaves the others' answers */
	argv[a++] = "--mpi=none";
	argv[a++] = "--input=none";
	argv[a++] = "--chdir=/";            /* the caller's directory may not exist there */
	argv[a++] = "--job-name=efa-verify-report";
	/* This very program, which an installed efa-verify has at the same
	 * path on every node. */
	argv[a++] = self;
	/* The same config on the nodes: named by the path this run was given,
	 * else by $EFA_VERIFY_CONFIG (the step does not inherit it), made
	 * absolute (the tasks start in /), or the default. */
	conf_path = ctx->config_path && *ctx->config_path ? ctx->config_path : getenv("EFA_VERIFY_CONFIG");
	if (conf_path && *conf_path) {
		if (conf_path[0] == '/')
			snprintf(cfg, sizeof(cfg), "%s", conf_path);
		else if (!getcwd(cfg, sizeof(cfg)) || strlen(cfg) + strlen(conf_path) + 2 > sizeof(cfg))
			snprintf(cfg, sizeof(cfg), "%s", conf_path);
		else
			strcat(strcat(cfg, "/"), conf_path);
		argv[a++] = "-c";
		argv[a++] = cfg;
	}
	argv[a++] = "report";
	argv[a++] = "--local";
	argv[a++] = id;
	argv[a++] = "--json";
	argv[a] = NULL;
	step_env(&env);
	if (!(res = calloc(n, sizeof(*res))) || !(sofar = calloc(n, sizeof(*sofar))) ||
	    !(answered = calloc(n, sizeof(*answered)))) {
		cli_error("report: out of memory");
		goto out;
	}
	if (geteuid() == 0 && live->uid != 0 && run_as_user((uid_t)live->uid, &as, &err) != 0) {
		cli_error("report: job %" PRIu32 " is running, but its nodes cannot be asked as its user: %s", jobid,
			  err.msg);
		goto out;
	}
	if (run_bounded(argv, env.v, &as, timeout_s, 1024 * (n + 16), &c, &err) != 0) {
		cli_error("report: job %" PRIu32 " is running, but its nodes cannot be asked: %s", jobid, err.msg);
		goto out;
	}
	got = ev_sofar_collect(c.out.p, jobid, names, n, sofar, answered, &ignored);
	if (!got) {
		if (c.timed_out)
			snprintf(why, sizeof(why), "no node answered within %u s", timeout_s);
		else
			first_reason(c.err, why, sizeof(why));
		cli_error("report: job %" PRIu32 " is running, but its nodes could not be asked how far it got: %s%s",
			  jobid, why[0] ? why : "srun gave no answer",
			  getuid() != 0 && getuid() != live->uid ? " (it is another user's job: only its user and root "
								   "can ask)" : "");
		rc = 1;
		goto out;
	}
	for (size_t i = 0; i < n; i++) {
		if (answered[i]) {
			res[i] = sofar[i].r;
			if (sofar[i].since && (!since || sofar[i].since < since))
				since = sofar[i].since;
			if (sofar[i].as_of > as_of)
				as_of = sofar[i].as_of;
			continue;
		}
		memset(&sofar[i], 0, sizeof(sofar[i]));
		snprintf(res[i].node, sizeof(res[i].node), "%s", names[i]);
		res[i].jobid = jobid;
		res[i].verdict = EV_V_UNKNOWN;
		snprintf(res[i].reason, sizeof(res[i].reason), "%s", c.timed_out ? "no_answer_in_time" : "no_answer");
	}
	/* The job's verdict so far by the record's own rules: the worst
	 * node's, unknown at best while a node is missing. */
	if (ev_record_build(res, n, (unsigned)n, text, sizeof(text), &err) != 0 ||
	    ev_record_parse(text, &rec, &err) != 0) {
		cli_error("report: job %" PRIu32 ": %s", jobid, err.msg);
		goto out;
	}
	rec.reported = (unsigned)got;
	report_print(&(struct report_view){ .jobid = jobid, .rec = &rec, .res = res, .n = n, .so_far = true,
					    .sofar = sofar, .as_of = as_of, .since = since, .answered = got },
		     json);
	/* Whatever srun or a node said (a node that could not read its
	 * counters, say) is passed on, after the answer. */
	show_stderr(c.err, c.err_len);
	if (got < n)
		cli_error("report: %zu of job %" PRIu32 "'s %zu nodes did not answer%s", n - got, jobid, n,
			  c.timed_out ? " in time" : "");
	rc = 0;
out:
	ev_record_free(&rec);
	ev_buf_free(&c.out);
	free(res);
	free(sofar);
	free(answered);
	return rc;
}
