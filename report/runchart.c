/*
 * runchart.c - the statistics of run charts (Anhøj's rules) and of control
 * charts for counts (c, u and Laney's U').
 *
 * Run charts follow Anhøj & Olesen (2014) as implemented in R's qicharts2
 * (runs.analysis): points on the centre line are dropped, the runs are the
 * run-length encoding of the signs of the rest, crossings = runs - 1, and
 * the limits come from stats_anhoj_limits(n_useful).
 *
 * Control charts follow Montgomery (c and u charts) and Laney (2002),
 * "Improved control charts for attributes", Quality Engineering 14(4).
 */
#include "report/report.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* ---------------------------------------------------------------------- */
/* run charts                                                              */
/* ---------------------------------------------------------------------- */

/* -1 below, +1 above, 0 not useful (on the centre line, or missing) */
static int side_of(double v, double center)
{
	if (isnan(v) || isnan(center) || v == center)
		return 0;
	return v > center ? 1 : -1;
}

int runchart_analyse_center(const double *y, size_t n, double center, runchart_result *out)
{
	if (!out || (n > 0 && !y))
		return -1;
	memset(out, 0, sizeof *out);
	out->n = n;
	out->median = center;

	int prev = 0, cur_len = 0;
	size_t cur_start = 0, last_useful = 0;

	for (size_t i = 0; i < n; i++) {
		int s = side_of(y[i], center);

		if (!s)
			continue;
		out->n_useful++;
		if (s == prev) {
			cur_len++;
		} else {
			if (prev)
				out->crossings++;
			prev = s;
			cur_len = 1;
			cur_start = i;
		}
		last_useful = i;
		/* strictly longer: the first of equally long runs is kept */
		if (cur_len > out->longest_run) {
			out->longest_run = cur_len;
			out->run_start = cur_start;
			out->run_end = last_useful;
		}
	}
	stats_anhoj_limits(out->n_useful, &out->longest_run_max, &out->crossings_min);
	if (out->n_useful > 0) {
		out->signal_shift = out->longest_run > out->longest_run_max;
		out->signal_crossings = out->crossings < out->crossings_min;
	}
	out->signal = out->signal_shift || out->signal_crossings;
	return 0;
}

int runchart_analyse(const double *y, size_t n, runchart_result *out)
{
	if (!out || (n > 0 && !y))
		return -1;

	/* the median of the points we have: missing months do not count */
	double *v = xmalloc((n ? n : 1) * sizeof *v), med;
	size_t k = 0;

	for (size_t i = 0; i < n; i++)
		if (!isnan(y[i]))
			v[k++] = y[i];
	med = stats_median(v, k);
	free(v);
	return runchart_analyse_center(y, n, med, out);
}

size_t runchart_mark_runs(const double *y, size_t n, const runchart_result *rc,
			  unsigned char *mark)
{
	size_t marked = 0, i = 0;

	if (!y || !rc || !mark)
		return 0;
	memset(mark, 0, n);
	while (i < n) {
		int s = side_of(y[i], rc->median);

		if (!s) {
			i++;
			continue;
		}
		/* the run starting at i: extend over same-side and not-useful
		 * points, counting the useful ones */
		size_t j = i, end = i;
		int len = 0;

		while (j < n) {
			int t = side_of(y[j], rc->median);
			if (t == -s)
				break;
			if (t == s) {
				len++;
				end = j;
			}
			j++;
		}
		if (len > rc->longest_run_max) {
			for (size_t m = i; m <= end; m++) {
				if (side_of(y[m], rc->median) == s) {
					mark[m] = 1;
					marked++;
				}
			}
		}
		i = end + 1;
	}
	return marked;
}

/* ---------------------------------------------------------------------- */
/* control charts                                                          */
/* ---------------------------------------------------------------------- */

void ctrlchart_init(ctrlchart *cc)
{
	memset(cc, 0, sizeof *cc);
	cc->center = NAN;
	cc->sigma_z = NAN;
	cc->dispersion = NAN;
}

void ctrlchart_clear(ctrlchart *cc)
{
	if (!cc)
		return;
	free(cc->value);
	free(cc->ucl);
	free(cc->lcl);
	free(cc->outside);
	ctrlchart_init(cc);
}

/* d2 for moving ranges of two: E|X1 - X2| = 2 / sqrt(pi) sigma = 1.128 sigma */
#define D2_MR2 1.128

/*
 * Why sigma_z > 1.2 means "over-dispersed" -- a convention, not a test.
 * sigma_z is estimated from only k - 1 moving ranges, so it is noisy: for
 * truly Poisson counts (mean 35, simulated) its standard deviation is
 * about 0.27 for k = 12 months, 0.19 for 24 and 0.15 for 36.  A cut at
 * 1.0 would hand half of all Poisson series Laney's limits at random; at
 * 1.2 (about one standard error above 1 for the two or three years of
 * monthly data a report shows) that happens to 23 %, 15 % resp. 8 % of
 * them, and then costs little, since U' limits at sigma_z = 1.2 are only
 * 20 % wider.  Laney's own advice is to use U' whenever the data are
 * over-dispersed, and U' falls back to U as sigma_z -> 1, so the exact cut
 * matters little.  Under-dispersion (sigma_z < 1) never narrows the limits
 * in AUTO mode.  The Pearson ratio is reported as a second opinion but not
 * used for the decision: a real shift in level inflates it, while moving
 * ranges see only the one step, which is the point of Laney's method.
 */
static int ctrl_compute(ctrl_kind kind, const double *y, const double *expo, size_t n,
			ctrl_laney laney, ctrlchart *out)
{
	double sum_y = 0, sum_n = 0;

	if (!out)
		return -1;
	ctrlchart_init(out);
	if (!y || n == 0)
		return -1;
	for (size_t i = 0; i < n; i++) {
		double e = expo ? expo[i] : 1.0;
		if (!isfinite(y[i]) || y[i] < 0 || !isfinite(e) || !(e > 0))
			return -1;
		sum_y += y[i];
		sum_n += e;
	}

	double ubar = sum_y / sum_n;

	out->kind = kind;
	out->n = n;
	out->center = ubar;
	out->value = xmalloc(n * sizeof *out->value);
	out->ucl = xmalloc(n * sizeof *out->ucl);
	out->lcl = xmalloc(n * sizeof *out->lcl);
	out->outside = xcalloc(n, sizeof *out->outside);

	for (size_t i = 0; i < n; i++)
		out->value[i] = y[i] / (expo ? expo[i] : 1.0);

	/* dispersion: Laney's sigma_z and the Pearson chi2 / df */
	if (n >= 2 && ubar > 0) {
		double mr = 0, chi2 = 0, zprev = 0;

		for (size_t i = 0; i < n; i++) {
			double e = expo ? expo[i] : 1.0;
			double z = (out->value[i] - ubar) / sqrt(ubar / e);
			double d = y[i] - e * ubar;

			if (i > 0)
				mr += fabs(z - zprev);
			zprev = z;
			chi2 += d * d / (e * ubar);
		}
		out->sigma_z = mr / (double)(n - 1) / D2_MR2;
		out->dispersion = chi2 / (double)(n - 1);
		out->overdispersed = out->sigma_z > CTRL_OVERDISPERSED_SIGMA_Z;
	}

	double sz = 1.0;

	if (!isnan(out->sigma_z) &&
	    (laney == CTRL_LANEY_YES || (laney == CTRL_LANEY_AUTO && out->overdispersed))) {
		out->laney = 1;
		sz = out->sigma_z;
	}
	for (size_t i = 0; i < n; i++) {
		double e = expo ? expo[i] : 1.0;
		double half = 3.0 * sz * sqrt(ubar / e);

		out->ucl[i] = ubar + half;
		out->lcl[i] = ubar - half > 0 ? ubar - half : 0.0;
		if (out->value[i] > out->ucl[i])
			out->outside[i] = 1;
		else if (out->value[i] < out->lcl[i])
			out->outside[i] = -1;
		if (out->outside[i])
			out->n_outside++;
	}
	return 0;
}

int ctrlchart_c(const double *y, size_t n, ctrl_laney laney, ctrlchart *out)
{
	return ctrl_compute(CTRL_C, y, NULL, n, laney, out);
}

int ctrlchart_u(const double *y, const double *exposure, size_t n, ctrl_laney laney,
		ctrlchart *out)
{
	if (!exposure) {
		if (out)
			ctrlchart_init(out);
		return -1;
	}
	return ctrl_compute(CTRL_U, y, exposure, n, laney, out);
}
