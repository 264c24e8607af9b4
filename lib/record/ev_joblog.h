/* What each node leaves behind per job, besides the accounting record: one
 * JSON line per node per job, appended to the config's `log`; and the
 * node_exporter textfile metrics made of the same entry (record/ev_prom.h). */
#ifndef EV_JOBLOG_H
#define EV_JOBLOG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "node/ev_delta.h"
#include "util/ev_err.h"
#include "judge/ev_cause.h"
#include "judge/ev_verdict.h"
#include "record/ev_containers.h"

/* Append line (a newline is added) with one write(2), so lines from
 * concurrent epilogs never interleave. Parent directories are created 0750;
 * the file 0640. Root writes here with the same care as its state files:
 * the directory must be the effective user's and not writable by others
 * (unless sticky); the file is never reached through a symlink (-ELOOP),
 * and must be a regular file of the effective user's with one link (else
 * -EPERM; a FIFO with no reader is -ENXIO, never waited on). */
int ev_joblog_append(const char *path, const char *line, size_t len, struct ev_err *err);

struct ev_joblog_entry {
	uint64_t time;                          /* seconds since the epoch, when judged */
	uint32_t jobid;
	const char *node;
	uint32_t job_nodes;                     /* 0 = not known */
	const struct ev_node_verdict *verdict;  /* required */
	const struct ev_node_delta *delta;      /* NULL: no numbers (no start snapshot) */
	const struct ev_causes *causes;         /* NULL: none named */
	const struct ev_containers *containers; /* NULL: no step ran in one */
	/* Who ran the job, as slurmd said (NULL: not said): the textfile's
	 * info series only (ev_prom.h), not the log line. */
	const char *user, *account, *partition;
};

/* The JSON object, one line, no newline (caller frees); NULL if out of
 * memory. Keys: time, job, node, job_nodes, verdict, reason (null if none),
 * causes [{name, certainty, detail (null if none)}] (empty if none),
 * containers [{image, steps, steps_unlisted}] and containers_unlisted
 * (ev_result_json.h), shared, and with a delta: efa_bytes, efa_tx_bytes, efa_rx_bytes,
 * rdma_read_bytes, rdma_write_bytes, tcp_bytes (inter-node), tcp_tx_bytes,
 * tcp_rx_bytes, other_tcp_bytes (null when counted on interfaces),
 * tcp_source ("nftables" or "interface"), error_events, duration_ms,
 * devices [{name, state, bytes, tx_bytes, rx_bytes, errors, top_error,
 * error_counts {counter: growth, for those that grew}}]. */
char *ev_joblog_format(const struct ev_joblog_entry *e, size_t *len);
/* Format and append to path. */
int ev_joblog_write(const char *path, const struct ev_joblog_entry *e, struct ev_err *err);

#endif
