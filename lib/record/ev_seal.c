#include "config.h"

#include "record/ev_seal.h"

#include <errno.h>
#include <string.h>

#include "record/ev_result.h"
#include "util/ev_munge.h"

bool ev_seal_word(const char *w, size_t len)
{
	size_t p = strlen(EV_SEAL_PREFIX);

	return len > p + 1 && memcmp(w, EV_SEAL_PREFIX, p) == 0 && w[len - 1] == ':';
}

static int munge_seal(void *ctx, const char *line, char *out, size_t cap, struct ev_err *err)
{
	const struct ev_seal_munge *m = ctx;
	char pad[EV_RESULT_LINE_MAX + EV_SEAL_PAD];
	size_t n = strlen(line), padded = (n / EV_SEAL_PAD + 1) * EV_SEAL_PAD;
	int rc;

	if (padded > sizeof(pad))
		return ev_errf(err, -ENAMETOOLONG, "seal: a %zu-byte line is longer than a result's", n);
	memset(pad, 0, padded);
	memcpy(pad, line, n);
	if ((rc = ev_munge_encode(m->socket, pad, padded, m->reader, EV_SEAL_TTL, out, cap, err)))
		return rc;
	/* munge's armour is one word; anything else would break the Comment. */
	if (!ev_seal_word(out, strlen(out)) || strcspn(out, " \t\r\n") != strlen(out))
		return ev_errf(err, -EPROTO, "seal: libmunge made a credential that is not one word");
	return 0;
}

static int munge_unseal(void *ctx, const char *word, char *line, size_t cap, struct ev_err *err)
{
	const struct ev_seal_munge *m = ctx;
	char buf[EV_RESULT_LINE_MAX + EV_SEAL_PAD];
	size_t len, n;
	uid_t from = (uid_t)-1;
	int rc;

	if ((rc = ev_munge_decode(m->socket, word, m->reader, buf, sizeof(buf), &len, &from, err)))
		return rc == -ENAMETOOLONG ? -EBADMSG : rc;
	/* Anyone may make a credential for our reader; only root's could
	 * be an epilog's. */
	if (from != 0)
		return ev_errf(err, -EBADMSG, "seal: an entry sealed by uid %u, not root", (unsigned)from);
	n = strnlen(buf, len);
	if (!n || n >= cap)
		return ev_errf(err, -EBADMSG, "seal: an entry without a result line");
	memcpy(line, buf, n);
	line[n] = '\0';
	return 0;
}

static const struct ev_seal_ops munge_ops = { .seal = munge_seal, .unseal = munge_unseal };

void ev_seal_munge(struct ev_seal *s, struct ev_seal_munge *m)
{
	s->ops = &munge_ops;
	s->ctx = m;
}
