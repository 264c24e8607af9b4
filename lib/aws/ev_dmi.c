#include "aws/ev_dmi.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>

#include "aws/ev_imds.h"
#include "util/ev_file.h"
#include "util/ev_limits.h"
#include "util/ev_printable.h"

int ev_dmi_instance_type(const char *sysfs_root, char *out, size_t cap, struct ev_err *err)
{
	/* Larger than any type name: a long product name is refused whole,
	 * never cut into one that looks like a type. */
	char path[4096], buf[256], shown[64];
	long n;

	if (cap)
		out[0] = '\0';
	if (snprintf(path, sizeof(path), "%s/class/dmi/id/product_name", sysfs_root) >= (int)sizeof(path))
		return ev_errf(err, -ENAMETOOLONG, "%s: path too long", sysfs_root);
	if ((n = ev_file_read_at(AT_FDCWD, path, buf, sizeof(buf), false, err)) < 0)
		return (int)n;
	if ((size_t)n >= sizeof(buf) - 1 || (size_t)n >= cap || !ev_imds_instance_type_ok(buf)) {
		ev_printable(shown, sizeof(shown), buf, 48);
		return ev_errf(err, -EBADMSG, "%s: '%s' is not an instance type", path, shown);
	}
	memcpy(out, buf, (size_t)n + 1);
	return 0;
}
