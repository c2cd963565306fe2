/*
 * match.c - classifies one record: resolves its parties, evaluates every
 * rule's condition tree, picks the primary category (highest priority,
 * then the rule defined first), unions the tags and records which rules
 * matched on what text, so `avvik explain` can answer "why?".
 */
#include "classify/classify_int.h"

#include <stdlib.h>
#include <string.h>

#define EXCERPT_MAX 60
#define MAX_HITS 16

/* One record prepared for matching: text fields as valid UTF-8 with
 * whitespace squeezed (so "ikke\nmottatt" matches "ikke mottatt"). */
typedef struct {
	sbuf f[CF__N];
	org_type reporter_type, concerned_type;
	pcre2_match_data *md;
} classify_ctx;

typedef struct {
	int field;          /* CF_* bit index, or -1 for a type condition */
	int reporter;       /* type condition: which party */
	size_t a, b;        /* byte span in the field */
} classify_hit;

typedef struct {
	classify_hit v[MAX_HITS];
	size_t n;
} classify_hits;

static const char *const classify_field_names[CF__N] = {
	"text", "subject", "source_category", "reporter", "reporter", "concerned", "concerned",
};

static void classify_ctx_field(classify_ctx *c, int i, const char *s)
{
	sbuf_init(&c->f[i], 0);
	if (!s)
		return;
	utf8_sanitize(&c->f[i], s, strlen(s));
	sbuf_squeeze_space(&c->f[i]);
}

static int classify_is_cont(unsigned char c)
{
	return (c & 0xC0) == 0x80;
}

#define NEAR_MAX 32

/* Non-overlapping matches of re in f, left to right, at most NEAR_MAX. */
static size_t classify_all_matches(const pcre2_code *re, const sbuf *f, pcre2_match_data *md,
				   size_t sp[][2])
{
	size_t n = 0, off = 0;

	while (n < NEAR_MAX && off <= f->len) {
		PCRE2_SIZE *ov;
		if (pcre2_match(re, (PCRE2_SPTR)f->buf, f->len, off, PCRE2_NO_UTF_CHECK, md, NULL) < 0)
			break;
		ov = pcre2_get_ovector_pointer(md);
		sp[n][0] = ov[0];
		sp[n][1] = ov[1] > ov[0] ? ov[1] : ov[0];
		n++;
		if (ov[1] > ov[0]) {
			off = ov[1];
		} else {
			off = ov[0] + 1;
			while (off < f->len && classify_is_cont((unsigned char)f->buf[off]))
				off++;
		}
	}
	return n;
}

/* An upper-case letter at p (ASCII or Æ Ø Å): "oppholdet.Ønsker" is two
 * sentences run together, as XHTML paragraphs often come out. */
static int classify_is_upper(const char *p, const char *end)
{
	uint32_t cp = utf8_next(&p, end);

	return (cp >= 'A' && cp <= 'Z') || (cp >= 0xC0 && cp <= 0xDE && cp != 0xD7);
}

/* Words between two matches, or -1 when a clause ends between them (a
 * , . ; : ! ? followed by a space, or . ! ? followed by a capital letter:
 * "12.03" or "med.liste" do not end one). */
static int classify_gap_words(const char *s, size_t a, size_t b, int max)
{
	const char *p = s + a, *end = s + b;
	int words = 0, in_word = 0;

	while (p < end) {
		const char *at = p;
		uint32_t cp = utf8_next(&p, end);
		int letter = (cp < 0x80 && ((cp >= '0' && cp <= '9') || ((cp | 32) >= 'a' && (cp | 32) <= 'z') || cp == '_')) ||
			     (cp >= 0xC0 && cp != 0xD7 && cp != 0xF7 && !(cp >= 0x2000 && cp <= 0x206F) && cp != 0xFFFD);
		if (cp && cp < 0x80 && strchr(",.;:!?", (int)cp) &&
		    (at + 1 >= end || at[1] == ' ' || (strchr(".!?", (int)cp) && classify_is_upper(at + 1, end))))
			return -1;
		if (letter && !in_word && ++words > max)
			return words;   /* far enough: no need to scan the rest */
		in_word = letter;
	}
	return words;
}

static int classify_eval_near(const classify_cond *c, classify_ctx *ctx, classify_hits *hits, int negated)
{
	size_t sa[NEAR_MAX][2], sb[NEAR_MAX][2];
	int bit;

	for (bit = 0; bit < CF__N; bit++) {
		const sbuf *f = &ctx->f[bit];
		size_t na, nb, i, j;
		if (!(c->fields & (1u << bit)) || !f->len)
			continue;
		if (!(na = classify_all_matches(c->re, f, ctx->md, sa)) ||
		    !(nb = classify_all_matches(c->re2, f, ctx->md, sb)))
			continue;
		for (i = 0; i < na; i++)
			for (j = 0; j < nb; j++) {
				size_t ga, gb;
				int w;
				if (sa[i][1] <= sb[j][0]) {
					ga = sa[i][1];
					gb = sb[j][0];
				} else if (!c->ordered && sb[j][1] <= sa[i][0]) {
					ga = sb[j][1];
					gb = sa[i][0];
				} else {
					continue;   /* overlapping, or b before a when ordered */
				}
				w = classify_gap_words(f->buf, ga, gb, c->within);
				if (w < 0 || w > c->within)
					continue;
				if (!negated && hits->n < MAX_HITS) {
					hits->v[hits->n].field = bit;
					hits->v[hits->n].a = sa[i][0] < sb[j][0] ? sa[i][0] : sb[j][0];
					hits->v[hits->n].b = sa[i][1] > sb[j][1] ? sa[i][1] : sb[j][1];
					hits->n++;
				}
				return 1;
			}
	}
	return 0;
}

/* Evaluates a condition; positive pattern matches (not under "not") are
 * added to hits so the excerpt shows what made the rule fire. */
static int classify_eval(const classify_cond *c, classify_ctx *ctx, classify_hits *hits, int negated)
{
	size_t i;
	int bit;

	switch (c->kind) {
	case CC_ALL:
		for (i = 0; i < c->n; i++)
			if (!classify_eval(c->kids[i], ctx, hits, negated))
				return 0;
		return 1;
	case CC_ANY:
		for (i = 0; i < c->n; i++)
			if (classify_eval(c->kids[i], ctx, hits, negated))
				return 1;
		return 0;
	case CC_NOT:
		return !classify_eval(c->kids[0], ctx, hits, !negated);
	case CC_NEAR:
		return classify_eval_near(c, ctx, hits, negated);
	case CC_TYPE: {
		org_type t = c->type_reporter ? ctx->reporter_type : ctx->concerned_type;
		if (!(c->type_mask & (1u << t)))
			return 0;
		if (!negated && hits->n < MAX_HITS) {
			hits->v[hits->n].field = -1;
			hits->v[hits->n].reporter = c->type_reporter;
			hits->n++;
		}
		return 1;
	}
	case CC_PATTERN:
		for (bit = 0; bit < CF__N; bit++) {
			const sbuf *f = &ctx->f[bit];
			int rc;
			if (!(c->fields & (1u << bit)) || !f->len)
				continue;
			rc = pcre2_match(c->re, (PCRE2_SPTR)f->buf, f->len, 0, PCRE2_NO_UTF_CHECK, ctx->md, NULL);
			if (rc >= 0) {
				PCRE2_SIZE *ov = pcre2_get_ovector_pointer(ctx->md);
				if (!negated && hits->n < MAX_HITS) {
					hits->v[hits->n].field = bit;
					hits->v[hits->n].a = ov[0];
					hits->v[hits->n].b = ov[1] > ov[0] ? ov[1] : ov[0];
					hits->n++;
				}
				return 1;
			}
			/* PCRE2_ERROR_NOMATCH, or a resource limit: counts as no match */
		}
		return 0;
	}
	return 0;
}

/* The excerpt: the first hit, stretched over later hits in the same field
 * while it stays within EXCERPT_MAX bytes, then widened to about
 * EXCERPT_MAX bytes on UTF-8 boundaries, preferring word boundaries. */
static void classify_excerpt(const classify_ctx *ctx, const classify_hits *hits, const classify_hit *first,
			     sbuf *out)
{
	const sbuf *f = &ctx->f[first->field];
	size_t a = first->a, b = first->b, i, room, sa, sb;

	for (i = 0; i < hits->n; i++) {
		const classify_hit *h = &hits->v[i];
		size_t na, nb;
		if (h->field != first->field)
			continue;
		na = h->a < a ? h->a : a;
		nb = h->b > b ? h->b : b;
		if (nb - na <= EXCERPT_MAX) {
			a = na;
			b = nb;
		}
	}
	if (b - a > EXCERPT_MAX) {
		b = a + EXCERPT_MAX;
		while (b > a && classify_is_cont((unsigned char)f->buf[b]))
			b--;
	} else {
		room = EXCERPT_MAX - (b - a);
		sa = a > room / 2 ? a - room / 2 : 0;
		sb = b + (room - (a - sa));
		if (sb > f->len) {
			size_t extra = sb - f->len;
			sb = f->len;
			sa = sa > extra ? sa - extra : 0;
		}
		/* start and end on whole words when there is a space to cut at */
		if (sa > 0) {
			size_t k = sa;
			while (k < a && f->buf[k - 1] != ' ')
				k++;
			sa = k;
		}
		if (sb < f->len) {
			size_t k = sb;
			while (k > b && f->buf[k] != ' ')
				k--;
			sb = k;
		}
		while (sa < a && classify_is_cont((unsigned char)f->buf[sa]))
			sa++;
		while (sb > b && sb < f->len && classify_is_cont((unsigned char)f->buf[sb]))
			sb--;
		a = sa;
		b = sb;
	}
	{
		sbuf t = SBUF_INIT;
		sbuf_add(&t, f->buf + a, b - a);
		sbuf_trim(&t);
		sbuf_add_json_str(out, t.buf);
		sbuf_release(&t);
	}
}

static int classify_cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

void classify_record(const classify_rules *rules, const avvik_record *r, avvik_class *out)
{
	classify_ctx ctx;
	classify_org rep, con;
	const char *src[CF__N];
	sbuf matches = SBUF_INIT, why = SBUF_INIT, tags = SBUF_INIT;
	const char **tagv = NULL;
	size_t n_tags = 0, i, j, n_matched = 0;
	const classify_rule **catv, *win = NULL, *tie = NULL, *runner = NULL;
	size_t n_cat = 0;
	int k;

	avvik_class_clear(out);
	classify_org_resolve(rules, &r->reporter, &rep);
	classify_org_resolve(rules, &r->concerned, &con);

	src[0] = r->text;
	src[1] = r->subject;
	src[2] = r->source_category;
	src[3] = r->reporter.name;
	src[4] = r->reporter.unit;
	src[5] = r->concerned.name;
	src[6] = r->concerned.unit;
	for (k = 0; k < CF__N; k++)
		classify_ctx_field(&ctx, k, src[k]);
	ctx.reporter_type = rep.type;
	ctx.concerned_type = con.type;
	ctx.md = pcre2_match_data_create(1, NULL);

	catv = xcalloc(rules->n_rules + 1, sizeof *catv);
	sbuf_addch(&matches, '[');
	for (i = 0; i < rules->n_rules; i++) {
		const classify_rule *rule = &rules->rules[i];
		classify_hits hits;
		const classify_hit *first = NULL;

		hits.n = 0;
		if (!classify_eval(rule->when, &ctx, &hits, 0))
			continue;
		/* the first text hit explains best; a type-only rule has none */
		for (j = 0; j < hits.n && !first; j++)
			if (hits.v[j].field >= 0)
				first = &hits.v[j];
		if (n_matched++)
			sbuf_addch(&matches, ',');
		sbuf_adds(&matches, "{\"rule\":");
		sbuf_add_json_str(&matches, rule->id);
		sbuf_addf(&matches, ",\"priority\":%d,\"field\":", rule->priority);
		if (first) {
			sbuf_add_json_str(&matches, classify_field_names[first->field]);
			sbuf_adds(&matches, ",\"excerpt\":");
			classify_excerpt(&ctx, &hits, first, &matches);
		} else if (hits.n) {
			sbuf_add_json_str(&matches, hits.v[0].reporter ? "reporter_type" : "concerned_type");
			sbuf_adds(&matches, ",\"excerpt\":");
			sbuf_add_json_str(&matches, org_type_name(hits.v[0].reporter ? rep.type : con.type));
		} else {
			sbuf_adds(&matches, "null,\"excerpt\":null");
		}
		sbuf_addch(&matches, '}');

		for (j = 0; j < rule->n_tags; j++) {
			tagv = xrealloc(tagv, (n_tags + 1) * sizeof *tagv);
			tagv[n_tags++] = rule->tags[j];
		}
		if (rule->category)
			catv[n_cat++] = rule;
	}
	sbuf_addch(&matches, ']');

	/* catv is in definition order, so only a strictly higher priority
	 * displaces the current winner: equal priority -> defined first */
	for (i = 0; i < n_cat; i++)
		if (!win || catv[i]->priority > win->priority)
			win = catv[i];
	for (i = 0; i < n_cat; i++) {
		if (catv[i] == win || !strcmp(catv[i]->category, win->category))
			continue;
		if (!tie && catv[i]->priority == win->priority)
			tie = catv[i];
		if (!runner || catv[i]->priority > runner->priority)
			runner = catv[i];
	}
	free(catv);

	/* tags: union over matching rules, sorted, without repeats */
	if (n_tags)
		qsort(tagv, n_tags, sizeof *tagv, classify_cmp_str);
	for (i = 0; i < n_tags; i++) {
		if (i && !strcmp(tagv[i], tagv[i - 1]))
			continue;
		if (tags.len)
			sbuf_addch(&tags, ',');
		sbuf_adds(&tags, tagv[i]);
	}
	free(tagv);

	if (!win) {
		sbuf_addf(&why, "no rule set a category (%zu tag rule%s matched): fallback annet", n_matched,
			  n_matched == 1 ? "" : "s");
	} else {
		sbuf_addf(&why, "rule %s (priority %d, %s:%d) set %s", win->id, win->priority, win->file, win->line,
			  win->category);
		if (tie)
			sbuf_addf(&why, "; tie at priority %d with %s (%s): the rule defined first wins", win->priority,
				  tie->id, tie->category);
		else if (runner && strcmp(runner->category, win->category))
			sbuf_addf(&why, "; over %s (%s, priority %d)", runner->id, runner->category, runner->priority);
	}

	out->category = xstrdup(win ? win->category : "annet");
	out->tags = sbuf_detach(&tags, NULL);
	out->dir = direction_from_types(rep.type, con.type);
	out->reporter_org = rep.id;
	out->reporter_type = rep.type;
	out->reporter_how = rep.how;
	out->concerned_org = con.id;
	out->concerned_type = con.type;
	out->concerned_how = con.how;
	out->matches = sbuf_detach(&matches, NULL);
	out->why = sbuf_detach(&why, NULL);
	/* ownership of id/how moved to out; the display names are not kept */
	free(rep.name);
	free(con.name);

	pcre2_match_data_free(ctx.md);
	for (k = 0; k < CF__N; k++)
		sbuf_release(&ctx.f[k]);
}
