/* Sizes every layer shares. Here, at the bottom, so that a node name or a
 * path buffer never makes a low layer include a high one for a constant. */
#ifndef EV_LIMITS_H
#define EV_LIMITS_H

/* A node, device, interface or instance type name, with its NUL. Slurm
 * node names and the kernel's device names are far shorter. */
#define EV_NAME_MAX 64
/* A path the config names (state_dir, sysfs_root, ...), with its NUL. */
#define EV_PATH_MAX 1024
/* A path built from such a path and names below it. */
#define EV_PATH_CAP 4096

#endif
