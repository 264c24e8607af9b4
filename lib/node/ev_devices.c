/* EFA device discovery: RDMA devices whose PCI function is bound to the efa
 * driver, read through sysfs_root the way the kernel lays it out. */
#include "node/ev_devices.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "util/ev_file.h"

/* Far above any instance (p5: 32); bounds work on a hostile tree. */
#define EV_MAX_DEVICES 256

/* Basename of the symlink dirfd/path points to, e.g. device/driver -> efa. */
static int link_basename(int dirfd, const char *path, char *out, size_t cap)
{
	char target[1024];
	ssize_t n = readlinkat(dirfd, path, target, sizeof(target) - 1);
	const char *base;

	if (n < 0)
		return -errno;
	target[n] = '\0';
	base = strrchr(target, '/');
	base = base ? base + 1 : target;
	if (strlen(base) >= cap)
		return -ENAMETOOLONG;
	memcpy(out, base, strlen(base) + 1);
	return 0;
}

static void read_port(int devfd, struct ev_device *d)
{
	char buf[128];
	char *colon;

	d->port_state = -1;
	if (ev_file_read_at(devfd, "ports/1/state", buf, sizeof(buf), false, NULL) > 0) {
		/* "4: ACTIVE" */
		char *end;
		long v = strtol(buf, &end, 10);

		if (end != buf && *end == ':' && v >= 0 && v < 16)
			d->port_state = (int)v;
		colon = strchr(buf, ':');
		snprintf(d->port_state_name, sizeof(d->port_state_name), "%s",
			 colon ? colon + 1 + strspn(colon + 1, " ") : buf);
		for (char *p = d->port_state_name; *p; p++)
			if (*p < 0x20 || *p >= 0x7f)
				*p = '?';
	}
	if (ev_file_read_at(devfd, "ports/1/rate", buf, sizeof(buf), false, NULL) > 0) {
		snprintf(d->link_rate, sizeof(d->link_rate), "%s", buf);
		for (char *p = d->link_rate; *p; p++)
			if (*p < 0x20 || *p >= 0x7f)
				*p = '?';
	}
}

static int cmp_dev(const void *a, const void *b)
{
	return strcmp(((const struct ev_device *)a)->name, ((const struct ev_device *)b)->name);
}

static int discover(const char *sysfs_root, struct ev_device_list *out, size_t limit, bool details,
		    struct ev_err *err)
{
	char path[4096];
	struct dirent *de;
	DIR *dir;
	int dfd, rc = 0;

	memset(out, 0, sizeof(*out));
	if (ev_path_join(path, sizeof(path), sysfs_root, "class/infiniband") != 0)
		return ev_errf(err, -ENAMETOOLONG, "%s: path too long", sysfs_root);
	dfd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd < 0) {
		/* No RDMA subsystem: a node with zero devices, not an error. */
		if (errno == ENOENT || errno == ENOTDIR)
			return 0;
		rc = -errno;
		return ev_errf(err, rc, "%s: %s", path, strerror(-rc));
	}
	dir = fdopendir(dfd);
	if (!dir) {
		rc = -errno;
		close(dfd);
		return ev_errf(err, rc, "%s: %s", path, strerror(-rc));
	}
	while ((de = readdir(dir))) {
		struct ev_device d;
		char drv[64];
		int devfd;

		if (de->d_name[0] == '.')
			continue;
		/* Device names become path components and output tokens. */
		if (!ev_valid_name(de->d_name, EV_NAME_MAX))
			continue;
		memset(&d, 0, sizeof(d));
		memcpy(d.name, de->d_name, strlen(de->d_name) + 1);
		/* class/infiniband/<dev> is a symlink into devices/: follow it. */
		devfd = openat(dfd, de->d_name, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (devfd < 0)
			continue;
		if (link_basename(devfd, "device/driver", drv, sizeof(drv)) != 0 ||
		    strcmp(drv, "efa") != 0) {
			out->n_rdma_other++;
			close(devfd);
			continue;
		}
		snprintf(d.driver, sizeof(d.driver), "%s", drv);
		d.port_state = -1;
		if (details) {
			if (link_basename(devfd, "device", d.pci_addr, sizeof(d.pci_addr)) != 0)
				d.pci_addr[0] = '\0';
			read_port(devfd, &d);
		}
		close(devfd);
		if (out->n >= EV_MAX_DEVICES) {
			rc = ev_errf(err, -E2BIG, "%s: more than %d EFA devices", path, EV_MAX_DEVICES);
			break;
		}
		if (out->n % 16 == 0) {
			struct ev_device *nd = realloc(out->devs, (out->n + 16) * sizeof(*nd));

			if (!nd) {
				rc = ev_errf(err, -ENOMEM, "out of memory");
				break;
			}
			out->devs = nd;
		}
		out->devs[out->n++] = d;
		if (out->n == limit)
			break;
	}
	closedir(dir);
	if (rc) {
		ev_devices_free(out);
		return rc;
	}
	if (out->n)
		qsort(out->devs, out->n, sizeof(*out->devs), cmp_dev);
	return 0;
}

void ev_devices_free(struct ev_device_list *l)
{
	free(l->devs);
	memset(l, 0, sizeof(*l));
}

int ev_devices_discover(const char *sysfs_root, struct ev_device_list *out, struct ev_err *err)
{
	return discover(sysfs_root, out, (size_t)-1, true, err);
}

int ev_devices_discover_names(const char *sysfs_root, struct ev_device_list *out, struct ev_err *err)
{
	return discover(sysfs_root, out, (size_t)-1, false, err);
}

int ev_devices_any(const char *sysfs_root, bool *any, struct ev_err *err)
{
	struct ev_device_list l;
	int rc = discover(sysfs_root, &l, 1, false, err);

	*any = rc == 0 && l.n > 0;
	ev_devices_free(&l);
	return rc;
}
