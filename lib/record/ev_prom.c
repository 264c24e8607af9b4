#include "record/ev_prom.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "util/ev_array.h"
#include "util/ev_buf.h"
#include "config/ev_config.h"
#include "util/ev_file.h"

#define PROM_PREFIX "efa_verify_job_"
#define PROM_SUFFIX ".prom"

size_t ev_prom_escape(const char *s, char *out, size_t cap)
{
	size_t o = 0;

	if (!cap)
		return 0;
	for (; s && *s; s++) {
		/* Printable ASCII only: a control byte or a broken UTF-8
		 * sequence in one file would fail node_exporter's whole
		 * textfile scrape. */
		char c = *s >= 0x20 && *s <= 0x7e ? *s : '_';
		size_t rl = c == '\\' || c == '"' ? 2 : 1;

		if (o + rl >= cap)
			break;
		if (rl == 2)
			out[o++] = '\\';
		out[o++] = c;
	}
	out[o] = '\0';
	return o;
}

static void family(struct ev_buf *b, const char *name, const char *type, const char *help)
{
	ev_buf_printf(b, "# HELP efa_verify_job_%s %s\n# TYPE efa_verify_job_%s %s\n", name, help, name, type);
}

char *ev_prom_format(const struct ev_joblog_entry *e, size_t *len)
{
	const struct ev_node_delta *d = e->delta;
	const struct ev_node_verdict *v = e->verdict;
	struct ev_buf b = { 0 };
	char node[EV_NAME_MAX * 2], reason[EV_REASON_NAME_MAX], lab[EV_NAME_MAX * 2 + 48];
	char user[EV_PROM_VALUE_MAX], account[EV_PROM_VALUE_MAX], partition[EV_PROM_VALUE_MAX];

	ev_prom_escape(e->node, node, sizeof(node));
	/* The reason's name only: its numbers would make every job a new
	 * series of a label meant to be counted by. */
	ev_reason_name(v->reason, reason, sizeof(reason));
	ev_prom_escape(e->user, user, sizeof(user));
	ev_prom_escape(e->account, account, sizeof(account));
	ev_prom_escape(e->partition, partition, sizeof(partition));
	/* jobid, not job: Prometheus owns job (the scrape's), and renames a
	 * scraped one exported_job. */
	snprintf(lab, sizeof(lab), "jobid=\"%" PRIu32 "\",node=\"%s\"", e->jobid, node);
	/* Who ran the job on this series alone: on every series it would
	 * multiply what a query joins, for no new series. */
	family(&b, "info", "gauge", "The job's user, account and partition (always 1).");
	ev_buf_printf(&b, "efa_verify_job_info{%s,user=\"%s\",account=\"%s\",partition=\"%s\"} 1\n", lab, user,
		      account, partition);
	family(&b, "verdict_info", "gauge", "Verdict of a job on this node and the name of its reason (always 1).");
	ev_buf_printf(&b, "efa_verify_job_verdict_info{%s,verdict=\"%s\",reason=\"%s\"} 1\n", lab,
		      ev_verdict_name(v->verdict), reason);
	family(&b, "verdict", "gauge", "1 for the verdict of a job on this node, 0 for the others.");
	for (int i = EV_V_NO_TRAFFIC; i <= EV_V_NOT_READY; i++)
		ev_buf_printf(&b, "efa_verify_job_verdict{%s,verdict=\"%s\"} %d\n", lab, ev_verdict_name(i),
			  (int)v->verdict == i);
	family(&b, "shared", "gauge", "1 if another job used the node during the job.");
	ev_buf_printf(&b, "efa_verify_job_shared{%s} %d\n", lab, v->shared ? 1 : 0);
	family(&b, "end_time_seconds", "gauge", "When the job was judged on this node.");
	ev_buf_printf(&b, "efa_verify_job_end_time_seconds{%s} %" PRIu64 "\n", lab, e->time);
	family(&b, "nodes", "gauge", "Nodes in the job (0: not known).");
	ev_buf_printf(&b, "efa_verify_job_nodes{%s} %" PRIu32 "\n", lab, e->job_nodes);
	/* Only where the node names a cause, as tcp_source only where known. */
	if (e->causes && e->causes->n) {
		family(&b, "cause_info", "gauge",
		       "Each cause the node's evidence names for the job, certain or likely (always 1).");
		for (size_t i = 0; i < e->causes->n && i < EV_CAUSES_MAX; i++)
			ev_buf_printf(&b, "efa_verify_job_cause_info{%s,cause=\"%s\",certainty=\"%s\"} 1\n", lab,
				      ev_cause_name(e->causes->c[i].name),
				      ev_cause_certainty_name(e->causes->c[i].certainty));
	}
	if (d) {
		/* Counters: what moved from the job's start to its end, one
		 * value per job (the series starts at the job). */
		static const struct { const char *name, *help; size_t off; } g[] = {
			{ "efa_bytes_total", "Bytes over EFA on this node during the job.",
			  offsetof(struct ev_node_delta, efa_bytes) },
			{ "rdma_read_bytes_total", "RDMA read bytes on this node during the job.",
			  offsetof(struct ev_node_delta, rdma_read_bytes) },
			{ "rdma_write_bytes_total", "RDMA write bytes on this node during the job.",
			  offsetof(struct ev_node_delta, rdma_write_bytes) },
			{ "tcp_bytes_total", "IP bytes between this node and the job's other nodes during the job "
			  "(with tcp_source interface: all bytes on the TCP interfaces).",
			  offsetof(struct ev_node_delta, tcp_bytes) },
			{ "error_events_total", "Growth of the EFA error counters on this node during the job.",
			  offsetof(struct ev_node_delta, errors) },
		};

		for (size_t i = 0; i < sizeof(g) / sizeof(g[0]); i++) {
			uint64_t x;

			memcpy(&x, (const char *)d + g[i].off, sizeof(x));
			family(&b, g[i].name, "counter", g[i].help);
			ev_buf_printf(&b, "efa_verify_job_%s{%s} %" PRIu64 "\n", g[i].name, lab, x);
		}
		if (d->tcp_source != EV_TCP_SRC_NONE) {
			family(&b, "tcp_source_info", "gauge",
			       "Where the job's TCP bytes were counted on this node (always 1).");
			ev_buf_printf(&b, "efa_verify_job_tcp_source_info{%s,source=\"%s\"} 1\n", lab,
				      ev_tcp_source_name(d->tcp_source));
		}
		/* Only where it is known: on interfaces it is in tcp_bytes. */
		if (d->tcp_source == EV_TCP_SRC_NFTABLES) {
			family(&b, "other_tcp_bytes_total", "counter",
			       "IP bytes between this node and anything but the job's other nodes during the job "
			       "(storage, Slurm), never judged as fallback.");
			ev_buf_printf(&b, "efa_verify_job_other_tcp_bytes_total{%s} %" PRIu64 "\n", lab,
				      d->other_tcp_bytes);
		}
		family(&b, "duration_seconds", "gauge", "Time between the job's start and end snapshots.");
		ev_buf_printf(&b, "efa_verify_job_duration_seconds{%s} %" PRIu64 ".%03" PRIu64 "\n", lab,
			  d->duration_ns / 1000000000u, d->duration_ns / 1000000u % 1000u);
		if (d->n) {
			family(&b, "device_bytes_total", "counter",
			       "Bytes on one EFA device during the job (NIC balance).");
			for (size_t i = 0; i < d->n; i++) {
				char dev[EV_NAME_MAX * 2];

				ev_prom_escape(d->devs[i].dev, dev, sizeof(dev));
				ev_buf_printf(&b, "efa_verify_job_device_bytes_total{%s,device=\"%s\"} %" PRIu64 "\n",
					      lab, dev, d->devs[i].bytes);
			}
		}
	}
	return ev_buf_take(&b, len);
}

int ev_prom_write(const char *dir, const struct ev_joblog_entry *e, struct ev_err *err)
{
	char name[256];
	size_t len = 0;
	char *text;
	int rc, n, dfd;

	if (!dir || !*dir)
		return ev_errf(err, -EINVAL, "no prometheus_textfile_dir");
	if (!e->node || !ev_valid_nodename(e->node) || !e->jobid)
		return ev_errf(err, -EINVAL, "prometheus: bad node name or job id");
	n = snprintf(name, sizeof(name), PROM_PREFIX "%" PRIu32 "_%s" PROM_SUFFIX, e->jobid, e->node);
	if (n < 0 || (size_t)n >= sizeof(name) || strlen(dir) + (size_t)n + 2 > 4096)
		return ev_errf(err, -ENAMETOOLONG, "%s: path too long", dir);
	if ((rc = ev_mkdir_p(dir, 0755, true, err)))
		return rc;
	/* The file is always a new one of ours (tmp + rename in the checked
	 * directory): whatever sits at its name, a symlink, a hard link to
	 * another file or a FIFO, is replaced, never written through. */
	if ((dfd = ev_dir_open_checked(dir, err)) < 0)
		return dfd;
	if (!(text = ev_prom_format(e, &len))) {
		close(dfd);
		return ev_errf(err, -ENOMEM, "out of memory");
	}
	rc = ev_file_write_atomic_at(dfd, name, text, len, 0644, err);
	free(text);
	close(dfd);
	/* The message names the file relative to dir: say which dir. */
	return rc ? ev_err_prefix(err, rc, "%s", dir) : 0;
}

struct pfile {
	char name[256];
	struct timespec mtime;
};

/* Newest first; equal times by name, so the choice is stable. */
static int cmp_pfile(const void *a, const void *b)
{
	const struct pfile *x = a, *y = b;

	if (x->mtime.tv_sec != y->mtime.tv_sec)
		return x->mtime.tv_sec > y->mtime.tv_sec ? -1 : 1;
	if (x->mtime.tv_nsec != y->mtime.tv_nsec)
		return x->mtime.tv_nsec > y->mtime.tv_nsec ? -1 : 1;
	return strcmp(y->name, x->name);
}

int ev_prom_prune(const char *dir, size_t keep, struct ev_err *err)
{
	struct pfile *v = NULL;
	size_t n = 0, cap = 0;
	struct dirent *de;
	int dfd, rc = 0;
	DIR *d;

	/* Only a directory ev_prom_write would write into is pruned. */
	if (access(dir, F_OK) != 0 && errno == ENOENT)
		return 0;
	if ((dfd = ev_dir_open_checked(dir, err)) < 0)
		return dfd;
	if (!(d = fdopendir(dfd))) {
		rc = -errno;
		close(dfd);
		return ev_errf(err, rc, "%s: %s", dir, strerror(-rc));
	}
	while ((de = readdir(d))) {
		size_t nl = strlen(de->d_name), pl = strlen(PROM_PREFIX), sl = strlen(PROM_SUFFIX);
		struct stat st;

		if (nl <= pl + sl || nl >= sizeof(v->name) || strncmp(de->d_name, PROM_PREFIX, pl) != 0 ||
		    strcmp(de->d_name + nl - sl, PROM_SUFFIX) != 0)
			continue;
		if (fstatat(dfd, de->d_name, &st, AT_SYMLINK_NOFOLLOW) != 0 || !S_ISREG(st.st_mode))
			continue;
		if (ev_array_room(&v, &cap, n, sizeof(*v), 32)) {
			rc = ev_errf(err, -ENOMEM, "out of memory");
			break;
		}
		memcpy(v[n].name, de->d_name, nl + 1);
		v[n].mtime = st.st_mtim;
		n++;
	}
	if (!rc && n > keep) {
		qsort(v, n, sizeof(*v), cmp_pfile);
		for (size_t i = keep; i < n; i++)
			if (unlinkat(dfd, v[i].name, 0) != 0 && errno != ENOENT && !rc)
				rc = ev_errf(err, -errno, "%s/%s: %s", dir, v[i].name, strerror(errno));
	}
	closedir(d);
	free(v);
	return rc;
}

int ev_prom_sweep_tmp(const char *dir, size_t *removed, struct ev_err *err)
{
	return ev_file_sweep_tmp(dir, PROM_PREFIX, removed, err);
}
