/* The binaries' Slurm module's one export: its functions, by table
 * (ev_slurmio.h). */
#include "config.h"

#include "ev_slurmio.h"

#include "ev_acct.h"
#include "ev_slurm_hosts.h"

extern const struct ev_slurmio_ops ev_slurmio_ops;
const struct ev_slurmio_ops ev_slurmio_ops = {
	.version = PACKAGE_VERSION,
	.size = sizeof(struct ev_slurmio_ops),
	.slurm_ready = ev_slurm_ready,
	.acct_publish = ev_acct_publish,
	.acct_gather = ev_acct_gather,
	.acct_node_result = ev_acct_node_result,
	.acct_job_end = ev_acct_job_end,
	.acct_not_in = ev_acct_not_in,
	.get_nodes = ev_acct_get_nodes,
	.ctld_get_comment = ev_acct_ctld_get_comment,
	.ctld_set_comment = ev_acct_ctld_set_comment,
	.job_live_get = ev_job_live_get,
	.job_live_free = ev_job_live_free,
	.db_open = ev_acct_db_open,
	.db_close = ev_acct_db_close,
	.get_comment = ev_acct_get_comment,
	.set_comment = ev_acct_set_comment,
	.hostlist_expand = ev_slurm_hostlist_expand,
	.job_nodelist = ev_slurm_job_nodelist,
	.node_addrs = ev_slurm_node_addrs,
};
