#include "util/ev_array.h"

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int ev_array_room(void *pv, size_t *cap, size_t n, size_t size, size_t first)
{
	void *v, *grown;
	size_t want;

	if (n < *cap)
		return 0;
	want = *cap ? *cap * 2 : (first ? first : 1);
	if (want < *cap || !size || want > SIZE_MAX / size)
		return -ENOMEM;
	memcpy(&v, pv, sizeof(v));
	if (!(grown = realloc(v, want * size)))
		return -ENOMEM;
	memcpy(pv, &grown, sizeof(grown));
	*cap = want;
	return 0;
}
