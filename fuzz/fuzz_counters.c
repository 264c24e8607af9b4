/* libFuzzer target: a sysfs counter value (ev_parse_u64) and the start
 * snapshot file the prolog leaves for the epilog (ev_job_start_deserialize,
 * ev_snapshot_deserialize, which reads format 1 only). Both are read by
 * root from files others might have touched; every input gets both.
 *
 * ev_parse_u64 is checked against the grammar in ev_num.h: what it accepts
 * is blanks, digits, trailing whitespace, and the value is those digits;
 * -ERANGE when the digits do not fit (as tests/unit/test_counters.c has
 * it). A snapshot that loads must serialize to a text that loads to the
 * same thing: serialize(parse(x)) is a fixed point of parse-then-serialize. */
#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/ev_file.h"
#include "util/ev_num.h"
#include "fuzz_check.h"
#include "node/ev_snapshot.h"
#include "state/ev_job_start.h"
#include "state/ev_running.h"

static void counter_value(const unsigned char *data, size_t size)
{
	char s[64], want[32], got[32];
	const char *p, *digits;
	size_t nd;
	uint64_t v = 0;
	struct ev_err err = { "" };
	int rc;

	/* sysfs values are short; longer inputs only exercise the same loop. */
	if (size >= sizeof(s))
		size = sizeof(s) - 1;
	memcpy(s, data, size);
	s[size] = '\0';
	rc = ev_parse_u64(s, &v, &err);

	/* The reference: an independent reading of the documented grammar. */
	for (p = s; *p == ' ' || *p == '\t'; p++)
		;
	digits = p;
	while (*p >= '0' && *p <= '9')
		p++;
	nd = (size_t)(p - digits);
	while (*p == '\n' || *p == ' ' || *p == '\t' || *p == '\r')
		p++;
	if (!nd || *p) {
		/* Garbage after too many digits may be either error. */
		CHECK(rc == -EINVAL || (rc == -ERANGE && nd >= 20));
		return;
	}
	while (nd > 1 && *digits == '0')
		digits++, nd--;
	if (nd > 20 || (nd == 20 && strncmp(digits, "18446744073709551615", 20) > 0)) {
		CHECK(rc == -ERANGE);
		return;
	}
	CHECK(rc == 0);
	snprintf(want, sizeof(want), "%.*s", (int)nd, digits);
	snprintf(got, sizeof(got), "%" PRIu64, v);
	CHECK(strcmp(want, got) == 0);
}

static void check_snapshot(const struct ev_snapshot *s)
{
	for (size_t i = 0; i < s->n_efa; i++) {
		const struct ev_dev_counters *d = &s->efa[i];

		CHECK(ev_valid_name(d->dev, EV_NAME_MAX));
		/* ev_counter_find relies on sorted, unique names. */
		for (size_t k = 1; k < d->n_port; k++)
			CHECK(strcmp(d->port[k - 1].name, d->port[k].name) < 0);
		for (size_t k = 1; k < d->n_device; k++)
			CHECK(strcmp(d->device[k - 1].name, d->device[k].name) < 0);
		for (size_t k = 0; k < d->n_port; k++) {
			CHECK(ev_counter_find(d, d->port[k].name) == &d->port[k]);
			CHECK(d->port[k].ok || d->port[k].value == 0);
		}
		for (size_t k = 0; k < d->n_device; k++)
			CHECK(d->device[k].ok || d->device[k].value == 0);
	}
	/* The job table's counters only where they are the source. */
	CHECK(s->tcp_source == EV_TCP_SRC_NFTABLES ||
	      (!s->net.peer_tx && !s->net.peer_rx && !s->net.all_tx && !s->net.all_rx));
	for (size_t i = 0; i < s->n_tcp; i++) {
		CHECK(ev_valid_name(s->tcp[i].ifname, EV_IFNAME_MAX));
		CHECK(s->tcp[i].ok || (s->tcp[i].tx_bytes == 0 && s->tcp[i].rx_bytes == 0));
	}
}

static void snapshot(const unsigned char *data, size_t size)
{
	const char *text = (const char *)data;
	struct ev_job_start js, js2;
	struct ev_snapshot snap;
	struct ev_err err = { "" };
	bool v1 = size >= 22 && memcmp(text, "efa-verify-snapshot 1\n", 22) == 0;
	char *t1, *t2;
	size_t l1, l2;
	int rc, rc2;

	rc = ev_job_start_deserialize(text, size, &js, &err);
	rc2 = ev_snapshot_deserialize(text, size, &snap, &err);
	CHECK(v1 ? rc == rc2 : rc2 == -EBADMSG);
	if (rc) {
		CHECK(rc < 0 && err.msg[0]);
		ev_job_start_free(&js);   /* documented as safe after an error */
		ev_snapshot_free(&snap);
		return;
	}
	check_snapshot(&js.snap);
	CHECK(js.run.n_others <= EV_STATE_MAX_OTHERS);
	for (size_t i = 1; i < js.run.n_others; i++)
		CHECK(js.run.others[i - 1] <= js.run.others[i]);
	CHECK(v1 || js.jobid != 0);
	CHECK(!js.node[0] || ev_valid_nodename(js.node));

	/* A format 1 file has no context: it is written back as format 1. */
	t1 = v1 ? ev_snapshot_serialize(&js.snap, &l1) : ev_job_start_serialize(&js, &l1);
	CHECK(t1 != NULL);
	CHECK(strlen(t1) == l1);
	rc = ev_job_start_deserialize(t1, l1, &js2, &err);
	if (rc)
		fprintf(stderr, "re-reading what was written: %s\n", err.msg);
	CHECK(rc == 0);
	check_snapshot(&js2.snap);
	CHECK(js2.jobid == js.jobid && js2.run.seq == js.run.seq && js2.run.n_others == js.run.n_others);
	CHECK(js2.snap.time_ns == js.snap.time_ns && js2.snap.job_nodes == js.snap.job_nodes);
	CHECK(js2.snap.n_efa == js.snap.n_efa && js2.snap.n_tcp == js.snap.n_tcp);
	CHECK(js2.snap.tcp_source == js.snap.tcp_source &&
	      memcmp(&js2.snap.net, &js.snap.net, sizeof(js.snap.net)) == 0);
	CHECK(strcmp(js2.node, js.node) == 0 && strcmp(js2.boot_id, js.boot_id) == 0);
	t2 = v1 ? ev_snapshot_serialize(&js2.snap, &l2) : ev_job_start_serialize(&js2, &l2);
	CHECK(t2 != NULL);
	CHECK(l1 == l2 && memcmp(t1, t2, l1) == 0);
	free(t1);
	free(t2);
	ev_job_start_free(&js2);
	ev_job_start_free(&js);
	ev_snapshot_free(&snap);
}

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size)
{
	counter_value(data, size);
	snapshot(data, size);
	return 0;
}
