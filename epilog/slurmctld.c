/* efa-verify-epilog run by slurmctld as slurm.conf's EpilogSlurmctld, on
 * the slurmctld host, as SlurmUser: it writes the job's record into
 * accounting once the job's nodes have published their results through
 * slurmctld. For sites whose nodes cannot reach slurmdbd (a firewall, a
 * slurmdbd host that admits the slurmctld host only): the slurmctld host
 * always reaches it. A record it cannot write (slurmdbd away) stays
 * pending in this host's state_dir and is written by its next run or by
 * `efa-verify flush` here. Always exits 0: slurmctld logs a failing
 * EpilogSlurmctld against every job. */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <unistd.h>

#include "epilog.h"
#include "ev_ctld.h"
#include "ev_deliver.h"
#include "ev_jobenv.h"
#include "config/ev_config.h"
#include "state/ev_jobid.h"
#include "state/ev_pending.h"

/* This host's short name, for %n in the config's paths ("slurmctld" where
 * it is not one a node could have). */
static void host_name(char *out, size_t cap)
{
	char h[256] = "";

	if (gethostname(h, sizeof(h) - 1) == 0)
		h[strcspn(h, ".")] = '\0';
	snprintf(out, cap, "%s", h[0] && strlen(h) < cap && ev_valid_nodename(h) ? h : "slurmctld");
}

int ev_epilog_slurmctld(int argc, char **argv, const char *usage)
{
	const char *cfg_path, *num = getenv("SLURM_JOB_NUM_NODES");
	struct ev_mode_choice user, stack;
	struct ev_deliver_ctx dc;
	struct ev_config cfg;
	struct ev_err err = { "" };
	char host[EV_NAME_MAX];
	uint32_t jobid, nodes = 0;
	size_t done = 0, left = 0;
	bool no_acct;
	int rc;

	/* --no-accounting means nothing here: writing the record is all
	 * this does. */
	if (!ev_binary_options(argc, argv, "efa-verify-epilog", usage, &cfg_path, &no_acct))
		return 0;
	if (ev_jobid_parse(getenv("SLURM_JOB_ID"), &jobid, &err) != 0) {
		ev_binlog(LOG_ERR, "EpilogSlurmctld: %s", err.msg);
		return 0;
	}
	host_name(host, sizeof(host));
	if (ev_config_load_default(&cfg, cfg_path, host, &err) != 0) {
		ev_binlog(LOG_ERR, "job %u (EpilogSlurmctld): %s; nothing done", jobid, err.msg);
		return 0;
	}
	if (num && ev_jobid_parse(num, &nodes, NULL) != 0)
		nodes = 0;
	if ((rc = ev_slurm_ready(&err)) != 0) {
		ev_binlog(LOG_ERR, "job %u (EpilogSlurmctld): %s", jobid, err.msg);
		ev_config_free(&cfg);
		return 0;
	}
	memset(&dc, 0, sizeof(dc));
	dc.state_dir = cfg.state_dir;
	dc.node = host;
	dc.nodelist = getenv("SLURM_JOB_NODELIST");
	ev_jobenv_modes(&user, &stack);
	if (ev_job_judged(&user, &stack, &cfg)) {
		rc = ev_deliver_complete(&dc, jobid, nodes, (unsigned)cfg.record_wait_ms, &err);
		if (rc == 0) {
			ev_binlog(LOG_INFO, "job %u: record written from the slurmctld host: %s", jobid, dc.record);
		} else if (rc != -ENODATA) {
			/* The nodes' results stay in their node records: the
			 * job id is all a later run needs. */
			struct ev_err perr = { "" };

			if (ev_pending_put(cfg.state_dir, jobid, &perr) != 0)
				ev_binlog(LOG_ERR, "job %u: record not written (%s) and not kept for later: %s", jobid,
					  err.msg, perr.msg);
			else
				ev_binlog(LOG_WARNING, "job %u: record pending (written by the next EpilogSlurmctld "
					  "or `efa-verify flush` here): %s", jobid, err.msg);
		}
	}
	if (ev_deliver_pending(&dc, &done, &left, &err) != 0)
		ev_binlog(LOG_WARNING, "%zu earlier record(s) still pending: %s", left, err.msg);
	else if (done)
		ev_binlog(LOG_INFO, "wrote %zu earlier pending record(s)", done);
	ev_deliver_done(&dc);
	ev_config_free(&cfg);
	return 0;
}
