#include "node/ev_boot_id.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>

#include "util/ev_file.h"
#include "util/ev_limits.h"

bool ev_boot_id_valid(const char *s)
{
	size_t n = strlen(s);

	if (n >= EV_BOOT_ID_MAX)
		return false;
	for (; *s; s++)
		if (!((*s >= '0' && *s <= '9') || (*s >= 'a' && *s <= 'f') || *s == '-'))
			return false;
	return true;
}

int ev_boot_id_read(const char *proc_root, char out[EV_BOOT_ID_MAX], struct ev_err *err)
{
	char path[EV_PATH_CAP], buf[64];
	long n;

	out[0] = '\0';
	if (ev_path_join(path, sizeof(path), proc_root && *proc_root ? proc_root : "/proc",
			 "sys/kernel/random/boot_id"))
		return ev_errf(err, -ENAMETOOLONG, "proc root too long");
	n = ev_file_read_at(AT_FDCWD, path, buf, sizeof(buf), false, err);
	if (n < 0)
		return (int)n;
	if (n == 0 || !ev_boot_id_valid(buf))
		return ev_errf(err, -EBADMSG, "%s: not a boot id", path);
	memcpy(out, buf, (size_t)n + 1);
	return 0;
}
