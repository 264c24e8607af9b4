#include "record/ev_value.h"

#include <ctype.h>
#include <errno.h>
#include <string.h>

#include "util/ev_num.h"

static bool token_char(unsigned char c)
{
	return isalnum(c) || (c && strchr("_.:/+@-", c));
}

static int hexval(char c)
{
	return c >= '0' && c <= '9' ? c - '0' : c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
}

size_t ev_value_encode(const char *s, char *out, size_t cap)
{
	static const char hex[] = "0123456789ABCDEF";
	size_t o = 0;

	if (!cap)
		return 0;
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;

		if (token_char(c)) {
			if (o + 1 >= cap)
				break;
			out[o++] = (char)c;
		} else {
			if (o + 3 >= cap)
				break;
			out[o++] = '%';
			out[o++] = hex[c >> 4];
			out[o++] = hex[c & 15];
		}
	}
	out[o] = '\0';
	return o;
}

int ev_value_decode(const char *s, size_t len, char *out, size_t cap)
{
	size_t o = 0;

	if (!cap)
		return -ENAMETOOLONG;
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c == '%') {
			int h, l;

			if (i + 2 >= len)
				return -EINVAL;
			h = hexval(s[i + 1]);
			l = hexval(s[i + 2]);
			if (h < 0 || l < 0)
				return -EINVAL;
			c = (unsigned char)(h * 16 + l);
			/* Only the canonical form: one text, one encoding. */
			if (!c || token_char(c))
				return -EINVAL;
			i += 2;
		} else if (!token_char(c)) {
			return -EINVAL;
		}
		if (o + 1 >= cap)
			return -ENAMETOOLONG;
		out[o++] = (char)c;
	}
	out[o] = '\0';
	return 0;
}

/* Canonical decimal: no sign, no leading zero, no overflow. */
bool ev_value_u64(const char *s, uint64_t *v)
{
	return ev_num_u64(s, EV_NUM_CANONICAL, 0, UINT64_MAX, v, NULL) == 0;
}
