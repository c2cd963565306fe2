/*
 * test_stats.c - report/stats.c against reference values.
 *
 * Where R's documentation gives a number it is quoted as such; every other
 * reference was computed exactly with the Python 3 standard library
 * (fractions.Fraction and math.comb for binomial sums, decimal at 60 digits
 * with 120 bisection steps for beta quantiles of integer parameters, using
 * I_x(a, b) = P(Binom(a + b - 1, x) >= a)), and R's binom.test two-sided
 * rule replayed in exact rationals.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <string.h>

#include "report/report.h"

/* |got - want| <= tol, with both numbers in the message on failure. */
#define NEAR(got, want, tol) near_((got), (want), (tol), #got, __FILE__, __LINE__)
/* relative: |got - want| <= tol * |want| */
#define RNEAR(got, want, tol) near_((got), (want), (tol) * fabs(want), #got, __FILE__, __LINE__)

static void near_(double got, double want, double tol, const char *expr, const char *file, int line)
{
	if (!(fabs(got - want) <= tol))
		fail_msg("%s:%d: %s = %.17g, want %.17g (tol %.3g, off by %.3g)", file, line, expr,
			 got, want, tol, fabs(got - want));
}

/* ---- incomplete beta ---- */

static void test_beta_inc_known(void **state)
{
	(void)state;
	NEAR(stats_beta_inc(2, 3, 0.5), 0.6875, 1e-15);
	RNEAR(stats_beta_inc(5, 5, 0.3), 0.09880866, 1e-13);      /* exact: 0.0988086600 */
	RNEAR(stats_beta_inc(10, 3, 0.9), 0.889130022255, 1e-13); /* exact */
	/* 1 - 0.999^1000 */
	RNEAR(stats_beta_inc(1, 1000, 0.001), 0.63230457522903596, 1e-13);
	NEAR(stats_beta_inc(1, 1, 0.2), 0.2, 1e-15);

	/* closed forms for non-integer parameters: I_x(a,1) = x^a,
	 * I_x(1,b) = 1 - (1-x)^b, I_x(1/2,1/2) = 2/pi asin(sqrt x) */
	RNEAR(stats_beta_inc(2.5, 1, 0.3), pow(0.3, 2.5), 1e-13);
	RNEAR(stats_beta_inc(1, 7.25, 0.05), -expm1(7.25 * log1p(-0.05)), 1e-13);
	RNEAR(stats_beta_inc(0.5, 0.5, 0.1), 2 / M_PI * asin(sqrt(0.1)), 1e-13);
	RNEAR(stats_beta_inc(0.5, 0.5, 0.97), 2 / M_PI * asin(sqrt(0.97)), 1e-13);

	/* large parameters, bulk and far tails (Loader's form of the front
	 * factor keeps these to ~1e-13 relative) */
	RNEAR(stats_beta_inc(351, 425, 0.45), 0.44926109367872913, 1e-12);
	RNEAR(stats_beta_inc(700, 226, 0.75), 0.33307219124706364, 1e-12);
	RNEAR(stats_beta_inc(351, 425, 0.3), 2.32267241211667893e-19, 1e-11);
	/* = 1 - I_0.6(351, 425), which a double near 1 cannot hold */
	RNEAR(stats_beta_inc(425, 351, 0.4), 5.60717619131472749e-17, 1e-11);
	NEAR(stats_beta_inc(1e6, 1e6, 0.5), 0.5, 1e-12);

	/* symmetry, on both sides of the switch point */
	for (double x = 0.05; x < 1; x += 0.1)
		NEAR(stats_beta_inc(3.5, 8, x), 1 - stats_beta_inc(8, 3.5, 1 - x), 1e-14);

	/* the ends and the domain */
	assert_true(stats_beta_inc(2, 3, 0) == 0);
	assert_true(stats_beta_inc(2, 3, -1) == 0);
	assert_true(stats_beta_inc(2, 3, 1) == 1);
	assert_true(isnan(stats_beta_inc(0, 3, 0.5)));
	assert_true(isnan(stats_beta_inc(2, -1, 0.5)));
	assert_true(isnan(stats_beta_inc(2, 3, NAN)));
}

static void test_beta_inc_inv(void **state)
{
	static const double ab[] = { 0.5, 1, 2.5, 10, 351, 1000 };
	static const double ps[] = { 1e-10, 0.025, 0.3, 0.5, 0.975, 1 - 1e-9 };

	(void)state;
	/* round trips: I at the returned x gives p back, to 1e-11 relative
	 * to the smaller tail, or else (where doubles near 0 or 1 are too
	 * coarse for that, e.g. b = 0.5 and 1 - p = 1e-9 needs 1 - x ~ 1e-18)
	 * p lies between I at the neighbouring doubles of x */
	for (size_t i = 0; i < sizeof ab / sizeof *ab; i++)
		for (size_t j = 0; j < sizeof ab / sizeof *ab; j++)
			for (size_t k = 0; k < sizeof ps / sizeof *ps; k++) {
				double a = ab[i], b = ab[j], p = ps[k];
				double x = stats_beta_inc_inv(a, b, p);
				double tol = 1e-11 * fmin(p, 1 - p) + 1e-15;
				double below = stats_beta_inc(a, b, nextafter(x, 0));
				double above = stats_beta_inc(a, b, nextafter(x, 1));

				assert_true(x > 0 && x <= 1);
				if (!(below <= p + tol && above >= p - tol))
					NEAR(stats_beta_inc(a, b, x), p, tol);
			}

	/* closed forms */
	RNEAR(stats_beta_inc_inv(4, 1, 0.025), pow(0.025, 0.25), 1e-13);
	RNEAR(stats_beta_inc_inv(1, 9, 0.975), 1 - pow(0.025, 1.0 / 9), 1e-13);
	RNEAR(stats_beta_inc_inv(0.5, 0.5, 0.2), pow(sin(0.2 * M_PI / 2), 2), 1e-13);
	/* a very small quantile keeps its relative accuracy */
	RNEAR(stats_beta_inc_inv(3, 1, 1e-30), 1e-10, 1e-12);

	assert_true(stats_beta_inc_inv(2, 3, 0) == 0);
	assert_true(stats_beta_inc_inv(2, 3, 1) == 1);
	assert_true(isnan(stats_beta_inc_inv(-2, 3, 0.5)));
}

/* ---- binomial ---- */

static void test_binom_pmf_cdf(void **state)
{
	double sum = 0;

	(void)state;
	/* exact values (Fraction + comb) */
	RNEAR(stats_binom_pmf(5000, 10000, 0.5), 0.007978646139382154, 1e-12);
	RNEAR(stats_binom_pmf(100000, 200000, 0.5), 0.0017841218859990199, 1e-12);
	RNEAR(stats_binom_pmf(3, 1000, 0.01), 0.007393222778222846, 1e-12);
	NEAR(stats_binom_pmf(2, 4, 0.5), 6.0 / 16, 1e-15);
	for (long k = 0; k <= 50; k++)
		sum += stats_binom_pmf(k, 50, 0.3);
	NEAR(sum, 1.0, 1e-13);
	assert_true(stats_binom_pmf(-1, 10, 0.3) == 0);
	assert_true(stats_binom_pmf(11, 10, 0.3) == 0);
	assert_true(stats_binom_pmf(0, 0, 0.3) == 1);
	assert_true(stats_binom_pmf(0, 10, 0) == 1);
	assert_true(stats_binom_pmf(10, 10, 1) == 1);
	assert_true(stats_binom_pmf(3, 10, 1) == 0);
	assert_true(isnan(stats_binom_pmf(3, 10, 1.5)));

	RNEAR(stats_binom_cdf(351, 775, 0.5), 0.0048281061501889285, 1e-11);
	RNEAR(stats_binom_cdf(10, 100, 0.3), 1.5555659316780526e-06, 1e-11);
	NEAR(stats_binom_cdf(7, 20, 0.5), 0.26317596435546875 / 2, 1e-14);
	assert_true(stats_binom_cdf(-1, 10, 0.3) == 0);
	assert_true(stats_binom_cdf(10, 10, 0.3) == 1);
	assert_true(stats_binom_cdf(12, 10, 0.3) == 1);
}

static void test_binom_test(void **state)
{
	(void)state;
	/* R: binom.test(7, 20, 0.5) p = 0.2632; exact 2 * P(X <= 7) */
	NEAR(stats_binom_test(7, 20, 0.5), 0.26317596435546875, 1e-13);
	NEAR(stats_binom_test(13, 20, 0.5), 0.26317596435546875, 1e-13);
	/* R's ?binom.test example: binom.test(682, 925, 3/4), p-value = 0.3825;
	 * the x < m branch with an asymmetric p */
	NEAR(stats_binom_test(682, 925, 0.75), 0.3825, 5e-5);
	NEAR(stats_binom_test(682, 925, 0.75), 0.3824915595748517, 1e-10);
	/* the x > m branch: binom.test(15, 35, 1/3) */
	NEAR(stats_binom_test(15, 35, 1.0 / 3), 0.28134172461053614, 1e-10);
	/* x == n p, and p0 at the ends as R treats them */
	assert_true(stats_binom_test(10, 40, 0.25) == 1);
	assert_true(stats_binom_test(0, 10, 0) == 1);
	assert_true(stats_binom_test(1, 10, 0) == 0);
	assert_true(stats_binom_test(10, 10, 1) == 1);
	assert_true(stats_binom_test(9, 10, 1) == 0);
	/* all of one kind: 2 * 0.5^5 */
	NEAR(stats_binom_test(0, 5, 0.5), 0.0625, 1e-15);
	assert_true(isnan(stats_binom_test(11, 10, 0.5)));
}

static void test_binom_ci(void **state)
{
	double lo, hi;

	(void)state;
	/* R's ?binom.test example: 95 percent CI 0.7076683 0.7654066 */
	stats_binom_ci(682, 925, 0.95, &lo, &hi);
	NEAR(lo, 0.7076683, 5e-8);
	NEAR(hi, 0.7654066, 5e-8);
	/* exact (decimal bisection): 0.707668264079039, 0.765406558241525 */
	NEAR(lo, 0.70766826407903902, 1e-12);
	NEAR(hi, 0.76540655824152525, 1e-12);

	/* k = 0 and k = n: the closed forms 1 - (alpha/2)^(1/n), (alpha/2)^(1/n) */
	stats_binom_ci(0, 20, 0.95, &lo, &hi);
	assert_true(lo == 0);
	RNEAR(hi, 1 - pow(0.025, 1.0 / 20), 1e-12);
	stats_binom_ci(20, 20, 0.95, &lo, &hi);
	RNEAR(lo, pow(0.025, 1.0 / 20), 1e-12);
	assert_true(hi == 1);
	stats_binom_ci(0, 0, 0.95, &lo, &hi);
	assert_true(lo == 0 && hi == 1);

	stats_binom_ci(5, 10, 1.5, &lo, &hi);
	assert_true(isnan(lo) && isnan(hi));
}

/* ---- Poisson comparison ---- */

static void test_poisson_yoy(void **state)
{
	stats_poisson r;

	(void)state;
	/* 424 deviations in 2023, 351 in 2024, 12 months each (DESIGN.md) */
	assert_int_equal(stats_poisson_compare(424, 12, 351, 12, 0.95, &r), 0);
	NEAR(r.rate_ratio, 0.8278, 5e-4);
	NEAR(r.ci_low, 0.7168, 5e-4);
	NEAR(r.ci_high, 0.9555, 5e-4);
	NEAR(r.p_value, 0.0097, 2e-4);
	/* exact: 351/424; 2 P(Binom(775, 1/2) <= 351); CI from the exact
	 * Clopper-Pearson limits 0.4174..., 0.4887... mapped by p/(1-p) */
	NEAR(r.rate_ratio, 351.0 / 424, 1e-15);
	NEAR(r.p_value, 0.009656212300377857, 1e-12);
	NEAR(r.ci_low, 0.71658851666899608, 1e-10);
	NEAR(r.ci_high, 0.95586340633549241, 1e-10);
	/* the exposure unit does not matter, only the ratio */
	stats_poisson r2;
	assert_int_equal(stats_poisson_compare(424, 1, 351, 1, 0.95, &r2), 0);
	NEAR(r2.ci_low, r.ci_low, 1e-13);
	NEAR(r2.p_value, r.p_value, 1e-15);
}

static void test_poisson_unequal(void **state)
{
	stats_poisson r;

	(void)state;
	/* 30 events in 3 months vs 10 in 1: the same rate */
	assert_int_equal(stats_poisson_compare(30, 3, 10, 1, 0.95, &r), 0);
	NEAR(r.rate_ratio, 1.0, 1e-15);
	assert_true(r.p_value == 1.0);
	NEAR(r.ci_low, 0.43609076907174529, 1e-10);
	NEAR(r.ci_high, 2.1017109417050135, 1e-10);

	/* 20 in 6 months vs 15 in 3: ratio 1.5, binom.test(15, 35, 1/3) */
	assert_int_equal(stats_poisson_compare(20, 6, 15, 3, 0.95, &r), 0);
	NEAR(r.rate_ratio, 1.5, 1e-15);
	NEAR(r.p_value, 0.28134172461053614, 1e-10);
	NEAR(r.ci_low, 0.71454116778728558, 1e-10);
	NEAR(r.ci_high, 3.0821924916862338, 1e-10);
}

static void test_poisson_edges(void **state)
{
	stats_poisson r;

	(void)state;
	/* a = 0: every event in b; ratio and upper limit infinite, the lower
	 * limit from qbeta(0.025, 5, 1) = 0.025^(1/5) */
	assert_int_equal(stats_poisson_compare(0, 1, 5, 1, 0.95, &r), 0);
	assert_true(isinf(r.rate_ratio) && r.rate_ratio > 0);
	assert_true(isinf(r.ci_high) && r.ci_high > 0);
	double pl = pow(0.025, 0.2);
	RNEAR(r.ci_low, pl / (1 - pl), 1e-12);     /* 0.91635585731545962 */
	NEAR(r.ci_low, 0.91635585731545962, 1e-12);
	NEAR(r.p_value, 0.0625, 1e-15);

	/* b = 0: ratio and lower limit 0 */
	assert_int_equal(stats_poisson_compare(5, 1, 0, 1, 0.95, &r), 0);
	assert_true(r.rate_ratio == 0);
	assert_true(r.ci_low == 0);
	NEAR(r.ci_high, 1.0912791051825465, 1e-12);
	NEAR(r.p_value, 0.0625, 1e-15);

	/* nothing to compare */
	assert_int_equal(stats_poisson_compare(0, 12, 0, 12, 0.95, &r), -1);
	assert_true(isnan(r.rate_ratio));
	assert_true(r.p_value == 1);
	assert_int_equal(stats_poisson_compare(3, 0, 4, 12, 0.95, &r), -1);
	assert_int_equal(stats_poisson_compare(3, 12, 4, -1, 0.95, &r), -1);
	assert_int_equal(stats_poisson_compare(-3, 12, 4, 12, 0.95, &r), -1);
	assert_int_equal(stats_poisson_compare(3, 12, 4, 12, 1.0, &r), -1);
}

/* ---- run-chart helpers ---- */

static void test_median(void **state)
{
	double odd[] = { 5, -1, 3, 3, 9 };
	double even[] = { 4, 1, 3, 2 };
	double one[] = { 7.5 };
	double copy[5];

	(void)state;
	memcpy(copy, odd, sizeof odd);
	NEAR(stats_median(odd, 5), 3, 0);
	assert_memory_equal(odd, copy, sizeof odd); /* left in time order */
	NEAR(stats_median(even, 4), 2.5, 0);
	assert_true(even[0] == 4 && even[1] == 1);
	NEAR(stats_median(one, 1), 7.5, 0);
	assert_true(isnan(stats_median(NULL, 0)));
}

static void test_anhoj(void **state)
{
	/* n, max longest run, min crossings: round(log2 n) + 3 and
	 * qbinom(0.05, n - 1, 0.5), the latter by exact cumulative sums */
	static const int table[][3] = {
		{ 2, 4, 0 },   { 3, 5, 0 },    { 5, 5, 0 },    { 10, 6, 2 },
		{ 12, 7, 3 },  { 20, 7, 6 },   { 24, 8, 8 },   { 30, 8, 10 },
		{ 36, 8, 13 }, { 50, 9, 19 },  { 100, 10, 41 },
	};
	int run, cross;

	(void)state;
	for (size_t i = 0; i < sizeof table / sizeof *table; i++) {
		stats_anhoj_limits((size_t)table[i][0], &run, &cross);
		if (run != table[i][1] || cross != table[i][2])
			fail_msg("n = %d: got %d/%d, want %d/%d", table[i][0], run, cross,
				 table[i][1], table[i][2]);
	}
	stats_anhoj_limits(1, &run, &cross);
	assert_int_equal(run, 3);
	assert_int_equal(cross, 0);
	stats_anhoj_limits(0, &run, &cross);
	assert_int_equal(run, 0);
	assert_int_equal(cross, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_beta_inc_known),
		cmocka_unit_test(test_beta_inc_inv),
		cmocka_unit_test(test_binom_pmf_cdf),
		cmocka_unit_test(test_binom_test),
		cmocka_unit_test(test_binom_ci),
		cmocka_unit_test(test_poisson_yoy),
		cmocka_unit_test(test_poisson_unequal),
		cmocka_unit_test(test_poisson_edges),
		cmocka_unit_test(test_median),
		cmocka_unit_test(test_anhoj),
	};

	return cmocka_run_group_tests_name("stats", tests, NULL, NULL);
}
