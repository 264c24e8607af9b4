#include "record/ev_joblog.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "util/ev_buf.h"
#include "config/ev_config.h"
#include "util/ev_file.h"
#include "util/ev_json.h"
#include "record/ev_result_json.h"

int ev_joblog_append(const char *path, const char *line, size_t len, struct ev_err *err)
{
	char dir[4096], *slash, *buf;
	const char *base = path;
	ssize_t w;
	int dfd, fd, rc;

	if (!path || !*path)
		return ev_errf(err, -EINVAL, "no log path");
	if (strlen(path) >= sizeof(dir))
		return ev_errf(err, -ENAMETOOLONG, "%s: path too long", path);
	if (memchr(line, '\n', len))
		return ev_errf(err, -EINVAL, "%s: a log line must not contain a newline", path);
	memcpy(dir, path, strlen(path) + 1);
	slash = strrchr(dir, '/');
	if (slash) {
		base = path + (slash - dir) + 1;
		if (slash == dir)
			slash[1] = '\0';
		else
			*slash = '\0';
		if (slash != dir && (rc = ev_mkdir_p(dir, 0750, true, err)))
			return rc;
	} else {
		memcpy(dir, ".", 2);
	}
	if (!*base || !strcmp(base, ".") || !strcmp(base, ".."))
		return ev_errf(err, -EINVAL, "%s: not a file name", path);
	/* The file is opened in the directory that was checked, so neither a
	 * directory swapped in meanwhile nor a symlink in its place decides
	 * where root creates or appends. */
	if ((dfd = ev_dir_open_checked(dir, err)) < 0)
		return dfd;
	fd = openat(dfd, base, O_WRONLY | O_APPEND | O_CREAT | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK | O_NOCTTY,
		    0640);
	rc = fd < 0 ? -errno : 0;
	close(dfd);
	if (fd < 0) {
		if (rc == -ELOOP)
			return ev_errf(err, rc, "%s: is a symbolic link, refused", path);
		return ev_errf(err, rc, "%s: %s", path, strerror(-rc));
	}
	/* As the state files: what is not our own single-named regular file
	 * (a FIFO or device, another user's file, a hard link to some other
	 * file) is not our log. */
	if ((rc = ev_file_check_own(fd, path, err))) {
		close(fd);
		return rc;
	}
	buf = malloc(len + 1);
	if (!buf) {
		close(fd);
		return ev_errf(err, -ENOMEM, "out of memory");
	}
	memcpy(buf, line, len);
	buf[len] = '\n';
	/* One write: O_APPEND places it at the end as a whole. */
	w = write(fd, buf, len + 1);
	rc = w == (ssize_t)(len + 1) ? 0 : (w < 0 ? -errno : -EIO);
	close(fd);
	free(buf);
	if (rc)
		return ev_errf(err, rc, "%s: %s", path, rc == -EIO ? "short write" : strerror(-rc));
	return 0;
}

static const char *dev_state(const void *x)
{
	return ev_dev_state_name(((const struct ev_dev_delta *)x)->state);
}

#define NODE(m) EV_JSON_U64_AT(#m, struct ev_node_delta, m)
#define DEV(m) EV_JSON_U64_AT(#m, struct ev_dev_delta, m)
static const struct ev_json_field node_fields[] = {
	NODE(efa_bytes), NODE(efa_tx_bytes), NODE(efa_rx_bytes), NODE(rdma_read_bytes),
	NODE(rdma_write_bytes), NODE(tcp_bytes), NODE(tcp_tx_bytes), NODE(tcp_rx_bytes),
};
static const struct ev_json_field dev_fields[] = {
	EV_JSON_STR_AT("name", struct ev_dev_delta, dev), EV_JSON_NAME_OF("state", dev_state),
	DEV(bytes), DEV(tx_bytes), DEV(rx_bytes), DEV(errors),
	EV_JSON_TEXT_AT("top_error", struct ev_dev_delta, top_error),
};
#undef NODE
#undef DEV

/* What a site needs to set its own verdict.max_errors_per_gib. */
static void error_counts(struct ev_json *j, const void *item)
{
	const struct ev_dev_delta *x = item;

	ev_json_obj_begin(j, "error_counts");
	for (size_t k = 0; k < EV_N_ERROR_COUNTERS; k++)
		if (x->error_known[k] && x->error_growth[k])
			ev_json_u64(j, ev_error_counters[k], x->error_growth[k]);
	ev_json_obj_end(j);
}

char *ev_joblog_format(const struct ev_joblog_entry *e, size_t *len)
{
	const struct ev_node_delta *d = e->delta;
	const struct ev_node_verdict *v = e->verdict;
	struct ev_json j;

	ev_json_init(&j);
	ev_json_obj_begin(&j, NULL);
	ev_json_u64(&j, "time", e->time);
	ev_json_u64(&j, "job", e->jobid);
	ev_json_str(&j, "node", e->node);
	ev_json_u64(&j, "job_nodes", e->job_nodes);
	ev_json_verdict(&j, v->verdict, v->reason);
	ev_json_causes(&j, e->causes, false);
	ev_json_containers(&j, e->containers);
	ev_json_bool(&j, "shared", v->shared);
	if (d) {
		ev_json_fields(&j, d, node_fields, sizeof(node_fields) / sizeof(node_fields[0]));
		ev_json_tcp_source(&j, d->tcp_source, d->other_tcp_bytes);
		ev_json_u64(&j, "error_events", d->errors);
		ev_json_u64(&j, "duration_ms", d->duration_ns / 1000000);
		ev_json_records(&j, "devices", d->devs, d->n, sizeof(*d->devs), dev_fields,
				sizeof(dev_fields) / sizeof(dev_fields[0]), error_counts);
	}
	ev_json_obj_end(&j);
	return ev_json_finish(&j, len);
}

int ev_joblog_write(const char *path, const struct ev_joblog_entry *e, struct ev_err *err)
{
	size_t len = 0;
	char *s = ev_joblog_format(e, &len);
	int rc;

	if (!s)
		return ev_errf(err, -ENOMEM, "out of memory");
	rc = ev_joblog_append(path, s, len, err);
	free(s);
	return rc;
}
