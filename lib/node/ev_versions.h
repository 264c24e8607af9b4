/* Installed software versions (EFA installer, libfabric, NCCL, aws-ofi-nccl,
 * NVIDIA driver, CUDA), found under a root directory so tests can lay fake
 * installs, and compared with the instance type's minimums. */
#ifndef EV_VERSIONS_H
#define EV_VERSIONS_H

#include <stdbool.h>

#include "util/ev_err.h"
#include "config/ev_instances.h"

struct ev_sw_version {
	bool present;
	char version[EV_VER_MAX];
	char source[256];         /* file it was read from, for the user */
};

struct ev_versions {
	struct ev_sw_version sw[EV_SW__COUNT];
};

/* software_root: "/" normally. sysfs_root: for /sys/module/nvidia/version.
 * Absent software is present=false, not an error. */
int ev_versions_detect(const char *software_root, const char *sysfs_root,
		       struct ev_versions *out, struct ev_err *err);

/* Only the software whose EV_SW_BIT is in mask; the rest is present=false.
 * A job step needs libfabric and aws-ofi-nccl (a few small files), not the
 * NCCL search, which lists whole library directories (~0.3 ms warm on a
 * bare host, more on a DLAMI). */
#define EV_SW_BIT(sw) (1u << (sw))
#define EV_SW_ALL ((1u << EV_SW__COUNT) - 1)
int ev_versions_detect_some(const char *software_root, const char *sysfs_root, unsigned mask,
			    struct ev_versions *out, struct ev_err *err);

/* Dotted numeric comparison ("535.54.03" vs "535.104"): <0, 0, >0.
 * Non-numeric suffixes compare after numbers ("1.7.3-aws" == "1.7.3"). */
int ev_version_cmp(const char *a, const char *b);

#endif
