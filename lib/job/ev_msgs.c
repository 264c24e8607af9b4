#include "job/ev_msgs.h"

#include <stdarg.h>
#include <stdio.h>

void ev_msgf(struct ev_msgs *l, int prio, const char *fmt, ...)
{
	va_list ap;

	if (l->n >= EV_MSGS_MAX) {
		l->lost++;
		return;
	}
	l->m[l->n].prio = prio;
	va_start(ap, fmt);
	vsnprintf(l->m[l->n].text, EV_MSG_MAX, fmt, ap);
	va_end(ap);
	l->n++;
}
