#include "config.h"

#include "ev_jobenv.h"

#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>

#include "ev_slurm_compat.h"

#include "ev_hostlist.h"
#include "ev_jobid.h"
#include "ev_num.h"
#include "ev_record.h"
#include "ev_whole_node.h"
#include "ev_opts.h"

/* Count, first name and text of a Slurm node list, and this node's place
 * in it (-1 if absent). */
static void nodes_of(const char *list, struct ev_jobenv *e, int *index)
{
	ev_hostlist_t *hl = slurm_hostlist_create(list);
	char *first;

	if (index)
		*index = -1;
	e->nodelist[0] = '\0';
	if (!hl)
		return;
	if (strlen(list) < sizeof(e->nodelist))
		memcpy(e->nodelist, list, strlen(list) + 1);
	e->job_nodes = (unsigned)slurm_hostlist_count(hl);
	if (index)
		*index = slurm_hostlist_find(hl, e->node);
	if ((first = slurm_hostlist_shift(hl))) {
		if (ev_valid_nodename(first) && strlen(first) < sizeof(e->first))
			memcpy(e->first, first, strlen(first) + 1);
		free(first);
	}
	slurm_hostlist_destroy(hl);
}

/* An upper-case word of slurmd's, or "". */
static void env_word(const char *name, char *out, size_t cap)
{
	const char *v = getenv(name);
	size_t n = v ? strlen(v) : 0;

	out[0] = '\0';
	if (!n || n >= cap || strspn(v, "ABCDEFGHIJKLMNOPQRSTUVWXYZ") != n)
		return;
	memcpy(out, v, n + 1);
}

int ev_jobenv_read(struct ev_jobenv *e, struct ev_err *err)
{
	const char *id = getenv("SLURM_JOB_ID"), *node = getenv("SLURMD_NODENAME");
	const char *num = getenv("SLURM_JOB_NUM_NODES");
	uint32_t n;
	/* slurmd (22.05) gives a node's Prolog and Epilog the job's nodes as
	 * SLURM_NODELIST; SLURM_JOB_NODELIST is what a job step sees. */
	const char *list = getenv("SLURM_JOB_NODELIST"), *mode = getenv("SPANK_EFA_VERIFY_MODE");
	const char *uid = getenv("SLURM_JOB_UID");
	const char *cpus = getenv("SLURM_JOB_CPUS_PER_NODE");
	uint64_t u;
	int rc, index = -1;

	memset(e, 0, sizeof(*e));
	if ((rc = ev_jobid_parse(id, &e->jobid, err)))
		return rc;
	if (!node || !ev_valid_nodename(node) || strlen(node) >= sizeof(e->node))
		return ev_errf(err, -EINVAL, "SLURMD_NODENAME is missing or not a node name");
	memcpy(e->node, node, strlen(node) + 1);
	if (!list || !*list)
		list = getenv("SLURM_NODELIST");
	if (list && *list)
		nodes_of(list, e, &index);
	/* SLURM_JOB_NUM_NODES comes from the job's credential. Without
	 * PrologFlags=Alloc a node's prolog runs at the first step that uses
	 * it, and the list may then be that step's: the count wins, and the
	 * list's first node is not the job's (slurmctld is asked for it). */
	if (num && ev_jobid_parse(num, &n, NULL) == 0 && n != e->job_nodes) {
		e->job_nodes = n;
		e->first[0] = '\0';
		index = -1;
		e->nodelist[0] = '\0';
	}
	/* The CPU counts are the job's, in the order of its node list: only
	 * with that list is this node's entry known. */
	if (cpus && index >= 0 && ev_cpus_per_node_at(cpus, (size_t)index, e->job_nodes, &e->job_cpus) != 0)
		e->job_cpus = 0;
	env_word("SLURM_JOB_EXCLUSIVE", e->exclusive, sizeof(e->exclusive));
	env_word("SLURM_JOB_OVERSUBSCRIBE", e->oversubscribe, sizeof(e->oversubscribe));
	if (mode && ev_mode_parse(mode, &e->mode.value) == 0)
		e->mode.given = true;
	if (uid && ev_parse_u64_strict(uid, &u) && u < UINT32_MAX) {
		e->uid = (uint32_t)u;
		e->have_uid = true;
	}
	return 0;
}

void ev_jobenv_ask_slurm(struct ev_jobenv *e)
{
	/* Only where slurmd gave no node list (run by hand, another version):
	 * one RPC per node per job is what slurmctld would otherwise get at
	 * every job start. The job is still known while its epilogs run.
	 * Unknown stays 0. */
	job_info_msg_t *msg = NULL;

	if (e->job_nodes && e->first[0] && e->nodelist[0])
		return;
	if (ev_slurm_load_job(&msg, e->jobid, SHOW_DETAIL) == SLURM_SUCCESS && msg) {
		if (msg->record_count >= 1) {
			e->job_nodes = msg->job_array[0].num_nodes;
			if (msg->job_array[0].nodes)
				nodes_of(msg->job_array[0].nodes, e, NULL);
		}
		slurm_free_job_info_msg(msg);
	}
}

int ev_jobenv_peers(const struct ev_jobenv *e, char ***names, size_t *n, struct ev_err *err)
{
	ev_hostlist_t *hl;
	char **v = NULL, *h;
	size_t cnt = 0, total = 0;
	int rc = 0;

	*names = NULL;
	*n = 0;
	if (e->job_nodes == 1)
		return 0;
	if (!e->nodelist[0] || !(hl = slurm_hostlist_create(e->nodelist)))
		return ev_errf(err, -ENOENT, "the job's node list is not known");
	if (!(v = calloc((size_t)slurm_hostlist_count(hl) + 1, sizeof(*v)))) {
		slurm_hostlist_destroy(hl);
		return ev_errf(err, -ENOMEM, "out of memory");
	}
	while (!rc && (h = slurm_hostlist_shift(hl))) {
		total++;
		if (!ev_valid_nodename(h))
			rc = ev_errf(err, -EINVAL, "node name '%.64s' in the job's list refused", h);
		else if (strcmp(h, e->node) != 0 && !(v[cnt++] = strdup(h)))
			rc = ev_errf(err, -ENOMEM, "out of memory");
		free(h);
	}
	slurm_hostlist_destroy(hl);
	/* The job's own list holds this node and the job's node count. */
	if (!rc && (total == cnt || (e->job_nodes && total != e->job_nodes)))
		rc = ev_errf(err, -ENOENT, "the node list '%.64s' is not this job's on %s", e->nodelist, e->node);
	if (rc) {
		ev_hostlist_free(v, cnt);
		return rc;
	}
	*names = v;
	*n = cnt;
	return 0;
}

void ev_binlog(int prio, const char *fmt, ...)
{
	char msg[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	syslog(prio, "%s", msg);
	fprintf(stderr, "efa-verify: %s\n", msg);
}

int ev_binary_start(int argc, char **argv, const char *name, const char *usage,
		    struct ev_jobenv *je, struct ev_config *cfg)
{
	static const struct option opts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "no-accounting", no_argument, NULL, 'A' },
		{ "version", no_argument, NULL, 'V' },
		EV_OPTS_HELP_END,
	};
	struct ev_err err = { "" };
	const char *cfg_path = NULL;
	bool no_acct = false;
	int c;

	while ((c = getopt_long(argc, argv, "c:hV", opts, NULL)) != -1) {
		switch (c) {
		case 'c': cfg_path = optarg; break;
		case 'A': no_acct = true; break;
		case 'h': fputs(usage, stdout); return 0;
		case 'V': printf("%s %s\n", name, PACKAGE_VERSION); return 0;
		/* A bad option must not fail the job: say so, do nothing. */
		default: fputs(usage, stderr); return 0;
		}
	}
	openlog(name, LOG_PID, LOG_DAEMON);
	if (ev_jobenv_read(je, &err) != 0) {
		ev_binlog(LOG_ERR, "not run by slurmd as a prolog or epilog? %s", err.msg);
		return 0;
	}
	je->no_accounting = no_acct;
	if (ev_config_load_default(cfg, cfg_path, je->node, &err) != 0) {
		ev_binlog(LOG_ERR, "job %u on %s: %s; nothing done", je->jobid, je->node, err.msg);
		return 0;
	}
	if (cfg->deprecated[0])
		ev_binlog(LOG_WARNING, "%s", cfg->deprecated);
	/* record: always makes the record the admin's audit: off (the user's
	 * or the config's) then stops only what the plugin does in the job. */
	if (ev_mode_resolve(&je->mode, NULL, cfg->mode) == EV_MODE_OFF && cfg->record != EV_RECORD_ALWAYS) {
		ev_config_free(cfg);
		return 0;
	}
	return 1;
}
