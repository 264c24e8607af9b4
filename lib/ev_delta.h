/* What moved during a job: end snapshot minus start snapshot, per device and
 * for the node. Counters are 64-bit and never wrap on a live device, so a
 * counter lower at the end was reset (driver reload, device re-attach): that
 * device's numbers are marked, never turned into a huge wrapped value. */
#ifndef EV_DELTA_H
#define EV_DELTA_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ev_counters.h"
#include "ev_err.h"

enum ev_dev_state { EV_DEV_OK, EV_DEV_RESET, EV_DEV_MISSING };

struct ev_dev_delta {
	char dev[EV_NAME_MAX];
	enum ev_dev_state state;
	char bad_counter[EV_COUNTER_NAME_MAX];  /* which counter went backwards */
	uint64_t tx_bytes, rx_bytes;            /* all bytes on the port */
	uint64_t rdma_read_bytes, rdma_write_bytes;   /* part of the above */
	uint64_t errors;                        /* growth of the error counters */
	char top_error[EV_COUNTER_NAME_MAX];    /* the one that grew most */
	uint64_t top_error_delta;
};

struct ev_node_delta {
	struct ev_dev_delta *devs;
	size_t n;
	size_t n_reset, n_missing;
	uint64_t efa_bytes;                     /* tx+rx over devices that are OK */
	uint64_t tcp_bytes;                     /* tx+rx over the TCP interfaces */
	bool tcp_reset;
	uint64_t errors;
	uint64_t duration_ns;
};

/* The error counters the verdict watches, as the kernel efa driver names
 * them; absent ones (older drivers) are skipped. */
extern const char *const ev_error_counters[];

int ev_delta_compute(const struct ev_snapshot *start, const struct ev_snapshot *end,
		     struct ev_node_delta *out, struct ev_err *err);
void ev_delta_free(struct ev_node_delta *d);

#endif
