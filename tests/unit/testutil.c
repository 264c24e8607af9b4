#include "testutil.h"

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <grp.h>
#include <pwd.h>
#include <spawn.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

extern char **environ;

char *tu_mkdtemp(void)
{
	const char *t = getenv("TMPDIR");
	char *p;

	if (!t || !*t)
		t = "/tmp";
	if (asprintf(&p, "%s/evtest.XXXXXX", t) < 0)
		abort();
	if (!mkdtemp(p)) {
		perror("mkdtemp");
		abort();
	}
	return p;
}

static int rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)ftw;
	/* Restore permissions a test may have removed so the tree can go;
	 * never through a symlink, which chmod follows (test_counters links
	 * to /tmp: chmod made /tmp 0700 for everyone). */
	if (flag != FTW_SL && flag != FTW_SLN)
		chmod(path, 0700);
	return remove(path);
}

void tu_rm_rf(const char *path)
{
	if (path)
		nftw(path, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

int tu_write(const char *dir, const char *rel, const char *text)
{
	char path[4096];
	char *slash;
	FILE *f;

	if (snprintf(path, sizeof(path), "%s/%s", dir, rel) >= (int)sizeof(path))
		return -ENAMETOOLONG;
	for (slash = strchr(path + strlen(dir) + 1, '/'); slash; slash = strchr(slash + 1, '/')) {
		*slash = '\0';
		if (mkdir(path, 0755) < 0 && errno != EEXIST)
			return -errno;
		*slash = '/';
	}
	f = fopen(path, "w");
	if (!f)
		return -errno;
	fputs(text, f);
	return fclose(f) == 0 ? 0 : -errno;
}

int tu_write_aged(const char *dir, const char *rel, const char *text, long age)
{
	struct timespec t[2];
	char path[4096];
	int rc = tu_write(dir, rel, text);

	if (rc)
		return rc;
	snprintf(path, sizeof(path), "%s/%s", dir, rel);
	clock_gettime(CLOCK_REALTIME, &t[0]);
	t[0].tv_sec -= age;
	t[1] = t[0];
	return utimensat(AT_FDCWD, path, t, 0) == 0 ? 0 : -errno;
}

int tu_run(char *const argv[])
{
	pid_t pid;
	int st;

	if (posix_spawnp(&pid, argv[0], NULL, NULL, argv, environ) != 0)
		return -1;
	if (waitpid(pid, &st, 0) < 0)
		return -1;
	return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

const char *tu_srcdir(void)
{
	const char *s = getenv("top_srcdir");
	return s && *s ? s : ".";
}

const char *tu_builddir(void)
{
	const char *s = getenv("top_builddir");
	return s && *s ? s : ".";
}

int tu_fixture(const char *out_dir, ...)
{
	char script[4096];
	char *argv[64];
	const char *py = getenv("PYTHON");
	size_t n = 0;
	va_list ap;

	snprintf(script, sizeof(script), "%s/tests/fixtures/mkfixture.py", tu_srcdir());
	argv[n++] = (char *)(py && *py ? py : "python3");
	argv[n++] = script;
	argv[n++] = (char *)out_dir;
	va_start(ap, out_dir);
	for (const char *a; n < 63 && (a = va_arg(ap, const char *));)
		argv[n++] = (char *)a;
	va_end(ap);
	argv[n] = NULL;
	return tu_run(argv);
}

uid_t tu_unprivileged_uid(void)
{
	struct passwd *pw = getpwnam("nobody");

	return pw && pw->pw_uid != 0 ? pw->pw_uid : 65534;
}

int tu_as_unprivileged(int (*fn)(void *), void *arg)
{
	int status;
	pid_t pid;

	/* Nothing buffered may be printed twice, once by the child. */
	fflush(NULL);
	pid = fork();
	if (pid < 0)
		return -1;
	if (pid == 0) {
		if (geteuid() == 0) {
			uid_t uid = tu_unprivileged_uid();

			if (setgroups(0, NULL) != 0 || setgid((gid_t)uid) != 0 || setuid(uid) != 0)
				_exit(125);
		}
		/* Root's powers (CAP_DAC_OVERRIDE, CAP_CHOWN) are what the
		 * caller wants gone: a child still root proves nothing. */
		if (geteuid() == 0 || getuid() == 0)
			_exit(125);
		_exit(fn(arg) & 0xff);
	}
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			return -1;
	return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

/* Every component of path searchable by anyone (o+x). */
static int reachable_by_all(const char *path)
{
	char buf[4096];
	struct stat st;

	if (snprintf(buf, sizeof(buf), "%s", path) >= (int)sizeof(buf))
		return 0;
	for (;;) {
		char *slash;

		if (stat(buf[0] ? buf : "/", &st) != 0 || !S_ISDIR(st.st_mode) || !(st.st_mode & S_IXOTH))
			return 0;
		if (!buf[0] || !(slash = strrchr(buf, '/')))
			return 1;
		*slash = '\0';
	}
}

char *tu_mkdtemp_unprivileged(void)
{
	const char *bases[] = { getenv("TMPDIR"), "/tmp", "/var/tmp", "/dev/shm" };
	char *p;

	for (size_t i = 0; i < sizeof(bases) / sizeof(bases[0]); i++) {
		if (!bases[i] || bases[i][0] != '/' || !reachable_by_all(bases[i]))
			continue;
		if (asprintf(&p, "%s/evtest-u.XXXXXX", bases[i]) < 0)
			abort();
		if (!mkdtemp(p)) {
			free(p);
			continue;
		}
		if (geteuid() == 0 && chown(p, tu_unprivileged_uid(), (gid_t)tu_unprivileged_uid()) != 0) {
			tu_rm_rf(p);
			free(p);
			continue;
		}
		return p;
	}
	return NULL;
}
