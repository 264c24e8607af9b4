#include "node/ev_fabric_cache.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "node/ev_boot_id.h"
#include "util/ev_file.h"
#include "util/ev_num.h"

/* 2: devices rather than domains, and the fabric names (libfabric 2's
 * efa-direct); a format-1 file is a miss, so libfabric is asked again. */
#define MAGIC "efa-verify-fabric 2"

static int path_of(const char *state_dir, char *out, size_t cap, struct ev_err *err)
{
	if (!state_dir || !*state_dir || ev_path_join(out, cap, state_dir, "fabric.cache"))
		return ev_errf(err, -EINVAL, "fabric cache: bad state_dir");
	return 0;
}

/* Printable, no newline: detail and names are one line each. */
static void clean(char *s)
{
	for (; *s; s++)
		if ((unsigned char)*s < 0x20 || *s == 0x7f)
			*s = '?';
}

int ev_fabric_cache_save(const char *state_dir, const char *boot_id, uint64_t now,
			 const struct ev_fabric_info *in, struct ev_err *err)
{
	struct ev_fabric_info c = *in;
	char path[4096], text[1024];
	int n, rc;

	if ((rc = path_of(state_dir, path, sizeof(path), err)))
		return rc;
	if (!boot_id || !ev_boot_id_valid(boot_id))
		return ev_errf(err, -EINVAL, "fabric cache: no boot id");
	clean(c.version);
	clean(c.first_device);
	clean(c.fabrics);
	clean(c.detail);
	n = snprintf(text, sizeof(text),
		     MAGIC "\nboot_id %s\ntime %" PRIu64 "\nversion %s\nhave_efa %d\ndevices %d\nfirst %s\n"
			   "fabrics %s\ndetail %s\nend\n",
		     boot_id, now, c.version, c.have_efa ? 1 : 0, c.n_efa_devices, c.first_device, c.fabrics,
		     c.detail);
	if (n < 0 || (size_t)n >= sizeof(text))
		return ev_errf(err, -EOVERFLOW, "fabric cache: entry too long");
	if ((rc = ev_mkdir_p_passable(state_dir, 0700, true, err)))
		return rc;
	return ev_file_write_atomic_nosync(path, text, (size_t)n, 0600, err);
}

/* "key value" -> value, exactly once and in order. */
static const char *field(char **cur, const char *key)
{
	char *line = *cur, *nl = strchr(line, '\n');
	size_t kl = strlen(key);

	if (!nl || strncmp(line, key, kl) != 0 || line[kl] != ' ')
		return NULL;
	*nl = '\0';
	*cur = nl + 1;
	return line + kl + 1;
}

static bool num(const char *s, uint64_t max, uint64_t *v)
{
	return ev_parse_u64_strict(s, v) && *v <= max;
}

int ev_fabric_cache_load(const char *state_dir, const char *boot_id, uint64_t now,
			 struct ev_fabric_info *out, struct ev_err *err)
{
	char path[4096], buf[1100], *cur;
	const char *v[8];
	uint64_t t, have, devs;
	int rc;

	memset(out, 0, sizeof(*out));
	if ((rc = path_of(state_dir, path, sizeof(path), err)))
		return rc;
	/* Whatever is wrong with the file, it is a miss: libfabric is asked. */
	if (ev_file_read_private(AT_FDCWD, path, buf, sizeof(buf), 077, err) < 0)
		return -ENOENT;
	cur = buf;
	if (strncmp(cur, MAGIC "\n", strlen(MAGIC) + 1) != 0)
		return ev_errf(err, -ENOENT, "%s: not a fabric cache, ignored", path);
	cur += strlen(MAGIC) + 1;
	v[0] = field(&cur, "boot_id");
	v[1] = field(&cur, "time");
	v[2] = field(&cur, "version");
	v[3] = field(&cur, "have_efa");
	v[4] = field(&cur, "devices");
	v[5] = field(&cur, "first");
	v[6] = field(&cur, "fabrics");
	v[7] = field(&cur, "detail");
	if (!v[7] || strcmp(cur, "end\n") != 0 || !num(v[1], UINT64_MAX, &t) || !num(v[3], 1, &have) ||
	    !num(v[4], 4096, &devs) || strlen(v[2]) >= sizeof(out->version) ||
	    strlen(v[5]) >= sizeof(out->first_device) || strlen(v[6]) >= sizeof(out->fabrics) ||
	    strlen(v[7]) >= sizeof(out->detail))
		return ev_errf(err, -ENOENT, "%s: malformed, ignored", path);
	if (!boot_id || strcmp(v[0], boot_id) != 0)
		return -ENOENT;   /* another boot: a plain miss */
	if (t > now || now - t >= (have ? EV_FABRIC_CACHE_TTL : EV_FABRIC_CACHE_NEG_TTL))
		return -ENOENT;   /* stale, or from the future */
	memcpy(out->version, v[2], strlen(v[2]) + 1);
	out->have_efa = have == 1;
	out->n_efa_devices = (int)devs;
	memcpy(out->first_device, v[5], strlen(v[5]) + 1);
	memcpy(out->fabrics, v[6], strlen(v[6]) + 1);
	memcpy(out->detail, v[7], strlen(v[7]) + 1);
	return 0;
}
