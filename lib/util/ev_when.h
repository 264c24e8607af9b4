/* A point in time as a person gives it on the command line: a duration
 * back from now ("7d", "24h", "90m", "30s", "2w") or a local date
 * ("2026-11-30", midnight, or "2026-11-30T09:15:00"), as sacct reads
 * --starttime: local time, the zone's daylight saving applied by mktime. */
#ifndef EV_WHEN_H
#define EV_WHEN_H

#include <time.h>

#include "util/ev_err.h"

/* *out: s as seconds since the epoch, a duration counted back from now.
 * -EINVAL with err saying what is accepted. */
int ev_when_parse(const char *s, time_t now, time_t *out, struct ev_err *err);

/* "2026-11-30 09:15:00" in local time, into buf (at least 20 bytes);
 * "?" when t cannot be shown. Returns buf. */
const char *ev_when_text(time_t t, char *buf, size_t cap);

#endif
