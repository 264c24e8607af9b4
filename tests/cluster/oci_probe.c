/* A SPANK plugin for tests/cluster/oci.sh: one line per hook it is called
 * in, saying where that hook ran (which process, as whom, on the node or in
 * the container's root filesystem) and what it can learn of the step's
 * container. Test code only: it answers what the product must know, it is
 * no part of the product.
 *
 *   optional oci_probe.so log=FILE marker=TEXT
 *
 * Each line (appended whole, one write, O_APPEND):
 *   hook=NAME ctx=CTX job=J step=S uid=U euid=E pid=P mntns=mnt:[N] userns=user:[N]
 *   root=container|node ib=yes|no task=T spank_env=VALUE|-(ERR) proc_env=VALUE|- argv0=A
 * ("-" where the hook cannot tell)
 * root=container when /etc/os-release holds TEXT (the test's image has
 * it, the node has not); spank_env is spank_getenv(SLURM_CONTAINER),
 * proc_env the process's own getenv. */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <slurm/spank.h>

SPANK_PLUGIN(oci_probe, 1);

static char log_path[512];
static char marker[128];

static const char *ctx_name(void)
{
	switch (spank_context()) {
	case S_CTX_LOCAL: return "local";
	case S_CTX_REMOTE: return "remote";
	case S_CTX_ALLOCATOR: return "allocator";
	case S_CTX_SLURMD: return "slurmd";
	case S_CTX_JOB_SCRIPT: return "job_script";
	default: return "error";
	}
}

static void ns(const char *which, char *out, size_t cap)
{
	char p[64];
	ssize_t n;

	snprintf(p, sizeof(p), "/proc/self/ns/%s", which);
	n = readlink(p, out, cap - 1);
	out[n > 0 ? n : 0] = '\0';
}

/* The root filesystem the process sees: the test image's, or the node's. */
static const char *root_is(void)
{
	char buf[512];
	ssize_t n;
	int fd = open("/etc/os-release", O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return "none";
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	buf[n > 0 ? n : 0] = '\0';
	return marker[0] && strstr(buf, marker) ? "container" : "node";
}

/* Values go on one line: no blanks or newlines in them. */
static void word(char *s)
{
	for (; *s; s++)
		if (*s == ' ' || *s == '\n' || *s == '\t')
			*s = '_';
}

static void probe(spank_t sp, const char *hook)
{
	char line[2048], mnt[64], user[64], senv[256], task[16] = "-", argv0[256] = "-";
	char job[16] = "-", step[16] = "-";
	const char *penv = getenv("SLURM_CONTAINER");
	uint32_t tid, id;
	int argc, fd;
	char **argv;
	spank_err_t e;

	if (!log_path[0])
		return;
	ns("mnt", mnt, sizeof(mnt));
	ns("user", user, sizeof(user));
	e = spank_getenv(sp, "SLURM_CONTAINER", senv, sizeof(senv));
	if (e != ESPANK_SUCCESS)
		snprintf(senv, sizeof(senv), "-(%s)", spank_strerror(e));
	if (spank_get_item(sp, S_JOB_ID, &id) == ESPANK_SUCCESS)
		snprintf(job, sizeof(job), "%u", id);
	if (spank_get_item(sp, S_JOB_STEPID, &id) == ESPANK_SUCCESS)
		snprintf(step, sizeof(step), "%u", id);
	if (spank_get_item(sp, S_TASK_GLOBAL_ID, &tid) == ESPANK_SUCCESS)
		snprintf(task, sizeof(task), "%u", tid);
	if (spank_get_item(sp, S_JOB_ARGV, &argc, &argv) == ESPANK_SUCCESS && argc > 0)
		snprintf(argv0, sizeof(argv0), "%s", argv[0]);
	word(senv);
	word(argv0);
	snprintf(line, sizeof(line),
		 "hook=%s ctx=%s job=%s step=%s uid=%u euid=%u pid=%d mntns=%s userns=%s root=%s ib=%s task=%s spank_env=%s "
		 "proc_env=%s argv0=%s\n",
		 hook, ctx_name(), job, step, (unsigned)getuid(), (unsigned)geteuid(), (int)getpid(), mnt, user, root_is(),
		 access("/dev/infiniband/uverbs0", F_OK) == 0 ? "yes" : "no", task, senv,
		 penv && *penv ? penv : "-", argv0);
	fd = open(log_path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0666);
	if (fd < 0)
		return;
	if (write(fd, line, strlen(line)) < 0)
		slurm_error("oci_probe: %s: %s", log_path, strerror(errno));
	close(fd);
}

int slurm_spank_init(spank_t sp, int ac, char **av)
{
	for (int i = 0; i < ac; i++) {
		if (strncmp(av[i], "log=", 4) == 0)
			snprintf(log_path, sizeof(log_path), "%s", av[i] + 4);
		else if (strncmp(av[i], "marker=", 7) == 0)
			snprintf(marker, sizeof(marker), "%s", av[i] + 7);
	}
	probe(sp, "init");
	return 0;
}

int slurm_spank_init_post_opt(spank_t sp, int ac, char **av)
{
	(void)ac;
	(void)av;
	probe(sp, "init_post_opt");
	return 0;
}

int slurm_spank_local_user_init(spank_t sp, int ac, char **av)
{
	(void)ac;
	(void)av;
	probe(sp, "local_user_init");
	return 0;
}

int slurm_spank_user_init(spank_t sp, int ac, char **av)
{
	(void)ac;
	(void)av;
	probe(sp, "user_init");
	if (spank_context() == S_CTX_REMOTE)
		spank_setenv(sp, "OCI_PROBE_USER_INIT", "set", 1);
	return 0;
}

int slurm_spank_task_init_privileged(spank_t sp, int ac, char **av)
{
	(void)ac;
	(void)av;
	probe(sp, "task_init_privileged");
	return 0;
}

int slurm_spank_task_init(spank_t sp, int ac, char **av)
{
	(void)ac;
	(void)av;
	probe(sp, "task_init");
	/* Does what the task's environment gets here reach the container? */
	if (spank_context() == S_CTX_REMOTE)
		spank_setenv(sp, "OCI_PROBE_TASK_INIT", "set", 1);
	return 0;
}

int slurm_spank_task_post_fork(spank_t sp, int ac, char **av)
{
	(void)ac;
	(void)av;
	probe(sp, "task_post_fork");
	return 0;
}

int slurm_spank_task_exit(spank_t sp, int ac, char **av)
{
	(void)ac;
	(void)av;
	probe(sp, "task_exit");
	return 0;
}

int slurm_spank_exit(spank_t sp, int ac, char **av)
{
	(void)ac;
	(void)av;
	probe(sp, "exit");
	return 0;
}
