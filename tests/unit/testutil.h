/* Helpers shared by the cmocka unit tests (test code only). */
#ifndef EV_TESTUTIL_H
#define EV_TESTUTIL_H

#include <stddef.h>

/* A fresh directory under $TMPDIR (or /tmp); caller frees the string and
 * removes the tree with tu_rm_rf. Aborts the test program on failure. */
char *tu_mkdtemp(void);
void tu_rm_rf(const char *path);

/* Write text to dir/rel, creating parent directories. Returns 0 or -errno. */
int tu_write(const char *dir, const char *rel, const char *text);

/* Run argv (argv[0] looked up in PATH) and wait; returns its exit status,
 * or -1 if it could not be run. stdout/stderr are inherited. */
int tu_run(char *const argv[]);

/* $top_srcdir / $top_builddir as exported by make check (or "." ). */
const char *tu_srcdir(void);
const char *tu_builddir(void);

/* Build a simulated sysfs tree with tests/fixtures/mkfixture.py:
 * tu_fixture(out_dir, "--type", "p5.48xlarge", NULL). Returns its exit status. */
int tu_fixture(const char *out_dir, ...);

#endif
