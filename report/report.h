/*
 * report.h - the report stage: statistics (written by hand, tested against
 * reference values from R) and the renderers.  report/ reads the store only
 * through store/'s query API and never parses messages.
 */
#ifndef AVVIK_REPORT_H
#define AVVIK_REPORT_H

#include "core/core.h"
#include "store/store.h"

/* ---- statistics ---- */

/* Regularised incomplete beta I_x(a, b), and its inverse in x. */
double stats_beta_inc(double a, double b, double x);
double stats_beta_inc_inv(double a, double b, double p);
/* Binomial probability mass and lower tail. */
double stats_binom_pmf(long k, long n, double p);
double stats_binom_cdf(long k, long n, double p);
/* Exact two-sided binomial test p-value, as R's binom.test: the sum of the
 * probabilities of all outcomes no more likely than k (relative tolerance
 * 1e-7). */
double stats_binom_test(long k, long n, double p0);
/* Clopper-Pearson exact interval for a proportion k/n at level conf. */
void stats_binom_ci(long k, long n, double conf, double *lo, double *hi);

/* Exact conditional test of two Poisson counts (R's poisson.test(c(b, a),
 * c(tb, ta))): the rate ratio (b/tb)/(a/ta), its exact interval, and the
 * two-sided p-value of ratio == 1. */
typedef struct {
	double rate_ratio;
	double ci_low, ci_high;
	double p_value;
} stats_poisson;
int stats_poisson_compare(long a, double ta, long b, double tb, double conf, stats_poisson *out);

/* ---- reports ---- */
typedef enum { REPORT_TEXT, REPORT_JSON, REPORT_MD, REPORT_CSV, REPORT_HTML } report_format;
int report_format_parse(const char *s, report_format *out);

/* report compare A B: counts, change, rate ratio, by direction and by
 * category.  Writes to out; 0 ok, -1 on a store error (err filled). */
int report_compare(store *st, const period *a, const period *b, report_format fmt,
		   FILE *out, sbuf *err);

typedef enum { EXPORT_JSONL, EXPORT_CSV } export_format;
/* One line/row per deviation (current classification), scrubbed fields only. */
int report_export(store *st, const period *p /* NULL = all */, export_format fmt,
		  FILE *out, sbuf *err);

#endif
