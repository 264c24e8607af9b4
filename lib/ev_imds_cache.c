/* Per-boot IMDS cache in state_dir/imds.cache: "key=value" lines, version
 * first. Written atomically by root, read only if root-owned and not
 * writable by others, so a user cannot feed the plugin their own answers. */
#include "ev_imds_cache.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "ev_file.h"

#define CACHE_NAME "imds.cache"
#define CACHE_VERSION "efa-verify-imds-cache 1"

int ev_boot_id(char *out, size_t cap, struct ev_err *err)
{
	long n = ev_file_read_at(AT_FDCWD, "/proc/sys/kernel/random/boot_id", out, cap, true, err);

	if (n < 0)
		return (int)n;
	if (n < 8 || strspn(out, "0123456789abcdef-") != (size_t)n)
		return ev_errf(err, -EBADMSG, "boot_id: unexpected content");
	return 0;
}

static int cache_path(const char *state_dir, char *out, size_t cap, struct ev_err *err)
{
	if (ev_path_join(out, cap, state_dir, CACHE_NAME) != 0)
		return ev_errf(err, -ENAMETOOLONG, "%s: path too long", state_dir);
	return 0;
}

static bool safe_value(const char *s)
{
	for (; *s; s++)
		if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') || (*s >= '0' && *s <= '9') ||
		      *s == '-' || *s == '.' || *s == '_' || *s == ':' || *s == ' '))
			return false;
	return true;
}

static int set_field(struct ev_imds_info *m, const char *k, const char *v, char *why, size_t why_cap,
		     long long *at, bool *failure)
{
	struct { const char *key; char *dst; size_t cap; } f[] = {
		{ "instance_id", m->instance_id, sizeof(m->instance_id) },
		{ "instance_type", m->instance_type, sizeof(m->instance_type) },
		{ "availability_zone", m->availability_zone, sizeof(m->availability_zone) },
		{ "region", m->region, sizeof(m->region) },
		{ "placement_group", m->placement_group, sizeof(m->placement_group) },
		{ "failure", why, why_cap },
	};

	if (!safe_value(v))
		return -EBADMSG;
	if (strcmp(k, "in_group") == 0) {
		m->in_group = strcmp(v, "1") == 0;
		return 0;
	}
	if (strcmp(k, "fetched_at") == 0 || strcmp(k, "failed_at") == 0) {
		char *end;

		*at = strtoll(v, &end, 10);
		if (*end)
			return -EBADMSG;
		if (strcmp(k, "failed_at") == 0)
			*failure = true;
		return 0;
	}
	for (size_t i = 0; i < sizeof(f) / sizeof(f[0]); i++) {
		if (strcmp(k, f[i].key) == 0) {
			if (strlen(v) >= f[i].cap)
				return -EBADMSG;
			memcpy(f[i].dst, v, strlen(v) + 1);
			return 0;
		}
	}
	return 0;   /* unknown keys from a newer version are ignored */
}

static int cache_load_at(const char *state_dir, const char *boot_id, time_t now,
			 struct ev_imds_info *out, struct ev_err *err)
{
	char path[4096], buf[2048], why[200] = "", boot[64] = "";
	long long at = 0;
	bool failure = false;
	struct stat st;
	int fd, rc;
	long n;

	memset(out, 0, sizeof(*out));
	if ((rc = cache_path(state_dir, path, sizeof(path), err)))
		return rc;
	fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK);
	if (fd < 0) {
		rc = -errno;
		if (rc == -ENOENT)
			return ev_errf(err, rc, "%s: no cache", path);
		return ev_errf(err, rc, "%s: %s", path, strerror(-rc));
	}
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) || st.st_uid != geteuid() ||
	    (st.st_mode & 022)) {
		close(fd);
		return ev_errf(err, -EPERM, "%s: not a private file of this user, ignored", path);
	}
	n = 0;
	for (;;) {
		ssize_t r = read(fd, buf + n, sizeof(buf) - 1 - (size_t)n);

		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			n = -errno;
			break;
		}
		if (r == 0 || (size_t)(n + r) >= sizeof(buf) - 1) {
			n += r;
			break;
		}
		n += r;
	}
	if (n >= 0)
		buf[n] = '\0';
	close(fd);
	if (n < 0)
		return ev_errf(err, (int)n, "%s: read failed", path);
	if (strncmp(buf, CACHE_VERSION "\n", sizeof(CACHE_VERSION)) != 0)
		return ev_errf(err, -EBADMSG, "%s: not an efa-verify IMDS cache", path);
	for (char *line = buf + sizeof(CACHE_VERSION), *next; line && *line; line = next) {
		char *eq;

		next = strchr(line, '\n');
		if (next)
			*next++ = '\0';
		eq = strchr(line, '=');
		if (!eq)
			return ev_errf(err, -EBADMSG, "%s: malformed line", path);
		*eq = '\0';
		if (strcmp(line, "boot_id") == 0) {
			snprintf(boot, sizeof(boot), "%s", eq + 1);
			continue;
		}
		if (set_field(out, line, eq + 1, why, sizeof(why), &at, &failure) != 0) {
			memset(out, 0, sizeof(*out));
			return ev_errf(err, -EBADMSG, "%s: bad value for %s", path, line);
		}
	}
	if (strcmp(boot, boot_id) != 0) {
		memset(out, 0, sizeof(*out));
		return ev_errf(err, -ESTALE, "%s: from another boot", path);
	}
	if (failure) {
		memset(out, 0, sizeof(*out));
		if (now - at >= 0 && now - at < EV_IMDS_NEGATIVE_TTL_S)
			return ev_errf(err, -EAGAIN, "%s (remembered)", why);
		return ev_errf(err, -ESTALE, "%s: remembered failure expired", path);
	}
	if (!out->instance_type[0]) {
		memset(out, 0, sizeof(*out));
		return ev_errf(err, -EBADMSG, "%s: no instance type", path);
	}
	return 0;
}

int ev_imds_cache_load(const char *state_dir, const char *boot_id, struct ev_imds_info *out,
		       struct ev_err *err)
{
	return cache_load_at(state_dir, boot_id, time(NULL), out, err);
}

static int store(const char *state_dir, const char *text, size_t len, struct ev_err *err)
{
	char path[4096];
	int rc;

	if ((rc = ev_mkdir_p(state_dir, 0700, true, err)))
		return rc;
	if ((rc = cache_path(state_dir, path, sizeof(path), err)))
		return rc;
	return ev_file_write_atomic(path, text, len, 0600, err);
}

int ev_imds_cache_store(const char *state_dir, const char *boot_id, const struct ev_imds_info *m,
			struct ev_err *err)
{
	char text[1024];
	int n;

	if (!safe_value(m->instance_id) || !safe_value(m->instance_type) ||
	    !safe_value(m->availability_zone) || !safe_value(m->region) ||
	    !safe_value(m->placement_group))
		return ev_errf(err, -EINVAL, "IMDS values with unexpected characters not cached");
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
	char text[512], clean[200];
	size_t i;
	int n;

	for (i = 0; why[i] && i < sizeof(clean) - 1; i++) {
		char c = why[i];

		clean[i] = ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
			    c == '-' || c == '.' || c == '_' || c == ':') ? c : ' ';
	}
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
	char boot[64];
	int rc;

	if (src)
		*src = EV_IMDS_FROM_CACHE;
	if ((rc = ev_boot_id(boot, sizeof(boot), err)))
		return rc;
	rc = ev_imds_cache_load(cfg->state_dir, boot, out, err);
	if (rc == 0 || rc == -EAGAIN || !allow_fetch)
		return rc;
	if (src)
		*src = EV_IMDS_FROM_NETWORK;
	rc = ev_imds_fetch(cfg->imds_endpoint, cfg->imds_timeout_ms, out, err);
	/* A cache that cannot be written costs a fetch next time, nothing more. */
	if (rc == 0)
		ev_imds_cache_store(cfg->state_dir, boot, out, NULL);
	else
		ev_imds_cache_store_failure(cfg->state_dir, boot, err ? err->msg : "failed", NULL);
	return rc;
}
