#ifndef EV_SPOOL_H
#define EV_SPOOL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "config/ev_instances.h"
#include "util/ev_err.h"

/* Spool of node results that could not be delivered. A line is opaque here
 * (one line, no NUL, < EV_SPOOL_LINE_MAX). put replaces an earlier entry of
 * the same job and node; delivery removes it. node: ev_valid_nodename. */
#define EV_SPOOL_LINE_MAX 1024
#define EV_SPOOL_MAX_ENTRIES 4096

struct ev_spool_entry {
	uint32_t jobid;
	char node[EV_NAME_MAX];
	char line[EV_SPOOL_LINE_MAX];
	bool bad;            /* unreadable, foreign, oversized: line empty; remove it */
};

int ev_spool_put(const char *state_dir, uint32_t jobid, const char *node, const char *line,
		 struct ev_err *err);
/* Entries sorted by job id, then node; names that are not ours are
 * skipped. No spool directory: 0 entries. At most EV_SPOOL_MAX_ENTRIES
 * (*truncated says if more; may be NULL). *out is malloc'ed (free it). */
int ev_spool_list(const char *state_dir, struct ev_spool_entry **out, size_t *n, bool *truncated,
		  struct ev_err *err);
/* 0 also if it was already gone (delivered by someone else). */
int ev_spool_remove(const char *state_dir, uint32_t jobid, const char *node, struct ev_err *err);

#endif
