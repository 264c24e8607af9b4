/* The fleet over many jobs: their records (ev_record_parse) tallied one job
 * at a time, for `efa-verify report --since`. What it keeps grows with the
 * distinct nodes, users, accounts and partitions it has seen, never with the
 * jobs: a week of a busy cluster's jobs is added in a stream and forgotten.
 *
 * A job without a record is counted as such, never given a verdict; a record
 * that does not parse is counted as malformed (the first few job ids kept,
 * to look at), never guessed at. A node is "not ok" in a job when the job's
 * record lists it in bad= (any verdict worse than ok); its jobs are those
 * whose record was read and whose node list (or bad= or cause=) names it.
 *
 * A node stands out (repeat) when it is not ok in at least
 * EV_FLEET_REPEAT_MIN_JOBS jobs and its share of jobs not ok is at least
 * EV_FLEET_REPEAT_FACTOR times the fleet's (every node's jobs not ok over
 * every node's jobs): a few failures are noise on a big node, and a share
 * every node has is the fleet's problem (a setting, the jobs' own
 * environment), not one node's. Pure: no I/O. */
#ifndef EV_FLEET_H
#define EV_FLEET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util/ev_err.h"
#include "judge/ev_cause.h"
#include "judge/ev_verdict.h"

#define EV_FLEET_REPEAT_MIN_JOBS 3
#define EV_FLEET_REPEAT_FACTOR 2
/* A host list naming more is not expanded (counted in hostlists_unread):
 * a 4 KiB record could otherwise say n[1-99999999]. */
#define EV_FLEET_HOSTLIST_MAX 65536
/* Malformed records' job ids kept, to look at with `efa-verify report`. */
#define EV_FLEET_EXAMPLES 5
#define EV_FLEET_VERDICTS (EV_V_NOT_READY + 1)

/* One job as accounting has it. Strings may be NULL (none); nothing is kept
 * past ev_fleet_add but the names counted. */
struct ev_fleet_job {
	uint32_t jobid;
	const char *user, *account, *partition;
	const char *nodes;          /* Slurm host list; NULL, "" or "None assigned": none */
	const char *admin_comment;
	int64_t end;                /* seconds since the epoch */
	uint64_t elapsed;           /* seconds it ran */
	uint64_t gpus;              /* allocated GPUs, 0 for none */
	bool started;               /* it ran: accounting has its start */
};

struct ev_fleet_node {
	const char *name;
	uint64_t jobs;              /* jobs with a record that ran on it */
	uint64_t not_ok;            /* of those, the ones whose bad= lists it */
	int64_t last_not_ok;        /* end of the latest of those */
	/* Jobs whose cause= names it, by cause and certainty. */
	uint64_t causes[EV_CAUSE__COUNT][2];
	uint64_t seen_, bad_seen_;  /* private: the last job it was counted for */
};

/* A user, account or partition. */
struct ev_fleet_group {
	const char *name;
	uint64_t jobs;              /* jobs that ran */
	uint64_t judged;            /* of those, with a record that was read */
	uint64_t tcp_fallback;      /* of those, verdict tcp_fallback */
};

enum ev_fleet_by { EV_FLEET_USER, EV_FLEET_ACCOUNT, EV_FLEET_PARTITION, EV_FLEET__BY };

struct ev_fleet_totals {
	uint64_t jobs;                          /* every job added */
	uint64_t not_started;                   /* ended without running: nothing to judge */
	uint64_t verdicts[EV_FLEET_VERDICTS];   /* by the record's verdict */
	uint64_t no_record;                     /* ran, no efa-verify record */
	uint64_t malformed;                     /* a record that does not parse */
	uint32_t malformed_jobs[EV_FLEET_EXAMPLES];
	size_t n_malformed_jobs;
	char malformed_why[EV_ERR_MAX];         /* the first one's */
	uint64_t unlisted_not_ok;               /* bad nodes records count but do not name (+N_more) */
	uint64_t hostlists_unread;              /* host lists that could not be expanded */
	uint64_t node_jobs, node_not_ok;        /* summed over every node: the fleet's share */
	uint64_t gpu_jobs;                      /* jobs that ran with GPUs */
	/* GPU-seconds (GPUs x elapsed): of every job that ran, of those with a
	 * record, of those in tcp_fallback. */
	uint64_t gpu_seconds, gpu_seconds_judged, gpu_seconds_fallback;
};

struct ev_fleet;

int ev_fleet_new(struct ev_fleet **f);
void ev_fleet_free(struct ev_fleet **f);

/* Count one job. 0, or -ENOMEM (the job is then counted in part). A
 * malformed record is counted, not an error. */
int ev_fleet_add(struct ev_fleet *f, const struct ev_fleet_job *job, struct ev_err *err);

const struct ev_fleet_totals *ev_fleet_totals(const struct ev_fleet *f);

/* The nodes not ok in at least one job, most jobs not ok first (then the
 * higher share, the later last_not_ok, the name): *out is a malloc'ed
 * array (the caller frees it, not the nodes), valid until the next add.
 * 0 or -ENOMEM. */
int ev_fleet_nodes(const struct ev_fleet *f, const struct ev_fleet_node ***out, size_t *n);
/* How many nodes it has seen in all. */
size_t ev_fleet_nodes_seen(const struct ev_fleet *f);
/* The rule above. */
bool ev_fleet_repeat(const struct ev_fleet *f, const struct ev_fleet_node *node);

/* Every user, account or partition, most jobs in tcp_fallback first (then
 * the higher share of its judged jobs, more jobs, the name); as
 * ev_fleet_nodes. */
int ev_fleet_groups(const struct ev_fleet *f, enum ev_fleet_by by, const struct ev_fleet_group ***out,
		    size_t *n);

/* part / whole, 0 for no whole. */
double ev_fleet_share(uint64_t part, uint64_t whole);

#endif
