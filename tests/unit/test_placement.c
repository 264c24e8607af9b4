/* Placement facts published per node, and the cross-node comparison. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "aws/ev_placement.h"

#define BOOT "0b1c2d3e-0000-4000-8000-00000000abcd"
#define BOOT2 "0b1c2d3e-0000-4000-8000-00000000ef01"
#define NOW ((int64_t)1700000000)

static struct ev_peer peer(const char *node, const char *text)
{
	struct ev_peer p;

	memset(&p, 0, sizeof(p));
	snprintf(p.node, sizeof(p.node), "%s", node);
	ev_placement_facts_parse(text, &p);
	return p;
}

static void test_format_and_parse_round_trip(void **state)
{
	struct ev_imds_info m = { .instance_type = "p5.48xlarge", .availability_zone = "us-east-1a",
				  .in_group = true, .placement_group = "pg-train" };
	char text[EV_PLACEMENT_FACTS_MAX];
	struct ev_peer p;

	(void)state;
	assert_int_equal(ev_placement_facts_format(&m, BOOT, NOW, text, sizeof(text)), 0);
	assert_string_equal(text, "efa-verify:az=us-east-1a pg=pg-train type=p5.48xlarge boot=" BOOT
				  " at=1700000000");
	p = peer("n1", text);
	assert_true(p.known);
	assert_string_equal(p.az, "us-east-1a");
	assert_string_equal(p.group, "pg-train");
	assert_string_equal(p.type, "p5.48xlarge");
	assert_string_equal(p.boot_id, BOOT);
	assert_int_equal(p.written, NOW);
	m.in_group = false;
	assert_int_equal(ev_placement_facts_format(&m, BOOT, NOW, text, sizeof(text)), 0);
	p = peer("n1", text);
	assert_true(p.known);
	assert_string_equal(p.group, "");
	assert_int_equal(ev_placement_facts_format(&m, BOOT, NOW, text, 10), -ENAMETOOLONG);
	/* No fact without the boot and time that let a reader refuse it. */
	assert_int_equal(ev_placement_facts_format(&m, NULL, NOW, text, sizeof(text)), -EINVAL);
	assert_int_equal(ev_placement_facts_format(&m, "not a boot id", NOW, text, sizeof(text)), -EINVAL);
	assert_int_equal(ev_placement_facts_format(&m, BOOT, 0, text, sizeof(text)), -EINVAL);
	/* A value with a space would make the line say something else. */
	snprintf(m.availability_zone, sizeof(m.availability_zone), "us-east-1a at=1");
	assert_int_equal(ev_placement_facts_format(&m, BOOT, NOW, text, sizeof(text)), -EINVAL);
}

static void test_parse_any_order_and_unknown_keys(void **state)
{
	struct ev_peer p;

	(void)state;
	p = peer("n1", "efa-verify:at=1700000000 boot=" BOOT " type=p5.48xlarge pg=pg-a az=us-east-1a");
	assert_true(p.known);
	assert_string_equal(p.az, "us-east-1a");
	assert_string_equal(p.group, "pg-a");
	assert_int_equal(p.written, NOW);
	/* A newer writer's extra key is skipped, not a reason to distrust. */
	p = peer("n1", "efa-verify:az=us-east-1a pg=pg-a type=- rack=7 boot=" BOOT " at=1700000000");
	assert_true(p.known);
	assert_string_equal(p.type, "");
	/* A group named like a key is a group, not a key. */
	p = peer("n1", "efa-verify:az=us-east-1a pg=az=us-east-1b type=x boot=" BOOT " at=1700000000");
	assert_true(p.known);
	assert_string_equal(p.az, "us-east-1a");
	assert_string_equal(p.group, "az=us-east-1b");
	/* Written by an older efa-verify: read, but without boot and time. */
	p = peer("n1", "efa-verify:az=us-east-1a pg=pg-a type=p5.48xlarge");
	assert_true(p.known);
	assert_string_equal(p.boot_id, "");
	assert_int_equal(p.written, 0);
}

static void test_foreign_or_broken_text_is_unknown(void **state)
{
	(void)state;
	assert_false(peer("n1", NULL).known);
	assert_false(peer("n1", "").known);
	assert_false(peer("n1", "rack=7 owner=ops").known);
	assert_false(peer("n1", "efa-verify:garbage").known);
	assert_false(peer("n1", "efa-verify:az= pg=x").known);
	assert_false(peer("n1", "efa-verify:az=a").known);
	assert_false(peer("n1", "efa-verify:az=a pg=b boot=xyz at=1").known);
	assert_false(peer("n1", "efa-verify:az=a pg=b boot=" BOOT " at=12x").known);
	assert_false(peer("n1", "efa-verify:az=a pg=b boot=" BOOT " at=-5").known);
	assert_false(peer("n1", "efa-verify:az=a pg=b boot=" BOOT " at=0").known);
	assert_false(peer("n1", "efa-verify:az=a pg=b boot=" BOOT " at=99999999999999999999").known);
	assert_false(peer("n1", "efa-verify:az=a pg=b stray").known);
}

/* A fact is judged only if it was written in the node's current boot (as
 * far as slurmctld knows it), is at most max_age old and not from the
 * future; otherwise why says which, for "placement of nK not verified". */
static void test_freshness(void **state)
{
	struct ev_peer p = peer("n3", "efa-verify:az=us-east-1a pg=pg-a type=p5.48xlarge boot=" BOOT
				" at=1700000000");
	char why[256];

	(void)state;
	assert_true(p.known);
	assert_int_equal(ev_placement_facts_fresh(&p, NOW, EV_PLACEMENT_FACTS_MAX_AGE, why, sizeof(why)), 0);
	assert_string_equal(why, "");
	assert_int_equal(ev_placement_facts_fresh(&p, NOW + EV_PLACEMENT_FACTS_MAX_AGE, EV_PLACEMENT_FACTS_MAX_AGE, why, sizeof(why)), 0);
	/* The node booted after the fact was written: another boot's fact. */
	p.node_boot = NOW + 60;
	assert_int_equal(ev_placement_facts_fresh(&p, NOW + 120, EV_PLACEMENT_FACTS_MAX_AGE, why, sizeof(why)), -ESTALE);
	assert_string_equal(why, "fact is from 2023-11-14T22:13:20Z, before n3 last booted (2023-11-14T22:14:20Z)");
	p.node_boot = NOW - 60;
	assert_int_equal(ev_placement_facts_fresh(&p, NOW + 120, EV_PLACEMENT_FACTS_MAX_AGE, why, sizeof(why)), 0);
	/* Older than the bound. */
	assert_int_equal(ev_placement_facts_fresh(&p, NOW + EV_PLACEMENT_FACTS_MAX_AGE + 1, EV_PLACEMENT_FACTS_MAX_AGE, why, sizeof(why)),
			 -ESTALE);
	assert_string_equal(why, "fact is from 2023-11-14T22:13:20Z, older than 24 h");
	assert_int_equal(ev_placement_facts_fresh(&p, NOW + 3601, 3600, why, sizeof(why)), -ESTALE);
	assert_string_equal(why, "fact is from 2023-11-14T22:13:20Z, older than 1 h");
	/* From the future beyond clock skew. */
	assert_int_equal(ev_placement_facts_fresh(&p, NOW - EV_PLACEMENT_FACTS_MAX_SKEW, EV_PLACEMENT_FACTS_MAX_AGE, why, sizeof(why)), 0);
	assert_int_equal(ev_placement_facts_fresh(&p, NOW - 3600, EV_PLACEMENT_FACTS_MAX_AGE, why, sizeof(why)), -ESTALE);
	assert_string_equal(why, "fact is from 2023-11-14T22:13:20Z, 3600 s ahead of this node's clock");
	/* An older efa-verify's line carries neither. */
	p = peer("n3", "efa-verify:az=us-east-1a pg=pg-a type=p5.48xlarge");
	assert_int_equal(ev_placement_facts_fresh(&p, NOW, EV_PLACEMENT_FACTS_MAX_AGE, why, sizeof(why)), -ESTALE);
	assert_string_equal(why, "fact is from an older efa-verify (no boot id and time)");
}

static void test_stale_peers_are_not_judged(void **state)
{
	struct ev_peer self = peer("n1", "efa-verify:az=us-east-1a pg=pg-a type=p5.48xlarge boot=" BOOT
				   " at=1700000000");
	struct ev_peer peers[3];
	char why[256];

	(void)state;
	peers[0] = peer("n2", "efa-verify:az=us-east-1a pg=pg-a type=p5.48xlarge boot=" BOOT " at=1700000000");
	/* n3 says another zone, but wrote it before its last boot. */
	peers[1] = peer("n3", "efa-verify:az=us-east-1b pg=pg-a type=p5.48xlarge boot=" BOOT2 " at=1600000000");
	peers[1].node_boot = 1650000000;
	/* n4 says another group, a week ago. */
	peers[2] = peer("n4", "efa-verify:az=us-east-1a pg=pg-b type=p5.48xlarge boot=" BOOT2 " at=1699395200");
	assert_int_equal(ev_placement_consistent(&self, peers, 3, why, sizeof(why)), -EXDEV);
	assert_int_equal(ev_placement_drop_stale(peers, 3, NOW, EV_PLACEMENT_FACTS_MAX_AGE, why, sizeof(why)), 2);
	assert_string_equal(why, "placement of n3 not verified: fact is from 2020-09-13T12:26:40Z, "
				 "before n3 last booted (2022-04-15T05:20:00Z)");
	assert_true(peers[0].known);
	assert_false(peers[1].known);
	assert_false(peers[2].known);
	assert_int_equal(ev_placement_consistent(&self, peers, 3, why, sizeof(why)), 0);
	/* Nothing stale: nothing said. */
	assert_int_equal(ev_placement_drop_stale(peers, 1, NOW, EV_PLACEMENT_FACTS_MAX_AGE, why, sizeof(why)), 0);
	assert_string_equal(why, "");
}

/* A node writes its record when the facts change, after a reboot, and when
 * half the bound has passed: not at every step (an RPC each), and never
 * over an admin's Extra. */
static void test_should_publish(void **state)
{
	const char *cur = "efa-verify:az=us-east-1a pg=pg-a type=p5.48xlarge boot=" BOOT " at=1700000000";
	const int64_t half = EV_PLACEMENT_FACTS_MAX_AGE / 2;
	char old[EV_PLACEMENT_FACTS_MAX];

	(void)state;
	assert_true(ev_placement_facts_should_publish(NULL, cur, EV_PLACEMENT_FACTS_MAX_AGE));
	assert_true(ev_placement_facts_should_publish("", cur, EV_PLACEMENT_FACTS_MAX_AGE));
	assert_false(ev_placement_facts_should_publish("rack 7, do not touch", cur, EV_PLACEMENT_FACTS_MAX_AGE));
	assert_false(ev_placement_facts_should_publish(cur, cur, EV_PLACEMENT_FACTS_MAX_AGE));
	snprintf(old, sizeof(old), "efa-verify:az=us-east-1a pg=pg-a type=p5.48xlarge boot=" BOOT " at=%lld",
		 (long long)(NOW - half + 1));
	assert_false(ev_placement_facts_should_publish(old, cur, EV_PLACEMENT_FACTS_MAX_AGE));
	snprintf(old, sizeof(old), "efa-verify:az=us-east-1a pg=pg-a type=p5.48xlarge boot=" BOOT " at=%lld",
		 (long long)(NOW - half));
	assert_true(ev_placement_facts_should_publish(old, cur, EV_PLACEMENT_FACTS_MAX_AGE));
	/* Another boot of this node, however recent. */
	assert_true(ev_placement_facts_should_publish("efa-verify:az=us-east-1a pg=pg-a type=p5.48xlarge boot=" BOOT2
					    " at=1700000000", cur, EV_PLACEMENT_FACTS_MAX_AGE));
	/* Changed facts. */
	assert_true(ev_placement_facts_should_publish("efa-verify:az=us-east-1b pg=pg-a type=p5.48xlarge boot=" BOOT
					    " at=1700000000", cur, EV_PLACEMENT_FACTS_MAX_AGE));
	assert_true(ev_placement_facts_should_publish("efa-verify:az=us-east-1a pg=- type=p5.48xlarge boot=" BOOT
					    " at=1700000000", cur, EV_PLACEMENT_FACTS_MAX_AGE));
	/* An older efa-verify's line, our own garbage, or a fact from the future. */
	assert_true(ev_placement_facts_should_publish("efa-verify:az=us-east-1a pg=pg-a type=p5.48xlarge", cur,
					    EV_PLACEMENT_FACTS_MAX_AGE));
	assert_true(ev_placement_facts_should_publish("efa-verify:garbage", cur, EV_PLACEMENT_FACTS_MAX_AGE));
	assert_true(ev_placement_facts_should_publish("efa-verify:az=us-east-1a pg=pg-a type=p5.48xlarge boot=" BOOT
					    " at=1800000000", cur, EV_PLACEMENT_FACTS_MAX_AGE));
}

static void test_consistency(void **state)
{
	struct ev_peer self = peer("n1", "efa-verify:az=us-east-1a pg=pg-a type=p5.48xlarge boot=" BOOT
				   " at=1700000000");
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
		cmocka_unit_test(test_parse_any_order_and_unknown_keys),
		cmocka_unit_test(test_foreign_or_broken_text_is_unknown),
		cmocka_unit_test(test_freshness),
		cmocka_unit_test(test_stale_peers_are_not_judged),
		cmocka_unit_test(test_should_publish),
		cmocka_unit_test(test_consistency),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
