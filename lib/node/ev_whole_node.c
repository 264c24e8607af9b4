#include "node/ev_whole_node.h"

#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "util/ev_file.h"
#include "util/ev_names.h"

static const char *const names[] = { [EV_WHOLE_UNKNOWN] = "unknown", [EV_WHOLE_YES] = "yes",
				      [EV_WHOLE_NO] = "no" };

const char *ev_whole_name(enum ev_whole w)
{
	return ev_name_of(names, EV_NAMES_N(names), (int)w);
}

int ev_whole_from_name(const char *s)
{
	return ev_name_find(names, EV_NAMES_N(names), s);
}

/* A decimal number at *s of at most 9 digits (no CPU count or repeat is
 * larger), advancing *s. */
static bool number(const char **s, unsigned *out)
{
	unsigned v = 0;
	int n = 0;

	for (; **s >= '0' && **s <= '9'; (*s)++) {
		if (++n > 9)
			return false;
		v = v * 10 + (unsigned)(**s - '0');
	}
	*out = v;
	return n > 0;
}

int ev_cpu_list_count(const char *list, unsigned *n)
{
	const char *s = list;
	unsigned total = 0;

	if (!s || !*s)
		return -EINVAL;
	for (;;) {
		unsigned a, b;

		if (!number(&s, &a))
			return -EINVAL;
		b = a;
		if (*s == '-') {
			s++;
			if (!number(&s, &b) || b < a)
				return -EINVAL;
		}
		total += b - a + 1;
		if (!*s)
			break;
		if (*s++ != ',')
			return -EINVAL;
	}
	*n = total;
	return 0;
}

int ev_cpus_online(const char *sysfs_root, unsigned *n, struct ev_err *err)
{
	char path[4096], buf[4096];
	long len;

	if (ev_path_join(path, sizeof(path), sysfs_root, "devices/system/cpu/online") != 0)
		return ev_errf(err, -ENAMETOOLONG, "%s: path too long", sysfs_root);
	len = ev_file_read_at(AT_FDCWD, path, buf, sizeof(buf), false, err);
	if (len < 0)
		return (int)len;
	if (ev_cpu_list_count(buf, n) != 0 || *n == 0)
		return ev_errf(err, -EINVAL, "%s: not a CPU list", path);
	return 0;
}

int ev_cpus_per_node_at(const char *spec, size_t idx, size_t n_nodes, unsigned *out)
{
	const char *s = spec;
	size_t pos = 0;
	bool found = false;

	if (!s || !*s)
		return -EINVAL;
	for (;;) {
		unsigned cpus, reps = 1;

		if (!number(&s, &cpus))
			return -EINVAL;
		if (*s == '(') {
			if (s[1] != 'x')
				return -EINVAL;
			s += 2;
			if (!number(&s, &reps) || reps == 0 || *s++ != ')')
				return -EINVAL;
		}
		if (!found && idx >= pos && idx - pos < reps) {
			*out = cpus;
			found = true;
		}
		pos += reps;
		if (!*s)
			break;
		if (*s++ != ',')
			return -EINVAL;
	}
	if (n_nodes && pos != n_nodes)
		return -EINVAL;
	return found ? 0 : -ERANGE;
}

void ev_whole_node_judge(const struct ev_whole_in *in, struct ev_whole_node *out)
{
	bool exclusive = false;

	memset(out, 0, sizeof(*out));
	if (in->exclusive)
		exclusive = strcmp(in->exclusive, "NODE") == 0 || strcmp(in->exclusive, "TOPO") == 0;
	else if (in->oversubscribe)
		exclusive = strcmp(in->oversubscribe, "NO") == 0;
	if (exclusive) {
		out->whole = EV_WHOLE_YES;
		snprintf(out->why, sizeof(out->why), "exclusive");
	} else if (in->job_cpus && in->node_cpus) {
		/* Not exclusive (or not said): the job may still hold every CPU. */
		out->whole = in->job_cpus >= in->node_cpus ? EV_WHOLE_YES : EV_WHOLE_NO;
		snprintf(out->why, sizeof(out->why), "%s:%u/%u", out->whole == EV_WHOLE_YES ? "all_cpus" : "cpus",
			 in->job_cpus, in->node_cpus);
	} else {
		out->whole = EV_WHOLE_UNKNOWN;
		snprintf(out->why, sizeof(out->why), "%s", in->job_cpus ? "node_cpus_unknown" : "job_cpus_unknown");
	}
}
