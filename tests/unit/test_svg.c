/*
 * test_svg.c - report/svg.c: every chart is well-formed XML (libxml2,
 * no network), carries exactly one <title> and <desc> wired to role="img"
 * and aria-labelledby, has one marker or bar per data point, escapes
 * hostile labels (never an element named script), refers to nothing
 * outside itself, and marks the median and the signals.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <locale.h>
#include <math.h>
#include <string.h>

#include <libxml/parser.h>
#include <libxml/tree.h>
#include <libxml/xpath.h>
#include <libxml/xpathInternals.h>

#include "report/report.h"

#define HOSTILE "<script>alert(1)</script> & co"
#define N_OF(a) (sizeof(a) / sizeof((a)[0]))

/* ---- libxml2 helpers ---- */

static int xml_errors;

static void count_error(void *ctx, const xmlError *e)
{
	(void)ctx;
	if (e && e->level >= XML_ERR_WARNING) {
		xml_errors++;
		print_message("# libxml2: %s", e->message ? e->message : "?\n");
	}
}

/* parses a chart; fails the test unless it is well-formed without any
 * warning or error */
static xmlDocPtr parse(const sbuf *svg)
{
	xml_errors = 0;
	xmlSetStructuredErrorFunc(NULL, (xmlStructuredErrorFunc)count_error);
	xmlDocPtr doc = xmlReadMemory(svg->buf, (int)svg->len, "chart.svg", "UTF-8",
				      XML_PARSE_NONET);
	xmlSetStructuredErrorFunc(NULL, NULL);
	if (!doc || xml_errors) {
		print_message("# %s\n", svg->buf);
		fail_msg("not well-formed: %d libxml2 errors", xml_errors);
	}
	xmlNodePtr root = xmlDocGetRootElement(doc);
	assert_non_null(root);
	assert_string_equal((const char *)root->name, "svg");
	assert_non_null(root->ns);
	assert_string_equal((const char *)root->ns->href, "http://www.w3.org/2000/svg");
	return doc;
}

static xmlXPathObjectPtr query(xmlDocPtr doc, const char *xpath)
{
	xmlXPathContextPtr ctx = xmlXPathNewContext(doc);
	assert_non_null(ctx);
	xmlXPathRegisterNs(ctx, BAD_CAST "s", BAD_CAST "http://www.w3.org/2000/svg");
	xmlXPathObjectPtr r = xmlXPathEvalExpression(BAD_CAST xpath, ctx);
	xmlXPathFreeContext(ctx);
	if (!r)
		fail_msg("bad xpath %s", xpath);
	return r;
}

static int count(xmlDocPtr doc, const char *xpath)
{
	xmlXPathObjectPtr r = query(doc, xpath);
	int n = r->nodesetval ? r->nodesetval->nodeNr : 0;
	xmlXPathFreeObject(r);
	return n;
}

/* the string value of an XPath expression (caller frees with xmlFree) */
static char *str(xmlDocPtr doc, const char *xpath)
{
	sbuf q = SBUF_INIT;
	sbuf_addf(&q, "string(%s)", xpath);
	xmlXPathObjectPtr r = query(doc, q.buf);
	char *s = (char *)xmlStrdup(r->stringval ? r->stringval : BAD_CAST "");
	xmlXPathFreeObject(r);
	sbuf_release(&q);
	return s;
}

#define CLASS(c) "//*[contains(concat(' ', normalize-space(@class), ' '), ' " c " ')]"

/* what every chart must satisfy */
static void check_common(xmlDocPtr doc, const char *want_title)
{
	assert_int_equal(count(doc, "//s:title"), 1);
	assert_int_equal(count(doc, "//s:desc"), 1);
	assert_int_equal(count(doc, "/s:svg/s:title"), 1);
	assert_int_equal(count(doc, "/s:svg/s:desc"), 1);

	/* role and labelling: aria-labelledby names the title and desc ids */
	char *role = str(doc, "/s:svg/@role");
	assert_string_equal(role, "img");
	xmlFree(role);
	char *lab = str(doc, "/s:svg/@aria-labelledby");
	char *tid = str(doc, "//s:title/@id"), *did = str(doc, "//s:desc/@id");
	sbuf want = SBUF_INIT;
	sbuf_addf(&want, "%s %s", tid, did);
	assert_true(*tid && *did);
	assert_string_equal(lab, want.buf);
	sbuf_release(&want);
	xmlFree(lab);
	xmlFree(tid);
	xmlFree(did);

	char *vb = str(doc, "/s:svg/@viewBox");
	assert_true(strncmp(vb, "0 0 ", 4) == 0);
	xmlFree(vb);

	if (want_title) {
		char *t = str(doc, "//s:title");
		assert_string_equal(t, want_title);
		xmlFree(t);
	}

	/* self-contained: no script, nothing that loads or links anything */
	assert_int_equal(count(doc, "//*[local-name() = 'script']"), 0);
	assert_int_equal(count(doc, "//*[local-name() = 'style' or local-name() = 'image' or "
				    "local-name() = 'use' or local-name() = 'foreignObject' or "
				    "local-name() = 'a']"), 0);
	assert_int_equal(count(doc, "//@*[local-name() = 'href' or starts-with(name(), 'on')]"), 0);
	assert_int_equal(count(doc, "//@*[contains(., 'url(')]"), 0);
}

static void check_no_raw_script(const sbuf *svg)
{
	assert_null(strstr(svg->buf, "<script"));
	assert_null(strstr(svg->buf, "& co"));
	assert_non_null(strstr(svg->buf, "&lt;script&gt;alert(1)&lt;/script&gt; &amp; co"));
}

/* ---- numbers and escaping ---- */

static void test_fmt_number(void **state)
{
	(void)state;
	sbuf s = SBUF_INIT;

#define FMT(v, d, comma, want)                                  \
	do {                                                    \
		sbuf_reset(&s);                                 \
		svg_fmt_number(&s, (v), (d), (comma));          \
		assert_string_equal(s.buf, (want));             \
	} while (0)

	FMT(35.3333, 1, 1, "35,3");
	FMT(35.3333, 1, 0, "35.3");
	FMT(53.1658878334603, 2, 1, "53,17");
	FMT(17.5007788332063, 2, 1, "17,50");
	FMT(0.05, 3, 1, "0,050");
	FMT(-2.25, 1, 1, "-2,3");            /* half away from zero */
	FMT(-0.04, 1, 0, "0.0");              /* no "-0.0" */
	FMT(424, 0, 1, "424");
	FMT(1234567.5, 0, 0, "1234568");
	FMT(NAN, 1, 1, "\xE2\x80\x93");

	/* the C library's LC_NUMERIC must not leak in */
	const char *locs[] = { "nb_NO.UTF-8", "de_DE.UTF-8", "fr_FR.UTF-8" };
	for (size_t i = 0; i < N_OF(locs); i++) {
		if (!setlocale(LC_NUMERIC, locs[i]))
			continue;
		FMT(35.3333, 1, 0, "35.3");
		FMT(35.3333, 1, 1, "35,3");
		setlocale(LC_NUMERIC, "C");
	}
#undef FMT
	sbuf_release(&s);
}

static void test_escape(void **state)
{
	(void)state;
	sbuf s = SBUF_INIT;

	svg_escape(&s, "<a href='x'>&\"</a>");
	assert_string_equal(s.buf, "&lt;a href=&apos;x&apos;&gt;&amp;&quot;&lt;/a&gt;");
	sbuf_reset(&s);
	svg_escape(&s, "Tromsø – Gáivuotna/Kåfjord, Ærlig");
	assert_string_equal(s.buf, "Tromsø – Gáivuotna/Kåfjord, Ærlig");
	sbuf_reset(&s);
	/* invalid UTF-8, controls, a non-character: all become legal XML */
	svg_escape(&s, "a\xff" "b\x01" "c\nd\xEF\xBF\xBF" "e");
	assert_string_equal(s.buf, "a\xEF\xBF\xBD" "b c d\xEF\xBF\xBD" "e");
	sbuf_reset(&s);
	svg_escape(&s, NULL);
	assert_string_equal(s.buf, "");
	sbuf_release(&s);
}

/* ---- run chart ---- */

static const double shift_y[24] = { 41, 38, 42, 40, 39, 43, 37, 41, 40, 42, 38, 39,
				    27, 29, 30, 26, 28, 31, 27, 29, 28, 26, 30, 27 };
static const double stable_y[24] = { 34, 37, 39, 36, 31, 30, 33, 38, 40, 35, 29, 32,
				     36, 41, 38, 33, 30, 34, 37, 36, 31, 29, 35, 39 };

static void test_runchart_shift(void **state)
{
	(void)state;
	runchart_result rc;
	svg_series s = { .n = 24, .y = shift_y, .first_month = "2023-01", .y_name = HOSTILE };
	sbuf out = SBUF_INIT;

	assert_int_equal(runchart_analyse(shift_y, 24, &rc), 0);
	assert_true(rc.signal_shift);
	svg_runchart(&out, NULL, &s, &rc, HOSTILE, "Avvik per m\xC3\xA5ned & " HOSTILE);

	xmlDocPtr doc = parse(&out);
	check_common(doc, HOSTILE);
	check_no_raw_script(&out);
	char *d = str(doc, "//s:desc");
	assert_string_equal(d, "Avvik per m\xC3\xA5ned & " HOSTILE);
	xmlFree(d);

	/* one marker per month, every one in a signalling run */
	assert_int_equal(count(doc, CLASS("pt")), 24);
	assert_int_equal(count(doc, CLASS("pt-run")), 24);
	assert_int_equal(count(doc, CLASS("pt-out")), 0);
	/* the run markers differ in shape, not colour alone */
	assert_int_equal(count(doc, "//s:path" "[contains(@class, 'pt-run')]"), 24);
	/* the median: a dashed line, drawn in the signal colour for too few
	 * crossings, and named with its value in the legend */
	assert_int_equal(count(doc, "//s:line[@class = 'median' and @stroke-dasharray]"), 1);
	assert_int_equal(count(doc, "//s:g[@class = 'legend']//s:text[starts-with(., 'Median 34')]"), 1);
	/* and at the line's right end, apart from the centre line's label */
	assert_int_equal(count(doc, "//s:text[@class = 'lbl-median' and starts-with(., 'Median 34')]"), 1);
	assert_int_equal(count(doc, "//s:text[contains(., 'for f\xC3\xA5 kryssinger')]"), 1);
	assert_int_equal(count(doc, "//s:text[starts-with(., 'Signal: serie over 8')]"), 1);
	/* month labels, thinned to every quarter (the line labels take the
	 * right margin) and calendar-aligned */
	assert_int_equal(count(doc, "//s:g[@class = 'x-labels']/s:text"), 8);
	assert_int_equal(count(doc, "//s:text[. = 'jan 23']"), 1);
	assert_int_equal(count(doc, "//s:text[. = 'okt 24']"), 1);
	assert_int_equal(count(doc, "//s:text[. = 'feb 23']"), 0);
	/* y axis from 0 in round steps */
	assert_int_equal(count(doc, "//s:text[. = '0']"), 1);
	assert_int_equal(count(doc, "//s:text[. = '10']"), 1);
	/* the hostile series name is legend text, escaped */
	assert_int_equal(count(doc, "//s:text[. = '" HOSTILE "']"), 1);

	xmlFreeDoc(doc);
	sbuf_release(&out);
}

static void test_runchart_stable_generated_desc(void **state)
{
	(void)state;
	runchart_result rc;
	svg_series s = { .n = 24, .y = stable_y, .first_month = "2023-07" };
	svg_opts o = { .decimal_comma = 1, .id = "fig 1<x>" };
	sbuf out = SBUF_INIT;

	assert_int_equal(runchart_analyse(stable_y, 24, &rc), 0);
	assert_false(rc.signal);
	svg_runchart(&out, &o, &s, &rc, "Avvik", NULL);

	xmlDocPtr doc = parse(&out);
	check_common(doc, "Avvik");
	assert_int_equal(count(doc, CLASS("pt")), 24);
	assert_int_equal(count(doc, CLASS("pt-run")), 0);
	assert_int_equal(count(doc, "//s:circle[@class = 'pt']"), 24);
	assert_int_equal(count(doc, "//s:line[@class = 'median']"), 1);
	/* the caller's id, made safe */
	char *tid = str(doc, "//s:title/@id");
	assert_string_equal(tid, "fig_1_x_-title");
	xmlFree(tid);
	/* the generated text alternative names the period and the analysis */
	char *d = str(doc, "//s:desc");
	assert_non_null(strstr(d, "24 punkter (jul 23 \xE2\x80\x93 jun 25)"));
	assert_non_null(strstr(d, "Median 35."));
	assert_non_null(strstr(d, "Lengste serie 3 punkter (signal over 7)."));
	assert_non_null(strstr(d, "Antall kryssinger 9 (signal under 7)."));
	assert_non_null(strstr(d, "Ingen tegn"));
	xmlFree(d);
	xmlFreeDoc(doc);
	sbuf_release(&out);
}

static void test_runchart_limits(void **state)
{
	(void)state;
	static const double y[] = { 35, 41, 30, 28, 39, 60, 33, 29, 37, 36, 32, 4 };
	ctrlchart cc;
	runchart_result rc;
	svg_opts o = { .decimal_comma = 1, .width = 600, .height = 280 };
	sbuf out = SBUF_INIT;

	assert_int_equal(ctrlchart_c(y, N_OF(y), CTRL_LANEY_NO, &cc), 0);
	assert_int_equal(cc.n_outside, 2);
	assert_int_equal(runchart_analyse(y, N_OF(y), &rc), 0);
	svg_series s = { .n = N_OF(y), .y = y, .first_month = "2024-01", .limits = &cc };
	svg_runchart(&out, &o, &s, &rc, "c-diagram", NULL);

	xmlDocPtr doc = parse(&out);
	check_common(doc, "c-diagram");
	char *w = str(doc, "/s:svg/@viewBox");
	assert_string_equal(w, "0 0 600 280");
	xmlFree(w);
	assert_int_equal(count(doc, CLASS("pt")), 12);
	/* outside: diamond (a path), with the value as a label */
	assert_int_equal(count(doc, "//s:path[contains(@class, 'pt-out')]"), 2);
	assert_int_equal(count(doc, "//s:text[@class = 'lbl-out']"), 2);
	assert_int_equal(count(doc, "//s:text[@class = 'lbl-out' and . = '60']"), 1);
	assert_int_equal(count(doc, "//s:text[@class = 'lbl-out' and . = '4']"), 1);
	assert_int_equal(count(doc, "//s:line[@class = 'cl']"), 1);
	assert_int_equal(count(doc, "//s:path[@class = 'ucl']"), 1);
	assert_int_equal(count(doc, "//s:path[@class = 'lcl']"), 1);
	assert_int_equal(count(doc, "//s:line[@class = 'median']"), 1);
	/* constant limits in the legend with a decimal comma: 404 / 12 +- 3 sqrt(404 / 12)
	 * = 16.26 and 51.07 */
	assert_int_equal(count(doc, "//s:text[. = 'Kontrollgrenser 16,3\xE2\x80\x93" "51,1']"), 1);
	char *d = str(doc, "//s:desc");
	assert_non_null(strstr(d, "2 punkter utenfor"));
	xmlFree(d);
	/* the median (34) and the centre line (33.7) nearly coincide: their
	 * labels at the right end are a line apart and name each */
	char *ym = str(doc, "//s:text[@class = 'lbl-median']/@y"), *yc = str(doc, "//s:text[@class = 'lbl-cl']/@y");
	assert_true(fabs(atof(ym) - atof(yc)) >= 12);
	xmlFree(ym);
	xmlFree(yc);
	assert_int_equal(count(doc, "//s:text[@class = 'lbl-median' and . = 'Median 34']"), 1);
	assert_int_equal(count(doc, "//s:text[@class = 'lbl-cl' and . = 'Snitt 33,7']"), 1);
	xmlFreeDoc(doc);

	/* --lang en: the chart's own words are English too */
	o.en = 1;
	sbuf_reset(&out);
	svg_runchart(&out, &o, &s, &rc, "c chart", NULL);
	doc = parse(&out);
	assert_int_equal(count(doc, "//s:text[starts-with(., 'Control limits')]"), 1);
	assert_int_equal(count(doc, "//s:text[@class = 'lbl-cl' and starts-with(., 'Mean ')]"), 1);
	assert_int_equal(count(doc, "//s:text[. = 'Jan 24']"), 1);
	assert_int_equal(count(doc, "//s:text[contains(., 'Kontroll') or contains(., 'Antall') or contains(., 'Snitt')]"), 0);
	d = str(doc, "//s:desc");
	assert_non_null(strstr(d, "2 points outside"));
	xmlFree(d);
	xmlFreeDoc(doc);
	sbuf_release(&out);
	ctrlchart_clear(&cc);
}

static void test_runchart_many_months_and_gaps(void **state)
{
	(void)state;
	double y[60];
	runchart_result rc;
	sbuf out = SBUF_INIT;

	for (size_t i = 0; i < 60; i++)
		y[i] = 20 + (double)((i * 7) % 11);
	y[10] = NAN;                       /* a missing month: no marker, a gap */
	assert_int_equal(runchart_analyse(y, 60, &rc), 0);
	svg_series s = { .n = 60, .y = y, .first_month = "2020-01" };
	svg_runchart(&out, NULL, &s, &rc, "Fem \xC3\xA5r", NULL);

	xmlDocPtr doc = parse(&out);
	check_common(doc, "Fem \xC3\xA5r");
	assert_int_equal(count(doc, CLASS("pt")), 59);
	/* thinned to jan and jul */
	assert_int_equal(count(doc, "//s:g[@class = 'x-labels']/s:text"), 10);
	assert_int_equal(count(doc, "//s:text[. = 'jul 23']"), 1);
	assert_int_equal(count(doc, "//s:text[. = 'apr 23']"), 0);
	/* the line restarts after the gap */
	char *d = str(doc, "//s:path[@class = 'series']/@d");
	assert_int_equal(d[0], 'M');
	assert_non_null(strchr(d + 1, 'M'));
	xmlFree(d);
	xmlFreeDoc(doc);
	sbuf_release(&out);
}

static void fmt_pct(sbuf *out, double v, void *ctx)
{
	(void)ctx;
	svg_fmt_number(out, v, 1, 1);
	sbuf_adds(out, "\xC2\xA0%");
}

static void test_runchart_custom_labels_and_fmt(void **state)
{
	(void)state;
	static const double y[] = { 12.5, 14, 11.25, 13 };
	static const char *const lab[] = { "Q1 <2024>", "Q2 & co", "Q3 \"x\"", "Q4 'y'" };
	runchart_result rc;
	svg_opts o = { .fmt = fmt_pct };
	sbuf out = SBUF_INIT;

	assert_int_equal(runchart_analyse(y, 4, &rc), 0);
	svg_series s = { .n = 4, .y = y, .x_labels = lab };
	svg_runchart(&out, &o, &s, &rc, "Andel", NULL);
	xmlDocPtr doc = parse(&out);
	check_common(doc, "Andel");
	assert_int_equal(count(doc, CLASS("pt")), 4);
	assert_int_equal(count(doc, "//s:text[. = 'Q1 <2024>']"), 1);
	assert_int_equal(count(doc, "//s:text[. = 'Q2 & co']"), 1);
	assert_int_equal(count(doc, "//s:text[. = 'Q3 \"x\"']"), 1);
	assert_int_equal(count(doc, "//s:text[. = \"Q4 'y'\"]"), 1);
	/* median 12.75 through the caller's formatter */
	assert_int_equal(count(doc, "//s:g[@class = 'legend']//s:text[. = 'Median 12,8\xC2\xA0%']"), 1);
	xmlFreeDoc(doc);
	sbuf_release(&out);
}

static void test_empty_charts(void **state)
{
	(void)state;
	sbuf out = SBUF_INIT;
	runchart_result rc;
	svg_series s = { .n = 0, .y = NULL, .first_month = "2024-01" };

	assert_int_equal(runchart_analyse(NULL, 0, &rc), 0);
	svg_runchart(&out, NULL, &s, &rc, NULL, NULL);
	xmlDocPtr doc = parse(&out);
	check_common(doc, "Diagram");
	assert_int_equal(count(doc, CLASS("pt")), 0);
	assert_int_equal(count(doc, "//s:text[. = 'Ingen data']"), 1);
	xmlFreeDoc(doc);

	sbuf_reset(&out);
	svg_pareto(&out, NULL, NULL, NULL, 0, "Tom", NULL);
	doc = parse(&out);
	check_common(doc, "Tom");
	assert_int_equal(count(doc, CLASS("bar")), 0);
	xmlFreeDoc(doc);

	sbuf_reset(&out);
	svg_hbars(&out, NULL, NULL, NULL, 0, NULL, "Tom", NULL);
	doc = parse(&out);
	check_common(doc, "Tom");
	xmlFreeDoc(doc);
	sbuf_release(&out);
}

/* ---- Pareto ---- */

static void test_pareto(void **state)
{
	(void)state;
	static const char *const lab[] = { "Legemidler", HOSTILE, "Utskrivning/epikrise",
					   "Kommunikasjon og samhandling mellom nivåene",
					   "\xC3\x98vrig" };
	static const long cnt[] = { 40, 41, 95, 60, 12 };
	sbuf out = SBUF_INIT;

	svg_pareto(&out, NULL, lab, cnt, 5, "Kategorier 2024", NULL);
	xmlDocPtr doc = parse(&out);
	check_common(doc, "Kategorier 2024");
	check_no_raw_script(&out);

	assert_int_equal(count(doc, "//s:rect[@class = 'bar']"), 5);
	/* sorted: 95 60 41 40 12 */
	/* long labels are broken onto two lines, not cut */
	static const char *const want[] = { "Utskrivning/epikrise", "Kommunikasjon og samhandling mellom nivåene",
					    HOSTILE, "Legemidler", "\xC3\x98vrig" };
	static const char *const vals[] = { "95", "60", "41", "40", "12" };
	for (int i = 0; i < 5; i++) {
		sbuf q = SBUF_INIT;
		sbuf_addf(&q, "(//s:g[@class = 'x-labels']/s:text)[%d]", i + 1);
		char *t = str(doc, q.buf);
		assert_string_equal(t, want[i]);
		xmlFree(t);
		sbuf_reset(&q);
		sbuf_addf(&q, "(//s:text[@class = 'bar-value'])[%d]", i + 1);
		t = str(doc, q.buf);
		assert_string_equal(t, vals[i]);
		xmlFree(t);
		sbuf_release(&q);
	}
	/* bars descend: each at least as tall as the next */
	double prev = 1e9;
	for (int i = 0; i < 5; i++) {
		sbuf q = SBUF_INIT;
		sbuf_addf(&q, "(//s:rect[@class = 'bar'])[%d]/@height", i + 1);
		char *h = str(doc, q.buf);
		double v = strtod(h, NULL);
		assert_true(v <= prev);
		prev = v;
		xmlFree(h);
		sbuf_release(&q);
	}
	/* the cumulative line ends at 100 %, on a right-hand 0-100 % axis */
	assert_int_equal(count(doc, "//s:path[@class = 'cumulative']"), 1);
	assert_int_equal(count(doc, "//*[@class = 'cum-pt']"), 5);
	assert_int_equal(count(doc, "//s:g[@class = 'axis-pct']/s:text"), 6);
	assert_int_equal(count(doc, "//s:text[. = '100\xC2\xA0%']"), 1);
	/* the last cumulative point sits at the 100 % tick */
	char *cy = str(doc, "(//*[@class = 'cum-pt'])[5]/@cy");
	char *ty = str(doc, "//s:g[@class = 'axis-pct']/s:text[. = '100\xC2\xA0%']/@y");
	assert_true(fabs(strtod(cy, NULL) + 4 - strtod(ty, NULL)) < 0.11);
	xmlFree(cy);
	xmlFree(ty);
	/* generated text alternative: the top categories with shares */
	char *d = str(doc, "//s:desc");
	assert_non_null(strstr(d, "5 kategorier, til sammen 248."));
	assert_non_null(strstr(d, "St\xC3\xB8rst: Utskrivning/epikrise 95 (38 %)."));
	xmlFree(d);
	xmlFreeDoc(doc);
	sbuf_release(&out);
}

/* ---- horizontal bars ---- */

static void test_hbars(void **state)
{
	(void)state;
	static const char *const lab[] = { "kommune\xE2\x86\x92unn", "fastlege\xE2\x86\x92unn",
					   "unn\xE2\x86\x92kommune", HOSTILE };
	static const double val[] = { 48.25, 21.5, 30, 0.25 };
	svg_opts o = { .decimal_comma = 1 };
	sbuf out = SBUF_INIT;

	svg_hbars(&out, &o, lab, val, 4, "\xC2\xA0%", "Retning", NULL);
	xmlDocPtr doc = parse(&out);
	check_common(doc, "Retning");
	check_no_raw_script(&out);
	assert_int_equal(count(doc, "//s:rect[@class = 'bar']"), 4);
	assert_int_equal(count(doc, "//s:text[. = 'kommune\xE2\x86\x92unn']"), 1);
	assert_int_equal(count(doc, "//s:text[. = '48,3\xC2\xA0%']"), 1);
	assert_int_equal(count(doc, "//s:text[. = '21,5\xC2\xA0%']"), 1);
	assert_int_equal(count(doc, "//s:text[. = '30\xC2\xA0%']"), 1);
	assert_int_equal(count(doc, "//s:text[. = '0,250\xC2\xA0%']"), 1);
	/* bar lengths in proportion */
	char *a = str(doc, "(//s:rect[@class = 'bar'])[1]/@width");
	char *b = str(doc, "(//s:rect[@class = 'bar'])[3]/@width");
	assert_true(fabs(strtod(b, NULL) / strtod(a, NULL) - 30 / 48.25) < 0.01);
	xmlFree(a);
	xmlFree(b);
	/* the default height grows with the rows */
	char *vb = str(doc, "/s:svg/@viewBox");
	assert_string_equal(vb, "0 0 720 112");
	xmlFree(vb);
	xmlFreeDoc(doc);
	sbuf_release(&out);
}

/* distinct charts get distinct default ids, the same chart the same id */
static void test_default_ids(void **state)
{
	(void)state;
	static const long cnt[] = { 3, 2 };
	static const char *const lab[] = { "a", "b" };
	sbuf a = SBUF_INIT, b = SBUF_INIT, c = SBUF_INIT;

	svg_pareto(&a, NULL, lab, cnt, 2, "En", NULL);
	svg_pareto(&b, NULL, lab, cnt, 2, "To", NULL);
	svg_pareto(&c, NULL, lab, cnt, 2, "En", NULL);
	xmlDocPtr da = parse(&a), db = parse(&b);
	char *ia = str(da, "//s:title/@id"), *ib = str(db, "//s:title/@id");
	assert_string_not_equal(ia, ib);
	assert_string_equal(a.buf, c.buf);
	xmlFree(ia);
	xmlFree(ib);
	xmlFreeDoc(da);
	xmlFreeDoc(db);
	sbuf_release(&a);
	sbuf_release(&b);
	sbuf_release(&c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_fmt_number),
		cmocka_unit_test(test_escape),
		cmocka_unit_test(test_runchart_shift),
		cmocka_unit_test(test_runchart_stable_generated_desc),
		cmocka_unit_test(test_runchart_limits),
		cmocka_unit_test(test_runchart_many_months_and_gaps),
		cmocka_unit_test(test_runchart_custom_labels_and_fmt),
		cmocka_unit_test(test_empty_charts),
		cmocka_unit_test(test_pareto),
		cmocka_unit_test(test_hbars),
		cmocka_unit_test(test_default_ids),
	};
	int rc;

	LIBXML_TEST_VERSION
	rc = cmocka_run_group_tests_name("svg", tests, NULL, NULL);
	xmlCleanupParser();
	return rc;
}
