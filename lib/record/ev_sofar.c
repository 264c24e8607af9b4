#include "record/ev_sofar.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config/ev_config.h"
#include "util/ev_num.h"
#include "util/ev_json.h"
#include "record/ev_result_json.h"

static const struct ev_json_field when_fields[] = {
	EV_JSON_U64_AT("since", struct ev_sofar, since),
	EV_JSON_U64_AT("as_of", struct ev_sofar, as_of),
	EV_JSON_U64_AT("duration_ms", struct ev_sofar, duration_ms),
};

char *ev_sofar_json(const struct ev_sofar *s)
{
	const struct ev_node_result *r = &s->r;
	struct ev_json j;

	if (!ev_valid_nodename(r->node) || ev_verdict_from_name(ev_verdict_name(r->verdict)) != (int)r->verdict)
		return NULL;
	ev_json_init(&j);
	ev_json_obj_begin(&j, NULL);
	ev_json_u64(&j, "job", r->jobid);
	ev_json_str(&j, "node", r->node);
	ev_json_bool(&j, "so_far", true);
	ev_json_fields(&j, s, when_fields, sizeof(when_fields) / sizeof(when_fields[0]));
	ev_json_u64(&j, "job_nodes", r->job_nodes);
	ev_json_verdict(&j, r->verdict, r->reason);
	ev_json_u64(&j, "efa_bytes", r->efa_bytes);
	ev_json_u64(&j, "tcp_bytes", r->tcp_bytes);
	if (r->efa_bytes + r->tcp_bytes)
		ev_json_double(&j, "efa_share", (double)r->efa_bytes / ((double)r->efa_bytes + (double)r->tcp_bytes));
	else
		ev_json_null(&j, "efa_share");
	ev_json_null(&j, "shared");
	ev_json_nics(&j, r);
	ev_json_obj_end(&j);
	return ev_json_finish(&j, NULL);
}

/* ------------------------------------------------------------ reading */

enum vtype { V_STR, V_NUM, V_TRUE, V_FALSE, V_NULL };

struct val {
	enum vtype t;
	char s[EV_REASON_MAX + EV_NAME_MAX];   /* a string, or a number's text */
	bool integer;                          /* a number of digits only */
};

static const char *ws(const char *p)
{
	while (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r')
		p++;
	return p;
}

static int hexval(char c)
{
	return c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 :
	       c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
}

/* A JSON string of printable ASCII (what the writer makes of our tokens);
 * NULL if it is not one or does not fit. */
static const char *str(const char *p, char *out, size_t cap)
{
	size_t n = 0;

	if (*p++ != '"')
		return NULL;
	for (;;) {
		unsigned c = (unsigned char)*p++;

		if (c == '"')
			break;
		if (c < 0x20 || c >= 0x7f)
			return NULL;
		if (c == '\\') {
			switch (*p++) {
			case '"': c = '"'; break;
			case '\\': c = '\\'; break;
			case '/': c = '/'; break;
			case 'u':
				/* One digit at a time: the text may end (NUL, not
				 * a digit) before the fourth. */
				c = 0;
				for (int i = 0; i < 4; i++, p++) {
					int h = hexval(*p);

					if (h < 0)
						return NULL;
					c = c << 4 | (unsigned)h;
				}
				if (c < 0x20 || c >= 0x7f)
					return NULL;
				break;
			default: return NULL;   /* \b \f \n \r \t: never in our values */
			}
		}
		if (n + 1 >= cap)
			return NULL;
		out[n++] = (char)c;
	}
	out[n] = '\0';
	return p;
}

static const char *digits(const char *p, size_t *n)
{
	const char *s = p;

	while (*p >= '0' && *p <= '9')
		p++;
	*n = (size_t)(p - s);
	return p;
}

/* JSON's number grammar; v->s gets its text. */
static const char *num(const char *p, struct val *v)
{
	const char *s = p;
	size_t n;

	v->integer = *p != '-';
	if (*p == '-')
		p++;
	if (*p == '0')
		p++;
	else if (*p >= '1' && *p <= '9')
		p = digits(p, &n);
	else
		return NULL;
	if (*p == '.') {
		v->integer = false;
		p = digits(p + 1, &n);
		if (!n)
			return NULL;
	}
	if (*p == 'e' || *p == 'E') {
		v->integer = false;
		p++;
		if (*p == '+' || *p == '-')
			p++;
		p = digits(p, &n);
		if (!n)
			return NULL;
	}
	if ((size_t)(p - s) >= sizeof(v->s))
		return NULL;
	memcpy(v->s, s, (size_t)(p - s));
	v->s[p - s] = '\0';
	return p;
}

static const char *value(const char *p, struct val *v)
{
	static const struct { const char *w; enum vtype t; } words[] = {
		{ "true", V_TRUE }, { "false", V_FALSE }, { "null", V_NULL },
	};

	v->s[0] = '\0';
	v->integer = false;
	if (*p == '"') {
		v->t = V_STR;
		return str(p, v->s, sizeof(v->s));
	}
	for (size_t i = 0; i < sizeof(words) / sizeof(words[0]); i++)
		if (strncmp(p, words[i].w, strlen(words[i].w)) == 0) {
			v->t = words[i].t;
			return p + strlen(words[i].w);
		}
	v->t = V_NUM;
	return num(p, v);
}

enum {
	K_JOB, K_NODE, K_SO_FAR, K_SINCE, K_AS_OF, K_DURATION, K_JOB_NODES, K_VERDICT, K_REASON,
	K_EFA, K_TCP, K_SHARE, K_SHARED, K_BUSY, K_NICS, K_MIN, K_MAX, K_BALANCE, K__COUNT
};

static const char *const keys[K__COUNT] = {
	"job", "node", "so_far", "since", "as_of", "duration_ms", "job_nodes", "verdict", "reason",
	"efa_bytes", "tcp_bytes", "efa_share", "shared", "nics_busy", "nics_total", "nic_min_bytes",
	"nic_max_bytes", "nic_balance",
};

static bool u64_of(const struct val *v, uint64_t max, uint64_t *out)
{
	return v->t == V_NUM && v->integer && ev_parse_u64_strict(v->s, out) && *out <= max;
}

static bool u32_of(const struct val *v, uint32_t *out)
{
	uint64_t u;

	if (!u64_of(v, UINT32_MAX, &u))
		return false;
	*out = (uint32_t)u;
	return true;
}

/* A reason as the verdict makes it (ev_reason_clean). */
static bool token(const char *s)
{
	for (; *s; s++)
		if (!ev_reason_char(*s))
			return false;
	return true;
}

/* One member into out; false if its value is not what the key holds. */
static bool member(int k, const struct val *v, struct ev_sofar *out)
{
	struct ev_node_result *r = &out->r;
	int vd;

	switch (k) {
	case K_JOB: return u32_of(v, &r->jobid) && r->jobid;
	case K_NODE:
		if (v->t != V_STR || strlen(v->s) >= sizeof(r->node) || !ev_valid_nodename(v->s))
			return false;
		memcpy(r->node, v->s, strlen(v->s) + 1);
		return true;
	case K_SO_FAR: return v->t == V_TRUE;
	case K_SINCE: return u64_of(v, UINT64_MAX, &out->since);
	case K_AS_OF: return u64_of(v, UINT64_MAX, &out->as_of);
	case K_DURATION: return u64_of(v, UINT64_MAX, &out->duration_ms);
	case K_JOB_NODES: return u32_of(v, &r->job_nodes);
	case K_VERDICT:
		if (v->t != V_STR || (vd = ev_verdict_from_name(v->s)) < 0)
			return false;
		r->verdict = (enum ev_verdict)vd;
		return true;
	case K_REASON:
		if (v->t == V_NULL)
			return true;
		if (v->t != V_STR || !v->s[0] || strlen(v->s) >= sizeof(r->reason) || !token(v->s))
			return false;
		memcpy(r->reason, v->s, strlen(v->s) + 1);
		return true;
	case K_EFA: return u64_of(v, UINT64_MAX, &r->efa_bytes);
	case K_TCP: return u64_of(v, UINT64_MAX, &r->tcp_bytes);
	case K_SHARE:
	case K_BALANCE: return v->t == V_NUM || v->t == V_NULL;
	case K_SHARED: return v->t == V_NULL || v->t == V_TRUE || v->t == V_FALSE;
	case K_BUSY: return u32_of(v, &r->nics_busy);
	case K_NICS: return u32_of(v, &r->nics_total);
	case K_MIN: return u64_of(v, UINT64_MAX, &r->nic_min_bytes);
	case K_MAX: return u64_of(v, UINT64_MAX, &r->nic_max_bytes);
	}
	return false;
}

int ev_sofar_parse(const char *line, struct ev_sofar *out, struct ev_err *err)
{
	const unsigned need = 1u << K_JOB | 1u << K_NODE | 1u << K_SO_FAR | 1u << K_AS_OF | 1u << K_VERDICT |
			      1u << K_EFA | 1u << K_TCP;
	const char *p = ws(line);
	unsigned seen = 0;
	struct val v;
	char key[24];

	memset(out, 0, sizeof(*out));
	if (*p++ != '{')
		return ev_errf(err, -EBADMSG, "not a JSON object");
	p = ws(p);
	if (*p == '}')
		return ev_errf(err, -EBADMSG, "empty object");
	for (;;) {
		int k;

		if (!(p = str(p, key, sizeof(key))))
			return ev_errf(err, -EBADMSG, "bad or long key");
		for (k = 0; k < K__COUNT && strcmp(keys[k], key) != 0; k++)
			;
		if (k == K__COUNT)
			return ev_errf(err, -EBADMSG, "unknown key '%s'", key);
		if (seen & 1u << k)
			return ev_errf(err, -EBADMSG, "'%s' given twice", key);
		seen |= 1u << k;
		p = ws(p);
		if (*p++ != ':')
			return ev_errf(err, -EBADMSG, "no ':' after '%s'", key);
		if (!(p = value(ws(p), &v)) || !member(k, &v, out))
			return ev_errf(err, -EBADMSG, "bad value for '%s'", key);
		p = ws(p);
		if (*p == '}')
			break;
		if (*p++ != ',')
			return ev_errf(err, -EBADMSG, "no ',' after '%s'", key);
		p = ws(p);
	}
	if (*ws(p + 1))
		return ev_errf(err, -EBADMSG, "text after the object");
	if ((seen & need) != need)
		return ev_errf(err, -EBADMSG, "job, node, so_far, as_of, verdict, efa_bytes or tcp_bytes missing");
	if (out->r.nics_busy > out->r.nics_total || out->r.nic_min_bytes > out->r.nic_max_bytes)
		return ev_errf(err, -EBADMSG, "NIC numbers do not add up");
	return 0;
}

/* The task a labelled line came from ("3: ..." or " 3: ...": the label
 * right-aligned to the widest), and where its text starts; false if the
 * line has no such label or it names no task of n. */
static bool label(const char *line, size_t n, size_t *task, const char **rest)
{
	const char *p = line;
	size_t t = 0;

	while (*p == ' ')
		p++;
	if (*p < '0' || *p > '9')
		return false;
	for (; *p >= '0' && *p <= '9'; p++) {
		t = t * 10 + (size_t)(*p - '0');
		if (t >= n)
			return false;
	}
	if (p[0] != ':' || p[1] != ' ')
		return false;
	*task = t;
	*rest = p + 2;
	return true;
}

size_t ev_sofar_collect(const char *text, uint32_t jobid, char *const *names, size_t n,
			struct ev_sofar *res, bool *answered, size_t *n_ignored)
{
	size_t got = 0;

	*n_ignored = 0;
	for (size_t i = 0; i < n; i++)
		answered[i] = false;
	while (text && *text) {
		const char *nl = strchr(text, '\n'), *json;
		size_t len = nl ? (size_t)(nl - text) : strlen(text), i;
		struct ev_sofar s;
		char line[1024];

		if (len && len < sizeof(line)) {
			memcpy(line, text, len);
			line[len] = '\0';
			/* Only for the node whose task printed it, and only its
			 * first good line: a task cannot answer for another node. */
			if (label(line, n, &i, &json) && !answered[i] && ev_sofar_parse(json, &s, NULL) == 0 &&
			    s.r.jobid == jobid && strcmp(names[i], s.r.node) == 0) {
				res[i] = s;
				answered[i] = true;
				got++;
			} else {
				(*n_ignored)++;
			}
		} else if (len) {
			(*n_ignored)++;
		}
		text += len + (nl ? 1 : 0);
	}
	return got;
}
