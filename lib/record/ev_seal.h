/* Sealing a node's result before it goes into its node record's Comment
 * (ev_nodecomment.h), which `scontrol show node` shows to every user:
 * under PrivateData=jobs a result in clear would tell any user other
 * users' job ids, verdicts and byte counts. A sealed result is one opaque
 * word that only the readers it was sealed for can open, and nothing of it
 * (job id included) shows in clear: a reader finds a job's entry by
 * opening entries, newest first, at most EV_NODECOMMENT_KEEP a node.
 *
 * A sealer is an ops table, so the Comment's format is tested with a fake
 * one; the real one is MUNGE (ev_seal_munge). */
#ifndef EV_SEAL_H
#define EV_SEAL_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "util/ev_err.h"

/* What a sealed entry looks like in a Comment: a MUNGE credential's
 * armour, "MUNGE:" then base64 then ":", one word. */
#define EV_SEAL_PREFIX "MUNGE:"
/* A sealed result line of the longest kind (EV_RESULT_LINE_MAX) is about
 * 1,550 bytes as a credential. */
#define EV_SEAL_WORD_MAX 2048

struct ev_seal_ops {
	/* line (a result line) sealed into out as one word with a sealed
	 * entry's look (ev_seal_word). */
	int (*seal)(void *ctx, const char *line, char *out, size_t cap, struct ev_err *err);
	/* word's line into line. 0; -EACCES: this process may not open it;
	 * -EBADMSG: not an entry of ours (corrupt, another key, not sealed
	 * by root); anything else: the sealer cannot be used now (its
	 * daemon or library away), which says nothing of the word. */
	int (*unseal)(void *ctx, const char *word, char *line, size_t cap, struct ev_err *err);
};

struct ev_seal {
	const struct ev_seal_ops *ops;
	void *ctx;
};

/* Whether the word w[0..len) has a sealed entry's look. */
bool ev_seal_word(const char *w, size_t len);

/* MUNGE: an entry is a credential whose payload is the line, padded with
 * NULs to a multiple of EV_SEAL_PAD bytes (lines of most results then seal
 * to the same length), restricted to reader's uid, made to live
 * EV_SEAL_TTL seconds. Only root seals (the epilog, prolog and `efa-verify
 * flush`), and an entry sealed by anyone else is not ours. Root opens an
 * entry as reader (ev_munge_decode). */
#define EV_SEAL_PAD 256
/* The job's first node reads the others' entries within record_wait_ms of
 * their epilogs, a late node or `efa-verify flush` maybe days later, and
 * both are fine: an entry past its time still opens for its reader
 * (ev_munge_decode), so the TTL only bounds how long munged keeps each
 * opened entry in its replay cache. */
#define EV_SEAL_TTL 60

struct ev_seal_munge {
	uid_t reader;           /* who may open an entry */
	const char *socket;     /* munged's socket; NULL: its default */
};
/* s seals through m (which must outlive s). No daemon is asked, nor
 * libmunge loaded, until the first seal or unseal. */
void ev_seal_munge(struct ev_seal *s, struct ev_seal_munge *m);

#endif
