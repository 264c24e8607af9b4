#include "util/ev_printable.h"

size_t ev_printable(char *out, size_t cap, const char *s, size_t max)
{
	size_t i;

	if (!cap)
		return 0;
	for (i = 0; s && s[i] && i < max && i + 1 < cap; i++) {
		unsigned char ch = (unsigned char)s[i];

		out[i] = ch >= 0x20 && ch < 0x7f ? (char)ch : '?';
	}
	out[i] = '\0';
	return i;
}
