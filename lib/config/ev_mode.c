#include "config/ev_mode.h"

#include <errno.h>
#include <string.h>

const char *const ev_mode_names[EV_MODE_COUNT] = { "off", "report", "enforce" };

const char *ev_mode_name(enum ev_mode m)
{
	if ((int)m < 0 || (size_t)m >= EV_MODE_COUNT)
		return "unknown";
	return ev_mode_names[m];
}

int ev_mode_parse(const char *s, enum ev_mode *out)
{
	if (!s)
		return -EINVAL;
	for (size_t i = 0; i < EV_MODE_COUNT; i++) {
		if (strcmp(s, ev_mode_names[i]) == 0) {
			if (out)
				*out = (enum ev_mode)i;
			return 0;
		}
	}
	return -EINVAL;
}

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
