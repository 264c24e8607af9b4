/* Which steps ran in a container (record/ev_containers): the findings line
 * slurmstepd writes, the union of many, their text in the record and the
 * node result, its bounds, and what a hostile label or text becomes. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "record/ev_containers.h"

/* The set of these "STEP IMAGE" pairs, as the epilog makes it: each
 * through its findings line, then united. */
static void set_of(struct ev_containers *out, const char *const *pairs, size_t n)
{
	struct ev_containers *one = calloc(n ? n : 1, sizeof(*one));
	const struct ev_containers **sets = calloc(n ? n : 1, sizeof(*sets));
	struct ev_err err = { "" };

	assert_non_null(one);
	assert_non_null(sets);
	for (size_t i = 0; i < n; i++) {
		char step[32], line[EV_CONTAINERS_FINDING_MAX];
		const char *sp = strchr(pairs[i], ' ');

		snprintf(step, sizeof(step), "%.*s", (int)(sp - pairs[i]), pairs[i]);
		assert_int_equal(ev_containers_finding(step, sp + 1, line, sizeof(line)), 0);
		assert_int_equal(ev_containers_finding_parse(line, &one[i], &err), 0);
		sets[i] = &one[i];
	}
	assert_int_equal(ev_containers_union(sets, n, out, &err), 0);
	assert_true(ev_containers_valid(out));
	free(one);
	free(sets);
}

static void text_of(const struct ev_containers *c, char *out, size_t cap)
{
	assert_int_equal(ev_containers_format(c, out, cap), 0);
}

static void test_finding_line(void **state)
{
	struct ev_containers one;
	struct ev_err err = { "" };
	char line[EV_CONTAINERS_FINDING_MAX];

	(void)state;
	assert_int_equal(ev_containers_finding("0", "nvcr.io#nvidia/pytorch:24.01-py3", line, sizeof(line)), 0);
	assert_string_equal(line, "container 0 nvcr.io%23nvidia/pytorch:24.01-py3");
	assert_true(ev_containers_is_finding(line));
	assert_false(ev_containers_is_finding("fi_provider(tcp)"));
	assert_int_equal(ev_containers_finding_parse(line, &one, &err), 0);
	assert_int_equal(one.n, 1);
	assert_int_equal(one.more, 0);
	assert_string_equal(one.image[0].label, "nvcr.io#nvidia/pytorch:24.01-py3");
	assert_int_equal(one.image[0].n_steps, 1);
	assert_string_equal(one.image[0].step[0], "0");
	assert_int_equal(ev_containers_finding("batch", "/fsx/images/ubuntu.sqsh", line, sizeof(line)), 0);
	assert_string_equal(line, "container batch /fsx/images/ubuntu.sqsh");
	/* Too small a buffer is said, not cut. */
	assert_int_equal(ev_containers_finding("0", "ubuntu", line, 12), -ENAMETOOLONG);
}

/* Whatever the step names: one printable line, within a findings line,
 * and the label back as printable text. */
static void test_finding_hostile_label(void **state)
{
	struct ev_containers one;
	struct ev_err err = { "" };
	char line[EV_CONTAINERS_FINDING_MAX], *big = malloc(10 * 1024 + 1);

	(void)state;
	assert_int_equal(ev_containers_finding("12", "a b=c;d(e)f,g{h}\x1b[2J\x7f\xc3\xa9\n", line, sizeof(line)), 0);
	assert_string_equal(line, "container 12 a%20b%3Dc%3Bd%28e%29f%2Cg%7Bh%7D%3F%5B2J%3F%3F%3F%3F");
	assert_int_equal(ev_containers_finding_parse(line, &one, &err), 0);
	assert_string_equal(one.image[0].label, "a b=c;d(e)f,g{h}?[2J????");

	/* 10 KiB: its last 125 bytes after "...", where a name and tag are. */
	assert_non_null(big);
	memset(big, '(', 10 * 1024);
	memcpy(big + 10 * 1024 - 10, "/image:tag", 10);
	big[10 * 1024] = '\0';
	assert_int_equal(ev_containers_finding("4294967294", big, line, sizeof(line)), 0);
	assert_true(strlen(line) < EV_CONTAINERS_FINDING_MAX);
	assert_true(strlen(line) < EV_FINDINGS_LINE_MAX);
	assert_int_equal(ev_containers_finding_parse(line, &one, &err), 0);
	assert_int_equal(strlen(one.image[0].label), 128);
	assert_memory_equal(one.image[0].label, "...(((", 6);
	assert_string_equal(one.image[0].label + 118, "/image:tag");
	free(big);
}

static void test_finding_refused(void **state)
{
	static const char *const steps[] = { "", "Batch", "01", "1 2", "a_b", "0123456789abcdef", "-1", "b\n" };
	static const char *const lines[] = {
		"container 0", "container 0 ", "container  0 x", "container 01 x", "container 0 a b",
		"container 0 %41", "container 0 %0A", "container 0 %7F", "container x_y z", "containers 0 x",
		"container 0 a%2", "fi_provider(tcp)", "",
	};
	struct ev_containers one;
	struct ev_err err = { "" };
	char line[EV_CONTAINERS_FINDING_MAX], longer[EV_CONTAINERS_FINDING_MAX + 16];

	(void)state;
	for (size_t i = 0; i < sizeof(steps) / sizeof(steps[0]); i++)
		if (ev_containers_finding(steps[i], "ubuntu", line, sizeof(line)) != -EINVAL)
			fail_msg("step '%s' taken", steps[i]);
	assert_int_equal(ev_containers_finding(NULL, "ubuntu", line, sizeof(line)), -EINVAL);
	assert_int_equal(ev_containers_finding("0", "", line, sizeof(line)), -EINVAL);
	assert_int_equal(ev_containers_finding("0", NULL, line, sizeof(line)), -EINVAL);
	for (size_t i = 0; i < sizeof(lines) / sizeof(lines[0]); i++) {
		if (ev_containers_finding_parse(lines[i], &one, &err) != -EBADMSG)
			fail_msg("line '%s' taken", lines[i]);
		assert_int_equal(one.n, 0);
	}
	/* A label of 129 bytes is none the formatter writes. */
	snprintf(longer, sizeof(longer), "container 0 %0129d", 0);
	assert_int_equal(ev_containers_finding_parse(longer, &one, &err), -EBADMSG);
	longer[strlen(longer) - 1] = '\0';
	assert_int_equal(ev_containers_finding_parse(longer, &one, &err), 0);
}

static void shuffle(const char **v, size_t n, unsigned seed)
{
	for (size_t i = n - 1; i > 0; i--) {
		const char *t;
		size_t j;

		seed = seed * 1103515245u + 12345u;
		j = seed % (i + 1);
		t = v[i];
		v[i] = v[j];
		v[j] = t;
	}
}

/* The union keeps the first images and steps in the set's order and
 * counts the rest; the same pairs in any order, or twice, are the same. */
static void test_union_bounds_and_order(void **state)
{
	const char *pairs[] = {
		"10 a", "2 a", "batch a", "0 a", "extern a", "1 a", "3 a", "4 a", "5 a", "interactive a", "7 a",
		"0 e", "0 d", "0 c", "0 b", "1 b", "0 f", "10 a", "0 e",
	};
	const size_t n = sizeof(pairs) / sizeof(pairs[0]);
	struct ev_containers c, again;
	char text[1024], text2[1024];

	(void)state;
	set_of(&c, pairs, n);
	text_of(&c, text, sizeof(text));
	assert_string_equal(text, "a(batch+extern+interactive+0+1+2+3+4+3_more);b(0+1);c(0);d(0);+2_more");
	assert_int_equal(c.n, 4);
	assert_int_equal(c.more, 2);
	assert_int_equal(c.image[0].more_steps, 3);
	for (unsigned seed = 1; seed < 20; seed++) {
		shuffle(pairs, n, seed);
		set_of(&again, pairs, n);
		text_of(&again, text2, sizeof(text2));
		assert_string_equal(text, text2);
		assert_int_equal(ev_containers_cmp(&c, &again), 0);
	}
}

/* Sets that counted what they left out: the union's counts are the most
 * any of them knew, or more where the union shows more. */
static void test_union_counts(void **state)
{
	struct ev_containers a, b, u;
	const struct ev_containers *ab[] = { &a, &b }, *ba[] = { &b, &a, &b };
	struct ev_err err = { "" };
	char text[256];

	(void)state;
	assert_int_equal(ev_containers_parse("x(0+1+5_more);+3_more", &a, &err), 0);
	assert_int_equal(ev_containers_parse("x(2);y(0)", &b, &err), 0);
	assert_int_equal(ev_containers_union(ab, 2, &u, &err), 0);
	text_of(&u, text, sizeof(text));
	assert_string_equal(text, "x(0+1+2+4_more);y(0);+2_more");
	assert_int_equal(ev_containers_union(ba, 3, &u, &err), 0);
	text_of(&u, text, sizeof(text));
	assert_string_equal(text, "x(0+1+2+4_more);y(0);+2_more");
	/* Nothing, and only counts. */
	assert_int_equal(ev_containers_union(NULL, 0, &u, &err), 0);
	assert_int_equal(u.n + u.more, 0);
	text_of(&u, text, sizeof(text));
	assert_string_equal(text, "");
	assert_int_equal(ev_containers_parse("+7_more", &a, &err), 0);
	assert_int_equal(ev_containers_union(ab, 1, &u, &err), 0);
	text_of(&u, text, sizeof(text));
	assert_string_equal(text, "+7_more");
}

static void test_text_round_trip(void **state)
{
	static const char *const good[] = {
		"a%20b(batch+0+1+2_more);c(7);+2_more",
		"nvcr.io%23nvidia/pytorch:24.01-py3(0)",
		"+4294967295_more",
		"a(0);b(0);c(0);d(0);+1_more",
		"a(batch+extern+interactive+0+1+2+9+10+4294967295_more)",
	};
	struct ev_containers c, back;
	struct ev_err err = { "" };
	char text[1024];

	(void)state;
	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		if (ev_containers_parse(good[i], &c, &err) != 0)
			fail_msg("'%s': %s", good[i], err.msg);
		text_of(&c, text, sizeof(text));
		assert_string_equal(text, good[i]);
		assert_int_equal(ev_containers_parse(text, &back, &err), 0);
		assert_int_equal(ev_containers_cmp(&c, &back), 0);
	}
}

/* Strict: only what format writes. */
static void test_text_refused(void **state)
{
	static const char *const bad[] = {
		"", ";", "a(0);", ";a(0)", "a(0);;b(0)", "a()", "a(0+)", "a(+0)", "a(+1_more)", "a(1+0)", "a(0+0)",
		"b(0);a(0)", "a(0);a(0)", "+0_more", "+01_more", "+1_more;a(0)", "a(0)+1_more", "+1_more;+1_more",
		"a b(0)", "a=b(0)", "a(0,1)", "a;b(0)", "(0)", "a(0))", "a((0)", "a(01)", "a(A)", "a(0+1_more+2)",
		"a(0+0_more)", "a(0+x_more)", "a(0+1_mor)", "%41(0)", "%0A(0)", "a%2(0)", "a(0);b(0);c(0);d(0);e(0)",
		"a(0+1+2+3+4+5+6+7+8)", "a(0123456789abcdef)", "+4294967296_more", "a(0+4294967296_more)",
		"a(0)\n", "a(0) ", "+1_more_more", "a(0);+1_more;",
	};
	struct ev_containers c;
	struct ev_err err = { "" };
	char label[300];

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		if (ev_containers_parse(bad[i], &c, &err) != -EBADMSG)
			fail_msg("taken: '%s'", bad[i]);
		assert_int_equal(c.n + c.more, 0);
		assert_non_null(strstr(err.msg, "containers: "));
	}
	/* A label of 129 bytes. */
	memset(label, 'x', 129);
	snprintf(label + 129, sizeof(label) - 129, "(0)");
	assert_int_equal(ev_containers_parse(label, &c, &err), -EBADMSG);
	snprintf(label + 128, sizeof(label) - 128, "(0)");
	assert_int_equal(ev_containers_parse(label, &c, &err), 0);
}

/* In less room: images whole or counted, never cut; what is written reads
 * back to the same text in the same room. */
static void test_text_in_little_room(void **state)
{
	struct ev_containers c, back;
	struct ev_err err = { "" };
	char text[2048], again[2048];
	const char *pairs[] = { NULL, NULL, NULL, NULL, "0 short" };
	char labels[4][200];

	(void)state;
	/* "short" sorts first, and the first three long ones are kept. */
	for (int i = 0; i < 4; i++) {
		snprintf(labels[i], sizeof(labels[i]), "%d %c%127d", i, 'w' + i, i);
		pairs[i] = labels[i];
	}
	set_of(&c, pairs, 5);
	text_of(&c, text, sizeof(text));
	assert_int_equal(c.n, 4);
	assert_int_equal(c.more, 1);
	/* Labels of 128 bytes, mostly spaces, 3 bytes each encoded. */
	assert_true(strlen(text) > 1000);
	for (size_t cap = EV_CONTAINERS_TEXT_MIN; cap < sizeof(text); cap++) {
		uint32_t listed = 0;

		text_of(&c, text, cap);
		assert_true(strlen(text) < cap);
		assert_int_equal(ev_containers_parse(text, &back, &err), 0);
		/* Every image is listed or counted. */
		assert_int_equal(back.n + back.more, 5);
		for (uint32_t i = 0; i < back.n; i++)
			for (uint32_t j = 0; j < c.n; j++)
				listed += strcmp(back.image[i].label, c.image[j].label) == 0 &&
					  back.image[i].n_steps == c.image[j].n_steps;
		assert_int_equal(listed, back.n);
		text_of(&back, again, cap);
		assert_string_equal(text, again);
	}
	text_of(&c, text, EV_CONTAINERS_TEXT_MIN);
	assert_string_equal(text, "+5_more");
	/* The short one is listed when the long ones do not fit. */
	text_of(&c, text, 200);
	assert_string_equal(text, "short(0);+4_more");
	assert_int_equal(ev_containers_format(&c, text, EV_CONTAINERS_TEXT_MIN - 1), -ENAMETOOLONG);
}

static void test_valid_and_cmp(void **state)
{
	struct ev_containers c, d;
	struct ev_err err = { "" };

	(void)state;
	memset(&c, 0, sizeof(c));
	assert_true(ev_containers_valid(&c));
	assert_int_equal(ev_containers_parse("a(0+1);b(batch)", &c, &err), 0);
	d = c;
	assert_true(ev_containers_valid(&c));
	assert_int_equal(ev_containers_cmp(&c, &d), 0);
	d.image[1].more_steps = 1;
	assert_true(ev_containers_cmp(&c, &d) < 0);
	assert_true(ev_containers_cmp(&d, &c) > 0);
	/* Out of order, empty, too many: refused, by format too. */
	d = c;
	memcpy(d.image[0].label, "c", 2);
	assert_false(ev_containers_valid(&d));
	assert_int_equal(ev_containers_format(&d, (char[64]){ 0 }, 64), -EINVAL);
	d = c;
	d.image[1].n_steps = 0;
	assert_false(ev_containers_valid(&d));
	d = c;
	d.n = EV_CONTAINERS_IMAGES + 1;
	assert_false(ev_containers_valid(&d));
	d = c;
	memcpy(d.image[0].step[1], "0", 2);
	assert_false(ev_containers_valid(&d));
	d = c;
	d.image[0].label[0] = '\t';
	assert_false(ev_containers_valid(&d));
	d = c;
	memset(d.image[1].step[0], 'a', sizeof(d.image[1].step[0]));
	assert_false(ev_containers_valid(&d));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_finding_line),
		cmocka_unit_test(test_finding_hostile_label),
		cmocka_unit_test(test_finding_refused),
		cmocka_unit_test(test_union_bounds_and_order),
		cmocka_unit_test(test_union_counts),
		cmocka_unit_test(test_text_round_trip),
		cmocka_unit_test(test_text_refused),
		cmocka_unit_test(test_text_in_little_room),
		cmocka_unit_test(test_valid_and_cmp),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
