/* What the node's EFA software says about a job that was not ok: a
 * component below its instance type's minimum, or NCCL found without the
 * aws-ofi-nccl plugin that lets it use EFA. Only suggests why (the job may
 * not have used the component, or may bring its own), so always likely.
 * Pure: the versions are read by the caller. */
#ifndef EV_CAUSE_VERSIONS_H
#define EV_CAUSE_VERSIONS_H

#include "config/ev_instances.h"
#include "judge/ev_cause.h"
#include "node/ev_versions.h"

/* v falls short of min: found, with a minimum ("" is none), and older.
 * What the cause below names, and how efa-verify check --root judges each
 * component. */
bool ev_version_short(const struct ev_sw_version *v, const char *min);

/* it: the node's instance type (NULL: minimums unknown, nothing named).
 * The first component in ev_sw order that falls short is the detail:
 * "aws_ofi_nccl:1.5.0/min:1.6.0", or "aws_ofi_nccl:absent". */
void ev_causes_from_versions(const struct ev_versions *sw, const struct ev_instance_type *it,
			     struct ev_causes *cs);

#endif
