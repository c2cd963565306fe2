/*
 * test_classify.c - the rule language and matcher: Unicode patterns and word
 * boundaries, all/any/not/near, priority and ties, tags, the annet fallback,
 * the matches JSON, load errors with positions, and every embedded example
 * of the shipped rule set.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "classify/classify.h"
#include "test_util.h"

static char tmpdir[64];

/* A rules dir with the shipped categories, a tiny registry and one rule
 * file of the test's own. */
static int setup(void **state)
{
	(void)state;
	return rules_dir_setup(tmpdir, sizeof tmpdir, "/tmp/avvik-classify-XXXXXX");
}

static int teardown(void **state)
{
	(void)state;
	return rm_rf(tmpdir);
}

static void write_rules(const char *text)
{
	write_file_in(tmpdir, "rules/test.yaml", text);
}

static classify_rules *load(const char *text)
{
	classify_rules *r = NULL;
	sbuf err = SBUF_INIT;

	write_rules(text);
	if (classify_rules_load_dir(&r, tmpdir, &err))
		fail_msg("load failed: %s", err.buf);
	sbuf_release(&err);
	return r;
}

/* Loading must fail with an error containing want ("test.yaml:L:C: ..."). */
static void load_fails(const char *text, const char *want)
{
	classify_rules *r = NULL;
	sbuf err = SBUF_INIT;

	write_rules(text);
	if (!classify_rules_load_dir(&r, tmpdir, &err)) {
		classify_rules_free(r);
		fail_msg("load succeeded, expected '%s'", want);
	}
	assert_null(r);
	if (!strstr(err.buf, want))
		fail_msg("expected '%s' in: %s", want, err.buf);
	sbuf_release(&err);
}

static void run(const classify_rules *r, const char *text, const char *subject, const char *reporter,
		const char *reporter_type, avvik_class *c)
{
	avvik_record rec;

	avvik_record_init(&rec);
	rec.text = xstrdup(text);
	rec.subject = xstrdup(subject);
	rec.reporter.name = xstrdup(reporter);
	rec.reporter.type_hint = xstrdup(reporter_type);
	avvik_class_init(c);
	classify_record(r, &rec, c);
	avvik_record_clear(&rec);
}

static const char *cat_of(const classify_rules *r, const char *text)
{
	static char buf[64];
	avvik_class c;

	run(r, text, NULL, NULL, NULL, &c);
	snprintf(buf, sizeof buf, "%s", c.category);
	avvik_class_clear(&c);
	return buf;
}

static void test_unicode_word_boundaries(void **state)
{
	classify_rules *r;

	(void)state;
	r = load("rules:\n"
		 "  - id: aer\n"
		 "    category: dialog\n"
		 "    when: { text: '\\bær\\b' }\n"
		 "  - id: mote\n"
		 "    category: henvisning\n"
		 "    when: { text: '\\bmøte\\w*' }\n"
		 "  - id: blabaer\n"
		 "    category: faktura\n"
		 "    when: { text: '^\\w+$' }\n");
	/* "særlig" holds "ær" inside a word: no match */
	assert_string_equal(cat_of(r, "Dette er særlig viktig."), "annet");
	assert_string_equal(cat_of(r, "Det ær ikkje greitt."), "dialog");
	assert_string_equal(cat_of(r, "DET ÆR IKKJE GREITT."), "dialog");
	/* \w covers æ ø å, case-insensitively */
	assert_string_equal(cat_of(r, "Referat fra MØTET i går."), "henvisning");
	assert_string_equal(cat_of(r, "Samarbeidsmøtet ble avlyst."), "annet");
	assert_string_equal(cat_of(r, "blåbærsyltetøy"), "faktura");
	classify_rules_free(r);
}

static void test_boolean_nesting(void **state)
{
	classify_rules *r;

	(void)state;
	r = load("rules:\n"
		 "  - id: epi\n"
		 "    category: epikrise\n"
		 "    when:\n"
		 "      all:\n"
		 "        - text: '\\bepikris\\w*'\n"
		 "        - any:\n"
		 "            - text: 'mangl\\w*|ikke (mottatt|kommet)'\n"
		 "            - subject: 'forsink'\n"
		 "        - not: { text: 'epikrise (er )?mottatt' }\n"
		 "        - not:\n"
		 "            - reporter_type: unn\n"
		 "            - text: 'testpasient'\n");
	assert_string_equal(cat_of(r, "Epikrisen mangler."), "epikrise");
	assert_string_equal(cat_of(r, "Epikrisen er ikke kommet."), "epikrise");
	assert_string_equal(cat_of(r, "Epikrisen kom."), "annet");
	/* "not" excludes */
	assert_string_equal(cat_of(r, "Epikrise mottatt, men listen mangler."), "annet");
	assert_string_equal(cat_of(r, "Epikrisen til testpasient mangler."), "annet");
	{
		avvik_class c;
		run(r, "Epikrisen kom.", "Forsinket", NULL, NULL, &c);
		assert_string_equal(c.category, "epikrise");
		avvik_class_clear(&c);
		run(r, "Epikrisen mangler.", NULL, NULL, "unn", &c);
		assert_string_equal(c.category, "annet");
		assert_int_equal(c.reporter_type, ORG_TYPE_UNN);
		avvik_class_clear(&c);
	}
	classify_rules_free(r);
}

static void test_types_and_orgs(void **state)
{
	classify_rules *r;
	avvik_class c;

	(void)state;
	r = load("rules:\n"
		 "  - id: fra-kommune\n"
		 "    category: dialog\n"
		 "    when: { text: 'svar', reporter_type: [kommune, fastlege] }\n"
		 "  - id: fra-unn\n"
		 "    category: henvisning\n"
		 "    when: { text: 'svar', reporter: '^UNN\\b' }\n");
	run(r, "Ikke svar.", NULL, "Tromsø kommune", NULL, &c);
	assert_string_equal(c.category, "dialog");
	avvik_class_clear(&c);
	run(r, "Ikke svar.", NULL, "Storgata legekontor", NULL, &c);
	assert_string_equal(c.category, "dialog");
	assert_int_equal(c.reporter_type, ORG_TYPE_FASTLEGE);
	avvik_class_clear(&c);
	run(r, "Ikke svar.", NULL, "UNN Tromsø", NULL, &c);
	assert_string_equal(c.category, "henvisning");
	avvik_class_clear(&c);
	run(r, "Ikke svar.", NULL, "Ukjent sted", NULL, &c);
	assert_string_equal(c.category, "annet");
	avvik_class_clear(&c);
	classify_rules_free(r);
}

static void test_near(void **state)
{
	classify_rules *r;

	(void)state;
	r = load("rules:\n"
		 "  - id: n\n"
		 "    category: epikrise\n"
		 "    when:\n"
		 "      near: { a: '\\bepikris\\w*', b: '\\bmangl\\w*', within: 3 }\n"
		 "  - id: o\n"
		 "    category: legemidler\n"
		 "    when:\n"
		 "      near: { a: '\\bliste\\w*', b: '\\bfeil\\w*', within: 2, ordered: true, field: any_text }\n");
	assert_string_equal(cat_of(r, "Epikrisen fra oppholdet manglet."), "epikrise");
	assert_string_equal(cat_of(r, "Det manglet epikrise."), "epikrise");
	/* four words between: too far */
	assert_string_equal(cat_of(r, "Epikrisen fra det lange oppholdet manglet."), "annet");
	/* a clause ends between them */
	assert_string_equal(cat_of(r, "Epikrise mottatt, men rapporten manglet."), "annet");
	assert_string_equal(cat_of(r, "Epikrise mottatt.Manglet rapport."), "annet");
	/* a date's dot ends nothing */
	assert_string_equal(cat_of(r, "Epikrise 12.03 manglet."), "epikrise");
	assert_string_equal(cat_of(r, "Listen var feil."), "legemidler");
	assert_string_equal(cat_of(r, "Feil i listen."), "annet");
	classify_rules_free(r);
}

static void test_priority_tags_matches(void **state)
{
	classify_rules *r;
	avvik_class c;

	(void)state;
	r = load("rules:\n"
		 "  - id: lav\n"
		 "    category: dialog\n"
		 "    tags: [zeta, ta3]\n"
		 "    when: { text: 'mangler' }\n"
		 "  - id: hoy\n"
		 "    category: legemidler\n"
		 "    priority: 70\n"
		 "    when: { text: 'legemiddellisten' }\n"
		 "  - id: lik-a\n"
		 "    category: epikrise\n"
		 "    priority: 80\n"
		 "    tags: [ta3]\n"
		 "    when: { text: 'epikrise' }\n"
		 "  - id: lik-b\n"
		 "    category: provesvar\n"
		 "    priority: 80\n"
		 "    when: { text: 'prøvesvar' }\n"
		 "  - id: bare-tagg\n"
		 "    tags: [alfa]\n"
		 "    when: { any_text: 'æ' }\n");
	run(r, "Legemiddellisten mangler.", NULL, NULL, NULL, &c);
	assert_string_equal(c.category, "legemidler");
	assert_string_equal(c.tags, "ta3,zeta");
	assert_non_null(strstr(c.why, "hoy"));
	assert_string_equal(c.matches,
			    "[{\"rule\":\"lav\",\"priority\":50,\"field\":\"text\",\"excerpt\":\"Legemiddellisten mangler.\"},"
			    "{\"rule\":\"hoy\",\"priority\":70,\"field\":\"text\",\"excerpt\":\"Legemiddellisten mangler.\"}]");
	avvik_class_clear(&c);
	/* equal priority: the rule defined first wins, and why says so */
	run(r, "Prøvesvar og epikrise mangler, særlig.", NULL, NULL, NULL, &c);
	assert_string_equal(c.category, "epikrise");
	assert_non_null(strstr(c.why, "tie"));
	assert_non_null(strstr(c.why, "lik-b"));
	assert_string_equal(c.tags, "alfa,ta3,zeta");
	avvik_class_clear(&c);
	/* nothing matches: annet, empty tags and matches */
	run(r, "Alt gikk bra.", NULL, NULL, NULL, &c);
	assert_string_equal(c.category, "annet");
	assert_string_equal(c.tags, "");
	assert_string_equal(c.matches, "[]");
	assert_non_null(strstr(c.why, "annet"));
	avvik_class_clear(&c);
	classify_rules_free(r);
}

/* The excerpt is at most ~60 bytes, cut on UTF-8 boundaries, and valid JSON. */
static void test_excerpt(void **state)
{
	classify_rules *r;
	avvik_class c;
	const char *ex, *end;

	(void)state;
	r = load("rules:\n"
		 "  - id: e\n"
		 "    category: epikrise\n"
		 "    when: { text: 'epikrisen' }\n");
	run(r, "Første linje om pårørende og øvrige forhold på avdelingen før jul. Så: epikrisen er fortsatt "
	       "ikke mottatt, og vi har ringt både søndag og mandag uten å få svar fra sykehuset \"i det hele tatt\".",
	    NULL, NULL, NULL, &c);
	ex = strstr(c.matches, "\"excerpt\":\"");
	assert_non_null(ex);
	ex += strlen("\"excerpt\":\"");
	end = strstr(ex, "\"}");
	assert_non_null(end);
	assert_true(end - ex <= 64);
	assert_non_null(strstr(ex, "epikrisen er fortsatt"));
	assert_true(utf8_valid(c.matches, strlen(c.matches)));
	avvik_class_clear(&c);
	classify_rules_free(r);
}

static void test_load_errors(void **state)
{
	(void)state;
	load_fails("rules:\n  - id: a\n    category: epikrise\n    when: { text: 'x' \n",
		   "test.yaml:5:1: YAML syntax error");
	load_fails("rules:\n  - id: a\n    category: epikrise\n    prority: 60\n    when: { text: 'x' }\n",
		   "test.yaml:4:5: unknown key 'prority'");
	load_fails("rules:\n  - title: uten id\n    category: epikrise\n    when: { text: 'x' }\n",
		   "test.yaml:2:5: missing required key 'id'");
	load_fails("rules:\n  - id: a\n    category: epikrisen\n    when: { text: 'x' }\n",
		   "test.yaml:3:15: unknown category 'epikrisen'");
	load_fails("rules:\n  - id: a\n    category: epikrise\n    when:\n      all:\n        - text: 'epikris(e'\n",
		   "test.yaml:6:17: invalid regular expression");
	load_fails("rules:\n  - id: a\n    category: epikrise\n    when: { text: 'x' }\n"
		   "  - id: a\n    category: dialog\n    when: { text: 'y' }\n",
		   "test.yaml:5:9: duplicate rule id 'a' (first in");
	load_fails("rules:\n  - id: a\n    category: epikrise\n    when: { txt: 'x' }\n",
		   "test.yaml:4:13: unknown condition 'txt'");
	load_fails("rules:\n  - id: a\n    category: epikrise\n    when: { text: 'x', reporter_type: gp-kontor }\n",
		   "test.yaml:4:39: unknown organisation type 'gp-kontor'");
	load_fails("rules:\n  - id: a\n    category: epikrise\n    priority: høy\n    when: { text: 'x' }\n",
		   "test.yaml:4:15: expected a priority");
	load_fails("rules:\n  - id: a\n    category: epikrise\n    when: { text: 'x' }\n"
		   "    examples:\n      - text: 'x'\n        expect: legemiddel\n",
		   "test.yaml:7:17: unknown category 'legemiddel'");
}

/* Every example embedded in the shipped rules passes. */
static void test_shipped_examples(void **state)
{
	classify_rules *r = NULL;
	sbuf dir = SBUF_INIT, err = SBUF_INIT;
	int total = 0, fails;
	size_t i;

	(void)state;
	sbuf_addf(&dir, "%s/rules", src_dir());
	if (classify_rules_load_dir(&r, dir.buf, &err))
		fail_msg("shipped rules: %s", err.buf);
	assert_string_equal(classify_rules_commit(r), "worktree");
	fails = classify_rules_test(r, stderr, &total);
	assert_int_equal(fails, 0);
	assert_true(total >= 3 * 11);
	assert_int_equal(classify_category_count(r), 12);
	for (i = 0; i < classify_category_count(r); i++)
		assert_non_null(classify_category_label(r, classify_category_code(r, i)));
	assert_int_equal(classify_category_counted(r, "faktura"), 0);
	assert_int_equal(classify_category_counted(r, "epikrise"), 1);
	assert_string_equal(classify_category_label(r, "provesvar"), "Prøvesvar og oppfølging");
	classify_rules_free(r);
	sbuf_release(&dir);
	sbuf_release(&err);
}

/* classify_rules_test must be able to fail: a wrong expectation counts. */
static void test_examples_can_fail(void **state)
{
	classify_rules *r;
	int total = 0;
	FILE *out = tmpfile();

	(void)state;
	r = load("rules:\n"
		 "  - id: e\n"
		 "    category: epikrise\n"
		 "    when: { text: 'epikrise' }\n"
		 "    examples:\n"
		 "      - { text: 'epikrise mangler', expect: epikrise }\n"
		 "      - { text: 'epikrise mangler', expect: dialog }\n");
	assert_int_equal(classify_rules_test(r, out, &total), 1);
	assert_int_equal(total, 2);
	fclose(out);
	classify_rules_free(r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_unicode_word_boundaries),
		cmocka_unit_test(test_boolean_nesting),
		cmocka_unit_test(test_types_and_orgs),
		cmocka_unit_test(test_near),
		cmocka_unit_test(test_priority_tags_matches),
		cmocka_unit_test(test_excerpt),
		cmocka_unit_test(test_load_errors),
		cmocka_unit_test(test_shipped_examples),
		cmocka_unit_test(test_examples_can_fail),
	};

	return cmocka_run_group_tests_name("classify", tests, setup, teardown);
}
