/* The instance type as the firmware tells it: EC2 Nitro instances put it in
 * DMI's product name (/sys/class/dmi/id/product_name, "p5.48xlarge"), which
 * any user may read and which needs no network. What a node knows of itself
 * where IMDS does not answer; IMDS stays the source of everything else
 * (zone, placement group), which DMI does not hold. */
#ifndef EV_DMI_H
#define EV_DMI_H

#include <stddef.h>

#include "util/ev_err.h"

/* sysfs_root/class/dmi/id/product_name, if it is an instance type name as
 * IMDS gives one (ev_imds_instance_type_ok): into out (cap at least
 * EV_NAME_MAX). 0; -ENOENT where there is no such file (not a DMI
 * machine, a test's tree); -EBADMSG where it names something else (a Xen
 * instance's "HVM domU", another vendor's machine); another negative
 * errno where it cannot be read. One small read. */
int ev_dmi_instance_type(const char *sysfs_root, char *out, size_t cap, struct ev_err *err);

#endif
