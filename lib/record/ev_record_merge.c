#include "record/ev_record.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "record/ev_comment.h"

static const char *const our_keys[] = { "verdict", "nodes", "efa_bytes", "tcp_bytes", "other_tcp_bytes", "tcp_source",
					 "shared", "bad", NULL };

/* A "key=value" token with one of our keys. */
static bool our_token(const char *t, size_t len)
{
	const char *eq = memchr(t, '=', len);

	if (!eq)
		return false;
	for (size_t i = 0; our_keys[i]; i++)
		if (strlen(our_keys[i]) == (size_t)(eq - t) && memcmp(t, our_keys[i], (size_t)(eq - t)) == 0)
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

/* Our part of c, whichever comes first: delimited, or as records were
 * written before they were ("efa-verify:" at the start or after whitespace,
 * followed by whitespace or the end, and every our-key token after it; the
 * "efa-verify:" of a delimited part follows its '{', so is never taken for
 * that). */
bool ev_record_locate(const char *c, size_t *start, size_t *end)
{
	size_t ds, de, ls, le;
	bool d = locate_delimited(c, &ds, &de);
	bool l = ev_comment_locate(c, EV_RECORD_PREFIX, our_token, &ls, &le);

	if (!d && !l)
		return false;
	if (d && (!l || ds < ls)) {
		*start = ds;
		*end = de;
	} else {
		*start = ls;
		*end = le;
	}
	return true;
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

int ev_record_merge(const char *admin_comment, const char *record, char *out, size_t cap,
		    struct ev_err *err)
{
	const char *c = admin_comment ? admin_comment : "";
	const char *p = c, *head = c;
	size_t len = strlen(c), hl = len, al = 0, s, e;
	bool found = false;
	char *after;
	int n;

	/* head: the admin's words before our (first) part, where ours goes;
	 * after: every word after it, with any further efa-verify part cut. */
	if (!(after = malloc(len + 1)))
		return ev_errf(err, -ENOMEM, "out of memory");
	while (ev_record_locate(p, &s, &e)) {
		if (!found)
			hl = s;
		else
			add_segment(after, &al, p, s);
		found = true;
		p += e;
	}
	if (found)
		add_segment(after, &al, p, strlen(p));
	trim(&head, &hl);
	n = snprintf(out, cap, "%.*s%s%c%s%c%s%.*s", (int)hl, head, hl ? " " : "", EV_RECORD_OPEN, record,
		     EV_RECORD_CLOSE, al ? " " : "", (int)al, after);
	free(after);
	if (n < 0 || (size_t)n >= cap)
		return ev_errf(err, -ENAMETOOLONG, "AdminComment would be longer than %zu bytes", cap);
	return 0;
}
