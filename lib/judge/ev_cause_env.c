#include "judge/ev_cause_env.h"

#include <stdbool.h>
#include <string.h>
#include <strings.h>

/* FI_PROVIDER is a comma-separated list of providers libfabric may use
 * (a layered one as "tcp;ofi_rxm"), or, starting with '^', a list it must
 * not: efa is out when a list of its own leaves it out, or a '^' list
 * names it. */
static bool provider_excludes_efa(const char *v)
{
	bool negated = *v == '^';
	bool named = false;

	for (const char *p = v + negated; *p;) {
		size_t n = strcspn(p, ",;");
		const char *w = p;

		while (n && (*w == ' ' || *w == '\t'))
			w++, n--;
		while (n && (w[n - 1] == ' ' || w[n - 1] == '\t'))
			n--;
		if (n == 3 && strncasecmp(w, "efa", 3) == 0)
			named = true;
		p += strcspn(p, ",;");
		if (*p)
			p++;
	}
	return negated ? named : !named;
}

/* NCCL's own transports: with one of them chosen, NCCL never loads the
 * aws-ofi-nccl plugin. Any other name may be a plugin's. */
static bool nccl_net_not_ofi(const char *v)
{
	return strcasecmp(v, "Socket") == 0 || strcasecmp(v, "IB") == 0;
}

void ev_causes_from_env(ev_env_lookup_fn lookup, void *ctx, int rdma_read, struct ev_causes *cs)
{
	const char *v;

	if ((v = lookup(ctx, "FI_PROVIDER")) && *v && provider_excludes_efa(v))
		ev_causes_add(cs, EV_CAUSE_FI_PROVIDER, EV_CAUSE_CERTAIN, v);
	if ((v = lookup(ctx, "NCCL_NET")) && *v && nccl_net_not_ofi(v))
		ev_causes_add(cs, EV_CAUSE_NCCL_NET, EV_CAUSE_CERTAIN, v);
	if ((v = lookup(ctx, "NCCL_NET_PLUGIN")) && strcasecmp(v, "none") == 0)
		ev_causes_add(cs, EV_CAUSE_NCCL_NET_PLUGIN, EV_CAUSE_CERTAIN, v);
	/* libfabric fails to open the efa provider when asked for RDMA reads
	 * the device cannot do. */
	if (rdma_read == 0 && (v = lookup(ctx, "FI_EFA_USE_DEVICE_RDMA")) && strcmp(v, "1") == 0)
		ev_causes_add(cs, EV_CAUSE_STALE_ENV, EV_CAUSE_CERTAIN, "FI_EFA_USE_DEVICE_RDMA=1");
}

bool ev_cause_excludes_efa(enum ev_cause_name n)
{
	return n == EV_CAUSE_FI_PROVIDER || n == EV_CAUSE_NCCL_NET || n == EV_CAUSE_NCCL_NET_PLUGIN ||
	       n == EV_CAUSE_STALE_ENV || n == EV_CAUSE_MEMLOCK || n == EV_CAUSE_NO_EFA_DEVICE_IN_CONTAINER ||
	       n == EV_CAUSE_NO_EFA_PROVIDER_IN_CONTAINER;
}
