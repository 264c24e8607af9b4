/* A node's verdict for a job, from what moved (ev_delta) and the thresholds
 * of the config. Pure: the same inputs always give the same verdict. */
#ifndef EV_VERDICT_H
#define EV_VERDICT_H

#include <stdbool.h>
#include <stddef.h>

#include "config/ev_config.h"
#include "node/ev_delta.h"
#include "node/ev_whole_node.h"

/* In order of how much an admin needs to see it: the job's verdict is its
 * worst node's. not_ready and tcp_fallback mean the job did not get EFA;
 * degraded means it got some; unknown means it cannot be said (and is said
 * so rather than hidden behind an ok); no_traffic is nothing to look at.
 * not_ready outranks tcp_fallback because it names a broken node, the cause
 * an admin fixes (drain it), where a fallback may be the job's own setup;
 * unknown outranks ok so a job whose nodes half reported never reads as
 * healthy, but stays below the verdicts that are known to be bad. */
enum ev_verdict {
	EV_V_NO_TRAFFIC,
	EV_V_OK,
	EV_V_UNKNOWN,
	EV_V_DEGRADED,
	EV_V_TCP_FALLBACK,
	EV_V_NOT_READY,
};

struct ev_verdict_in {
	const struct ev_node_delta *delta;   /* NULL: no start snapshot */
	unsigned job_nodes;                  /* nodes in the job; 0 = not known */
	bool not_ready;
	const char *not_ready_reason;        /* short, may be NULL */
	/* Added: */
	const char *unknown_reason;          /* set: verdict unknown for this reason
					      * ("node_rebooted", "start_snapshot_corrupt") */
	bool shared;                         /* another job used the node meanwhile */
	/* Whether the job had the whole node (the prolog's judgement), and
	 * why: idle NICs degrade only a multi-node job that had it. NULL why
	 * with EV_WHOLE_UNKNOWN: not judged (no start file). */
	enum ev_whole whole_node;
	const char *whole_node_why;
};

#define EV_REASON_MAX 96

struct ev_node_verdict {
	enum ev_verdict verdict;
	/* A token safe inside key=value text: [A-Za-z0-9_.:/+@-] only, e.g.
	 * "idle_nics:31/32", "retrans_pkts:4321/GiB@rdmap16s0",
	 * "counter_reset:tx_bytes@rdmap16s0", "tcp_share:0.93/..."; an ok
	 * verdict may say what was seen but not judged
	 * ("idle_nics:31/32:not_judged:part_of_node"). */
	char reason[EV_REASON_MAX];
	bool shared;                         /* carried from ev_verdict_in */
};

void ev_verdict_decide(const struct ev_verdict_cfg *c, const struct ev_verdict_in *in,
		       struct ev_node_verdict *out);

const char *ev_verdict_name(enum ev_verdict v);
/* -1 if unknown name. */
int ev_verdict_from_name(const char *s);
/* v is one of the enum's verdicts. */
bool ev_verdict_valid(enum ev_verdict v);

/* The one an admin needs to see first (see the enum). */
enum ev_verdict ev_verdict_worse(enum ev_verdict a, enum ev_verdict b);

/* Whether c may stand in a reason token: [A-Za-z0-9_.:/+@-]. */
bool ev_reason_char(char c);

/* Make s a reason token in place: every character outside
 * [A-Za-z0-9_.:/+@-] becomes '_'. */
void ev_reason_clean(char *s);

/* A reason's name, its leading word of [a-z0-9_] without the numbers and
 * places after it: "tcp_share:0.93/..." is tcp_share,
 * "retrans_pkts:4321/GiB@rdmap16s0" retrans_pkts, "ports: rdmap17s0 port
 * 1 is DOWN" ports. A vocabulary as small as the reasons' kinds, where
 * the reason itself is a value per job (a Prometheus label takes the
 * name). Cut at cap - 1 (cap EV_REASON_NAME_MAX holds every name of
 * ours); "" for an empty reason or one that starts otherwise. Returns the
 * length. */
#define EV_REASON_NAME_MAX 48
size_t ev_reason_name(const char *reason, char *out, size_t cap);

#endif
