/* Why a node is not ok: one vocabulary of causes, each with a fixed name,
 * a detail (the value that shows it), what evidence names it and the fix.
 * A cause is only ever named from its evidence: the step's environment
 * and limits (the plugin in slurmstepd), the job's container (what a task
 * sees inside it), the device counters (prolog and epilog), the node's
 * software, its placement and readiness. Evidence that
 * proves a cause makes it certain; a counter pattern that only suggests
 * one makes it likely. Pure: no I/O. */
#ifndef EV_CAUSE_H
#define EV_CAUSE_H

#include <stdbool.h>
#include <stddef.h>

#include "util/ev_err.h"

/* In the order an admin acts on them when equally certain: what the job
 * itself chose first (its own fix), then what its container lacks (its
 * image, or how the site starts containers), then the node's limits and
 * errors, then the network, the software, the placement and readiness. */
enum ev_cause_name {
	EV_CAUSE_FI_PROVIDER,       /* detail: the value, "tcp" */
	EV_CAUSE_NCCL_NET,          /* detail: the value, "Socket" */
	EV_CAUSE_NCCL_NET_PLUGIN,   /* detail: the value, "none" */
	EV_CAUSE_STALE_ENV,         /* detail: "FI_EFA_USE_DEVICE_RDMA=1" */
	EV_CAUSE_NO_EFA_DEVICE_IN_CONTAINER,   /* detail: "uverbs:0" */
	EV_CAUSE_NO_EFA_PROVIDER_IN_CONTAINER, /* detail: "libfabric:no_efa", "libfabric:absent", "libefa:absent" */
	EV_CAUSE_MEMLOCK,           /* detail: the task's limit in bytes */
	EV_CAUSE_SETUP_ERRORS,      /* detail: "reg_mr_err:12" (the counter that grew most, by how much) */
	EV_CAUSE_UNREACHABLE_PEERS, /* detail: "tx_pkts:9000/rx_pkts:3/unresponsive_remote_events:4" */
	EV_CAUSE_VERSIONS,          /* detail: "aws_ofi_nccl:1.5.0/min:1.6.0" or "aws_ofi_nccl:absent" */
	EV_CAUSE_PLACEMENT,         /* detail: the placement reason ("az:use1-az1/use1-az2") */
	EV_CAUSE_NOT_READY,         /* detail: the readiness reason ("port_down:rdmap16s0") */
	EV_CAUSE__COUNT
};

enum ev_cause_certainty { EV_CAUSE_CERTAIN, EV_CAUSE_LIKELY };

/* Detail: a token of [A-Za-z0-9_.:/+@-] (ev_value_encode's alphabet),
 * cut to fit; values from the job's environment are encoded, never
 * trusted to be short or printable. */
#define EV_CAUSE_DETAIL_MAX 64
/* A node names at most this many causes; more is noise, and the record's
 * budget is per node. */
#define EV_CAUSES_MAX 4

struct ev_cause {
	enum ev_cause_name name;
	enum ev_cause_certainty certainty;
	char detail[EV_CAUSE_DETAIL_MAX];
};

/* A node's causes, most certain first, then in enum order; one per name
 * (the first added keeps its detail, a certain one replaces a likely). */
struct ev_causes {
	struct ev_cause c[EV_CAUSES_MAX];
	size_t n;
};

const char *ev_cause_name(enum ev_cause_name n);            /* "fi_provider" */
/* The longest name, with its NUL: a buffer a name is read into. */
#define EV_CAUSE_NAME_MAX 32
int ev_cause_from_name(const char *s);                      /* -1 if unknown */
/* One line each, for report, the man page and the step's warning. */
const char *ev_cause_fix(enum ev_cause_name n);
const char *ev_cause_evidence(enum ev_cause_name n);
const char *ev_cause_certainty_name(enum ev_cause_certainty c);  /* "certain", "likely" */

/* One line for the user or the log: "NAME(DETAIL): EVIDENCE; fix: FIX". */
void ev_cause_say(const struct ev_cause *c, char *out, size_t cap);

/* Add a cause; detail (may be NULL) is encoded and cut to fit. Past
 * EV_CAUSES_MAX the least certain, latest in order, is dropped. */
void ev_causes_add(struct ev_causes *cs, enum ev_cause_name n, enum ev_cause_certainty c, const char *detail);
/* cs has cause n (its entry, else NULL). */
const struct ev_cause *ev_causes_find(const struct ev_causes *cs, enum ev_cause_name n);

/* The node result line's form: "NAME(DETAIL)+NAME~(DETAIL)", a likely
 * cause marked '~' after its name; "" for none. -ENAMETOOLONG if cap is
 * too small. */
int ev_causes_format(const struct ev_causes *cs, char *out, size_t cap);
/* Strict inverse of ev_causes_format. */
int ev_causes_parse(const char *s, struct ev_causes *cs, struct ev_err *err);

#endif
