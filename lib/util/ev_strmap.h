/* Names to small numbers: each distinct name gets the next index (0, 1,
 * ...), so a caller keeps what it counts per name in a plain array beside
 * the map. Built for tallies over many records that name few things (the
 * fleet report's nodes, users, accounts, partitions): memory grows with the
 * distinct names, never with the lookups. */
#ifndef EV_STRMAP_H
#define EV_STRMAP_H

#include <stdbool.h>
#include <stddef.h>

struct ev_strmap {
	char **names;       /* by index; the map's own copies */
	size_t n, names_cap;
	size_t *slots;      /* open addressing: index + 1, 0 = empty */
	size_t slots_cap;   /* a power of two, or 0 */
};

/* A zeroed struct is an empty map. */
void ev_strmap_free(struct ev_strmap *m);

/* name's index, added (*added true) when new. 0 or -ENOMEM (the map is
 * unchanged). */
int ev_strmap_put(struct ev_strmap *m, const char *name, size_t *idx, bool *added);

/* name's index, or -1 when the map does not have it. */
long ev_strmap_find(const struct ev_strmap *m, const char *name);

static inline const char *ev_strmap_name(const struct ev_strmap *m, size_t idx)
{
	return idx < m->n ? m->names[idx] : NULL;
}

#endif
