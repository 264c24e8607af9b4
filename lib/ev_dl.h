/* Optional libraries loaded when first needed, not at program start.
 *
 * The SPANK plugin is loaded into every srun and slurmstepd. Linking it
 * against libfabric made every step pay for libfabric's own dependencies
 * (Debian's build pulls in libpsm2 and libinfinipath, whose constructors
 * spin for ~100 ms each: bench/run measured srun -N4 at +553%), and libcurl
 * adds ~20 ms, though a step needs neither once IMDS is cached and no probe
 * runs. So these libraries are opened with dlopen by the code that uses
 * them, once per process, the first time it needs them. */
#ifndef EV_DL_H
#define EV_DL_H

#include <stddef.h>

struct ev_dl_sym {
	const char *name;
	void **fn;          /* where the address goes */
};

/* The entry for the library's function prefix##member, filling s.member:
 * the name looked up and the pointer it fills are spelled once, so they
 * cannot disagree. EV_DL_SYM(cu, "curl_", easy_init) is
 * { "curl_easy_init", (void **)&cu.easy_init }. */
#define EV_DL_SYM(s, prefix, member) { prefix #member, (void **)&(s).member }

/* dlopen soname (RTLD_NOW | RTLD_LOCAL) and resolve every symbol; on any
 * failure every *fn stays NULL and why[] says what was missing. Returns the
 * handle or NULL. Not thread-safe by itself: callers run it under
 * pthread_once. */
void *ev_dl_load(const char *soname, const struct ev_dl_sym *syms, size_t n, char *why, size_t cap);

#endif
