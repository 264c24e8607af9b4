/* What the binaries ask libslurm about hosts, besides the job record
 * (ev_ctld.h, ev_dbd.h): Slurm's own reading of a host list, a job's node list from
 * slurmctld, and nodes' NodeAddr. In the binaries' Slurm module
 * (ev_slurmio.h), so a prolog that needs none of them never loads
 * libslurm. */
#ifndef EV_SLURM_HOSTS_H
#define EV_SLURM_HOSTS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util/ev_err.h"

/* list read by libslurm's hostlist code: for the forms lib's
 * ev_hostlist_expand does not read (suffixes, several brackets, ...).
 * Names are not checked here (the caller does, as with Slurm's); at most
 * max. *names malloc'ed, free with ev_hostlist_free (ev_hostlist.h). */
int ev_slurm_hostlist_expand(const char *list, size_t max, char ***names, size_t *n, struct ev_err *err);

/* out[i] = true for each names[i] that list (a Slurm host list; NULL or
 * "" for none) does not hold. */
int ev_slurm_hostlist_not_in(const char *list, char *const *names, size_t n, bool *out, struct ev_err *err);

/* The node count and node list (*nodes malloc'ed, NULL if slurmctld gave
 * none) slurmctld holds for job jobid: one RPC. */
int ev_slurm_job_nodelist(uint32_t jobid, unsigned *num, char **nodes, struct ev_err *err);

/* NodeAddr of each name neither resolved[] nor given an addr[] yet into
 * addr[] (malloc'ed; NULL where slurmctld has none other than the name
 * itself): one single-node read each, never the whole node table. */
int ev_slurm_node_addrs(char **names, size_t n, const bool *resolved, char **addr, struct ev_err *err);

#endif
