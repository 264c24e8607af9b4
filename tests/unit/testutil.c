#include "testutil.h"

#include <errno.h>
#include <ftw.h>
#include <spawn.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
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
	(void)flag;
	(void)ftw;
	/* Restore permissions a test may have removed so the tree can go. */
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
