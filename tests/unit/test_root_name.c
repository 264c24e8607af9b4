/* ev_root_name: the name of a container's "/" from its mount table. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "container/ev_root_name.h"
#include "testutil.h"

static char *table(const char *text)
{
	char *dir = tu_mkdtemp(), *path = malloc(strlen(dir) + 16);
	FILE *f;

	assert_non_null(path);
	sprintf(path, "%s/mountinfo", dir);
	free(dir);
	f = fopen(path, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
	return path;
}

static int name_of(const char *text, char *out, size_t cap)
{
	struct ev_err err = { "" };
	char *path = table(text);
	int rc = ev_root_name(path, out, cap, &err);

	*strrchr(path, '/') = '\0';
	tu_rm_rf(path);
	free(path);
	return rc;
}

/* enroot's: the container's rootfs, a directory of the host's /run. */
static void enroot_root(void **state)
{
	char out[128];

	(void)state;
	assert_int_equal(name_of("712 690 0:26 /enroot/data/user-1000/pyxis_42.0 / rw,nosuid - tmpfs tmpfs rw\n"
				 "713 712 0:5 / /proc rw - proc proc rw\n", out, sizeof(out)), 0);
	assert_string_equal(out, "/enroot/data/user-1000/pyxis_42.0");
}

/* The last mount on "/" is the one in effect; escapes decoded; control
 * bytes shown as '?'. */
static void last_root_wins_escapes_decoded(void **state)
{
	char out[128];

	(void)state;
	assert_int_equal(name_of("1 0 8:1 / / rw - ext4 /dev/sda1 rw\n"
				 "2 1 0:40 /images/my\\040image\\012x / rw - overlay overlay rw\n", out, sizeof(out)), 0);
	assert_string_equal(out, "/images/my image?x");
}

static void cut_to_cap(void **state)
{
	char out[8];

	(void)state;
	assert_int_equal(name_of("1 0 8:1 /a/very/long/root / rw - ext4 x rw\n", out, sizeof(out)), 0);
	assert_string_equal(out, "/a/very");
}

static void nothing_on_root(void **state)
{
	char out[64] = "stale";

	(void)state;
	assert_int_equal(name_of("5 1 0:5 / /proc rw - proc proc rw\n", out, sizeof(out)), -ENOENT);
	assert_string_equal(out, "");
	assert_int_equal(name_of("garbage\n", out, sizeof(out)), -EINVAL);
	assert_int_equal(name_of("", out, sizeof(out)), -ENOENT);
}

static void missing_table(void **state)
{
	struct ev_err err = { "" };
	char out[64];

	(void)state;
	assert_int_equal(ev_root_name("/nonexistent/mountinfo", out, sizeof(out), &err), -ENOENT);
	assert_non_null(strstr(err.msg, "/nonexistent/mountinfo"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(enroot_root),
		cmocka_unit_test(last_root_wins_escapes_decoded),
		cmocka_unit_test(cut_to_cap),
		cmocka_unit_test(nothing_on_root),
		cmocka_unit_test(missing_table),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
