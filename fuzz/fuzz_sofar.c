/* libFuzzer target for the so-far JSON reader: the line each node of a
 * running job prints (ev_sofar_parse) and the answers of all its nodes
 * read back from srun's labelled output (ev_sofar_collect). Both read
 * text the job's user can write.
 *
 * The first byte picks the check ('0' a line, '1' srun's output); the rest
 * is the text, in a heap block of exactly its size (and its NUL), so a
 * read past its end is ASan's to see. */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_check.h"
#include "config/ev_config.h"
#include "judge/ev_verdict.h"
#include "record/ev_sofar.h"

/* The text, NUL-terminated at its first NUL, in a block of its size. */
static char *text_of(const unsigned char *d, size_t n)
{
	const unsigned char *nul = memchr(d, '\0', n);
	size_t len = nul ? (size_t)(nul - d) : n;
	char *t = malloc(len + 1);

	CHECK(t != NULL);
	memcpy(t, d, len);
	t[len] = '\0';
	return t;
}

static bool same(const struct ev_sofar *a, const struct ev_sofar *b)
{
	return strcmp(a->r.node, b->r.node) == 0 && strcmp(a->r.reason, b->r.reason) == 0 &&
	       a->r.jobid == b->r.jobid && a->r.job_nodes == b->r.job_nodes && a->r.verdict == b->r.verdict &&
	       a->r.efa_bytes == b->r.efa_bytes && a->r.tcp_bytes == b->r.tcp_bytes &&
	       a->r.nics_busy == b->r.nics_busy && a->r.nics_total == b->r.nics_total &&
	       a->r.nic_min_bytes == b->r.nic_min_bytes && a->r.nic_max_bytes == b->r.nic_max_bytes &&
	       a->since == b->since && a->as_of == b->as_of && a->duration_ms == b->duration_ms;
}

/* What a line that parses promises, and that it writes back as a line
 * that parses to the same, and is then a fixed point. */
static void check_parsed(const struct ev_sofar *s)
{
	struct ev_sofar back, again;
	struct ev_err err = { "" };
	char *line, *line2;

	CHECK(s->r.jobid != 0);
	CHECK(ev_valid_nodename(s->r.node));
	CHECK((unsigned)s->r.verdict <= EV_V_NOT_READY);
	CHECK(strnlen(s->r.reason, sizeof(s->r.reason)) < sizeof(s->r.reason));
	for (const char *p = s->r.reason; *p; p++)
		CHECK(ev_reason_char(*p));
	CHECK(s->r.nics_busy <= s->r.nics_total && s->r.nic_min_bytes <= s->r.nic_max_bytes);
	CHECK(!s->r.shared);

	line = ev_sofar_json(s);
	CHECK(line != NULL);
	CHECK(strchr(line, '\n') == NULL);
	if (ev_sofar_parse(line, &back, &err) != 0)
		fprintf(stderr, "parse of '%s': %s\n", line, err.msg);
	CHECK(ev_sofar_parse(line, &back, &err) == 0);
	/* The writer leaves NIC numbers out when there are none. */
	if (!s->r.nics_total)
		CHECK(back.r.nics_busy == 0 && back.r.nic_min_bytes == 0 && back.r.nic_max_bytes == 0);
	else
		CHECK(same(s, &back));
	line2 = ev_sofar_json(&back);
	CHECK(line2 != NULL && strcmp(line, line2) == 0);
	CHECK(ev_sofar_parse(line2, &again, &err) == 0 && same(&back, &again));
	free(line);
	free(line2);
}

static void one_line(const unsigned char *d, size_t n)
{
	char *line = text_of(d, n);
	struct ev_sofar s;
	struct ev_err err = { "" };
	int rc = ev_sofar_parse(line, &s, &err);

	if (rc)
		CHECK(rc == -EBADMSG && err.msg[0]);
	else
		check_parsed(&s);
	free(line);
}

/* srun's output for a job of four nodes: each answer is one of its node's
 * own, from that node's task, and the counts add up. */
static void collect(const unsigned char *d, size_t n)
{
	static char *names[] = { "n1", "n2", "n3", "n4" };
	char *text = text_of(d, n);
	struct ev_sofar res[4];
	bool answered[4];
	size_t ignored, got, lines = 0, k = 0;

	for (const char *p = text; *p; p++)
		lines += *p == '\n' || !p[1];
	got = ev_sofar_collect(text, 42, names, 4, res, answered, &ignored);
	CHECK(got <= 4 && got + ignored <= lines);
	for (size_t i = 0; i < 4; i++) {
		if (!answered[i])
			continue;
		k++;
		CHECK(res[i].r.jobid == 42);
		CHECK(strcmp(res[i].r.node, names[i]) == 0);
		check_parsed(&res[i]);
	}
	CHECK(k == got);
	free(text);
}

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size)
{
	if (!size)
		return 0;
	if (data[0] & 1)
		collect(data + 1, size - 1);
	else
		one_line(data + 1, size - 1);
	return 0;
}
