#include "config.h"

#include "record/ev_nodecomment.h"

#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "record/ev_comment.h"

/* An entry of ours ("job=..."). */
static bool entry_word(const char *w, size_t len)
{
	return len >= 4 && memcmp(w, "job=", 4) == 0;
}

/* Where our part is: the prefix as a word, and the entry-looking words
 * ("job=...") right after it. */
static bool locate(const char *c, size_t *start, size_t *end)
{
	return ev_comment_locate(c, EV_NODECOMMENT_PREFIX, entry_word, start, end);
}

/* One entry word -> result; the job must be set. */
static int parse_entry(const char *w, size_t len, struct ev_node_result *r)
{
	char line[EV_RESULT_LINE_MAX];

	if (len >= sizeof(line))
		return -EBADMSG;
	memcpy(line, w, len);
	line[len] = '\0';
	for (size_t i = 0; i < len; i++)
		if (line[i] == ',')
			line[i] = ' ';
	if (ev_result_parse(line, r, NULL) != 0 || !r->jobid)
		return -EBADMSG;
	return 0;
}

/* The next word of our part: *p moves over the spaces to its start; its
 * length (0: none left) never reaches past end. */
static size_t next_word(const char **p, const char *end)
{
	size_t wl;

	while (*p < end && ev_comment_is_space(**p))
		(*p)++;
	wl = strcspn(*p, " \t\n\r");
	return *p + wl > end ? (size_t)(end - *p) : wl;
}

int ev_nodecomment_get(const char *comment, uint32_t jobid, struct ev_node_result *r)
{
	size_t s, e, wl;

	if (!comment || !locate(comment, &s, &e))
		return -ENOENT;
	for (const char *p = comment + s + strlen(EV_NODECOMMENT_PREFIX); p < comment + e; p += wl) {
		wl = next_word(&p, comment + e);
		if (wl && parse_entry(p, wl, r) == 0 && r->jobid == jobid)
			return 0;
	}
	memset(r, 0, sizeof(*r));
	return -ENOENT;
}

/* Append s[0..n) trimmed to out at *o, with a space between words. */
static int add_words(char *out, size_t cap, size_t *o, const char *s, size_t n)
{
	while (n && ev_comment_is_space(*s))
		s++, n--;
	while (n && ev_comment_is_space(s[n - 1]))
		n--;
	if (!n)
		return 0;
	if (*o + (*o ? 1 : 0) + n >= cap)
		return -ENAMETOOLONG;
	if (*o)
		out[(*o)++] = ' ';
	memcpy(out + *o, s, n);
	*o += n;
	out[*o] = '\0';
	return 0;
}

int ev_nodecomment_strip(const char *comment, char *out, size_t cap)
{
	const char *c = comment ? comment : "";
	size_t o = 0, s, e;
	int rc;

	if (!cap)
		return -ENAMETOOLONG;
	out[0] = '\0';
	while (locate(c, &s, &e)) {
		if ((rc = add_words(out, cap, &o, c, s)))
			return rc;
		c += e;
	}
	return add_words(out, cap, &o, c, strlen(c));
}

int ev_nodecomment_put(const char *comment, const struct ev_node_result *r, size_t keep, char *out,
		       size_t cap, struct ev_err *err)
{
	const char *c = comment ? comment : "";
	char line[EV_RESULT_LINE_MAX], *admin = NULL;
	const char **ent = NULL;
	size_t *entl = NULL, n = 0, o = 0, s, e, max = 0, first;
	int rc;

	if (!r->jobid || !keep)
		return ev_errf(err, -EINVAL, "node comment: a result needs its job id");
	if ((rc = ev_result_format(r, line, sizeof(line))))
		return ev_errf(err, rc, "node comment: result for node '%.64s' refused", r->node);
	for (char *p = line; *p; p++)
		if (*p == ' ')
			*p = ',';
	/* Every word of c is at most an entry: enough slots. */
	for (const char *p = c; *p; p++)
		max += ev_comment_is_space(*p);
	ent = calloc(max + 2, sizeof(*ent));
	entl = calloc(max + 2, sizeof(*entl));
	admin = malloc(strlen(c) + 1);
	if (!ent || !entl || !admin) {
		rc = ev_errf(err, -ENOMEM, "out of memory");
		goto out;
	}
	if ((rc = ev_nodecomment_strip(c, admin, strlen(c) + 1))) {
		rc = ev_errf(err, rc, "node comment: too long");
		goto out;
	}
	/* Our entries, in order, but not this job's and not broken ones. */
	for (const char *q = c; locate(q, &s, &e); q += e) {
		size_t wl;

		for (const char *p = q + s + strlen(EV_NODECOMMENT_PREFIX); p < q + e; p += wl) {
			struct ev_node_result x;

			wl = next_word(&p, q + e);
			if (wl && parse_entry(p, wl, &x) == 0 && x.jobid != r->jobid && n <= max) {
				ent[n] = p;
				entl[n++] = wl;
			}
		}
	}
	ent[n] = line;
	entl[n++] = strlen(line);
	first = n > keep ? n - keep : 0;
	out[0] = '\0';
	if ((rc = add_words(out, cap, &o, admin, strlen(admin))) ||
	    (rc = add_words(out, cap, &o, EV_NODECOMMENT_PREFIX, strlen(EV_NODECOMMENT_PREFIX))))
		goto toolong;
	for (size_t i = first; i < n; i++)
		if ((rc = add_words(out, cap, &o, ent[i], entl[i])))
			goto toolong;
	rc = 0;
	goto out;
toolong:
	rc = ev_errf(err, rc, "node comment would exceed %zu bytes", cap);
out:
	free(ent);
	free(entl);
	free(admin);
	return rc;
}
