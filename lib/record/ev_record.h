/* The job's record in Slurm's AdminComment, and the per-node results it is
 * built from. The record is a deterministic function of the SET of node
 * results: the same results in any order give the same bytes, so nodes can
 * report in any order and a result delivered twice changes nothing.
 *
 * Record: "efa-verify: verdict=WORST nodes=REPORTED/TOTAL efa_bytes=N
 * tcp_bytes=N [other_tcp_bytes=N tcp_source=S [iface_nodes=K]] [shared=N]
 * [bad=GROUP;GROUP;...[;+N_more]] [cause=CAUSE;CAUSE;...]
 * [containers=IMAGE(STEP+STEP);...[;+N_more]]", where tcp_bytes is the job's
 * inter-node TCP and other_tcp_bytes the rest of the nodes' IP traffic
 * (storage, Slurm), tcp_source "nftables" when every node that reported
 * counted with its job table and "interface" when any counted its
 * interfaces (whose tcp_bytes then hold everything, and other_tcp_bytes
 * nothing); both are left out when no node said (none had a delta).
 * iface_nodes, only with tcp_source=interface, is how many of the nodes
 * that reported counted on interfaces: the rest's TCP is the job's own, so
 * a reader can tell one node that could not make its table from a job
 * that counted none. Records without it (written before it, or with
 * nftables) read as 0: not said. GROUP is
 * HOSTLIST:verdict[(reason)]. Bytes are exact decimal integers: the record
 * is read back by `efa-verify report` and by merges, and digits are never
 * ambiguous (report prints them with units). Healthy nodes are counted, not
 * listed; bad nodes (worse than ok) are grouped by verdict and kind of
 * reason ("idle_nics", "rx_drops", ...) into Slurm host ranges, worst
 * first; the full reason is shown when all nodes of a group share it. The
 * record never exceeds EV_RECORD_MAX - 1 bytes: nodes that do not fit are
 * counted in "+N_more".
 *
 * CAUSE is HOSTLIST:NAME[(DETAIL)] for a cause its nodes' evidence proves,
 * HOSTLIST:NAME~[(DETAIL)] for one it only suggests (judge/ev_cause.h): the
 * nodes, of any verdict, whose result names that cause with that certainty,
 * in one host range; ';' separates them (a host range holds commas). The
 * detail is shown when every node of the group has the same one (a
 * group's nodes whose details differ show the name alone). Certain causes
 * first, then those of the most nodes, then the vocabulary's order. The
 * causes may take up to half of the room the counts leave (the bad nodes
 * get what they do not take) and a cause whose host range does not fit
 * what is left is dropped whole, never listed with part of its nodes and
 * not counted anywhere: the record then names fewer causes, each of them
 * true of all the nodes it lists. Records written before causes have no
 * cause= and read as naming none.
 *
 * containers= is the union of the nodes' containers (record/ev_containers.h
 * has the form): which steps ran in a container, with which image or
 * bundle, at most a few of each, the rest counted. It takes only the room
 * everything before it left and never any of theirs: what does not fit is
 * counted ("+N_more"), and with less room than a count it is left out, so
 * a record without containers= says no step ran in one, or (records
 * from before it, or full ones) nothing about them.
 *
 * Every value is a token without spaces, '=', ';', '(' or ')': node names
 * must be plain host names, reasons are %XX-encoded outside
 * [A-Za-z0-9_.:/+@-] and a cause's detail is made of those characters
 * alone; so are containers' images, and their steps are [a-z0-9]+.
 *
 * A reader skips a key=value token whose key ([a-z][a-z0-9_]*) it does not
 * know: a record written by a later release, with a key added, still reads
 * (readers from before iface_nodes refuse any key they do not know). */
#ifndef EV_RECORD_H
#define EV_RECORD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util/ev_err.h"
#include "judge/ev_cause.h"
#include "judge/ev_verdict.h"
#include "record/ev_result.h"

#define EV_RECORD_PREFIX "efa-verify:"
/* In AdminComment the record stands between these: other tools write that
 * field too (jobstats' "JS1:<base64>"), so where ours ends is never a
 * guess from what follows it. Neither can occur inside a record: reasons
 * encode them, node names are plain host names. */
#define EV_RECORD_OPEN '{'
#define EV_RECORD_CLOSE '}'

/* The keys of a record, NULL-terminated. */
extern const char *const ev_record_keys[];

/* AdminComment is shown in sacct; the record stays under this for any job. */
#define EV_RECORD_MAX 4096

/* The record for these results (total_nodes: the job's node count; fewer
 * reports make the verdict "unknown" at best). Duplicate nodes: the worse
 * result is kept. -EINVAL for a node name, verdict, causes or containers
 * that ev_result_format would refuse. */
int ev_record_build(const struct ev_node_result *results, size_t n, unsigned total_nodes,
		    char *out, size_t cap, struct ev_err *err);

/* Put record (as ev_record_build made it) into an existing AdminComment,
 * between EV_RECORD_OPEN and EV_RECORD_CLOSE: "{efa-verify: ...}". Ours is
 * "{efa-verify:" up to the next '}' (no '{' between), or, as records were
 * written before they were delimited, "efa-verify:" at the start or after
 * whitespace and the key=value tokens with our keys that follow it. It is
 * replaced; every other word, before or after it, stays as it was written,
 * whatever it holds (another tool's "JS1:..." is never taken for ours).
 * Idempotent: merging the same record again gives the same text. Any
 * efa-verify part after the one replaced (a broken earlier write, or an
 * undelimited one an older writer added) is dropped. */
int ev_record_merge(const char *admin_comment, const char *record, char *out, size_t cap,
		    struct ev_err *err);

struct ev_record_group {
	char *hosts;                      /* hostlist text (points into the record's copy) */
	enum ev_verdict verdict;
	char reason[EV_REASON_MAX];       /* decoded; "" if none */
};

/* One cause= group: the nodes that name a cause with one certainty. */
struct ev_record_cause {
	char *hosts;                      /* hostlist text (points into the record's copy) */
	enum ev_cause_name name;
	enum ev_cause_certainty certainty;
	char detail[EV_CAUSE_DETAIL_MAX]; /* "" when none, or the nodes' details differ */
};

struct ev_record {
	enum ev_verdict verdict;
	unsigned reported, total;
	uint64_t efa_bytes, tcp_bytes;
	uint64_t other_tcp_bytes;
	enum ev_tcp_source tcp_source;    /* NONE: not in the record */
	unsigned iface_nodes;             /* with INTERFACE: nodes that counted so; 0: not said */
	unsigned shared;
	struct ev_record_group *groups;
	size_t n_groups;
	size_t more;                      /* bad nodes not listed */
	struct ev_record_cause *causes;   /* in the record's order; none in records from before causes */
	size_t n_causes;
	struct ev_containers containers;  /* none in records without containers= */
	char *text_;                      /* private */
};

/* Parse the efa-verify part of text (a whole AdminComment, or just the
 * record): the first delimited one, else one written before records were.
 * -ENOENT if there is none, -EBADMSG if it is malformed. Pair with
 * ev_record_free, also after an error. */
int ev_record_parse(const char *text, struct ev_record *out, struct ev_err *err);
void ev_record_free(struct ev_record *r);

/* Where our part of c is, as ev_record_parse reads it: [*start, *end),
 * the delimiters included. false if there is none. */
bool ev_record_locate(const char *c, size_t *start, size_t *end);

#endif
