#include "ev_state.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ev_file.h"

#define STATE_MAGIC "efa-verify-snapshot 1"
#define STATE_MAX (4u << 20)
#define STATE_MAX_DEVS 256
#define STATE_MAX_COUNTERS 128

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

struct sbuf {
	char *p;
	size_t len, cap;
	bool oom;
};

static void sb_printf(struct sbuf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void sb_printf(struct sbuf *b, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (b->oom)
		return;
	for (;;) {
		va_start(ap, fmt);
		n = vsnprintf(b->p + b->len, b->cap - b->len, fmt, ap);
		va_end(ap);
		if (n < 0) {
			b->oom = true;
			return;
		}
		if ((size_t)n < b->cap - b->len) {
			b->len += (size_t)n;
			return;
		}
		char *np = realloc(b->p, b->cap * 2 + (size_t)n);
		if (!np) {
			b->oom = true;
			return;
		}
		b->p = np;
		b->cap = b->cap * 2 + (size_t)n;
	}
}

/* One line per counter: "P dev name value" (port), "D dev name value"
 * (device), "T if tx rx"; a bad counter's value is "?". */
char *ev_snapshot_serialize(const struct ev_snapshot *s, size_t *len)
{
	struct sbuf b = { malloc(4096), 0, 4096, false };

	if (!b.p)
		return NULL;
	b.p[0] = '\0';
	sb_printf(&b, STATE_MAGIC "\ntime_ns %" PRIu64 "\n", s->time_ns);
	if (s->job_nodes)
		sb_printf(&b, "job_nodes %" PRIu32 "\n", s->job_nodes);
	for (size_t i = 0; i < s->n_efa; i++) {
		const struct ev_dev_counters *d = &s->efa[i];

		sb_printf(&b, "E %s\n", d->dev);
		for (int pass = 0; pass < 2; pass++) {
			const struct ev_counter *c = pass ? d->device : d->port;
			size_t n = pass ? d->n_device : d->n_port;

			for (size_t k = 0; k < n; k++) {
				if (c[k].ok)
					sb_printf(&b, "%c %s %" PRIu64 "\n", pass ? 'D' : 'P', c[k].name, c[k].value);
				else
					sb_printf(&b, "%c %s ?\n", pass ? 'D' : 'P', c[k].name);
			}
		}
	}
	for (size_t i = 0; i < s->n_tcp; i++) {
		if (s->tcp[i].ok)
			sb_printf(&b, "T %s %" PRIu64 " %" PRIu64 "\n", s->tcp[i].ifname, s->tcp[i].tx_bytes,
				  s->tcp[i].rx_bytes);
		else
			sb_printf(&b, "T %s ? ?\n", s->tcp[i].ifname);
	}
	sb_printf(&b, "end\n");
	if (b.oom) {
		free(b.p);
		return NULL;
	}
	if (len)
		*len = b.len;
	return b.p;
}

static int bad(struct ev_snapshot *out, struct ev_err *err, unsigned line, const char *why)
{
	ev_snapshot_free(out);
	return ev_errf(err, -EBADMSG, "snapshot line %u: %s", line, why);
}

static int add_counter(struct ev_counter **arr, size_t *n, const char *name, const char *val)
{
	struct ev_counter *c;

	if (*n >= STATE_MAX_COUNTERS || !ev_valid_name(name, EV_COUNTER_NAME_MAX))
		return -1;
	if (*n % 16 == 0) {
		struct ev_counter *na = realloc(*arr, (*n + 16) * sizeof(**arr));

		if (!na)
			return -1;
		*arr = na;
	}
	c = &(*arr)[(*n)++];
	memset(c, 0, sizeof(*c));
	memcpy(c->name, name, strlen(name) + 1);
	if (strcmp(val, "?") == 0)
		return 0;
	if (ev_parse_u64(val, &c->value, NULL) != 0)
		return -1;
	c->ok = true;
	return 0;
}

int ev_snapshot_deserialize(const char *text, size_t len, struct ev_snapshot *out, struct ev_err *err)
{
	char *copy, *save = NULL;
	unsigned line = 0;
	bool ended = false;

	memset(out, 0, sizeof(*out));
	if (len > STATE_MAX || memchr(text, '\0', len))
		return ev_errf(err, -EBADMSG, "snapshot: not a text file of a sane size");
	copy = strndup(text, len);
	if (!copy)
		return ev_errf(err, -ENOMEM, "out of memory");
	for (char *l = strtok_r(copy, "\n", &save); l; l = strtok_r(NULL, "\n", &save)) {
		char a[64], b2[64], c[64];
		int f;

		line++;
		if (ended) {
			free(copy);
			return bad(out, err, line, "text after the end marker");
		}
		if (line == 1) {
			if (strcmp(l, STATE_MAGIC) != 0) {
				free(copy);
				return bad(out, err, line, "not an efa-verify snapshot");
			}
			continue;
		}
		if (strcmp(l, "end") == 0) {
			ended = true;
			continue;
		}
		f = sscanf(l, "%63s %63s %63s", a, b2, c);
		if (f == 2 && strcmp(a, "time_ns") == 0) {
			if (ev_parse_u64(b2, &out->time_ns, NULL) == 0)
				continue;
		} else if (f == 2 && strcmp(a, "job_nodes") == 0) {
			uint64_t v;

			if (ev_parse_u64(b2, &v, NULL) == 0 && v <= UINT32_MAX) {
				out->job_nodes = (uint32_t)v;
				continue;
			}
		} else if (f == 2 && strcmp(a, "E") == 0 && ev_valid_name(b2, EV_NAME_MAX) &&
			   out->n_efa < STATE_MAX_DEVS) {
			struct ev_dev_counters *nd = realloc(out->efa, (out->n_efa + 1) * sizeof(*nd));

			if (nd) {
				out->efa = nd;
				memset(&nd[out->n_efa], 0, sizeof(*nd));
				memcpy(nd[out->n_efa].dev, b2, strlen(b2) + 1);
				out->n_efa++;
				continue;
			}
		} else if (f == 3 && (a[0] == 'P' || a[0] == 'D') && !a[1] && out->n_efa) {
			struct ev_dev_counters *d = &out->efa[out->n_efa - 1];

			if (add_counter(a[0] == 'P' ? &d->port : &d->device, a[0] == 'P' ? &d->n_port : &d->n_device,
					b2, c) == 0)
				continue;
		} else if (strcmp(a, "T") == 0 && f == 3 && out->n_tcp < EV_MAX_TCP_IFACES &&
			   ev_valid_name(b2, EV_IFNAME_MAX)) {
			char tx[64], rx[64];
			struct ev_tcp_counters *nt;

			if (sscanf(l, "T %*s %63s %63s", tx, rx) == 2 &&
			    (nt = realloc(out->tcp, (out->n_tcp + 1) * sizeof(*nt)))) {
				struct ev_tcp_counters *t = &nt[out->n_tcp];

				out->tcp = nt;
				memset(t, 0, sizeof(*t));
				memcpy(t->ifname, b2, strlen(b2) + 1);
				t->ok = ev_parse_u64(tx, &t->tx_bytes, NULL) == 0 &&
					ev_parse_u64(rx, &t->rx_bytes, NULL) == 0;
				if (t->ok || (strcmp(tx, "?") == 0 && strcmp(rx, "?") == 0)) {
					out->n_tcp++;
					continue;
				}
			}
		}
		free(copy);
		return bad(out, err, line, "unexpected content");
	}
	free(copy);
	if (!ended)
		return bad(out, err, line, "truncated (no end marker)");
	return 0;
}

static int job_path(const char *state_dir, uint32_t jobid, char *out, size_t cap, struct ev_err *err)
{
	int n = snprintf(out, cap, "%s/jobs/%" PRIu32 ".start", state_dir, jobid);

	if (n < 0 || (size_t)n >= cap)
		return ev_errf(err, -ENAMETOOLONG, "%s: path too long", state_dir);
	return 0;
}

int ev_state_save_start(const char *state_dir, uint32_t jobid, const struct ev_snapshot *s,
			struct ev_err *err)
{
	char dir[4096], path[4096];
	size_t len = 0;
	char *text;
	int rc;

	if (snprintf(dir, sizeof(dir), "%s/jobs", state_dir) >= (int)sizeof(dir))
		return ev_errf(err, -ENAMETOOLONG, "%s: path too long", state_dir);
	if ((rc = ev_mkdir_p(dir, 0700, true, err)) || (rc = job_path(state_dir, jobid, path, sizeof(path), err)))
		return rc;
	text = ev_snapshot_serialize(s, &len);
	if (!text)
		return ev_errf(err, -ENOMEM, "out of memory");
	rc = ev_file_write_atomic(path, text, len, 0600, err);
	free(text);
	return rc;
}

int ev_state_load_start(const char *state_dir, uint32_t jobid, struct ev_snapshot *out,
			struct ev_err *err)
{
	char path[4096];
	struct stat st;
	char *buf;
	ssize_t n;
	int fd, rc;

	memset(out, 0, sizeof(*out));
	if ((rc = job_path(state_dir, jobid, path, sizeof(path), err)))
		return rc;
	fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK);
	if (fd < 0) {
		rc = -errno;
		return ev_errf(err, rc, rc == -ENOENT ? "no start snapshot for job %" PRIu32
				: "start snapshot of job %" PRIu32 ": %s", jobid, strerror(-rc));
	}
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) || st.st_uid != geteuid() || (st.st_mode & 022) ||
	    (size_t)st.st_size > STATE_MAX) {
		close(fd);
		return ev_errf(err, -EPERM, "%s: not a private snapshot file, ignored", path);
	}
	buf = malloc((size_t)st.st_size + 1);
	if (!buf) {
		close(fd);
		return ev_errf(err, -ENOMEM, "out of memory");
	}
	n = read(fd, buf, (size_t)st.st_size + 1);
	close(fd);
	if (n < 0 || n > st.st_size) {
		free(buf);
		return ev_errf(err, -EIO, "%s: read failed", path);
	}
	rc = ev_snapshot_deserialize(buf, (size_t)n, out, err);
	free(buf);
	if (rc)
		ev_err_prefix(err, rc, "%s", path);
	return rc;
}

int ev_state_remove_start(const char *state_dir, uint32_t jobid)
{
	char path[4096];

	if (job_path(state_dir, jobid, path, sizeof(path), NULL))
		return -ENAMETOOLONG;
	return unlink(path) == 0 || errno == ENOENT ? 0 : -errno;
}
