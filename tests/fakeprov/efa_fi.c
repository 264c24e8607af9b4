/* A test-only libfabric provider named "efa", so the real fi_getinfo finds an
 * efa provider on a machine without EFA. libfabric loads it from
 * FI_PROVIDER_PATH as libefa-fi.so through its fi_prov_ini entry point.
 *
 * Two providers may share a name: libfabric (1.x and 2.x, src/fabric.c
 * ofi_insert_prov) keeps both and hides the one with the lower provider
 * version, unless one was loaded as preferred ("+/path/lib.so" in
 * FI_PROVIDER_PATH). Debian 13's libfabric 2.1 has a built-in efa provider
 * of version 201.0 (FI_VERSION(major * 100 + minor, revision * 10)); it would
 * report nothing here anyway, having no device, but it would also hide this
 * one if this one were older. So this one's version is far above any real
 * provider's. Endpoints cannot be opened; the point is discovery only.
 *
 * It reports what the real provider reports, one fi_info per device per
 * variant, and filters on hints roughly as the real one does (endpoint type,
 * the modes a variant needs), so a consumer's de-duplication and hints are
 * exercised:
 *   libfabric 1.x  fabric "efa": "<dev>-rdm" (RDM), "<dev>-dgrm" (DGRAM)
 *   libfabric 2.x  fabric "efa-direct": "<dev>-rdm" (RDM, needs FI_CONTEXT2
 *                  and FI_MR_LOCAL), then "efa" as in 1.x
 * (prov/efa/src/efa_prov.c efa_util_prov_initialize, efa_domain.h
 * efa_domain_name_suffix, at v1.17.0 and v2.1.0.)
 *
 * Environment: EV_FAKE_EFA_DOMAINS devices (default 1; 0 = none),
 * EV_FAKE_EFA_LAYOUT 1 or 2 (default: the libfabric this was built against). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <rdma/fabric.h>
#include <rdma/fi_errno.h>
#include <rdma/providers/fi_prov.h>

enum variant { DIRECT_RDM, EFA_RDM, EFA_DGRAM };

/* Would the real provider's fi_info of this variant pass ofi_check_info? */
static int wanted(enum variant v, const struct fi_info *hints)
{
	enum fi_ep_type type = v == EFA_DGRAM ? FI_EP_DGRAM : FI_EP_RDM;

	if (!hints)
		return 1;
	if (hints->ep_attr && hints->ep_attr->type != FI_EP_UNSPEC && hints->ep_attr->type != type)
		return 0;
	if (hints->fabric_attr && hints->fabric_attr->name &&
	    strcasecmp(hints->fabric_attr->name, v == DIRECT_RDM ? "efa-direct" : "efa") != 0)
		return 0;
	if (v == EFA_RDM)
		return 1;
	/* efa-direct and DGRAM need FI_CONTEXT2 and local MR descriptors;
	 * DGRAM also a message prefix. */
	if (!(hints->mode & FI_CONTEXT2) ||
	    !(hints->domain_attr && (hints->domain_attr->mr_mode & FI_MR_LOCAL)))
		return 0;
	return v != EFA_DGRAM || (hints->mode & FI_MSG_PREFIX);
}

static struct fi_info *make(enum variant v, int dev)
{
	struct fi_info *fi = fi_allocinfo();
	char name[32];

	if (!fi)
		return NULL;
	snprintf(name, sizeof(name), "rdmap%ds0%s", 16 + dev, v == EFA_DGRAM ? "-dgrm" : "-rdm");
	fi->caps = v == EFA_DGRAM ? FI_MSG : FI_MSG | FI_RMA | FI_TAGGED;
	fi->mode = v == EFA_RDM ? 0 : FI_CONTEXT2;
	fi->ep_attr->type = v == EFA_DGRAM ? FI_EP_DGRAM : FI_EP_RDM;
	fi->ep_attr->protocol = FI_PROTO_EFA;
	fi->domain_attr->mr_mode = v == EFA_RDM ? 0 : FI_MR_LOCAL;
	fi->domain_attr->name = strdup(name);
	fi->fabric_attr->name = strdup(v == DIRECT_RDM ? "efa-direct" : "efa");
	/* libfabric itself fills in prov_name and prov_version. */
	if (!fi->domain_attr->name || !fi->fabric_attr->name) {
		fi_freeinfo(fi);
		return NULL;
	}
	return fi;
}

static int fake_getinfo(uint32_t version, const char *node, const char *service, uint64_t flags,
			const struct fi_info *hints, struct fi_info **info)
{
	const char *env = getenv("EV_FAKE_EFA_DOMAINS");
	const char *layout = getenv("EV_FAKE_EFA_LAYOUT");
	int n = env ? atoi(env) : 1;
	int two = layout && *layout ? atoi(layout) >= 2 : FI_MAJOR_VERSION >= 2;
	struct fi_info *head = NULL, **tail = &head;

	(void)version;
	(void)node;
	(void)service;
	(void)flags;
	if (hints && hints->ep_attr && hints->ep_attr->type != FI_EP_UNSPEC &&
	    hints->ep_attr->type != FI_EP_RDM && hints->ep_attr->type != FI_EP_DGRAM)
		return -FI_ENODATA;
	if (n > 64)
		n = 64;
	/* The real provider's order: every device's efa-direct info, then
	 * every device's efa RDM, then every device's DGRAM (2.x); 1.x lists
	 * a device's RDM and DGRAM together, but the set is what matters. */
	for (enum variant v = two ? DIRECT_RDM : EFA_RDM; v <= EFA_DGRAM; v++) {
		if (!wanted(v, hints))
			continue;
		for (int i = 0; i < n; i++) {
			struct fi_info *fi = make(v, i);

			if (!fi) {
				fi_freeinfo(head);
				return -FI_ENOMEM;
			}
			*tail = fi;
			tail = &fi->next;
		}
	}
	if (!head)
		return -FI_ENODATA;
	*info = head;
	return 0;
}

static int fake_fabric(struct fi_fabric_attr *attr, struct fid_fabric **fabric, void *context)
{
	(void)attr;
	(void)fabric;
	(void)context;
	return -FI_ENOSYS;
}

static void fake_cleanup(void)
{
}

static struct fi_provider fake_efa = {
	.name = "efa",
	.version = FI_VERSION(999, 0),
	.fi_version = FI_VERSION(FI_MAJOR_VERSION, FI_MINOR_VERSION),
	.getinfo = fake_getinfo,
	.fabric = fake_fabric,
	.cleanup = fake_cleanup,
};

struct fi_provider *fi_prov_ini(void);

struct fi_provider *fi_prov_ini(void)
{
	return &fake_efa;
}
