/* The binaries' side of ev_slurmio.h: finding and loading the module, and
 * a stand-in for each of its functions.
 *
 * Where the module is looked for. Never anywhere the environment names:
 * the prolog and epilog run as root, from slurmd. In order:
 *  1. EV_SLURMIO_MODULE, compiled in by configure: PKGLIBDIR/slurmio.so,
 *     where `make install` and the packages put it;
 *  2. the module built beside the binary, compiled in as EV_SLURMIO_BUILT
 *     (the build tree's slurmio/.libs/slurmio.so), so the build tree's
 *     tests (make check, distcheck, the cluster tests, which run copies of
 *     the binaries as slurmd's root) work before any install. Taken only
 *     when that file and every directory above it can be written by no one
 *     but root and this process's own user: then whoever could have put it
 *     there could as well have changed the installed module or the binary
 *     itself, so an installed binary run as root trusts nothing more than
 *     it did (and a build tree someone else can write is never used).
 * A module of another build (version or table size) is refused, never
 * called. */
#include "config.h"

#include "ev_slurmio.h"

#include <dlfcn.h>
#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ev_slurm_hosts.h"

static const struct ev_slurmio_ops *ops;
static char why[1024];
static pthread_once_t once = PTHREAD_ONCE_INIT;

/* path's real name into real, if it and every directory above it are
 * owned by root or by us and writable by no group or others. A directory
 * others may write is let through only with the sticky bit (/tmp, where a
 * build tree may well live): there, others cannot rename or remove the
 * entry below it, which this walk has found to be root's or ours. */
static bool trusted(const char *path, char *real)
{
	char dir[PATH_MAX], *slash;
	uid_t me = geteuid();
	struct stat st;
	bool file = true;

	if (!realpath(path, real))
		return false;
	snprintf(dir, sizeof(dir), "%s", real);
	for (;; file = false) {
		if (stat(dir, &st) != 0 || (st.st_uid != 0 && st.st_uid != me))
			return false;
		if ((st.st_mode & (S_IWGRP | S_IWOTH)) &&
		    (file || !S_ISDIR(st.st_mode) || !(st.st_mode & S_ISVTX)))
			return false;
		if (strcmp(dir, "/") == 0)
			return true;
		slash = strrchr(dir, '/');
		slash[slash == dir] = '\0';
	}
}

/* 0 with ops set, or why[] (from off on) says what went wrong. */
static int try_load(const char *path, size_t off)
{
	const struct ev_slurmio_ops *o;
	void *h;

	/* RTLD_GLOBAL: libslurm's own plugins (auth, accounting) take
	 * libslurm's symbols from the global scope. The module itself
	 * exports nothing but its table. */
	if (!(h = dlopen(path, RTLD_NOW | RTLD_GLOBAL))) {
		snprintf(why + off, sizeof(why) - off, "%s", dlerror());
		return -1;
	}
	o = dlsym(h, EV_SLURMIO_SYMBOL);
	if (!o || o->size != sizeof(*o) || !o->version || strcmp(o->version, PACKAGE_VERSION) != 0) {
		snprintf(why + off, sizeof(why) - off, "%s: not the Slurm module of efa-verify %s", path,
			 PACKAGE_VERSION);
		dlclose(h);
		return -1;
	}
	ops = o;
	return 0;
}

static void load(void)
{
	char real[PATH_MAX];
	size_t off;

	snprintf(why, sizeof(why), "efa-verify's Slurm module cannot be loaded, Slurm is not reached: ");
	off = strlen(why);
	if (access(EV_SLURMIO_MODULE, F_OK) == 0) {
		if (try_load(EV_SLURMIO_MODULE, off) == 0)
			return;
		off = strlen(why);
		snprintf(why + off, sizeof(why) - off, "; ");
		off = strlen(why);
	}
	if (access(EV_SLURMIO_BUILT, F_OK) != 0) {
		if (strlen(why) == off)
			snprintf(why + off, sizeof(why) - off, "%s: %s", EV_SLURMIO_MODULE, strerror(ENOENT));
	} else if (!trusted(EV_SLURMIO_BUILT, real)) {
		snprintf(why + off, sizeof(why) - off,
			 "%s: not used (it, or a directory above it, can be written by others than root and uid %u)",
			 EV_SLURMIO_BUILT, (unsigned)geteuid());
	} else {
		try_load(real, off);
	}
}

/* The table, loaded on the first call (once per process). NULL, with err
 * saying which file could not be loaded and why: the stand-ins then fail
 * with -ELIBACC, which their callers take as Slurm not reached (results
 * stay spooled). */
static const struct ev_slurmio_ops *ev_slurmio(struct ev_err *err)
{
	pthread_once(&once, load);
	if (!ops)
		ev_errf(err, -ELIBACC, "%s", why);
	return ops;
}

/* ---------------------------------------------------------------- stand-ins */

#define CALL(fn, ...)                                                       \
	do {                                                                \
		const struct ev_slurmio_ops *o_ = ev_slurmio(err);          \
		return o_ ? o_->fn(__VA_ARGS__) : -ELIBACC;                 \
	} while (0)

int ev_slurm_ready(struct ev_err *err)
{
	CALL(slurm_ready, err);
}

int ev_ctld_publish(const char *node, const struct ev_node_result *r, bool sealed, struct ev_err *err)
{
	CALL(ctld_publish, node, r, sealed, err);
}

int ev_ctld_gather(uint32_t jobid, struct ev_node_result **out, size_t *n, struct ev_err *err)
{
	*out = NULL;
	*n = 0;
	CALL(ctld_gather, jobid, out, n, err);
}

int ev_ctld_node_result(const char *node, uint32_t jobid, struct ev_node_result *r, struct ev_err *err)
{
	CALL(ctld_node_result, node, jobid, r, err);
}

int ev_ctld_job_end(uint32_t jobid, char **nodes, bool *completing, struct ev_err *err)
{
	*nodes = NULL;
	*completing = false;
	CALL(ctld_job_end, jobid, nodes, completing, err);
}

int ev_ctld_job_on_node(uint32_t jobid, const char *node, bool *on, struct ev_err *err)
{
	*on = true;
	CALL(ctld_job_on_node, jobid, node, on, err);
}

int ev_slurm_hostlist_not_in(const char *list, char *const *names, size_t n, bool *out, struct ev_err *err)
{
	CALL(hostlist_not_in, list, names, n, out, err);
}

int ev_dbd_get_nodes(struct ev_dbd *db, uint32_t jobid, char **out, struct ev_err *err)
{
	*out = NULL;
	CALL(dbd_get_nodes, db, jobid, out, err);
}

int ev_job_live_get(uint32_t jobid, struct ev_job_live *out, struct ev_err *err)
{
	memset(out, 0, sizeof(*out));
	CALL(job_live_get, jobid, out, err);
}

void ev_job_live_free(struct ev_job_live *j)
{
	/* Nothing to free where the module never loaded (get zeroed it). */
	if (ops)
		ops->job_live_free(j);
}

int ev_dbd_open(struct ev_dbd **db, struct ev_err *err)
{
	*db = NULL;
	CALL(dbd_open, db, err);
}

void ev_dbd_close(struct ev_dbd **db)
{
	if (*db && ops)
		ops->dbd_close(db);
}

int ev_dbd_get_comment(struct ev_dbd *db, uint32_t jobid, char **out, bool *ended, struct ev_err *err)
{
	*out = NULL;
	*ended = false;
	CALL(dbd_get_comment, db, jobid, out, ended, err);
}

int ev_dbd_set_comment(struct ev_dbd *db, uint32_t jobid, const char *text, struct ev_err *err)
{
	CALL(dbd_set_comment, db, jobid, text, err);
}

int ev_dbd_jobs_each(struct ev_dbd *db, const struct ev_dbd_jobs_query *q, ev_dbd_job_fn fn, void *arg,
		     struct ev_dbd_jobs_stats *st, struct ev_err *err)
{
	memset(st, 0, sizeof(*st));
	CALL(dbd_jobs_each, db, q, fn, arg, st, err);
}

int ev_slurm_hostlist_expand(const char *list, size_t max, char ***names, size_t *n, struct ev_err *err)
{
	*names = NULL;
	*n = 0;
	CALL(hostlist_expand, list, max, names, n, err);
}

int ev_slurm_job_nodelist(uint32_t jobid, unsigned *num, char **nodes, struct ev_err *err)
{
	*num = 0;
	*nodes = NULL;
	CALL(job_nodelist, jobid, num, nodes, err);
}

int ev_slurm_node_addrs(char **names, size_t n, const bool *resolved, char **addr, struct ev_err *err)
{
	CALL(node_addrs, names, n, resolved, addr, err);
}

/* Sanitizer builds only. libslurm 22.05 leaks inside its own RPC unpacking
 * (slurm_load_node: node records' strings that slurm_free_node_info_msg
 * does not free), which LeakSanitizer would report at every exit of the
 * prolog, epilog and CLI, making slurmd drain the node. Those leaks are
 * Slurm's: they are suppressed by library, so every leak in our own code
 * is still reported. Built into the binaries (not the module: LeakSanitizer
 * asks the program), because slurmd does not pass LSAN_OPTIONS to a prolog
 * or epilog. */
#ifdef EV_SANITIZERS
const char *__lsan_default_suppressions(void);
const char *__lsan_default_suppressions(void)
{
	return "leak:libslurm.so\nleak:libslurmfull.so\n";
}
#endif
