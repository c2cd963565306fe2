/*
 * stats.c - the statistics behind the reports, written by hand so the
 * numbers can be checked line by line against R (binom.test, poisson.test,
 * pbeta/qbeta, dbinom) without pulling in a numerics library.
 *
 * Accuracy targets: the incomplete beta to ~1e-14 relative on the smaller of
 * I and 1 - I, its inverse to ~1e-14 relative in x, the binomial pmf to
 * ~1e-13 relative for any n (Loader's saddle-point form, as R's dbinom).
 */
#include "report/report.h"

#include <assert.h>
#include <float.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#define LN_SQRT_2PI 0.918938533204672741780329736406 /* log(sqrt(2*pi)) */

/* ---------------------------------------------------------------------- */
/* Loader's saddle-point pieces, shared by the beta and binomial code       */
/* ---------------------------------------------------------------------- */

/* Stirling's error log(n!) - log(sqrt(2 pi n) (n/e)^n) for real n > 0
 * (n! = Gamma(n + 1)): by the series for large n, and directly from lgamma
 * for small n, where the subtraction costs nothing. */
static double stirlerr(double n)
{
	const double s0 = 1.0 / 12, s1 = 1.0 / 360, s2 = 1.0 / 1260;
	const double s3 = 1.0 / 1680, s4 = 1.0 / 1188;
	double nn = n * n;

	assert(n > 0);
	if (n <= 15.0)
		return lgamma(n + 1.0) - (n + 0.5) * log(n) + n - LN_SQRT_2PI;
	if (n > 500)
		return (s0 - s1 / nn) / n;
	if (n > 80)
		return (s0 - (s1 - s2 / nn) / nn) / n;
	if (n > 35)
		return (s0 - (s1 - (s2 - s3 / nn) / nn) / nn) / n;
	return (s0 - (s1 - (s2 - (s3 - s4 / nn) / nn) / nn) / nn) / n;
}

/* x log(x/np) + np - x, computed without the cancellation that the direct
 * form suffers when x is close to np (Loader 2000). */
static double bd0(double x, double np)
{
	if (fabs(x - np) < 0.1 * (x + np)) {
		double v = (x - np) / (x + np);
		double s = (x - np) * v, ej = 2 * x * v;

		v *= v;
		for (int j = 1; j < 1000; j++) {
			double s1;

			ej *= v;
			s1 = s + ej / (2 * j + 1);
			if (s1 == s)
				return s1;
			s = s1;
		}
		return s;
	}
	return x * log(x / np) + np - x;
}

/* ---------------------------------------------------------------------- */
/* Incomplete beta                                                          */
/* ---------------------------------------------------------------------- */

#define CF_EPS   1e-16
#define CF_TINY  1e-300
/* The continued fraction needs O(sqrt(max(a, b))) terms near the mean;
 * this bound covers a, b up to ~1e9 with room to spare. */
#define CF_MAXIT 200000

/* log B(a, b) */
static double log_beta(double a, double b)
{
	return lgamma(a) + lgamma(b) - lgamma(a + b);
}

/* log of x^a (1-x)^b / B(a, b).  With large a and b the direct form loses
 * digits to the difference of huge log-gammas (~1e-9 at a = b = 1e6), so
 * it is then taken in Loader's form, the same as the binomial pmf:
 * sqrt(ab / (2 pi n)) exp(d(n) - d(a) - d(b) - bd0(a, xn) - bd0(b, (1-x)n)),
 * n = a + b, d = stirlerr. */
static double beta_lfront(double a, double b, double x)
{
	double n = a + b;

	if (a < 10 || b < 10)
		return a * log(x) + b * log1p(-x) - log_beta(a, b);
	return 0.5 * log(a * b / n) - LN_SQRT_2PI + stirlerr(n) - stirlerr(a) - stirlerr(b) -
	       bd0(a, x * n) - bd0(b, (1.0 - x) * n);
}

/* The continued fraction for I_x(a, b) (modified Lentz), valid and fast for
 * x < (a + 1) / (a + b + 2); the caller applies the symmetry otherwise. */
static double beta_cf(double a, double b, double x)
{
	double qab = a + b, qap = a + 1.0, qam = a - 1.0;
	double c = 1.0, d = 1.0 - qab * x / qap, h;

	if (fabs(d) < CF_TINY)
		d = CF_TINY;
	d = 1.0 / d;
	h = d;
	for (int m = 1; m <= CF_MAXIT; m++) {
		double dm = m, m2 = 2.0 * m, aa, del;

		/* even step */
		aa = dm * (b - dm) * x / ((qam + m2) * (a + m2));
		d = 1.0 + aa * d;
		if (fabs(d) < CF_TINY)
			d = CF_TINY;
		c = 1.0 + aa / c;
		if (fabs(c) < CF_TINY)
			c = CF_TINY;
		d = 1.0 / d;
		h *= d * c;
		/* odd step */
		aa = -(a + dm) * (qab + dm) * x / ((a + m2) * (qap + m2));
		d = 1.0 + aa * d;
		if (fabs(d) < CF_TINY)
			d = CF_TINY;
		c = 1.0 + aa / c;
		if (fabs(c) < CF_TINY)
			c = CF_TINY;
		d = 1.0 / d;
		del = d * c;
		h *= del;
		if (fabs(del - 1.0) < CF_EPS)
			break;
	}
	return h;
}

/* Both I_x(a, b) and 1 - I_x(a, b), each computed without cancellation
 * when it is the small one: the tail probabilities of the binomial test
 * are often tiny and must keep their relative accuracy. */
static void beta_inc2(double a, double b, double x, double *lower, double *upper)
{
	assert(a > 0 && b > 0);
	if (x <= 0) {
		*lower = 0.0;
		*upper = 1.0;
		return;
	}
	if (x >= 1) {
		*lower = 1.0;
		*upper = 0.0;
		return;
	}
	double lfront = beta_lfront(a, b, x);

	if (x < (a + 1.0) / (a + b + 2.0)) {
		*lower = exp(lfront) * beta_cf(a, b, x) / a;
		if (*lower > 1.0)
			*lower = 1.0;
		*upper = 1.0 - *lower;
	} else {
		*upper = exp(lfront) * beta_cf(b, a, 1.0 - x) / b;
		if (*upper > 1.0)
			*upper = 1.0;
		*lower = 1.0 - *upper;
	}
	assert(*lower >= 0 && *upper >= 0);
}

double stats_beta_inc(double a, double b, double x)
{
	double lo, up;

	if (!(a > 0) || !(b > 0) || isnan(x) || isinf(a) || isinf(b))
		return NAN;
	beta_inc2(a, b, x, &lo, &up);
	return lo;
}

/* Density of Beta(a, b) at 0 < x < 1. */
static double beta_pdf(double a, double b, double x)
{
	return exp(beta_lfront(a, b, x)) / (x * (1.0 - x));
}

/* Newton's method kept inside a bracket that shrinks on every evaluation;
 * whenever Newton would leave the bracket (flat or infinite density near
 * 0 or 1, a poor start) it falls back to bisection, so it always
 * converges.  f is evaluated from whichever of I, 1 - I is small so that
 * extreme p (qbeta(1e-10, ...) or qbeta(1 - 1e-10, ...)) stay accurate. */
double stats_beta_inc_inv(double a, double b, double p)
{
	if (!(a > 0) || !(b > 0) || isnan(p) || isinf(a) || isinf(b))
		return NAN;
	if (p <= 0)
		return 0.0;
	if (p >= 1)
		return 1.0;

	double lo = 0.0, hi = 1.0, flo = -p, fhi = 1.0 - p;
	double x = a / (a + b); /* the mean: inside (0, 1) and near the bulk */

	for (int it = 0; it < 2000; it++) {
		double il, iu, f, xn;

		assert(lo <= x && x <= hi);
		beta_inc2(a, b, x, &il, &iu);
		/* f = I_x - p, from the accurate side */
		f = p < 0.5 ? il - p : (1.0 - p) - iu;
		if (f == 0)
			return x;
		if (f < 0) {
			lo = x;
			flo = f;
		} else {
			hi = x;
			fhi = f;
		}

		double pdf = beta_pdf(a, b, x);
		xn = (pdf > 0 && isfinite(pdf)) ? x - f / pdf : NAN;
		if (!(xn > lo && xn < hi)) {
			/* bisect; geometrically when the bracket spans many
			 * orders of magnitude near 0, so tiny quantiles are
			 * reached in few steps */
			if (lo == 0 && hi < 1e-3)
				xn = hi * 1e-3 > DBL_MIN ? hi * 1e-3 : 0.5 * hi;
			else
				xn = lo + 0.5 * (hi - lo);
			/* lo and hi are neighbouring doubles: pick the closer */
			if (xn <= lo || xn >= hi)
				return -flo <= fhi ? lo : hi;
		}
		/* converged when the step is below rounding of the smaller of
		 * x and 1 - x (the tails are what the intervals need) */
		if (fabs(xn - x) <= 2 * DBL_EPSILON * fmax(fmin(x, 1.0 - x), DBL_MIN))
			return xn;
		x = xn;
	}
	return x; /* not reached in practice: the bracket halves at worst */
}

/* ---------------------------------------------------------------------- */
/* Binomial                                                                 */
/* ---------------------------------------------------------------------- */

double stats_binom_pmf(long k, long n, double p)
{
	if (n < 0 || isnan(p) || p < 0 || p > 1)
		return NAN;
	if (k < 0 || k > n)
		return 0.0;
	double q = 1.0 - p, x = (double)k, dn = (double)n, lc;

	if (p == 0)
		return k == 0 ? 1.0 : 0.0;
	if (q == 0)
		return k == n ? 1.0 : 0.0;
	if (k == 0) {
		if (n == 0)
			return 1.0;
		lc = p < 0.1 ? -bd0(dn, dn * q) - dn * p : dn * log(q);
		return exp(lc);
	}
	if (k == n) {
		lc = q < 0.1 ? -bd0(dn, dn * p) - dn * q : dn * log(p);
		return exp(lc);
	}
	/* Loader's saddle-point form: every term is O(1) or small, so there
	 * is no cancellation between huge log-factorials for large n */
	lc = stirlerr(dn) - stirlerr(x) - stirlerr(dn - x) - bd0(x, dn * p) - bd0(dn - x, dn * q);
	double lf = 2 * LN_SQRT_2PI + log(x) + log1p(-x / dn);
	return exp(lc - 0.5 * lf);
}

/* P(X <= k) and P(X > k) for X ~ Binom(n, p), each accurate when small:
 * P(X <= k) = I_{1-p}(n - k, k + 1). */
static void binom_tails(long k, long n, double p, double *le, double *gt)
{
	assert(n >= 0 && p >= 0 && p <= 1);
	if (k < 0) {
		*le = 0.0;
		*gt = 1.0;
		return;
	}
	if (k >= n) {
		*le = 1.0;
		*gt = 0.0;
		return;
	}
	beta_inc2((double)(k + 1), (double)(n - k), p, gt, le);
}

double stats_binom_cdf(long k, long n, double p)
{
	double le, gt;

	if (n < 0 || isnan(p) || p < 0 || p > 1)
		return NAN;
	binom_tails(k, n, p, &le, &gt);
	return le;
}

double stats_binom_test(long k, long n, double p0)
{
	if (n < 0 || k < 0 || k > n || isnan(p0) || p0 < 0 || p0 > 1)
		return NAN;
	/* R: if (p == 0) (x == 0) else if (p == 1) (x == n) */
	if (p0 == 0)
		return k == 0 ? 1.0 : 0.0;
	if (p0 == 1)
		return k == n ? 1.0 : 0.0;

	/* R's rule word for word: outcomes on the other side of the mean
	 * n*p whose probability is at most d (up to a relative 1e-7, so
	 * that ties computed with rounding error count) join the own tail. */
	const double rel_err = 1 + 1e-7;
	double d = stats_binom_pmf(k, n, p0);
	double m = (double)n * p0, pval, le, gt;
	long y = 0;

	if ((double)k == m)
		return 1.0;
	if ((double)k < m) {
		for (long i = (long)ceil(m); i <= n; i++)
			if (stats_binom_pmf(i, n, p0) <= d * rel_err)
				y++;
		/* pbinom(x) + pbinom(n - y, lower = FALSE) */
		binom_tails(k, n, p0, &le, &gt);
		pval = le;
		binom_tails(n - y, n, p0, &le, &gt);
		pval += gt;
	} else {
		for (long i = 0; i <= (long)floor(m); i++)
			if (stats_binom_pmf(i, n, p0) <= d * rel_err)
				y++;
		/* pbinom(y - 1) + pbinom(x - 1, lower = FALSE) */
		binom_tails(y - 1, n, p0, &le, &gt);
		pval = le;
		binom_tails(k - 1, n, p0, &le, &gt);
		pval += gt;
	}
	return pval < 1.0 ? pval : 1.0;
}

void stats_binom_ci(long k, long n, double conf, double *lo, double *hi)
{
	assert(lo && hi);
	if (n < 0 || k < 0 || k > n || !(conf > 0 && conf < 1)) {
		*lo = NAN;
		*hi = NAN;
		return;
	}
	double alpha = (1.0 - conf) / 2.0;

	*lo = k == 0 ? 0.0 : stats_beta_inc_inv((double)k, (double)(n - k + 1), alpha);
	*hi = k == n ? 1.0 : stats_beta_inc_inv((double)(k + 1), (double)(n - k), 1.0 - alpha);
	assert(*lo <= *hi);
}

/* p/(1-p) * scale, the map from the share of b among all events back to a
 * rate ratio; p = 1 (all events in b) is an infinite ratio, not a NaN. */
static double odds_scaled(double p, double scale)
{
	if (p >= 1.0)
		return INFINITY;
	if (p <= 0.0)
		return 0.0;
	return p / (1.0 - p) * scale;
}

int stats_poisson_compare(long a, double ta, long b, double tb, double conf, stats_poisson *out)
{
	assert(out);
	out->rate_ratio = NAN;
	out->ci_low = 0.0;
	out->ci_high = INFINITY;
	out->p_value = 1.0;
	if (a < 0 || b < 0 || !(ta > 0) || !(tb > 0) || !isfinite(ta) || !isfinite(tb) ||
	    !(conf > 0 && conf < 1))
		return -1;
	long n = a + b;
	if (n == 0)
		return -1; /* no events: no ratio to estimate */

	/* Conditional on n, b ~ Binom(n, tb / (ta + tb)) when the rates are
	 * equal: the test of the ratio is a binomial test of b. */
	double p0 = tb / (ta + tb), pl, pu;

	out->p_value = stats_binom_test(b, n, p0);
	if (a == 0)
		out->rate_ratio = INFINITY;
	else if (b == 0)
		out->rate_ratio = 0.0;
	else
		out->rate_ratio = ((double)b / tb) / ((double)a / ta);
	stats_binom_ci(b, n, conf, &pl, &pu);
	out->ci_low = odds_scaled(pl, ta / tb);
	out->ci_high = odds_scaled(pu, ta / tb);
	assert(!isnan(out->p_value) && !isnan(out->ci_low) && !isnan(out->ci_high));
	return 0;
}

/* ---------------------------------------------------------------------- */
/* Run-chart helpers                                                        */
/* ---------------------------------------------------------------------- */

static int cmp_double(const void *pa, const void *pb)
{
	double x = *(const double *)pa, y = *(const double *)pb;

	return (x > y) - (x < y);
}

double stats_median(const double *v, size_t n)
{
	if (n == 0)
		return NAN;
	assert(v);
	/* sort a copy: the caller's series keeps its time order */
	double *s = xmalloc(n * sizeof *s), med;

	memcpy(s, v, n * sizeof *s);
	qsort(s, n, sizeof *s, cmp_double);
	med = n % 2 ? s[n / 2] : 0.5 * (s[n / 2 - 1] + s[n / 2]);
	free(s);
	return med;
}

void stats_anhoj_limits(size_t n, int *longest_run_max, int *min_crossings)
{
	assert(longest_run_max && min_crossings);
	if (n == 0) {
		*longest_run_max = 0;
		*min_crossings = 0;
		return;
	}
	/* Anhøj: a run longer than round(log2 n) + 3 is a signal */
	*longest_run_max = (int)lround(log2((double)n)) + 3;

	/* qbinom(0.05, n - 1, 0.5): the smallest c with P(X <= c) >= 0.05;
	 * fewer crossings than c is a signal.  R's qbinom fuzzes the target
	 * down by 64 eps so a cdf that equals it up to rounding counts. */
	long trials = (long)n - 1;
	double target = 0.05 * (1 - 64 * DBL_EPSILON), cum = 0.0;
	long c = 0;

	for (; c < trials; c++) {
		cum += stats_binom_pmf(c, trials, 0.5);
		if (cum >= target)
			break;
	}
	assert(c <= trials);
	*min_crossings = (int)c;
}

/* ---------------------------------------------------------------------- */
/* Fisher's exact test                                                      */
/* ---------------------------------------------------------------------- */

double stats_fisher_exact(long a, long b, long c, long d)
{
	if (a < 0 || b < 0 || c < 0 || d < 0)
		return NAN;
	/* R: m = first column, n = second column, k = first row; a is
	 * hypergeometric on [lo, hi] given the margins. */
	long m = a + c, n = b + d, k = a + b;
	long lo = k - n > 0 ? k - n : 0, hi = k < m ? k : m;

	if (hi <= lo)
		return 1.0;     /* one table only */
	size_t len = (size_t)(hi - lo + 1);
	double *ld = xmalloc(len * sizeof *ld), max, obs, sum = 0, tail = 0;

	/* log-densities up to a constant by the ratio of neighbours, which
	 * needs neither factorials nor lgamma's rounding at large n */
	ld[0] = 0;
	max = 0;
	for (long x = lo; x < hi; x++) {
		double r = ((double)(m - x) * (double)(k - x)) /
			   ((double)(x + 1) * (double)(n - k + x + 1));
		ld[x - lo + 1] = ld[x - lo] + log(r);
		if (ld[x - lo + 1] > max)
			max = ld[x - lo + 1];
	}
	obs = exp(ld[a - lo] - max) * (1 + 1e-7);
	for (size_t i = 0; i < len; i++) {
		double p = exp(ld[i] - max);
		sum += p;
		if (p <= obs)
			tail += p;
	}
	free(ld);
	return tail / sum > 1.0 ? 1.0 : tail / sum;
}
