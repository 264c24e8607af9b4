#include "util/ev_buf.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

bool ev_buf_reserve(struct ev_buf *b, size_t need)
{
	size_t cap;
	char *np;

	if (b->oom)
		return false;
	if (b->p && b->cap - b->len > need)
		return true;
	/* Doubling from 4 KiB: a start snapshot (~5-20 KiB) takes a few
	 * reallocations, a result line none. */
	for (cap = b->cap ? b->cap : 4096; cap - b->len <= need; cap *= 2)
		if (cap > ((size_t)-1) / 4) {
			b->oom = true;
			return false;
		}
	np = realloc(b->p, cap);
	if (!np) {
		b->oom = true;
		return false;
	}
	if (!b->p)
		np[0] = '\0';
	b->p = np;
	b->cap = cap;
	return true;
}

void ev_buf_add(struct ev_buf *b, const char *s, size_t n)
{
	if (!ev_buf_reserve(b, n))
		return;
	memcpy(b->p + b->len, s, n);
	b->len += n;
	b->p[b->len] = '\0';
}

void ev_buf_printf(struct ev_buf *b, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (!ev_buf_reserve(b, 0))
		return;
	va_start(ap, fmt);
	n = vsnprintf(b->p + b->len, b->cap - b->len, fmt, ap);
	va_end(ap);
	if (n < 0) {
		b->oom = true;
		return;
	}
	if ((size_t)n >= b->cap - b->len) {
		if (!ev_buf_reserve(b, (size_t)n))
			return;
		va_start(ap, fmt);
		vsnprintf(b->p + b->len, b->cap - b->len, fmt, ap);
		va_end(ap);
	}
	b->len += (size_t)n;
}

char *ev_buf_take(struct ev_buf *b, size_t *len)
{
	char *p = b->oom ? NULL : b->p;

	if (!b->oom && !p)
		p = calloc(1, 1);
	if (len)
		*len = p ? b->len : 0;
	if (b->oom)
		free(b->p);
	memset(b, 0, sizeof(*b));
	return p;
}

void ev_buf_free(struct ev_buf *b)
{
	free(b->p);
	memset(b, 0, sizeof(*b));
}
