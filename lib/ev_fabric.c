/* Ask libfabric itself whether it has an efa provider: this is what
 * NCCL's aws-ofi-nccl plugin will ask, so it is the answer that matters. */
#include "ev_fabric.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <rdma/fabric.h>
#include <rdma/fi_errno.h>

int ev_fabric_probe(struct ev_fabric_info *out, struct ev_err *err)
{
	struct fi_info *hints, *info = NULL;
	uint32_t v = fi_version();
	int rc;

	memset(out, 0, sizeof(*out));
	snprintf(out->version, sizeof(out->version), "%u.%u", FI_MAJOR(v), FI_MINOR(v));
	hints = fi_allocinfo();
	if (!hints)
		return ev_errf(err, -ENOMEM, "libfabric: out of memory");
	hints->ep_attr->type = FI_EP_RDM;
	/* fi_freeinfo frees prov_name with the rest of hints. */
	hints->fabric_attr->prov_name = strdup("efa");
	if (!hints->fabric_attr->prov_name) {
		fi_freeinfo(hints);
		return ev_errf(err, -ENOMEM, "libfabric: out of memory");
	}
	rc = fi_getinfo(FI_VERSION(1, 9), NULL, NULL, 0, hints, &info);
	fi_freeinfo(hints);
	if (rc != 0) {
		snprintf(out->detail, sizeof(out->detail), "fi_getinfo: %s", fi_strerror(-rc));
		return 0;
	}
	out->have_efa = info != NULL;
	for (struct fi_info *i = info; i; i = i->next) {
		const char *dom = i->domain_attr && i->domain_attr->name ? i->domain_attr->name : "";
		bool seen = false;

		/* A domain appears once per endpoint type and address format. */
		for (struct fi_info *j = info; j != i; j = j->next)
			if (j->domain_attr && j->domain_attr->name && strcmp(j->domain_attr->name, dom) == 0)
				seen = true;
		if (!seen)
			out->n_efa_domains++;
		if (!out->first_domain[0])
			snprintf(out->first_domain, sizeof(out->first_domain), "%s", dom);
	}
	fi_freeinfo(info);
	return 0;
}
