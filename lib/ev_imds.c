/* IMDSv2 with libcurl. Everything about a request is bounded: connect and
 * total time, body size, what a value may contain. It runs inside slurmstepd,
 * so no signals (CURLOPT_NOSIGNAL), no proxy from the environment, no
 * redirects. */
#include "ev_imds.h"

#include <ctype.h>
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>

#include <curl/curl.h>

#define IMDS_BODY_MAX 4096
#define IMDS_TOKEN_TTL "21600"

struct body {
	char buf[IMDS_BODY_MAX + 1];
	size_t len;
	bool overflow;
};

static size_t on_body(char *ptr, size_t size, size_t nmemb, void *userdata)
{
	struct body *b = userdata;
	size_t n = size * nmemb;

	if (b->len + n > IMDS_BODY_MAX) {
		b->overflow = true;
		return 0;   /* makes curl stop with CURLE_WRITE_ERROR */
	}
	memcpy(b->buf + b->len, ptr, n);
	b->len += n;
	b->buf[b->len] = '\0';
	return n;
}

/* curl_global_init is not thread-safe and must run once; the plugin may be
 * loaded in a threaded slurmstepd, so it is done under pthread_once. */
static pthread_once_t curl_once = PTHREAD_ONCE_INIT;
static CURLcode curl_init_rc;
static void curl_init(void)
{
	curl_init_rc = curl_global_init(CURL_GLOBAL_DEFAULT);
}

struct req {
	CURL *h;
	char base[512];
	char token[256];
	long timeout_ms;
	struct body body;
	char curl_err[CURL_ERROR_SIZE];
};

static int map_curl_error(struct req *r, CURLcode rc, const char *what, struct ev_err *err)
{
	switch (rc) {
	case CURLE_OPERATION_TIMEDOUT:
		return ev_errf(err, -ETIMEDOUT, "IMDS %s: timed out after %ld ms", what, r->timeout_ms);
	case CURLE_COULDNT_CONNECT:
		return ev_errf(err, -ECONNREFUSED, "IMDS %s: cannot connect to %s (%s)", what, r->base,
			       r->curl_err[0] ? r->curl_err : curl_easy_strerror(rc));
	case CURLE_COULDNT_RESOLVE_HOST:
		return ev_errf(err, -EHOSTUNREACH, "IMDS %s: cannot resolve %s", what, r->base);
	case CURLE_WRITE_ERROR:
		if (r->body.overflow)
			return ev_errf(err, -EMSGSIZE, "IMDS %s: answer larger than %d bytes", what,
				       IMDS_BODY_MAX);
		/* fallthrough */
	default:
		return ev_errf(err, -EIO, "IMDS %s: %s", what,
			       r->curl_err[0] ? r->curl_err : curl_easy_strerror(rc));
	}
}

/* One request; *status gets the HTTP status. */
static int do_req(struct req *r, bool put, const char *path, const char *what, long *status,
		  struct ev_err *err)
{
	struct curl_slist *hdr = NULL;
	char url[768], h[300];
	CURLcode rc;

	snprintf(url, sizeof(url), "%s%s", r->base, path);
	memset(&r->body, 0, sizeof(r->body));
	r->curl_err[0] = '\0';
	curl_easy_setopt(r->h, CURLOPT_URL, url);
	if (put) {
		curl_easy_setopt(r->h, CURLOPT_CUSTOMREQUEST, "PUT");
		hdr = curl_slist_append(hdr, "X-aws-ec2-metadata-token-ttl-seconds: " IMDS_TOKEN_TTL);
	} else {
		curl_easy_setopt(r->h, CURLOPT_CUSTOMREQUEST, NULL);
		curl_easy_setopt(r->h, CURLOPT_HTTPGET, 1L);
		snprintf(h, sizeof(h), "X-aws-ec2-metadata-token: %s", r->token);
		hdr = curl_slist_append(hdr, h);
	}
	if (!hdr)
		return ev_errf(err, -ENOMEM, "IMDS %s: out of memory", what);
	curl_easy_setopt(r->h, CURLOPT_HTTPHEADER, hdr);
	rc = curl_easy_perform(r->h);
	curl_easy_setopt(r->h, CURLOPT_HTTPHEADER, NULL);
	curl_slist_free_all(hdr);
	if (rc != CURLE_OK)
		return map_curl_error(r, rc, what, err);
	curl_easy_getinfo(r->h, CURLINFO_RESPONSE_CODE, status);
	return 0;
}

/* Metadata values are short printable words: anything else is not IMDS. */
static bool plausible(const char *s, size_t len)
{
	if (len == 0 || len > 255)
		return false;
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];

		if (!(isalnum(c) || c == '-' || c == '.' || c == '_' || c == ':'))
			return false;
	}
	return true;
}

static int get_value(struct req *r, const char *leaf, char *out, size_t cap, bool *absent,
		     struct ev_err *err)
{
	char path[128];
	long status = 0;
	int rc;

	snprintf(path, sizeof(path), "/latest/meta-data/%s", leaf);
	rc = do_req(r, false, path, leaf, &status, err);
	if (rc)
		return rc;
	if (status == 404 && absent) {
		*absent = true;
		return 0;
	}
	if (status == 401 || status == 403)
		return ev_errf(err, -EACCES, "IMDS %s: token refused (HTTP %ld)", leaf, status);
	if (status != 200)
		return ev_errf(err, -EIO, "IMDS %s: HTTP %ld", leaf, status);
	if (!plausible(r->body.buf, r->body.len) || r->body.len >= cap)
		return ev_errf(err, -EBADMSG, "IMDS %s: answer is not a metadata value (%zu bytes)",
			       leaf, r->body.len);
	memcpy(out, r->body.buf, r->body.len + 1);
	if (absent)
		*absent = false;
	return 0;
}

int ev_imds_fetch(const char *endpoint, long timeout_ms, struct ev_imds_info *out,
		  struct ev_err *err)
{
	struct req r;
	long status = 0;
	bool no_group = false;
	size_t len;
	int rc;

	memset(out, 0, sizeof(*out));
	if (!endpoint || (strncmp(endpoint, "http://", 7) != 0 && strncmp(endpoint, "https://", 8) != 0))
		return ev_errf(err, -EINVAL, "IMDS endpoint '%.64s' is not an http(s) URL",
			       endpoint ? endpoint : "");
	len = strlen(endpoint);
	memset(&r, 0, sizeof(r));
	if (len >= sizeof(r.base))
		return ev_errf(err, -EINVAL, "IMDS endpoint is too long");
	memcpy(r.base, endpoint, len + 1);
	while (len > 8 && r.base[len - 1] == '/')
		r.base[--len] = '\0';
	r.timeout_ms = timeout_ms > 0 ? timeout_ms : 1000;

	pthread_once(&curl_once, curl_init);
	if (curl_init_rc != CURLE_OK)
		return ev_errf(err, -EIO, "IMDS: libcurl init failed");
	r.h = curl_easy_init();
	if (!r.h)
		return ev_errf(err, -ENOMEM, "IMDS: libcurl init failed");
	curl_easy_setopt(r.h, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(r.h, CURLOPT_CONNECTTIMEOUT_MS, r.timeout_ms);
	curl_easy_setopt(r.h, CURLOPT_TIMEOUT_MS, r.timeout_ms);
	curl_easy_setopt(r.h, CURLOPT_NOPROXY, "*");
	curl_easy_setopt(r.h, CURLOPT_FOLLOWLOCATION, 0L);
	curl_easy_setopt(r.h, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(r.h, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(r.h, CURLOPT_WRITEDATA, &r.body);
	curl_easy_setopt(r.h, CURLOPT_ERRORBUFFER, r.curl_err);
	curl_easy_setopt(r.h, CURLOPT_USERAGENT, "efa-verify");

	rc = do_req(&r, true, "/latest/api/token", "token", &status, err);
	if (rc)
		goto out;
	if (status == 401 || status == 403) {
		rc = ev_errf(err, -EACCES, "IMDS token: refused (HTTP %ld)", status);
		goto out;
	}
	if (status != 200) {
		rc = ev_errf(err, -EIO, "IMDS token: HTTP %ld", status);
		goto out;
	}
	if (r.body.len == 0 || r.body.len >= sizeof(r.token) ||
	    strspn(r.body.buf, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_=+/.") !=
		    r.body.len) {
		rc = ev_errf(err, -EBADMSG, "IMDS token: answer is not a token (%zu bytes)", r.body.len);
		goto out;
	}
	memcpy(r.token, r.body.buf, r.body.len + 1);

	if ((rc = get_value(&r, "instance-id", out->instance_id, sizeof(out->instance_id), NULL, err)) ||
	    (rc = get_value(&r, "instance-type", out->instance_type, sizeof(out->instance_type), NULL, err)) ||
	    (rc = get_value(&r, "placement/availability-zone", out->availability_zone,
			    sizeof(out->availability_zone), NULL, err)))
		goto out;
	/* Region appeared later in IMDS; its absence is not an error. */
	bool no_region = false;
	if ((rc = get_value(&r, "placement/region", out->region, sizeof(out->region), &no_region, err)))
		goto out;
	/* 404 here is IMDS's way of saying "no placement group". */
	if ((rc = get_value(&r, "placement/group-name", out->placement_group,
			    sizeof(out->placement_group), &no_group, err)))
		goto out;
	out->in_group = !no_group;
out:
	curl_easy_cleanup(r.h);
	if (rc)
		memset(out, 0, sizeof(*out));
	return rc;
}
