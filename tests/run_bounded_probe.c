/* run_bounded as report runs srun, around any program, for
 * tests/integration/run_bounded.sh:
 *
 *   run_bounded_probe [-u UID] PROGRAM [ARG...]
 *
 * PROGRAM runs with only PATH in its environment (as UID's user with -u),
 * bounded at 20 s; its stdout and stderr are printed as they came, and
 * the probe exits with its status (124 if it timed out, 126 if it could
 * not be started). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "run_bounded.h"

int main(int argc, char **argv)
{
	char *env[] = { "PATH=/usr/bin:/bin", NULL };
	struct run_as as = { 0 };
	struct run_child c;
	struct ev_err err = { "" };
	int i = 1;

	if (argc > 3 && strcmp(argv[1], "-u") == 0) {
		if (run_as_user((uid_t)strtoul(argv[2], NULL, 10), &as, &err) != 0) {
			fprintf(stderr, "run_bounded_probe: %s\n", err.msg);
			return 2;
		}
		i = 3;
	}
	if (i >= argc) {
		fprintf(stderr, "usage: run_bounded_probe [-u UID] PROGRAM [ARG...]\n");
		return 2;
	}
	if (run_bounded(argv + i, env, &as, 20, 1 << 20, &c, &err) != 0) {
		fprintf(stderr, "run_bounded_probe: %s\n", err.msg);
		return 126;
	}
	fwrite(c.out.p ? c.out.p : "", 1, c.out.len, stdout);
	fputs(c.err, stderr);
	ev_buf_free(&c.out);
	if (c.timed_out)
		return 124;
	return WIFEXITED(c.status) ? WEXITSTATUS(c.status) : 128 + WTERMSIG(c.status);
}
