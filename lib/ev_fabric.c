/* Ask libfabric itself whether it has an efa provider: this is what
 * NCCL's aws-ofi-nccl plugin will ask, so it is the answer that matters. */
#include "ev_fabric.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <pthread.h>

#include <rdma/fabric.h>
#include <rdma/fi_errno.h>

#include "ev_dl.h"

/* libfabric, opened on the first probe (see ev_dl.h for why). */
static struct {
	uint32_t (*version)(void);
	int (*getinfo)(uint32_t, const char *, const char *, uint64_t, const struct fi_info *,
		       struct fi_info **);
	struct fi_info *(*dupinfo)(const struct fi_info *);
	void (*freeinfo)(struct fi_info *);
	const char *(*strerror)(int);
	char why[256];
} fab;
static pthread_once_t fab_once = PTHREAD_ONCE_INIT;

static void fab_load(void)
{
	const struct ev_dl_sym syms[] = {
		{ "fi_version", (void **)&fab.version },   { "fi_getinfo", (void **)&fab.getinfo },
		{ "fi_dupinfo", (void **)&fab.dupinfo },   { "fi_freeinfo", (void **)&fab.freeinfo },
		{ "fi_strerror", (void **)&fab.strerror },
	};

	ev_dl_load("libfabric.so.1", syms, sizeof(syms) / sizeof(syms[0]), fab.why, sizeof(fab.why));
}
#define fi_version fab.version
#define fi_getinfo fab.getinfo
#define fi_freeinfo fab.freeinfo
#define fi_strerror fab.strerror
#undef fi_allocinfo
#define fi_allocinfo() fab.dupinfo(NULL)

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
