/* Bounded runs of report's srun, cut off from the caller (run_bounded.h). */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <poll.h>
#include <pwd.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include "util/ev_time.h"
#include "run_bounded.h"

static void take(int fd, struct run_child *c, bool is_err, size_t out_cap, bool *open_)
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
		size_t k = (size_t)r < RUN_ERR_CAP - 1 - c->err_len ? (size_t)r : RUN_ERR_CAP - 1 - c->err_len;

		memcpy(c->err + c->err_len, buf, k);
		c->err_len += k;
		c->err[c->err_len] = '\0';
	} else if (c->out.len + (size_t)r <= out_cap) {
		ev_buf_add(&c->out, buf, (size_t)r);
	}
}

int run_as_user(uid_t uid, struct run_as *r, struct ev_err *err)
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

int run_bounded(char *const argv[], char *const env[], const struct run_as *r, unsigned timeout_s,
		size_t out_cap, struct run_child *c, struct ev_err *err)
{
	int po[2], pe[2], rc, stage = 0, ep[2];
	bool oo = true, eo = true;
	uint64_t deadline = ev_mono_ms() + (uint64_t)timeout_s * 1000;
	ssize_t got;
	pid_t pid, parent;

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
	parent = getpid();
	pid = fork();
	if (pid == 0) {
		sigset_t none;
		int e, fd = open("/dev/null", O_RDONLY);

		sigemptyset(&none);
		sigprocmask(SIG_SETMASK, &none, NULL);
		signal(SIGPIPE, SIG_DFL);
		/* A session of its own before it becomes the user's: a process
		 * the user may trace must hold no terminal of the caller's (no
		 * TIOCSTI into root's shell). The death signal is set after
		 * the identity change, which clears it. */
		if (argv[0][0] != '/')
			e = EINVAL;
		else if (fd < 0 || dup2(fd, 0) < 0 || dup2(po[1], 1) < 0 || dup2(pe[1], 2) < 0 || chdir("/") != 0 ||
			 setsid() < 0 ||
			 (r->drop && (setgroups((size_t)r->n_groups, r->groups) != 0 || setgid(r->gid) != 0 ||
				      setuid(r->uid) != 0)) ||
			 prctl(PR_SET_PDEATHSIG, SIGTERM) != 0)
			e = errno;
		else if (getppid() != parent)
			e = ECHILD;
		else {
			execve(argv[0], argv, env);
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

