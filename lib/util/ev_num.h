/* The one strict decimal number parser: config values, sysfs counters,
 * efa-verify's own files, job ids. Never strtol, which skips blanks, takes
 * hex with base 0, and reports overflow only through errno. */
#ifndef EV_NUM_H
#define EV_NUM_H

#include <stdbool.h>
#include <stdint.h>

#include "util/ev_err.h"

/* What a caller accepts beyond plain digits. */
enum {
	EV_NUM_SIGN = 1,      /* one leading '+' or '-' */
	EV_NUM_BLANKS = 2,    /* blanks before, blanks and line ends after (sysfs) */
	EV_NUM_CANONICAL = 4, /* no leading zero but "0" itself: a number as we write it */
};

/* Decimal digits and what flags allow, nothing else, from min to max.
 * 0; -EINVAL if s is not a number (NULL, empty, a sign alone or not
 * allowed, any other character), -ERANGE if it is outside min..max or
 * beyond 64 bits. err (may be NULL) says which, with a printable prefix
 * of s; callers with their own wording use the code alone. */
int ev_num_u64(const char *s, unsigned flags, uint64_t min, uint64_t max, uint64_t *out,
	       struct ev_err *err);
int ev_num_long(const char *s, unsigned flags, long min, long max, long *out, struct ev_err *err);

/* A sysfs counter: blanks around the digits allowed, any 64-bit value.
 * -EINVAL "'...' is not a counter value", -ERANGE "'...' is larger than 64 bits". */
int ev_parse_u64(const char *s, uint64_t *out, struct ev_err *err);
/* Digits only, nothing around them: what efa-verify's own files hold. */
bool ev_parse_u64_strict(const char *s, uint64_t *out);

#endif
