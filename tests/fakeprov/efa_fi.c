/* A test-only libfabric provider named "efa", so the real fi_getinfo finds an
 * efa provider on a machine without EFA. libfabric loads it from
 * FI_PROVIDER_PATH as libefa-fi.so through its fi_prov_ini entry point.
 *
 * Its version is far above any real provider's: libfabric keeps the newer of
 * two providers with one name, and Debian's built-in efa provider registers
 * nothing anyway when no EFA device exists. Endpoints cannot be opened; the
 * point is discovery only. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rdma/fabric.h>
#include <rdma/fi_errno.h>
#include <rdma/providers/fi_prov.h>

/* One domain per simulated device, named like the real provider's
 * "<device>-rdm"; EV_FAKE_EFA_DOMAINS overrides the count. */
static int fake_getinfo(uint32_t version, const char *node, const char *service, uint64_t flags,
			const struct fi_info *hints, struct fi_info **info)
{
	const char *env = getenv("EV_FAKE_EFA_DOMAINS");
	int n = env ? atoi(env) : 1;
	struct fi_info *head = NULL, **tail = &head;

	(void)version;
	(void)node;
	(void)service;
	(void)flags;
	if (hints && hints->ep_attr && hints->ep_attr->type != FI_EP_UNSPEC &&
	    hints->ep_attr->type != FI_EP_RDM)
		return -FI_ENODATA;
	if (n <= 0)
		return -FI_ENODATA;
	if (n > 64)
		n = 64;
	for (int i = 0; i < n; i++) {
		struct fi_info *fi = fi_allocinfo();
		char name[32];

		if (!fi) {
			fi_freeinfo(head);
			return -FI_ENOMEM;
		}
		fi->caps = FI_MSG | FI_RMA | FI_TAGGED;
		fi->ep_attr->type = FI_EP_RDM;
		fi->ep_attr->protocol = FI_PROTO_EFA;
		fi->domain_attr->name = malloc(32);
		fi->fabric_attr->name = strdup("efa");
		/* libfabric itself fills in prov_name. */
		fi->fabric_attr->prov_version = FI_VERSION(999, 0);
		if (!fi->domain_attr->name || !fi->fabric_attr->name) {
			fi_freeinfo(fi);
			fi_freeinfo(head);
			return -FI_ENOMEM;
		}
		snprintf(name, sizeof(name), "rdmap%ds0-rdm", 16 + i);
		memcpy(fi->domain_attr->name, name, strlen(name) + 1);
		*tail = fi;
		tail = &fi->next;
	}
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
