/* SLURM_NODE_ALIASES as slurmd gives it to a prolog: which address each of
 * a job's unresolved peers gets from it. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "jobnet/ev_node_aliases.h"

#define N 4

struct run {
	char *addr[N];
};

/* The addresses the four names n1, n2, n10, n3 get from aliases, n3 skipped
 * (its name resolved), as "a|b|c|d" with "-" for none. */
static const char *look(const char *aliases, const char *preset_n1, char *buf, size_t len)
{
	char *names[N] = { "n1", "n2", "n10", "n3" };
	bool skip[N] = { false, false, false, true };
	char *addr[N] = { NULL };
	struct ev_err err;
	size_t o = 0;

	if (preset_n1)
		addr[0] = strdup(preset_n1);
	assert_int_equal(ev_node_aliases_addrs(aliases, names, N, skip, addr, &err), 0);
	for (int k = 0; k < N; k++) {
		o += (size_t)snprintf(buf + o, len - o, "%s%s", k ? "|" : "", addr[k] ? addr[k] : "-");
		free(addr[k]);
	}
	return buf;
}

static void test_ipv4_and_ipv6(void **state)
{
	char b[256];

	(void)state;
	assert_string_equal(look("n2:10.1.0.2:ip-10-1-0-2,n1:10.1.0.1:ip-10-1-0-1", NULL, b, sizeof(b)),
			    "10.1.0.1|10.1.0.2|-|-");
	/* A v6 address is bracketed, its colons are not separators. */
	assert_string_equal(look("n1:[fd00::1]:h1,n10:[fd00::a]:h10", NULL, b, sizeof(b)), "fd00::1|-|fd00::a|-");
}

static void test_names_match_whole(void **state)
{
	char b[256];

	(void)state;
	/* n1 is not n10's prefix, nor n10 n1's. */
	assert_string_equal(look("n10:10.0.0.10:h", NULL, b, sizeof(b)), "-|-|10.0.0.10|-");
	assert_string_equal(look("n:10.0.0.9:h,n1x:10.0.0.8:h", NULL, b, sizeof(b)), "-|-|-|-");
}

static void test_skipped_and_known_names_kept(void **state)
{
	char b[256];

	(void)state;
	/* n3 resolved: what slurmd says of it is not taken. */
	assert_string_equal(look("n3:10.0.0.3:h", NULL, b, sizeof(b)), "-|-|-|-");
	/* An address already known stays; the first entry of a name wins. */
	assert_string_equal(look("n1:10.0.0.1:h", "192.0.2.1", b, sizeof(b)), "192.0.2.1|-|-|-");
	assert_string_equal(look("n2:10.0.0.2:h,n2:10.0.0.22:h", NULL, b, sizeof(b)), "-|10.0.0.2|-|-");
}

static void test_malformed_ends_reading(void **state)
{
	char b[256];

	(void)state;
	assert_string_equal(look(NULL, NULL, b, sizeof(b)), "-|-|-|-");
	assert_string_equal(look("", NULL, b, sizeof(b)), "-|-|-|-");
	/* No host part: nothing after can be aligned on its entries. */
	assert_string_equal(look("n1:10.0.0.1", NULL, b, sizeof(b)), "-|-|-|-");
	assert_string_equal(look("n2:10.0.0.2:h,n1", NULL, b, sizeof(b)), "-|10.0.0.2|-|-");
	assert_string_equal(look("n1:[fd00::1:h1,n2:10.0.0.2:h", NULL, b, sizeof(b)), "-|-|-|-");
	assert_string_equal(look("n1:[fd00::1]h1,n2:10.0.0.2:h", NULL, b, sizeof(b)), "-|-|-|-");
	/* The last entry needs no comma; a trailing one ends the list. */
	assert_string_equal(look("n1:10.0.0.1:h,", NULL, b, sizeof(b)), "10.0.0.1|-|-|-");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ipv4_and_ipv6),
		cmocka_unit_test(test_names_match_whole),
		cmocka_unit_test(test_skipped_and_known_names_kept),
		cmocka_unit_test(test_malformed_ends_reading),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
