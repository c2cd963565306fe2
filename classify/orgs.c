/*
 * orgs.c - the organisation registry (orgs.yaml) and the resolution of a
 * party as written to a registry id.  Order (DESIGN.md): identifier
 * (HER-id, org.nr, kommunenr, e-mail domain), exact alias, folded alias,
 * small edit distance; each step tries the whole name, then its segments,
 * then word n-grams longest first, for the name and then the unit.  The
 * step that decided is always reported, so nothing is guessed silently.
 */
#include "classify/classify_int.h"

#include <stdlib.h>
#include <string.h>

#define MAX_WORDS 24
#define MAX_NGRAM 6

/* ---------------- normalisation ---------------- */

static uint32_t classify_lower_cp(uint32_t cp)
{
	if (cp >= 'A' && cp <= 'Z')
		return cp + 32;
	if (cp < 0xC0)
		return cp;
	if (cp <= 0xDE && cp != 0xD7)
		return cp + 0x20;
	/* Latin Extended-A: Sami letters (Á is Latin-1; Č Đ Ŋ Š Ŧ Ž here) */
	if ((cp >= 0x100 && cp <= 0x137) || (cp >= 0x14A && cp <= 0x177))
		return cp | 1;
	if ((cp >= 0x139 && cp <= 0x148) || (cp >= 0x179 && cp <= 0x17E))
		return (cp & 1) ? cp + 1 : cp;
	if (cp == 0x178)
		return 0xFF;
	return cp;
}

void classify_lower(sbuf *out, const char *s)
{
	const char *p = s, *end = s + strlen(s);

	while (p < end)
		utf8_encode(out, classify_lower_cp(utf8_next(&p, end)));
}

/* Drops the words that say what kind of body it is ("Tromsø kommune",
 * "UNN HF"), which writers add or leave out at will. */
static void classify_strip_suffix(sbuf *k)
{
	static const char *const suf[] = { " kommune", " kommunehelsetjeneste", " hf", " as", NULL };
	size_t i;
	int again = 1;

	while (again) {
		again = 0;
		while (k->len && strchr(".:;,", k->buf[k->len - 1]))
			sbuf_setlen(k, k->len - 1);
		sbuf_trim(k);
		for (i = 0; suf[i]; i++) {
			size_t n = strlen(suf[i]);
			if (k->len > n && !strcmp(k->buf + k->len - n, suf[i])) {
				sbuf_setlen(k, k->len - n);
				again = 1;
			}
		}
	}
}

/* Exact key: case-insensitive, whitespace squeezed, suffix dropped. */
static void classify_exact_key(sbuf *out, const char *s)
{
	sbuf_reset(out);
	classify_lower(out, s);
	sbuf_squeeze_space(out);
	classify_strip_suffix(out);
}

/* Folded key: utf8_fold, then the ASCII stand-ins for æ ø å written
 * either way ("Maalselv", "Tromsoe", "Kvaefjord") reduced to one letter on
 * both sides of the comparison. */
static void classify_folded_key(sbuf *out, const char *s)
{
	sbuf f = SBUF_INIT;
	size_t i;

	sbuf_reset(out);
	utf8_fold(&f, s);
	for (i = 0; i < f.len; i++) {
		char c = f.buf[i], d = f.buf[i + 1];
		if ((c == 'a' && (d == 'a' || d == 'e')) || (c == 'o' && d == 'e'))
			i++;
		sbuf_addch(out, c);
	}
	sbuf_release(&f);
	classify_strip_suffix(out);
}

/* org.nr / HER-id / kommunenr: digits only ("NO 983 974 899 MVA"). */
static void classify_digits_key(sbuf *out, const char *s)
{
	sbuf_reset(out);
	for (; *s; s++)
		if (*s >= '0' && *s <= '9')
			sbuf_addch(out, *s);
}

/* ---------------- key tables ---------------- */

static void classify_keys_add(classify_keys *k, const char *key, size_t org, const cy_node *at, int strict)
{
	if (!*key)
		return;
	if (k->n == k->alloc) {
		k->alloc = k->alloc ? 2 * k->alloc : 64;
		k->v = xrealloc(k->v, k->alloc * sizeof *k->v);
	}
	k->v[k->n].key = xstrdup(key);
	k->v[k->n].org = org;
	k->v[k->n].line = at ? at->line : 0;
	k->v[k->n].col = at ? at->col : 0;
	k->v[k->n].strict = strict;
	k->n++;
}

static int classify_key_cmp(const void *a, const void *b)
{
	const classify_key *x = a, *y = b;
	int c = strcmp(x->key, y->key);

	if (c)
		return c;
	return x->org < y->org ? -1 : x->org > y->org;
}

/* Sorts and drops repeats within one org; the same key for two orgs is an
 * error unless allow_shared (site aliases are shared by design: "Harstad"
 * names a site only under its parent). */
static int classify_keys_finish(classify_rules *r, classify_keys *k, const char *file, const char *what,
				int allow_shared, sbuf *err)
{
	size_t i, o = 0;

	if (!k->n)
		return 0;
	qsort(k->v, k->n, sizeof *k->v, classify_key_cmp);
	for (i = 0; i < k->n; i++) {
		if (o && !strcmp(k->v[o - 1].key, k->v[i].key)) {
			if (k->v[o - 1].org == k->v[i].org) {
				k->v[o - 1].strict &= k->v[i].strict;
				free(k->v[i].key);
				continue;
			}
			if (!allow_shared) {
				const classify_key *a = &k->v[o - 1], *b = &k->v[i];
				if (err->len)
					sbuf_addch(err, '\n');
				sbuf_addf(err, "%s:%d:%d: %s '%s' names both '%s' and '%s' (line %d); expected it to name one organisation",
					  file, b->line > a->line ? b->line : a->line,
					  b->line > a->line ? b->col : a->col, what, a->key,
					  r->orgs[a->org].id, r->orgs[b->org].id, b->line > a->line ? a->line : b->line);
				for (; i < k->n; i++)
					k->v[o++] = k->v[i];
				k->n = o;
				return -1;
			}
		}
		k->v[o++] = k->v[i];
	}
	k->n = o;
	return 0;
}

static void classify_keys_free(classify_keys *k)
{
	size_t i;

	for (i = 0; i < k->n; i++)
		free(k->v[i].key);
	free(k->v);
	memset(k, 0, sizeof *k);
}

/* Index of the first entry with key, or -1. */
static long classify_keys_find(const classify_keys *k, const char *key)
{
	size_t lo = 0, hi = k->n;

	if (!*key)
		return -1;
	while (lo < hi) {
		size_t mid = (lo + hi) / 2;
		if (strcmp(k->v[mid].key, key) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo < k->n && !strcmp(k->v[lo].key, key) ? (long)lo : -1;
}

/* ---------------- loading orgs.yaml ---------------- */

static void classify_strv_free(char **v, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		free(v[i]);
	free(v);
}

static void classify_orgdef_clear(classify_orgdef *o)
{
	free(o->id);
	free(o->name);
	free(o->parent);
	classify_strv_free(o->orgnr, o->n_orgnr);
	classify_strv_free(o->her, o->n_her);
	classify_strv_free(o->kommunenr, o->n_kommunenr);
	classify_strv_free(o->aliases, o->n_aliases);
	classify_strv_free(o->places, o->n_places);
	classify_strv_free(o->strict_aliases, o->n_strict_aliases);
	classify_strv_free(o->site_aliases, o->n_site_aliases);
	classify_strv_free(o->domains, o->n_domains);
	classify_strv_free(o->resh, o->n_resh);
}

void classify_orgs_free(classify_rules *r)
{
	size_t i;

	for (i = 0; i < r->n_orgs; i++)
		classify_orgdef_clear(&r->orgs[i]);
	free(r->orgs);
	for (i = 0; i < r->n_fastlege; i++)
		pcre2_code_free(r->fastlege[i]);
	free(r->fastlege);
	classify_keys_free(&r->k_her);
	classify_keys_free(&r->k_orgnr);
	classify_keys_free(&r->k_kommunenr);
	classify_keys_free(&r->k_exact);
	classify_keys_free(&r->k_folded);
	classify_keys_free(&r->k_domain);
	classify_keys_free(&r->k_site);
	r->orgs = NULL;
	r->n_orgs = 0;
}

static const cy_node *classify_list_item(const cy_node *list, size_t i)
{
	return list && list->kind == CY_SEQ ? list->kids[i] : list;
}

static int classify_org_parse(classify_rules *r, const char *file, const cy_node *n, size_t idx, sbuf *err)
{
	static const char *const keys[] = { "id", "name", "type", "parent", "orgnr", "her", "kommunenr",
					    "resh", "aliases", "places", "strict_aliases", "site_aliases", "domains",
					    "note", NULL };
	classify_orgdef *o = &r->orgs[idx];
	const cy_node *v;
	sbuf k = SBUF_INIT;
	size_t i;
	int rc = -1;

	if (n->kind != CY_MAP) {
		classify_errf(err, file, n, "expected an organisation (a mapping), found %s", classify_yaml_kind(n));
		return -1;
	}
	for (i = 0; i + 1 < n->n; i += 2) {
		size_t j;
		int ok = 0;
		for (j = 0; keys[j]; j++)
			ok |= !strcmp(n->kids[i]->str, keys[j]);
		if (!ok) {
			classify_errf(err, file, n->kids[i],
				      "unknown key '%s' in an organisation; expected id, name, type, parent, orgnr, her, kommunenr, resh, aliases, places, strict_aliases, site_aliases, domains or note",
				      n->kids[i]->str);
			return -1;
		}
	}
#define GETS(key, dst) do { \
		v = classify_map_get(n, key); \
		if (v && v->kind != CY_SCALAR) { \
			classify_errf(err, file, v, "expected a string for '%s', found %s", key, classify_yaml_kind(v)); \
			goto out; \
		} \
		dst = v ? xstrdup(v->str) : NULL; \
	} while (0)
	GETS("id", o->id);
	GETS("name", o->name);
	GETS("parent", o->parent);
#undef GETS
	if (!o->id || !*o->id) {
		classify_errf(err, file, n, "missing required key 'id' in an organisation");
		goto out;
	}
	if (!o->name || !*o->name) {
		classify_errf(err, file, n, "missing required key 'name' in organisation '%s'", o->id);
		goto out;
	}
	for (i = 0; i < idx; i++)
		if (!strcmp(r->orgs[i].id, o->id)) {
			classify_errf(err, file, classify_map_get(n, "id"), "duplicate organisation id '%s'", o->id);
			goto out;
		}
	v = classify_map_get(n, "type");
	if (!v || v->kind != CY_SCALAR || org_type_parse(v->str, &o->type) ||
	    o->type == ORG_TYPE_UNKNOWN || o->type == ORG_TYPE_FASTLEGE) {
		classify_errf(err, file, v ? v : n, "expected 'type' to be kommune, unn or annen in organisation '%s'",
			      o->id);
		goto out;
	}
	if (classify_str_list(file, classify_map_get(n, "orgnr"), &o->orgnr, &o->n_orgnr, err) ||
	    classify_str_list(file, classify_map_get(n, "her"), &o->her, &o->n_her, err) ||
	    classify_str_list(file, classify_map_get(n, "kommunenr"), &o->kommunenr, &o->n_kommunenr, err) ||
	    classify_str_list(file, classify_map_get(n, "resh"), &o->resh, &o->n_resh, err) ||
	    classify_str_list(file, classify_map_get(n, "aliases"), &o->aliases, &o->n_aliases, err) ||
	    classify_str_list(file, classify_map_get(n, "places"), &o->places, &o->n_places, err) ||
	    classify_str_list(file, classify_map_get(n, "strict_aliases"), &o->strict_aliases, &o->n_strict_aliases, err) ||
	    classify_str_list(file, classify_map_get(n, "site_aliases"), &o->site_aliases, &o->n_site_aliases, err) ||
	    classify_str_list(file, classify_map_get(n, "domains"), &o->domains, &o->n_domains, err))
		goto out;
	if (o->n_site_aliases && !o->parent) {
		classify_errf(err, file, classify_map_get(n, "site_aliases"),
			      "'site_aliases' only apply under a parent; expected 'parent' in organisation '%s'", o->id);
		goto out;
	}

	v = classify_map_get(n, "orgnr");
	for (i = 0; i < o->n_orgnr; i++) {
		classify_digits_key(&k, o->orgnr[i]);
		if (k.len != 9) {
			classify_errf(err, file, classify_list_item(v, i), "expected a 9-digit org.nr, found '%s'",
				      o->orgnr[i]);
			goto out;
		}
		classify_keys_add(&r->k_orgnr, k.buf, idx, classify_list_item(v, i), 0);
	}
	v = classify_map_get(n, "her");
	for (i = 0; i < o->n_her; i++) {
		classify_digits_key(&k, o->her[i]);
		if (!k.len || k.len != strlen(o->her[i])) {
			classify_errf(err, file, classify_list_item(v, i), "expected a HER-id of digits, found '%s'",
				      o->her[i]);
			goto out;
		}
		classify_keys_add(&r->k_her, k.buf, idx, classify_list_item(v, i), 0);
	}
	v = classify_map_get(n, "kommunenr");
	for (i = 0; i < o->n_kommunenr; i++) {
		classify_digits_key(&k, o->kommunenr[i]);
		if (k.len != 4) {
			classify_errf(err, file, classify_list_item(v, i), "expected a 4-digit kommunenummer, found '%s'",
				      o->kommunenr[i]);
			goto out;
		}
		classify_keys_add(&r->k_kommunenr, k.buf, idx, classify_list_item(v, i), 0);
	}
	v = classify_map_get(n, "domains");
	for (i = 0; i < o->n_domains; i++) {
		sbuf_reset(&k);
		classify_lower(&k, o->domains[i]);
		classify_keys_add(&r->k_domain, k.buf, idx, classify_list_item(v, i), 0);
	}
	/* the display name counts as an alias too */
	classify_exact_key(&k, o->name);
	classify_keys_add(&r->k_exact, k.buf, idx, classify_map_get(n, "name"), 0);
	classify_folded_key(&k, o->name);
	classify_keys_add(&r->k_folded, k.buf, idx, classify_map_get(n, "name"), 0);
	v = classify_map_get(n, "aliases");
	for (i = 0; i < o->n_aliases; i++) {
		classify_exact_key(&k, o->aliases[i]);
		classify_keys_add(&r->k_exact, k.buf, idx, classify_list_item(v, i), 0);
		classify_folded_key(&k, o->aliases[i]);
		classify_keys_add(&r->k_folded, k.buf, idx, classify_list_item(v, i), 0);
	}
	v = classify_map_get(n, "places");
	for (i = 0; i < o->n_places; i++) {
		classify_exact_key(&k, o->places[i]);
		classify_keys_add(&r->k_exact, k.buf, idx, classify_list_item(v, i), 0);
		classify_folded_key(&k, o->places[i]);
		classify_keys_add(&r->k_folded, k.buf, idx, classify_list_item(v, i), 0);
	}
	/* names that are also common words or surnames ("Berg") count only
	 * when they are the whole name or a whole segment */
	v = classify_map_get(n, "strict_aliases");
	for (i = 0; i < o->n_strict_aliases; i++) {
		classify_exact_key(&k, o->strict_aliases[i]);
		classify_keys_add(&r->k_exact, k.buf, idx, classify_list_item(v, i), 1);
		classify_folded_key(&k, o->strict_aliases[i]);
		classify_keys_add(&r->k_folded, k.buf, idx, classify_list_item(v, i), 1);
	}
	v = classify_map_get(n, "site_aliases");
	for (i = 0; i < o->n_site_aliases; i++) {
		classify_folded_key(&k, o->site_aliases[i]);
		classify_keys_add(&r->k_site, k.buf, idx, classify_list_item(v, i), 0);
	}
	rc = 0;
out:
	sbuf_release(&k);
	return rc;
}

int classify_orgs_load(classify_rules *r, const classify_file *f, const cy_node *root, sbuf *err)
{
	const char *file = f->path;
	const cy_node *list, *pats;
	size_t i, j;

	if (!root || root->kind != CY_MAP) {
		classify_errf(err, file, root, "expected a mapping with 'orgs' and 'fastlege_patterns' at the top level");
		return -1;
	}
	for (i = 0; i + 1 < root->n; i += 2)
		if (strcmp(root->kids[i]->str, "orgs") && strcmp(root->kids[i]->str, "fastlege_patterns")) {
			classify_errf(err, file, root->kids[i], "unknown key '%s'; expected orgs or fastlege_patterns",
				      root->kids[i]->str);
			return -1;
		}
	list = classify_map_get(root, "orgs");
	if (!list || list->kind != CY_SEQ) {
		classify_errf(err, file, list ? list : root, "expected a list under 'orgs', found %s",
			      classify_yaml_kind(list));
		return -1;
	}
	r->orgs = xcalloc(list->n ? list->n : 1, sizeof *r->orgs);
	for (i = 0; i < list->n; i++) {
		r->n_orgs++;
		if (classify_org_parse(r, file, list->kids[i], i, err))
			return -1;
	}
	/* a parent must exist and be no site itself, so refinement is one level */
	for (i = 0; i < r->n_orgs; i++) {
		int found = 0;
		if (!r->orgs[i].parent)
			continue;
		for (j = 0; j < r->n_orgs; j++)
			if (!strcmp(r->orgs[j].id, r->orgs[i].parent) && !r->orgs[j].parent)
				found = 1;
		if (!found) {
			classify_errf(err, file, classify_map_get(list->kids[i], "parent"),
				      "unknown parent '%s'; expected the id of a top-level organisation", r->orgs[i].parent);
			return -1;
		}
	}
	if (classify_keys_finish(r, &r->k_her, file, "HER-id", 0, err) ||
	    classify_keys_finish(r, &r->k_orgnr, file, "org.nr", 0, err) ||
	    classify_keys_finish(r, &r->k_kommunenr, file, "kommunenr", 0, err) ||
	    classify_keys_finish(r, &r->k_domain, file, "domain", 0, err) ||
	    classify_keys_finish(r, &r->k_exact, file, "alias", 0, err) ||
	    classify_keys_finish(r, &r->k_folded, file, "folded alias", 0, err) ||
	    classify_keys_finish(r, &r->k_site, file, "site alias", 1, err))
		return -1;

	pats = classify_map_get(root, "fastlege_patterns");
	if (pats && pats->kind != CY_SEQ) {
		classify_errf(err, file, pats, "expected a list of patterns under 'fastlege_patterns', found %s",
			      classify_yaml_kind(pats));
		return -1;
	}
	r->fastlege = xcalloc(pats && pats->n ? pats->n : 1, sizeof *r->fastlege);
	for (i = 0; pats && i < pats->n; i++) {
		const cy_node *p = pats->kids[i];
		if (p->kind != CY_SCALAR) {
			classify_errf(err, file, p, "expected a pattern (string), found %s", classify_yaml_kind(p));
			return -1;
		}
		if (!(r->fastlege[r->n_fastlege] = classify_compile(file, p, p->str, err)))
			return -1;
		r->n_fastlege++;
	}
	return 0;
}

/* ---------------- candidates ---------------- */

typedef struct {
	char **v;
	size_t n;
	size_t n_whole;     /* v[0..n_whole) are the whole string and segments */
} classify_strv;

static void classify_strv_push(classify_strv *s, const char *str, size_t len)
{
	size_t i;
	char *c;

	while (len && (str[0] == ' ' || str[0] == '\t'))
		str++, len--;
	while (len && (str[len - 1] == ' ' || str[len - 1] == '\t'))
		len--;
	if (!len)
		return;
	c = xstrndup(str, len);
	for (i = 0; i < s->n; i++)
		if (!strcmp(s->v[i], c)) {
			free(c);
			return;
		}
	s->v = xrealloc(s->v, (s->n + 1) * sizeof *s->v);
	s->v[s->n++] = c;
}

static void classify_strv_clear(classify_strv *s)
{
	classify_strv_free(s->v, s->n);
	s->v = NULL;
	s->n = 0;
}

/* Length of a segment separator at p ("," ";" "/" "(" ")" "|", an en or em
 * dash, or a hyphen next to a space), 0 when p is none.  A hyphen inside a
 * word ("Nord-Norge", "Midt-Troms") is no separator. */
static size_t classify_sep_len(const char *s, const char *p)
{
	if (strchr(",;/()|:", *p) && *p)
		return 1;
	if (!strncmp(p, "\xE2\x80\x93", 3) || !strncmp(p, "\xE2\x80\x94", 3))
		return 3;
	if (*p == '-' && ((p > s && p[-1] == ' ') || p[1] == ' '))
		return 1;
	return 0;
}

/* Whole string, then segments, then word n-grams longest first. */
static void classify_candidates(const char *in, classify_strv *out)
{
	sbuf s = SBUF_INIT;
	const char *p, *seg;
	const char *w[MAX_WORDS];
	size_t wl[MAX_WORDS], nw = 0, n, i;

	if (!in)
		return;
	sbuf_adds(&s, in);
	sbuf_squeeze_space(&s);
	classify_strv_push(out, s.buf, s.len);
	for (p = seg = s.buf;; p++) {
		size_t sl = *p ? classify_sep_len(s.buf, p) : 1;
		if (sl) {
			classify_strv_push(out, seg, (size_t)(p - seg));
			if (!*p)
				break;
			p += sl - 1;
			seg = p + 1;
		}
	}
	out->n_whole = out->n;
	/* words: split at spaces and separators, outer punctuation dropped */
	for (p = s.buf; *p && nw < MAX_WORDS;) {
		const char *b;
		size_t sl = 0;
		while (*p && (*p == ' ' || (sl = classify_sep_len(s.buf, p)) != 0))
			p += *p == ' ' ? 1 : sl;
		if (!*p)
			break;
		b = p;
		while (*p && *p != ' ' && !classify_sep_len(s.buf, p))
			p++;
		while (b < p && strchr(".'\"«»", *b))
			b++;
		n = (size_t)(p - b);
		while (n && strchr(".'\"", b[n - 1]))
			n--;
		if (n) {
			w[nw] = b;
			wl[nw++] = n;
		}
	}
	for (n = nw < MAX_NGRAM ? nw : MAX_NGRAM; n >= 1; n--)
		for (i = 0; i + n <= nw; i++) {
			sbuf g = SBUF_INIT;
			size_t j;
			for (j = 0; j < n; j++) {
				if (j)
					sbuf_addch(&g, ' ');
				sbuf_add(&g, w[i + j], wl[i + j]);
			}
			classify_strv_push(out, g.buf, g.len);
			sbuf_release(&g);
		}
	sbuf_release(&s);
}

/* ---------------- the steps ---------------- */

/* A domain written alone or in an address: "postmottak@unn.no",
 * "hjemmetjenesten.tromso.kommune.no" (the longest known suffix wins). */
static long classify_domain_lookup(const classify_rules *r, const char *cand)
{
	const char *at = strrchr(cand, '@'), *d = at ? at + 1 : cand;
	sbuf k = SBUF_INIT;
	const char *p;
	long hit = -1;

	if (strchr(d, ' ') || !strchr(d, '.'))
		return -1;
	classify_lower(&k, d);
	for (p = k.buf; p && hit < 0 && strchr(p, '.');) {
		hit = classify_keys_find(&r->k_domain, p);
		p = strchr(p, '.');
		if (p)
			p++;
	}
	hit = hit >= 0 ? (long)r->k_domain.v[hit].org : -1;
	sbuf_release(&k);
	return hit;
}

enum { STEP_EXACT, STEP_FOLDED, STEP_FUZZY };

/* The org index matched by cand at step, or -1; *dist gets the fuzzy
 * distance. */
static long classify_try(const classify_rules *r, const char *cand, int ngram, int step, int *dist,
			 int *domain)
{
	sbuf k = SBUF_INIT;
	long hit = -1, i;

	*domain = 0;
	if (step == STEP_EXACT) {
		if ((hit = classify_domain_lookup(r, cand)) >= 0) {
			*domain = 1;
			return hit;
		}
		classify_exact_key(&k, cand);
		if ((i = classify_keys_find(&r->k_exact, k.buf)) >= 0 && !(ngram && r->k_exact.v[i].strict))
			hit = (long)r->k_exact.v[i].org;
	} else if (step == STEP_FOLDED) {
		classify_folded_key(&k, cand);
		if ((i = classify_keys_find(&r->k_folded, k.buf)) >= 0 && !(ngram && r->k_folded.v[i].strict))
			hit = (long)r->k_folded.v[i].org;
	} else {
		size_t j, len;
		int best = 3;
		long best_org = -1;
		int ambiguous = 0;

		classify_folded_key(&k, cand);
		len = k.len;
		for (j = 0; len >= 5 && j < r->k_folded.n; j++) {
			const char *a = r->k_folded.v[j].key;
			size_t al = strlen(a), m = al < len ? al : len;
			/* the limit follows the shorter name; short names are too
			 * alike to guess at all */
			int max = m <= 7 ? 1 : 2, d;
			/* misspellings keep the first letter: "Larvik" is not "Narvik" */
			if (m < 5 || a[0] != k.buf[0] || (ngram && r->k_folded.v[j].strict) || (al > len ? al - len : len - al) > (size_t)max)
				continue;
			d = text_edit_distance(k.buf, a, max);
			if (d > max)
				continue;
			if (d < best) {
				best = d;
				best_org = (long)r->k_folded.v[j].org;
				ambiguous = 0;
			} else if (d == best && (long)r->k_folded.v[j].org != best_org) {
				ambiguous = 1;
			}
		}
		/* two organisations equally near: do not pick one */
		if (best_org >= 0 && !ambiguous) {
			hit = best_org;
			*dist = best;
		}
	}
	sbuf_release(&k);
	return hit;
}

static int classify_fastlege_match(const classify_rules *r, const char *s)
{
	pcre2_match_data *md;
	sbuf clean = SBUF_INIT;
	size_t i;
	int hit = 0;

	if (!s || !*s || !r->n_fastlege)
		return 0;
	utf8_sanitize(&clean, s, strlen(s));
	md = pcre2_match_data_create(1, NULL);
	for (i = 0; i < r->n_fastlege && !hit; i++)
		hit = classify_pcre_match(r, r->fastlege[i], &clean, 0, 0, md, NULL) >= 0;
	pcre2_match_data_free(md);
	sbuf_release(&clean);
	return hit;
}

/* A party resolved to an organisation with sites ("UNN HF", unit
 * "Medisinsk avdeling, Narvik") is narrowed to the site the name or the
 * unit names. */
static long classify_refine_site(const classify_rules *r, long org, const classify_strv *c, size_t nc)
{
	size_t i, j;
	sbuf k = SBUF_INIT;
	long hit = -1;

	for (i = 0; i < r->n_orgs; i++)
		if (r->orgs[i].parent && !strcmp(r->orgs[i].parent, r->orgs[org].id))
			break;
	if (i == r->n_orgs)
		return org;
	for (i = 0; i < nc && hit < 0; i++)
		for (j = 0; j < c[i].n && hit < 0; j++) {
			long e, x;
			const char *par;
			classify_exact_key(&k, c[i].v[j]);
			if ((e = classify_keys_find(&r->k_exact, k.buf)) >= 0) {
				x = (long)r->k_exact.v[e].org;
				par = r->orgs[x].parent;
				if (par && !strcmp(par, r->orgs[org].id))
					hit = x;
			}
			classify_folded_key(&k, c[i].v[j]);
			for (e = classify_keys_find(&r->k_site, k.buf); hit < 0 && e >= 0 && (size_t)e < r->k_site.n &&
			     !strcmp(r->k_site.v[e].key, k.buf); e++) {
				x = (long)r->k_site.v[e].org;
				par = r->orgs[x].parent;
				if (par && !strcmp(par, r->orgs[org].id))
					hit = x;
			}
		}
	sbuf_release(&k);
	return hit >= 0 ? hit : org;
}

void classify_org_clear(classify_org *o)
{
	free(o->id);
	free(o->name);
	free(o->how);
	memset(o, 0, sizeof *o);
}

void classify_org_resolve(const classify_rules *r, const avvik_party *party, classify_org *out)
{
	classify_strv c[2] = { { NULL, 0, 0 }, { NULL, 0, 0 } };
	sbuf k = SBUF_INIT, how = SBUF_INIT;
	long org = -1, i;
	org_type hint = ORG_TYPE_UNKNOWN, t;
	int have_hint = 0, step, dist = 0, domain = 0;
	size_t s, j;

	memset(out, 0, sizeof *out);
	if (party->type_hint && *party->type_hint && !org_type_parse(party->type_hint, &hint))
		have_hint = 1;

	if (party->her_id && *party->her_id) {
		classify_digits_key(&k, party->her_id);
		if ((i = classify_keys_find(&r->k_her, k.buf)) >= 0) {
			org = (long)r->k_her.v[i].org;
			sbuf_adds(&how, "her");
		}
	}
	if (org < 0 && party->org_nr && *party->org_nr) {
		classify_digits_key(&k, party->org_nr);
		if ((i = classify_keys_find(&r->k_orgnr, k.buf)) >= 0) {
			org = (long)r->k_orgnr.v[i].org;
			sbuf_adds(&how, "orgnr");
		}
	}
	/* a bare kommunenummer written as the name ("5501") */
	if (org < 0 && party->name) {
		classify_digits_key(&k, party->name);
		if (k.len == 4 && k.len == strlen(party->name) &&
		    (i = classify_keys_find(&r->k_kommunenr, k.buf)) >= 0) {
			org = (long)r->k_kommunenr.v[i].org;
			sbuf_adds(&how, "kommunenr");
		}
	}
	classify_candidates(party->name, &c[0]);
	classify_candidates(party->unit, &c[1]);
	for (step = STEP_EXACT; org < 0 && step <= STEP_FUZZY; step++)
		for (s = 0; s < 2 && org < 0; s++)
			for (j = 0; j < c[s].n && org < 0; j++)
				if ((org = classify_try(r, c[s].v[j], j >= c[s].n_whole, step, &dist, &domain)) >= 0) {
					if (step == STEP_EXACT)
						sbuf_adds(&how, domain ? "domain" : "alias");
					else if (step == STEP_FOLDED)
						sbuf_adds(&how, "folded");
					else
						sbuf_addf(&how, "fuzzy:%d", dist);
				}
	if (org >= 0) {
		org = classify_refine_site(r, org, c, 2);
		t = r->orgs[org].type;
		out->id = xstrdup(r->orgs[org].id);
		out->name = xstrdup(r->orgs[org].name);
	} else {
		t = have_hint ? hint : ORG_TYPE_UNKNOWN;
		sbuf_adds(&how, have_hint ? "type-hint" : "unresolved");
	}
	/* a GP office is named after a place ("Storgata legekontor, Harstad"):
	 * the place resolves, the pattern says it is a fastlege */
	if ((t == ORG_TYPE_KOMMUNE || t == ORG_TYPE_UNKNOWN) &&
	    ((have_hint && hint == ORG_TYPE_FASTLEGE) || classify_fastlege_match(r, party->name) ||
	     classify_fastlege_match(r, party->unit))) {
		if (org < 0 && !have_hint) {
			sbuf_reset(&how);
			sbuf_adds(&how, "fastlege");
		}
		t = ORG_TYPE_FASTLEGE;
	}
	out->type = t;
	out->how = sbuf_detach(&how, NULL);
	classify_strv_clear(&c[0]);
	classify_strv_clear(&c[1]);
	sbuf_release(&k);
}

size_t classify_org_count(const classify_rules *r)
{
	return r->n_orgs;
}

const char *classify_org_id(const classify_rules *r, size_t i)
{
	return i < r->n_orgs ? r->orgs[i].id : NULL;
}

const char *classify_org_name(const classify_rules *r, size_t i)
{
	return i < r->n_orgs ? (r->orgs[i].name ? r->orgs[i].name : r->orgs[i].id) : NULL;
}
