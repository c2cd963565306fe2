/*
 * scrub.c - fødselsnummer detection and keyed pseudonyms (DOMAIN.md 3.1).
 *
 * The rule is deliberately generous: a plausible date (D-, H-, FH- and the
 * synthetic test ranges included) and a valid K2 make a number.  K1 is not
 * required, because numbers issued from 2032 may carry any of four K1 values;
 * a false positive costs a pseudonym in a text, a false negative leaks a
 * patient's identity.
 */
#include "ingest/ingest_int.h"

#include <string.h>

#include <openssl/evp.h>
#include <openssl/hmac.h>

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

/* Length of a digit run starting at s (bounded by end). */
static size_t ingest_digit_run(const char *s, const char *end)
{
	const char *p = s;

	while (p < end && ingest_digit(*p))
		p++;
	return (size_t)(p - s);
}

/* Length of a separator between "DDMMYY" and "NNNNN": space, hyphen or
 * no-break space; 0 when none. */
static size_t ingest_separator(const char *s, const char *end)
{
	if (s < end && (*s == ' ' || *s == '-'))
		return 1;
	if (end - s >= 2 && (unsigned char)s[0] == 0xC2 && (unsigned char)s[1] == 0xA0)
		return 2;
	return 0;
}

int ingest_scrub_text(const ingest_ctx *ctx, sbuf *text)
{
	sbuf out = SBUF_INIT;
	const char *p = text->buf, *end = text->buf + text->len;
	int n = 0;

	while (p < end) {
		char num[12];
		size_t run, used = 0;

		if (!ingest_digit(*p)) {
			sbuf_addch(&out, *p++);
			continue;
		}
		/* p starts a digit run (the previous byte is no digit) */
		run = ingest_digit_run(p, end);
		if (run == 11) {
			memcpy(num, p, 11);
			used = 11;
		} else if (run == 6) {
			size_t sep = ingest_separator(p + 6, end);
			if (sep && ingest_digit_run(p + 6 + sep, end) == 5) {
				memcpy(num, p, 6);
				memcpy(num + 6, p + 6 + sep, 5);
				used = 6 + sep + 5;
			}
		}
		if (used) {
			num[11] = '\0';
			if (ingest_fnr_valid(num)) {
				sbuf_adds(&out, "[pasient:");
				ingest_pseudonym(ctx, num, &out);
				sbuf_addch(&out, ']');
				p += used;
				n++;
				continue;
			}
		}
		sbuf_add(&out, p, run);
		p += run;
	}
	if (n) {
		sbuf_release(text);
		*text = out;
	} else {
		sbuf_release(&out);
	}
	return n;
}
