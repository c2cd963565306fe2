/*
 * compare.c - report compare A B: the year-over-year (or any two periods)
 * comparison the FSU reads first, with the exact conditional Poisson test.
 */
#include "report/report_int.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

int report_format_parse(const char *s, report_format *out)
{
	static const struct { const char *name; report_format f; } names[] = {
		{ "text", REPORT_TEXT }, { "json", REPORT_JSON }, { "md", REPORT_MD },
		{ "csv", REPORT_CSV }, { "html", REPORT_HTML }, { "xlsx", REPORT_XLSX },
	};
	size_t i;

	for (i = 0; i < sizeof names / sizeof names[0]; i++)
		if (!strcmp(s, names[i].name)) {
			*out = names[i].f;
			return 0;
		}
	return -1;
}

typedef report_pair_row compare_row;
typedef report_pairs compare_table;

static int compare_row_cmp(const void *a, const void *b)
{
	const compare_row *x = a, *y = b;
	long tx = x->n[0] + x->n[1], ty = y->n[0] + y->n[1];

	if (tx != ty)
		return tx < ty ? 1 : -1;
	return strcmp(x->key, y->key);
}


static int compare_fill(store *st, const report_opts *o, const period *a, const period *b,
			store_group g, compare_table *t)
{
	memset(t, 0, sizeof *t);
	t->side = 0;
	if (store_count(st, o->commit, a, g, o->exclude, report_pairs_add, t))
		return -1;
	t->side = 1;
	if (store_count(st, o->commit, b, g, o->exclude, report_pairs_add, t))
		return -1;
	if (t->len)
		qsort(t->rows, t->len, sizeof *t->rows, compare_row_cmp);
	return 0;
}

/* A number in the report's language: decimal comma in bokmål, decimal
 * point in English; minus sign U+2212 in both.  Unlike report_num, NaN is
 * not special-cased, so the bokmål text stays as it always was. */
static void num_nb(const report_opts *o, sbuf *out, double v, int decimals)
{
	char b[64];
	char *p;
	int en = o->lang == REPORT_LANG_EN;

	if (!isfinite(v)) {   /* no number to give (an empty period): a dash, not "inf" */
		sbuf_adds(out, "–");
		return;
	}
	snprintf(b, sizeof b, "%.*f", decimals, fabs(v));
	if (!en && (p = strchr(b, '.')))
		*p = ',';
	if (v < 0 && strspn(b, en ? "0." : "0,") != strlen(b))
		sbuf_adds(out, "−");
	sbuf_adds(out, b);
}

static void change_nb(const report_opts *o, sbuf *out, long a, long b)
{
	long d = b - a;

	if (d > 0)
		sbuf_addch(out, '+');
	else if (d < 0)
		sbuf_adds(out, "−");
	sbuf_addf(out, "%ld", labs(d));
	if (a > 0) {
		sbuf_adds(out, " (");
		if (d > 0)
			sbuf_addch(out, '+');
		num_nb(o, out, 100.0 * (double)d / (double)a, 1);
		sbuf_adds(out, " %)");
	}
}

/* Pads to a display width counted in code points, so æøå and → align. */
static size_t text_width(const char *s);

static void pad_to(sbuf *out, size_t line_start, size_t width)
{
	size_t cols = text_width(out->buf + line_start);

	while (cols++ < width)
		sbuf_addch(out, ' ');
}

/* English label with --lang en (falling back to bokmål, then the code). */
static const char *label_of(const report_opts *o, const char *code)
{
	return report_cat_label(o, code);
}

/* Display width of s in code points. */
static size_t text_width(const char *s)
{
	return utf8_width(s);
}

/* The label column: wide enough for the longest label of any table. */
static size_t label_column(const report_opts *o, const compare_table *cat, const compare_table *dir)
{
	size_t w = 24, i, lw;

	for (i = 0; i < cat->len; i++)
		if ((lw = text_width(label_of(o, cat->rows[i].key))) > w)
			w = lw;
	for (i = 0; i < dir->len; i++)
		if ((lw = text_width(dir->rows[i].key)) > w)
			w = lw;
	return w + 4;
}

static void text_row(const report_opts *o, sbuf *out, size_t width, int cw, const char *name, long a, long b)
{
	size_t start = out->len;

	sbuf_addf(out, "  %s", name);
	pad_to(out, start, width);
	sbuf_addf(out, "%*ld %*ld   ", cw, a, cw, b);
	change_nb(o, out, a, b);
	sbuf_addch(out, '\n');
}

/* A row with the exact Poisson test of its own change (periods' lengths
 * as exposure), for the category and direction tables. */
static void text_row_test(const report_opts *o, sbuf *out, size_t width, int cw, int tested, const char *name,
			  long a, long b, const period *pa, const period *pb)
{
	size_t start = out->len, cstart;
	stats_poisson ps;

	sbuf_addf(out, "  %s", name);
	pad_to(out, start, width);
	sbuf_addf(out, "%*ld %*ld   ", cw, a, cw, b);
	cstart = out->len;
	change_nb(o, out, a, b);
	if (tested && stats_poisson_compare(a, pa->months, b, pb->months, 0.95, &ps) == 0) {
		pad_to(out, cstart, 16);
		sbuf_adds(out, " ");
		if (isfinite(ps.rate_ratio))
			num_nb(o, out, ps.rate_ratio, 2);
		else
			sbuf_adds(out, "–");
		pad_to(out, cstart, 24);
		sbuf_adds(out, " ");
		if (ps.p_value < 0.0001) {
			sbuf_adds(out, "< ");
			num_nb(o, out, 0.0001, 4);
		} else {
			num_nb(o, out, ps.p_value, ps.p_value < 0.001 ? 5 : 3);
		}
	}
	sbuf_addch(out, '\n');
}

/* The count columns: as wide as the periods' labels ("2024-01..2024-06"). */
static int count_width(const period *a, const period *b)
{
	size_t w = 7;

	if (text_width(a->label) > w)
		w = text_width(a->label);
	if (text_width(b->label) > w)
		w = text_width(b->label);
	return (int)w;
}

static void header_row(const report_opts *o, sbuf *out, size_t width, const char *title, const period *a,
		       const period *b)
{
	size_t start = out->len;
	int cw = count_width(a, b);

	sbuf_adds(out, title);
	pad_to(out, start, width);
	/* right-aligned over the numbers, counted in code points */
	for (size_t k = text_width(a->label); k < (size_t)cw; k++)
		sbuf_addch(out, ' ');
	sbuf_adds(out, a->label);
	sbuf_addch(out, ' ');
	for (size_t k = text_width(b->label); k < (size_t)cw; k++)
		sbuf_addch(out, ' ');
	sbuf_addf(out, "%s   %s\n", b->label, RL(o, "Endring", "Change"));
}

static void text_table(sbuf *out, size_t width, int tested, const char *title, const period *a,
		       const period *b, const compare_table *t, const report_opts *o, int labels)
{
	size_t i, start;
	int cw = count_width(a, b);

	sbuf_addch(out, '\n');
	start = out->len;
	header_row(o, out, width, title, a, b);
	/* "Endring" + its column, then the test's columns */
	sbuf_setlen(out, out->len - 1);
	pad_to(out, start, width + (size_t)(2 * cw + 4) + 16);
	sbuf_adds(out, tested ? RL(o, " RF      p\n", " RR      p\n") : "\n");
	for (i = 0; i < t->len; i++)
		text_row_test(o, out, width, cw, tested, labels ? label_of(o, t->rows[i].key) : t->rows[i].key,
			      t->rows[i].n[0], t->rows[i].n[1], a, b);
}

/* What the spine's compare did not have: the reporter share with its
 * exact interval and Fisher's test, and the monthly over-dispersion. */
typedef struct {
	report_share share;
	report_dispersion disp;
	report_coverage cov[2];
	int complete;            /* both periods' data complete: only then tested */
	report_series series;    /* the months of both periods, for the html chart */
	period span;
} compare_extra;

/* Reporters: municipalities and GPs together against UNN. */
static void reporter_split(const compare_table *t, long kf[2], long unn[2], long other[2])
{
	size_t i;
	int s;

	for (s = 0; s < 2; s++)
		kf[s] = unn[s] = other[s] = 0;
	for (i = 0; i < t->len; i++)
		for (s = 0; s < 2; s++) {
			if (!strcmp(t->rows[i].key, "kommune") || !strcmp(t->rows[i].key, "fastlege"))
				kf[s] += t->rows[i].n[s];
			else if (!strcmp(t->rows[i].key, "unn"))
				unn[s] += t->rows[i].n[s];
			else
				other[s] += t->rows[i].n[s];
		}
}

static void render_text(sbuf *out, const report_opts *o, const period *a, const period *b,
			long na, long nb, const stats_poisson *ps, int have_test,
			const compare_table *dir, const compare_table *cat, const compare_table *rep,
			const store_totals *tot, const compare_extra *x)
{
	long kf[2], unn[2], other[2];
	size_t w = label_column(o, cat, dir);

	sbuf_addf(out, RL(o, "Samhandlingsavvik %s mot %s\n\n", "Collaboration deviations %s against %s\n\n"),
		  a->label, b->label);
	header_row(o, out, w, RL(o, "Antall", "Count"), a, b);
	text_row(o, out, w, count_width(a, b), RL(o, "alle samhandlingsavvik", "all collaboration deviations"), na, nb);
	for (int i = 0; i < 2; i++) {
		sbuf warn = SBUF_INIT;
		report_coverage_text(o, i ? b : a, &x->cov[i], &warn);
		if (warn.len)
			sbuf_addf(out, "\n%s %s\n", RL(o, "OBS:", "NOTE:"), warn.buf);
		sbuf_release(&warn);
	}
	sbuf_addch(out, '\n');
	if (have_test) {
		sbuf_addf(out, RL(o, "Rateforhold %s/%s: ", "Rate ratio %s/%s: "), b->label, a->label);
		num_nb(o, out, ps->rate_ratio, 3);
		sbuf_adds(out, RL(o, " (95 % KI ", " (95 % CI "));
		num_nb(o, out, ps->ci_low, 3);
		sbuf_adds(out, "–");
		num_nb(o, out, ps->ci_high, 3);
		sbuf_adds(out, "), ");
		report_p(o, out, ps->p_value);
		sbuf_addf(out, RL(o, "\n(eksakt betinget Poisson-test%s)\n", "\n(exact conditional Poisson test%s)\n"),
			  a->months == b->months ? RL(o, ", like lange perioder", ", periods of equal length")
						 : RL(o, ", justert for periodenes lengde",
						      ", adjusted for the periods' lengths"));
		if (ps->p_value < 0.05)
			sbuf_adds(out, RL(o, "Endringen er statistisk signifikant på 5 %-nivå.\n",
					  "The change is statistically significant at the 5 % level.\n"));
		else
			sbuf_adds(out, RL(o, "Endringen kan skyldes tilfeldig variasjon (p ≥ 0,05).\n",
					  "The change may be chance variation (p ≥ 0.05).\n"));
		sbuf_adds(out, RL(o, "Merk: testen antar Poisson-fordelte tellinger. Overspredning mellom måneder\n"
				     "eller endret meldekultur (mindre melding) kan forklare en nedgang like godt\n"
				     "som færre hendelser.\n",
				  "Note: the test assumes Poisson-distributed counts. Over-dispersion between months\n"
				  "or a changed reporting culture (less reporting) can explain a decrease just as\n"
				  "well as fewer incidents.\n"));
		if (!isnan(x->disp.sigma_z[0]) || !isnan(x->disp.sigma_z[1])) {
			sbuf_adds(out, RL(o, "Månedstallene: Laneys σz = ", "Monthly counts: Laney's σz = "));
			num_nb(o, out, x->disp.sigma_z[0], 2);
			sbuf_adds(out, RL(o, " og ", " and "));
			num_nb(o, out, x->disp.sigma_z[1], 2);
			sbuf_adds(out, ", Pearson χ²/df = ");
			num_nb(o, out, x->disp.chi2df[0], 2);
			sbuf_adds(out, RL(o, " og ", " and "));
			num_nb(o, out, x->disp.chi2df[1], 2);
			if (x->disp.over)
				sbuf_adds(out, RL(o, "\n(1 ved Poisson): overspredt, så intervallet og p-verdien er for optimistiske.\n",
						  "\n(1 under Poisson): over-dispersed, so the interval and the p-value are too optimistic.\n"));
			else
				sbuf_adds(out, RL(o, "\n(1 ved Poisson): ingen tydelig overspredning.\n",
						  "\n(1 under Poisson): no clear over-dispersion.\n"));
		}
	} else {
		sbuf_adds(out, !x->complete ? RL(o, "Endringen er ikke testet: en periode er ufullstendig.\n",
						  "The change is not tested: a period is incomplete.\n")
					    : RL(o, "For få avvik til å teste endringen.\n", "Too few deviations to test the change.\n"));
	}
	reporter_split(rep, kf, unn, other);
	sbuf_addch(out, '\n');
	header_row(o, out, w, RL(o, "Meldt av", "Reported by"), a, b);
	text_row(o, out, w, count_width(a, b), RL(o, "kommune og fastlege", "municipalities and GPs"), kf[0], kf[1]);
	text_row(o, out, w, count_width(a, b), "UNN", unn[0], unn[1]);
	if (other[0] || other[1])
		text_row(o, out, w, count_width(a, b), RL(o, "andre/ukjent", "other/unknown"), other[0], other[1]);
	if (unn[0] && unn[1]) {
		sbuf_adds(out, RL(o, "  Forhold kommune og fastlege : UNN = ",
				  "  Ratio municipalities and GPs : UNN = "));
		num_nb(o, out, (double)kf[0] / (double)unn[0], 1);
		sbuf_adds(out, RL(o, " : 1 og ", " : 1 and "));
		num_nb(o, out, (double)kf[1] / (double)unn[1], 1);
		sbuf_adds(out, " : 1\n");
	}
	if (!isnan(x->share.fisher_p)) {
		sbuf_adds(out, RL(o, "  Andel kommune og fastlege: ", "  Share of municipalities and GPs: "));
		num_nb(o, out, 100 * x->share.share[0], 1);
		sbuf_adds(out, RL(o, " % (95 % KI ", " % (95 % CI "));
		num_nb(o, out, 100 * x->share.lo[0], 1);
		sbuf_adds(out, "–");
		num_nb(o, out, 100 * x->share.hi[0], 1);
		sbuf_adds(out, RL(o, ") og ", ") and "));
		num_nb(o, out, 100 * x->share.share[1], 1);
		sbuf_adds(out, " % (");
		num_nb(o, out, 100 * x->share.lo[1], 1);
		sbuf_adds(out, "–");
		num_nb(o, out, 100 * x->share.hi[1], 1);
		sbuf_adds(out, RL(o, "),\n  Fishers eksakte test av endringen: ",
				  "),\n  Fisher's exact test of the change: "));
		report_p(o, out, x->share.fisher_p);
		sbuf_addch(out, '\n');
	}
	text_table(out, w, x->complete, RL(o, "Etter retning", "By direction"), a, b, dir, o, 0);
	text_table(out, w, x->complete, RL(o, "Etter kategori", "By category"), a, b, cat, o, 1);
	sbuf_adds(out, RL(o, "\nRF: rateforhold; p: eksakt Poisson-test per rad, ikke justert for mange tester.\n",
			  "\nRR: rate ratio; p: exact Poisson test per row, not adjusted for multiple testing.\n"));
	sbuf_addf(out, RL(o, "\nData: %ld unike avvik lagret (%ld meldinger mottatt, %ld duplikater fjernet, "
			     "%ld hoppet over, %ld i karantene).\n",
			  "\nData: %ld unique deviations stored (%ld messages received, %ld duplicates removed, "
			  "%ld skipped, %ld quarantined).\n"),
		  tot->deviations, tot->received, tot->duplicates,
		  tot->skipped, tot->quarantined);
	if (tot->overrides)
		sbuf_addf(out, RL(o, "Manuelle korreksjoner som gjelder: %ld.\n", "Manual corrections in effect: %ld.\n"),
			  tot->overrides);
	if (o->exclude && *o->exclude)
		sbuf_addf(out, RL(o, "Ikke talt med: kategori %s.\n", "Not counted: category %s.\n"), o->exclude);
	sbuf_addf(out, RL(o, "Regelsett: commit %s\n", "Rules: commit %s\n"), o->commit);
}


static void json_table(sbuf *out, const char *name, const char *keyname, const compare_table *t,
		       const report_opts *o, int labels, const period *a, const period *b)
{
	size_t i;

	sbuf_addf(out, ",\n  \"%s\": [", name);
	for (i = 0; i < t->len; i++) {
		const compare_row *r = &t->rows[i];
		sbuf_addf(out, "%s\n    {\"%s\": ", i ? "," : "", keyname);
		sbuf_add_json_str(out, r->key);
		if (labels) {
			sbuf_adds(out, ", \"label\": ");
			sbuf_add_json_str(out, label_of(o, r->key));
		}
		sbuf_addf(out, ", \"counts\": [%ld, %ld], \"change\": {\"absolute\": %ld, \"percent\": ",
			  r->n[0], r->n[1], r->n[1] - r->n[0]);
		if (r->n[0])
			sbuf_addf(out, "%.1f}", 100.0 * (double)(r->n[1] - r->n[0]) / (double)r->n[0]);
		else
			sbuf_adds(out, "null}");
		{
			stats_poisson ps;
			int ok = stats_poisson_compare(r->n[0], a->months, r->n[1], b->months, 0.95, &ps) == 0;

			sbuf_adds(out, ", \"rate_ratio\": ");
			report_json_num(out, ok ? ps.rate_ratio : NAN);
			sbuf_adds(out, ", \"ci95\": [");
			report_json_num(out, ok ? ps.ci_low : NAN);
			sbuf_adds(out, ", ");
			report_json_num(out, ok ? ps.ci_high : NAN);
			sbuf_adds(out, "], \"p_value\": ");
			report_json_num(out, ok ? ps.p_value : NAN);
			sbuf_addch(out, '}');
		}
	}
	sbuf_adds(out, "\n  ]");
}


static void render_json(sbuf *out, const report_opts *o, const period *a, const period *b, long na,
			long nb, const stats_poisson *ps, int have_test, const compare_table *dir,
			const compare_table *cat, const compare_table *rep, const store_totals *tot,
			const compare_extra *x)
{
	long kf[2], unn[2], other[2];
	const period *ps_[2] = { a, b };
	long n[2] = { na, nb };
	int i;

	sbuf_adds(out, "{\n  \"periods\": [");
	for (i = 0; i < 2; i++) {
		sbuf_addf(out, "%s\n    {\"label\": ", i ? "," : "");
		sbuf_add_json_str(out, ps_[i]->label);
		sbuf_addf(out, ", \"start\": \"%s\", \"end\": \"%s\", \"months\": %d, \"count\": %ld}",
			  ps_[i]->start, ps_[i]->end, ps_[i]->months, n[i]);
	}
	sbuf_addf(out, "\n  ],\n  \"change\": {\"absolute\": %ld, \"percent\": ", nb - na);
	if (na)
		sbuf_addf(out, "%.2f}", 100.0 * (double)(nb - na) / (double)na);
	else
		sbuf_adds(out, "null}");
	sbuf_adds(out, ",\n  \"coverage\": [");
	report_coverage_json(&x->cov[0], out);
	sbuf_adds(out, ", ");
	report_coverage_json(&x->cov[1], out);
	sbuf_addf(out, "],\n  \"complete\": %s", x->complete ? "true" : "false");
	sbuf_adds(out, ",\n  \"test\": ");
	sbuf_add_json_str(out, have_test ? "exact conditional Poisson test" : NULL);
	sbuf_adds(out, ",\n  \"rate_ratio\": ");
	report_json_num(out, have_test ? ps->rate_ratio : NAN);
	sbuf_adds(out, ",\n  \"ci95\": [");
	report_json_num(out, have_test ? ps->ci_low : NAN);
	sbuf_adds(out, ", ");
	report_json_num(out, have_test ? ps->ci_high : NAN);
	sbuf_adds(out, "],\n  \"p_value\": ");
	report_json_num(out, have_test ? ps->p_value : NAN);
	reporter_split(rep, kf, unn, other);
	sbuf_addf(out, ",\n  \"by_reporter\": {\"kommune_fastlege\": [%ld, %ld], \"unn\": [%ld, %ld],"
		  " \"other\": [%ld, %ld]}", kf[0], kf[1], unn[0], unn[1], other[0], other[1]);
	sbuf_addf(out, ",\n  \"reporter_share\": {");
	report_share_json(&x->share, out);
	sbuf_adds(out, "},\n  \"overdispersion\": ");
	report_dispersion_json(&x->disp, out);
	json_table(out, "by_direction", "direction", dir, o, 0, a, b);
	json_table(out, "by_category", "category", cat, o, 1, a, b);
	sbuf_addf(out, ",\n  \"data\": {\"received\": %ld, \"deviations\": %ld, \"duplicates\": %ld,"
		  " \"skipped\": %ld, \"quarantined\": %ld, \"overrides\": %ld}",
		  tot->received, tot->deviations, tot->duplicates, tot->skipped, tot->quarantined,
		  tot->overrides);
	sbuf_adds(out, ",\n  \"excluded_categories\": ");
	sbuf_add_json_str(out, o->exclude ? o->exclude : "");
	sbuf_adds(out, ",\n  \"rules_commit\": ");
	sbuf_add_json_str(out, o->commit);
	sbuf_adds(out, "\n}\n");
}

/* md, csv and html: the same content through the document model. */
static void doc_table(rdoc *d, const char *id, const char *caption, const char *first,
		      const period *a, const period *b, const compare_table *t, int labels, int tested)
{
	const report_opts *o = d->o;
	const char *head[] = { first, a->label, b->label, RL(o, "Endring", "Change"),
			       RL(o, "Rateforhold", "Rate ratio"), "p", NULL };
	rd_block *tb = rdoc_table(d, id, caption, head);

	for (size_t i = 0; i < t->len; i++) {
		stats_poisson ps;
		int ok = tested && stats_poisson_compare(t->rows[i].n[0], a->months, t->rows[i].n[1], b->months,
							 0.95, &ps) == 0;

		rdoc_cell_text(tb, labels ? report_cat_label(o, t->rows[i].key) : t->rows[i].key);
		rdoc_cell_num(tb, (double)t->rows[i].n[0], 0);
		rdoc_cell_num(tb, (double)t->rows[i].n[1], 0);
		rdoc_cell_num(tb, (double)(t->rows[i].n[1] - t->rows[i].n[0]), 0);
		rdoc_cell_num(tb, ok ? ps.rate_ratio : NAN, 3);
		rdoc_cell_p(tb, ok ? ps.p_value : NAN);
		if (ok && ps.p_value < 0.05)
			rdoc_cell_strong(tb);
	}
}

static int render_doc(sbuf *out, sbuf *err, const report_opts *o, const period *a, const period *b, long na,
		       long nb, const stats_poisson *ps, int have_test, const compare_table *dir,
		       const compare_table *cat, const store_totals *tot, const compare_extra *x)
{
	rdoc d;
	sbuf t = SBUF_INIT;
	rd_block *tb;
	int rc;

	sbuf_addf(&t, RL(o, "Samhandlingsavvik %s mot %s", "Collaboration deviations %s against %s"), a->label,
		  b->label);
	rdoc_init(&d, o, t.buf);
	rdoc_text(&d, RD_H1, t.buf);
	sbuf_reset(&t);
	sbuf_addf(&t, RL(o, "%ld i %s mot %ld i %s.", "%ld in %s against %ld in %s."), nb, b->label, na, a->label);
	if (have_test) {
		sbuf_addf(&t, RL(o, " Rateforhold %s/%s: ", " Rate ratio %s/%s: "), b->label, a->label);
		report_num(o, &t, ps->rate_ratio, 3);
		sbuf_adds(&t, RL(o, " (95 % KI ", " (95 % CI "));
		report_num(o, &t, ps->ci_low, 3);
		sbuf_adds(&t, "–");
		report_num(o, &t, ps->ci_high, 3);
		sbuf_adds(&t, "), ");
		report_p(o, &t, ps->p_value);
		sbuf_adds(&t, RL(o, " (eksakt betinget Poisson-test).", " (exact conditional Poisson test)."));
	}
	rdoc_text(&d, RD_P, t.buf);
	for (int i = 0; i < 2; i++) {
		sbuf_reset(&t);
		report_coverage_text(o, i ? b : a, &x->cov[i], &t);
		if (t.len)
			rdoc_text(&d, RD_WARN, t.buf);
	}
	sbuf_reset(&t);
	report_dispersion_text(o, &x->disp, &t);
	if (t.len)
		rdoc_text(&d, RD_NOTE, t.buf);
	if (x->series.n) {
		sbuf_reset(&t);
		sbuf_addf(&t, RL(o, "Avvik per måned, %s", "Deviations per month, %s"), x->span.label);
		report_series_figure(&d, &x->series, "fig-compare", t.buf, 0);
	}
	{
		const char *head[] = { RL(o, "Mål", "Measure"), a->label, b->label, NULL };
		tb = rdoc_table(&d, "headline", RL(o, "Hovedtall", "Headline"), head);
		rdoc_cell_text(tb, RL(o, "Antall avvik", "Deviations"));
		rdoc_cell_num(tb, (double)na, 0);
		rdoc_cell_num(tb, (double)nb, 0);
		rdoc_cell_text(tb, RL(o, "Meldt av kommune og fastlege", "Reported by municipalities and GPs"));
		rdoc_cell_num(tb, (double)x->share.kf[0], 0);
		rdoc_cell_num(tb, (double)x->share.kf[1], 0);
		rdoc_cell_text(tb, RL(o, "Meldt av UNN", "Reported by UNN"));
		rdoc_cell_num(tb, (double)x->share.unn[0], 0);
		rdoc_cell_num(tb, (double)x->share.unn[1], 0);
		rdoc_cell_text(tb, RL(o, "Andel kommune og fastlege", "Municipal and GP share"));
		rdoc_cell_pct(tb, 100 * x->share.share[0], 1);
		rdoc_cell_pct(tb, 100 * x->share.share[1], 1);
		rdoc_cell_text(tb, RL(o, "Rateforhold", "Rate ratio"));
		rdoc_cell_text(tb, "");
		rdoc_cell_num(tb, have_test ? ps->rate_ratio : NAN, 3);
		rdoc_cell_text(tb, "p (Poisson)");
		rdoc_cell_text(tb, "");
		rdoc_cell_p(tb, have_test ? ps->p_value : NAN);
		rdoc_cell_text(tb, RL(o, "p (Fisher, andel)", "p (Fisher, share)"));
		rdoc_cell_text(tb, "");
		rdoc_cell_p(tb, x->share.fisher_p);
	}
	doc_table(&d, "by_direction", RL(o, "Etter retning", "By direction"), RL(o, "Retning", "Direction"), a, b,
		  dir, 0, x->complete);
	doc_table(&d, "by_category", RL(o, "Etter kategori", "By category"), RL(o, "Kategori", "Category"), a, b,
		  cat, 1, x->complete);
	sbuf_reset(&t);
	sbuf_addf(&t, RL(o, "Data: %ld unike avvik (%ld mottatt, %ld duplikater, %ld i karantene, %ld korreksjoner). "
			    "Regelsett: commit %s.",
			 "Data: %ld unique deviations (%ld received, %ld duplicates, %ld quarantined, %ld "
			 "corrections). Rules commit %s."),
		  tot->deviations, tot->received, tot->duplicates, tot->quarantined, tot->overrides, o->commit);
	rdoc_text(&d, RD_NOTE, t.buf);
	rc = rdoc_render(&d, out, err);
	rdoc_clear(&d);
	sbuf_release(&t);
	return rc;
}

static int count_total(void *ctx, const char *key, long count)
{
	(void)key;
	*(long *)ctx += count;
	return 0;
}

int report_compare(store *st, const report_opts *o, const period *a, const period *b,
		   FILE *out, sbuf *err)
{
	compare_table dir, cat, rep;
	store_totals tot;
	stats_poisson ps;
	compare_extra x = { 0 };
	long na = 0, nb = 0;
	int have_test, rc = -1;
	sbuf text = SBUF_INIT;

	memset(&dir, 0, sizeof dir);
	memset(&cat, 0, sizeof cat);
	memset(&rep, 0, sizeof rep);
	if (store_count(st, o->commit, a, STORE_GROUP_NONE, o->exclude, count_total, &na) ||
	    store_count(st, o->commit, b, STORE_GROUP_NONE, o->exclude, count_total, &nb) ||
	    compare_fill(st, o, a, b, STORE_GROUP_DIRECTION, &dir) ||
	    compare_fill(st, o, a, b, STORE_GROUP_CATEGORY, &cat) ||
	    compare_fill(st, o, a, b, STORE_GROUP_REPORTER_TYPE, &rep) ||
	    store_totals_get(st, &tot)) {
		sbuf_addf(err, "database: %s", store_errmsg(st));
		goto out;
	}
	memset(&x, 0, sizeof x);
	report_series_init(&x.series);
	if (report_coverage_get(st, o, a, &x.cov[0]) || report_coverage_get(st, o, b, &x.cov[1])) {
		sbuf_addf(err, "database: %s", store_errmsg(st));
		goto out;
	}
	x.complete = x.cov[0].complete && x.cov[1].complete;
	/* with no deviation at all in one period a ratio says nothing; an
	 * incomplete period is not tested as if it were whole */
	have_test = x.complete && na > 0 && nb > 0 &&
		    stats_poisson_compare(na, a->months, nb, b->months, 0.95, &ps) == 0;
	/* the html chart: every month from the earlier start to the later end */
	if (o->format == REPORT_HTML) {
		sbuf spec = SBUF_INIT, perr = SBUF_INIT;
		const period *first = strcmp(a->start, b->start) <= 0 ? a : b, *last = first == a ? b : a;
		char (*keys)[8] = NULL;
		size_t nk = report_months(last, &keys);

		if (nk) {
			sbuf_addf(&spec, "%.7s..%s", first->start, keys[nk - 1]);
			if (period_parse(spec.buf, &x.span, &perr) == 0 && x.span.months <= 120 &&
			    report_series_load(st, o, &x.span, REPORT_BY_MONTH, &x.series)) {
				sbuf_addf(err, "database: %s", store_errmsg(st));
				free(keys);
				sbuf_release(&spec);
				sbuf_release(&perr);
				goto out;
			}
		}
		free(keys);
		sbuf_release(&spec);
		sbuf_release(&perr);
	}
	report_share_init(&x.share);
	for (size_t i = 0; i < rep.len; i++)
		for (int s = 0; s < 2; s++)
			report_share_add(&x.share, s, rep.rows[i].key, rep.rows[i].n[s]);
	report_share_finish(&x.share);
	if (report_dispersion_get(st, o, a, b, &x.disp)) {
		sbuf_addf(err, "database: %s", store_errmsg(st));
		goto out;
	}
	if (o->format == REPORT_JSON)
		render_json(&text, o, a, b, na, nb, &ps, have_test, &dir, &cat, &rep, &tot, &x);
	else if (o->format == REPORT_TEXT)
		render_text(&text, o, a, b, na, nb, &ps, have_test, &dir, &cat, &rep, &tot, &x);
	else
		if (render_doc(&text, err, o, a, b, na, nb, &ps, have_test, &dir, &cat, &tot, &x))
			goto out;
	if (fwrite(text.buf, 1, text.len, out) != text.len) {
		sbuf_addf(err, "write failed");
		goto out;
	}
	rc = 0;
out:
	report_coverage_clear(&x.cov[0]);
	report_coverage_clear(&x.cov[1]);
	report_series_clear(&x.series);
	sbuf_release(&text);
	report_pairs_clear(&dir);
	report_pairs_clear(&cat);
	report_pairs_clear(&rep);
	return rc;
}
