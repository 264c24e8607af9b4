#include "util/ev_dl.h"

#include <dlfcn.h>
#include <stdio.h>

void *ev_dl_load(const char *soname, const struct ev_dl_sym *syms, size_t n, char *why, size_t cap)
{
	void *h = dlopen(soname, RTLD_NOW | RTLD_LOCAL);

	if (!h) {
		snprintf(why, cap, "%s", dlerror());
		return NULL;
	}
	for (size_t i = 0; i < n; i++) {
		void *p = dlsym(h, syms[i].name);

		if (!p) {
			snprintf(why, cap, "%s: no symbol %s", soname, syms[i].name);
			for (size_t k = 0; k < n; k++)
				*syms[k].fn = NULL;
			dlclose(h);
			return NULL;
		}
		*syms[i].fn = p;
	}
	why[0] = '\0';
	return h;
}
