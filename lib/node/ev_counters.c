/* Counter files. Read in the prolog and epilog of every job on nodes with
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
#include <unistd.h>

#include "util/ev_array.h"
#include "util/ev_file.h"
#include "util/ev_num.h"

#define EV_MAX_COUNTERS_PER_DIR 128


int ev_counter_cmp(const void *a, const void *b)
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

const char *const ev_job_device_counters[EV_N_JOB_DEVICE_COUNTERS + 1] = {
	"alloc_ucontext_err", "create_qp_err", "reg_mr_err", NULL,
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

/* The counters read into c[0..cnt) as the caller's own array (NULL when
 * there are none). */
static int keep_all(const struct ev_counter *c, size_t cnt, struct ev_counter **out, size_t *n,
		    struct ev_err *err)
{
	if (!cnt)
		return 0;
	*out = malloc(cnt * sizeof(**out));
	if (!*out)
		return ev_errf(err, -ENOMEM, "out of memory");
	memcpy(*out, c, cnt * sizeof(**out));
	*n = cnt;
	return 0;
}

/* An absent directory is an empty set: newer drivers keep no traffic
 * counters at device level, older ones have no port-level hw_counters.
 *
 * Named counters are opened without listing the directory: on sysfs a
 * listing costs more than the files it saves reading, and the names come
 * out in the order given, sorted, with nothing to sort. A named counter
 * that is absent (ENOENT, or a symlink, which a listing passes over too) is
 * left out; anything else that fails is kept as unreadable. */
int ev_counter_dir_read(int dirfd, const char *sub, const char *const *names, struct ev_counter **out,
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
		qsort(c, cnt, sizeof(*c), ev_counter_cmp);
	}
	return keep_all(c, cnt, out, n, err);
}

int ev_counter_files_read(int dirfd, const char *sub, const char *const *names, struct ev_counter **out,
			  size_t *n, unsigned *n_bad, struct ev_err *err)
{
	struct ev_counter c[EV_MAX_COUNTERS_PER_DIR];
	char path[256];
	size_t cnt = 0;

	*out = NULL;
	*n = 0;
	for (size_t i = 0; names[i] && cnt < EV_MAX_COUNTERS_PER_DIR; i++) {
		int rc;

		if (strlen(names[i]) >= sizeof(c->name) ||
		    (size_t)snprintf(path, sizeof(path), "%s/%s", sub, names[i]) >= sizeof(path))
			continue;
		rc = read_counter_at(dirfd, path, &c[cnt].value);
		/* ENOTDIR: sub is no directory, as good as absent. */
		if (rc != -ENOENT && rc != -ELOOP && rc != -ENOTDIR)
			keep(c, &cnt, names[i], rc, n_bad);
	}
	return keep_all(c, cnt, out, n, err);
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

int ev_tcp_ifaces_auto(const char *sysfs_root, char (**out)[EV_IFNAME_MAX], size_t *n, struct ev_err *err)
{
	char (*names)[EV_IFNAME_MAX] = NULL;
	char path[4096];
	struct dirent *de;
	size_t cap = 0;
	DIR *dir;
	int fd;

	*out = NULL;
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
	/* Every one of them: readdir's order is no ranking, so a cap here
	 * would drop whichever interface the directory happened to list
	 * last, the node's primary one included. */
	while ((de = readdir(dir))) {
		if (!ev_valid_name(de->d_name, EV_IFNAME_MAX) || !is_ena(fd, de->d_name))
			continue;
		if (ev_array_room(&names, &cap, *n, EV_IFNAME_MAX, 8)) {
			closedir(dir);
			free(names);
			*n = 0;
			return ev_errf(err, -ENOMEM, "out of memory");
		}
		memcpy(names[*n], de->d_name, strlen(de->d_name) + 1);
		(*n)++;
	}
	closedir(dir);
	if (*n)
		qsort(names, *n, EV_IFNAME_MAX, cmp_ifname);
	*out = names;
	return 0;
}

void ev_tcp_counters_read(int netfd, struct ev_tcp_counters *t)
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
		hit = bsearch(&key, arr, n, sizeof(*arr), ev_counter_cmp);
		if (hit)
			return hit;
	}
	return NULL;
}
