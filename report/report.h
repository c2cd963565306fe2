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

/* Fisher's exact test of the 2x2 table [[a, b], [c, d]]: the two-sided
 * p-value as R's fisher.test (the sum of the hypergeometric probabilities,
 * margins fixed, of all tables no more likely than the observed one, with
 * R's relative tolerance 1e-7).  1 when a margin is 0; NaN for negative
 * counts. */
double stats_fisher_exact(long a, long b, long c, long d);

/* Median of v[0..n-1] (v is not modified); NaN when n == 0. */
double stats_median(const double *v, size_t n);
/* Anhøj's run-chart rules for n useful points: a run longer than
 * *longest_run_max (round(log2 n) + 3) or fewer crossings of the median
 * than *min_crossings (qbinom(0.05, n - 1, 0.5)) signals non-random
 * variation.  n == 0 gives 0 and 0. */
void stats_anhoj_limits(size_t n, int *longest_run_max, int *min_crossings);

/* ---- reports ---- */
typedef enum { REPORT_TEXT, REPORT_JSON, REPORT_MD, REPORT_CSV, REPORT_HTML, REPORT_XLSX } report_format;
int report_format_parse(const char *s, report_format *out);

/* What every report needs to know beyond the data: which rules commit's
 * classification it reads, which categories are kept out of the counts, and
 * the category labels (the registry lives in the rules, which report/ does
 * not read itself). */
typedef enum { REPORT_LANG_NB = 0, REPORT_LANG_EN } report_lang;

typedef struct {
	const char *commit;         /* 40 hex */
	const char *exclude;        /* comma-separated category codes, e.g. "faktura" */
	const char *(*category_label)(void *ctx, const char *code);  /* NULL: the code */
	void *label_ctx;
	report_format format;
	/* --- added for trend and summary; zero means the default --- */
	report_lang lang;           /* labels: bokmål (default) or English */
	int csv_c;                  /* csv in the C convention (',' and '.'); else, by default, for
				       Norwegian spreadsheets: ';', decimal comma, UTF-8 BOM */
	int color;                  /* ANSI colour in text (only when stdout is a terminal) */
	/* English category label (NULL or returning NULL: the bokmål label) */
	const char *(*category_label_en)(void *ctx, const char *code);
	/* registry display name of an org id (NULL or returning NULL: the id) */
	const char *(*org_label)(void *ctx, const char *org_id);
	store_filter filter;        /* --category/--direction/--org/--fsu */
	const char *filter_label;   /* what the filter selects, for titles ("FSU somatikk") */
	int top;                    /* top N for recurring failures (0: 5) */
	int no_text;                /* no free text (summary's excerpts): for readers
				       who may see aggregates only */
} report_opts;

/* report compare A B: counts, change, exact Poisson test of the rate ratio,
 * and the same by direction, category and reporter type.  0 ok, -1 on a
 * store error (err filled). */
int report_compare(store *st, const report_opts *o, const period *a, const period *b,
		   FILE *out, sbuf *err);

/* report trend: the series by month or quarter over range (NULL: all data),
 * filtered by o->filter: median and Anhøj signals, c- or u-chart (u when
 * the points cover unequal numbers of months) with 3-sigma limits, the
 * dispersion and Laney's U' limits when over-dispersed. */
typedef enum { REPORT_BY_MONTH, REPORT_BY_QUARTER } report_by;
int report_trend(store *st, const report_opts *o, const period *range, report_by by,
		 FILE *out, sbuf *err);

/* report summary: the one-page FSU summary of p against vs (NULL: the
 * period of the same length just before p). */
int report_summary(store *st, const report_opts *o, const period *p, const period *vs,
		   FILE *out, sbuf *err);

/* report feedback: to one reporting organisation (org_id and its units):
 * what it reported in p, how each was classified, which of its categories
 * recur over the year up to p's end.  Its own reports only, and of those
 * the subject, never a free text.  Formats text, md, html, xlsx. */
int report_feedback(store *st, const report_opts *o, const char *org_id, const period *p, FILE *out,
		    sbuf *err);

typedef enum { EXPORT_JSONL, EXPORT_CSV, EXPORT_XLSX } export_format;
/* One line/row per deviation under o->commit, in p (NULL = all); only
 * scrubbed fields, never a patient's number or name. */
int report_export(store *st, const report_opts *o, const period *p, export_format fmt,
		  FILE *out, sbuf *err);

/* ---- a report as an e-mail (report/mail.c, GMime; charts drawn by librsvg) ---- */
typedef struct {
	const char *from, *from_name;     /* from_name may be NULL */
	const char *const *to;            /* "a@b" or "Name <a@b>" */
	size_t n_to;
	const char *subject;
	const char *text;                 /* the plain-text part */
	const char *html;                 /* the HTML part; its inline <svg> charts are sent as
					     PNG images referenced by cid: */
	const void *attachment;           /* e.g. the xlsx; NULL for none */
	size_t attachment_len;
	const char *attachment_name, *attachment_type;
	const char *domain;               /* of the Message-ID */
} report_mail;
/* Builds the RFC 5322 message into out; *message_id (caller frees) gets
 * its Message-ID.  0 ok; -1 with err. */
int report_mail_build(const report_mail *m, sbuf *out, char **message_id, sbuf *err);

/* ---- run charts and charts ---- */

/* Anhøj's run-chart analysis (Anhøj & Olesen 2014, as R's qicharts2).
 * Points exactly on the centre line and NaN points (missing months) are
 * not useful: they neither break nor extend a run and are not counted in
 * n_useful.  A run is a sequence of consecutive useful points on the same
 * side; a crossing is a change of side between consecutive useful points. */
typedef struct {
	size_t n;               /* points given */
	size_t n_useful;        /* points neither on the centre line nor NaN */
	double median;          /* the centre line: the median (NaN when no data) */
	int longest_run, longest_run_max;   /* signal when longest_run > longest_run_max */
	int crossings, crossings_min;       /* signal when crossings < crossings_min */
	int signal_shift, signal_crossings; /* booleans */
	int signal;                         /* either of the two */
	/* the first longest run: indices into y of its first and last useful
	 * point (on-median points between them are inside the range but are no
	 * part of the run); both 0 when n_useful == 0 */
	size_t run_start, run_end;
} runchart_result;

/* The median of the non-NaN points as centre line.  0 ok, -1 when y is NULL
 * with n > 0 or out is NULL.  n == 0 (or all NaN) gives no signals. */
int runchart_analyse(const double *y, size_t n, runchart_result *out);
/* The same against a given centre line, e.g. the median of a baseline
 * period ("frozen") or a control chart's CL. */
int runchart_analyse_center(const double *y, size_t n, double center, runchart_result *out);
/* Sets mark[i] = 1 for every useful point in a run longer than
 * rc->longest_run_max (every such run, not only the longest), else 0;
 * returns how many were marked.  y, n as given to the analysis. */
size_t runchart_mark_runs(const double *y, size_t n, const runchart_result *rc,
			  unsigned char *mark);

/* Shewhart control charts for counts.
 * c-chart: CL = mean count, limits CL +- 3 sqrt(CL).
 * u-chart: counts y_i over exposure n_i (months, bed days, discharges);
 *   CL = u = sum y / sum n, limits u +- 3 sqrt(u / n_i) per point.
 * Laney U': z_i = (u_i - u) / sqrt(u / n_i), sigma_z = mean |z_i - z_{i-1}|
 *   / 1.128 (Laney 2002, no screening of large moving ranges), limits
 *   u +- 3 sigma_z sqrt(u / n_i).  A c-chart is the u-chart with n_i = 1.
 * Lower limits are floored at 0.  A point is outside when strictly above
 * UCL or strictly below LCL. */
typedef enum { CTRL_C, CTRL_U } ctrl_kind;
typedef enum {
	CTRL_LANEY_NO = 0,  /* plain Poisson limits */
	CTRL_LANEY_YES,     /* always Laney's limits */
	CTRL_LANEY_AUTO     /* Laney's when overdispersed (sigma_z > threshold) */
} ctrl_laney;
/* sigma_z above this counts as over-dispersed: a convention, see runchart.c */
#define CTRL_OVERDISPERSED_SIGMA_Z 1.2

typedef struct {
	ctrl_kind kind;
	size_t n;
	double center;          /* CL: mean count (c) or pooled rate u */
	double *value;          /* [n] the plotted value: y_i (c) or y_i / n_i (u) */
	double *ucl, *lcl;      /* [n] per point */
	signed char *outside;   /* [n] +1 above UCL, -1 below LCL, 0 within */
	size_t n_outside;
	double sigma_z;         /* Laney's sigma_z; NaN when n < 2 or CL == 0 */
	double dispersion;      /* Pearson chi2 / (n - 1); NaN when n < 2 or CL == 0 */
	int overdispersed;      /* sigma_z > CTRL_OVERDISPERSED_SIGMA_Z */
	int laney;              /* 1 when the limits are Laney's */
} ctrlchart;

void ctrlchart_init(ctrlchart *cc);
void ctrlchart_clear(ctrlchart *cc);   /* frees the arrays, re-inits */
/* 0 ok; -1 (cc left empty) when n == 0, an argument is NULL, a count is
 * negative or not finite, or an exposure is not finite and > 0. */
int ctrlchart_c(const double *y, size_t n, ctrl_laney laney, ctrlchart *out);
int ctrlchart_u(const double *y, const double *exposure, size_t n, ctrl_laney laney,
		ctrlchart *out);

/* Inline SVG charts for the HTML report: self-contained (no scripts, no
 * external references, presentation attributes only, no <style>), with a
 * viewBox so they scale to the page, role="img" and aria-labelledby on a
 * <title> and a <desc>.  All text is sanitised UTF-8 escaped for XML. */
typedef struct {
	int width, height;      /* user units; 0 = the chart's default */
	int decimal_comma;      /* numbers shown as "35,3" (coordinates keep '.') */
	/* formats a shown number (axis ticks, values, legend); NULL = built-in
	 * (C-locale digits, decimal_comma honoured) */
	void (*fmt)(sbuf *out, double v, void *ctx);
	void *fmt_ctx;
	/* prefix of the ids of <title> and <desc>; must be unique in the HTML
	 * page.  NULL = "svg-" + a hash of the chart kind, title and size. */
	const char *id;
	int show_title;         /* also draw the title as visible text */
	int en;                 /* legends, month names and text alternatives in English */
	int plain;              /* legends without method names (Laney U′): for lay readers */
} svg_opts;

typedef struct {
	size_t n;
	const double *y;                /* [n]; NaN = missing (gap in the line) */
	const char *const *x_labels;    /* [n] or NULL: month labels from first_month */
	const char *first_month;        /* "YYYY-MM" of y[0] -> "jan 23", "feb 23", ... */
	const char *y_name;             /* legend name of the series; NULL "Antall" */
	const ctrlchart *limits;        /* optional CL/UCL/LCL, same n; its outside[]
					   points are highlighted */
} svg_series;

/* A number with `decimals` decimals, C-locale digits, ',' when
 * decimal_comma; NaN as "–". */
void svg_fmt_number(sbuf *out, double v, int decimals, int decimal_comma);
/* s as XML text/attribute content: invalid UTF-8 -> U+FFFD, controls ->
 * space, & < > " ' escaped. */
void svg_escape(sbuf *out, const char *s);

/* Run chart: points and line, the median dashed (from rc; rc may be NULL:
 * no median), optional limits, points of runs longer than the limit
 * (triangles) and outside the limits (diamonds, labelled) highlighted.
 * desc NULL: a generated text alternative (median, runs, crossings). */
void svg_runchart(sbuf *out, const svg_opts *o, const svg_series *s, const runchart_result *rc,
		  const char *title, const char *desc);
/* Pareto chart: bars sorted by count, descending (ties keep input order),
 * value labels, and the cumulative percentage on a right-hand 0-100 % axis. */
void svg_pareto(sbuf *out, const svg_opts *o, const char *const *labels, const long *counts,
		size_t n, const char *title, const char *desc);
/* Horizontal bars in the given order: label, bar, value (unit appended,
 * e.g. " %", NULL none).  height 0 = from n. */
void svg_hbars(sbuf *out, const svg_opts *o, const char *const *labels, const double *values,
	       size_t n, const char *unit, const char *title, const char *desc);

/* ---- the analyses behind trend and summary (report/series.c) ---- */

/* A series of counts, one point per month or quarter of a range. */
typedef struct {
	report_by by;
	size_t n;
	char (*key)[8];      /* [n] "2024-03" or "2024-Q1" */
	double *y;           /* [n] counts */
	double *months;      /* [n] months of the range the point covers */
	int u_chart;         /* 1 when the points cover unequal months */
	runchart_result rc;
	ctrlchart cc;        /* c-chart (counts) or u-chart (per month) */
} report_series;

void report_series_init(report_series *s);
void report_series_clear(report_series *s);
/* Sets up the points of range (zero counts), by month or quarter. */
int report_series_points(report_series *s, const period *range, report_by by);
/* Adds count to the point with key (ignored when not in the series). */
void report_series_add(report_series *s, const char *key, long count);
/* The run chart (median, Anhøj) and the control chart (Laney when
 * over-dispersed) of the points.  0 ok, -1 when there are no points. */
int report_series_analyse(report_series *s);
/* Loads the counts of o->filter over range from the store and analyses. */
int report_series_load(store *st, const report_opts *o, const period *range, report_by by,
		       report_series *s);

/* Recurring failures ("gjengangere"): keys that are among the top N of
 * their quarter in at least 3 consecutive quarters. */
typedef struct {
	char *key;           /* category code, or "reporter\tconcerned" */
	int streak;          /* longest run of consecutive quarters in the top N */
	char first[8], last[8];   /* its first and last quarter */
	int quarters_in_top; /* quarters in the top N in all */
	long total;          /* count over all quarters */
	int current;         /* the streak includes the last quarter */
} report_recurring;

/* keys/counts of STORE_Q_QUARTER_CATEGORY or _PAIR rows ("YYYY-Qn\tkey");
 * quarters lists every quarter of the window in order (a quarter without
 * rows breaks a streak).  Sorted: current first, longest streak, total. */
size_t report_recurring_find(const char *const *quarters, size_t n_quarters,
			     const char *const *rows, const long *counts, size_t n_rows,
			     int top, int min_streak, report_recurring **out);
void report_recurring_free(report_recurring *r, size_t n);

#endif
