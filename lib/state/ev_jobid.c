#include "state/ev_jobid.h"

#include <errno.h>
#include <string.h>

#include "util/ev_num.h"

int ev_jobid_parse(const char *s, uint32_t *out, struct ev_err *err)
{
	uint64_t v;
	int rc;

	/* More than 10 digits is no job id, even with leading zeros. */
	if (!s || strlen(s) > 10)
		return ev_errf(err, -EINVAL, "job id '%.16s' is not a Slurm job id", s ? s : "");
	rc = ev_num_u64(s, 0, 1, UINT32_MAX, &v, NULL);
	if (rc == -ERANGE)
		return ev_errf(err, -EINVAL, "job id '%.16s' is out of range", s);
	if (rc)
		return ev_errf(err, -EINVAL, "job id '%.16s' is not a Slurm job id", s);
	*out = (uint32_t)v;
	return 0;
}

int ev_jobid_cmp(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return x < y ? -1 : x > y;
}
