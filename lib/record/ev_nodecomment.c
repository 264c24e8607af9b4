#include "config.h"

#include "record/ev_nodecomment.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "record/ev_comment.h"

/* An entry of ours: plain ("job=...") or sealed. */
static bool entry_word(const char *w, size_t len)
{
	return (len >= 4 && memcmp(w, "job=", 4) == 0) || ev_seal_word(w, len);
}

/* Where our part is: the prefix as a word, and the entry-looking words
 * right after it. */
static bool locate(const char *c, size_t *start, size_t *end)
{
	return ev_comment_locate(c, EV_NODECOMMENT_PREFIX, entry_word, start, end);
}

/* A result line (' ' or ',' between its words) -> r; the job must be set. */
static int parse_line(char *line, struct ev_node_result *r)
{
	for (char *p = line; *p; p++)
		if (*p == ',')
			*p = ' ';
	if (ev_result_parse(line, r, NULL) != 0 || !r->jobid)
		return -EBADMSG;
	return 0;
}

/* One entry word -> result (and its line, spaces between its words, into
 * line when not NULL). -EBADMSG: broken; with a sealed word, what unseal
 * says; -ENOKEY: sealed, and no sealer. */
static int parse_entry(const char *w, size_t len, const struct ev_seal *seal, struct ev_node_result *r,
		       char *line, struct ev_err *err)
{
	char word[EV_SEAL_WORD_MAX], buf[EV_RESULT_LINE_MAX];
	int rc;

	if (!line)
		line = buf;
	if (!ev_seal_word(w, len)) {
		if (len >= EV_RESULT_LINE_MAX)
			return -EBADMSG;
		memcpy(line, w, len);
		line[len] = '\0';
		return parse_line(line, r);
	}
	if (!seal)
		return -ENOKEY;
	if (len >= sizeof(word))
		return -EBADMSG;
	memcpy(word, w, len);
	word[len] = '\0';
	if ((rc = seal->ops->unseal(seal->ctx, word, line, EV_RESULT_LINE_MAX, err)))
		return rc;
	return parse_line(line, r);
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

/* Words of our first part a reader looks at: the newest this many. put
 * leaves at most keep; more are an admin's or a broken writer's. */
#define GET_SCAN 64

int ev_nodecomment_get(const char *comment, uint32_t jobid, const struct ev_seal *seal, struct ev_node_result *r,
		       struct ev_err *err)
{
	const char *w[GET_SCAN];
	size_t wl[GET_SCAN], s, e, n = 0;
	int failed = 0;

	if (comment && locate(comment, &s, &e)) {
		const char *p = comment + s + strlen(EV_NODECOMMENT_PREFIX);
		size_t l;

		for (; p < comment + e; p += l) {
			if (!(l = next_word(&p, comment + e)))
				break;
			w[n % GET_SCAN] = p;
			wl[n % GET_SCAN] = l;
			n++;
		}
	}
	/* Newest first: the job being gathered is most often a node's last. */
	for (size_t k = 0; k < n && k < GET_SCAN; k++) {
		size_t i = (n - 1 - k) % GET_SCAN;
		struct ev_err e1 = { "" };
		int rc = parse_entry(w[i], wl[i], failed ? NULL : seal, r, NULL, &e1);

		if (rc == 0 && r->jobid == jobid)
			return 0;
		if (rc && rc != -EBADMSG && rc != -ENOKEY && !failed) {
			failed = rc;
			if (err)
				*err = e1;
		}
	}
	memset(r, 0, sizeof(*r));
	return failed ? failed : -ENOENT;
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

/* An entry kept by put: where its word is, or the word it is now. */
struct kept {
	const char *w;
	size_t len;
};

int ev_nodecomment_put(const char *comment, const struct ev_node_result *r, const struct ev_seal *seal,
		       size_t keep, char *out, size_t cap, struct ev_err *err)
{
	const char *c = comment ? comment : "";
	char line[EV_RESULT_LINE_MAX], *admin = NULL, *resealed = NULL, *mine = NULL;
	const char **ent = NULL;
	struct kept *k = NULL;
	size_t *entl = NULL, n = 0, nk = 0, o = 0, s, e, max = 0;
	int rc;

	if (!r->jobid || !keep)
		return ev_errf(err, -EINVAL, "node comment: a result needs its job id");
	if ((rc = ev_result_format(r, line, sizeof(line))))
		return ev_errf(err, rc, "node comment: result for node '%.64s' refused", r->node);
	/* Every word of c is at most an entry: enough slots. */
	for (const char *p = c; *p; p++)
		max += ev_comment_is_space(*p);
	ent = calloc(max + 2, sizeof(*ent));
	entl = calloc(max + 2, sizeof(*entl));
	k = calloc(keep, sizeof(*k));
	admin = malloc(strlen(c) + 1);
	mine = malloc(EV_SEAL_WORD_MAX);
	/* Room for every plain entry kept, sealed anew. */
	if (seal)
		resealed = malloc(keep * EV_SEAL_WORD_MAX);
	if (!ent || !entl || !k || !admin || !mine || (seal && !resealed)) {
		rc = ev_errf(err, -ENOMEM, "out of memory");
		goto out;
	}
	if ((rc = ev_nodecomment_strip(c, admin, strlen(c) + 1))) {
		rc = ev_errf(err, rc, "node comment: too long");
		goto out;
	}
	/* This job's entry: sealed first, so a sealer that cannot be used
	 * fails before anything else is asked of it. */
	if (seal) {
		if ((rc = seal->ops->seal(seal->ctx, line, mine, EV_SEAL_WORD_MAX, err))) {
			ev_err_prefix(err, rc, "node comment");
			goto out;
		}
	} else {
		snprintf(mine, EV_SEAL_WORD_MAX, "%s", line);
		for (char *p = mine; *p; p++)
			if (*p == ' ')
				*p = ',';
	}
	/* Our entries' words, in order, from every part of ours. */
	for (const char *q = c; locate(q, &s, &e); q += e) {
		size_t wl;

		for (const char *p = q + s + strlen(EV_NODECOMMENT_PREFIX); p < q + e; p += wl) {
			wl = next_word(&p, q + e);
			if (wl && n <= max) {
				ent[n] = p;
				entl[n++] = wl;
			}
		}
	}
	/* Newest first, until keep - 1 are kept: not this job's, not broken
	 * ones; only those kept are opened or sealed. */
	for (size_t i = n; i-- > 0 && nk + 1 < keep;) {
		struct ev_node_result x;
		char xl[EV_RESULT_LINE_MAX];
		bool sealed = ev_seal_word(ent[i], entl[i]);
		struct ev_err e1 = { "" };

		if (!sealed || seal) {
			rc = parse_entry(ent[i], entl[i], seal, &x, xl, &e1);
			if (rc == -EBADMSG || (rc == 0 && x.jobid == r->jobid))
				continue;
			if (rc && rc != -EACCES) {
				rc = ev_errf(err, rc, "node comment: %s", e1.msg);
				goto out;
			}
		}
		if (!sealed && seal) {
			char *w = resealed + nk * EV_SEAL_WORD_MAX;

			if ((rc = seal->ops->seal(seal->ctx, xl, w, EV_SEAL_WORD_MAX, err))) {
				ev_err_prefix(err, rc, "node comment");
				goto out;
			}
			k[nk++] = (struct kept){ w, strlen(w) };
		} else {
			k[nk++] = (struct kept){ ent[i], entl[i] };
		}
	}
	out[0] = '\0';
	if ((rc = add_words(out, cap, &o, admin, strlen(admin))) ||
	    (rc = add_words(out, cap, &o, EV_NODECOMMENT_PREFIX, strlen(EV_NODECOMMENT_PREFIX))))
		goto toolong;
	for (size_t i = nk; i-- > 0;)
		if ((rc = add_words(out, cap, &o, k[i].w, k[i].len)))
			goto toolong;
	if ((rc = add_words(out, cap, &o, mine, strlen(mine))))
		goto toolong;
	rc = 0;
	goto out;
toolong:
	rc = ev_errf(err, rc, "node comment would exceed %zu bytes", cap);
out:
	free(ent);
	free(entl);
	free(k);
	free(admin);
	free(mine);
	free(resealed);
	return rc;
}
