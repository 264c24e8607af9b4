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
#include <getopt.h>
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
#include "config/ev_mode.h"
#include "state/ev_jobid.h"
#include "state/ev_pending.h"
#include "util/ev_opts.h"

/* This host's short name, for %n in the config's paths ("slurmctld" where
 * it is not one a node could have). */
static void host_name(char *out, size_t cap)
{
	char h[256] = "";

	if (gethostname(h, sizeof(h) - 1) == 0)
		h[strcspn(h, ".")] = '\0';
	snprintf(out, cap, "%s", h[0] && strlen(h) < cap && ev_valid_nodename(h) ? h : "slurmctld");
}

/* The user's, the plugstack's and the config's mode, as the node's epilog
 * resolves them (slurmctld passes the job's SPANK_ variables here too):
 * nothing to write for a job efa-verify left alone. */
static bool job_verified(const struct ev_config *cfg)
{
	struct ev_mode_choice user = { 0 }, stack = { 0 };
	const char *v;

	if ((v = getenv("SPANK_EFA_VERIFY_MODE")) && ev_mode_parse(v, &user.value) == 0)
		user.given = true;
	if ((v = getenv("SPANK_EFA_VERIFY_PLUGSTACK_MODE")) && ev_mode_parse(v, &stack.value) == 0)
		stack.given = true;
	return ev_mode_resolve(&user, &stack, cfg->mode) != EV_MODE_OFF || cfg->record == EV_RECORD_ALWAYS;
}

int ev_epilog_slurmctld(int argc, char **argv, const char *usage)
{
	static const struct option opts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "version", no_argument, NULL, 'V' },
		EV_OPTS_HELP_END,
	};
	const char *cfg_path = NULL, *num = getenv("SLURM_JOB_NUM_NODES");
	struct ev_deliver_ctx dc;
	struct ev_config cfg;
	struct ev_err err = { "" };
	char host[EV_NAME_MAX];
	uint32_t jobid, nodes = 0;
	size_t done = 0, left = 0;
	int c, rc;

	optind = 1;
	while ((c = getopt_long(argc, argv, "c:hV", opts, NULL)) != -1) {
		switch (c) {
		case 'c': cfg_path = optarg; break;
		case 'h': fputs(usage, stdout); return 0;
		case 'V': printf("efa-verify-epilog %s\n", PACKAGE_VERSION); return 0;
		default: fputs(usage, stderr); return 0;
		}
	}
	openlog("efa-verify-epilog", LOG_PID, LOG_DAEMON);
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
	if (job_verified(&cfg)) {
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
