/* The values of the record and of result lines: tokens without spaces,
 * '=', ';', '(' or ')' (ev_record.h). */
#ifndef EV_VALUE_H
#define EV_VALUE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* %XX-encode s outside [A-Za-z0-9_.:/+@-] into out (at most cap-1 bytes;
 * cut at a whole character). Returns the encoded length. */
size_t ev_value_encode(const char *s, char *out, size_t cap);
/* Decode; -EINVAL for a non-canonical or invalid encoding (so encode and
 * decode are inverse), -ENAMETOOLONG if it does not fit. */
int ev_value_decode(const char *s, size_t len, char *out, size_t cap);

/* Canonical decimal: no sign, no leading zero, no overflow. */
bool ev_value_u64(const char *s, uint64_t *v);

#endif
