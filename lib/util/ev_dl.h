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

/* A library's functions are listed once, as FNS(X, s, prefix) applying
 * X(s, prefix, return type, name, (parameters)) to each, the name being the
 * symbol's without the library's prefix. The struct s that holds them
 * declares its members with FNS(EV_DL_MEMBER, s, prefix) and the table that
 * fills them is { FNS(EV_DL_ENTRY, s, prefix) }: every function declared is
 * looked up, under the name of the member it fills. */
#define EV_DL_SYM(s, prefix, member) { prefix #member, (void **)&(s).member }
#define EV_DL_MEMBER(s, prefix, ret, name, params) ret(*name) params;
#define EV_DL_ENTRY(s, prefix, ret, name, params) EV_DL_SYM(s, prefix, name),

/* dlopen soname (RTLD_NOW | RTLD_LOCAL) and resolve every symbol; on any
 * failure every *fn stays NULL and why[] says what was missing. Returns the
 * handle or NULL. Not thread-safe by itself: callers run it under
 * pthread_once. */
void *ev_dl_load(const char *soname, const struct ev_dl_sym *syms, size_t n, char *why, size_t cap);
/* The same for a table syms[] and a buffer why[]. */
#define EV_DL_LOAD(soname, syms, why) \
	ev_dl_load(soname, syms, sizeof(syms) / sizeof((syms)[0]), why, sizeof(why))

#endif
