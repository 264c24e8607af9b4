/* The job's record in Slurm's AdminComment, and the per-node results it is
 * built from. The record is a deterministic function of the SET of node
 * results: the same results in any order give the same bytes, so nodes can
 * report in any order and a result delivered twice changes nothing. */
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
#define EV_RESULT_LINE_MAX 256

struct ev_node_result {
	char node[EV_NAME_MAX];
	enum ev_verdict verdict;
	char reason[EV_REASON_MAX];
	uint64_t efa_bytes, tcp_bytes;
	bool shared;                     /* another job used the node meanwhile */
};

/* One line, e.g. "node=n1 verdict=ok efa_bytes=123 tcp_bytes=4 shared=0 reason=-". */
int ev_result_format(const struct ev_node_result *r, char *out, size_t cap);
int ev_result_parse(const char *line, struct ev_node_result *r, struct ev_err *err);

/* "efa-verify: verdict=WORST nodes=REPORTED/TOTAL efa_bytes=N tcp_bytes=N
 * [shared=N] [bad=HOSTLIST:verdict(kind);...]" — healthy nodes counted, not
 * listed; bad nodes grouped by verdict and reason kind into host ranges. */
int ev_record_build(const struct ev_node_result *results, size_t n, unsigned total_nodes,
		    char *out, size_t cap, struct ev_err *err);

/* Put record into an existing AdminComment: everything from a previous
 * "efa-verify:" to the end is replaced, anything an admin wrote before it
 * stays. Idempotent. */
int ev_record_merge(const char *admin_comment, const char *record, char *out, size_t cap,
		    struct ev_err *err);

/* Compress names into Slurm hostlist form: n1,n2,n3,n7 -> n[1-3,7]. Names
 * are sorted (numerically within a prefix) first. */
int ev_hostlist_compress(char **names, size_t n, char *out, size_t cap);

#endif
