/*
 * rules.c - builds a rule set from its files: categories.yaml, orgs.yaml
 * (see orgs.c) and rules/ *.yaml.  The files come from a git commit (git.c)
 * or a directory (classify_rules_load_dir below); parsing is the same, so
 * `rules check --worktree` and a commit agree.
 */
#include "classify/classify_int.h"

#include <dirent.h>
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#define DEFAULT_PRIORITY 50
#define FALLBACK_CATEGORY "annet"
#define PATTERN_SHOWN 120       /* bytes of an invalid pattern quoted in its error */

void classify_errf(sbuf *err, const char *file, const cy_node *at, const char *fmt, ...)
{
	va_list ap;

	if (err->len)
		sbuf_addch(err, '\n');
	sbuf_addf(err, "%s:%d:%d: ", file, at ? at->line : 1, at ? at->col : 1);
	va_start(ap, fmt);
	sbuf_vaddf(err, fmt, ap);
	va_end(ap);
}

const cy_node *classify_map_get(const cy_node *map, const char *key)
{
	size_t i;

	if (!map || map->kind != CY_MAP)
		return NULL;
	for (i = 0; i + 1 < map->n; i += 2)
		if (!strcmp(map->kids[i]->str, key))
			return map->kids[i + 1];
	return NULL;
}

/* Rejects keys outside allowed[] so a typo ("prority") is an error rather
 * than a silently ignored setting. */
static int classify_check_keys(const char *file, const cy_node *map, const char *const *allowed,
			       const char *what, sbuf *err)
{
	size_t i, j;

	for (i = 0; i + 1 < map->n; i += 2) {
		int ok = 0;
		for (j = 0; allowed[j]; j++)
			if (!strcmp(map->kids[i]->str, allowed[j]))
				ok = 1;
		if (!ok) {
			sbuf t = SBUF_INIT;
			for (j = 0; allowed[j]; j++)
				sbuf_addf(&t, "%s%s", j ? ", " : "", allowed[j]);
			classify_errf(err, file, map->kids[i], "unknown key '%s' in %s; expected one of: %s",
				      map->kids[i]->str, what, t.buf);
			sbuf_release(&t);
			return -1;
		}
	}
	return 0;
}

static int classify_want(const char *file, const cy_node *n, cy_kind kind, const char *what, sbuf *err)
{
	static const char *names[] = { "a scalar", "a list", "a mapping" };

	if (n && n->kind == kind)
		return 0;
	classify_errf(err, file, n, "expected %s as %s, found %s", names[kind], what,
		      classify_yaml_kind(n));
	return -1;
}

/* Required or optional scalar string: -1 on a wrong kind or a missing
 * required value, *out stays NULL when an optional one is absent. */
static int classify_get_str(const char *file, const cy_node *map, const char *key, int required,
			    char **out, sbuf *err)
{
	const cy_node *v = classify_map_get(map, key);

	*out = NULL;
	if (!v) {
		if (!required)
			return 0;
		classify_errf(err, file, map, "missing required key '%s'", key);
		return -1;
	}
	if (v->kind != CY_SCALAR) {
		classify_errf(err, file, v, "expected a string for '%s', found %s", key,
			      classify_yaml_kind(v));
		return -1;
	}
	if (required && !*v->str) {
		classify_errf(err, file, v, "expected a non-empty value for '%s'", key);
		return -1;
	}
	*out = xstrdup(v->str);
	return 0;
}

static int classify_get_bool(const char *file, const cy_node *v, int *out, sbuf *err)
{
	static const char *t[] = { "true", "yes", "True", "TRUE", NULL };
	static const char *f[] = { "false", "no", "False", "FALSE", NULL };
	size_t i;

	if (v->kind == CY_SCALAR)
		for (i = 0; t[i]; i++) {
			if (!strcmp(v->str, t[i])) {
				*out = 1;
				return 0;
			}
			if (!strcmp(v->str, f[i])) {
				*out = 0;
				return 0;
			}
		}
	classify_errf(err, file, v, "expected true or false, found %s%s%s", v->kind == CY_SCALAR ? "'" : "",
		      v->kind == CY_SCALAR ? v->str : classify_yaml_kind(v), v->kind == CY_SCALAR ? "'" : "");
	return -1;
}

int classify_str_list(const char *file, const cy_node *n, char ***out, size_t *n_out, sbuf *err)
{
	size_t i;

	*out = NULL;
	*n_out = 0;
	if (!n)
		return 0;
	if (n->kind == CY_SCALAR) {
		/* a plain empty value ("her:") means an empty list */
		if (n->plain && !*n->str)
			return 0;
		*out = xmalloc(sizeof **out);
		(*out)[0] = xstrdup(n->str);
		*n_out = 1;
		return 0;
	}
	if (n->kind != CY_SEQ) {
		classify_errf(err, file, n, "expected a string or a list of strings, found %s",
			      classify_yaml_kind(n));
		return -1;
	}
	*out = xcalloc(n->n ? n->n : 1, sizeof **out);
	for (i = 0; i < n->n; i++) {
		if (n->kids[i]->kind != CY_SCALAR) {
			classify_errf(err, file, n->kids[i], "expected a string in this list, found %s",
				      classify_yaml_kind(n->kids[i]));
			return -1;
		}
		(*out)[(*n_out)++] = xstrdup(n->kids[i]->str);
	}
	return 0;
}

static void classify_strv_free(char **v, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		free(v[i]);
	free(v);
}

pcre2_code *classify_compile(const char *file, const cy_node *at, const char *pattern, sbuf *err)
{
	int ec;
	PCRE2_SIZE off;
	pcre2_code *re;

	if (!*pattern) {
		classify_errf(err, file, at, "expected a regular expression, found an empty string");
		return NULL;
	}
	re = pcre2_compile((PCRE2_SPTR)pattern, PCRE2_ZERO_TERMINATED,
			   PCRE2_UTF | PCRE2_UCP | PCRE2_CASELESS, &ec, &off, NULL);
	if (!re) {
		PCRE2_UCHAR msg[256];
		size_t len = strlen(pattern), shown = len;

		/* a huge pattern is shown cut (on a UTF-8 boundary), not echoed whole */
		if (len > PATTERN_SHOWN) {
			shown = PATTERN_SHOWN;
			while (shown > 0 && ((unsigned char)pattern[shown] & 0xC0) == 0x80)
				shown--;
		}
		pcre2_get_error_message(ec, msg, sizeof msg);
		if (shown < len)
			classify_errf(err, file, at, "invalid regular expression '%.*s…' (%zu bytes): %s at offset %zu",
				      (int)shown, pattern, len, (const char *)msg, (size_t)off);
		else
			classify_errf(err, file, at, "invalid regular expression '%s': %s at offset %zu", pattern,
				      (const char *)msg, (size_t)off);
		return NULL;
	}
	/* JIT is an optimisation only: without it the interpreter runs */
	if (classify_get_jit())
		(void)pcre2_jit_compile(re, PCRE2_JIT_COMPLETE);
	return re;
}

void classify_re_free(classify_re *re)
{
	classify_strv_free(re->lits, re->n_lits);
	pcre2_code_free(re->code);
	memset(re, 0, sizeof *re);
}

int classify_re_compile(const char *file, const cy_node *at, const char *pattern, classify_re *out, sbuf *err)
{
	memset(out, 0, sizeof *out);
	if (!(out->code = classify_compile(file, at, pattern, err)))
		return -1;
	out->n_lits = classify_literals(pattern, &out->lits);
	return 0;
}

/* Escapes PCRE2 metacharacters so a plain word is matched as written
 * (\Q..\E would break on a word holding "\E"). */
static void classify_quote(sbuf *out, const char *s)
{
	for (; *s; s++) {
		if (strchr("\\^$.|?*+()[]{}#", *s))
			sbuf_addch(out, '\\');
		sbuf_addch(out, *s);
	}
}

/* A pattern is a regex string, or a mapping with one plain form:
 *   { word: epikrise }           the whole word (a list: any of them)
 *   { stem: epikris }            a word starting so (epikrisen, epikrisa)
 *   { phrase: ikke mottatt }     the words in order, any whitespace between
 *   { regex: '...' }             the same as the bare string
 * The result is regex source in out. */
static int classify_pattern_spec(const char *file, const cy_node *n, sbuf *out, sbuf *err)
{
	static const char *const keys[] = { "regex", "word", "words", "stem", "stems", "phrase", "phrases", NULL };
	const cy_node *v;
	const char *key;
	size_t i, cnt;

	sbuf_reset(out);
	if (n->kind == CY_SCALAR) {
		sbuf_adds(out, n->str);
		return 0;
	}
	if (n->kind != CY_MAP || n->n != 2) {
		classify_errf(err, file, n, "expected a pattern: a regex string or one of { word: }, { stem: }, "
			      "{ phrase: }, { regex: }, found %s", classify_yaml_kind(n));
		return -1;
	}
	if (classify_check_keys(file, n, keys, "a pattern", err))
		return -1;
	key = n->kids[0]->str;
	v = n->kids[1];
	if (!strcmp(key, "regex")) {
		if (v->kind != CY_SCALAR) {
			classify_errf(err, file, v, "expected a regex string, found %s", classify_yaml_kind(v));
			return -1;
		}
		sbuf_adds(out, v->str);
		return 0;
	}
	cnt = v->kind == CY_SEQ ? v->n : 1;
	if (v->kind == CY_MAP || cnt == 0) {
		classify_errf(err, file, v, "expected a word or a list of words under '%s'", key);
		return -1;
	}
	/* (?<!\w) and (?!\w) rather than \b: a word may end in a dot ("epikr.") */
	sbuf_adds(out, "(?<!\\w)(?:");
	for (i = 0; i < cnt; i++) {
		const cy_node *w = v->kind == CY_SEQ ? v->kids[i] : v;
		const char *p;
		if (w->kind != CY_SCALAR || !*w->str) {
			classify_errf(err, file, w, "expected a non-empty word under '%s'", key);
			return -1;
		}
		if (i)
			sbuf_addch(out, '|');
		if (key[0] == 'p') {
			/* words of a phrase: any run of whitespace between them */
			sbuf word = SBUF_INIT;
			int first = 1;
			for (p = w->str;; p++) {
				if (!*p || *p == ' ' || *p == '\t' || *p == '\n') {
					if (word.len) {
						if (!first)
							sbuf_adds(out, "\\s+");
						classify_quote(out, word.buf);
						first = 0;
						sbuf_reset(&word);
					}
					if (!*p)
						break;
				} else {
					sbuf_addch(&word, *p);
				}
			}
			sbuf_release(&word);
		} else {
			classify_quote(out, w->str);
		}
	}
	/* a word or phrase ends at a word boundary; a stem takes any ending */
	sbuf_adds(out, key[0] == 's' ? ")\\w*" : ")(?!\\w)");
	return 0;
}

/* Parses and compiles one pattern spec into re (and its source into *src
 * when asked). */
static int classify_pattern_compile(const char *file, const cy_node *n, classify_re *re, char **src, sbuf *err)
{
	sbuf rx = SBUF_INIT;
	int rc = -1;

	if (!classify_pattern_spec(file, n, &rx, err) && !classify_re_compile(file, n, rx.buf, re, err)) {
		rc = 0;
		if (src)
			*src = sbuf_detach(&rx, NULL);
	}
	sbuf_release(&rx);
	return rc;
}

/* ---------------- categories.yaml ---------------- */

static const classify_category *classify_find_cat(const classify_rules *r, const char *code)
{
	size_t i;

	for (i = 0; i < r->n_cats; i++)
		if (!strcmp(r->cats[i].code, code))
			return &r->cats[i];
	return NULL;
}

static int classify_code_ok(const char *s)
{
	if (!*s)
		return 0;
	for (; *s; s++)
		if (!((*s >= 'a' && *s <= 'z') || (*s >= '0' && *s <= '9') || *s == '-' || *s == '_'))
			return 0;
	return 1;
}

static int classify_load_categories(classify_rules *r, const classify_file *f, const cy_node *root,
				    sbuf *err)
{
	static const char *const top_keys[] = { "categories", NULL };
	static const char *const keys[] = { "code", "label", "label_en", "description", "fsu",
					    "counted", NULL };
	const cy_node *list;
	size_t i;

	if (classify_want(f->path, root, CY_MAP, "the top level (categories: [...])", err) ||
	    classify_check_keys(f->path, root, top_keys, "categories.yaml", err))
		return -1;
	list = classify_map_get(root, "categories");
	if (classify_want(f->path, list ? list : root, CY_SEQ, "'categories'", err))
		return -1;
	r->cats = xcalloc(list->n ? list->n : 1, sizeof *r->cats);
	for (i = 0; i < list->n; i++) {
		const cy_node *c = list->kids[i], *cnt;
		classify_category *cat = &r->cats[r->n_cats];

		if (classify_want(f->path, c, CY_MAP, "a category", err) ||
		    classify_check_keys(f->path, c, keys, "a category", err))
			return -1;
		r->n_cats++;
		cat->counted = 1;
		if (classify_get_str(f->path, c, "code", 1, &cat->code, err) ||
		    classify_get_str(f->path, c, "label", 1, &cat->label, err) ||
		    classify_get_str(f->path, c, "label_en", 0, &cat->label_en, err) ||
		    classify_get_str(f->path, c, "description", 0, &cat->description, err) ||
		    classify_get_str(f->path, c, "fsu", 0, &cat->fsu, err))
			return -1;
		if (!classify_code_ok(cat->code)) {
			classify_errf(err, f->path, classify_map_get(c, "code"),
				      "expected a code of a-z, 0-9, '-' or '_', found '%s'", cat->code);
			return -1;
		}
		if ((cnt = classify_map_get(c, "counted")) && classify_get_bool(f->path, cnt, &cat->counted, err))
			return -1;
		if (classify_find_cat(r, cat->code) != cat) {
			classify_errf(err, f->path, classify_map_get(c, "code"), "duplicate category code '%s'",
				      cat->code);
			return -1;
		}
	}
	if (!classify_find_cat(r, FALLBACK_CATEGORY)) {
		classify_errf(err, f->path, list, "expected the fallback category '%s' to be defined",
			      FALLBACK_CATEGORY);
		return -1;
	}
	return 0;
}

/* ---------------- rules/ *.yaml ---------------- */

static void classify_cond_free(classify_cond *c)
{
	size_t i;

	if (!c)
		return;
	for (i = 0; i < c->n; i++)
		classify_cond_free(c->kids[i]);
	free(c->kids);
	free(c->pattern);
	classify_re_free(&c->re);
	classify_re_free(&c->re2);
	classify_strv_free(c->strs, c->n_strs);
	classify_strv_free(c->strs2, c->n_strs2);
	free(c);
}

static classify_cond *classify_cond_new(classify_cond_kind kind, const cy_node *at)
{
	classify_cond *c = xcalloc(1, sizeof *c);

	c->kind = kind;
	c->line = at->line;
	c->col = at->col;
	return c;
}

static void classify_cond_add(classify_cond *parent, classify_cond *kid)
{
	parent->kids = xrealloc(parent->kids, (parent->n + 1) * sizeof *parent->kids);
	parent->kids[parent->n++] = kid;
}

/* Condition keys that take patterns, and the fields each looks at. */
static const struct {
	const char *key;
	unsigned fields;
} classify_pattern_keys[] = {
	{ "text", CF_TEXT },
	{ "subject", CF_SUBJECT },
	{ "any_text", CF_TEXT | CF_SUBJECT },
	{ "source_category", CF_SOURCE_CATEGORY },
	{ "reporter", CF_REPORTER_NAME | CF_REPORTER_UNIT },
	{ "concerned", CF_CONCERNED_NAME | CF_CONCERNED_UNIT },
	{ "reporter_name", CF_REPORTER_NAME },
	{ "reporter_unit", CF_REPORTER_UNIT },
	{ "concerned_name", CF_CONCERNED_NAME },
	{ "concerned_unit", CF_CONCERNED_UNIT },
	{ "source", CF_SOURCE },
	{ "channel", CF_CHANNEL },
	{ "all_text", CF_TEXT | CF_SUBJECT | CF_SOURCE_CATEGORY },
};
#define N_PATTERN_KEYS (sizeof classify_pattern_keys / sizeof classify_pattern_keys[0])

static classify_cond *classify_parse_cond(const char *file, const cy_node *n, int depth, sbuf *err);

/* The rule set being built, for checks that need the registry (org ids).
 * Loading is never re-entered, and not done by two threads at once
 * (classify.h); classifying never reads this. */
static const classify_rules *r_cur;

/* near/negated's 'within': a number of words 0..max (NULL: keep *out). */
static int classify_parse_within(const char *file, const cy_node *w, long max, int *out, sbuf *err)
{
	char *end;
	long n;

	if (!w)
		return 0;
	n = w->kind == CY_SCALAR ? strtol(w->str, &end, 10) : -1;
	if (w->kind != CY_SCALAR || !*w->str || *end || n < 0 || n > max) {
		classify_errf(err, file, w, "expected 'within' to be a number of words from 0 to %ld", max);
		return -1;
	}
	*out = (int)n;
	return 0;
}

/* near/negated's 'field': one of the pattern keys (NULL: keep *out). */
static int classify_parse_field(const char *file, const cy_node *f, unsigned *out, sbuf *err)
{
	size_t i;

	if (!f)
		return 0;
	for (i = 0; f->kind == CY_SCALAR && i < N_PATTERN_KEYS; i++)
		if (!strcmp(f->str, classify_pattern_keys[i].key)) {
			*out = classify_pattern_keys[i].fields;
			return 0;
		}
	classify_errf(err, file, f, "expected 'field' to be a pattern key (text, subject, any_text, "
		      "all_text, source_category, reporter, concerned, ...)");
	return -1;
}

/* near: { a: PATTERN, b: PATTERN, within: N, field: text, ordered: false }
 * - a and b match in one field, in one clause, with at most N words
 * between them (default 5). */
static classify_cond *classify_parse_near(const char *file, const cy_node *k, const cy_node *v, sbuf *err)
{
	static const char *const keys[] = { "a", "b", "within", "field", "ordered", NULL };
	const cy_node *a = classify_map_get(v, "a"), *b = classify_map_get(v, "b");
	const cy_node *w = classify_map_get(v, "within"), *f = classify_map_get(v, "field");
	const cy_node *o = classify_map_get(v, "ordered");
	classify_cond *c;

	if (classify_want(file, v, CY_MAP, "'near' (a mapping with a, b, within)", err) ||
	    classify_check_keys(file, v, keys, "'near'", err))
		return NULL;
	if (!a || !b) {
		classify_errf(err, file, v, "expected patterns 'a' and 'b' in 'near'");
		return NULL;
	}
	c = classify_cond_new(CC_NEAR, k);
	c->within = 5;
	c->fields = CF_TEXT;
	if (classify_parse_within(file, w, 50, &c->within, err) ||
	    classify_parse_field(file, f, &c->fields, err))
		goto fail;
	if (o && classify_get_bool(file, o, &c->ordered, err))
		goto fail;
	if (classify_pattern_compile(file, a, &c->re, &c->pattern, err) ||
	    classify_pattern_compile(file, b, &c->re2, NULL, err))
		goto fail;
	return c;
fail:
	classify_cond_free(c);
	return NULL;
}

/* The default negation cues, bokmål and nynorsk. */
#define CLASSIFY_NEG_CUES \
	"\\b(?:ikke|ikkje|ikkj|ingen|inga|intet|inkje|ingenting|uten|utan|aldri|verken|hverken|korkje|ei heller)\\b"

/* negated: { term: P, within: N, field: F, cues: P }  - some occurrence of
 * the term has a negation cue at most N words (default 3) before it, in the
 * same clause.  affirmed: the same keys; some occurrence has none. */
static classify_cond *classify_parse_negation(const char *file, const cy_node *k, const cy_node *v, sbuf *err)
{
	static const char *const keys[] = { "term", "within", "field", "cues", NULL };
	const cy_node *t, *w, *f, *cues;
	classify_cond *c;

	if (v->kind == CY_SCALAR || (v->kind == CY_MAP && !classify_map_get(v, "term"))) {
		/* the short form: negated: 'pattern' or negated: { word: ... } */
		t = v;
		w = f = cues = NULL;
	} else {
		if (classify_want(file, v, CY_MAP, "'negated'/'affirmed' (a pattern, or a mapping with term)", err) ||
		    classify_check_keys(file, v, keys, k->str, err))
			return NULL;
		t = classify_map_get(v, "term");
		w = classify_map_get(v, "within");
		f = classify_map_get(v, "field");
		cues = classify_map_get(v, "cues");
		if (!t) {
			classify_errf(err, file, v, "expected 'term' (a pattern) in '%s'", k->str);
			return NULL;
		}
	}
	c = classify_cond_new(k->str[0] == 'n' ? CC_NEGATED : CC_AFFIRMED, k);
	c->within = 3;
	c->fields = CF_TEXT | CF_SUBJECT;
	if (classify_parse_within(file, w, 20, &c->within, err) ||
	    classify_parse_field(file, f, &c->fields, err))
		goto fail;
	if (classify_pattern_compile(file, t, &c->re, &c->pattern, err))
		goto fail;
	if (cues ? classify_pattern_compile(file, cues, &c->re2, NULL, err)
		 : classify_re_compile(file, k, CLASSIFY_NEG_CUES, &c->re2, err))
		goto fail;
	return c;
fail:
	classify_cond_free(c);
	return NULL;
}

/* One key: value pair of a condition mapping. */
static classify_cond *classify_parse_cond_pair(const char *file, const cy_node *k, const cy_node *v,
					       int depth, sbuf *err)
{
	const char *key = k->str;
	classify_cond *c = NULL;
	size_t i;

	if (!strcmp(key, "all") || !strcmp(key, "any")) {
		if (v->kind != CY_SEQ || v->n == 0) {
			classify_errf(err, file, v, "expected a non-empty list of conditions under '%s', found %s",
				      key, v->kind == CY_SEQ ? "an empty list" : classify_yaml_kind(v));
			return NULL;
		}
		c = classify_cond_new(key[1] == 'l' ? CC_ALL : CC_ANY, k);
		for (i = 0; i < v->n; i++) {
			classify_cond *kid = classify_parse_cond(file, v->kids[i], depth + 1, err);
			if (!kid) {
				classify_cond_free(c);
				return NULL;
			}
			classify_cond_add(c, kid);
		}
		return c;
	}
	if (!strcmp(key, "not")) {
		classify_cond *kid;
		/* "not: [a, b]" reads as "none of these" */
		if (v->kind == CY_SEQ) {
			kid = classify_parse_cond_pair(file, &(cy_node){ .kind = CY_SCALAR, .line = k->line,
									 .col = k->col, .str = (char *)"any" },
						       v, depth + 1, err);
		} else {
			kid = classify_parse_cond(file, v, depth + 1, err);
		}
		if (!kid)
			return NULL;
		c = classify_cond_new(CC_NOT, k);
		classify_cond_add(c, kid);
		return c;
	}
	if (!strcmp(key, "near"))
		return classify_parse_near(file, k, v, err);
	if (!strcmp(key, "negated") || !strcmp(key, "affirmed"))
		return classify_parse_negation(file, k, v, err);
	if (!strcmp(key, "reporter_org") || !strcmp(key, "concerned_org")) {
		c = classify_cond_new(CC_ORG, k);
		c->type_reporter = key[0] == 'r';
		if (classify_str_list(file, v, &c->strs, &c->n_strs, err) || !c->n_strs) {
			if (!err->len)
				classify_errf(err, file, v, "expected an organisation id or a list of ids under '%s'", key);
			classify_cond_free(c);
			return NULL;
		}
		for (i = 0; i < c->n_strs; i++) {
			size_t j;
			for (j = 0; j < r_cur->n_orgs; j++)
				if (!strcmp(r_cur->orgs[j].id, c->strs[i]))
					break;
			if (j == r_cur->n_orgs) {
				classify_errf(err, file, v->kind == CY_SEQ ? v->kids[i] : v,
					      "unknown organisation id '%s'; expected an id from orgs.yaml", c->strs[i]);
				classify_cond_free(c);
				return NULL;
			}
		}
		return c;
	}
	if (!strcmp(key, "reporter_type") || !strcmp(key, "concerned_type")) {
		char **names;
		size_t n_names;
		if (classify_str_list(file, v, &names, &n_names, err))
			return NULL;
		if (!n_names) {
			classify_errf(err, file, v, "expected an organisation type (kommune, fastlege, unn, annen, ukjent)");
			return NULL;
		}
		c = classify_cond_new(CC_TYPE, k);
		c->type_reporter = key[0] == 'r';
		for (i = 0; i < n_names; i++) {
			org_type t;
			if (org_type_parse(names[i], &t)) {
				classify_errf(err, file, v->kind == CY_SEQ ? v->kids[i] : v,
					      "unknown organisation type '%s'; expected kommune, fastlege, unn, annen or ukjent",
					      names[i]);
				classify_strv_free(names, n_names);
				classify_cond_free(c);
				return NULL;
			}
			c->type_mask |= 1u << t;
		}
		classify_strv_free(names, n_names);
		return c;
	}
	for (i = 0; i < N_PATTERN_KEYS; i++) {
		size_t j;
		if (strcmp(key, classify_pattern_keys[i].key))
			continue;
		if (v->kind == CY_SEQ && v->n == 0) {
			classify_errf(err, file, v, "expected a pattern or a non-empty list of patterns under '%s'", key);
			return NULL;
		}
		/* a list of patterns: any of them */
		if (v->kind == CY_SEQ)
			c = classify_cond_new(CC_ANY, k);
		for (j = 0; j < (v->kind == CY_SEQ ? v->n : 1); j++) {
			const cy_node *p = v->kind == CY_SEQ ? v->kids[j] : v;
			classify_cond *leaf;
			if (p->kind == CY_SEQ) {
				classify_errf(err, file, p, "expected a pattern, found %s", classify_yaml_kind(p));
				classify_cond_free(c);
				return NULL;
			}
			leaf = classify_cond_new(CC_PATTERN, p);
			leaf->fields = classify_pattern_keys[i].fields;
			if (classify_pattern_compile(file, p, &leaf->re, &leaf->pattern, err)) {
				classify_cond_free(leaf);
				classify_cond_free(c);
				return NULL;
			}
			if (!c)
				return leaf;
			classify_cond_add(c, leaf);
		}
		return c;
	}
	classify_errf(err, file, k,
		      "unknown condition '%s'; expected all, any, not, near, negated, affirmed, text, subject, "
		      "any_text, all_text, source_category, reporter, reporter_name, reporter_unit, concerned, "
		      "concerned_name, concerned_unit, source, channel, reporter_type, concerned_type, "
		      "reporter_org or concerned_org", key);
	return NULL;
}

/* A condition is a mapping; several keys in one mapping must all hold. */
static classify_cond *classify_parse_cond(const char *file, const cy_node *n, int depth, sbuf *err)
{
	classify_cond *all = NULL;
	size_t i;

	if (depth > 32) {
		classify_errf(err, file, n, "conditions nested deeper than 32 levels");
		return NULL;
	}
	if (!n || n->kind != CY_MAP || n->n == 0) {
		classify_errf(err, file, n, "expected a condition (a mapping such as { text: 'pattern' }), found %s",
			      n && n->kind == CY_MAP ? "an empty mapping" : classify_yaml_kind(n));
		return NULL;
	}
	if (n->n == 2)
		return classify_parse_cond_pair(file, n->kids[0], n->kids[1], depth, err);
	all = classify_cond_new(CC_ALL, n);
	for (i = 0; i + 1 < n->n; i += 2) {
		classify_cond *kid = classify_parse_cond_pair(file, n->kids[i], n->kids[i + 1], depth, err);
		if (!kid) {
			classify_cond_free(all);
			return NULL;
		}
		classify_cond_add(all, kid);
	}
	return all;
}

static int classify_tag_ok(const char *s)
{
	return classify_code_ok(s);
}

static void classify_example_clear(classify_example *e)
{
	free(e->text);
	free(e->subject);
	free(e->source_category);
	free(e->reporter);
	free(e->concerned);
	free(e->reporter_type);
	free(e->concerned_type);
	free(e->expect);
	classify_strv_free(e->expect_tags, e->n_expect_tags);
}

static int classify_parse_example(const char *file, const classify_rules *r, const cy_node *n,
				  classify_example *e, sbuf *err)
{
	static const char *const keys[] = { "text", "subject", "source_category", "reporter", "concerned",
					    "reporter_type", "concerned_type", "expect", "expect_tags",
					    "note", NULL };
	const char *tf[] = { "reporter_type", "concerned_type" };
	size_t i;

	e->line = n->line;
	e->col = n->col;
	if (classify_want(file, n, CY_MAP, "an example", err) ||
	    classify_check_keys(file, n, keys, "an example", err) ||
	    classify_get_str(file, n, "text", 0, &e->text, err) ||
	    classify_get_str(file, n, "subject", 0, &e->subject, err) ||
	    classify_get_str(file, n, "source_category", 0, &e->source_category, err) ||
	    classify_get_str(file, n, "reporter", 0, &e->reporter, err) ||
	    classify_get_str(file, n, "concerned", 0, &e->concerned, err) ||
	    classify_get_str(file, n, "reporter_type", 0, &e->reporter_type, err) ||
	    classify_get_str(file, n, "concerned_type", 0, &e->concerned_type, err) ||
	    classify_get_str(file, n, "expect", 1, &e->expect, err) ||
	    classify_str_list(file, classify_map_get(n, "expect_tags"), &e->expect_tags, &e->n_expect_tags, err))
		return -1;
	if (!e->text && !e->subject) {
		classify_errf(err, file, n, "expected 'text' or 'subject' in an example");
		return -1;
	}
	if (!classify_find_cat(r, e->expect)) {
		classify_errf(err, file, classify_map_get(n, "expect"), "unknown category '%s' in 'expect'", e->expect);
		return -1;
	}
	for (i = 0; i < 2; i++) {
		const char *v = i ? e->concerned_type : e->reporter_type;
		org_type t;
		if (v && org_type_parse(v, &t)) {
			classify_errf(err, file, classify_map_get(n, tf[i]),
				      "unknown organisation type '%s'; expected kommune, fastlege, unn, annen or ukjent", v);
			return -1;
		}
	}
	return 0;
}

static void classify_rule_clear(classify_rule *rule)
{
	size_t i;

	free(rule->id);
	free(rule->title);
	free(rule->description);
	free(rule->category);
	classify_strv_free(rule->tags, rule->n_tags);
	classify_cond_free(rule->when);
	classify_cond_free(rule->unless);
	for (i = 0; i < rule->n_examples; i++)
		classify_example_clear(&rule->examples[i]);
	free(rule->examples);
}

static int classify_parse_rule(classify_rules *r, const char *file, const cy_node *n, classify_rule *rule,
			       sbuf *err)
{
	static const char *const keys[] = { "id", "title", "description", "category", "tags", "priority",
					    "when", "unless", "concerned_is", "examples", NULL };
	const cy_node *v;
	size_t i;

	rule->file = file;
	rule->line = n->line;
	rule->col = n->col;
	rule->priority = DEFAULT_PRIORITY;
	if (classify_want(file, n, CY_MAP, "a rule", err) ||
	    classify_check_keys(file, n, keys, "a rule", err) ||
	    classify_get_str(file, n, "id", 1, &rule->id, err) ||
	    classify_get_str(file, n, "title", 0, &rule->title, err) ||
	    classify_get_str(file, n, "description", 0, &rule->description, err) ||
	    classify_get_str(file, n, "category", 0, &rule->category, err) ||
	    classify_str_list(file, classify_map_get(n, "tags"), &rule->tags, &rule->n_tags, err))
		return -1;
	if (!classify_code_ok(rule->id)) {
		classify_errf(err, file, classify_map_get(n, "id"),
			      "expected a rule id of a-z, 0-9, '-' or '_', found '%s'", rule->id);
		return -1;
	}
	for (i = 0; i < r->n_rules; i++)
		if (!strcmp(r->rules[i].id, rule->id)) {
			classify_errf(err, file, classify_map_get(n, "id"), "duplicate rule id '%s' (first in %s:%d)",
				      rule->id, r->rules[i].file, r->rules[i].line);
			return -1;
		}
	if (rule->category && !classify_find_cat(r, rule->category)) {
		classify_errf(err, file, classify_map_get(n, "category"),
			      "unknown category '%s'; expected a code from categories.yaml", rule->category);
		return -1;
	}
	if ((v = classify_map_get(n, "concerned_is"))) {
		if (v->kind != CY_SCALAR || org_type_parse(v->str, &rule->concerned_is)) {
			classify_errf(err, file, v, "expected an organisation type for 'concerned_is' "
				      "(kommune, fastlege, unn or annen)");
			return -1;
		}
		rule->has_concerned_is = 1;
	}
	if (!rule->category && !rule->n_tags && !rule->has_concerned_is) {
		classify_errf(err, file, n, "rule '%s' sets neither a category, tags nor concerned_is", rule->id);
		return -1;
	}
	for (i = 0; i < rule->n_tags; i++)
		if (!classify_tag_ok(rule->tags[i])) {
			classify_errf(err, file, classify_map_get(n, "tags"),
				      "expected tags of a-z, 0-9, '-' or '_', found '%s'", rule->tags[i]);
			return -1;
		}
	if ((v = classify_map_get(n, "priority"))) {
		char *end;
		long p;
		errno = 0;
		p = v->kind == CY_SCALAR ? strtol(v->str, &end, 10) : 0;
		if (v->kind != CY_SCALAR || !*v->str || *end || errno || p < 0 || p > 1000) {
			classify_errf(err, file, v, "expected a priority from 0 to 1000, found %s%s%s",
				      v->kind == CY_SCALAR ? "'" : "", v->kind == CY_SCALAR ? v->str : classify_yaml_kind(v),
				      v->kind == CY_SCALAR ? "'" : "");
			return -1;
		}
		rule->priority = (int)p;
	}
	if (!(v = classify_map_get(n, "when"))) {
		classify_errf(err, file, n, "missing required key 'when' in rule '%s'", rule->id);
		return -1;
	}
	if (!(rule->when = classify_parse_cond(file, v, 0, err)))
		return -1;
	/* unless: an exclusion; the rule does not fire when it holds */
	if ((v = classify_map_get(n, "unless")) && !(rule->unless = classify_parse_cond(file, v, 0, err)))
		return -1;
	if ((v = classify_map_get(n, "examples"))) {
		if (classify_want(file, v, CY_SEQ, "'examples'", err))
			return -1;
		rule->examples = xcalloc(v->n ? v->n : 1, sizeof *rule->examples);
		for (i = 0; i < v->n; i++) {
			rule->n_examples++;
			if (classify_parse_example(file, r, v->kids[i], &rule->examples[i], err))
				return -1;
		}
	}
	return 0;
}

/* Folds a label or source name for comparison: case, accents and
 * punctuation runs do not matter ("Epikrise/utskrivning" = "epikrise utskrivning"). */
static char *classify_fold_dup(const char *s)
{
	sbuf f = SBUF_INIT;

	utf8_fold(&f, s);
	return sbuf_detach(&f, NULL);
}

/* One entry of mappings: the sender's own label from one source or system
 * -> our category.  Becomes a rule with one CC_LABEL condition, so it takes
 * part in priority like any other rule and shows in explain. */
static int classify_parse_mapping(classify_rules *r, const char *file, const cy_node *n, classify_rule *rule,
				  sbuf *err)
{
	static const char *const keys[] = { "id", "source", "label", "category", "priority", "note", NULL };
	const cy_node *v;
	classify_cond *c;
	size_t i;

	rule->file = file;
	rule->line = n->line;
	rule->col = n->col;
	rule->priority = 30;
	rule->is_mapping = 1;
	if (classify_want(file, n, CY_MAP, "a mapping entry", err) ||
	    classify_check_keys(file, n, keys, "a mapping entry", err) ||
	    classify_get_str(file, n, "id", 0, &rule->id, err) ||
	    classify_get_str(file, n, "category", 1, &rule->category, err))
		return -1;
	if (!rule->id) {
		sbuf id = SBUF_INIT;
		const char *base = strrchr(file, '/');
		size_t k;
		sbuf_addf(&id, "map-%s-%d", base ? base + 1 : file, n->line);
		for (k = 0; k < id.len; k++)
			if (!((id.buf[k] >= 'a' && id.buf[k] <= 'z') || (id.buf[k] >= '0' && id.buf[k] <= '9') ||
			      id.buf[k] == '-'))
				id.buf[k] = '-';
		rule->id = sbuf_detach(&id, NULL);
	} else if (!classify_code_ok(rule->id)) {
		classify_errf(err, file, classify_map_get(n, "id"),
			      "expected a mapping id of a-z, 0-9, '-' or '_', found '%s'", rule->id);
		return -1;
	}
	for (i = 0; i < r->n_rules; i++)
		if (!strcmp(r->rules[i].id, rule->id)) {
			classify_errf(err, file, n, "duplicate rule id '%s' (first in %s:%d)", rule->id,
				      r->rules[i].file, r->rules[i].line);
			return -1;
		}
	if (!classify_find_cat(r, rule->category)) {
		classify_errf(err, file, classify_map_get(n, "category"),
			      "unknown category '%s'; expected a code from categories.yaml", rule->category);
		return -1;
	}
	if ((v = classify_map_get(n, "priority"))) {
		char *end;
		long p = v->kind == CY_SCALAR ? strtol(v->str, &end, 10) : -1;
		if (v->kind != CY_SCALAR || !*v->str || *end || p < 0 || p > 1000) {
			classify_errf(err, file, v, "expected a priority from 0 to 1000");
			return -1;
		}
		rule->priority = (int)p;
	}
	c = classify_cond_new(CC_LABEL, n);
	rule->when = c;
	if (classify_str_list(file, classify_map_get(n, "source"), &c->strs, &c->n_strs, err) ||
	    classify_str_list(file, classify_map_get(n, "label"), &c->strs2, &c->n_strs2, err))
		return -1;
	if (!c->n_strs || !c->n_strs2) {
		classify_errf(err, file, n, "expected 'source' (a source, channel or system name, or '*') and "
			      "'label' (the sender's category label) in a mapping entry");
		return -1;
	}
	for (i = 0; i < c->n_strs; i++)
		if (strcmp(c->strs[i], "*")) {
			char *f = classify_fold_dup(c->strs[i]);
			free(c->strs[i]);
			c->strs[i] = f;
		}
	for (i = 0; i < c->n_strs2; i++) {
		char *f = classify_fold_dup(c->strs2[i]);
		free(c->strs2[i]);
		c->strs2[i] = f;
	}
	{
		sbuf t = SBUF_INIT;
		sbuf_addf(&t, "mapping %s", c->strs2[0]);
		rule->title = sbuf_detach(&t, NULL);
	}
	return 0;
}

/* Parses every entry of one list (rules: or mappings:); an entry with an
 * error is reported and skipped, so `rules check` lists every error of a
 * file in one go.  Returns the number of errors. */
static int classify_load_list(classify_rules *r, const char *file, const cy_node *list, int mappings, sbuf *err)
{
	size_t i;
	int errors = 0;

	if (!list || (list->kind == CY_SCALAR && list->plain && !*list->str))
		return 0;
	if (classify_want(file, list, CY_SEQ, mappings ? "'mappings'" : "'rules'", err))
		return 1;
	r->rules = xrealloc(r->rules, (r->n_rules + list->n + 1) * sizeof *r->rules);
	for (i = 0; i < list->n; i++) {
		classify_rule *rule = &r->rules[r->n_rules];
		memset(rule, 0, sizeof *rule);
		if (mappings ? classify_parse_mapping(r, file, list->kids[i], rule, err)
			     : classify_parse_rule(r, file, list->kids[i], rule, err)) {
			classify_rule_clear(rule);
			memset(rule, 0, sizeof *rule);
			errors++;
			continue;
		}
		r->n_rules++;
	}
	return errors;
}

static int classify_load_rule_file(classify_rules *r, const classify_file *f, const cy_node *root,
				   sbuf *err)
{
	static const char *const top_keys[] = { "rules", "mappings", NULL };
	const char *file;
	int errors;

	r->file_names = xrealloc(r->file_names, (r->n_file_names + 1) * sizeof *r->file_names);
	file = r->file_names[r->n_file_names++] = xstrdup(f->path);
	if (!root)
		return 0;   /* an empty file is an empty rule list */
	if (classify_want(file, root, CY_MAP, "the top level (rules: [...])", err) ||
	    classify_check_keys(file, root, top_keys, "a rule file", err))
		return -1;
	r_cur = r;
	errors = classify_load_list(r, file, classify_map_get(root, "rules"), 0, err);
	errors += classify_load_list(r, file, classify_map_get(root, "mappings"), 1, err);
	r_cur = NULL;
	return errors ? -1 : 0;
}

/* ---------------- the whole set ---------------- */

static const classify_file *classify_find_file(const classify_file *files, size_t n, const char *name)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (!strcmp(files[i].name, name))
			return &files[i];
	return NULL;
}

static int classify_is_rule_file(const char *name)
{
	size_t len = strlen(name);

	if (strncmp(name, "rules/", 6) || strchr(name + 6, '/'))
		return 0;
	return (len > 11 && !strcmp(name + len - 5, ".yaml")) || (len > 10 && !strcmp(name + len - 4, ".yml"));
}

static int classify_cmp_file(const void *a, const void *b)
{
	return strcmp(((const classify_file *)a)->name, ((const classify_file *)b)->name);
}

int classify_rules_build(classify_rules **out, const char *commit, classify_file *files, size_t n_files,
			 sbuf *err)
{
	classify_rules *r = xcalloc(1, sizeof *r);
	const classify_file *f;
	cy_node *root = NULL;
	size_t i;
	int rc = -1;

	*out = NULL;
	snprintf(r->commit, sizeof r->commit, "%s", commit);
	r->limit_log = xcalloc(1, sizeof *r->limit_log);
	pthread_mutex_init(&r->limit_log->mu, NULL);
	if (!(r->mctx = pcre2_match_context_create(NULL))) {
		sbuf_addf(err, "categories.yaml:1:1: cannot allocate a regex match context");
		goto out;
	}
	pcre2_set_match_limit(r->mctx, CLASSIFY_MATCH_LIMIT);
	pcre2_set_depth_limit(r->mctx, CLASSIFY_DEPTH_LIMIT);
	pcre2_set_heap_limit(r->mctx, CLASSIFY_HEAP_LIMIT);
	/* rule order is file name order, then order within the file: it
	 * decides ties, so it must not depend on how the files were listed */
	if (n_files)
		qsort(files, n_files, sizeof *files, classify_cmp_file);

	if (!(f = classify_find_file(files, n_files, "categories.yaml"))) {
		sbuf_addf(err, "categories.yaml:1:1: expected categories.yaml at the top of the rules repository");
		goto out;
	}
	if (classify_yaml_parse(f->path, f->data.buf, f->data.len, &root, err) ||
	    classify_load_categories(r, f, root, err))
		goto out;
	classify_yaml_free(root);
	root = NULL;

	if (!(f = classify_find_file(files, n_files, "orgs.yaml"))) {
		sbuf_addf(err, "orgs.yaml:1:1: expected orgs.yaml at the top of the rules repository");
		goto out;
	}
	if (classify_yaml_parse(f->path, f->data.buf, f->data.len, &root, err) ||
	    classify_orgs_load(r, f, root, err))
		goto out;
	classify_yaml_free(root);
	root = NULL;

	/* every rule file is read even after an error, so all errors show */
	rc = 0;
	for (i = 0; i < n_files; i++) {
		if (!classify_is_rule_file(files[i].name))
			continue;
		if (classify_yaml_parse(files[i].path, files[i].data.buf, files[i].data.len, &root, err) ||
		    classify_load_rule_file(r, &files[i], root, err))
			rc = -1;
		classify_yaml_free(root);
		root = NULL;
	}
	if (rc)
		goto out;
	r->jit = classify_get_jit();
out:
	classify_yaml_free(root);
	if (rc)
		classify_rules_free(r);
	else
		*out = r;
	return rc;
}

void classify_rules_free(classify_rules *r)
{
	size_t i;

	if (!r)
		return;
	for (i = 0; i < r->n_cats; i++) {
		free(r->cats[i].code);
		free(r->cats[i].label);
		free(r->cats[i].label_en);
		free(r->cats[i].description);
		free(r->cats[i].fsu);
	}
	free(r->cats);
	classify_orgs_free(r);
	for (i = 0; i < r->n_rules; i++)
		classify_rule_clear(&r->rules[i]);
	free(r->rules);
	classify_strv_free(r->file_names, r->n_file_names);
	pcre2_match_context_free(r->mctx);
	if (r->limit_log) {
		pthread_mutex_destroy(&r->limit_log->mu);
		free(r->limit_log->v);
	}
	free(r->limit_log);
	free(r);
}

/* ---------------- reading a directory ---------------- */

static int classify_read_one(classify_file **files, size_t *n, const char *dir, const char *name, sbuf *err)
{
	classify_file *f;
	sbuf path = SBUF_INIT;

	sbuf_addf(&path, "%s/%s", dir, name);
	*files = xrealloc(*files, (*n + 1) * sizeof **files);
	f = &(*files)[*n];
	memset(f, 0, sizeof *f);
	sbuf_init(&f->data, 0);
	/* 16 MiB is far beyond any sane rule file; refuse rather than swallow */
	if (sbuf_read_file(&f->data, path.buf, 16u << 20)) {
		sbuf_addf(err, "%s:1:1: cannot read: %s", path.buf, strerror(errno));
		sbuf_release(&f->data);
		sbuf_release(&path);
		return -1;
	}
	f->name = xstrdup(name);
	f->path = sbuf_detach(&path, NULL);
	(*n)++;
	return 0;
}

void classify_files_free(classify_file *files, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		free(files[i].path);
		free(files[i].name);
		sbuf_release(&files[i].data);
	}
	free(files);
}

int classify_rules_load_dir(classify_rules **out, const char *dir, sbuf *err)
{
	classify_file *files = NULL;
	size_t n = 0;
	sbuf sub = SBUF_INIT, name = SBUF_INIT;
	DIR *d;
	struct dirent *de;
	int rc = -1;

	*out = NULL;
	if (classify_read_one(&files, &n, dir, "categories.yaml", err) ||
	    classify_read_one(&files, &n, dir, "orgs.yaml", err))
		goto out;
	sbuf_addf(&sub, "%s/rules", dir);
	if (!(d = opendir(sub.buf))) {
		sbuf_addf(err, "%s:1:1: expected a rules/ directory: %s", sub.buf, strerror(errno));
		goto out;
	}
	while ((de = readdir(d))) {
		sbuf_reset(&name);
		sbuf_addf(&name, "rules/%s", de->d_name);
		if (de->d_name[0] == '.' || !classify_is_rule_file(name.buf))
			continue;
		if (classify_read_one(&files, &n, dir, name.buf, err)) {
			closedir(d);
			goto out;
		}
	}
	closedir(d);
	rc = classify_rules_build(out, "worktree", files, n, err);
out:
	classify_files_free(files, n);
	sbuf_release(&sub);
	sbuf_release(&name);
	return rc;
}

int classify_rules_load_mem(classify_rules **out, const char *const *names, const char *const *data,
			    const size_t *len, size_t n, sbuf *err)
{
	classify_file *files = xcalloc(n ? n : 1, sizeof *files);
	size_t i;
	int rc;

	for (i = 0; i < n; i++) {
		files[i].name = xstrdup(names[i]);
		files[i].path = xstrdup(names[i]);
		sbuf_init(&files[i].data, len[i]);
		sbuf_add(&files[i].data, data[i], len[i]);
	}
	rc = classify_rules_build(out, "memory", files, n, err);
	classify_files_free(files, n);
	return rc;
}

/* ---------------- accessors ---------------- */

const char *classify_rules_commit(const classify_rules *r)
{
	return r->commit;
}

size_t classify_rules_count(const classify_rules *r)
{
	return r->n_rules;
}

size_t classify_category_count(const classify_rules *r)
{
	return r->n_cats;
}

const char *classify_category_code(const classify_rules *r, size_t i)
{
	return i < r->n_cats ? r->cats[i].code : NULL;
}

const char *classify_category_label(const classify_rules *r, const char *code)
{
	const classify_category *c = classify_find_cat(r, code);

	return c ? c->label : NULL;
}

const char *classify_category_label_en(const classify_rules *r, const char *code)
{
	const classify_category *c = classify_find_cat(r, code);

	return c && c->label_en ? c->label_en : NULL;
}

const char *classify_category_fsu(const classify_rules *r, const char *code)
{
	const classify_category *c = classify_find_cat(r, code);

	return c ? c->fsu : NULL;
}

int classify_category_counted(const classify_rules *r, const char *code)
{
	const classify_category *c = classify_find_cat(r, code);

	return c ? c->counted : 0;
}

/* ---------------- embedded examples ---------------- */

static int classify_has_tag(const char *tags, const char *tag)
{
	size_t n = strlen(tag);
	const char *p = tags;

	while (p && *p) {
		const char *e = strchr(p, ',');
		size_t len = e ? (size_t)(e - p) : strlen(p);
		if (len == n && !strncmp(p, tag, n))
			return 1;
		p = e ? e + 1 : NULL;
	}
	return 0;
}

void classify_example_record(const classify_example *e, avvik_record *rec)
{
	avvik_record_init(rec);
	rec->text = xstrdup(e->text);
	rec->subject = xstrdup(e->subject);
	rec->source_category = xstrdup(e->source_category);
	rec->reporter.name = xstrdup(e->reporter);
	rec->reporter.type_hint = xstrdup(e->reporter_type);
	rec->concerned.name = xstrdup(e->concerned);
	rec->concerned.type_hint = xstrdup(e->concerned_type);
}

int classify_rules_ties(const classify_rules *r, sbuf *err)
{
	size_t i, j, k, m, n_seen = 0;
	size_t (*seen)[2] = NULL;
	int ties = 0;

	for (i = 0; i < r->n_rules; i++)
		for (j = 0; j < r->rules[i].n_examples; j++) {
			const classify_example *e = &r->rules[i].examples[j];
			avvik_record rec;
			size_t *idx, n;
			int top = -1;

			classify_example_record(e, &rec);
			n = classify_matching(r, &rec, &idx);
			avvik_record_clear(&rec);
			for (k = 0; k < n; k++)
				if (r->rules[idx[k]].category && r->rules[idx[k]].priority > top)
					top = r->rules[idx[k]].priority;
			/* only a tie at the top decides anything */
			for (k = 0; k < n; k++)
				for (m = k + 1; m < n; m++) {
					const classify_rule *a = &r->rules[idx[k]], *b = &r->rules[idx[m]];
					size_t s;
					int dup = 0;
					if (!a->category || !b->category || a->priority != top || b->priority != top ||
					    !strcmp(a->category, b->category))
						continue;
					for (s = 0; s < n_seen; s++)
						if (seen[s][0] == idx[k] && seen[s][1] == idx[m])
							dup = 1;
					if (dup)
						continue;
					seen = xrealloc(seen, (n_seen + 1) * sizeof *seen);
					seen[n_seen][0] = idx[k];
					seen[n_seen++][1] = idx[m];
					if (err->len)
						sbuf_addch(err, '\n');
					sbuf_addf(err, "%s:%d:%d: priority tie: rules '%s' (%s) and '%s' (%s, %s:%d) both have "
						  "priority %d and both match the example at %s:%d; give one a higher priority",
						  b->file, b->line, b->col, b->id, b->category, a->id, a->category, a->file,
						  a->line, top, r->rules[i].file, e->line);
					ties++;
				}
			free(idx);
		}
	free(seen);
	return ties;
}

static void list_cell(FILE *out, const char *s, size_t width, int right)
{
	size_t w = utf8_width(s);

	if (right)
		for (; w < width; w++)
			fputc(' ', out);
	fputs(s, out);
	if (!right)
		for (; w < width; w++)
			fputc(' ', out);
	fputs("  ", out);
}

void classify_rules_list(const classify_rules *r, FILE *out, int verbose)
{
	size_t i, k, c;
	/* columns: id, prio, category, tags, where; the title last, unpadded */
	size_t w[5] = { 2, 4, 8, 4, 5 };
	sbuf *cells = xcalloc(r->n_rules * 5 + 1, sizeof *cells);
	static const char *const head[5] = { "id", "prio", "category", "tags", "where" };

	for (i = 0; i < r->n_rules; i++) {
		const classify_rule *rule = &r->rules[i];
		sbuf *row = &cells[i * 5];

		sbuf_adds(&row[0], rule->id);
		sbuf_addf(&row[1], "%d", rule->priority);
		sbuf_adds(&row[2], rule->category ? rule->category : "-");
		for (k = 0; k < rule->n_tags; k++)
			sbuf_addf(&row[3], "%s%s", k ? "," : "", rule->tags[k]);
		if (!row[3].len)
			sbuf_addch(&row[3], '-');
		sbuf_addf(&row[4], "%s:%d", rule->file, rule->line);
		for (c = 0; c < 5; c++)
			if (utf8_width(row[c].buf) > w[c])
				w[c] = utf8_width(row[c].buf);
	}
	for (c = 0; c < 5; c++)
		list_cell(out, head[c], w[c], c == 1);
	fputs("title\n", out);
	for (i = 0; i < r->n_rules; i++) {
		const classify_rule *rule = &r->rules[i];

		for (c = 0; c < 5; c++)
			list_cell(out, cells[i * 5 + c].buf, w[c], c == 1);
		fprintf(out, "%s\n", rule->title ? rule->title : "");
		if (verbose) {
			if (rule->has_concerned_is)
				fprintf(out, "    concerned_is: %s\n", org_type_name(rule->concerned_is));
			fprintf(out, "    examples: %zu%s\n", rule->n_examples, rule->unless ? ", has unless" : "");
		}
	}
	for (i = 0; i < r->n_rules * 5; i++)
		sbuf_release(&cells[i]);
	free(cells);
}

int classify_rules_test(const classify_rules *r, FILE *out, int *n_total)
{
	size_t i, j, k;
	int fails = 0, total = 0;

	for (i = 0; i < r->n_rules; i++) {
		const classify_rule *rule = &r->rules[i];
		for (j = 0; j < rule->n_examples; j++) {
			const classify_example *e = &rule->examples[j];
			avvik_record rec;
			avvik_class cl;
			int bad;

			classify_example_record(e, &rec);
			avvik_class_init(&cl);
			classify_record(r, &rec, &cl);
			total++;
			bad = strcmp(cl.category, e->expect) != 0;
			for (k = 0; k < e->n_expect_tags; k++)
				if (!classify_has_tag(cl.tags, e->expect_tags[k]))
					bad = 1;
			if (bad) {
				fails++;
				if (out) {
					fprintf(out, "%s:%d:%d: example of rule '%s': expected %s", rule->file, e->line,
						e->col, rule->id, e->expect);
					for (k = 0; k < e->n_expect_tags; k++)
						fprintf(out, "%s%s", k ? "," : " with tags ", e->expect_tags[k]);
					fprintf(out, ", got %s%s%s\n    text: %s%s%s\n    won: %s\n", cl.category,
						*cl.tags ? " with tags " : "", cl.tags, e->subject ? e->subject : "",
						e->subject && e->text ? " / " : "", e->text ? e->text : "", cl.why);
				}
				if (0) {
					for (k = 0; k < e->n_expect_tags; k++)
						fprintf(out, "%s%s", k ? "," : " with tags ", e->expect_tags[k]);
					fprintf(out, ", got %s%s%s (%s)\n", cl.category, *cl.tags ? " with tags " : "",
						cl.tags, cl.why);
				}
			}
			avvik_class_clear(&cl);
			avvik_record_clear(&rec);
		}
	}
	if (n_total)
		*n_total = total;
	return fails;
}
