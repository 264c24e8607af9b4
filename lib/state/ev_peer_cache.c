#include "state/ev_peer_cache.h"

#include <arpa/inet.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <fcntl.h>
#include <sys/stat.h>

#include "config/ev_config.h"
#include "util/ev_buf.h"
#include "util/ev_file.h"
#include "state/ev_state_dir.h"

#define HEADER "efa-verify-peers 1\n"


/* The longest line: a name, the longest source, a time, four IPv6 addresses. */
#define FILE_MAX ((size_t)EV_PEER_CACHE_MAX * (EV_NAME_MAX + 32 + EV_PEER_ADDRS * INET6_ADDRSTRLEN) + sizeof(HEADER))

static const char *const sources[EV_PEER_SRC__COUNT] = { "dns", "alias", "nodeaddr" };

const char *ev_peer_source_name(enum ev_peer_source s)
{
	return (unsigned)s < EV_PEER_SRC__COUNT ? sources[s] : "?";
}

static int path_of(const char *state_dir, char *out, size_t cap, struct ev_err *err)
{
	return ev_path_join(out, cap, state_dir, "peers") ? ev_errf(err, -ENAMETOOLONG, "state_dir too long") : 0;
}

static int cmp_name(const void *a, const void *b)
{
	const struct ev_peer_entry *x = a, *y = b;
	int c = strcmp(x->name, y->name);

	/* The latest of one name first: the one dedupe keeps. */
	if (c)
		return c;
	return x->learned > y->learned ? -1 : x->learned < y->learned;
}

/* Sorted by name, one entry each (the latest learned). */
static void settle(struct ev_peer_cache *c)
{
	size_t o = 0;

	if (c->sorted)
		return;
	qsort(c->e, c->n, sizeof(*c->e), cmp_name);
	for (size_t i = 0; i < c->n; i++)
		if (!o || strcmp(c->e[o - 1].name, c->e[i].name) != 0)
			c->e[o++] = c->e[i];
	c->n = o;
	c->sorted = true;
}

static int grow(struct ev_peer_cache *c, struct ev_err *err)
{
	size_t cap = c->cap ? c->cap * 2 : 256;
	struct ev_peer_entry *e;

	if (c->n < c->cap)
		return 0;
	if (!(e = realloc(c->e, cap * sizeof(*e))))
		return ev_errf(err, -ENOMEM, "out of memory");
	c->e = e;
	c->cap = cap;
	return 0;
}

/* s's next word of those separated by runs of sep, cut out in place (s
 * then points past it); NULL when none is left. strtok without its
 * hidden state. */
static char *next_word(char **s, char sep)
{
	char *w = *s, *e;

	while (*w == sep)
		w++;
	if (!*w)
		return NULL;
	if ((e = strchr(w, sep))) {
		*e = '\0';
		*s = e + 1;
	} else {
		*s = w + strlen(w);
	}
	return w;
}

static int parse_addrs(char *s, struct ev_peer_entry *e)
{
	for (char *tok; (tok = next_word(&s, ','));) {
		struct ev_peer_addr *a;

		if (e->n == EV_PEER_ADDRS)
			return -1;
		a = &e->addr[e->n++];
		if (inet_pton(AF_INET, tok, &a->a.v4) == 1)
			a->family = AF_INET;
		else if (inet_pton(AF_INET6, tok, &a->a.v6) == 1)
			a->family = AF_INET6;
		else
			return -1;
	}
	return e->n ? 0 : -1;
}

/* "NAME SOURCE LEARNED ADDRS": 0, or -1 if it is not one. No strtok_r,
 * strtoll or snprintf here: an 8,193-node job's prolog reads 8,192 of
 * these lines before it can make the job's table, and with them the load
 * took 1.6 ms of CPU instead of 0.9 (bench/run --peers-only). */
static int parse_line(char *line, struct ev_peer_entry *e)
{
	char *f[4], *rest = line;
	int64_t t = 0;
	size_t len;
	int src = -1;

	memset(e, 0, sizeof(*e));
	for (int i = 0; i < 4; i++)
		if (!(f[i] = next_word(&rest, ' ')))
			return -1;
	if (next_word(&rest, ' ') || (len = strlen(f[0])) >= sizeof(e->name) || !ev_valid_nodename(f[0]))
		return -1;
	for (int i = 0; i < EV_PEER_SRC__COUNT; i++)
		if (strcmp(f[1], sources[i]) == 0)
			src = i;
	if (src < 0 || !*f[2])
		return -1;
	for (const char *d = f[2]; *d; d++) {
		if (*d < '0' || *d > '9' || t > (INT64_MAX - (*d - '0')) / 10)
			return -1;
		t = t * 10 + (*d - '0');
	}
	memcpy(e->name, f[0], len + 1);
	e->source = (enum ev_peer_source)src;
	e->learned = t;
	return parse_addrs(f[3], e);
}

int ev_peer_cache_load(const char *state_dir, struct ev_peer_cache *c, struct ev_err *err)
{
	char path[EV_PATH_CAP], *buf = NULL, *line, *nl;
	struct stat st;
	long got;
	int rc = 0;

	memset(c, 0, sizeof(*c));
	c->sorted = true;
	if ((rc = path_of(state_dir, path, sizeof(path), err)))
		return rc;
	if (lstat(path, &st) != 0)
		return errno == ENOENT ? 0 : ev_errf(err, -errno, "%s: %s", path, strerror(errno));
	if ((size_t)st.st_size > FILE_MAX)
		return ev_errf(err, -EBADMSG, "%s: larger than a cache of %d names, not read", path,
			       EV_PEER_CACHE_MAX);
	if (!(buf = malloc((size_t)st.st_size + 2)))
		return ev_errf(err, -ENOMEM, "out of memory");
	got = ev_file_read_private(AT_FDCWD, path, buf, (size_t)st.st_size + 2, 022, err);
	if (got < 0 || (size_t)got > (size_t)st.st_size || strncmp(buf, HEADER, strlen(HEADER)) != 0) {
		rc = got < 0 ? (int)got : ev_errf(err, -EBADMSG, "%s: not a peer cache", path);
		goto out;
	}
	buf[got] = '\0';
	for (line = buf + strlen(HEADER); *line; line = nl + 1) {
		if (!(nl = strchr(line, '\n'))) {
			rc = ev_errf(err, -EBADMSG, "%s: its last line is cut short", path);
			goto out;
		}
		*nl = '\0';
		if ((rc = grow(c, err)))
			goto out;
		if (parse_line(line, &c->e[c->n]) != 0) {
			rc = ev_errf(err, -EBADMSG, "%s: line %zu is not NAME SOURCE LEARNED ADDRS", path, c->n + 2);
			goto out;
		}
		if (c->n && strcmp(c->e[c->n - 1].name, c->e[c->n].name) >= 0)
			c->sorted = false;
		c->n++;
	}
	settle(c);
out:
	free(buf);
	if (rc) {
		free(c->e);
		memset(c, 0, sizeof(*c));
		c->sorted = true;
	}
	return rc;
}

const struct ev_peer_entry *ev_peer_cache_find(struct ev_peer_cache *c, const char *name)
{
	if (!c->n)
		return NULL;
	settle(c);
	for (size_t lo = 0, hi = c->n; lo < hi;) {
		size_t mid = lo + (hi - lo) / 2;
		int r = strcmp(name, c->e[mid].name);

		if (!r)
			return &c->e[mid];
		if (r < 0)
			hi = mid;
		else
			lo = mid + 1;
	}
	return NULL;
}

bool ev_peer_entry_fresh(const struct ev_peer_entry *e, int64_t now)
{
	/* A time ahead of the clock is not trusted to be fresh. */
	return e && e->learned <= now && now - e->learned < EV_PEER_CACHE_TTL_S;
}

int ev_peer_cache_put(struct ev_peer_cache *c, const char *name, enum ev_peer_source src, int64_t now,
		      const struct ev_peer_addr *addrs, unsigned n, struct ev_err *err)
{
	struct ev_peer_entry *e;
	int rc;

	if (!n || strlen(name) >= sizeof(e->name) || !ev_valid_nodename(name) || (unsigned)src >= EV_PEER_SRC__COUNT)
		return ev_errf(err, -EINVAL, "not a node name and its addresses");
	if ((rc = grow(c, err)))
		return rc;
	e = &c->e[c->n++];
	memset(e, 0, sizeof(*e));
	snprintf(e->name, sizeof(e->name), "%s", name);
	e->source = src;
	e->learned = now;
	e->n = n < EV_PEER_ADDRS ? n : EV_PEER_ADDRS;
	memcpy(e->addr, addrs, e->n * sizeof(*addrs));
	c->sorted = false;
	c->changed = true;
	return 0;
}

static int cmp_age(const void *a, const void *b)
{
	const struct ev_peer_entry *x = a, *y = b;

	return x->learned > y->learned ? -1 : x->learned < y->learned;
}

int ev_peer_cache_store(const char *state_dir, struct ev_peer_cache *c, struct ev_err *err)
{
	char path[EV_PATH_CAP], text[INET6_ADDRSTRLEN];
	struct ev_buf b = { 0 };
	int rc;

	if (!c->changed)
		return 0;
	if ((rc = path_of(state_dir, path, sizeof(path), err)))
		return rc;
	settle(c);
	if (c->n > EV_PEER_CACHE_MAX) {
		qsort(c->e, c->n, sizeof(*c->e), cmp_age);
		c->n = EV_PEER_CACHE_MAX;
		c->sorted = false;
		settle(c);
	}
	ev_buf_printf(&b, "%s", HEADER);
	for (size_t i = 0; i < c->n; i++) {
		const struct ev_peer_entry *e = &c->e[i];

		ev_buf_printf(&b, "%s %s %" PRId64 " ", e->name, sources[e->source], e->learned);
		for (unsigned k = 0; k < e->n; k++) {
			inet_ntop(e->addr[k].family, &e->addr[k].a, text, sizeof(text));
			ev_buf_printf(&b, "%s%s", k ? "," : "", text);
		}
		ev_buf_printf(&b, "\n");
	}
	if (b.oom)
		rc = ev_errf(err, -ENOMEM, "out of memory");
	else
		rc = ev_file_write_atomic_nosync(path, b.p, b.len, 0600, err);
	ev_buf_free(&b);
	if (!rc)
		c->changed = false;
	return rc;
}

void ev_peer_cache_free(struct ev_peer_cache *c)
{
	free(c->e);
	memset(c, 0, sizeof(*c));
}
