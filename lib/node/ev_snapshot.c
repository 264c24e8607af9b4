#include "state/ev_job_start.h"

#include <errno.h>
#include <stddef.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "util/ev_buf.h"
#include "config/ev_config.h"
#include "util/ev_file.h"
#include "util/ev_num.h"
#include "state/ev_jobid.h"

#define STATE_MAGIC_1 "efa-verify-snapshot 1"
#define STATE_MAGIC_2 "efa-verify-snapshot 2"
#define STATE_MAX_DEVS 256
#define STATE_MAX_COUNTERS 128
#define STATE_LINE_MAX 1024

/* "K name value\n" for one counter. A snapshot has a thousand of these on
 * a p5; formatting them by hand instead of with printf halves the prolog's
 * instructions (callgrind, bench/run). */
static void sb_counter(struct ev_buf *b, char kind, const char *name, const struct ev_counter *c)
{
	size_t nl = strlen(name);
	char digits[24];
	size_t nd = 0;

	if (c->ok) {
		uint64_t v = c->value;

		do {
			digits[nd++] = (char)('0' + v % 10);
			v /= 10;
		} while (v);
	} else {
		digits[nd++] = '?';
	}
	if (!ev_buf_reserve(b, nl + nd + 4))
		return;
	b->p[b->len++] = kind;
	b->p[b->len++] = ' ';
	memcpy(b->p + b->len, name, nl);
	b->len += nl;
	b->p[b->len++] = ' ';
	while (nd)
		b->p[b->len++] = digits[--nd];
	b->p[b->len++] = '\n';
	b->p[b->len] = '\0';
}

/* Header lines (format 2), then one line per counter: "E dev" opens a
 * device, "P name value" (port) and "D name value" (device) follow it,
 * "T if tx rx"; a bad counter's value is "?". "end" closes the file, so a
 * truncated one is recognised. "tcp_source S" says where the job's TCP is
 * counted; with nftables, "net PEER_TX PEER_RX ALL_TX ALL_RX" holds the
 * job table's counters. The interfaces' T lines are kept either way: the
 * epilog falls back to them if the table is gone. */
static char *serialize(const struct ev_job_start *js, const struct ev_snapshot *s, size_t *len)
{
	struct ev_buf b = { 0 };

	if (js) {
		ev_buf_printf(&b, STATE_MAGIC_2 "\njob %" PRIu32 "\n", js->jobid);
		if (js->node[0])
			ev_buf_printf(&b, "node %s\n", js->node);
		if (js->boot_id[0])
			ev_buf_printf(&b, "boot_id %s\n", js->boot_id);
		if (js->first[0])
			ev_buf_printf(&b, "first %s\n", js->first);
		if (js->whole.whole != EV_WHOLE_UNKNOWN || js->whole.why[0])
			ev_buf_printf(&b, "whole_node %s\nwhole_node_why %s\n", ev_whole_name(js->whole.whole),
				      js->whole.why[0] ? js->whole.why : "-");
		ev_buf_printf(&b, "seq %" PRIu64 "\nothers", js->run.seq);
		for (size_t i = 0; i < js->run.n_others && i < EV_STATE_MAX_OTHERS; i++)
			ev_buf_printf(&b, " %" PRIu32, js->run.others[i]);
		ev_buf_printf(&b, "\n");
		if (js->run.others_truncated)
			ev_buf_printf(&b, "others_truncated 1\n");
	} else {
		ev_buf_printf(&b, STATE_MAGIC_1 "\n");
	}
	ev_buf_printf(&b, "time_ns %" PRIu64 "\n", s->time_ns);
	if (s->job_nodes)
		ev_buf_printf(&b, "job_nodes %" PRIu32 "\n", s->job_nodes);
	if (s->tcp_source != EV_TCP_SRC_NONE)
		ev_buf_printf(&b, "tcp_source %s\n", ev_tcp_source_name(s->tcp_source));
	if (s->tcp_source == EV_TCP_SRC_NFTABLES)
		ev_buf_printf(&b, "net %" PRIu64 " %" PRIu64 " %" PRIu64 " %" PRIu64 "\n", s->net.peer_tx,
			      s->net.peer_rx, s->net.all_tx, s->net.all_rx);
	for (size_t i = 0; i < s->n_efa; i++) {
		const struct ev_dev_counters *d = &s->efa[i];

		ev_buf_printf(&b, "E %s\n", d->dev);
		for (int pass = 0; pass < 2; pass++) {
			const struct ev_counter *c = pass ? d->device : d->port;
			size_t n = pass ? d->n_device : d->n_port;

			for (size_t k = 0; k < n; k++)
				sb_counter(&b, pass ? 'D' : 'P', c[k].name, &c[k]);
		}
	}
	for (size_t i = 0; i < s->n_tcp; i++) {
		if (s->tcp[i].ok)
			ev_buf_printf(&b, "T %s %" PRIu64 " %" PRIu64 "\n", s->tcp[i].ifname, s->tcp[i].tx_bytes,
				  s->tcp[i].rx_bytes);
		else
			ev_buf_printf(&b, "T %s ? ?\n", s->tcp[i].ifname);
	}
	ev_buf_printf(&b, "end\n");
	return ev_buf_take(&b, len);
}

char *ev_snapshot_serialize(const struct ev_snapshot *s, size_t *len)
{
	return serialize(NULL, s, len);
}

char *ev_job_start_serialize(const struct ev_job_start *js, size_t *len)
{
	return serialize(js, &js->snap, len);
}

static int cmp_counter(const void *a, const void *b)
{
	return strcmp(((const struct ev_counter *)a)->name, ((const struct ev_counter *)b)->name);
}

/* On a sorted array. */
static bool repeated(const struct ev_counter *c, size_t n)
{
	for (size_t i = 1; i < n; i++)
		if (strcmp(c[i - 1].name, c[i].name) == 0)
			return true;
	return false;
}

static bool sorted(const struct ev_counter *c, size_t n)
{
	for (size_t i = 1; i < n; i++)
		if (cmp_counter(&c[i - 1], &c[i]) > 0)
			return false;
	return true;
}

static bool add_counter(struct ev_counter **arr, size_t *n, const char *name, const char *val)
{
	struct ev_counter *c;

	/* Repeats are found once the device is sorted (a quadratic search
	 * here was an eighth of the epilog's instructions on a p5). */
	if (*n >= STATE_MAX_COUNTERS || !ev_valid_name(name, EV_COUNTER_NAME_MAX))
		return false;
	if (*n % 16 == 0) {
		struct ev_counter *na = realloc(*arr, (*n + 16) * sizeof(**arr));

		if (!na)
			return false;
		*arr = na;
	}
	c = &(*arr)[*n];
	memset(c, 0, sizeof(*c));
	memcpy(c->name, name, strlen(name) + 1);
	if (strcmp(val, "?") != 0) {
		if (!ev_parse_u64_strict(val, &c->value))
			return false;
		c->ok = true;
	}
	(*n)++;
	return true;
}

/* Split l into tokens at single spaces; any empty token is malformed. */
static int split(char *l, char **tok, int max)
{
	int n = 0;

	if (!*l)
		return -1;
	for (char *p = l;;) {
		char *sp = strchr(p, ' ');

		if (n == max || sp == p || (!sp && !*p))
			return -1;
		tok[n++] = p;
		if (!sp)
			return n;
		*sp = '\0';
		p = sp + 1;
	}
}

enum { H_JOB = 1, H_NODE = 2, H_BOOT = 4, H_SEQ = 8, H_OTHERS = 16, H_TRUNC = 32, H_TIME = 64,
       H_NODES = 128, H_FIRST = 256, H_WHOLE = 512, H_WHOLE_WHY = 1024,
       H_SOURCE = 2048, H_NET = 4096 };

/* A why token as ev_whole_node_judge makes one. */
static bool whole_why_valid(const char *s)
{
	if (strlen(s) >= EV_WHOLE_WHY_MAX)
		return false;
	for (; *s; s++)
		if (!((*s >= 'a' && *s <= 'z') || (*s >= '0' && *s <= '9') || strchr("_:/-", *s)))
			return false;
	return true;
}

static int header(struct ev_job_start *js, char **t, int nt, unsigned *seen)
{
	uint64_t v;

	if (nt < 1)
		return -1;
	if (strcmp(t[0], "others") == 0) {
		if (*seen & H_OTHERS || nt - 1 > EV_STATE_MAX_OTHERS)
			return -1;
		*seen |= H_OTHERS;
		for (int i = 1; i < nt; i++) {
			if (!ev_parse_u64_strict(t[i], &v) || v == 0 || v > UINT32_MAX)
				return -1;
			js->run.others[js->run.n_others++] = (uint32_t)v;
		}
		qsort(js->run.others, js->run.n_others, sizeof(uint32_t), ev_jobid_cmp);
		return 0;
	}
	if (strcmp(t[0], "net") == 0) {
		uint64_t *dst[] = { &js->snap.net.peer_tx, &js->snap.net.peer_rx, &js->snap.net.all_tx,
				    &js->snap.net.all_rx };

		if (*seen & H_NET || nt != 5)
			return -1;
		for (int i = 0; i < 4; i++)
			if (!ev_parse_u64_strict(t[i + 1], dst[i]))
				return -1;
		*seen |= H_NET;
		return 0;
	}
	if (nt != 2)
		return -1;
	if (strcmp(t[0], "job") == 0 && !(*seen & H_JOB) && ev_parse_u64_strict(t[1], &v) && v && v <= UINT32_MAX) {
		js->jobid = (uint32_t)v;
		*seen |= H_JOB;
	} else if (strcmp(t[0], "node") == 0 && !(*seen & H_NODE) && ev_valid_nodename(t[1])) {
		memcpy(js->node, t[1], strlen(t[1]) + 1);
		*seen |= H_NODE;
	} else if (strcmp(t[0], "first") == 0 && !(*seen & H_FIRST) && ev_valid_nodename(t[1])) {
		memcpy(js->first, t[1], strlen(t[1]) + 1);
		*seen |= H_FIRST;
	} else if (strcmp(t[0], "whole_node") == 0 && !(*seen & H_WHOLE) && ev_whole_from_name(t[1]) >= 0) {
		js->whole.whole = (enum ev_whole)ev_whole_from_name(t[1]);
		*seen |= H_WHOLE;
	} else if (strcmp(t[0], "whole_node_why") == 0 && !(*seen & H_WHOLE_WHY) && whole_why_valid(t[1])) {
		if (strcmp(t[1], "-") != 0)
			memcpy(js->whole.why, t[1], strlen(t[1]) + 1);
		*seen |= H_WHOLE_WHY;
	} else if (strcmp(t[0], "boot_id") == 0 && !(*seen & H_BOOT) && ev_boot_id_valid(t[1])) {
		memcpy(js->boot_id, t[1], strlen(t[1]) + 1);
		*seen |= H_BOOT;
	} else if (strcmp(t[0], "seq") == 0 && !(*seen & H_SEQ) && ev_parse_u64_strict(t[1], &v)) {
		js->run.seq = v;
		*seen |= H_SEQ;
	} else if (strcmp(t[0], "others_truncated") == 0 && !(*seen & H_TRUNC) && strcmp(t[1], "1") == 0) {
		js->run.others_truncated = true;
		*seen |= H_TRUNC;
	} else if (strcmp(t[0], "time_ns") == 0 && !(*seen & H_TIME) && ev_parse_u64_strict(t[1], &v)) {
		js->snap.time_ns = v;
		*seen |= H_TIME;
	} else if (strcmp(t[0], "job_nodes") == 0 && !(*seen & H_NODES) && ev_parse_u64_strict(t[1], &v) &&
		   v <= UINT32_MAX) {
		js->snap.job_nodes = (uint32_t)v;
		*seen |= H_NODES;
	} else if (strcmp(t[0], "tcp_source") == 0 && !(*seen & H_SOURCE) &&
		   ev_tcp_source_parse(t[1], &js->snap.tcp_source) == 0) {
		*seen |= H_SOURCE;
	} else {
		return -1;
	}
	return 0;
}

/* Both lists are read the same way: a bounded array grown one named entry
 * at a time, a repeated name refused. Returns the grown array with entry n
 * zeroed and named, or NULL (the old array still valid and owned). */
static void *grow_named(void *arr, size_t n, size_t max, size_t size, size_t name_off,
			size_t name_max, const char *name)
{
	char *a = arr;

	if (n >= max || !ev_valid_name(name, name_max))
		return NULL;
	for (size_t i = 0; i < n; i++)
		if (strcmp(a + i * size + name_off, name) == 0)
			return NULL;
	a = realloc(arr, (n + 1) * size);
	if (!a)
		return NULL;
	memset(a + n * size, 0, size);
	memcpy(a + n * size + name_off, name, strlen(name) + 1);
	return a;
}

static bool add_dev(struct ev_snapshot *s, const char *name)
{
	struct ev_dev_counters *nd = grow_named(s->efa, s->n_efa, STATE_MAX_DEVS, sizeof(*nd),
						offsetof(struct ev_dev_counters, dev), EV_NAME_MAX, name);

	if (!nd)
		return false;
	s->efa = nd;
	s->n_efa++;
	return true;
}

static bool add_tcp(struct ev_snapshot *s, const char *ifname, const char *tx, const char *rx)
{
	struct ev_tcp_counters *nt = grow_named(s->tcp, s->n_tcp, EV_MAX_TCP_IFACES, sizeof(*nt),
						offsetof(struct ev_tcp_counters, ifname), EV_IFNAME_MAX,
						ifname);
	struct ev_tcp_counters *t;

	if (!nt)
		return false;
	s->tcp = nt;
	t = &nt[s->n_tcp];
	if (strcmp(tx, "?") == 0 && strcmp(rx, "?") == 0) {
		s->n_tcp++;
		return true;
	}
	if (!ev_parse_u64_strict(tx, &t->tx_bytes) || !ev_parse_u64_strict(rx, &t->rx_bytes))
		return false;
	t->ok = true;
	s->n_tcp++;
	return true;
}

void ev_job_start_free(struct ev_job_start *js)
{
	ev_snapshot_free(&js->snap);
	memset(js, 0, sizeof(*js));
}

static int bad(struct ev_job_start *out, struct ev_err *err, unsigned line, const char *why)
{
	ev_job_start_free(out);
	return ev_errf(err, -EBADMSG, "snapshot line %u: %s", line, why);
}

int ev_job_start_deserialize(const char *text, size_t len, struct ev_job_start *out, struct ev_err *err)
{
	unsigned line = 0, seen = 0;
	int version = 0;
	bool ended = false, in_body = false;
	size_t pos = 0;

	memset(out, 0, sizeof(*out));
	if (len > EV_JOB_START_MAX || memchr(text, '\0', len))
		return ev_errf(err, -EBADMSG, "snapshot: not a text file of a sane size");
	while (pos < len) {
		const char *nl = memchr(text + pos, '\n', len - pos);
		size_t ll = nl ? (size_t)(nl - (text + pos)) : len - pos;
		char l[STATE_LINE_MAX], *t[EV_STATE_MAX_OTHERS + 2];
		int nt;

		line++;
		if (!nl)
			return bad(out, err, line, "truncated (last line unterminated)");
		if (ll >= sizeof(l))
			return bad(out, err, line, "line too long");
		memcpy(l, text + pos, ll);
		l[ll] = '\0';
		pos += ll + 1;
		if (ended)
			return bad(out, err, line, "text after the end marker");
		if (line == 1) {
			version = strcmp(l, STATE_MAGIC_2) == 0 ? 2 : strcmp(l, STATE_MAGIC_1) == 0 ? 1 : 0;
			if (!version)
				return bad(out, err, line, "not an efa-verify snapshot");
			continue;
		}
		if (strcmp(l, "end") == 0) {
			ended = true;
			continue;
		}
		nt = split(l, t, EV_STATE_MAX_OTHERS + 2);
		if (nt < 0)
			return bad(out, err, line, "malformed line");
		if (strcmp(t[0], "E") == 0 && nt == 2) {
			in_body = true;
			if (!add_dev(&out->snap, t[1]))
				return bad(out, err, line, "bad or repeated device");
		} else if ((strcmp(t[0], "P") == 0 || strcmp(t[0], "D") == 0) && nt == 3) {
			struct ev_dev_counters *d = out->snap.n_efa ? &out->snap.efa[out->snap.n_efa - 1] : NULL;

			if (!d)
				return bad(out, err, line, "counter before any device");
			if (!add_counter(t[0][0] == 'P' ? &d->port : &d->device,
					 t[0][0] == 'P' ? &d->n_port : &d->n_device, t[1], t[2]))
				return bad(out, err, line, "bad or repeated counter");
		} else if (strcmp(t[0], "T") == 0 && nt == 4) {
			in_body = true;
			if (!add_tcp(&out->snap, t[1], t[2], t[3]))
				return bad(out, err, line, "bad or repeated interface");
		} else if (in_body || header(out, t, nt, &seen) != 0 ||
			   (version == 1 && (seen & ~(unsigned)(H_TIME | H_NODES | H_SOURCE | H_NET)))) {
			return bad(out, err, line, "unexpected content");
		}
	}
	if (!ended)
		return bad(out, err, line, "truncated (no end marker)");
	if (version == 2 && (seen & (H_JOB | H_SEQ | H_OTHERS)) != (H_JOB | H_SEQ | H_OTHERS))
		return bad(out, err, line, "job, seq or others missing");
	/* The job table's counters, exactly when they are the source. */
	if (!(seen & H_NET) != (out->snap.tcp_source != EV_TCP_SRC_NFTABLES))
		return bad(out, err, line, "tcp_source nftables and its net line go together");
	/* ev_counter_find searches sorted arrays. */
	for (size_t i = 0; i < out->snap.n_efa; i++) {
		struct ev_dev_counters *d = &out->snap.efa[i];

		/* Written sorted: only a file edited by hand needs the sort. */
		if (!sorted(d->port, d->n_port))
			qsort(d->port, d->n_port, sizeof(*d->port), cmp_counter);
		if (!sorted(d->device, d->n_device))
			qsort(d->device, d->n_device, sizeof(*d->device), cmp_counter);
		if (repeated(d->port, d->n_port) || repeated(d->device, d->n_device))
			return bad(out, err, line, "repeated counter");
	}
	return 0;
}

int ev_snapshot_deserialize(const char *text, size_t len, struct ev_snapshot *out, struct ev_err *err)
{
	struct ev_job_start js;
	int rc = ev_job_start_deserialize(text, len, &js, err);

	*out = js.snap;
	return rc;
}
