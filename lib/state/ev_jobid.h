#ifndef EV_JOBID_H
#define EV_JOBID_H

#include <stdint.h>

#include "util/ev_err.h"

/* Slurm job ids are decimal uint32; anything else never becomes a file name. */
int ev_jobid_parse(const char *s, uint32_t *out, struct ev_err *err);

/* qsort order of job ids (uint32_t), ascending. */
int ev_jobid_cmp(const void *a, const void *b);

#endif
