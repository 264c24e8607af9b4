/* Which mode a job runs in: the --efa-verify value, and the precedence of
 * the user's option over the plugstack's mode= over the config's mode. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>

#include "config/ev_mode.h"

static void test_option_words(void **state)
{
	enum ev_mode m = EV_MODE_OFF;

	(void)state;
	assert_int_equal(ev_mode_parse_option(NULL, &m), 0);
	assert_int_equal(m, EV_MODE_ENFORCE);
	m = EV_MODE_OFF;
	assert_int_equal(ev_mode_parse_option("", &m), 0);
	assert_int_equal(m, EV_MODE_ENFORCE);
	m = EV_MODE_OFF;
	/* sbatch's way of passing on the bare form. */
	assert_int_equal(ev_mode_parse_option("(null)", &m), 0);
	assert_int_equal(m, EV_MODE_ENFORCE);
	assert_int_equal(ev_mode_parse_option("off", &m), 0);
	assert_int_equal(m, EV_MODE_OFF);
	assert_int_equal(ev_mode_parse_option("report", &m), 0);
	assert_int_equal(m, EV_MODE_REPORT);
	assert_int_equal(ev_mode_parse_option("enforce", &m), 0);
	assert_int_equal(m, EV_MODE_ENFORCE);
	/* A refused word leaves the mode as it was. */
	assert_int_equal(ev_mode_parse_option("bogus", &m), -EINVAL);
	assert_int_equal(ev_mode_parse_option("Enforce", &m), -EINVAL);
	assert_int_equal(ev_mode_parse_option("null", &m), -EINVAL);
	assert_int_equal(m, EV_MODE_ENFORCE);
}

#define NONE { false, EV_MODE_OFF }
#define GIVEN(m) { true, (m) }

/* Every combination of given and not given, each source with a mode the
 * others do not have, so the row's answer names its source. */
static void test_precedence(void **state)
{
	static const struct {
		struct ev_mode_choice option, plugstack;
		enum ev_mode config, want;
	} rows[] = {
		/* option wins over everything */
		{ GIVEN(EV_MODE_OFF), GIVEN(EV_MODE_ENFORCE), EV_MODE_REPORT, EV_MODE_OFF },
		{ GIVEN(EV_MODE_ENFORCE), GIVEN(EV_MODE_OFF), EV_MODE_REPORT, EV_MODE_ENFORCE },
		{ GIVEN(EV_MODE_REPORT), NONE, EV_MODE_ENFORCE, EV_MODE_REPORT },
		{ GIVEN(EV_MODE_OFF), NONE, EV_MODE_ENFORCE, EV_MODE_OFF },
		/* then the plugstack's mode= over the config */
		{ NONE, GIVEN(EV_MODE_ENFORCE), EV_MODE_REPORT, EV_MODE_ENFORCE },
		{ NONE, GIVEN(EV_MODE_OFF), EV_MODE_ENFORCE, EV_MODE_OFF },
		/* then the config */
		{ NONE, NONE, EV_MODE_REPORT, EV_MODE_REPORT },
		{ NONE, NONE, EV_MODE_OFF, EV_MODE_OFF },
		{ NONE, NONE, EV_MODE_ENFORCE, EV_MODE_ENFORCE },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		enum ev_mode got = ev_mode_resolve(&rows[i].option, &rows[i].plugstack, rows[i].config);

		if (got != rows[i].want)
			fail_msg("row %zu: %s, want %s", i, ev_mode_name(got), ev_mode_name(rows[i].want));
	}
}

/* The prolog and epilog have no plugstack: NULL is "not given". */
static void test_no_plugstack(void **state)
{
	struct ev_mode_choice option = GIVEN(EV_MODE_OFF), none = NONE;

	(void)state;
	assert_int_equal(ev_mode_resolve(&option, NULL, EV_MODE_ENFORCE), EV_MODE_OFF);
	assert_int_equal(ev_mode_resolve(&none, NULL, EV_MODE_ENFORCE), EV_MODE_ENFORCE);
	assert_int_equal(ev_mode_resolve(NULL, NULL, EV_MODE_REPORT), EV_MODE_REPORT);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_option_words),
		cmocka_unit_test(test_precedence),
		cmocka_unit_test(test_no_plugstack),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
