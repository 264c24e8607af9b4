/* The traffic part of the line a step ends with, per node, when the user
 * asked for --efa-verify: what the step moved between its start and its
 * end, judged by the job verdict's rules, e.g.
 *
 *   n1: ok, EFA 12.3 Gb/s, 99.0% of traffic (EFA 14.3 GiB, TCP 150.0 MiB in 10.0 s)
 *   n2: tcp_fallback (tcp_bytes:1073741824/efa_bytes:0), EFA 0.00 Gb/s, 0.0% of traffic (EFA 0 B, TCP 1.0 GiB in 2.0 s); cause: fi_provider(tcp)
 *
 * EFA Gb/s is the node's EFA bytes (tx+rx, or RDMA where larger, as the
 * verdict counts them) over the window; the share is EFA bytes over EFA
 * and TCP bytes. Causes follow, "; cause: NAME(DETAIL), likely NAME(DETAIL)",
 * where the node names any (judge/ev_cause.h). */
#ifndef EV_STEPLINE_H
#define EV_STEPLINE_H

#include <stddef.h>
#include <stdint.h>

#include "node/ev_delta.h"
#include "judge/ev_cause.h"
#include "judge/ev_verdict.h"

/* 1 and the line in out when the node moved data (EFA and TCP bytes
 * together at least min_bytes), its verdict is worse than ok or it names
 * a cause; 0 (out empty) for a node with nothing to say. causes may be
 * NULL (none). A line longer than cap is cut. */
int ev_step_line(const char *node, const struct ev_node_delta *d, const struct ev_node_verdict *v,
		 const struct ev_causes *causes, uint64_t min_bytes, char *out, size_t cap);

#endif
