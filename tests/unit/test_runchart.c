/*
 * test_runchart.c - report/runchart.c: Anhøj's run-chart rules and the
 * c, u and Laney U' control charts.
 *
 * Reference values were computed with the Python 3 standard library:
 * the Anhøj limits as round(log2 n + 3) and qbinom(0.05, n - 1, 0.5) in
 * exact rationals (fractions.Fraction, math.comb); runs and crossings by
 * replaying qicharts2's runs.analysis (drop points equal to the centre
 * line, run-length encode the signs, crossings = runs - 1) with
 * statistics.median as centre; control limits, Laney's sigma_z (mean
 * |z_i - z_{i-1}| / 1.128) and the Pearson chi2/df in double precision
 * from the formulas in report.h (script in the report of the change).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <string.h>

#include "report/report.h"

#define NEAR(got, want, tol) near_((got), (want), (tol), #got, __FILE__, __LINE__)

static void near_(double got, double want, double tol, const char *expr, const char *file, int line)
{
	if (!(fabs(got - want) <= tol))
		fail_msg("%s:%d: %s = %.17g, want %.17g (tol %.3g)", file, line, expr, got, want, tol);
}

#define N_OF(a) (sizeof(a) / sizeof((a)[0]))

/* ---- Anhøj limits ---- */

static void test_anhoj_thresholds(void **state)
{
	(void)state;
	runchart_result r;
	double y12[12], y24[24];

	/* an alternating series: every point useful, n_useful = n */
	for (size_t i = 0; i < 12; i++)
		y12[i] = i % 2 ? 10 : 20;
	for (size_t i = 0; i < 24; i++)
		y24[i] = i % 2 ? 10 : 20;

	assert_int_equal(runchart_analyse(y12, 12, &r), 0);
	assert_int_equal(r.n_useful, 12);
	assert_int_equal(r.longest_run_max, 7);    /* longest run > 7 signals */
	assert_int_equal(r.crossings_min, 3);      /* crossings < 3 signal */

	assert_int_equal(runchart_analyse(y24, 24, &r), 0);
	assert_int_equal(r.n_useful, 24);
	assert_int_equal(r.longest_run_max, 8);
	assert_int_equal(r.crossings_min, 8);
	assert_int_equal(r.crossings, 23);
	assert_int_equal(r.longest_run, 1);
	assert_false(r.signal);
}

/* ---- a stable series ---- */

static void test_stable_no_signal(void **state)
{
	(void)state;
	static const double y[] = { 34, 37, 39, 36, 31, 30, 33, 38, 40, 35, 29, 32,
				    36, 41, 38, 33, 30, 34, 37, 36, 31, 29, 35, 39 };
	runchart_result r;

	assert_int_equal(runchart_analyse(y, N_OF(y), &r), 0);
	NEAR(r.median, 35, 0);
	assert_int_equal(r.n, 24);
	assert_int_equal(r.n_useful, 22);          /* two points equal 35 */
	assert_int_equal(r.longest_run, 3);
	assert_int_equal(r.crossings, 9);
	assert_int_equal(r.longest_run_max, 7);    /* limits for 22 useful */
	assert_int_equal(r.crossings_min, 7);
	assert_false(r.signal_shift);
	assert_false(r.signal_crossings);
	assert_false(r.signal);

	unsigned char mark[24];
	assert_int_equal(runchart_mark_runs(y, N_OF(y), &r, mark), 0);
}

/* ---- a shift: a year around 40, then a year around 28 ---- */

static void test_shift_signals(void **state)
{
	(void)state;
	static const double y[] = { 41, 38, 42, 40, 39, 43, 37, 41, 40, 42, 38, 39,
				    27, 29, 30, 26, 28, 31, 27, 29, 28, 26, 30, 27 };
	runchart_result r;
	unsigned char mark[24];

	assert_int_equal(runchart_analyse(y, N_OF(y), &r), 0);
	NEAR(r.median, 34, 0);                     /* (31 + 37) / 2 */
	assert_int_equal(r.n_useful, 24);
	assert_int_equal(r.longest_run, 12);
	assert_int_equal(r.crossings, 1);
	assert_true(r.signal_shift);               /* 12 > 8 */
	assert_true(r.signal_crossings);           /* 1 < 8 */
	assert_true(r.signal);
	/* the first of the two equally long runs */
	assert_int_equal(r.run_start, 0);
	assert_int_equal(r.run_end, 11);
	/* both runs are longer than 8: every point is marked */
	assert_int_equal(runchart_mark_runs(y, N_OF(y), &r, mark), 24);
}

/* a run of 9 below, then random-looking: only the run is marked */
static void test_mark_one_run(void **state)
{
	(void)state;
	static const double y[] = { 20, 22, 21, 19, 23, 20, 22, 21, 20,
				    30, 26, 31, 24, 29, 25, 32, 23, 30, 27, 33, 24, 28, 22, 31 };
	runchart_result r;
	unsigned char mark[24];

	assert_int_equal(runchart_analyse(y, N_OF(y), &r), 0);
	NEAR(r.median, 24, 0);                     /* two points equal 24 */
	assert_int_equal(r.n_useful, 22);
	/* runs: 9 below (0-8), 6 above (9-15, over the 24 at 12), 1, 4, 1, 1 */
	assert_int_equal(r.longest_run, 9);
	assert_int_equal(r.crossings, 5);
	assert_int_equal(r.longest_run_max, 7);
	assert_true(r.signal_shift);
	assert_true(r.signal_crossings);           /* 5 < 7 */
	assert_int_equal(r.run_start, 0);
	assert_int_equal(r.run_end, 8);
	assert_int_equal(runchart_mark_runs(y, N_OF(y), &r, mark), 9);
	for (size_t i = 0; i < 24; i++)
		assert_int_equal(mark[i], i <= r.run_end && y[i] < r.median);
}

/* ---- points on the median are not useful ---- */

static void test_median_points_excluded(void **state)
{
	(void)state;
	/* median 4 (odd n, the 8th of 15 sorted values); the 4 at index 3
	 * sits inside a run of 6s: ignored, the run is the seven 6s from
	 * index 0 to 7.  Were it counted as a point below (or as breaking the
	 * run) the longest run would be 4 and there would be 3 crossings.
	 * The 4 at index 8 sits between the 6s and the 2s: one crossing. */
	static const double y[] = { 6, 6, 6, 4, 6, 6, 6, 6, 4, 2, 2, 2, 2, 2, 2 };
	runchart_result r;

	assert_int_equal(runchart_analyse(y, N_OF(y), &r), 0);
	NEAR(r.median, 4, 0);
	assert_int_equal(r.n, 15);
	assert_int_equal(r.n_useful, 13);
	assert_int_equal(r.longest_run, 7);
	assert_int_equal(r.run_start, 0);
	assert_int_equal(r.run_end, 7);
	assert_int_equal(r.crossings, 1);
	assert_int_equal(r.longest_run_max, 7);    /* limits for 13, not 15 */
	assert_int_equal(r.crossings_min, 3);
	assert_false(r.signal_shift);              /* 7 is not > 7 */
	assert_true(r.signal_crossings);           /* 1 < 3 */
	/* a run of exactly the limit is not marked */
	unsigned char mark[15];
	assert_int_equal(runchart_mark_runs(y, N_OF(y), &r, mark), 0);

	/* missing months (NaN) are ignored the same way */
	static const double g[] = { 6, NAN, 6, 2, NAN, 2 };
	assert_int_equal(runchart_analyse(g, N_OF(g), &r), 0);
	NEAR(r.median, 4, 0);
	assert_int_equal(r.n_useful, 4);
	assert_int_equal(r.longest_run, 2);
	assert_int_equal(r.crossings, 1);
}

static void test_median_even_odd(void **state)
{
	(void)state;
	static const double odd[] = { 7, 1, 5, 3, 9 };
	static const double even[] = { 7, 1, 5, 3, 9, 4 };
	runchart_result r;

	assert_int_equal(runchart_analyse(odd, 5, &r), 0);
	NEAR(r.median, 5, 0);
	assert_int_equal(r.n_useful, 4);
	assert_int_equal(runchart_analyse(even, 6, &r), 0);
	NEAR(r.median, 4.5, 0);
	assert_int_equal(r.n_useful, 6);
	/* the caller's order is kept */
	NEAR(odd[0], 7, 0);

	/* frozen centre line */
	assert_int_equal(runchart_analyse_center(even, 6, 6, &r), 0);
	NEAR(r.median, 6, 0);
	assert_int_equal(r.longest_run, 3);        /* 1 5 3 below 6 */
	assert_int_equal(r.crossings, 3);

	/* no data */
	assert_int_equal(runchart_analyse(NULL, 0, &r), 0);
	assert_true(isnan(r.median));
	assert_int_equal(r.n_useful, 0);
	assert_false(r.signal);
	assert_int_equal(runchart_analyse(NULL, 3, &r), -1);
}

/* ---- c-chart ---- */

static void test_c_chart(void **state)
{
	(void)state;
	/* 424 deviations in 12 months: mean 35.333 */
	static const double y[] = { 35, 41, 30, 28, 39, 44, 33, 29, 37, 36, 32, 40 };
	ctrlchart cc;

	assert_int_equal(ctrlchart_c(y, N_OF(y), CTRL_LANEY_AUTO, &cc), 0);
	assert_int_equal(cc.kind, CTRL_C);
	assert_int_equal(cc.n, 12);
	NEAR(cc.center, 35.3333333333333, 1e-12);
	for (size_t i = 0; i < 12; i++) {
		NEAR(cc.ucl[i], 53.1658878334603, 1e-10);
		NEAR(cc.lcl[i], 17.5007788332063, 1e-10);
		NEAR(cc.value[i], y[i], 0);
		assert_int_equal(cc.outside[i], 0);
	}
	assert_int_equal(cc.n_outside, 0);
	/* Poisson-like: sigma_z ~ 1, no Laney */
	NEAR(cc.sigma_z, 0.962640786763422, 1e-12);
	NEAR(cc.dispersion, 0.732418524871355, 1e-12);
	assert_false(cc.overdispersed);
	assert_false(cc.laney);
	ctrlchart_clear(&cc);
	assert_null(cc.ucl);

	/* a point above and a point below: flagged */
	static const double z[] = { 35, 41, 30, 28, 39, 60, 33, 29, 37, 36, 32, 4 };
	assert_int_equal(ctrlchart_c(z, N_OF(z), CTRL_LANEY_NO, &cc), 0);
	assert_int_equal(cc.outside[5], 1);
	assert_int_equal(cc.outside[11], -1);
	assert_int_equal(cc.n_outside, 2);
	ctrlchart_clear(&cc);

	/* low mean: LCL floored at 0, and a zero is not below it */
	static const double low[] = { 0, 2, 1, 3, 0, 1 };
	assert_int_equal(ctrlchart_c(low, N_OF(low), CTRL_LANEY_NO, &cc), 0);
	NEAR(cc.lcl[0], 0, 0);
	assert_int_equal(cc.n_outside, 0);
	ctrlchart_clear(&cc);

	/* invalid input */
	static const double bad[] = { 3, -1 };
	assert_int_equal(ctrlchart_c(bad, 2, CTRL_LANEY_NO, &cc), -1);
	assert_null(cc.value);
	assert_int_equal(ctrlchart_c(y, 0, CTRL_LANEY_NO, &cc), -1);
}

/* ---- u-chart, unequal exposure ---- */

static void test_u_chart(void **state)
{
	(void)state;
	static const double y[] = { 12, 15, 9, 20, 31 };
	static const double n[] = { 100, 150, 80, 210, 120 };
	static const double u[] = { 0.12, 0.1, 0.1125, 0.0952380952380952, 0.258333333333333 };
	static const double ucl[] = { 0.240738502987541, 0.220751251646513, 0.25359480295108,
				      0.206980344169665, 0.231248376610124 };
	static const double lcl[] = { 0.0228978606488226, 0.0428851119898502, 0.0100415606852835,
				      0.0566560194666991, 0.0323879870262393 };
	ctrlchart cc;

	assert_int_equal(ctrlchart_u(y, n, N_OF(y), CTRL_LANEY_NO, &cc), 0);
	assert_int_equal(cc.kind, CTRL_U);
	NEAR(cc.center, 0.131818181818182, 1e-14);     /* 87 / 660 */
	for (size_t i = 0; i < N_OF(y); i++) {
		NEAR(cc.value[i], u[i], 1e-14);
		NEAR(cc.ucl[i], ucl[i], 1e-13);
		NEAR(cc.lcl[i], lcl[i], 1e-13);
	}
	/* 31/120 = 0.258 > 0.231: the last point is above */
	assert_int_equal(cc.outside[4], 1);
	assert_int_equal(cc.n_outside, 1);
	assert_false(cc.laney);
	ctrlchart_clear(&cc);

	/* exposures must be positive */
	static const double n0[] = { 100, 0, 80, 210, 120 };
	assert_int_equal(ctrlchart_u(y, n0, N_OF(y), CTRL_LANEY_NO, &cc), -1);
	assert_int_equal(ctrlchart_u(y, NULL, N_OF(y), CTRL_LANEY_NO, &cc), -1);
}

/* ---- Laney ---- */

static void test_laney(void **state)
{
	(void)state;
	/* counts swinging far more than Poisson: mean 37, sigma_z 4.04 */
	static const double y[] = { 30, 52, 18, 45, 25, 60, 22, 48, 28, 55, 20, 41 };
	ctrlchart cc;

	assert_int_equal(ctrlchart_c(y, N_OF(y), CTRL_LANEY_NO, &cc), 0);
	NEAR(cc.center, 37, 1e-12);
	NEAR(cc.sigma_z, 4.04107762154529, 1e-12);
	NEAR(cc.dispersion, 5.96560196560197, 1e-12);
	assert_true(cc.overdispersed);
	assert_false(cc.laney);
	NEAR(cc.ucl[0], 55.2482875908947, 1e-10);     /* plain c limits */
	NEAR(cc.lcl[0], 18.7517124091053, 1e-10);
	assert_int_equal(cc.n_outside, 2);             /* 60 above, and 18 below */
	ctrlchart_clear(&cc);

	assert_int_equal(ctrlchart_c(y, N_OF(y), CTRL_LANEY_AUTO, &cc), 0);
	assert_true(cc.laney);
	NEAR(cc.ucl[0], 110.742746615087, 1e-9);
	NEAR(cc.lcl[0], 0, 0);
	assert_int_equal(cc.n_outside, 0);
	ctrlchart_clear(&cc);

	/* U' with unequal exposure */
	static const double yu[] = { 14, 30, 9, 26, 12, 35, 10, 22 };
	static const double nu[] = { 20, 31, 18, 30, 22, 31, 19, 25 };
	static const double ucl[] = { 2.0282130372487, 1.78772923114716, 2.0943190376414,
				      1.80395523588527, 1.97134010556332, 1.78772923114716,
				      2.05996093683071, 1.89919350099256 };
	assert_int_equal(ctrlchart_u(yu, nu, N_OF(yu), CTRL_LANEY_YES, &cc), 0);
	NEAR(cc.center, 0.806122448979592, 1e-14);     /* 158 / 196 */
	NEAR(cc.sigma_z, 2.02906815428461, 1e-12);
	NEAR(cc.dispersion, 1.62736459545984, 1e-12);
	assert_true(cc.laney);
	for (size_t i = 0; i < N_OF(yu); i++) {
		NEAR(cc.ucl[i], ucl[i], 1e-12);
		NEAR(cc.lcl[i], 0, 0);
	}
	ctrlchart_clear(&cc);

	/* a constant series: sigma_z 0; AUTO keeps the Poisson limits */
	static const double flat[] = { 10, 10, 10, 10 };
	assert_int_equal(ctrlchart_c(flat, 4, CTRL_LANEY_AUTO, &cc), 0);
	NEAR(cc.sigma_z, 0, 0);
	assert_false(cc.laney);
	NEAR(cc.ucl[0], 10 + 3 * sqrt(10.0), 1e-12);
	ctrlchart_clear(&cc);

	/* all zero: no dispersion to speak of */
	static const double zero[] = { 0, 0, 0 };
	assert_int_equal(ctrlchart_c(zero, 3, CTRL_LANEY_AUTO, &cc), 0);
	assert_true(isnan(cc.sigma_z));
	assert_true(isnan(cc.dispersion));
	assert_int_equal(cc.n_outside, 0);
	ctrlchart_clear(&cc);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_anhoj_thresholds),
		cmocka_unit_test(test_stable_no_signal),
		cmocka_unit_test(test_shift_signals),
		cmocka_unit_test(test_mark_one_run),
		cmocka_unit_test(test_median_points_excluded),
		cmocka_unit_test(test_median_even_odd),
		cmocka_unit_test(test_c_chart),
		cmocka_unit_test(test_u_chart),
		cmocka_unit_test(test_laney),
	};

	return cmocka_run_group_tests_name("runchart", tests, NULL, NULL);
}
