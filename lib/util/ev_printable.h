/* Showing text that came from outside (a config value, a user's option, a
 * file, another program's output) in a message: bounded, and never a raw
 * control byte that could rewrite a terminal or split a log line. */
#ifndef EV_PRINTABLE_H
#define EV_PRINTABLE_H

#include <stddef.h>

/* Copy at most max bytes of s (and fewer than cap) into out, each byte
 * outside printable ASCII as '?', and NUL-terminate. Returns how many bytes
 * of s it took: s[ret] != '\0' means s was cut (a caller may add "..."). */
size_t ev_printable(char *out, size_t cap, const char *s, size_t max);

#endif
