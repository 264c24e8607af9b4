/* libFuzzer target for the line that carries a container's facts from a
 * task, which runs as the job's user inside the job's image, to root
 * (ev_image_facts_parse): the user can write anything into that pipe.
 *
 * The header promises a strict inverse of ev_image_facts_format, so
 * whatever parses writes back as exactly the input, with every value in
 * range; whatever does not parse is -EBADMSG with one printable line of
 * message and the facts zeroed. The other way round, facts built from the
 * input bytes that format writes must parse back to themselves. The text
 * is in a heap block of exactly its size, so a read past it is ASan's. */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_check.h"
#include "container/ev_image.h"

static void check_zeroed(const struct ev_image_facts *f)
{
	CHECK(f->uverbs == -1 && !f->libefa && f->fabric == EV_FABRIC_UNKNOWN);
	for (int i = 0; i < EV_SW__COUNT; i++)
		CHECK(!f->sw.sw[i].present && !f->sw.sw[i].version[0]);
}

static void parse(const unsigned char *d, size_t n)
{
	const unsigned char *nul = memchr(d, '\0', n);
	size_t len = nul ? (size_t)(nul - d) : n;
	char *t = malloc(len + 1), again[EV_IMAGE_FACTS_LINE_MAX];
	struct ev_image_facts f;
	struct ev_err err = { "" };
	int rc;

	CHECK(t != NULL);
	memcpy(t, d, len);
	t[len] = '\0';
	rc = ev_image_facts_parse(t, &f, &err);
	if (rc) {
		CHECK(rc == -EBADMSG);
		CHECK(err.msg[0]);
		for (const char *p = err.msg; *p; p++)
			CHECK(*p >= 0x20 && *p < 0x7f);
		check_zeroed(&f);
	} else {
		CHECK(f.uverbs >= -1 && f.uverbs <= EV_IMAGE_UVERBS_MAX);
		CHECK((unsigned)f.fabric <= EV_FABRIC_EFA);
		for (int i = 0; i < EV_SW__COUNT; i++)
			CHECK(!f.sw.sw[i].source[0] && (f.sw.sw[i].present ? ev_version_valid(f.sw.sw[i].version)
									 : !f.sw.sw[i].version[0]));
		CHECK(ev_image_facts_format(&f, again, sizeof(again)) == 0);
		CHECK(strcmp(again, t) == 0);
	}
	free(t);
}

/* Facts from the bytes: each version a slice of the input (often not a
 * version at all), the rest from single bytes. */
static void roundtrip(const unsigned char *d, size_t n)
{
	struct ev_image_facts f = { 0 }, back;
	struct ev_err err = { "" };
	char line[EV_IMAGE_FACTS_LINE_MAX];
	size_t at = 0;

	if (n < 3)
		return;
	f.libefa = d[0] & 1;
	f.fabric = (enum ev_fabric_efa)(d[0] >> 1 & 7);
	f.uverbs = (int)(d[1] | (d[2] & 0x1f) << 8) - 1;
	at = 3;
	for (int i = 0; i < EV_SW__COUNT && at < n; i++) {
		size_t l = d[at++] % EV_VER_MAX;

		if (l > n - at)
			l = n - at;
		f.sw.sw[i].present = l > 0;
		memcpy(f.sw.sw[i].version, d + at, l);
		at += l;
	}
	if (ev_image_facts_format(&f, line, sizeof(line)) != 0)
		return;
	CHECK(strlen(line) < EV_IMAGE_FACTS_LINE_MAX);
	CHECK(ev_image_facts_parse(line, &back, &err) == 0);
	CHECK(back.libefa == f.libefa && back.fabric == f.fabric && back.uverbs == f.uverbs);
	for (int i = 0; i < EV_SW__COUNT; i++)
		CHECK(back.sw.sw[i].present == f.sw.sw[i].present &&
		      strcmp(back.sw.sw[i].version, f.sw.sw[i].version) == 0);
}

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size)
{
	parse(data, size);
	roundtrip(data, size);
	return 0;
}
