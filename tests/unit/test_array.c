/* The one growth rule for arrays read from lists (lib/util/ev_array.c). */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <stdlib.h>

#include "util/ev_array.h"

/* Room is made only when full, doubling from first; every element kept. */
static void test_grows_by_doubling(void **state)
{
	int *v = NULL;
	size_t cap = 0;

	(void)state;
	for (size_t n = 0; n < 100; n++) {
		assert_int_equal(ev_array_room(&v, &cap, n, sizeof(*v), 4), 0);
		assert_true(n < cap);
		v[n] = (int)n;
	}
	assert_int_equal(cap, 128);
	for (size_t n = 0; n < 100; n++)
		assert_int_equal(v[n], (int)n);
	/* Not full: nothing changes. */
	assert_int_equal(ev_array_room(&v, &cap, 100, sizeof(*v), 4), 0);
	assert_int_equal(cap, 128);
	free(v);
}

/* A size that would overflow is refused, the array left as it was. */
static void test_overflow_refused(void **state)
{
	char *v = malloc(8);
	size_t cap = SIZE_MAX / 2 + 1;

	(void)state;
	assert_non_null(v);
	assert_int_equal(ev_array_room(&v, &cap, cap, 1, 8), -ENOMEM);
	assert_int_equal(cap, SIZE_MAX / 2 + 1);
	cap = 4;
	assert_int_equal(ev_array_room(&v, &cap, 4, SIZE_MAX / 4, 8), -ENOMEM);
	assert_int_equal(cap, 4);
	assert_int_equal(ev_array_room(&v, &cap, 4, 0, 8), -ENOMEM);
	free(v);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_grows_by_doubling),
		cmocka_unit_test(test_overflow_refused),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
