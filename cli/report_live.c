/* efa-verify report on a running job: every node of the job is asked for
 * its numbers so far at once, by running `efa-verify report --local` there
 * with srun. Slurm starts steps in a job for its own user only: that user
 * asks as themselves, root asks as that user, anyone else is refused by
 * slurmctld and told so in one line. The step is an ordinary one that overlaps the job's own:
 * srun is started with an argument vector (no shell), a clean environment
 * and a deadline. */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <grp.h>
#include <pwd.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "util/ev_buf.h"
#include "util/ev_printable.h"
#include "util/ev_time.h"
#include "record/ev_record.h"
#include "report.h"

extern char **environ;

/* --efa-verify=off for the step, the way srun takes a SPANK option from
 * its environment (SLURM_SPANK_ + "_SLURM_SPANK_OPTION_<plugin>_<option>",
 * non-alphanumerics as '_'): with efa_verify.so in plugstack the step gets
 * no environment, no readiness judgement and no end line, whatever the
 * site's or the job's mode; without it srun ignores the variable, where an
 * unknown --efa-verify would be an error. */
#define EV_STEP_OFF_ENV "SLURM_SPANK__SLURM_SPANK_OPTION_efa_verify_efa_verify=off"

#define ERR_CAP 4096

/* What srun reads as its options (SLURM_*, SRUN_*, ...) would steer this
 * step the way they steer the caller's own jobs: only SLURM_CONF is kept. */
static bool steers_srun(const char *e)
{
	static const char *const pre[] = { "SLURM_", "SRUN_", "SALLOC_", "SBATCH_", "SLURMD_", "SPANK_",
					   "_SLURM_SPANK_", NULL };

	if (strncmp(e, "SLURM_CONF=", 11) == 0)
		return false;
	for (size_t i = 0; pre[i]; i++)
		if (strncmp(e, pre[i], strlen(pre[i])) == 0)
			return true;
	return false;
}

static char **step_env(void)
{
	size_t n = 0, k = 0;
	char **v;

	while (environ[n])
		n++;
	if (!(v = calloc(n + 2, sizeof(*v))))
		return NULL;
	for (size_t i = 0; i < n; i++)
		if (!steers_srun(environ[i]))
			v[k++] = environ[i];
	v[k++] = (char *)EV_STEP_OFF_ENV;
	return v;
}

struct child {
	struct ev_buf out;           /* stdout, at most out_cap bytes kept */
	char err[ERR_CAP];           /* stderr, the first ERR_CAP-1 bytes */
	size_t err_len;
	bool timed_out;
	int status;
};

static void take(int fd, struct child *c, bool is_err, size_t out_cap, bool *open_)
{
	char buf[8192];
	ssize_t r = read(fd, buf, sizeof(buf));

	if (r < 0 && (errno == EINTR || errno == EAGAIN))
		return;
	if (r <= 0) {
		*open_ = false;
		return;
	}
	if (is_err) {
		size_t k = (size_t)r < ERR_CAP - 1 - c->err_len ? (size_t)r : ERR_CAP - 1 - c->err_len;

		memcpy(c->err + c->err_len, buf, k);
		c->err_len += k;
		c->err[c->err_len] = '\0';
	} else if (c->out.len + (size_t)r <= out_cap) {
		ev_buf_add(&c->out, buf, (size_t)r);
	}
}

/* Who srun runs as. Slurm starts a step in a job for the job's own user
 * only (slurmctld refuses even root), so root asks as that user. */
struct runas {
	bool drop;
	uid_t uid;
	gid_t gid;
	gid_t groups[256];
	int n_groups;
};

static int runas_user(uid_t uid, struct runas *r, struct ev_err *err)
{
	char buf[16384];
	struct passwd pw, *p = NULL;

	memset(r, 0, sizeof(*r));
	if (getpwuid_r(uid, &pw, buf, sizeof(buf), &p) != 0 || !p)
		return ev_errf(err, -ENOENT, "uid %u has no user on this host", (unsigned)uid);
	r->n_groups = (int)(sizeof(r->groups) / sizeof(r->groups[0]));
	if (getgrouplist(p->pw_name, p->pw_gid, r->groups, &r->n_groups) < 0)
		r->n_groups = 0;
	r->drop = true;
	r->uid = uid;
	r->gid = p->pw_gid;
	return 0;
}

/* Run argv (looked up in PATH) with env, stdin from /dev/null, in "/", as
 * r says; its output into c. At the deadline it gets SIGTERM (srun then
 * ends its step), 3 s later SIGKILL. 0, or -errno if it could not be
 * started. */
static int run_bounded(char *const argv[], char *const env[], const struct runas *r, unsigned timeout_s,
		       size_t out_cap, struct child *c, struct ev_err *err)
{
	int po[2], pe[2], rc, stage = 0, ep[2];
	bool oo = true, eo = true;
	uint64_t deadline = ev_mono_ms() + (uint64_t)timeout_s * 1000;
	ssize_t got;
	pid_t pid;

	memset(c, 0, sizeof(*c));
	if (pipe2(po, O_CLOEXEC) != 0)
		return ev_errf(err, -errno, "pipe: %s", strerror(errno));
	if (pipe2(pe, O_CLOEXEC) != 0) {
		rc = -errno;
		close(po[0]);
		close(po[1]);
		return ev_errf(err, rc, "pipe: %s", strerror(-rc));
	}
	/* exec's failure comes back through ep (closed on success). */
	if (pipe2(ep, O_CLOEXEC) != 0) {
		rc = -errno;
		close(po[0]);
		close(po[1]);
		close(pe[0]);
		close(pe[1]);
		return ev_errf(err, rc, "pipe: %s", strerror(-rc));
	}
	fflush(NULL);
	pid = fork();
	if (pid == 0) {
		sigset_t none;
		int e, fd = open("/dev/null", O_RDONLY);

		sigemptyset(&none);
		sigprocmask(SIG_SETMASK, &none, NULL);
		signal(SIGPIPE, SIG_DFL);
		if (fd < 0 || dup2(fd, 0) < 0 || dup2(po[1], 1) < 0 || dup2(pe[1], 2) < 0 || chdir("/") != 0 ||
		    (r->drop && (setgroups((size_t)r->n_groups, r->groups) != 0 || setgid(r->gid) != 0 ||
				 setuid(r->uid) != 0)))
			e = errno;
		else {
			execvpe(argv[0], argv, env);
			e = errno;
		}
		if (write(ep[1], &e, sizeof(e)) < 0)
			_exit(127);
		_exit(127);
	}
	rc = pid < 0 ? -errno : 0;
	close(po[1]);
	close(pe[1]);
	close(ep[1]);
	if (!rc) {
		int e = 0;

		while ((got = read(ep[0], &e, sizeof(e))) < 0 && errno == EINTR)
			;
		if (got == (ssize_t)sizeof(e)) {
			while (waitpid(pid, NULL, 0) < 0 && errno == EINTR)
				;
			rc = -e;
		}
	}
	close(ep[0]);
	if (rc != 0) {
		close(po[0]);
		close(pe[0]);
		return ev_errf(err, rc, "cannot run %s: %s", argv[0], strerror(-rc));
	}
	while (oo || eo) {
		struct pollfd p[2];
		uint64_t now = ev_mono_ms();
		nfds_t n = 0;

		if (now >= deadline) {
			if (stage == 2)
				break;   /* a descendant holds the pipes: stop reading */
			kill(pid, stage ? SIGKILL : SIGTERM);
			c->timed_out = true;
			deadline = now + (stage ? 2000 : 3000);
			stage++;
			continue;
		}
		if (oo)
			p[n++] = (struct pollfd){ .fd = po[0], .events = POLLIN };
		if (eo)
			p[n++] = (struct pollfd){ .fd = pe[0], .events = POLLIN };
		if (poll(p, n, (int)(deadline - now)) <= 0)
			continue;
		for (nfds_t i = 0; i < n; i++)
			if (p[i].revents)
				take(p[i].fd, c, p[i].fd == pe[0], out_cap, p[i].fd == pe[0] ? &eo : &oo);
	}
	close(po[0]);
	close(pe[0]);
	while (waitpid(pid, &c->status, 0) < 0 && errno == EINTR)
		;
	return 0;
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
	char *argv[24], **env = NULL, *const *names;
	struct ev_node_result *res = NULL;
	struct ev_sofar *sofar = NULL;
	struct ev_record rec = { 0 };
	struct ev_err err = { "" };
	struct child c = { 0 };
	struct runas as = { 0 };
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
	argv[a++] = "srun";
	argv[a++] = jobopt;
	argv[a++] = "--overlap";           /* beside the job's own steps, on resources it holds */
	argv[a++] = "-N";
	argv[a++] = nn;
	argv[a++] = "--ntasks-per-node=1";
	argv[a++] = "--cpus-per-task=1";
	argv[a++] = "--quiet";
	argv[a++] = "--kill-on-bad-exit=0";   /* a node that fails leaves the others' answers */
	argv[a++] = "--mpi=none";
	argv[a++] = "--input=none";
	argv[a++] = "--chdir=/";            /* the caller's directory may not exist there */
	argv[a++] = "--job-name=efa-verify-report";
	/* This very program, which an installed efa-verify has at the same
	 * path on every node. */
	argv[a++] = self;
	/* The same config on the nodes: named by the path this run was given
	 * (made absolute: the tasks start in /), else by $EFA_VERIFY_CONFIG,
	 * which the step inherits, or the default. */
	if (ctx->config_path) {
		if (ctx->config_path[0] == '/')
			snprintf(cfg, sizeof(cfg), "%s", ctx->config_path);
		else if (!getcwd(cfg, sizeof(cfg)) || strlen(cfg) + strlen(ctx->config_path) + 2 > sizeof(cfg))
			snprintf(cfg, sizeof(cfg), "%s", ctx->config_path);
		else
			strcat(strcat(cfg, "/"), ctx->config_path);
		argv[a++] = "-c";
		argv[a++] = cfg;
	}
	argv[a++] = "report";
	argv[a++] = "--local";
	argv[a++] = id;
	argv[a++] = "--json";
	argv[a] = NULL;
	if (!(env = step_env()) || !(res = calloc(n, sizeof(*res))) || !(sofar = calloc(n, sizeof(*sofar))) ||
	    !(answered = calloc(n, sizeof(*answered)))) {
		cli_error("report: out of memory");
		goto out;
	}
	if (geteuid() == 0 && live->uid != 0 && runas_user((uid_t)live->uid, &as, &err) != 0) {
		cli_error("report: job %" PRIu32 " is running, but its nodes cannot be asked as its user: %s", jobid,
			  err.msg);
		goto out;
	}
	if (run_bounded(argv, env, &as, timeout_s, 1024 * (n + 16), &c, &err) != 0) {
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
	if (c.err_len)
		fprintf(stderr, "%s%s", c.err, c.err[c.err_len - 1] == '\n' ? "" : "\n");
	if (got < n)
		cli_error("report: %zu of job %" PRIu32 "'s %zu nodes did not answer%s", n - got, jobid, n,
			  c.timed_out ? " in time" : "");
	rc = 0;
out:
	ev_record_free(&rec);
	ev_buf_free(&c.out);
	free(env);
	free(res);
	free(sofar);
	free(answered);
	return rc;
}
