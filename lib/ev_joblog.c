#include "ev_joblog.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ev_file.h"

int ev_joblog_append(const char *path, const char *line, size_t len, struct ev_err *err)
{
	char dir[4096], *slash, *buf;
	ssize_t w;
	int fd, rc;

	if (strlen(path) >= sizeof(dir))
		return ev_errf(err, -ENAMETOOLONG, "%s: path too long", path);
	memcpy(dir, path, strlen(path) + 1);
	slash = strrchr(dir, '/');
	if (slash && slash != dir) {
		*slash = '\0';
		if ((rc = ev_mkdir_p(dir, 0750, true, err)))
			return rc;
	}
	buf = malloc(len + 1);
	if (!buf)
		return ev_errf(err, -ENOMEM, "out of memory");
	memcpy(buf, line, len);
	buf[len] = '\n';
	fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK, 0640);
	if (fd < 0) {
		rc = -errno;
		free(buf);
		return ev_errf(err, rc, "%s: %s", path, strerror(-rc));
	}
	w = write(fd, buf, len + 1);
	rc = w == (ssize_t)(len + 1) ? 0 : (w < 0 ? -errno : -EIO);
	close(fd);
	free(buf);
	if (rc)
		return ev_errf(err, rc, "%s: short write", path);
	return 0;
}
