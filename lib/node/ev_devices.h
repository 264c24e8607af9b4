/* EFA device discovery under sysfs_root, as the kernel lays it out:
 *   class/infiniband/<dev> -> ../../devices/pci.../<bdf>/infiniband/<dev>
 *   class/infiniband/<dev>/device -> ../../../<bdf>   (the PCI function)
 *   class/infiniband/<dev>/device/driver -> .../bus/pci/drivers/efa
 *   class/infiniband/<dev>/ports/1/{state,phys_state,rate}
 * An RDMA device is an EFA device when its PCI driver's name is "efa". */
#ifndef EV_DEVICES_H
#define EV_DEVICES_H

#include <stdbool.h>
#include <stddef.h>

#include "util/ev_err.h"
#include "config/ev_instances.h"

#define EV_PORT_ACTIVE 4   /* IB_PORT_ACTIVE, as in "4: ACTIVE" */

struct ev_device {
	char name[EV_NAME_MAX];       /* "rdmap16s27" */
	char pci_addr[32];            /* "0000:10:1b.0" ("" if unknown) */
	char driver[32];              /* "efa" */
	int port_state;               /* number from ports/1/state; -1 if unreadable */
	char port_state_name[32];     /* "ACTIVE", "DOWN", ... ("" if unreadable) */
	char link_rate[64];           /* ports/1/rate, "" if absent */
};

struct ev_device_list {
	struct ev_device *devs;       /* EFA devices only, sorted by name */
	size_t n;
	size_t n_rdma_other;          /* RDMA devices with another driver (skipped) */
};

/* Whether the node has at least one EFA device, stopping at the first: what
 * a report-mode step needs to decide on injecting the environment, at a
 * thirtieth of a full discovery's system calls on a p5. */
int ev_devices_any(const char *sysfs_root, bool *any, struct ev_err *err);

/* -ENOENT is NOT returned for a missing class/infiniband: that is a node with
 * zero devices (n == 0). Errors are for things like an unreadable directory. */
int ev_devices_discover(const char *sysfs_root, struct ev_device_list *out,
			struct ev_err *err);
/* The same list with names and drivers only (port_state -1, no PCI address
 * or rate): what a snapshot needs, at a third of the system calls. */
int ev_devices_discover_names(const char *sysfs_root, struct ev_device_list *out,
			      struct ev_err *err);
void ev_devices_free(struct ev_device_list *l);

static inline bool ev_device_active(const struct ev_device *d)
{
	return d->port_state == EV_PORT_ACTIVE;
}

#endif
