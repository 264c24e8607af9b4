/* Installed software versions (EFA installer, libfabric, NCCL, aws-ofi-nccl,
 * NVIDIA driver, CUDA), found under a root directory (the node's "/", a
 * container image's, or a test's fake install) and compared with the
 * instance type's minimums. Everything under the root is read confined to
 * it (util/ev_rootfs.h): a link in an image never leads outside it. */
#ifndef EV_VERSIONS_H
#define EV_VERSIONS_H

#include <stdbool.h>

#include "util/ev_err.h"
#include "util/ev_rootfs.h"
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
 * Absent software is present=false, not an error; so is a software_root
 * that does not exist. A version file too large to be one is absent. */
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

/* The same under an open root (an image's, ev_rootfs_open); sysfs_root
 * NULL: the driver's module is not looked at (an image on its own has no
 * driver: a container gets the host's). */
int ev_versions_detect_in(const struct ev_rootfs *root, const char *sysfs_root, unsigned mask,
			  struct ev_versions *out, struct ev_err *err);

/* s is a version as detection reports one: 1 to EV_VER_MAX-1 characters
 * of [A-Za-z0-9._+-], a digit first. */
bool ev_version_valid(const char *s);

/* Dotted numeric comparison ("535.54.03" vs "535.104"): <0, 0, >0.
 * Non-numeric suffixes compare after numbers ("1.7.3-aws" == "1.7.3"). */
int ev_version_cmp(const char *a, const char *b);

#endif
