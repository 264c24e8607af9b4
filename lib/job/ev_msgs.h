/* Log lines that lib/job's functions leave for their caller: the prolog
 * and epilog log them (syslog and slurmd's log) in order, between their
 * own Slurm and nftables lines, so lib/ never logs and a unit test can
 * read what would have been said. */
#ifndef EV_MSGS_H
#define EV_MSGS_H

#include <stddef.h>

/* As long as one line ev_binlog writes. */
#define EV_MSG_MAX 1024
/* More than one call of lib/job ever says. */
#define EV_MSGS_MAX 16

struct ev_msg {
	int prio;                 /* a syslog priority: LOG_ERR, LOG_WARNING, LOG_INFO */
	char text[EV_MSG_MAX];
};

struct ev_msgs {
	size_t n;
	struct ev_msg m[EV_MSGS_MAX];
	size_t lost;              /* lines past EV_MSGS_MAX, not kept */
};

/* Append a line, cut at EV_MSG_MAX - 1 bytes. */
void ev_msgf(struct ev_msgs *l, int prio, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

#endif
