/* The name a container's "/" goes by, from the container's own mount
 * table: the directory of the host's file system that the root mount
 * shows (mountinfo's fourth field for mount point "/"), e.g. enroot's
 * ENROOT_DATA_PATH/pyxis_42.0. What a step ran in, for the record, when
 * the job names no image (pyxis takes --container-image as an option only
 * pyxis can read; PYXIS_CONTAINER_IMAGE and Slurm's SLURM_CONTAINER are in
 * the job's environment). A name to show, never a path to open. */
#ifndef EV_ROOT_NAME_H
#define EV_ROOT_NAME_H

#include <stddef.h>

#include "util/ev_err.h"

/* The mount table is read up to this much: a container's is short. */
#define EV_MOUNTINFO_MAX (256u << 10)

/* mountinfo: "/proc/self/mountinfo" (a file of that form in tests). out
 * gets the root's source directory, its octal escapes (\040) decoded and
 * every byte outside printable ASCII as '?', cut to cap. -ENOENT when no
 * line mounts "/", -EINVAL for a table that is not one, else the read's
 * error. */
int ev_root_name(const char *mountinfo, char *out, size_t cap, struct ev_err *err);

#endif
