/* libfabric: is there an efa provider, and which libfabric is this. */
#ifndef EV_FABRIC_H
#define EV_FABRIC_H

#include <stdbool.h>

#include "ev_err.h"

struct ev_fabric_info {
	char version[32];        /* fi_version() as "1.17" */
	bool have_efa;           /* fi_getinfo(prov_name="efa") returned something */
	int n_efa_domains;       /* distinct domains the efa provider reported */
	char first_domain[64];   /* e.g. "rdmap16s27-rdm" */
	char detail[256];        /* fi_strerror when have_efa is false */
};

/* Only a failure to ask at all is an error; "no efa provider" is have_efa=false. */
int ev_fabric_probe(struct ev_fabric_info *out, struct ev_err *err);

#endif
