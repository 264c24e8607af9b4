#include "container/ev_root_name.h"

#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "util/ev_printable.h"

/* mountinfo escapes space, tab, newline and backslash as \ooo. */
static void unescape(const char *s, size_t len, char *out, size_t cap)
{
	size_t o = 0;

	for (size_t i = 0; i < len && o + 1 < cap; i++) {
		if (s[i] == '\\' && i + 3 < len && s[i + 1] >= '0' && s[i + 1] <= '3' &&
		    s[i + 2] >= '0' && s[i + 2] <= '7' && s[i + 3] >= '0' && s[i + 3] <= '7') {
			out[o++] = (char)((s[i + 1] - '0') * 64 + (s[i + 2] - '0') * 8 + (s[i + 3] - '0'));
			i += 3;
		} else {
			out[o++] = s[i];
		}
	}
	out[o] = '\0';
}

/* Field n (0-based) of a space-separated line: its start and length. */
static const char *field(const char *line, const char *end, int n, size_t *len)
{
	const char *p = line;

	for (int i = 0; i < n; i++) {
		p = memchr(p, ' ', (size_t)(end - p));
		if (!p)
			return NULL;
		p++;
	}
	{
		const char *sp = memchr(p, ' ', (size_t)(end - p));

		*len = (size_t)((sp ? sp : end) - p);
	}
	return p;
}

int ev_root_name(const char *mountinfo, char *out, size_t cap, struct ev_err *err)
{
	char *buf = malloc(EV_MOUNTINFO_MAX + 1), raw[4096];
	size_t n = 0, len, mlen;
	bool found = false, bad = false;
	ssize_t r;
	int fd, rc;

	if (cap)
		out[0] = '\0';
	if (!buf)
		return ev_errf(err, -ENOMEM, "out of memory");
	fd = open(mountinfo, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	if (fd < 0) {
		rc = -errno;
		free(buf);
		return ev_errf(err, rc, "%s: %s", mountinfo, strerror(-rc));
	}
	while (n < EV_MOUNTINFO_MAX && (r = read(fd, buf + n, EV_MOUNTINFO_MAX - n)) > 0)
		n += (size_t)r;
	close(fd);
	buf[n] = '\0';
	/* The last mount on "/" is the one the process sees. */
	for (char *line = buf, *nl; line < buf + n; line = nl + 1) {
		const char *root, *mnt;

		nl = memchr(line, '\n', (size_t)(buf + n - line));
		if (!nl)
			nl = buf + n;
		mnt = field(line, nl, 4, &mlen);
		root = field(line, nl, 3, &len);
		if (!mnt || !root) {
			bad = true;
			continue;
		}
		if (mlen == 1 && mnt[0] == '/') {
			unescape(root, len < sizeof(raw) ? len : sizeof(raw) - 1, raw, sizeof(raw));
			ev_printable(out, cap, raw, cap ? cap - 1 : 0);
			found = true;
		}
	}
	free(buf);
	if (found)
		return 0;
	if (bad)
		return ev_errf(err, -EINVAL, "%s: not a mount table", mountinfo);
	return ev_errf(err, -ENOENT, "%s: nothing is mounted on /", mountinfo);
}
