/*
 * fnr_plant.h - valid fødselsnummer (D-, H-, FH- and synthetic test numbers
 * too) planted in random spellings, and the check that none survives
 * scrubbing: shared by the property test (tests/unit/test_scrub.c) and
 * the fuzz target (tests/fuzz/fuzz_scrub.c).  Everything is static inline.
 */
#ifndef AVVIK_FNR_PLANT_H
#define AVVIK_FNR_PLANT_H

#include "ingest/ingest.h"

#include <stdint.h>
#include <string.h>

#include <glib.h>

/* xorshift64*: deterministic for a seed */
static inline uint64_t plant_rand(uint64_t *s)
{
	*s ^= *s >> 12;
	*s ^= *s << 25;
	*s ^= *s >> 27;
	return *s * 2685821657736338717ULL;
}

static inline unsigned plant_below(uint64_t *s, unsigned n)
{
	return (unsigned)(plant_rand(s) >> 33) % n;
}

/* A valid number in digits: ordinary, D, H, NHN and Tenor test, FH; K1 by
 * the classic or the 2032 rule. */
static inline void plant_number(uint64_t *s, char digits[12])
{
	static const int w1[9] = { 3, 7, 6, 1, 8, 9, 4, 5, 2 };
	static const int w2[10] = { 5, 4, 3, 2, 7, 6, 5, 4, 3, 2 };
	static const int month_add[] = { 0, 0, 40, 65, 80 };

	for (;;) {
		unsigned kind = plant_below(s, 6), i;
		int sum = 0, k1, k2;

		if (kind == 5) {            /* FH: no date, classic K1 */
			digits[0] = (char)('8' + plant_below(s, 2));
			for (i = 1; i < 9; i++)
				digits[i] = (char)('0' + plant_below(s, 10));
		} else {
			unsigned day = 1 + plant_below(s, 28) + (kind == 1 ? 40 : 0);
			unsigned month = 1 + plant_below(s, 12) + (unsigned)month_add[kind];
			unsigned rest = plant_below(s, 100000);   /* year and individnummer */
			g_snprintf(digits, 12, "%02u%02u%05u", day, month, rest);
		}
		for (i = 0; i < 9; i++)
			sum += w1[i] * (digits[i] - '0');
		k1 = ((kind == 5 ? 0 : (int)plant_below(s, 4)) + 11 - sum % 11) % 11;
		if (k1 == 10)
			continue;
		digits[9] = (char)('0' + k1);
		for (i = 0, sum = 0; i < 10; i++)
			sum += w2[i] * (digits[i] - '0');
		k2 = (11 - sum % 11) % 11;
		if (k2 == 10)
			continue;
		digits[10] = (char)('0' + k2);
		digits[11] = '\0';
		return;
	}
}

/* digits spelt at random: digit scripts (one for the number or one per
 * digit), separators between the digits (spaces of any kind, dots, slashes,
 * hyphens, a line break with indentation) and invisible characters. */
static inline void plant_spell(uint64_t *s, const char *digits, sbuf *out)
{
	static const uint32_t zero[] = {
		'0', 0xFF10, 0x660, 0x6F0, 0x966, 0x9E6, 0xE50, 0x1040, 0x17E0, 0x1D7CE, 0x1D7EC
	};
	static const char *const sep[] = {
		" ", ".", "/", "-", " - ", ". ", " / ", "\xC2\xA0", "\xE2\x80\x89", "\xE2\x80\xAF",
		"\xE2\x80\x87", "\xE3\x80\x80", "\t", "\xE2\x80\x93", "\xEF\xBC\x8E", "\n", "\r\n",
		"\n    ", " \r\n\t", "-\n", "\n> ", "\xE2\x80\xA8", "\r"
	};
	static const uint32_t invisible[] = { 0x200B, 0x200C, 0x200D, 0x2060, 0xFEFF, 0xAD, 0x200E };
	size_t nz = sizeof zero / sizeof *zero;
	uint32_t script = zero[plant_below(s, (unsigned)nz)];
	int mixed = plant_below(s, 4) == 0;
	unsigned gap = 1 + plant_below(s, 4);   /* how often the digits are split */
	size_t i;

	for (i = 0; i < 11; i++) {
		uint32_t z = mixed ? zero[plant_below(s, (unsigned)nz)] : script;

		if (i && plant_below(s, 6) == 0)
			utf8_encode(out, invisible[plant_below(s, sizeof invisible / sizeof *invisible)]);
		if (i && plant_below(s, gap + 1) == 0)
			sbuf_adds(out, sep[plant_below(s, sizeof sep / sizeof *sep)]);
		if (i && plant_below(s, 8) == 0)
			utf8_encode(out, invisible[plant_below(s, sizeof invisible / sizeof *invisible)]);
		utf8_encode(out, z + (uint32_t)(digits[i] - '0'));
	}
}

/* Whether the 11 digits survive in text: digits of any script read as
 * 0-9 (NFKC), spaces, dots, slashes, hyphens, line breaks, quoting and
 * invisible characters left out. */
static inline int plant_survives(const char *text, size_t len, const char *digits)
{
	char *nfkc = g_utf8_normalize(text, (gssize)len, G_NORMALIZE_NFKC);
	const char *p;
	sbuf flat = SBUF_INIT;
	int found;

	if (!nfkc)   /* not valid UTF-8: read it as it is */
		nfkc = g_strndup(text, len);
	for (p = nfkc; *p; p = g_utf8_next_char(p)) {
		gunichar c = g_utf8_get_char_validated(p, -1);
		int v = g_unichar_digit_value(c);

		if (c == (gunichar)-1 || c == (gunichar)-2)
			continue;
		if (v >= 0)
			sbuf_addch(&flat, '0' + v);
		else if (c < 0x80 && strchr(" \t\r\n\v\f./->", (int)c))
			continue;
		else if (g_unichar_isspace(c) || g_unichar_type(c) == G_UNICODE_FORMAT ||
			 g_unichar_type(c) == G_UNICODE_DASH_PUNCTUATION ||
			 g_unichar_type(c) == G_UNICODE_SPACE_SEPARATOR || c == 0x2215 || c == 0x2044)
			continue;
		else
			sbuf_addch(&flat, '#');
	}
	found = flat.len && strstr(flat.buf, digits) != NULL;
	sbuf_release(&flat);
	g_free(nfkc);
	return found;
}

#endif
