#include "record/ev_stepline.h"

#include <stdio.h>

#include "util/ev_units.h"

int ev_step_line(const char *node, const struct ev_node_delta *d, const struct ev_node_verdict *v,
		 const struct ev_causes *causes, uint64_t min_bytes, char *out, size_t cap)
{
	uint64_t total = d->efa_bytes + d->tcp_bytes;
	char rate[32] = "", efa[32], tcp[32], reason[EV_REASON_MAX + 4] = "";
	char why[EV_CAUSES_MAX * (EV_CAUSE_DETAIL_MAX + 40) + 16] = "";
	size_t nc = causes ? causes->n : 0, w = 0;

	if (cap)
		out[0] = '\0';
	/* no_traffic and ok are said only where there was traffic to see;
	 * anything worse is always worth the line. */
	if (total < min_bytes && ev_verdict_worse(v->verdict, EV_V_OK) == EV_V_OK && !nc)
		return 0;
	/* What the user can act on, proven or suggested, after the numbers. */
	for (size_t i = 0; i < nc && i < EV_CAUSES_MAX; i++) {
		const struct ev_cause *c = &causes->c[i];

		w += (size_t)snprintf(why + w, sizeof(why) - w, "%s%s%s%s%s%s", i ? ", " : "; cause: ",
				      c->certainty == EV_CAUSE_LIKELY ? "likely " : "", ev_cause_name(c->name),
				      c->detail[0] ? "(" : "", c->detail, c->detail[0] ? ")" : "");
	}
	if (v->reason[0])
		snprintf(reason, sizeof(reason), " (%s)", v->reason);
	/* No window (clock stepped back): no rate rather than a made-up one. */
	if (d->duration_ns)
		snprintf(rate, sizeof(rate), ", EFA %s Gb/s",
			 ev_gbps_text(ev_gbps(d->efa_bytes, d->duration_ns), efa, sizeof(efa)));
	snprintf(out, cap, "%s: %s%s%s, %.1f%% of traffic (EFA %s, TCP %s in %.1f s)%s", node,
		 ev_verdict_name(v->verdict), reason, rate,
		 total ? 100.0 * (double)d->efa_bytes / (double)total : 0.0,
		 ev_bytes_human(d->efa_bytes, efa, sizeof(efa)), ev_bytes_human(d->tcp_bytes, tcp, sizeof(tcp)),
		 (double)d->duration_ns / 1e9, why);
	return 1;
}
