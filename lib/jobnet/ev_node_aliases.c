#include "config.h"

#include "jobnet/ev_node_aliases.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

int ev_node_aliases_addrs(const char *aliases, char *const *names, size_t n, const bool *skip, char **addr,
			  struct ev_err *err)
{
	const char *p = aliases;

	while (p && *p) {
		const char *name = p, *a, *ae, *next;
		size_t nl;

		if (!(a = strchr(p, ':')))
			break;
		nl = (size_t)(a - name);
		a++;
		if (*a == '[') {
			a++;
			if (!(ae = strchr(a, ']')) || ae[1] != ':')
				break;
			next = ae + 2;
		} else {
			if (!(ae = strchr(a, ':')))
				break;
			next = ae + 1;
		}
		next = strchr(next, ',');
		for (size_t k = 0; k < n; k++) {
			if (skip[k] || addr[k] || strlen(names[k]) != nl || strncmp(names[k], name, nl) != 0)
				continue;
			if (!(addr[k] = strndup(a, (size_t)(ae - a))))
				return ev_errf(err, -ENOMEM, "out of memory");
		}
		p = next ? next + 1 : NULL;
	}
	return 0;
}
