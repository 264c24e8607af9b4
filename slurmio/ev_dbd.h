/* What the binaries ask accounting (slurmdbd): a job's AdminComment and
 * its nodes, also for a job that has left slurmctld (a spooled result
 * may arrive long after). The record is always written here: slurmctld
 * refuses to change a finished job's AdminComment. libslurm only. */
#ifndef EV_DBD_H
#define EV_DBD_H

#include <stdbool.h>
#include <stdint.h>

#include "util/ev_err.h"

/* A connection to slurmdbd, for one binary run. */
struct ev_dbd;
int ev_dbd_open(struct ev_dbd **db, struct ev_err *err);
void ev_dbd_close(struct ev_dbd **db);
/* The job's AdminComment ("" if none; caller frees), and *ended: accounting
 * has the job's end (its row's state is final; a pending or running row's
 * end time is only the time of the query). Each read sees what slurmdbd
 * has committed by then. -ENOENT: accounting does not know the job (yet). */
int ev_dbd_get_comment(struct ev_dbd *db, uint32_t jobid, char **out, bool *ended, struct ev_err *err);
/* The job's nodes as accounting has them (a Slurm host list; caller
 * frees): for a job slurmctld no longer holds. -ENOENT: not known. */
int ev_dbd_get_nodes(struct ev_dbd *db, uint32_t jobid, char **out, struct ev_err *err);
int ev_dbd_set_comment(struct ev_dbd *db, uint32_t jobid, const char *text, struct ev_err *err);

#endif
