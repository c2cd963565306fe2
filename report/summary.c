/*
 * summary.c - report summary: the one-page summary an FSU meeting reads.
 * Headline numbers with the exact Poisson test, who reports, direction
 * split, a Pareto of categories, the monthly run chart, recurring
 * failures, rising categories, a few scrubbed example texts and the data
 * behind it all, with the rules commit.
 */
#include "report/report_int.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* Key -> counts in the two periods (0: vs, 1: the period). */
typedef report_pair_row sm_row;
typedef report_pairs sm_table;

/* Descending by the period's count, then the earlier one, then key. */
static int sm_cmp(const void *a, const void *b)
{
	const sm_row *x = a, *y = b;

	if (x->n[1] != y->n[1])
		return x->n[1] < y->n[1] ? 1 : -1;
	if (x->n[0] != y->n[0])
		return x->n[0] < y->n[0] ? 1 : -1;
	return strcmp(x->key, y->key);
}


/* Raw (key, count) rows of one query, e.g. quarter\tcategory. */
typedef struct {
	char **keys;
	long *counts;
	size_t n;
} sm_rows;

static int sm_rows_add(void *ctx, const char *key, long count)
{
	sm_rows *r = ctx;

	r->keys = xrealloc(r->keys, (r->n + 1) * sizeof *r->keys);
	r->counts = xrealloc(r->counts, (r->n + 1) * sizeof *r->counts);
	r->keys[r->n] = xstrdup(key);
	r->counts[r->n++] = count;
	return 0;
}

static void sm_rows_clear(sm_rows *r)
{
	for (size_t i = 0; i < r->n; i++)
		free(r->keys[i]);
	free(r->keys);
	free(r->counts);
	memset(r, 0, sizeof *r);
}

typedef struct {
	char *category;
	long n[2];
	stats_poisson ps;
	int have_test;
	int significant;   /* Poisson test p < 0.05 and ratio > 1 */
	int shift_up;      /* run-chart shift above the median reaching the last months */
} sm_rising;

typedef struct {
	char *category;
	char *date[3], *text[3];
	int64_t id[3];
	int n;
} sm_examples;

typedef struct {
	const report_opts *o;
	const period *p, *vs;
	period window;             /* the run chart and the recurring failures */
	long n[2];                 /* vs, period */
	stats_poisson ps;
	int have_test;
	report_dispersion disp;
	report_share share;
	sm_table dir, cat;
	report_series monthly;
	report_recurring *rec_cat, *rec_pair;
	size_t n_rec_cat, n_rec_pair;
	size_t n_quarters;
	sm_rising *rising;
	size_t n_rising;
	sm_examples *ex;
	size_t n_ex;
	store_totals tot;
	report_coverage cov[2];    /* vs, period */
	int complete;              /* both periods' data complete: then tested */
} sm_data;

static int sm_example_cb(void *ctx, int64_t id, const char *ext_id, const char *date,
			 const char *subject, const char *text)
{
	sm_examples *e = ctx;
	sbuf t = SBUF_INIT;

	(void)ext_id;
	(void)subject;
	report_excerpt(&t, text, 200);
	e->id[e->n] = id;
	e->date[e->n] = xstrdup(date);
	e->text[e->n] = sbuf_detach(&t, NULL);
	e->n++;
	return 0;
}

static int sm_count_total(void *ctx, const char *key, long count)
{
	(void)key;
	*(long *)ctx += count;
	return 0;
}

/* The window of the monthly chart and the recurring failures: from the
 * earlier period's start to the later one's end, and at least the four
 * quarters up to the period's end, so three consecutive quarters exist. */
static int sm_window(const period *p, const period *vs, period *w)
{
	const char *start = strcmp(vs->start, p->start) < 0 ? vs->start : p->start;
	const char *end = strcmp(vs->end, p->end) > 0 ? vs->end : p->end;
	char year_before[32];
	sbuf spec = SBUF_INIT, err = SBUF_INIT;
	int y, m, rc;

	if (sscanf(end, "%4d-%2d", &y, &m) != 2)
		return -1;
	/* whole quarters: back to the first month of a quarter, a year before */
	m = ((m - 1) / 3) * 3 + 1;
	snprintf(year_before, sizeof year_before, "%04d-%02d-01", y - 1, m);
	if (strcmp(year_before, start) < 0)
		start = year_before;
	/* and start on a quarter boundary, so no quarter is cut */
	if (sscanf(start, "%4d-%2d", &y, &m) != 2)
		return -1;
	m = ((m - 1) / 3) * 3 + 1;
	{
		int ey, em;
		if (sscanf(end, "%4d-%2d", &ey, &em) != 2)
			return -1;
		/* end is exclusive: the last month is the one before */
		if (--em < 1) {
			em = 12;
			ey--;
		}
		sbuf_addf(&spec, "%04d-%02d..%04d-%02d", y, m, ey, em);
	}
	rc = period_parse(spec.buf, w, &err);
	sbuf_release(&spec);
	sbuf_release(&err);
	return rc;
}

static int sm_load(store *st, sm_data *d)
{
	const report_opts *o = d->o;
	const store_filter *f = &o->filter;
	const period *pp[2] = { d->vs, d->p };
	sm_rows qc = { 0 }, qp = { 0 }, mc = { 0 };
	report_series quarters;
	int rc = -1;

	report_series_init(&quarters);
	for (int i = 0; i < 2; i++) {
		d->dir.side = d->cat.side = i;
		if (store_query_count(st, o->commit, pp[i], o->exclude, f, STORE_Q_NONE, sm_count_total,
				      &d->n[i]) ||
		    store_query_count(st, o->commit, pp[i], o->exclude, f, STORE_Q_DIRECTION, report_pairs_add, &d->dir) ||
		    store_query_count(st, o->commit, pp[i], o->exclude, f, STORE_Q_CATEGORY, report_pairs_add, &d->cat))
			goto out;
	}
	{
		sm_table rep = { 0 };
		for (int i = 0; i < 2; i++) {
			rep.side = i;
			if (store_query_count(st, o->commit, pp[i], o->exclude, f, STORE_Q_REPORTER_TYPE, report_pairs_add,
					      &rep)) {
				report_pairs_clear(&rep);
				goto out;
			}
		}
		report_share_init(&d->share);
		for (size_t i = 0; i < rep.len; i++)
			for (int s = 0; s < 2; s++)
				report_share_add(&d->share, s, rep.rows[i].key, rep.rows[i].n[s]);
		report_share_finish(&d->share);
		report_pairs_clear(&rep);
	}
	if (d->dir.len)
		qsort(d->dir.rows, d->dir.len, sizeof *d->dir.rows, sm_cmp);
	if (d->cat.len)
		qsort(d->cat.rows, d->cat.len, sizeof *d->cat.rows, sm_cmp);
	if (report_coverage_get(st, o, d->vs, &d->cov[0]) || report_coverage_get(st, o, d->p, &d->cov[1]))
		goto out;
	d->complete = d->cov[0].complete && d->cov[1].complete;
	/* an incomplete period is not tested as if it were whole */
	d->have_test = d->complete && stats_poisson_compare(d->n[0], d->vs->months, d->n[1], d->p->months,
							    0.95, &d->ps) == 0;
	if (report_dispersion_get(st, o, d->vs, d->p, &d->disp))
		goto out;
	if (sm_window(d->p, d->vs, &d->window) ||
	    report_series_load(st, o, &d->window, REPORT_BY_MONTH, &d->monthly))
		goto out;

	/* recurring failures over the window's quarters */
	if (report_series_points(&quarters, &d->window, REPORT_BY_QUARTER) ||
	    store_query_count(st, o->commit, &d->window, o->exclude, f, STORE_Q_QUARTER_CATEGORY,
			      sm_rows_add, &qc) ||
	    store_query_count(st, o->commit, &d->window, o->exclude, f, STORE_Q_QUARTER_PAIR,
			      sm_rows_add, &qp) ||
	    store_query_count(st, o->commit, &d->window, o->exclude, f, STORE_Q_MONTH_CATEGORY,
			      sm_rows_add, &mc))
		goto out;
	{
		const char **qk = xmalloc((quarters.n + 1) * sizeof *qk);
		for (size_t i = 0; i < quarters.n; i++)
			qk[i] = quarters.key[i];
		d->n_quarters = quarters.n;
		d->n_rec_cat = report_recurring_find(qk, quarters.n, (const char *const *)qc.keys, qc.counts,
						     qc.n, o->top, 3, &d->rec_cat);
		d->n_rec_pair = report_recurring_find(qk, quarters.n, (const char *const *)qp.keys,
						      qp.counts, qp.n, o->top, 3, &d->rec_pair);
		free(qk);
	}

	/* rising categories: a significant increase, or a run-chart shift
	 * upward that lasts to the end of the window */
	for (size_t i = 0; i < d->cat.len; i++) {
		const sm_row *r = &d->cat.rows[i];
		sm_rising x = { 0 };
		report_series s;

		report_series_init(&s);
		x.n[0] = r->n[0];
		x.n[1] = r->n[1];
		x.have_test = d->complete && stats_poisson_compare(r->n[0], d->vs->months, r->n[1],
								   d->p->months, 0.95, &x.ps) == 0;
		x.significant = x.have_test && x.ps.p_value < 0.05 && x.ps.rate_ratio > 1;
		if (report_series_points(&s, &d->window, REPORT_BY_MONTH) == 0) {
			size_t kl = strlen(r->key);
			for (size_t k = 0; k < mc.n; k++) {
				const char *tab = strchr(mc.keys[k], '\t');
				if (tab && strlen(tab + 1) == kl && !memcmp(tab + 1, r->key, kl)) {
					char mk[8];
					snprintf(mk, sizeof mk, "%.7s", mc.keys[k]);
					report_series_add(&s, mk, mc.counts[k]);
				}
			}
			report_series_analyse(&s);
			/* the longest run is above the median and ends in the
			 * last three months */
			x.shift_up = s.rc.signal_shift && s.rc.run_end + 3 >= s.n &&
				     s.y[s.rc.run_end] > s.rc.median;
		}
		report_series_clear(&s);
		if (x.significant || x.shift_up) {
			x.category = xstrdup(r->key);
			d->rising = xrealloc(d->rising, (d->n_rising + 1) * sizeof *d->rising);
			d->rising[d->n_rising++] = x;
		}
	}

	/* examples: two of each of the three largest categories */
	for (size_t i = 0; i < d->cat.len && d->n_ex < 3 && !o->no_text; i++) {
		sm_examples *e;

		if (!d->cat.rows[i].n[1])
			continue;
		d->ex = xrealloc(d->ex, (d->n_ex + 1) * sizeof *d->ex);
		e = &d->ex[d->n_ex++];
		memset(e, 0, sizeof *e);
		e->category = xstrdup(d->cat.rows[i].key);
		if (store_query_examples(st, o->commit, d->p, o->exclude, f, e->category, 2, sm_example_cb, e))
			goto out;
	}
	if (store_totals_get(st, &d->tot))
		goto out;
	rc = 0;
out:
	report_series_clear(&quarters);
	sm_rows_clear(&qc);
	sm_rows_clear(&qp);
	sm_rows_clear(&mc);
	return rc;
}

static void sm_free(sm_data *d)
{
	report_coverage_clear(&d->cov[0]);
	report_coverage_clear(&d->cov[1]);
	report_pairs_clear(&d->dir);
	report_pairs_clear(&d->cat);
	report_series_clear(&d->monthly);
	report_recurring_free(d->rec_cat, d->n_rec_cat);
	report_recurring_free(d->rec_pair, d->n_rec_pair);
	for (size_t i = 0; i < d->n_rising; i++)
		free(d->rising[i].category);
	free(d->rising);
	for (size_t i = 0; i < d->n_ex; i++) {
		for (int k = 0; k < d->ex[i].n; k++) {
			free(d->ex[i].date[k]);
			free(d->ex[i].text[k]);
		}
		free(d->ex[i].category);
	}
	free(d->ex);
}

/* "tromso\tunn-tromso" -> "Tromsø kommune → UNN Tromsø" */
static void pair_label(const report_opts *o, const char *key, sbuf *out)
{
	const char *tab = strchr(key, '\t');
	sbuf a = SBUF_INIT;

	if (!tab) {
		sbuf_adds(out, key);
		return;
	}
	sbuf_add(&a, key, (size_t)(tab - key));
	sbuf_adds(out, report_org_label(o, a.buf));
	sbuf_adds(out, " → ");
	sbuf_adds(out, report_org_label(o, tab + 1));
	sbuf_release(&a);
}

static void change_text(const report_opts *o, sbuf *out, long a, long b)
{
	long dlt = b - a;

	sbuf_adds(out, dlt > 0 ? "+" : dlt < 0 ? "−" : "±");
	sbuf_addf(out, "%ld", labs(dlt));
	if (a) {
		sbuf_adds(out, " (");
		if (dlt > 0)
			sbuf_addch(out, '+');
		report_num(o, out, 100.0 * (double)dlt / (double)a, 1);
		sbuf_adds(out, " %)");
	}
}

/* Shares in a chart as in the table beside it: one decimal. */
static void fmt_share(sbuf *out, double v, void *ctx)
{
	report_num(ctx, out, v, 1);
}

/* The three sentences a committee member reads first: what changed,
 * whether it is more than chance, what recurs. */
static void sm_lead(const sm_data *d, sbuf *t)
{
	const report_opts *o = d->o;
	long dlt = d->n[1] - d->n[0];
	size_t n_cur = 0;

	if (!d->complete) {
		if (o->lang == REPORT_LANG_EN)
			sbuf_addf(t, "So far %ld deviations are recorded in %s, against %ld in %s. ", d->n[1],
				  d->p->label, d->n[0], d->vs->label);
		else
			sbuf_addf(t, "I %s er det så langt registrert %ld samhandlingsavvik, mot %ld i %s. ",
				  d->p->label, d->n[1], d->n[0], d->vs->label);
		sbuf_adds(t, RL(o, "Dataene dekker ikke hele perioden, så tallene kan ikke sammenlignes ennå, "
				   "og endringen er ikke testet. ",
				"The data do not cover the whole period, so the numbers cannot be compared yet, "
				"and the change is not tested. "));
	} else {
		if (o->lang == REPORT_LANG_EN)
			sbuf_addf(t, "In %s, %ld deviations were reported, ", d->p->label, d->n[1]);
		else
			sbuf_addf(t, "I %s ble det meldt %ld samhandlingsavvik, ", d->p->label, d->n[1]);
		if (dlt)
			sbuf_addf(t, RL(o, "%ld %s enn i %s", "%ld %s than in %s"), labs(dlt),
				  dlt < 0 ? RL(o, "færre", "fewer") : RL(o, "flere", "more"), d->vs->label);
		else
			sbuf_addf(t, RL(o, "like mange som i %s", "as many as in %s"), d->vs->label);
		if (dlt && d->n[0]) {
			sbuf_adds(t, " (");
			report_num(o, t, 100.0 * (double)dlt / (double)d->n[0], 0);
			sbuf_adds(t, " %)");
		}
		if (d->p->months != d->vs->months)
			sbuf_adds(t, RL(o, " – periodene er ulikt lange", " – the periods differ in length"));
		sbuf_adds(t, ". ");
		if (!d->have_test)
			sbuf_adds(t, RL(o, "Det er for få avvik til å si om endringen er mer enn tilfeldig. ",
					"There are too few deviations to say whether the change is more than chance. "));
		else if (d->ps.p_value >= 0.05)
			sbuf_adds(t, RL(o, "Endringen er ikke større enn det tilfeldig variasjon ofte gir. ",
					"The change is no larger than chance variation often gives. "));
		else if (d->disp.over)
			sbuf_adds(t, RL(o, "Endringen er trolig mer enn tilfeldig variasjon, men månedstallene svinger "
					   "mer enn ventet, så det er ikke sikkert. ",
					"The change is probably more than chance, but the monthly counts vary more "
					"than expected, so it is not certain. "));
		else
			sbuf_adds(t, RL(o, "Endringen er større enn tilfeldig variasjon kan forklare. ",
					"The change is larger than chance variation can explain. "));
	}
	for (size_t i = 0; i < d->n_rec_cat; i++)
		n_cur += d->rec_cat[i].current;
	if (!n_cur) {
		sbuf_adds(t, RL(o, "Ingen kategori har vært blant de hyppigste tre kvartaler på rad fram til nå.",
				"No category has been among the most frequent for three quarters running up to now."));
		return;
	}
	sbuf_adds(t, RL(o, "Disse går igjen kvartal etter kvartal: ", "These recur quarter after quarter: "));
	for (size_t i = 0, k = 0; i < d->n_rec_cat; i++) {
		if (!d->rec_cat[i].current)
			continue;
		if (k)
			sbuf_adds(t, k + 1 == n_cur ? RL(o, " og ", " and ") : ", ");
		sbuf_adds(t, report_cat_label(o, d->rec_cat[i].key));
		k++;
	}
	sbuf_adds(t, ".");
}

/* Short explanations of the terms the appendix uses, for readers who are
 * no statisticians. */
static void sm_glossary(rdoc *doc, const report_opts *o)
{
	static const char *const nb[][2] = {
		{ "Rateforhold", "Antall per måned i perioden delt på antall per måned i perioden før. "
				 "Under 1 betyr færre avvik." },
		{ "95 % KI", "Konfidensintervall: området der det sanne rateforholdet trolig ligger." },
		{ "p-verdi", "Hvor sannsynlig en så stor endring er hvis alt bare var tilfeldig. Under 0,05 "
			     "regnes vanligvis som mer enn tilfeldig." },
		{ "Median", "Den midterste månedsverdien; halvparten av månedene ligger over, halvparten under." },
		{ "Løp og kryssinger", "Anhøjs regler: mange måneder på rad på samme side av medianen, eller "
				       "få kryssinger av den, tyder på en reell endring." },
		{ "Senterlinje og grenser", "Gjennomsnittet per måned og kontrollgrensene (3σ); punkter utenfor "
					    "grensene er uvanlige." },
		{ "σz (Laney)", "Hvor mye månedstallene svinger i forhold til ren tilfeldighet; over 1,2 "
				"regnes som mer enn ventet." },
		{ "χ²/df (Pearson)", "Et annet mål på det samme: 1 ved ren tilfeldig variasjon, høyere ved "
				     "større svingninger." },
		{ "Laneys U′", "Kontrollgrenser som er gjort bredere fordi månedstallene svinger mer enn ventet." },
		{ "Fishers eksakte test", "Tester om andelen meldt av kommuner og fastleger har endret seg." },
		{ "Commit", "Versjonsnummeret til klassifiseringsreglene rapporten bygger på, så den kan "
			    "gjenskapes." },
	};
	static const char *const en[][2] = {
		{ "Rate ratio", "Count per month in the period divided by count per month in the period before. "
				"Below 1 means fewer deviations." },
		{ "95 % CI", "Confidence interval: the range in which the true rate ratio probably lies." },
		{ "p-value", "How likely so large a change is if everything were chance. Below 0.05 is usually "
			     "taken as more than chance." },
		{ "Median", "The middle monthly value; half the months lie above, half below." },
		{ "Runs and crossings", "Anhøj's rules: many months in a row on one side of the median, or few "
					"crossings of it, suggest a real change." },
		{ "Centre line and limits", "The mean per month and the control limits (3σ); points outside "
					    "are unusual." },
		{ "σz (Laney)", "How much the monthly counts vary compared with pure chance; above 1.2 counts as "
				"more than expected." },
		{ "χ²/df (Pearson)", "Another measure of the same: 1 for pure chance variation, higher for larger "
				     "swings." },
		{ "Laney's U′", "Control limits widened because the monthly counts vary more than expected." },
		{ "Fisher's exact test", "Tests whether the share reported by municipalities and GPs has changed." },
		{ "Commit", "The version of the classification rules the report is built on, so it can be "
			    "reproduced." },
	};
	const char *hn[] = { "Begrep", "Forklaring", NULL }, *he[] = { "Term", "Meaning", NULL };
	rd_block *tb = rdoc_table(doc, "glossary", RL(o, "Ordforklaringer", "Terms"),
				  o->lang == REPORT_LANG_EN ? he : hn);

	for (size_t i = 0; i < sizeof nb / sizeof nb[0]; i++) {
		rdoc_cell_text(tb, o->lang == REPORT_LANG_EN ? en[i][0] : nb[i][0]);
		rdoc_cell_text(tb, o->lang == REPORT_LANG_EN ? en[i][1] : nb[i][1]);
	}
}

static void sm_doc(rdoc *doc, const sm_data *d)
{
	const report_opts *o = d->o;
	sbuf t = SBUF_INIT, svg = SBUF_INIT;
	rd_block *tb;
	svg_opts so = { 0 };

	so.decimal_comma = o->lang != REPORT_LANG_EN;
	so.en = o->lang == REPORT_LANG_EN;
	rdoc_text(doc, RD_H1, doc->title);

	/* ---- page 1: what a committee member reads ---- */
	sm_lead(d, &t);
	rdoc_text(doc, RD_LEAD, t.buf);
	for (int i = 0; i < 2; i++) {
		sbuf_reset(&t);
		report_coverage_text(o, i ? d->p : d->vs, &d->cov[i], &t);
		if (t.len)
			rdoc_text(doc, RD_WARN, t.buf);
	}
	{
		const char *hn[] = { "", d->vs->label, d->p->label, NULL };
		tb = rdoc_table(doc, "headline", RL(o, "Hovedtall", "Headline"), hn);
		tb->half = 1;
		rdoc_cell_text(tb, RL(o, "Antall avvik", "Deviations"));
		rdoc_cell_num(tb, (double)d->n[0], 0);
		rdoc_cell_num(tb, (double)d->n[1], 0);
		rdoc_cell_text(tb, RL(o, "Per måned", "Per month"));
		rdoc_cell_num(tb, (double)d->n[0] / d->vs->months, 1);
		rdoc_cell_num(tb, (double)d->n[1] / d->p->months, 1);
		rdoc_cell_text(tb, RL(o, "Meldt av kommune og fastlege", "Reported by municipalities and GPs"));
		rdoc_cell_pct(tb, 100 * d->share.share[0], 1);
		rdoc_cell_pct(tb, 100 * d->share.share[1], 1);
	}

	{
		const char **labels = xmalloc((d->dir.len + 1) * sizeof *labels);
		double *v = xmalloc((d->dir.len + 1) * sizeof *v);

		for (size_t i = 0; i < d->dir.len; i++) {
			labels[i] = d->dir.rows[i].key;
			/* the bar shows what the table shows: one decimal */
			v[i] = d->n[1] ? round(1000.0 * (double)d->dir.rows[i].n[1] / (double)d->n[1]) / 10 : 0;
		}
		sbuf_reset(&t);
		sbuf_reset(&svg);
		sbuf_addf(&t, RL(o, "Hvem melder om hvem, %s (andel)", "Who reports about whom, %s (share)"),
			  d->p->label);
		so.id = "fig-dir";
		so.fmt = fmt_share;
		so.fmt_ctx = (void *)o;
		so.width = 460;   /* beside the table: the text stays as large as in a full chart */
		svg_hbars(&svg, &so, labels, v, d->dir.len, " %", t.buf, NULL);
		rdoc_figure(doc, t.buf, svg.buf)->half = 1;
		free(labels);
		free(v);
	}

	rdoc_text(doc, RD_H2, RL(o, "Utvikling per måned", "Month by month"));
	sbuf_reset(&t);
	sbuf_adds(&t, RL(o, "Median ", "Median "));
	report_num(o, &t, d->monthly.rc.median, 1);
	sbuf_adds(&t, RL(o, " per måned over ", " per month over "));
	sbuf_adds(&t, d->window.label);
	sbuf_adds(&t, d->monthly.rc.signal ? RL(o, "; seriediagrammet viser et signal om endring.",
						   "; the run chart signals a change.")
					   : RL(o, "; seriediagrammet viser ingen signal om endring.",
						"; the run chart shows no signal of change."));
	rdoc_text(doc, RD_P, t.buf);
	doc->b[doc->n - 1].text_only = 1;
	sbuf_reset(&t);
	sbuf_addf(&t, RL(o, "Seriediagram: avvik per måned, %s", "Run chart: deviations per month, %s"),
		  d->window.label);
	report_series_figure(doc, &d->monthly, "fig-run", t.buf, 1);

	rdoc_text(doc, RD_H2, RL(o, "Hva avvikene gjelder", "What the deviations concern"));
	sbuf_reset(&t);
	for (size_t i = 0; i < d->cat.len && i < 3 && d->cat.rows[i].n[1]; i++) {
		sbuf_adds(&t, i ? "; " : RL(o, "Størst: ", "Largest: "));
		sbuf_addf(&t, "%s %ld (", report_cat_label(o, d->cat.rows[i].key), d->cat.rows[i].n[1]);
		report_num(o, &t, 100.0 * (double)d->cat.rows[i].n[1] / (double)d->n[1], 1);
		sbuf_adds(&t, " %)");
	}
	if (t.len) {
		sbuf_adds(&t, RL(o, ". Alle kategorier står i vedlegget.", ". Every category is in the appendix."));
		rdoc_text(doc, RD_P, t.buf);
		doc->b[doc->n - 1].text_only = 1;
	}
	{
		const char **labels = xmalloc((d->cat.len + 1) * sizeof *labels);
		long *c = xmalloc((d->cat.len + 1) * sizeof *c);
		size_t nc = 0;

		for (size_t i = 0; i < d->cat.len; i++)
			if (d->cat.rows[i].n[1]) {
				labels[nc] = report_cat_label(o, d->cat.rows[i].key);
				c[nc++] = d->cat.rows[i].n[1];
			}
		sbuf_reset(&t);
		sbuf_addf(&t, RL(o, "Avvik etter kategori, %s (søyler) og samlet andel (linje)",
				 "Deviations by category, %s (bars) and cumulative share (line)"), d->p->label);
		sbuf_reset(&svg);
		so.fmt = NULL;
		so.id = "fig-pareto";
		so.width = 0;
		so.height = 235;
		svg_pareto(&svg, &so, labels, c, nc, t.buf, NULL);
		rdoc_figure(doc, t.buf, svg.buf);
		free(labels);
		free(c);
	}
	rdoc_text(doc, RD_H2, RL(o, "Gjengangere", "Recurring failures"));
	for (int pass = 0; pass < 2; pass++) {
		const report_recurring *r = pass ? d->rec_pair : d->rec_cat;
		size_t n = pass ? d->n_rec_pair : d->n_rec_cat;
		const char *hn[] = { pass ? "Melder → gjelder" : "Kategori", "Kvartaler", "Fra–til", "Antall", NULL };
		const char *he[] = { pass ? "Reporter → concerned" : "Category", "Quarters", "From–to", "Count", NULL };

		if (!n) {
			rdoc_text(doc, RD_P, pass ? RL(o, "Ingen meldepar er gjengangere.", "No recurring pairs.")
						  : RL(o, "Ingen kategorier er gjengangere.", "No recurring categories."));
			continue;
		}
		tb = rdoc_table(doc, pass ? "recurring_pairs" : "recurring_categories",
				pass ? RL(o, "Melder og mottaker", "Reporter and concerned")
				     : RL(o, "Kategorier", "Categories"),
				o->lang == REPORT_LANG_EN ? he : hn);
		tb->half = 1;
		for (size_t i = 0; i < n && i < 4; i++) {
			sbuf_reset(&t);
			if (pass)
				pair_label(o, r[i].key, &t);
			else
				sbuf_adds(&t, report_cat_label(o, r[i].key));
			rdoc_cell_text(tb, t.buf);
			rdoc_cell_num(tb, r[i].streak, 0);
			sbuf_reset(&t);
			sbuf_addf(&t, "%s–%s", r[i].first, r[i].last);
			rdoc_cell_text(tb, t.buf);
			rdoc_cell_num(tb, (double)r[i].total, 0);
		}
	}
	sbuf_reset(&t);
	sbuf_addf(&t, RL(o, "Gjenganger: blant de %d hyppigste i sitt kvartal minst tre kvartaler på rad "
			    "(%zu kvartaler vurdert, %s).",
			 "Recurring: among the %d most frequent of its quarter in at least three consecutive "
			 "quarters (%zu quarters considered, %s)."),
		  o->top > 0 ? o->top : 5, d->n_quarters, d->window.label);
	rdoc_text(doc, RD_NOTE, t.buf);
	if (d->n_rising) {
		sbuf_reset(&t);
		sbuf_adds(&t, RL(o, "Økende: ", "Rising: "));
		for (size_t i = 0; i < d->n_rising; i++) {
			if (i)
				sbuf_adds(&t, ", ");
			sbuf_adds(&t, report_cat_label(o, d->rising[i].category));
		}
		sbuf_adds(&t, RL(o, " (se vedlegget).", " (see the appendix)."));
		rdoc_text(doc, RD_P, t.buf);
	}

	if (d->n_ex) {
		rdoc_text(doc, RD_H2, RL(o, "Eksempler (utdrag; fødselsnummer er erstattet med pseudonym)",
					 "Examples (excerpts; identity numbers pseudonymised)"));
		/* one from each of the two largest categories: the page has room for no more */
		for (size_t i = 0; i < d->n_ex && i < 2; i++)
			for (int k = 0; k < d->ex[i].n && k < 1; k++) {
				sbuf_reset(&t);
				sbuf q = SBUF_INIT;

				sbuf_addf(&t, "%s, %s, #%lld", report_cat_label(o, d->ex[i].category), d->ex[i].date[k],
					  (long long)d->ex[i].id[k]);
				report_excerpt(&q, d->ex[i].text[k], 120);
				rdoc_quote(doc, q.buf, t.buf);
				doc->b[doc->n - 1].half = 1;   /* side by side */
				sbuf_release(&q);
			}
	}

	/* ---- the appendix: the statistics, with what the terms mean ---- */
	rdoc_text(doc, RD_APPENDIX, RL(o, "Vedlegg: statistikk og datagrunnlag", "Appendix: statistics and data"));
	sbuf_reset(&t);
	sbuf_addf(&t, RL(o, "%ld samhandlingsavvik i %s mot %ld i %s: ", "%ld deviations in %s against %ld in %s: "),
		  d->n[1], d->p->label, d->n[0], d->vs->label);
	change_text(o, &t, d->n[0], d->n[1]);
	sbuf_adds(&t, ". ");
	if (d->have_test) {
		sbuf_addf(&t, RL(o, "Rateforhold %s/%s: ", "Rate ratio %s/%s: "), d->p->label, d->vs->label);
		report_num(o, &t, d->ps.rate_ratio, 3);
		sbuf_adds(&t, RL(o, " (95 % KI ", " (95 % CI "));
		report_num(o, &t, d->ps.ci_low, 3);
		sbuf_adds(&t, "–");
		report_num(o, &t, d->ps.ci_high, 3);
		sbuf_adds(&t, "), ");
		report_p(o, &t, d->ps.p_value);
		sbuf_adds(&t, RL(o, " (eksakt betinget Poisson-test", " (exact conditional Poisson test"));
		if (d->p->months != d->vs->months)
			sbuf_adds(&t, RL(o, ", justert for periodenes lengde", ", adjusted for the periods' lengths"));
		sbuf_adds(&t, "). ");
	} else {
		sbuf_adds(&t, d->complete ? RL(o, "Endringen er ikke testet: for få avvik. ",
					       "The change is not tested: too few deviations. ")
					  : RL(o, "Endringen er ikke testet: perioden er ufullstendig. ",
					       "The change is not tested: the period is incomplete. "));
	}
	report_dispersion_text(o, &d->disp, &t);
	sbuf_adds(&t, RL(o, " Færre meldte avvik kan også bety mindre melding, ikke bare færre hendelser.",
			 " Fewer reports may also mean less reporting, not only fewer events."));
	rdoc_text(doc, RD_P, t.buf);
	sbuf_reset(&t);
	sbuf_addf(&t, RL(o, "Kommuner og fastleger meldte %ld og UNN %ld i %s; andelen fra kommune og fastlege var ",
			 "Municipalities and GPs reported %ld and UNN %ld in %s; the municipal and GP share was "),
		  d->share.kf[1], d->share.unn[1], d->p->label);
	report_num(o, &t, 100 * d->share.share[1], 1);
	sbuf_adds(&t, RL(o, " % (95 % KI ", " % (95 % CI "));
	report_num(o, &t, 100 * d->share.lo[1], 1);
	sbuf_adds(&t, "–");
	report_num(o, &t, 100 * d->share.hi[1], 1);
	sbuf_addf(&t, RL(o, " %%) mot ", " %%) against "));
	report_num(o, &t, 100 * d->share.share[0], 1);
	sbuf_addf(&t, RL(o, " %% i %s; Fishers eksakte test: ", " %% in %s; Fisher's exact test: "), d->vs->label);
	report_p(o, &t, d->share.fisher_p);
	sbuf_adds(&t, ". ");
	report_series_text(o, &d->monthly, &t);
	rdoc_text(doc, RD_P, t.buf);
	{
		const char *hn[] = { "Kategori", d->vs->label, d->p->label, "Andel", "Kumulativ", NULL };
		const char *he[] = { "Category", d->vs->label, d->p->label, "Share", "Cumulative", NULL };
		double cum = 0;

		tb = rdoc_table(doc, "categories", RL(o, "Etter kategori", "By category"),
				o->lang == REPORT_LANG_EN ? he : hn);
		tb->half = 1;
		for (size_t i = 0; i < d->cat.len; i++) {
			double share = d->n[1] ? 100.0 * (double)d->cat.rows[i].n[1] / (double)d->n[1] : 0;
			cum += share;
			rdoc_cell_text(tb, report_cat_label(o, d->cat.rows[i].key));
			rdoc_cell_num(tb, (double)d->cat.rows[i].n[0], 0);
			rdoc_cell_num(tb, (double)d->cat.rows[i].n[1], 0);
			rdoc_cell_pct(tb, share, 1);
			rdoc_cell_pct(tb, cum, 1);
		}
	}
	{
		const char *hn[] = { "Retning", d->vs->label, d->p->label, "Andel", NULL };
		const char *he[] = { "Direction", d->vs->label, d->p->label, "Share", NULL };

		tb = rdoc_table(doc, "directions", RL(o, "Etter retning", "By direction"),
				o->lang == REPORT_LANG_EN ? he : hn);
		tb->half = 1;
		for (size_t i = 0; i < d->dir.len; i++) {
			rdoc_cell_text(tb, d->dir.rows[i].key);
			rdoc_cell_num(tb, (double)d->dir.rows[i].n[0], 0);
			rdoc_cell_num(tb, (double)d->dir.rows[i].n[1], 0);
			rdoc_cell_pct(tb, d->n[1] ? 100.0 * (double)d->dir.rows[i].n[1] / (double)d->n[1] : 0, 1);
		}
	}
	if (d->n_rising) {
		const char *hn[] = { "Økende kategori", d->vs->label, d->p->label, "Rateforhold", "p", "Signal", NULL };
		const char *he[] = { "Rising category", d->vs->label, d->p->label, "Rate ratio", "p", "Signal", NULL };

		tb = rdoc_table(doc, "rising", RL(o, "Økende kategorier", "Rising categories"),
				o->lang == REPORT_LANG_EN ? he : hn);
		tb->half = 1;
		for (size_t i = 0; i < d->n_rising; i++) {
			const sm_rising *x = &d->rising[i];
			rdoc_cell_text(tb, report_cat_label(o, x->category));
			rdoc_cell_num(tb, (double)x->n[0], 0);
			rdoc_cell_num(tb, (double)x->n[1], 0);
			rdoc_cell_num(tb, x->have_test ? x->ps.rate_ratio : NAN, 2);
			rdoc_cell_p(tb, x->have_test ? x->ps.p_value : NAN);
			sbuf_reset(&t);
			if (x->significant)
				sbuf_adds(&t, RL(o, "signifikant økning", "significant increase"));
			if (x->shift_up)
				sbuf_adds(&t, x->significant ? RL(o, "; skift opp", "; shift up")
							     : RL(o, "skift opp i seriediagrammet", "run-chart shift up"));
			rdoc_cell_text(tb, t.buf);
			rdoc_cell_strong(tb);
		}
	}
	{
		const char *hn[] = { "Data", "Antall", NULL };
		const char *he[] = { "Data", "Count", NULL };
		tb = rdoc_table(doc, "data", RL(o, "Datagrunnlag", "Data"), o->lang == REPORT_LANG_EN ? he : hn);
		tb->half = 1;
		rdoc_cell_text(tb, RL(o, "Meldinger mottatt", "Messages received"));
		rdoc_cell_num(tb, (double)d->tot.received, 0);
		rdoc_cell_text(tb, RL(o, "Unike avvik lagret", "Unique deviations stored"));
		rdoc_cell_num(tb, (double)d->tot.deviations, 0);
		rdoc_cell_text(tb, RL(o, "Duplikater fjernet", "Duplicates removed"));
		rdoc_cell_num(tb, (double)d->tot.duplicates, 0);
		rdoc_cell_text(tb, RL(o, "Hoppet over (ikke avvik)", "Skipped (not deviations)"));
		rdoc_cell_num(tb, (double)d->tot.skipped, 0);
		rdoc_cell_text(tb, RL(o, "I karantene", "Quarantined"));
		rdoc_cell_num(tb, (double)d->tot.quarantined, 0);
		rdoc_cell_text(tb, RL(o, "Manuelle korreksjoner", "Manual corrections"));
		rdoc_cell_num(tb, (double)d->tot.overrides, 0);
	}
	sm_glossary(doc, o);
	sbuf_reset(&t);
	sbuf_addf(&t, RL(o, "Regelsett: commit %s. Ikke talt med: %s. Et avvik telles etter hendelsesdato, "
			    "ellers meldt dato, ellers mottatt dato.",
			 "Rules commit %s. Not counted: %s. A deviation counts under its event date, else the "
			 "date reported, else the date received."),
		  o->commit, o->exclude && *o->exclude ? o->exclude : "–");
	rdoc_text(doc, RD_NOTE, t.buf);
	sbuf_release(&t);
	sbuf_release(&svg);
}

static void json_period(sbuf *out, const period *p, long n)
{
	sbuf_adds(out, "{\"label\": ");
	sbuf_add_json_str(out, p->label);
	sbuf_addf(out, ", \"start\": \"%s\", \"end\": \"%s\", \"months\": %d, \"count\": %ld}", p->start, p->end,
		  p->months, n);
}

static void json_recurring(const report_opts *o, sbuf *out, const char *name,
			   const report_recurring *r, size_t n, int pairs)
{
	sbuf_addf(out, ",\n  \"%s\": [", name);
	for (size_t i = 0; i < n; i++) {
		sbuf_addf(out, "%s\n    {", i ? "," : "");
		if (pairs) {
			const char *tab = strchr(r[i].key, '\t');
			sbuf a = SBUF_INIT;
			sbuf_add(&a, r[i].key, tab ? (size_t)(tab - r[i].key) : strlen(r[i].key));
			sbuf_adds(out, "\"reporter\": ");
			sbuf_add_json_str(out, a.buf);
			sbuf_adds(out, ", \"concerned\": ");
			sbuf_add_json_str(out, tab ? tab + 1 : "");
			sbuf_adds(out, ", \"label\": ");
			sbuf_reset(&a);
			pair_label(o, r[i].key, &a);
			sbuf_add_json_str(out, a.buf);
			sbuf_release(&a);
		} else {
			sbuf_adds(out, "\"category\": ");
			sbuf_add_json_str(out, r[i].key);
			sbuf_adds(out, ", \"label\": ");
			sbuf_add_json_str(out, report_cat_label(o, r[i].key));
		}
		sbuf_addf(out, ", \"streak\": %d, \"first\": \"%s\", \"last\": \"%s\", \"quarters_in_top\": %d,"
			  " \"total\": %ld, \"current\": %s}", r[i].streak, r[i].first, r[i].last,
			  r[i].quarters_in_top, r[i].total, r[i].current ? "true" : "false");
	}
	sbuf_adds(out, "\n  ]");
}

static void sm_json(const sm_data *d, sbuf *out)
{
	const report_opts *o = d->o;

	sbuf_adds(out, "{\n  \"report\": \"summary\",\n  \"period\": ");
	json_period(out, d->p, d->n[1]);
	sbuf_adds(out, ",\n  \"vs\": ");
	json_period(out, d->vs, d->n[0]);
	sbuf_adds(out, ",\n  ");
	report_filter_json(o, out);
	sbuf_adds(out, ",\n  \"coverage\": {\"vs\": ");
	report_coverage_json(&d->cov[0], out);
	sbuf_adds(out, ", \"period\": ");
	report_coverage_json(&d->cov[1], out);
	sbuf_addf(out, "},\n  \"complete\": %s", d->complete ? "true" : "false");
	sbuf_addf(out, ",\n  \"headline\": {\"change\": {\"absolute\": %ld, \"percent\": ", d->n[1] - d->n[0]);
	report_json_num(out, d->n[0] ? 100.0 * (double)(d->n[1] - d->n[0]) / (double)d->n[0] : NAN);
	sbuf_adds(out, "}, \"test\": ");
	sbuf_add_json_str(out, d->have_test ? "exact conditional Poisson test" : NULL);
	sbuf_adds(out, ", \"rate_ratio\": ");
	report_json_num(out, d->have_test ? d->ps.rate_ratio : NAN);
	sbuf_adds(out, ", \"ci95\": [");
	report_json_num(out, d->have_test ? d->ps.ci_low : NAN);
	sbuf_adds(out, ", ");
	report_json_num(out, d->have_test ? d->ps.ci_high : NAN);
	sbuf_adds(out, "], \"p_value\": ");
	report_json_num(out, d->have_test ? d->ps.p_value : NAN);
	sbuf_adds(out, "},\n  \"overdispersion\": ");
	report_dispersion_json(&d->disp, out);
	sbuf_addf(out, ",\n  \"reporter_share\": {\"kommune_fastlege\": [%ld, %ld], \"unn\": [%ld, %ld],"
		  " \"other\": [%ld, %ld], ", d->share.kf[0], d->share.kf[1], d->share.unn[0],
		  d->share.unn[1], d->share.other[0], d->share.other[1]);
	report_share_json(&d->share, out);
	sbuf_adds(out, "},\n  \"by_direction\": [");
	for (size_t i = 0; i < d->dir.len; i++) {
		sbuf_addf(out, "%s\n    {\"direction\": ", i ? "," : "");
		sbuf_add_json_str(out, d->dir.rows[i].key);
		sbuf_addf(out, ", \"counts\": [%ld, %ld]}", d->dir.rows[i].n[0], d->dir.rows[i].n[1]);
	}
	sbuf_adds(out, "\n  ],\n  \"pareto\": [");
	{
		double cum = 0;
		for (size_t i = 0; i < d->cat.len; i++) {
			double share = d->n[1] ? 100.0 * (double)d->cat.rows[i].n[1] / (double)d->n[1] : 0;
			cum += share;
			sbuf_addf(out, "%s\n    {\"category\": ", i ? "," : "");
			sbuf_add_json_str(out, d->cat.rows[i].key);
			sbuf_adds(out, ", \"label\": ");
			sbuf_add_json_str(out, report_cat_label(o, d->cat.rows[i].key));
			sbuf_addf(out, ", \"counts\": [%ld, %ld], \"percent\": ", d->cat.rows[i].n[0], d->cat.rows[i].n[1]);
			report_json_num(out, share);
			sbuf_adds(out, ", \"cumulative_percent\": ");
			report_json_num(out, cum);
			sbuf_addch(out, '}');
		}
	}
	sbuf_adds(out, "\n  ],\n  \"monthly\": {\n    \"range\": {\"start\": ");
	sbuf_add_json_str(out, d->window.start);
	sbuf_adds(out, ", \"end\": ");
	sbuf_add_json_str(out, d->window.end);
	sbuf_adds(out, "},\n");
	report_series_json(&d->monthly, out, "    ");
	sbuf_adds(out, "\n  }");
	sbuf_addf(out, ",\n  \"recurring_top\": %d, \"recurring_quarters\": %zu", o->top > 0 ? o->top : 5,
		  d->n_quarters);
	json_recurring(o, out, "recurring_categories", d->rec_cat, d->n_rec_cat, 0);
	json_recurring(o, out, "recurring_pairs", d->rec_pair, d->n_rec_pair, 1);
	sbuf_adds(out, ",\n  \"rising_categories\": [");
	for (size_t i = 0; i < d->n_rising; i++) {
		const sm_rising *x = &d->rising[i];
		sbuf_addf(out, "%s\n    {\"category\": ", i ? "," : "");
		sbuf_add_json_str(out, x->category);
		sbuf_addf(out, ", \"counts\": [%ld, %ld], \"rate_ratio\": ", x->n[0], x->n[1]);
		report_json_num(out, x->have_test ? x->ps.rate_ratio : NAN);
		sbuf_adds(out, ", \"p_value\": ");
		report_json_num(out, x->have_test ? x->ps.p_value : NAN);
		sbuf_addf(out, ", \"significant\": %s, \"shift_up\": %s}", x->significant ? "true" : "false",
			  x->shift_up ? "true" : "false");
	}
	sbuf_adds(out, "\n  ],\n  \"examples\": [");
	for (size_t i = 0; i < d->n_ex; i++) {
		sbuf_addf(out, "%s\n    {\"category\": ", i ? "," : "");
		sbuf_add_json_str(out, d->ex[i].category);
		sbuf_adds(out, ", \"excerpts\": [");
		for (int k = 0; k < d->ex[i].n; k++) {
			sbuf_addf(out, "%s{\"id\": %lld, \"date\": ", k ? ", " : "", (long long)d->ex[i].id[k]);
			sbuf_add_json_str(out, d->ex[i].date[k]);
			sbuf_adds(out, ", \"text\": ");
			sbuf_add_json_str(out, d->ex[i].text[k]);
			sbuf_addch(out, '}');
		}
		sbuf_adds(out, "]}");
	}
	sbuf_addf(out, "\n  ],\n  \"data\": {\"received\": %ld, \"deviations\": %ld, \"duplicates\": %ld,"
		  " \"skipped\": %ld, \"quarantined\": %ld, \"overrides\": %ld}", d->tot.received,
		  d->tot.deviations, d->tot.duplicates, d->tot.skipped, d->tot.quarantined, d->tot.overrides);
	sbuf_adds(out, ",\n  \"excluded_categories\": ");
	sbuf_add_json_str(out, o->exclude ? o->exclude : "");
	sbuf_adds(out, ",\n  \"rules_commit\": ");
	sbuf_add_json_str(out, o->commit);
	sbuf_adds(out, "\n}\n");
}

int report_summary(store *st, const report_opts *o, const period *p, const period *vs,
		   FILE *out, sbuf *err)
{
	sm_data d;
	sbuf text = SBUF_INIT, title = SBUF_INIT;
	period before;
	int rc = -1;

	memset(&d, 0, sizeof d);
	d.o = o;
	d.p = p;
	if (!vs) {
		if (period_before(p, &before)) {
			sbuf_addf(err, "no period before %s", p->label);
			return -1;
		}
		vs = &before;
	}
	d.vs = vs;
	report_series_init(&d.monthly);
	if (sm_load(st, &d)) {
		sbuf_addf(err, "database: %s", store_errmsg(st));
		goto out;
	}
	if (o->format == REPORT_JSON) {
		sm_json(&d, &text);
	} else {
		rdoc doc;

		sbuf_addf(&title, RL(o, "Samhandlingsavvik %s", "Collaboration deviations %s"), p->label);
		report_filter_title(o, &title);
		sbuf_addf(&title, RL(o, " – oppsummering (mot %s)", " – summary (against %s)"), vs->label);
		rdoc_init(&doc, o, title.buf);
		sm_doc(&doc, &d);
		rc = rdoc_render(&doc, &text, err);
		rdoc_clear(&doc);
		if (rc)
			goto out;
	}
	rc = report_write(out, &text, err);
out:
	sm_free(&d);
	sbuf_release(&text);
	sbuf_release(&title);
	return rc;
}
