/* rdma-core: open each EFA device the way a libfabric efa endpoint would. */
#include "node/ev_verbs.h"

#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <infiniband/verbs.h>
#ifdef HAVE_EFADV
#include <infiniband/efadv.h>
#endif
#include <pthread.h>

#include "util/ev_dl.h"

/* rdma-core, opened on the first probe (see ev_dl.h for why). */
#define IBV_FNS(X, s, prefix) \
	X(s, prefix, struct ibv_device **, get_device_list, (int *)) \
	X(s, prefix, const char *, get_device_name, (struct ibv_device *)) \
	X(s, prefix, struct ibv_context *, open_device, (struct ibv_device *)) \
	X(s, prefix, int, close_device, (struct ibv_context *)) \
	X(s, prefix, void, free_device_list, (struct ibv_device **))
static struct {
	IBV_FNS(EV_DL_MEMBER, vb, "ibv_")
#ifdef HAVE_EFADV
	int (*efadv_query_device)(struct ibv_context *, struct efadv_device_attr *, uint32_t);
#else
	void *efadv_query_device;
#endif
	char why[256], efa_why[256];
} vb;
static const struct ev_dl_sym ibv_syms[] = { IBV_FNS(EV_DL_ENTRY, vb, "ibv_") };
static const struct ev_dl_sym efadv_syms[] = { EV_DL_SYM(vb, "", efadv_query_device) };
static pthread_once_t vb_once = PTHREAD_ONCE_INIT;

static void vb_load(void)
{
	if (EV_DL_LOAD("libibverbs.so.1", ibv_syms, vb.why))
		EV_DL_LOAD("libefa.so.1", efadv_syms, vb.efa_why);
}

int ev_verbs_probe(const struct ev_device_list *devs, struct ev_verbs_info *out, struct ev_err *err)
{
	struct ibv_device **list;
	int n = 0;

	memset(out, 0, sizeof(*out));
	pthread_once(&vb_once, vb_load);
	if (!vb.get_device_list) {
		snprintf(out->first_failure, sizeof(out->first_failure), "rdma-core not loadable: %s", vb.why);
		return 0;
	}
#ifdef HAVE_EFADV
	out->have_efadv = vb.efadv_query_device != NULL;
#endif
	list = vb.get_device_list(&n);
	if (!list) {
		/* ENOSYS: no kernel RDMA support at all; still a clean answer. */
		if (errno == ENOSYS || errno == ENOENT) {
			n = 0;
		} else {
			return ev_errf(err, -errno, "ibv_get_device_list: %s", strerror(errno));
		}
	}
	out->n_ibv_devices = n;
	for (size_t i = 0; i < devs->n; i++) {
		const char *name = devs->devs[i].name;
		struct ibv_context *ctx = NULL;
		int k;

		for (k = 0; k < n; k++)
			if (strcmp(vb.get_device_name(list[k]), name) == 0)
				break;
		if (k == n) {
			if (!out->first_failure[0])
				snprintf(out->first_failure, sizeof(out->first_failure),
					 "%s: not found by rdma-core (ibv_get_device_list)", name);
			continue;
		}
		ctx = vb.open_device(list[k]);
		if (!ctx) {
			if (!out->first_failure[0])
				snprintf(out->first_failure, sizeof(out->first_failure),
					 "%s: ibv_open_device: %s", name, strerror(errno));
			continue;
		}
		out->n_opened++;
#ifdef HAVE_EFADV
		if (vb.efadv_query_device) {
			struct efadv_device_attr attr;

			if (vb.efadv_query_device(ctx, &attr, sizeof(attr)) == 0)
				out->n_efadv_ok++;
			else if (!out->first_failure[0])
				snprintf(out->first_failure, sizeof(out->first_failure),
					 "%s: efadv_query_device failed: not an EFA device to libefa", name);
		}
#endif
		vb.close_device(ctx);
	}
	if (list)
		vb.free_device_list(list);
	return 0;
}
