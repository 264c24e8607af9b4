/* What a container's facts prove about a step run in it (container/
 * ev_image.h): no EFA device visible in it, no libfabric with the efa
 * provider or no libefa in its image, and its software against the
 * instance type's minimums. Pure: the facts are gathered by the caller,
 * inside the container. */
#ifndef EV_CAUSE_CONTAINER_H
#define EV_CAUSE_CONTAINER_H

#include "config/ev_instances.h"
#include "container/ev_image.h"
#include "judge/ev_cause.h"

/* no_efa_device_in_container: certain where the container was looked at
 * and shows no uverbs device (uverbs 0; -1, not looked, names nothing).
 * no_efa_provider_in_container: certain where the libfabric the loader
 * would take has no efa provider; likely where libfabric or libefa is
 * absent from the image's library directories (the job may bring them);
 * the detail names which
 * ("libfabric:no_efa", "libfabric:absent", "libefa:absent", or two joined
 * by '/'). A libfabric not judged (EV_FABRIC_UNKNOWN) names nothing of
 * its own. versions~: the container's software against type's minimums,
 * as ev_causes_from_versions judges a node's (likely); type NULL: none. */
void ev_cause_container(const struct ev_image_facts *f, const struct ev_instance_type *type,
			struct ev_causes *out);

#endif
