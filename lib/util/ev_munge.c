#include "util/ev_munge.h"

#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "util/ev_dl.h"

/* munge.h's ABI, as munge 0.5.15 to 0.5.18 define it: the option numbers
 * of munge_opt_t, the values of munge_cipher_t, munge_zip_t and
 * munge_err_t used here. Options take an int, except SOCKET (a string)
 * and UID_RESTRICTION (a uid_t). */
enum {
	MUNGE_OPT_CIPHER_TYPE = 0,
	MUNGE_OPT_ZIP_TYPE = 2,
	MUNGE_OPT_TTL = 4,
	MUNGE_OPT_SOCKET = 8,
	MUNGE_OPT_UID_RESTRICTION = 9,
	MUNGE_CIPHER_AES128 = 4,
	MUNGE_ZIP_NONE = 0,
};
enum {
	EMUNGE_SUCCESS = 0,
	EMUNGE_BAD_ARG = 2,
	EMUNGE_BAD_LENGTH = 3,
	EMUNGE_OVERFLOW = 4,
	EMUNGE_NO_MEMORY = 5,
	EMUNGE_SOCKET = 6,
	EMUNGE_BAD_CRED = 8,            /* 8 to 14: not a credential of this key */
	EMUNGE_CRED_INVALID = 14,
	EMUNGE_CRED_EXPIRED = 15,
	EMUNGE_CRED_REWOUND = 16,
	EMUNGE_CRED_REPLAYED = 17,
	EMUNGE_CRED_UNAUTHORIZED = 18,
};

struct munge_ctx;
#define MUNGE_FNS(X, s, prefix) \
	X(s, prefix, int, encode, (char **, struct munge_ctx *, const void *, int)) \
	X(s, prefix, int, decode, (const char *, struct munge_ctx *, void **, int *, uid_t *, gid_t *)) \
	X(s, prefix, const char *, strerror, (int)) \
	X(s, prefix, struct munge_ctx *, ctx_create, (void)) \
	X(s, prefix, void, ctx_destroy, (struct munge_ctx *)) \
	X(s, prefix, const char *, ctx_strerror, (struct munge_ctx *)) \
	X(s, prefix, int, ctx_set, (struct munge_ctx *, int, ...))
static struct {
	MUNGE_FNS(EV_DL_MEMBER, mu, "munge_")
	char why[256];
} mu;
static const struct ev_dl_sym munge_syms[] = { MUNGE_FNS(EV_DL_ENTRY, mu, "munge_") };
static pthread_once_t mu_once = PTHREAD_ONCE_INIT;

static void mu_load(void)
{
	EV_DL_LOAD("libmunge.so.2", munge_syms, mu.why);
}

/* A context for socket into *ctx. */
static int new_ctx(const char *socket, struct munge_ctx **ctx, struct ev_err *err)
{
	int rc;

	pthread_once(&mu_once, mu_load);
	if (!mu.encode)
		return ev_errf(err, -ELIBACC, "MUNGE: libmunge not loadable: %s", mu.why);
	if (!(*ctx = mu.ctx_create()))
		return ev_errf(err, -ENOMEM, "MUNGE: out of memory");
	if (socket && mu.ctx_set(*ctx, MUNGE_OPT_SOCKET, socket) != EMUNGE_SUCCESS) {
		rc = ev_errf(err, -EINVAL, "MUNGE: socket '%.200s' refused: %s", socket, mu.ctx_strerror(*ctx));
		mu.ctx_destroy(*ctx);
		return rc;
	}
	return 0;
}

/* munge's answer e as our return code, err saying it with what munged
 * said (the context's text is more precise than munge_strerror's). */
static int says(struct munge_ctx *ctx, int e, const char *socket, struct ev_err *err)
{
	const char *text = ctx ? mu.ctx_strerror(ctx) : NULL;
	int rc;

	if (!text)
		text = mu.strerror(e);
	if (e == EMUNGE_SOCKET)
		rc = -ECONNREFUSED;
	else if (e == EMUNGE_CRED_UNAUTHORIZED)
		rc = -EACCES;
	else if (e >= EMUNGE_BAD_CRED && e <= EMUNGE_CRED_INVALID)
		rc = -EBADMSG;
	else if (e == EMUNGE_NO_MEMORY)
		rc = -ENOMEM;
	else if (e == EMUNGE_BAD_ARG || e == EMUNGE_BAD_LENGTH || e == EMUNGE_OVERFLOW)
		rc = -EINVAL;
	else
		rc = -EIO;
	if (rc == -ECONNREFUSED)
		return ev_errf(err, rc, "MUNGE: munged not reached (%s): %s", socket ? socket : "its default socket",
			       text);
	return ev_errf(err, rc, "MUNGE: %s", text);
}

int ev_munge_encode(const char *socket, const void *buf, size_t len, uid_t reader, int ttl, char *out, size_t cap,
		    struct ev_err *err)
{
	struct munge_ctx *ctx;
	char *cred = NULL;
	int e, rc = 0;

	if (len > 65536)
		return ev_errf(err, -EINVAL, "MUNGE: a %zu-byte payload is more than ours ever are", len);
	if ((rc = new_ctx(socket, &ctx, err)))
		return rc;
	if (mu.ctx_set(ctx, MUNGE_OPT_CIPHER_TYPE, MUNGE_CIPHER_AES128) != EMUNGE_SUCCESS ||
	    mu.ctx_set(ctx, MUNGE_OPT_ZIP_TYPE, MUNGE_ZIP_NONE) != EMUNGE_SUCCESS ||
	    mu.ctx_set(ctx, MUNGE_OPT_TTL, ttl) != EMUNGE_SUCCESS ||
	    mu.ctx_set(ctx, MUNGE_OPT_UID_RESTRICTION, reader) != EMUNGE_SUCCESS) {
		rc = ev_errf(err, -EINVAL, "MUNGE: options refused: %s", mu.ctx_strerror(ctx));
	} else if ((e = mu.encode(&cred, ctx, buf, (int)len)) != EMUNGE_SUCCESS) {
		rc = says(ctx, e, socket, err);
	} else if (strlen(cred) >= cap) {
		rc = ev_errf(err, -ENAMETOOLONG, "MUNGE: a %zu-byte credential does not fit %zu bytes", strlen(cred),
			     cap);
	} else {
		memcpy(out, cred, strlen(cred) + 1);
	}
	free(cred);
	mu.ctx_destroy(ctx);
	return rc;
}

int ev_munge_decode(const char *socket, const char *cred, uid_t as, void *out, size_t cap, size_t *len,
		    uid_t *from, struct ev_err *err)
{
	struct munge_ctx *ctx;
	void *buf = NULL;
	int n = 0, e, rc = 0;
	uid_t uid = (uid_t)-1;
	gid_t gid;
	bool become = geteuid() == 0 && as != 0;

	*len = 0;
	if (!cap)
		return ev_errf(err, -ENAMETOOLONG, "MUNGE: no room for a payload");
	if ((rc = new_ctx(socket, &ctx, err)))
		return rc;
	/* munged takes the reader's identity from the socket's peer
	 * credentials at connect(), which munge_decode makes: only the
	 * effective uid changes, and only for this call; the real and saved
	 * uids stay root's, so neither that user's signals nor its ptrace
	 * reach this process meanwhile. */
	if (become && seteuid(as) != 0) {
		rc = ev_errf(err, -errno, "MUNGE: cannot read as uid %u: %s", (unsigned)as, strerror(errno));
		mu.ctx_destroy(ctx);
		return rc;
	}
	e = mu.decode(cred, ctx, &buf, &n, &uid, &gid);
	if (become && seteuid(0) != 0) {
		rc = ev_errf(err, -EPERM, "MUNGE: cannot take back root's uid: %s", strerror(errno));
		goto out;
	}
	/* Age and replay are judged after who may read: their payload is the
	 * one munged authenticated. */
	if (e != EMUNGE_SUCCESS && e != EMUNGE_CRED_EXPIRED && e != EMUNGE_CRED_REWOUND &&
	    e != EMUNGE_CRED_REPLAYED) {
		rc = says(ctx, e, socket, err);
		goto out;
	}
	if (n < 0 || (size_t)n >= cap) {
		rc = ev_errf(err, -ENAMETOOLONG, "MUNGE: a %d-byte payload does not fit %zu bytes", n, cap);
		goto out;
	}
	if (n)
		memcpy(out, buf, (size_t)n);
	((char *)out)[n] = '\0';
	*len = (size_t)n;
	*from = uid;
out:
	free(buf);
	mu.ctx_destroy(ctx);
	return rc;
}
