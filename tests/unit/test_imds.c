/* The IMDSv2 client and its per-boot cache, against the real test server
 * (tests/imds/imds_server.py) on 127.0.0.1, started here for the group. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <curl/curl.h>

#include "config/ev_config.h"
#include "aws/ev_dmi.h"
#include "aws/ev_imds.h"
#include "aws/ev_imds_cache.h"
#include "testutil.h"

extern char **environ;

static char *g_dir;
static pid_t g_server;
static char g_url[128];

#define N1_ID "i-0123456789abcdef0"

/* ------------------------------------------------------------ the server */

static int start_server(void **state)
{
	char script[2048], data[2048], portfile[2048], buf[32] = "";
	const char *py = getenv("PYTHON");
	char *argv[10];
	int port = 0;

	(void)state;
	g_dir = tu_mkdtemp();
	snprintf(data, sizeof(data), "%s/imds.json", g_dir);
	if (tu_write(g_dir, "imds.json",
		     "{\"n1\": {\"instance_type\": \"p5.48xlarge\", \"availability_zone\": \"us-east-1a\","
		     " \"region\": \"us-east-1\", \"group_name\": \"pg-a\", \"instance_id\": \"" N1_ID "\"},"
		     " \"n2\": {\"instance_type\": \"p4d.24xlarge\", \"availability_zone\": \"us-east-1b\","
		     " \"region\": \"us-east-1\", \"group_name\": null, \"instance_id\": \"i-0bbb\"},"
		     " \"default\": {\"instance_type\": \"trn1n.32xlarge\", \"availability_zone\": "
		     "\"us-west-2-lax-1a\", \"group_name\": \"pg_default:x\", \"instance_id\": \"i-0ccc\"}}") != 0)
		return -1;
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
	if (posix_spawnp(&g_server, argv[0], NULL, NULL, argv, environ) != 0) {
		g_server = 0;
		return -1;
	}
	/* The port file appears (atomically) once the server listens: wait for
	 * it, but not forever, and not past the server's death. */
	for (int i = 0; i < 400 && !buf[0]; i++) {
		FILE *f = fopen(portfile, "r");

		if (f) {
			if (!fgets(buf, sizeof(buf), f))
				buf[0] = '\0';
			fclose(f);
		}
		if (!buf[0]) {
			if (waitpid(g_server, NULL, WNOHANG) == g_server) {
				g_server = 0;
				return -1;
			}
			usleep(25000);
		}
	}
	port = atoi(buf);
	if (port <= 0 || port > 65535)
		return -1;
	snprintf(g_url, sizeof(g_url), "http://127.0.0.1:%d", port);
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

struct answer {
	char body[8192];
	size_t len;
};

static size_t keep(char *p, size_t size, size_t n, void *ud)
{
	struct answer *a = ud;
	size_t len = size * n;

	if (len > sizeof(a->body) - 1 - a->len)
		len = sizeof(a->body) - 1 - a->len;
	memcpy(a->body + a->len, p, len);
	a->len += len;
	a->body[a->len] = '\0';
	return size * n;
}

/* A raw request to the server (to check what it enforces); the status, or -1. */
static long http(const char *method, const char *path, const char *h1, const char *h2,
		 const char *body, struct answer *a)
{
	CURL *h = curl_easy_init();
	struct curl_slist *hdr = NULL;
	struct answer scratch;
	char url[512];
	long code = -1;

	if (!a)
		a = &scratch;
	memset(a, 0, sizeof(*a));
	snprintf(url, sizeof(url), "%s%s", g_url, path);
	curl_easy_setopt(h, CURLOPT_URL, url);
	curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, method);
	curl_easy_setopt(h, CURLOPT_NOPROXY, "*");
	curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, 5000L);
	curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, keep);
	curl_easy_setopt(h, CURLOPT_WRITEDATA, a);
	if (body)
		curl_easy_setopt(h, CURLOPT_POSTFIELDS, body);
	if (h1)
		hdr = curl_slist_append(hdr, h1);
	if (h2)
		hdr = curl_slist_append(hdr, h2);
	curl_easy_setopt(h, CURLOPT_HTTPHEADER, hdr);
	if (curl_easy_perform(h) == CURLE_OK)
		curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &code);
	curl_slist_free_all(hdr);
	curl_easy_cleanup(h);
	return code;
}

static void set_mode(const char *mode)
{
	assert_int_equal(http("POST", "/_control/mode", NULL, NULL, mode, NULL), 200);
}

static int reset_mode(void **state)
{
	(void)state;
	set_mode("ok");
	return 0;
}

/* Every request that reached an IMDS path of the server, from its own stats. */
static long server_requests(void)
{
	struct answer a;
	char *p;

	assert_int_equal(http("GET", "/_control/stats", NULL, NULL, NULL, &a), 200);
	p = strstr(a.body, "\"requests\": ");
	assert_non_null(p);
	return atol(p + strlen("\"requests\": "));
}

/* The per-node count of kind ("token_puts" or "gets"). */
static long node_count(const char *node, const char *kind)
{
	struct answer a;
	char key[80], *p, *q;

	assert_int_equal(http("GET", "/_control/stats", NULL, NULL, NULL, &a), 200);
	p = strstr(a.body, "\"per_node\"");
	assert_non_null(p);
	snprintf(key, sizeof(key), "\"%s\": {", node);
	p = strstr(p, key);
	if (!p)
		return 0;
	q = strchr(p, '}');
	snprintf(key, sizeof(key), "\"%s\": ", kind);
	p = strstr(p, key);
	assert_true(p && p < q);
	return atol(p + strlen(key));
}

static void url_for(char *out, size_t cap, const char *node)
{
	snprintf(out, cap, "%s/%s", g_url, node);
}

/* A port on 127.0.0.1 with nothing listening: bound by us, then released. */
static int closed_port(void)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = 0 };
	socklen_t len = sizeof(a);
	int fd = socket(AF_INET, SOCK_STREAM, 0);

	assert_true(fd >= 0);
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_int_equal(bind(fd, (struct sockaddr *)&a, sizeof(a)), 0);
	assert_int_equal(getsockname(fd, (struct sockaddr *)&a, &len), 0);
	close(fd);
	return ntohs(a.sin_port);
}

static long elapsed_ms(const struct timespec *a)
{
	struct timespec b;

	clock_gettime(CLOCK_MONOTONIC, &b);
	return (b.tv_sec - a->tv_sec) * 1000 + (b.tv_nsec - a->tv_nsec) / 1000000;
}

/* ------------------------------------------------------------ fetch */

static void test_fetch_all_fields(void **state)
{
	struct ev_imds_info m;
	struct ev_err err;
	long puts0 = node_count("n1", "token_puts"), gets0 = node_count("n1", "gets");
	char url[256];

	(void)state;
	url_for(url, sizeof(url), "n1");
	assert_int_equal(ev_imds_fetch(url, 2000, &m, &err), 0);
	assert_string_equal(m.instance_id, N1_ID);
	assert_string_equal(m.instance_type, "p5.48xlarge");
	assert_string_equal(m.availability_zone, "us-east-1a");
	assert_string_equal(m.region, "us-east-1");
	assert_true(m.in_group);
	assert_string_equal(m.placement_group, "pg-a");
	assert_int_equal(ev_imds_validate(&m, &err), 0);
	/* One token for the whole fetch, then one GET per value. */
	assert_int_equal(node_count("n1", "token_puts"), puts0 + 1);
	assert_int_equal(node_count("n1", "gets"), gets0 + 5);
}

static void test_endpoint_forms(void **state)
{
	struct ev_imds_info m;
	struct ev_err err;
	char url[256];

	(void)state;
	/* No prefix: the server's default instance; no region there (404 is fine). */
	assert_int_equal(ev_imds_fetch(g_url, 2000, &m, &err), 0);
	assert_string_equal(m.instance_type, "trn1n.32xlarge");
	assert_string_equal(m.availability_zone, "us-west-2-lax-1a");
	assert_string_equal(m.region, "");
	assert_string_equal(m.placement_group, "pg_default:x");
	/* Trailing slashes dropped, scheme case ignored, prefix kept. */
	snprintf(url, sizeof(url), "HTTP://%s/n1//", g_url + strlen("http://"));
	assert_int_equal(ev_imds_fetch(url, 2000, &m, &err), 0);
	assert_string_equal(m.instance_type, "p5.48xlarge");
}

static void test_no_placement_group_is_404(void **state)
{
	struct ev_imds_info m;
	struct ev_err err;
	char url[256];

	(void)state;
	url_for(url, sizeof(url), "n2");
	assert_int_equal(ev_imds_fetch(url, 2000, &m, &err), 0);
	assert_string_equal(m.instance_type, "p4d.24xlarge");
	assert_string_equal(m.availability_zone, "us-east-1b");
	assert_false(m.in_group);
	assert_string_equal(m.placement_group, "");
	assert_int_equal(ev_imds_validate(&m, &err), 0);
}

static void test_error_modes(void **state)
{
	static const struct { const char *mode; int rc; const char *phrase, *where; } cases[] = {
		{ "401", -EACCES, "IMDS token: refused, HTTP 401", "PUT %s/n1/latest/api/token" },
		{ "500", -EIO, "IMDS token: HTTP 500", "PUT %s/n1/latest/api/token" },
		{ "garbage", -EBADMSG, "IMDS instance-id: HTTP 200 but the answer is not a valid instance id",
		  "GET %s/n1/latest/meta-data/instance-id" },
		{ "huge", -EMSGSIZE, "answer larger than 4096 bytes", "GET %s/n1/latest/meta-data/instance-id" },
		{ "down", -EIO, "IMDS token: connection closed without an answer",
		  "PUT %s/n1/latest/api/token" },
	};
	struct ev_imds_info m;
	struct ev_err err;
	char url[256], where[512];

	(void)state;
	url_for(url, sizeof(url), "n1");
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		set_mode(cases[i].mode);
		memset(&m, 'x', sizeof(m));
		assert_int_equal(ev_imds_fetch(url, 2000, &m, &err), cases[i].rc);
		snprintf(where, sizeof(where), cases[i].where, g_url);
		if (!strstr(err.msg, cases[i].phrase) || !strstr(err.msg, where))
			fail_msg("mode %s: '%s' lacks '%s' or '%s'", cases[i].mode, err.msg,
				 cases[i].phrase, where);
		/* Nothing half-filled is handed back. */
		assert_string_equal(m.instance_type, "");
		assert_string_equal(m.instance_id, "");
		assert_false(m.in_group);
	}
}

static void test_slow_and_hang_time_out(void **state)
{
	struct ev_imds_info m;
	struct ev_err err;
	struct timespec t0;
	char url[256];

	(void)state;
	url_for(url, sizeof(url), "n1");
	/* Slow but within the timeout: still an answer. */
	set_mode("slow:50");
	assert_int_equal(ev_imds_fetch(url, 2000, &m, &err), 0);
	assert_string_equal(m.placement_group, "pg-a");
	/* Bounded by the timeout (loosely: a correctness bound, not a speed
	 * test), never by the server. */
	set_mode("slow:3000");
	clock_gettime(CLOCK_MONOTONIC, &t0);
	assert_int_equal(ev_imds_fetch(url, 300, &m, &err), -ETIMEDOUT);
	assert_true(elapsed_ms(&t0) < 3 * 300);
	assert_non_null(strstr(err.msg, "IMDS token: timed out after 300 ms"));
	set_mode("hang");
	clock_gettime(CLOCK_MONOTONIC, &t0);
	assert_int_equal(ev_imds_fetch(url, 300, &m, &err), -ETIMEDOUT);
	assert_true(elapsed_ms(&t0) < 3 * 300);
	assert_string_equal(m.instance_type, "");
}

static void test_refused_and_bad_endpoints(void **state)
{
	static const char *const bad[] = {
		"", "ftp://127.0.0.1", "file:///etc/passwd", "http://", "http:///latest",
		"http://127.0.0.1 /n1", "http://127.0.0.1\r\nX-Injected: 1", "http://user@127.0.0.1",
		"http://127.0.0.1/?x=1", "http://127.0.0.1/#frag", "127.0.0.1:80",
	};
	struct ev_imds_info m;
	struct ev_err err;
	char url[1024];
	long before = server_requests();

	(void)state;
	snprintf(url, sizeof(url), "http://127.0.0.1:%d/n1", closed_port());
	assert_int_equal(ev_imds_fetch(url, 1000, &m, &err), -ECONNREFUSED);
	assert_non_null(strstr(err.msg, "cannot connect"));
	assert_non_null(strstr(err.msg, url));
	assert_int_equal(ev_imds_fetch(NULL, 500, &m, &err), -EINVAL);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		memset(&err, 0, sizeof(err));
		if (ev_imds_fetch(bad[i], 500, &m, &err) != -EINVAL)
			fail_msg("endpoint '%s' accepted", bad[i]);
		assert_true(strlen(err.msg) > 0);
		assert_null(strpbrk(err.msg, "\r\n"));
	}
	memset(url, 'a', sizeof(url) - 1);
	memcpy(url, "http://", 7);
	url[sizeof(url) - 1] = '\0';
	assert_int_equal(ev_imds_fetch(url, 500, &m, &err), -EINVAL);
	/* None of that reached the server. */
	assert_int_equal(server_requests(), before);
	/* Unknown node prefix: the token PUT is 404. */
	url_for(url, sizeof(url), "n9");
	assert_int_equal(ev_imds_fetch(url, 1000, &m, &err), -EIO);
	assert_non_null(strstr(err.msg, "HTTP 404"));
	assert_non_null(strstr(err.msg, "/n9/latest/api/token"));
}

static void test_proxy_environment_ignored(void **state)
{
	struct ev_imds_info m;
	struct ev_err err;
	char proxy[64], url[256];

	(void)state;
	/* A job's proxy points at nothing; IMDS must still be asked directly. */
	snprintf(proxy, sizeof(proxy), "http://127.0.0.1:%d", closed_port());
	setenv("http_proxy", proxy, 1);
	setenv("HTTP_PROXY", proxy, 1);
	setenv("ALL_PROXY", proxy, 1);
	unsetenv("no_proxy");
	unsetenv("NO_PROXY");
	url_for(url, sizeof(url), "n2");
	assert_int_equal(ev_imds_fetch(url, 2000, &m, &err), 0);
	assert_string_equal(m.instance_id, "i-0bbb");
	unsetenv("http_proxy");
	unsetenv("HTTP_PROXY");
	unsetenv("ALL_PROXY");
}

static void fill(struct ev_imds_info *m)
{
	memset(m, 0, sizeof(*m));
	snprintf(m->instance_id, sizeof(m->instance_id), "%s", N1_ID);
	snprintf(m->instance_type, sizeof(m->instance_type), "p5.48xlarge");
	snprintf(m->availability_zone, sizeof(m->availability_zone), "us-east-1a");
	snprintf(m->region, sizeof(m->region), "us-east-1");
	snprintf(m->placement_group, sizeof(m->placement_group), "pg-a");
	m->in_group = true;
}

static void test_validate(void **state)
{
	static const struct { const char *field, *value; } bad[] = {
		{ "id", "" }, { "id", "x-0123" }, { "id", "i-" }, { "id", "i-XYZ" },
		{ "type", "" }, { "type", "p5" }, { "type", "P5.48xlarge" }, { "type", "p5..48xlarge" },
		{ "type", ".48xlarge" }, { "type", "p5.48xlarge." }, { "type", "p5.48x;rm" },
		{ "az", "" }, { "az", "US-EAST-1A" }, { "az", "1us" }, { "az", "us east" },
		{ "region", "us_east" }, { "group", "pg a" }, { "group", "pg\ta" }, { "group", "pg\x7f" },
	};
	struct ev_imds_info m;
	struct ev_err err;

	(void)state;
	fill(&m);
	assert_int_equal(ev_imds_validate(&m, &err), 0);
	m.in_group = false;
	assert_int_equal(ev_imds_validate(&m, &err), -EBADMSG);
	m.placement_group[0] = '\0';
	assert_int_equal(ev_imds_validate(&m, &err), 0);
	m.in_group = true;
	assert_int_equal(ev_imds_validate(&m, &err), -EBADMSG);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		char *dst;
		size_t cap;

		fill(&m);
		if (!strcmp(bad[i].field, "id"))
			dst = m.instance_id, cap = sizeof(m.instance_id);
		else if (!strcmp(bad[i].field, "type"))
			dst = m.instance_type, cap = sizeof(m.instance_type);
		else if (!strcmp(bad[i].field, "az"))
			dst = m.availability_zone, cap = sizeof(m.availability_zone);
		else if (!strcmp(bad[i].field, "region"))
			dst = m.region, cap = sizeof(m.region);
		else
			dst = m.placement_group, cap = sizeof(m.placement_group);
		snprintf(dst, cap, "%s", bad[i].value);
		if (ev_imds_validate(&m, &err) != -EBADMSG)
			fail_msg("%s '%s' accepted", bad[i].field, bad[i].value);
	}
	/* A group name of 256 characters is longer than any real one. */
	fill(&m);
	memset(m.placement_group, 'g', sizeof(m.placement_group));
	assert_int_equal(ev_imds_validate(&m, &err), -EBADMSG);
}

/* ------------------------------------------------------------ cache */

static void state_path(char *out, size_t cap, const char *name)
{
	snprintf(out, cap, "%s/%s", g_dir, name);
}

/* The instance type from DMI where IMDS does not answer: only a name IMDS
 * itself could have given, never a longer product name cut to look like
 * one. */
static void test_dmi_instance_type(void **state)
{
	static const struct { const char *text; int rc; const char *type; } cases[] = {
		{ "p5.48xlarge\n", 0, "p5.48xlarge" },
		{ "u-6tb1.metal", 0, "u-6tb1.metal" },
		{ "trn1n.32xlarge  \n", 0, "trn1n.32xlarge" },
		{ "HVM domU\n", -EBADMSG, "" },
		{ "Standard PC (Q35 + ICH9, 2009)\n", -EBADMSG, "" },
		{ "P5.48XLARGE\n", -EBADMSG, "" },
		{ "p5..48xlarge\n", -EBADMSG, "" },
		{ "p5.48xlarge\nc5.large\n", -EBADMSG, "" },
		{ "\n", -EBADMSG, "" },
	};
	char *dir = tu_mkdtemp(), big[400], out[EV_NAME_MAX];
	struct ev_err err = { "" };

	(void)state;
	assert_int_equal(ev_dmi_instance_type(dir, out, sizeof(out), &err), -ENOENT);
	assert_string_equal(out, "");
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		assert_int_equal(tu_write(dir, "class/dmi/id/product_name", cases[i].text), 0);
		assert_int_equal(ev_dmi_instance_type(dir, out, sizeof(out), &err), cases[i].rc);
		assert_string_equal(out, cases[i].type);
	}
	assert_non_null(strstr(err.msg, "is not an instance type"));
	/* Longer than the read: refused whole, not cut into a type. */
	memset(big, 'a', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	memcpy(big + 250, ".large", 6);
	assert_int_equal(tu_write(dir, "class/dmi/id/product_name", big), 0);
	assert_int_equal(ev_dmi_instance_type(dir, out, sizeof(out), &err), -EBADMSG);
	big[256] = '\0';
	assert_int_equal(tu_write(dir, "class/dmi/id/product_name", big), 0);
	assert_int_equal(ev_dmi_instance_type(dir, out, sizeof(out), &err), -EBADMSG);
	/* A name that fits the check but not the caller's buffer. */
	assert_int_equal(tu_write(dir, "class/dmi/id/product_name", "p5.48xlarge"), 0);
	assert_int_equal(ev_dmi_instance_type(dir, out, 8, &err), -EBADMSG);
	assert_true(ev_imds_instance_type_ok("p5.48xlarge"));
	assert_false(ev_imds_instance_type_ok("HVM domU"));
	assert_false(ev_imds_instance_type_ok(NULL));
	tu_rm_rf(dir);
	free(dir);
}

static void test_cache_round_trip_and_other_boot(void **state)
{
	struct ev_imds_info m, got;
	struct ev_err err;
	char dir[2048], file[2100];
	struct stat st;

	(void)state;
	state_path(dir, sizeof(dir), "state-rt/deeper");
	fill(&m);
	assert_int_equal(ev_imds_cache_load(dir, "b007-a", &got, &err), -ENOENT);
	assert_int_equal(ev_imds_cache_store(dir, "b007-a", &m, &err), 0);
	assert_int_equal(stat(dir, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0700);
	snprintf(file, sizeof(file), "%s/imds.cache", dir);
	assert_int_equal(stat(file, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	memset(&got, 'x', sizeof(got));
	assert_int_equal(ev_imds_cache_load(dir, "b007-a", &got, &err), 0);
	assert_string_equal(got.instance_id, m.instance_id);
	assert_string_equal(got.instance_type, m.instance_type);
	assert_string_equal(got.availability_zone, m.availability_zone);
	assert_string_equal(got.region, m.region);
	assert_string_equal(got.placement_group, m.placement_group);
	assert_true(got.in_group);
	assert_int_equal(ev_imds_cache_load(dir, "b007-b", &got, &err), -ESTALE);
	assert_string_equal(got.instance_type, "");
	/* Not in a group and no region round-trips as such. */
	m.in_group = false;
	m.placement_group[0] = '\0';
	m.region[0] = '\0';
	assert_int_equal(ev_imds_cache_store(dir, "b007-a", &m, &err), 0);
	assert_int_equal(ev_imds_cache_load(dir, "b007-a", &got, &err), 0);
	assert_false(got.in_group);
	assert_string_equal(got.placement_group, "");
	assert_string_equal(got.region, "");
	/* What could not have come from IMDS is not cached; nor a bad boot id. */
	snprintf(m.instance_type, sizeof(m.instance_type), "p5\n.x");
	assert_int_equal(ev_imds_cache_store(dir, "b007-a", &m, &err), -EINVAL);
	fill(&m);
	assert_int_equal(ev_imds_cache_store(dir, "boot\nid=x", &m, &err), -EINVAL);
	/* The kernel's format only, as every other boot id efa-verify keeps. */
	assert_int_equal(ev_imds_cache_store(dir, "B007-A", &m, &err), -EINVAL);
	assert_int_equal(ev_imds_cache_store("relative/dir", "b007-a", &m, &err), -EINVAL);
	assert_int_equal(ev_imds_cache_load("relative/dir", "b007-a", &got, &err), -EINVAL);
}

#define HEAD "efa-verify-imds-cache 1\nboot_id=b\nfetched_at=1700000000\n"
#define GOOD "instance_id=i-0abc\ninstance_type=p5.48xlarge\navailability_zone=us-east-1a\n" \
	     "region=us-east-1\nin_group=1\nplacement_group=pg-a\n"

static void test_cache_corrupt_files(void **state)
{
	static const struct { const char *text; int rc; } cases[] = {
		{ HEAD GOOD, 0 },
		{ "", -EBADMSG },
		{ "\x7f" "ELF\x02\x01\x01", -EBADMSG },
		{ "efa-verify-imds-cache 2\nboot_id=b\n" GOOD, -EBADMSG },
		{ HEAD GOOD "bogus=1\n", -EBADMSG },
		{ HEAD GOOD "instance_type=p4d.24xlarge\n", -EBADMSG },
		{ HEAD GOOD "no equals sign\n", -EBADMSG },
		{ HEAD "instance_id=i-0abc\ninstance_type=p5.48xlarge\navailability_zone=us-east-1a\n"
		       "region=us-east-1\nin_group=1\nplacement_group=pg-a", -EBADMSG },  /* torn */
		{ HEAD "instance_id=i-0abc\ninstance_type=a;rm -rf /\navailability_zone=us-east-1a\n"
		       "in_group=0\nplacement_group=\n", -EBADMSG },
		{ HEAD "instance_id=i-0abc\ninstance_type=p5.48xlarge\navailability_zone=us-east-1a\n"
		       "in_group=yes\nplacement_group=pg-a\n", -EBADMSG },
		{ HEAD "instance_id=i-0abc\ninstance_type=p5.48xlarge\navailability_zone=us-east-1a\n"
		       "in_group=0\nplacement_group=pg-a\n", -EBADMSG },
		{ HEAD "instance_id=i-0abc\navailability_zone=us-east-1a\nin_group=0\n", -EBADMSG },
		{ "efa-verify-imds-cache 1\nboot_id=b\nfetched_at=12x\n" GOOD, -EBADMSG },
		{ "efa-verify-imds-cache 1\nboot_id=b\nfailed_at=99999999999999999999\nfailure=x\n",
		  -EBADMSG },
	};
	struct ev_imds_info m;
	struct ev_err err;
	char dir[2048], big[4096];

	(void)state;
	state_path(dir, sizeof(dir), "state-corrupt");
	assert_int_equal(mkdir(dir, 0700), 0);
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		int rc;

		assert_int_equal(tu_write(dir, "imds.cache", cases[i].text), 0);
		rc = ev_imds_cache_load(dir, "b", &m, &err);
		if (rc != cases[i].rc)
			fail_msg("case %zu: rc %d, expected %d (%s)", i, rc, cases[i].rc, err.msg);
		if (rc)
			assert_string_equal(m.instance_type, "");
	}
	/* A NUL inside the file. */
	{
		char path[2100];
		FILE *f;

		snprintf(path, sizeof(path), "%s/imds.cache", dir);
		f = fopen(path, "w");
		assert_non_null(f);
		fwrite(HEAD "instance_id=i-0abc\0x\n", 1, sizeof(HEAD "instance_id=i-0abc\0x\n") - 1, f);
		fclose(f);
		assert_int_equal(ev_imds_cache_load(dir, "b", &m, &err), -EBADMSG);
	}
	/* A bad key is named in the message, which goes to a log line: its
	 * control bytes are not (fuzz/regressions/imds/cache_key_control_bytes). */
	assert_int_equal(tu_write(dir, "imds.cache", HEAD "\x01\x1b[2J\x7f=x\n"), 0);
	assert_int_equal(ev_imds_cache_load(dir, "b", &m, &err), -EBADMSG);
	assert_non_null(strstr(err.msg, "bad or repeated entry '?" "?[2J?'"));
	/* Larger than any entry: refused before parsing. */
	memset(big, 'a', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	memcpy(big, HEAD, strlen(HEAD));
	assert_int_equal(tu_write(dir, "imds.cache", big), 0);
	assert_int_equal(ev_imds_cache_load(dir, "b", &m, &err), -EFBIG);
}

static void test_cache_refuses_links_and_foreign_files(void **state)
{
	struct ev_imds_info m;
	struct ev_err err;
	char dir[2048], path[2100], target[2100], link[2048];

	(void)state;
	state_path(dir, sizeof(dir), "state-link");
	fill(&m);
	assert_int_equal(ev_imds_cache_store(dir, "b", &m, &err), 0);
	snprintf(path, sizeof(path), "%s/imds.cache", dir);
	snprintf(target, sizeof(target), "%s/elsewhere", dir);
	/* A symlink planted at the cache path, even to a good file: refused. */
	assert_int_equal(rename(path, target), 0);
	assert_int_equal(symlink(target, path), 0);
	assert_int_equal(ev_imds_cache_load(dir, "b", &m, &err), -ELOOP);
	assert_non_null(strstr(err.msg, "symbolic link"));
	/* Storing replaces the link itself and leaves its target alone. */
	fill(&m);
	assert_int_equal(ev_imds_cache_store(dir, "b2", &m, &err), 0);
	{
		struct stat st;

		assert_int_equal(lstat(path, &st), 0);
		assert_true(S_ISREG(st.st_mode));
		assert_int_equal(ev_imds_cache_load(dir, "b", &m, &err), -ESTALE);
	}
	unlink(path);
	assert_int_equal(rename(target, path), 0);
	/* Writable by others: refused. */
	assert_int_equal(chmod(path, 0666), 0);
	assert_int_equal(ev_imds_cache_load(dir, "b", &m, &err), -EPERM);
	assert_non_null(strstr(err.msg, "not a private file"));
	assert_int_equal(chmod(path, 0620), 0);
	assert_int_equal(ev_imds_cache_load(dir, "b", &m, &err), -EPERM);
	/* (Owned by someone else: test_cache_refuses_other_owner.) */
	assert_int_equal(chmod(path, 0600), 0);
	assert_int_equal(ev_imds_cache_load(dir, "b", &m, &err), 0);
	/* A FIFO in its place neither hangs nor is read. */
	unlink(path);
	assert_int_equal(mkfifo(path, 0600), 0);
	assert_int_equal(ev_imds_cache_load(dir, "b", &m, &err), -EPERM);
	unlink(path);
	/* A symlink in place of the state dir itself: refused both ways. */
	state_path(link, sizeof(link), "state-dirlink");
	assert_int_equal(symlink(dir, link), 0);
	fill(&m);
	assert_int_equal(ev_imds_cache_store(link, "b", &m, &err), -ELOOP);
	assert_int_equal(ev_imds_cache_store(dir, "b", &m, &err), 0);
	assert_int_equal(ev_imds_cache_load(link, "b", &m, &err), -ELOOP);
}

struct as_user {
	const char *dir;
	int want;
};

/* In tu_as_unprivileged's child: no cmocka asserts, a status instead. */
static int load_as_user(void *arg)
{
	const struct as_user *u = arg;
	struct ev_imds_info m;
	struct ev_err err = { "" };
	int rc = ev_imds_cache_load(u->dir, "b", &m, &err);

	if (rc != u->want || (rc == -EPERM && !strstr(err.msg, "not a private file"))) {
		fprintf(stderr, "# load as uid %u: %d (%s), expected %d\n", (unsigned)geteuid(), rc, err.msg,
			u->want);
		return 1;
	}
	return 0;
}

/* A cache file of another user's is not this user's cache, both ways:
 * root refuses an unprivileged user's file, and an unprivileged user (in
 * a child that dropped root) refuses root's, readable as it is. Only root
 * can make another user's file, so only a root run shows it (CI runs as
 * root); elsewhere it says SKIP. */
static void test_cache_refuses_other_owner(void **state)
{
	uid_t other = tu_unprivileged_uid();
	struct ev_imds_info m;
	struct as_user u;
	struct ev_err err;
	char dir[2048], path[2100], *udir;

	(void)state;
	if (geteuid() != 0)
		tu_skip("needs root: only root can give a file to another user (chown)");
	state_path(dir, sizeof(dir), "state-owner");
	assert_int_equal(mkdir(dir, 0700), 0);
	assert_int_equal(tu_write(dir, "imds.cache", HEAD GOOD), 0);
	snprintf(path, sizeof(path), "%s/imds.cache", dir);
	assert_int_equal(chmod(path, 0600), 0);
	assert_int_equal(ev_imds_cache_load(dir, "b", &m, &err), 0);
	assert_int_equal(chown(path, other, (gid_t)-1), 0);
	assert_int_equal(ev_imds_cache_load(dir, "b", &m, &err), -EPERM);
	assert_non_null(strstr(err.msg, "not a private file"));
	assert_string_equal(m.instance_type, "");

	udir = tu_mkdtemp_unprivileged();
	if (!udir)
		tu_skip("no directory an unprivileged user can reach ($TMPDIR, /tmp, /var/tmp, /dev/shm)");
	assert_int_equal(tu_write(udir, "imds.cache", HEAD GOOD), 0);
	snprintf(path, sizeof(path), "%s/imds.cache", udir);
	/* Readable by all: what refuses it is its owner, not its mode. */
	assert_int_equal(chmod(path, 0644), 0);
	u.dir = udir;
	u.want = -EPERM;
	assert_int_equal(tu_as_unprivileged(load_as_user, &u), 0);
	/* ...as the same file, the user's own, is read. */
	assert_int_equal(chown(path, other, (gid_t)other), 0);
	u.want = 0;
	assert_int_equal(tu_as_unprivileged(load_as_user, &u), 0);
	tu_rm_rf(udir);
	free(udir);
}

static void test_negative_cache_expires(void **state)
{
	struct ev_imds_info m;
	struct ev_err err;
	char dir[2048];
	time_t t0 = time(NULL);

	(void)state;
	state_path(dir, sizeof(dir), "state-neg");
	assert_int_equal(ev_imds_cache_store_failure(dir, "b", "IMDS token: timed out\nafter 1 ms",
						     &err), 0);
	assert_int_equal(ev_imds_cache_load(dir, "b", &m, &err), -EAGAIN);
	/* The reason comes back, on one line. */
	assert_string_equal(err.msg, "IMDS token: timed out after 1 ms (remembered)");
	assert_int_equal(ev_imds_cache_load_at(dir, "b", t0 + EV_IMDS_NEGATIVE_TTL_S - 2, &m, &err),
			 -EAGAIN);
	assert_int_equal(ev_imds_cache_load_at(dir, "b", t0 + EV_IMDS_NEGATIVE_TTL_S + 2, &m, &err),
			 -ENOENT);
	assert_non_null(strstr(err.msg, "expired"));
	/* Dated in the future (the clock went back): not trusted either. */
	assert_int_equal(ev_imds_cache_load_at(dir, "b", t0 - 100, &m, &err), -ENOENT);
	/* Another boot's failure is not this boot's. */
	assert_int_equal(ev_imds_cache_load(dir, "c", &m, &err), -ESTALE);
}

static void cfg_for(struct ev_config *c, const char *node, const char *state)
{
	struct ev_err err;

	assert_int_equal(ev_config_defaults(c, &err), 0);
	url_for(c->imds_endpoint, sizeof(c->imds_endpoint), node);
	c->imds_timeout_ms = 1000;
	state_path(c->state_dir, sizeof(c->state_dir), state);
}

static void test_get_second_call_from_cache(void **state)
{
	struct ev_config c;
	struct ev_imds_info m;
	enum ev_imds_source src;
	struct ev_err err;
	long before;

	(void)state;
	cfg_for(&c, "n1", "state-get");
	before = server_requests();
	assert_int_equal(ev_imds_get(&c, true, &m, &src, &err), 0);
	assert_int_equal(src, EV_IMDS_FROM_NETWORK);
	assert_string_equal(m.placement_group, "pg-a");
	assert_int_equal(server_requests(), before + 6);
	before = server_requests();
	for (int i = 0; i < 3; i++) {
		memset(&m, 0, sizeof(m));
		assert_int_equal(ev_imds_get(&c, true, &m, &src, &err), 0);
		assert_int_equal(src, EV_IMDS_FROM_CACHE);
		assert_string_equal(m.instance_id, N1_ID);
		assert_string_equal(m.placement_group, "pg-a");
	}
	/* Zero IMDS requests once cached. */
	assert_int_equal(server_requests(), before);
	ev_config_free(&c);
}

static void test_get_without_a_writable_cache(void **state)
{
	struct ev_config c;
	struct ev_imds_info m;
	enum ev_imds_source src;
	struct ev_err err;
	long before;

	(void)state;
	/* state_dir below a regular file: it can never be created. */
	assert_int_equal(tu_write(g_dir, "plainfile", "x"), 0);
	cfg_for(&c, "n2", "plainfile/state");
	before = server_requests();
	assert_int_equal(ev_imds_get(&c, true, &m, &src, &err), 0);
	assert_int_equal(src, EV_IMDS_FROM_NETWORK);
	assert_string_equal(m.instance_type, "p4d.24xlarge");
	assert_false(m.in_group);
	/* Nothing was cached, so the next call asks again. */
	assert_int_equal(ev_imds_get(&c, true, &m, &src, &err), 0);
	assert_int_equal(src, EV_IMDS_FROM_NETWORK);
	assert_int_equal(server_requests(), before + 12);
	ev_config_free(&c);
}

static void test_get_remembers_failure(void **state)
{
	struct ev_config c;
	struct ev_imds_info m;
	enum ev_imds_source src;
	struct ev_err err;
	long before;

	(void)state;
	cfg_for(&c, "n1", "state-fail");
	set_mode("500");
	assert_int_equal(ev_imds_get(&c, true, &m, &src, &err), -EIO);
	assert_int_equal(src, EV_IMDS_FROM_NETWORK);
	assert_non_null(strstr(err.msg, "HTTP 500"));
	set_mode("ok");
	before = server_requests();
	/* Within the negative TTL the failure is answered from the cache. */
	assert_int_equal(ev_imds_get(&c, true, &m, &src, &err), -EAGAIN);
	assert_int_equal(src, EV_IMDS_FROM_CACHE);
	assert_non_null(strstr(err.msg, "HTTP 500"));
	assert_non_null(strstr(err.msg, "(remembered)"));
	assert_int_equal(server_requests(), before);
	ev_config_free(&c);
	/* Cache-only callers never reach the network. */
	cfg_for(&c, "n1", "state-cacheonly");
	assert_int_equal(ev_imds_get(&c, false, &m, &src, &err), -ENOENT);
	assert_int_equal(src, EV_IMDS_FROM_CACHE);
	assert_int_equal(server_requests(), before);
	ev_config_free(&c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_fetch_all_fields),
		cmocka_unit_test(test_endpoint_forms),
		cmocka_unit_test(test_no_placement_group_is_404),
		cmocka_unit_test_teardown(test_error_modes, reset_mode),
		cmocka_unit_test_teardown(test_slow_and_hang_time_out, reset_mode),
		cmocka_unit_test(test_refused_and_bad_endpoints),
		cmocka_unit_test(test_proxy_environment_ignored),
		cmocka_unit_test(test_validate),
		cmocka_unit_test(test_dmi_instance_type),
		cmocka_unit_test(test_cache_round_trip_and_other_boot),
		cmocka_unit_test(test_cache_corrupt_files),
		cmocka_unit_test(test_cache_refuses_links_and_foreign_files),
		cmocka_unit_test(test_cache_refuses_other_owner),
		cmocka_unit_test(test_negative_cache_expires),
		cmocka_unit_test(test_get_second_call_from_cache),
		cmocka_unit_test(test_get_without_a_writable_cache),
		cmocka_unit_test_teardown(test_get_remembers_failure, reset_mode),
	};
	return cmocka_run_group_tests(tests, start_server, stop_server);
}
