/* efa-verify top: this node's EFA and TCP rates, live. Each interval reads
 * what a prolog reads (the 12 port counters of each device, the TCP
 * interfaces' byte counters) and the port states; lib/node/ev_rates turns two
 * readings into rates, top_screen.c into text. */
#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"
#include "util/ev_buf.h"
#include "node/ev_snapshot.h"
#include "node/ev_devices.h"
#include "util/ev_num.h"
#include "util/ev_json.h"
#include "util/ev_opts.h"
#include "util/ev_time.h"
#include "node/ev_rates.h"
#include "top_screen.h"

#define MIN_INTERVAL 0.1
#define MAX_INTERVAL 86400.0

static const char top_usage[] =
	"Usage: efa-verify top [--interval SECONDS] [--count N] [--json]\n"
	"\n"
	"This node's EFA devices, live: per device tx/rx Gb/s, packets/s, RDMA\n"
	"read/write Gb/s, error counters per second and port state; the TCP\n"
	"interfaces' rates (tcp_interfaces, or the ENA interfaces); the node's\n"
	"totals and the EFA share of its bytes. On a terminal the view refreshes\n"
	"in place, busiest device first, folded to a histogram when the devices\n"
	"do not fit; otherwise plain lines, one block per interval.\n"
	"A device that vanished or whose counters were reset is shown as such.\n"
	"\n"
	"  --interval SECONDS  between readings, 0.1 to 86400 (default 1)\n"
	"  --count N           stop after N intervals (default: until interrupted)\n"
	"  --json              one JSON object per interval, one per line\n"
	"\n"
	"Exit status: 0 done or interrupted, 1 the counters could not be read,\n"
	"2 usage or config error.\n"
	CLI_GLOBAL_HELP;

enum out_mode { OUT_SCREEN, OUT_PLAIN, OUT_JSON };

static volatile sig_atomic_t stop_sig, winch;

static void on_stop(int sig)
{
	stop_sig = sig;
}

static void on_winch(int sig)
{
	(void)sig;
	winch = 1;
}

/* One reading: the devices as found (port states) and their counters. */
struct sample {
	struct ev_device_list devs;
	struct ev_snapshot snap;
	double mono;                  /* CLOCK_MONOTONIC when the counters were read */
};

/* Discovered again each time: a device can vanish, come back, or change
 * port state while top runs. */
static int take(const struct cli_ctx *ctx, struct sample *s, struct ev_err *err)
{
	int rc = ev_devices_discover(ctx->cfg.sysfs_root, &s->devs, err);

	if (rc)
		return rc;
	s->mono = (double)ev_mono_ns() / 1e9;
	rc = ev_snapshot_take(&ctx->cfg, &s->devs, ev_job_counters, NULL, &s->snap, err);
	if (rc)
		ev_devices_free(&s->devs);
	return rc;
}

static void sample_free(struct sample *s)
{
	ev_snapshot_free(&s->snap);
	ev_devices_free(&s->devs);
}

static int write_all(int fd, const char *p, size_t n)
{
	while (n) {
		ssize_t w = write(fd, p, n);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return w < 0 ? -errno : -EIO;
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

static void term_size(int *rows, int *cols)
{
	struct winsize ws;

	if (ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_row > 0 && ws.ws_col > 0) {
		*rows = ws.ws_row;
		*cols = ws.ws_col;
	} else {
		*rows = 24;
		*cols = 80;
	}
}

/* The view drawn over the previous one in a single write: each line put at
 * its row and cleared to its end, then the rest of the screen cleared. No
 * newline is written, so the terminal never scrolls; lines stop one column
 * short of the edge, where a terminal would wrap. */
static int draw(const struct top_view *v)
{
	struct ev_buf text = { 0 }, out = { 0 };
	const char *p;
	int rows, cols, rc;

	term_size(&rows, &cols);
	top_render(&text, v, rows, cols);
	ev_buf_printf(&out, "\x1b[?25l");
	p = text.p;
	for (int row = 1; p && *p && row <= rows; row++) {
		const char *nl = strchr(p, '\n');
		size_t len = nl ? (size_t)(nl - p) : strlen(p);

		ev_buf_printf(&out, "\x1b[%d;1H", row);
		ev_buf_add(&out, p, cols > 1 && len > (size_t)cols - 1 ? (size_t)cols - 1 : len);
		ev_buf_printf(&out, "\x1b[K");
		p = nl ? nl + 1 : p + len;
	}
	ev_buf_printf(&out, "\x1b[J");
	rc = out.oom || text.oom ? -ENOMEM : write_all(STDOUT_FILENO, out.p, out.len);
	ev_buf_free(&text);
	ev_buf_free(&out);
	return rc;
}

static int print_plain(const struct top_view *v)
{
	struct ev_buf text = { 0 };
	int rc;

	top_render(&text, v, 0, 0);
	ev_buf_printf(&text, "\n");
	rc = text.oom ? -ENOMEM : (fputs(text.p, stdout) < 0 || fflush(stdout) != 0) ? -EIO : 0;
	ev_buf_free(&text);
	return rc;
}

static const char *dev_status(const void *d)
{
	return ev_rate_status_name(((const struct ev_dev_rate *)d)->status);
}

static const char *if_status(const void *t)
{
	return ev_rate_status_name(((const struct ev_if_rate *)t)->status);
}

/* NAN (not known) is written as null. */
#define DEV(k, m) EV_JSON_DOUBLE_AT(k, struct ev_dev_rate, m)
#define IF(k, m) EV_JSON_DOUBLE_AT(k, struct ev_if_rate, m)
#define ALL(k, m) EV_JSON_DOUBLE_AT(k, struct ev_rates, m)
static const struct ev_json_field dev_rate_fields[] = {
	EV_JSON_STR_AT("device", struct ev_dev_rate, dev), EV_JSON_NAME_OF("status", dev_status),
	EV_JSON_TEXT_AT("state", struct ev_dev_rate, port_state),
	DEV("tx_gbps", tx_gbps), DEV("rx_gbps", rx_gbps), DEV("tx_pps", tx_pps), DEV("rx_pps", rx_pps),
	DEV("rdma_read_gbps", rdma_read_gbps), DEV("rdma_write_gbps", rdma_write_gbps), DEV("gbps", gbps),
};
static const struct ev_json_field if_rate_fields[] = {
	EV_JSON_STR_AT("interface", struct ev_if_rate, ifname), EV_JSON_NAME_OF("status", if_status),
	IF("tx_gbps", tx_gbps), IF("rx_gbps", rx_gbps),
};
static const struct ev_json_field tcp_fields[] = {
	ALL("tx_gbps", tcp_tx_gbps), ALL("rx_gbps", tcp_rx_gbps), ALL("gbps", tcp_gbps),
};
static const struct ev_json_field efa_fields[] = {
	ALL("efa_tx_gbps", efa_tx_gbps), ALL("efa_rx_gbps", efa_rx_gbps),
	ALL("efa_rdma_read_gbps", efa_rdma_read_gbps), ALL("efa_rdma_write_gbps", efa_rdma_write_gbps),
	ALL("efa_gbps", efa_gbps),
};
#undef DEV
#undef IF
#undef ALL

/* A device's members after its rates: each error counter's, then the
 * counter at fault. */
static void dev_rate_errors(struct ev_json *j, const void *item)
{
	const struct ev_dev_rate *d = item;

	ev_json_obj_begin(j, "errors_per_s");
	for (size_t k = 0; k < d->n_errors; k++)
		ev_json_double(j, d->errors[k].name, d->errors[k].per_s);
	ev_json_obj_end(j);
	ev_json_str(j, "bad_counter", d->bad_counter[0] ? d->bad_counter : NULL);
}

static int print_json(const struct cli_ctx *ctx, const struct ev_rates *r, time_t when)
{
	struct ev_json j;

	cli_json_begin(&j);
	ev_json_u64(&j, "time", (uint64_t)when);
	ev_json_str(&j, "node", ctx->nodename);
	ev_json_double(&j, "interval_s", r->interval_s);
	ev_json_records(&j, "devices", r->devs, r->n, sizeof(*r->devs), dev_rate_fields,
			sizeof(dev_rate_fields) / sizeof(dev_rate_fields[0]), dev_rate_errors);
	ev_json_obj_begin(&j, "tcp");
	ev_json_str(&j, "source", "interface");
	ev_json_fields(&j, r, tcp_fields, sizeof(tcp_fields) / sizeof(tcp_fields[0]));
	ev_json_records(&j, "interfaces", r->ifs, r->n_if, sizeof(*r->ifs), if_rate_fields,
			sizeof(if_rate_fields) / sizeof(if_rate_fields[0]), NULL);
	ev_json_obj_end(&j);
	ev_json_fields(&j, r, efa_fields, sizeof(efa_fields) / sizeof(efa_fields[0]));
	ev_json_u64(&j, "devices_not_counted", r->n_not_ok);
	ev_json_double(&j, "efa_share", r->efa_share);
	return cli_json_print(&j);
}

/* main reads it too, to tell this command's options from the global ones (cli.h). */
const struct option cmd_top_opts[] = {
	{ "interval", required_argument, NULL, 'i' },
	{ "count", required_argument, NULL, 'n' },
	{ "json", no_argument, NULL, 'j' },
	EV_OPTS_HELP_END,
};

static int parse_args(int argc, char **argv, double *interval, uint64_t *count, bool *json)
{
	char *end;
	int c;

	optind = 0;   /* 0: glibc re-initialises, dropping main's "+" ordering */
	while ((c = getopt_long(argc, argv, "h", cmd_top_opts, NULL)) != -1) {
		switch (c) {
		case 'i':
			errno = 0;
			*interval = strtod(optarg, &end);
			if (errno || end == optarg || *end || !(*interval >= MIN_INTERVAL && *interval <= MAX_INTERVAL)) {
				cli_error("top: --interval '%.32s': seconds from 0.1 to 86400", optarg);
				return 1;
			}
			break;
		case 'n':
			if (!ev_parse_u64_strict(optarg, count) || *count < 1 || *count > 1000000000) {
				cli_error("top: --count '%.32s': a number of intervals from 1", optarg);
				return 1;
			}
			break;
		case 'j': *json = true; break;
		case 'h': fputs(top_usage, stdout); return -1;
		default: fputs(top_usage, stderr); return 1;
		}
	}
	if (optind < argc) {
		cli_error("top: unexpected argument '%.64s'", argv[optind]);
		return 1;
	}
	return 0;
}

static void catch_signals(enum out_mode mode)
{
	struct sigaction sa;

	/* SA_RESTART keeps writes whole; the sleep returns EINTR anyway. */
	memset(&sa, 0, sizeof(sa));
	sigemptyset(&sa.sa_mask);
	sa.sa_flags = SA_RESTART;
	sa.sa_handler = on_stop;
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	if (mode == OUT_SCREEN) {
		sa.sa_handler = on_winch;
		sigaction(SIGWINCH, &sa, NULL);
	}
}

static struct timespec to_ts(double t)
{
	struct timespec ts;

	ts.tv_sec = (time_t)t;
	ts.tv_nsec = (long)((t - (double)ts.tv_sec) * 1e9);
	if (ts.tv_nsec >= 1000000000L)
		ts.tv_nsec = 999999999L;
	return ts;
}

int cmd_top(struct cli_ctx *ctx, int argc, char **argv)
{
	struct sample prev = { 0 }, cur = { 0 };
	struct ev_rates last = { 0 }, rates;
	struct top_view view = { 0 };
	struct ev_err err = { "" };
	double interval = 1.0, deadline;
	uint64_t count = 0, done = 0;
	bool json = false, have_last = false;
	const char *term = getenv("TERM");
	enum out_mode mode;
	int rc;

	if ((rc = parse_args(argc, argv, &interval, &count, &json)))
		return rc < 0 ? 0 : EXIT_USAGE;
	mode = json ? OUT_JSON
	       : isatty(STDOUT_FILENO) && term && *term && strcmp(term, "dumb") != 0 ? OUT_SCREEN : OUT_PLAIN;
	catch_signals(mode);
	if ((rc = take(ctx, &prev, &err))) {
		cli_error("top: %s", err.msg);
		return 1;
	}
	view.node = ctx->nodename;
	view.every_s = interval;
	view.when = (time_t)(prev.snap.time_ns / 1000000000u);
	view.n_devices = prev.devs.n;
	if (mode == OUT_SCREEN) {
		(void)write_all(STDOUT_FILENO, "\x1b[H\x1b[2J", 7);
		draw(&view);
	}
	deadline = prev.mono + interval;
	while (!stop_sig && (!count || done < count)) {
		struct timespec ts = to_ts(deadline);
		int e;

		/* A resize while drawing interrupted no sleep: seen here. */
		if (winch && mode == OUT_SCREEN) {
			winch = 0;
			draw(&view);
		}
		e = clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL);
		if (e == EINTR)
			continue;
		if ((rc = take(ctx, &cur, &err)) ||
		    (rc = ev_rates_compute(&prev.snap, &cur.snap, cur.mono - prev.mono, &cur.devs,
					   have_last ? &last : NULL, &rates, &err))) {
			cli_error("top: %s", err.msg);
			sample_free(&cur);
			break;
		}
		ev_rates_free(&last);
		last = rates;
		have_last = true;
		sample_free(&prev);
		prev = cur;
		memset(&cur, 0, sizeof(cur));
		view.r = &last;
		view.when = (time_t)(prev.snap.time_ns / 1000000000u);
		if (mode == OUT_SCREEN) {
			ev_rates_sort_by_traffic(&last);
			rc = draw(&view);
		} else if (mode == OUT_PLAIN) {
			rc = print_plain(&view);
		} else {
			rc = print_json(ctx, &last, view.when);
		}
		if (rc) {
			cli_error("top: writing: %s", strerror(-rc));
			break;
		}
		done++;
		/* Behind by more than an interval (the process was stopped):
		 * start the beat again rather than read in a burst. */
		deadline += interval;
		if (deadline < (double)ev_mono_ns() / 1e9)
			deadline = (double)ev_mono_ns() / 1e9 + interval;
	}
	if (mode == OUT_SCREEN)
		(void)write_all(STDOUT_FILENO, "\x1b[?25h\r\n", 8);
	sample_free(&prev);
	ev_rates_free(&last);
	return rc ? 1 : 0;
}
