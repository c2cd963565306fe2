/* utf8.c - decoding, sanitising and the folding used to match names. */
#include "core.h"

#include <string.h>

uint32_t utf8_next(const char **pp, const char *end)
{
	const unsigned char *p = (const unsigned char *)*pp;
	uint32_t cp;
	int n, i;

	if (p[0] < 0x80) {
		*pp += 1;
		return p[0];
	}
	if (p[0] >= 0xC2 && p[0] <= 0xDF) {
		n = 1;
		cp = p[0] & 0x1F;
	} else if (p[0] >= 0xE0 && p[0] <= 0xEF) {
		n = 2;
		cp = p[0] & 0x0F;
	} else if (p[0] >= 0xF0 && p[0] <= 0xF4) {
		n = 3;
		cp = p[0] & 0x07;
	} else {
		goto invalid;
	}
	if (end - (const char *)p < n + 1)
		goto invalid;
	for (i = 1; i <= n; i++) {
		if ((p[i] & 0xC0) != 0x80)
			goto invalid;
		cp = (cp << 6) | (p[i] & 0x3F);
	}
	/* overlong, surrogates, beyond Unicode */
	if ((n == 2 && cp < 0x800) || (n == 3 && cp < 0x10000) ||
	    (cp >= 0xD800 && cp <= 0xDFFF) || cp > 0x10FFFF)
		goto invalid;
	*pp += n + 1;
	return cp;
invalid:
	*pp += 1;
	return 0xFFFD;
}

int utf8_valid(const char *s, size_t len)
{
	const char *p = s, *end = s + len;

	while (p < end) {
		const char *start = p;
		uint32_t cp = utf8_next(&p, end);
		if (cp == 0xFFFD && !(p - start == 3 && !memcmp(start, "\xEF\xBF\xBD", 3)))
			return 0;
	}
	return 1;
}

void utf8_encode(sbuf *out, uint32_t cp)
{
	char b[4];

	if (cp < 0x80) {
		sbuf_addch(out, (int)cp);
	} else if (cp < 0x800) {
		b[0] = (char)(0xC0 | (cp >> 6));
		b[1] = (char)(0x80 | (cp & 0x3F));
		sbuf_add(out, b, 2);
	} else if (cp < 0x10000) {
		b[0] = (char)(0xE0 | (cp >> 12));
		b[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
		b[2] = (char)(0x80 | (cp & 0x3F));
		sbuf_add(out, b, 3);
	} else {
		b[0] = (char)(0xF0 | (cp >> 18));
		b[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
		b[2] = (char)(0x80 | ((cp >> 6) & 0x3F));
		b[3] = (char)(0x80 | (cp & 0x3F));
		sbuf_add(out, b, 4);
	}
}

void utf8_sanitize(sbuf *out, const char *s, size_t len)
{
	const char *p = s, *end = s + len;

	while (p < end) {
		const char *start = p;
		uint32_t cp = utf8_next(&p, end);
		if (cp < 0x20 && cp != '\t' && cp != '\n' && cp != '\r')
			sbuf_addch(out, ' ');
		else if (cp == 0x7F)
			sbuf_addch(out, ' ');
		else if (cp == 0xFFFD && p - start != 3)
			utf8_encode(out, 0xFFFD);   /* an invalid byte, not a literal U+FFFD */
		else
			sbuf_add(out, start, (size_t)(p - start));
	}
}

/* Folding of one code point to ASCII; NULL when it is not a letter we know. */
static const char *fold_latin(uint32_t cp)
{
	static const char *latin1[64] = {
		/* C0 */ "a", "a", "a", "a", "a", "a", "ae", "c",
		/* C8 */ "e", "e", "e", "e", "i", "i", "i", "i",
		/* D0 */ "d", "n", "o", "o", "o", "o", "o", NULL,
		/* D8 */ "o", "u", "u", "u", "u", "y", "th", "ss",
		/* E0 */ "a", "a", "a", "a", "a", "a", "ae", "c",
		/* E8 */ "e", "e", "e", "e", "i", "i", "i", "i",
		/* F0 */ "d", "n", "o", "o", "o", "o", "o", NULL,
		/* F8 */ "o", "u", "u", "u", "u", "y", "th", "y",
	};

	if (cp >= 0xC0 && cp <= 0xFF)
		return latin1[cp - 0xC0];
	switch (cp) {
	case 0x100: case 0x101: case 0x102: case 0x103: case 0x104: case 0x105: return "a";
	case 0x10C: case 0x10D: case 0x106: case 0x107: return "c";
	case 0x110: case 0x111: return "d";
	case 0x112: case 0x113: case 0x118: case 0x119: case 0x11A: case 0x11B: return "e";
	case 0x14A: case 0x14B: case 0x143: case 0x144: case 0x147: case 0x148: return "n";
	case 0x160: case 0x161: case 0x15A: case 0x15B: return "s";
	case 0x166: case 0x167: return "t";
	case 0x17D: case 0x17E: case 0x179: case 0x17A: case 0x17B: case 0x17C: return "z";
	case 0x1E5: case 0x1E4: return "g";
	case 0x1E9: case 0x1E8: return "k";
	case 0x1B7: case 0x292: case 0x1EE: case 0x1EF: return "z";
	}
	return NULL;
}

void utf8_fold(sbuf *out, const char *s)
{
	const char *p = s, *end = s + strlen(s);
	int pending_space = 0;
	size_t start_len = out->len;

	while (p < end) {
		const char *cstart = p;
		uint32_t cp = utf8_next(&p, end);
		const char *f = NULL;
		char ascii[2] = { 0, 0 };

		if (cp < 0x80) {
			if (cp >= 'A' && cp <= 'Z')
				cp += 32;
			if ((cp >= 'a' && cp <= 'z') || (cp >= '0' && cp <= '9')) {
				ascii[0] = (char)cp;
				f = ascii;
			}
		} else {
			f = fold_latin(cp);
			if (!f && cp != 0xFFFD && !(cp >= 0x2000 && cp <= 0x206F) &&
			    !(cp >= 0x80 && cp <= 0xBF)) {
				/* another letter: keep it as it is */
				if (pending_space && out->len > start_len)
					sbuf_addch(out, ' ');
				pending_space = 0;
				sbuf_add(out, cstart, (size_t)(p - cstart));
				continue;
			}
		}
		if (!f) {
			pending_space = 1;
			continue;
		}
		if (pending_space && out->len > start_len)
			sbuf_addch(out, ' ');
		pending_space = 0;
		sbuf_adds(out, f);
	}
}

int text_edit_distance(const char *a, const char *b, int max)
{
	size_t la = strlen(a), lb = strlen(b), i, j;
	int prev[128], cur[128];

	if (la > 126 || lb > 126)
		return strcmp(a, b) ? max + 1 : 0;
	if ((int)(la > lb ? la - lb : lb - la) > max)
		return max + 1;
	for (j = 0; j <= lb; j++)
		prev[j] = (int)j;
	for (i = 1; i <= la; i++) {
		int row_min;
		cur[0] = (int)i;
		row_min = cur[0];
		for (j = 1; j <= lb; j++) {
			int cost = a[i - 1] == b[j - 1] ? 0 : 1;
			int v = prev[j - 1] + cost;
			if (prev[j] + 1 < v)
				v = prev[j] + 1;
			if (cur[j - 1] + 1 < v)
				v = cur[j - 1] + 1;
			cur[j] = v;
			if (v < row_min)
				row_min = v;
		}
		if (row_min > max)
			return max + 1;
		memcpy(prev, cur, (lb + 1) * sizeof prev[0]);
	}
	return prev[lb] > max ? max + 1 : prev[lb];
}

size_t utf8_width(const char *s)
{
	const char *p = s, *end = s + strlen(s);
	size_t n = 0;

	while (p < end) {
		utf8_next(&p, end);
		n++;
	}
	return n;
}
