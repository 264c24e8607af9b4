#include "record/ev_stepline.h"

#include <stdio.h>

#include "util/ev_units.h"

int ev_step_line(const char *node, const struct ev_node_delta *d, const struct ev_node_verdict *v,
		 uint64_t min_bytes, char *out, size_t cap)
{
	uint64_t total = d->efa_bytes + d->tcp_bytes;
	char rate[32] = "", efa[32], tcp[32], reason[EV_REASON_MAX + 4] = "";

	if (cap)
		out[0] = '\0';
	/* no_traffic and ok are said only where there was traffic to see;
	 * anything worse is always worth the line. */
	if (total < min_bytes && ev_verdict_worse(v->verdict, EV_V_OK) == EV_V_OK)
		return 0;
	if (v->reason[0])
		snprintf(reason, sizeof(reason), " (%s)", v->reason);
	/* No window (clock stepped back): no rate rather than a made-up one. */
	if (d->duration_ns)
		snprintf(rate, sizeof(rate), ", EFA %s Gb/s",
			 ev_gbps_text(ev_gbps(d->efa_bytes, d->duration_ns), efa, sizeof(efa)));
	snprintf(out, cap, "%s: %s%s%s, %.1f%% of traffic (EFA %s, TCP %s in %.1f s)", node,
		 ev_verdict_name(v->verdict), reason, rate,
		 total ? 100.0 * (double)d->efa_bytes / (double)total : 0.0,
		 ev_bytes_human(d->efa_bytes, efa, sizeof(efa)), ev_bytes_human(d->tcp_bytes, tcp, sizeof(tcp)),
		 (double)d->duration_ns / 1e9);
	return 1;
}
