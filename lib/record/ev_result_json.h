/* The members that a node's (or a job's) result has in every JSON that
 * efa-verify writes: the job log, the so-far line, `efa-verify report
 * --json`. Written here once, so that each says "not known" (null) alike. */
#ifndef EV_RESULT_JSON_H
#define EV_RESULT_JSON_H

#include <stdbool.h>
#include <stdint.h>

#include "node/ev_counters.h"
#include "util/ev_json.h"
#include "record/ev_result.h"

/* "verdict" and "reason" (null for no reason). */
void ev_json_verdict(struct ev_json *j, enum ev_verdict v, const char *reason);

/* "other_tcp_bytes" (known only from nftables: null otherwise) and
 * "tcp_source" (null when there was no delta to take it from). */
void ev_json_tcp_source(struct ev_json *j, enum ev_tcp_source src, uint64_t other_tcp_bytes);

/* The NIC balance, "nics_busy" to "nic_balance"; nothing when not known
 * (nics_total 0). */
void ev_json_nics(struct ev_json *j, const struct ev_node_result *r);

/* "causes": [{name, certainty, detail (null for none)}], in the node's
 * order; explain adds each one's evidence and fix. An empty array for
 * none (cs NULL too). */
void ev_json_causes(struct ev_json *j, const struct ev_causes *cs, bool explain);

/* "containers": [{image, steps [...], steps_unlisted}] in the set's order,
 * and "containers_unlisted" (images beyond those, at least): an empty
 * array and 0 for none (cs NULL too). */
void ev_json_containers(struct ev_json *j, const struct ev_containers *cs);

/* The least busy NIC's bytes over the busiest one's; 0 when none moved. */
double ev_result_nic_balance(const struct ev_node_result *r);

#endif
