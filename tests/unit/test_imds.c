/* The IMDSv2 client and its per-boot cache, against the real test server
 * (tests/imds/imds_server.py) on 127.0.0.1. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <curl/curl.h>

#include "ev_config.h"
#include "ev_imds.h"
#include "ev_imds_cache.h"
#include "testutil.h"

extern char **environ;

static char *g_dir;
static pid_t g_server;
static char g_url[128];

static int start_server(void **state)
{
	char script[2048], data[2048], portfile[2048], buf[32] = "";
	const char *py = getenv("PYTHON");
	char *argv[12];

	(void)state;
	g_dir = tu_mkdtemp();
	snprintf(data, sizeof(data), "%s/imds.json", g_dir);
	tu_write(g_dir, "imds.json",
		 "{\"n1\": {\"instance_type\": \"p5.48xlarge\", \"availability_zone\": \"us-east-1a\","
		 " \"region\": \"us-east-1\", \"group_name\": \"pg-a\", \"instance_id\": \"i-0aaa\"},"
		 " \"n2\": {\"instance_type\": \"p4d.24xlarge\", \"availability_zone\": \"us-east-1b\","
		 " \"region\": \"us-east-1\", \"group_name\": null, \"instance_id\": \"i-0bbb\"}}");
	snprintf(script, sizeof(script), "%s/tests/imds/imds_server.py", tu_srcdir());
	snprintf(portfile, sizeof(portfile), "%s/port", g_dir);
	argv[0] = (char *)(py && *py ? py : "python3");
	argv[1] = script;
	argv[2] = "--port";
	argv[3] = "0";
	argv[4] = "--port-file";
	argv[5] = portfile;
	argv[6] = "--data";
	argv[7] = data;
	argv[8] = NULL;
	if (posix_spawnp(&g_server, argv[0], NULL, NULL, argv, environ) != 0)
		return -1;
	for (int i = 0; i < 200 && !buf[0]; i++) {
		FILE *f = fopen(portfile, "r");

		if (f) {
			if (!fgets(buf, sizeof(buf), f))
				buf[0] = '\0';
			fclose(f);
		}
		if (!buf[0])
			usleep(25000);
	}
	if (!buf[0])
		return -1;
	snprintf(g_url, sizeof(g_url), "http://127.0.0.1:%d", atoi(buf));
	return 0;
}

static int stop_server(void **state)
{
	(void)state;
	if (g_server > 0) {
		kill(g_server, SIGTERM);
		waitpid(g_server, NULL, 0);
	}
	tu_rm_rf(g_dir);
	free(g_dir);
	curl_global_cleanup();
	return 0;
}

/* Raw request to the server, to check what it enforces. */
static long http(const char *method, const char *path, const char *header, const char *body)
{
	CURL *h = curl_easy_init();
	struct curl_slist *hdr = NULL;
	char url[256];
	long code = -1;
	FILE *null = fopen("/dev/null", "w");

	snprintf(url, sizeof(url), "%s%s", g_url, path);
	curl_easy_setopt(h, CURLOPT_URL, url);
	curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, method);
	curl_easy_setopt(h, CURLOPT_NOPROXY, "*");
	curl_easy_setopt(h, CURLOPT_WRITEDATA, null);
	if (body)
		curl_easy_setopt(h, CURLOPT_POSTFIELDS, body);
	if (header) {
		hdr = curl_slist_append(hdr, header);
		curl_easy_setopt(h, CURLOPT_HTTPHEADER, hdr);
	}
	if (curl_easy_perform(h) == CURLE_OK)
		curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &code);
	curl_slist_free_all(hdr);
	curl_easy_cleanup(h);
	fclose(null);
	return code;
}

static void set_mode(const char *mode)
{
	assert_int_equal(http("POST", "/_control/mode", NULL, mode), 200);
}

static int reset_mode(void **state)
{
	(void)state;
	set_mode("ok");
	return 0;
}

static void url_for(char *out, size_t cap, const char *node)
{
	snprintf(out, cap, "%s/%s", g_url, node);
}

static void test_server_enforces_tokens(void **state)
{
	(void)state;
	assert_int_equal(http("GET", "/n1/latest/meta-data/instance-type", NULL, NULL), 401);
	assert_int_equal(http("GET", "/n1/latest/meta-data/instance-type",
			      "X-aws-ec2-metadata-token: forged", NULL), 401);
	assert_int_equal(http("PUT", "/n1/latest/api/token", NULL, NULL), 400);
	assert_int_equal(http("PUT", "/n1/latest/api/token", "X-aws-ec2-metadata-token-ttl-seconds: 0", NULL), 400);
	assert_int_equal(http("PUT", "/n1/latest/api/token", "X-aws-ec2-metadata-token-ttl-seconds: 21601", NULL), 400);
	assert_int_equal(http("PUT", "/n1/latest/api/token", "X-aws-ec2-metadata-token-ttl-seconds: 60", NULL), 200);
	assert_int_equal(http("PUT", "/n1/latest/api/token", "X-Forwarded-For: 1.2.3.4", NULL), 403);
}

static void test_fetch_all_fields(void **state)
{
	struct ev_imds_info m;
	struct ev_err err;
	char url[256];

	(void)state;
	url_for(url, sizeof(url), "n1");
	assert_int_equal(ev_imds_fetch(url, 2000, &m, &err), 0);
	assert_string_equal(m.instance_id, "i-0aaa");
	assert_string_equal(m.instance_type, "p5.48xlarge");
	assert_string_equal(m.availability_zone, "us-east-1a");
	assert_string_equal(m.region, "us-east-1");
	assert_true(m.in_group);
	assert_string_equal(m.placement_group, "pg-a");
}

static void test_no_placement_group_is_404(void **state)
{
	struct ev_imds_info m;
	struct ev_err err;
	char url[256];

	(void)state;
	snprintf(url, sizeof(url), "%s/n2/", g_url);   /* trailing slash tolerated */
	assert_int_equal(ev_imds_fetch(url, 2000, &m, &err), 0);
	assert_string_equal(m.instance_type, "p4d.24xlarge");
	assert_false(m.in_group);
	assert_string_equal(m.placement_group, "");
}

static void test_error_modes(void **state)
{
	static const struct { const char *mode; int rc; const char *phrase; } cases[] = {
		{ "401", -EACCES, "refused (HTTP 401)" },
		{ "500", -EIO, "HTTP 500" },
		{ "garbage", -EBADMSG, "not a metadata value" },
		{ "huge", -EMSGSIZE, "larger than 4096 bytes" },
		{ "down", -EIO, "IMDS token" },
	};
	struct ev_imds_info m;
	struct ev_err err;
	char url[256];

	(void)state;
	url_for(url, sizeof(url), "n1");
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		set_mode(cases[i].mode);
		assert_int_equal(ev_imds_fetch(url, 2000, &m, &err), cases[i].rc);
		if (!strstr(err.msg, cases[i].phrase))
			fail_msg("mode %s: '%s' lacks '%s'", cases[i].mode, err.msg, cases[i].phrase);
		/* Nothing half-filled is handed back. */
		assert_string_equal(m.instance_type, "");
	}
}

static long elapsed_ms(const struct timespec *a)
{
	struct timespec b;

	clock_gettime(CLOCK_MONOTONIC, &b);
	return (b.tv_sec - a->tv_sec) * 1000 + (b.tv_nsec - a->tv_nsec) / 1000000;
}

static void test_slow_and_hang_time_out(void **state)
{
	struct ev_imds_info m;
	struct ev_err err;
	struct timespec t0;
	char url[256];

	(void)state;
	url_for(url, sizeof(url), "n1");
	set_mode("slow:2000");
	clock_gettime(CLOCK_MONOTONIC, &t0);
	assert_int_equal(ev_imds_fetch(url, 300, &m, &err), -ETIMEDOUT);
	/* Bounded by the timeout (with slack for a loaded machine), never by the server. */
	assert_true(elapsed_ms(&t0) < 1500);
	assert_non_null(strstr(err.msg, "timed out after 300 ms"));
	set_mode("hang");
	clock_gettime(CLOCK_MONOTONIC, &t0);
	assert_int_equal(ev_imds_fetch(url, 300, &m, &err), -ETIMEDOUT);
	assert_true(elapsed_ms(&t0) < 1500);
}

static void test_refused_and_bad_endpoint(void **state)
{
	struct ev_imds_info m;
	struct ev_err err;

	(void)state;
	assert_int_equal(ev_imds_fetch("http://127.0.0.1:9", 500, &m, &err), -ECONNREFUSED);
	assert_non_null(strstr(err.msg, "cannot connect"));
	assert_int_equal(ev_imds_fetch("ftp://127.0.0.1", 500, &m, &err), -EINVAL);
	assert_int_equal(ev_imds_fetch(NULL, 500, &m, &err), -EINVAL);
	/* Unknown node prefix: 404 on a required value. */
	{
		char url[256];

		url_for(url, sizeof(url), "n9");
		assert_int_equal(ev_imds_fetch(url, 1000, &m, &err), -EIO);
		assert_non_null(strstr(err.msg, "HTTP 404"));
	}
}

static void cfg_for(struct ev_config *c, const char *node, const char *state)
{
	struct ev_err err;

	assert_int_equal(ev_config_defaults(c, &err), 0);
	url_for(c->imds_endpoint, sizeof(c->imds_endpoint), node);
	c->imds_timeout_ms = 1000;
	snprintf(c->state_dir, sizeof(c->state_dir), "%s/%s", g_dir, state);
}

static long server_gets(void)
{
	/* Count of metadata GETs, from the server's own stats. */
	CURL *h = curl_easy_init();
	char url[256];
	FILE *f = tmpfile();
	char buf[512] = "";
	long gets = -1;
	char *p;

	snprintf(url, sizeof(url), "%s/_control/stats", g_url);
	curl_easy_setopt(h, CURLOPT_URL, url);
	curl_easy_setopt(h, CURLOPT_NOPROXY, "*");
	curl_easy_setopt(h, CURLOPT_WRITEDATA, f);
	curl_easy_perform(h);
	curl_easy_cleanup(h);
	rewind(f);
	if (!fgets(buf, sizeof(buf), f))
		buf[0] = '\0';
	fclose(f);
	p = strstr(buf, "\"gets\": ");
	if (p)
		gets = atol(p + 8);
	return gets;
}

static void test_cache_serves_second_call(void **state)
{
	struct ev_config c;
	struct ev_imds_info m;
	enum ev_imds_source src;
	struct ev_err err;
	long before;
	char path[2048];
	struct stat st;

	(void)state;
	cfg_for(&c, "n1", "state-cache");
	assert_int_equal(ev_imds_get(&c, true, &m, &src, &err), 0);
	assert_int_equal(src, EV_IMDS_FROM_NETWORK);
	before = server_gets();
	assert_true(before > 0);
	memset(&m, 0, sizeof(m));
	assert_int_equal(ev_imds_get(&c, true, &m, &src, &err), 0);
	assert_int_equal(src, EV_IMDS_FROM_CACHE);
	assert_string_equal(m.placement_group, "pg-a");
	assert_int_equal(server_gets(), before);
	snprintf(path, sizeof(path), "%s/imds.cache", c.state_dir);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	ev_config_free(&c);
}

static void test_cache_other_boot_and_corrupt(void **state)
{
	struct ev_imds_info m = { 0 };
	struct ev_err err;
	char dir[2048], boot[64];

	(void)state;
	snprintf(dir, sizeof(dir), "%s/state-boot", g_dir);
	snprintf(m.instance_type, sizeof(m.instance_type), "p5.48xlarge");
	assert_int_equal(ev_imds_cache_store(dir, "1111-old-boot", &m, &err), 0);
	assert_int_equal(ev_boot_id(boot, sizeof(boot), &err), 0);
	assert_int_equal(ev_imds_cache_load(dir, boot, &m, &err), -ESTALE);
	assert_int_equal(ev_imds_cache_load(dir, "1111-old-boot", &m, &err), 0);
	assert_string_equal(m.instance_type, "p5.48xlarge");

	assert_int_equal(tu_write(dir, "imds.cache", "efa-verify-imds-cache 1\nboot_id=x\ninstance_type=a;rm -rf /\n"), 0);
	chmod(strcat(dir, "/imds.cache"), 0600);
	dir[strlen(dir) - strlen("/imds.cache")] = '\0';
	assert_int_equal(ev_imds_cache_load(dir, "x", &m, &err), -EBADMSG);
	assert_int_equal(tu_write(dir, "imds.cache", "\x7f" "ELF garbage"), 0);
	assert_int_equal(ev_imds_cache_load(dir, "x", &m, &err), -EBADMSG);
	/* Values with characters IMDS never sends are not cached. */
	snprintf(m.instance_type, sizeof(m.instance_type), "p5\n.x");
	assert_int_equal(ev_imds_cache_store(dir, "x", &m, &err), -EINVAL);
}

static void test_cache_refuses_symlink_and_foreign_files(void **state)
{
	struct ev_imds_info m = { 0 };
	struct ev_err err;
	char dir[2048], path[2048], target[2048];

	(void)state;
	snprintf(dir, sizeof(dir), "%s/state-link", g_dir);
	snprintf(m.instance_type, sizeof(m.instance_type), "p5.48xlarge");
	assert_int_equal(ev_imds_cache_store(dir, "b", &m, &err), 0);
	snprintf(path, sizeof(path), "%s/imds.cache", dir);
	snprintf(target, sizeof(target), "%s/elsewhere", dir);
	assert_int_equal(rename(path, target), 0);
	assert_int_equal(symlink(target, path), 0);
	assert_int_equal(ev_imds_cache_load(dir, "b", &m, &err), -ELOOP);
	unlink(path);
	assert_int_equal(rename(target, path), 0);
	assert_int_equal(chmod(path, 0666), 0);
	assert_int_equal(ev_imds_cache_load(dir, "b", &m, &err), -EPERM);
	assert_non_null(strstr(err.msg, "not a private file"));
	/* A planted symlink in place of the state dir itself is refused too. */
	snprintf(dir, sizeof(dir), "%s/state-dirlink", g_dir);
	assert_int_equal(symlink("/tmp", dir), 0);
	assert_int_equal(ev_imds_cache_store(dir, "b", &m, &err), -ELOOP);
}

static void test_failure_is_remembered(void **state)
{
	struct ev_config c;
	struct ev_imds_info m;
	enum ev_imds_source src;
	struct ev_err err;
	long before;

	(void)state;
	cfg_for(&c, "n1", "state-negative");
	set_mode("500");
	assert_int_equal(ev_imds_get(&c, true, &m, &src, &err), -EIO);
	assert_int_equal(src, EV_IMDS_FROM_NETWORK);
	set_mode("ok");
	before = server_gets();
	/* Within the negative TTL the failure is answered from the cache. */
	assert_int_equal(ev_imds_get(&c, true, &m, &src, &err), -EAGAIN);
	assert_int_equal(src, EV_IMDS_FROM_CACHE);
	assert_non_null(strstr(err.msg, "remembered"));
	assert_int_equal(server_gets(), before);
	/* Cache-only callers never reach the network. */
	ev_config_free(&c);
	cfg_for(&c, "n1", "state-cacheonly");
	assert_int_equal(ev_imds_get(&c, false, &m, &src, &err), -ENOENT);
	assert_int_equal(server_gets(), before);
	ev_config_free(&c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_server_enforces_tokens),
		cmocka_unit_test(test_fetch_all_fields),
		cmocka_unit_test(test_no_placement_group_is_404),
		cmocka_unit_test_teardown(test_error_modes, reset_mode),
		cmocka_unit_test_teardown(test_slow_and_hang_time_out, reset_mode),
		cmocka_unit_test(test_refused_and_bad_endpoint),
		cmocka_unit_test(test_cache_serves_second_call),
		cmocka_unit_test(test_cache_other_boot_and_corrupt),
		cmocka_unit_test(test_cache_refuses_symlink_and_foreign_files),
		cmocka_unit_test_teardown(test_failure_is_remembered, reset_mode),
	};
	return cmocka_run_group_tests(tests, start_server, stop_server);
}
