/* node_exporter textfile metrics, one file per job and node,
 * prometheus_textfile_dir/efa_verify_job_<jobid>_<node>.prom, written
 * atomically (tmp + rename; the tmp name does not end in .prom, so the
 * collector never reads a half-written file). One file per job keeps
 * concurrent epilogs of different jobs from rewriting each other's
 * metrics; ev_prom_prune bounds how many stay. Every file carries the same
 * HELP and TYPE lines, which node_exporter needs to merge a metric family
 * across files.
 *
 * Prometheus's conventions: base units (bytes, seconds), a counter's name
 * ends in _total, a series that only carries labels is NAME_info 1. Every
 * series has jobid (the Slurm job id; Prometheus keeps job for the scrape)
 * and node; user, account and partition are on efa_verify_job_info alone.
 * Other labels hold small vocabularies (verdict, the reason's name, cause,
 * certainty, source, device): numbers are sample values, never label
 * values. efa-verify-epilog(8) lists every metric. */
#ifndef EV_PROM_H
#define EV_PROM_H

#include <stddef.h>

#include "record/ev_joblog.h"
#include "util/ev_err.h"

#define EV_PROM_KEEP 64   /* job files a node keeps by default */

/* The textfile content (caller frees); NULL if out of memory. */
char *ev_prom_format(const struct ev_joblog_entry *e, size_t *len);
/* Write dir/efa_verify_job_<jobid>_<node>.prom (0644: node_exporter seldom
 * runs as root). dir is created 0755 if absent, never through a symlink,
 * and must be the effective user's and not writable by others unless
 * sticky (-ELOOP, -EPERM). The file is always a new one (tmp + rename in
 * that directory): a symlink, hard link or FIFO at its name is replaced,
 * never written through. node must be a plain host name. */
int ev_prom_write(const char *dir, const struct ev_joblog_entry *e, struct ev_err *err);
/* Remove all but the newest keep efa_verify_job_*.prom files of dir (by
 * mtime, then name); only regular files with our names are touched, and
 * only in a directory ev_prom_write would write into. */
int ev_prom_prune(const char *dir, size_t keep, struct ev_err *err);
/* The temporaries of ev_prom_write a killed writer left in dir (ours by
 * name, ev_file_sweep_tmp), never another exporter's files. */
int ev_prom_sweep_tmp(const char *dir, size_t *removed, struct ev_err *err);

/* A label value into out: printable ASCII only (any other byte, a
 * newline or UTF-8 too, becomes '_'), \\ and \" escaped per the
 * exposition format, cut at cap-1 without splitting an escape; NULL is "".
 * Returns the length. */
size_t ev_prom_escape(const char *s, char *out, size_t cap);
/* What a label value of the job's user, account or partition holds at
 * most, escaped, with its NUL: bounded whatever slurmd passed on. */
#define EV_PROM_VALUE_MAX 129

#endif
