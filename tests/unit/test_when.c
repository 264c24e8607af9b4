/* Times as people give them to report --since and --until
 * (lib/util/ev_when.c): durations back from now, local dates. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "util/ev_when.h"

static const time_t now = 1790000000;   /* 2026-09-21 */

static time_t parse_ok(const char *s)
{
	struct ev_err err = { "" };
	time_t t = 0;

	assert_int_equal(ev_when_parse(s, now, &t, &err), 0);
	return t;
}

static void parse_bad(const char *s, const char *said)
{
	struct ev_err err = { "" };
	time_t t = 12345;

	assert_int_equal(ev_when_parse(s, now, &t, &err), -EINVAL);
	assert_int_equal(t, 12345);
	assert_non_null(strstr(err.msg, said));
}

static void test_durations(void **state)
{
	(void)state;
	assert_int_equal(parse_ok("7d"), now - 7 * 86400);
	assert_int_equal(parse_ok("24h"), now - 86400);
	assert_int_equal(parse_ok("90m"), now - 5400);
	assert_int_equal(parse_ok("30s"), now - 30);
	assert_int_equal(parse_ok("2w"), now - 14 * 86400);
	assert_int_equal(parse_ok("0h"), now);
}

/* Local time, as sacct reads its dates: the test runs in two zones. */
static void test_dates_local(void **state)
{
	struct tm tm;

	(void)state;
	setenv("TZ", "UTC", 1);
	tzset();
	assert_int_equal(parse_ok("2026-09-21"), 1789948800);
	assert_int_equal(parse_ok("2026-09-21T09:15:30"), 1789948800 + 9 * 3600 + 15 * 60 + 30);
	setenv("TZ", "America/New_York", 1);
	tzset();
	/* EDT, UTC-4, in September; EST, UTC-5, in January: where the zone
	 * is installed (a minimal root may have none, and then reads UTC). */
	if (localtime_r(&now, &tm) && tm.tm_gmtoff == -4 * 3600) {
		assert_int_equal(parse_ok("2026-09-21"), 1789948800 + 4 * 3600);
		assert_int_equal(parse_ok("2026-01-15T00:00:00"), 1768435200 + 5 * 3600);
	}
	setenv("TZ", "UTC", 1);
	tzset();
}

static void test_refused(void **state)
{
	(void)state;
	setenv("TZ", "UTC", 1);
	tzset();
	parse_bad("", "empty");
	parse_bad("7", "not a duration");
	parse_bad("d", "not a duration");
	parse_bad("7x", "not a duration");
	parse_bad("-7d", "not a duration");
	parse_bad("+7d", "not a duration");
	parse_bad(" 7d", "not a duration");
	parse_bad("7dd", "not a duration");
	parse_bad("1.5d", "not a duration");
	parse_bad("0x10h", "not a duration");
	parse_bad("99999999999999999999d", "before 1970");
	parse_bad("30000w", "before 1970");
	/* Dates: every field its width, a day that exists. */
	parse_bad("2026-9-21", "YYYY-MM-DD");
	parse_bad("2026-02-30", "YYYY-MM-DD");
	parse_bad("2026-12-32", "YYYY-MM-DD");
	parse_bad("2026-04-31T10:00:00", "YYYY-MM-DD");
	parse_bad("2026-13-01", "YYYY-MM-DD");
	parse_bad("2026-00-10", "YYYY-MM-DD");
	parse_bad("2026-09-21 09:15:30", "YYYY-MM-DD");
	parse_bad("2026-09-21T24:00:00", "YYYY-MM-DD");
	parse_bad("2026-09-21T09:60:00", "YYYY-MM-DD");
	parse_bad("2026-09-21T09:15", "YYYY-MM-DD");
	parse_bad("yesterday", "YYYY-MM-DD");
}

static void test_text(void **state)
{
	char buf[32];

	(void)state;
	setenv("TZ", "UTC", 1);
	tzset();
	assert_string_equal(ev_when_text(1789948800 + 3661, buf, sizeof(buf)), "2026-09-21 01:01:01");
	assert_string_equal(ev_when_text(1789948800, buf, 8), "?");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_durations),
		cmocka_unit_test(test_dates_local),
		cmocka_unit_test(test_refused),
		cmocka_unit_test(test_text),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
