/* A node's result for a job: one line per node, which the job's aggregator
 * (or the spool) turns into the job's record (ev_record.h). */
#ifndef EV_RESULT_H
#define EV_RESULT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util/ev_err.h"
#include "judge/ev_cause.h"
#include "judge/ev_verdict.h"
#include "record/ev_containers.h"

/* A node result line; typically ~110 bytes, at most this with the longest
 * node name, reason and causes (about 750). The spool holds one line each
 * (EV_SPOOL_LINE_MAX is at least this) and a node record's Comment
 * EV_NODECOMMENT_KEEP of them. */
#define EV_RESULT_LINE_MAX 1024

struct ev_node_result {
	char node[EV_NAME_MAX];
	enum ev_verdict verdict;
	char reason[EV_REASON_MAX];
	uint64_t efa_bytes, tcp_bytes;
	bool shared;                     /* another job used the node meanwhile */
	uint32_t jobid;                  /* 0 = not given */
	uint32_t job_nodes;              /* nodes in the job (the prolog's count); 0 = not known */
	/* NIC balance, for `efa-verify report`: EFA devices that moved
	 * traffic out of those compared, and the least and most bytes one of
	 * them moved. nics_total 0 = not known (no delta). */
	uint32_t nics_busy, nics_total;
	uint64_t nic_min_bytes, nic_max_bytes;
	/* Where the TCP numbers come from (NONE: no delta, not said) and
	 * the IP bytes that were not inter-node. */
	enum ev_tcp_source tcp_source;
	uint64_t other_tcp_bytes;
	/* Why the node is not ok, where its evidence names it (n 0: none). */
	struct ev_causes causes;
	/* The job's steps that ran in a container here, whatever the verdict. */
	struct ev_containers containers;
};

/* The traffic keys that a node result line and the job's record share, as
 * bits of the set of keys a parser has seen. */
enum { EV_TRAFFIC_EFA = 1, EV_TRAFFIC_TCP = 2, EV_TRAFFIC_OTHER = 4, EV_TRAFFIC_SOURCE = 8 };
struct ev_traffic_fields {
	uint64_t *efa_bytes, *tcp_bytes, *other_tcp_bytes;
	enum ev_tcp_source *tcp_source;
};
/* key=v into its field of f when key is one of them and v its value: the
 * key's EV_TRAFFIC_ bit; else 0 and nothing is filled. */
unsigned ev_traffic_parse(const char *key, const char *v, const struct ev_traffic_fields *f);

/* Bytes and NIC balance of r from a node's delta (NULL: left zero). A NIC
 * is busy when it moved bytes and at least c->idle_nic_fraction of the
 * busiest one, as the verdict judges it. */
void ev_result_fill(struct ev_node_result *r, const struct ev_verdict_cfg *c, const struct ev_node_delta *d);

/* One line, e.g. "job=42 node=n1 nodes=4 verdict=ok efa_bytes=123
 * tcp_bytes=4 other_tcp_bytes=9 tcp_source=nftables shared=0 nics=4/4
 * nic_min=30 nic_max=31" (job=, nodes=, other_tcp_bytes=/tcp_source=,
 * nics=/nic_min=/nic_max=, reason=, cause= and containers= only when set;
 * cause= holds ev_causes_format's text, "fi_provider(tcp)+memlock~(65536)",
 * containers= ev_containers_format's, last, in the room the rest leaves
 * under EV_RESULT_LINE_MAX: always enough for its count, so a node that
 * ran containers says so, if not always which).
 * -EINVAL for a node name that is not a plain host name, a verdict out of
 * range, causes ev_causes_format refuses or containers that are not
 * valid, -ENAMETOOLONG if cap is too small. A reason whose encoded form is
 * longer than EV_REASON_MAX-1 is cut (whole characters), images that do
 * not fit are counted; others round-trip exactly:
 * ev_result_parse(ev_result_format(r)) == r. */
int ev_result_format(const struct ev_node_result *r, char *out, size_t cap);
/* Strict: known keys once each, in any order; node, verdict, efa_bytes and
 * tcp_bytes required. */
int ev_result_parse(const char *line, struct ev_node_result *r, struct ev_err *err);

#endif
