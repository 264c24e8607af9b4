/* efa-verify top's view as text. Every line stays under 100 columns, so a
 * p5's 32 devices fit a 100x40 terminal whole; a smaller one gets the
 * devices folded to a histogram of their traffic, with the devices that
 * need a look (not ACTIVE, reset, gone, errors) still listed one by one. */
#include "top_screen.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

/* Title, EFA totals, TCP, a blank line and the column header. */
#define HEAD_ROWS 5
#define MAX_BUCKETS 12

int top_rows_needed(size_t n)
{
	return HEAD_ROWS + (int)n;
}

static const char *fmt_gbps(char *b, size_t cap, double v)
{
	if (isnan(v))
		snprintf(b, cap, "-");
	else
		snprintf(b, cap, "%.2f", v);
	return b;
}

/* Packets and events per second, in at most 7 columns. */
static const char *fmt_count(char *b, size_t cap, double v)
{
	if (isnan(v))
		snprintf(b, cap, "-");
	else if (v == 0)
		snprintf(b, cap, "0");
	else if (v < 100)
		snprintf(b, cap, "%.1f", v);
	else if (v < 10000)
		snprintf(b, cap, "%.0f", v);
	else if (v < 1e6)
		snprintf(b, cap, "%.1fk", v / 1e3);
	else if (v < 1e9)
		snprintf(b, cap, "%.1fM", v / 1e6);
	else
		snprintf(b, cap, "%.1fG", v / 1e9);
	return b;
}

static const char *fmt_share(char *b, size_t cap, double v)
{
	if (isnan(v))
		snprintf(b, cap, "-");
	else
		/* Rounded down: a node that moved any TCP never shows 100%. */
		snprintf(b, cap, "%.1f%%", floor(v * 1000) / 10);
	return b;
}

/* Why a device's numbers are missing, or the error counter growing most. */
static void note_of(char *b, size_t cap, const struct ev_dev_rate *d)
{
	const struct ev_error_rate *top = NULL;

	b[0] = '\0';
	if (d->status == EV_RATE_RESET || d->status == EV_RATE_UNREADABLE) {
		snprintf(b, cap, "%s (%s)", ev_rate_status_name(d->status), d->bad_counter);
		return;
	}
	if (d->status != EV_RATE_OK) {
		snprintf(b, cap, "%s", ev_rate_status_name(d->status));
		return;
	}
	for (size_t i = 0; i < d->n_errors; i++)
		if (d->errors[i].per_s > 0 && (!top || d->errors[i].per_s > top->per_s))
			top = &d->errors[i];
	if (top)
		snprintf(b, cap, "%s", top->name);
}

static bool needs_look(const struct ev_dev_rate *d)
{
	return d->status != EV_RATE_OK || strcmp(d->port_state, "ACTIVE") != 0 || d->errors_per_s > 0;
}

/* Below 100 columns the packet rates go, so the notes (reset, gone, the
 * error counter growing) stay in sight on an 80-column terminal. */
static bool wide(int cols)
{
	return cols <= 0 || cols >= 100;
}

static void column_header(struct ev_buf *b, int cols)
{
	ev_buf_printf(b, "%-12s %-8s %7s %7s ", "DEVICE", "PORT", "TX Gb/s", "RX Gb/s");
	if (wide(cols))
		ev_buf_printf(b, "%7s %7s ", "TX pps", "RX pps");
	ev_buf_printf(b, "%7s %7s %6s  %s\n", "RD Gb/s", "WR Gb/s", "ERR/s", "NOTE");
}

static void dev_row(struct ev_buf *b, const struct ev_dev_rate *d, int cols)
{
	char x[16], y[16], er[16], note[64];

	note_of(note, sizeof(note), d);
	ev_buf_printf(b, "%-12s %-8.8s %7s ", d->dev, d->port_state[0] ? d->port_state : "-",
		      fmt_gbps(x, sizeof(x), d->tx_gbps));
	ev_buf_printf(b, "%7s ", fmt_gbps(x, sizeof(x), d->rx_gbps));
	if (wide(cols))
		ev_buf_printf(b, "%7s %7s ", fmt_count(x, sizeof(x), d->tx_pps), fmt_count(y, sizeof(y), d->rx_pps));
	ev_buf_printf(b, "%7s %7s %6s%s%s\n", fmt_gbps(x, sizeof(x), d->rdma_read_gbps),
		      fmt_gbps(y, sizeof(y), d->rdma_write_gbps),
		      d->status == EV_RATE_OK ? fmt_count(er, sizeof(er), d->errors_per_s) : "-", note[0] ? "  " : "",
		      note);
}

static void head(struct ev_buf *b, const struct top_view *v)
{
	const struct ev_rates *r = v->r;
	char hm[16], a[16], c[16], e[16], f[16], g[16], sh[16];
	struct tm tm;

	localtime_r(&v->when, &tm);
	strftime(hm, sizeof(hm), "%H:%M:%S", &tm);
	if (!r) {
		ev_buf_printf(b, "efa-verify top - %s - %s - every %g s - %zu EFA device%s\n", v->node, hm, v->every_s,
			      v->n_devices, v->n_devices == 1 ? "" : "s");
		ev_buf_printf(b, "first rates in %g s\n", v->every_s);
		return;
	}
	ev_buf_printf(b, "efa-verify top - %s - %s - every %g s - %zu EFA device%s, %zu ACTIVE", v->node, hm,
		      v->every_s, r->n, r->n == 1 ? "" : "s", r->n_active);
	if (r->n_not_ok)
		ev_buf_printf(b, ", %zu not counted", r->n_not_ok);
	ev_buf_printf(b, "\n");
	ev_buf_printf(b, "EFA %8s Gb/s, share %s (tx %s, rx %s; RDMA rd %s, wr %s)\n",
		      fmt_gbps(a, sizeof(a), r->efa_gbps), fmt_share(sh, sizeof(sh), r->efa_share),
		      fmt_gbps(c, sizeof(c), r->efa_tx_gbps), fmt_gbps(e, sizeof(e), r->efa_rx_gbps),
		      fmt_gbps(f, sizeof(f), r->efa_rdma_read_gbps), fmt_gbps(g, sizeof(g), r->efa_rdma_write_gbps));
	/* Interface counters: all IP traffic on them, not only the job's. */
	ev_buf_printf(b, "TCP %8s Gb/s (tx %s, rx %s) on", fmt_gbps(a, sizeof(a), r->tcp_gbps),
		      fmt_gbps(c, sizeof(c), r->tcp_tx_gbps), fmt_gbps(e, sizeof(e), r->tcp_rx_gbps));
	if (!r->n_if)
		ev_buf_printf(b, " no interface (tcp_interfaces)");
	for (size_t i = 0; i < r->n_if; i++) {
		const struct ev_if_rate *t = &r->ifs[i];

		if (t->status == EV_RATE_OK)
			ev_buf_printf(b, " %s %s", t->ifname, fmt_gbps(a, sizeof(a), t->tx_gbps + t->rx_gbps));
		else
			ev_buf_printf(b, " %s %s", t->ifname, ev_rate_status_name(t->status));
	}
	ev_buf_printf(b, "\n");
}

static void folded(struct ev_buf *b, const struct ev_rates *r, int rows, int cols)
{
	const struct ev_dev_rate *busy = NULL, *idle = NULL;
	struct ev_rates_hist h;
	size_t np = 0, shown = 0, known;
	int avail = rows - HEAD_ROWS - 1, nb, room, barw = cols - 32;
	char x[16], y[16];

	for (size_t i = 0; i < r->n; i++) {
		const struct ev_dev_rate *d = &r->devs[i];

		np += needs_look(d);
		if (d->status != EV_RATE_OK || isnan(d->gbps))
			continue;
		if (!busy || d->gbps > busy->gbps)
			busy = d;
		if (!idle || d->gbps < idle->gbps)
			idle = d;
	}
	/* At least three bands where the rows allow, then the devices that
	 * need a look, then more bands. */
	nb = avail - (np ? (int)np + 1 : 0);
	if (nb < 3)
		nb = avail < 3 ? avail : 3;
	if (nb > MAX_BUCKETS)
		nb = MAX_BUCKETS;
	if (nb < 1)
		nb = 1;
	room = avail - nb;
	if (barw > 50)
		barw = 50;
	if (barw < 10)
		barw = 10;
	ev_buf_printf(b, "%zu devices folded to fit %d rows: devices per band of Gb/s (tx+rx or RDMA)\n", r->n,
		      rows);
	ev_rates_histogram(r, (size_t)nb, &h);
	known = r->n - h.n_unknown;
	for (size_t i = 0; i < h.n; i++) {
		int len = known ? (int)((double)barw * (double)h.count[i] / (double)known + 0.5) : 0;

		if (h.count[i] && len < 1)
			len = 1;
		if (h.n == 1)
			ev_buf_printf(b, "  %17s ", h.max > 0 ? "" : "0 Gb/s");
		else
			ev_buf_printf(b, "  %7.2f-%7.2f Gb/s", h.width * (double)i,
				      i + 1 == h.n ? h.max : h.width * (double)(i + 1));
		ev_buf_printf(b, " |%.*s%*s %3zu\n", len, "##################################################",
			      barw - len, "", h.count[i]);
	}
	if (busy)
		ev_buf_printf(b, "busiest %s %s Gb/s, idlest %s %s Gb/s\n", busy->dev,
			      fmt_gbps(x, sizeof(x), busy->gbps), idle->dev, fmt_gbps(y, sizeof(y), idle->gbps));
	else
		ev_buf_printf(b, "no device has a rate this interval\n");
	if (!np || room < 2)
		return;
	column_header(b, cols);
	for (size_t i = 0; i < r->n; i++) {
		if (!needs_look(&r->devs[i]))
			continue;
		if ((int)shown + 1 == room - 1 && np > shown + 1) {
			ev_buf_printf(b, "+%zu more devices to look at (a taller terminal shows every device)\n",
				      np - shown);
			return;
		}
		dev_row(b, &r->devs[i], cols);
		shown++;
	}
}

void top_render(struct ev_buf *b, const struct top_view *v, int rows, int cols)
{
	const struct ev_rates *r = v->r;

	head(b, v);
	if (!r)
		return;
	ev_buf_printf(b, "\n");
	if (rows > 0 && top_rows_needed(r->n) > rows) {
		folded(b, r, rows, cols);
		return;
	}
	column_header(b, cols);
	for (size_t i = 0; i < r->n; i++)
		dev_row(b, &r->devs[i], cols);
	if (!r->n)
		ev_buf_printf(b, "(no EFA devices)\n");
	if (rows > 0 && top_rows_needed(r->n) + 2 <= rows)
		ev_buf_printf(b, "\nsorted by traffic (tx+rx or RDMA); RD/WR: RDMA read/write; Ctrl-C quits\n");
}
