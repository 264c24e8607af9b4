/* Whether a job has the whole node: what slurmd's variables say on each
 * Slurm release, and the parsers behind it. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "node/ev_whole_node.h"
#include "testutil.h"

static void judged(const char *exclusive, const char *oversubscribe, unsigned job_cpus, unsigned node_cpus,
		   enum ev_whole want, const char *why)
{
	struct ev_whole_in in = { exclusive, oversubscribe, job_cpus, node_cpus };
	struct ev_whole_node out;

	ev_whole_node_judge(&in, &out);
	if (out.whole != want || strcmp(out.why, why) != 0)
		print_error("exclusive=%s oversubscribe=%s cpus=%u/%u: got %s %s, want %s %s\n",
			    exclusive ? exclusive : "-", oversubscribe ? oversubscribe : "-", job_cpus, node_cpus,
			    ev_whole_name(out.whole), out.why, ev_whole_name(want), why);
	assert_int_equal(out.whole, want);
	assert_string_equal(out.why, why);
}

static void test_slurm_26_05(void **state)
{
	(void)state;
	/* --exclusive: EXCLUSIVE=NODE; OVERSUBSCRIBE says NO for every job
	 * that may not oversubscribe, so it is not read beside EXCLUSIVE. */
	judged("NODE", "NO", 2, 192, EV_WHOLE_YES, "exclusive");
	judged("TOPO", "NO", 0, 0, EV_WHOLE_YES, "exclusive");
	judged("NO", "NO", 1, 192, EV_WHOLE_NO, "cpus:1/192");
	/* --exclusive=user: the user's other jobs may share the node. */
	judged("USER", "NO", 96, 192, EV_WHOLE_NO, "cpus:96/192");
	judged("MCS", "OK", 192, 192, EV_WHOLE_YES, "all_cpus:192/192");
}

static void test_slurm_23_11_to_25_11(void **state)
{
	(void)state;
	/* No EXCLUSIVE: OVERSUBSCRIBE=NO is --exclusive (or an exclusive
	 * partition); OK and YES are shareable. */
	judged(NULL, "NO", 1, 2, EV_WHOLE_YES, "exclusive");
	judged(NULL, "OK", 1, 2, EV_WHOLE_NO, "cpus:1/2");
	judged(NULL, "YES", 2, 2, EV_WHOLE_YES, "all_cpus:2/2");
	judged(NULL, "USER", 1, 2, EV_WHOLE_NO, "cpus:1/2");
	judged(NULL, "OK", 0, 2, EV_WHOLE_UNKNOWN, "job_cpus_unknown");
}

static void test_slurm_22_05(void **state)
{
	(void)state;
	/* Only the CPU counts: every CPU online is a whole node. */
	judged(NULL, NULL, 2, 2, EV_WHOLE_YES, "all_cpus:2/2");
	judged(NULL, NULL, 4, 2, EV_WHOLE_YES, "all_cpus:4/2");
	judged(NULL, NULL, 1, 2, EV_WHOLE_NO, "cpus:1/2");
	/* Not known is said, never guessed. */
	judged(NULL, NULL, 0, 2, EV_WHOLE_UNKNOWN, "job_cpus_unknown");
	judged(NULL, NULL, 2, 0, EV_WHOLE_UNKNOWN, "node_cpus_unknown");
	judged(NULL, NULL, 0, 0, EV_WHOLE_UNKNOWN, "job_cpus_unknown");
}

static void test_names(void **state)
{
	(void)state;
	for (int w = EV_WHOLE_UNKNOWN; w <= EV_WHOLE_NO; w++)
		assert_int_equal(ev_whole_from_name(ev_whole_name((enum ev_whole)w)), w);
	assert_string_equal(ev_whole_name(EV_WHOLE_YES), "yes");
	assert_int_equal(ev_whole_from_name("YES"), -1);
	assert_int_equal(ev_whole_from_name(NULL), -1);
	assert_string_equal(ev_whole_name((enum ev_whole)9), "unknown");
}

static void test_cpu_list(void **state)
{
	static const struct {
		const char *s;
		unsigned n;
	} ok[] = { { "0", 1 }, { "0-1", 2 }, { "0-191", 192 }, { "0,2-5,7", 6 }, { "3-3", 1 } };
	static const char *const bad[] = { "", "-", "0-", "5-2", "0,,1", "0-1,", "a", "0 -1", "1x",
					   "0-1\n", "1234567890" };
	unsigned n;

	(void)state;
	for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		assert_int_equal(ev_cpu_list_count(ok[i].s, &n), 0);
		assert_int_equal(n, ok[i].n);
	}
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_int_equal(ev_cpu_list_count(bad[i], &n), -EINVAL);
	assert_int_equal(ev_cpu_list_count(NULL, &n), -EINVAL);
}

static void test_cpus_per_node(void **state)
{
	unsigned v = 0;

	(void)state;
	/* One entry per node, in the job's node order. */
	assert_int_equal(ev_cpus_per_node_at("96(x2),48", 0, 3, &v), 0);
	assert_int_equal(v, 96);
	assert_int_equal(ev_cpus_per_node_at("96(x2),48", 1, 3, &v), 0);
	assert_int_equal(v, 96);
	assert_int_equal(ev_cpus_per_node_at("96(x2),48", 2, 3, &v), 0);
	assert_int_equal(v, 48);
	assert_int_equal(ev_cpus_per_node_at("1", 0, 1, &v), 0);
	assert_int_equal(v, 1);
	assert_int_equal(ev_cpus_per_node_at("2,1,2(x3)", 4, 0, &v), 0);
	assert_int_equal(v, 2);
	/* Past the end, or a list whose length is not the job's node count
	 * (a step's node list, not the job's): not known. */
	assert_int_equal(ev_cpus_per_node_at("96(x2),48", 3, 0, &v), -ERANGE);
	assert_int_equal(ev_cpus_per_node_at("96(x2),48", 0, 4, &v), -EINVAL);
	assert_int_equal(ev_cpus_per_node_at("96(x2),48", 0, 2, &v), -EINVAL);
	for (size_t i = 0; i < 9; i++) {
		static const char *const bad[] = { "", "x", "2(x)", "2(x0)", "2(2)", "2(x2", "2,", ",2",
						   "2(x2)3" };

		assert_int_equal(ev_cpus_per_node_at(bad[i], 0, 0, &v), -EINVAL);
	}
	assert_int_equal(ev_cpus_per_node_at(NULL, 0, 0, &v), -EINVAL);
}

static void test_cpus_online(void **state)
{
	char *dir = tu_mkdtemp();
	struct ev_err err = { "" };
	unsigned n = 0;

	(void)state;
	assert_int_equal(ev_cpus_online(dir, &n, &err), -ENOENT);
	assert_int_equal(tu_write(dir, "devices/system/cpu/online", "0-95\n"), 0);
	assert_int_equal(ev_cpus_online(dir, &n, &err), 0);
	assert_int_equal(n, 96);
	assert_int_equal(tu_write(dir, "devices/system/cpu/online", "junk\n"), 0);
	assert_int_equal(ev_cpus_online(dir, &n, &err), -EINVAL);
	assert_non_null(strstr(err.msg, "not a CPU list"));
	/* mkfixture lays the file out as the kernel does. */
	assert_int_equal(tu_fixture(dir, "--type", "p5.48xlarge", "--cpus", "192", NULL), 0);
	assert_int_equal(ev_cpus_online(dir, &n, &err), 0);
	assert_int_equal(n, 192);
	tu_rm_rf(dir);
	free(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_slurm_26_05),
		cmocka_unit_test(test_slurm_23_11_to_25_11),
		cmocka_unit_test(test_slurm_22_05),
		cmocka_unit_test(test_names),
		cmocka_unit_test(test_cpu_list),
		cmocka_unit_test(test_cpus_per_node),
		cmocka_unit_test(test_cpus_online),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
