/*
 * trend.c - report trend: a monthly or quarterly series with its run chart
 * (median, Anhøj's rules) and control chart (c or u, 3-sigma limits,
 * Laney's U' when the counts are over-dispersed), optionally for one
 * category, direction, organisation or FSU.
 */
#include "report/report_int.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

int report_write(FILE *f, const sbuf *text, sbuf *err)
{
	if (fwrite(text->buf, 1, text->len, f) != text->len) {
		sbuf_addf(err, "write failed");
		return -1;
	}
	return 0;
}

void report_filter_title(const report_opts *o, sbuf *out)
{
	const store_filter *f = &o->filter;

	if (o->filter_label && *o->filter_label) {
		sbuf_adds(out, " – ");
		sbuf_adds(out, o->filter_label);
		return;
	}
	if (f->categories && !strchr(f->categories, ',')) {
		sbuf_adds(out, " – ");
		sbuf_adds(out, report_cat_label(o, f->categories));
	}
	if (f->direction) {
		sbuf_adds(out, " – ");
		sbuf_adds(out, f->direction);
	}
	if (f->org || f->org_name) {
		sbuf_adds(out, " – ");
		sbuf_adds(out, f->org ? report_org_label(o, f->org) : f->org_name);
	}
}

void report_filter_json(const report_opts *o, sbuf *out)
{
	const store_filter *f = &o->filter;

	sbuf_adds(out, "\"filter\": {\"categories\": ");
	sbuf_add_json_str(out, f->categories);
	sbuf_adds(out, ", \"direction\": ");
	sbuf_add_json_str(out, f->direction);
	sbuf_adds(out, ", \"org\": ");
	sbuf_add_json_str(out, f->org);
	sbuf_adds(out, ", \"org_name\": ");
	sbuf_add_json_str(out, f->org_name);
	sbuf_adds(out, ", \"label\": ");
	sbuf_add_json_str(out, o->filter_label);
	sbuf_addch(out, '}');
}

/* The plotted value of point i: a count, or a rate per month. */
static double point_value(const report_series *s, size_t i)
{
	return s->u_chart ? s->y[i] / s->months[i] : s->y[i];
}

void report_series_figure(rdoc *d, const report_series *s, const char *id, const char *title, int plain)
{
	const report_opts *o = d->o;
	svg_opts so = { 0 };
	svg_series ss = { 0 };
	double *v = xmalloc((s->n ? s->n : 1) * sizeof *v);
	const char **labels = xmalloc((s->n ? s->n : 1) * sizeof *labels);
	sbuf svg = SBUF_INIT, cap = SBUF_INIT;

	for (size_t i = 0; i < s->n; i++) {
		v[i] = point_value(s, i);
		labels[i] = s->key[i];
	}
	so.decimal_comma = o->lang != REPORT_LANG_EN;
	so.en = o->lang == REPORT_LANG_EN;
	so.plain = plain;
	so.id = id;
	so.height = 200;
	ss.n = s->n;
	ss.y = v;
	if (s->by == REPORT_BY_QUARTER)
		ss.x_labels = labels;
	else
		ss.first_month = s->n ? s->key[0] : NULL;
	ss.y_name = s->u_chart ? RL(o, "Antall per måned", "Count per month") : RL(o, "Antall", "Count");
	ss.limits = s->cc.n == s->n ? &s->cc : NULL;
	svg_runchart(&svg, &so, &ss, &s->rc, title, NULL);
	sbuf_adds(&cap, title);
	/* the lines are named in the legend and at their ends; the caption
	 * says only what the reader cannot see */
	if (plain && s->cc.n == s->n)
		sbuf_adds(&cap, RL(o, ". Punkter utenfor kontrollgrensene er uvanlige", ". Points outside the control limits are unusual"));
	else if (s->cc.laney)
		sbuf_adds(&cap, RL(o, ". Kontrollgrensene er Laneys U′ (3σ)", ". The control limits are Laney's U′ (3σ)"));
	else if (s->cc.n == s->n)
		sbuf_adds(&cap, RL(o, ". Kontrollgrenser: 3σ", ". Control limits: 3σ"));
	sbuf_adds(&cap, ".");
	rdoc_figure(d, cap.buf, svg.buf);
	sbuf_release(&svg);
	sbuf_release(&cap);
	free(v);
	free(labels);
}

void report_series_text(const report_opts *o, const report_series *s, sbuf *out)
{
	const runchart_result *rc = &s->rc;
	const ctrlchart *cc = &s->cc;

	if (!s->n) {
		sbuf_adds(out, RL(o, "Ingen data i perioden.", "No data in the period."));
		return;
	}
	sbuf_adds(out, RL(o, "Median ", "Median "));
	report_num(o, out, rc->median, fmod(rc->median, 1) ? 1 : 0);
	sbuf_addf(out, RL(o, ". Lengste løp på samme side av medianen: %d (signal over %d); "
			     "kryssinger av medianen: %d (signal under %d). ",
			  ". Longest run on one side of the median: %d (signal above %d); "
			  "crossings of the median: %d (signal below %d). "),
		  rc->longest_run, rc->longest_run_max, rc->crossings, rc->crossings_min);
	if (rc->signal_shift && rc->signal_crossings)
		sbuf_adds(out, RL(o, "Både et for langt løp og for få kryssinger: ikke-tilfeldig variasjon "
				     "(et skift eller en trend).",
				  "Both a too long run and too few crossings: non-random variation "
				  "(a shift or a trend)."));
	else if (rc->signal_shift)
		sbuf_adds(out, RL(o, "Et for langt løp: tegn på et skift i nivå.",
				  "A too long run: a sign of a shift in level."));
	else if (rc->signal_crossings)
		sbuf_adds(out, RL(o, "For få kryssinger: tegn på ikke-tilfeldig variasjon.",
				  "Too few crossings: a sign of non-random variation."));
	else
		sbuf_adds(out, RL(o, "Ingen signal: variasjonen ser tilfeldig ut.",
				  "No signal: the variation looks random."));
	if (cc->n != s->n)
		return;
	sbuf_adds(out, s->u_chart ? RL(o, " U-diagram (antall per måned): senterlinje ",
				       " U chart (count per month): centre line ")
				  : RL(o, " C-diagram: senterlinje ", " C chart: centre line "));
	report_num(o, out, cc->center, 1);
	if (!s->u_chart) {
		sbuf_adds(out, RL(o, ", grenser ", ", limits "));
		report_num(o, out, cc->lcl[0], 1);
		sbuf_adds(out, "–");
		report_num(o, out, cc->ucl[0], 1);
	}
	sbuf_adds(out, RL(o, "; spredning: Laneys σz = ", "; dispersion: Laney's σz = "));
	report_num(o, out, cc->sigma_z, 2);
	sbuf_adds(out, ", Pearson χ²/df = ");
	report_num(o, out, cc->dispersion, 2);
	if (cc->laney)
		sbuf_adds(out, RL(o, ". Tellingene er overspredt (σz > 1,2), så grensene er Laneys U′ "
				     "(bredere enn Poisson-grensene).",
				  ". The counts are over-dispersed (σz > 1.2), so the limits are Laney's U′ "
				  "(wider than the Poisson limits)."));
	else
		sbuf_adds(out, RL(o, ". Ikke overspredt: Poisson-grenser.",
				  ". Not over-dispersed: Poisson limits."));
	if (cc->n_outside)
		sbuf_addf(out, RL(o, " %zu punkt(er) utenfor grensene.", " %zu point(s) outside the limits."),
			  cc->n_outside);
	else
		sbuf_adds(out, RL(o, " Ingen punkter utenfor grensene.", " No points outside the limits."));
}

void report_series_json(const report_series *s, sbuf *out, const char *ind)
{
	const runchart_result *rc = &s->rc;
	const ctrlchart *cc = &s->cc;
	unsigned char *mark = xcalloc(s->n ? s->n : 1, 1);
	double *v = xmalloc((s->n ? s->n : 1) * sizeof *v);
	int have_cc = cc->n == s->n && s->n;

	for (size_t i = 0; i < s->n; i++)
		v[i] = point_value(s, i);
	if (s->n && !isnan(rc->median))
		runchart_mark_runs(v, s->n, rc, mark);
	sbuf_addf(out, "%s\"by\": \"%s\",\n%s\"points\": [", ind,
		  s->by == REPORT_BY_QUARTER ? "quarter" : "month", ind);
	for (size_t i = 0; i < s->n; i++) {
		sbuf_addf(out, "%s\n%s  {\"period\": \"%s\", \"count\": %.0f, \"months\": %.0f, \"value\": ",
			  i ? "," : "", ind, s->key[i], s->y[i], s->months[i]);
		report_json_num(out, v[i]);
		sbuf_adds(out, ", \"ucl\": ");
		report_json_num(out, have_cc ? cc->ucl[i] : NAN);
		sbuf_adds(out, ", \"lcl\": ");
		report_json_num(out, have_cc ? cc->lcl[i] : NAN);
		sbuf_addf(out, ", \"outside\": %d, \"in_long_run\": %s}", have_cc ? cc->outside[i] : 0,
			  mark[i] ? "true" : "false");
	}
	sbuf_addf(out, "\n%s],\n%s\"median\": ", ind, ind);
	report_json_num(out, rc->median);
	sbuf_addf(out, ",\n%s\"anhoj\": {\"n_useful\": %zu, \"longest_run\": %d, \"longest_run_max\": %d,"
		  " \"crossings\": %d, \"crossings_min\": %d, \"signal_shift\": %s, \"signal_crossings\": %s,"
		  " \"signal\": %s}", ind, rc->n_useful, rc->longest_run, rc->longest_run_max, rc->crossings,
		  rc->crossings_min, rc->signal_shift ? "true" : "false",
		  rc->signal_crossings ? "true" : "false", rc->signal ? "true" : "false");
	sbuf_addf(out, ",\n%s\"control_chart\": {\"kind\": \"%s\", \"center\": ", ind, s->u_chart ? "u" : "c");
	report_json_num(out, have_cc ? cc->center : NAN);
	sbuf_adds(out, ", \"sigma_z\": ");
	report_json_num(out, have_cc ? cc->sigma_z : NAN);
	sbuf_adds(out, ", \"pearson_dispersion\": ");
	report_json_num(out, have_cc ? cc->dispersion : NAN);
	sbuf_addf(out, ", \"overdispersed\": %s, \"laney\": %s, \"n_outside\": %zu}",
		  have_cc && cc->overdispersed ? "true" : "false", have_cc && cc->laney ? "true" : "false",
		  have_cc ? cc->n_outside : (size_t)0);
	free(mark);
	free(v);
}

static void trend_doc(rdoc *d, const report_series *s, const period *range)
{
	const report_opts *o = d->o;
	sbuf t = SBUF_INIT;
	unsigned char *mark = xcalloc(s->n ? s->n : 1, 1);
	double *v = xmalloc((s->n ? s->n : 1) * sizeof *v);
	double total = 0;
	int have_cc = s->cc.n == s->n && s->n, any_signal = 0;
	rd_block *tb;

	for (size_t i = 0; i < s->n; i++) {
		v[i] = point_value(s, i);
		total += s->y[i];
	}
	if (s->n && !isnan(s->rc.median))
		runchart_mark_runs(v, s->n, &s->rc, mark);
	rdoc_text(d, RD_H1, d->title);
	sbuf_addf(&t, RL(o, "%.0f samhandlingsavvik i %zu %s, %s til %s.", "%.0f deviations in %zu %s, %s to %s."),
		  total, s->n, s->by == REPORT_BY_QUARTER ? RL(o, "kvartaler", "quarters")
							  : RL(o, "måneder", "months"),
		  s->n ? s->key[0] : range->start, s->n ? s->key[s->n - 1] : range->end);
	rdoc_text(d, RD_P, t.buf);
	sbuf_reset(&t);
	report_series_text(o, s, &t);
	rdoc_text(d, RD_P, t.buf);
	sbuf_reset(&t);
	sbuf_adds(&t, s->by == REPORT_BY_QUARTER ? RL(o, "Kvartalsvis seriediagram", "Quarterly run chart")
						 : RL(o, "Månedlig seriediagram", "Monthly run chart"));
	report_filter_title(o, &t);
	report_series_figure(d, s, "trend", t.buf, 0);
	/* a Signal column only when some point has one: an empty column reads
	 * as a fault of the report */
	for (size_t i = 0; i < s->n && !any_signal; i++)
		any_signal = mark[i] || (have_cc && s->cc.outside[i]);
	{
		const char *head_nb[] = { s->by == REPORT_BY_QUARTER ? "Kvartal" : "Måned", "Antall",
					  s->u_chart ? "Per måned" : "Median", "Nedre grense", "Øvre grense",
					  any_signal ? "Signal" : NULL, NULL };
		const char *head_en[] = { s->by == REPORT_BY_QUARTER ? "Quarter" : "Month", "Count",
					  s->u_chart ? "Per month" : "Median", "Lower limit", "Upper limit",
					  any_signal ? "Signal" : NULL, NULL };
		tb = rdoc_table(d, "series", RL(o, "Serien", "The series"),
				o->lang == REPORT_LANG_EN ? head_en : head_nb);
	}
	for (size_t i = 0; i < s->n; i++) {
		sbuf sig = SBUF_INIT;

		rdoc_cell_text(tb, s->key[i]);
		rdoc_cell_num(tb, s->y[i], 0);
		rdoc_cell_num(tb, s->u_chart ? v[i] : s->rc.median, 1);
		rdoc_cell_num(tb, have_cc ? s->cc.lcl[i] : NAN, 1);
		rdoc_cell_num(tb, have_cc ? s->cc.ucl[i] : NAN, 1);
		if (!any_signal)
			continue;
		if (have_cc && s->cc.outside[i] > 0)
			sbuf_adds(&sig, RL(o, "over øvre grense", "above the upper limit"));
		else if (have_cc && s->cc.outside[i] < 0)
			sbuf_adds(&sig, RL(o, "under nedre grense", "below the lower limit"));
		if (mark[i]) {
			if (sig.len)
				sbuf_adds(&sig, "; ");
			sbuf_adds(&sig, RL(o, "langt løp", "long run"));
		}
		rdoc_cell_text(tb, sig.buf);
		if (sig.len)
			rdoc_cell_strong(tb);
		sbuf_release(&sig);
	}
	sbuf_reset(&t);
	sbuf_addf(&t, RL(o, "Regelsett: commit %s. Ikke talt med: %s.", "Rules commit %s. Not counted: %s."),
		  o->commit, o->exclude && *o->exclude ? o->exclude : "–");
	rdoc_text(d, RD_NOTE, t.buf);
	sbuf_release(&t);
	free(mark);
	free(v);
}

int report_trend(store *st, const report_opts *o, const period *range_in, report_by by,
		 FILE *out, sbuf *err)
{
	report_series s;
	period range;
	sbuf text = SBUF_INIT, title = SBUF_INIT;
	int rc = -1;

	report_series_init(&s);
	if (range_in) {
		range = *range_in;
	} else {
		char first[11], last[11];
		sbuf perr = SBUF_INIT, spec = SBUF_INIT;
		int r = store_query_range(st, o->commit, o->exclude, &o->filter, first, last);

		if (r < 0) {
			sbuf_addf(err, "database: %s", store_errmsg(st));
			goto out;
		}
		if (r > 0) {
			sbuf_adds(err, RL(o, "ingen avvik passer til utvalget", "no deviations match"));
			goto out;
		}
		sbuf_addf(&spec, "%.7s..%.7s", first, last);
		r = period_parse(spec.buf, &range, &perr);
		sbuf_release(&spec);
		sbuf_release(&perr);
		if (r) {
			sbuf_addf(err, "bad dates in the data: %s..%s", first, last);
			goto out;
		}
	}
	if (report_series_load(st, o, &range, by, &s)) {
		sbuf_addf(err, "database: %s", store_errmsg(st));
		goto out;
	}
	if (o->format == REPORT_JSON) {
		sbuf_adds(&text, "{\n  \"report\": \"trend\",\n  \"range\": {\"start\": ");
		sbuf_add_json_str(&text, range.start);
		sbuf_adds(&text, ", \"end\": ");
		sbuf_add_json_str(&text, range.end);
		sbuf_addf(&text, ", \"months\": %d},\n  ", range.months);
		report_filter_json(o, &text);
		sbuf_adds(&text, ",\n");
		report_series_json(&s, &text, "  ");
		sbuf_adds(&text, ",\n  \"excluded_categories\": ");
		sbuf_add_json_str(&text, o->exclude ? o->exclude : "");
		sbuf_adds(&text, ",\n  \"rules_commit\": ");
		sbuf_add_json_str(&text, o->commit);
		sbuf_adds(&text, "\n}\n");
	} else {
		rdoc d;

		sbuf_adds(&title, RL(o, "Samhandlingsavvik over tid", "Collaboration deviations over time"));
		report_filter_title(o, &title);
		rdoc_init(&d, o, title.buf);
		trend_doc(&d, &s, &range);
		rc = rdoc_render(&d, &text, err);
		rdoc_clear(&d);
		if (rc)
			goto out;
	}
	rc = report_write(out, &text, err);
out:
	report_series_clear(&s);
	sbuf_release(&text);
	sbuf_release(&title);
	return rc;
}
