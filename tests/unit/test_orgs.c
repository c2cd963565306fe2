/*
 * test_orgs.c - organisation resolution: identifiers, each alias kind,
 * folding, edit distance, n-grams, sites, fastlege detection, unresolved.
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

static classify_rules *shipped;

static int setup(void **state)
{
	sbuf dir = SBUF_INIT, err = SBUF_INIT;
	int rc;

	(void)state;
	sbuf_addf(&dir, "%s/rules", src_dir());
	rc = classify_rules_load_dir(&shipped, dir.buf, &err);
	if (rc)
		fprintf(stderr, "load: %s\n", err.buf);
	sbuf_release(&dir);
	sbuf_release(&err);
	return rc;
}

static int teardown(void **state)
{
	(void)state;
	classify_rules_free(shipped);
	return 0;
}

/* Resolves and checks id (NULL = unresolved), type and how. */
static void check(const classify_rules *r, const char *name, const char *unit, const char *her, const char *orgnr,
		  const char *hint, const char *want_id, org_type want_type, const char *want_how)
{
	avvik_party p;
	classify_org o;

	memset(&p, 0, sizeof p);
	p.name = (char *)name;
	p.unit = (char *)unit;
	p.her_id = (char *)her;
	p.org_nr = (char *)orgnr;
	p.type_hint = (char *)hint;
	classify_org_resolve(r, &p, &o);
	if (want_id) {
		if (!o.id || strcmp(o.id, want_id))
			fail_msg("'%s' | '%s': expected %s, got %s (%s)", name ? name : "", unit ? unit : "", want_id,
				 o.id ? o.id : "NULL", o.how);
	} else if (o.id) {
		fail_msg("'%s': expected unresolved, got %s (%s)", name ? name : "", o.id, o.how);
	}
	if (o.type != want_type)
		fail_msg("'%s': expected type %s, got %s", name ? name : "", org_type_name(want_type),
			 org_type_name(o.type));
	assert_string_equal(o.how, want_how);
	classify_org_clear(&o);
}

static void test_identifiers(void **state)
{
	(void)state;
	check(shipped, NULL, NULL, NULL, "983974899", NULL, "unn", ORG_TYPE_UNN, "orgnr");
	/* a site's own org.nr resolves to the site, spaces and MVA tolerated */
	check(shipped, "Universitetssykehuset", NULL, NULL, "NO 974 795 396 MVA", NULL, "unn-narvik", ORG_TYPE_UNN, "orgnr");
	check(shipped, NULL, NULL, NULL, "940101808", NULL, "tromso", ORG_TYPE_KOMMUNE, "orgnr");
	/* an unknown org.nr falls through to the name */
	check(shipped, "Harstad kommune", NULL, NULL, "999999999", NULL, "harstad", ORG_TYPE_KOMMUNE, "alias");
	/* all three generations of kommunenummer */
	check(shipped, "5501", NULL, NULL, NULL, NULL, "tromso", ORG_TYPE_KOMMUNE, "kommunenr");
	check(shipped, "5401", NULL, NULL, NULL, NULL, "tromso", ORG_TYPE_KOMMUNE, "kommunenr");
	check(shipped, "1929", NULL, NULL, NULL, NULL, "senja", ORG_TYPE_KOMMUNE, "kommunenr");
	check(shipped, "postmottak@tromso.kommune.no", NULL, NULL, NULL, NULL, "tromso", ORG_TYPE_KOMMUNE, "domain");
	check(shipped, "ola.nordmann@unn.no", NULL, NULL, NULL, NULL, "unn", ORG_TYPE_UNN, "domain");
}

/* HER-ids are not public, so the shipped registry has none: a registry of
 * our own holds one. */
static void test_her_id(void **state)
{
	char tmpl[] = "/tmp/avvik-orgs-XXXXXX";
	char *dir = mkdtemp(tmpl);
	sbuf path = SBUF_INIT, err = SBUF_INIT;
	classify_rules *r = NULL;
	FILE *f;

	(void)state;
	assert_non_null(dir);
	assert_int_equal(copy_categories(dir), 0);
	sbuf_addf(&path, "%s/orgs.yaml", dir);
	f = fopen(path.buf, "w");
	assert_non_null(f);
	fputs("orgs:\n"
	      "  - id: testkommune\n"
	      "    name: Testkommune\n"
	      "    type: kommune\n"
	      "    her: [\"8142987\"]\n"
	      "    orgnr: [\"940101808\"]\n"
	      "  - id: testhf\n"
	      "    name: Test HF\n"
	      "    type: unn\n"
	      "    her: [\"56704\"]\n", f);
	fclose(f);
	assert_int_equal(classify_rules_load_dir(&r, dir, &err), 0);
	/* HER-id wins over org.nr and name */
	check(r, "Testkommune", NULL, "56704", "940101808", NULL, "testhf", ORG_TYPE_UNN, "her");
	check(r, NULL, NULL, "8142987", NULL, NULL, "testkommune", ORG_TYPE_KOMMUNE, "her");
	check(r, "Testkommune", NULL, "1", NULL, NULL, "testkommune", ORG_TYPE_KOMMUNE, "alias");
	classify_rules_free(r);
	assert_int_equal(rm_rf(dir), 0);
	sbuf_release(&path);
	sbuf_release(&err);
}

static void test_aliases(void **state)
{
	(void)state;
	/* exact, case-insensitive, suffix dropped */
	check(shipped, "Tromsø kommune", NULL, NULL, NULL, NULL, "tromso", ORG_TYPE_KOMMUNE, "alias");
	check(shipped, "TROMSØ KOMMUNE", NULL, NULL, NULL, NULL, "tromso", ORG_TYPE_KOMMUNE, "alias");
	check(shipped, "Universitetssykehuset Nord-Norge HF", NULL, NULL, NULL, NULL, "unn", ORG_TYPE_UNN, "alias");
	check(shipped, "UNIVERISTETSSYKEHUSET", NULL, NULL, NULL, NULL, "unn", ORG_TYPE_UNN, "alias");
	/* Sami and Kven forms */
	check(shipped, "Gáivuotna – Kåfjord – Kaivuono", NULL, NULL, NULL, NULL, "kafjord", ORG_TYPE_KOMMUNE, "alias");
	check(shipped, "GÁIVUOTNA KÅFJORD", NULL, NULL, NULL, NULL, "kafjord", ORG_TYPE_KOMMUNE, "alias");
	check(shipped, "Loabák", NULL, NULL, NULL, NULL, "lavangen", ORG_TYPE_KOMMUNE, "alias");
	check(shipped, "Dielddanuorri", NULL, NULL, NULL, NULL, "tjeldsund", ORG_TYPE_KOMMUNE, "alias");
	check(shipped, "Romsa", NULL, NULL, NULL, NULL, "tromso", ORG_TYPE_KOMMUNE, "alias");
	/* names before the 2020 mergers */
	check(shipped, "Lenvik kommune", NULL, NULL, NULL, NULL, "senja", ORG_TYPE_KOMMUNE, "alias");
	check(shipped, "Skånland", NULL, NULL, NULL, NULL, "tjeldsund", ORG_TYPE_KOMMUNE, "alias");
	check(shipped, "Ballangen", NULL, NULL, NULL, NULL, "narvik", ORG_TYPE_KOMMUNE, "alias");
	/* the misspelling in the partners' own annual report */
	check(shipped, "Kvæningen kommune", NULL, NULL, NULL, NULL, "kvanangen", ORG_TYPE_KOMMUNE, "alias");
}

static void test_folded_and_fuzzy(void **state)
{
	(void)state;
	/* no accent: only the folded form matches "Gáivuotna" */
	check(shipped, "Gaivuotna", NULL, NULL, NULL, NULL, "kafjord", ORG_TYPE_KOMMUNE, "folded");
	check(shipped, "Lödingen kommune", NULL, NULL, NULL, NULL, "lodingen", ORG_TYPE_KOMMUNE, "folded");
	check(shipped, "KVAEFJORD", NULL, NULL, NULL, NULL, "kvafjord", ORG_TYPE_KOMMUNE, "alias");
	check(shipped, "Maalselv kommune", NULL, NULL, NULL, NULL, "malselv", ORG_TYPE_KOMMUNE, "alias");
	check(shipped, "Harsttak", NULL, NULL, NULL, NULL, "harstad", ORG_TYPE_KOMMUNE, "folded");
	check(shipped, "Tromsøø", NULL, NULL, NULL, NULL, "tromso", ORG_TYPE_KOMMUNE, "fuzzy:1");
	check(shipped, "Balsfjorrd kommune", NULL, NULL, NULL, NULL, "balsfjord", ORG_TYPE_KOMMUNE, "fuzzy:1");
	check(shipped, "Nordreissa kommune", NULL, NULL, NULL, NULL, "nordreisa", ORG_TYPE_KOMMUNE, "fuzzy:1");
	/* never for short names, never across the first letter */
	check(shipped, "Senj", NULL, NULL, NULL, NULL, NULL, ORG_TYPE_UNKNOWN, "unresolved");
	check(shipped, "Larvik kommune", NULL, NULL, NULL, NULL, NULL, ORG_TYPE_UNKNOWN, "unresolved");
}

static void test_segments_and_ngrams(void **state)
{
	(void)state;
	check(shipped, "Hjemmesykepleien i Tromso", NULL, NULL, NULL, NULL, "tromso", ORG_TYPE_KOMMUNE, "alias");
	/* the longer n-gram wins: the UNN site, not Narvik kommune */
	check(shipped, "UNN Narvik, Medisinsk avdeling", NULL, NULL, NULL, NULL, "unn-narvik", ORG_TYPE_UNN, "alias");
	check(shipped, "Medisinsk avdeling UNN Narvik", NULL, NULL, NULL, NULL, "unn-narvik", ORG_TYPE_UNN, "alias");
	check(shipped, "Narvik kommune", "Legevakt", NULL, NULL, NULL, "narvik", ORG_TYPE_KOMMUNE, "alias");
	/* the unit names the site of an organisation with sites */
	check(shipped, "UNN HF", "Medisinsk klinikk, Harstad", NULL, NULL, NULL, "unn-harstad", ORG_TYPE_UNN, "alias");
	check(shipped, "Universitetssykehuset Nord-Norge HF", "DMS Finnsnes", NULL, "983974899", NULL, "unn-dms-finnsnes",
	      ORG_TYPE_UNN, "orgnr");
	/* the name is empty, the unit says it all */
	check(shipped, "", "Hjemmetjenesten, Senja kommune", NULL, NULL, NULL, "senja", ORG_TYPE_KOMMUNE, "alias");
}

static void test_fastlege(void **state)
{
	(void)state;
	check(shipped, "Storgata legekontor, Harstad", NULL, NULL, NULL, NULL, "harstad", ORG_TYPE_FASTLEGE, "alias");
	check(shipped, "Setermoen legekontor", NULL, NULL, NULL, NULL, "bardu", ORG_TYPE_FASTLEGE, "alias");
	check(shipped, "Tromsø kommune", "Fastlegekontoret Sentrum", NULL, NULL, NULL, "tromso", ORG_TYPE_FASTLEGE, "alias");
	/* "Berg" names Senja only as a whole name, not the doctor's surname */
	check(shipped, "Dr. Berg legekontor", NULL, NULL, NULL, NULL, NULL, ORG_TYPE_FASTLEGE, "fastlege");
	check(shipped, "Berg kommune", NULL, NULL, NULL, NULL, "senja", ORG_TYPE_KOMMUNE, "alias");
	check(shipped, "Tromsø kommune", NULL, NULL, NULL, "fastlege", "tromso", ORG_TYPE_FASTLEGE, "alias");
	/* a fastlege pattern never turns UNN into a GP */
	check(shipped, "UNN Tromsø", "Legekontoret i akuttmottaket", NULL, NULL, NULL, "unn-tromso", ORG_TYPE_UNN, "alias");
}

static void test_unresolved(void **state)
{
	avvik_party p;
	classify_org o;

	(void)state;
	memset(&p, 0, sizeof p);
	p.name = xstrdup("Helsestasjonen på Månen");
	classify_org_resolve(shipped, &p, &o);
	assert_null(o.id);
	assert_null(o.name);
	assert_int_equal(o.type, ORG_TYPE_UNKNOWN);
	assert_string_equal(o.how, "unresolved");
	/* the name as written is kept in the record, untouched */
	assert_string_equal(p.name, "Helsestasjonen på Månen");
	classify_org_clear(&o);
	check(shipped, "Helsestasjonen på Månen", NULL, NULL, NULL, "kommune", NULL, ORG_TYPE_KOMMUNE, "type-hint");
	check(shipped, NULL, NULL, NULL, NULL, NULL, NULL, ORG_TYPE_UNKNOWN, "unresolved");
	free(p.name);
}

static void test_direction(void **state)
{
	avvik_record r;
	avvik_class c;

	(void)state;
	avvik_record_init(&r);
	avvik_class_init(&c);
	r.reporter.name = xstrdup("Kanebogen legesenter");
	r.concerned.name = xstrdup("UNN Harstad");
	r.text = xstrdup("Epikrisen er ikke mottatt.");
	classify_record(shipped, &r, &c);
	assert_int_equal(c.dir, DIR_FASTLEGE_UNN);
	assert_string_equal(c.reporter_org, "harstad");
	assert_string_equal(c.concerned_org, "unn-harstad");
	assert_string_equal(c.concerned_how, "alias");
	avvik_class_clear(&c);
	avvik_record_clear(&r);
}

/* A registry error names its line. */
static void test_registry_errors(void **state)
{
	char tmpl[] = "/tmp/avvik-orgs-XXXXXX";
	char *dir = mkdtemp(tmpl);
	sbuf path = SBUF_INIT, err = SBUF_INIT, want = SBUF_INIT;
	classify_rules *r = NULL;
	FILE *f;

	(void)state;
	assert_non_null(dir);
	assert_int_equal(copy_categories(dir), 0);
	sbuf_addf(&path, "%s/orgs.yaml", dir);
	f = fopen(path.buf, "w");
	assert_non_null(f);
	fputs("orgs:\n"
	      "  - id: a\n"
	      "    name: Alfa\n"
	      "    type: kommune\n"
	      "    aliases: [Felles]\n"
	      "  - id: b\n"
	      "    name: Beta\n"
	      "    type: kommune\n"
	      "    aliases: [Gamma, FELLES]\n", f);
	fclose(f);
	assert_int_equal(classify_rules_load_dir(&r, dir, &err), -1);
	assert_null(r);
	sbuf_addf(&want, "%s:9:22:", path.buf);
	if (!strstr(err.buf, want.buf) || !strstr(err.buf, "felles"))
		fail_msg("unexpected error: %s", err.buf);
	assert_int_equal(rm_rf(dir), 0);
	sbuf_release(&path);
	sbuf_release(&err);
	sbuf_release(&want);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_identifiers),
		cmocka_unit_test(test_her_id),
		cmocka_unit_test(test_aliases),
		cmocka_unit_test(test_folded_and_fuzzy),
		cmocka_unit_test(test_segments_and_ngrams),
		cmocka_unit_test(test_fastlege),
		cmocka_unit_test(test_unresolved),
		cmocka_unit_test(test_direction),
		cmocka_unit_test(test_registry_errors),
	};

	return cmocka_run_group_tests_name("orgs", tests, setup, teardown);
}
