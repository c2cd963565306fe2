/* test_core.c - the string buffer, UTF-8 folding, dates, periods, names. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>

#include "core/core.h"

static void test_sbuf_grows_and_formats(void **state)
{
	sbuf sb = SBUF_INIT;
	int i;

	(void)state;
	assert_string_equal(sb.buf, "");
	for (i = 0; i < 1000; i++)
		sbuf_addf(&sb, "%d,", i);
	assert_int_equal(sb.len, strlen(sb.buf));
	assert_memory_equal(sb.buf, "0,1,2,", 6);
	assert_string_equal(sb.buf + sb.len - 4, "999,");
	sbuf_reset(&sb);
	sbuf_adds(&sb, "  a \n\t b  ");
	sbuf_squeeze_space(&sb);
	assert_string_equal(sb.buf, "a b");
	sbuf_release(&sb);
}

static void test_sbuf_json_escapes(void **state)
{
	sbuf sb = SBUF_INIT;

	(void)state;
	sbuf_add_json_str(&sb, "a\"b\\c\nd\x01 æøå <script>");
	assert_string_equal(sb.buf, "\"a\\\"b\\\\c\\nd\\u0001 æøå <script>\"");
	sbuf_reset(&sb);
	sbuf_add_json_str(&sb, "bad \xff byte");
	assert_string_equal(sb.buf, "\"bad \xef\xbf\xbd byte\"");
	sbuf_reset(&sb);
	sbuf_add_json_str(&sb, NULL);
	assert_string_equal(sb.buf, "null");
	sbuf_release(&sb);
}

static void test_sbuf_csv(void **state)
{
	sbuf sb = SBUF_INIT;

	(void)state;
	sbuf_add_csv_field(&sb, "plain", ',');
	sbuf_addch(&sb, '|');
	sbuf_add_csv_field(&sb, "a,b \"q\"\nx", ',');
	assert_string_equal(sb.buf, "plain|\"a,b \"\"q\"\"\nx\"");
	sbuf_release(&sb);
}

/* OWASP CSV injection: a text a spreadsheet would run as a formula gets a
 * leading quote; other texts are left as they are. */
static void test_sbuf_csv_text(void **state)
{
	static const char *const in[] = { "=HYPERLINK(\"http://x\")", "+1", "-2+3", "@SUM(A1)", "\tx", "\rx",
					   "Epikrise", "", "a=b" };
	static const char *const want[] = { "\"'=HYPERLINK(\"\"http://x\"\")\"", "'+1", "'-2+3", "'@SUM(A1)",
					    "'\tx", "\"'\rx\"", "Epikrise", "", "a=b" };
	sbuf sb = SBUF_INIT;

	(void)state;
	for (size_t i = 0; i < sizeof in / sizeof in[0]; i++) {
		sbuf_reset(&sb);
		sbuf_add_csv_text(&sb, in[i], ';');
		assert_string_equal(sb.buf, want[i]);
	}
	sbuf_release(&sb);
}

static void fold_is(const char *in, const char *want)
{
	sbuf sb = SBUF_INIT;
	utf8_fold(&sb, in);
	assert_string_equal(sb.buf, want);
	sbuf_release(&sb);
}

static void test_utf8_fold(void **state)
{
	(void)state;
	fold_is("Gáivuotna – Kåfjord – Kaivuono", "gaivuotna kafjord kaivuono");
	fold_is("TROMSØ KOMMUNE", "tromso kommune");
	fold_is("Målselv", "malselv");
	fold_is("Kvæfjord", "kvaefjord");
	fold_is("Dielddanuorri", "dielddanuorri");
	fold_is("Evenášši", "evenassi");
	fold_is("Leaŋgaviika", "leangaviika");
	fold_is("  UNN  HF, (Breivika) ", "unn hf breivika");
}

static void test_utf8_valid_and_sanitize(void **state)
{
	sbuf sb = SBUF_INIT;

	(void)state;
	assert_true(utf8_valid("æøå", strlen("æøå")));
	assert_false(utf8_valid("\xe6\xf8\xe5", 3));   /* Latin-1 bytes */
	assert_false(utf8_valid("\xc0\xaf", 2));       /* overlong */
	assert_false(utf8_valid("\xed\xa0\x80", 3));   /* surrogate */
	assert_false(utf8_valid("\xe2\x82", 2));       /* truncated */
	utf8_sanitize(&sb, "a\x01" "b\xff", 4);
	assert_string_equal(sb.buf, "a b\xef\xbf\xbd");
	sbuf_release(&sb);
}

static void test_edit_distance(void **state)
{
	(void)state;
	assert_int_equal(text_edit_distance("kvaeningen", "kvaenangen", 2), 1);
	assert_int_equal(text_edit_distance("tromso", "tromso", 2), 0);
	assert_int_equal(text_edit_distance("narvik", "harstad", 2), 3);
}

static void date_is(const char *in, const char *want)
{
	sbuf sb = SBUF_INIT;
	int rc = date_normalize(in, &sb);
	if (want) {
		assert_int_equal(rc, 0);
		assert_string_equal(sb.buf, want);
	} else {
		assert_int_equal(rc, -1);
	}
	sbuf_release(&sb);
}

static void test_dates(void **state)
{
	(void)state;
	date_is("2024-03-05", "2024-03-05");
	date_is("2024-03-05T10:22", "2024-03-05T10:22:00");
	date_is("2024-03-05T10:22:33.123+01:00", "2024-03-05T10:22:33");
	date_is(" 2024-02-29 23:59:59Z ", "2024-02-29T23:59:59");
	date_is("05.03.2024", "2024-03-05");
	date_is("2023-02-29", NULL);
	date_is("31.02.2023", NULL);
	date_is("2024-13-01", NULL);
	date_is("2024-03-05T25:00", NULL);
	date_is("yesterday", NULL);
	date_is("", NULL);
}

static void test_periods(void **state)
{
	period p;
	sbuf err = SBUF_INIT;

	(void)state;
	assert_int_equal(period_parse("2024", &p, &err), 0);
	assert_string_equal(p.start, "2024-01-01");
	assert_string_equal(p.end, "2025-01-01");
	assert_int_equal(p.months, 12);
	assert_int_equal(period_parse("2024-Q4", &p, &err), 0);
	assert_string_equal(p.start, "2024-10-01");
	assert_string_equal(p.end, "2025-01-01");
	assert_int_equal(p.months, 3);
	assert_int_equal(period_parse("2024-07", &p, &err), 0);
	assert_string_equal(p.end, "2024-08-01");
	assert_int_equal(period_parse("2024-01..2024-06", &p, &err), 0);
	assert_string_equal(p.start, "2024-01-01");
	assert_string_equal(p.end, "2024-07-01");
	assert_int_equal(p.months, 6);
	assert_int_equal(period_parse("2023..2024-Q1", &p, &err), 0);
	assert_int_equal(p.months, 15);
	assert_int_equal(period_parse("2024-Q5", &p, &err), -1);
	assert_non_null(strstr(err.buf, "2024-Q5"));
	sbuf_reset(&err);
	assert_int_equal(period_parse("2024-06..2024-01", &p, &err), -1);
	assert_non_null(strstr(err.buf, "ends before"));
	sbuf_release(&err);
}

static void test_directions(void **state)
{
	direction d;

	(void)state;
	assert_int_equal(direction_parse("kommune→unn", &d), 0);
	assert_int_equal(d, DIR_KOMMUNE_UNN);
	assert_int_equal(direction_parse("unn-fastlege", &d), 0);
	assert_int_equal(d, DIR_UNN_FASTLEGE);
	assert_int_equal(direction_parse("Fastlege->Kommune", &d), 0);
	assert_int_equal(d, DIR_FASTLEGE_KOMMUNE);
	assert_int_equal(direction_parse("sideways", &d), -1);
	assert_int_equal(direction_from_types(ORG_TYPE_KOMMUNE, ORG_TYPE_UNN), DIR_KOMMUNE_UNN);
	assert_int_equal(direction_from_types(ORG_TYPE_UNN, ORG_TYPE_FASTLEGE), DIR_UNN_FASTLEGE);
	assert_int_equal(direction_from_types(ORG_TYPE_UNKNOWN, ORG_TYPE_UNN), DIR_UKJENT);
	assert_int_equal(direction_from_types(ORG_TYPE_OTHER, ORG_TYPE_UNN), DIR_ANNEN);
	assert_string_equal(direction_name(DIR_UNN_KOMMUNE), "unn→kommune");
}

static void test_record_canonical_ignores_route(void **state)
{
	avvik_record a, b;
	sbuf ca = SBUF_INIT, cb = SBUF_INIT;

	(void)state;
	avvik_record_init(&a);
	avvik_record_init(&b);
	a.ext_id = xstrdup("X1");
	b.ext_id = xstrdup("X1");
	a.text = xstrdup("Epikrise mangler");
	b.text = xstrdup("Epikrise mangler");
	a.source = xstrdup("imap");
	b.source = xstrdup("dir");
	avvik_record_canonical(&a, &ca);
	avvik_record_canonical(&b, &cb);
	assert_string_equal(ca.buf, cb.buf);
	free(b.text);
	b.text = xstrdup("Epikrise mangler.");
	sbuf_reset(&cb);
	avvik_record_canonical(&b, &cb);
	assert_string_not_equal(ca.buf, cb.buf);
	avvik_record_clear(&a);
	avvik_record_clear(&b);
	sbuf_release(&ca);
	sbuf_release(&cb);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_sbuf_grows_and_formats),
		cmocka_unit_test(test_sbuf_json_escapes),
		cmocka_unit_test(test_sbuf_csv),
		cmocka_unit_test(test_sbuf_csv_text),
		cmocka_unit_test(test_utf8_fold),
		cmocka_unit_test(test_utf8_valid_and_sanitize),
		cmocka_unit_test(test_edit_distance),
		cmocka_unit_test(test_dates),
		cmocka_unit_test(test_periods),
		cmocka_unit_test(test_directions),
		cmocka_unit_test(test_record_canonical_ignores_route),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
