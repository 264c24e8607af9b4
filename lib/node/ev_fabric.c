/* Ask libfabric itself whether it has an efa provider: this is what
 * NCCL's aws-ofi-nccl plugin will ask, so it is the answer that matters. */
#include "node/ev_fabric.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <pthread.h>

#include <rdma/fabric.h>
#include <rdma/fi_errno.h>

#include "util/ev_dl.h"

/* libfabric, opened on the first probe (see ev_dl.h for why). */
#define FI_FNS(X, s, prefix) \
	X(s, prefix, uint32_t, version, (void)) \
	X(s, prefix, int, getinfo, \
	  (uint32_t, const char *, const char *, uint64_t, const struct fi_info *, struct fi_info **)) \
	X(s, prefix, struct fi_info *, dupinfo, (const struct fi_info *)) \
	X(s, prefix, void, freeinfo, (struct fi_info *)) \
	X(s, prefix, const char *, strerror, (int))
static struct {
	FI_FNS(EV_DL_MEMBER, fab, "fi_")
	char why[256];
} fab;
static const struct ev_dl_sym fab_syms[] = { FI_FNS(EV_DL_ENTRY, fab, "fi_") };
static pthread_once_t fab_once = PTHREAD_ONCE_INIT;

static void fab_load(void)
{
	EV_DL_LOAD("libfabric.so.1", fab_syms, fab.why);
}
#define fi_version fab.version
#define fi_getinfo fab.getinfo
#define fi_freeinfo fab.freeinfo
#define fi_strerror fab.strerror
#undef fi_allocinfo
#define fi_allocinfo() fab.dupinfo(NULL)

/* The NIC behind a domain: libfabric's efa provider names domains after the
 * rdma device with "-rdm" or "-dgrm" appended (1.x and 2.x alike). */
static void device_of(const struct fi_info *i, char *out, size_t cap)
{
	const char *dom = i->domain_attr && i->domain_attr->name ? i->domain_attr->name : "";
	size_t n = strlen(dom);

	if (n > 4 && strcmp(dom + n - 4, "-rdm") == 0)
		n -= 4;
	else if (n > 5 && strcmp(dom + n - 5, "-dgrm") == 0)
		n -= 5;
	snprintf(out, cap, "%.*s", (int)n, dom);
}

#define MAX_FABRICS 8

/* Distinct fabric names in sorted order, as "efa, efa-direct"; whatever
 * does not fit (old libfabric named a fabric per device GID, "EFA-fe80::...")
 * ends the list with "...". */
static void list_fabrics(const struct fi_info *info, char *out, size_t cap)
{
	const char *names[MAX_FABRICS];
	size_t n = 0, len = 0;
	bool more = false;

	for (const struct fi_info *i = info; i; i = i->next) {
		const char *name = i->fabric_attr && i->fabric_attr->name ? i->fabric_attr->name : NULL;
		size_t at = 0;

		if (!name || !*name)
			continue;
		while (at < n && strcmp(names[at], name) < 0)
			at++;
		if (at < n && strcmp(names[at], name) == 0)
			continue;
		if (n == MAX_FABRICS) {
			more = true;
			continue;
		}
		memmove(&names[at + 1], &names[at], (n - at) * sizeof(names[0]));
		names[at] = name;
		n++;
	}
	out[0] = '\0';
	for (size_t k = 0; k < n; k++) {
		size_t need = strlen(names[k]) + (k ? 2 : 0);

		/* Keep room for ", ..." in case a later name does not fit. */
		if (len + need + 5 >= cap) {
			more = true;
			break;
		}
		len += (size_t)snprintf(out + len, cap - len, "%s%s", k ? ", " : "", names[k]);
	}
	if (more)
		snprintf(out + len, cap - len, "%s...", len ? ", " : "");
}

int ev_fabric_probe(struct ev_fabric_info *out, struct ev_err *err)
{
	struct fi_info *hints, *info = NULL;
	uint32_t v;
	int rc;

	memset(out, 0, sizeof(*out));
	pthread_once(&fab_once, fab_load);
	if (!fab.version) {
		/* No libfabric at all: no efa provider, said as such. */
		snprintf(out->version, sizeof(out->version), "none");
		snprintf(out->detail, sizeof(out->detail), "libfabric not loadable: %s", fab.why);
		return 0;
	}
	v = fi_version();
	snprintf(out->version, sizeof(out->version), "%u.%u", FI_MAJOR(v), FI_MINOR(v));
	hints = fi_allocinfo();
	if (!hints)
		return ev_errf(err, -ENOMEM, "libfabric: out of memory");
	hints->ep_attr->type = FI_EP_RDM;
	/* Say we accept what libfabric 2's efa-direct fabric requires
	 * (FI_CONTEXT2, local MR descriptors), so it is listed too; the plain
	 * efa fabric, and every 1.x, needs less and is listed either way. */
	hints->mode = FI_CONTEXT | FI_CONTEXT2;
	hints->domain_attr->mr_mode = FI_MR_LOCAL | FI_MR_VIRT_ADDR | FI_MR_ALLOCATED | FI_MR_PROV_KEY;
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
	/* One NIC appears once per fabric (efa, efa-direct) and endpoint type:
	 * counted once. */
	for (struct fi_info *i = info; i; i = i->next) {
		char dev[64], prev[64];
		bool seen = false;

		device_of(i, dev, sizeof(dev));
		for (struct fi_info *j = info; j != i && !seen; j = j->next) {
			device_of(j, prev, sizeof(prev));
			seen = strcmp(prev, dev) == 0;
		}
		if (!seen)
			out->n_efa_devices++;
		if (!out->first_device[0])
			snprintf(out->first_device, sizeof(out->first_device), "%s", dev);
	}
	list_fabrics(info, out->fabrics, sizeof(out->fabrics));
	fi_freeinfo(info);
	return 0;
}
