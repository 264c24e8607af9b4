/* Which steps of a job ran in a container, and which image or bundle: a
 * bounded set of (image, steps) that the node result, the job's record and
 * the job log carry.
 *
 * slurmstepd's side of the plugin adds one line to the job's findings
 * (state/ev_findings.h) per step whose tasks ran in a container,
 * "container STEP IMAGE" (ev_containers_finding); the epilog takes those
 * lines into the node's set, the record's writer unites the nodes' sets.
 *
 * A set lists at most EV_CONTAINERS_IMAGES images, in byte order of their
 * labels, each with at most EV_CONTAINERS_STEPS steps (names, "batch"
 * "extern" "interactive", first, then step numbers in numeric order); what
 * is left out is counted: the counts are lower bounds ("at least N more"),
 * exact where one node saw every step. A set is a function of the SET of
 * what it was made from: the same lines or node sets in any order, or
 * twice, give the same set, so the record stays a function of the set of
 * node results.
 *
 * Text, as the record and the node result line hold it (containers=):
 * "IMAGE(STEP+STEP[+N_more]);IMAGE(STEP);...[;+N_more]", IMAGE the label
 * %XX-encoded outside [A-Za-z0-9_.:/+@-] (ev_value_encode), so it holds no
 * space, '=', ',', ';', '(', ')', '{' or '}'; STEP [a-z0-9]+. No ',': a
 * plain node comment carries a result line with ',' for ' '. */
#ifndef EV_CONTAINERS_H
#define EV_CONTAINERS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util/ev_err.h"
#include "state/ev_findings.h"

/* A label is printable ASCII, 1 to 128 bytes: an image reference or a
 * bundle's path is shown to people, and a record has no room for more. */
#define EV_CONTAINERS_LABEL_MAX 129
/* A step: a number (uint32) or "batch", "extern", "interactive". */
#define EV_CONTAINERS_STEP_MAX 16
#define EV_CONTAINERS_IMAGES 4
#define EV_CONTAINERS_STEPS 8
/* A findings line of the longest label, every byte of it encoded. */
#define EV_CONTAINERS_FINDING_MAX (sizeof("container ") + EV_CONTAINERS_STEP_MAX + 3 * EV_CONTAINERS_LABEL_MAX)
/* Container lines may fill a job's findings up to this, so the causes'
 * lines always have the rest: a job of thousands of steps in a container
 * would otherwise fill the file before a later step's cause is written.
 * The counts past it are lower bounds, as the set's are anyway. */
#define EV_CONTAINERS_FINDINGS_ROOM (EV_FINDINGS_MAX / 2)
/* The least room ev_containers_format needs: "+4294967295_more" and its NUL. */
#define EV_CONTAINERS_TEXT_MIN 17

struct ev_containers_image {
	char label[EV_CONTAINERS_LABEL_MAX];   /* decoded: printable ASCII */
	char step[EV_CONTAINERS_STEPS][EV_CONTAINERS_STEP_MAX];
	uint32_t n_steps;                      /* at least 1 */
	uint32_t more_steps;                   /* at least this many other steps ran it */
};

struct ev_containers {
	struct ev_containers_image image[EV_CONTAINERS_IMAGES];
	uint32_t n;
	uint32_t more;                         /* at least this many other images */
};

/* The findings line for one step, "container STEP IMAGE", into out:
 * step a step token ([a-z0-9]+, at most EV_CONTAINERS_STEP_MAX-1 bytes, a
 * number without leading zeros), image_label the image reference or
 * bundle path as the step named it. The label's bytes outside printable
 * ASCII become '?', a label longer than 128 bytes keeps its last 125
 * after "..." (an image's name and tag, a path's file, are at its end),
 * and it is encoded. -EINVAL for a bad step or an empty label,
 * -ENAMETOOLONG if cap is too small (EV_CONTAINERS_FINDING_MAX always
 * does). Pair with ev_findings_add_within(..., EV_CONTAINERS_FINDINGS_ROOM, ...). */
int ev_containers_finding(const char *step, const char *image_label, char *out, size_t cap);
/* Whether a findings line is a container line (else it is causes). */
bool ev_containers_is_finding(const char *line);
/* Strict inverse of ev_containers_finding: one (image, step) into one. */
int ev_containers_finding_parse(const char *line, struct ev_containers *one, struct ev_err *err);

/* The union of sets[0..n) into out, within the bounds: the first images
 * and steps in the set's order, the rest counted. -ENOMEM. */
int ev_containers_union(const struct ev_containers *const *sets, size_t n, struct ev_containers *out,
			struct ev_err *err);

/* Valid: within bounds, labels and steps well formed, in order, unique. */
bool ev_containers_valid(const struct ev_containers *c);
/* An order on sets (0: equal), for sorting what holds them. */
int ev_containers_cmp(const struct ev_containers *a, const struct ev_containers *b);

/* The text of c in at most cap-1 bytes ("" for an empty set): each image
 * whole or left out and counted in the last "+N_more", so what does not
 * fit is still said to exist; the same choice for the same set and cap,
 * and parse then format gives the same text again. -EINVAL for a set that
 * is not valid, -ENAMETOOLONG if cap < EV_CONTAINERS_TEXT_MIN. */
int ev_containers_format(const struct ev_containers *c, char *out, size_t cap);
/* Strict: only what ev_containers_format writes; never "". */
int ev_containers_parse(const char *s, struct ev_containers *c, struct ev_err *err);

#endif
