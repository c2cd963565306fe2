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
/* (On stats_poisson_compare: a == 0 gives ratio +inf and ci_high +inf, b == 0
 * gives ratio 0 and ci_low 0.  It returns -1 when a + b == 0 or an argument
 * is invalid; *out is then ratio NaN, CI [0, inf], p 1.) */

/* Median of v[0..n-1] (v is not modified); NaN when n == 0. */
double stats_median(const double *v, size_t n);
/* Anhøj's run-chart rules for n useful points: a run longer than
 * *longest_run_max (round(log2 n) + 3) or fewer crossings of the median
 * than *min_crossings (qbinom(0.05, n - 1, 0.5)) signals non-random
 * variation.  n == 0 gives 0 and 0. */
void stats_anhoj_limits(size_t n, int *longest_run_max, int *min_crossings);

/* ---- reports ---- */
typedef enum { REPORT_TEXT, REPORT_JSON, REPORT_MD, REPORT_CSV, REPORT_HTML } report_format;
int report_format_parse(const char *s, report_format *out);

/* What every report needs to know beyond the data: which rules commit's
 * classification it reads, which categories are kept out of the counts, and
 * the category labels (the registry lives in the rules, which report/ does
 * not read itself). */
typedef struct {
	const char *commit;         /* 40 hex */
	const char *exclude;        /* comma-separated category codes, e.g. "faktura" */
	const char *(*category_label)(void *ctx, const char *code);  /* NULL: the code */
	void *label_ctx;
	report_format format;
} report_opts;

/* report compare A B: counts, change, exact Poisson test of the rate ratio,
 * and the same by direction, category and reporter type.  0 ok, -1 on a
 * store error (err filled). */
int report_compare(store *st, const report_opts *o, const period *a, const period *b,
		   FILE *out, sbuf *err);

typedef enum { EXPORT_JSONL, EXPORT_CSV } export_format;
/* One line/row per deviation under o->commit, in p (NULL = all); only
 * scrubbed fields, never a patient's number or name. */
int report_export(store *st, const report_opts *o, const period *p, export_format fmt,
		  FILE *out, sbuf *err);

#endif
