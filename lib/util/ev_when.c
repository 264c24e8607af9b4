#include "util/ev_when.h"

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define ACCEPTED "a duration back from now (7d, 24h, 90m, 30s, 2w) or a local date " \
		 "(YYYY-MM-DD or YYYY-MM-DDTHH:MM:SS)"

static int duration(const char *s, time_t now, time_t *out)
{
	static const struct {
		char unit;
		int64_t secs;
	} units[] = { { 's', 1 }, { 'm', 60 }, { 'h', 3600 }, { 'd', 86400 }, { 'w', 7 * 86400 } };
	const char *p = s;
	int64_t n = 0;

	/* strtoll would take signs, spaces and hex: a duration is digits. */
	for (; isdigit((unsigned char)*p); p++) {
		if (n > (INT64_MAX - 9) / 10)
			return -ERANGE;
		n = n * 10 + (*p - '0');
	}
	if (p == s || !p[0] || p[1])
		return -EINVAL;
	for (size_t i = 0; i < sizeof(units) / sizeof(units[0]); i++) {
		if (units[i].unit != *p)
			continue;
		if (n > ((int64_t)now < 0 ? 0 : (int64_t)now) / units[i].secs)
			return -ERANGE;   /* before the epoch: no job ended then */
		*out = now - (time_t)(n * units[i].secs);
		return 0;
	}
	return -EINVAL;
}

/* Exactly "YYYY-MM-DD" or "YYYY-MM-DDTHH:MM:SS", every field its width;
 * a date that does not exist (02-30, 25:00) is refused, not carried over. */
static int date(const char *s, time_t *out)
{
	static const char date_form[] = "dddd-dd-dd", time_form[] = "Tdd:dd:dd";
	size_t len = strlen(s);
	struct tm tm, back;
	time_t t;

	if (len != 10 && len != 19)
		return -EINVAL;
	for (size_t i = 0; i < len; i++) {
		char want = i < 10 ? date_form[i] : time_form[i - 10];

		if (want == 'd' ? !isdigit((unsigned char)s[i]) : s[i] != want)
			return -EINVAL;
	}
	memset(&tm, 0, sizeof(tm));
	tm.tm_year = atoi(s) - 1900;
	tm.tm_mon = atoi(s + 5) - 1;
	tm.tm_mday = atoi(s + 8);
	if (len == 19) {
		tm.tm_hour = atoi(s + 11);
		tm.tm_min = atoi(s + 14);
		tm.tm_sec = atoi(s + 17);
	}
	if (tm.tm_mon > 11 || tm.tm_mday < 1 || tm.tm_hour > 23 || tm.tm_min > 59 || tm.tm_sec > 59)
		return -EINVAL;
	tm.tm_isdst = -1;
	back = tm;
	/* mktime carries 02-30 over into March (and 12-32 into January): a
	 * day past its month's end never existed. It may move the hour only
	 * where daylight saving skips it (02:30 on the spring day), to the
	 * instant sacct would take too. */
	if ((t = mktime(&tm)) == (time_t)-1 || tm.tm_mon != back.tm_mon)
		return -EINVAL;
	*out = t;
	return 0;
}

int ev_when_parse(const char *s, time_t now, time_t *out, struct ev_err *err)
{
	int rc;

	if (!s || !*s)
		return ev_errf(err, -EINVAL, "an empty time: give " ACCEPTED);
	if (isdigit((unsigned char)s[0]) && strchr("smhdw", s[strlen(s) - 1])) {
		if ((rc = duration(s, now, out)) == -ERANGE)
			return ev_errf(err, -EINVAL, "'%.40s' reaches back before 1970", s);
		if (rc == 0)
			return 0;
	} else if (date(s, out) == 0) {
		return 0;
	}
	return ev_errf(err, -EINVAL, "'%.40s' is not %s", s, ACCEPTED);
}

const char *ev_when_text(time_t t, char *buf, size_t cap)
{
	struct tm tm;

	if (!localtime_r(&t, &tm) || !strftime(buf, cap, "%Y-%m-%d %H:%M:%S", &tm))
		snprintf(buf, cap, "?");
	return buf;
}
