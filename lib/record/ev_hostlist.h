/* Slurm host lists ("n[1-3,7],login"), as the record lists its bad nodes. */
#ifndef EV_HOSTLIST_H
#define EV_HOSTLIST_H

#include <stddef.h>

#include "util/ev_err.h"

/* Compress names into Slurm hostlist form: n1,n2,n3,n7 -> n[1-3,7]. Names
 * are sorted (numerically within a prefix) first; duplicates collapse. */
int ev_hostlist_compress(char **names, size_t n, char *out, size_t cap);

/* Expand a hostlist ("n[1-3,07],login") into names (malloc'ed array of
 * malloc'ed strings; free with ev_hostlist_free). At most max names
 * (-E2BIG beyond), each a plain host name. */
int ev_hostlist_expand(const char *hl, size_t max, char ***names, size_t *n, struct ev_err *err);
void ev_hostlist_free(char **names, size_t n);

/* qsort order of host names (char *), as compress sorts them. */
int ev_hostlist_cmp(const void *a, const void *b);

#endif
