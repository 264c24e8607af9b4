/* What the plugin's two sides share. efa_verify.c holds the SPANK symbols
 * and hands each hook to the side of the process it runs in: client.c in
 * srun, sbatch and salloc (as the user), stepd.c in slurmstepd (as root).
 * Names here must not start with slurm_spank_, plugin_ or spank_: those
 * are exported (Makefile.am), and nothing of ours may be. */
#ifndef EV_SPANK_PLUGIN_H
#define EV_SPANK_PLUGIN_H

#include <stdbool.h>

#include "ev_slurm_compat.h"
#include <slurm/spank.h>

#include "config/ev_config.h"
#include "config/ev_mode.h"
#include "judge/ev_cause.h"
#include "judge/ev_step_plan.h"
#include "util/ev_limits.h"

#define PFX "efa-verify: "

/* The plugin's state, kept apart by where each part comes from (as pyxis's
 * plugin context keeps the user's arguments, its config and the job apart).
 * Three of them may give a mode: option.value (the user's), plugstack.mode
 * (the admin's plugstack line), and in slurmstepd the config file's.
 * ev_mode_resolve (lib/config/ev_mode.h) picks the step's effective mode
 * from them, and says why in that order. */
struct ev_plugstack_args {              /* the plugstack line: the admin's */
	char config_path[EV_PATH_MAX];
	struct ev_mode_choice mode;     /* mode= */
};

struct ev_plugin_args {
	/* --efa-verify, the user's: from srun/sbatch/salloc, or in a step of
	 * an sbatch/salloc job, the allocation's (stepd.c takes it from the
	 * job's environment). */
	struct ev_mode_choice option;
	struct ev_plugstack_args plugstack;
};

extern struct ev_plugin_args ev_plugin;

/* client.c: srun, sbatch, salloc. */
int ev_client_option(const char *arg);  /* --efa-verify's callback: 0 or -1 (said) */
int ev_client_init_post_opt(spank_t sp);

/* stepd.c: slurmstepd. */
void ev_stepd_reset(void);
int ev_stepd_init_post_opt(spank_t sp);
int ev_stepd_user_init(spank_t sp);
int ev_stepd_task_init(spank_t sp);
int ev_stepd_task_exit(spank_t sp);
void ev_stepd_exit(void);

/* container.c: a step whose tasks run in a container, seen from
 * slurmstepd's side (what stepd.c decided, read-only). */
struct ev_stepd_view {
	const struct ev_config *cfg;
	const char *node;
	enum ev_mode mode;                  /* the step's effective mode, not off */
	const struct ev_step_plan *plan;    /* the host's, as applied in user_init */
	const char *instance_type;          /* "" when unknown */
};
void ev_container_reset(void);
void ev_container_name(spank_t sp);                                          /* init_post_opt, root */
void ev_container_prepare(spank_t sp, const struct ev_stepd_view *v);     /* user_init, root */
int ev_container_task(spank_t sp, const struct ev_stepd_view *v);         /* task_init, the user */
void ev_container_collect(spank_t sp, const struct ev_stepd_view *v, struct ev_causes *step_causes);

#endif
