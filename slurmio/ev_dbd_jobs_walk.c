/* The windows of end time the fleet query walks, and the TRES string's
 * GPU count: no Slurm calls, so the unit tests drive them directly. */
#include "config.h"

#include "ev_dbd_jobs.h"

#include <ctype.h>
#include <errno.h>
#include <stdlib.h>

/* A window never spans more than this: its span grows from how many jobs
 * the last one held, and a quiet month says little about the next. */
#define SPAN_MAX (7 * 86400)

void ev_dbd_walk_init(struct ev_dbd_walk *w, int64_t since, int64_t until, size_t want, size_t max,
		      int64_t first_span)
{
	*w = (struct ev_dbd_walk){ .since = since, .until = until, .start = since,
				   .span = first_span > 0 ? first_span : 1, .span_max = SPAN_MAX,
				   .want = want ? want : 1, .max = max > want ? max : want };
}

bool ev_dbd_walk_next(const struct ev_dbd_walk *w, int64_t *s, int64_t *e)
{
	if (w->start >= w->until)
		return false;
	*s = w->start;
	*e = w->until - w->start > w->span ? w->start + w->span : w->until;
	return true;
}

bool ev_dbd_walk_took(struct ev_dbd_walk *w, size_t jobs)
{
	int64_t s, e, span;

	if (!ev_dbd_walk_next(w, &s, &e))
		return false;
	span = e - s;
	if (jobs > w->max && span > 1) {
		/* Dropped unread: asked again in halves until one fits. */
		w->span = span / 2;
		w->retries++;
		return false;
	}
	w->start = e;
	w->windows++;
	if (jobs > w->most)
		w->most = jobs;
	/* The next span is what would have held the jobs wanted at this
	 * window's density, moved at most fourfold either way: one busy or
	 * quiet window is a hint, not the trend. An empty one quadruples. */
	if (!jobs)
		span *= 4;
	else if ((double)span * (double)w->want / (double)jobs > (double)span * 4)
		span *= 4;
	else if ((double)span * (double)w->want / (double)jobs < (double)span / 4)
		span = span / 4;
	else
		span = (int64_t)((double)span * (double)w->want / (double)jobs);
	w->span = span < 1 ? 1 : span > w->span_max ? w->span_max : span;
	return true;
}

bool ev_dbd_walk_too_wide(struct ev_dbd_walk *w)
{
	int64_t s, e;

	if (!ev_dbd_walk_next(w, &s, &e) || e - s <= 1)
		return false;
	w->span = w->span_max = (e - s) / 2;
	w->retries++;
	return true;
}

uint64_t ev_tres_count(const char *tres, uint32_t id)
{
	const char *p = tres;

	if (!p || !id)
		return 0;
	while (*p) {
		unsigned long long k, v;
		char *end;

		if (!isdigit((unsigned char)*p))
			return 0;
		errno = 0;
		k = strtoull(p, &end, 10);
		if (errno || *end != '=' || !isdigit((unsigned char)end[1]))
			return 0;
		v = strtoull(end + 1, &end, 10);
		if (errno || (*end && *end != ','))
			return 0;
		if (k == id)
			return v;
		p = *end ? end + 1 : end;
	}
	return 0;
}
