/* The vocabulary of causes: names, the order a node's causes keep, and the
 * node line's form, read back strictly. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "judge/ev_cause.h"
#include "judge/ev_cause_container.h"
#include "judge/ev_cause_env.h"
#include "judge/ev_cause_memlock.h"
#include "judge/ev_cause_versions.h"

static void test_names(void **state)
{
	(void)state;
	for (int i = 0; i < EV_CAUSE__COUNT; i++) {
		const char *n = ev_cause_name((enum ev_cause_name)i);

		assert_int_equal(ev_cause_from_name(n), i);
		/* ev_causes_parse reads a name into EV_CAUSE_NAME_MAX. */
		assert_true(strlen(n) < EV_CAUSE_NAME_MAX);
		/* Every cause says how it is known and what to do. */
		assert_true(strlen(ev_cause_fix((enum ev_cause_name)i)) > 10);
		assert_true(strlen(ev_cause_evidence((enum ev_cause_name)i)) > 10);
		assert_null(strchr(ev_cause_fix((enum ev_cause_name)i), '\n'));
	}
	assert_string_equal(ev_cause_name(EV_CAUSE_FI_PROVIDER), "fi_provider");
	assert_string_equal(ev_cause_name(EV_CAUSE_NCCL_NET_PLUGIN), "nccl_net_plugin");
	assert_string_equal(ev_cause_name(EV_CAUSE_UNREACHABLE_PEERS), "unreachable_peers");
	assert_string_equal(ev_cause_name(EV_CAUSE_NOT_READY), "not_ready");
	assert_string_equal(ev_cause_name(EV_CAUSE_NO_EFA_DEVICE_IN_CONTAINER), "no_efa_device_in_container");
	assert_string_equal(ev_cause_name(EV_CAUSE_NO_EFA_PROVIDER_IN_CONTAINER), "no_efa_provider_in_container");
	/* The fixes name what to change. */
	assert_non_null(strstr(ev_cause_fix(EV_CAUSE_NO_EFA_DEVICE_IN_CONTAINER), "/dev/infiniband"));
	assert_non_null(strstr(ev_cause_fix(EV_CAUSE_NO_EFA_DEVICE_IN_CONTAINER), "enroot"));
	assert_non_null(strstr(ev_cause_fix(EV_CAUSE_NO_EFA_DEVICE_IN_CONTAINER), "OCI"));
	assert_non_null(strstr(ev_cause_fix(EV_CAUSE_NO_EFA_PROVIDER_IN_CONTAINER), "--skip-kmod"));
	assert_string_equal(ev_cause_fix(EV_CAUSE_FI_PROVIDER), "unset FI_PROVIDER or set it to efa in the job script");
	assert_int_equal(ev_cause_from_name("FI_PROVIDER"), -1);
	assert_int_equal(ev_cause_from_name("fi_provide"), -1);
	assert_int_equal(ev_cause_from_name(""), -1);
	assert_int_equal(ev_cause_from_name(NULL), -1);
	assert_string_equal(ev_cause_certainty_name(EV_CAUSE_CERTAIN), "certain");
	assert_string_equal(ev_cause_certainty_name(EV_CAUSE_LIKELY), "likely");
}

/* As the launcher applies a limit asked for: cut to its hard limit, or,
 * when the user insisted, whole or not at all. */
static void test_memlock_task_limit(void **state)
{
	struct ev_limit_ask a;
	const uint64_t M = 1048576;

	(void)state;
	ev_limit_ask_parse(NULL, &a);
	assert_false(a.asked);
	assert_int_equal(ev_memlock_task_limit(8 * M, 8 * M, &a), 8 * M);
	assert_int_equal(ev_memlock_task_limit(8 * M, 8 * M, NULL), 8 * M);

	ev_limit_ask_parse("4194304", &a);
	assert_true(a.asked);
	assert_false(a.insisted);
	assert_int_equal(a.value, 4 * M);
	assert_int_equal(ev_memlock_task_limit(8 * M, 8 * M, &a), 4 * M);

	/* Above the hard limit: cut to it, unless insisted on. */
	ev_limit_ask_parse("18446744073709551615", &a);
	assert_int_equal(a.value, EV_MEMLOCK_UNLIMITED);
	assert_int_equal(ev_memlock_task_limit(2 * M, 8 * M, &a), 8 * M);
	assert_int_equal(ev_memlock_task_limit(2 * M, EV_MEMLOCK_UNLIMITED, &a), EV_MEMLOCK_UNLIMITED);
	ev_limit_ask_parse("U18446744073709551615", &a);
	assert_true(a.insisted);
	assert_int_equal(ev_memlock_task_limit(2 * M, 8 * M, &a), 2 * M);
	ev_limit_ask_parse("U65536", &a);
	assert_int_equal(ev_memlock_task_limit(2 * M, 8 * M, &a), 65536);

	/* Malformed: ignored, as the launcher ignores it. */
	for (const char *const *s = (const char *const[]){ "", "U", "-1", " 5", "5k", "0x10", "UU5",
							   "99999999999999999999999", NULL };
	     *s; s++) {
		ev_limit_ask_parse(*s, &a);
		assert_false(a.asked);
		assert_int_equal(ev_memlock_task_limit(3 * M, 8 * M, &a), 3 * M);
	}
}

static void test_memlock_cause(void **state)
{
	struct ev_causes cs = { 0 };

	(void)state;
	ev_causes_from_memlock(1073741824, 1073741824, &cs);
	ev_causes_from_memlock(EV_MEMLOCK_UNLIMITED, 1073741824, &cs);
	ev_causes_from_memlock(65536, 0, &cs);
	assert_int_equal(cs.n, 0);
	ev_causes_from_memlock(67108864, 1073741824, &cs);
	assert_int_equal(cs.n, 1);
	assert_int_equal(cs.c[0].name, EV_CAUSE_MEMLOCK);
	assert_int_equal(cs.c[0].certainty, EV_CAUSE_CERTAIN);
	assert_string_equal(cs.c[0].detail, "67108864");
}

static void set_sw(struct ev_versions *sw, enum ev_sw i, const char *v)
{
	sw->sw[i].present = true;
	snprintf(sw->sw[i].version, sizeof(sw->sw[i].version), "%s", v);
}

/* Below the type's minimum, or NCCL without its EFA plugin: likely, the
 * first component short; other absent software, or an unknown type: no
 * cause. */
static void test_versions_cause(void **state)
{
	struct ev_instance_type p4d = { .name = "p4d.24xlarge" }, cpu = { .name = "c5n.18xlarge" };
	struct ev_versions sw = { 0 };
	struct ev_causes cs = { 0 };

	(void)state;
	snprintf(p4d.min_version[EV_SW_LIBFABRIC], EV_VER_MAX, "1.7.0");
	snprintf(p4d.min_version[EV_SW_NCCL], EV_VER_MAX, "2.15.1");
	snprintf(p4d.min_version[EV_SW_AWS_OFI_NCCL], EV_VER_MAX, "1.6.0");
	snprintf(cpu.min_version[EV_SW_LIBFABRIC], EV_VER_MAX, "1.7.0");

	ev_causes_from_versions(&sw, &p4d, &cs);      /* nothing found: nothing said */
	set_sw(&sw, EV_SW_LIBFABRIC, "1.22.0");
	set_sw(&sw, EV_SW_AWS_OFI_NCCL, "1.6.0");
	ev_causes_from_versions(&sw, &p4d, &cs);      /* at the minimum */
	ev_causes_from_versions(&sw, NULL, &cs);
	assert_int_equal(cs.n, 0);

	set_sw(&sw, EV_SW_AWS_OFI_NCCL, "1.5.0-aws");
	set_sw(&sw, EV_SW_NCCL, "2.14.3");
	ev_causes_from_versions(&sw, &p4d, &cs);
	assert_int_equal(cs.n, 1);
	assert_int_equal(cs.c[0].name, EV_CAUSE_VERSIONS);
	assert_int_equal(cs.c[0].certainty, EV_CAUSE_LIKELY);
	assert_string_equal(cs.c[0].detail, "nccl:2.14.3/min:2.15.1");

	memset(&cs, 0, sizeof(cs));
	set_sw(&sw, EV_SW_NCCL, "2.18.5");
	ev_causes_from_versions(&sw, &p4d, &cs);
	assert_string_equal(cs.c[0].detail, "aws_ofi_nccl:1.5.0-aws/min:1.6.0");

	memset(&cs, 0, sizeof(cs));
	sw.sw[EV_SW_AWS_OFI_NCCL].present = false;
	ev_causes_from_versions(&sw, &p4d, &cs);
	assert_int_equal(cs.n, 1);
	assert_string_equal(cs.c[0].detail, "aws_ofi_nccl:absent");
	/* No plugin minimum for the type (a CPU type): its absence says nothing. */
	memset(&cs, 0, sizeof(cs));
	ev_causes_from_versions(&sw, &cpu, &cs);
	assert_int_equal(cs.n, 0);
}

/* What a container's facts prove: no device, no provider (which part),
 * both certain and both keeping a step off EFA; versions against the
 * type, likely; nothing from what was not looked at or not judged. */
static void test_container_cause(void **state)
{
	struct ev_instance_type p4d = { .name = "p4d.24xlarge" };
	struct ev_image_facts f = { .libefa = true, .fabric = EV_FABRIC_EFA, .uverbs = 4 };
	struct ev_causes cs = { 0 };
	char out[512];

	(void)state;
	snprintf(p4d.min_version[EV_SW_LIBFABRIC], EV_VER_MAX, "1.7.0");
	set_sw(&f.sw, EV_SW_LIBFABRIC, "1.18.1");
	ev_cause_container(&f, &p4d, &cs);
	f.uverbs = -1;
	f.fabric = EV_FABRIC_UNKNOWN;
	ev_cause_container(&f, &p4d, &cs);
	assert_int_equal(cs.n, 0);

	f.uverbs = 0;
	ev_cause_container(&f, NULL, &cs);
	assert_int_equal(cs.n, 1);
	assert_int_equal(cs.c[0].name, EV_CAUSE_NO_EFA_DEVICE_IN_CONTAINER);
	assert_int_equal(cs.c[0].certainty, EV_CAUSE_CERTAIN);
	assert_string_equal(cs.c[0].detail, "uverbs:0");

	memset(&cs, 0, sizeof(cs));
	f.uverbs = 2;
	f.fabric = EV_FABRIC_NO_EFA;
	ev_cause_container(&f, NULL, &cs);
	assert_int_equal(cs.n, 1);
	assert_int_equal(cs.c[0].name, EV_CAUSE_NO_EFA_PROVIDER_IN_CONTAINER);
	assert_int_equal(cs.c[0].certainty, EV_CAUSE_CERTAIN);
	assert_string_equal(cs.c[0].detail, "libfabric:no_efa");

	memset(&cs, 0, sizeof(cs));
	f.fabric = EV_FABRIC_EFA;
	f.libefa = false;
	ev_cause_container(&f, NULL, &cs);
	assert_string_equal(cs.c[0].detail, "libefa:absent");
	/* Absent from the image's directories: the job may bring it. */
	assert_int_equal(cs.c[0].certainty, EV_CAUSE_LIKELY);
	memset(&cs, 0, sizeof(cs));
	f.fabric = EV_FABRIC_NONE;
	ev_cause_container(&f, NULL, &cs);
	assert_string_equal(cs.c[0].detail, "libfabric:absent/libefa:absent");
	assert_int_equal(cs.c[0].certainty, EV_CAUSE_LIKELY);
	/* A libfabric without the provider proves it, libefa or not. */
	memset(&cs, 0, sizeof(cs));
	f.fabric = EV_FABRIC_NO_EFA;
	ev_cause_container(&f, NULL, &cs);
	assert_string_equal(cs.c[0].detail, "libfabric:no_efa/libefa:absent");
	assert_int_equal(cs.c[0].certainty, EV_CAUSE_CERTAIN);

	/* All at once: certain ones first, the versions last, likely. */
	memset(&cs, 0, sizeof(cs));
	f.uverbs = 0;
	f.fabric = EV_FABRIC_NO_EFA;
	f.libefa = true;
	set_sw(&f.sw, EV_SW_LIBFABRIC, "1.6.0");
	ev_cause_container(&f, &p4d, &cs);
	assert_int_equal(ev_causes_format(&cs, out, sizeof(out)), 0);
	assert_string_equal(out, "no_efa_device_in_container(uverbs:0)+no_efa_provider_in_container(libfabric:no_efa)+"
				 "versions~(libfabric:1.6.0/min:1.7.0)");
	{
		struct ev_causes back;
		struct ev_err err = { "" };

		assert_int_equal(ev_causes_parse(out, &back, &err), 0);
		assert_int_equal(back.n, 3);
		assert_int_equal(back.c[1].name, EV_CAUSE_NO_EFA_PROVIDER_IN_CONTAINER);
	}
	/* Certain, either keeps a step off EFA: enforce refuses it. */
	assert_true(ev_cause_excludes_efa(EV_CAUSE_NO_EFA_DEVICE_IN_CONTAINER));
	assert_true(ev_cause_excludes_efa(EV_CAUSE_NO_EFA_PROVIDER_IN_CONTAINER));
	assert_false(ev_cause_excludes_efa(EV_CAUSE_VERSIONS));
}

static void test_order_and_dedupe(void **state)
{
	struct ev_causes cs;

	(void)state;
	memset(&cs, 0, sizeof(cs));
	ev_causes_add(&cs, EV_CAUSE_UNREACHABLE_PEERS, EV_CAUSE_LIKELY, "tx_pkts:9000/rx_pkts:3");
	ev_causes_add(&cs, EV_CAUSE_MEMLOCK, EV_CAUSE_CERTAIN, "65536");
	ev_causes_add(&cs, EV_CAUSE_FI_PROVIDER, EV_CAUSE_CERTAIN, "tcp");
	ev_causes_add(&cs, EV_CAUSE_SETUP_ERRORS, EV_CAUSE_LIKELY, "reg_mr_err:12");
	assert_int_equal(cs.n, 4);
	/* Certain before likely, then the enum's order. */
	assert_int_equal(cs.c[0].name, EV_CAUSE_FI_PROVIDER);
	assert_int_equal(cs.c[1].name, EV_CAUSE_MEMLOCK);
	assert_int_equal(cs.c[2].name, EV_CAUSE_SETUP_ERRORS);
	assert_int_equal(cs.c[3].name, EV_CAUSE_UNREACHABLE_PEERS);

	/* The first word stands... */
	ev_causes_add(&cs, EV_CAUSE_MEMLOCK, EV_CAUSE_CERTAIN, "1024");
	ev_causes_add(&cs, EV_CAUSE_MEMLOCK, EV_CAUSE_LIKELY, "1024");
	assert_int_equal(cs.n, 4);
	assert_string_equal(ev_causes_find(&cs, EV_CAUSE_MEMLOCK)->detail, "65536");
	assert_int_equal(ev_causes_find(&cs, EV_CAUSE_MEMLOCK)->certainty, EV_CAUSE_CERTAIN);
	/* ...unless proof replaces a suggestion, which moves it up. */
	ev_causes_add(&cs, EV_CAUSE_UNREACHABLE_PEERS, EV_CAUSE_CERTAIN, "proved");
	assert_int_equal(cs.n, 4);
	assert_int_equal(cs.c[2].name, EV_CAUSE_UNREACHABLE_PEERS);
	assert_int_equal(cs.c[2].certainty, EV_CAUSE_CERTAIN);
	assert_string_equal(cs.c[2].detail, "proved");
	assert_int_equal(cs.c[3].name, EV_CAUSE_SETUP_ERRORS);
	assert_null(ev_causes_find(&cs, EV_CAUSE_VERSIONS));
}

static void test_cap(void **state)
{
	struct ev_causes cs;

	(void)state;
	memset(&cs, 0, sizeof(cs));
	for (int i = EV_CAUSE__COUNT - 1; i >= 0; i--)
		ev_causes_add(&cs, (enum ev_cause_name)i, EV_CAUSE_LIKELY, "x");
	/* The first EV_CAUSES_MAX in order stay, whatever order they came in. */
	assert_int_equal(cs.n, EV_CAUSES_MAX);
	for (size_t i = 0; i < cs.n; i++)
		assert_int_equal(cs.c[i].name, (enum ev_cause_name)i);
	/* A certain one displaces the last likely one. */
	ev_causes_add(&cs, EV_CAUSE_NOT_READY, EV_CAUSE_CERTAIN, NULL);
	assert_int_equal(cs.n, EV_CAUSES_MAX);
	assert_int_equal(cs.c[0].name, EV_CAUSE_NOT_READY);
	assert_string_equal(cs.c[0].detail, "");
	assert_null(ev_causes_find(&cs, (enum ev_cause_name)(EV_CAUSES_MAX - 1)));
	/* A likely one after all of them is dropped. */
	ev_causes_add(&cs, EV_CAUSE_PLACEMENT, EV_CAUSE_LIKELY, "az");
	assert_null(ev_causes_find(&cs, EV_CAUSE_PLACEMENT));
	assert_int_equal(cs.n, EV_CAUSES_MAX);
}

static void test_detail_cleaned(void **state)
{
	struct ev_causes cs;
	char long_value[200], out[512];

	(void)state;
	memset(&cs, 0, sizeof(cs));
	ev_causes_add(&cs, EV_CAUSE_FI_PROVIDER, EV_CAUSE_CERTAIN, "tcp;ofi_rxm (x)=1 \n\xff");
	assert_string_equal(cs.c[0].detail, "tcp_ofi_rxm__x__1___");
	memset(long_value, 'a', sizeof(long_value) - 1);
	long_value[sizeof(long_value) - 1] = '\0';
	ev_causes_add(&cs, EV_CAUSE_NCCL_NET, EV_CAUSE_CERTAIN, long_value);
	assert_int_equal(strlen(cs.c[1].detail), EV_CAUSE_DETAIL_MAX - 1);
	assert_int_equal(ev_causes_format(&cs, out, sizeof(out)), 0);
	assert_int_equal(strlen(out), strlen("fi_provider(tcp_ofi_rxm__x__1___)+nccl_net()") + EV_CAUSE_DETAIL_MAX - 1);
}

static void roundtrip(const struct ev_causes *cs, const char *want)
{
	struct ev_causes back;
	struct ev_err err = { "" };
	char out[512];

	assert_int_equal(ev_causes_format(cs, out, sizeof(out)), 0);
	assert_string_equal(out, want);
	assert_int_equal(ev_causes_parse(out, &back, &err), 0);
	assert_int_equal(back.n, cs->n);
	for (size_t i = 0; i < cs->n; i++) {
		assert_int_equal(back.c[i].name, cs->c[i].name);
		assert_int_equal(back.c[i].certainty, cs->c[i].certainty);
		assert_string_equal(back.c[i].detail, cs->c[i].detail);
	}
}

static void test_format_parse(void **state)
{
	struct ev_causes cs;
	char small[8], big[512];

	(void)state;
	memset(&cs, 0, sizeof(cs));
	roundtrip(&cs, "");
	ev_causes_add(&cs, EV_CAUSE_UNREACHABLE_PEERS, EV_CAUSE_LIKELY,
		      "tx_pkts:9000/rx_pkts:3/unresponsive_remote_events:4");
	roundtrip(&cs, "unreachable_peers~(tx_pkts:9000/rx_pkts:3/unresponsive_remote_events:4)");
	ev_causes_add(&cs, EV_CAUSE_FI_PROVIDER, EV_CAUSE_CERTAIN, "tcp");
	ev_causes_add(&cs, EV_CAUSE_NOT_READY, EV_CAUSE_CERTAIN, "");
	ev_causes_add(&cs, EV_CAUSE_VERSIONS, EV_CAUSE_LIKELY, "aws-ofi-nccl:1.7.0/min:1.9.1");
	roundtrip(&cs, "fi_provider(tcp)+not_ready+unreachable_peers~(tx_pkts:9000/rx_pkts:3/"
		       "unresponsive_remote_events:4)+versions~(aws-ofi-nccl:1.7.0/min:1.9.1)");
	assert_int_equal(ev_causes_format(&cs, small, sizeof(small)), -ENAMETOOLONG);
	assert_string_equal(small, "");

	/* What format refuses: out of order, a name twice, a bad detail. */
	cs.n = 2;
	cs.c[1] = cs.c[0];
	assert_int_equal(ev_causes_format(&cs, big, sizeof(big)), -EINVAL);
	cs.c[1].certainty = EV_CAUSE_LIKELY;
	assert_int_equal(ev_causes_format(&cs, big, sizeof(big)), -EINVAL);
	cs.n = 1;
	strcpy(cs.c[0].detail, "a b");
	assert_int_equal(ev_causes_format(&cs, big, sizeof(big)), -EINVAL);
}

static void test_parse_strict(void **state)
{
	static const char *const bad[] = {
		"+fi_provider",
		"fi_provider+",
		"fi_provider++memlock",
		"fi_provider()",
		"fi_provider(tcp",
		"fi_provider(tcp)x",
		"fi_provider(t p)",
		"fi_provider(t%20p)",
		"fi_provider(a(b)",
		"fi_provider~~",
		"~fi_provider",
		"Fi_provider",
		"nosuch",
		"memlock+fi_provider",                /* out of order */
		"fi_provider~+memlock",               /* likely before certain */
		"memlock+memlock",
		"memlock+memlock~",                   /* one name once */
		"fi_provider+nccl_net+memlock+versions+placement",   /* more than EV_CAUSES_MAX */
		"fi_provider(aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa)",   /* 64 */
		"fi_provider memlock",
	};
	struct ev_causes cs;
	struct ev_err err = { "" };

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		cs.n = 1;
		if (ev_causes_parse(bad[i], &cs, &err) != -EBADMSG)
			fail_msg("parsed '%s'", bad[i]);
		assert_int_equal(cs.n, 0);
		assert_true(err.msg[0] != '\0');
	}
	assert_int_equal(ev_causes_parse(NULL, &cs, &err), -EINVAL);
	/* 63 characters of detail is the most. */
	assert_int_equal(ev_causes_parse("fi_provider(aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa)",
					 &cs, &err), 0);
	assert_int_equal(ev_causes_parse("fi_provider+nccl_net+memlock~+versions~", &cs, &err), 0);
	assert_int_equal(cs.n, 4);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_names),
		cmocka_unit_test(test_memlock_task_limit),
		cmocka_unit_test(test_memlock_cause),
		cmocka_unit_test(test_versions_cause),
		cmocka_unit_test(test_container_cause),
		cmocka_unit_test(test_order_and_dedupe),
		cmocka_unit_test(test_cap),
		cmocka_unit_test(test_detail_cleaned),
		cmocka_unit_test(test_format_parse),
		cmocka_unit_test(test_parse_strict),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
