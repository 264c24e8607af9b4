#include "judge/ev_cause_container.h"

#include <string.h>

#include "judge/ev_cause_versions.h"
#include "judge/ev_env.h"

/* A step's look at its container reads what its environment plan needs;
 * a plan that wanted more than that look reads would plan blind. */
_Static_assert((EV_ENV_SW_MASK & ~EV_IMAGE_SW_STEP) == 0, "a container step reads what the env plan needs");

void ev_cause_container(const struct ev_image_facts *f, const struct ev_instance_type *type,
			struct ev_causes *out)
{
	char detail[EV_CAUSE_DETAIL_MAX] = "";

	if (f->uverbs == 0)
		ev_causes_add(out, EV_CAUSE_NO_EFA_DEVICE_IN_CONTAINER, EV_CAUSE_CERTAIN, "uverbs:0");
	if (f->fabric == EV_FABRIC_NONE)
		strcpy(detail, "libfabric:absent");
	else if (f->fabric == EV_FABRIC_NO_EFA)
		strcpy(detail, "libfabric:no_efa");
	if (!f->libefa)
		strcat(detail, detail[0] ? "/libefa:absent" : "libefa:absent");
	/* Only a libfabric the loader would take, without the provider, proves
	 * it: one (or libefa) missing from the image's library directories may
	 * still come with the job (a conda env, LD_LIBRARY_PATH), and an
	 * enforce step refused on that guess would be a job lost for nothing. */
	if (detail[0])
		ev_causes_add(out, EV_CAUSE_NO_EFA_PROVIDER_IN_CONTAINER,
			      f->fabric == EV_FABRIC_NO_EFA ? EV_CAUSE_CERTAIN : EV_CAUSE_LIKELY, detail);
	ev_causes_from_versions(&f->sw, type, out);
}
