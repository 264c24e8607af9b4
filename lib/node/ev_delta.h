/* What moved during a job: end snapshot minus start snapshot, per device and
 * for the node. Counters are 64-bit and never wrap on a live device, so a
 * counter lower at the end was reset (driver reload, device re-attach): that
 * device's numbers are marked, never turned into a huge wrapped value.
 *
 * Which bytes count. The efa driver's port counters come from separate
 * device queries: tx_bytes/rx_bytes/rx_drops ("basic" stats, the port's
 * traffic), send_/recv_bytes (messages), rdma_read_* and rdma_write_* (per
 * RDMA operation), retrans_* and *_remote_* (network stats, newer drivers).
 * The RDMA byte counters describe traffic that also crosses the port, so
 * adding them to tx+rx could count the same bytes twice; but a driver or
 * device that left RDMA out of the basic counters must not make an RDMA-only
 * job look idle. A device's traffic is therefore max(tx+rx, rdma_read +
 * rdma_write): never double counted, never hidden. */
#ifndef EV_DELTA_H
#define EV_DELTA_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "node/ev_snapshot.h"
#include "util/ev_err.h"

enum ev_dev_state {
	EV_DEV_OK,
	EV_DEV_RESET,       /* a counter went backwards: bad_counter */
	EV_DEV_MISSING,     /* device at one end only */
	EV_DEV_UNREADABLE,  /* a byte counter unreadable, or at one end only: bad_counter */
	EV_DEV_NO_COUNTERS, /* no byte counter at all (very old driver): traffic not known */
	EV_DEV_STATE_LAST = EV_DEV_NO_COUNTERS  /* tables indexed by state end here */
};

/* The error counters the verdict watches, as the kernel efa driver names
 * them (drivers/infiniband/hw/efa/efa_verbs.c); absent ones (older
 * drivers) are skipped. */
#define EV_N_ERROR_COUNTERS 7

struct ev_dev_delta {
	char dev[EV_NAME_MAX];
	enum ev_dev_state state;
	char bad_counter[EV_COUNTER_NAME_MAX];  /* which counter went backwards / was unreadable */
	uint64_t tx_bytes, rx_bytes;            /* all bytes on the port */
	uint64_t rdma_read_bytes, rdma_write_bytes;   /* part of the above (see top) */
	uint64_t errors;                        /* growth of the error counters */
	char top_error[EV_COUNTER_NAME_MAX];    /* the one that grew most */
	uint64_t top_error_delta;
	/* Added: */
	uint64_t bytes;                         /* max(tx+rx, rdma read+write): for totals and NIC balance */
	unsigned n_error_counters;              /* error counters comparable at both ends */
	/* Growth of each of ev_error_counters[], where error_known[i]. */
	uint64_t error_growth[EV_N_ERROR_COUNTERS];
	bool error_known[EV_N_ERROR_COUNTERS];
	/* Growth of each of ev_job_device_counters[] (setup errors), where
	 * setup_known[i]: comparable at both ends, not reset. */
	uint64_t setup_growth[EV_N_JOB_DEVICE_COUNTERS];
	bool setup_known[EV_N_JOB_DEVICE_COUNTERS];
	/* Packets and the peer-loss events, when pkts_known: each of the four
	 * comparable or absent at both ends, none reset. */
	uint64_t tx_pkts, rx_pkts, unresponsive_remote_events, retrans_timeout_events;
	bool pkts_known;
};

struct ev_node_delta {
	struct ev_dev_delta *devs;
	size_t n;
	size_t n_reset, n_missing;
	uint64_t efa_bytes;                     /* sum of devs[].bytes over devices that are OK */
	/* The job's inter-node TCP, tx+rx: with nftables the bytes to and
	 * from the job's other nodes; with interface counters everything on
	 * the TCP interfaces (tcp_source says which). */
	uint64_t tcp_bytes;
	bool tcp_reset;
	uint64_t errors;
	uint64_t duration_ns;
	size_t n_unreadable, n_no_counters;
	uint64_t efa_tx_bytes, efa_rx_bytes;    /* over OK devices */
	uint64_t rdma_read_bytes, rdma_write_bytes;
	uint64_t tcp_tx_bytes, tcp_rx_bytes;
	size_t n_tcp;                           /* interfaces compared */
	bool tcp_incomplete;                    /* an interface unreadable or at one end only */
	char tcp_bad_if[EV_IFNAME_MAX];         /* first such (or reset) interface */
	enum ev_tcp_source tcp_source;          /* NFTABLES when both snapshots have the job table's counts */
	uint64_t other_tcp_bytes;               /* nftables: IP bytes to and from anything else; else 0 */
	/* The job's verbs setup failures: ev_job_device_counters[] summed
	 * over the devices neither reset nor missing, each where known. */
	uint64_t setup_growth[EV_N_JOB_DEVICE_COUNTERS];
	uint64_t setup_errors;                  /* their sum */
	char top_setup_error[EV_COUNTER_NAME_MAX];   /* the one that grew most ("" if none grew) */
	uint64_t top_setup_error_delta;
	/* Sums over the devices with pkts_known (n_pkts of them): a device
	 * whose packets cannot all be compared is left out whole, so a reset
	 * rx_pkts never reads as a send with no answer. */
	uint64_t tx_pkts, rx_pkts, unresponsive_remote_events, retrans_timeout_events;
	size_t n_pkts;
};

/* EV_N_ERROR_COUNTERS names, NULL-terminated, and the family whose
 * verdict.max_errors_per_gib rate judges each. */
extern const char *const ev_error_counters[];
extern const enum ev_error_family ev_error_counter_family[EV_N_ERROR_COUNTERS];

/* How one counter moved between two snapshots of a device: absent from
 * both, readable in both and not smaller (*d = the increase), smaller
 * (reset), or missing or unreadable in one. Shared by the job delta and
 * top's rates, so both call the same movement a reset. */
enum ev_counter_move { EV_MOVE_ABSENT, EV_MOVE_OK, EV_MOVE_RESET, EV_MOVE_UNREADABLE };
enum ev_counter_move ev_counter_move(const struct ev_dev_counters *a, const struct ev_dev_counters *b,
				     const char *name, uint64_t *d);

/* Every device and interface seen at either end is in the result. Only
 * -ENOMEM can fail. */
int ev_delta_compute(const struct ev_snapshot *start, const struct ev_snapshot *end,
		     struct ev_node_delta *out, struct ev_err *err);
void ev_delta_free(struct ev_node_delta *d);

const char *ev_dev_state_name(enum ev_dev_state s);

#endif
