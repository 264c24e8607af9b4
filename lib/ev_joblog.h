/* The per-node job log: one JSON line per node per job, appended. */
#ifndef EV_JOBLOG_H
#define EV_JOBLOG_H

#include <stddef.h>

#include "ev_err.h"

/* Append line (a newline is added) with one write(2), so lines from
 * concurrent epilogs never interleave. Parent directories are created 0750;
 * the file 0640, never through a symlink. */
int ev_joblog_append(const char *path, const char *line, size_t len, struct ev_err *err);

#endif
