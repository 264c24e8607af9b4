/* Placement consistency across the nodes of a job: every node of a job must
 * be in the same availability zone and placement group. Each node publishes
 * its facts as one line of text; this module writes, reads and compares
 * those lines. No Slurm here: slurmio/ moves the text.
 *
 * A fact says when it was written and in which boot: a node record outlives
 * the instance behind it (a replaced or stopped-and-started instance keeps
 * its Slurm name and may land in another zone or group), so a fact written
 * before the node's last boot, or older than EV_PLACEMENT_FACTS_MAX_AGE, is not
 * judged; the step says so instead. */
#ifndef EV_PLACEMENT_H
#define EV_PLACEMENT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "node/ev_boot_id.h"
#include "util/ev_err.h"
#include "aws/ev_imds.h"

#define EV_PLACEMENT_FACTS_PREFIX "efa-verify:"
#define EV_PLACEMENT_FACTS_MAX 512

/* A fact older than this is not judged. An instance's zone and group cannot
 * change while it runs (a new placement needs a stop, which is a new boot),
 * so the bound is not about the facts going wrong within a boot: it covers
 * a node whose boot time slurmctld does not know, and clocks. An enforce
 * step refreshes its own node's fact once it is half this old, so nodes
 * that run enforce steps at least twice a day never go stale. */
#define EV_PLACEMENT_FACTS_MAX_AGE (24 * 3600)
/* How far a writer's clock may run ahead of the reader's before its fact
 * counts as "from the future" (EC2 clocks are synchronised to well under a
 * second; this only has to catch a wrong clock). */
#define EV_PLACEMENT_FACTS_MAX_SKEW 300

struct ev_peer {
	char node[EV_NAME_MAX];
	bool known;                 /* published facts were found */
	char az[EV_NAME_MAX];
	char group[256];            /* "" = no placement group */
	char type[EV_NAME_MAX];
	char boot_id[EV_BOOT_ID_MAX]; /* writer's boot; "" = not said (older efa-verify) */
	int64_t written;            /* when, Unix seconds; 0 = not said */
	int64_t node_boot;          /* the node's last boot as slurmctld knows it; 0 = unknown */
};

/* "efa-verify:az=us-east-1a pg=pg-train type=p5.48xlarge boot=<boot id> at=<Unix time>"
 * ("pg=-" for none). -EINVAL if boot_id is not a kernel boot id or a value
 * would not survive the space-separated line; -ENAMETOOLONG if out is short. */
int ev_placement_facts_format(const struct ev_imds_info *m, const char *boot_id, int64_t now, char *out,
		    size_t cap);

/* Parse a published line; false if text is not ours or malformed. A line
 * without boot= and at= (written by an older efa-verify) parses, with
 * boot_id "" and written 0: ev_placement_facts_fresh refuses it. */
bool ev_placement_facts_parse(const char *text, struct ev_peer *out);

/* May p's fact be judged at now? 0, or -ESTALE with why = "fact is from
 * ..." (from before the node's last boot, older than max_age, ahead of the
 * reader's clock, or without boot id and time). */
int ev_placement_facts_fresh(const struct ev_peer *p, int64_t now, int64_t max_age, char *why, size_t cap);

/* Should a node whose record holds `published` (NULL or "" = nothing)
 * write `fresh`, its facts as ev_placement_facts_format made them just now? Never
 * over text that is not ours (an admin's Extra); otherwise when anything
 * differs but the time, when the published fact is from another boot of
 * this node, or once it is half of max_age old: one write per boot and per
 * half-bound, not one per step. */
bool ev_placement_facts_should_publish(const char *published, const char *fresh, int64_t max_age);

/* Peers whose facts may not be judged at now (ev_placement_facts_fresh) become
 * unknown. Returns how many; why says it for the first, as
 * "placement of n3 not verified: fact is from ...". */
size_t ev_placement_drop_stale(struct ev_peer *peers, size_t n, int64_t now, int64_t max_age,
			       char *why, size_t cap);

/* 0 if every known peer shares self's AZ and group; otherwise -EXDEV and a
 * one-line reason naming who is where. Unknown peers are not judged. */
int ev_placement_consistent(const struct ev_peer *self, const struct ev_peer *peers, size_t n,
			    char *reason, size_t cap);

#endif
