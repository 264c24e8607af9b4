/* STUB, to be replaced by the full lib/judge/ev_cause.c: only the two
 * calls the counter causes need, so the library links (the plugin and
 * slurmio.so allow no undefined symbol of ours). */
#include "judge/ev_cause.h"

#include <string.h>

static bool before(const struct ev_cause *a, const struct ev_cause *b)
{
	return a->certainty != b->certainty ? a->certainty == EV_CAUSE_CERTAIN : a->name < b->name;
}

void ev_causes_add(struct ev_causes *cs, enum ev_cause_name n, enum ev_cause_certainty c, const char *detail)
{
	struct ev_cause k = { n, c, "" };
	size_t i, at;

	for (i = 0; detail && detail[i] && i < sizeof(k.detail) - 1; i++)
		k.detail[i] = strchr("_.:/+@-", detail[i]) || (detail[i] >= 'a' && detail[i] <= 'z') ||
				      (detail[i] >= 'A' && detail[i] <= 'Z') || (detail[i] >= '0' && detail[i] <= '9')
				      ? detail[i] : '_';
	for (i = 0; i < cs->n; i++) {
		if (cs->c[i].name != n)
			continue;
		if (cs->c[i].certainty == c || c == EV_CAUSE_LIKELY)
			return;
		memmove(&cs->c[i], &cs->c[i + 1], (cs->n - i - 1) * sizeof(cs->c[0]));
		cs->n--;
		break;
	}
	for (at = 0; at < cs->n && before(&cs->c[at], &k); at++)
		;
	if (at == EV_CAUSES_MAX)
		return;
	if (cs->n == EV_CAUSES_MAX)
		cs->n--;
	memmove(&cs->c[at + 1], &cs->c[at], (cs->n - at) * sizeof(cs->c[0]));
	cs->c[at] = k;
	cs->n++;
}

const struct ev_cause *ev_causes_find(const struct ev_causes *cs, enum ev_cause_name n)
{
	for (size_t i = 0; i < cs->n; i++)
		if (cs->c[i].name == n)
			return &cs->c[i];
	return NULL;
}
