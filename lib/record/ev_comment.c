#include "record/ev_comment.h"

#include <string.h>

bool ev_comment_is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

bool ev_comment_locate(const char *c, const char *prefix, bool (*ours)(const char *w, size_t len),
		       size_t *start, size_t *end)
{
	size_t pl = strlen(prefix);

	for (const char *p = strstr(c, prefix); p; p = strstr(p + 1, prefix)) {
		const char *e = p + pl;

		if ((p != c && !ev_comment_is_space(p[-1])) || (*e && !ev_comment_is_space(*e)))
			continue;
		for (;;) {
			const char *t = e;
			size_t tl;

			/* Any whitespace, as the parser splits on: a part an admin
			 * re-wrapped with tabs or newlines is still all ours, or its
			 * tail would survive a merge next to the new one. */
			while (ev_comment_is_space(*t))
				t++;
			if (t == e)
				break;
			tl = strcspn(t, " \t\n\r");
			if (!tl || !ours(t, tl))
				break;
			e = t + tl;
		}
		*start = (size_t)(p - c);
		*end = (size_t)(e - c);
		return true;
	}
	return false;
}
