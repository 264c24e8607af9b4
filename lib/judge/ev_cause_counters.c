#include "judge/ev_cause_counters.h"

#include <inttypes.h>
#include <stdio.h>

/* The peers' silence: most of what was sent had no answer, and the device
 * itself gave up on a peer. Low rx alone is a job that only sends (a
 * broadcast root); a timeout alone is one flaky peer among many. */
static bool unreachable(const struct ev_node_delta *d)
{
	return d->n_pkts && d->tx_pkts >= EV_UNREACHABLE_MIN_TX_PKTS &&
	       d->rx_pkts < d->tx_pkts / EV_UNREACHABLE_RX_PER_TX &&
	       (d->unresponsive_remote_events || d->retrans_timeout_events);
}

/* "tx_pkts:T/rx_pkts:R" then the events that grew, the larger first,
 * while the whole fits: a count is never cut. An event's name shortens
 * ("unresponsive", "retrans_timeout") before the event is left out; the
 * packet counts, the pattern's heart, come whole. */
static void unreachable_detail(const struct ev_node_delta *d, char *out, size_t cap)
{
	static const char *const names[2][2] = { { "unresponsive_remote_events", "unresponsive" },
						 { "retrans_timeout_events", "retrans_timeout" } };
	const uint64_t v[2] = { d->unresponsive_remote_events, d->retrans_timeout_events };
	int first = v[0] >= v[1] ? 0 : 1;
	int n = snprintf(out, cap, "tx_pkts:%" PRIu64 "/rx_pkts:%" PRIu64, d->tx_pkts, d->rx_pkts);

	if (n < 0 || (size_t)n >= cap)
		return;
	for (int k = 0; k < 2; k++) {
		int i = k ? 1 - first : first;

		if (!v[i])
			continue;
		for (int s = 0; s < 2; s++) {
			int m = snprintf(out + n, cap - (size_t)n, "/%s:%" PRIu64, names[i][s], v[i]);

			if (m >= 0 && (size_t)m < cap - (size_t)n) {
				n += m;
				break;
			}
			out[n] = '\0';
		}
	}
}

void ev_causes_from_delta(const struct ev_node_delta *d, struct ev_causes *cs)
{
	char detail[EV_CAUSE_DETAIL_MAX];

	if (d->top_setup_error_delta) {
		snprintf(detail, sizeof(detail), "%s:%" PRIu64, d->top_setup_error, d->top_setup_error_delta);
		ev_causes_add(cs, EV_CAUSE_SETUP_ERRORS, EV_CAUSE_CERTAIN, detail);
	}
	if (unreachable(d)) {
		unreachable_detail(d, detail, sizeof(detail));
		ev_causes_add(cs, EV_CAUSE_UNREACHABLE_PEERS, EV_CAUSE_LIKELY, detail);
	}
}
