#include "record/ev_record.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "record/ev_comment.h"

/* A "key=value" token with one of our keys. Never with a delimiter: an
 * undelimited part (as written before) never reaches into a delimited one. */
static bool our_token(const char *t, size_t len)
{
	const char *eq = memchr(t, '=', len);

	if (!eq || memchr(t, EV_RECORD_OPEN, len) || memchr(t, EV_RECORD_CLOSE, len))
		return false;
	for (size_t i = 0; ev_record_keys[i]; i++)
		if (strlen(ev_record_keys[i]) == (size_t)(eq - t) && memcmp(t, ev_record_keys[i], (size_t)(eq - t)) == 0)
			return true;
	return false;
}

/* The first delimited part: "{efa-verify:" up to the next '}', with no
 * '{' between (an open part a tool cut short is not ours, and never
 * swallows the next one). */
static bool locate_delimited(const char *c, size_t *start, size_t *end)
{
	static const char stops[] = { EV_RECORD_OPEN, EV_RECORD_CLOSE, '\0' };
	size_t pl = strlen(EV_RECORD_PREFIX);

	for (const char *p = strchr(c, EV_RECORD_OPEN); p; p = strchr(p + 1, EV_RECORD_OPEN)) {
		const char *e = p + 1 + pl;

		if (strncmp(p + 1, EV_RECORD_PREFIX, pl) != 0 || (!ev_comment_is_space(*e) && *e != EV_RECORD_CLOSE))
			continue;
		e = strpbrk(e, stops);
		if (e && *e == EV_RECORD_CLOSE) {
			*start = (size_t)(p - c);
			*end = (size_t)(e + 1 - c);
			return true;
		}
	}
	return false;
}

/* Our part of c: the first delimited one; only where there is none, one
 * as records were written before they were delimited ("efa-verify:" at the
 * start or after whitespace, followed by whitespace or the end, and every
 * our-key token after it). The "efa-verify:" of a delimited part follows
 * its '{', so is never taken for an undelimited one. */
bool ev_record_locate(const char *c, size_t *start, size_t *end)
{
	return locate_delimited(c, start, end) || ev_comment_locate(c, EV_RECORD_PREFIX, our_token, start, end);
}

/* s[0..n) without leading and trailing whitespace. */
static void trim(const char **s, size_t *n)
{
	while (*n && ev_comment_is_space(**s))
		(*s)++, (*n)--;
	while (*n && ev_comment_is_space((*s)[*n - 1]))
		(*n)--;
}

/* Append seg[0..n), trimmed, to out at *len with a space between words. */
static void add_segment(char *out, size_t *len, const char *seg, size_t n)
{
	trim(&seg, &n);
	if (!n)
		return;
	if (*len)
		out[(*len)++] = ' ';
	memcpy(out + *len, seg, n);
	*len += n;
}

/* Our part of c that comes first, delimited or not: after the one a merge
 * replaces, every part is cut, of either kind. */
static bool locate_any(const char *c, size_t *start, size_t *end)
{
	size_t ds, de;

	if (!ev_comment_locate(c, EV_RECORD_PREFIX, our_token, start, end))
		return locate_delimited(c, start, end);
	if (locate_delimited(c, &ds, &de) && ds < *start) {
		*start = ds;
		*end = de;
	}
	return true;
}

/* t without any part of ours into out (as long as t), the words around
 * each cut kept with a space between; true if one was cut. */
static bool cut_parts(const char *t, char *out)
{
	size_t s, e, len = 0;
	bool cut = false;

	for (; locate_any(t, &s, &e); t += e, cut = true)
		add_segment(out, &len, t, s);
	add_segment(out, &len, t, strlen(t));
	out[len] = '\0';
	return cut;
}

int ev_record_merge(const char *admin_comment, const char *record, char *out, size_t cap,
		    struct ev_err *err)
{
	const char *c = admin_comment ? admin_comment : "";
	size_t len = strlen(c), hl = len, s, e;
	char *after, *spare, *t;
	int n;

	/* The head: the words before our part, where ours goes; after: every
	 * word after it. Cut again until nothing of ours is left after it: the
	 * words either side of a cut part, joined, can make another. */
	after = malloc(len + 1);
	spare = malloc(len + 1);
	if (!after || !spare) {
		free(after);
		free(spare);
		return ev_errf(err, -ENOMEM, "out of memory");
	}
	after[0] = '\0';
	if (ev_record_locate(c, &s, &e)) {
		hl = s;
		snprintf(spare, len + 1, "%s", c + e);
		while (cut_parts(spare, after)) {
			t = spare;
			spare = after;
			after = t;
		}
	}
	trim(&c, &hl);
	n = snprintf(out, cap, "%.*s%s%c%s%c%s%s", (int)hl, c, hl ? " " : "", EV_RECORD_OPEN, record,
		     EV_RECORD_CLOSE, after[0] ? " " : "", after);
	free(spare);
	free(after);
	if (n < 0 || (size_t)n >= cap)
		return ev_errf(err, -ENAMETOOLONG, "AdminComment would be longer than %zu bytes", cap);
	return 0;
}
