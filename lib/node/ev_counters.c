/* Counter snapshots. Runs in the prolog and epilog of every job on nodes with
 * up to 32 devices, so it reads with openat relative to one directory fd per
 * directory and one read per file, no stdio, and there only the counters a
 * job's verdict is made of. */
#include "node/ev_counters.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "util/ev_file.h"
#include "util/ev_num.h"

#define EV_MAX_COUNTERS_PER_DIR 128


static int cmp_counter(const void *a, const void *b)
{
	return strcmp(((const struct ev_counter *)a)->name, ((const struct ev_counter *)b)->name);
}

/* One counter file, in exactly one read: a sysfs attribute hands over its
 * whole value in the first read, so the EOF read ev_file_read_at makes would
 * cost a second system call per counter, ~1,100 per snapshot on a p5 (the
 * same flags otherwise: no symlinks, no FIFO hang). A value that fills the
 * buffer is not a counter. */
static int read_counter_at(int dirfd, const char *name, uint64_t *value)
{
	char buf[64];
	ssize_t r;
	int fd = openat(dirfd, name, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK | O_NOFOLLOW);

	if (fd < 0)
		return -errno;
	do
		r = read(fd, buf, sizeof(buf) - 1);
	while (r < 0 && errno == EINTR);
	close(fd);
	if (r <= 0 || (size_t)r >= sizeof(buf) - 1)
		return -EINVAL;
	buf[r] = '\0';
	return ev_parse_u64(buf, value, NULL) == 0 ? 0 : -EINVAL;
}

const char *ev_tcp_source_name(enum ev_tcp_source s)
{
	return s == EV_TCP_SRC_INTERFACE ? "interface" : s == EV_TCP_SRC_NFTABLES ? "nftables" : "";
}

int ev_tcp_source_parse(const char *s, enum ev_tcp_source *out)
{
	if (strcmp(s, "interface") == 0)
		*out = EV_TCP_SRC_INTERFACE;
	else if (strcmp(s, "nftables") == 0)
		*out = EV_TCP_SRC_NFTABLES;
	else
		return -EINVAL;
	return 0;
}

const char *const ev_job_counters[] = {
	"impaired_remote_conn_events", "rdma_read_bytes", "rdma_read_wr_err", "rdma_write_bytes",
	"rdma_write_wr_err", "retrans_bytes", "retrans_pkts", "retrans_timeout_events", "rx_bytes",
	"rx_drops", "rx_pkts", "tx_bytes", "tx_pkts", "unresponsive_remote_events", NULL,
};

/* One counter read into c[*cnt]: kept, as unreadable if it failed. */
static void keep(struct ev_counter *c, size_t *cnt, const char *name, int rc, unsigned *n_bad)
{
	struct ev_counter *k = &c[*cnt];

	memcpy(k->name, name, strlen(name) + 1);
	k->ok = rc == 0;
	if (!k->ok) {
		k->value = 0;
		(*n_bad)++;
	}
	(*cnt)++;
}

/* The counters in dirfd/sub, sorted by name: those in names, or with names
 * NULL every counter file there is. An absent directory is an empty set
 * (*absent says so, where asked): newer drivers keep no traffic counters at
 * device level, older ones have no port-level hw_counters.
 *
 * Named counters are opened without listing the directory: on sysfs a
 * listing costs more than the files it saves reading, and the names come
 * out in the order given, sorted, with nothing to sort. A named counter
 * that is absent (ENOENT, or a symlink, which a listing passes over too) is
 * left out; anything else that fails is kept as unreadable. */
static int read_counter_dir(int dirfd, const char *sub, const char *const *names, struct ev_counter **out,
			    size_t *n, bool *absent, unsigned *n_bad, struct ev_err *err)
{
	/* Collected on the stack and copied out at their real number: a
	 * calloc of the maximum per directory zeroed 8 KiB 64 times per
	 * snapshot, page faults included. */
	struct ev_counter c[EV_MAX_COUNTERS_PER_DIR];
	size_t cnt = 0;
	int fd;

	*out = NULL;
	*n = 0;
	if (absent)
		*absent = false;
	fd = openat(dirfd, sub, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0 && errno == ENOENT && absent)
		*absent = true;
	if (fd < 0)
		return errno == ENOENT ? 0 : ev_errf(err, -errno, "%s: %s", sub, strerror(errno));
	if (names) {
		for (size_t i = 0; names[i] && cnt < EV_MAX_COUNTERS_PER_DIR; i++) {
			int rc;

			if (strlen(names[i]) >= sizeof(c->name))
				continue;
			rc = read_counter_at(fd, names[i], &c[cnt].value);
			if (rc != -ENOENT && rc != -ELOOP)
				keep(c, &cnt, names[i], rc, n_bad);
		}
		close(fd);
	} else {
		struct dirent *de;
		DIR *dir = fdopendir(fd);

		if (!dir) {
			close(fd);
			return ev_errf(err, -errno, "%s: %s", sub, strerror(errno));
		}
		while ((de = readdir(dir)) && cnt < EV_MAX_COUNTERS_PER_DIR) {
			/* lifespan is the hw_counters update interval, not a counter. */
			if (de->d_name[0] == '.' || strcmp(de->d_name, "lifespan") == 0)
				continue;
			if (de->d_type != DT_REG && de->d_type != DT_UNKNOWN)
				continue;
			if (!ev_valid_name(de->d_name, sizeof(c->name)))
				continue;
			keep(c, &cnt, de->d_name, read_counter_at(fd, de->d_name, &c[cnt].value), n_bad);
		}
		closedir(dir);
		qsort(c, cnt, sizeof(*c), cmp_counter);
	}
	if (!cnt)
		return 0;
	*out = malloc(cnt * sizeof(**out));
	if (!*out)
		return ev_errf(err, -ENOMEM, "out of memory");
	memcpy(*out, c, cnt * sizeof(**out));
	*n = cnt;
	return 0;
}

static bool is_ena(int netfd, const char *ifname)
{
	char path[EV_IFNAME_MAX + 32];
	char target[512];
	ssize_t n;
	const char *base;

	snprintf(path, sizeof(path), "%s/device/driver", ifname);
	n = readlinkat(netfd, path, target, sizeof(target) - 1);
	if (n < 0)
		return false;
	target[n] = '\0';
	base = strrchr(target, '/');
	return strcmp(base ? base + 1 : target, "ena") == 0;
}

static int cmp_ifname(const void *a, const void *b)
{
	return strcmp(a, b);
}

int ev_tcp_ifaces_auto(const char *sysfs_root, char (*out)[EV_IFNAME_MAX], size_t cap, size_t *n,
		       struct ev_err *err)
{
	char path[4096];
	struct dirent *de;
	DIR *dir;
	int fd;

	*n = 0;
	if (ev_path_join(path, sizeof(path), sysfs_root, "class/net") != 0)
		return ev_errf(err, -ENAMETOOLONG, "%s: path too long", sysfs_root);
	fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return errno == ENOENT ? 0 : ev_errf(err, -errno, "%s: %s", path, strerror(errno));
	dir = fdopendir(fd);
	if (!dir) {
		close(fd);
		return ev_errf(err, -errno, "%s: %s", path, strerror(errno));
	}
	while ((de = readdir(dir)) && *n < cap) {
		if (!ev_valid_name(de->d_name, EV_IFNAME_MAX) || !is_ena(fd, de->d_name))
			continue;
		memcpy(out[*n], de->d_name, strlen(de->d_name) + 1);
		(*n)++;
	}
	closedir(dir);
	qsort(out, *n, EV_IFNAME_MAX, cmp_ifname);
	return 0;
}

static void read_tcp(int netfd, struct ev_tcp_counters *t)
{
	char path[EV_IFNAME_MAX + 32];
	bool ok = true;

	snprintf(path, sizeof(path), "%s/statistics/tx_bytes", t->ifname);
	ok = ok && read_counter_at(netfd, path, &t->tx_bytes) == 0;
	snprintf(path, sizeof(path), "%s/statistics/rx_bytes", t->ifname);
	ok = ok && read_counter_at(netfd, path, &t->rx_bytes) == 0;
	t->ok = ok;
	if (!ok)
		t->tx_bytes = t->rx_bytes = 0;
}

int ev_snapshot_take(const struct ev_config *cfg, const struct ev_device_list *devs,
		     const char *const *names, struct ev_snapshot *out, struct ev_err *err)
{
	char ifaces[EV_MAX_TCP_IFACES][EV_IFNAME_MAX];
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
		rc = read_counter_dir(devfd, "ports/1/hw_counters", names, &d->port, &d->n_port, &no_port,
				      &out->n_bad, err);
		/* Device-level counters are admin commands on current drivers,
		 * and judge no job; older drivers have no port-level directory
		 * and keep the traffic counters there, under the same names
		 * (ev_counter_find looks at both). */
		if (rc == 0 && (!names || no_port))
			rc = read_counter_dir(devfd, "hw_counters", names, &d->device, &d->n_device, NULL,
					      &out->n_bad, err);
		close(devfd);
		out->n_efa++;
		if (rc)
			goto out;
	}

	if (cfg->tcp_auto) {
		rc = ev_tcp_ifaces_auto(cfg->sysfs_root, ifaces, EV_MAX_TCP_IFACES, &n_if, err);
		if (rc)
			goto out;
	} else {
		for (n_if = 0; n_if < cfg->n_tcp_ifaces; n_if++)
			memcpy(ifaces[n_if], cfg->tcp_ifaces[n_if], EV_IFNAME_MAX);
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
				read_tcp(netfd, t);
			if (!t->ok)
				out->n_bad++;
		}
	}
out:
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

const struct ev_counter *ev_counter_find(const struct ev_dev_counters *d, const char *name)
{
	struct ev_counter key;

	if (strlen(name) >= sizeof(key.name))
		return NULL;
	memcpy(key.name, name, strlen(name) + 1);
	for (int pass = 0; pass < 2; pass++) {
		const struct ev_counter *arr = pass ? d->device : d->port;
		size_t n = pass ? d->n_device : d->n_port;
		const struct ev_counter *hit;

		if (!n)
			continue;
		hit = bsearch(&key, arr, n, sizeof(*arr), cmp_counter);
		if (hit)
			return hit;
	}
	return NULL;
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
