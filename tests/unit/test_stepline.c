/* The traffic part of a step's end line: Gb/s, EFA share and the bytes
 * from known counter moves, and which nodes get a line at all. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "record/ev_stepline.h"
#include "util/ev_units.h"

#define MIB (1024ull * 1024ull)
#define GIB (1024ull * MIB)

static struct ev_node_delta delta(uint64_t efa, uint64_t tcp, uint64_t ns)
{
	struct ev_node_delta d;

	memset(&d, 0, sizeof(d));
	d.efa_bytes = efa;
	d.tcp_bytes = tcp;
	d.duration_ns = ns;
	return d;
}

static struct ev_node_verdict verdict(enum ev_verdict v, const char *reason)
{
	struct ev_node_verdict o;

	memset(&o, 0, sizeof(o));
	o.verdict = v;
	snprintf(o.reason, sizeof(o.reason), "%s", reason);
	return o;
}

static void test_line(void **state)
{
	struct ev_node_delta d = delta(3 * GIB, GIB, 2000000000ull);
	struct ev_node_verdict v = verdict(EV_V_OK, "");
	char out[512];

	(void)state;
	/* 3 GiB in 2 s: 3 * 2^30 * 8 / 2e9 = 12.884901888 Gb/s; 3 of 4 GiB. */
	assert_int_equal(ev_step_line("n1", &d, &v, NULL, MIB, out, sizeof(out)), 1);
	assert_string_equal(out, "n1: ok, EFA 12.9 Gb/s, 75.0% of traffic (EFA 3.0 GiB, TCP 1.0 GiB in 2.0 s)");

	d = delta(0, GIB, 500000000ull);
	v = verdict(EV_V_TCP_FALLBACK, "tcp_bytes:1073741824/efa_bytes:0");
	assert_int_equal(ev_step_line("n2", &d, &v, NULL, MIB, out, sizeof(out)), 1);
	assert_string_equal(out, "n2: tcp_fallback (tcp_bytes:1073741824/efa_bytes:0), EFA 0.00 Gb/s, 0.0% of "
				 "traffic (EFA 0 B, TCP 1.0 GiB in 0.5 s)");

	/* A p5's 32 NICs at full rate: 3200 Gb/s, no decimals. */
	d = delta(400000000000ull, 0, 1000000000ull);
	v = verdict(EV_V_OK, "");
	assert_int_equal(ev_step_line("n3", &d, &v, NULL, MIB, out, sizeof(out)), 1);
	assert_string_equal(out, "n3: ok, EFA 3200 Gb/s, 100.0% of traffic (EFA 372.5 GiB, TCP 0 B in 1.0 s)");

	/* No window to divide by: no rate, never a made-up one. */
	d = delta(GIB, 0, 0);
	assert_int_equal(ev_step_line("n4", &d, &v, NULL, MIB, out, sizeof(out)), 1);
	assert_string_equal(out, "n4: ok, 100.0% of traffic (EFA 1.0 GiB, TCP 0 B in 0.0 s)");
}

static void test_which_nodes(void **state)
{
	struct ev_node_delta d = delta(MIB - 1, 0, 1000000000ull);
	struct ev_node_verdict v = verdict(EV_V_NO_TRAFFIC, "below_min_bytes");
	char out[512] = "x";

	(void)state;
	/* Nothing moved: nothing to say. */
	assert_int_equal(ev_step_line("n1", &d, &v, NULL, MIB, out, sizeof(out)), 0);
	assert_string_equal(out, "");
	/* Just enough, counted over both paths. */
	d = delta(MIB / 2, MIB / 2, 1000000000ull);
	assert_int_equal(ev_step_line("n1", &d, &v, NULL, MIB, out, sizeof(out)), 1);
	/* Worse than ok is said however little moved. */
	d = delta(0, 0, 1000000000ull);
	v = verdict(EV_V_UNKNOWN, "counter_reset:tx_bytes@rdmap16s0");
	assert_int_equal(ev_step_line("n1", &d, &v, NULL, MIB, out, sizeof(out)), 1);
	assert_string_equal(out, "n1: unknown (counter_reset:tx_bytes@rdmap16s0), EFA 0.00 Gb/s, 0.0% of traffic "
				 "(EFA 0 B, TCP 0 B in 1.0 s)");
	/* A short buffer is cut, never overrun. */
	assert_int_equal(ev_step_line("n1", &d, &v, NULL, MIB, out, 8), 1);
	assert_string_equal(out, "n1: unk");
}

/* The causes the node names follow the numbers; a cause alone is worth the
 * line. */
static void test_causes(void **state)
{
	struct ev_node_delta d = delta(0, GIB, 500000000ull);
	struct ev_node_verdict v = verdict(EV_V_TCP_FALLBACK, "tcp_bytes:1073741824/efa_bytes:0");
	struct ev_causes cs;
	char out[1024];

	(void)state;
	memset(&cs, 0, sizeof(cs));
	ev_causes_add(&cs, EV_CAUSE_FI_PROVIDER, EV_CAUSE_CERTAIN, "tcp");
	assert_int_equal(ev_step_line("n2", &d, &v, &cs, MIB, out, sizeof(out)), 1);
	assert_string_equal(out, "n2: tcp_fallback (tcp_bytes:1073741824/efa_bytes:0), EFA 0.00 Gb/s, 0.0% of "
				 "traffic (EFA 0 B, TCP 1.0 GiB in 0.5 s); cause: fi_provider(tcp)");
	ev_causes_add(&cs, EV_CAUSE_MEMLOCK, EV_CAUSE_LIKELY, "65536");
	ev_causes_add(&cs, EV_CAUSE_NOT_READY, EV_CAUSE_CERTAIN, NULL);
	d = delta(0, 0, 1000000000ull);
	v = verdict(EV_V_NO_TRAFFIC, "below_min_bytes");
	assert_int_equal(ev_step_line("n1", &d, &v, &cs, MIB, out, sizeof(out)), 1);
	assert_string_equal(out, "n1: no_traffic (below_min_bytes), EFA 0.00 Gb/s, 0.0% of traffic (EFA 0 B, TCP 0 B "
				 "in 1.0 s); cause: fi_provider(tcp), not_ready, likely memlock(65536)");
	cs.n = 0;
	assert_int_equal(ev_step_line("n1", &d, &v, &cs, MIB, out, sizeof(out)), 0);
}

static void test_units(void **state)
{
	char b[32];

	(void)state;
	assert_string_equal(ev_bytes_human(0, b, sizeof(b)), "0 B");
	assert_string_equal(ev_bytes_human(1023, b, sizeof(b)), "1023 B");
	assert_string_equal(ev_bytes_human(1536, b, sizeof(b)), "1.5 KiB");
	assert_string_equal(ev_bytes_human(UINT64_MAX, b, sizeof(b)), "16.0 EiB");
	assert_true(ev_gbps(125000000, 1000000000) == 1.0);
	assert_true(ev_gbps(5, 0) == 0.0);
	assert_string_equal(ev_gbps_text(1.234, b, sizeof(b)), "1.23");
	assert_string_equal(ev_gbps_text(12.34, b, sizeof(b)), "12.3");
	assert_string_equal(ev_gbps_text(123.4, b, sizeof(b)), "123");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_line),
		cmocka_unit_test(test_which_nodes),
		cmocka_unit_test(test_causes),
		cmocka_unit_test(test_units),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
