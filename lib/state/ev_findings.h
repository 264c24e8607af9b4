/* What a job's steps found on this node that says why its traffic may not
 * use EFA (the causes in text, judge/ev_cause.h's form), and which steps
 * ran in a container (record/ev_containers.h's lines), kept for the job's
 * epilog: slurmstepd's side of the plugin adds a line per step that found
 * something, the epilog takes them all. Written by root under
 * state_dir, named by the job id of the step's credential only. */
#ifndef EV_FINDINGS_H
#define EV_FINDINGS_H

#include <stddef.h>
#include <stdint.h>

#include "util/ev_err.h"

/* One line of findings, and all a job keeps: a job of thousands of steps
 * says the same few things, so later lines past the cap are dropped. */
#define EV_FINDINGS_LINE_MAX 512
#define EV_FINDINGS_MAX 4096

/* Append line (control characters become '_', cut to fit) unless the job's
 * findings already hold it or are full. Steps of a job run at once: each
 * line is one write to a file opened for appending, whole or not at all. */
int ev_findings_add(const char *state_dir, uint32_t jobid, const char *line, struct ev_err *err);
/* The same, but only while the findings stay within room bytes (at most
 * EV_FINDINGS_MAX): lines of a kind that could be many keep the rest for
 * the others. */
int ev_findings_add_within(const char *state_dir, uint32_t jobid, const char *line, size_t room,
			   struct ev_err *err);
/* The job's findings, one per line, into out (NUL-terminated; "" when
 * none); the file is removed. 1 if there were any, 0 if none, else a
 * negative errno. */
int ev_findings_take(const char *state_dir, uint32_t jobid, char *out, size_t cap, struct ev_err *err);

#endif
