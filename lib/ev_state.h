/* What the prolog leaves for the epilog: the job's start snapshot, in
 * state_dir/jobs/<jobid>.start. Root-only, written atomically, read back
 * strictly: a truncated or foreign file is an error, never a guess. */
#ifndef EV_STATE_H
#define EV_STATE_H

#include <stdint.h>

#include "ev_counters.h"
#include "ev_err.h"

/* Slurm job ids are decimal uint32; anything else never becomes a file name. */
int ev_jobid_parse(const char *s, uint32_t *out, struct ev_err *err);

int ev_state_save_start(const char *state_dir, uint32_t jobid, const struct ev_snapshot *s,
			struct ev_err *err);
/* -ENOENT (message says "no start snapshot") when the prolog left none. */
int ev_state_load_start(const char *state_dir, uint32_t jobid, struct ev_snapshot *out,
			struct ev_err *err);
int ev_state_remove_start(const char *state_dir, uint32_t jobid);

/* Text form of a snapshot, for the file and for tests. */
char *ev_snapshot_serialize(const struct ev_snapshot *s, size_t *len);
int ev_snapshot_deserialize(const char *text, size_t len, struct ev_snapshot *out,
			    struct ev_err *err);

#endif
