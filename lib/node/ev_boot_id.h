#ifndef EV_BOOT_ID_H
#define EV_BOOT_ID_H

#include <stdbool.h>

#include "util/ev_err.h"

#define EV_BOOT_ID_MAX 40            /* 36 characters of a UUID, and a NUL */

/* This boot's id (proc_root/sys/kernel/random/boot_id; proc_root NULL or ""
 * = "/proc"): a changed boot id between prolog and epilog means the counters
 * restarted. */
int ev_boot_id_read(const char *proc_root, char out[EV_BOOT_ID_MAX], struct ev_err *err);
/* What the kernel's boot_id looks like: lowercase hex and dashes, shorter
 * than EV_BOOT_ID_MAX. */
bool ev_boot_id_valid(const char *s);

#endif
