/* The fleet query's walk over [since, until) in windows of end time, and
 * the GPU count read from a job's TRES (slurmio/ev_dbd_jobs_walk.c): what
 * keeps report --since bounded in memory and counts each job once. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdbool.h>
#include <stdlib.h>

#include "ev_dbd_jobs.h"

/* Jobs ending at these seconds, as slurmdbd would select them. */
struct model {
	const int64_t *ends;
	size_t n;
};

static size_t count(const struct model *m, int64_t s, int64_t e)
{
	size_t k = 0;

	for (size_t i = 0; i < m->n; i++)
		k += m->ends[i] >= s && m->ends[i] < e;
	return k;
}

/* Walk the model; every job is taken exactly once, windows follow one
 * another without a gap, and none taken holds more than max unless it is
 * one second long. Returns the jobs taken. */
static size_t walk(const struct model *m, struct ev_dbd_walk *w, int64_t since, int64_t until, size_t want,
		   size_t max, int64_t first)
{
	int64_t s, e, next = since;
	size_t taken = 0;
	unsigned asked = 0;

	ev_dbd_walk_init(w, since, until, want, max, first);
	while (ev_dbd_walk_next(w, &s, &e)) {
		size_t k = count(m, s, e);

		assert_true(++asked < 100000);
		assert_int_equal(s, next);
		assert_true(e > s && e <= until);
		if (ev_dbd_walk_took(w, k)) {
			assert_true(k <= max || e - s == 1);
			taken += k;
			next = e;
		} else {
			assert_true(k > max);
		}
	}
	assert_int_equal(next, until);
	return taken;
}

/* Steady jobs: every one taken once, windows near the size aimed at. */
static void test_steady(void **state)
{
	enum { N = 100000 };
	int64_t *ends = malloc(N * sizeof(*ends));
	struct model m = { ends, N };
	struct ev_dbd_walk w;

	(void)state;
	/* A week, one job ending every 6 s. */
	for (size_t i = 0; i < N; i++)
		ends[i] = 1700000000 + (int64_t)i * 6;
	assert_int_equal(walk(&m, &w, 1700000000, 1700000000 + N * 6, 4000, 16000, 3600), N);
	assert_int_equal(w.retries, 0);
	/* The span grew to the aim, 4000 jobs (24000 s) a window, in a few
	 * steps (3600 s, x4, then to the aim): 600000 s in under 30, none
	 * much over the aim. */
	assert_true(w.windows <= 30);
	assert_true(w.most >= 3900 && w.most <= 4400);
	free(ends);
}

/* A burst (an array of 20000 jobs ending in one minute) after a quiet
 * day: the windows that catch it are dropped and split, none taken holds
 * more than the cap, and still every job is taken once. */
static void test_burst_split(void **state)
{
	enum { QUIET = 2000, BURST = 20000 };
	int64_t *ends = malloc((QUIET + BURST) * sizeof(*ends));
	struct model m = { ends, QUIET + BURST };
	struct ev_dbd_walk w;

	(void)state;
	for (size_t i = 0; i < QUIET; i++)
		ends[i] = 1700000000 + (int64_t)i * 43;
	for (size_t i = 0; i < BURST; i++)
		ends[QUIET + i] = 1700100000 + (int64_t)(i % 60);
	assert_int_equal(walk(&m, &w, 1700000000, 1700200000, 4000, 16000, 3600), QUIET + BURST);
	assert_true(w.retries > 0);
	assert_true(w.most <= 16000);
	free(ends);
}

/* More jobs than the cap in one second cannot be split: taken whole. */
static void test_one_second(void **state)
{
	enum { N = 500 };
	int64_t ends[N];
	struct model m = { ends, N };
	struct ev_dbd_walk w;

	(void)state;
	for (size_t i = 0; i < N; i++)
		ends[i] = 1700000100;
	assert_int_equal(walk(&m, &w, 1700000000, 1700000200, 10, 40, 64), N);
	assert_int_equal(w.most, N);
}

/* An empty range is never asked; empty windows grow fast, up to a week. */
static void test_empty(void **state)
{
	struct model m = { NULL, 0 };
	struct ev_dbd_walk w;
	int64_t s, e;

	(void)state;
	ev_dbd_walk_init(&w, 100, 100, 10, 40, 3600);
	assert_false(ev_dbd_walk_next(&w, &s, &e));
	/* A year of nothing: a handful of windows, none over a week. */
	assert_int_equal(walk(&m, &w, 1700000000, 1700000000 + 365 * 86400, 4000, 16000, 3600), 0);
	assert_true(w.windows < 70);
	assert_true(w.span <= 7 * 86400);
}

/* slurmdbd refuses windows wider than its MaxQueryTimeRange: halved until
 * one is taken, and none wider after, however quiet the range. */
static void test_too_wide(void **state)
{
	const int64_t limit = 3 * 86400;
	struct ev_dbd_walk w;
	int64_t s, e, next = 1700000000;
	bool refused = false, taken_after = false;

	(void)state;
	ev_dbd_walk_init(&w, 1700000000, 1700000000 + 60 * 86400, 4000, 16000, 3600);
	while (ev_dbd_walk_next(&w, &s, &e)) {
		assert_int_equal(s, next);
		if (e - s > limit) {
			/* Refused in a row (halving), never after one was taken. */
			assert_false(taken_after);
			assert_true(ev_dbd_walk_too_wide(&w));
			refused = true;
			continue;
		}
		assert_true(ev_dbd_walk_took(&w, 0));
		taken_after = refused;
		next = e;
	}
	assert_int_equal(next, 1700000000 + 60 * 86400);
	assert_true(refused && taken_after);
	assert_true(w.retries <= 2);
	/* A one-second window cannot be narrowed: said, not looped on. */
	ev_dbd_walk_init(&w, 100, 200, 10, 40, 1);
	assert_false(ev_dbd_walk_too_wide(&w));
}

static void test_tres(void **state)
{
	(void)state;
	assert_int_equal(ev_tres_count("1=96,2=1024000,4=2,5=96,1001=8", 1001), 8);
	assert_int_equal(ev_tres_count("1001=16", 1001), 16);
	assert_int_equal(ev_tres_count("1=96,2=1024000", 1001), 0);
	assert_int_equal(ev_tres_count("1=96,10010=4,1001=2", 1001), 2);
	assert_int_equal(ev_tres_count("1=96", 1), 96);
	/* No GPU TRES in this accounting: no GPUs. */
	assert_int_equal(ev_tres_count("1=96,1001=8", 0), 0);
	assert_int_equal(ev_tres_count(NULL, 1001), 0);
	assert_int_equal(ev_tres_count("", 1001), 0);
	/* Not the form: nothing guessed. */
	assert_int_equal(ev_tres_count("1=96,x,1001=8", 1001), 0);
	assert_int_equal(ev_tres_count("1=,1001=8", 1001), 0);
	assert_int_equal(ev_tres_count("1001=8x", 1001), 0);
	assert_int_equal(ev_tres_count("1001=-8", 1001), 0);
	assert_int_equal(ev_tres_count("gres/gpu=8", 1001), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_steady),
		cmocka_unit_test(test_burst_split),
		cmocka_unit_test(test_one_second),
		cmocka_unit_test(test_empty),
		cmocka_unit_test(test_too_wide),
		cmocka_unit_test(test_tres),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
