/* Placement facts published per node, and the cross-node comparison. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "ev_placement.h"

static struct ev_peer peer(const char *node, const char *text)
{
	struct ev_peer p;

	memset(&p, 0, sizeof(p));
	snprintf(p.node, sizeof(p.node), "%s", node);
	ev_facts_parse(text, &p);
	return p;
}

static void test_format_and_parse_round_trip(void **state)
{
	struct ev_imds_info m = { .instance_type = "p5.48xlarge", .availability_zone = "us-east-1a",
				  .in_group = true, .placement_group = "pg-train" };
	char text[EV_FACTS_MAX];
	struct ev_peer p;

	(void)state;
	assert_int_equal(ev_facts_format(&m, text, sizeof(text)), 0);
	assert_string_equal(text, "efa-verify:az=us-east-1a pg=pg-train type=p5.48xlarge");
	p = peer("n1", text);
	assert_true(p.known);
	assert_string_equal(p.az, "us-east-1a");
	assert_string_equal(p.group, "pg-train");
	assert_string_equal(p.type, "p5.48xlarge");
	m.in_group = false;
	assert_int_equal(ev_facts_format(&m, text, sizeof(text)), 0);
	p = peer("n1", text);
	assert_true(p.known);
	assert_string_equal(p.group, "");
	assert_int_equal(ev_facts_format(&m, text, 10), -ENAMETOOLONG);
}

static void test_foreign_or_broken_text_is_unknown(void **state)
{
	(void)state;
	assert_false(peer("n1", NULL).known);
	assert_false(peer("n1", "").known);
	assert_false(peer("n1", "rack=7 owner=ops").known);
	assert_false(peer("n1", "efa-verify:garbage").known);
	assert_false(peer("n1", "efa-verify:az= pg=x").known);
}

static void test_consistency(void **state)
{
	struct ev_peer self = peer("n1", "efa-verify:az=us-east-1a pg=pg-a type=p5.48xlarge");
	struct ev_peer peers[4];
	char why[256];

	(void)state;
	peers[0] = peer("n2", "efa-verify:az=us-east-1a pg=pg-a type=p5.48xlarge");
	peers[1] = peer("n3", "");   /* not published yet: not judged */
	peers[2] = self;              /* self in the list is skipped */
	assert_int_equal(ev_placement_consistent(&self, peers, 3, why, sizeof(why)), 0);
	assert_string_equal(why, "");
	peers[3] = peer("n4", "efa-verify:az=us-east-1b pg=pg-a type=p5.48xlarge");
	assert_int_equal(ev_placement_consistent(&self, peers, 4, why, sizeof(why)), -EXDEV);
	assert_string_equal(why, "nodes of this job are in different availability zones: "
				 "n1 us-east-1a, n4 us-east-1b");
	peers[3] = peer("n4", "efa-verify:az=us-east-1a pg=- type=p5.48xlarge");
	assert_int_equal(ev_placement_consistent(&self, peers, 4, why, sizeof(why)), -EXDEV);
	assert_string_equal(why, "nodes of this job are in different placement groups: "
				 "n1 pg-a, n4 (none)");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_format_and_parse_round_trip),
		cmocka_unit_test(test_foreign_or_broken_text_is_unknown),
		cmocka_unit_test(test_consistency),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
