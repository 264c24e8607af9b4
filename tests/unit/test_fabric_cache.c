/* libfabric's answer cached per boot: round trip, expiry (longer for a
 * found provider than a missing one), another boot, and files that must
 * never be trusted (symlink, loose mode, garbage). */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "node/ev_fabric_cache.h"
#include "testutil.h"

#define BOOT "0b5c4a1e-1111-4222-8333-944455556666"

static struct ev_fabric_info sample(bool have)
{
	struct ev_fabric_info f;

	memset(&f, 0, sizeof(f));
	snprintf(f.version, sizeof(f.version), "1.22");
	f.have_efa = have;
	f.n_efa_devices = have ? 32 : 0;
	snprintf(f.first_device, sizeof(f.first_device), "%s", have ? "rdmap16s27" : "");
	snprintf(f.fabrics, sizeof(f.fabrics), "%s", have ? "efa, efa-direct" : "");
	snprintf(f.detail, sizeof(f.detail), "%s", have ? "" : "fi_getinfo: No data\navailable");
	return f;
}

static void test_round_trip_and_expiry(void **state)
{
	char *dir = tu_mkdtemp();
	struct ev_fabric_info in = sample(true), out;

	(void)state;
	assert_int_equal(ev_fabric_cache_save(dir, BOOT, 1000, &in, NULL), 0);
	assert_int_equal(ev_fabric_cache_load(dir, BOOT, 1000 + EV_FABRIC_CACHE_TTL - 1, &out, NULL), 0);
	assert_memory_equal(&in, &out, sizeof(in));
	assert_int_equal(ev_fabric_cache_load(dir, BOOT, 1000 + EV_FABRIC_CACHE_TTL, &out, NULL), -ENOENT);
	assert_int_equal(ev_fabric_cache_load(dir, BOOT, 999, &out, NULL), -ENOENT);   /* from the future */
	assert_int_equal(ev_fabric_cache_load(dir, "other-boot", 1001, &out, NULL), -ENOENT);
	/* A missing provider is remembered only briefly, newline in detail made harmless. */
	in = sample(false);
	assert_int_equal(ev_fabric_cache_save(dir, BOOT, 2000, &in, NULL), 0);
	assert_int_equal(ev_fabric_cache_load(dir, BOOT, 2000 + EV_FABRIC_CACHE_NEG_TTL - 1, &out, NULL), 0);
	assert_false(out.have_efa);
	assert_string_equal(out.detail, "fi_getinfo: No data?available");
	assert_int_equal(ev_fabric_cache_load(dir, BOOT, 2000 + EV_FABRIC_CACHE_NEG_TTL, &out, NULL), -ENOENT);
	tu_rm_rf(dir);
	free(dir);
}

static void test_untrusted_files_are_misses(void **state)
{
	char *dir = tu_mkdtemp(), path[4096], target[4096];
	struct ev_fabric_info in = sample(true), out;
	struct ev_err err;

	(void)state;
	snprintf(path, sizeof(path), "%s/fabric.cache", dir);
	snprintf(target, sizeof(target), "%s/elsewhere", dir);
	assert_int_equal(ev_fabric_cache_save(dir, BOOT, 1000, &in, NULL), 0);
	assert_int_equal(rename(path, target), 0);
	assert_int_equal(symlink(target, path), 0);
	assert_int_equal(ev_fabric_cache_load(dir, BOOT, 1001, &out, &err), -ENOENT);
	/* Saving replaces the link, never writes through it. */
	assert_int_equal(ev_fabric_cache_save(dir, BOOT, 1000, &in, NULL), 0);
	struct stat st;
	assert_int_equal(lstat(path, &st), 0);
	assert_true(S_ISREG(st.st_mode));
	assert_int_equal(chmod(path, 0644), 0);
	assert_int_equal(ev_fabric_cache_load(dir, BOOT, 1001, &out, &err), -ENOENT);
	assert_non_null(strstr(err.msg, "not a private file"));
	unlink(path);
	tu_write(dir, "fabric.cache", "efa-verify-fabric 2\nboot_id " BOOT "\ntime 1000\nversion 1.2\nhave_efa 7\n"
		       "devices 1\nfirst x\nfabrics efa\ndetail \nend\n");
	chmod(path, 0600);
	assert_int_equal(ev_fabric_cache_load(dir, BOOT, 1001, &out, &err), -ENOENT);
	assert_non_null(strstr(err.msg, "malformed"));
	/* A format-1 file (before devices and fabrics) is a miss: asked again. */
	unlink(path);
	tu_write(dir, "fabric.cache", "efa-verify-fabric 1\nboot_id " BOOT "\ntime 1000\nversion 1.2\nhave_efa 1\n"
		       "domains 1\nfirst x-rdm\ndetail \nend\n");
	chmod(path, 0600);
	assert_int_equal(ev_fabric_cache_load(dir, BOOT, 1001, &out, &err), -ENOENT);
	assert_non_null(strstr(err.msg, "not a fabric cache"));
	tu_rm_rf(dir);
	free(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_round_trip_and_expiry),
		cmocka_unit_test(test_untrusted_files_are_misses),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
