/* Which mode a job runs in: off, report or enforce, chosen by whoever
 * says so most narrowly. */
#ifndef EV_MODE_H
#define EV_MODE_H

#include <stdbool.h>

enum ev_mode { EV_MODE_OFF, EV_MODE_REPORT, EV_MODE_ENFORCE };
#define EV_MODE_COUNT 3

/* "off", "report", "enforce", by value. */
extern const char *const ev_mode_names[EV_MODE_COUNT];
const char *ev_mode_name(enum ev_mode m);
/* "off", "report", "enforce" -> 0, else -EINVAL. */
int ev_mode_parse(const char *s, enum ev_mode *out);

/* A mode that one place may give, or not. */
struct ev_mode_choice {
	bool given;
	enum ev_mode value;
};

/* The value of --efa-verify[=MODE] (optarg as Slurm hands it; NULL for the
 * bare form). Bare means enforce, and so does "(null)": sbatch hands a
 * missing optional argument on to the job's steps as that text (Slurm 22.05
 * prints the NULL into SLURM_SPANK_OPTION_*). -EINVAL for any other word
 * than off, report, enforce. */
int ev_mode_parse_option(const char *optarg, enum ev_mode *out);

/* The effective mode, first given of:
 *   1. option: the user's --efa-verify on srun/sbatch/salloc (in a step of
 *      an sbatch/salloc job, the allocation's, from the job environment);
 *   2. plugstack: the plugstack line's mode= (the plugin reads it; the
 *      prolog and epilog, which do not read plugstack.conf, get it from the
 *      plugin in srun/sbatch/salloc as SPANK_EFA_VERIFY_PLUGSTACK_MODE);
 *   3. config: the config file's `mode` (itself report by default).
 * Why this order: each is narrower than the next. The option is one job's
 * own choice, and a user may ask for more (enforce) or less (off:
 * then `record: always` keeps only the record). The plugstack line is the
 * site's setting where the plugin is loaded, and reaches a job's prolog and
 * epilog through it; the config file is the site's default for every piece
 * (prolog, epilog, CLI too). So a job
 * "without the option" gets the plugstack's mode=, then the config's
 * (README, man/efa-verify.yaml.5 `mode`). NULL counts as not given. */
enum ev_mode ev_mode_resolve(const struct ev_mode_choice *option, const struct ev_mode_choice *plugstack,
			     enum ev_mode config);

#endif
