/* The causes a job's device counters name: what the prolog's and epilog's
 * snapshots show moved on the node while the job ran. Pure: no I/O. */
#ifndef EV_CAUSE_COUNTERS_H
#define EV_CAUSE_COUNTERS_H

#include "judge/ev_cause.h"
#include "node/ev_delta.h"

/* The least the node sent, in packets, before silence from its peers
 * means anything: a job that barely started proves nothing either way. */
#define EV_UNREACHABLE_MIN_TX_PKTS 1000
/* Peers that answer at all answer more than one packet in this many. */
#define EV_UNREACHABLE_RX_PER_TX 100

/* Adds to cs: setup_errors (certain) when a setup error counter grew,
 * detail the one that grew most, "reg_mr_err:12"; unreachable_peers
 * (likely) when the node sent at least EV_UNREACHABLE_MIN_TX_PKTS packets,
 * got back less than one in EV_UNREACHABLE_RX_PER_TX, and the device gave
 * up on a peer (unresponsive_remote_events or retrans_timeout_events
 * grew). Reset or missing devices add nothing. */
void ev_causes_from_delta(const struct ev_node_delta *d, struct ev_causes *cs);

#endif
