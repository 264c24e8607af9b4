/* The built-in instance table: counts and RDMA flags as AWS documents them,
 * lookups, and software names. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <string.h>

#include "config/ev_instances.h"

static const struct ev_instance_type *find(const char *name)
{
	size_t n = 0;
	const struct ev_instance_type *tab = ev_instances_builtin(&n);

	return ev_instance_find(tab, n, name);
}

static void test_efa_counts(void **state)
{
	static const struct {
		const char *name;
		unsigned efa;
	} want[] = {
		{ "p5.48xlarge", 32 }, { "p5e.48xlarge", 32 }, { "p5en.48xlarge", 16 },
		{ "p4d.24xlarge", 4 }, { "p4de.24xlarge", 4 }, { "trn1.32xlarge", 8 },
		{ "trn1n.32xlarge", 16 }, { "trn2.48xlarge", 16 }, { "hpc7a.96xlarge", 2 },
		{ "hpc6a.48xlarge", 1 }, { "c5n.18xlarge", 1 },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
		const struct ev_instance_type *it = find(want[i].name);

		assert_non_null(it);
		assert_string_equal(it->name, want[i].name);
		assert_int_equal(it->efa_devices, want[i].efa);
	}
}

static void test_rdma_flags(void **state)
{
	(void)state;
	/* Nitro v3: p4d/p4de read only; c5n neither. Nitro v4+: both. */
	assert_true(find("p4d.24xlarge")->rdma_read);
	assert_false(find("p4d.24xlarge")->rdma_write);
	assert_true(find("p4de.24xlarge")->rdma_read);
	assert_false(find("p4de.24xlarge")->rdma_write);
	assert_false(find("c5n.18xlarge")->rdma_read);
	assert_false(find("c5n.18xlarge")->rdma_write);
	for (const char *const *n = (const char *const[]){ "p5.48xlarge", "p5e.48xlarge",
			"p5en.48xlarge", "trn1.32xlarge", "trn1n.32xlarge", "trn2.48xlarge", NULL };
	     *n; n++) {
		assert_true(find(*n)->rdma_read);
		assert_true(find(*n)->rdma_write);
	}
}

static void test_min_versions(void **state)
{
	const struct ev_instance_type *p5 = find("p5.48xlarge");
	const struct ev_instance_type *p4d = find("p4d.24xlarge");
	const struct ev_instance_type *trn = find("trn1.32xlarge");

	(void)state;
	assert_string_equal(p5->min_version[EV_SW_EFA_INSTALLER], "1.26.1");
	assert_string_equal(p5->min_version[EV_SW_NCCL], "2.18.5");
	assert_string_equal(p5->min_version[EV_SW_AWS_OFI_NCCL], "1.7.3");
	assert_string_equal(p5->min_version[EV_SW_NVIDIA_DRIVER], "535.54.03");
	assert_string_equal(p5->min_version[EV_SW_CUDA], "11.8");
	assert_string_equal(p5->recommended[EV_SW_CUDA], "12.2");
	assert_string_equal(p4d->min_version[EV_SW_NCCL], "2.15.1");
	assert_string_equal(p4d->min_version[EV_SW_AWS_OFI_NCCL], "1.6.0");
	assert_string_equal(p4d->min_version[EV_SW_NVIDIA_DRIVER], "450.80.02");
	assert_string_equal(p4d->min_version[EV_SW_CUDA], "11.4");
	/* No GPU on Trainium: no NVIDIA minimums to trip over. */
	assert_string_equal(trn->min_version[EV_SW_NVIDIA_DRIVER], "");
	assert_string_equal(trn->min_version[EV_SW_CUDA], "");
}

static void test_table_sane(void **state)
{
	size_t n = 0;
	const struct ev_instance_type *tab = ev_instances_builtin(&n);

	(void)state;
	assert_true(n >= 11);
	for (size_t i = 0; i < n; i++) {
		assert_true(tab[i].name[0] != '\0');
		assert_true(strlen(tab[i].name) < EV_NAME_MAX);
		assert_true(tab[i].efa_devices >= 1 && tab[i].efa_devices <= 32);
		/* RDMA write without read exists on no EFA generation. */
		assert_false(tab[i].rdma_write && !tab[i].rdma_read);
		for (size_t j = i + 1; j < n; j++)
			assert_string_not_equal(tab[i].name, tab[j].name);
		/* find returns the entry itself, not a copy. */
		assert_ptr_equal(ev_instance_find(tab, n, tab[i].name), &tab[i]);
	}
	assert_ptr_equal(ev_instances_builtin(NULL), tab);
}

static void test_find_misses(void **state)
{
	size_t n = 0;
	const struct ev_instance_type *tab = ev_instances_builtin(&n);

	(void)state;
	assert_null(ev_instance_find(tab, n, "m5.large"));
	assert_null(ev_instance_find(tab, n, ""));
	assert_null(ev_instance_find(tab, n, "p5.48XLARGE"));
	assert_null(ev_instance_find(tab, n, "p5.48xlarge "));
	assert_null(ev_instance_find(tab, n, NULL));
	assert_null(ev_instance_find(NULL, 3, "p5.48xlarge"));
	assert_null(ev_instance_find(tab, 0, "p5.48xlarge"));
}

static void test_sw_names(void **state)
{
	static const char *const names[EV_SW__COUNT] = { "efa_installer", "libfabric", "nccl",
							 "aws_ofi_nccl", "nvidia_driver", "cuda" };

	(void)state;
	for (int i = 0; i < EV_SW__COUNT; i++) {
		assert_string_equal(ev_sw_name((enum ev_sw)i), names[i]);
		assert_int_equal(ev_sw_from_name(names[i]), i);
		assert_int_equal(ev_sw_from_name(ev_sw_name((enum ev_sw)i)), i);
	}
	assert_int_equal(ev_sw_from_name("NCCL"), -1);
	assert_int_equal(ev_sw_from_name("aws-ofi-nccl"), -1);
	assert_int_equal(ev_sw_from_name(""), -1);
	assert_int_equal(ev_sw_from_name(NULL), -1);
	assert_string_equal(ev_sw_name(EV_SW__COUNT), "unknown");
	assert_string_equal(ev_sw_name((enum ev_sw)-1), "unknown");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_efa_counts),
		cmocka_unit_test(test_rdma_flags),
		cmocka_unit_test(test_min_versions),
		cmocka_unit_test(test_table_sane),
		cmocka_unit_test(test_find_misses),
		cmocka_unit_test(test_sw_names),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
