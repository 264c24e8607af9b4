/* libslurm in the standalone binaries (prolog, epilog, CLI), loaded the
 * first time one of them talks to Slurm, not at every start.
 *
 * Linked at load time, libslurm (and its libm and libresolv) cost every
 * prolog and epilog more CPU than their node-local work, which mostly never
 * calls it: slurmd hands the prolog the job's node list, the node names
 * resolve, the spool is empty. So everything that calls libslurm for the
 * binaries (ev_ctld.c, ev_dbd.c, ev_dbd_jobs.c, ev_slurm_hosts.c) is built into a module of its own,
 * PKGLIBDIR/slurmio.so, linked to libslurm (and, with --with-slurm, given
 * its RUNPATH). The binaries link a stand-in for each function of
 * ev_ctld.h, ev_dbd.h and ev_slurm_hosts.h (ev_slurmio.c): the first call dlopens the
 * module and goes through the table below; later calls straight through.
 *
 * The SPANK plugin does not use this: inside srun and slurmstepd libslurm
 * is loaded already. */
#ifndef EV_SLURMIO_H
#define EV_SLURMIO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ev_ctld.h"
#include "ev_dbd.h"
#include "ev_dbd_jobs.h"
#include "ev_slurm_hosts.h"
#include "util/ev_err.h"

/* The table's name in the module; the module exports nothing else. */
#define EV_SLURMIO_SYMBOL "ev_slurmio_ops"

/* One per function the module offers; version and size make a binary
 * refuse a module of another build rather than call into it. */
struct ev_slurmio_ops {
	const char *version;         /* PACKAGE_VERSION */
	size_t size;                 /* sizeof(struct ev_slurmio_ops) */
	int (*slurm_ready)(struct ev_err *err);
	int (*ctld_publish)(const char *node, const struct ev_node_result *r, bool sealed, struct ev_err *err);
	int (*ctld_gather)(uint32_t jobid, struct ev_node_result **out, size_t *n, struct ev_err *err);
	int (*ctld_node_result)(const char *node, uint32_t jobid, struct ev_node_result *r, struct ev_err *err);
	int (*ctld_job_end)(uint32_t jobid, char **nodes, bool *completing, struct ev_err *err);
	int (*ctld_job_on_node)(uint32_t jobid, const char *node, bool *on, struct ev_err *err);
	int (*hostlist_not_in)(const char *list, char *const *names, size_t n, bool *out, struct ev_err *err);
	int (*dbd_get_nodes)(struct ev_dbd *db, uint32_t jobid, char **out, struct ev_err *err);
	int (*job_live_get)(uint32_t jobid, struct ev_job_live *out, struct ev_err *err);
	void (*job_live_free)(struct ev_job_live *j);
	int (*dbd_open)(struct ev_dbd **db, struct ev_err *err);
	void (*dbd_close)(struct ev_dbd **db);
	int (*dbd_get_comment)(struct ev_dbd *db, uint32_t jobid, char **out, bool *ended, struct ev_err *err);
	int (*dbd_set_comment)(struct ev_dbd *db, uint32_t jobid, const char *text, struct ev_err *err);
	int (*hostlist_expand)(const char *list, size_t max, char ***names, size_t *n, struct ev_err *err);
	int (*job_nodelist)(uint32_t jobid, unsigned *num, char **nodes, struct ev_err *err);
	int (*node_addrs)(char **names, size_t n, const bool *resolved, char **addr, struct ev_err *err);
	int (*dbd_jobs_each)(struct ev_dbd *db, const struct ev_dbd_jobs_query *q, ev_dbd_job_fn fn, void *arg,
			     struct ev_dbd_jobs_stats *st, struct ev_err *err);
};

/* Where the binaries look for the module, and what they do without it:
 * ev_slurmio.c. */

#endif
