/* Enum values and their names, as a table of names indexed by value (a
 * NULL entry is a value without a name). One lookup each way, so that every
 * enum says "unknown" for a value it does not know, and no caller trusts a
 * value from outside to index its table. */
#ifndef EV_NAMES_H
#define EV_NAMES_H

#include <stddef.h>

#define EV_NAMES_N(a) (sizeof(a) / sizeof((a)[0]))

/* names[v]; "unknown" for a value outside the table or without a name. */
const char *ev_name_of(const char *const *names, size_t n, int v);

/* The value named s, or -1 (s NULL, or no value has that name). */
int ev_name_find(const char *const *names, size_t n, const char *s);

#endif
