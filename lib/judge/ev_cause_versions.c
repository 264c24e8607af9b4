#include "judge/ev_cause_versions.h"

#include <stdio.h>

bool ev_version_short(const struct ev_sw_version *v, const char *min)
{
	return min && min[0] && v->present && ev_version_cmp(v->version, min) < 0;
}

void ev_causes_from_versions(const struct ev_versions *sw, const struct ev_instance_type *it,
			     struct ev_causes *cs)
{
	char detail[EV_CAUSE_DETAIL_MAX];

	if (!sw || !it)
		return;
	for (int i = 0; i < EV_SW__COUNT; i++) {
		const struct ev_sw_version *v = &sw->sw[i];

		if (!ev_version_short(v, it->min_version[i]))
			continue;
		snprintf(detail, sizeof(detail), "%s:%s/min:%s", ev_sw_name((enum ev_sw)i), v->version,
			 it->min_version[i]);
		ev_causes_add(cs, EV_CAUSE_VERSIONS, EV_CAUSE_LIKELY, detail);
		return;
	}
	/* Absent software is not named in general: a job may bring its own
	 * (a container, a module) where the node's tree does not show it.
	 * NCCL on the node without the plugin is the exception: that NCCL
	 * cannot reach EFA at all. */
	if (it->min_version[EV_SW_AWS_OFI_NCCL][0] && sw->sw[EV_SW_NCCL].present &&
	    !sw->sw[EV_SW_AWS_OFI_NCCL].present) {
		snprintf(detail, sizeof(detail), "%s:absent", ev_sw_name(EV_SW_AWS_OFI_NCCL));
		ev_causes_add(cs, EV_CAUSE_VERSIONS, EV_CAUSE_LIKELY, detail);
	}
}
