/* Placement consistency across the nodes of a job: every node of a job must
 * be in the same availability zone and placement group. Each node publishes
 * its facts as one line of text; this module writes, reads and compares
 * those lines. No Slurm here: slurmio/ moves the text. */
#ifndef EV_PLACEMENT_H
#define EV_PLACEMENT_H

#include <stdbool.h>
#include <stddef.h>

#include "ev_err.h"
#include "ev_imds.h"

#define EV_FACTS_PREFIX "efa-verify:"
#define EV_FACTS_MAX 384

struct ev_peer {
	char node[EV_NAME_MAX];
	bool known;                 /* published facts were found */
	char az[EV_NAME_MAX];
	char group[256];            /* "" = no placement group */
	char type[EV_NAME_MAX];
};

/* "efa-verify:az=us-east-1a pg=pg-train type=p5.48xlarge" ("pg=-" for none). */
int ev_facts_format(const struct ev_imds_info *m, char *out, size_t cap);

/* Parse a published line; false if text is not ours or malformed. */
bool ev_facts_parse(const char *text, struct ev_peer *out);

/* 0 if every known peer shares self's AZ and group; otherwise -EXDEV and a
 * one-line reason naming who is where. Unknown peers are not judged. */
int ev_placement_consistent(const struct ev_peer *self, const struct ev_peer *peers, size_t n,
			    char *reason, size_t cap);

#endif
