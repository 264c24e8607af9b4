#include "util/ev_strmap.h"

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "util/ev_array.h"

/* FNV-1a: names are short and this is not exposed to chosen collisions
 * from anyone but the admins who name nodes and accounts. */
static size_t hash(const char *s)
{
	uint64_t h = 1469598103934665603ULL;

	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 1099511628211ULL;
	return (size_t)(h ^ (h >> 32));
}

void ev_strmap_free(struct ev_strmap *m)
{
	for (size_t i = 0; i < m->n; i++)
		free(m->names[i]);
	free(m->names);
	free(m->slots);
	memset(m, 0, sizeof(*m));
}

static size_t *slot_of(const struct ev_strmap *m, const char *name)
{
	size_t mask = m->slots_cap - 1, i = hash(name) & mask;

	while (m->slots[i] && strcmp(m->names[m->slots[i] - 1], name) != 0)
		i = (i + 1) & mask;
	return &m->slots[i];
}

/* Kept at most half full, so a probe ends soon. */
static int grow(struct ev_strmap *m)
{
	size_t cap = m->slots_cap ? m->slots_cap * 2 : 64, *old = m->slots, old_cap = m->slots_cap;

	if (cap < m->slots_cap || cap > SIZE_MAX / sizeof(*m->slots))
		return -ENOMEM;
	if (!(m->slots = calloc(cap, sizeof(*m->slots)))) {
		m->slots = old;
		return -ENOMEM;
	}
	m->slots_cap = cap;
	for (size_t i = 0; i < old_cap; i++)
		if (old[i])
			*slot_of(m, m->names[old[i] - 1]) = old[i];
	free(old);
	return 0;
}

long ev_strmap_find(const struct ev_strmap *m, const char *name)
{
	size_t s;

	if (!m->slots_cap)
		return -1;
	s = *slot_of(m, name);
	return s ? (long)(s - 1) : -1;
}

int ev_strmap_put(struct ev_strmap *m, const char *name, size_t *idx, bool *added)
{
	size_t *slot;
	char *copy;

	*added = false;
	if (m->slots_cap) {
		slot = slot_of(m, name);
		if (*slot) {
			*idx = *slot - 1;
			return 0;
		}
	}
	if ((m->n + 1) * 2 > m->slots_cap && grow(m))
		return -ENOMEM;
	if (ev_array_room(&m->names, &m->names_cap, m->n, sizeof(*m->names), 16) || !(copy = strdup(name)))
		return -ENOMEM;
	m->names[m->n] = copy;
	slot = slot_of(m, name);
	*idx = m->n++;
	*slot = m->n;
	*added = true;
	return 0;
}
