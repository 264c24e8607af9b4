/* Counters: EFA port counters (<dev>/ports/1/hw_counters/), device
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

/* Every ENA interface under sysfs_root/class/net (device/driver -> ena),
 * sorted, in *out (malloc'd, NULL when there are none; free it). */
int ev_tcp_ifaces_auto(const char *sysfs_root, char (**out)[EV_IFNAME_MAX], size_t *n,
		       struct ev_err *err);

/* The port counters a job's verdict and outputs are made of, sorted by
 * name, NULL-terminated: traffic (tx/rx bytes and packets, RDMA read/write
 * bytes) and the error counters ev_delta adds up. What the prolog and
 * epilog read: these 14 and the 3 below, of a device's 34 counter files. */
extern const char *const ev_job_counters[];

/* The device-level counters a job snapshot reads too, from <dev>/hw_counters,
 * sorted, NULL-terminated: the verbs calls that fail while a job sets up
 * its fabric. Each counts a failure the job's own processes met and that
 * no traffic counter shows, because the traffic never started:
 *   reg_mr_err          ibv_reg_mr failed, most often pinning past the
 *                       task's RLIMIT_MEMLOCK (libfabric registers every
 *                       buffer, so a low memlock fails here first);
 *   create_qp_err       no queue pair: the device's QPs used up (too many
 *                       ranks or endpoints per device);
 *   alloc_ucontext_err  a process could not open the device at all
 *                       (rdma-core and driver at odds): the job fell back
 *                       to another provider.
 * Each file costs every prolog and epilog one open, read and close per
 * device, a fixed part of their CPU: so not the rest. create_cq_err fails
 * with create_qp_err (the same device resources; CQ rings are the
 * kernel's memory, no memlock); alloc_pd, create_ah and mmap fail rarely
 * and after the calls above; the admin queue's counters (submitted_cmds,
 * keep_alive_rcvd, ...) move with no job's fault. */
#define EV_N_JOB_DEVICE_COUNTERS 3
extern const char *const ev_job_device_counters[];

/* The counters in dirfd/sub, sorted by name: those in names (sorted), or
 * with names NULL every counter file there is. An absent directory is an
 * empty set (*absent says so, where asked). A counter that could not be
 * read is kept as unreadable and counted in *n_bad. */
int ev_counter_dir_read(int dirfd, const char *sub, const char *const *names, struct ev_counter **out,
			size_t *n, bool *absent, unsigned *n_bad, struct ev_err *err);
/* As ev_counter_dir_read with names, each opened as sub/NAME from dirfd
 * without opening sub itself: two system calls less per directory, for a
 * few counters of a directory that is not otherwise read. An absent sub is
 * an empty set. */
int ev_counter_files_read(int dirfd, const char *sub, const char *const *names, struct ev_counter **out,
			  size_t *n, unsigned *n_bad, struct ev_err *err);
/* t->ifname's statistics/{tx,rx}_bytes under netfd (a class/net directory). */
void ev_tcp_counters_read(int netfd, struct ev_tcp_counters *t);

/* Orders struct ev_counter by name (qsort, bsearch). */
int ev_counter_cmp(const void *a, const void *b);
/* Port counter by name, then device counter; NULL if absent. */
const struct ev_counter *ev_counter_find(const struct ev_dev_counters *d, const char *name);

#endif
