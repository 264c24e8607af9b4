/* Arrays that grow as a list is read (directory entries, host names,
 * record groups): one rule for the growth, so no reader caps a list it
 * cannot size in advance, and none gets the arithmetic wrong. */
#ifndef EV_ARRAY_H
#define EV_ARRAY_H

#include <stddef.h>

/* Room for element n of the array *pv points to (capacity *cap elements
 * of size bytes): doubled, from first, when full. 0, or -ENOMEM with *pv
 * and *cap unchanged (the caller still frees *pv). */
int ev_array_room(void *pv, size_t *cap, size_t n, size_t size, size_t first);

#endif
