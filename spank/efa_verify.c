/* efa_verify.so: the SPANK side of efa-verify. This file is its face to
 * Slurm: the symbols Slurm looks up, the option, the plugstack line, and
 * which side of the plugin each hook belongs to (as NVIDIA pyxis splits
 * its plugin, one file per process behind a small dispatcher):
 *
 * srun/sbatch/salloc (local and allocator contexts, as the user): client.c,
 * the --efa-verify option, validated before any allocation, and handed to
 * the prolog/epilog as SPANK_EFA_VERIFY_MODE.
 * slurmstepd (remote context, root): stepd.c. On nodes with EFA devices,
 * the EFA environment goes into the tasks; in enforce mode the node's
 * readiness is judged before the user's tasks start and a node that is not
 * ready fails the step with one line saying why.
 *
 * Nothing the user controls reaches a path: the option takes three words,
 * the config comes from plugstack or the default path, never from the job's
 * environment. IMDS is read from the per-boot cache, so a step makes no IMDS
 * request once a node has asked once. */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "plugin.h"

SPANK_PLUGIN(efa_verify, 1);

struct ev_plugin_args ev_plugin;

static int opt_cb(int val, const char *arg, int remote)
{
	(void)val;
	(void)remote;
	return ev_client_option(arg);
}

/* Registered from slurm_spank_init: an exported spank_options table would
 * not reach sbatch and salloc (allocator context). */
static struct spank_option efa_verify_option[] = {
	{ "efa-verify", "[off|report|enforce]",
	  "Check that this job's traffic uses EFA (efa-verify): report records it, "
	  "enforce also fails steps on nodes not ready, off does nothing. "
	  "Bare --efa-verify means enforce; without it the site default applies.",
	  2, 0, opt_cb },
	SPANK_OPTIONS_TABLE_END
};

static int parse_plugstack_args(int ac, char **av)
{
	struct ev_plugstack_args *ps = &ev_plugin.plugstack;

	snprintf(ps->config_path, sizeof(ps->config_path), "%s", EV_DEFAULT_CONFIG);
	for (int i = 0; i < ac; i++) {
		if (strncmp(av[i], "config=", 7) == 0) {
			if (av[i][7] != '/' || strlen(av[i] + 7) >= sizeof(ps->config_path)) {
				slurm_error(PFX "plugstack: config= needs an absolute path");
				return -1;
			}
			snprintf(ps->config_path, sizeof(ps->config_path), "%s", av[i] + 7);
		} else if (strncmp(av[i], "mode=", 5) == 0) {
			if (ev_mode_parse(av[i] + 5, &ps->mode.value) != 0) {
				slurm_error(PFX "plugstack: mode=%s is not off, report or enforce", av[i] + 5);
				return -1;
			}
			ps->mode.given = true;
		} else {
			slurm_error(PFX "plugstack: unknown argument '%s' (known: config=PATH, mode=MODE)", av[i]);
			return -1;
		}
	}
	return 0;
}

int slurm_spank_init(spank_t sp, int ac, char **av)
{
	memset(&ev_plugin, 0, sizeof(ev_plugin));
	ev_stepd_reset();
	if (spank_option_register(sp, &efa_verify_option[0]) != ESPANK_SUCCESS) {
		slurm_error(PFX "cannot register --efa-verify");
		return -1;
	}
	return parse_plugstack_args(ac, av);
}

int slurm_spank_init_post_opt(spank_t sp, int ac, char **av)
{
	(void)ac;
	(void)av;
	return spank_remote(sp) ? ev_stepd_init_post_opt(sp) : ev_client_init_post_opt(sp);
}

/* The hooks only slurmstepd's side has: the client's contexts never call
 * them for anything of ours. */
#define STEPD_ONLY(hook, fn)                                        \
	int slurm_spank_##hook(spank_t sp, int ac, char **av)       \
	{                                                           \
		(void)ac;                                           \
		(void)av;                                           \
		return spank_remote(sp) ? fn(sp) : 0;               \
	}
STEPD_ONLY(user_init, ev_stepd_user_init)
STEPD_ONLY(task_init, ev_stepd_task_init)
STEPD_ONLY(task_exit, ev_stepd_task_exit)

int slurm_spank_exit(spank_t sp, int ac, char **av)
{
	(void)sp;
	(void)ac;
	(void)av;
	ev_stepd_exit();
	return 0;
}
