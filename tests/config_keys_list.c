/* Prints every key of efa-verify.yaml from the parser's own table
 * (lib/config/ev_config_keys.c), one dotted path a line, "*" for the name of an
 * entry of an open map: what tests/integration/config_documented.sh
 * checks the sample and the man page against. */
#include <stdio.h>
#include <string.h>

#include "config/ev_config_keys.h"

static void list(const struct ev_key *keys, const char *path)
{
	for (const struct ev_key *k = keys; k->name; k++) {
		char full[256];

		snprintf(full, sizeof(full), "%s%s%s", path, *path ? "." : "", k->name);
		puts(full);
		if (k->type == EV_KEY_CUSTOM && k->sub) {
			snprintf(full + strlen(full), sizeof(full) - strlen(full), ".*");
			list(k->sub, full);
		} else if (k->sub) {
			list(k->sub, full);
		}
	}
}

int main(void)
{
	list(ev_config_keys, "");
	return 0;
}
