/* The binaries' Slurm module's one export: its functions, by table
 * (ev_slurmio.h). */
#include "config.h"

#include "ev_slurmio.h"

#include "ev_ctld.h"
#include "ev_dbd.h"
#include "ev_dbd_jobs.h"
#include "ev_slurm_hosts.h"

extern const struct ev_slurmio_ops ev_slurmio_ops;
const struct ev_slurmio_ops ev_slurmio_ops = {
	.version = PACKAGE_VERSION,
	.size = sizeof(struct ev_slurmio_ops),
	.slurm_ready = ev_slurm_ready,
	.ctld_publish = ev_ctld_publish,
	.ctld_gather = ev_ctld_gather,
	.ctld_node_result = ev_ctld_node_result,
	.ctld_job_end = ev_ctld_job_end,
	.ctld_job_on_node = ev_ctld_job_on_node,
	.hostlist_not_in = ev_slurm_hostlist_not_in,
	.dbd_get_nodes = ev_dbd_get_nodes,
	.job_live_get = ev_job_live_get,
	.job_live_free = ev_job_live_free,
	.dbd_open = ev_dbd_open,
	.dbd_close = ev_dbd_close,
	.dbd_get_comment = ev_dbd_get_comment,
	.dbd_set_comment = ev_dbd_set_comment,
	.hostlist_expand = ev_slurm_hostlist_expand,
	.job_nodelist = ev_slurm_job_nodelist,
	.node_addrs = ev_slurm_node_addrs,
	.dbd_jobs_each = ev_dbd_jobs_each,
};
