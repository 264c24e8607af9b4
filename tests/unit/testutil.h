/* Helpers shared by the cmocka unit tests (test code only). */
#ifndef EV_TESTUTIL_H
#define EV_TESTUTIL_H

#include <stddef.h>
#include <sys/types.h>

/* A fresh directory under $TMPDIR (or /tmp); caller frees the string and
 * removes the tree with tu_rm_rf. Aborts the test program on failure. */
char *tu_mkdtemp(void);
void tu_rm_rf(const char *path);

/* Write text to dir/rel, creating parent directories. Returns 0 or -errno. */
int tu_write(const char *dir, const char *rel, const char *text);
/* tu_write, then its mtime set age seconds back (a file left long ago). */
int tu_write_aged(const char *dir, const char *rel, const char *text, long age);

/* Run argv (argv[0] looked up in PATH) and wait; returns its exit status,
 * or -1 if it could not be run. stdout/stderr are inherited. */
int tu_run(char *const argv[]);

/* $top_srcdir / $top_builddir as exported by make check (or "." ). */
const char *tu_srcdir(void);
const char *tu_builddir(void);

/* Build a simulated sysfs tree with tests/fixtures/mkfixture.py:
 * tu_fixture(out_dir, "--type", "p5.48xlarge", NULL). Returns its exit status. */
int tu_fixture(const char *out_dir, ...);

/* cmocka's skip() with a reason, for a test that cannot run here (say,
 * one that needs root to give a file to another user). The reason goes out
 * as a TAP comment, which tests/unit/tap-cmocka.sh puts on the test's SKIP
 * line: cmocka's own TAP for a skip has none, and differs by version. */
#define tu_skip(reason)                                   \
	do {                                              \
		printf("# skip: %s\n", (reason));         \
		fflush(stdout);                           \
		skip();                                   \
	} while (0)

/* The uid of an unprivileged user (nobody; 65534 if there is none). */
uid_t tu_unprivileged_uid(void);

/* A fresh directory the unprivileged user owns and can reach (under the
 * first of $TMPDIR, /tmp, /var/tmp, /dev/shm that everyone may search), for
 * tu_as_unprivileged's child to work in; NULL if there is none. The caller
 * frees it and removes it with tu_rm_rf. */
char *tu_mkdtemp_unprivileged(void);

/* Run fn(arg) in a child process without root's powers: as root the child
 * becomes tu_unprivileged_uid() (groups dropped), otherwise it runs as is.
 * So a test that means "an ordinary user" runs, and is not skipped, when
 * the suite runs as root (as CI does). Returns fn's return value (the
 * child's exit status, 0..255; 125: could not drop root), or -1 if the
 * child died. fn must not use cmocka's asserts: in the child they would
 * unwind into a copy of the test runner. */
int tu_as_unprivileged(int (*fn)(void *), void *arg);

#endif
