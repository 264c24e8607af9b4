/* rdma-core: can userspace open the EFA devices (ibv_open_device, and
 * efadv_query_device where libefa is present). Reads the real /sys, so it
 * only means something when sysfs_root is /sys. */
#ifndef EV_VERBS_H
#define EV_VERBS_H

#include <stdbool.h>

#include "node/ev_devices.h"
#include "util/ev_err.h"

struct ev_verbs_info {
	int n_ibv_devices;       /* ibv_get_device_list count */
	int n_opened;            /* of the EFA devices asked for, how many opened */
	int n_efadv_ok;          /* efadv_query_device succeeded */
	bool have_efadv;         /* built with libefa */
	char first_failure[256]; /* "rdmap16s27: ibv_open_device: Permission denied" */
};

int ev_verbs_probe(const struct ev_device_list *devs, struct ev_verbs_info *out,
		   struct ev_err *err);

#endif
