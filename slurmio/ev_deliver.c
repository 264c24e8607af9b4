#include "config.h"

#include "ev_deliver.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "ev_acct.h"
#include "ev_state.h"

/* Rewrites after the set grew under a writer: each needs another node to
 * publish meanwhile, so a few are plenty. */
#define MAX_WRITES 8
/* Polls for a job's epilogs: the first soon (this node's epilog took about
 * as long as the others'), then backing off to one a second. Each poll is
 * one small RPC, so a 20 s wait costs about 25 whatever the job's size. */
#define POLL_FIRST_MS 100
#define POLL_MAX_MS 1000

static uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static void sleep_ms(unsigned ms)
{
	struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000L };

	while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
		;
}

/* Write the record of these results unless the job already holds it or
 * one from more nodes. While slurmctld still has the job, its AdminComment
 * is the current one (an admin's `scontrol update` may not have reached
 * slurmdbd yet, and slurmctld pushes its copy there again): the record goes
 * there first, then to slurmdbd so sacct shows it at once. Once slurmctld
 * is done with the job, slurmdbd alone. */
static int write_record(struct ev_deliver_ctx *c, uint32_t jobid, const struct ev_node_result *res, size_t n,
			unsigned total, struct ev_err *err)
{
	char record[EV_RECORD_MAX], *cur = NULL, *merged = NULL;
	struct ev_record old;
	bool in_ctld;
	size_t cap;
	int rc;

	if ((rc = ev_record_build(res, n, total, record, sizeof(record), err)))
		return rc;
	rc = ev_acct_ctld_get_comment(jobid, &cur, err);
	in_ctld = rc == 0;
	if (rc && rc != -ENOENT) {
		c->slurm_down = true;
		return rc;
	}
	if (!c->db && (rc = ev_acct_db_open(&c->db, err))) {
		free(cur);
		c->slurm_down = true;
		return rc;
	}
	if (!in_ctld && (rc = ev_acct_get_comment(c->db, jobid, &cur, err))) {
		if (rc != -ENOENT)
			c->slurm_down = true;
		return rc;
	}
	if (ev_record_parse(cur, &old, NULL) == 0 && old.reported > n) {
		/* Someone saw more nodes than we do now (our view may miss
		 * results already evicted from busy nodes' records). */
		ev_record_free(&old);
		snprintf(c->record, sizeof(c->record), "%s", cur);
		free(cur);
		return 0;
	}
	ev_record_free(&old);
	cap = strlen(cur) + sizeof(record) + 2;
	if (!(merged = malloc(cap))) {
		free(cur);
		return ev_errf(err, -ENOMEM, "out of memory");
	}
	rc = ev_record_merge(cur, record, merged, cap, err);
	if (!rc && in_ctld && strcmp(merged, cur) != 0 && (rc = ev_acct_ctld_set_comment(jobid, merged, err))) {
		if (rc == -ENOENT)
			rc = 0;   /* finished meanwhile: accounting below is the place */
		else
			c->slurm_down = true;
	}
	/* Accounting too: at once for sacct, and the only place once
	 * slurmctld is done. Equal text is not written again. With the job
	 * still in slurmctld, its copy is the one that stands (it pushes it
	 * to slurmdbd itself), so a failure here is not fatal. */
	if (!rc && in_ctld) {
		char *acct = NULL;

		if (ev_acct_get_comment(c->db, jobid, &acct, NULL) == 0 && strcmp(acct, merged) != 0)
			ev_acct_set_comment(c->db, jobid, merged, NULL);
		free(acct);
	} else if (!rc && strcmp(merged, cur) != 0 && (rc = ev_acct_set_comment(c->db, jobid, merged, err)) &&
		   rc != -ENOENT) {
		c->slurm_down = true;
	}
	if (!rc)
		snprintf(c->record, sizeof(c->record), "%s", record);
	free(merged);
	free(cur);
	return rc;
}

/* The whole node table, read once: only for a job whose node list nobody
 * knows any more (neither slurmctld, the epilog's environment nor
 * accounting). Never polled: its reply grows with the cluster. */
static int complete_whole_table(struct ev_deliver_ctx *c, uint32_t jobid, unsigned total, struct ev_err *err)
{
	size_t last = (size_t)-1;

	for (int writes = 0; writes < MAX_WRITES;) {
		struct ev_node_result *res = NULL;
		unsigned tot = total;
		size_t n = 0;
		int rc;

		if ((rc = ev_acct_gather(jobid, &res, &n, err))) {
			c->slurm_down = true;
			return rc;
		}
		for (size_t i = 0; i < n; i++)
			if (res[i].job_nodes > tot)
				tot = res[i].job_nodes;
		if (n == last || !n) {
			free(res);
			return n ? 0 : ev_errf(err, -ENOENT, "no node has published a result for job %u", jobid);
		}
		rc = write_record(c, jobid, res, n, tot, err);
		free(res);
		if (rc)
			return rc;
		last = n;
		writes++;
	}
	return 0;
}

/* The job's nodes (*names, *nn; none when nobody knows them) and, with
 * wait, the wait for their epilogs: on the job itself, one small RPC a
 * poll, until slurmctld says no node but this one is still completing
 * (ev_acct_job_end), or until deadline. *settled: the other nodes' epilogs
 * are over, so what they have not published by now they will not (it is
 * spooled on them, and a late writer brings it). Polling the job rather
 * than the nodes keeps each poll's reply the same size whatever the job's
 * and the cluster's size; the nodes are then each read once. */
static int job_nodes_wait(struct ev_deliver_ctx *c, uint32_t jobid, uint64_t deadline, bool wait, char ***names,
			  size_t *nn, bool *settled, struct ev_err *err)
{
	unsigned completing = 0, pause = POLL_FIRST_MS;
	char *list = NULL, *more;
	int rc = ev_acct_job_end(jobid, &list, &completing, err);

	*names = NULL;
	*nn = 0;
	*settled = false;
	if (rc && rc != -ENOENT) {
		c->slurm_down = true;
		return rc;
	}
	if (!rc) {
		/* This node's own epilog is one of those completing. */
		while (wait && completing > 1 && now_ms() < deadline) {
			uint64_t left = deadline - now_ms();

			sleep_ms(pause < left ? pause : (unsigned)left);
			pause = pause * 2 < POLL_MAX_MS ? pause * 2 : POLL_MAX_MS;
			rc = ev_acct_job_end(jobid, &more, &completing, err);
			if (rc == -ENOENT) {
				completing = 0;   /* gone: every epilog is over */
				break;
			}
			if (rc) {
				free(list);
				c->slurm_down = true;
				return rc;
			}
			if (more) {
				free(list);
				list = more;
			}
		}
		*settled = completing <= 1;
	}
	if (!list && c->nodelist && *c->nodelist && !(list = strdup(c->nodelist)))
		return ev_errf(err, -ENOMEM, "out of memory");
	if (!list) {
		/* Long gone from slurmctld (a spooled result, flush): accounting. */
		if (!c->db && (rc = ev_acct_db_open(&c->db, err))) {
			c->slurm_down = true;
			return rc;
		}
		if ((rc = ev_acct_get_nodes(c->db, jobid, &list, err))) {
			if (rc != -ENOENT)
				c->slurm_down = true;
			return rc == -ENOENT ? 0 : rc;
		}
	}
	rc = ev_acct_hostlist(list, names, nn, err);
	free(list);
	return rc;
}

/* Each of the job's nodes' results read from its own node record, once;
 * only nodes still missing are read again. The node that writes may hold
 * its own result already (c->own): it is not read back. */
int ev_deliver_complete(struct ev_deliver_ctx *c, uint32_t jobid, unsigned total, unsigned wait_ms,
			struct ev_err *err)
{
	uint64_t deadline = now_ms() + wait_ms;
	struct ev_node_result *res = NULL, *got = NULL;
	unsigned pause = POLL_FIRST_MS;
	size_t nn = 0, last = (size_t)-1;
	char **names = NULL;
	bool settled, *have = NULL;
	int rc;

	if ((rc = job_nodes_wait(c, jobid, deadline, wait_ms > 0, &names, &nn, &settled, err)))
		return rc;
	if (!nn)
		return complete_whole_table(c, jobid, total, err);
	if (!(res = calloc(nn, sizeof(*res))) || !(got = calloc(nn, sizeof(*got))) ||
	    !(have = calloc(nn, sizeof(*have)))) {
		rc = ev_errf(err, -ENOMEM, "out of memory");
		goto out;
	}
	for (int writes = 0; writes < MAX_WRITES;) {
		unsigned tot = total;
		size_t n = 0;

		for (size_t i = 0; i < nn; i++) {
			if (have[i])
				continue;
			if (c->own && c->own->jobid == jobid && strcmp(names[i], c->own->node) == 0) {
				res[i] = *c->own;
				have[i] = true;
			} else if ((rc = ev_acct_node_result(names[i], jobid, &res[i], err)) == 0) {
				have[i] = true;
			} else if (rc != -ENOENT) {
				c->slurm_down = true;
				goto out;
			}
		}
		for (size_t i = 0; i < nn; i++) {
			if (!have[i])
				continue;
			got[n++] = res[i];
			if (res[i].job_nodes > tot)
				tot = res[i].job_nodes;
		}
		if (n == last)
			break;   /* unchanged since our write: it stands */
		if (n < tot && !settled && now_ms() < deadline) {
			uint64_t left = deadline - now_ms();

			sleep_ms(pause < left ? pause : (unsigned)left);
			pause = pause * 2 < POLL_MAX_MS ? pause * 2 : POLL_MAX_MS;
			continue;
		}
		if (!n) {
			rc = ev_errf(err, -ENOENT, "no node has published a result for job %u", jobid);
			goto out;
		}
		if ((rc = write_record(c, jobid, got, n, tot, err)))
			goto out;
		last = n;
		writes++;
		if (n == nn)
			break;   /* every node of the job is in: the set cannot grow */
	}
	rc = 0;
out:
	free(have);
	free(got);
	free(res);
	ev_hostlist_free(names, nn);
	return rc;
}

int ev_deliver_result(struct ev_deliver_ctx *c, const struct ev_node_result *r, bool write, unsigned wait_ms,
		      struct ev_err *err)
{
	int fd, rc;

	if (c->slurm_down)
		return ev_errf(err, -EAGAIN, "Slurm unreachable earlier in this run");
	if (strcmp(r->node, c->node) != 0 || !r->jobid)
		return ev_errf(err, -EINVAL, "a result of node '%.64s' is not this node's (%s)", r->node, c->node);
	/* Two epilogs of this node (shared node) must not interleave their
	 * read-merge-write of the node record. */
	if ((fd = ev_state_lock(c->state_dir, "publish", err)) < 0)
		return fd;
	rc = ev_acct_publish(c->node, r, err);
	close(fd);
	if (rc) {
		c->slurm_down = true;
		return rc;
	}
	if (c->late_ms && now_ms() - c->started_ms > c->late_ms)
		write = true;
	if (write) {
		/* Its own result is not read back (ev_result_parse of the
		 * published line gives r exactly). */
		c->own = r;
		rc = ev_deliver_complete(c, r->jobid, r->job_nodes, wait_ms, err);
		c->own = NULL;
		if (rc)
			return rc;
	}
	return ev_spool_remove(c->state_dir, r->jobid, c->node, err);
}

int ev_deliver_spool(struct ev_deliver_ctx *c, size_t *delivered, size_t *left, struct ev_err *err)
{
	struct ev_spool_entry *v = NULL;
	bool truncated = false;
	size_t n = 0;
	int rc, e;

	*delivered = *left = 0;
	if ((rc = ev_spool_list(c->state_dir, &v, &n, &truncated, err)))
		return rc;
	for (size_t i = 0; i < n; i++) {
		struct ev_node_result r;

		if (v[i].bad || ev_result_parse(v[i].line, &r, NULL) != 0 || r.jobid != v[i].jobid ||
		    strcmp(r.node, v[i].node) != 0 || strcmp(r.node, c->node) != 0) {
			/* Not something this node can ever deliver. */
			ev_spool_remove(c->state_dir, v[i].jobid, v[i].node, NULL);
			continue;
		}
		/* Slurm away: the rest waits. A job accounting does not know
		 * (yet) only holds back its own result. */
		if (c->slurm_down) {
			(*left)++;
			continue;
		}
		if ((e = ev_deliver_result(c, &r, true, 0, err)) == 0) {
			(*delivered)++;
		} else {
			(*left)++;
			rc = rc ? rc : e;
		}
	}
	free(v);
	return rc;
}

void ev_deliver_done(struct ev_deliver_ctx *c)
{
	ev_acct_db_close(&c->db);
}
