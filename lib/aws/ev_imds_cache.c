/* Per-boot IMDS cache in state_dir/imds.cache: "key=value" lines, version
 * first. Written atomically by root; read only if it is a regular file of
 * this user, not writable by anyone else, reached without a symlink, so a
 * user cannot feed the plugin their own answers. Every value read back is
 * checked as strictly as a fresh IMDS answer. */
#include "aws/ev_imds_cache.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "node/ev_boot_id.h"
#include "util/ev_file.h"

#define CACHE_NAME "imds.cache"
#define CACHE_VERSION "efa-verify-imds-cache 1"
#define CACHE_MAX 2048          /* a full entry is well under 1 KiB */
#define WHY_MAX 400

/* Printable ASCII, spaces allowed: what a line may carry after '='. */
static bool printable(const char *s)
{
	for (; *s; s++)
		if ((unsigned char)*s < 0x20 || (unsigned char)*s > 0x7e)
			return false;
	return true;
}

static int check_dir(const char *state_dir, struct ev_err *err)
{
	if (!state_dir || state_dir[0] != '/')
		return ev_errf(err, -EINVAL, "state_dir '%s' is not an absolute path",
			       state_dir ? state_dir : "");
	return 0;
}

static int parse_time(const char *v, long long *out)
{
	char *end;

	if (!*v || strspn(v, "0123456789") != strlen(v) || strlen(v) > 18)
		return -EBADMSG;
	errno = 0;
	*out = strtoll(v, &end, 10);
	return errno || *end ? -EBADMSG : 0;
}

struct parsed {
	struct ev_imds_info m;
	char boot[EV_BOOT_ID_MAX];
	char why[WHY_MAX];
	long long failed_at;
	bool failure, have_type, have_group_flag;
};

/* One "key=value" line into p; -EBADMSG for anything unexpected. */
static int parse_line(struct parsed *p, const char *k, const char *v, unsigned *seen)
{
	static const char *const keys[] = {
		"boot_id", "fetched_at", "failed_at", "failure", "instance_id", "instance_type",
		"availability_zone", "region", "in_group", "placement_group",
	};
	struct ev_imds_info *m = &p->m;
	long long ignored;
	size_t i, len = strlen(v);

	for (i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
		if (strcmp(k, keys[i]) == 0)
			break;
	if (i == sizeof(keys) / sizeof(keys[0]) || (*seen & (1u << i)) || !printable(v))
		return -EBADMSG;
	*seen |= 1u << i;
#define COPY(dst) (len < sizeof(dst) ? (memcpy((dst), v, len + 1), 0) : -EBADMSG)
	switch (i) {
	case 0: return COPY(p->boot);
	case 1: return parse_time(v, &ignored);
	case 2: p->failure = true; return parse_time(v, &p->failed_at);
	case 3: return COPY(p->why);
	case 4: return COPY(m->instance_id);
	case 5: p->have_type = true; return COPY(m->instance_type);
	case 6: return COPY(m->availability_zone);
	case 7: return COPY(m->region);
	case 8:
		if (strcmp(v, "0") != 0 && strcmp(v, "1") != 0)
			return -EBADMSG;
		m->in_group = v[0] == '1';
		p->have_group_flag = true;
		return 0;
	case 9: return COPY(m->placement_group);
	}
#undef COPY
	return -EBADMSG;
}

/* Open state_dir/imds.cache without following a symlink anywhere we
 * control, and read it whole into buf (NUL-terminated). Length or -errno. */
static long read_cache(const char *state_dir, const char *path, char *buf, size_t cap,
		       struct ev_err *err)
{
	long n;
	int dfd, rc;

	dfd = open(state_dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (dfd < 0) {
		rc = -errno;
		if (rc == -ENOENT)
			return ev_errf(err, rc, "%s: no cache", path);
		/* O_DIRECTORY|O_NOFOLLOW on a symlink says ENOTDIR on Linux: tell
		 * the two apart, as ev_mkdir_p does when storing. */
		if (rc == -ELOOP || rc == -ENOTDIR) {
			struct stat lst;

			if (lstat(state_dir, &lst) == 0 && S_ISLNK(lst.st_mode))
				return ev_errf(err, -ELOOP, "%s: is a symbolic link, refused", state_dir);
			return ev_errf(err, -ENOTDIR, "%s: not a directory", state_dir);
		}
		return ev_errf(err, rc, "%s: %s", state_dir, strerror(-rc));
	}
	n = ev_file_read_private(dfd, CACHE_NAME, buf, cap, 022, err);
	close(dfd);
	if (n == -ENOENT)
		return ev_errf(err, -ENOENT, "%s: no cache", path);
	if (n < 0)
		/* The message names the file alone: say where it is. */
		return ev_err_prefix(err, (int)n, "%s", state_dir);
	return n;
}

int ev_imds_cache_load_at(const char *state_dir, const char *boot_id, time_t now,
			  struct ev_imds_info *out, struct ev_err *err)
{
	char path[4096], buf[CACHE_MAX + 1];
	struct parsed p;
	unsigned seen = 0;
	char *line, *next;
	long n;
	int rc;

	memset(out, 0, sizeof(*out));
	memset(&p, 0, sizeof(p));
	if ((rc = check_dir(state_dir, err)))
		return rc;
	if (ev_path_join(path, sizeof(path), state_dir, CACHE_NAME) != 0)
		return ev_errf(err, -ENAMETOOLONG, "%s: path too long", state_dir);
	n = read_cache(state_dir, path, buf, sizeof(buf), err);
	if (n < 0)
		return (int)n;
	/* Whole lines only: a torn or binary file is refused, not half-read. */
	if ((size_t)n != strlen(buf) || n == 0 || buf[n - 1] != '\n' ||
	    strncmp(buf, CACHE_VERSION "\n", sizeof(CACHE_VERSION)) != 0)
		return ev_errf(err, -EBADMSG, "%s: not an efa-verify IMDS cache (version 1)", path);
	for (line = buf + sizeof(CACHE_VERSION); *line; line = next) {
		char *eq;

		next = strchr(line, '\n');
		*next++ = '\0';
		eq = strchr(line, '=');
		if (!eq)
			return ev_errf(err, -EBADMSG, "%s: malformed line", path);
		*eq = '\0';
		if (parse_line(&p, line, eq + 1, &seen) != 0) {
			/* The key ends up in a log line: never raw control bytes. */
			for (char *q = line; *q; q++)
				if ((unsigned char)*q < 0x20 || (unsigned char)*q > 0x7e)
					*q = '?';
			return ev_errf(err, -EBADMSG, "%s: bad or repeated entry '%.32s'", path, line);
		}
	}
	if (strcmp(p.boot, boot_id) != 0)
		return ev_errf(err, -ESTALE, "%s: from another boot", path);
	if (p.failure) {
		if (now >= p.failed_at && now - p.failed_at < EV_IMDS_NEGATIVE_TTL_S)
			return ev_errf(err, -EAGAIN, "%s (remembered)",
				       p.why[0] ? p.why : "IMDS failed");
		/* An expired (or future-dated) failure is as good as no cache. */
		return ev_errf(err, -ENOENT, "%s: remembered failure has expired", path);
	}
	if (!p.have_type || !p.have_group_flag)
		return ev_errf(err, -EBADMSG, "%s: incomplete entry", path);
	if ((rc = ev_imds_validate(&p.m, err)) != 0)
		return ev_err_prefix(err, rc, "%s", path);
	*out = p.m;
	return 0;
}

int ev_imds_cache_load(const char *state_dir, const char *boot_id, struct ev_imds_info *out,
		       struct ev_err *err)
{
	return ev_imds_cache_load_at(state_dir, boot_id, time(NULL), out, err);
}

static int store(const char *state_dir, const char *text, size_t len, struct ev_err *err)
{
	char path[4096];
	int rc;

	if ((rc = check_dir(state_dir, err)))
		return rc;
	if ((rc = ev_mkdir_p_passable(state_dir, 0700, true, err)))
		return rc;
	if (ev_path_join(path, sizeof(path), state_dir, CACHE_NAME) != 0)
		return ev_errf(err, -ENAMETOOLONG, "%s: path too long", state_dir);
	return ev_file_write_atomic(path, text, len, 0600, err);
}

int ev_imds_cache_store(const char *state_dir, const char *boot_id, const struct ev_imds_info *m,
			struct ev_err *err)
{
	char text[1024];
	int n, rc;

	if (!boot_id[0] || !ev_boot_id_valid(boot_id))
		return ev_errf(err, -EINVAL, "IMDS cache: bad boot id");
	if ((rc = ev_imds_validate(m, err)) != 0)
		return ev_err_prefix(err, -EINVAL, "IMDS values not cached");
	n = snprintf(text, sizeof(text),
		     CACHE_VERSION "\nboot_id=%s\nfetched_at=%lld\ninstance_id=%s\ninstance_type=%s\n"
		     "availability_zone=%s\nregion=%s\nin_group=%d\nplacement_group=%s\n",
		     boot_id, (long long)time(NULL), m->instance_id, m->instance_type,
		     m->availability_zone, m->region, m->in_group ? 1 : 0, m->placement_group);
	if (n < 0 || (size_t)n >= sizeof(text))
		return ev_errf(err, -EOVERFLOW, "IMDS cache entry too long");
	return store(state_dir, text, (size_t)n, err);
}

int ev_imds_cache_store_failure(const char *state_dir, const char *boot_id, const char *why,
				struct ev_err *err)
{
	char text[WHY_MAX + 256], clean[WHY_MAX];
	size_t i;
	int n;

	if (!boot_id[0] || !ev_boot_id_valid(boot_id))
		return ev_errf(err, -EINVAL, "IMDS cache: bad boot id");
	/* The reason is shown to users later: one printable line. */
	for (i = 0; why && why[i] && i < sizeof(clean) - 1; i++)
		clean[i] = (unsigned char)why[i] < 0x20 || (unsigned char)why[i] > 0x7e ? ' ' : why[i];
	clean[i] = '\0';
	n = snprintf(text, sizeof(text), CACHE_VERSION "\nboot_id=%s\nfailed_at=%lld\nfailure=%s\n",
		     boot_id, (long long)time(NULL), clean);
	if (n < 0 || (size_t)n >= sizeof(text))
		return ev_errf(err, -EOVERFLOW, "IMDS cache entry too long");
	return store(state_dir, text, (size_t)n, err);
}

int ev_imds_get(const struct ev_config *cfg, bool allow_fetch, struct ev_imds_info *out,
		enum ev_imds_source *src, struct ev_err *err)
{
	char boot[EV_BOOT_ID_MAX];
	int rc;

	if (src)
		*src = EV_IMDS_FROM_CACHE;
	if ((rc = ev_boot_id_read(NULL, boot, err)))
		return rc;
	rc = ev_imds_cache_load(cfg->state_dir, boot, out, err);
	if (rc == 0 || rc == -EAGAIN || !allow_fetch)
		return rc;
	if (src)
		*src = EV_IMDS_FROM_NETWORK;
	rc = ev_imds_fetch(cfg->imds_endpoint, cfg->imds_timeout_ms, out, err);
	/* A cache that cannot be written costs a fetch next time, nothing more:
	 * the answer is still good, so no error and no noise. */
	if (rc == 0)
		ev_imds_cache_store(cfg->state_dir, boot, out, NULL);
	else
		ev_imds_cache_store_failure(cfg->state_dir, boot, err ? err->msg : "IMDS failed",
					    NULL);
	return rc;
}
