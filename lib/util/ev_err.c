#include "util/ev_err.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

int ev_errf(struct ev_err *err, int rc, const char *fmt, ...)
{
	va_list ap;

	if (!err)
		return rc;
	va_start(ap, fmt);
	vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
	va_end(ap);
	return rc;
}

int ev_err_prefix(struct ev_err *err, int rc, const char *fmt, ...)
{
	char old[EV_ERR_MAX];
	char pre[EV_ERR_MAX];
	va_list ap;

	if (!err)
		return rc;
	memcpy(old, err->msg, sizeof(old));
	va_start(ap, fmt);
	vsnprintf(pre, sizeof(pre), fmt, ap);
	va_end(ap);
	snprintf(err->msg, sizeof(err->msg), "%s: %s", pre, old);
	return rc;
}

void ev_err_clear(struct ev_err *err)
{
	if (err)
		err->msg[0] = '\0';
}
