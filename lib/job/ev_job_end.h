/* The epilog's work on one node, without Slurm and without nftables:
 *
 *   ev_job_end_load     the start file, and whether the node rebooted
 *   (the caller)        the job's nftables table read and removed, where
 *                       read_table says so
 *   ev_job_end_measure  the end snapshot and the delta, the steps'
 *                       not-ready finding, causes and containers, whether
 *                       another job shared the node
 *   (the caller)        the job's node count and first node from
 *                       slurmctld, where the prolog left neither
 *   ev_job_end_finish   the verdict and its causes, the node's log line and Prometheus
 *                       file, the node result, the start file and the
 *                       user's copy removed, the result spooled
 *   (the caller)        the result delivered to the job's record
 *
 * The table is read by the caller because that needs a netlink socket
 * with CAP_NET_ADMIN, which unit tests do not have; they pass the counts
 * a table would have held. What goes wrong is said in msgs, which the
 * caller logs after each step, so the lines keep their order. */
#ifndef EV_JOB_END_H
#define EV_JOB_END_H

#include <stdbool.h>

#include "config/ev_config.h"
#include "node/ev_boot_id.h"
#include "node/ev_counters.h"
#include "node/ev_snapshot.h"
#include "node/ev_delta.h"
#include "judge/ev_verdict.h"
#include "record/ev_containers.h"
#include "record/ev_result.h"
#include "state/ev_job_start.h"
#include "judge/ev_cause.h"
#include "state/ev_findings.h"
#include "state/ev_notready.h"
#include "job/ev_job_facts.h"
#include "job/ev_msgs.h"

struct ev_job_end {
	/* ev_job_end_load */
	struct ev_job_start js;
	int load_rc;                        /* ev_job_start_load's: 0, -ENOENT (no start file), other */
	bool have_start;
	char boot_id[EV_BOOT_ID_MAX];       /* now; "" = not known */
	bool rebooted;                      /* the boot id changed since the prolog */
	bool read_table;                    /* the prolog made the job's nftables table: read it */
	/* The job's node count and first node: the prolog's, else the
	 * facts'; the caller may fill them from slurmctld before finish. */
	unsigned job_nodes;
	char first[EV_NAME_MAX];
	/* ev_job_end_measure */
	struct ev_snapshot end;
	struct ev_node_delta delta;
	struct ev_verdict_in in;            /* in.delta points at delta when there is one */
	char not_ready[EV_NOTREADY_REASON_MAX];
	char findings[EV_FINDINGS_MAX + 1];     /* the steps' causes, a line each */
	/* What the steps ran in containers (their lines, taken out of
	 * findings), said whatever the verdict. */
	struct ev_containers containers;
	bool shared;
	/* ev_job_end_finish */
	struct ev_node_verdict verdict;
	/* Why, for a node that is not ok: the steps' findings, the counters,
	 * the not-ready finding; none for ok or no_traffic. */
	struct ev_causes causes;
	struct ev_node_result result;
	char line[EV_RESULT_LINE_MAX];      /* the result as spooled */
	bool spooled;                       /* deliver it; else it is lost (said in msgs) */
};

/* Starts st (pair with ev_job_end_free whatever happens). */
void ev_job_end_load(const struct ev_config *cfg, const struct ev_job_facts *job, struct ev_job_end *st,
		     struct ev_msgs *msgs);
/* net: the job table's counts when read_table and the caller read them,
 * else NULL (the interfaces' counters stand). */
void ev_job_end_measure(const struct ev_config *cfg, const struct ev_job_facts *job, struct ev_job_end *st,
			const struct ev_net_counts *net, struct ev_msgs *msgs);
/* 0 when st->result is spooled (st->spooled, st->line), else a negative
 * errno, said in msgs. */
int ev_job_end_finish(const struct ev_config *cfg, const struct ev_job_facts *job, struct ev_job_end *st,
		      struct ev_msgs *msgs);
void ev_job_end_free(struct ev_job_end *st);

#endif
