#include "ev_jobid.h"

#include <errno.h>
#include <string.h>

int ev_jobid_parse(const char *s, uint32_t *out, struct ev_err *err)
{
	uint64_t v = 0;

	if (!s || !*s || strlen(s) > 10)
		return ev_errf(err, -EINVAL, "job id '%.16s' is not a Slurm job id", s ? s : "");
	for (const char *p = s; *p; p++) {
		if (*p < '0' || *p > '9')
			return ev_errf(err, -EINVAL, "job id '%.16s' is not a Slurm job id", s);
		v = v * 10 + (uint64_t)(*p - '0');
	}
	if (v == 0 || v > UINT32_MAX)
		return ev_errf(err, -EINVAL, "job id '%.16s' is out of range", s);
	*out = (uint32_t)v;
	return 0;
}

int ev_jobid_cmp(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return x < y ? -1 : x > y;
}
