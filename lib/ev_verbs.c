/* rdma-core: open each EFA device the way a libfabric efa endpoint would. */
#include "ev_verbs.h"

#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <infiniband/verbs.h>
#ifdef HAVE_EFADV
#include <infiniband/efadv.h>
#endif

int ev_verbs_probe(const struct ev_device_list *devs, struct ev_verbs_info *out, struct ev_err *err)
{
	struct ibv_device **list;
	int n = 0;

	memset(out, 0, sizeof(*out));
#ifdef HAVE_EFADV
	out->have_efadv = true;
#endif
	list = ibv_get_device_list(&n);
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
			if (strcmp(ibv_get_device_name(list[k]), name) == 0)
				break;
		if (k == n) {
			if (!out->first_failure[0])
				snprintf(out->first_failure, sizeof(out->first_failure),
					 "%s: not found by rdma-core (ibv_get_device_list)", name);
			continue;
		}
		ctx = ibv_open_device(list[k]);
		if (!ctx) {
			if (!out->first_failure[0])
				snprintf(out->first_failure, sizeof(out->first_failure),
					 "%s: ibv_open_device: %s", name, strerror(errno));
			continue;
		}
		out->n_opened++;
#ifdef HAVE_EFADV
		{
			struct efadv_device_attr attr;

			if (efadv_query_device(ctx, &attr, sizeof(attr)) == 0)
				out->n_efadv_ok++;
			else if (!out->first_failure[0])
				snprintf(out->first_failure, sizeof(out->first_failure),
					 "%s: efadv_query_device failed: not an EFA device to libefa", name);
		}
#endif
		ibv_close_device(ctx);
	}
	if (list)
		ibv_free_device_list(list);
	return 0;
}
