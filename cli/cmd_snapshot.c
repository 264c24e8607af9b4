/* efa-verify snapshot: every counter there is, for diagnosis; the prolog and
 * epilog read the subset in ev_job_counters and ev_job_device_counters. */
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "node/ev_snapshot.h"
#include "node/ev_devices.h"
#include "util/ev_json.h"
#include "util/ev_opts.h"

static const char snapshot_usage[] =
	"Usage: efa-verify snapshot [--json]\n"
	"\n"
	"Read every EFA device's port and device counters and the TCP path's byte\n"
	"counters (ENA interfaces, or tcp_interfaces from the config): all of\n"
	"them, where the prolog and epilog read the 12 port counters a verdict\n"
	"is made of.\n"
	"\n"
	"  --json     every counter, as one JSON object on stdout\n"
	"\n"
	"Exit status: 0 read, 1 a counter could not be read, 2 usage or config error.\n"
	CLI_GLOBAL_HELP;

/* The columns a person scans first; --json has every counter. */
static const char *const columns[] = {
	"tx_bytes", "rx_bytes", "rdma_read_bytes", "rdma_write_bytes", "rx_drops", "retrans_pkts",
};
#define NCOLS (sizeof(columns) / sizeof(columns[0]))

static void counters_json(struct ev_json *j, const char *key, const struct ev_counter *c, size_t n)
{
	ev_json_obj_begin(j, key);
	for (size_t i = 0; i < n; i++) {
		if (c[i].ok)
			ev_json_u64(j, c[i].name, c[i].value);
		else
			ev_json_null(j, c[i].name);
	}
	ev_json_obj_end(j);
}

static int print_json(const struct cli_ctx *ctx, const struct ev_snapshot *s)
{
	struct ev_json j;
	int rc;

	cli_json_begin(&j);
	ev_json_str(&j, "node", ctx->nodename);
	ev_json_u64(&j, "time_ns", s->time_ns);
	ev_json_u64(&j, "unreadable_counters", s->n_bad);
	ev_json_arr_begin(&j, "efa");
	for (size_t i = 0; i < s->n_efa; i++) {
		ev_json_obj_begin(&j, NULL);
		ev_json_str(&j, "device", s->efa[i].dev);
		counters_json(&j, "port", s->efa[i].port, s->efa[i].n_port);
		counters_json(&j, "device_counters", s->efa[i].device, s->efa[i].n_device);
		ev_json_obj_end(&j);
	}
	ev_json_arr_end(&j);
	ev_json_arr_begin(&j, "tcp");
	for (size_t i = 0; i < s->n_tcp; i++) {
		ev_json_obj_begin(&j, NULL);
		ev_json_str(&j, "interface", s->tcp[i].ifname);
		if (s->tcp[i].ok) {
			ev_json_u64(&j, "tx_bytes", s->tcp[i].tx_bytes);
			ev_json_u64(&j, "rx_bytes", s->tcp[i].rx_bytes);
		} else {
			ev_json_null(&j, "tx_bytes");
			ev_json_null(&j, "rx_bytes");
		}
		ev_json_obj_end(&j);
	}
	ev_json_arr_end(&j);
	if ((rc = cli_json_print(&j))) {
		cli_error("writing JSON: %s", strerror(-rc));
		return -1;
	}
	return 0;
}

static void print_table(const struct ev_snapshot *s)
{
	printf("%-16s", "DEVICE");
	for (size_t c = 0; c < NCOLS; c++)
		printf(" %20s", columns[c]);
	putchar('\n');
	for (size_t i = 0; i < s->n_efa; i++) {
		printf("%-16s", s->efa[i].dev);
		for (size_t c = 0; c < NCOLS; c++) {
			const struct ev_counter *k = ev_counter_find(&s->efa[i], columns[c]);

			/* "-": the driver has no such counter; "?": unreadable. */
			if (!k)
				printf(" %20s", "-");
			else if (!k->ok)
				printf(" %20s", "?");
			else
				printf(" %20" PRIu64, k->value);
		}
		putchar('\n');
	}
	if (!s->n_efa)
		puts("(no EFA devices)");
	printf("\n%-16s %20s %20s\n", "TCP INTERFACE", "tx_bytes", "rx_bytes");
	for (size_t i = 0; i < s->n_tcp; i++) {
		if (s->tcp[i].ok)
			printf("%-16s %20" PRIu64 " %20" PRIu64 "\n", s->tcp[i].ifname,
			       s->tcp[i].tx_bytes, s->tcp[i].rx_bytes);
		else
			printf("%-16s %20s %20s\n", s->tcp[i].ifname, "?", "?");
	}
	if (!s->n_tcp)
		puts("(no TCP interfaces)");
	if (s->n_bad)
		printf("\n%u counter%s unreadable or not a number (shown as ?)\n", s->n_bad,
		       s->n_bad == 1 ? "" : "s");
}

/* main reads it too, to tell this command's options from the global ones (cli.h). */
const struct option cmd_snapshot_opts[] = {
	{ "json", no_argument, NULL, 'j' },
	EV_OPTS_HELP_END,
};

int cmd_snapshot(struct cli_ctx *ctx, int argc, char **argv)
{
	struct ev_device_list devs = { 0 };
	struct ev_snapshot snap = { 0 };
	struct ev_err err = { "" };
	bool json = false;
	int c, rc;

	optind = 0;   /* 0: glibc re-initialises, dropping main's "+" ordering */
	while ((c = getopt_long(argc, argv, "h", cmd_snapshot_opts, NULL)) != -1) {
		switch (c) {
		case 'j': json = true; break;
		case 'h': fputs(snapshot_usage, stdout); return 0;
		default: fputs(snapshot_usage, stderr); return EXIT_USAGE;
		}
	}
	if (optind < argc) {
		cli_error("snapshot: unexpected argument '%.64s'", argv[optind]);
		return EXIT_USAGE;
	}
	rc = ev_devices_discover(ctx->cfg.sysfs_root, &devs, &err);
	if (rc == 0)
		rc = ev_snapshot_take(&ctx->cfg, &devs, NULL, NULL, &snap, &err);
	if (rc != 0) {
		cli_error("snapshot: %s", err.msg);
		ev_devices_free(&devs);
		return 1;
	}
	if (json)
		rc = print_json(ctx, &snap);
	else
		print_table(&snap);
	c = (rc != 0 || snap.n_bad) ? 1 : 0;
	ev_snapshot_free(&snap);
	ev_devices_free(&devs);
	return c;
}
