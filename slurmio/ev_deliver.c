#include "config.h"

#include "ev_deliver.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "ev_ctld.h"
#include "ev_dbd.h"
#include "record/ev_hostlist.h"
#include "ev_jobenv.h"
#include "ev_slurm_hosts.h"
#include "state/ev_pending.h"
#include "state/ev_spool.h"
#include "state/ev_state_lock.h"
#include "util/ev_time.h"

/* Rewrites after the set grew under a writer: each needs another node to
 * publish meanwhile, so a few are plenty. */
#define MAX_WRITES 8
/* Polls for a job's epilogs: the first soon (this node's epilog took about
 * as long as the others'), then backing off to one a second. Each poll is
 * one small RPC, so a 20 s wait costs about 25 whatever the job's size. */
#define POLL_FIRST_MS 100
#define POLL_MAX_MS 1000
/* How long a writer waits for accounting to have a job's end, polling:
 * slurmctld sends it within a second or two unless slurmdbd was away. */
#define END_WAIT_MS 10000
#define END_POLL_MS 250

/* Sleep *pause (at most until deadline), the next pause longer: false,
 * without sleeping, once deadline has passed. */
static bool nap(unsigned *pause, uint64_t deadline)
{
	uint64_t now = ev_mono_ms();

	if (now >= deadline)
		return false;
	ev_sleep_ms(*pause < deadline - now ? *pause : (unsigned)(deadline - now));
	*pause = *pause * 2 < POLL_MAX_MS ? *pause * 2 : POLL_MAX_MS;
	return true;
}

/* Accounting: opened on first need, and not tried again in this run once
 * it failed. */
static int need_db(struct ev_deliver_ctx *c, uint32_t jobid, struct ev_err *err)
{
	struct ev_err e = { "" };
	int rc;

	if (c->dbd_down)
		return ev_errf(err, -EAGAIN, "job %u: slurmdbd was not reachable earlier in this run", jobid);
	if (c->db || !(rc = ev_dbd_open(&c->db, &e)))
		return 0;
	c->dbd_down = true;
	return ev_errf(err, rc, "job %u: %s", jobid, e.msg);
}

/* The job's AdminComment in accounting once accounting has the job's end.
 * slurmctld sends a job's updates to slurmdbd in order (an admin's
 * `scontrol update AdminComment`, the job's end), each with the
 * AdminComment it has, which never holds our record: written before the
 * job's end has arrived, the record would be overwritten by it, and the
 * admin's text would be missing from what we merge with. Waits at most
 * END_WAIT_MS, once a run; after that the record waits (spooled, pending)
 * for a later run. */
static int ended_comment(struct ev_deliver_ctx *c, uint32_t jobid, char **cur, struct ev_err *err)
{
	uint64_t until = ev_mono_ms() + (c->dbd_lagging ? 0 : END_WAIT_MS);
	bool ended = false;
	int rc;

	for (;;) {
		rc = ev_dbd_get_comment(c->db, jobid, cur, &ended, err);
		if (rc == -EIO)
			c->dbd_down = true;
		if ((rc && rc != -ENOENT) || (!rc && ended))
			return rc;
		free(*cur);
		*cur = NULL;
		if (ev_mono_ms() >= until)
			break;
		ev_sleep_ms(END_POLL_MS);
	}
	c->dbd_lagging = true;
	return ev_errf(err, -EAGAIN, "slurmdbd does not have job %u%s yet (slurmctld has not sent it): "
			     "its record waits", jobid, rc ? "" : "'s end");
}

/* Write the record of these results unless the job already holds it or
 * one from more nodes, keeping the rest of its AdminComment. Always in
 * accounting (slurmdbd): slurmctld refuses to change a finished job's
 * AdminComment, and a job's epilogs run once it has finished. */
static int write_record(struct ev_deliver_ctx *c, uint32_t jobid, const struct ev_node_result *res, size_t n,
			unsigned total, struct ev_err *err)
{
	char record[EV_RECORD_MAX], *cur = NULL, *merged = NULL;
	struct ev_record old;
	size_t cap;
	int rc;

	if ((rc = ev_record_build(res, n, total, record, sizeof(record), err)))
		return rc;
	if ((rc = need_db(c, jobid, err)))
		return rc;
	if ((rc = ended_comment(c, jobid, &cur, err)))
		return rc;
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
	/* Equal text is not written again. */
	if (!rc && strcmp(merged, cur) != 0 && (rc = ev_dbd_set_comment(c->db, jobid, merged, err)) == -EIO)
		c->dbd_down = true;
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

		if ((rc = ev_ctld_gather(jobid, &res, &n, err))) {
			c->ctld_down = true;
			return rc;
		}
		for (size_t i = 0; i < n; i++)
			if (res[i].job_nodes > tot)
				tot = res[i].job_nodes;
		if (n == last || !n) {
			free(res);
			return n ? 0 : ev_errf(err, -ENODATA, "no node has published a result for job %u", jobid);
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

/* The job's nodes: as slurmd gave them to this epilog, else as slurmctld
 * has them (alloc, when the job is not completing), else as accounting has
 * them. None (*nn 0) when nobody knows them. */
static int job_names(struct ev_deliver_ctx *c, uint32_t jobid, const char *alloc, char ***names, size_t *nn,
		     struct ev_err *err)
{
	char *acct = NULL;
	const char *list = c->nodelist && *c->nodelist ? c->nodelist : alloc;
	int rc;

	*names = NULL;
	*nn = 0;
	if (!list) {
		/* Long gone from slurmctld (a spooled result, flush). */
		if ((rc = need_db(c, jobid, err)))
			return rc;
		if ((rc = ev_dbd_get_nodes(c->db, jobid, &acct, err))) {
			if (rc != -ENOENT)
				c->dbd_down = true;
			return rc == -ENOENT ? 0 : rc;
		}
		list = acct;
	}
	rc = ev_nodelist_expand(list, names, nn, err);
	free(acct);
	return rc;
}

/* names[i]'s result into res[i] (have[i]) unless it is this node's own,
 * which needs no reading. -ENOENT (nothing published) is not an error. */
static int read_node(struct ev_deliver_ctx *c, uint32_t jobid, const char *name, struct ev_node_result *res,
		     bool *have, struct ev_err *err)
{
	int rc;

	if (c->own && c->own->jobid == jobid && strcmp(name, c->own->node) == 0) {
		*res = *c->own;
		*have = true;
		return 0;
	}
	rc = ev_ctld_node_result(name, jobid, res, err);
	if (rc == 0)
		*have = true;
	else if (rc != -ENOENT)
		c->ctld_down = true;
	return rc == -ENOENT ? 0 : rc;
}

/* Each node of the job read once, from its own node record (one small RPC,
 * never the whole node table), and, while the job is completing, as soon as
 * slurmctld says that node's epilogs are over: the wait is on the job
 * record (one small RPC a poll, whatever the job's and the cluster's size;
 * see ev_ctld_job_end), so a node is read once it has published, not
 * polled until it does. Once no other node is completing, what is not
 * published will not be by this job's epilogs (it is spooled on its node,
 * which writes the record itself when it delivers it), and the record is
 * written at once. Without slurmctld's word (the job gone), the missing
 * nodes alone are read again, backing off, until wait_ms. */
int ev_deliver_complete(struct ev_deliver_ctx *c, uint32_t jobid, unsigned total, unsigned wait_ms,
			struct ev_err *err)
{
	uint64_t deadline = ev_mono_ms() + wait_ms;
	struct ev_node_result *res = NULL, *got = NULL;
	unsigned pause = POLL_FIRST_MS;
	size_t nn = 0, last = (size_t)-1;
	char **names = NULL, *cur = NULL;
	bool completing = false, in_ctld, settled = false, *have = NULL, *tried = NULL, *over = NULL;
	int rc = ev_ctld_job_end(jobid, &cur, &completing, err);

	if (rc && rc != -ENOENT) {
		c->ctld_down = true;
		return rc;
	}
	in_ctld = rc == 0;
	if ((rc = job_names(c, jobid, in_ctld && !completing ? cur : NULL, &names, &nn, err)))
		goto out;
	if (!nn) {
		rc = complete_whole_table(c, jobid, total, err);
		goto out;
	}
	if (!(res = calloc(nn, sizeof(*res))) || !(got = calloc(nn, sizeof(*got))) ||
	    !(have = calloc(nn, sizeof(*have))) || !(tried = calloc(nn, sizeof(*tried))) ||
	    !(over = calloc(nn, sizeof(*over)))) {
		rc = ev_errf(err, -ENOMEM, "out of memory");
		goto out;
	}
	/* Every epilog is over once slurmctld has let go of the job. */
	settled = !in_ctld ? false : !completing;
	while (in_ctld && completing) {
		size_t left = 0;

		if ((rc = ev_slurm_hostlist_not_in(cur, names, nn, over, err)))
			goto out;
		for (size_t i = 0; i < nn; i++) {
			bool own = c->own && strcmp(names[i], c->node) == 0;

			if (!over[i] && !own) {
				left++;
			} else if (!tried[i]) {
				tried[i] = true;
				if ((rc = read_node(c, jobid, names[i], &res[i], &have[i], err)))
					goto out;
			}
		}
		if (!left) {
			settled = true;
			break;
		}
		if (!nap(&pause, deadline))
			break;
		free(cur);
		cur = NULL;
		rc = ev_ctld_job_end(jobid, &cur, &completing, err);
		if (rc == -ENOENT || (!rc && !completing)) {
			rc = 0;
			settled = true;   /* let go of: every epilog is over */
			break;
		}
		if (rc) {
			c->ctld_down = true;
			goto out;
		}
	}
	pause = POLL_FIRST_MS;
	for (int writes = 0; writes < MAX_WRITES;) {
		unsigned tot = total;
		size_t n = 0;

		/* Not read yet, or read and missing. */
		for (size_t i = 0; i < nn; i++) {
			if (have[i])
				continue;
			if ((rc = read_node(c, jobid, names[i], &res[i], &have[i], err)))
				goto out;
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
		if (n < tot && !settled && nap(&pause, deadline))
			continue;
		if (!n) {
			rc = ev_errf(err, -ENODATA, "no node has published a result for job %u", jobid);
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
	free(over);
	free(tried);
	free(have);
	free(got);
	free(res);
	free(cur);
	ev_hostlist_free(names, nn);
	return rc;
}

int ev_deliver_result(struct ev_deliver_ctx *c, const struct ev_node_result *r, bool write, unsigned wait_ms,
		      struct ev_err *err)
{
	int fd, rc;

	if (c->ctld_down)
		return ev_errf(err, -EAGAIN, "slurmctld unreachable earlier in this run");
	if (strcmp(r->node, c->node) != 0 || !r->jobid)
		return ev_errf(err, -EINVAL, "a result of node '%.64s' is not this node's (%s)", r->node, c->node);
	/* Two epilogs of this node (shared node) must not interleave their
	 * read-merge-write of the node record. */
	if ((fd = ev_state_lock(c->state_dir, "publish", err)) < 0)
		return fd;
	rc = ev_ctld_publish(c->node, r, c->seal, err);
	close(fd);
	if (rc) {
		c->ctld_down = true;
		return rc;
	}
	if (c->late_ms && ev_mono_ms() - c->started_ms > c->late_ms)
		write = true;
	/* Published is delivered where the slurmctld host writes records. */
	if (write && !c->publish_only) {
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
		struct ev_err one = { "" };
		struct ev_node_result r;

		if (v[i].bad || ev_result_parse(v[i].line, &r, NULL) != 0 || r.jobid != v[i].jobid ||
		    strcmp(r.node, v[i].node) != 0 || strcmp(r.node, c->node) != 0) {
			/* Not something this node can ever deliver. */
			ev_spool_remove(c->state_dir, v[i].jobid, v[i].node, NULL);
			continue;
		}
		/* slurmctld away: the rest waits, as every result is published
		 * through it. slurmdbd away: each is still published (another
		 * writer may take it from there), its record waits; a job
		 * accounting does not know (yet) holds back only its own. */
		if (c->ctld_down) {
			(*left)++;
			continue;
		}
		/* Each delivery costs a write to slurmdbd and a read of each
		 * of the job's nodes: a prolog must not hold its job on
		 * thousands of them. */
		if (c->deadline_ms && ev_mono_ms() >= c->deadline_ms) {
			if (!rc)
				rc = ev_errf(err, -ETIMEDOUT, "time for delivery spent, the rest left spooled");
			(*left)++;
			continue;
		}
		if ((e = ev_deliver_result(c, &r, true, 0, &one)) == 0) {
			(*delivered)++;
		} else {
			(*left)++;
			/* The first failure is the one said. */
			if (!rc)
				*err = one;
			rc = rc ? rc : e;
		}
	}
	free(v);
	return rc;
}

int ev_deliver_pending(struct ev_deliver_ctx *c, size_t *delivered, size_t *left, struct ev_err *err)
{
	uint32_t *ids = NULL;
	size_t n = 0;
	int rc, e;

	*delivered = *left = 0;
	if ((rc = ev_pending_list(c->state_dir, &ids, &n, err)))
		return rc;
	for (size_t i = 0; i < n; i++) {
		struct ev_err one = { "" };

		if (c->ctld_down || c->dbd_down) {
			(*left)++;
			continue;
		}
		e = ev_deliver_complete(c, ids[i], 0, 0, &one);
		/* No node holds a result any more (evicted from busy nodes'
		 * records, or never published): nothing will ever be written. */
		if (e == 0 || e == -ENODATA) {
			ev_pending_remove(c->state_dir, ids[i], NULL);
			if (e == 0)
				(*delivered)++;
			continue;
		}
		(*left)++;
		if (!rc)
			*err = one;
		rc = rc ? rc : e;
	}
	free(ids);
	return rc;
}

void ev_deliver_done(struct ev_deliver_ctx *c)
{
	ev_dbd_close(&c->db);
}
