#include "state/ev_spool.h"

#include <dirent.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config/ev_config.h"
#include "util/ev_array.h"
#include "util/ev_file.h"
#include "state/ev_jobid.h"
#include "state/ev_state_dir.h"

static int spool_path(const char *dir, uint32_t jobid, const char *node, char *out, size_t cap,
		      struct ev_err *err)
{
	int n;

	if (!jobid)
		return ev_errf(err, -EINVAL, "job id 0");
	if (!node || !ev_valid_nodename(node))
		return ev_errf(err, -EINVAL, "node name refused for a spool file");
	n = snprintf(out, cap, "%s/%" PRIu32 ".%s.rec", dir, jobid, node);
	if (n < 0 || (size_t)n >= cap)
		return ev_errf(err, -ENAMETOOLONG, "%s: path too long", dir);
	return 0;
}

int ev_spool_put(const char *state_dir, uint32_t jobid, const char *node, const char *line,
		 struct ev_err *err)
{
	char dir[EV_PATH_CAP], path[EV_PATH_CAP], buf[EV_SPOOL_LINE_MAX + 1];
	size_t len = strlen(line);
	int rc;

	if (!len || len >= EV_SPOOL_LINE_MAX || strchr(line, '\n'))
		return ev_errf(err, -EINVAL, "spool: a result must be one line under %d bytes", EV_SPOOL_LINE_MAX);
	/* Names are checked before anything is created. */
	if ((rc = spool_path(state_dir, jobid, node, path, sizeof(path), err)) ||
	    (rc = ev_state_subdir(state_dir, "spool", true, dir, sizeof(dir), err)) ||
	    (rc = spool_path(dir, jobid, node, path, sizeof(path), err)))
		return rc;
	memcpy(buf, line, len);
	buf[len] = '\n';
	return ev_file_write_atomic(path, buf, len + 1, 0600, err);
}

/* "<jobid>.<node>.rec" -> jobid, node; anything else is not ours. */
static bool parse_spool_name(const char *name, uint32_t *jobid, char *node)
{
	const char *dot = strchr(name, '.');
	size_t nl, len = strlen(name);
	char id[16];

	if (!dot || (size_t)(dot - name) >= sizeof(id) || len < 4 || strcmp(name + len - 4, ".rec") != 0 ||
	    dot + 1 > name + len - 4)
		return false;
	memcpy(id, name, (size_t)(dot - name));
	id[dot - name] = '\0';
	if (ev_jobid_parse(id, jobid, NULL) != 0)
		return false;
	nl = (size_t)(name + len - 4 - (dot + 1));
	if (nl == 0 || nl >= EV_NAME_MAX)
		return false;
	memcpy(node, dot + 1, nl);
	node[nl] = '\0';
	return ev_valid_nodename(node);
}

static int cmp_entry(const void *a, const void *b)
{
	const struct ev_spool_entry *x = a, *y = b;

	if (x->jobid != y->jobid)
		return x->jobid < y->jobid ? -1 : 1;
	return strcmp(x->node, y->node);
}

int ev_spool_list(const char *state_dir, struct ev_spool_entry **out, size_t *n, bool *truncated,
		  struct ev_err *err)
{
	char dir[EV_PATH_CAP];
	struct ev_spool_entry *v = NULL;
	size_t cnt = 0, cap = 0;
	struct dirent *e;
	DIR *d;
	int rc;

	*out = NULL;
	*n = 0;
	if (truncated)
		*truncated = false;
	if ((rc = ev_state_subdir(state_dir, "spool", false, dir, sizeof(dir), err)))
		return rc == -ENOENT ? 0 : rc;
	if (!(d = opendir(dir)))
		return ev_errf(err, -errno, "%s: %s", dir, strerror(errno));
	while ((e = readdir(d))) {
		/* A line of up to EV_SPOOL_LINE_MAX-1 bytes, its newline and
		 * the NUL: one more than x->line, which holds it without the
		 * newline. */
		char path[EV_PATH_CAP], text[EV_SPOOL_LINE_MAX + 1];
		struct ev_spool_entry *x;
		long len;

		if (ev_array_room(&v, &cap, cnt, sizeof(*v), 16)) {
			closedir(d);
			free(v);
			return ev_errf(err, -ENOMEM, "out of memory");
		}
		x = &v[cnt];
		memset(x, 0, sizeof(*x));
		if (!parse_spool_name(e->d_name, &x->jobid, x->node) ||
		    ev_path_join(path, sizeof(path), dir, e->d_name))
			continue;
		if (cnt == EV_SPOOL_MAX_ENTRIES) {
			if (truncated)
				*truncated = true;
			break;
		}
		len = ev_state_read_private(path, text, sizeof(text), NULL);
		if (len == -ENOENT)
			continue;   /* delivered and removed meanwhile */
		/* Exactly one line, ending in a newline, printable. */
		if (len <= 1 || text[len - 1] != '\n' || memchr(text, '\n', (size_t)len - 1)) {
			x->bad = true;
		} else {
			for (long i = 0; i < len - 1; i++)
				if ((unsigned char)text[i] < 0x20 || text[i] == 0x7f)
					x->bad = true;
		}
		if (!x->bad) {
			memcpy(x->line, text, (size_t)len - 1);
			x->line[len - 1] = '\0';
		}
		cnt++;
	}
	closedir(d);
	if (!cnt) {
		free(v);
		return 0;
	}
	qsort(v, cnt, sizeof(*v), cmp_entry);
	*out = v;
	*n = cnt;
	return 0;
}

int ev_spool_remove(const char *state_dir, uint32_t jobid, const char *node, struct ev_err *err)
{
	char dir[EV_PATH_CAP], path[EV_PATH_CAP];
	int rc;

	if ((rc = spool_path(state_dir, jobid, node, path, sizeof(path), err)))
		return rc;
	if ((rc = ev_state_subdir(state_dir, "spool", false, dir, sizeof(dir), err)))
		return rc == -ENOENT ? 0 : rc;
	if ((rc = spool_path(dir, jobid, node, path, sizeof(path), err)))
		return rc;
	if (unlink(path) != 0 && errno != ENOENT)
		return ev_errf(err, -errno, "%s: %s", path, strerror(errno));
	return 0;
}
