/* The plugin in srun, sbatch and salloc (local and allocator contexts, as
 * the user): --efa-verify, validated before any allocation, and handed to
 * the prolog and epilog in the job-control environment. */
#include "config.h"

#include <stdint.h>
#include <stdio.h>

#include "plugin.h"
#include "util/ev_printable.h"

int ev_client_option(const char *arg)
{
	if (ev_mode_parse_option(arg, &ev_plugin.option.value) != 0) {
		/* Never echo more than a bounded, printable prefix of user input. */
		char shown[33];
		size_t i = ev_printable(shown, sizeof(shown), arg, SIZE_MAX);

		slurm_error(PFX "invalid value '%s%s' for --efa-verify: valid values are off, report, enforce",
			    shown, arg[i] ? "..." : "");
		return -1;
	}
	ev_plugin.option.given = true;
	return 0;
}

/* Hand an explicit choice to the prolog and epilog (they see it as
 * SPANK_EFA_VERIFY_MODE), and the plugstack line's mode=
 * (SPANK_EFA_VERIFY_PLUGSTACK_MODE): they never read plugstack.conf, and a
 * site that says mode=off there means the job's record too. */
int ev_client_init_post_opt(spank_t sp)
{
	if (ev_plugin.option.given &&
	    spank_job_control_setenv(sp, "EFA_VERIFY_MODE", ev_mode_name(ev_plugin.option.value), 1) != ESPANK_SUCCESS)
		slurm_error(PFX "cannot pass the mode to the prolog/epilog");
	if (ev_plugin.plugstack.mode.given &&
	    spank_job_control_setenv(sp, "EFA_VERIFY_PLUGSTACK_MODE", ev_mode_name(ev_plugin.plugstack.mode.value),
				     1) != ESPANK_SUCCESS)
		slurm_error(PFX "cannot pass the plugstack mode= to the prolog/epilog");
	return 0;
}
