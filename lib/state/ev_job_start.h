#ifndef EV_JOB_START_H
#define EV_JOB_START_H

#include <stddef.h>
#include <stdint.h>

#include "node/ev_boot_id.h"
#include "node/ev_snapshot.h"
#include "util/ev_err.h"
#include "state/ev_running.h"
#include "node/ev_whole_node.h"

/* The most a start file (or its user's copy) may hold. */
#define EV_JOB_START_MAX EV_SNAPSHOT_TEXT_MAX

/* The start file: the snapshot plus what the epilog needs to judge it. */
struct ev_job_start {
	uint32_t jobid;
	char node[EV_NAME_MAX];                /* "" = not given */
	char boot_id[EV_BOOT_ID_MAX];          /* "" = not known */
	char first[EV_NAME_MAX];               /* the job's first node (its aggregator); "" = not known */
	struct ev_whole_node whole;            /* the job has the whole node (prolog's judgement) */
	struct ev_running_mark run;
	struct ev_snapshot snap;
};

/* Format 2 (format 1 files, without the context lines, still load). */
int ev_job_start_save(const char *state_dir, const struct ev_job_start *js, struct ev_err *err);
/* -ENOENT: no start file. Other errors: the file is there but unusable
 * (the verdict is then "unknown", with err.msg in the log). Pair with
 * ev_job_start_free, also after an error. */
int ev_job_start_load(const char *state_dir, uint32_t jobid, struct ev_job_start *out,
		      struct ev_err *err);
void ev_job_start_free(struct ev_job_start *js);

int ev_state_remove_start(const char *state_dir, uint32_t jobid);

/* The start file's text: its header lines, then the snapshot's
 * (node/ev_snapshot.h). Format 1 texts, the snapshot alone, also load. */
char *ev_job_start_serialize(const struct ev_job_start *js, size_t *len);
int ev_job_start_deserialize(const char *text, size_t len, struct ev_job_start *out,
			     struct ev_err *err);

#endif
