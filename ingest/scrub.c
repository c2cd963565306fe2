/*
 * scrub.c - fødselsnummer detection and keyed pseudonyms (DOMAIN.md 3.1).
 *
 * The rule is deliberately generous: a plausible date (D-, H-, FH- and the
 * synthetic test ranges included) and a valid K2 make a number.  K1 is not
 * required, because numbers issued from 2032 may carry any of four K1 values;
 * a false positive costs a pseudonym in a text, a false negative leaks a
 * patient's identity.
 *
 * The patient's name, where a message states it (a Patient block, a form's
 * Pasient line), is taken out of every string of the record as well: whole
 * words, any case, with the genitive.
 */
#include "ingest/ingest_int.h"

#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <glib.h>

static int ingest_digit(char c)
{
	return c >= '0' && c <= '9';
}

/* Weighted sum of the first n digits of d modulo 11. */
static int ingest_mod11(const char *d, const int *w, int n)
{
	int i, sum = 0;

	for (i = 0; i < n; i++)
		sum += w[i] * (d[i] - '0');
	return sum % 11;
}

/* Classic K1 (remainder 0) or the 2032 rule (weighted sum incl. K1 mod 11
 * in 0..3).  Only the FH-number check uses it as a requirement. */
static int ingest_k1_classic(const char *d)
{
	static const int w1[10] = { 3, 7, 6, 1, 8, 9, 4, 5, 2, 1 };
	return ingest_mod11(d, w1, 10) == 0;
}

static int ingest_k2_ok(const char *d)
{
	static const int w2[11] = { 5, 4, 3, 2, 7, 6, 5, 4, 3, 2, 1 };
	return ingest_mod11(d, w2, 11) == 0;
}

/* Day and month of a (possibly D-, H- or synthetic) number; the century is
 * unknown, so 29 February is always plausible. */
static int ingest_date_plausible(const char *d)
{
	static const int mdays[12] = { 31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
	int day = (d[0] - '0') * 10 + (d[1] - '0');
	int month = (d[2] - '0') * 10 + (d[3] - '0');

	if (day > 40)
		day -= 40;          /* D-number */
	if (month > 80)
		month -= 80;        /* Skatteetaten Tenor test numbers */
	else if (month > 65)
		month -= 65;        /* NHN/Helsenorge test patients */
	else if (month > 40)
		month -= 40;        /* H-number, NAV Dolly test numbers */
	if (month < 1 || month > 12 || day < 1)
		return 0;
	return day <= mdays[month - 1];
}

int ingest_fnr_valid(const char *digits11)
{
	int i;

	if (!digits11)
		return 0;
	for (i = 0; i < 11; i++)
		if (!ingest_digit(digits11[i]))
			return 0;
	if (digits11[11] != '\0')
		return 0;
	if (!ingest_k2_ok(digits11))
		return 0;
	/* FH-number (first digit 8 or 9): no date, so ask for both check digits */
	if (digits11[0] == '8' || digits11[0] == '9')
		return ingest_k1_classic(digits11);
	return ingest_date_plausible(digits11);
}

void ingest_pseudonym(const ingest_ctx *ctx, const char *digits11, sbuf *out)
{
	static const unsigned char no_key[1];
	unsigned char mac[EVP_MAX_MD_SIZE];
	unsigned int mac_len = 0;
	const unsigned char *key = ctx && ctx->hmac_key ? ctx->hmac_key : no_key;
	size_t key_len = ctx && ctx->hmac_key ? ctx->hmac_key_len : 0;
	int i;

	if (!HMAC(EVP_sha256(), key, (int)key_len, (const unsigned char *)digits11,
		  strlen(digits11), mac, &mac_len) || mac_len < 5) {
		/* cannot happen with a working libcrypto; never fall back to the number */
		sbuf_adds(out, "0000000000");
		return;
	}
	for (i = 0; i < 5; i++)
		sbuf_addf(out, "%02x", mac[i]);
}

/* ---- finding numbers however they are written ----
 *
 * The text is read as a sequence of digit groups: digits of any script
 * (Unicode decimal digits and their NFKC compatibility forms: fullwidth,
 * Arabic-Indic, superscript), with invisible characters (soft hyphen,
 * zero-width spaces and joiners, BOM, direction marks) inside them ignored.
 * Two groups belong to one chain when only a short separator run stands
 * between them: at most three spaces (any Unicode space), dots, slashes or
 * hyphens, or those and one line break with indentation or e-mail quoting
 * after it.  Any whole groups of a chain with eleven digits in all that
 * pass ingest_fnr_valid are a number, and everything from its first digit
 * to its last, separators included, is replaced.  Groups are never split:
 * "1010190 12057" holds no number.  A candidate ends at the group just
 * read and has at most eleven groups, so the scan keeps only the chain's
 * last few groups and stays linear in the text. */

#define FNR_MAX_SEP 3       /* separators between two groups on one line */
#define FNR_MAX_INDENT 16   /* blanks and '>' after a line break */

enum fnr_class { FNR_OTHER, FNR_DIGIT, FNR_INVISIBLE, FNR_BLANK, FNR_SEP, FNR_BREAK, FNR_QUOTE };

/* The value of a digit of any script, -1 for anything else. */
static int ingest_digit_value(uint32_t c)
{
	gunichar d[G_UNICHAR_MAX_DECOMPOSITION_LENGTH];
	int v;

	if (c < 0x80)
		return c >= '0' && c <= '9' ? (int)(c - '0') : -1;
	v = g_unichar_digit_value(c);
	if (v >= 0)
		return v;
	/* other numbers whose NFKC form is one digit: ² ₂ ① */
	if (g_unichar_type(c) == G_UNICODE_OTHER_NUMBER &&
	    g_unichar_fully_decompose(c, TRUE, d, G_UNICHAR_MAX_DECOMPOSITION_LENGTH) == 1)
		return g_unichar_digit_value(d[0]);
	return -1;
}

/* What the code point c is to the finder; *digit gets a digit's value. */
static enum fnr_class ingest_fnr_class(uint32_t c, int *digit)
{
	if (c < 0x80) {
		if (c >= '0' && c <= '9') {
			*digit = (int)(c - '0');
			return FNR_DIGIT;
		}
		if (c == ' ' || c == '\t')
			return FNR_BLANK;
		if (c == '.' || c == '/' || c == '-')
			return FNR_SEP;
		if (c == '\n' || c == '\r' || c == '\v' || c == '\f')
			return FNR_BREAK;
		return c == '>' ? FNR_QUOTE : FNR_OTHER;
	}
	if ((*digit = ingest_digit_value(c)) >= 0)
		return FNR_DIGIT;
	switch (g_unichar_type(c)) {
	case G_UNICODE_FORMAT:              /* U+00AD, U+200B..200F, U+2060.., U+FEFF */
		return FNR_INVISIBLE;
	case G_UNICODE_SPACE_SEPARATOR:     /* U+00A0, U+2000..200A, U+202F, U+3000 */
		return FNR_BLANK;
	case G_UNICODE_DASH_PUNCTUATION:    /* U+2010..2015, U+FE63, U+FF0D */
		return FNR_SEP;
	case G_UNICODE_LINE_SEPARATOR:
	case G_UNICODE_PARAGRAPH_SEPARATOR:
		return FNR_BREAK;
	default:
		break;
	}
	switch (c) {
	case 0x85:                          /* next line */
		return FNR_BREAK;
	case 0x34F: case 0x180E:            /* grapheme joiner, Mongolian vowel separator */
		return FNR_INVISIBLE;
	case 0x2024: case 0xFE52: case 0xFF0E:            /* dots */
	case 0x2044: case 0x2215: case 0xFF0F:            /* slashes */
	case 0x2212:                                      /* minus */
		return FNR_SEP;
	default:
		return c >= 0xFE00 && c <= 0xFE0F ? FNR_INVISIBLE : FNR_OTHER;   /* variation selectors */
	}
}

/* One group of digits: where its first digit starts and its last ends, and
 * its digits (0-9; nd counts up to 12, "more than eleven"). */
typedef struct {
	size_t start, end;
	unsigned nd;
	char d[11];
} fnr_group;

/* The scan's state: where it is, and the chain's last groups that could
 * still be the start of a number (fewer than eleven digits in all). */
typedef struct {
	const char *s, *p, *end;
	fnr_group g[11];
	unsigned n;
} fnr_scan;

/* The class of the code point at *p (moved past it; CRLF is one break). */
static enum fnr_class ingest_fnr_next(const char **p, const char *end, int *digit)
{
	uint32_t c = utf8_next(p, end);
	enum fnr_class k = ingest_fnr_class(c, digit);

	if (c == '\r' && *p < end && **p == '\n')
		(*p)++;
	return k;
}

/* Reads the group starting at sc->p (a digit) into g. */
static void ingest_fnr_group(fnr_scan *sc, fnr_group *g)
{
	const char *q = sc->p;
	int v;

	g->start = (size_t)(sc->p - sc->s);
	g->nd = 0;
	while (sc->p < sc->end) {
		enum fnr_class k = ingest_fnr_next(&q, sc->end, &v);
		if (k == FNR_DIGIT) {
			if (g->nd < 11)
				g->d[g->nd] = (char)('0' + v);
			if (g->nd < 12)
				g->nd++;
			g->end = (size_t)(q - sc->s);
		} else if (k != FNR_INVISIBLE) {
			break;
		}
		sc->p = q;
	}
	sc->p = sc->s + g->end;
}

/* Moves sc->p past the separator run after a group; 1 when it ends at the
 * next digit of the same chain, 0 when the chain ends (sc->p is then at the
 * character that ended it, or the end). */
static int ingest_fnr_link(fnr_scan *sc)
{
	int seps = 0, indent = 0, broken = 0, v;

	while (sc->p < sc->end) {
		const char *q = sc->p;
		enum fnr_class k = ingest_fnr_next(&q, sc->end, &v);

		if (k == FNR_DIGIT)
			return 1;
		if (k == FNR_BREAK && !broken)
			broken = 1;
		else if (k == FNR_BLANK || k == FNR_SEP || (k == FNR_QUOTE && broken)) {
			if (broken ? ++indent > FNR_MAX_INDENT : ++seps > FNR_MAX_SEP)
				return 0;
		} else if (k != FNR_INVISIBLE) {
			return 0;
		}
		sc->p = q;
	}
	return 0;
}

/* Moves sc->p to the next digit, or the end. */
static void ingest_fnr_skip(fnr_scan *sc)
{
	int v;

	while (sc->p < sc->end) {
		const char *q = sc->p;

		if ((unsigned char)*q < 0x80) {    /* the common case, without a lookup */
			if (ingest_digit(*q))
				return;
			sc->p++;
			continue;
		}
		if (ingest_fnr_next(&q, sc->end, &v) == FNR_DIGIT)
			return;
		sc->p = q;
	}
}

/* The next number: its first byte in *at, the byte after its last digit in
 * *to, its digits in digits; 0 at the end of the text.  Numbers come in the
 * order they end; one may overlap the one before. */
static int ingest_fnr_scan_next(fnr_scan *sc, size_t *at, size_t *to, char digits[12])
{
	for (;;) {
		fnr_group *g;
		unsigned i, k, sum;
		int found = 0;

		if (sc->n == 0 || !ingest_fnr_link(sc)) {
			sc->n = 0;
			ingest_fnr_skip(sc);
		}
		if (sc->p >= sc->end)
			return 0;
		g = &sc->g[sc->n++];
		ingest_fnr_group(sc, g);
		/* the groups ending here with eleven digits in all */
		for (k = sc->n, sum = 0; k > 0 && sum < 11; k--)
			sum += sc->g[k - 1].nd;
		if (sum == 11) {
			size_t len = 0;
			for (i = k; i < sc->n; i++) {
				memcpy(digits + len, sc->g[i].d, sc->g[i].nd);
				len += sc->g[i].nd;
			}
			digits[11] = '\0';
			if (ingest_fnr_valid(digits)) {
				*at = sc->g[k].start;
				*to = g->end;
				found = 1;
			}
		}
		/* keep the groups that could start a number ending later */
		for (k = sc->n, sum = 0; k > 0 && sum + sc->g[k - 1].nd < 11; k--)
			sum += sc->g[k - 1].nd;
		memmove(sc->g, sc->g + k, (sc->n - k) * sizeof *sc->g);
		sc->n -= k;
		if (found)
			return 1;
	}
}

size_t ingest_fnr_find(const char *s, size_t len, size_t *at, char digits[12])
{
	fnr_scan sc = { s, s, s + len, { { 0, 0, 0, { 0 } } }, 0 };
	size_t to;

	if (ingest_fnr_scan_next(&sc, at, &to, digits))
		return to - *at;
	digits[0] = '\0';
	return 0;
}

int ingest_scrub_text(const ingest_ctx *ctx, sbuf *text)
{
	fnr_scan sc = { text->buf, text->buf, text->buf + text->len, { { 0, 0, 0, { 0 } } }, 0 };
	sbuf out = SBUF_INIT;
	size_t at, to, copied = 0;
	char num[12];
	int n = 0;

	while (ingest_fnr_scan_next(&sc, &at, &to, num)) {
		/* a number overlapping the one before takes the rest of its span */
		if (at > copied)
			sbuf_add(&out, text->buf + copied, at - copied);
		sbuf_adds(&out, "[pasient:");
		ingest_pseudonym(ctx, num, &out);
		sbuf_addch(&out, ']');
		copied = to;
		n++;
	}
	if (n) {
		sbuf_add(&out, text->buf + copied, text->len - copied);
		sbuf_release(text);
		*text = out;
	} else {
		sbuf_release(&out);
	}
	return n;
}

/* ---- the patient's pseudonym ---- */

char *ingest_patient_key(const ingest_ctx *ctx, const char *value, int is_id)
{
	sbuf key = SBUF_INIT, t = SBUF_INIT;
	char digits[12];
	size_t at, n = 0;
	const char *s;

	if (!value)
		return NULL;
	/* a valid number in any spelling, wherever it stands in the value */
	if (ingest_fnr_find(value, strlen(value), &at, digits)) {
		ingest_pseudonym(ctx, digits, &key);
		return sbuf_detach(&key, NULL);
	}
	if (!is_id)
		return NULL;
	/* the patient's id field: malformed, but still theirs; link it, never
	 * store it.  Eleven digits written with separators key on the digits */
	for (s = value; *s; s++) {
		if (ingest_digit(*s)) {
			if (n < 11)
				digits[n] = *s;
			n++;
		} else if (*s != ' ' && *s != '-' && *s != '.' && *s != '\t') {
			n = 99;
			break;
		}
	}
	if (n == 11) {
		digits[11] = '\0';
		ingest_pseudonym(ctx, digits, &key);
		return sbuf_detach(&key, NULL);
	}
	sbuf_adds(&t, value);
	sbuf_trim(&t);
	if (t.len)
		ingest_pseudonym(ctx, t.buf, &key);
	sbuf_release(&t);
	return key.len ? sbuf_detach(&key, NULL) : NULL;
}

/* ---- the patient's name ---- */

/* Lower case for the letters names are written with: ASCII, Latin-1 (ÆØÅ,
 * accented letters) and Latin Extended-A (Sámi č đ ŋ š ŧ ž and the rest). */
static uint32_t ingest_lower(uint32_t c)
{
	if (c >= 'A' && c <= 'Z')
		return c + 32;
	if (c >= 0xC0 && c <= 0xDE && c != 0xD7)
		return c + 32;
	if ((c >= 0x100 && c <= 0x137) || (c >= 0x14A && c <= 0x177))
		return c | 1;
	if ((c >= 0x139 && c <= 0x148) || (c >= 0x179 && c <= 0x17E))
		return (c & 1) ? c + 1 : c;
	if (c == 0x178)
		return 0xFF;
	return c;
}

/* A letter of a name: ASCII letters, and any letter-ish code point from
 * U+00C0 up (punctuation, symbols and the replacement character are not). */
static int ingest_letter(uint32_t c)
{
	if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'))
		return 1;
	if (c < 0xC0 || c == 0xD7 || c == 0xF7 || c == 0xFFFD)
		return 0;
	if (c >= 0x2000 && c <= 0x2BFF)   /* punctuation, arrows, maths, symbols */
		return 0;
	if (c >= 0x3000 && c <= 0x303F)
		return 0;
	return 1;
}

/* Part of a word for the whole-word test: letters and digits. */
static int ingest_word_cp(uint32_t c)
{
	return ingest_letter(c) || (c >= '0' && c <= '9');
}

static int ingest_apostrophe(uint32_t c)
{
	return c == '\'' || c == 0x2019;
}

/* Words of a Pasient line that are no name. */
static const char *const ingest_not_names[] = {
	"f", "nr", "fnr", "pnr", "dnr", "født", "fodt", "fødd", "fodd", "fødselsnummer",
	"fodselsnummer", "fødselsnr", "personnummer", "personnr", "pasient", "pasienten",
	"pasientens", "navn", "og", "med", "ukjent", "nn", NULL
};

void ingest_names_add(ingest_names *nm, const char *name)
{
	const char *p = name, *end;

	if (!name)
		return;
	end = name + strlen(name);
	while (p < end) {
		sbuf w = SBUF_INIT;
		size_t letters = 0, i;
		int dup = 0;

		/* a word: a run of letters (digits and punctuation split names) */
		for (;;) {
			const char *q = p;
			uint32_t c;

			if (p >= end)
				break;
			c = utf8_next(&q, end);
			if (!ingest_letter(c)) {
				if (!letters) {
					p = q;
					continue;
				}
				break;
			}
			utf8_encode(&w, ingest_lower(c));
			letters++;
			p = q;
		}
		for (i = 0; ingest_not_names[i] && !dup; i++)
			dup = !strcmp(w.buf, ingest_not_names[i]);
		for (i = 0; i < nm->n && !dup; i++)
			dup = !strcmp(w.buf, nm->words[i]);
		if (letters >= 2 && !dup) {
			nm->words = xrealloc(nm->words, (nm->n + 1) * sizeof *nm->words);
			nm->words[nm->n++] = sbuf_detach(&w, NULL);
		}
		sbuf_release(&w);
	}
}

void ingest_names_clear(ingest_names *nm)
{
	size_t i;

	for (i = 0; i < nm->n; i++)
		free(nm->words[i]);
	free(nm->words);
	nm->words = NULL;
	nm->n = 0;
}

/* Whether the lower-cased word w (len bytes) is one of the names, or one
 * of them with a genitive s ("Nordmanns"). */
static int ingest_is_name(const ingest_names *nm, const char *w, size_t len)
{
	size_t i;

	for (i = 0; i < nm->n; i++) {
		size_t nl = strlen(nm->words[i]);
		if (memcmp(nm->words[i], w, nl < len ? nl : len))
			continue;
		if (nl == len || (nl + 1 == len && w[nl] == 's'))
			return 1;
	}
	return 0;
}

int ingest_blank_names(const ingest_names *nm, sbuf *text)
{
	sbuf out = SBUF_INIT, low = SBUF_INIT;
	const char *p, *end, *copied;
	uint32_t prev = ' ';
	int hits = 0;

	if (!nm || !nm->n || !text->len)
		return 0;
	p = copied = text->buf;
	end = text->buf + text->len;
	while (p < end) {
		const char *q = p, *w_end;
		uint32_t c = utf8_next(&q, end), last = 0;

		if (!ingest_word_cp(c) || ingest_word_cp(prev)) {
			prev = c;
			p = q;
			continue;
		}
		/* p starts a word: lower-case it */
		sbuf_reset(&low);
		w_end = p;
		while (w_end < end) {
			const char *r = w_end;
			uint32_t d = utf8_next(&r, end);
			if (!ingest_word_cp(d))
				break;
			utf8_encode(&low, ingest_lower(d));
			last = ingest_lower(d);
			w_end = r;
		}
		if (ingest_is_name(nm, low.buf, low.len)) {
			/* genitive: "Nordmann's", "Nordmann’s", "Nils'" */
			const char *r = w_end;
			uint32_t a = w_end < end ? utf8_next(&r, end) : 0;
			if (ingest_apostrophe(a)) {
				const char *r2 = r;
				uint32_t s = r < end ? utf8_next(&r2, end) : 0;
				uint32_t after = 0;
				const char *r3 = r2;
				if (r2 < end)
					after = utf8_next(&r3, end);
				if ((s == 's' || s == 'S') && !ingest_word_cp(after))
					w_end = r2;
				else if ((last == 's' || last == 'x' || last == 'z') && !ingest_word_cp(s))
					w_end = r;
			}
			sbuf_add(&out, copied, (size_t)(p - copied));
			sbuf_adds(&out, "[pasientnavn]");
			copied = w_end;
			hits++;
		}
		prev = 'a';   /* inside a word until the next non-word character */
		p = w_end;
	}
	if (hits) {
		sbuf_add(&out, copied, (size_t)(end - copied));
		sbuf_release(text);
		*text = out;
	} else {
		sbuf_release(&out);
	}
	sbuf_release(&low);
	return hits;
}

/* Names out of *s, then (with scrub) fødselsnummer; *s stays valid UTF-8. */
static void ingest_clean_str(const ingest_ctx *ctx, const ingest_names *nm, char **s, int scrub)
{
	sbuf b = SBUF_INIT;

	if (!*s)
		return;
	utf8_sanitize(&b, *s, strlen(*s));
	ingest_blank_names(nm, &b);
	if (scrub)
		ingest_scrub_text(ctx, &b);
	free(*s);
	*s = sbuf_detach(&b, NULL);
}

void ingest_clean_text(const ingest_ctx *ctx, const ingest_names *nm, const char *in, sbuf *out)
{
	char *s = xstrdup(in ? in : "");

	ingest_clean_str(ctx, nm, &s, 1);
	sbuf_adds(out, s);
	free(s);
}

static void ingest_clean_party(const ingest_ctx *ctx, const ingest_names *nm, avvik_party *p)
{
	ingest_clean_str(ctx, nm, &p->name, 1);
	ingest_clean_str(ctx, nm, &p->unit, 1);
	ingest_clean_str(ctx, nm, &p->her_id, 1);
	ingest_clean_str(ctx, nm, &p->org_nr, 1);
	ingest_clean_str(ctx, nm, &p->type_hint, 1);
}

void ingest_clean_record(const ingest_ctx *ctx, const ingest_names *nm, avvik_record *r)
{
	size_t i;

	/* everything a sender wrote, and the origin (file and attachment names
	 * are written by senders too); dates, channel, source and the key are
	 * ours */
	ingest_clean_str(ctx, nm, &r->ext_id, 1);
	ingest_clean_str(ctx, NULL, &r->source, 0);
	ingest_clean_str(ctx, NULL, &r->channel, 0);
	ingest_clean_str(ctx, nm, &r->origin, 1);
	ingest_clean_str(ctx, NULL, &r->received_at, 0);
	ingest_clean_str(ctx, NULL, &r->reported_at, 0);
	ingest_clean_str(ctx, NULL, &r->event_date, 0);
	ingest_clean_party(ctx, nm, &r->reporter);
	ingest_clean_party(ctx, nm, &r->concerned);
	ingest_clean_str(ctx, nm, &r->subject, 1);
	ingest_clean_str(ctx, nm, &r->text, 1);
	ingest_clean_str(ctx, nm, &r->source_category, 1);
	ingest_clean_str(ctx, nm, &r->severity, 1);
	ingest_clean_str(ctx, NULL, &r->patient_key, 0);
	for (i = 0; i < r->n_attachments; i++) {
		ingest_clean_str(ctx, nm, &r->attachments[i].name, 1);
		ingest_clean_str(ctx, nm, &r->attachments[i].mime_type, 1);
	}
}
