#include "record/ev_record.h"

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "record/ev_value.h"
#include "util/ev_array.h"

const char *const ev_record_keys[] = { "verdict", "nodes", "efa_bytes", "tcp_bytes", "other_tcp_bytes", "tcp_source",
				      "iface_nodes", "shared", "bad", "cause", "containers", NULL };

/* A key no release of ours has written yet: a later one may add keys, and
 * its records must still read here. One of ours with a bad value is an
 * error all the same. */
static bool later_key(const char *k)
{
	if (*k < 'a' || *k > 'z' || strspn(k, "abcdefghijklmnopqrstuvwxyz0123456789_") != strlen(k))
		return false;
	for (size_t i = 0; ev_record_keys[i]; i++)
		if (strcmp(k, ev_record_keys[i]) == 0)
			return false;
	return true;
}

void ev_record_free(struct ev_record *r)
{
	free(r->groups);
	free(r->causes);
	free(r->text_);
	memset(r, 0, sizeof(*r));
}

static int parse_bad(struct ev_record *r, char *v, struct ev_err *err)
{
	char *save = NULL;
	size_t cap = 0;

	if (v[0] == ';' || v[strlen(v) - 1] == ';' || strstr(v, ";;"))
		return ev_errf(err, -EBADMSG, "record: empty group in bad=");
	for (char *g = strtok_r(v, ";", &save); g; g = strtok_r(NULL, ";", &save)) {
		struct ev_record_group *x;
		char *colon, *open, *vname;
		uint64_t more;
		int vd;

		if (r->more)
			return ev_errf(err, -EBADMSG, "record: text after +N_more");
		if (g[0] == '+') {
			size_t gl = strlen(g);

			if (gl < 7 || strcmp(g + gl - 5, "_more") != 0)
				return ev_errf(err, -EBADMSG, "record: bad '+N_more'");
			g[gl - 5] = '\0';
			if (!ev_value_u64(g + 1, &more) || !more || more > SIZE_MAX)
				return ev_errf(err, -EBADMSG, "record: bad '+N_more'");
			r->more = (size_t)more;
			continue;
		}
		colon = strchr(g, ':');
		if (!colon || colon == g ||
		    strspn(g, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-[],") !=
			    (size_t)(colon - g))
			return ev_errf(err, -EBADMSG, "record: bad host list in bad=");
		*colon = '\0';
		vname = colon + 1;
		open = strchr(vname, '(');
		if (ev_array_room(&r->groups, &cap, r->n_groups, sizeof(*r->groups), 8))
			return ev_errf(err, -ENOMEM, "out of memory");
		x = &r->groups[r->n_groups];
		memset(x, 0, sizeof(*x));
		x->hosts = g;
		if (open) {
			size_t ol = strlen(open);

			if (ol < 3 || open[ol - 1] != ')' ||
			    ev_value_decode(open + 1, ol - 2, x->reason, sizeof(x->reason)) != 0)
				return ev_errf(err, -EBADMSG, "record: bad reason in bad=");
			*open = '\0';
		}
		vd = ev_verdict_from_name(vname);
		if (vd <= EV_V_OK)
			return ev_errf(err, -EBADMSG, "record: bad verdict in bad=");
		x->verdict = (enum ev_verdict)vd;
		r->n_groups++;
	}
	return 0;
}

/* "HOSTLIST:NAME[~][(DETAIL)];...": one group per name and certainty. */
static int parse_causes(struct ev_record *r, char *v, struct ev_err *err)
{
	char *save = NULL;
	size_t cap = 0;

	if (v[0] == ';' || v[strlen(v) - 1] == ';' || strstr(v, ";;"))
		return ev_errf(err, -EBADMSG, "record: empty group in cause=");
	for (char *g = strtok_r(v, ";", &save); g; g = strtok_r(NULL, ";", &save)) {
		struct ev_record_cause *x;
		char *colon = strchr(g, ':'), *name, *open, *end;
		int id;

		if (!colon || colon == g ||
		    strspn(g, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-[],") !=
			    (size_t)(colon - g))
			return ev_errf(err, -EBADMSG, "record: bad host list in cause=");
		*colon = '\0';
		name = colon + 1;
		if (ev_array_room(&r->causes, &cap, r->n_causes, sizeof(*r->causes), 4))
			return ev_errf(err, -ENOMEM, "out of memory");
		x = &r->causes[r->n_causes];
		memset(x, 0, sizeof(*x));
		x->hosts = g;
		x->certainty = EV_CAUSE_CERTAIN;
		if ((open = strchr(name, '('))) {
			size_t dl;

			end = open + strlen(open) - 1;
			dl = (size_t)(end - open - 1);
			if (*end != ')' || !dl || dl >= sizeof(x->detail))
				return ev_errf(err, -EBADMSG, "record: bad detail in cause=");
			memcpy(x->detail, open + 1, dl);
			for (size_t i = 0; i < dl; i++)
				if (!ev_reason_char(x->detail[i]))
					return ev_errf(err, -EBADMSG, "record: bad detail in cause=");
			*open = '\0';
		}
		if (*name && name[strlen(name) - 1] == '~') {
			x->certainty = EV_CAUSE_LIKELY;
			name[strlen(name) - 1] = '\0';
		}
		if ((id = ev_cause_from_name(name)) < 0)
			return ev_errf(err, -EBADMSG, "record: unknown cause '%.32s'", name);
		x->name = (enum ev_cause_name)id;
		for (size_t i = 0; i < r->n_causes; i++)
			if (r->causes[i].name == x->name && r->causes[i].certainty == x->certainty)
				return ev_errf(err, -EBADMSG, "record: cause '%s' twice", name);
		r->n_causes++;
	}
	return 0;
}

int ev_record_parse(const char *text, struct ev_record *r, struct ev_err *err)
{
	enum { K_EFA = EV_TRAFFIC_EFA, K_TCP = EV_TRAFFIC_TCP, K_OTHER = EV_TRAFFIC_OTHER,
	       K_SOURCE = EV_TRAFFIC_SOURCE, K_VERDICT = 16, K_NODES = 32, K_SHARED = 64, K_BAD = 128,
	       K_CAUSE = 256, K_IFACE = 512, K_CONTAINERS = 1024 };
	const struct ev_traffic_fields traffic = { &r->efa_bytes, &r->tcp_bytes, &r->other_tcp_bytes,
						   &r->tcp_source };
	size_t s, e;
	char *save = NULL, *t;
	unsigned seen = 0;
	int rc = 0;

	memset(r, 0, sizeof(*r));
	if (!text || !ev_record_locate(text, &s, &e))
		return ev_errf(err, -ENOENT, "no efa-verify record");
	if (e - s >= 64 * 1024)
		return ev_errf(err, -EMSGSIZE, "efa-verify record too long");
	if (text[s] == EV_RECORD_OPEN)
		s++, e--;   /* the delimiters */
	if (!(r->text_ = strndup(text + s, e - s)))
		return ev_errf(err, -ENOMEM, "out of memory");
	strtok_r(r->text_, " \t\n\r", &save);   /* the prefix */
	while (!rc && (t = strtok_r(NULL, " \t\n\r", &save))) {
		char *v = strchr(t, '=');
		unsigned key = 0;
		uint64_t a, b;
		int vd;

		/* An undelimited part is key=value tokens only (ev_record_locate
		 * took no others); a delimited one may hold anything. */
		if (!v) {
			rc = ev_errf(err, -EBADMSG, "record: '%.32s' is not key=value", t);
			break;
		}
		*v++ = '\0';
		if (strcmp(t, "verdict") == 0 && (vd = ev_verdict_from_name(v)) >= 0) {
			r->verdict = (enum ev_verdict)vd;
			key = K_VERDICT;
		} else if (strcmp(t, "nodes") == 0 && strchr(v, '/')) {
			char *sl = strchr(v, '/');

			*sl = '\0';
			if (ev_value_u64(v, &a) && ev_value_u64(sl + 1, &b) && a <= b && b <= UINT32_MAX) {
				r->reported = (unsigned)a;
				r->total = (unsigned)b;
				key = K_NODES;
			}
		} else if ((key = ev_traffic_parse(t, v, &traffic))) {
			/* K_EFA, K_TCP, K_OTHER or K_SOURCE */
		} else if (strcmp(t, "iface_nodes") == 0 && ev_value_u64(v, &a) && a && a <= UINT32_MAX) {
			r->iface_nodes = (unsigned)a;
			key = K_IFACE;
		} else if (strcmp(t, "shared") == 0 && ev_value_u64(v, &a) && a && a <= UINT32_MAX) {
			r->shared = (unsigned)a;
			key = K_SHARED;
		} else if (strcmp(t, "bad") == 0 && *v && !(seen & K_BAD)) {
			if ((rc = parse_bad(r, v, err)))
				break;
			key = K_BAD;
		} else if (strcmp(t, "cause") == 0 && *v && !(seen & K_CAUSE)) {
			if ((rc = parse_causes(r, v, err)))
				break;
			key = K_CAUSE;
		} else if (strcmp(t, "containers") == 0 && !(seen & K_CONTAINERS)) {
			if ((rc = ev_containers_parse(v, &r->containers, err))) {
				ev_err_prefix(err, rc, "record");
				break;
			}
			key = K_CONTAINERS;
		} else if (later_key(t)) {
			continue;
		}
		if (!key || (seen & key))
			rc = ev_errf(err, -EBADMSG, "record: bad or repeated '%.32s'", t);
		seen |= key;
	}
	if (!rc && (seen & (K_VERDICT | K_NODES | K_EFA | K_TCP)) != (K_VERDICT | K_NODES | K_EFA | K_TCP))
		rc = ev_errf(err, -EBADMSG, "record: verdict, nodes, efa_bytes and tcp_bytes are required");
	if (!rc && !(seen & K_OTHER) != !(seen & K_SOURCE))
		rc = ev_errf(err, -EBADMSG, "record: other_tcp_bytes and tcp_source go together");
	if (!rc && (seen & K_IFACE) && (r->tcp_source != EV_TCP_SRC_INTERFACE || r->iface_nodes > r->reported))
		rc = ev_errf(err, -EBADMSG, "record: iface_nodes goes with tcp_source=interface, at most the nodes reported");
	return rc;
}
