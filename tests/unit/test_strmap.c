/* Names to small numbers (lib/util/ev_strmap.c): what the fleet report
 * counts by node, user, account and partition. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "util/ev_strmap.h"

/* Each distinct name gets the next index, once; the same name again, in
 * any order and after the table has grown many times, finds it. */
static void test_indexes_stay(void **state)
{
	struct ev_strmap m = { 0 };
	char name[32];
	size_t idx;
	bool added;

	(void)state;
	assert_int_equal(ev_strmap_find(&m, "n1"), -1);
	for (int i = 0; i < 5000; i++) {
		snprintf(name, sizeof(name), "n%d", i);
		assert_int_equal(ev_strmap_put(&m, name, &idx, &added), 0);
		assert_true(added);
		assert_int_equal(idx, (size_t)i);
	}
	for (int i = 4999; i >= 0; i -= 7) {
		snprintf(name, sizeof(name), "n%d", i);
		assert_int_equal(ev_strmap_put(&m, name, &idx, &added), 0);
		assert_false(added);
		assert_int_equal(idx, (size_t)i);
		assert_int_equal(ev_strmap_find(&m, name), i);
		assert_string_equal(ev_strmap_name(&m, idx), name);
	}
	assert_int_equal(m.n, 5000);
	/* At most half full: a probe ends soon. */
	assert_true(m.slots_cap >= 2 * m.n);
	assert_int_equal(ev_strmap_find(&m, "n5000"), -1);
	assert_int_equal(ev_strmap_find(&m, ""), -1);
	assert_null(ev_strmap_name(&m, 5000));
	ev_strmap_free(&m);
	assert_int_equal(m.n, 0);
}

/* The map keeps its own copy: the caller's buffer may change. */
static void test_own_copy(void **state)
{
	struct ev_strmap m = { 0 };
	char buf[8] = "alice";
	size_t idx;
	bool added;

	(void)state;
	assert_int_equal(ev_strmap_put(&m, buf, &idx, &added), 0);
	strcpy(buf, "bob");
	assert_string_equal(ev_strmap_name(&m, idx), "alice");
	assert_int_equal(ev_strmap_find(&m, "bob"), -1);
	assert_int_equal(ev_strmap_find(&m, "alice"), 0);
	ev_strmap_free(&m);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_indexes_stay),
		cmocka_unit_test(test_own_copy),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
