/* The one decimal parser (lib/util/ev_num.c) and the printable prefix
 * (lib/util/ev_printable.c): every edge a caller relies on. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>

#include "util/ev_num.h"
#include "util/ev_printable.h"

/* Refused with rc, and *out untouched. */
static void u64_refused(const char *s, unsigned flags, uint64_t min, uint64_t max, int rc)
{
	uint64_t v = 4242;
	struct ev_err e = { "" };

	if (ev_num_u64(s, flags, min, max, &v, &e) != rc)
		print_error("'%s' (flags %u): expected %d\n", s ? s : "(null)", flags, rc);
	assert_int_equal(ev_num_u64(s, flags, min, max, &v, &e), rc);
	assert_int_equal(v, 4242);
	assert_non_null(strstr(e.msg, rc == -EINVAL ? "is not a decimal number" : "is out of range"));
}

static void u64_is(const char *s, unsigned flags, uint64_t want)
{
	uint64_t v = 4242;

	if (ev_num_u64(s, flags, 0, UINT64_MAX, &v, NULL) != 0)
		print_error("'%s' (flags %u): refused\n", s, flags);
	assert_int_equal(ev_num_u64(s, flags, 0, UINT64_MAX, &v, NULL), 0);
	assert_int_equal(v, want);
}

static void test_u64(void **state)
{
	(void)state;
	u64_is("0", 0, 0);
	u64_is("007", 0, 7);
	u64_is("18446744073709551615", 0, UINT64_MAX);
	u64_refused("18446744073709551616", 0, 0, UINT64_MAX, -ERANGE);
	u64_refused("99999999999999999999999", 0, 0, UINT64_MAX, -ERANGE);
	u64_refused("99999999999999999999999x", 0, 0, UINT64_MAX, -EINVAL);
	u64_refused(NULL, 0, 0, UINT64_MAX, -EINVAL);
	u64_refused("", 0, 0, UINT64_MAX, -EINVAL);
	u64_refused("-", 0, 0, UINT64_MAX, -EINVAL);
	u64_refused("+", EV_NUM_SIGN, 0, UINT64_MAX, -EINVAL);
	u64_refused("+1", 0, 0, UINT64_MAX, -EINVAL);
	u64_refused("-1", 0, 0, UINT64_MAX, -EINVAL);
	u64_refused(" 1", 0, 0, UINT64_MAX, -EINVAL);
	u64_refused("1 ", 0, 0, UINT64_MAX, -EINVAL);
	u64_refused("1\n", 0, 0, UINT64_MAX, -EINVAL);
	u64_refused("0x10", 0, 0, UINT64_MAX, -EINVAL);
	u64_refused("1e3", 0, 0, UINT64_MAX, -EINVAL);
	u64_refused("1.0", 0, 0, UINT64_MAX, -EINVAL);
	u64_refused("1 2", EV_NUM_BLANKS, 0, UINT64_MAX, -EINVAL);
	u64_refused("\x01\x02", EV_NUM_BLANKS, 0, UINT64_MAX, -EINVAL);
	/* Bounds are inclusive. */
	u64_refused("4", 0, 5, 10, -ERANGE);
	u64_refused("11", 0, 5, 10, -ERANGE);
	{
		uint64_t v;

		assert_int_equal(ev_num_u64("5", 0, 5, 10, &v, NULL), 0);
		assert_int_equal(v, 5);
		assert_int_equal(ev_num_u64("10", 0, 5, 10, &v, NULL), 0);
		assert_int_equal(v, 10);
	}
	/* Flags: a sign, blanks around (sysfs), canonical form. */
	u64_is("+1", EV_NUM_SIGN, 1);
	u64_is("-0", EV_NUM_SIGN, 0);
	u64_refused("-1", EV_NUM_SIGN, 0, UINT64_MAX, -ERANGE);
	u64_is(" \t12\n", EV_NUM_BLANKS, 12);
	u64_is("12 \r\n", EV_NUM_BLANKS, 12);
	u64_refused("\n12", EV_NUM_BLANKS, 0, UINT64_MAX, -EINVAL);
	u64_refused("  ", EV_NUM_BLANKS, 0, UINT64_MAX, -EINVAL);
	u64_is("0", EV_NUM_CANONICAL, 0);
	u64_is("10", EV_NUM_CANONICAL, 10);
	u64_refused("01", EV_NUM_CANONICAL, 0, UINT64_MAX, -EINVAL);
	u64_refused("00", EV_NUM_CANONICAL, 0, UINT64_MAX, -EINVAL);
}

static void test_long(void **state)
{
	struct ev_err e = { "" };
	long v = 77;
	char buf[64];

	(void)state;
	assert_int_equal(ev_num_long("-5", EV_NUM_SIGN, -10, 10, &v, &e), 0);
	assert_int_equal(v, -5);
	assert_int_equal(ev_num_long("+5", EV_NUM_SIGN, -10, 10, &v, &e), 0);
	assert_int_equal(v, 5);
	assert_int_equal(ev_num_long("-5", 0, -10, 10, &v, &e), -EINVAL);
	assert_int_equal(ev_num_long("-", EV_NUM_SIGN, -10, 10, &v, &e), -EINVAL);
	assert_int_equal(ev_num_long("--5", EV_NUM_SIGN, -10, 10, &v, &e), -EINVAL);
	assert_int_equal(ev_num_long("+-5", EV_NUM_SIGN, -10, 10, &v, &e), -EINVAL);
	assert_int_equal(ev_num_long("11", EV_NUM_SIGN, -10, 10, &v, &e), -ERANGE);
	assert_string_equal(e.msg, "'11' is out of range (-10..10)");
	assert_int_equal(ev_num_long("-11", EV_NUM_SIGN, -10, 10, &v, &e), -ERANGE);
	assert_int_equal(v, 5);
	/* Both ends of long, and one past each. */
	snprintf(buf, sizeof(buf), "%ld", LONG_MAX);
	assert_int_equal(ev_num_long(buf, EV_NUM_SIGN, LONG_MIN, LONG_MAX, &v, &e), 0);
	assert_true(v == LONG_MAX);
	snprintf(buf, sizeof(buf), "%lu", (unsigned long)LONG_MAX + 1);
	assert_int_equal(ev_num_long(buf, EV_NUM_SIGN, LONG_MIN, LONG_MAX, &v, &e), -ERANGE);
	snprintf(buf, sizeof(buf), "%ld", LONG_MIN);
	assert_int_equal(ev_num_long(buf, EV_NUM_SIGN, LONG_MIN, LONG_MAX, &v, &e), 0);
	assert_true(v == LONG_MIN);
	snprintf(buf, sizeof(buf), "-%lu", (unsigned long)LONG_MAX + 2);
	assert_int_equal(ev_num_long(buf, EV_NUM_SIGN, LONG_MIN, LONG_MAX, &v, &e), -ERANGE);
	assert_true(v == LONG_MIN);
	assert_int_equal(ev_num_long("abc", EV_NUM_SIGN, 0, 1, &v, &e), -EINVAL);
	assert_string_equal(e.msg, "'abc' is not a decimal number");
}

/* The sysfs counter reader's words, which its callers show. */
static void test_counter_wording(void **state)
{
	struct ev_err e = { "" };
	uint64_t v;

	(void)state;
	assert_int_equal(ev_parse_u64("  123\n", &v, &e), 0);
	assert_int_equal(v, 123);
	assert_int_equal(ev_parse_u64("18446744073709551616", &v, &e), -ERANGE);
	assert_string_equal(e.msg, "'18446744073709551616' is larger than 64 bits");
	assert_int_equal(ev_parse_u64("1\x1b[2J", &v, &e), -EINVAL);
	assert_string_equal(e.msg, "'1?[2J' is not a counter value");
	assert_true(ev_parse_u64_strict("0012", &v));
	assert_int_equal(v, 12);
	assert_false(ev_parse_u64_strict(" 12", &v));
	assert_false(ev_parse_u64_strict(NULL, &v));
}

static void test_printable(void **state)
{
	char out[8];

	(void)state;
	assert_int_equal(ev_printable(out, sizeof(out), "abc", SIZE_MAX), 3);
	assert_string_equal(out, "abc");
	/* Cut by cap: 7 bytes and the NUL; the return says there is more. */
	assert_int_equal(ev_printable(out, sizeof(out), "0123456789", SIZE_MAX), 7);
	assert_string_equal(out, "0123456");
	/* Cut by max. */
	assert_int_equal(ev_printable(out, sizeof(out), "0123456789", 2), 2);
	assert_string_equal(out, "01");
	/* Control bytes, DEL and bytes above ASCII are '?'; a space stays. */
	assert_int_equal(ev_printable(out, sizeof(out), "a\tb\x7f\xc3 z", SIZE_MAX), 7);
	assert_string_equal(out, "a?b?? z");
	assert_int_equal(ev_printable(out, sizeof(out), "", SIZE_MAX), 0);
	assert_string_equal(out, "");
	assert_int_equal(ev_printable(out, 1, "abc", SIZE_MAX), 0);
	assert_string_equal(out, "");
	assert_int_equal(ev_printable(out, 0, "abc", SIZE_MAX), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_u64),
		cmocka_unit_test(test_long),
		cmocka_unit_test(test_counter_wording),
		cmocka_unit_test(test_printable),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
