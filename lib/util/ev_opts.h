/* What every command's getopt_long table ends with. */
#ifndef EV_OPTS_H
#define EV_OPTS_H

#include <getopt.h>
#include <stddef.h>

/* Every command, and each Slurm-run binary, answers --help (as 'h') the
 * same way; the table's terminator follows it, so neither is forgotten. */
#define EV_OPTS_HELP_END { "help", no_argument, NULL, 'h' }, { NULL, 0, NULL, 0 }

#endif
