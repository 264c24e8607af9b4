/* A job's placement as its first enforce step on this node judged it,
 * against the job's other nodes. A job's nodes cannot change zone or
 * placement group while it runs, so the job's later steps take this
 * instead of asking slurmctld again (three RPCs per node per step).
 * Written by root in slurmstepd under state_dir/placement/<job>, named by
 * the job id of the step's credential; removed by the job's epilog, and
 * by the prolog of a job that reuses the id. */
#ifndef EV_PLACEMENT_MEMO_H
#define EV_PLACEMENT_MEMO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util/ev_err.h"

#define EV_PLACEMENT_MEMO_WHY_MAX 384

struct ev_placement_memo {
	bool different;                        /* else the same zone and group */
	char why[EV_PLACEMENT_MEMO_WHY_MAX];   /* different: why, one line */
};

/* Kept once: the first step's judgement stands for the job. */
int ev_placement_memo_put(const char *state_dir, uint32_t jobid, const struct ev_placement_memo *m,
			  struct ev_err *err);
/* 1 and *m filled, 0 when there is none (or it is not root's own file or
 * does not parse: judged afresh), or a negative errno. */
int ev_placement_memo_get(const char *state_dir, uint32_t jobid, struct ev_placement_memo *m, struct ev_err *err);
/* Gone with the job (none: fine). */
void ev_placement_memo_remove(const char *state_dir, uint32_t jobid);

#endif
