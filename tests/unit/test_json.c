#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "util/ev_buf.h"
#include "util/ev_json.h"
#include "record/ev_result_json.h"

static void test_nested_document(void **state)
{
	struct ev_json j;
	char *s;
	size_t len = 0;

	(void)state;
	ev_json_init(&j);
	ev_json_obj_begin(&j, NULL);
	ev_json_str(&j, "node", "n1");
	ev_json_u64(&j, "bytes", UINT64_MAX);
	ev_json_i64(&j, "delta", -5);
	ev_json_bool(&j, "ok", true);
	ev_json_null(&j, "group");
	ev_json_arr_begin(&j, "devs");
	ev_json_str(&j, NULL, "a");
	ev_json_obj_begin(&j, NULL);
	ev_json_double(&j, "f", 0.25);
	ev_json_obj_end(&j);
	ev_json_arr_end(&j);
	ev_json_obj_end(&j);
	s = ev_json_finish(&j, &len);
	assert_non_null(s);
	assert_string_equal(s, "{\"node\":\"n1\",\"bytes\":18446744073709551615,\"delta\":-5,"
			       "\"ok\":true,\"group\":null,\"devs\":[\"a\",{\"f\":0.25}]}");
	assert_int_equal(len, strlen(s));
	free(s);
}

static void test_escapes_control_bytes(void **state)
{
	struct ev_json j;
	char *s;

	(void)state;
	ev_json_init(&j);
	ev_json_arr_begin(&j, NULL);
	ev_json_str(&j, NULL, "q\"b\\n\nt\t\x01\x7f" "end");
	ev_json_str(&j, NULL, NULL);
	ev_json_arr_end(&j);
	s = ev_json_finish(&j, NULL);
	assert_non_null(s);
	assert_string_equal(s, "[\"q\\\"b\\\\n\\nt\\t\\u0001\\u007fend\",null]");
	free(s);
}

static void test_nonfinite_double_is_null(void **state)
{
	struct ev_json j;
	char *s;

	(void)state;
	ev_json_init(&j);
	ev_json_arr_begin(&j, NULL);
	ev_json_double(&j, NULL, NAN);
	ev_json_double(&j, NULL, INFINITY);
	ev_json_arr_end(&j);
	s = ev_json_finish(&j, NULL);
	assert_string_equal(s, "[null,null]");
	free(s);
}

static void test_unbalanced_is_refused(void **state)
{
	struct ev_json j;

	(void)state;
	ev_json_init(&j);
	ev_json_obj_begin(&j, NULL);
	assert_null(ev_json_finish(&j, NULL));

	ev_json_init(&j);
	ev_json_obj_end(&j);
	assert_null(ev_json_finish(&j, NULL));
}

static void test_depth_limit(void **state)
{
	struct ev_json j;

	(void)state;
	ev_json_init(&j);
	for (int i = 0; i < EV_JSON_MAX_DEPTH + 2; i++)
		ev_json_arr_begin(&j, NULL);
	for (int i = 0; i < EV_JSON_MAX_DEPTH + 2; i++)
		ev_json_arr_end(&j);
	assert_null(ev_json_finish(&j, NULL));
}

static void test_large_output_grows(void **state)
{
	struct ev_json j;
	char *s;
	size_t len;

	(void)state;
	ev_json_init(&j);
	ev_json_arr_begin(&j, NULL);
	for (int i = 0; i < 10000; i++)
		ev_json_u64(&j, NULL, 1234567890);
	ev_json_arr_end(&j);
	s = ev_json_finish(&j, &len);
	assert_non_null(s);
	assert_int_equal(len, 2 + 10000 * 10 + 9999);
	free(s);
}

/* The buffer under the JSON, start-file and Prometheus writers: printf
 * across the first allocation's end, bytes with the NUL kept after them, an
 * empty buffer taken as "" rather than NULL. */
static void test_buf_grows_and_takes(void **state)
{
	struct ev_buf b = { 0 };
	char *t;
	size_t len = 1;

	(void)state;
	t = ev_buf_take(&b, &len);
	assert_non_null(t);
	assert_string_equal(t, "");
	assert_int_equal(len, 0);
	free(t);
	for (int i = 0; i < 1000; i++)
		ev_buf_printf(&b, "line %04d\n", i);
	ev_buf_add(&b, "end", 3);
	assert_false(b.oom);
	assert_int_equal(b.len, 1000 * 10 + 3);
	assert_int_equal(strlen(b.p), b.len);
	assert_memory_equal(b.p + 9990, "line 0999\nend", 13);
	t = ev_buf_take(&b, &len);
	assert_int_equal(len, 10003);
	assert_null(b.p);
	assert_int_equal(b.len, 0);
	free(t);
	ev_buf_printf(&b, "%s", "");
	assert_non_null(b.p);
	assert_string_equal(b.p, "");
	ev_buf_free(&b);
}

static char *result_members(enum ev_verdict v, const char *reason, enum ev_tcp_source src,
			    const struct ev_node_result *r)
{
	struct ev_json j;

	ev_json_init(&j);
	ev_json_obj_begin(&j, NULL);
	ev_json_verdict(&j, v, reason);
	ev_json_tcp_source(&j, src, 77);
	ev_json_nics(&j, r);
	ev_json_obj_end(&j);
	return ev_json_finish(&j, NULL);
}

/* The members a result has in every JSON: what is not known is null (or,
 * for the NIC balance, left out), the same in each. */
static void test_result_members(void **state)
{
	struct ev_node_result r = { .nics_busy = 3, .nics_total = 4, .nic_min_bytes = 1, .nic_max_bytes = 4 };
	char *s;

	(void)state;
	s = result_members(EV_V_DEGRADED, "idle_nics:1/4", EV_TCP_SRC_NFTABLES, &r);
	assert_string_equal(s, "{\"verdict\":\"degraded\",\"reason\":\"idle_nics:1/4\",\"other_tcp_bytes\":77,"
			       "\"tcp_source\":\"nftables\",\"nics_busy\":3,\"nics_total\":4,\"nic_min_bytes\":1,"
			       "\"nic_max_bytes\":4,\"nic_balance\":0.25}");
	free(s);
	r = (struct ev_node_result){ 0 };
	s = result_members(EV_V_OK, "", EV_TCP_SRC_INTERFACE, &r);
	assert_string_equal(s, "{\"verdict\":\"ok\",\"reason\":null,\"other_tcp_bytes\":null,"
			       "\"tcp_source\":\"interface\"}");
	free(s);
	s = result_members(EV_V_UNKNOWN, NULL, EV_TCP_SRC_NONE, &r);
	assert_string_equal(s, "{\"verdict\":\"unknown\",\"reason\":null,\"other_tcp_bytes\":null,"
			       "\"tcp_source\":null}");
	free(s);
	/* Busy NICs that moved nothing: balance 0, not a division by zero. */
	r.nics_total = 2;
	assert_true(ev_result_nic_balance(&r) == 0.0);
	r.nic_min_bytes = r.nic_max_bytes = 5;
	assert_true(ev_result_nic_balance(&r) == 1.0);
}

/* A table's fields come out in its order, each with its own type: a u64
 * past 2^53 exact, a double with 6 digits, NaN as null. */
struct fields_probe {
	char pad;
	uint64_t big;
	double rate;
	double unknown;
};

static void test_fields_table(void **state)
{
	static const struct ev_json_field f[] = {
		EV_JSON_DOUBLE_AT("rate", struct fields_probe, rate),
		EV_JSON_U64_AT("big", struct fields_probe, big),
		EV_JSON_DOUBLE_AT("unknown", struct fields_probe, unknown),
	};
	struct fields_probe p = { 'x', 18446744073709551615ULL, 0.1234567, NAN };
	struct ev_json j;
	char *s;

	(void)state;
	ev_json_init(&j);
	ev_json_obj_begin(&j, NULL);
	ev_json_fields(&j, &p, f, 3);
	ev_json_obj_end(&j);
	s = ev_json_finish(&j, NULL);
	assert_non_null(s);
	assert_string_equal(s, "{\"rate\":0.123457,\"big\":18446744073709551615,\"unknown\":null}");
	free(s);
}

/* A record's table writes a char array as a string, one that is empty (not
 * known) as null, an enum by its name; ev_json_records writes one object a
 * record, the table's members first, then what more adds. */
enum probe_color { PROBE_RED, PROBE_BLUE };

struct record_probe {
	char name[8];
	enum probe_color color;
	char note[16];
	uint64_t n;
};

static const char *probe_color(const void *r)
{
	return ((const struct record_probe *)r)->color == PROBE_BLUE ? "blue" : "red";
}

static void probe_more(struct ev_json *j, const void *item)
{
	ev_json_bool(j, "more", ((const struct record_probe *)item)->n > 1);
}

static void test_records(void **state)
{
	static const struct ev_json_field f[] = {
		EV_JSON_STR_AT("name", struct record_probe, name), EV_JSON_NAME_OF("color", probe_color),
		EV_JSON_TEXT_AT("note", struct record_probe, note), EV_JSON_U64_AT("n", struct record_probe, n),
	};
	struct record_probe r[] = { { "", PROBE_RED, "", 1 }, { "b\"", PROBE_BLUE, "x", 2 } };
	struct ev_json j;
	char *s;

	(void)state;
	ev_json_init(&j);
	ev_json_obj_begin(&j, NULL);
	ev_json_records(&j, "all", r, 2, sizeof(r[0]), f, 4, probe_more);
	ev_json_records(&j, "none", r, 0, sizeof(r[0]), f, 4, NULL);
	ev_json_records(&j, "plain", &r[1], 1, sizeof(r[0]), f, 1, NULL);
	ev_json_obj_end(&j);
	s = ev_json_finish(&j, NULL);
	assert_non_null(s);
	assert_string_equal(s, "{\"all\":[{\"name\":\"\",\"color\":\"red\",\"note\":null,\"n\":1,\"more\":false},"
			       "{\"name\":\"b\\\"\",\"color\":\"blue\",\"note\":\"x\",\"n\":2,\"more\":true}],"
			       "\"none\":[],\"plain\":[{\"name\":\"b\\\"\"}]}");
	free(s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_nested_document),
		cmocka_unit_test(test_escapes_control_bytes),
		cmocka_unit_test(test_nonfinite_double_is_null),
		cmocka_unit_test(test_unbalanced_is_refused),
		cmocka_unit_test(test_depth_limit),
		cmocka_unit_test(test_large_output_grows),
		cmocka_unit_test(test_buf_grows_and_takes),
		cmocka_unit_test(test_result_members),
		cmocka_unit_test(test_fields_table),
		cmocka_unit_test(test_records),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
