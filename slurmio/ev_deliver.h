/* Getting every node's result into the job's one accounting record.
 *
 * Each node first spools its result in state_dir (so nothing is lost when
 * slurmctld or slurmdbd is away), then publishes it in its own node record.
 * The record of the job is a deterministic function of the set of results
 * (ev_record_build), so any node that reads the set may write it, and equal
 * sets give equal bytes. Who does:
 *  - the job's first node, in its epilog: it waits (bounded) until every
 *    node has published, then writes;
 *  - a node that publishes late (from the spool, or long after its epilog
 *    began): it writes what it sees, so a result that missed the first node
 *    still lands;
 *  - with record_writer: slurmctld, neither: the nodes only publish, and
 *    efa-verify-epilog run as EpilogSlurmctld writes from the slurmctld
 *    host (a record it cannot write yet stays pending there).
 * Records go to slurmdbd only, once it has the job's end: slurmctld
 * refuses a finished job's AdminComment.
 * Whoever writes reads only the job's own nodes, one small RPC each
 * (never the whole node table, whose reply grows with the cluster), and
 * the first node waits on the job record (slurmctld says which of its
 * nodes are still in their epilogs) rather than polling nodes: at job end
 * slurmctld gets about three small RPCs per node (each node's read and
 * update of its record, the writer's read of it) and a few polls per job.
 * A writer re-reads the set after writing and writes again if it grew, so
 * the last write is always from the largest set: whatever the order nodes
 * finish in, the final record holds every result that was published. A
 * record is never replaced by one from fewer nodes. A spooled result is
 * removed only once its publishing (and writing, where this node writes)
 * succeeded; doing either twice changes nothing. */
#ifndef EV_DELIVER_H
#define EV_DELIVER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util/ev_err.h"
#include "record/ev_record.h"

struct ev_dbd;

struct ev_deliver_ctx {
	const char *state_dir;
	const char *node;               /* this node (results are published only for it) */
	uint64_t started_ms;            /* CLOCK_MONOTONIC ms when the run began */
	unsigned late_ms;               /* a result published later than this after the start
					 * is late: its node writes the record too (0 = never) */
	const char *nodelist;           /* the job's nodes as slurmd gave them (NULL: not known):
					 * used once slurmctld no longer has the job */
	struct ev_dbd *db;          /* opened on first need; ev_deliver_done closes */
	const struct ev_node_result *own; /* private: this node's result while it writes */
	uint64_t deadline_ms;           /* CLOCK_MONOTONIC ms after which ev_deliver_spool
					 * starts no other result (0 = none) */
	bool publish_only;              /* never write the job record: EpilogSlurmctld does
					 * (record_writer: slurmctld) */
	bool seal;                      /* publish sealed (node_comment: sealed) */
	bool ctld_down;                 /* slurmctld not reached, or results could not be
					 * sealed or opened: the rest stays spooled */
	bool dbd_lagging;               /* accounting lacked a job's end after a wait: the
					 * rest of the run does not wait again */
	bool dbd_down;                  /* slurmdbd not reached: results are still published,
					 * their records wait (spooled) */
	char record[EV_RECORD_MAX];     /* the last record written or found */
};

/* Publish r (its job and node set) and, when write or when published
 * late, make the job record from what all nodes published; wait_ms > 0
 * waits for the job's every node first. The spooled copy of r is removed
 * on success. */
int ev_deliver_result(struct ev_deliver_ctx *c, const struct ev_node_result *r, bool write, unsigned wait_ms,
		      struct ev_err *err);

/* Deliver everything spooled for this node (late: each also writes its job
 * record). *delivered / *left count results; err says the first failure.
 * Stops at the first failure to reach slurmctld; with slurmdbd not
 * answering, results are still published and stay spooled for their
 * records. Past c->deadline_ms no other
 * result is begun (the one under way is finished): the rest stays spooled,
 * -ETIMEDOUT unless something failed first. */
int ev_deliver_spool(struct ev_deliver_ctx *c, size_t *delivered, size_t *left, struct ev_err *err);

/* The job's record from the results published now (no publishing, no
 * waiting): what a late node, `efa-verify flush --job`, does. -ENODATA:
 * no node has published a result for the job. */
int ev_deliver_complete(struct ev_deliver_ctx *c, uint32_t jobid, unsigned total, unsigned wait_ms,
			struct ev_err *err);

/* The records the slurmctld host could not write earlier (state_dir's
 * pending jobs), each written from what the job's nodes published; a
 * written one is no longer pending. Stops once slurmctld or slurmdbd does
 * not answer. *delivered / *left count jobs. */
int ev_deliver_pending(struct ev_deliver_ctx *c, size_t *delivered, size_t *left, struct ev_err *err);

void ev_deliver_done(struct ev_deliver_ctx *c);

#endif
