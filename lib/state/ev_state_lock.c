#include "state/ev_state_lock.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "config/ev_config.h"
#include "util/ev_file.h"
#include "state/ev_state_dir.h"

int ev_state_lock(const char *state_dir, const char *name, struct ev_err *err)
{
	char file[EV_NAME_MAX + 8];
	int rc;

	if (!ev_valid_name(name, EV_NAME_MAX))
		return ev_errf(err, -EINVAL, "lock name refused");
	snprintf(file, sizeof(file), "%s.lock", name);
	if (!state_dir || !*state_dir)
		return ev_errf(err, -EINVAL, "no state_dir");
	if ((rc = ev_state_make_dir(state_dir, err)) || (rc = ev_state_check_dir(state_dir, err)))
		return rc;
	return ev_state_lock_file(state_dir, file, err);
}

int ev_state_lock_file(const char *state_dir, const char *name, struct ev_err *err)
{
	char path[EV_PATH_CAP];
	struct stat st;
	int fd, rc;

	if (ev_path_join(path, sizeof(path), state_dir, name))
		return ev_errf(err, -ENAMETOOLONG, "%s: path too long", state_dir);
	fd = open(path, O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK | O_NOCTTY, 0600);
	if (fd < 0)
		return ev_errf(err, -errno, "%s: %s", path, strerror(errno));
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) || st.st_uid != geteuid()) {
		close(fd);
		return ev_errf(err, -EPERM, "%s: not a private regular file, refused", path);
	}
	while (flock(fd, LOCK_EX) != 0) {
		if (errno != EINTR) {
			rc = -errno;
			close(fd);
			return ev_errf(err, rc, "%s: lock: %s", path, strerror(-rc));
		}
	}
	return fd;
}
