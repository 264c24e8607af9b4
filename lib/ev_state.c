#include "ev_state.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ev_buf.h"
#include "ev_config.h"
#include "ev_file.h"

#define STATE_MAGIC_1 "efa-verify-snapshot 1"
#define STATE_MAGIC_2 "efa-verify-snapshot 2"
#define STATE_MAX (4u << 20)
#define STATE_MAX_DEVS 256
#define STATE_MAX_COUNTERS 128
#define STATE_LINE_MAX 1024
#define PATH_CAP 4096

int ev_jobid_parse(const char *s, uint32_t *out, struct ev_err *err)
{
	uint64_t v = 0;

	if (!s || !*s || strlen(s) > 10)
		return ev_errf(err, -EINVAL, "job id '%.16s' is not a Slurm job id", s ? s : "");
	for (const char *p = s; *p; p++) {
		if (*p < '0' || *p > '9')
			return ev_errf(err, -EINVAL, "job id '%.16s' is not a Slurm job id", s);
		v = v * 10 + (uint64_t)(*p - '0');
	}
	if (v == 0 || v > UINT32_MAX)
		return ev_errf(err, -EINVAL, "job id '%.16s' is out of range", s);
	*out = (uint32_t)v;
	return 0;
}

/* ------------------------------------------------------------ directories */

/* A directory we keep root's state in: a real directory (lstat, so a
 * symlink is refused), ours, and writable by nobody else, who could
 * otherwise plant links or files in it. */
static int check_dir(const char *path, struct ev_err *err)
{
	struct stat st;

	if (lstat(path, &st) != 0)
		return ev_errf(err, -errno, "%s: %s", path, strerror(errno));
	if (S_ISLNK(st.st_mode))
		return ev_errf(err, -ELOOP, "%s: is a symbolic link, refused", path);
	if (!S_ISDIR(st.st_mode))
		return ev_errf(err, -ENOTDIR, "%s: not a directory", path);
	if (st.st_uid != geteuid())
		return ev_errf(err, -EPERM, "%s: owned by uid %u, not %u: refused", path, (unsigned)st.st_uid,
			       (unsigned)geteuid());
	if (st.st_mode & 022)
		return ev_errf(err, -EPERM, "%s: writable by group or others (mode %03o): refused", path,
			       (unsigned)(st.st_mode & 0777));
	return 0;
}

/* state_dir/sub into out, both checked; created 0700 when create. */
static int subdir(const char *state_dir, const char *sub, bool create, char *out, size_t cap,
		  struct ev_err *err)
{
	int rc;

	if (!state_dir || !*state_dir)
		return ev_errf(err, -EINVAL, "no state_dir");
	if (ev_path_join(out, cap, state_dir, sub))
		return ev_errf(err, -ENAMETOOLONG, "%s: path too long", state_dir);
	if (create && (rc = ev_mkdir_p(out, 0700, true, err)))
		return rc;
	if ((rc = check_dir(state_dir, err)))
		return rc;
	return check_dir(out, err);
}

/* A small state file: regular, ours, nobody else may write it. */
static long read_private(const char *path, char *buf, size_t cap, struct ev_err *err)
{
	return ev_file_read_private(AT_FDCWD, path, buf, cap, 022, err);
}

/* ------------------------------------------------------------ text form */

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

bool ev_boot_id_valid(const char *s)
{
	size_t n = strlen(s);

	if (n >= EV_BOOT_ID_MAX)
		return false;
	for (; *s; s++)
		if (!((*s >= '0' && *s <= '9') || (*s >= 'a' && *s <= 'f') || *s == '-'))
			return false;
	return true;
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

static int cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return x < y ? -1 : x > y;
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
		qsort(js->run.others, js->run.n_others, sizeof(uint32_t), cmp_u32);
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

static bool add_dev(struct ev_snapshot *s, const char *name)
{
	struct ev_dev_counters *nd;

	if (s->n_efa >= STATE_MAX_DEVS || !ev_valid_name(name, EV_NAME_MAX))
		return false;
	for (size_t i = 0; i < s->n_efa; i++)
		if (strcmp(s->efa[i].dev, name) == 0)
			return false;
	nd = realloc(s->efa, (s->n_efa + 1) * sizeof(*nd));
	if (!nd)
		return false;
	s->efa = nd;
	memset(&nd[s->n_efa], 0, sizeof(*nd));
	memcpy(nd[s->n_efa].dev, name, strlen(name) + 1);
	s->n_efa++;
	return true;
}

static bool add_tcp(struct ev_snapshot *s, const char *ifname, const char *tx, const char *rx)
{
	struct ev_tcp_counters *nt, *t;

	if (s->n_tcp >= EV_MAX_TCP_IFACES || !ev_valid_name(ifname, EV_IFNAME_MAX))
		return false;
	for (size_t i = 0; i < s->n_tcp; i++)
		if (strcmp(s->tcp[i].ifname, ifname) == 0)
			return false;
	nt = realloc(s->tcp, (s->n_tcp + 1) * sizeof(*nt));
	if (!nt)
		return false;
	s->tcp = nt;
	t = &nt[s->n_tcp];
	memset(t, 0, sizeof(*t));
	memcpy(t->ifname, ifname, strlen(ifname) + 1);
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
	if (len > STATE_MAX || memchr(text, '\0', len))
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

/* ------------------------------------------------------------ start files */

static int job_path(const char *state_dir, uint32_t jobid, char *out, size_t cap, struct ev_err *err)
{
	int n = snprintf(out, cap, "%s/jobs/%" PRIu32 ".start", state_dir, jobid);

	if (n < 0 || (size_t)n >= cap)
		return ev_errf(err, -ENAMETOOLONG, "%s: path too long", state_dir);
	return 0;
}

/* Takes text (frees it). */
static int save(const char *state_dir, uint32_t jobid, char *text, size_t len, struct ev_err *err)
{
	char dir[PATH_CAP], path[PATH_CAP];
	int rc;

	if (!text)
		return ev_errf(err, -ENOMEM, "out of memory");
	if (!jobid)
		rc = ev_errf(err, -EINVAL, "job id 0");
	else if (!(rc = subdir(state_dir, "jobs", true, dir, sizeof(dir), err)) &&
		 !(rc = job_path(state_dir, jobid, path, sizeof(path), err)))
		rc = ev_file_write_atomic_nosync(path, text, len, 0600, err);
	free(text);
	return rc;
}

int ev_state_save_start(const char *state_dir, uint32_t jobid, const struct ev_snapshot *s,
			struct ev_err *err)
{
	size_t len = 0;
	char *text = ev_snapshot_serialize(s, &len);

	return save(state_dir, jobid, text, len, err);
}

int ev_job_start_save(const char *state_dir, const struct ev_job_start *js, struct ev_err *err)
{
	size_t len = 0;
	char *text;

	if (js->node[0] && !ev_valid_nodename(js->node))
		return ev_errf(err, -EINVAL, "node name '%.64s' refused", js->node);
	if (!ev_boot_id_valid(js->boot_id))
		return ev_errf(err, -EINVAL, "boot id refused");
	text = ev_job_start_serialize(js, &len);
	return save(state_dir, js->jobid, text, len, err);
}

int ev_job_start_load(const char *state_dir, uint32_t jobid, struct ev_job_start *out,
		      struct ev_err *err)
{
	char dir[PATH_CAP], path[PATH_CAP];
	char *buf;
	long n;
	int rc;

	memset(out, 0, sizeof(*out));
	if ((rc = job_path(state_dir, jobid, path, sizeof(path), err)))
		return rc;
	if ((rc = subdir(state_dir, "jobs", false, dir, sizeof(dir), err)))
		return rc == -ENOENT ? ev_errf(err, rc, "no start snapshot for job %" PRIu32, jobid) : rc;
	buf = malloc(STATE_MAX + 1);
	if (!buf)
		return ev_errf(err, -ENOMEM, "out of memory");
	n = read_private(path, buf, STATE_MAX + 1, err);
	if (n == -ENOENT) {
		free(buf);
		return ev_errf(err, -ENOENT, "no start snapshot for job %" PRIu32, jobid);
	}
	if (n < 0) {
		free(buf);
		return (int)n;
	}
	rc = ev_job_start_deserialize(buf, (size_t)n, out, err);
	free(buf);
	if (rc)
		return ev_err_prefix(err, rc, "%s", path);
	/* A format 1 file has no job line; a format 2 one must be this job's. */
	if (out->jobid && out->jobid != jobid) {
		ev_job_start_free(out);
		return ev_errf(err, -EBADMSG, "%s: belongs to job %" PRIu32 ", not %" PRIu32, path,
			       out->jobid, jobid);
	}
	out->jobid = jobid;
	return 0;
}

int ev_state_load_start(const char *state_dir, uint32_t jobid, struct ev_snapshot *out,
			struct ev_err *err)
{
	struct ev_job_start js;
	int rc = ev_job_start_load(state_dir, jobid, &js, err);

	*out = js.snap;
	return rc;
}

int ev_state_remove_start(const char *state_dir, uint32_t jobid)
{
	char path[PATH_CAP];

	if (job_path(state_dir, jobid, path, sizeof(path), NULL))
		return -ENAMETOOLONG;
	return unlink(path) == 0 || errno == ENOENT ? 0 : -errno;
}

/* ------------------------------------------------------------ the user's view */

/* dirfd/name as a directory (never through a symlink), fstat'ed into st.
 * pass: only to go through (O_PATH), which a user can where root lets them
 * search but not list. */
static int open_dir_at(int dirfd, const char *name, bool pass, const char *shown, struct stat *st,
		       struct ev_err *err)
{
	int fd = openat(dirfd, name, (pass ? O_PATH : O_RDONLY) | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);

	if (fd < 0) {
		int rc = -errno;

		if (rc == -ENOTDIR || rc == -ELOOP)
			return ev_errf(err, -EPERM, "%s: not a directory, refused", shown);
		return ev_errf(err, rc, "%s: %s", shown, strerror(-rc));
	}
	if (fstat(fd, st) != 0) {
		int rc = -errno;

		close(fd);
		return ev_errf(err, rc, "%s: %s", shown, strerror(-rc));
	}
	return fd;
}

/* state_dir, view/ and view/<uid>/ as far as they were opened. */
static void close_dirs(int sfd, int vfd, int ufd)
{
	if (ufd >= 0)
		close(ufd);
	if (vfd >= 0)
		close(vfd);
	if (sfd >= 0)
		close(sfd);
}

/* A directory of root's that users pass through: ours, written by nobody
 * else, and searchable by all (011 added where missing). */
static int passage(int dirfd, const char *name, const char *shown, struct ev_err *err)
{
	struct stat st;
	int fd = open_dir_at(dirfd, name, false, shown, &st, err);

	if (fd < 0)
		return fd;
	if (st.st_uid != geteuid() || (st.st_mode & 022)) {
		close(fd);
		return ev_errf(err, -EPERM, "%s: not a private directory of uid %u (owner %u, mode %03o): refused",
			       shown, (unsigned)geteuid(), (unsigned)st.st_uid, (unsigned)(st.st_mode & 0777));
	}
	if ((st.st_mode & 011) != 011 && fchmod(fd, (st.st_mode & 07777) | 011) != 0) {
		int rc = -errno;

		close(fd);
		return ev_errf(err, rc, "%s: chmod: %s", shown, strerror(-rc));
	}
	return fd;
}

int ev_job_view_save(const char *state_dir, const struct ev_job_start *js, uint32_t uid,
		     struct ev_err *err)
{
	char shown[PATH_CAP], name[24];
	struct ev_job_start copy = *js;
	struct stat st;
	int sfd = -1, vfd = -1, ufd = -1, rc;
	size_t len = 0;
	char *text;

	if (!js->jobid)
		return ev_errf(err, -EINVAL, "job id 0");
	if (!state_dir || !*state_dir)
		return ev_errf(err, -EINVAL, "no state_dir");
	if ((rc = ev_mkdir_p(state_dir, 0711, true, err)))
		return rc;
	if ((sfd = passage(AT_FDCWD, state_dir, state_dir, err)) < 0)
		return sfd;
	snprintf(shown, sizeof(shown), "%s/view", state_dir);
	if (mkdirat(sfd, "view", 0711) != 0 && errno != EEXIST) {
		rc = ev_errf(err, -errno, "%s: cannot create: %s", shown, strerror(errno));
		goto out;
	}
	if ((vfd = passage(sfd, "view", shown, err)) < 0) {
		rc = vfd;
		goto out;
	}
	snprintf(name, sizeof(name), "%" PRIu32, uid);
	snprintf(shown, sizeof(shown), "%s/view/%s", state_dir, name);
	if (mkdirat(vfd, name, 0700) != 0 && errno != EEXIST) {
		rc = ev_errf(err, -errno, "%s: cannot create: %s", shown, strerror(errno));
		goto out;
	}
	if ((ufd = open_dir_at(vfd, name, false, shown, &st, err)) < 0) {
		rc = ufd;
		goto out;
	}
	/* Ours when just made (or left half made): handed to the user, who
	 * may read, never write, there; root writes regardless. */
	if (st.st_uid != uid && st.st_uid == geteuid() &&
	    (fchown(ufd, (uid_t)uid, (gid_t)-1) != 0 || fchmod(ufd, 0500) != 0)) {
		rc = ev_errf(err, -errno, "%s: cannot hand it to uid %" PRIu32 ": %s", shown, uid, strerror(errno));
		goto out;
	}
	if (st.st_uid != uid && st.st_uid != geteuid()) {
		rc = ev_errf(err, -EPERM, "%s: owned by uid %u, not %" PRIu32 ": refused", shown,
			     (unsigned)st.st_uid, uid);
		goto out;
	}
	/* Not the other jobs of the node: they are not this user's to see. */
	memset(&copy.run, 0, sizeof(copy.run));
	if (!(text = ev_job_start_serialize(&copy, &len))) {
		rc = ev_errf(err, -ENOMEM, "out of memory");
		goto out;
	}
	snprintf(name, sizeof(name), "%" PRIu32 ".start", js->jobid);
	rc = ev_file_write_atomic_at_nosync(ufd, name, text, len, 0444, err);
	free(text);
out:
	close_dirs(sfd, vfd, ufd);
	return rc;
}

int ev_job_view_load(const char *state_dir, uint32_t jobid, struct ev_job_start *out,
		     struct ev_err *err)
{
	char shown[PATH_CAP], name[24];
	uid_t me = geteuid(), owner;
	struct stat st;
	int sfd, vfd = -1, ufd = -1, rc;
	char *buf = NULL;
	long n;

	memset(out, 0, sizeof(*out));
	if (!state_dir || !*state_dir)
		return ev_errf(err, -EINVAL, "no state_dir");
	if ((sfd = open_dir_at(AT_FDCWD, state_dir, true, state_dir, &st, err)) < 0)
		return sfd == -ENOENT ? ev_errf(err, -ENOENT, "no start snapshot for job %" PRIu32, jobid) : sfd;
	/* Whoever keeps state_dir (root) must own the copy: one its user
	 * could have written would be no measurement. */
	owner = st.st_uid;
	rc = -EPERM;
	if (st.st_mode & 022) {
		rc = ev_errf(err, -EPERM, "%s: writable by group or others: refused", state_dir);
		goto out;
	}
	snprintf(shown, sizeof(shown), "%s/view", state_dir);
	if ((vfd = open_dir_at(sfd, "view", true, shown, &st, err)) < 0) {
		rc = vfd;
		goto out;
	}
	if (st.st_uid != owner || (st.st_mode & 022)) {
		rc = ev_errf(err, -EPERM, "%s: not state_dir's owner's alone: refused", shown);
		goto out;
	}
	snprintf(name, sizeof(name), "%u", (unsigned)me);
	snprintf(shown, sizeof(shown), "%s/view/%s", state_dir, name);
	if ((ufd = open_dir_at(vfd, name, true, shown, &st, err)) < 0) {
		rc = ufd;
		goto out;
	}
	if (st.st_uid != me) {
		rc = ev_errf(err, -EPERM, "%s: not uid %u's: refused", shown, (unsigned)me);
		goto out;
	}
	snprintf(name, sizeof(name), "%" PRIu32 ".start", jobid);
	snprintf(shown, sizeof(shown), "%s/view/%u/%s", state_dir, (unsigned)me, name);
	if (!(buf = malloc(STATE_MAX + 1))) {
		rc = ev_errf(err, -ENOMEM, "out of memory");
		goto out;
	}
	n = ev_file_read_owned(ufd, name, owner, buf, STATE_MAX + 1, 022, err);
	if (n < 0) {
		rc = (int)n;
		if (rc == -EPERM)
			ev_errf(err, rc, "%s: not written by state_dir's owner (uid %u): refused", shown,
				(unsigned)owner);
		goto out;
	}
	if ((rc = ev_job_start_deserialize(buf, (size_t)n, out, err))) {
		ev_err_prefix(err, rc, "%s", shown);
		goto out;
	}
	if (out->jobid != jobid) {
		rc = ev_errf(err, -EBADMSG, "%s: belongs to job %" PRIu32 ", not %" PRIu32, shown, out->jobid, jobid);
		ev_job_start_free(out);
	}
out:
	if (rc == -ENOENT)
		ev_errf(err, rc, "no start snapshot for job %" PRIu32 " of uid %u", jobid, (unsigned)me);
	free(buf);
	close_dirs(sfd, vfd, ufd);
	return rc;
}

int ev_job_view_remove(const char *state_dir, uint32_t jobid, uint32_t uid)
{
	char path[PATH_CAP], name[24];
	int fd, rc = 0;

	if (!state_dir || !*state_dir)
		return -EINVAL;
	if (snprintf(path, sizeof(path), "%s/view/%" PRIu32, state_dir, uid) >= (int)sizeof(path))
		return -ENAMETOOLONG;
	fd = open(path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return errno == ENOENT ? 0 : -errno;
	snprintf(name, sizeof(name), "%" PRIu32 ".start", jobid);
	if (unlinkat(fd, name, 0) != 0 && errno != ENOENT)
		rc = -errno;
	close(fd);
	return rc;
}

int ev_boot_id_read(const char *proc_root, char out[EV_BOOT_ID_MAX], struct ev_err *err)
{
	char path[PATH_CAP], buf[64];
	long n;

	out[0] = '\0';
	if (ev_path_join(path, sizeof(path), proc_root && *proc_root ? proc_root : "/proc",
			 "sys/kernel/random/boot_id"))
		return ev_errf(err, -ENAMETOOLONG, "proc root too long");
	n = ev_file_read_at(AT_FDCWD, path, buf, sizeof(buf), false, err);
	if (n < 0)
		return (int)n;
	if (n == 0 || !ev_boot_id_valid(buf))
		return ev_errf(err, -EBADMSG, "%s: not a boot id", path);
	memcpy(out, buf, (size_t)n + 1);
	return 0;
}

/* ------------------------------------------------------------ running jobs */

static int lock_file(const char *state_dir, const char *name, struct ev_err *err);

/* The node's lock, held for a few file operations at a time. */
static int lock_state(const char *state_dir, struct ev_err *err)
{
	return lock_file(state_dir, "lock", err);
}

int ev_state_lock(const char *state_dir, const char *name, struct ev_err *err)
{
	char file[EV_NAME_MAX + 8];
	int rc;

	if (!ev_valid_name(name, EV_NAME_MAX))
		return ev_errf(err, -EINVAL, "lock name refused");
	snprintf(file, sizeof(file), "%s.lock", name);
	if (!state_dir || !*state_dir)
		return ev_errf(err, -EINVAL, "no state_dir");
	if ((rc = ev_mkdir_p(state_dir, 0700, true, err)) || (rc = check_dir(state_dir, err)))
		return rc;
	return lock_file(state_dir, file, err);
}

static int lock_file(const char *state_dir, const char *name, struct ev_err *err)
{
	char path[PATH_CAP];
	struct stat st;
	int fd, rc;

	if (ev_path_join(path, sizeof(path), state_dir, name))
		return ev_errf(err, -ENAMETOOLONG, "%s: path too long", state_dir);
	fd = open(path, O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK | O_NOCTTY, 0600);
	if (fd < 0)
		return ev_errf(err, -errno, "%s: %s", path, strerror(errno));
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) || st.st_uid != geteuid()) {
		close(fd);
		return ev_errf(err, -EPERM, "%s: not a private regular file, refused", path);
	}
	while (flock(fd, LOCK_EX) != 0) {
		if (errno != EINTR) {
			rc = -errno;
			close(fd);
			return ev_errf(err, rc, "%s: lock: %s", path, strerror(-rc));
		}
	}
	return fd;
}

/* seq as a private file open for update: one that is not (a planted
 * symbolic link, another owner, loose modes) is removed and made afresh. */
static int open_seq(const char *path, struct ev_err *err)
{
	for (int attempt = 0; attempt < 2; attempt++) {
		struct stat st;
		int fd = open(path, O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK | O_NOCTTY, 0600);

		if (fd >= 0 && fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && st.st_uid == geteuid() &&
		    !(st.st_mode & 077))
			return fd;
		if (fd < 0 && errno != ELOOP)
			return ev_errf(err, -errno, "%s: %s", path, strerror(errno));
		if (fd >= 0)
			close(fd);
		if (unlink(path) != 0 && errno != ENOENT)
			return ev_errf(err, -errno, "%s: %s", path, strerror(errno));
	}
	return ev_errf(err, -EPERM, "%s: not a private regular file, refused", path);
}

/* Bump the node's event counter; *before gets the value found. A missing
 * or corrupt counter restarts from 0: the epilog compares for equality, so
 * a restart reads as "something happened" (shared), never as "nothing".
 * Rewritten in place under the node's lock rather than renamed over: ext4
 * writes back a file renamed over another at once (auto_da_alloc), which
 * cost every prolog and epilog a block allocation and a discard. A write
 * torn by a crash reads as another number or garbage, i.e. "shared", and a
 * reboot voids the job's counters anyway. */
static int bump_seq(const char *state_dir, uint64_t *before, uint64_t *after, struct ev_err *err)
{
	char path[PATH_CAP], buf[32];
	uint64_t v = 0;
	ssize_t n;
	int fd, len, rc = 0;

	if (ev_path_join(path, sizeof(path), state_dir, "seq"))
		return ev_errf(err, -ENAMETOOLONG, "%s: path too long", state_dir);
	if ((fd = open_seq(path, err)) < 0)
		return fd;
	n = pread(fd, buf, sizeof(buf) - 1, 0);
	if (n > 1 && buf[n - 1] == '\n') {
		buf[n - 1] = '\0';
		if (!ev_parse_u64_strict(buf, &v) || v == UINT64_MAX)
			v = 0;
	}
	*before = v;
	*after = v + 1;
	len = snprintf(buf, sizeof(buf), "%" PRIu64 "\n", v + 1);
	errno = 0;
	if (pwrite(fd, buf, (size_t)len, 0) != len || (n > len && ftruncate(fd, len) != 0))
		rc = ev_errf(err, errno ? -errno : -EIO, "%s: %s", path, strerror(errno ? errno : EIO));
	close(fd);
	return rc;
}

/* Other jobs' markers (ascending, at most EV_STATE_MAX_OTHERS); with a
 * boot id, markers of an earlier boot are removed instead. */
static int scan_running(const char *dir, uint32_t self, const char *boot_id, struct ev_running_mark *m,
			struct ev_err *err)
{
	DIR *d = opendir(dir);
	struct dirent *e;

	if (!d)
		return ev_errf(err, -errno, "%s: %s", dir, strerror(errno));
	m->n_others = 0;
	m->others_truncated = false;
	while ((e = readdir(d))) {
		char path[PATH_CAP], content[EV_BOOT_ID_MAX + 2];
		uint32_t id;
		long n;

		if (ev_jobid_parse(e->d_name, &id, NULL) != 0 || id == self)
			continue;
		if (ev_path_join(path, sizeof(path), dir, e->d_name))
			continue;
		if (boot_id && *boot_id) {
			n = read_private(path, content, sizeof(content), NULL);
			if (n > 0 && content[n - 1] == '\n')
				content[n - 1] = '\0';
			if (n < 0 || strcmp(content, boot_id) != 0) {
				/* An earlier boot's job never got its epilog. */
				unlink(path);
				continue;
			}
		}
		if (m->n_others == EV_STATE_MAX_OTHERS) {
			m->others_truncated = true;
			continue;
		}
		m->others[m->n_others++] = id;
	}
	closedir(d);
	qsort(m->others, m->n_others, sizeof(uint32_t), cmp_u32);
	return 0;
}

int ev_running_begin(const char *state_dir, uint32_t jobid, const char *boot_id,
		     struct ev_running_mark *out, struct ev_err *err)
{
	char dir[PATH_CAP], path[PATH_CAP], content[EV_BOOT_ID_MAX + 2];
	uint64_t before;
	int fd, rc, n;

	memset(out, 0, sizeof(*out));
	if (!jobid)
		return ev_errf(err, -EINVAL, "job id 0");
	if (boot_id && !ev_boot_id_valid(boot_id))
		return ev_errf(err, -EINVAL, "boot id refused");
	if ((rc = subdir(state_dir, "running", true, dir, sizeof(dir), err)))
		return rc;
	if ((fd = lock_state(state_dir, err)) < 0)
		return fd;
	if (!(rc = scan_running(dir, jobid, boot_id, out, err)) &&
	    !(rc = bump_seq(state_dir, &before, &out->seq, err))) {
		n = snprintf(content, sizeof(content), "%s\n", boot_id ? boot_id : "");
		snprintf(path, sizeof(path), "%s/%" PRIu32, dir, jobid);
		rc = ev_file_write_atomic_nosync(path, content, (size_t)n, 0600, err);
	}
	close(fd);
	return rc;
}

int ev_running_end(const char *state_dir, uint32_t jobid, const struct ev_running_mark *start,
		   bool *shared, struct ev_err *err)
{
	char dir[PATH_CAP], path[PATH_CAP];
	struct ev_running_mark now;
	uint64_t before, after;
	int fd, rc;

	*shared = false;
	if (!jobid)
		return ev_errf(err, -EINVAL, "job id 0");
	if ((rc = subdir(state_dir, "running", true, dir, sizeof(dir), err)))
		return rc;
	if ((fd = lock_state(state_dir, err)) < 0)
		return fd;
	rc = scan_running(dir, jobid, NULL, &now, err);
	if (!rc) {
		snprintf(path, sizeof(path), "%s/%" PRIu32, dir, jobid);
		if (unlink(path) != 0 && errno != ENOENT)
			rc = ev_errf(err, -errno, "%s: %s", path, strerror(errno));
	}
	if (!rc)
		rc = bump_seq(state_dir, &before, &after, err);
	close(fd);
	if (rc)
		return rc;
	*shared = now.n_others > 0 || now.others_truncated;
	if (start)
		*shared = *shared || start->n_others > 0 || start->others_truncated || before != start->seq;
	return 0;
}

/* ------------------------------------------------------------ not ready */

static int notready_path(const char *state_dir, uint32_t jobid, bool create, char *out, size_t cap,
			 struct ev_err *err)
{
	char dir[PATH_CAP];
	int rc, n;

	if (!jobid)
		return ev_errf(err, -EINVAL, "job id 0");
	if ((rc = subdir(state_dir, "notready", create, dir, sizeof(dir), err)))
		return rc;
	n = snprintf(out, cap, "%s/%" PRIu32, dir, jobid);
	if (n < 0 || (size_t)n >= cap)
		return ev_errf(err, -ENAMETOOLONG, "%s: path too long", dir);
	return 0;
}

int ev_notready_mark(const char *state_dir, uint32_t jobid, const char *reason, struct ev_err *err)
{
	char path[PATH_CAP], line[EV_NOTREADY_REASON_MAX + 1];
	struct stat st;
	size_t n = 0;
	int rc;

	if ((rc = notready_path(state_dir, jobid, true, path, sizeof(path), err)))
		return rc;
	/* The first finding is the one to fix; later steps say the same. */
	if (lstat(path, &st) == 0)
		return 0;
	for (; reason && reason[n] && n < EV_NOTREADY_REASON_MAX - 1; n++)
		line[n] = (unsigned char)reason[n] < 0x20 || reason[n] == 0x7f ? '_' : reason[n];
	line[n++] = '\n';
	return ev_file_write_atomic_nosync(path, line, n, 0600, err);
}

int ev_notready_take(const char *state_dir, uint32_t jobid, char *reason, size_t cap, struct ev_err *err)
{
	char path[PATH_CAP], buf[EV_NOTREADY_REASON_MAX + 1];
	long n;
	int rc;

	if ((rc = notready_path(state_dir, jobid, false, path, sizeof(path), err)))
		return rc == -ENOENT ? 0 : rc;
	n = read_private(path, buf, sizeof(buf), err);
	if (n == -ENOENT)
		return 0;
	if (unlink(path) != 0 && errno != ENOENT)
		return ev_errf(err, -errno, "%s: %s", path, strerror(errno));
	/* Still a finding when unreadable (not ours, too large): the node was
	 * found not ready; only the words are lost. */
	if (n < 0)
		buf[0] = '\0';
	else if (n > 0 && buf[n - 1] == '\n')
		buf[n - 1] = '\0';
	if (reason && cap)
		snprintf(reason, cap, "%s", n < 0 ? "not_ready" : buf);
	return 1;
}

int ev_running_check(const char *state_dir, uint32_t jobid, bool *running, struct ev_err *err)
{
	char dir[PATH_CAP], path[PATH_CAP];
	struct stat st;
	int rc;

	*running = true;
	if (!jobid)
		return ev_errf(err, -EINVAL, "job id 0");
	if ((rc = subdir(state_dir, "running", false, dir, sizeof(dir), err)))
		return rc;
	snprintf(path, sizeof(path), "%s/%" PRIu32, dir, jobid);
	if (lstat(path, &st) == 0)
		return 0;
	if (errno != ENOENT)
		return ev_errf(err, -errno, "%s: %s", path, strerror(errno));
	*running = false;
	return 0;
}

/* ------------------------------------------------------------ spool */

static int spool_path(const char *dir, uint32_t jobid, const char *node, char *out, size_t cap,
		      struct ev_err *err)
{
	int n;

	if (!jobid)
		return ev_errf(err, -EINVAL, "job id 0");
	if (!node || !ev_valid_nodename(node))
		return ev_errf(err, -EINVAL, "node name refused for a spool file");
	n = snprintf(out, cap, "%s/%" PRIu32 ".%s.rec", dir, jobid, node);
	if (n < 0 || (size_t)n >= cap)
		return ev_errf(err, -ENAMETOOLONG, "%s: path too long", dir);
	return 0;
}

int ev_spool_put(const char *state_dir, uint32_t jobid, const char *node, const char *line,
		 struct ev_err *err)
{
	char dir[PATH_CAP], path[PATH_CAP], buf[EV_SPOOL_LINE_MAX + 1];
	size_t len = strlen(line);
	int rc;

	if (!len || len >= EV_SPOOL_LINE_MAX || strchr(line, '\n'))
		return ev_errf(err, -EINVAL, "spool: a result must be one line under %d bytes", EV_SPOOL_LINE_MAX);
	/* Names are checked before anything is created. */
	if ((rc = spool_path(state_dir, jobid, node, path, sizeof(path), err)) ||
	    (rc = subdir(state_dir, "spool", true, dir, sizeof(dir), err)) ||
	    (rc = spool_path(dir, jobid, node, path, sizeof(path), err)))
		return rc;
	memcpy(buf, line, len);
	buf[len] = '\n';
	return ev_file_write_atomic(path, buf, len + 1, 0600, err);
}

/* "<jobid>.<node>.rec" -> jobid, node; anything else is not ours. */
static bool parse_spool_name(const char *name, uint32_t *jobid, char *node)
{
	const char *dot = strchr(name, '.');
	size_t nl, len = strlen(name);
	char id[16];

	if (!dot || (size_t)(dot - name) >= sizeof(id) || len < 4 || strcmp(name + len - 4, ".rec") != 0 ||
	    dot + 1 > name + len - 4)
		return false;
	memcpy(id, name, (size_t)(dot - name));
	id[dot - name] = '\0';
	if (ev_jobid_parse(id, jobid, NULL) != 0)
		return false;
	nl = (size_t)(name + len - 4 - (dot + 1));
	if (nl == 0 || nl >= EV_NAME_MAX)
		return false;
	memcpy(node, dot + 1, nl);
	node[nl] = '\0';
	return ev_valid_nodename(node);
}

static int cmp_entry(const void *a, const void *b)
{
	const struct ev_spool_entry *x = a, *y = b;

	if (x->jobid != y->jobid)
		return x->jobid < y->jobid ? -1 : 1;
	return strcmp(x->node, y->node);
}

int ev_spool_list(const char *state_dir, struct ev_spool_entry **out, size_t *n, bool *truncated,
		  struct ev_err *err)
{
	char dir[PATH_CAP];
	struct ev_spool_entry *v = NULL;
	size_t cnt = 0, cap = 0;
	struct dirent *e;
	DIR *d;
	int rc;

	*out = NULL;
	*n = 0;
	if (truncated)
		*truncated = false;
	if ((rc = subdir(state_dir, "spool", false, dir, sizeof(dir), err)))
		return rc == -ENOENT ? 0 : rc;
	if (!(d = opendir(dir)))
		return ev_errf(err, -errno, "%s: %s", dir, strerror(errno));
	while ((e = readdir(d))) {
		/* A line of up to EV_SPOOL_LINE_MAX-1 bytes, its newline and
		 * the NUL: one more than x->line, which holds it without the
		 * newline. */
		char path[PATH_CAP], text[EV_SPOOL_LINE_MAX + 1];
		struct ev_spool_entry *x;
		long len;

		if (cnt == cap) {
			struct ev_spool_entry *nv = realloc(v, (cap ? cap * 2 : 16) * sizeof(*v));

			if (!nv) {
				closedir(d);
				free(v);
				return ev_errf(err, -ENOMEM, "out of memory");
			}
			v = nv;
			cap = cap ? cap * 2 : 16;
		}
		x = &v[cnt];
		memset(x, 0, sizeof(*x));
		if (!parse_spool_name(e->d_name, &x->jobid, x->node) ||
		    ev_path_join(path, sizeof(path), dir, e->d_name))
			continue;
		if (cnt == EV_SPOOL_MAX_ENTRIES) {
			if (truncated)
				*truncated = true;
			break;
		}
		len = read_private(path, text, sizeof(text), NULL);
		if (len == -ENOENT)
			continue;   /* delivered and removed meanwhile */
		/* Exactly one line, ending in a newline, printable. */
		if (len <= 1 || text[len - 1] != '\n' || memchr(text, '\n', (size_t)len - 1)) {
			x->bad = true;
		} else {
			for (long i = 0; i < len - 1; i++)
				if ((unsigned char)text[i] < 0x20 || text[i] == 0x7f)
					x->bad = true;
		}
		if (!x->bad) {
			memcpy(x->line, text, (size_t)len - 1);
			x->line[len - 1] = '\0';
		}
		cnt++;
	}
	closedir(d);
	if (!cnt) {
		free(v);
		return 0;
	}
	qsort(v, cnt, sizeof(*v), cmp_entry);
	*out = v;
	*n = cnt;
	return 0;
}

int ev_spool_remove(const char *state_dir, uint32_t jobid, const char *node, struct ev_err *err)
{
	char dir[PATH_CAP], path[PATH_CAP];
	int rc;

	if ((rc = spool_path(state_dir, jobid, node, path, sizeof(path), err)))
		return rc;
	if ((rc = subdir(state_dir, "spool", false, dir, sizeof(dir), err)))
		return rc == -ENOENT ? 0 : rc;
	if ((rc = spool_path(dir, jobid, node, path, sizeof(path), err)))
		return rc;
	if (unlink(path) != 0 && errno != ENOENT)
		return ev_errf(err, -errno, "%s: %s", path, strerror(errno));
	return 0;
}
