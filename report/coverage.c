/*
 * coverage.c - is a period's data complete?  A period is compared as if
 * complete only when the data reach its last month, start by its first,
 * the period is over, and no source that reports around a month of it is
 * silent in that month.  Otherwise the reports mark it and do not test it:
 * a year compared with the three months of it that have arrived is not a
 * fall of 75 %.
 */
#include "report/report_int.h"

#include <stdlib.h>
#include <string.h>

typedef struct {
	char (*key)[8];     /* months of the period */
	size_t n;
	char **src;         /* per row: source */
	char (*month)[8];
	size_t n_rows;
} cov_rows;

static int cov_add(void *ctx, const char *key, long count)
{
	cov_rows *r = ctx;
	const char *tab = strrchr(key, '\t');

	(void)count;
	if (!tab || strlen(tab + 1) != 7)
		return 0;
	r->src = xrealloc(r->src, (r->n_rows + 1) * sizeof *r->src);
	r->month = xrealloc(r->month, (r->n_rows + 1) * sizeof *r->month);
	r->src[r->n_rows] = xstrndup(key, (size_t)(tab - key));
	memcpy(r->month[r->n_rows], tab + 1, 8);
	r->n_rows++;
	return 0;
}

void report_coverage_clear(report_coverage *c)
{
	sbuf_release(&c->missing);
	memset(c, 0, sizeof *c);
}

int report_coverage_get(store *st, const report_opts *o, const period *p, report_coverage *out)
{
	cov_rows r = { 0 };
	sbuf now = SBUF_INIT;
	int rc;

	memset(out, 0, sizeof *out);
	sbuf_init(&out->missing, 0);
	/* all data, whatever the report's filter: a small organisation's quiet
	 * month is data, a source's silent month is not */
	rc = store_query_range(st, o->commit, "", NULL, out->first, out->last);
	if (rc < 0)
		return -1;
	date_now_utc(&now);
	out->not_over = strncmp(p->end, now.buf, 10) > 0;
	sbuf_release(&now);
	if (rc == 1) {
		out->no_data = 1;
		return 0;
	}
	out->starts_late = strncmp(out->first, p->start, 7) > 0;
	/* the last month of p is the month before p->end */
	{
		char (*keys)[8] = NULL;
		size_t n = report_months(p, &keys);

		out->ends_early = n && strncmp(out->last, keys[n - 1], 7) < 0;
		r.key = keys;
		r.n = n;
	}
	if (store_query_count(st, o->commit, NULL, "", NULL, STORE_Q_SOURCE_MONTH, cov_add, &r)) {
		rc = -1;
		goto done;
	}
	/* rows come in (source, month) order: a source's first and last month
	 * bound the months it should have */
	for (size_t i = 0; i < r.n_rows;) {
		size_t j = i;

		while (j < r.n_rows && !strcmp(r.src[j], r.src[i]))
			j++;
		for (size_t k = 0; k < r.n; k++) {
			const char *m = r.key[k];
			size_t x;

			if (strcmp(m, r.month[i]) < 0 || strcmp(m, r.month[j - 1]) > 0)
				continue;
			for (x = i; x < j && strcmp(r.month[x], m); x++)
				;
			if (x < j)
				continue;
			if (out->missing.len)
				sbuf_adds(&out->missing, ", ");
			sbuf_addf(&out->missing, "%s (%s)", m, r.src[i]);
			out->n_missing++;
		}
		i = j;
	}
	rc = 0;
done:
	out->complete = !out->no_data && !out->not_over && !out->starts_late && !out->ends_early &&
			!out->n_missing;
	for (size_t i = 0; i < r.n_rows; i++)
		free(r.src[i]);
	free(r.src);
	free(r.month);
	free(r.key);
	return rc;
}

void report_coverage_text(const report_opts *o, const period *p, const report_coverage *c, sbuf *out)
{
	int n = 0;

	if (c->complete)
		return;
	sbuf_addf(out, RL(o, "%s er ufullstendig: ", "%s is incomplete: "), p->label);
	if (c->no_data) {
		sbuf_adds(out, RL(o, "ingen data", "no data"));
		n++;
	}
	if (c->not_over) {
		sbuf_addf(out, RL(o, "%sperioden er ikke over", "%sthe period is not over"), n++ ? "; " : "");
	}
	if (c->ends_early)
		sbuf_addf(out, RL(o, "%sdataene slutter %s", "%sthe data end on %s"), n++ ? "; " : "", c->last);
	if (c->starts_late)
		sbuf_addf(out, RL(o, "%sdataene begynner %s", "%sthe data begin on %s"), n++ ? "; " : "", c->first);
	if (c->n_missing)
		sbuf_addf(out, RL(o, "%småneder uten data fra en kilde: %s", "%smonths without data from a source: %s"),
			  n++ ? "; " : "", c->missing.buf);
	sbuf_adds(out, RL(o, ". Den er ikke sammenlignet som en hel periode, og endringen er ikke testet.",
			  ". It is not compared as a whole period, and the change is not tested."));
}

void report_coverage_json(const report_coverage *c, sbuf *out)
{
	sbuf_addf(out, "{\"complete\": %s, \"data_first\": ", c->complete ? "true" : "false");
	sbuf_add_json_str(out, c->first[0] ? c->first : NULL);
	sbuf_adds(out, ", \"data_last\": ");
	sbuf_add_json_str(out, c->last[0] ? c->last : NULL);
	sbuf_addf(out, ", \"period_not_over\": %s, \"data_start_late\": %s, \"data_end_early\": %s,"
		  " \"missing_months\": ", c->not_over ? "true" : "false", c->starts_late ? "true" : "false",
		  c->ends_early ? "true" : "false");
	sbuf_add_json_str(out, c->missing.len ? c->missing.buf : "");
	sbuf_addch(out, '}');
}
