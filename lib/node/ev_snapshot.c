/* Snapshots: taking one, and its text form. */
#include "node/ev_snapshot.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "util/ev_file.h"
#include "util/ev_num.h"

#define SNAP_MAGIC "efa-verify-snapshot 1"
#define SNAP_MAX_DEVS 256
#define SNAP_MAX_COUNTERS 128
#define SNAP_LINE_MAX 1024
/* "net" and its four counters. */
#define SNAP_MAX_TOK 5

/* On a driver with no port level, the device's hw_counters holds both
 * lists: the second read is added to the first and the whole kept sorted
 * (a name in both is kept once). Old drivers only: its cost is no
 * concern. */
static int read_device_level(int devfd, const char *const *names, const char *const *dev_names,
			     bool no_port, struct ev_dev_counters *d, unsigned *n_bad, struct ev_err *err)
{
	struct ev_counter *more, *all;
	size_t n_more, k = 0;
	int rc;

	if (!no_port)
		return ev_counter_files_read(devfd, "hw_counters", dev_names, &d->device, &d->n_device, n_bad, err);
	rc = ev_counter_dir_read(devfd, "hw_counters", names, &d->device, &d->n_device, NULL, n_bad, err);
	if (rc || !dev_names)
		return rc;
	rc = ev_counter_dir_read(devfd, "hw_counters", dev_names, &more, &n_more, NULL, n_bad, err);
	if (rc || !n_more)
		return rc;
	all = realloc(d->device, (d->n_device + n_more) * sizeof(*all));
	if (!all) {
		free(more);
		return ev_errf(err, -ENOMEM, "out of memory");
	}
	d->device = all;
	for (size_t i = 0; i < n_more; i++)
		if (!bsearch(&more[i], all, d->n_device, sizeof(*all), ev_counter_cmp))
			all[d->n_device + k++] = more[i];
	d->n_device += k;
	qsort(all, d->n_device, sizeof(*all), ev_counter_cmp);
	free(more);
	return 0;
}

int ev_snapshot_take(const struct ev_config *cfg, const struct ev_device_list *devs,
		     const char *const *names, const char *const *dev_names, struct ev_snapshot *out,
		     struct ev_err *err)
{
	char (*found)[EV_IFNAME_MAX] = NULL;
	const char (*ifaces)[EV_IFNAME_MAX] = cfg->tcp_ifaces;
	char path[4096];
	struct timespec ts;
	size_t n_if = 0;
	int ibfd = -1, netfd = -1, rc = 0;

	memset(out, 0, sizeof(*out));
	out->tcp_source = EV_TCP_SRC_INTERFACE;
	clock_gettime(CLOCK_REALTIME, &ts);
	out->time_ns = (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;

	if (devs->n) {
		out->efa = calloc(devs->n, sizeof(*out->efa));
		if (!out->efa)
			return ev_errf(err, -ENOMEM, "out of memory");
		if (ev_path_join(path, sizeof(path), cfg->sysfs_root, "class/infiniband") != 0)
			return ev_errf(err, -ENAMETOOLONG, "%s: path too long", cfg->sysfs_root);
		ibfd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (ibfd < 0) {
			rc = ev_errf(err, -errno, "%s: %s", path, strerror(errno));
			goto out;
		}
	}
	for (size_t i = 0; i < devs->n; i++) {
		struct ev_dev_counters *d = &out->efa[out->n_efa];
		bool no_port = false;
		int devfd = openat(ibfd, devs->devs[i].name, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

		/* A device that vanished since discovery is left out; the
		 * verdict notices it missing. */
		if (devfd < 0)
			continue;
		memcpy(d->dev, devs->devs[i].name, sizeof(d->dev));
		rc = ev_counter_dir_read(devfd, "ports/1/hw_counters", names, &d->port, &d->n_port, &no_port,
				      &out->n_bad, err);
		/* Device-level counters are admin commands and setup errors on
		 * current drivers: a job reads only the setup errors
		 * (dev_names). Older drivers have no port-level directory and
		 * keep the traffic counters there, under the same names
		 * (ev_counter_find looks at both). */
		if (rc == 0 && !names)
			rc = ev_counter_dir_read(devfd, "hw_counters", NULL, &d->device, &d->n_device, NULL,
					      &out->n_bad, err);
		else if (rc == 0 && (no_port || dev_names))
			rc = read_device_level(devfd, names, dev_names, no_port, d, &out->n_bad, err);
		close(devfd);
		out->n_efa++;
		if (rc)
			goto out;
	}

	if (cfg->tcp_auto) {
		rc = ev_tcp_ifaces_auto(cfg->sysfs_root, &found, &n_if, err);
		if (rc)
			goto out;
		ifaces = (const char (*)[EV_IFNAME_MAX])found;
		/* Counting some of them would pass a part of the node's TCP
		 * off as all of it. */
		if (n_if > EV_SNAPSHOT_MAX_IFACES) {
			rc = ev_errf(err, -E2BIG,
				     "%zu ENA interfaces, more than the %d counted (not counted: %s to %s); "
				     "name the ones to count in tcp_interfaces",
				     n_if, EV_SNAPSHOT_MAX_IFACES, found[EV_SNAPSHOT_MAX_IFACES], found[n_if - 1]);
			goto out;
		}
	} else {
		n_if = cfg->n_tcp_ifaces;
	}
	if (n_if) {
		out->tcp = calloc(n_if, sizeof(*out->tcp));
		if (!out->tcp) {
			rc = ev_errf(err, -ENOMEM, "out of memory");
			goto out;
		}
		if (ev_path_join(path, sizeof(path), cfg->sysfs_root, "class/net") != 0) {
			rc = ev_errf(err, -ENAMETOOLONG, "%s: path too long", cfg->sysfs_root);
			goto out;
		}
		netfd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		for (size_t i = 0; i < n_if; i++) {
			struct ev_tcp_counters *t = &out->tcp[out->n_tcp++];

			memcpy(t->ifname, ifaces[i], EV_IFNAME_MAX);
			if (netfd >= 0)
				ev_tcp_counters_read(netfd, t);
			if (!t->ok)
				out->n_bad++;
		}
	}
out:
	free(found);
	if (ibfd >= 0)
		close(ibfd);
	if (netfd >= 0)
		close(netfd);
	if (rc)
		ev_snapshot_free(out);
	return rc;
}

void ev_snapshot_free(struct ev_snapshot *s)
{
	for (size_t i = 0; i < s->n_efa; i++) {
		free(s->efa[i].port);
		free(s->efa[i].device);
	}
	free(s->efa);
	free(s->tcp);
	memset(s, 0, sizeof(*s));
}

const struct ev_dev_counters *ev_snapshot_dev(const struct ev_snapshot *s, const char *name)
{
	for (size_t i = 0; s && i < s->n_efa; i++)
		if (strncmp(s->efa[i].dev, name, EV_NAME_MAX) == 0)
			return &s->efa[i];
	return NULL;
}

const struct ev_tcp_counters *ev_snapshot_if(const struct ev_snapshot *s, const char *name)
{
	for (size_t i = 0; s && i < s->n_tcp; i++)
		if (strncmp(s->tcp[i].ifname, name, EV_IFNAME_MAX) == 0)
			return &s->tcp[i];
	return NULL;
}

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

/* One line per counter: "E dev" opens a device, "P name value" (port) and
 * "D name value" (device) follow it, "T if tx rx"; a bad counter's value
 * is "?". "end" closes the text, so a truncated one is recognised.
 * "tcp_source S" says where the job's TCP is counted; with nftables,
 * "net PEER_TX PEER_RX ALL_TX ALL_RX" holds the job table's counters. The
 * interfaces' T lines are kept either way: the epilog falls back to them
 * if the table is gone. */
void ev_snapshot_text_append(struct ev_buf *b, const struct ev_snapshot *s)
{
	ev_buf_printf(b, "time_ns %" PRIu64 "\n", s->time_ns);
	if (s->job_nodes)
		ev_buf_printf(b, "job_nodes %" PRIu32 "\n", s->job_nodes);
	if (s->tcp_source != EV_TCP_SRC_NONE)
		ev_buf_printf(b, "tcp_source %s\n", ev_tcp_source_name(s->tcp_source));
	if (s->tcp_source == EV_TCP_SRC_NFTABLES)
		ev_buf_printf(b, "net %" PRIu64 " %" PRIu64 " %" PRIu64 " %" PRIu64 "\n", s->net.peer_tx,
			      s->net.peer_rx, s->net.all_tx, s->net.all_rx);
	for (size_t i = 0; i < s->n_efa; i++) {
		const struct ev_dev_counters *d = &s->efa[i];

		ev_buf_printf(b, "E %s\n", d->dev);
		for (int pass = 0; pass < 2; pass++) {
			const struct ev_counter *c = pass ? d->device : d->port;
			size_t n = pass ? d->n_device : d->n_port;

			for (size_t k = 0; k < n; k++)
				sb_counter(b, pass ? 'D' : 'P', c[k].name, &c[k]);
		}
	}
	for (size_t i = 0; i < s->n_tcp; i++) {
		if (s->tcp[i].ok)
			ev_buf_printf(b, "T %s %" PRIu64 " %" PRIu64 "\n", s->tcp[i].ifname, s->tcp[i].tx_bytes,
				      s->tcp[i].rx_bytes);
		else
			ev_buf_printf(b, "T %s ? ?\n", s->tcp[i].ifname);
	}
	ev_buf_printf(b, "end\n");
}

char *ev_snapshot_serialize(const struct ev_snapshot *s, size_t *len)
{
	struct ev_buf b = { 0 };

	ev_buf_printf(&b, SNAP_MAGIC "\n");
	ev_snapshot_text_append(&b, s);
	return ev_buf_take(&b, len);
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
		if (ev_counter_cmp(&c[i - 1], &c[i]) > 0)
			return false;
	return true;
}

static bool add_counter(struct ev_counter **arr, size_t *n, const char *name, const char *val)
{
	struct ev_counter *c;

	/* Repeats are found once the device is sorted (a quadratic search
	 * here was an eighth of the epilog's instructions on a p5). */
	if (*n >= SNAP_MAX_COUNTERS || !ev_valid_name(name, EV_COUNTER_NAME_MAX))
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

enum { H_TIME = 1, H_NODES = 2, H_SOURCE = 4, H_NET = 8 };

/* A header line of the snapshot's own: 0 taken, 1 not its own, -1 bad. */
static int header(struct ev_snapshot *s, char **t, int nt, unsigned *seen)
{
	uint64_t v;

	if (strcmp(t[0], "net") == 0) {
		uint64_t *dst[] = { &s->net.peer_tx, &s->net.peer_rx, &s->net.all_tx, &s->net.all_rx };

		if (*seen & H_NET || nt != 5)
			return -1;
		for (int i = 0; i < 4; i++)
			if (!ev_parse_u64_strict(t[i + 1], dst[i]))
				return -1;
		*seen |= H_NET;
		return 0;
	}
	if (nt != 2)
		return 1;
	if (strcmp(t[0], "time_ns") == 0 && !(*seen & H_TIME) && ev_parse_u64_strict(t[1], &v)) {
		s->time_ns = v;
		*seen |= H_TIME;
	} else if (strcmp(t[0], "job_nodes") == 0 && !(*seen & H_NODES) && ev_parse_u64_strict(t[1], &v) &&
		   v <= UINT32_MAX) {
		s->job_nodes = (uint32_t)v;
		*seen |= H_NODES;
	} else if (strcmp(t[0], "tcp_source") == 0 && !(*seen & H_SOURCE) &&
		   ev_tcp_source_parse(t[1], &s->tcp_source) == 0) {
		*seen |= H_SOURCE;
	} else {
		return 1;
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
	struct ev_dev_counters *nd = grow_named(s->efa, s->n_efa, SNAP_MAX_DEVS, sizeof(*nd),
						offsetof(struct ev_dev_counters, dev), EV_NAME_MAX, name);

	if (!nd)
		return false;
	s->efa = nd;
	s->n_efa++;
	return true;
}

static bool add_tcp(struct ev_snapshot *s, const char *ifname, const char *tx, const char *rx)
{
	struct ev_tcp_counters *nt = grow_named(s->tcp, s->n_tcp, EV_SNAPSHOT_MAX_IFACES, sizeof(*nt),
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

static int bad(struct ev_snapshot *out, struct ev_err *err, unsigned line, const char *why)
{
	ev_snapshot_free(out);
	return ev_errf(err, -EBADMSG, "snapshot line %u: %s", line, why);
}

int ev_snapshot_parse(const char *text, size_t len, const struct ev_snapshot_wrap *w,
		      struct ev_snapshot *out, struct ev_err *err)
{
	unsigned line = 0, seen = 0;
	bool ended = false, in_body = false, wrapped = false;
	char *own_tok[SNAP_MAX_TOK];
	char **t = w ? w->tok : own_tok;
	int max_tok = w ? w->max_tok : SNAP_MAX_TOK;
	size_t pos = 0;

	memset(out, 0, sizeof(*out));
	if (len > EV_SNAPSHOT_TEXT_MAX || memchr(text, '\0', len))
		return ev_errf(err, -EBADMSG, "snapshot: not a text file of a sane size");
	while (pos < len) {
		const char *nl = memchr(text + pos, '\n', len - pos);
		size_t ll = nl ? (size_t)(nl - (text + pos)) : len - pos;
		char l[SNAP_LINE_MAX];
		int nt, rc;

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
			wrapped = w && strcmp(l, w->magic) == 0;
			if (!wrapped && strcmp(l, SNAP_MAGIC) != 0)
				return bad(out, err, line, "not an efa-verify snapshot");
			continue;
		}
		if (strcmp(l, "end") == 0) {
			ended = true;
			continue;
		}
		nt = split(l, t, max_tok);
		if (nt < 0)
			return bad(out, err, line, "malformed line");
		if (strcmp(t[0], "E") == 0 && nt == 2) {
			in_body = true;
			if (!add_dev(out, t[1]))
				return bad(out, err, line, "bad or repeated device");
		} else if ((strcmp(t[0], "P") == 0 || strcmp(t[0], "D") == 0) && nt == 3) {
			struct ev_dev_counters *d = out->n_efa ? &out->efa[out->n_efa - 1] : NULL;

			if (!d)
				return bad(out, err, line, "counter before any device");
			if (!add_counter(t[0][0] == 'P' ? &d->port : &d->device,
					 t[0][0] == 'P' ? &d->n_port : &d->n_device, t[1], t[2]))
				return bad(out, err, line, "bad or repeated counter");
		} else if (strcmp(t[0], "T") == 0 && nt == 4) {
			in_body = true;
			if (!add_tcp(out, t[1], t[2], t[3]))
				return bad(out, err, line, "bad or repeated interface");
		} else if (in_body || (rc = header(out, t, nt, &seen)) < 0 ||
			   (rc > 0 && (!wrapped || w->header(w->ctx, t, nt) != 0))) {
			return bad(out, err, line, "unexpected content");
		}
	}
	if (!ended)
		return bad(out, err, line, "truncated (no end marker)");
	if (wrapped && w->missing) {
		const char *why = w->missing(w->ctx);

		if (why)
			return bad(out, err, line, why);
	}
	/* The job table's counters, exactly when they are the source. */
	if (!(seen & H_NET) != (out->tcp_source != EV_TCP_SRC_NFTABLES))
		return bad(out, err, line, "tcp_source nftables and its net line go together");
	/* ev_counter_find searches sorted arrays. */
	for (size_t i = 0; i < out->n_efa; i++) {
		struct ev_dev_counters *d = &out->efa[i];

		/* Written sorted: only a text edited by hand needs the sort. */
		if (!sorted(d->port, d->n_port))
			qsort(d->port, d->n_port, sizeof(*d->port), ev_counter_cmp);
		if (!sorted(d->device, d->n_device))
			qsort(d->device, d->n_device, sizeof(*d->device), ev_counter_cmp);
		if (repeated(d->port, d->n_port) || repeated(d->device, d->n_device))
			return bad(out, err, line, "repeated counter");
	}
	return 0;
}

int ev_snapshot_deserialize(const char *text, size_t len, struct ev_snapshot *out, struct ev_err *err)
{
	return ev_snapshot_parse(text, len, NULL, out, err);
}
