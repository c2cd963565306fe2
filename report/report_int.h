/*
 * report_int.h - internal to report/: a small document model that the
 * trend, summary and compare reports build once and render as text, md,
 * csv or html (JSON is written per report: it is data, not layout), and
 * the helpers they share.  The stage's API is report.h.
 */
#ifndef AVVIK_REPORT_INT_H
#define AVVIK_REPORT_INT_H

#include "report/report.h"

/* A label in the report's language: bokmål unless --lang en. */
#define RL(o, nb, en) ((o)->lang == REPORT_LANG_EN ? (en) : (nb))

typedef struct {
	char *s;          /* text; NULL for a number */
	double v;         /* the number, formatted by the renderer */
	int decimals;
	int is_num;
	int pct;          /* show " %" after the number */
	int pval;         /* a p-value: "< 0,0001" below that */
	int strong;       /* emphasised (a signal) */
} rd_cell;

/* RD_LEAD: the opening sentences; RD_WARN: something the reader must not
 * miss (an incomplete period); RD_APPENDIX: a heading that starts the
 * appendix (a new page when printed). */
typedef enum { RD_H1, RD_H2, RD_P, RD_NOTE, RD_QUOTE, RD_TABLE, RD_FIGURE, RD_LEAD, RD_WARN,
	       RD_APPENDIX } rd_kind;

typedef struct {
	rd_kind kind;
	char *text;       /* heading, paragraph, note, quote; table and figure caption */
	char *cite;       /* RD_QUOTE: where it is from */
	char *id;         /* table: short name, used by csv */
	size_t ncol, nrow;
	char **head;      /* [ncol] */
	rd_cell *cells;   /* [nrow * ncol] */
	char *svg;        /* RD_FIGURE: inline SVG markup (html only) */
	int half;         /* html: a figure or table half the page wide, beside the next */
	int text_only;    /* says in words what a chart shows: not in html, which has the chart */
} rd_block;

typedef struct {
	const report_opts *o;
	char *title;
	rd_block *b;
	size_t n;
} rdoc;

void rdoc_init(rdoc *d, const report_opts *o, const char *title);
void rdoc_clear(rdoc *d);
void rdoc_text(rdoc *d, rd_kind kind, const char *text);
void rdoc_quote(rdoc *d, const char *text, const char *cite);
/* A table with ncol columns named by the NULL-terminated list; cells are
 * added row by row with rdoc_cell_*. */
rd_block *rdoc_table(rdoc *d, const char *id, const char *caption, const char *const *head);
void rdoc_cell_text(rd_block *t, const char *s);
void rdoc_cell_num(rd_block *t, double v, int decimals);
void rdoc_cell_pct(rd_block *t, double v, int decimals);
void rdoc_cell_p(rd_block *t, double p);   /* a p-value */
void rdoc_cell_strong(rd_block *t);   /* marks the last cell added */
rd_block *rdoc_figure(rdoc *d, const char *caption, const char *svg);
/* Renders in o->format (text, md, csv, html, xlsx: the workbook's bytes).
 * 0 ok; -1 (xlsx only) with err filled. */
int rdoc_render(const rdoc *d, sbuf *out, sbuf *err);
/* The document as a workbook (xlsx.c): the words on a first sheet, each
 * table on a sheet of its own. */
int rdoc_render_xlsx(const rdoc *d, sbuf *out, sbuf *err);

/* The export as a workbook, row by row (xlsx.c). */
typedef struct report_xlsx_export report_xlsx_export;
typedef enum { XLSX_TEXT, XLSX_NUMBER, XLSX_DATE, XLSX_BOOL } report_xlsx_kind;
/* head[ncol] is the header row, widths[ncol] the column widths. */
int report_xlsx_export_begin(report_xlsx_export **out, const char *const *head, const double *widths,
			     size_t ncol, sbuf *err);
/* One cell of the current row: s for text and dates, v for numbers and
 * booleans (v < 0: no value). */
void report_xlsx_export_cell(report_xlsx_export *e, size_t col, report_xlsx_kind kind, const char *s,
			     double v);
void report_xlsx_export_next_row(report_xlsx_export *e);
/* Finishes the workbook and hands its bytes to out; frees e. */
int report_xlsx_export_end(report_xlsx_export *e, sbuf *out, sbuf *err);
void report_xlsx_export_abort(report_xlsx_export *e);

/* Numbers as the report's language writes them: decimal comma and U+2212
 * minus in bokmål; NaN and infinities as "–". */
void report_num(const report_opts *o, sbuf *out, double v, int decimals);
/* p-value: 4 decimals, 5 below 0.001, "< 0,0001" below that. */
void report_pval(const report_opts *o, sbuf *out, double p);
/* "p = 0,0097", or "p < 0,0001" below that. */
void report_p(const report_opts *o, sbuf *out, double p);
/* JSON number or null. */
void report_json_num(sbuf *out, double v);
/* Category label in the report's language (the code when unknown). */
const char *report_cat_label(const report_opts *o, const char *code);
/* Organisation display name (the id when unknown; "?name" -> name). */
const char *report_org_label(const report_opts *o, const char *id);
size_t report_text_width(const char *s);
/* s cut to about max code points on a word boundary, with "…" when cut;
 * runs of white space folded to one space. */
void report_excerpt(sbuf *out, const char *s, size_t max);

/* Months of [start, end) as "YYYY-MM" keys; caller frees *keys. */
size_t report_months(const period *p, char (**keys)[8]);

/* ---- is a period's data complete? (coverage.c) ---- */
typedef struct {
	int complete;             /* none of the below */
	int no_data;              /* nothing classified at all */
	int not_over;             /* the period ends after today */
	int starts_late;          /* the data begin after the period's first month */
	int ends_early;           /* the data end before the period's last month */
	char first[11], last[11]; /* the data's first and last count date */
	sbuf missing;             /* "2024-03 (docmap), ...": months of the period in
				     which a source that reports before and after is silent */
	size_t n_missing;
} report_coverage;
/* Looks at all data (not o->filter).  0 ok, -1 on a store error; clear
 * *out with report_coverage_clear either way. */
int report_coverage_get(store *st, const report_opts *o, const period *p, report_coverage *out);
void report_coverage_clear(report_coverage *c);
/* One sentence saying why p is incomplete; nothing when complete. */
void report_coverage_text(const report_opts *o, const period *p, const report_coverage *c, sbuf *out);
/* {"complete": ..., ...} */
void report_coverage_json(const report_coverage *c, sbuf *out);

/* ---- shared analyses (series.c) ---- */
/* Who reports: municipalities and GPs against UNN, in two periods. */
typedef struct {
	long kf[2], unn[2], other[2];
	double share[2], lo[2], hi[2];   /* kf / (kf + unn), Clopper-Pearson 95 % */
	double fisher_p;                 /* 2x2 exact test of the change; NaN without data */
} report_share;
/* "share": [a, b], "ci95": [[lo, hi], [lo, hi]], "fisher_p": p — the keys the
 * JSON of compare and summary share. */
void report_share_json(const report_share *s, sbuf *out);
void report_share_init(report_share *s);
void report_share_add(report_share *s, int side, const char *reporter_type, long n);
void report_share_finish(report_share *s);
/* Over-dispersion of the monthly counts of each period (c-chart with
 * Laney's sigma_z and the Pearson ratio); over = either is over-dispersed
 * by Laney's sigma_z or has chi2/df > 1.5. */
typedef struct {
	int months[2];
	double sigma_z[2], chi2df[2];
	int over;
} report_dispersion;
int report_dispersion_get(store *st, const report_opts *o, const period *a, const period *b,
			  report_dispersion *out);
void report_dispersion_text(const report_opts *o, const report_dispersion *d, sbuf *out);
void report_dispersion_json(const report_dispersion *d, sbuf *out);

/* ---- shared by trend and summary (trend.c) ---- */
/* The run chart of s as an inline SVG figure, with its limits; plain: no
 * method names in the legend and the caption (the summary's first page). */
void report_series_figure(rdoc *d, const report_series *s, const char *id, const char *title, int plain);
/* One paragraph on the series: median, Anhøj signals, control limits,
 * dispersion. */
void report_series_text(const report_opts *o, const report_series *s, sbuf *out);
/* The series as JSON members (no braces): "points", "median", "anhoj",
 * "control_chart". */
void report_series_json(const report_series *s, sbuf *out, const char *indent);
/* " – FSU somatikk" etc. for titles; "" without a filter. */
void report_filter_title(const report_opts *o, sbuf *out);
/* "filter": {...} members for JSON. */
void report_filter_json(const report_opts *o, sbuf *out);
/* Writes out to f; -1 with err on a short write. */
int report_write(FILE *f, const sbuf *text, sbuf *err);

/* Key -> counts in two periods (side 0 and 1), filled by store_count with
 * report_pairs_add; the tables compare and summary are built from. */
typedef struct {
	char *key;
	long n[2];
} report_pair_row;
typedef struct {
	report_pair_row *rows;
	size_t len;
	int side;      /* which period store_count is filling */
} report_pairs;
int report_pairs_add(void *ctx, const char *key, long count);   /* a store_count_fn */
void report_pairs_clear(report_pairs *t);

#endif
