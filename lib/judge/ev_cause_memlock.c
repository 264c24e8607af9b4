#include "judge/ev_cause_memlock.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>

uint64_t ev_memlock_task_limit(uint64_t cur, uint64_t max, const struct ev_limit_ask *ask)
{
	if (!ask || !ask->asked)
		return cur;
	if (ask->value <= max)
		return ask->value;
	return ask->insisted ? cur : max;
}

void ev_limit_ask_parse(const char *text, struct ev_limit_ask *ask)
{
	const char *p = text;
	char *end;
	unsigned long long v;

	ask->asked = ask->insisted = false;
	ask->value = 0;
	if (!p)
		return;
	if (*p == 'U')
		p++;
	if (*p < '0' || *p > '9')
		return;
	errno = 0;
	v = strtoull(p, &end, 10);
	if (errno || *end)
		return;
	ask->asked = true;
	ask->insisted = *text == 'U';
	ask->value = (uint64_t)v;
}

void ev_causes_from_memlock(uint64_t limit, uint64_t min_bytes, struct ev_causes *cs)
{
	char detail[32];

	if (!min_bytes || limit >= min_bytes)
		return;
	snprintf(detail, sizeof(detail), "%" PRIu64, limit);
	ev_causes_add(cs, EV_CAUSE_MEMLOCK, EV_CAUSE_CERTAIN, detail);
}
