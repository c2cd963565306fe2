/*
 * test_scrub.c - fødselsnummer checks, scrubbing of free text and keyed
 * pseudonyms, the patient's pseudonym from what a message says and the
 * blanking of the patient's name (ingest/scrub.c, DOMAIN.md 3.1).  All numbers are synthetic
 * test numbers or computed for this test.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "ingest/ingest_int.h"
#include "test_util.h"
#include "tests/fuzz/fnr_plant.h"

static const unsigned char key1[] = "unit-test-key-1";
static const unsigned char key2[] = "unit-test-key-2";

static ingest_ctx ctx_with(const unsigned char *key, size_t len)
{
	ingest_ctx c;

	memset(&c, 0, sizeof c);
	c.hmac_key = key;
	c.hmac_key_len = len;
	c.source = "test";
	return c;
}

static void test_fnr_valid_examples(void **state)
{
	(void)state;
	/* verified examples (Helsenorge, NHN, Skatteetaten) */
	assert_true(ingest_fnr_valid("13116900216"));
	assert_true(ingest_fnr_valid("15720255178"));
	assert_true(ingest_fnr_valid("02013299997"));
}

static void test_fnr_variants(void **state)
{
	(void)state;
	assert_true(ingest_fnr_valid("55128212352"));   /* D-number: day 15 + 40 */
	assert_true(ingest_fnr_valid("01458532172"));   /* H-number / NAV Dolly: month 5 + 40 */
	assert_true(ingest_fnr_valid("12720234503"));   /* NHN test patient: month 7 + 65 */
	assert_true(ingest_fnr_valid("01921234518"));   /* Skatteetaten Tenor: month 12 + 80 */
	assert_true(ingest_fnr_valid("81234567802"));   /* FH-number: both check digits */
	assert_false(ingest_fnr_valid("81234567810"));  /* FH-number without a classic K1 */
}

static void test_fnr_2032_rule(void **state)
{
	(void)state;
	/* same date and individnummer; K1 with weighted-sum remainder 0..3 */
	assert_true(ingest_fnr_valid("15070255100"));   /* classic K1 */
	assert_true(ingest_fnr_valid("15070255119"));   /* remainder 1 */
	assert_true(ingest_fnr_valid("15070255127"));   /* remainder 2 */
	assert_true(ingest_fnr_valid("15070255135"));   /* remainder 3 */
}

static void test_fnr_invalid(void **state)
{
	(void)state;
	assert_false(ingest_fnr_valid("15720255179"));  /* K2 wrong */
	assert_false(ingest_fnr_valid("15070255101"));  /* K2 wrong */
	assert_false(ingest_fnr_valid("00019012360"));  /* day 0, check digits fine */
	assert_false(ingest_fnr_valid("30029012373"));  /* 30 February */
	assert_false(ingest_fnr_valid("32139012398"));  /* day 32, month 13 */
	assert_false(ingest_fnr_valid("1572025517"));   /* 10 digits */
	assert_false(ingest_fnr_valid("157202551780")); /* 12 digits */
	assert_false(ingest_fnr_valid("1572025517a"));
	assert_false(ingest_fnr_valid("12345678901"));
	assert_false(ingest_fnr_valid(""));
	assert_false(ingest_fnr_valid(NULL));
}

static void test_scrub_replaces(void **state)
{
	ingest_ctx c = ctx_with(key1, sizeof key1 - 1);
	char *p1 = pseudo(&c, "15720255178");
	char *p2 = pseudo(&c, "15070255127");
	sbuf t = SBUF_INIT, want = SBUF_INIT;
	int n;

	(void)state;
	sbuf_adds(&t, "Pasient 15720255178 (før: 150702-55127), også 150702 55127 og "
		      "150702\xC2\xA0" "55127. Slutt på 15720255178");
	n = ingest_scrub_text(&c, &t);
	assert_int_equal(n, 5);
	sbuf_addf(&want, "Pasient [pasient:%s] (før: [pasient:%s]), også [pasient:%s] og "
			 "[pasient:%s]. Slutt på [pasient:%s]", p1, p2, p2, p2, p1);
	assert_string_equal(t.buf, want.buf);
	sbuf_release(&t);
	sbuf_release(&want);
	free(p1);
	free(p2);
}

static void test_scrub_keeps(void **state)
{
	ingest_ctx c = ctx_with(key1, sizeof key1 - 1);
	static const char *const kept[] = {
		"Ring 77 62 60 00 eller +47 915 55 555 / 91555555.",
		"UNN HF har org.nr 983974899, Tromsø kommune 940101808.",
		"Saksnummer 157202551780 og 9157202551781 er ikke personnummer.",
		"Ugyldig kontrollsiffer: 15720255179, ugyldig dato 00019012360.",
		"Dato 15.07.2002 kl 10:22, HER-id 8090100, HPR 9144889.",
		"Delvis: 1572025517 og 15720 25517.",
		NULL
	};
	size_t i;

	(void)state;
	for (i = 0; kept[i]; i++) {
		sbuf t = SBUF_INIT;
		sbuf_adds(&t, kept[i]);
		assert_int_equal(ingest_scrub_text(&c, &t), 0);
		assert_string_equal(t.buf, kept[i]);
		sbuf_release(&t);
	}
}

static void test_scrub_boundaries(void **state)
{
	ingest_ctx c = ctx_with(key1, sizeof key1 - 1);
	char *p = pseudo(&c, "13116900216");
	sbuf t = SBUF_INIT, want = SBUF_INIT;

	(void)state;
	/* letters next to the number do not protect it; digits do */
	sbuf_adds(&t, "fnr:13116900216,x13116900216y 913116900216 13116900216");
	assert_int_equal(ingest_scrub_text(&c, &t), 3);
	sbuf_addf(&want, "fnr:[pasient:%s],x[pasient:%s]y 913116900216 [pasient:%s]", p, p, p);
	assert_string_equal(t.buf, want.buf);
	assert_null(strstr(t.buf, " 13116900216"));
	sbuf_release(&t);
	sbuf_release(&want);
	free(p);
}

static void test_scrub_keeps_utf8(void **state)
{
	ingest_ctx c = ctx_with(key1, sizeof key1 - 1);
	sbuf t = SBUF_INIT;

	(void)state;
	sbuf_adds(&t, "Søknad for pasient 55128212352 på Åsgård, «viktig».");
	assert_int_equal(ingest_scrub_text(&c, &t), 1);
	assert_non_null(strstr(t.buf, "Søknad for pasient [pasient:"));
	assert_non_null(strstr(t.buf, "] på Åsgård, «viktig»."));
	assert_true(utf8_valid(t.buf, t.len));
	sbuf_release(&t);
}

/* The spellings people write a number in; 01019012057 is valid. */
static void test_scrub_spellings(void **state)
{
	static const char *const spelt[] = {
		"01019012057", "010190 12057", "010190-12057", "010190\xC2\xA0" "12057",
		"01.01.90 12057", "01.01.90-12057", "01.01.90\xC2\xA0" "12057",
		"010190 120 57", "010190-120 57", "0101 90 12057", "0101 90-12057",
		"01.01.90 120 57", "0101\xC2\xA0" "90 12057", NULL
	};
	ingest_ctx c = ctx_with(key1, sizeof key1 - 1);
	char *p = pseudo(&c, "01019012057");
	size_t i;

	(void)state;
	for (i = 0; spelt[i]; i++) {
		sbuf t = SBUF_INIT, want = SBUF_INIT;
		char digits[12];
		size_t at = 99, used;

		sbuf_addf(&t, "Pasient %s, ring.", spelt[i]);
		used = ingest_fnr_find(t.buf, t.len, &at, digits);
		if (used != strlen(spelt[i]) || at != 8 || strcmp(digits, "01019012057"))
			fail_msg("'%s' not found (used %zu at %zu)", spelt[i], used, at);
		assert_int_equal(ingest_scrub_text(&c, &t), 1);
		sbuf_addf(&want, "Pasient [pasient:%s], ring.", p);
		assert_string_equal(t.buf, want.buf);
		sbuf_release(&t);
		sbuf_release(&want);
	}
	free(p);
}

static void test_scrub_spellings_keep(void **state)
{
	static const char *const kept[] = {
		"Feil kontrollsiffer: 01.01.90 12058, 010190 120 58, 0101 90 12058.",
		"Ugyldig dato: 32.01.90 12057 og 3201 90 12057.",
		"Datoer alene: 01.01.90, 01.01.1990 12057 og 010190.",
		"Dato 01.01.90 kl 12.05 og 01.01.90 1205 og 01.01.90 120577.",
		"Ring 22 01 01 90, 915 55 555, +47 77 62 60 00.",
		"Org.nr 983 974 899 og 940 101 808; HER-id 8090100.",
		"Lange tall: 0101901205700, 101019012057, 010190120570, 01.01.90 120579.",
		NULL
	};
	ingest_ctx c = ctx_with(key1, sizeof key1 - 1);
	size_t i;

	(void)state;
	for (i = 0; kept[i]; i++) {
		sbuf t = SBUF_INIT;
		sbuf_adds(&t, kept[i]);
		if (ingest_scrub_text(&c, &t) != 0)
			fail_msg("'%s' became '%s'", kept[i], t.buf);
		sbuf_release(&t);
	}
}

/* Scrubs "Pasient <spelt>, ring." and fails unless exactly the spelling,
 * separators and all, became the pseudonym of digits. */
static void check_scrubbed(const ingest_ctx *c, const char *spelt, const char *digits)
{
	char *p = pseudo(c, digits);
	sbuf t = SBUF_INIT, want = SBUF_INIT;

	sbuf_addf(&t, "Pasient %s, ring.", spelt);
	sbuf_addf(&want, "Pasient [pasient:%s], ring.", p);
	if (ingest_scrub_text(c, &t) != 1 || strcmp(t.buf, want.buf))
		fail_msg("'%s' became '%s'", spelt, t.buf);
	sbuf_release(&t);
	sbuf_release(&want);
	free(p);
}

static void check_all_scrubbed(const char *const *spelt)
{
	ingest_ctx c = ctx_with(key1, sizeof key1 - 1);
	size_t i;

	for (i = 0; spelt[i]; i++)
		check_scrubbed(&c, spelt[i], "01019012057");
}

/* Wrapped at its space: LF, CRLF, CR, indentation, e-mail quoting. */
static void test_scrub_line_break(void **state)
{
	static const char *const spelt[] = {
		"010190\n12057", "010190\r\n12057", "010190\r12057", "010190\n    12057",
		"010190 \r\n\t12057", "010190-\n12057", "01.01.90\n12057", "010190\n> 12057",
		"010190\xE2\x80\xA8" "12057", "010190 120\n57", NULL
	};

	(void)state;
	check_all_scrubbed(spelt);
}

/* "DDMMYY.NNNNN" and "DDMMYY/NNNNN". */
static void test_scrub_dot_slash(void **state)
{
	static const char *const spelt[] = {
		"010190.12057", "010190/12057", "01/01/90 12057", "01.01.90/12057",
		"010190 / 12057", "01.01.90.12057", NULL
	};

	(void)state;
	check_all_scrubbed(spelt);
}

/* Any grouping of the eleven digits: 3-3-5 and the rest. */
static void test_scrub_groups(void **state)
{
	static const char *const spelt[] = {
		"010 190 12057", "010-190-12057", "010.190.120.57", "01 01 90 12057",
		"0101 9012 057", "0101 9 012057", "010190 12 057", "01.0190 12057",
		"0 1 0 1 9 0 1 2 0 5 7", "01-01-90-120-57", "0101901 2057", NULL
	};

	(void)state;
	check_all_scrubbed(spelt);
}

/* Invisible characters, inside a digit group or next to a separator. */
static void test_scrub_invisible(void **state)
{
	static const char *const spelt[] = {
		"0101\xE2\x80\x8B" "9012057",            /* U+200B zero-width space */
		"010190\xE2\x80\x8C" "12057",            /* U+200C ZWNJ */
		"0\xE2\x80\x8D" "1019012057",            /* U+200D ZWJ */
		"01019012\xE2\x81\xA0" "057",            /* U+2060 word joiner */
		"010190\xEF\xBB\xBF" "12057",            /* U+FEFF */
		"010190\xC2\xAD" "12057",                /* U+00AD soft hyphen */
		"010190 \xE2\x80\x8B" "12057",
		"0\xC2\xAD" "1\xC2\xAD" "0\xC2\xAD" "1\xC2\xAD" "9\xC2\xAD" "0\xC2\xAD"
		"1\xC2\xAD" "2\xC2\xAD" "0\xC2\xAD" "5\xC2\xAD" "7",
		"010190\xE2\x80\x8F" "-12057",           /* U+200F right-to-left mark */
		NULL
	};

	(void)state;
	check_all_scrubbed(spelt);
}

/* Spaces other than U+0020 between the groups. */
static void test_scrub_unicode_space(void **state)
{
	static const char *const spelt[] = {
		"010190\xE2\x80\x89" "12057",            /* U+2009 thin space */
		"010190\xE2\x80\xAF" "12057",            /* U+202F narrow no-break space */
		"010190\xC2\xA0" "12057",                /* U+00A0 no-break space */
		"010\xC2\xA0" "190\xC2\xA0" "12057",
		"010190\xE2\x80\x87" "12057",            /* U+2007 figure space */
		"010190\xE3\x80\x80" "12057",            /* U+3000 ideographic space */
		"010190\t12057",
		"010190\xE2\x80\x93" "12057",            /* U+2013 en dash */
		"010190\xE2\x80\x91" "12057",            /* U+2011 non-breaking hyphen */
		"01\xEF\xBC\x8E" "01\xEF\xBC\x8E" "90 12057", /* U+FF0E fullwidth full stop */
		NULL
	};

	(void)state;
	check_all_scrubbed(spelt);
}

/* Digits of other scripts: fullwidth, Arabic-Indic, Devanagari,
 * mathematical, superscript (NFKC digits), mixed with ASCII. */
static void test_scrub_digits(void **state)
{
	static const char *const spelt[] = {
		"\xEF\xBC\x90\xEF\xBC\x91\xEF\xBC\x90\xEF\xBC\x91\xEF\xBC\x99\xEF\xBC\x90"
		"\xEF\xBC\x91\xEF\xBC\x92\xEF\xBC\x90\xEF\xBC\x95\xEF\xBC\x97",   /* U+FF10.. */
		"\xD9\xA0\xD9\xA1\xD9\xA0\xD9\xA1\xD9\xA9\xD9\xA0 "
		"\xD9\xA1\xD9\xA2\xD9\xA0\xD9\xA5\xD9\xA7",                       /* U+0660.. */
		"\xDB\xB0\xDB\xB1\xDB\xB0\xDB\xB1\xDB\xB9\xDB\xB0"
		"\xDB\xB1\xDB\xB2\xDB\xB0\xDB\xB5\xDB\xB7",                       /* U+06F0.. */
		"\xE0\xA5\xA6\xE0\xA5\xA7\xE0\xA5\xA6\xE0\xA5\xA7\xE0\xA5\xAF\xE0\xA5\xA6-"
		"\xE0\xA5\xA7\xE0\xA5\xA8\xE0\xA5\xA6\xE0\xA5\xAB\xE0\xA5\xAD",   /* U+0966.. */
		"\xF0\x9D\x9F\x8E\xF0\x9D\x9F\x8F\xF0\x9D\x9F\x8E\xF0\x9D\x9F\x8F"
		"\xF0\x9D\x9F\x97\xF0\x9D\x9F\x8E" "12057",                       /* U+1D7CE.. */
		"0101\xE2\x81\xB9\xE2\x81\xB0" "12057",                       /* ⁹ ⁰ */
		"\xEF\xBC\x90" "10190 \xD9\xA1" "2057",
		NULL
	};

	(void)state;
	check_all_scrubbed(spelt);
}

/* Several of the above in one number. */
static void test_scrub_combined(void **state)
{
	static const char *const spelt[] = {
		"\xEF\xBC\x90\xEF\xBC\x91\xE2\x80\x8B\xEF\xBC\x90\xEF\xBC\x91.90\xE2\x80\x89\r\n"
		"  120\xC2\xAD" "57",
		"01/01\xE2\x80\xAF" "90\n\t\xD9\xA1\xD9\xA2\xD9\xA0\xE2\x81\xA0" "57",
		"010\xC2\xA0" "190\xE2\x80\x8D" "-\n120 57",
		NULL
	};

	(void)state;
	check_all_scrubbed(spelt);
}

/* Digits are not joined across letters, long gaps or empty lines, and a
 * run of digits is never split to make a number. */
static void test_scrub_groups_keep(void **state)
{
	static const char *const kept[] = {
		"010190 og 12057", "010190    12057", "010190\n\n12057", "010190 :12057",
		"1010190 12057", "010190 120579", "010190 \xE2\x80\x89 - 12057",
		"0101901205 78", "\xEF\xBC\x90\xEF\xBC\x91" "019012057" "\xEF\xBC\x98",
		"010190\n      \t           12057",
		NULL
	};
	ingest_ctx c = ctx_with(key1, sizeof key1 - 1);
	size_t i;

	(void)state;
	for (i = 0; kept[i]; i++) {
		sbuf t = SBUF_INIT;
		sbuf_adds(&t, kept[i]);
		if (ingest_scrub_text(&c, &t) != 0)
			fail_msg("'%s' became '%s'", kept[i], t.buf);
		sbuf_release(&t);
	}
}

/* Property: valid numbers of every kind, spelt at random (groupings,
 * separators, line breaks, invisible characters, digit scripts), planted
 * at random places in Norwegian-looking text with other numbers in it,
 * never survive scrubbing, even read with separators left out. */
static void test_scrub_planted(void **state)
{
	static const char *const words[] = {
		"Pasienten", "ble", "utskrevet", "fra", "UNN", "Tromsø", "uten", "epikrise", "til",
		"fastlege", "i", "Målselv", "kommune.", "Åsgård,", "«viktig»", "kl", "12.05", "tlf",
		"77 62 60 00", "915 55 555", "01.02.2024", "2024", "nr.", "3", "-", "(se", "vedlegg)",
		"\n", "\r\n", "HER-id 8090100", "org.nr 983 974 899", "f.nr:", "sak 157202551780",
		"12", "\xE2\x80\x8B", "\xC2\xA0", "\xEF\xBC\x91\xEF\xBC\x92", "\xD9\xA3", "/",
	};
	static const char *const before[] = { " ", "\n", ": ", "(", " nr.", "\t", " f.nr ", "\xC2\xA0" };
	static const char *const after[] = { " ", "\n", ")", ".", ",",  " og", "\r\n" };
	ingest_ctx c = ctx_with(key1, sizeof key1 - 1);
	uint64_t seed = 0x5eed2026;
	int iter;

	(void)state;
	for (iter = 0; iter < 20000; iter++) {
		sbuf t = SBUF_INIT;
		char digits[12];
		unsigned i, n = plant_below(&seed, 30), at = plant_below(&seed, n + 1);

		plant_number(&seed, digits);
		assert_true(ingest_fnr_valid(digits));
		for (i = 0; i <= n; i++) {
			if (i == at) {
				sbuf_adds(&t, before[plant_below(&seed, sizeof before / sizeof *before)]);
				plant_spell(&seed, digits, &t);
				sbuf_adds(&t, after[plant_below(&seed, sizeof after / sizeof *after)]);
			}
			if (i < n) {
				sbuf_adds(&t, words[plant_below(&seed, sizeof words / sizeof *words)]);
				sbuf_addch(&t, ' ');
			}
		}
		if (!plant_survives(t.buf, t.len, digits))
			fail_msg("iteration %d: planted %s not found in '%s'", iter, digits, t.buf);
		{
			char *in = xstrdup(t.buf);
			ingest_scrub_text(&c, &t);
			if (plant_survives(t.buf, t.len, digits))
				fail_msg("iteration %d: %s survived: '%s' became '%s'", iter, digits, in, t.buf);
			assert_true(utf8_valid(t.buf, t.len));
			free(in);
		}
		sbuf_release(&t);
	}
}

static void test_patient_key(void **state)
{
	ingest_ctx c = ctx_with(key1, sizeof key1 - 1);
	char *p = pseudo(&c, "01019012057");
	char *bad = pseudo(&c, "01019012058");
	char *text = pseudo(&c, "ABC-123");
	static const char *const same[] = {
		"01019012057", "Kari Nordmann, f.nr 010190-12057", "01.01.90 12057", "0101 90 12057",
		"010190 120 57", NULL
	};
	size_t i;
	char *k;

	(void)state;
	for (i = 0; same[i]; i++) {
		k = ingest_patient_key(&c, same[i], 0);
		if (!k || strcmp(k, p))
			fail_msg("'%s': key %s, expected %s", same[i], k ? k : "(none)", p);
		free(k);
	}
	/* a name alone, or a bad number outside an id field: no key */
	assert_null(ingest_patient_key(&c, "Kari Nordmann", 0));
	assert_null(ingest_patient_key(&c, "010190 12058", 0));
	assert_null(ingest_patient_key(&c, NULL, 1));
	assert_null(ingest_patient_key(&c, "  ", 1));
	/* an id field: a bad number keys on its digits, anything else on its text */
	k = ingest_patient_key(&c, "010190-120 58", 1);
	assert_string_equal(k, bad);
	free(k);
	k = ingest_patient_key(&c, " ABC-123 ", 1);
	assert_string_equal(k, text);
	free(k);
	free(p);
	free(bad);
	free(text);
}

/* Blanks the names (one string, as written) in text; the result. */
static char *blank(const char *names, const char *text)
{
	ingest_names nm = INGEST_NAMES_INIT;
	sbuf t = SBUF_INIT;

	ingest_names_add(&nm, names);
	sbuf_adds(&t, text);
	ingest_blank_names(&nm, &t);
	ingest_names_clear(&nm);
	return sbuf_detach(&t, NULL);
}

static void check_blank(const char *names, const char *text, const char *want)
{
	char *got = blank(names, text);

	if (strcmp(got, want))
		fail_msg("names '%s' in '%s': got '%s', expected '%s'", names, text, got, want);
	free(got);
}

static void test_blank_names(void **state)
{
	(void)state;
	/* any case, the reversed form, genitives */
	check_blank("Kari Nordmann", "KARI NORDMANN, Nordmann, Kari og kari nordmann.",
		    "[pasientnavn] [pasientnavn], [pasientnavn], [pasientnavn] og [pasientnavn] "
		    "[pasientnavn].");
	check_blank("Nordmann, Kari", "NORDMANNS bil, Nordmann's hus, Nordmann\xE2\x80\x99s katt, Karis.",
		    "[pasientnavn] bil, [pasientnavn] hus, [pasientnavn] katt, [pasientnavn].");
	check_blank("Nils Hansen", "Nils' sykkel og 'Hansen' sa", "[pasientnavn] sykkel og '[pasientnavn]' sa");
	/* whole words only */
	check_blank("Kari Nordmann", "Karin, Kariert, Nordmannsen, SKARI, Kari2 og Nordmann-familien",
		    "Karin, Kariert, Nordmannsen, SKARI, Kari2 og [pasientnavn]-familien");
	/* Norwegian, accented and Sámi letters in any case */
	check_blank("Ærlig Østby-Åsen", "ÆRLIG østby ÅSEN, æRLIGs Østbys åsen's",
		    "[pasientnavn] [pasientnavn] [pasientnavn], [pasientnavn] [pasientnavn] [pasientnavn]");
	check_blank("Sørensen Éva Čáhppes Ŋuolla", "SØRENSEN éVA čÁHPPES ŋUOLLA Sorensen",
		    "[pasientnavn] [pasientnavn] [pasientnavn] [pasientnavn] Sorensen");
	/* two letters are a name, one is not; the words of a Pasient line that
	 * are no name stay */
	check_blank("Li A", "Li og A og li.", "[pasientnavn] og A og [pasientnavn].");
	check_blank("Kari Nordmann, f.nr 01019012057, født 1990", "Kari er født, nr 2, f.nr",
		    "[pasientnavn] er født, nr 2, f.nr");
	/* nothing to blank: the text is untouched */
	check_blank("", "Kari", "Kari");
	check_blank("Kari", "", "");
	check_blank("Kari", "\xFF" "Kari\xFF", "\xFF[pasientnavn]\xFF");
}

static void test_pseudonym(void **state)
{
	ingest_ctx c1 = ctx_with(key1, sizeof key1 - 1);
	ingest_ctx c2 = ctx_with(key2, sizeof key2 - 1);
	ingest_ctx nokey = ctx_with(NULL, 0);
	char *a = pseudo(&c1, "15720255178");
	char *b = pseudo(&c1, "15720255178");
	char *other_key = pseudo(&c2, "15720255178");
	char *other_num = pseudo(&c1, "13116900216");
	char *none = pseudo(&nokey, "15720255178");
	unsigned char mac[EVP_MAX_MD_SIZE];
	unsigned int mac_len = 0;
	char want[11];
	size_t i;

	(void)state;
	assert_int_equal(strlen(a), 10);
	for (i = 0; i < 10; i++)
		assert_non_null(strchr("0123456789abcdef", a[i]));
	assert_string_equal(a, b);                 /* stable */
	assert_string_not_equal(a, other_key);     /* key-dependent */
	assert_string_not_equal(a, other_num);
	assert_int_equal(strlen(none), 10);        /* no key: still a token, no crash */
	/* it is the first 5 bytes of HMAC-SHA256(key, number) */
	assert_non_null(HMAC(EVP_sha256(), key1, (int)(sizeof key1 - 1),
			     (const unsigned char *)"15720255178", 11, mac, &mac_len));
	for (i = 0; i < 5; i++)
		snprintf(want + 2 * i, 3, "%02x", mac[i]);
	assert_string_equal(a, want);
	free(a);
	free(b);
	free(other_key);
	free(other_num);
	free(none);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_fnr_valid_examples),
		cmocka_unit_test(test_fnr_variants),
		cmocka_unit_test(test_fnr_2032_rule),
		cmocka_unit_test(test_fnr_invalid),
		cmocka_unit_test(test_scrub_replaces),
		cmocka_unit_test(test_scrub_keeps),
		cmocka_unit_test(test_scrub_boundaries),
		cmocka_unit_test(test_scrub_keeps_utf8),
		cmocka_unit_test(test_scrub_spellings),
		cmocka_unit_test(test_scrub_spellings_keep),
		cmocka_unit_test(test_scrub_line_break),
		cmocka_unit_test(test_scrub_dot_slash),
		cmocka_unit_test(test_scrub_groups),
		cmocka_unit_test(test_scrub_invisible),
		cmocka_unit_test(test_scrub_unicode_space),
		cmocka_unit_test(test_scrub_digits),
		cmocka_unit_test(test_scrub_combined),
		cmocka_unit_test(test_scrub_groups_keep),
		cmocka_unit_test(test_scrub_planted),
		cmocka_unit_test(test_patient_key),
		cmocka_unit_test(test_blank_names),
		cmocka_unit_test(test_pseudonym),
	};

	return cmocka_run_group_tests_name("scrub", tests, NULL, NULL);
}
