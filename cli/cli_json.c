/* How each command's --json answer is written: one object, one line. */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

#include "cli.h"

void cli_json_begin(struct ev_json *j)
{
	ev_json_init(j);
	ev_json_obj_begin(j, NULL);
}

int cli_json_print(struct ev_json *j)
{
	char *s;
	int rc;

	ev_json_obj_end(j);
	if (!(s = ev_json_finish(j, NULL)))
		return -ENOMEM;
	/* top prints one line an interval into a pipe: each goes out now. */
	rc = (puts(s) < 0 || fflush(stdout) != 0) ? -EIO : 0;
	free(s);
	return rc;
}
