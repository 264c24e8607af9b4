/* EC2 instance metadata over IMDSv2 with libcurl: PUT a token, then GETs
 * carrying it. Every request is bounded by the configured timeout. */
#ifndef EV_IMDS_H
#define EV_IMDS_H

#include <stdbool.h>

#include "util/ev_err.h"
#include "config/ev_instances.h"

struct ev_imds_info {
	char instance_id[EV_NAME_MAX];
	char instance_type[EV_NAME_MAX];
	char availability_zone[EV_NAME_MAX];
	char region[EV_NAME_MAX];
	bool in_group;                 /* false: placement/group-name was 404 */
	char placement_group[256];
};

/* Fetch from endpoint (e.g. "http://169.254.169.254"; a path prefix is kept,
 * so "http://127.0.0.1:8080/n1" asks for /n1/latest/...). Errors:
 *   -ETIMEDOUT   connect or total timeout
 *   -ECONNREFUSED/-EHOSTUNREACH  nothing there
 *   -EACCES      401/403 (token refused)
 *   -EIO         5xx or another unexpected status
 *   -EBADMSG     body not a plausible value (binary, bad characters)
 *   -EMSGSIZE    body larger than any real metadata value
 * with a message saying which URL and what happened. */
int ev_imds_fetch(const char *endpoint, long timeout_ms, struct ev_imds_info *out,
		  struct ev_err *err);

/* Check values the way a fetch checks them: instance id ("i-" and hex),
 * instance type ("p5.48xlarge"), availability zone present and well-formed;
 * region empty or well-formed; in_group exactly when a group name is set,
 * which is printable ASCII without spaces (it travels in space-separated
 * records). For values from anywhere but a fresh fetch, e.g. the cache.
 * 0, or -EBADMSG naming the field. */
int ev_imds_validate(const struct ev_imds_info *m, struct ev_err *err);

/* Whether s is an instance type name as a fetch accepts one
 * ("p5.48xlarge", "u-6tb1.metal"): for one from elsewhere (ev_dmi.h). */
bool ev_imds_instance_type_ok(const char *s);

#endif
