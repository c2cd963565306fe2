/*
 * test_report.c - the analyses behind report trend and summary: Fisher's
 * exact test against reference values, series with a known shift and a
 * stable one through the report's own code path (report_series_*),
 * recurring failures, excerpts and the document renderers' escaping.
 *
 * Fisher references: R's fisher.test two-sided rule replayed in exact
 * rationals with Python 3 (fractions.Fraction, math.comb): the sum of
 * P(table) over tables with P <= P(observed) * (1 + 1e-7), margins fixed.
 * (3,1,1,3) is R's TeaTasting example, documented p = 0.4857.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <string.h>

#include "report/report_int.h"

#define RNEAR(got, want, tol) near_((got), (want), (tol) * fabs(want), #got, __FILE__, __LINE__)

static void near_(double got, double want, double tol, const char *expr, const char *file, int line)
{
	if (!(fabs(got - want) <= tol))
		fail_msg("%s:%d: %s = %.17g, want %.17g", file, line, expr, got, want);
}

static void test_fisher_reference(void **state)
{
	(void)state;
	RNEAR(stats_fisher_exact(3, 1, 1, 3), 17.0 / 35.0, 1e-12);            /* TeaTasting */
	RNEAR(stats_fisher_exact(0, 5, 5, 0), 1.0 / 126.0, 1e-12);
	RNEAR(stats_fisher_exact(10, 2, 3, 15), 0.00053672411914343582, 1e-9);
	RNEAR(stats_fisher_exact(200, 100, 150, 120), 0.0075413151325152651, 1e-9);
	RNEAR(stats_fisher_exact(12, 5, 29, 2), 0.080268552074104646, 1e-9);
	RNEAR(stats_fisher_exact(50, 450, 30, 470), 0.026252190176361906, 1e-9);
	/* the demo's reporter shares, 283:141 and 234:117: exactly equal */
	RNEAR(stats_fisher_exact(283, 141, 234, 117), 1.0, 1e-12);
	/* the table transposed or mirrored has the same p */
	RNEAR(stats_fisher_exact(10, 3, 2, 15), 0.00053672411914343582, 1e-9);
	RNEAR(stats_fisher_exact(15, 3, 2, 10), 0.00053672411914343582, 1e-9);
	/* degenerate margins */
	assert_true(stats_fisher_exact(1, 0, 0, 1) == 1.0);
	assert_true(stats_fisher_exact(0, 0, 3, 4) == 1.0);
	assert_true(isnan(stats_fisher_exact(-1, 0, 3, 4)));
}

static void series_of(report_series *s, const char *range, const double *y, size_t n, report_by by)
{
	period p;
	sbuf err = SBUF_INIT;

	assert_int_equal(period_parse(range, &p, &err), 0);
	sbuf_release(&err);
	report_series_init(s);
	assert_int_equal(report_series_points(s, &p, by), 0);
	assert_int_equal(s->n, n);
	for (size_t i = 0; i < n; i++)
		report_series_add(s, s->key[i], (long)y[i]);
	assert_int_equal(report_series_analyse(s), 0);
}

/* 24 months, the second year at a clearly higher level: a shift. */
static void test_series_shift_signals(void **state)
{
	static const double y[24] = { 20, 22, 19, 21, 18, 23, 20, 22, 19, 21, 20, 18,
				      30, 33, 29, 31, 35, 32, 30, 34, 31, 29, 33, 32 };
	report_series s;

	(void)state;
	series_of(&s, "2023..2024", y, 24, REPORT_BY_MONTH);
	assert_string_equal(s.key[0], "2023-01");
	assert_string_equal(s.key[23], "2024-12");
	assert_false(s.u_chart);
	assert_int_equal(s.rc.longest_run_max, 8);
	assert_int_equal(s.rc.crossings_min, 8);
	assert_true(s.rc.signal_shift);
	assert_true(s.rc.signal);
	assert_int_equal(s.cc.kind, CTRL_C);
	report_series_clear(&s);
}

/* A stable series (alternating around its median) must not signal. */
static void test_series_stable_quiet(void **state)
{
	static const double y[24] = { 30, 34, 29, 35, 31, 36, 28, 33, 30, 35, 29, 34,
				      31, 36, 30, 33, 29, 35, 31, 34, 30, 36, 29, 33 };
	report_series s;

	(void)state;
	series_of(&s, "2023..2024", y, 24, REPORT_BY_MONTH);
	assert_false(s.rc.signal_shift);
	assert_false(s.rc.signal_crossings);
	assert_false(s.rc.signal);
	assert_int_equal(s.cc.n_outside, 0);
	assert_false(s.cc.laney);
	report_series_clear(&s);
}

/* Quarters cut by the range cover fewer months: a u-chart of rates. */
static void test_series_quarters(void **state)
{
	static const double y[3] = { 20, 30, 10 };
	report_series s;

	(void)state;
	series_of(&s, "2024-02..2024-07", y, 3, REPORT_BY_QUARTER);
	assert_string_equal(s.key[0], "2024-Q1");
	assert_string_equal(s.key[2], "2024-Q3");
	assert_true(s.months[0] == 2 && s.months[1] == 3 && s.months[2] == 1);
	assert_true(s.u_chart);
	assert_int_equal(s.cc.kind, CTRL_U);
	/* pooled rate: 60 events over 6 months */
	RNEAR(s.cc.center, 10.0, 1e-12);
	report_series_clear(&s);
}

static void test_recurring(void **state)
{
	static const char *const q[] = { "2024-Q1", "2024-Q2", "2024-Q3", "2024-Q4" };
	/* a: top in all four; b: top in Q1-Q3; c: top in Q1, Q2, Q4 (no streak
	 * of 3); d: never in the top 2 */
	static const char *const rows[] = {
		"2024-Q1\ta", "2024-Q1\tb", "2024-Q1\tc", "2024-Q1\td",
		"2024-Q2\ta", "2024-Q2\tb", "2024-Q2\tc",
		"2024-Q3\ta", "2024-Q3\tb", "2024-Q3\tc", "2024-Q3\td",
		"2024-Q4\ta", "2024-Q4\tc", "2024-Q4\tb",
	};
	static const long counts[] = { 10, 9, 9, 1, 10, 8, 8, 10, 9, 2, 1, 10, 9, 3 };
	report_recurring *r;
	size_t n;

	(void)state;
	n = report_recurring_find(q, 4, rows, counts, sizeof counts / sizeof counts[0], 2, 3, &r);
	assert_int_equal(n, 2);
	assert_string_equal(r[0].key, "a");
	assert_int_equal(r[0].streak, 4);
	assert_true(r[0].current);
	assert_int_equal(r[0].total, 40);
	assert_string_equal(r[1].key, "b");
	assert_int_equal(r[1].streak, 3);
	assert_false(r[1].current);
	assert_string_equal(r[1].first, "2024-Q1");
	assert_string_equal(r[1].last, "2024-Q3");
	report_recurring_free(r, n);
}

static void test_excerpt(void **state)
{
	sbuf out = SBUF_INIT;

	(void)state;
	report_excerpt(&out, "  kort   tekst\n", 200);
	assert_string_equal(out.buf, "kort tekst");
	sbuf_reset(&out);
	report_excerpt(&out, "Pasienten kom hjem uten epikrise og uten medisinliste", 30);
	assert_string_equal(out.buf, "Pasienten kom hjem uten…");
	sbuf_reset(&out);
	/* never cuts inside a UTF-8 sequence */
	report_excerpt(&out, "æææææææææææææææææææææææææææææææææææææææ", 10);
	assert_string_equal(out.buf, "ææææææææææ…");
	sbuf_release(&out);
}

static void test_html_escapes(void **state)
{
	report_opts o;
	rdoc d;
	sbuf out = SBUF_INIT;
	rd_block *t;
	static const char *const head[] = { "a", "b", NULL };

	(void)state;
	memset(&o, 0, sizeof o);
	o.format = REPORT_HTML;
	rdoc_init(&d, &o, "T <&>");
	rdoc_text(&d, RD_H1, "T <&>");
	rdoc_quote(&d, "<script>alert(1)</script> & mer", "x\"y");
	t = rdoc_table(&d, "t", "c", head);
	rdoc_cell_text(t, "<b>");
	rdoc_cell_num(t, 1.5, 1);
	assert_int_equal(rdoc_render(&d, &out, NULL), 0);
	assert_null(strstr(out.buf, "<script"));
	assert_null(strstr(out.buf, "<b>"));
	assert_non_null(strstr(out.buf, "&lt;script&gt;alert(1)&lt;/script&gt; &amp; mer"));
	assert_non_null(strstr(out.buf, "<td class=\"n\">1,5</td>"));
	assert_non_null(strstr(out.buf, "@page"));
	rdoc_clear(&d);

	/* csv for Norwegian spreadsheets by default: BOM, ';', decimal comma, no formulas */
	sbuf_reset(&out);
	o.format = REPORT_CSV;
	rdoc_init(&d, &o, "x");
	t = rdoc_table(&d, "t", "c", head);
	rdoc_cell_text(t, "=SUM(A1)");
	rdoc_cell_num(t, -2.25, 2);
	assert_int_equal(rdoc_render(&d, &out, NULL), 0);
	assert_memory_equal(out.buf, "\xEF\xBB\xBF", 3);
	assert_non_null(strstr(out.buf, "a;b\r\n'=SUM(A1);-2,25\r\n"));
	rdoc_clear(&d);
	sbuf_release(&out);
}

/* "p < 0,0001", never "p = < 0,0001"; NaN as a dash. */
static void test_pvalue_spelling(void **state)
{
	report_opts o = { 0 };
	sbuf b = SBUF_INIT;

	(void)state;
	report_p(&o, &b, 0.0097);
	assert_string_equal(b.buf, "p = 0,0097");
	sbuf_reset(&b);
	report_p(&o, &b, 3e-9);
	assert_string_equal(b.buf, "p < 0,0001");
	sbuf_reset(&b);
	report_p(&o, &b, 0.00042);
	assert_string_equal(b.buf, "p = 0,00042");
	sbuf_reset(&b);
	o.lang = REPORT_LANG_EN;
	report_p(&o, &b, 1e-5);
	assert_string_equal(b.buf, "p < 0.0001");
	sbuf_reset(&b);
	report_p(&o, &b, NAN);
	assert_string_equal(b.buf, "p = –");
	sbuf_release(&b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_fisher_reference),
		cmocka_unit_test(test_series_shift_signals),
		cmocka_unit_test(test_series_stable_quiet),
		cmocka_unit_test(test_series_quarters),
		cmocka_unit_test(test_recurring),
		cmocka_unit_test(test_excerpt),
		cmocka_unit_test(test_html_escapes),
		cmocka_unit_test(test_pvalue_spelling),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
