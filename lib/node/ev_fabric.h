/* libfabric: is there an efa provider, and which libfabric is this. */
#ifndef EV_FABRIC_H
#define EV_FABRIC_H

#include <stdbool.h>

#include "util/ev_err.h"

/* How libfabric names what its efa provider offers, one fi_info per device
 * per variant: libfabric 1.x "efa" (RDM, domain "<dev>-rdm"; DGRAM
 * "<dev>-dgrm"); 2.x adds the "efa-direct" fabric (RDM, same "<dev>-rdm"
 * domain). prov_name is "efa" throughout. */
struct ev_fabric_info {
	char version[32];        /* fi_version() as "1.17", "2.1" */
	bool have_efa;           /* fi_getinfo(prov_name="efa") returned something */
	int n_efa_devices;       /* distinct NICs, each counted once across fabrics and endpoint types */
	char first_device[64];   /* e.g. "rdmap16s27" (the domain less its -rdm/-dgrm suffix) */
	char fabrics[64];        /* fabric names, sorted, ", "-separated: "efa, efa-direct" */
	char detail[256];        /* fi_strerror when have_efa is false */
};

/* Only a failure to ask at all is an error; "no efa provider" is have_efa=false. */
int ev_fabric_probe(struct ev_fabric_info *out, struct ev_err *err);

#endif
