/* bench_record: time ev_record_build (the job's AdminComment record) for
 * simulated jobs of many nodes, and print the record's size. Used by
 * bench/run; prints one machine-readable line per case:
 *
 *   record nodes=N case=NAME repeats=R median_us=T bytes=B
 *
 *   bench_record [--nodes N]... [--repeats R] [--show]
 *
 * Cases: "scattered" (mostly ok, every 97th node degraded and every 61st
 * tcp_fallback, so bad names do not form ranges), "contiguous" (the same
 * number of bad nodes, but in two blocks of consecutive names, as when a
 * whole rack falls back) and "heavy" (every 8th node degraded with its own
 * reason, scattered: more than fits, so the record's size cap and
 * "+N_more" are exercised). */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "record/ev_record.h"

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

static void set_bad(struct ev_node_result *r, enum ev_verdict v, size_t i)
{
	r->verdict = v;
	if (v == EV_V_DEGRADED)
		snprintf(r->reason, sizeof(r->reason), "idle_nics:%zu/32", 1 + i % 7);
	else
		snprintf(r->reason, sizeof(r->reason), "efa_bytes_below_min");
}

/* Results as epilogs would deliver them: in arrival order, not name order
 * (the build sorts), with realistic byte counts. */
enum bench_case { CASE_SCATTERED, CASE_CONTIGUOUS, CASE_HEAVY };
static const char *const case_name[] = { "scattered", "contiguous", "heavy" };

static void make_results(struct ev_node_result *res, size_t n, enum bench_case kind)
{
	size_t n_deg = n / 97, n_tcp = n / 61;

	for (size_t i = 0; i < n; i++) {
		struct ev_node_result *r = &res[i];
		/* A fixed permutation of 0..n-1 (n is a power of two; odd multiplier). */
		size_t id = (i * 2654435761u) % n;

		memset(r, 0, sizeof(*r));
		snprintf(r->node, sizeof(r->node), "p5-%05zu", id + 1);
		r->verdict = EV_V_OK;
		r->efa_bytes = 1000000000ull + id * 7919u;
		r->tcp_bytes = 4096 + id;
		r->jobid = 4242;
		r->job_nodes = (uint32_t)n;
		if (kind == CASE_HEAVY) {
			if (id % 8 == 5)
				set_bad(r, EV_V_DEGRADED, id);
		} else if (kind == CASE_CONTIGUOUS) {
			/* Two racks: [100, 100+n_tcp) fell back, the next n_deg degraded. */
			if (id >= 100 && id < 100 + n_tcp)
				set_bad(r, EV_V_TCP_FALLBACK, id);
			else if (id >= 100 + n_tcp && id < 100 + n_tcp + n_deg)
				set_bad(r, EV_V_DEGRADED, 0);
		} else if (id % 61 == 7) {
			set_bad(r, EV_V_TCP_FALLBACK, id);
		} else if (id % 97 == 3) {
			set_bad(r, EV_V_DEGRADED, id);
		}
	}
}

static int run_case(size_t n, enum bench_case kind, unsigned repeats, bool show)
{
	struct ev_node_result *res = calloc(n, sizeof(*res));
	uint64_t *t = calloc(repeats, sizeof(*t));
	char out[EV_RECORD_MAX];
	struct ev_err err = { "" };
	int rc = 0;

	if (!res || !t) {
		fprintf(stderr, "bench_record: out of memory\n");
		free(res);
		free(t);
		return 1;
	}
	make_results(res, n, kind);
	for (unsigned k = 0; k < repeats; k++) {
		uint64_t t0 = now_ns();

		if (ev_record_build(res, n, (unsigned)n, out, sizeof(out), &err) != 0) {
			fprintf(stderr, "bench_record: %s\n", err.msg);
			rc = 1;
			break;
		}
		t[k] = now_ns() - t0;
	}
	if (!rc) {
		qsort(t, repeats, sizeof(*t), cmp_u64);
		printf("record nodes=%zu case=%s repeats=%u median_us=%.1f bytes=%zu\n", n,
		       case_name[kind], repeats, (double)t[repeats / 2] / 1000.0,
		       strlen(out));
		if (show)
			printf("# %s\n", out);
	}
	free(res);
	free(t);
	return rc;
}

int main(int argc, char **argv)
{
	size_t nodes[8];
	size_t n_nodes = 0;
	unsigned repeats = 51;
	bool show = false;
	int rc = 0;

	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--nodes") == 0 && i + 1 < argc && n_nodes < 8) {
			nodes[n_nodes++] = strtoul(argv[++i], NULL, 10);
		} else if (strcmp(argv[i], "--repeats") == 0 && i + 1 < argc) {
			repeats = (unsigned)strtoul(argv[++i], NULL, 10);
		} else if (strcmp(argv[i], "--show") == 0) {
			show = true;
		} else {
			fprintf(stderr, "usage: bench_record [--nodes N]... [--repeats R] [--show]\n");
			return 2;
		}
	}
	if (!n_nodes) {
		nodes[n_nodes++] = 1024;
		nodes[n_nodes++] = 8192;
	}
	if (!repeats)
		repeats = 1;
	for (size_t i = 0; i < n_nodes; i++) {
		if (!nodes[i] || (nodes[i] & (nodes[i] - 1))) {
			fprintf(stderr, "bench_record: --nodes must be a power of two\n");
			return 2;
		}
		for (int k = CASE_SCATTERED; k <= CASE_HEAVY; k++)
			rc |= run_case(nodes[i], (enum bench_case)k, repeats, show);
	}
	return rc;
}
