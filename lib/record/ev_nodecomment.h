/* How a node hands its result for a job to the job's aggregator: through
 * its own Slurm node record's Comment. Every node's epilog runs at once and
 * Slurm has no append for a job's AdminComment, so nodes never write the
 * job record directly; each writes only its own node record (one writer per
 * record, serialised on the node by a lock), and whoever sees the whole set
 * builds the job record from it. This file is the text format of that
 * Comment; it knows nothing of Slurm.
 *
 * Comment: "[admin words] efa-verify-results: ENTRY ENTRY ...", ENTRY being
 * either a node result line (ev_result_format) with ',' for ' ' and job=
 * set (plain), or that line sealed (ev_seal.h), which shows neither job
 * nor verdict to anyone who reads the Comment. Oldest first; at most
 * `keep` entries, one per job. Words an admin wrote before or after ours
 * stay. */
#ifndef EV_NODECOMMENT_H
#define EV_NODECOMMENT_H

#include <stddef.h>
#include <stdint.h>

#include "util/ev_err.h"
#include "record/ev_result.h"
#include "record/ev_seal.h"

#define EV_NODECOMMENT_PREFIX "efa-verify-results:"
/* Jobs a node record keeps: enough for the aggregator to gather a job's
 * results while the node already runs later short jobs. */
#define EV_NODECOMMENT_KEEP 12
#define EV_NODECOMMENT_MAX (EV_NODECOMMENT_KEEP * EV_SEAL_WORD_MAX + 1024)

/* comment with r (r->jobid required) put in: an earlier entry of the same
 * job is replaced, the newest goes last, the oldest beyond keep are dropped.
 * Entries that do not parse are dropped too (a broken earlier write).
 * With seal, r goes in sealed, and so do the plain entries kept (the
 * Comment then shows no job id at all); sealed entries are opened to find
 * the same job's and broken ones, and kept as they are. One this process
 * may not open is kept, as one it cannot judge. A sealer that cannot be
 * used fails the whole put: nothing is written in clear instead. Without
 * seal, r goes in plain and sealed entries are kept unopened. */
int ev_nodecomment_put(const char *comment, const struct ev_node_result *r, const struct ev_seal *seal,
		       size_t keep, char *out, size_t cap, struct ev_err *err);

/* The entry for jobid, newest first: 0, or -ENOENT. seal opens sealed
 * entries (NULL: they are passed over). When the job's entry is not found
 * and a sealed entry could not be opened, that failure instead (-EACCES:
 * this process may not; another: the sealer is away), with err saying
 * it: the job's entry may be among them. After the first such failure no
 * other entry is opened. */
int ev_nodecomment_get(const char *comment, uint32_t jobid, const struct ev_seal *seal, struct ev_node_result *r,
		       struct ev_err *err);

/* comment without our part (what an admin wrote), into out. */
int ev_nodecomment_strip(const char *comment, char *out, size_t cap);

#endif
