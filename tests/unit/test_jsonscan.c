#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/ev_jsonscan.h"

/* Every event as one line of text: "DEPTH PATH KIND[=TEXT]". */
struct log {
	char text[8192];
	size_t o;
	int stop_at;    /* an event number fn fails at (0: none) */
	int n;
};

static const char *kinds[] = { "{", "[", "end", "str", "num", "true", "false", "null" };

static int record(void *ctx, const struct ev_jsonscan_event *ev, struct ev_err *err)
{
	struct log *l = ctx;
	int w;

	if (++l->n == l->stop_at)
		return ev_jsonscan_at(ev, err, "stopped here");
	w = snprintf(l->text + l->o, sizeof(l->text) - l->o, "%zu ", ev->depth);
	l->o += (size_t)w;
	for (size_t i = 0; i < ev->depth; i++) {
		if (ev->path[i].in_array)
			w = snprintf(l->text + l->o, sizeof(l->text) - l->o, "[%zu]", ev->path[i].index);
		else
			w = snprintf(l->text + l->o, sizeof(l->text) - l->o, ".%s%s", ev->path[i].key,
				     ev->path[i].key_odd ? "~" : "");
		l->o += (size_t)w;
	}
	w = snprintf(l->text + l->o, sizeof(l->text) - l->o, " %s%s", kinds[ev->kind], ev->text ? "=" : "");
	l->o += (size_t)w;
	/* The text whole: a \u0000 in it too. */
	if (ev->text && l->o + ev->len + 2 < sizeof(l->text)) {
		memcpy(l->text + l->o, ev->text, ev->len);
		l->o += ev->len;
	}
	l->text[l->o++] = '\n';
	l->text[l->o] = '\0';
	return 0;
}

static int scan(const char *text, struct log *l, struct ev_err *err)
{
	memset(l, 0, sizeof(*l));
	return ev_jsonscan("t.json", text, strlen(text), 0, record, l, err);
}

/* The error text[...] gets, "" if it scans. */
static const char *error_of(const char *text, size_t len)
{
	static struct ev_err err;
	struct log l;

	memset(&l, 0, sizeof(l));
	err.msg[0] = '\0';
	if (ev_jsonscan("t.json", text, len, 0, record, &l, &err) == 0)
		return "";
	return err.msg;
}
#define ERR(lit) error_of(lit, sizeof(lit) - 1)

static void test_events_in_order(void **state)
{
	struct ev_err err = { "" };
	struct log l;

	(void)state;
	assert_int_equal(scan(" {\"root\": {\"path\": \"rootfs\"}, \"m\": [1, -2.5e3, true, false, null, {}, []]}\n",
			      &l, &err), 0);
	assert_string_equal(l.text,
			    "0  {\n"
			    "1 .root {\n"
			    "2 .root.path str=rootfs\n"
			    "1 .root end\n"
			    "1 .m [\n"
			    "2 .m[0] num=1\n"
			    "2 .m[1] num=-2.5e3\n"
			    "2 .m[2] true\n"
			    "2 .m[3] false\n"
			    "2 .m[4] null\n"
			    "2 .m[5] {\n"
			    "2 .m[5] end\n"
			    "2 .m[6] [\n"
			    "2 .m[6] end\n"
			    "1 .m end\n"
			    "0  end\n");
	assert_int_equal(scan("\"top\"", &l, &err), 0);
	assert_string_equal(l.text, "0  str=top\n");
}

/* Valid JSON that libyaml refuses (ev_jsonscan.h says why that matters):
 * all of it reads here. */
static void test_json_libyaml_refuses(void **state)
{
	struct ev_err err = { "" };
	struct log l;
	char *big;
	size_t n = 1100;

	(void)state;
	assert_int_equal(scan("{\"a\": \"\\ud83d\\ude00 \\u00e9\\/\\\"\\\\\\b\\f\\n\\r\\t\"}", &l, &err), 0);
	assert_string_equal(l.text, "0  {\n1 .a str=\xf0\x9f\x98\x80 \xc3\xa9/\"\\\b\f\n\r\t\n0  end\n");
	assert_int_equal(scan("{\"a\": \"x\x7fy\"}", &l, &err), 0);
	assert_int_equal(scan("{\"a\"\n:\t1}", &l, &err), 0);
	assert_int_equal(scan("{\"a\":1,\"b\":[2]}", &l, &err), 0);
	big = malloc(n + 16);
	assert_non_null(big);
	big[0] = '{';
	big[1] = '"';
	memset(big + 2, 'k', n);
	strcpy(big + 2 + n, "\": 1}");
	assert_int_equal(scan(big, &l, &err), 0);
	/* A key too long to keep equals no name. */
	assert_non_null(strstr(l.text, "kkk~ num=1"));
	free(big);
}

static void test_strings_decode(void **state)
{
	struct ev_err err = { "" };
	struct log l;

	(void)state;
	/* A \u0000 stays in the value, and in len; and makes a key odd. */
	assert_int_equal(scan("{\"a\\u0000b\": \"x\\u0000y\"}", &l, &err), 0);
	assert_memory_equal(l.text, "0  {\n1 .a~ str=x\0y\n0  end\n", sizeof("0  {\n1 .a~ str=x\0y\n0  end\n") - 1);
	assert_int_equal(scan("[\"\\u0041\\u00DF\\u6C34\\uD834\\uDD1E\"]", &l, &err), 0);
	assert_string_equal(l.text, "0  [\n1 [0] str=A\xc3\x9f\xe6\xb0\xb4\xf0\x9d\x84\x9e\n0  end\n");
	/* Raw UTF-8 of each length passes through. */
	assert_int_equal(scan("[\"\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80\"]", &l, &err), 0);
}

static void test_not_json(void **state)
{
	(void)state;
	assert_string_equal(ERR(""), "t.json:1:1: no JSON value: the document is empty");
	assert_string_equal(ERR(" \n\t"), "t.json:2:2: no JSON value: the document is empty");
	assert_string_equal(ERR("\xef\xbb\xbf{}"), "t.json:1:1: a byte-order mark: JSON text must not begin with one");
	assert_string_equal(ERR("{} x"), "t.json:1:4: text after the document's value: a word that is not JSON");
	assert_string_equal(ERR("{}{}"), "t.json:1:3: text after the document's value: '{'");
	assert_string_equal(ERR("{\"a\": 1,}"), "t.json:1:9: expected a key (a string) after ',', found '}'");
	assert_string_equal(ERR("[1,]"), "t.json:1:4: expected a value after ',', found ']'");
	assert_string_equal(ERR("{\"a\": 1 // c\n}"),
			    "t.json:1:9: expected ',' or '}' after a value in an object, found a word that is not JSON");
	assert_string_equal(ERR("{'a': 1}"), "t.json:1:2: expected a key (a string), found a word that is not JSON");
	assert_string_equal(ERR("{a: 1}"), "t.json:1:2: expected a key (a string), found a word that is not JSON");
	assert_string_equal(ERR("{\"a\" 1}"), "t.json:1:6: expected ':' after a key, found a word that is not JSON");
	assert_string_equal(ERR("[1 2]"), "t.json:1:4: expected ',' or ']' after a value in a list, found a word that is not JSON");
	assert_string_equal(ERR("[tru]"), "t.json:1:2: expected a value, found a word that is not JSON");
	assert_string_equal(ERR("[True]"), "t.json:1:2: expected a value, found a word that is not JSON");
	assert_string_equal(ERR("[NaN]"), "t.json:1:2: expected a value, found a word that is not JSON");
	assert_string_equal(ERR("[01]"), "t.json:1:2: a number with a leading zero");
	assert_string_equal(ERR("[-]"), "t.json:1:2: a number without digits");
	assert_string_equal(ERR("[+1]"), "t.json:1:2: expected a value, found a word that is not JSON");
	assert_string_equal(ERR("[1.]"), "t.json:1:2: a number without digits after its '.'");
	assert_string_equal(ERR("[.5]"), "t.json:1:2: expected a value, found a word that is not JSON");
	assert_string_equal(ERR("[1e+]"), "t.json:1:2: a number without digits in its exponent");
	assert_string_equal(ERR("[\"a"), "t.json:1:2: a string that never ends");
	assert_string_equal(ERR("[\"a\\"), "t.json:1:2: a string that never ends");
	assert_string_equal(ERR("[\"a\nb\"]"), "t.json:1:4: control character U+000A in a string (JSON wants it escaped)");
	assert_string_equal(ERR("[\"a\0b\"]"), "t.json:1:4: control character U+0000 in a string (JSON wants it escaped)");
	assert_string_equal(ERR("[\0]"), "t.json:1:2: expected a value, found a NUL byte");
	assert_string_equal(ERR("[\"\\x41\"]"), "t.json:1:3: an escape JSON does not have ('\\x')");
	assert_string_equal(ERR("[\"\\u12\"]"), "t.json:1:3: a \\u escape without four hex digits");
	assert_string_equal(ERR("[\"\\udc00\"]"), "t.json:1:3: a \\u escape of a lone low surrogate (U+DC00)");
	assert_string_equal(ERR("[\"\\ud800x\"]"),
			    "t.json:1:3: a \\u escape of a high surrogate (U+D800) without its low one");
	assert_string_equal(ERR("[\"\\ud800\\u0041\"]"),
			    "t.json:1:3: a \\u escape of a high surrogate (U+D800) without its low one");
	/* Not UTF-8: overlong, an encoded surrogate, past U+10FFFF, cut short. */
	assert_string_equal(ERR("[\"\xc0\x80\"]"), "t.json:1:3: not UTF-8 (byte 0xc0)");
	assert_string_equal(ERR("[\"\xe0\x80\x80\"]"), "t.json:1:3: not UTF-8 (byte 0xe0)");
	assert_string_equal(ERR("[\"\xed\xa0\x80\"]"), "t.json:1:3: not UTF-8 (byte 0xed)");
	assert_string_equal(ERR("[\"\xf4\x90\x80\x80\"]"), "t.json:1:3: not UTF-8 (byte 0xf4)");
	assert_string_equal(ERR("[\"\xf5\x80\x80\x80\"]"), "t.json:1:3: not UTF-8 (byte 0xf5)");
	assert_string_equal(ERR("[\"\xe2\x82\"]"), "t.json:1:3: not UTF-8 (byte 0xe2)");
	assert_string_equal(ERR("[\"\xe2\x82"), "t.json:1:3: not UTF-8 (byte 0xe2)");
	assert_string_equal(ERR("[\xc3\xa9]"), "t.json:1:2: expected a value, found a byte that starts no JSON token");
	assert_string_equal(ERR("{\"a\":"), "t.json:1:6: expected a value, found the end of the document");
	assert_string_equal(ERR("{\"a\":1"), "t.json:1:7: expected ',' or '}' after a value in an object, found the end of the document");
}

/* LINE:COL count lines from 1 and characters (not bytes) from 1. */
static void test_positions(void **state)
{
	(void)state;
	assert_string_equal(ERR("{\n\t\"\xc3\xa9t\xc3\xa9\": [\n\t\t1,\n\t\t02\n\t]\n}"),
			    "t.json:4:3: a number with a leading zero");
	assert_string_equal(ERR("{\r\n  \"a\": x}"), "t.json:2:8: expected a value, found a word that is not JSON");
}

static void test_depth_bounded(void **state)
{
	struct ev_err err = { "" };
	struct log l;
	char deep[2 * EV_JSONSCAN_MAX_DEPTH + 8];
	size_t n;

	(void)state;
	for (n = 0; n < EV_JSONSCAN_MAX_DEPTH; n++)
		deep[n] = '[';
	for (size_t i = 0; i < EV_JSONSCAN_MAX_DEPTH; i++)
		deep[n++] = ']';
	deep[n] = '\0';
	assert_int_equal(ev_jsonscan("t.json", deep, n, 0, record, memset(&l, 0, sizeof(l)), &err), 0);
	/* One more level is refused, at the bracket that opens it. */
	memmove(deep + 1, deep, n + 1);
	deep[0] = '[';
	strcat(deep, "]");
	assert_int_equal(ev_jsonscan("t.json", deep, n + 2, 0, record, memset(&l, 0, sizeof(l)), &err), -EINVAL);
	assert_string_equal(err.msg, "t.json:1:33: nesting is too deep (more than 32 levels)");
	/* A caller's own bound. */
	assert_int_equal(ev_jsonscan("t.json", "{\"a\":[{}]}", 10, 2, record, memset(&l, 0, sizeof(l)), &err),
			 -EINVAL);
	assert_string_equal(err.msg, "t.json:1:7: nesting is too deep (more than 2 levels)");
	assert_int_equal(ev_jsonscan("t.json", "{\"a\":[1]}", 9, 2, record, memset(&l, 0, sizeof(l)), &err), 0);
}

static void test_callback_stops(void **state)
{
	struct ev_err err = { "" };
	struct log l;

	(void)state;
	memset(&l, 0, sizeof(l));
	l.stop_at = 3;
	assert_int_equal(ev_jsonscan("t.json", "{\"a\": {\n \"b\": 7}}", 17, 0, record, &l, &err), -EINVAL);
	assert_string_equal(err.msg, "t.json:2:7: stopped here");
	assert_string_equal(l.text, "0  {\n1 .a {\n");
}

static void test_key_is(void **state)
{
	struct ev_jsonscan_step st;

	(void)state;
	memset(&st, 0, sizeof(st));
	strcpy(st.key, "root");
	assert_int_equal(ev_jsonscan_key_is(&st, "root"), 1);
	assert_int_equal(ev_jsonscan_key_is(&st, "ROOT"), -1);
	assert_int_equal(ev_jsonscan_key_is(&st, "roots"), 0);
	st.key_odd = true;
	assert_int_equal(ev_jsonscan_key_is(&st, "root"), 0);
	st.key_odd = false;
	st.in_array = true;
	assert_int_equal(ev_jsonscan_key_is(&st, "root"), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_events_in_order),
		cmocka_unit_test(test_json_libyaml_refuses),
		cmocka_unit_test(test_strings_decode),
		cmocka_unit_test(test_not_json),
		cmocka_unit_test(test_positions),
		cmocka_unit_test(test_depth_bounded),
		cmocka_unit_test(test_callback_stops),
		cmocka_unit_test(test_key_is),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
