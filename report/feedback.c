/*
 * feedback.c - the report that goes back to an organisation that reports:
 * what it reported in the period, how each was classified, and which of
 * its categories keep coming back.  The first reason people stop reporting
 * is that they never hear back.
 *
 * Only the organisation's own reports are read, and of those only the
 * subject line, the date, the id and the classification: never a free text,
 * and nothing another organisation wrote.
 */
#include "report/report_int.h"

#include <stdlib.h>
#include <string.h>

typedef struct {
	int64_t id;
	char *date, *subject, *category, *direction, *concerned;
	int overridden;
} fb_row;

typedef struct {
	const report_opts *o;
	const char *org;
	const period *p, *win;
	fb_row *rows;              /* in the period */
	size_t n;
	report_pairs cats;         /* category -> count in the period */
	report_pairs conc;         /* concerned party -> count in the period */
	/* the window's quarters: category -> quarters with a report */
	char **q_keys;             /* "2024-Q3\tepikrise", unique */
	size_t n_q;
	long n_before;             /* in the window before the period */
} fb_data;

/* reporter org is the organisation or a unit of it */
static int fb_is_org(const char *rep, const char *org)
{
	size_t n = strlen(org);

	return rep && !strncmp(rep, org, n) && (rep[n] == '\0' || rep[n] == '-');
}

static int fb_excluded(const report_opts *o, const char *cat)
{
	const char *p = o->exclude;
	size_t n = strlen(cat);

	while (p && *p) {
		size_t k = strcspn(p, ",");
		if (k == n && !strncmp(p, cat, n))
			return 1;
		p += k + (p[k] == ',');
	}
	return 0;
}

static void fb_quarter(const char *date, char out[8])
{
	int y = 0, m = 1;

	if (sscanf(date, "%4d-%2d", &y, &m) != 2 || y < 0 || m < 1 || m > 12)
		y = 0, m = 1;
	snprintf(out, 8, "%04d-Q%c", y % 10000, (char)('1' + (m - 1) / 3));
}

static int fb_each(void *ctx, int64_t id, const avvik_record *r, const avvik_class *c, const char *commit)
{
	fb_data *d = ctx;
	const char *date = r->event_date ? r->event_date : r->reported_at ? r->reported_at : r->received_at;
	char q[8];
	sbuf k = SBUF_INIT;

	(void)commit;
	if (!c->category || !fb_is_org(c->reporter_org, d->org) || fb_excluded(d->o, c->category) || !date)
		return 0;
	/* the recurring categories: every quarter of the window with a report */
	fb_quarter(date, q);
	sbuf_addf(&k, "%s\t%s", q, c->category);
	{
		size_t i;
		for (i = 0; i < d->n_q && strcmp(d->q_keys[i], k.buf); i++)
			;
		if (i == d->n_q) {
			d->q_keys = xrealloc(d->q_keys, (d->n_q + 1) * sizeof *d->q_keys);
			d->q_keys[d->n_q++] = sbuf_detach(&k, NULL);
		}
	}
	sbuf_release(&k);
	if (strncmp(date, d->p->start, 10) < 0 || strncmp(date, d->p->end, 10) >= 0) {
		d->n_before++;
		return 0;
	}
	d->rows = xrealloc(d->rows, (d->n + 1) * sizeof *d->rows);
	{
		fb_row *row = &d->rows[d->n++];
		const char *conc = c->concerned_org ? report_org_label(d->o, c->concerned_org)
				   : r->concerned.name ? r->concerned.name : "?";

		row->id = id;
		row->date = xstrndup(date, 10);
		row->subject = xstrdup(r->subject ? r->subject : "");
		row->category = xstrdup(c->category);
		row->direction = xstrdup(direction_name(c->dir));
		row->concerned = xstrdup(conc);
		row->overridden = c->overridden;
		d->cats.side = 1;
		report_pairs_add(&d->cats, c->category, 1);
		d->conc.side = 1;
		report_pairs_add(&d->conc, conc, 1);
	}
	return 0;
}

static int fb_cmp_rows(const void *a, const void *b)
{
	const report_pair_row *x = a, *y = b;

	if (x->n[1] != y->n[1])
		return x->n[1] < y->n[1] ? 1 : -1;
	return strcmp(x->key, y->key);
}

int report_feedback(store *st, const report_opts *o, const char *org_id, const period *p, FILE *out,
		    sbuf *err)
{
	fb_data d;
	period win;
	sbuf t = SBUF_INIT, spec = SBUF_INIT, perr = SBUF_INIT;
	rdoc doc;
	rd_block *tb;
	int y, m, rc = -1;
	const char *name = report_org_label(o, org_id);

	memset(&d, 0, sizeof d);
	d.o = o;
	d.org = org_id;
	d.p = p;
	/* the window for what recurs: the year up to the period's end */
	if (sscanf(p->end, "%4d-%2d", &y, &m) != 2) {
		sbuf_addf(err, "bad period %s", p->label);
		return -1;
	}
	if (--m < 1) {
		m = 12;
		y--;
	}
	sbuf_addf(&spec, "%04d-%02d..%04d-%02d", m == 12 ? y : y - 1, m == 12 ? 1 : m + 1, y, m);
	if (period_parse(spec.buf, &win, &perr)) {
		sbuf_addf(err, "%s", perr.buf);
		goto out;
	}
	if (strcmp(p->start, win.start) < 0) {   /* a period longer than a year */
		win = *p;
	}
	d.win = &win;
	if (store_export_each(st, o->commit, &win, fb_each, &d)) {
		sbuf_addf(err, "database: %s", store_errmsg(st));
		goto out;
	}
	if (d.cats.len)
		qsort(d.cats.rows, d.cats.len, sizeof *d.cats.rows, fb_cmp_rows);
	if (d.conc.len)
		qsort(d.conc.rows, d.conc.len, sizeof *d.conc.rows, fb_cmp_rows);

	sbuf_addf(&t, RL(o, "Tilbakemelding til %s: samhandlingsavvik %s", "Feedback to %s: deviations %s"), name,
		  p->label);
	rdoc_init(&doc, o, t.buf);
	rdoc_text(&doc, RD_H1, t.buf);
	sbuf_reset(&t);
	if (o->lang == REPORT_LANG_EN)
		sbuf_addf(&t, "You reported %zu deviations in %s. Thank you: every report is read, classified and "
			  "counted in the reports to the collaboration committees. Below is how each was classified, "
			  "and what keeps coming back.", d.n, p->label);
	else
		sbuf_addf(&t, "Dere meldte %zu samhandlingsavvik i %s. Takk! Hver melding blir lest, klassifisert og "
			  "talt med i rapportene til samarbeidsutvalgene. Under ser dere hvordan hver ble "
			  "klassifisert, og hva som går igjen.", d.n, p->label);
	rdoc_text(&doc, RD_LEAD, t.buf);

	/* what recurs: categories with a report in at least three quarters of the window */
	{
		report_pairs rec = { 0 };
		size_t nq = 0;

		rec.side = 1;
		for (size_t i = 0; i < d.n_q; i++)
			report_pairs_add(&rec, strchr(d.q_keys[i], '\t') + 1, 1);
		sbuf_reset(&t);
		for (size_t i = 0; i < rec.len; i++)
			if (rec.rows[i].n[1] >= 3) {
				sbuf_adds(&t, nq++ ? ", " : "");
				sbuf_adds(&t, report_cat_label(o, rec.rows[i].key));
			}
		if (nq) {
			sbuf spec2 = SBUF_INIT;
			sbuf_addf(&spec2, RL(o, "Går igjen hos dere (meldt i minst tre av kvartalene %s): %s.",
					     "Recurring in your reports (reported in at least three of the quarters %s): %s."),
				  win.label, t.buf);
			rdoc_text(&doc, RD_P, spec2.buf);
			sbuf_release(&spec2);
		} else {
			rdoc_text(&doc, RD_P, RL(o, "Ingen kategori går igjen i meldingene deres siste år.",
						 "No category recurs in your reports over the last year."));
		}
		report_pairs_clear(&rec);
	}
	{
		const char *hn[] = { "Kategori", "Antall", NULL }, *he[] = { "Category", "Count", NULL };
		tb = rdoc_table(&doc, "categories", RL(o, "Etter kategori", "By category"),
				o->lang == REPORT_LANG_EN ? he : hn);
		tb->half = 1;
		for (size_t i = 0; i < d.cats.len; i++) {
			rdoc_cell_text(tb, report_cat_label(o, d.cats.rows[i].key));
			rdoc_cell_num(tb, (double)d.cats.rows[i].n[1], 0);
		}
	}
	{
		const char *hn[] = { "Gjelder", "Antall", NULL }, *he[] = { "Concerning", "Count", NULL };
		tb = rdoc_table(&doc, "concerned", RL(o, "Hvem meldingene gjaldt", "Whom the reports concerned"),
				o->lang == REPORT_LANG_EN ? he : hn);
		tb->half = 1;
		for (size_t i = 0; i < d.conc.len; i++) {
			rdoc_cell_text(tb, d.conc.rows[i].key);
			rdoc_cell_num(tb, (double)d.conc.rows[i].n[1], 0);
		}
	}
	{
		const char *hn[] = { "Nr.", "Dato", "Emne", "Klassifisert som", "Retning", "Gjelder", NULL };
		const char *he[] = { "No.", "Date", "Subject", "Classified as", "Direction", "Concerning", NULL };
		tb = rdoc_table(&doc, "reports", RL(o, "Meldingene deres", "Your reports"),
				o->lang == REPORT_LANG_EN ? he : hn);
		for (size_t i = 0; i < d.n; i++) {
			const fb_row *r = &d.rows[i];
			sbuf subj = SBUF_INIT, cat = SBUF_INIT;

			report_excerpt(&subj, r->subject, 80);
			sbuf_adds(&cat, report_cat_label(o, r->category));
			if (r->overridden)
				sbuf_adds(&cat, RL(o, " (rettet manuelt)", " (corrected by hand)"));
			rdoc_cell_num(tb, (double)r->id, 0);
			rdoc_cell_text(tb, r->date);
			rdoc_cell_text(tb, subj.buf);
			rdoc_cell_text(tb, cat.buf);
			rdoc_cell_text(tb, r->direction);
			rdoc_cell_text(tb, r->concerned);
			sbuf_release(&subj);
			sbuf_release(&cat);
		}
	}
	sbuf_reset(&t);
	sbuf_addf(&t, RL(o, "Mener dere at en melding er klassifisert feil, svar på denne e-posten med nummeret; "
			    "en rådgiver kan rette den (avvik override). Regelsett: commit %.12s.",
			 "If a report is classified wrongly, reply to this e-mail with its number; an adviser can "
			 "correct it (avvik override). Rules commit %.12s."), o->commit);
	rdoc_text(&doc, RD_NOTE, t.buf);
	sbuf_reset(&t);
	rc = rdoc_render(&doc, &t, err);
	rdoc_clear(&doc);
	if (!rc)
		rc = report_write(out, &t, err);
out:
	for (size_t i = 0; i < d.n; i++) {
		free(d.rows[i].date);
		free(d.rows[i].subject);
		free(d.rows[i].category);
		free(d.rows[i].direction);
		free(d.rows[i].concerned);
	}
	free(d.rows);
	for (size_t i = 0; i < d.n_q; i++)
		free(d.q_keys[i]);
	free(d.q_keys);
	report_pairs_clear(&d.cats);
	report_pairs_clear(&d.conc);
	sbuf_release(&t);
	sbuf_release(&spec);
	sbuf_release(&perr);
	return rc;
}
