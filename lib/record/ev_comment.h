/* Our part of a free-text Slurm comment that admins write in too: a job's
 * AdminComment (ev_record) and a node's Comment (ev_nodecomment). */
#ifndef EV_COMMENT_H
#define EV_COMMENT_H

#include <stdbool.h>
#include <stddef.h>

/* The whitespace that separates words of a comment. */
bool ev_comment_is_space(char c);

/* Our part of c: prefix at the start or after whitespace, followed by
 * whitespace or the end, and every word after it that ours accepts (given
 * the word and its length): [*start, *end). false if there is none. */
bool ev_comment_locate(const char *c, const char *prefix, bool (*ours)(const char *w, size_t len),
		       size_t *start, size_t *end);

#endif
