/* Running a program for root on a user's behalf (report's srun), bounded
 * in time and output, and cut off from the caller: its own session (no
 * controlling terminal shared with the caller's shell), stdin from
 * /dev/null, "/" as its directory, only the environment it is given, and
 * the user's identity when asked. */
#ifndef EV_CLI_RUN_BOUNDED_H
#define EV_CLI_RUN_BOUNDED_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "util/ev_buf.h"
#include "util/ev_err.h"

#define RUN_ERR_CAP 4096

/* What it printed and how it ended. */
struct run_child {
	struct ev_buf out;           /* stdout, at most out_cap bytes kept */
	char err[RUN_ERR_CAP];       /* stderr, the first RUN_ERR_CAP-1 bytes */
	size_t err_len;
	bool timed_out;
	int status;
};

/* Who it runs as: the caller (drop false), or a user and their groups. */
struct run_as {
	bool drop;
	uid_t uid;
	gid_t gid;
	gid_t groups[256];
	int n_groups;
};

/* uid's identity from the user database; -ENOENT if it names no user. */
int run_as_user(uid_t uid, struct run_as *r, struct ev_err *err);

/* Run argv (argv[0] an absolute path: no PATH search) with env, as r says;
 * its output into c. At the deadline it gets SIGTERM (srun then ends its
 * step), 3 s later SIGKILL; it also gets SIGTERM if the caller dies. 0, or
 * -errno if it could not be started. */
int run_bounded(char *const argv[], char *const env[], const struct run_as *r, unsigned timeout_s,
		size_t out_cap, struct run_child *c, struct ev_err *err);

#endif
