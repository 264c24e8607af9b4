/* A running job's numbers so far on one node: what `efa-verify report
 * --local` prints on each of the job's nodes as one JSON line, and what
 * `efa-verify report` reads back from all of them (through srun), e.g.
 *
 *   {"job":42,"node":"n1","so_far":true,"since":1767225600,"as_of":1767225695,
 *    "duration_ms":95012,"job_nodes":4,"verdict":"ok","reason":null,
 *    "efa_bytes":1677721600,"tcp_bytes":0,"efa_share":1,"shared":null,
 *    "nics_busy":4,"nics_total":4,"nic_min_bytes":419430400,
 *    "nic_max_bytes":419430400,"nic_balance":1}
 *
 * (one line). The reader is strict: that flat object, each known key at
 * most once, the values of the types above; efa_share and nic_balance are
 * derived and only checked to be numbers (or null). Whether another job
 * shared the node is judged at the job's end only: "shared" is null. */
#ifndef EV_SOFAR_H
#define EV_SOFAR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util/ev_err.h"
#include "record/ev_result.h"

struct ev_sofar {
	struct ev_node_result r;     /* jobid, node, job_nodes, verdict, reason, bytes, NICs; not shared */
	uint64_t since, as_of;       /* seconds since the epoch: the job's start snapshot here, now */
	uint64_t duration_ms;        /* between the two snapshots */
};

/* The line (no newline; caller frees), or NULL for a node name that is not
 * a plain host name, a verdict out of range or no memory. */
char *ev_sofar_json(const struct ev_sofar *s);
int ev_sofar_parse(const char *line, struct ev_sofar *out, struct ev_err *err);

/* The answers of a job's nodes in text: one line per node, in any order,
 * each labelled with the index in names of the node that printed it, as
 * "3: {...}" or " 3: {...}" (srun --label, one task per node, the tasks in
 * the order of names). res[i] for names[i] when answered[i]: the first
 * line labelled i that parses and names this job and names[i] itself. Any
 * other line (no label, one that does not parse, another job, another
 * node than its label's, a node's second answer) is counted in *n_ignored
 * and skipped. Returns how many nodes answered. */
size_t ev_sofar_collect(const char *text, uint32_t jobid, char *const *names, size_t n,
			struct ev_sofar *res, bool *answered, size_t *n_ignored);

#endif
