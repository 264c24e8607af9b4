#include "config.h"

#include "ev_jobenv.h"

#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>

#include "util/ev_file.h"
#include "record/ev_hostlist.h"
#include "state/ev_jobid.h"
#include "util/ev_num.h"
#include "util/ev_opts.h"
#include "record/ev_record.h"
#include "ev_slurm_hosts.h"
#include "node/ev_whole_node.h"

int ev_nodelist_expand(const char *list, char ***names, size_t *n, struct ev_err *err)
{
	if (ev_hostlist_expand(list, (size_t)-1, names, n, NULL) == 0)
		return 0;
	return ev_slurm_hostlist_expand(list, (size_t)-1, names, n, err);
}

/* Count, first name and text of a Slurm node list, and this node's place
 * in it (-1 if absent). */
static void nodes_of(const char *list, struct ev_jobenv *e, int *index)
{
	char **v;
	size_t n;

	if (index)
		*index = -1;
	e->nodelist[0] = '\0';
	if (ev_nodelist_expand(list, &v, &n, NULL) != 0)
		return;
	if (strlen(list) < sizeof(e->nodelist))
		memcpy(e->nodelist, list, strlen(list) + 1);
	e->job_nodes = (unsigned)n;
	for (size_t i = 0; index && i < n && i < INT_MAX; i++) {
		if (strcmp(v[i], e->node) == 0) {
			*index = (int)i;
			break;
		}
	}
	if (n && ev_valid_nodename(v[0]) && strlen(v[0]) < sizeof(e->first))
		memcpy(e->first, v[0], strlen(v[0]) + 1);
	ev_hostlist_free(v, n);
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
	const char *list = getenv("SLURM_JOB_NODELIST");
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
	ev_jobenv_modes(&e->mode, &e->plugstack_mode);
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
	unsigned num;
	char *nodes = NULL;

	if (e->job_nodes && e->first[0] && e->nodelist[0])
		return;
	if (ev_slurm_job_nodelist(e->jobid, &num, &nodes, NULL) == 0) {
		e->job_nodes = num;
		if (nodes)
			nodes_of(nodes, e, NULL);
	}
	free(nodes);
}

int ev_jobenv_peers(const struct ev_jobenv *e, char ***names, size_t *n, struct ev_err *err)
{
	char **all, **v = NULL;
	size_t cnt = 0, total = 0;
	int rc = 0;

	*names = NULL;
	*n = 0;
	if (e->job_nodes == 1)
		return 0;
	if (!e->nodelist[0] || ev_nodelist_expand(e->nodelist, &all, &total, NULL) != 0)
		return ev_errf(err, -ENOENT, "the job's node list is not known");
	if (!(v = calloc(total + 1, sizeof(*v)))) {
		ev_hostlist_free(all, total);
		return ev_errf(err, -ENOMEM, "out of memory");
	}
	for (size_t i = 0; i < total && !rc; i++) {
		if (!ev_valid_nodename(all[i]))
			rc = ev_errf(err, -EINVAL, "node name '%.64s' in the job's list refused", all[i]);
		else if (strcmp(all[i], e->node) != 0 && !(v[cnt++] = strdup(all[i])))
			rc = ev_errf(err, -ENOMEM, "out of memory");
	}
	ev_hostlist_free(all, total);
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

void ev_binlog_msgs(struct ev_msgs *msgs)
{
	for (size_t i = 0; i < msgs->n; i++)
		ev_binlog(msgs->m[i].prio, "%s", msgs->m[i].text);
	if (msgs->lost)
		ev_binlog(LOG_WARNING, "%zu more log line(s) lost", msgs->lost);
	msgs->n = 0;
	msgs->lost = 0;
}

void ev_jobenv_facts(const struct ev_jobenv *e, struct ev_job_facts *out)
{
	*out = (struct ev_job_facts){
		.jobid = e->jobid,
		.node = e->node,
		.job_nodes = e->job_nodes,
		.first = e->first,
		.have_uid = e->have_uid,
		.uid = e->uid,
		.exclusive = e->exclusive[0] ? e->exclusive : NULL,
		.oversubscribe = e->oversubscribe[0] ? e->oversubscribe : NULL,
		.job_cpus = e->job_cpus,
	};
}

void ev_jobenv_modes(struct ev_mode_choice *user, struct ev_mode_choice *plugstack)
{
	const char *v;

	memset(user, 0, sizeof(*user));
	memset(plugstack, 0, sizeof(*plugstack));
	if ((v = getenv("SPANK_EFA_VERIFY_MODE")) && ev_mode_parse(v, &user->value) == 0)
		user->given = true;
	if ((v = getenv("SPANK_EFA_VERIFY_PLUGSTACK_MODE")) && ev_mode_parse(v, &plugstack->value) == 0)
		plugstack->given = true;
}

bool ev_job_judged(const struct ev_mode_choice *user, const struct ev_mode_choice *plugstack,
		   const struct ev_config *cfg)
{
	/* record: always makes the record the admin's audit: off (the user's,
	 * the plugstack's or the config's) then stops only what the plugin
	 * does in the job. */
	return ev_mode_resolve(user, plugstack, cfg->mode) != EV_MODE_OFF || cfg->record == EV_RECORD_ALWAYS;
}

int ev_binary_options(int argc, char **argv, const char *name, const char *usage, const char **cfg_path,
		      bool *no_acct)
{
	static const struct option opts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "no-accounting", no_argument, NULL, 'A' },
		{ "version", no_argument, NULL, 'V' },
		EV_OPTS_HELP_END,
	};
	int c;

	*cfg_path = NULL;
	*no_acct = false;
	optind = 1;
	while ((c = getopt_long(argc, argv, "c:hV", opts, NULL)) != -1) {
		switch (c) {
		case 'c': *cfg_path = optarg; break;
		case 'A': *no_acct = true; break;
		case 'h': fputs(usage, stdout); return 0;
		case 'V': printf("%s %s\n", name, PACKAGE_VERSION); return 0;
		/* A bad option must not fail the job: say so, do nothing. */
		default: fputs(usage, stderr); return 0;
		}
	}
	openlog(name, LOG_PID, LOG_DAEMON);
	return 1;
}

int ev_binary_start(int argc, char **argv, const char *name, const char *usage,
		    struct ev_jobenv *je, struct ev_config *cfg)
{
	struct ev_err err = { "" };
	const char *cfg_path;
	bool no_acct;

	if (!ev_binary_options(argc, argv, name, usage, &cfg_path, &no_acct))
		return 0;
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
	if (!ev_job_judged(&je->mode, &je->plugstack_mode, cfg)) {
		ev_config_free(cfg);
		return 0;
	}
	return 1;
}
