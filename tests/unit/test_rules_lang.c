/*
 * test_rules_lang.c - the constructs the rule language gained: plain words,
 * stems and phrases, negation cues (negated/affirmed), exclusions (unless),
 * the direction output (concerned_is), per-source label mappings, org id,
 * source and channel conditions; the literal prefilter (a rule whose
 * literal cannot occur never runs its regex); priority ties.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <time.h>
#include <unistd.h>

#include "classify/classify_int.h"
#include "test_util.h"

static char tmpdir[64];

static int setup(void **state)
{
	(void)state;
	return rules_dir_setup(tmpdir, sizeof tmpdir, "/tmp/avvik-lang-XXXXXX");
}

static int teardown(void **state)
{
	(void)state;
	return rm_rf(tmpdir);
}

static classify_rules *load(const char *text, sbuf *err_out)
{
	classify_rules *r = NULL;
	sbuf err = SBUF_INIT;

	write_file_in(tmpdir, "rules/test.yaml", text);
	if (classify_rules_load_dir(&r, tmpdir, &err) && !err_out)
		fail_msg("load failed: %s", err.buf);
	if (err_out)
		sbuf_adds(err_out, err.buf);
	sbuf_release(&err);
	return r;
}

static char *cat(const classify_rules *r, const char *text, const char *rep_type, const char *con_type,
		 direction *dir)
{
	avvik_record rec;
	avvik_class c;
	char *out;

	avvik_record_init(&rec);
	rec.text = xstrdup(text);
	rec.reporter.type_hint = xstrdup(rep_type);
	rec.concerned.type_hint = xstrdup(con_type);
	avvik_class_init(&c);
	classify_record(r, &rec, &c);
	out = xstrdup(c.category);
	if (dir)
		*dir = c.dir;
	avvik_class_clear(&c);
	avvik_record_clear(&rec);
	return out;
}

#define CAT_IS(r, text, want) do { char *got_ = cat(r, text, NULL, NULL, NULL); \
	assert_string_equal(got_, want); free(got_); } while (0)

static void test_word_stem_phrase(void **state)
{
	classify_rules *r;

	(void)state;
	r = load("rules:\n"
		 "  - id: w\n    category: epikrise\n    when: { text: { word: [epi, epikr.] } }\n"
		 "  - id: s\n    category: henvisning\n    when: { text: { stem: henvis } }\n"
		 "  - id: p\n    category: dialog\n    when: { text: { phrase: 'ikke  tatt på alvor' } }\n"
		 "  - id: q\n    category: legemidler\n    when: { text: { word: 'med.liste' } }\n", NULL);
	CAT_IS(r, "Mangler epi etter oppholdet", "epikrise");
	CAT_IS(r, "Epikr. mangler", "epikrise");
	CAT_IS(r, "episode med fall", "annet");           /* a word, not a prefix */
	CAT_IS(r, "Henvisningen er borte", "henvisning");
	CAT_IS(r, "Vi ble ikke\n tatt på alvor", "dialog");
	CAT_IS(r, "Ny med.liste mangler", "legemidler");
	CAT_IS(r, "Ny medxliste mangler", "annet");       /* the dot is literal */
	classify_rules_free(r);
}

static void test_negated_affirmed(void **state)
{
	classify_rules *r;

	(void)state;
	r = load("rules:\n"
		 "  - id: neg\n    category: epikrise\n    priority: 60\n"
		 "    when: { negated: { term: { stem: mottatt }, within: 2 } }\n"
		 "  - id: aff\n    category: dialog\n    priority: 50\n"
		 "    when: { affirmed: { stem: mottatt } }\n", NULL);
	CAT_IS(r, "Epikrisen er ikke mottatt.", "epikrise");
	CAT_IS(r, "Vi har ikkje fått den mottatt", "epikrise");
	CAT_IS(r, "Epikrisen er mottatt.", "dialog");
	/* a cue too far before, or in another clause, does not negate */
	CAT_IS(r, "Ikke bra i det hele tatt, men epikrisen er mottatt.", "dialog");
	classify_rules_free(r);
}

static void test_unless_and_near(void **state)
{
	classify_rules *r;

	(void)state;
	r = load("rules:\n"
		 "  - id: epi\n    category: epikrise\n"
		 "    when: { near: { a: { stem: epikris }, b: { word: [mangler, ikke] }, within: 8 } }\n"
		 "    unless: { text: 'epikrise\\w* (er |var )?mottatt' }\n", NULL);
	CAT_IS(r, "Epikrisen mangler fortsatt", "epikrise");
	CAT_IS(r, "Epikrisen var mottatt, men ikke lest", "annet");
	CAT_IS(r, "Epikrise. Det er ikke klart", "annet");   /* another clause */
	classify_rules_free(r);
}

static void test_concerned_is(void **state)
{
	classify_rules *r;
	direction d;
	char *c;

	(void)state;
	r = load("rules:\n"
		 "  - id: syk\n    concerned_is: unn\n    priority: 20\n    when: { text: { word: sykehuset } }\n"
		 "  - id: kom\n    concerned_is: kommune\n    priority: 30\n    when: { text: { word: hjemmesykepleien } }\n",
		 NULL);
	c = cat(r, "Sykehuset sendte ingen epikrise", "fastlege", "ukjent", &d);
	assert_int_equal(d, DIR_FASTLEGE_UNN);
	free(c);
	/* the metadata wins when it gives a direction */
	c = cat(r, "Sykehuset sendte ingen epikrise", "fastlege", "kommune", &d);
	assert_int_equal(d, DIR_FASTLEGE_KOMMUNE);
	free(c);
	/* hjemmesykepleien is the reporter's own service: kommune->kommune is no
	 * direction, so the lower-priority unn rule decides */
	c = cat(r, "Hjemmesykepleien ringte sykehuset", "kommune", "ukjent", &d);
	assert_int_equal(d, DIR_KOMMUNE_UNN);
	free(c);
	classify_rules_free(r);
}

static void test_mappings_and_fields(void **state)
{
	classify_rules *r;
	avvik_record rec;
	avvik_class c;

	(void)state;
	r = load("mappings:\n"
		 "  - { source: Docmap, label: 'Samhandling - Epikrise', category: epikrise }\n"
		 "  - { source: '*', label: Legemiddelhåndtering, category: legemidler, priority: 31 }\n"
		 "rules:\n"
		 "  - id: ch\n    category: e-meldinger\n    priority: 5\n    when: { channel: '^email$' }\n"
		 "  - id: org\n    category: dialog\n    priority: 6\n    when: { concerned_org: unn }\n", NULL);
	avvik_record_init(&rec);
	rec.ext_id = xstrdup("Docmap:123");
	rec.channel = xstrdup("avvik-xml");
	rec.source_category = xstrdup("samhandling: epikrise");
	avvik_class_init(&c);
	classify_record(r, &rec, &c);
	assert_string_equal(c.category, "epikrise");   /* system from ext_id, label folded */
	free(rec.ext_id);
	rec.ext_id = xstrdup("TQM:9");
	classify_record(r, &rec, &c);
	assert_string_equal(c.category, "annet");      /* another system's label */
	free(rec.source_category);
	rec.source_category = xstrdup("LEGEMIDDELHÅNDTERING");
	classify_record(r, &rec, &c);
	assert_string_equal(c.category, "legemidler");
	avvik_record_clear(&rec);
	avvik_record_init(&rec);
	rec.channel = xstrdup("email");
	rec.concerned.name = xstrdup("UNN");
	classify_record(r, &rec, &c);
	assert_string_equal(c.category, "dialog");
	avvik_class_clear(&c);
	avvik_record_clear(&rec);
	classify_rules_free(r);
}

static void test_literals(void **state)
{
	static const struct { const char *re; const char *want; } cases[] = {
		{ "\\bepikris\\w*", "epikris" },
		{ "\\b(?:epikrise|epi)\\b", "epikrise|epi" },
		{ "ikke\\s+mottatt", "mottatt" },
		{ "legemiddel(liste|lista)", "legemiddel" },
		{ "med\\.?\\s?list\\w*", "list" },
		{ "x(y)?z", NULL },            /* too short a literal */
		{ "(?<!\\w)(?:epi|epikr\\.)(?!\\w)", "epi|epikr." },
		{ "(?i)epikrise", NULL },      /* inline options: not modelled */
		{ "a|\\w+", NULL },            /* one alternative has no literal */
		{ "PLO[- ]?melding", "melding" },
		{ "Sjukeheim", "sjukeheim" },
	};
	size_t i, j, n;
	char **lits;

	(void)state;
	for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		sbuf got = SBUF_INIT;
		n = classify_literals(cases[i].re, &lits);
		for (j = 0; j < n; j++) {
			sbuf_addf(&got, "%s%s", j ? "|" : "", lits[j]);
			free(lits[j]);
		}
		free(lits);
		if (!cases[i].want)
			assert_int_equal(n, 0);
		else
			assert_string_equal(got.buf, cases[i].want);
		sbuf_release(&got);
	}
}

/* A rule whose literal cannot occur never runs its regex. */
static void test_prefilter_skips(void **state)
{
	classify_rules *r;
	unsigned long before;
	char *c;

	(void)state;
	r = load("rules:\n"
		 "  - id: never\n    category: dialog\n    when: { text: '\\bzzyzxqq\\w+\\s+\\d+' }\n", NULL);
	classify_set_prefilter(1);
	before = classify_regex_execs();
	c = cat(r, "Epikrisen mangler. Pasienten ble utskrevet fredag.", NULL, NULL, NULL);
	assert_string_equal(c, "annet");
	free(c);
	assert_int_equal(classify_regex_execs() - before, 0);
	/* caseless: the literal is found whatever the case */
	c = cat(r, "ZZYZXQQa 12", NULL, NULL, NULL);
	assert_string_equal(c, "dialog");
	free(c);
	assert_int_equal(classify_regex_execs() - before, 1);
	/* without the prefilter the regex runs and the answer is the same */
	classify_set_prefilter(0);
	before = classify_regex_execs();
	c = cat(r, "Epikrisen mangler.", NULL, NULL, NULL);
	assert_string_equal(c, "annet");
	free(c);
	assert_int_equal(classify_regex_execs() - before, 1);
	classify_set_prefilter(1);
	/* KELVIN SIGN matches k caselessly: the prefilter must not skip it */
	classify_rules_free(r);
	r = load("rules:\n  - id: k\n    category: dialog\n    when: { text: 'kake' }\n", NULL);
	c = cat(r, "\xE2\x84\xAA" "ake", NULL, NULL, NULL);
	assert_string_equal(c, "dialog");
	free(c);
	classify_rules_free(r);
}

static void test_priority_and_ties(void **state)
{
	classify_rules *r;
	sbuf err = SBUF_INIT;
	char *c;

	(void)state;
	r = load("rules:\n"
		 "  - id: low\n    category: dialog\n    priority: 10\n    when: { text: kake }\n"
		 "  - id: high\n    category: epikrise\n    priority: 90\n    when: { text: kake }\n", NULL);
	c = cat(r, "kake", NULL, NULL, NULL);
	assert_string_equal(c, "epikrise");
	free(c);
	assert_int_equal(classify_rules_ties(r, &err), 0);
	classify_rules_free(r);
	r = load("rules:\n"
		 "  - id: a\n    category: dialog\n    priority: 10\n    when: { text: kake }\n"
		 "  - id: b\n    category: epikrise\n    priority: 10\n    when: { text: kake }\n"
		 "    examples:\n      - { text: kake, expect: dialog }\n", NULL);
	assert_int_equal(classify_rules_ties(r, &err), 1);
	assert_non_null(strstr(err.buf, "test.yaml:6:5: priority tie"));
	classify_rules_free(r);
	sbuf_release(&err);
}

static void test_load_errors(void **state)
{
	sbuf err = SBUF_INIT;
	classify_rules *r;

	(void)state;
	r = load("rules:\n  - id: a\n    category: dialog\n    when: { text: { wrod: x } }\n"
		 "  - id: b\n    category: dialog\n    when: { concerned_org: nowhere }\n"
		 "  - id: c\n    concerned_is: skole\n    when: { text: x }\n", &err);
	assert_null(r);
	assert_non_null(strstr(err.buf, "test.yaml:4:21: unknown key 'wrod'"));
	assert_non_null(strstr(err.buf, "test.yaml:7:28: unknown organisation id 'nowhere'"));
	assert_non_null(strstr(err.buf, "test.yaml:9:19: expected an organisation type"));
	sbuf_release(&err);
}

/* ---- hostile rule sets: bounded loading and matching ---- */

static const char test_orgs[] =
	"orgs:\n"
	"  - { id: tromso, name: Tromsø kommune, type: kommune, aliases: [Tromsø] }\n"
	"  - { id: unn, name: UNN HF, type: unn, aliases: [UNN] }\n"
	"fastlege_patterns: ['legekontor\\w*']\n";

/* Loads the shipped categories, orgs (NULL: test_orgs) and one rule file
 * from memory: -1 with err on a load error. */
static int load_mem(const char *rules_text, const char *orgs, classify_rules **out, sbuf *err)
{
	return rules_load_mem(rules_text, orgs ? orgs : test_orgs, out, err);
}

static double now_s(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

/* all/any/not 10,000 deep: refused at the YAML depth limit, quickly and
 * without deep recursion; a condition tree deeper than 32 but within the
 * YAML limit is refused by the rule parser. */
static void test_deep_nesting(void **state)
{
	static const char *const open_[] = { "{ all: [ ", "{ any: [ ", "{ not: " };
	static const char *const close_[] = { " ] }", " ] }", " }" };
	size_t k, i;

	(void)state;
	for (k = 0; k < 3; k++) {
		sbuf y = SBUF_INIT, err = SBUF_INIT;
		classify_rules *r = NULL;
		double t0 = now_s();

		sbuf_adds(&y, "rules:\n  - id: deep\n    category: epikrise\n    when: ");
		for (i = 0; i < 10000; i++)
			sbuf_adds(&y, open_[k]);
		sbuf_adds(&y, "{ text: epikrise }");
		for (i = 0; i < 10000; i++)
			sbuf_adds(&y, close_[k]);
		sbuf_addch(&y, '\n');
		assert_int_equal(load_mem(y.buf, NULL, &r, &err), -1);
		assert_null(r);
		assert_non_null(strstr(err.buf, "nesting deeper than 64 levels"));
		assert_true(now_s() - t0 < 5.0);
		sbuf_release(&y);
		sbuf_release(&err);
	}
	{
		/* 40 nots: 41 YAML levels, but 40 condition levels */
		sbuf y = SBUF_INIT, err = SBUF_INIT;
		classify_rules *r = NULL;

		sbuf_adds(&y, "rules:\n  - id: deep\n    category: epikrise\n    when: ");
		for (i = 0; i < 40; i++)
			sbuf_adds(&y, "{ not: ");
		sbuf_adds(&y, "{ text: epikrise }");
		for (i = 0; i < 40; i++)
			sbuf_adds(&y, " }");
		sbuf_addch(&y, '\n');
		assert_int_equal(load_mem(y.buf, NULL, &r, &err), -1);
		assert_non_null(strstr(err.buf, "conditions nested deeper than 32 levels"));
		sbuf_release(&y);
		sbuf_release(&err);
	}
	{
		/* 24 condition levels are fine, and evaluate: an even number of nots */
		sbuf y = SBUF_INIT, err = SBUF_INIT;
		classify_rules *r = NULL;

		sbuf_adds(&y, "rules:\n  - id: deep\n    category: epikrise\n    when: ");
		for (i = 0; i < 18; i++)
			sbuf_adds(&y, i % 3 == 2 ? "{ not: { not: " : i % 3 ? "{ any: [ " : "{ all: [ ");
		sbuf_adds(&y, "{ text: epikrise }");
		for (i = 18; i-- > 0;)
			sbuf_adds(&y, i % 3 == 2 ? " } }" : " ] }");
		sbuf_addch(&y, '\n');
		if (load_mem(y.buf, NULL, &r, &err))
			fail_msg("24 levels: %s", err.buf);
		CAT_IS(r, "Epikrisen mangler", "epikrise");
		CAT_IS(r, "Henvisningen mangler", "annet");
		classify_rules_free(r);
		sbuf_release(&y);
		sbuf_release(&err);
	}
}

/* A pattern too large to compile is a load error naming the rule's line;
 * a long word list compiles, and loading and matching stay fast. */
static void test_huge_patterns(void **state)
{
	sbuf y = SBUF_INIT, err = SBUF_INIT;
	classify_rules *r = NULL;
	size_t i;
	double t0;

	(void)state;
	sbuf_adds(&y, "rules:\n  - id: huge\n    category: epikrise\n    when: { text: '");
	for (i = 0; i < 1000000; i++)
		sbuf_addch(&y, "abcdefgh"[i % 8]);
	sbuf_adds(&y, "' }\n");
	t0 = now_s();
	assert_int_equal(load_mem(y.buf, NULL, &r, &err), -1);
	assert_null(r);
	assert_non_null(strstr(err.buf, "rules/test.yaml:4:"));
	assert_non_null(strstr(err.buf, "too large"));
	/* the message quotes the start of the pattern, not a megabyte of it */
	assert_non_null(strstr(err.buf, "'abcdefghabcdefgh"));
	assert_non_null(strstr(err.buf, "…' (1000000 bytes)"));
	assert_true(err.len < 400);
	assert_true(now_s() - t0 < 5.0);

	/* 20,000 alternatives: compiled or refused, but not slow (a YAML list
	 * grown one item at a time took 12 s under ASan: quadratic copying) */
	sbuf_reset(&y);
	sbuf_reset(&err);
	sbuf_adds(&y, "rules:\n  - id: many\n    category: epikrise\n    when: { text: { word: [");
	for (i = 0; i < 20000; i++)
		sbuf_addf(&y, "%sord%zu", i ? ", " : "", i);
	sbuf_adds(&y, ", epikrise] } }\n");
	t0 = now_s();
	if (!load_mem(y.buf, NULL, &r, &err)) {
		CAT_IS(r, "Epikrisen mangler, men epikrise kom", "epikrise");
		CAT_IS(r, "Henvisningen mangler", "annet");
		classify_rules_free(r);
	} else {
		assert_non_null(strstr(err.buf, "rules/test.yaml:4:"));
	}
	assert_true(now_s() - t0 < 5.0);
	sbuf_release(&y);
	sbuf_release(&err);
}

/* Catastrophic backtracking: the regex stops at the match limit, counts
 * as not matching, the other rules still decide, and the pattern is
 * logged once however many records hit it. */
static void test_catastrophic_regex(void **state)
{
	classify_rules *r = NULL;
	sbuf err = SBUF_INIT, text = SBUF_INIT, log = SBUF_INIT;
	char logpath[] = "/tmp/avvik-lang-log-XXXXXX";
	unsigned long hits0 = classify_regex_limit_hits();
	int fd, saved, jit, i;
	double t0;

	(void)state;
	fd = mkstemp(logpath);
	assert_true(fd >= 0);
	for (i = 0; i < 4000; i++)
		sbuf_addch(&text, 'a');
	sbuf_adds(&text, "! epikrisen mangler");
	saved = dup(2);
	for (jit = 1; jit >= 0; jit--) {
		/* the JIT and the interpreter enforce the limits separately */
		classify_set_jit(jit);
		if (load_mem("rules:\n"
			     "  - id: evil\n    category: legemidler\n    priority: 90\n"
			     "    when: { text: '(a+)+$' }\n"
			     "  - id: evil-near\n    tags: [evil]\n"
			     "    when: { near: { a: '(\\w+\\s?)+$', b: epikrise, within: 3 } }\n"
			     "  - id: fine\n    category: epikrise\n    when: { text: epikrisen }\n",
			     NULL, &r, &err))
			fail_msg("load: %s", err.buf);
		fflush(stderr);
		dup2(fd, 2);
		t0 = now_s();
		for (i = 0; i < 3; i++)
			CAT_IS(r, text.buf, "epikrise");
		fflush(stderr);
		dup2(saved, 2);
		/* three records, two hostile patterns: a bounded time each */
		assert_true(now_s() - t0 < 10.0);
		classify_rules_free(r);
		r = NULL;
	}
	classify_set_jit(1);
	close(saved);
	assert_true(classify_regex_limit_hits() - hits0 >= 6);
	assert_int_equal(sbuf_read_file(&log, logpath, 0), 0);
	{
		/* once per pattern and rule set: 2 patterns x 2 loads */
		size_t n = 0;
		const char *p = log.buf;
		while ((p = strstr(p, "counted as not matching"))) {
			n++;
			p++;
		}
		assert_int_equal(n, 4);
	}
	assert_non_null(strstr(log.buf, "rules/test.yaml:2: rule 'evil'"));
	assert_non_null(strstr(log.buf, "rule 'evil-near'"));
	close(fd);
	unlink(logpath);
	sbuf_release(&log);
	sbuf_release(&text);
	sbuf_release(&err);
}

/* A hostile fastlege pattern in orgs.yaml is bounded the same way. */
static void test_catastrophic_fastlege(void **state)
{
	classify_rules *r = NULL;
	sbuf err = SBUF_INIT, name = SBUF_INIT;
	classify_org o;
	avvik_party p;
	unsigned long hits0 = classify_regex_limit_hits();
	int i, saved, null;

	(void)state;
	if (load_mem("rules: []\n",
		     "orgs:\n  - { id: unn, name: UNN HF, type: unn, aliases: [UNN] }\n"
		     "fastlege_patterns: ['(x+)+$']\n", &r, &err))
		fail_msg("load: %s", err.buf);
	for (i = 0; i < 3000; i++)
		sbuf_addch(&name, 'x');
	sbuf_addch(&name, '!');
	memset(&p, 0, sizeof p);
	p.name = name.buf;
	/* the one warning is expected: keep it out of the test output */
	fflush(stderr);
	saved = dup(2);
	null = open("/dev/null", O_WRONLY);
	assert_true(saved >= 0 && null >= 0);
	dup2(null, 2);
	classify_org_resolve(r, &p, &o);
	fflush(stderr);
	dup2(saved, 2);
	close(saved);
	close(null);
	assert_int_not_equal(o.type, ORG_TYPE_FASTLEGE);
	assert_true(classify_regex_limit_hits() > hits0);
	classify_org_clear(&o);
	classify_rules_free(r);
	sbuf_release(&name);
	sbuf_release(&err);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_word_stem_phrase),
		cmocka_unit_test(test_negated_affirmed),
		cmocka_unit_test(test_unless_and_near),
		cmocka_unit_test(test_concerned_is),
		cmocka_unit_test(test_mappings_and_fields),
		cmocka_unit_test(test_literals),
		cmocka_unit_test(test_prefilter_skips),
		cmocka_unit_test(test_priority_and_ties),
		cmocka_unit_test(test_load_errors),
		cmocka_unit_test(test_deep_nesting),
		cmocka_unit_test(test_huge_patterns),
		cmocka_unit_test(test_catastrophic_regex),
		cmocka_unit_test(test_catastrophic_fastlege),
	};
	return cmocka_run_group_tests_name("rules_lang", tests, setup, teardown);
}
