/*
 * literal.c - the prefilter's half at load time: from a PCRE2 pattern, a
 * set of literals one of which every match must contain.  The matcher then
 * skips the regex when the lower-cased field holds none of them, so a rule
 * whose words do not occur costs a few byte comparisons instead of a regex
 * run.  The extraction is conservative: whatever it does not understand
 * (inline options, lookarounds, backreferences, classes) yields no literal
 * for that part, and a pattern without one always runs.
 */
#include "classify/classify_int.h"

#include <stdlib.h>
#include <string.h>

/* A set of alternatives: any one must occur. */
typedef struct {
	char **v;
	size_t n;
	int none;       /* no literal can be required */
} lit_set;

typedef struct {
	const char *p, *end;
	int bail;       /* something we do not model: give up on the whole pattern */
} lit_parser;

static void lit_set_free(lit_set *s)
{
	size_t i;

	for (i = 0; i < s->n; i++)
		free(s->v[i]);
	free(s->v);
	s->v = NULL;
	s->n = 0;
}

static void lit_set_add(lit_set *s, const char *lit, size_t len)
{
	size_t i;

	for (i = 0; i < s->n; i++)
		if (strlen(s->v[i]) == len && !memcmp(s->v[i], lit, len))
			return;
	s->v = xrealloc(s->v, (s->n + 1) * sizeof *s->v);
	s->v[s->n++] = xstrndup(lit, len);
}

/* The shortest member decides how well a set filters. */
static size_t lit_set_min(const lit_set *s)
{
	size_t i, m = (size_t)-1;

	if (s->none || !s->n)
		return 0;
	for (i = 0; i < s->n; i++)
		if (strlen(s->v[i]) < m)
			m = strlen(s->v[i]);
	return m;
}

/* Keeps the better of best and cand (cand is consumed). */
static void lit_better(lit_set *best, lit_set *cand)
{
	size_t mb = lit_set_min(best), mc = lit_set_min(cand);

	if (mc > mb || (mc == mb && mc && cand->n < best->n)) {
		lit_set_free(best);
		*best = *cand;
		best->none = 0;
	} else {
		lit_set_free(cand);
	}
	memset(cand, 0, sizeof *cand);
}

/* One byte or UTF-8 letter that lower-cases the same way in the text:
 * ASCII letters and digits, space and harmless punctuation, and the
 * Latin-1/Latin Extended-A letters classify_lower folds.  ß and µ have
 * case partners outside that range, so they end a literal. */
static int lit_char_ok(const char *p, const char *end, size_t *len)
{
	unsigned char c = (unsigned char)*p;
	uint32_t cp;
	const char *q = p;

	if (c < 0x80) {
		*len = 1;
		return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		       (c && strchr(" -/,:;'\"!%&=<>@_~`.#+*?()[]{}|^$", c) != NULL);
	}
	cp = utf8_next(&q, end);
	*len = (size_t)(q - p);
	if (cp == 0xFFFD || cp == 0xDF || cp == 0xB5 || cp == 0xFF)
		return 0;
	return (cp >= 0xC0 && cp <= 0x17F && cp != 0xD7 && cp != 0xF7);
}

/* Skips a quantifier at p; returns 0 none, 1 may be zero (?, *, {0..}),
 * 2 at least once (+, {n..} n >= 1). */
static int lit_quant(lit_parser *ps)
{
	const char *p = ps->p;
	int kind = 0;

	if (p >= ps->end)
		return 0;
	if (*p == '?' || *p == '*') {
		kind = 1;
		p++;
	} else if (*p == '+') {
		kind = 2;
		p++;
	} else if (*p == '{') {
		const char *q = p + 1;
		long lo = 0;
		int digits = 0;
		while (q < ps->end && *q >= '0' && *q <= '9') {
			lo = lo * 10 + (*q - '0');
			q++;
			digits++;
		}
		if (q < ps->end && (*q == '}' || *q == ',') && digits) {
			while (q < ps->end && *q != '}')
				q++;
			if (q < ps->end) {
				kind = lo == 0 ? 1 : 2;
				p = q + 1;
			}
		}
	}
	/* lazy or possessive suffix */
	if (kind && p < ps->end && (*p == '?' || *p == '+'))
		p++;
	ps->p = p;
	return kind;
}

static lit_set lit_alt(lit_parser *ps, int depth);

/* A sequence up to '|' or ')' or the end: the best required literal of
 * the runs of literal characters and of the required groups in it. */
static lit_set lit_seq(lit_parser *ps, int depth)
{
	lit_set best = { NULL, 0, 1 }, cand;
	sbuf run = SBUF_INIT;
	size_t last = 0;    /* length of the last literal char in run */

#define FLUSH() do { if (run.len) { memset(&cand, 0, sizeof cand); \
		lit_set_add(&cand, run.buf, run.len); lit_better(&best, &cand); sbuf_reset(&run); } } while (0)

	while (ps->p < ps->end && !ps->bail) {
		char c = *ps->p;
		size_t len;
		int q;

		if (c == '|' || c == ')')
			break;
		if (c == '(') {
			lit_set g;
			if (ps->p + 2 < ps->end && ps->p[1] == '?' &&
			    (ps->p[2] == '=' || ps->p[2] == '!' ||
			     (ps->p[2] == '<' && ps->p + 3 < ps->end && (ps->p[3] == '=' || ps->p[3] == '!')))) {
				/* a lookaround is zero-width: it only narrows, so skip it */
				int depth2 = 0;
				for (; ps->p < ps->end; ps->p++) {
					if (*ps->p == '\\' && ps->p + 1 < ps->end) {
						ps->p++;
						continue;
					}
					if (*ps->p == '(')
						depth2++;
					else if (*ps->p == ')' && --depth2 == 0)
						break;
				}
				if (ps->p >= ps->end) {
					ps->bail = 1;
					break;
				}
				ps->p++;
				continue;
			}
			if (ps->p + 1 < ps->end && ps->p[1] == '?') {
				if (ps->p + 2 < ps->end && ps->p[2] == ':') {
					ps->p += 3;
				} else {
					ps->bail = 1;   /* options, lookaround, named groups: not modelled */
					break;
				}
			} else {
				ps->p++;
			}
			g = lit_alt(ps, depth + 1);
			if (ps->p >= ps->end || *ps->p != ')') {
				lit_set_free(&g);
				ps->bail = 1;
				break;
			}
			ps->p++;
			q = lit_quant(ps);
			FLUSH();
			if (q == 1 || g.none)
				lit_set_free(&g);
			else
				lit_better(&best, &g);
			last = 0;
			continue;
		}
		if (c == '\\') {
			char e = ps->p + 1 < ps->end ? ps->p[1] : '\0';
			if (e == 'b' || e == 'B' || e == 'A' || e == 'z' || e == 'Z' || e == 'G') {
				ps->p += 2;     /* zero-width: the run goes on */
				continue;
			}
			if (e == 'Q') {
				const char *q2;
				ps->p += 2;
				q2 = ps->p;
				while (q2 < ps->end && !(q2[0] == '\\' && q2 + 1 < ps->end && q2[1] == 'E'))
					q2++;
				while (ps->p < q2) {
					if (lit_char_ok(ps->p, q2, &len)) {
						sbuf_add(&run, ps->p, len);
						last = len;
					} else {
						FLUSH();
						last = 0;
					}
					ps->p += len;
				}
				ps->p = q2 < ps->end ? q2 + 2 : q2;
			} else if (e && strchr(".-/,:;'\"!%&=<>@_~` #()[]{}|*+?^$\\", e) && lit_char_ok(ps->p + 1, ps->end, &len)) {
				sbuf_add(&run, ps->p + 1, 1);
				last = 1;
				ps->p += 2;
			} else {
				/* \w \s \d \p{..} \x{..} back references ...: a non-literal atom */
				ps->p += e ? 2 : 1;
				if (ps->p < ps->end && *ps->p == '{' && (e == 'p' || e == 'P' || e == 'x' || e == 'g' || e == 'k' || e == 'N' || e == 'o')) {
					while (ps->p < ps->end && *ps->p != '}')
						ps->p++;
					if (ps->p < ps->end)
						ps->p++;
				}
				FLUSH();
				last = 0;
				lit_quant(ps);
				continue;
			}
		} else if (c == '[') {
			ps->p++;
			if (ps->p < ps->end && *ps->p == '^')
				ps->p++;
			if (ps->p < ps->end && *ps->p == ']')
				ps->p++;
			while (ps->p < ps->end && *ps->p != ']') {
				if (*ps->p == '\\' && ps->p + 1 < ps->end)
					ps->p++;
				else if (*ps->p == '[' && ps->p + 1 < ps->end && ps->p[1] == ':') {
					const char *q2 = strstr(ps->p, ":]");
					if (q2 && q2 < ps->end)
						ps->p = q2 + 1;
				}
				ps->p++;
			}
			if (ps->p < ps->end)
				ps->p++;
			FLUSH();
			last = 0;
			lit_quant(ps);
			continue;
		} else if (c == '^' || c == '$') {
			ps->p++;
			continue;
		} else if (c == '.' || c == '*' || c == '+' || c == '?' || c == '{') {
			ps->p++;
			FLUSH();
			last = 0;
			lit_quant(ps);
			continue;
		} else if (lit_char_ok(ps->p, ps->end, &len)) {
			sbuf_add(&run, ps->p, len);
			last = len;
			ps->p += len;
		} else {
			const char *q2 = ps->p;
			utf8_next(&q2, ps->end);
			ps->p = q2;
			FLUSH();
			last = 0;
			lit_quant(ps);
			continue;
		}
		/* a quantifier applies to the last literal character */
		q = lit_quant(ps);
		if (q == 1) {
			sbuf_setlen(&run, run.len - last);
			FLUSH();
		} else if (q == 2) {
			FLUSH();
		}
		last = 0;
		if (q)
			continue;
		/* a following quantifier binds to the next char only; nothing to do */
	}
	FLUSH();
#undef FLUSH
	sbuf_release(&run);
	return best;
}

/* Alternatives: each must contribute a literal, and the union is required. */
static lit_set lit_alt(lit_parser *ps, int depth)
{
	lit_set all = { NULL, 0, 0 };

	if (depth > 64) {
		ps->bail = 1;
		all.none = 1;
		return all;
	}
	for (;;) {
		lit_set one = lit_seq(ps, depth);
		size_t i;
		if (one.none || !one.n)
			all.none = 1;
		for (i = 0; !all.none && i < one.n; i++)
			lit_set_add(&all, one.v[i], strlen(one.v[i]));
		lit_set_free(&one);
		if (ps->p < ps->end && *ps->p == '|') {
			ps->p++;
			continue;
		}
		break;
	}
	if (all.none)
		lit_set_free(&all);
	return all;
}

size_t classify_literals(const char *pattern, char ***out)
{
	lit_parser ps;
	lit_set s;
	size_t i;

	*out = NULL;
	ps.p = pattern;
	ps.end = pattern + strlen(pattern);
	ps.bail = 0;
	s = lit_alt(&ps, 0);
	/* a literal of one byte filters nothing worth the bookkeeping */
	if (ps.bail || ps.p != ps.end || s.none || !s.n || lit_set_min(&s) < 2) {
		lit_set_free(&s);
		return 0;
	}
	for (i = 0; i < s.n; i++) {
		sbuf low = SBUF_INIT;
		classify_lower(&low, s.v[i]);
		free(s.v[i]);
		s.v[i] = sbuf_detach(&low, NULL);
	}
	*out = s.v;
	return s.n;
}
