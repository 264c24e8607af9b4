/* libFuzzer target for an OCI bundle's config.json (ev_oci_bundle_parse),
 * which the job's user writes, and the strict JSON reader under it
 * (ev_jsonscan).
 *
 * The first byte picks the check ('0' the bundle's config, '1' the JSON
 * reader's events); the rest is the text, in a heap block of exactly its
 * size, so a read past its end is ASan's to see. */
#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_check.h"
#include "container/ev_oci_bundle.h"
#include "util/ev_jsonscan.h"

#define BUNDLE "/fuzz/bundle"

static bool printable_line(const char *s)
{
	for (; *s; s++)
		if ((unsigned char)*s < 0x20 || (unsigned char)*s >= 0x7f)
			return false;
	return true;
}

static int ignore(void *ctx, const struct ev_jsonscan_event *ev, struct ev_err *err)
{
	(void)ctx;
	(void)ev;
	(void)err;
	return 0;
}

/* What a config that reads promises; what one that does not leaves. */
static void bundle(const char *text, size_t len)
{
	struct ev_oci_bundle b;
	struct ev_err err = { "" };
	int rc = ev_oci_bundle_parse(BUNDLE, text, len, &b, &err);

	CHECK(strcmp(b.label, BUNDLE) == 0);
	if (rc) {
		CHECK(rc == -EINVAL || rc == -ENAMETOOLONG || rc == -EFBIG);
		CHECK(strncmp(err.msg, BUNDLE "/config.json:", strlen(BUNDLE "/config.json:")) == 0);
		CHECK(printable_line(err.msg));
		CHECK(!b.bundle[0] && !b.rootfs[0] && !b.infiniband_mounted && !b.dev_all && !b.uverbs_devices);
		return;
	}
	/* A config that reads is JSON. */
	CHECK(ev_jsonscan("f.json", text, len, 0, ignore, NULL, &err) == 0);
	CHECK(strcmp(b.bundle, BUNDLE) == 0);
	CHECK(b.rootfs[0] != '\0');
	CHECK(strnlen(b.rootfs, sizeof(b.rootfs)) < sizeof(b.rootfs));
	CHECK(b.uverbs_devices >= 0 && b.uverbs_devices <= 1024);
	CHECK(!b.dev_all || b.infiniband_mounted);
}

/* Events nest: a container's members are one deeper than it, its END at
 * its own depth; nothing is deeper than the bound; strings and numbers
 * end in the scanner's NUL. */
static int event(void *ctx, const struct ev_jsonscan_event *ev, struct ev_err *err)
{
	size_t *open = ctx;

	(void)err;
	if (ev->kind == EV_JSONSCAN_END) {
		CHECK(*open > 0);
		--*open;
		CHECK(ev->depth == *open);
		return 0;
	}
	CHECK(ev->depth == *open);
	CHECK(ev->depth <= EV_JSONSCAN_MAX_DEPTH);
	for (size_t i = 0; i < ev->depth; i++)
		CHECK(strnlen(ev->path[i].key, EV_JSONSCAN_KEY_MAX) < EV_JSONSCAN_KEY_MAX);
	switch (ev->kind) {
	case EV_JSONSCAN_OBJECT:
	case EV_JSONSCAN_ARRAY:
		CHECK(*open < EV_JSONSCAN_MAX_DEPTH);
		++*open;
		break;
	case EV_JSONSCAN_STRING:
		CHECK(ev->text != NULL && ev->text[ev->len] == '\0');
		break;
	case EV_JSONSCAN_NUMBER:
		CHECK(ev->text != NULL && ev->text == ev->doc + ev->offset);
		break;
	default:
		CHECK(ev->text == NULL);
	}
	return 0;
}

static void scan(const char *text, size_t len)
{
	struct ev_err err = { "" };
	size_t open = 0;
	int rc = ev_jsonscan("f.json", text, len, 0, event, &open, &err);

	if (rc) {
		CHECK(rc == -EINVAL && strncmp(err.msg, "f.json:", 7) == 0);
		CHECK(printable_line(err.msg));
	} else {
		CHECK(open == 0);
	}
}

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size)
{
	char *text;

	if (!size)
		return 0;
	text = malloc(size);
	CHECK(text != NULL);
	memcpy(text, data + 1, size - 1);
	text[size - 1] = '\0';
	if (data[0] & 1)
		scan(text, size - 1);
	else
		bundle(text, size - 1);
	free(text);
	return 0;
}
