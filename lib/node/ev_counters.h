/* Counter snapshots: EFA port counters (<dev>/ports/1/hw_counters/), device
 * counters (<dev>/hw_counters/: admin commands on current drivers, the
 * traffic counters too on older ones, which have no port level), and the
 * TCP path's
 * class/net/<if>/statistics/{tx,rx}_bytes. Names are the kernel efa driver's.
 * A counter file that is absent is simply not in the snapshot (older drivers
 * have fewer); one that is unreadable or not a number is kept with ok=false. */
#ifndef EV_COUNTERS_H
#define EV_COUNTERS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "config/ev_config.h"
#include "node/ev_devices.h"
#include "util/ev_err.h"

#define EV_COUNTER_NAME_MAX 48

struct ev_counter {
	char name[EV_COUNTER_NAME_MAX];
	uint64_t value;
	bool ok;                      /* false: unreadable or garbage; value is 0 */
};

struct ev_dev_counters {
	char dev[EV_NAME_MAX];
	struct ev_counter *port;      /* ports/1/hw_counters, sorted by name */
	size_t n_port;
	struct ev_counter *device;    /* hw_counters, sorted by name */
	size_t n_device;
};

struct ev_tcp_counters {
	char ifname[EV_IFNAME_MAX];
	uint64_t tx_bytes, rx_bytes;
	bool ok;                      /* both read and parsed */
};

/* Where a job's TCP numbers come from. Interface counters (the TCP
 * interfaces' tx/rx bytes) count everything the node sends, storage and
 * Slurm's own traffic included; the job's nftables table (ev_jobnet)
 * counts what went to and from the job's other nodes apart from the rest.
 * NONE: not said (a start file written before there was a choice). */
enum ev_tcp_source { EV_TCP_SRC_NONE, EV_TCP_SRC_INTERFACE, EV_TCP_SRC_NFTABLES };

/* The job table's counters: IP bytes to (tx) and from (rx) the job's
 * other nodes, and all IP bytes not on a loopback interface. */
struct ev_net_counts {
	uint64_t peer_tx, peer_rx, all_tx, all_rx;
};

const char *ev_tcp_source_name(enum ev_tcp_source s);   /* "interface", "nftables"; "" for NONE */
/* "interface", "nftables" -> 0, else -EINVAL. */
int ev_tcp_source_parse(const char *s, enum ev_tcp_source *out);

struct ev_snapshot {
	uint64_t time_ns;             /* CLOCK_REALTIME when taken */
	struct ev_dev_counters *efa;
	size_t n_efa;
	struct ev_tcp_counters *tcp;
	size_t n_tcp;
	unsigned n_bad;               /* counters that were unreadable or garbage */
	uint32_t job_nodes;           /* kept with a job's start snapshot; 0 = unknown */
	/* ev_snapshot_take says INTERFACE (tcp[] is read either way); the
	 * prolog and epilog make it NFTABLES with net when the job's table
	 * counted. */
	enum ev_tcp_source tcp_source;
	struct ev_net_counts net;
};

/* ENA interfaces under sysfs_root/class/net (device/driver -> ena), sorted. */
int ev_tcp_ifaces_auto(const char *sysfs_root, char (*out)[EV_IFNAME_MAX],
		       size_t cap, size_t *n, struct ev_err *err);

/* The port counters a job's verdict and outputs are made of, sorted by
 * name, NULL-terminated: traffic (tx/rx bytes and packets, RDMA read/write
 * bytes) and the error counters ev_delta adds up. What the prolog and
 * epilog read: 14 of a device's 34 counter files. */
extern const char *const ev_job_counters[];

/* Snapshot the devices in devs and the TCP interfaces the config names
 * (tcp_auto: ENA netdevs). names NULL: every port and device counter file
 * there is (efa-verify snapshot); else only the counters named there,
 * sorted as ev_job_counters is, from ports/1/hw_counters, or from the
 * device's hw_counters where a driver has no port-level directory. */
int ev_snapshot_take(const struct ev_config *cfg, const struct ev_device_list *devs,
		     const char *const *names, struct ev_snapshot *out, struct ev_err *err);
void ev_snapshot_free(struct ev_snapshot *s);

/* Port counter by name, then device counter; NULL if absent. */
const struct ev_counter *ev_counter_find(const struct ev_dev_counters *d, const char *name);
/* Device name's counters in snapshot s (NULL: no such device, or no s). */
const struct ev_dev_counters *ev_snapshot_dev(const struct ev_snapshot *s, const char *name);
/* Likewise an interface's TCP counters. */
const struct ev_tcp_counters *ev_snapshot_if(const struct ev_snapshot *s, const char *name);

#endif
