#ifndef EPILOG_H
#define EPILOG_H

/* The epilog as slurm.conf's EpilogSlurmctld (slurmctld.c). */
int ev_epilog_slurmctld(int argc, char **argv, const char *usage);

#endif
