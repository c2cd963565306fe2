/*
 * series.c - the analyses behind report trend and report summary: a
 * series of counts per month or quarter with its run chart (Anhøj) and
 * control chart (c or u, Laney's U' when over-dispersed), and the
 * recurring failures ("gjengangere").
 */
#include "report/report_int.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

void report_series_init(report_series *s)
{
	memset(s, 0, sizeof *s);
	ctrlchart_init(&s->cc);
}

void report_series_clear(report_series *s)
{
	free(s->key);
	free(s->y);
	free(s->months);
	ctrlchart_clear(&s->cc);
	report_series_init(s);
}

int report_series_points(report_series *s, const period *range, report_by by)
{
	char (*months)[8] = NULL;
	size_t nm = report_months(range, &months);

	report_series_clear(s);
	s->by = by;
	if (!nm)
		return -1;
	s->key = xcalloc(nm, sizeof *s->key);
	s->y = xcalloc(nm, sizeof *s->y);
	s->months = xcalloc(nm, sizeof *s->months);
	for (size_t i = 0; i < nm; i++) {
		char k[8];

		if (by == REPORT_BY_QUARTER) {
			memcpy(k, months[i], 5);
			k[5] = 'Q';
			k[6] = (char)('1' + (atoi(months[i] + 5) - 1) / 3);
			k[7] = '\0';
		} else {
			memcpy(k, months[i], sizeof k);
		}
		if (!s->n || strcmp(s->key[s->n - 1], k))
			memcpy(s->key[s->n++], k, sizeof k);
		s->months[s->n - 1] += 1;
	}
	free(months);
	/* a quarter cut by the range covers fewer months: compare rates */
	for (size_t i = 1; i < s->n; i++)
		if (s->months[i] != s->months[0])
			s->u_chart = 1;
	return 0;
}

void report_series_add(report_series *s, const char *key, long count)
{
	for (size_t i = 0; i < s->n; i++)
		if (!strcmp(s->key[i], key)) {
			s->y[i] += (double)count;
			return;
		}
}

int report_series_analyse(report_series *s)
{
	ctrlchart_clear(&s->cc);
	if (!s->n)
		return -1;
	if (s->u_chart) {
		/* the run chart of rates, so a short quarter is not a low point */
		double *rate = xmalloc(s->n * sizeof *rate);
		for (size_t i = 0; i < s->n; i++)
			rate[i] = s->y[i] / s->months[i];
		runchart_analyse(rate, s->n, &s->rc);
		free(rate);
		return ctrlchart_u(s->y, s->months, s->n, CTRL_LANEY_AUTO, &s->cc);
	}
	runchart_analyse(s->y, s->n, &s->rc);
	return ctrlchart_c(s->y, s->n, CTRL_LANEY_AUTO, &s->cc);
}

static int series_add_cb(void *ctx, const char *key, long count)
{
	report_series_add(ctx, key, count);
	return 0;
}

int report_series_load(store *st, const report_opts *o, const period *range, report_by by,
		       report_series *s)
{
	if (report_series_points(s, range, by))
		return -1;
	if (store_query_count(st, o->commit, range, o->exclude, &o->filter,
			      by == REPORT_BY_QUARTER ? STORE_Q_QUARTER : STORE_Q_MONTH, series_add_cb, s))
		return -1;
	report_series_analyse(s);
	return 0;
}

/* ---- recurring failures ---- */

typedef struct {
	const char *key;    /* points into the row (after the tab) */
	size_t klen;
	long count;
} rq_item;

static int rq_item_cmp(const void *a, const void *b)
{
	const rq_item *x = a, *y = b;
	size_t l = x->klen < y->klen ? x->klen : y->klen;
	int c;

	if (x->count != y->count)
		return x->count < y->count ? 1 : -1;
	if ((c = memcmp(x->key, y->key, l)))
		return c;
	return (x->klen > y->klen) - (x->klen < y->klen);
}

static int rec_cmp(const void *a, const void *b)
{
	const report_recurring *x = a, *y = b;

	if (x->current != y->current)
		return y->current - x->current;
	if (x->streak != y->streak)
		return y->streak - x->streak;
	if (x->total != y->total)
		return x->total < y->total ? 1 : -1;
	return strcmp(x->key, y->key);
}

size_t report_recurring_find(const char *const *quarters, size_t n_quarters,
			     const char *const *rows, const long *counts, size_t n_rows,
			     int top, int min_streak, report_recurring **out)
{
	report_recurring *res = NULL;
	size_t n_res = 0;
	/* per key: the quarters (by index) it was in the top N */
	char **keys = NULL;
	unsigned char *in_top = NULL;   /* [n_keys * n_quarters] */
	long *totals = NULL;
	size_t n_keys = 0;

	*out = NULL;
	if (top <= 0)
		top = 5;
	for (size_t q = 0; q < n_quarters; q++) {
		size_t ql = strlen(quarters[q]), n_items = 0;
		rq_item *items = NULL;

		for (size_t r = 0; r < n_rows; r++) {
			if (strncmp(rows[r], quarters[q], ql) || rows[r][ql] != '\t')
				continue;
			items = xrealloc(items, (n_items + 1) * sizeof *items);
			items[n_items].key = rows[r] + ql + 1;
			items[n_items].klen = strlen(rows[r] + ql + 1);
			items[n_items].count = counts[r];
			n_items++;
		}
		if (n_items)
			qsort(items, n_items, sizeof *items, rq_item_cmp);
		for (size_t i = 0; i < n_items; i++) {
			size_t k;

			for (k = 0; k < n_keys; k++)
				if (!strcmp(keys[k], items[i].key))
					break;
			if (k == n_keys) {
				keys = xrealloc(keys, (n_keys + 1) * sizeof *keys);
				keys[n_keys] = xstrdup(items[i].key);
				totals = xrealloc(totals, (n_keys + 1) * sizeof *totals);
				totals[n_keys] = 0;
				in_top = xrealloc(in_top, (n_keys + 1) * n_quarters);
				memset(in_top + n_keys * n_quarters, 0, n_quarters);
				n_keys++;
			}
			totals[k] += items[i].count;
			/* the top N by rank; a tie at the edge is in too, so the
			 * order of equal counts decides nothing */
			if ((int)i < top || items[i].count == items[top - 1].count)
				in_top[k * n_quarters + q] = 1;
		}
		free(items);
	}
	for (size_t k = 0; k < n_keys; k++) {
		int best = 0, run = 0, best_end = -1, n_in = 0;

		for (size_t q = 0; q < n_quarters; q++) {
			if (in_top[k * n_quarters + q]) {
				run++;
				n_in++;
				if (run > best || (run == best && run)) {
					best = run;
					best_end = (int)q;   /* the latest of equally long streaks */
				}
			} else {
				run = 0;
			}
		}
		/* a qualifying streak that lasts to the last quarter is the one
		 * to show, even when an earlier one was longer */
		if (run >= min_streak) {
			best = run;
			best_end = (int)n_quarters - 1;
		}
		if (best >= min_streak) {
			report_recurring *r;

			res = xrealloc(res, (n_res + 1) * sizeof *res);
			r = &res[n_res++];
			memset(r, 0, sizeof *r);
			r->key = keys[k];
			keys[k] = NULL;
			r->streak = best;
			r->quarters_in_top = n_in;
			r->total = totals[k];
			r->current = best_end == (int)n_quarters - 1;
			snprintf(r->first, sizeof r->first, "%s", quarters[best_end - best + 1]);
			snprintf(r->last, sizeof r->last, "%s", quarters[best_end]);
		}
		free(keys[k]);
	}
	free(keys);
	free(in_top);
	free(totals);
	if (n_res)
		qsort(res, n_res, sizeof *res, rec_cmp);
	*out = res;
	return n_res;
}

void report_recurring_free(report_recurring *r, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(r[i].key);
	free(r);
}

/* ---- reporter share ---- */

void report_share_init(report_share *s)
{
	memset(s, 0, sizeof *s);
}

void report_share_add(report_share *s, int side, const char *type, long n)
{
	if (!strcmp(type, "kommune") || !strcmp(type, "fastlege"))
		s->kf[side] += n;
	else if (!strcmp(type, "unn"))
		s->unn[side] += n;
	else
		s->other[side] += n;
}

void report_share_finish(report_share *s)
{
	for (int i = 0; i < 2; i++) {
		long n = s->kf[i] + s->unn[i];

		s->share[i] = n ? (double)s->kf[i] / (double)n : NAN;
		if (n)
			stats_binom_ci(s->kf[i], n, 0.95, &s->lo[i], &s->hi[i]);
		else
			s->lo[i] = s->hi[i] = NAN;
	}
	s->fisher_p = (s->kf[0] + s->unn[0]) && (s->kf[1] + s->unn[1])
		? stats_fisher_exact(s->kf[0], s->unn[0], s->kf[1], s->unn[1]) : NAN;
}

/* ---- over-dispersion of monthly counts ---- */

int report_dispersion_get(store *st, const report_opts *o, const period *a, const period *b,
			  report_dispersion *out)
{
	const period *p[2] = { a, b };

	memset(out, 0, sizeof *out);
	for (int i = 0; i < 2; i++) {
		report_series s;

		report_series_init(&s);
		out->sigma_z[i] = out->chi2df[i] = NAN;
		if (report_series_points(&s, p[i], REPORT_BY_MONTH) == 0) {
			if (store_query_count(st, o->commit, p[i], o->exclude, &o->filter, STORE_Q_MONTH,
					      series_add_cb, &s)) {
				report_series_clear(&s);
				return -1;
			}
			report_series_analyse(&s);
			out->months[i] = (int)s.n;
			if (s.cc.n == s.n && s.n >= 2) {
				out->sigma_z[i] = s.cc.sigma_z;
				out->chi2df[i] = s.cc.dispersion;
				/* Laney's convention, or a Pearson ratio well above 1:
				 * either makes the Poisson interval too narrow */
				if (s.cc.overdispersed || s.cc.dispersion > 1.5)
					out->over = 1;
			}
		}
		report_series_clear(&s);
	}
	return 0;
}

void report_dispersion_text(const report_opts *o, const report_dispersion *d, sbuf *out)
{
	if (isnan(d->sigma_z[0]) && isnan(d->sigma_z[1]))
		return;
	sbuf_adds(out, RL(o, "Spredning mellom måneder: Laneys σz = ", "Month-to-month dispersion: Laney's σz = "));
	report_num(o, out, d->sigma_z[0], 2);
	sbuf_adds(out, RL(o, " og ", " and "));
	report_num(o, out, d->sigma_z[1], 2);
	sbuf_adds(out, ", Pearson χ²/df = ");
	report_num(o, out, d->chi2df[0], 2);
	sbuf_adds(out, RL(o, " og ", " and "));
	report_num(o, out, d->chi2df[1], 2);
	sbuf_adds(out, RL(o, " (1 ved ren Poisson-variasjon). ", " (1 for pure Poisson variation). "));
	if (d->over)
		sbuf_adds(out, RL(o, "Tellingene er overspredt: konfidensintervallet og p-verdien over er for "
				     "optimistiske, og endringen bør leses med forsiktighet.",
				  "The counts are over-dispersed: the interval and p-value above are too "
				  "optimistic; read the change with care."));
	else
		sbuf_adds(out, RL(o, "Ingen tydelig overspredning.", "No clear over-dispersion."));
}

void report_dispersion_json(const report_dispersion *d, sbuf *out)
{
	sbuf_addf(out, "{\"months\": [%d, %d], \"laney_sigma_z\": [", d->months[0], d->months[1]);
	report_json_num(out, d->sigma_z[0]);
	sbuf_adds(out, ", ");
	report_json_num(out, d->sigma_z[1]);
	sbuf_adds(out, "], \"pearson_chi2_df\": [");
	report_json_num(out, d->chi2df[0]);
	sbuf_adds(out, ", ");
	report_json_num(out, d->chi2df[1]);
	sbuf_addf(out, "], \"overdispersed\": %s}", d->over ? "true" : "false");
}

int report_pairs_add(void *ctx, const char *key, long count)
{
	report_pairs *t = ctx;
	size_t i;

	for (i = 0; i < t->len; i++)
		if (!strcmp(t->rows[i].key, key))
			break;
	if (i == t->len) {
		t->rows = xrealloc(t->rows, (t->len + 1) * sizeof *t->rows);
		t->rows[i].key = xstrdup(key);
		t->rows[i].n[0] = t->rows[i].n[1] = 0;
		t->len++;
	}
	t->rows[i].n[t->side] += count;
	return 0;
}

void report_pairs_clear(report_pairs *t)
{
	size_t i;

	for (i = 0; i < t->len; i++)
		free(t->rows[i].key);
	free(t->rows);
	memset(t, 0, sizeof *t);
}
