#include "ev_node_info.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <slurm/slurm.h>
#include <slurm/slurm_errno.h>

int ev_node_drain(const char *node, const char *reason, struct ev_err *err)
{
	update_node_msg_t msg;
	char why[512];

	slurm_init_update_node_msg(&msg);
	snprintf(why, sizeof(why), "efa-verify: %s", reason);
	msg.node_names = (char *)node;
	msg.node_state = NODE_STATE_DRAIN;
	msg.reason = why;
	msg.reason_uid = getuid();
	if (slurm_update_node(&msg) != SLURM_SUCCESS)
		return ev_errf(err, -EIO, "cannot drain %s: %s", node, slurm_strerror(slurm_get_errno()));
	return 0;
}
