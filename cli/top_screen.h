/* The text of one efa-verify top view: the same lines on a terminal (cut
 * to its size, devices folded to a histogram when they do not fit) and as
 * plain output (everything, nothing cut). */
#ifndef EV_TOP_SCREEN_H
#define EV_TOP_SCREEN_H

#include <stdbool.h>
#include <time.h>

#include "util/ev_buf.h"
#include "node/ev_rates.h"

struct top_view {
	const char *node;
	double every_s;               /* the interval asked for */
	time_t when;                  /* of the newer snapshot */
	const struct ev_rates *r;     /* NULL: no rates yet (the first interval) */
	size_t n_devices;             /* with r NULL: devices found */
};

/* Append the view's lines to b, each ending in '\n'. rows and cols are the
 * terminal's; 0 for plain output. On a terminal the devices are expected
 * sorted by traffic (ev_rates_sort_by_traffic). */
void top_render(struct ev_buf *b, const struct top_view *v, int rows, int cols);

/* Rows a full table of n devices takes, so a terminal that has them shows
 * every device (a p5's 32 in 40). */
int top_rows_needed(size_t n);

#endif
