#include "util/ev_num.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>

#include "util/ev_printable.h"

static bool is_blank(char c)
{
	return c == ' ' || c == '\t';
}

/* s's sign and magnitude; -ERANGE past 64 bits. */
static int digits(const char *s, unsigned flags, bool *neg, uint64_t *mag)
{
	const char *p = s;
	uint64_t v = 0;

	*neg = false;
	if (!p)
		return -EINVAL;
	if (flags & EV_NUM_BLANKS)
		while (is_blank(*p))
			p++;
	if ((flags & EV_NUM_SIGN) && (*p == '+' || *p == '-'))
		*neg = *p++ == '-';
	if (*p < '0' || *p > '9')
		return -EINVAL;
	if ((flags & EV_NUM_CANONICAL) && p[0] == '0' && p[1] >= '0' && p[1] <= '9')
		return -EINVAL;
	for (; *p >= '0' && *p <= '9'; p++) {
		unsigned d = (unsigned)(*p - '0');

		if (v > (UINT64_MAX - d) / 10) {
			/* Still say -EINVAL for "99999999999999999999x". */
			p += strspn(p, "0123456789");
			if (flags & EV_NUM_BLANKS)
				p += strspn(p, " \t\r\n");
			return *p ? -EINVAL : -ERANGE;
		}
		v = v * 10 + d;
	}
	if (flags & EV_NUM_BLANKS)
		p += strspn(p, " \t\r\n");
	if (*p)
		return -EINVAL;
	*mag = v;
	return 0;
}

/* err's text for s, which failed with rc; range is "lo..hi". */
static int say(struct ev_err *err, int rc, const char *s, const char *range)
{
	char shown[40];

	ev_printable(shown, sizeof(shown), s, sizeof(shown) - 1);
	if (rc == -EINVAL)
		return ev_errf(err, rc, "'%s' is not a decimal number", shown);
	return ev_errf(err, rc, "'%s' is out of range (%s)", shown, range);
}

int ev_num_u64(const char *s, unsigned flags, uint64_t min, uint64_t max, uint64_t *out,
	       struct ev_err *err)
{
	bool neg;
	uint64_t v;
	int rc = digits(s, flags, &neg, &v);

	if (!rc && ((neg && v) || v < min || v > max))
		rc = -ERANGE;
	if (rc) {
		char range[48];

		snprintf(range, sizeof(range), "%llu..%llu", (unsigned long long)min, (unsigned long long)max);
		return say(err, rc, s, range);
	}
	*out = v;
	return 0;
}

int ev_num_long(const char *s, unsigned flags, long min, long max, long *out, struct ev_err *err)
{
	bool neg;
	uint64_t v;
	long x = 0;
	int rc = digits(s, flags, &neg, &v);

	if (!rc && v > (uint64_t)LONG_MAX + (neg ? 1 : 0))
		rc = -ERANGE;
	if (!rc) {
		x = !neg ? (long)v : v == (uint64_t)LONG_MAX + 1 ? LONG_MIN : -(long)v;
		if (x < min || x > max)
			rc = -ERANGE;
	}
	if (rc) {
		char range[48];

		snprintf(range, sizeof(range), "%ld..%ld", min, max);
		return say(err, rc, s, range);
	}
	*out = x;
	return 0;
}

int ev_parse_u64(const char *s, uint64_t *out, struct ev_err *err)
{
	char shown[40];
	int rc = ev_num_u64(s, EV_NUM_BLANKS, 0, UINT64_MAX, out, NULL);

	if (rc == -ERANGE)
		return ev_errf(err, rc, "'%.32s' is larger than 64 bits", s);
	if (rc) {
		ev_printable(shown, sizeof(shown), s, sizeof(shown) - 1);
		return ev_errf(err, rc, "'%s' is not a counter value", shown);
	}
	return 0;
}

bool ev_parse_u64_strict(const char *s, uint64_t *out)
{
	return ev_num_u64(s, 0, 0, UINT64_MAX, out, NULL) == 0;
}
