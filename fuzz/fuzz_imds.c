/* libFuzzer target: IMDS value validation and the per-boot IMDS cache.
 *
 * IMDS answers end up in paths, records and Slurm node fields, and the cache
 * file is read back by root, so both are checked strictly. The first byte
 * picks what the rest is:
 *   0: an imds.cache file, loaded with ev_imds_cache_load_at. Whatever loads
 *      must pass ev_imds_validate and survive a store/load round trip.
 *   1: the fields of a struct ev_imds_info ('\n'-separated; a field as long
 *      as its array is copied without a NUL). Whatever ev_imds_validate
 *      accepts must be cached and read back unchanged.
 *   2: a failure reason: stored, then remembered (-EAGAIN) as one printable
 *      line while fresh, and gone (-ENOENT) once expired.
 * The cache lives in a private directory on tmpfs when there is one: a
 * store fsyncs, which on a disk would make this target crawl. */
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "aws/ev_imds.h"
#include "aws/ev_imds_cache.h"
#include "fuzz_check.h"

#define BOOT "6f1c2a9e-55d1-4c1e-9a0b-1d2e3f405162"

static char dir[256];
static char cache_path[300];

static void cleanup(void)
{
	unlink(cache_path);
	rmdir(dir);
}

static void setup(void)
{
	const char *base = access("/dev/shm", W_OK) == 0 ? "/dev/shm" : getenv("TMPDIR");

	if (dir[0])
		return;
	snprintf(dir, sizeof(dir), "%s/fuzz_imds.XXXXXX", base && *base ? base : "/tmp");
	CHECK(mkdtemp(dir) != NULL);
	snprintf(cache_path, sizeof(cache_path), "%s/imds.cache", dir);
	atexit(cleanup);
}

static bool printable_line(const char *s)
{
	for (; *s; s++)
		if ((unsigned char)*s < 0x20 || *s == 0x7f)
			return false;
	return true;
}

static void write_cache(const unsigned char *d, size_t n)
{
	int fd = open(cache_path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);

	CHECK(fd >= 0);
	CHECK(write(fd, d, n) == (ssize_t)n);
	close(fd);
}

/* A validated value, stored and read back: exactly what went in. */
static void round_trip(const struct ev_imds_info *m)
{
	struct ev_imds_info back;
	struct ev_err err = { "" };
	int rc;

	CHECK(ev_imds_cache_store(dir, BOOT, m, &err) == 0);
	rc = ev_imds_cache_load_at(dir, BOOT, time(NULL), &back, &err);
	if (rc)
		fprintf(stderr, "reload: %s\n", err.msg);
	CHECK(rc == 0);
	CHECK(strcmp(back.instance_id, m->instance_id) == 0);
	CHECK(strcmp(back.instance_type, m->instance_type) == 0);
	CHECK(strcmp(back.availability_zone, m->availability_zone) == 0);
	CHECK(strcmp(back.region, m->region) == 0);
	CHECK(back.in_group == m->in_group);
	CHECK(strcmp(back.placement_group, m->placement_group) == 0);
	/* Another boot's cache is never used. */
	CHECK(ev_imds_cache_load_at(dir, "0000-other-boot", time(NULL), &back, &err) == -ESTALE);
}

static void cache_file(const unsigned char *d, size_t n)
{
	struct ev_imds_info m;
	struct ev_err err = { "" };
	int rc;

	write_cache(d, n);
	rc = ev_imds_cache_load_at(dir, BOOT, 1700000000, &m, &err);
	if (rc) {
		CHECK(rc < 0 && err.msg[0]);
		CHECK(printable_line(err.msg));
		return;
	}
	CHECK(ev_imds_validate(&m, &err) == 0);
	round_trip(&m);
}

/* field i of '\n'-separated d[0..n) into dst[cap]: truncated to cap bytes;
 * exactly cap bytes leave it unterminated, which validation must catch. */
static void field(const unsigned char **d, size_t *n, char *dst, size_t cap)
{
	const unsigned char *nl = memchr(*d, '\n', *n);
	size_t len = nl ? (size_t)(nl - *d) : *n;

	memset(dst, 0, cap);
	memcpy(dst, *d, len < cap ? len : cap);
	*d += len + (nl ? 1 : 0);
	*n -= len + (nl ? 1 : 0);
}

static void fields(const unsigned char *d, size_t n)
{
	struct ev_imds_info m;
	struct ev_err err = { "" };
	int rc;

	memset(&m, 0, sizeof(m));
	if (!n)
		return;
	m.in_group = d[0] & 1;
	d++, n--;
	field(&d, &n, m.instance_id, sizeof(m.instance_id));
	field(&d, &n, m.instance_type, sizeof(m.instance_type));
	field(&d, &n, m.availability_zone, sizeof(m.availability_zone));
	field(&d, &n, m.region, sizeof(m.region));
	field(&d, &n, m.placement_group, sizeof(m.placement_group));
	rc = ev_imds_validate(&m, &err);
	if (rc) {
		CHECK(rc == -EBADMSG && err.msg[0]);
		/* What validation refuses is never cached either. */
		CHECK(ev_imds_cache_store(dir, BOOT, &m, &err) == -EINVAL);
		return;
	}
	/* Accepted values are safe in space-separated records and paths. */
	CHECK(!strpbrk(m.instance_id, " \t\n=/"));
	CHECK(!strpbrk(m.instance_type, " \t\n=/"));
	CHECK(!strpbrk(m.availability_zone, " \t\n=/"));
	CHECK(!strpbrk(m.region, " \t\n=/"));
	CHECK(!strpbrk(m.placement_group, " \t\n") && printable_line(m.placement_group));
	round_trip(&m);
}

static void failure(const unsigned char *d, size_t n)
{
	char why[512];
	struct ev_imds_info m;
	struct ev_err err = { "" };
	size_t len = n < sizeof(why) - 1 ? n : sizeof(why) - 1;
	time_t now;
	int rc;

	memcpy(why, d, len);
	why[len] = '\0';
	CHECK(ev_imds_cache_store_failure(dir, BOOT, why, &err) == 0);
	/* After the store, which stamps its own time(NULL): never before it. */
	now = time(NULL);
	rc = ev_imds_cache_load_at(dir, BOOT, now, &m, &err);
	if (rc != -EAGAIN)
		fprintf(stderr, "fresh failure: rc %d: %s\n", rc, err.msg);
	CHECK(rc == -EAGAIN);
	CHECK(printable_line(err.msg));
	CHECK(ev_imds_cache_load_at(dir, BOOT, now + 2 * EV_IMDS_NEGATIVE_TTL_S + 5, &m, &err) == -ENOENT);
}

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size)
{
	if (!size)
		return 0;
	setup();
	switch (data[0] % 3) {
	case 0: cache_file(data + 1, size - 1); break;
	case 1: fields(data + 1, size - 1); break;
	case 2: failure(data + 1, size - 1); break;
	}
	return 0;
}
