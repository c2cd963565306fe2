/*
 * match.c - classifies one record: resolves its parties, evaluates every
 * rule's condition tree, picks the primary category (highest priority,
 * then the rule defined first), unions the tags and records which rules
 * matched on what text, so `avvik explain` can answer "why?".
 */
#include "classify/classify_int.h"

#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#define EXCERPT_MAX 60
#define MAX_HITS 16
#define TRI_BITS 4096   /* bits of the trigram filter of one field */

/* Switches and counters shared by every thread that classifies.  Relaxed
 * atomics: the counters are statistics (no other memory is ordered by
 * them), and the switches are meant to be set before classifying starts;
 * atomic only so that a switch flipped meanwhile is not a data race. */
static atomic_int classify_jit_on = 1;
static atomic_int classify_prefilter_on = 1;
static atomic_ulong classify_n_regex;
static atomic_ulong classify_n_limit;

#define RELAXED memory_order_relaxed
void classify_set_jit(int on) { atomic_store_explicit(&classify_jit_on, on, RELAXED); }
int classify_get_jit(void) { return atomic_load_explicit(&classify_jit_on, RELAXED); }
void classify_set_prefilter(int on) { atomic_store_explicit(&classify_prefilter_on, on, RELAXED); }
unsigned long classify_regex_execs(void) { return atomic_load_explicit(&classify_n_regex, RELAXED); }
unsigned long classify_regex_limit_hits(void) { return atomic_load_explicit(&classify_n_limit, RELAXED); }

/* Notes code in rules' limit log; 1 when it was not there yet (so the
 * caller logs it).  The log is the one thing matching writes in a shared
 * rule set: under its mutex, so "once per pattern" holds across threads. */
static int classify_limit_log_add(const classify_rules *rules, const pcre2_code *code)
{
	struct classify_limit_log *lg = rules->limit_log;
	size_t i;
	int added = 1;

	pthread_mutex_lock(&lg->mu);
	for (i = 0; i < lg->n && added; i++)
		if (lg->v[i] == code)
			added = 0;
	if (added) {
		lg->v = xrealloc(lg->v, (lg->n + 1) * sizeof *lg->v);
		lg->v[lg->n++] = code;
	}
	pthread_mutex_unlock(&lg->mu);
	return added;
}

int classify_pcre_match(const classify_rules *rules, const pcre2_code *code, const sbuf *subject, size_t off,
			uint32_t opts, pcre2_match_data *md, const classify_rule *rule)
{
	/* md is the caller's own; rules->mctx (the limits, no JIT stack: each
	 * thread's JIT runs on its own machine stack) is only read */
	int rc = pcre2_match(code, (PCRE2_SPTR)subject->buf, subject->len, off, opts, md, rules->mctx);
	PCRE2_UCHAR msg[128];

	if (rc >= 0 || rc == PCRE2_ERROR_NOMATCH || rc == PCRE2_ERROR_PARTIAL)
		return rc;
	/* a match limit (or JIT stack, heap) hit: the rule set must not stop
	 * a run, so this counts as no match; one line per pattern is enough */
	atomic_fetch_add_explicit(&classify_n_limit, 1, RELAXED);
	if (!classify_limit_log_add(rules, code))
		return PCRE2_ERROR_NOMATCH;
	pcre2_get_error_message(rc, msg, sizeof msg);
	if (rule)
		log_warn("%s:%d: rule '%s': a pattern stopped on a %zu-byte text (%s); counted as not "
			 "matching (logged once per pattern)", rule->file, rule->line, rule->id, subject->len,
			 (const char *)msg);
	else
		log_warn("orgs.yaml: a fastlege pattern stopped on a %zu-byte name (%s); counted as not "
			 "matching (logged once per pattern)", subject->len, (const char *)msg);
	return PCRE2_ERROR_NOMATCH;
}

/* One record prepared for matching: text fields as valid UTF-8 with
 * whitespace squeezed (so "ikke\nmottatt" matches "ikke mottatt"), and,
 * made on first use, each field lower-cased with a bitmap of its byte
 * trigrams for the literal prefilter. */
typedef struct {
	sbuf f[CF__N];
	sbuf low[CF__N];
	int low_done[CF__N];
	unsigned char tri[CF__N][TRI_BITS / 8];
	org_type reporter_type, concerned_type;
	const char *reporter_org, *concerned_org;
	char *label_folded;              /* the sender's label, folded */
	char *src_folded[3];             /* source, channel, system (ext_id prefix), folded */
	pcre2_match_data *md;            /* this call's own: match data is never shared */
	unsigned long n_regex;           /* regex runs, added to the global count at the end */
	const classify_rules *rules;
	const classify_rule *rule;       /* the rule being evaluated, for messages */
} classify_ctx;

static unsigned classify_tri_hash(const unsigned char *p)
{
	return ((unsigned)p[0] * 31u * 31u + (unsigned)p[1] * 31u + (unsigned)p[2]) % TRI_BITS;
}

/* Characters outside Latin-1/Extended-A that PCRE2's caseless matching
 * equates with letters inside it (KELVIN SIGN ~ k, LONG S ~ s, ANGSTROM
 * SIGN ~ å): folded here too, or the prefilter would wrongly skip. */
static void classify_low_fix(sbuf *s)
{
	static const struct { const char *from, *to; } fix[] = {
		{ "\xE2\x84\xAA", "k" }, { "\xC5\xBF", "s" }, { "\xE2\x84\xAB", "\xC3\xA5" },
	};
	size_t i;

	for (i = 0; i < sizeof fix / sizeof fix[0]; i++) {
		char *hit;
		while ((hit = strstr(s->buf, fix[i].from))) {
			sbuf t = SBUF_INIT;
			sbuf_add(&t, s->buf, (size_t)(hit - s->buf));
			sbuf_adds(&t, fix[i].to);
			sbuf_adds(&t, hit + strlen(fix[i].from));
			sbuf_release(s);
			*s = t;
		}
	}
}

static const sbuf *classify_low(classify_ctx *c, int bit)
{
	size_t i;

	if (!c->low_done[bit]) {
		sbuf_init(&c->low[bit], c->f[bit].len);
		classify_lower(&c->low[bit], c->f[bit].buf);
		classify_low_fix(&c->low[bit]);
		memset(c->tri[bit], 0, sizeof c->tri[bit]);
		for (i = 0; i + 3 <= c->low[bit].len; i++) {
			unsigned h = classify_tri_hash((const unsigned char *)c->low[bit].buf + i);
			c->tri[bit][h / 8] |= (unsigned char)(1u << (h % 8));
		}
		c->low_done[bit] = 1;
	}
	return &c->low[bit];
}

/* 0 when no match of re in field bit is possible: none of its required
 * literals occurs in the lower-cased field.  The trigram bitmap rejects
 * most absent literals without scanning the text. */
static int classify_may_match(classify_ctx *c, const classify_re *re, int bit)
{
	const sbuf *low;
	size_t i;

	if (!atomic_load_explicit(&classify_prefilter_on, RELAXED) || !re->n_lits)
		return 1;
	low = classify_low(c, bit);
	for (i = 0; i < re->n_lits; i++) {
		const char *l = re->lits[i];
		size_t n = strlen(l);
		if (n >= 3) {
			unsigned h1 = classify_tri_hash((const unsigned char *)l);
			unsigned h2 = classify_tri_hash((const unsigned char *)l + n - 3);
			if (!(c->tri[bit][h1 / 8] & (1u << (h1 % 8))) || !(c->tri[bit][h2 / 8] & (1u << (h2 % 8))))
				continue;
		}
		if (memmem(low->buf, low->len, l, n))
			return 1;
	}
	return 0;
}

static int classify_exec(classify_ctx *ctx, const classify_re *re, const sbuf *f, size_t off)
{
	ctx->n_regex++;
	return classify_pcre_match(ctx->rules, re->code, f, off, PCRE2_NO_UTF_CHECK, ctx->md, ctx->rule);
}

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
	"text", "subject", "source_category", "reporter", "reporter_unit", "concerned", "concerned_unit",
	"source", "channel",
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
static size_t classify_all_matches(classify_ctx *ctx, const classify_re *re, int bit, size_t sp[][2])
{
	const sbuf *f = &ctx->f[bit];
	pcre2_match_data *md = ctx->md;
	size_t n = 0, off = 0;

	if (!classify_may_match(ctx, re, bit))
		return 0;
	while (n < NEAR_MAX && off <= f->len) {
		PCRE2_SIZE *ov;
		if (classify_exec(ctx, re, f, off) < 0)
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
		if (!(na = classify_all_matches(ctx, &c->re, bit, sa)) ||
		    !(nb = classify_all_matches(ctx, &c->re2, bit, sb)))
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

/* negated / affirmed: for each occurrence of the term, is there a cue that
 * ends at most within words before it, in the same clause? */
static int classify_eval_negation(const classify_cond *c, classify_ctx *ctx, classify_hits *hits, int negated)
{
	size_t st[NEAR_MAX][2], sc[NEAR_MAX][2];
	int bit, want = c->kind == CC_NEGATED;

	for (bit = 0; bit < CF__N; bit++) {
		const sbuf *f = &ctx->f[bit];
		size_t nt, nc, i, j;
		if (!(c->fields & (1u << bit)) || !f->len)
			continue;
		if (!(nt = classify_all_matches(ctx, &c->re, bit, st)))
			continue;
		nc = classify_all_matches(ctx, &c->re2, bit, sc);
		for (i = 0; i < nt; i++) {
			int cued = 0;
			size_t from = st[i][0];
			for (j = 0; j < nc && !cued; j++) {
				int w;
				if (sc[j][1] > st[i][0])
					continue;
				w = classify_gap_words(f->buf, sc[j][1], st[i][0], c->within);
				if (w >= 0 && w <= c->within) {
					cued = 1;
					from = sc[j][0];
				}
			}
			if (cued == want) {
				if (!negated && hits->n < MAX_HITS) {
					hits->v[hits->n].field = bit;
					hits->v[hits->n].a = from;
					hits->v[hits->n].b = st[i][1];
					hits->n++;
				}
				return 1;
			}
		}
	}
	return 0;
}

/* mappings: the source (name, channel or system) and the folded label. */
static int classify_eval_label(const classify_cond *c, classify_ctx *ctx, classify_hits *hits, int negated)
{
	size_t i, j;
	int src_ok = 0;

	if (!ctx->label_folded || !*ctx->label_folded)
		return 0;
	for (i = 0; i < c->n_strs && !src_ok; i++) {
		if (!strcmp(c->strs[i], "*"))
			src_ok = 1;
		for (j = 0; j < 3 && !src_ok; j++)
			if (ctx->src_folded[j] && !strcmp(ctx->src_folded[j], c->strs[i]))
				src_ok = 1;
	}
	if (!src_ok)
		return 0;
	for (i = 0; i < c->n_strs2; i++)
		if (!strcmp(ctx->label_folded, c->strs2[i])) {
			if (!negated && hits->n < MAX_HITS) {
				hits->v[hits->n].field = 2;   /* source_category */
				hits->v[hits->n].a = 0;
				hits->v[hits->n].b = ctx->f[2].len;
				hits->n++;
			}
			return 1;
		}
	return 0;
}

/* Evaluates a condition; positive pattern matches (not under "not") are
 * added to hits so the excerpt shows what made the rule fire. */
static int classify_cond_eval(const classify_cond *c, classify_ctx *ctx, classify_hits *hits, int negated)
{
	size_t i;
	int bit;

	switch (c->kind) {
	case CC_ALL:
		for (i = 0; i < c->n; i++)
			if (!classify_cond_eval(c->kids[i], ctx, hits, negated))
				return 0;
		return 1;
	case CC_ANY:
		for (i = 0; i < c->n; i++)
			if (classify_cond_eval(c->kids[i], ctx, hits, negated))
				return 1;
		return 0;
	case CC_NOT:
		return !classify_cond_eval(c->kids[0], ctx, hits, !negated);
	case CC_NEAR:
		return classify_eval_near(c, ctx, hits, negated);
	case CC_NEGATED:
	case CC_AFFIRMED:
		return classify_eval_negation(c, ctx, hits, negated);
	case CC_LABEL:
		return classify_eval_label(c, ctx, hits, negated);
	case CC_ORG: {
		const char *id = c->type_reporter ? ctx->reporter_org : ctx->concerned_org;
		if (!id)
			return 0;
		for (i = 0; i < c->n_strs; i++)
			if (!strcmp(c->strs[i], id)) {
				if (!negated && hits->n < MAX_HITS) {
					hits->v[hits->n].field = -1;
					hits->v[hits->n].reporter = c->type_reporter;
					hits->n++;
				}
				return 1;
			}
		return 0;
	}
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
			if (!(c->fields & (1u << bit)) || !f->len || !classify_may_match(ctx, &c->re, bit))
				continue;
			rc = classify_exec(ctx, &c->re, f, 0);
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
		sbuf_adds(out, t.buf);
		sbuf_release(&t);
	}
}

static int classify_cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* What explain shows beyond the stored classification. */
typedef struct {
	size_t *matched;        /* indexes of the matching rules, in order */
	char **excerpt;         /* plain excerpt (or NULL) per matched rule */
	const char **field;
	size_t n;
	const classify_rule *win, *dir_rule;
	direction meta_dir;
	char *rep_name, *con_name;
} classify_trace;

static void classify_trace_free(classify_trace *t)
{
	size_t i;

	for (i = 0; i < t->n; i++)
		free(t->excerpt[i]);
	free(t->excerpt);
	free(t->matched);
	free(t->field);
	free(t->rep_name);
	free(t->con_name);
}

/* The system of an export record: ext_id "system:id". */
static char *classify_system_of(const avvik_record *r)
{
	const char *colon;

	if (!r->ext_id || !r->channel || strcmp(r->channel, "avvik-xml") || !(colon = strchr(r->ext_id, ':')))
		return NULL;
	return xstrndup(r->ext_id, (size_t)(colon - r->ext_id));
}

static void classify_run(const classify_rules *rules, const avvik_record *r, avvik_class *out, classify_trace *tr)
{
	classify_ctx ctx;
	classify_org rep, con;
	const char *src[CF__N];
	sbuf matches = SBUF_INIT, why = SBUF_INIT, tags = SBUF_INIT;
	const char **tagv = NULL;
	size_t n_tags = 0, i, j, n_matched = 0;
	const classify_rule **catv, *win = NULL, *tie = NULL, *runner = NULL, *dir_rule = NULL;
	size_t n_cat = 0;
	direction meta_dir;
	char *sys;
	int k;

	avvik_class_clear(out);
	memset(&ctx, 0, sizeof ctx);
	classify_org_resolve(rules, &r->reporter, &rep);
	classify_org_resolve(rules, &r->concerned, &con);

	src[0] = r->text;
	src[1] = r->subject;
	src[2] = r->source_category;
	src[3] = r->reporter.name;
	src[4] = r->reporter.unit;
	src[5] = r->concerned.name;
	src[6] = r->concerned.unit;
	src[7] = r->source;
	src[8] = r->channel;
	for (k = 0; k < CF__N; k++)
		classify_ctx_field(&ctx, k, src[k]);
	ctx.reporter_type = rep.type;
	ctx.concerned_type = con.type;
	ctx.reporter_org = rep.id;
	ctx.concerned_org = con.id;
	if (r->source_category) {
		sbuf f = SBUF_INIT;
		utf8_fold(&f, r->source_category);
		ctx.label_folded = sbuf_detach(&f, NULL);
	}
	sys = classify_system_of(r);
	for (k = 0; k < 3; k++) {
		const char *v = k == 0 ? r->source : k == 1 ? r->channel : sys;
		if (v) {
			sbuf f = SBUF_INIT;
			utf8_fold(&f, v);
			ctx.src_folded[k] = sbuf_detach(&f, NULL);
		}
	}
	free(sys);
	ctx.md = pcre2_match_data_create(1, NULL);
	ctx.rules = rules;

	catv = xcalloc(rules->n_rules + 1, sizeof *catv);
	sbuf_addch(&matches, '[');
	for (i = 0; i < rules->n_rules; i++) {
		const classify_rule *rule = &rules->rules[i];
		classify_hits hits, none;
		const classify_hit *first = NULL;
		sbuf ex = SBUF_INIT;

		hits.n = 0;
		ctx.rule = rule;
		if (!classify_cond_eval(rule->when, &ctx, &hits, 0))
			continue;
		none.n = 0;
		if (rule->unless && classify_cond_eval(rule->unless, &ctx, &none, 1))
			continue;   /* excluded */
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
			classify_excerpt(&ctx, &hits, first, &ex);
			sbuf_add_json_str(&matches, ex.buf);
		} else if (hits.n) {
			sbuf_add_json_str(&matches, hits.v[0].reporter ? "reporter_type" : "concerned_type");
			sbuf_adds(&matches, ",\"excerpt\":");
			sbuf_adds(&ex, org_type_name(hits.v[0].reporter ? rep.type : con.type));
			sbuf_add_json_str(&matches, ex.buf);
		} else {
			sbuf_adds(&matches, "null,\"excerpt\":null");
		}
		sbuf_addch(&matches, '}');
		if (tr) {
			tr->matched = xrealloc(tr->matched, (tr->n + 1) * sizeof *tr->matched);
			tr->excerpt = xrealloc(tr->excerpt, (tr->n + 1) * sizeof *tr->excerpt);
			tr->field = xrealloc(tr->field, (tr->n + 1) * sizeof *tr->field);
			tr->matched[tr->n] = i;
			tr->field[tr->n] = first ? classify_field_names[first->field] :
					   hits.n ? (hits.v[0].reporter ? "reporter_type" : "concerned_type") : NULL;
			tr->excerpt[tr->n++] = ex.len ? sbuf_detach(&ex, NULL) : NULL;
		}
		sbuf_release(&ex);

		for (j = 0; j < rule->n_tags; j++) {
			tagv = xrealloc(tagv, (n_tags + 1) * sizeof *tagv);
			tagv[n_tags++] = rule->tags[j];
		}
		if (rule->category)
			catv[n_cat++] = rule;
		/* direction output: the highest priority, then the first defined,
		 * of the rules whose party makes a direction with the reporter */
		if (rule->has_concerned_is && (!dir_rule || rule->priority > dir_rule->priority)) {
			direction d = direction_from_types(rep.type, rule->concerned_is);
			if (d != DIR_UKJENT && d != DIR_ANNEN)
				dir_rule = rule;
		}
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

	/* The metadata decides the direction; the text only fills in when the
	 * metadata leaves it open (ukjent) or points nowhere useful (annen). */
	meta_dir = direction_from_types(rep.type, con.type);
	out->dir = meta_dir;
	if (dir_rule && (meta_dir == DIR_UKJENT || meta_dir == DIR_ANNEN)) {
		direction d = direction_from_types(rep.type, dir_rule->concerned_is);
		if (d != DIR_UKJENT && d != DIR_ANNEN) {
			out->dir = d;
			sbuf_addf(&why, "; direction %s: the text names the concerned party (%s, rule %s)",
				  direction_name(d), org_type_name(dir_rule->concerned_is), dir_rule->id);
		}
	}

	out->category = xstrdup(win ? win->category : "annet");
	out->tags = sbuf_detach(&tags, NULL);
	out->reporter_org = rep.id;
	out->reporter_type = rep.type;
	out->reporter_how = rep.how;
	out->concerned_org = con.id;
	out->concerned_type = con.type;
	out->concerned_how = con.how;
	out->matches = sbuf_detach(&matches, NULL);
	out->why = sbuf_detach(&why, NULL);
	out->decided_by = xstrdup(win ? win->id : "fallback");
	if (tr) {
		tr->win = win;
		tr->dir_rule = out->dir != meta_dir ? dir_rule : NULL;
		tr->meta_dir = meta_dir;
		tr->rep_name = rep.name;
		tr->con_name = con.name;
	} else {
		/* ownership of id/how moved to out; the display names are not kept */
		free(rep.name);
		free(con.name);
	}

	pcre2_match_data_free(ctx.md);
	/* one atomic add per record, not per regex run: threads classifying
	 * side by side do not fight over the counter's cache line */
	atomic_fetch_add_explicit(&classify_n_regex, ctx.n_regex, RELAXED);
	for (k = 0; k < CF__N; k++) {
		sbuf_release(&ctx.f[k]);
		if (ctx.low_done[k])
			sbuf_release(&ctx.low[k]);
	}
	free(ctx.label_folded);
	for (k = 0; k < 3; k++)
		free(ctx.src_folded[k]);
}

void classify_record(const classify_rules *rules, const avvik_record *r, avvik_class *out)
{
	classify_run(rules, r, out, NULL);
}

size_t classify_matching(const classify_rules *rules, const avvik_record *r, size_t **idx)
{
	classify_trace tr;
	avvik_class c;
	size_t n;

	memset(&tr, 0, sizeof tr);
	avvik_class_init(&c);
	classify_run(rules, r, &c, &tr);
	avvik_class_clear(&c);
	*idx = tr.matched;
	n = tr.n;
	tr.matched = NULL;
	classify_trace_free(&tr);
	return n;
}

static void classify_explain_party(FILE *out, const char *role, const avvik_party *p, const char *id,
				   const char *name, org_type t, const char *how)
{
	fprintf(out, "  %-10s %s%s%s%s%s\n", role, p->name ? p->name : "(no name)", p->unit ? " / " : "",
		p->unit ? p->unit : "", p->her_id ? " her:" : "", p->her_id ? p->her_id : "");
	if (id)
		fprintf(out, "             -> %s (%s), type %s, resolved by %s\n", id, name ? name : id,
			org_type_name(t), how);
	else
		fprintf(out, "             -> unresolved, type %s (%s)%s%s\n", org_type_name(t), how,
			p->type_hint ? "; the sender's type hint: " : "", p->type_hint ? p->type_hint : "");
}

static const char *classify_how_text(const char *how)
{
	if (!how)
		return "";
	if (!strcmp(how, "her")) return "its HER-id";
	if (!strcmp(how, "orgnr")) return "its organisation number";
	if (!strcmp(how, "kommunenr")) return "a kommunenummer";
	if (!strcmp(how, "domain")) return "an e-mail domain";
	if (!strcmp(how, "alias")) return "an exact name or alias";
	if (!strcmp(how, "folded")) return "the name after folding (æ->ae, accents)";
	if (!strncmp(how, "fuzzy:", 6)) return "a near spelling (edit distance)";
	if (!strcmp(how, "fastlege")) return "a GP office name pattern";
	if (!strcmp(how, "type-hint")) return "the sender's own type statement";
	return "nothing: kept as written";
}

void classify_explain(const classify_rules *rules, const avvik_record *r, FILE *out)
{
	classify_trace tr;
	avvik_class c;
	size_t i;

	memset(&tr, 0, sizeof tr);
	avvik_class_init(&c);
	classify_run(rules, r, &c, &tr);
	fprintf(out, "Organisations:\n");
	classify_explain_party(out, "reporter", &r->reporter, c.reporter_org, tr.rep_name, c.reporter_type,
			       c.reporter_how);
	fprintf(out, "             (%s)\n", classify_how_text(c.reporter_how));
	classify_explain_party(out, "concerned", &r->concerned, c.concerned_org, tr.con_name, c.concerned_type,
			       c.concerned_how);
	fprintf(out, "             (%s)\n", classify_how_text(c.concerned_how));
	fprintf(out, "\nMatching rules (%zu):\n", tr.n);
	for (i = 0; i < tr.n; i++) {
		const classify_rule *rule = &rules->rules[tr.matched[i]];
		fprintf(out, "  %s %-28s priority %-4d %-20s %s:%d\n", rule == tr.win ? "*" : " ", rule->id,
			rule->priority, rule->category ? rule->category :
			rule->has_concerned_is ? "(direction)" : "(tags only)", rule->file, rule->line);
		if (tr.excerpt[i])
			fprintf(out, "      %s: \"%s\"\n", tr.field[i] ? tr.field[i] : "", tr.excerpt[i]);
		if (rule->n_tags) {
			size_t k;
			fprintf(out, "      tags:");
			for (k = 0; k < rule->n_tags; k++)
				fprintf(out, " %s", rule->tags[k]);
			fputc('\n', out);
		}
	}
	fprintf(out, "\nCategory: %s (%s)\n  %s\n", c.category, classify_category_label(rules, c.category) ?
		classify_category_label(rules, c.category) : "?", c.why);
	fprintf(out, "Tags: %s\n", *c.tags ? c.tags : "(none)");
	fprintf(out, "Direction: %s\n", direction_name(c.dir));
	if (tr.dir_rule)
		fprintf(out, "  the metadata gives %s (reporter %s, concerned %s); rule %s says the text names the "
			"concerned party as %s\n", direction_name(tr.meta_dir), org_type_name(c.reporter_type),
			org_type_name(c.concerned_type), tr.dir_rule->id, org_type_name(tr.dir_rule->concerned_is));
	else
		fprintf(out, "  from the organisation types: reporter %s, concerned %s%s\n",
			org_type_name(c.reporter_type), org_type_name(c.concerned_type),
			c.dir == DIR_UKJENT ? " (a party of unknown type, and no rule named it in the text)" :
			c.dir == DIR_ANNEN ? " (no pair of kommune, fastlege and unn)" : "");
	fprintf(out, "Rules commit: %s\n", rules->commit);
	avvik_class_clear(&c);
	classify_trace_free(&tr);
}
