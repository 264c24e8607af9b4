#include "config.h"

#include "ev_deliver.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "ev_acct.h"
#include "ev_spool.h"
#include "ev_state_lock.h"

/* Rewrites after the set grew under a writer: each needs another node to
 * publish meanwhile, so a few are plenty. */
#define MAX_WRITES 8

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

int ev_deliver_complete(struct ev_deliver_ctx *c, uint32_t jobid, unsigned total, unsigned wait_ms,
			struct ev_err *err)
{
	uint64_t deadline = now_ms() + wait_ms;
	unsigned pause = 50;
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
		if (n == last) {
			/* Unchanged since our write: it stands. */
			free(res);
			return 0;
		}
		if (n < tot && now_ms() < deadline) {
			free(res);
			sleep_ms(pause);
			pause = pause < 800 ? pause * 2 : 1000;
			continue;
		}
		if (!n) {
			free(res);
			return ev_errf(err, -ENOENT, "no node has published a result for job %u", jobid);
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
	if (write && (rc = ev_deliver_complete(c, r->jobid, r->job_nodes, wait_ms, err)))
		return rc;
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
