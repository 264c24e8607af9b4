/* %n in efa-verify.yaml's paths and URLs: see ev_config_expand. */
#include "config/ev_config.h"

#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

static int expand_one(const char *key, const char *in, char *out, size_t cap, const char *nodename,
		      struct ev_err *err)
{
	size_t o = 0;

	for (const char *s = in; *s; s++) {
		const char *add;
		char one[2] = { 0, 0 };
		size_t alen;

		if (*s != '%') {
			one[0] = *s;
			add = one;
		} else if (s[1] == '%') {
			add = "%";
			s++;
		} else if (s[1] == 'n') {
			if (!nodename)
				return ev_errf(err, -EINVAL, "%s uses %%n but the node name is not known",
					       key);
			if (!ev_valid_nodename(nodename))
				return ev_errf(err, -EINVAL,
					       "%s uses %%n but the node name is not a plain host name "
					       "(letters, digits, '.', '_', '-'; at most 63; no leading '.' or '-')",
					       key);
			add = nodename;
			s++;
		} else if (!s[1]) {
			return ev_errf(err, -EINVAL, "%s: '%%' at the end (write %%%% for a literal %%)",
				       key);
		} else {
			return ev_errf(err, -EINVAL, "%s: unknown escape '%%%c' (only %%n and %%%% are known)",
				       key, isprint((unsigned char)s[1]) ? s[1] : '?');
		}
		alen = strlen(add);
		if (alen >= cap - o)
			return ev_errf(err, -ENAMETOOLONG, "%s is too long after expanding %%n "
				       "(at most %zu bytes)", key, cap - 1);
		memcpy(out + o, add, alen);
		o += alen;
	}
	out[o] = '\0';
	return 0;
}

int ev_config_expand(struct ev_config *c, const char *nodename, struct ev_err *err)
{
	struct {
		const char *key;
		char *val;
		size_t cap;
	} f[] = {
		{ "sysfs_root", c ? c->sysfs_root : NULL, sizeof(c->sysfs_root) },
		{ "state_dir", c ? c->state_dir : NULL, sizeof(c->state_dir) },
		{ "software_root", c ? c->software_root : NULL, sizeof(c->software_root) },
		{ "imds.endpoint", c ? c->imds_endpoint : NULL, sizeof(c->imds_endpoint) },
		{ "prometheus_textfile_dir", c ? c->prometheus_textfile_dir : NULL,
		  sizeof(c->prometheus_textfile_dir) },
		{ "log", c ? c->log_path : NULL, sizeof(c->log_path) },
	};
	enum { NF = sizeof(f) / sizeof(f[0]) };
	char (*tmp)[EV_PATH_MAX];
	int rc = 0;

	if (!c)
		return ev_errf(err, -EINVAL, "config: nothing to expand");
	tmp = calloc(NF, sizeof(*tmp));
	if (!tmp)
		return ev_errf(err, -ENOMEM, "config: out of memory");
	/* All or nothing: a failed expansion leaves every value as it was. */
	for (size_t i = 0; i < NF && !rc; i++)
		rc = expand_one(f[i].key, f[i].val, tmp[i], f[i].cap, nodename, err);
	if (!rc)
		for (size_t i = 0; i < NF; i++)
			memcpy(f[i].val, tmp[i], strlen(tmp[i]) + 1);
	free(tmp);
	return rc;
}
