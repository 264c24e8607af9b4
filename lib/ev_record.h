/* The job's record in Slurm's AdminComment, and the per-node results it is
 * built from. The record is a deterministic function of the SET of node
 * results: the same results in any order give the same bytes, so nodes can
 * report in any order and a result delivered twice changes nothing.
 *
 * Record: "efa-verify: verdict=WORST nodes=REPORTED/TOTAL efa_bytes=N
 * tcp_bytes=N [other_tcp_bytes=N tcp_source=S] [shared=N]
 * [bad=GROUP;GROUP;...[;+N_more]]", where tcp_bytes is the job's
 * inter-node TCP and other_tcp_bytes the rest of the nodes' IP traffic
 * (storage, Slurm), tcp_source "nftables" when every node that reported
 * counted with its job table and "interface" when any counted its
 * interfaces (whose tcp_bytes then hold everything, and other_tcp_bytes
 * nothing); both are left out when no node said (none had a delta). GROUP is
 * HOSTLIST:verdict[(reason)]. Bytes are exact decimal integers: the record
 * is read back by `efa-verify report` and by merges, and digits are never
 * ambiguous (report prints them with units). Healthy nodes are counted, not
 * listed; bad nodes (worse than ok) are grouped by verdict and kind of
 * reason ("idle_nics", "rx_drops", ...) into Slurm host ranges, worst
 * first; the full reason is shown when all nodes of a group share it. The
 * record never exceeds EV_RECORD_MAX - 1 bytes: nodes that do not fit are
 * counted in "+N_more".
 *
 * Every value is a token without spaces, '=', ';', '(' or ')': node names
 * must be plain host names, and reasons are %XX-encoded outside
 * [A-Za-z0-9_.:/+@-]. */
#ifndef EV_RECORD_H
#define EV_RECORD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ev_err.h"
#include "ev_verdict.h"

#define EV_RECORD_PREFIX "efa-verify:"
/* AdminComment is shown in sacct; the record stays under this for any job. */
#define EV_RECORD_MAX 4096
/* A node result line; typically ~110 bytes, at most this with the longest
 * node name and reason. */
#define EV_RESULT_LINE_MAX 448

struct ev_node_result {
	char node[EV_NAME_MAX];
	enum ev_verdict verdict;
	char reason[EV_REASON_MAX];
	uint64_t efa_bytes, tcp_bytes;
	bool shared;                     /* another job used the node meanwhile */
	/* Added: */
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
};

/* Bytes and NIC balance of r from a node's delta (NULL: left zero). A NIC
 * is busy when it moved bytes and at least c->idle_nic_fraction of the
 * busiest one, as the verdict judges it. */
void ev_result_fill(struct ev_node_result *r, const struct ev_verdict_cfg *c, const struct ev_node_delta *d);

/* One line, e.g. "job=42 node=n1 nodes=4 verdict=ok efa_bytes=123
 * tcp_bytes=4 other_tcp_bytes=9 tcp_source=nftables shared=0 nics=4/4
 * nic_min=30 nic_max=31" (job=, nodes=, other_tcp_bytes=/tcp_source=,
 * nics=/nic_min=/nic_max= and reason= only when set).
 * -EINVAL for a node name that is not a plain host name or a verdict out of
 * range, -ENAMETOOLONG if cap is too small. A reason whose encoded form is
 * longer than EV_REASON_MAX-1 is cut (whole characters); others round-trip
 * exactly: ev_result_parse(ev_result_format(r)) == r. */
int ev_result_format(const struct ev_node_result *r, char *out, size_t cap);
/* Strict: known keys once each, in any order; node, verdict, efa_bytes and
 * tcp_bytes required. */
int ev_result_parse(const char *line, struct ev_node_result *r, struct ev_err *err);

/* The record for these results (total_nodes: the job's node count; fewer
 * reports make the verdict "unknown" at best). Duplicate nodes: the worse
 * result is kept. -EINVAL for a result that ev_result_format would refuse. */
int ev_record_build(const struct ev_node_result *results, size_t n, unsigned total_nodes,
		    char *out, size_t cap, struct ev_err *err);

/* Put record into an existing AdminComment. Ours is "efa-verify:" (at the
 * start or after whitespace) and the key=value tokens with our keys that
 * follow it; it is replaced, and every other word an admin wrote, before or
 * after it, stays. Idempotent: merging the same record again gives the same
 * text. A second efa-verify part (a broken earlier write) is dropped. */
int ev_record_merge(const char *admin_comment, const char *record, char *out, size_t cap,
		    struct ev_err *err);

/* Compress names into Slurm hostlist form: n1,n2,n3,n7 -> n[1-3,7]. Names
 * are sorted (numerically within a prefix) first; duplicates collapse. */
int ev_hostlist_compress(char **names, size_t n, char *out, size_t cap);

/* ---------------------------------------------------------------- added */

struct ev_record_group {
	char *hosts;                      /* hostlist text (points into the record's copy) */
	enum ev_verdict verdict;
	char reason[EV_REASON_MAX];       /* decoded; "" if none */
};

struct ev_record {
	enum ev_verdict verdict;
	unsigned reported, total;
	uint64_t efa_bytes, tcp_bytes;
	uint64_t other_tcp_bytes;
	enum ev_tcp_source tcp_source;    /* NONE: not in the record */
	unsigned shared;
	struct ev_record_group *groups;
	size_t n_groups;
	size_t more;                      /* bad nodes not listed */
	char *text_;                      /* private */
};

/* Parse the efa-verify part of text (a whole AdminComment, or just the
 * record). -ENOENT if there is none, -EBADMSG if it is malformed. Pair with
 * ev_record_free, also after an error. */
int ev_record_parse(const char *text, struct ev_record *out, struct ev_err *err);
void ev_record_free(struct ev_record *r);

/* Expand a hostlist ("n[1-3,07],login") into names (malloc'ed array of
 * malloc'ed strings; free with ev_hostlist_free). At most max names
 * (-E2BIG beyond), each a plain host name. */
int ev_hostlist_expand(const char *hl, size_t max, char ***names, size_t *n, struct ev_err *err);
void ev_hostlist_free(char **names, size_t n);

/* %XX-encode s outside [A-Za-z0-9_.:/+@-] into out (at most cap-1 bytes;
 * cut at a whole character). Returns the encoded length. */
size_t ev_token_encode(const char *s, char *out, size_t cap);
/* Decode; -EINVAL for a non-canonical or invalid encoding (so encode and
 * decode are inverse), -ENAMETOOLONG if it does not fit. */
int ev_token_decode(const char *s, size_t len, char *out, size_t cap);

#endif
