/* IMDSv2 with libcurl. Everything about a request is bounded: connect and
 * total time, body size, what a value may contain. It runs inside slurmstepd,
 * so no signals (CURLOPT_NOSIGNAL), no proxy from the environment (an
 * http_proxy meant for the job must not see, or answer, metadata requests),
 * no redirects, no compressed bodies. */
#include "aws/ev_imds.h"

#include <errno.h>
#include <pthread.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include <curl/curl.h>

#include "util/ev_dl.h"

/* libcurl, opened on the first request (see ev_dl.h for why). setopt and
 * getinfo lose curl's compile-time type checks through a pointer; every
 * call below passes long, char *, a callback or a pointer as documented. */
#define CURL_FNS(X, s, prefix) \
	X(s, prefix, CURLcode, global_init, (long)) \
	X(s, prefix, CURL *, easy_init, (void)) \
	X(s, prefix, CURLcode, easy_setopt, (CURL *, CURLoption, ...)) \
	X(s, prefix, CURLcode, easy_getinfo, (CURL *, CURLINFO, ...)) \
	X(s, prefix, CURLcode, easy_perform, (CURL *)) \
	X(s, prefix, void, easy_cleanup, (CURL *)) \
	X(s, prefix, const char *, easy_strerror, (CURLcode)) \
	X(s, prefix, struct curl_slist *, slist_append, (struct curl_slist *, const char *)) \
	X(s, prefix, void, slist_free_all, (struct curl_slist *))
static struct {
	CURL_FNS(EV_DL_MEMBER, cu, "curl_")
	char why[256];
} cu;
static const struct ev_dl_sym curl_syms[] = { CURL_FNS(EV_DL_ENTRY, cu, "curl_") };

static void curl_load(void)
{
	EV_DL_LOAD("libcurl.so.4", curl_syms, cu.why);
}
#undef curl_easy_setopt
#undef curl_easy_getinfo
#define curl_global_init cu.global_init
#define curl_easy_init cu.easy_init
#define curl_easy_setopt cu.easy_setopt
#define curl_easy_getinfo cu.easy_getinfo
#define curl_easy_perform cu.easy_perform
#define curl_easy_cleanup cu.easy_cleanup
#define curl_easy_strerror cu.easy_strerror
#define curl_slist_append cu.slist_append
#define curl_slist_free_all cu.slist_free_all

/* Real values are a few dozen bytes; 4 KiB is generous and still small. */
#define IMDS_BODY_MAX 4096
/* The longest TTL IMDS grants: the token outlives any fetch. */
#define IMDS_TOKEN_TTL "21600"
#define IMDS_TOKEN_MAX 256
#define IMDS_URL_MAX 768

struct body {
	char buf[IMDS_BODY_MAX + 1];
	size_t len;
	bool overflow;
};

static size_t on_body(char *ptr, size_t size, size_t nmemb, void *userdata)
{
	struct body *b = userdata;
	size_t n = size * nmemb;

	if (n > IMDS_BODY_MAX - b->len) {
		b->overflow = true;
		return 0;   /* makes curl stop with CURLE_WRITE_ERROR */
	}
	memcpy(b->buf + b->len, ptr, n);
	b->len += n;
	b->buf[b->len] = '\0';
	return n;
}

/* curl_global_init must run once, before any other libcurl call, and unless
 * libcurl reports CURL_VERSION_THREADSAFE (7.84+ with atomics) it is not
 * thread-safe. We run inside slurmstepd, which is threaded, often as a
 * plugin where nobody initialised libcurl: pthread_once makes our own callers
 * race-free. curl_easy_init would initialise lazily, but that lazy path is
 * the unguarded one, so it is not relied on. curl_global_cleanup is never
 * called: a plugin cannot know whether other code in the process (another
 * Slurm plugin using libcurl) still needs it, and keeping the one-time
 * initialisation costs nothing. */
static pthread_once_t curl_once = PTHREAD_ONCE_INIT;
static CURLcode curl_init_rc;
static void curl_init(void)
{
	curl_load();
	curl_init_rc = cu.global_init ? curl_global_init(CURL_GLOBAL_DEFAULT) : CURLE_FAILED_INIT;
}

struct req {
	CURL *h;
	char base[IMDS_URL_MAX / 2];
	char url[IMDS_URL_MAX];        /* of the request in flight, for messages */
	const char *method;
	char token[IMDS_TOKEN_MAX + 1];
	long timeout_ms;
	struct body body;
	char curl_err[CURL_ERROR_SIZE];
};

static int map_curl_error(struct req *r, CURLcode rc, const char *what, struct ev_err *err)
{
	const char *detail = r->curl_err[0] ? r->curl_err : curl_easy_strerror(rc);
	long os_errno = 0;

	switch (rc) {
	case CURLE_OPERATION_TIMEDOUT:
		return ev_errf(err, -ETIMEDOUT, "IMDS %s: timed out after %ld ms (%s %s)", what,
			       r->timeout_ms, r->method, r->url);
	case CURLE_COULDNT_CONNECT:
		curl_easy_getinfo(r->h, CURLINFO_OS_ERRNO, &os_errno);
		if (os_errno == EHOSTUNREACH || os_errno == ENETUNREACH)
			return ev_errf(err, -EHOSTUNREACH, "IMDS %s: no route to host (%s %s)", what,
				       r->method, r->url);
		return ev_errf(err, -ECONNREFUSED, "IMDS %s: cannot connect: %s (%s %s)", what,
			       detail, r->method, r->url);
	case CURLE_COULDNT_RESOLVE_HOST:
		return ev_errf(err, -EHOSTUNREACH, "IMDS %s: cannot resolve host (%s %s)", what,
			       r->method, r->url);
	case CURLE_FILESIZE_EXCEEDED:
		return ev_errf(err, -EMSGSIZE, "IMDS %s: answer larger than %d bytes (%s %s)", what,
			       IMDS_BODY_MAX, r->method, r->url);
	case CURLE_WRITE_ERROR:
		if (r->body.overflow)
			return ev_errf(err, -EMSGSIZE, "IMDS %s: answer larger than %d bytes (%s %s)",
				       what, IMDS_BODY_MAX, r->method, r->url);
		break;
	case CURLE_GOT_NOTHING:
		return ev_errf(err, -EIO, "IMDS %s: connection closed without an answer (%s %s)",
			       what, r->method, r->url);
	default:
		break;
	}
	return ev_errf(err, -EIO, "IMDS %s: %s (%s %s)", what, detail, r->method, r->url);
}

/* One request; *status gets the HTTP status, r->body the answer. */
static int do_req(struct req *r, bool put, const char *path, const char *what, long *status,
		  struct ev_err *err)
{
	struct curl_slist *hdr = NULL;
	char h[IMDS_TOKEN_MAX + 64];
	CURLcode rc;
	bool ok;

	*status = 0;
	snprintf(r->url, sizeof(r->url), "%s%s", r->base, path);
	r->method = put ? "PUT" : "GET";
	memset(&r->body, 0, sizeof(r->body));
	r->curl_err[0] = '\0';
	if (put) {
		ok = curl_easy_setopt(r->h, CURLOPT_CUSTOMREQUEST, "PUT") == CURLE_OK;
		hdr = curl_slist_append(hdr, "X-aws-ec2-metadata-token-ttl-seconds: " IMDS_TOKEN_TTL);
	} else {
		ok = curl_easy_setopt(r->h, CURLOPT_CUSTOMREQUEST, NULL) == CURLE_OK &&
		     curl_easy_setopt(r->h, CURLOPT_HTTPGET, 1L) == CURLE_OK;
		snprintf(h, sizeof(h), "X-aws-ec2-metadata-token: %s", r->token);
		hdr = curl_slist_append(hdr, h);
	}
	if (!hdr)
		return ev_errf(err, -ENOMEM, "IMDS %s: out of memory", what);
	ok = ok && curl_easy_setopt(r->h, CURLOPT_URL, r->url) == CURLE_OK &&
	     curl_easy_setopt(r->h, CURLOPT_HTTPHEADER, hdr) == CURLE_OK;
	if (!ok) {
		curl_slist_free_all(hdr);
		return ev_errf(err, -EIO, "IMDS %s: libcurl refused the request (%s %s)", what,
			       r->method, r->url);
	}
	rc = curl_easy_perform(r->h);
	curl_easy_setopt(r->h, CURLOPT_HTTPHEADER, NULL);
	curl_slist_free_all(hdr);
	if (rc != CURLE_OK)
		return map_curl_error(r, rc, what, err);
	curl_easy_getinfo(r->h, CURLINFO_RESPONSE_CODE, status);
	return 0;
}

static bool is_lower_alnum(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
}

static bool is_hex(char c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
}

/* What each value may look like. Anything else did not come from IMDS (a
 * captive portal, a proxy error page, a wrong port) and must not be trusted:
 * these strings end up in paths, records and Slurm node fields. */
enum vkind { V_ID, V_TYPE, V_ZONE, V_GROUP };

static const char *vkind_name(enum vkind k)
{
	switch (k) {
	case V_ID: return "instance id";
	case V_TYPE: return "instance type";
	case V_ZONE: return "zone or region name";
	case V_GROUP: return "placement group name";
	}
	return "value";
}

static bool value_ok(enum vkind k, const char *s, size_t len)
{
	size_t i, dots = 0;

	if (len == 0 || strlen(s) != len)   /* also refuses embedded NULs */
		return false;
	switch (k) {
	case V_ID:      /* i-0123456789abcdef0 (older ones: 8 hex digits) */
		if (len < 3 || len > 2 + 32 || s[0] != 'i' || s[1] != '-')
			return false;
		for (i = 2; i < len; i++)
			if (!is_hex(s[i]))
				return false;
		return true;
	case V_TYPE:    /* p5.48xlarge, trn1n.32xlarge, u-6tb1.metal */
		if (len >= EV_NAME_MAX || !is_lower_alnum(s[0]) || s[len - 1] == '.')
			return false;
		for (i = 0; i < len; i++) {
			if (s[i] == '.' && s[i - 1] != '.')
				dots++;
			else if (!is_lower_alnum(s[i]) && s[i] != '-')
				return false;
		}
		return dots == 1;
	case V_ZONE:    /* us-east-1a, us-west-2-lax-1a, us-east-1 */
		if (len >= EV_NAME_MAX || s[0] < 'a' || s[0] > 'z')
			return false;
		for (i = 0; i < len; i++)
			if (!is_lower_alnum(s[i]) && s[i] != '-')
				return false;
		return true;
	case V_GROUP:   /* "Up to 255 ASCII characters"; spaces refused, see header */
		if (len > 255)
			return false;
		for (i = 0; i < len; i++)
			if ((unsigned char)s[i] <= 0x20 || (unsigned char)s[i] >= 0x7f)
				return false;
		return true;
	}
	return false;
}

/* GET one value. absent (may be NULL): a 404 is "no such value", not an error. */
static int get_value(struct req *r, const char *leaf, enum vkind kind, char *out, size_t cap,
		     bool *absent, struct ev_err *err)
{
	char path[128];
	long status;
	int rc;

	snprintf(path, sizeof(path), "/latest/meta-data/%s", leaf);
	rc = do_req(r, false, path, leaf, &status, err);
	if (rc)
		return rc;
	if (status == 404 && absent) {
		*absent = true;
		out[0] = '\0';
		return 0;
	}
	if (status == 401 || status == 403)
		return ev_errf(err, -EACCES, "IMDS %s: token refused, HTTP %ld (GET %s)", leaf, status,
			       r->url);
	if (status != 200)
		return ev_errf(err, -EIO, "IMDS %s: HTTP %ld (GET %s)", leaf, status, r->url);
	if (r->body.len >= cap || !value_ok(kind, r->body.buf, r->body.len))
		return ev_errf(err, -EBADMSG,
			       "IMDS %s: HTTP 200 but the answer is not a valid %s (%zu bytes, GET %s)",
			       leaf, vkind_name(kind), r->body.len, r->url);
	memcpy(out, r->body.buf, r->body.len + 1);
	if (absent)
		*absent = false;
	return 0;
}

static bool url_char_ok(char c)
{
	/* Host, IPv6 literal, port and path; no userinfo ('@'), query or
	 * fragment, which would change where or what we ask. */
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       strchr("-._~:/[]%", c) != NULL;
}

/* endpoint -> r->base: lower-case scheme, no trailing slash, path prefix kept. */
static int set_base(struct req *r, const char *endpoint, struct ev_err *err)
{
	size_t skip, len;

	if (!endpoint)
		return ev_errf(err, -EINVAL, "IMDS endpoint is not set");
	if (strncasecmp(endpoint, "http://", 7) == 0)
		skip = 7;
	else if (strncasecmp(endpoint, "https://", 8) == 0)
		skip = 8;
	else
		return ev_errf(err, -EINVAL, "IMDS endpoint '%.64s' is not an http:// or https:// URL",
			       endpoint);
	len = strlen(endpoint);
	if (len >= sizeof(r->base))
		return ev_errf(err, -EINVAL, "IMDS endpoint is longer than %zu bytes",
			       sizeof(r->base) - 1);
	for (size_t i = skip; i < len; i++)
		if (!url_char_ok(endpoint[i]))
			return ev_errf(err, -EINVAL,
				       "IMDS endpoint has a character not allowed here (0x%02x at offset %zu)",
				       (unsigned char)endpoint[i], i);
	if (endpoint[skip] == '\0' || endpoint[skip] == '/')
		return ev_errf(err, -EINVAL, "IMDS endpoint '%.64s' has no host", endpoint);
	memcpy(r->base, skip == 7 ? "http://" : "https://", skip);
	memcpy(r->base + skip, endpoint + skip, len - skip + 1);
	while (len > skip + 1 && r->base[len - 1] == '/')
		r->base[--len] = '\0';
	return 0;
}

static int setup_handle(struct req *r, struct ev_err *err)
{
	bool ok;

	pthread_once(&curl_once, curl_init);
	if (!cu.global_init)
		return ev_errf(err, -ENOSYS, "IMDS: libcurl not loadable: %s", cu.why);
	if (curl_init_rc != CURLE_OK)
		return ev_errf(err, -EIO, "IMDS: libcurl initialisation failed: %s",
			       curl_easy_strerror(curl_init_rc));
	r->h = curl_easy_init();
	if (!r->h)
		return ev_errf(err, -ENOMEM, "IMDS: cannot create a libcurl handle");
	ok = curl_easy_setopt(r->h, CURLOPT_NOSIGNAL, 1L) == CURLE_OK &&
	     curl_easy_setopt(r->h, CURLOPT_CONNECTTIMEOUT_MS, r->timeout_ms) == CURLE_OK &&
	     curl_easy_setopt(r->h, CURLOPT_TIMEOUT_MS, r->timeout_ms) == CURLE_OK &&
	     curl_easy_setopt(r->h, CURLOPT_NOPROXY, "*") == CURLE_OK &&
	     curl_easy_setopt(r->h, CURLOPT_PROXY, "") == CURLE_OK &&
	     curl_easy_setopt(r->h, CURLOPT_FOLLOWLOCATION, 0L) == CURLE_OK &&
	     curl_easy_setopt(r->h, CURLOPT_MAXREDIRS, 0L) == CURLE_OK &&
#if LIBCURL_VERSION_NUM >= 0x075500
	     curl_easy_setopt(r->h, CURLOPT_PROTOCOLS_STR, "http,https") == CURLE_OK &&
#else
	     curl_easy_setopt(r->h, CURLOPT_PROTOCOLS, (long)(CURLPROTO_HTTP | CURLPROTO_HTTPS)) ==
		     CURLE_OK &&
#endif
	     curl_easy_setopt(r->h, CURLOPT_MAXFILESIZE_LARGE, (curl_off_t)IMDS_BODY_MAX) == CURLE_OK &&
	     curl_easy_setopt(r->h, CURLOPT_WRITEFUNCTION, on_body) == CURLE_OK &&
	     curl_easy_setopt(r->h, CURLOPT_WRITEDATA, &r->body) == CURLE_OK &&
	     curl_easy_setopt(r->h, CURLOPT_ERRORBUFFER, r->curl_err) == CURLE_OK &&
	     curl_easy_setopt(r->h, CURLOPT_USERAGENT, "efa-verify") == CURLE_OK;
	if (!ok)
		return ev_errf(err, -EIO, "IMDS: libcurl refused a required option");
	return 0;
}

static int get_token(struct req *r, struct ev_err *err)
{
	long status;
	int rc = do_req(r, true, "/latest/api/token", "token", &status, err);

	if (rc)
		return rc;
	if (status == 401 || status == 403)
		return ev_errf(err, -EACCES, "IMDS token: refused, HTTP %ld (PUT %s)", status, r->url);
	if (status != 200)
		return ev_errf(err, -EIO, "IMDS token: HTTP %ld (PUT %s)", status, r->url);
	/* It goes back into a header: nothing that could end or add one. */
	if (r->body.len == 0 || r->body.len > IMDS_TOKEN_MAX ||
	    strspn(r->body.buf, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_=+/.") !=
		    r->body.len)
		return ev_errf(err, -EBADMSG, "IMDS token: HTTP 200 but the answer is not a token "
			       "(%zu bytes, PUT %s)", r->body.len, r->url);
	memcpy(r->token, r->body.buf, r->body.len + 1);
	return 0;
}

int ev_imds_fetch(const char *endpoint, long timeout_ms, struct ev_imds_info *out,
		  struct ev_err *err)
{
	struct ev_imds_info m;
	struct req r;
	bool no_group = false, no_region = false;
	int rc;

	memset(out, 0, sizeof(*out));
	memset(&m, 0, sizeof(m));
	memset(&r, 0, sizeof(r));
	if ((rc = set_base(&r, endpoint, err)))
		return rc;
	/* Per request, as the config key says: a fetch is at most six of them. */
	r.timeout_ms = timeout_ms > 0 ? timeout_ms : 1000;
	/* One handle for the whole fetch, so the connection is reused. */
	if ((rc = setup_handle(&r, err)) || (rc = get_token(&r, err)))
		goto out;
	if ((rc = get_value(&r, "instance-id", V_ID, m.instance_id, sizeof(m.instance_id), NULL,
			    err)) ||
	    (rc = get_value(&r, "instance-type", V_TYPE, m.instance_type, sizeof(m.instance_type),
			    NULL, err)) ||
	    (rc = get_value(&r, "placement/availability-zone", V_ZONE, m.availability_zone,
			    sizeof(m.availability_zone), NULL, err)) ||
	    /* placement/region came later to IMDS than the zone: absent is fine. */
	    (rc = get_value(&r, "placement/region", V_ZONE, m.region, sizeof(m.region), &no_region,
			    err)) ||
	    /* A 404 here is how IMDS says "not in a placement group". */
	    (rc = get_value(&r, "placement/group-name", V_GROUP, m.placement_group,
			    sizeof(m.placement_group), &no_group, err)))
		goto out;
	m.in_group = !no_group;
	*out = m;
out:
	if (r.h)
		curl_easy_cleanup(r.h);
	return rc;
}

bool ev_imds_instance_type_ok(const char *s)
{
	return s && value_ok(V_TYPE, s, strlen(s));
}

int ev_imds_validate(const struct ev_imds_info *m, struct ev_err *err)
{
	static const struct { const char *name; size_t off; size_t cap; enum vkind kind; bool opt; } f[] = {
		{ "instance_id", offsetof(struct ev_imds_info, instance_id), EV_NAME_MAX, V_ID, false },
		{ "instance_type", offsetof(struct ev_imds_info, instance_type), EV_NAME_MAX, V_TYPE, false },
		{ "availability_zone", offsetof(struct ev_imds_info, availability_zone), EV_NAME_MAX,
		  V_ZONE, false },
		{ "region", offsetof(struct ev_imds_info, region), EV_NAME_MAX, V_ZONE, true },
		{ "placement_group", offsetof(struct ev_imds_info, placement_group),
		  sizeof(m->placement_group), V_GROUP, true },
	};

	for (size_t i = 0; i < sizeof(f) / sizeof(f[0]); i++) {
		const char *v = (const char *)m + f[i].off;
		size_t len = strnlen(v, f[i].cap);

		if (len == f[i].cap)
			return ev_errf(err, -EBADMSG, "%s is not terminated", f[i].name);
		if (len == 0 && f[i].opt)
			continue;
		if (!value_ok(f[i].kind, v, len))
			return ev_errf(err, -EBADMSG, "%s is not a valid %s", f[i].name,
				       vkind_name(f[i].kind));
	}
	if (m->in_group != (m->placement_group[0] != '\0'))
		return ev_errf(err, -EBADMSG, "in_group and placement_group disagree");
	return 0;
}
