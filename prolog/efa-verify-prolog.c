/* efa-verify-prolog: run by slurmd as root on every node of a job at job
 * start (Prolog= with PrologFlags=Alloc, or a prolog.d). Keeps the job's
 * start snapshot for the epilog. It always exits 0: a failing prolog would
 * drain the node, and a missing snapshot only makes the verdict "unknown". */
#include "config.h"

#include <stdio.h>
#include <string.h>
#include <syslog.h>

#include "ev_config.h"
#include "ev_counters.h"
#include "ev_devices.h"
#include "ev_jobenv.h"
#include "ev_state.h"

static const char usage[] =
	"Usage: efa-verify-prolog [-c FILE]\n"
	"\n"
	"Slurm Prolog: snapshot this node's EFA and TCP counters for the job in\n"
	"SLURM_JOB_ID, for efa-verify-epilog. Reads SLURMD_NODENAME, SLURM_JOB_ID\n"
	"and SPANK_EFA_VERIFY_MODE as slurmd sets them. Always exits 0.\n"
	"\n"
	"  -c, --config FILE  config (default: $EFA_VERIFY_CONFIG, then " EV_DEFAULT_CONFIG ")\n"
	"  -h, --help         this help\n"
	"  -V, --version      version\n";

int main(int argc, char **argv)
{
	struct ev_jobenv je;
	struct ev_config cfg;
	struct ev_device_list devs = { 0 };
	struct ev_snapshot snap = { 0 };
	struct ev_err err = { "" };

	if (!ev_binary_start(argc, argv, "efa-verify-prolog", usage, &je, &cfg))
		return 0;
	if (ev_devices_discover(cfg.sysfs_root, &devs, &err) != 0 ||
	    ev_snapshot_take(&cfg, &devs, &snap, &err) != 0) {
		ev_binlog(LOG_ERR, "job %u on %s: %s", je.jobid, je.node, err.msg);
	} else {
		/* The node count is kept now: while epilogs run, slurmctld's
		 * count shrinks as each node finishes. */
		snap.job_nodes = je.job_nodes;
		if (ev_state_save_start(cfg.state_dir, je.jobid, &snap, &err) != 0)
			ev_binlog(LOG_ERR, "job %u on %s: %s", je.jobid, je.node, err.msg);
	}
	ev_snapshot_free(&snap);
	ev_devices_free(&devs);
	ev_config_free(&cfg);
	return 0;
}
