/* Error messages that travel back to the caller, who decides how to log them. */
#ifndef EV_ERR_H
#define EV_ERR_H

#include <stddef.h>

#define EV_ERR_MAX 512

struct ev_err {
	char msg[EV_ERR_MAX];
};

/* Set err->msg (if err is not NULL) and return rc, so callers can write
 * `return ev_errf(err, -EINVAL, "bad value '%s'", v);`. rc is a negative errno. */
int ev_errf(struct ev_err *err, int rc, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* Prefix an existing message: "ctx: old message". */
int ev_err_prefix(struct ev_err *err, int rc, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

void ev_err_clear(struct ev_err *err);

#endif
