#include "config/ev_mode.h"

#include <errno.h>
#include <string.h>

int ev_mode_parse_option(const char *optarg, enum ev_mode *out)
{
	if (!optarg || !*optarg || strcmp(optarg, "(null)") == 0) {
		*out = EV_MODE_ENFORCE;
		return 0;
	}
	return ev_mode_parse(optarg, out);
}

enum ev_mode ev_mode_resolve(const struct ev_mode_choice *option, const struct ev_mode_choice *plugstack,
			     enum ev_mode config)
{
	if (option && option->given)
		return option->value;
	if (plugstack && plugstack->given)
		return plugstack->value;
	return config;
}
