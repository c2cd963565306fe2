/*
 * model.c - the statistical classifier beside the rules: labelled
 * examples, features, training with liblinear (L2-regularised logistic
 * regression, solver L2R_LR), a reproducible serialisation named by its
 * SHA-256, prediction with probabilities, and the combination with the
 * rules (classify.h says when which decides).
 *
 * Features are hashed into a fixed space of 2^22 and then numbered by the
 * hashes the training set uses, so liblinear sees a compact problem and a
 * model stores weights only for features it has seen; a feature unseen in
 * training weighs nothing, which is what an L2 model would give it anyway.
 */
#include "classify/classify_int.h"

#include <dirent.h>
#include <errno.h>
#include <linear.h>
#include <math.h>
#include <openssl/evp.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define MODEL_HASH_BITS 22
#define MODEL_HASH_MASK ((1u << MODEL_HASH_BITS) - 1)
#define MODEL_C 16.0             /* liblinear's C: chosen by cross-validation (README) */
static double classify_model_c = MODEL_C;

void classify_model_set_c(double c)
{
	classify_model_c = c > 0 ? c : MODEL_C;
}
#define MODEL_EPS 0.1            /* liblinear's default stopping tolerance for L2R_LR */
#define MODEL_MAX_WORD 40        /* longer "words" (URLs, ids) get no character n-grams */
#define MODEL_MAGIC "avvik-model 1\n"

/* ---------------- labelled examples ---------------- */

typedef struct {
	avvik_record rec;
	char *category;          /* NULL: not for the category model */
	int dir;                 /* a direction, or -1: not for the direction model */
	char *origin;
} classify_labelled;

struct classify_trainset {
	classify_labelled *v;
	size_t n, alloc;
};

classify_trainset *classify_trainset_new(void)
{
	return xcalloc(1, sizeof(classify_trainset));
}

void classify_trainset_free(classify_trainset *t)
{
	size_t i;

	if (!t)
		return;
	for (i = 0; i < t->n; i++) {
		avvik_record_clear(&t->v[i].rec);
		free(t->v[i].category);
		free(t->v[i].origin);
	}
	free(t->v);
	free(t);
}

static classify_labelled *classify_trainset_push(classify_trainset *t)
{
	classify_labelled *l;

	if (t->n == t->alloc) {
		t->alloc = t->alloc ? 2 * t->alloc : 256;
		t->v = xrealloc(t->v, t->alloc * sizeof *t->v);
	}
	l = &t->v[t->n++];
	memset(l, 0, sizeof *l);
	avvik_record_init(&l->rec);
	l->dir = -1;
	return l;
}

void classify_trainset_add(classify_trainset *t, const avvik_record *r, const char *category, const char *dir,
			   int weight, const char *origin)
{
	direction d;
	int k;

	for (k = 0; k < (weight > 0 ? weight : 1); k++) {
		classify_labelled *l = classify_trainset_push(t);
		l->rec.subject = xstrdup(r->subject);
		l->rec.text = xstrdup(r->text);
		l->rec.source_category = xstrdup(r->source_category);
		l->rec.reporter.name = xstrdup(r->reporter.name);
		l->rec.reporter.unit = xstrdup(r->reporter.unit);
		l->rec.reporter.her_id = xstrdup(r->reporter.her_id);
		l->rec.reporter.org_nr = xstrdup(r->reporter.org_nr);
		l->rec.reporter.type_hint = xstrdup(r->reporter.type_hint);
		l->rec.concerned.name = xstrdup(r->concerned.name);
		l->rec.concerned.unit = xstrdup(r->concerned.unit);
		l->rec.concerned.her_id = xstrdup(r->concerned.her_id);
		l->rec.concerned.org_nr = xstrdup(r->concerned.org_nr);
		l->rec.concerned.type_hint = xstrdup(r->concerned.type_hint);
		l->category = xstrdup(category);
		if (dir && !direction_parse(dir, &d))
			l->dir = (int)d;
		l->origin = xstrdup(origin);
	}
}

size_t classify_trainset_count(const classify_trainset *t)
{
	return t->n;
}

const avvik_record *classify_trainset_record(const classify_trainset *t, size_t i)
{
	return &t->v[i].rec;
}

const char *classify_trainset_category(const classify_trainset *t, size_t i)
{
	return t->v[i].category;
}

int classify_trainset_direction(const classify_trainset *t, size_t i)
{
	return t->v[i].dir;
}

const char *classify_trainset_origin(const classify_trainset *t, size_t i)
{
	return t->v[i].origin;
}

classify_trainset *classify_trainset_subset(const classify_trainset *t, int (*keep)(void *ctx, size_t i), void *ctx)
{
	classify_trainset *s = classify_trainset_new();
	size_t i;

	for (i = 0; i < t->n; i++)
		if (keep(ctx, i))
			classify_trainset_add(s, &t->v[i].rec, t->v[i].category,
					      t->v[i].dir >= 0 ? direction_name((direction)t->v[i].dir) : NULL, 1,
					      t->v[i].origin);
	return s;
}

/* The columns a labelled TSV may have. */
enum { COL_CATEGORY, COL_DIRECTION, COL_REPORTER, COL_CONCERNED, COL_RTYPE, COL_CTYPE, COL_SUBJECT, COL_TEXT, COL__N };
static const char *const classify_tsv_cols[COL__N] = {
	"category", "direction", "reporter", "concerned", "reporter_type", "concerned_type", "subject", "text",
};

/* Splits line (modified in place) at tabs into f[]; returns the count. */
static size_t classify_tsv_split(char *line, char **f, size_t max)
{
	size_t n = 0;
	char *p = line, *tab;

	while (n < max) {
		f[n++] = p;
		if (!(tab = strchr(p, '\t')))
			return n;
		*tab = '\0';
		p = tab + 1;
	}
	return n + 1;   /* more than max */
}

int classify_trainset_read(classify_trainset *t, const char *name, const char *data, size_t len, sbuf *err)
{
	sbuf buf = SBUF_INIT;
	char *line, *next, *f[COL__N + 1];
	int col[COL__N], n_cols = 0, lineno = 0, have_header = 0, rc = 0;
	size_t i, k;

	for (i = 0; i < COL__N; i++)
		col[i] = -1;
	sbuf_add(&buf, data, len);
	for (line = buf.buf; line && !rc; line = next) {
		size_t nf;
		classify_labelled *l;
		direction d;

		lineno++;
		if ((next = strchr(line, '\n')))
			*next++ = '\0';
		if (*line && line[strlen(line) - 1] == '\r')
			line[strlen(line) - 1] = '\0';
		if (!*line || *line == '#')
			continue;
		nf = classify_tsv_split(line, f, COL__N);
		if (!have_header) {
			for (i = 0; i < nf && i < COL__N; i++) {
				for (k = 0; k < COL__N && strcmp(f[i], classify_tsv_cols[k]); k++)
					;
				if (k == COL__N || col[k] >= 0) {
					sbuf_addf(err, "%s:%d: column %zu: expected a column name (category, direction, "
						  "reporter, concerned, reporter_type, concerned_type, subject, text) used "
						  "once, found '%s'", name, lineno, i + 1, f[i]);
					rc = -1;
					break;
				}
				col[k] = (int)i;
			}
			if (!rc && (col[COL_CATEGORY] < 0 || col[COL_DIRECTION] < 0 || col[COL_TEXT] < 0)) {
				sbuf_addf(err, "%s:%d: header: expected the columns category, direction and text", name,
					  lineno);
				rc = -1;
			}
			n_cols = (int)nf;
			have_header = 1;
			continue;
		}
		if ((int)nf != n_cols) {
			sbuf_addf(err, "%s:%d: expected %d tab-separated fields as the header names, found %s%zu", name,
				  lineno, n_cols, nf > COL__N ? "more than " : "", nf > COL__N ? (size_t)COL__N : nf);
			rc = -1;
			break;
		}
		if (!*f[col[COL_CATEGORY]] || !*f[col[COL_TEXT]]) {
			sbuf_addf(err, "%s:%d: %s: expected a value, found an empty field", name, lineno,
				  *f[col[COL_CATEGORY]] ? "text" : "category");
			rc = -1;
			break;
		}
		if (direction_parse(f[col[COL_DIRECTION]], &d)) {
			sbuf_addf(err, "%s:%d: direction: expected kommune→unn, fastlege→unn, unn→kommune, unn→fastlege, "
				  "kommune→fastlege, fastlege→kommune, annen or ukjent, found '%s'", name, lineno,
				  f[col[COL_DIRECTION]]);
			rc = -1;
			break;
		}
		l = classify_trainset_push(t);
		l->category = xstrdup(f[col[COL_CATEGORY]]);
		l->dir = (int)d;
		l->rec.text = xstrdup(f[col[COL_TEXT]]);
		/* empty optional fields stay NULL, as they would in a stored record */
#define OPT(c) (col[c] >= 0 && *f[col[c]] ? f[col[c]] : NULL)
		l->rec.subject = xstrdup(OPT(COL_SUBJECT));
		l->rec.reporter.name = xstrdup(OPT(COL_REPORTER));
		l->rec.concerned.name = xstrdup(OPT(COL_CONCERNED));
		l->rec.reporter.type_hint = xstrdup(OPT(COL_RTYPE));
		l->rec.concerned.type_hint = xstrdup(OPT(COL_CTYPE));
#undef OPT
		{
			sbuf o = SBUF_INIT;
			sbuf_addf(&o, "%s:%d", name, lineno);
			l->origin = sbuf_detach(&o, NULL);
		}
	}
	if (!rc && !have_header) {
		sbuf_addf(err, "%s:1: expected a header line naming the columns", name);
		rc = -1;
	}
	sbuf_release(&buf);
	return rc;
}

static int classify_tsv_name(const struct dirent *de)
{
	size_t n = strlen(de->d_name);

	return de->d_name[0] != '.' && n > 4 && !strcmp(de->d_name + n - 4, ".tsv");
}

int classify_trainset_load_dir(classify_trainset *t, const char *dir, sbuf *err)
{
	struct dirent **names = NULL;
	sbuf sub = SBUF_INIT, path = SBUF_INIT, data = SBUF_INIT;
	int n, i, rc = 0;

	sbuf_addf(&sub, "%s/training", dir);
	/* name order, so the examples and hence the model do not depend on
	 * the directory's order */
	if ((n = scandir(sub.buf, &names, classify_tsv_name, alphasort)) < 0) {
		sbuf_addf(err, "%s: expected a directory of labelled *.tsv files: %s", sub.buf, strerror(errno));
		sbuf_release(&sub);
		return -1;
	}
	for (i = 0; i < n; i++) {
		if (!rc) {
			sbuf_reset(&path);
			sbuf_reset(&data);
			sbuf_addf(&path, "%s/%s", sub.buf, names[i]->d_name);
			if (sbuf_read_file(&data, path.buf, 64u << 20)) {
				sbuf_addf(err, "%s: cannot read: %s", path.buf, strerror(errno));
				rc = -1;
			} else {
				rc = classify_trainset_read(t, path.buf, data.buf, data.len, err);
			}
		}
		free(names[i]);
	}
	free(names);
	sbuf_release(&sub);
	sbuf_release(&path);
	sbuf_release(&data);
	return rc;
}

/* ---------------- features ---------------- */

/* The features of one record: hashed indices (sorted, unique after
 * classify_feats_finish), the word unigrams among them, and for explain
 * the text each index came from. */
typedef struct {
	uint32_t *h;
	size_t n, alloc;
	uint32_t *words;
	size_t n_words, alloc_words;
	uint32_t types[3];       /* the organisation-type features */
	size_t n_types;
	char **names;            /* parallel to h while collecting; NULL unless wanted */
	int want_names;
} classify_feats;

static uint32_t classify_fnv(char kind, const char *s, size_t len)
{
	uint32_t h = 2166136261u;
	size_t i;

	h = (h ^ (unsigned char)kind) * 16777619u;
	for (i = 0; i < len; i++)
		h = (h ^ (unsigned char)s[i]) * 16777619u;
	return h & MODEL_HASH_MASK;
}

/* Adds the feature kind+s.  For explain, its name is kind+s, except a
 * character n-gram, named after the word it is part of ("w" + word), so
 * what a word weighs includes its parts. */
static void classify_feat_add_of(classify_feats *f, char kind, const char *s, size_t len, const char *word,
				 size_t word_len)
{
	uint32_t h = classify_fnv(kind, s, len);

	if (f->n == f->alloc) {
		f->alloc = f->alloc ? 2 * f->alloc : 256;
		f->h = xrealloc(f->h, f->alloc * sizeof *f->h);
		if (f->want_names)
			f->names = xrealloc(f->names, f->alloc * sizeof *f->names);
	}
	if (f->want_names) {
		sbuf nm = SBUF_INIT;
		sbuf_addch(&nm, word ? 'w' : kind);
		sbuf_add(&nm, word ? word : s, word ? word_len : len);
		f->names[f->n] = sbuf_detach(&nm, NULL);
	}
	f->h[f->n++] = h;
	if (kind == 't' && f->n_types < 3)
		f->types[f->n_types++] = h;
	if (kind == 'w') {
		if (f->n_words == f->alloc_words) {
			f->alloc_words = f->alloc_words ? 2 * f->alloc_words : 64;
			f->words = xrealloc(f->words, f->alloc_words * sizeof *f->words);
		}
		f->words[f->n_words++] = h;
	}
}

static void classify_feat_add(classify_feats *f, char kind, const char *s, size_t len)
{
	classify_feat_add_of(f, kind, s, len, NULL, 0);
}

static void classify_feats_clear(classify_feats *f)
{
	size_t i;

	for (i = 0; f->names && i < f->n; i++)
		free(f->names[i]);
	free(f->names);
	free(f->h);
	free(f->words);
	memset(f, 0, sizeof *f);
}

/* Sorts v (hashed indices, below 2^22) and drops repeats; the new count.
 * Two passes of an 11-bit radix sort: a record has hundreds of features
 * and qsort's calls cost more than the features' own work. */
static size_t classify_sort_unique(uint32_t *v, size_t n)
{
	uint32_t small[1024], *tmp = n <= 1024 ? small : xmalloc(n * sizeof *tmp);
	size_t count[2048], i, k = 0;
	int pass;

	if (!n)
		return 0;
	for (pass = 0; pass < 2; pass++) {
		uint32_t *from = pass ? tmp : v, *to = pass ? v : tmp;
		int shift = 11 * pass;
		size_t sum = 0;
		memset(count, 0, sizeof count);
		for (i = 0; i < n; i++)
			count[(from[i] >> shift) & 2047]++;
		for (i = 0; i < 2048; i++) {
			size_t c = count[i];
			count[i] = sum;
			sum += c;
		}
		for (i = 0; i < n; i++)
			to[count[(from[i] >> shift) & 2047]++] = from[i];
	}
	if (tmp != small)
		free(tmp);
	for (i = 1; i < n; i++)
		if (v[i] != v[k])
			v[++k] = v[i];
	return k + 1;
}

static int classify_all_digits(const char *s, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (s[i] < '0' || s[i] > '9')
			return 0;
	return 1;
}

/* Words of the folded subject and text (numbers left out: dates, doses
 * and room numbers say nothing about the kind of failure), word pairs,
 * character 3-5-grams of each word with its boundaries marked ("<epi>"
 * shares "<epi" with "<epikrisen>"), and the organisation types. */
static void classify_features(const avvik_record *r, org_type rt, org_type ct, classify_feats *f)
{
	sbuf raw = SBUF_INIT, folded = SBUF_INIT, mark = SBUF_INIT, pair = SBUF_INIT;
	const char *p, *prev = NULL;
	size_t prev_len = 0, n;

	sbuf_adds(&raw, r->subject);
	sbuf_addch(&raw, ' ');
	sbuf_adds(&raw, r->text);
	utf8_fold(&folded, raw.buf);
	for (p = folded.buf; *p;) {
		const char *w = p;
		size_t len;

		while (*p && *p != ' ')
			p++;
		len = (size_t)(p - w);
		while (*p == ' ')
			p++;
		if (!len || classify_all_digits(w, len))
			continue;
		classify_feat_add(f, 'w', w, len);
		if (prev) {
			sbuf_reset(&pair);
			sbuf_add(&pair, prev, prev_len);
			sbuf_addch(&pair, ' ');
			sbuf_add(&pair, w, len);
			classify_feat_add(f, 'b', pair.buf, pair.len);
		}
		prev = w;
		prev_len = len;
		if (len > MODEL_MAX_WORD)
			continue;
		sbuf_reset(&mark);
		sbuf_addch(&mark, '<');
		sbuf_add(&mark, w, len);
		sbuf_addch(&mark, '>');
		for (n = 3; n <= 5; n++) {
			size_t i;
			for (i = 0; i + n <= mark.len; i++)
				classify_feat_add_of(f, 'c', mark.buf + i, n, w, len);
		}
	}
	sbuf_reset(&pair);
	sbuf_addf(&pair, "reporter %s", org_type_name(rt));
	classify_feat_add(f, 't', pair.buf, pair.len);
	sbuf_reset(&pair);
	sbuf_addf(&pair, "concerned %s", org_type_name(ct));
	classify_feat_add(f, 't', pair.buf, pair.len);
	sbuf_reset(&pair);
	sbuf_addf(&pair, "%s>%s", org_type_name(rt), org_type_name(ct));
	classify_feat_add(f, 't', pair.buf, pair.len);
	if (!f->want_names)
		f->n = classify_sort_unique(f->h, f->n);
	f->n_words = classify_sort_unique(f->words, f->n_words);
	sbuf_release(&raw);
	sbuf_release(&folded);
	sbuf_release(&mark);
	sbuf_release(&pair);
}

/* ---------------- the rules' track record ---------------- */

typedef struct {
	const char *id;
	long right, fired;
} classify_record_count;

static int classify_cmp_count(const void *a, const void *b)
{
	return strcmp(((const classify_record_count *)a)->id, ((const classify_record_count *)b)->id);
}

/* "rules N" and one line "id right fired" per rule that decided a
 * labelled example's category, in id order. */
static void classify_track_record(const classify_rules *rules, const classify_trainset *t, sbuf *out)
{
	classify_record_count *v = xcalloc(rules->n_rules ? rules->n_rules : 1, sizeof *v);
	size_t i, k, n = 0;

	for (k = 0; k < rules->n_rules; k++)
		v[k].id = rules->rules[k].id;
	qsort(v, rules->n_rules, sizeof *v, classify_cmp_count);
	for (i = 0; i < t->n; i++) {
		avvik_class c;
		classify_record_count key, *hit;

		if (!t->v[i].category)
			continue;
		avvik_class_init(&c);
		classify_record(rules, &t->v[i].rec, &c);
		key.id = c.decided_by;
		if ((hit = bsearch(&key, v, rules->n_rules, sizeof *v, classify_cmp_count))) {
			hit->fired++;
			hit->right += !strcmp(c.category, t->v[i].category);
		}
		avvik_class_clear(&c);
	}
	for (k = 0; k < rules->n_rules; k++)
		n += v[k].fired > 0;
	sbuf_addf(out, "rules %zu\n", n);
	for (k = 0; k < rules->n_rules; k++)
		if (v[k].fired)
			sbuf_addf(out, "%s %ld %ld\n", v[k].id, v[k].right, v[k].fired);
	free(v);
}

/* ---------------- the model ---------------- */

/* The compact numbering of the features training saw: feat[k] is the
 * hashed index of feature k + 1; an open-addressing table finds a hashed
 * index's number in one or two probes (a classification looks up hundreds). */
typedef struct {
	const uint32_t *feat;
	size_t m;
	uint32_t *keys;          /* hashed index + 1; 0: empty slot */
	int *idx;
	size_t mask;
} classify_featmap;

static void classify_featmap_build(classify_featmap *fm, const uint32_t *feat, size_t m)
{
	size_t size = 16, k;

	while (size < 2 * m)
		size *= 2;
	fm->feat = feat;
	fm->m = m;
	fm->mask = size - 1;
	fm->keys = xcalloc(size, sizeof *fm->keys);
	fm->idx = xcalloc(size, sizeof *fm->idx);
	for (k = 0; k < m; k++) {
		size_t j = (feat[k] * 2654435761u) & fm->mask;
		while (fm->keys[j])
			j = (j + 1) & fm->mask;
		fm->keys[j] = feat[k] + 1;
		fm->idx[j] = (int)k + 1;
	}
}

static void classify_featmap_free(classify_featmap *fm)
{
	free(fm->keys);
	free(fm->idx);
	memset(fm, 0, sizeof *fm);
}

/* One liblinear model over the compact feature numbering, and what its
 * classes mean. */
typedef struct {
	struct model lm;         /* w and label owned here */
	char **codes;            /* class i's category code or direction name */
	int nr_class;            /* 0: no such model (no examples) */
} classify_submodel;

struct classify_model {
	sbuf bytes;              /* the serialisation: what is stored and hashed */
	char hash[65];
	char *commit;
	size_t n_examples;
	uint32_t *feat;          /* the hashed indices training saw, sorted: feature k+1 is feat[k] */
	size_t m;
	classify_featmap map;
	classify_submodel cat, dir;
	/* each rule's track record on the training examples: how often the
	 * category it decided was the labelled one */
	char **rule_ids;         /* sorted */
	long *rule_right, *rule_fired;
	size_t n_rules;
};

double classify_model_rule_trust(const classify_model *m, const char *rule_id)
{
	size_t lo = 0, hi = m->n_rules;

	/* Laplace's rule of succession: a rule never seen deciding is a coin */
	while (rule_id && lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int c = strcmp(m->rule_ids[mid], rule_id);
		if (!c)
			return (double)(m->rule_right[mid] + 1) / (double)(m->rule_fired[mid] + 2);
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return 0.5;
}

static void classify_submodel_free(classify_submodel *s)
{
	int i;

	for (i = 0; i < s->nr_class; i++)
		free(s->codes[i]);
	free(s->codes);
	free(s->lm.w);
	free(s->lm.label);
	memset(s, 0, sizeof *s);
}

void classify_model_free(classify_model *m)
{
	if (!m)
		return;
	sbuf_release(&m->bytes);
	free(m->commit);
	free(m->feat);
	classify_featmap_free(&m->map);
	classify_submodel_free(&m->cat);
	classify_submodel_free(&m->dir);
	while (m->n_rules)
		free(m->rule_ids[--m->n_rules]);
	free(m->rule_ids);
	free(m->rule_right);
	free(m->rule_fired);
	free(m);
}

const void *classify_model_bytes(const classify_model *m, size_t *len)
{
	*len = m->bytes.len;
	return m->bytes.buf;
}

const char *classify_model_hash(const classify_model *m)
{
	return m->hash;
}

const char *classify_model_commit(const classify_model *m)
{
	return m->commit;
}

size_t classify_model_examples(const classify_model *m)
{
	return m->n_examples;
}

size_t classify_model_features(const classify_model *m)
{
	return m->m;
}

/* Feature number (1-based) of hashed index h, 0 when training never saw it. */
static int classify_feat_index(const classify_featmap *fm, uint32_t h)
{
	size_t j = (h * 2654435761u) & fm->mask;

	for (; fm->keys[j]; j = (j + 1) & fm->mask)
		if (fm->keys[j] == h + 1)
			return fm->idx[j];
	return 0;
}

/* The weight of each text feature of f: 1/sqrt(their number), so long and
 * short texts weigh alike (the text's vector has length 1). */
static double classify_text_value(const classify_feats *f)
{
	return f->n > f->n_types ? 1.0 / sqrt((double)(f->n - f->n_types)) : 0.0;
}

static int classify_is_type(const classify_feats *f, uint32_t h)
{
	size_t i;

	for (i = 0; i < f->n_types; i++)
		if (f->types[i] == h)
			return 1;
	return 0;
}

/* Appends the known features among h[0..n) at value v to x from *k. */
static void classify_vector_add(const classify_featmap *fm, const classify_feats *f, const uint32_t *h, size_t n,
				double v, struct feature_node *x, size_t *k)
{
	size_t i;

	for (i = 0; i < n; i++) {
		int idx = classify_feat_index(fm, h[i]);
		if (idx) {
			x[*k].index = idx;
			x[*k].value = classify_is_type(f, h[i]) ? 1.0 : v;
			(*k)++;
		}
	}
}

static int classify_cmp_node(const void *a, const void *b)
{
	return ((const struct feature_node *)a)->index - ((const struct feature_node *)b)->index;
}

/* The liblinear vector of a record's features: the known ones, the text's
 * scaled to length 1 and the organisation types at 1 (three features
 * against hundreds from the text would else be drowned, and the types are
 * what the direction rests on), then the bias term and the end mark.  The
 * category model sees every feature; the direction model only the words
 * and the types (who writes about whom is said in words; the character
 * n-grams would cost training time for nothing).  x has room for f->n + 2. */
static void classify_vector(const classify_featmap *fm, const classify_feats *f, int words_only,
			    struct feature_node *x)
{
	size_t k = 0;

	if (!words_only) {
		classify_vector_add(fm, f, f->h, f->n, classify_text_value(f), x, &k);
	} else {
		classify_vector_add(fm, f, f->words, f->n_words, f->n_words ? 1.0 / sqrt((double)f->n_words) : 0.0,
				    x, &k);
		classify_vector_add(fm, f, f->types, f->n_types, 1.0, x, &k);
		/* liblinear wants ascending indices */
		qsort(x, k, sizeof *x, classify_cmp_node);
	}
	x[k].index = (int)fm->m + 1;   /* bias */
	x[k].value = 1.0;
	x[k + 1].index = -1;
}

static void classify_quiet(const char *s)
{
	(void)s;
}

static void classify_put_u32(sbuf *b, uint32_t v)
{
	unsigned char c[4] = { (unsigned char)v, (unsigned char)(v >> 8), (unsigned char)(v >> 16),
			       (unsigned char)(v >> 24) };
	sbuf_add(b, c, 4);
}

static uint32_t classify_get_u32(const unsigned char *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

/* Weights as IEEE single precision, little-endian: half the size of
 * doubles, and the model in use is always the one read back from these
 * bytes, so what is stored is exactly what predicts. */
static void classify_put_weights(sbuf *b, const struct model *lm, size_t m, int nr_w)
{
	size_t i, n = (m + 1) * (size_t)nr_w;

	for (i = 0; i < n; i++) {
		float fl = (float)lm->w[i];
		uint32_t u;
		memcpy(&u, &fl, 4);
		classify_put_u32(b, u);
	}
}

/* One against the rest: class classes[c] against the others, for the
 * classes a worker takes (c = first, first + step, ...). */
typedef struct {
	const struct problem *prob;
	const struct parameter *param;
	const int *classes;
	int nr_class, first, step;
	double *w;               /* (n + 1) x nr_class, liblinear's layout */
} classify_ovr;

static void *classify_ovr_run(void *arg)
{
	classify_ovr *o = arg;
	struct problem sub = *o->prob;
	size_t j, n = (size_t)o->prob->n;
	int c, i;

	sub.y = xmalloc((size_t)sub.l * sizeof *sub.y);
	for (c = o->first; c < o->nr_class; c += o->step) {
		struct model *lm;
		double sign;
		for (i = 0; i < sub.l; i++)
			sub.y[i] = (int)o->prob->y[i] == o->classes[c] ? 1.0 : -1.0;
		lm = train(&sub, o->param);
		/* liblinear's first class is the label it met first */
		sign = lm->label[0] == 1 ? 1.0 : -1.0;
		for (j = 0; j < n; j++)
			o->w[j * (size_t)o->nr_class + (size_t)c] = sign * lm->w[j];
		free_and_destroy_model(&lm);
	}
	free(sub.y);
	return NULL;
}

/* The weights of nr_class one-against-the-rest problems, trained in up to
 * two threads (the machine's cores, at most 2: the nightly job shares it). */
static double *classify_fit_ovr(const struct problem *prob, const struct parameter *param, const int *classes,
				int nr_class)
{
	classify_ovr o[2];
	pthread_t tid;
	long cores = sysconf(_SC_NPROCESSORS_ONLN);
	int t, n_threads = cores > 1 ? 2 : 1, started = 0;
	double *w = xcalloc((size_t)prob->n * (size_t)nr_class, sizeof *w);

	for (t = 0; t < n_threads; t++) {
		o[t].prob = prob;
		o[t].param = param;
		o[t].classes = classes;
		o[t].nr_class = nr_class;
		o[t].first = t;
		o[t].step = n_threads;
		o[t].w = w;
	}
	if (n_threads == 2 && pthread_create(&tid, NULL, classify_ovr_run, &o[1]) == 0)
		started = 1;
	if (n_threads == 2 && !started) {
		o[0].step = 1;   /* no thread: this one does all */
	}
	classify_ovr_run(&o[0]);
	if (started)
		pthread_join(tid, NULL);
	return w;
}

/* Trains one model on the examples with a label (label[i] >= 0, an index
 * into codes) and writes its header line to hdr and weights to body. */
static int classify_fit(const classify_featmap *fm, classify_feats *fs, int words_only, const int *label, size_t n,
			const char *const *codes, int n_codes, const char *what, sbuf *hdr, sbuf *body, sbuf *err)
{
	struct problem prob;
	struct parameter param;
	struct model *lm;
	struct feature_node *pool, *x;
	const char *bad;
	size_t i, l = 0, total = 0;
	int nr_w, k, nr_class, present[64], classes[64];

	if (n_codes > 64) {
		sbuf_addf(err, "the %s model: expected at most 64 classes, found %d", what, n_codes);
		return -1;
	}
	for (i = 0; i < n; i++)
		if (label[i] >= 0) {
			l++;
			total += fs[i].n + 2;
		}
	memset(&prob, 0, sizeof prob);
	memset(&param, 0, sizeof param);
	if (!l) {
		sbuf_addf(hdr, "%s 0\n", what);
		return 0;
	}
	prob.l = (int)l;
	prob.n = (int)fm->m + 1;
	prob.bias = 1.0;
	prob.y = xcalloc(l, sizeof *prob.y);
	prob.x = xcalloc(l, sizeof *prob.x);
	pool = x = xcalloc(total, sizeof *pool);
	for (i = 0, l = 0; i < n; i++) {
		if (label[i] < 0)
			continue;
		prob.y[l] = label[i];
		prob.x[l] = x;
		classify_vector(fm, &fs[i], words_only, x);
		while (x->index != -1)
			x++;
		x++;
		l++;
	}
	param.solver_type = L2R_LR;
	param.C = classify_model_c;
	param.eps = MODEL_EPS;
	param.p = 0.1;
	if ((bad = check_parameter(&prob, &param))) {
		sbuf_addf(err, "liblinear refuses the %s problem: %s", what, bad);
		free(prob.y);
		free(prob.x);
		free(pool);
		return -1;
	}
	set_print_string_function(classify_quiet);
	for (k = 0; k < n_codes; k++)
		present[k] = 0;
	for (i = 0; i < l; i++)
		present[(int)prob.y[i]] = 1;
	for (k = 0, nr_class = 0; k < n_codes; k++)
		if (present[k])
			classes[nr_class++] = k;
	if (nr_class <= 2) {
		/* one binary problem: liblinear as it is */
		lm = train(&prob, &param);
		nr_w = lm->nr_class == 2 ? 1 : lm->nr_class;
		sbuf_addf(hdr, "%s %d", what, lm->nr_class);
		for (k = 0; k < lm->nr_class; k++) {
			int lab = lm->label[k];
			sbuf_addf(hdr, " %s", lab >= 0 && lab < n_codes ? codes[lab] : "?");
		}
		sbuf_addch(hdr, '\n');
		classify_put_weights(body, lm, fm->m, nr_w);
		free_and_destroy_model(&lm);
	} else {
		/* one against the rest, as liblinear's train() does it, the
		 * classes shared out over threads: each is its own binary
		 * problem, so the weights are the same however many run */
		struct model mm;
		sbuf_addf(hdr, "%s %d", what, nr_class);
		for (k = 0; k < nr_class; k++)
			sbuf_addf(hdr, " %s", codes[classes[k]]);
		sbuf_addch(hdr, '\n');
		memset(&mm, 0, sizeof mm);
		mm.w = classify_fit_ovr(&prob, &param, classes, nr_class);
		classify_put_weights(body, &mm, fm->m, nr_class);
		free(mm.w);
	}
	free(prob.y);
	free(prob.x);
	free(pool);
	return 0;
}

int classify_model_train(classify_model **out, const classify_rules *rules, const classify_trainset *t,
			 const char *commit, sbuf *err)
{
	classify_feats *fs = xcalloc(t->n ? t->n : 1, sizeof *fs);
	int *cat = xcalloc(t->n ? t->n : 1, sizeof *cat), *dir = xcalloc(t->n ? t->n : 1, sizeof *dir);
	const char **cat_codes = xcalloc(rules->n_cats ? rules->n_cats : 1, sizeof *cat_codes);
	const char *dir_codes[DIR__COUNT];
	uint32_t *feat = NULL;
	size_t i, k, m = 0, total = 0, n_cat = 0, n_dir = 0;
	sbuf hdr = SBUF_INIT, body = SBUF_INIT, whole = SBUF_INIT, track = SBUF_INIT;
	classify_featmap fm;
	int rc = -1;

	*out = NULL;
	memset(&fm, 0, sizeof fm);
	for (k = 0; k < rules->n_cats; k++)
		cat_codes[k] = rules->cats[k].code;
	for (k = 0; k < DIR__COUNT; k++)
		dir_codes[k] = direction_name((direction)k);
	for (i = 0; i < t->n; i++) {
		const classify_labelled *l = &t->v[i];
		classify_org rep, con;

		cat[i] = -1;
		if (l->category) {
			for (k = 0; k < rules->n_cats && strcmp(rules->cats[k].code, l->category); k++)
				;
			if (k == rules->n_cats) {
				sbuf_addf(err, "%s: category: expected a category of categories.yaml, found '%s'",
					  l->origin ? l->origin : "example", l->category);
				goto out;
			}
			cat[i] = (int)k;
			n_cat++;
		}
		dir[i] = l->dir;
		if (l->dir >= 0)
			n_dir++;
		memset(&rep, 0, sizeof rep);
		memset(&con, 0, sizeof con);
		classify_org_resolve(rules, &l->rec.reporter, &rep);
		classify_org_resolve(rules, &l->rec.concerned, &con);
		classify_features(&l->rec, rep.type, con.type, &fs[i]);
		classify_org_clear(&rep);
		classify_org_clear(&con);
		total += fs[i].n;
	}
	if (n_cat < 2) {
		sbuf_addf(err, "expected labelled examples to train from, found %zu", n_cat);
		goto out;
	}
	classify_track_record(rules, t, &track);
	/* the compact numbering: every hashed index some example uses */
	feat = xmalloc((total ? total : 1) * sizeof *feat);
	for (i = 0; i < t->n; i++) {
		memcpy(feat + m, fs[i].h, fs[i].n * sizeof *feat);
		m += fs[i].n;
	}
	m = classify_sort_unique(feat, m);
	sbuf_adds(&hdr, MODEL_MAGIC);
	sbuf_addf(&hdr, "commit %s\n", commit ? commit : rules->commit);
	sbuf_addf(&hdr, "examples %zu\n", t->n);
	sbuf_addf(&hdr, "params solver=L2R_LR C=%g eps=%g hash=%d features=w,b,c3-5,t direction=w,t\n", classify_model_c, MODEL_EPS,
		  MODEL_HASH_BITS);
	sbuf_addf(&hdr, "features %zu\n", m);
	sbuf_add(&hdr, track.buf, track.len);
	for (i = 0; i < m; i++)
		classify_put_u32(&body, feat[i]);
	classify_featmap_build(&fm, feat, m);
	if (classify_fit(&fm, fs, 0, cat, t->n, cat_codes, (int)rules->n_cats, "category", &hdr, &body, err) ||
	    classify_fit(&fm, fs, 1, dir, t->n, dir_codes, DIR__COUNT, "direction", &hdr, &body, err))
		goto out;
	sbuf_adds(&hdr, "\n");
	sbuf_add(&whole, hdr.buf, hdr.len);
	sbuf_add(&whole, body.buf, body.len);
	/* what predicts is what was serialised: read it back */
	rc = classify_model_load(out, whole.buf, whole.len, err);
out:
	for (i = 0; i < t->n; i++)
		classify_feats_clear(&fs[i]);
	free(fs);
	free(cat);
	free(dir);
	free(cat_codes);
	free(feat);
	sbuf_release(&hdr);
	sbuf_release(&body);
	sbuf_release(&whole);
	sbuf_release(&track);
	classify_featmap_free(&fm);
	return rc;
}

/* ---------------- reading a serialised model ---------------- */

/* The next header line of [*p, end) into line (without '\n'); -1 at the end. */
static int classify_hdr_line(const char **p, const char *end, sbuf *line)
{
	const char *nl = memchr(*p, '\n', (size_t)(end - *p));

	if (!nl)
		return -1;
	sbuf_reset(line);
	sbuf_add(line, *p, (size_t)(nl - *p));
	*p = nl + 1;
	return 0;
}

/* "what N code code ...": the classes of one submodel. */
static int classify_hdr_classes(const char *line, const char *what, classify_submodel *s, sbuf *err)
{
	size_t wl = strlen(what);
	const char *p;
	char *endp;
	long n;
	int i;

	if (strncmp(line, what, wl) || line[wl] != ' ') {
		sbuf_addf(err, "model header: expected '%s N classes', found '%.40s'", what, line);
		return -1;
	}
	n = strtol(line + wl + 1, &endp, 10);
	if (endp == line + wl + 1 || n < 0 || n > 1000) {
		sbuf_addf(err, "model header: %s: expected a number of classes", what);
		return -1;
	}
	s->nr_class = (int)n;
	s->codes = xcalloc(n ? (size_t)n : 1, sizeof *s->codes);
	for (i = 0, p = endp; i < n; i++) {
		const char *e;
		if (*p != ' ' || !p[1]) {
			sbuf_addf(err, "model header: %s: expected %ld class names", what, n);
			s->nr_class = i;
			return -1;
		}
		p++;
		for (e = p; *e && *e != ' '; e++)
			;
		s->codes[i] = xstrndup(p, (size_t)(e - p));
		p = e;
	}
	return 0;
}

static int classify_read_weights(classify_submodel *s, size_t m, const unsigned char **p,
				 const unsigned char *end, sbuf *err)
{
	int nr_w, k;
	size_t i, n;

	if (!s->nr_class)
		return 0;
	nr_w = s->nr_class == 2 ? 1 : s->nr_class;
	n = (m + 1) * (size_t)nr_w;
	if ((size_t)(end - *p) / 4 < n) {
		sbuf_addf(err, "model: expected %zu weights, the data ends before", n);
		return -1;
	}
	s->lm.w = xmalloc(n * sizeof *s->lm.w);
	for (i = 0; i < n; i++) {
		uint32_t u = classify_get_u32(*p + 4 * i);
		float fl;
		memcpy(&fl, &u, 4);
		s->lm.w[i] = fl;
	}
	*p += 4 * n;
	s->lm.param.solver_type = L2R_LR;
	s->lm.nr_class = s->nr_class;
	s->lm.nr_feature = (int)m;
	s->lm.bias = 1.0;
	s->lm.label = xmalloc((size_t)s->nr_class * sizeof *s->lm.label);
	for (k = 0; k < s->nr_class; k++)
		s->lm.label[k] = k;
	return 0;
}

int classify_model_load(classify_model **out, const void *data, size_t len, sbuf *err)
{
	classify_model *m = xcalloc(1, sizeof *m);
	const char *p = data, *end = p + len;
	const unsigned char *b, *bend = (const unsigned char *)end;
	sbuf line = SBUF_INIT;
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int md_len = 0, i;
	size_t k;
	unsigned long long v;

	*out = NULL;
	if (len < sizeof MODEL_MAGIC - 1 || memcmp(p, MODEL_MAGIC, sizeof MODEL_MAGIC - 1)) {
		sbuf_adds(err, "model: expected an avvik model (\"avvik-model 1\"), found something else");
		goto fail;
	}
	p += sizeof MODEL_MAGIC - 1;
	if (classify_hdr_line(&p, end, &line) || strncmp(line.buf, "commit ", 7)) {
		sbuf_adds(err, "model header: expected 'commit ID'");
		goto fail;
	}
	m->commit = xstrdup(line.buf + 7);
	if (classify_hdr_line(&p, end, &line) || sscanf(line.buf, "examples %llu", &v) != 1) {
		sbuf_adds(err, "model header: expected 'examples N'");
		goto fail;
	}
	m->n_examples = (size_t)v;
	if (classify_hdr_line(&p, end, &line) || strncmp(line.buf, "params ", 7) ||
	    classify_hdr_line(&p, end, &line) || sscanf(line.buf, "features %llu", &v) != 1) {
		sbuf_adds(err, "model header: expected 'params ...' and 'features N'");
		goto fail;
	}
	m->m = (size_t)v;
	if (classify_hdr_line(&p, end, &line) || sscanf(line.buf, "rules %llu", &v) != 1 || v > 100000) {
		sbuf_adds(err, "model header: expected 'rules N'");
		goto fail;
	}
	m->rule_ids = xcalloc(v ? (size_t)v : 1, sizeof *m->rule_ids);
	m->rule_right = xcalloc(v ? (size_t)v : 1, sizeof *m->rule_right);
	m->rule_fired = xcalloc(v ? (size_t)v : 1, sizeof *m->rule_fired);
	for (k = 0; k < (size_t)v; k++) {
		char id[256];
		if (classify_hdr_line(&p, end, &line) || line.len >= sizeof id ||
		    sscanf(line.buf, "%255s %ld %ld", id, &m->rule_right[k], &m->rule_fired[k]) != 3 ||
		    (k && strcmp(m->rule_ids[k - 1], id) >= 0)) {
			sbuf_adds(err, "model header: expected 'rule-id right fired' lines in id order");
			goto fail;
		}
		m->rule_ids[k] = xstrdup(id);
		m->n_rules++;
	}
	if (classify_hdr_line(&p, end, &line) || classify_hdr_classes(line.buf, "category", &m->cat, err) ||
	    classify_hdr_line(&p, end, &line) || classify_hdr_classes(line.buf, "direction", &m->dir, err))
		goto fail;
	if (classify_hdr_line(&p, end, &line) || line.len) {
		sbuf_adds(err, "model header: expected an empty line after the classes");
		goto fail;
	}
	b = (const unsigned char *)p;
	if ((size_t)(bend - b) / 4 < m->m) {
		sbuf_addf(err, "model: expected %zu feature indices, the data ends before", m->m);
		goto fail;
	}
	m->feat = xmalloc((m->m ? m->m : 1) * sizeof *m->feat);
	for (k = 0; k < m->m; k++) {
		m->feat[k] = classify_get_u32(b + 4 * k);
		if (k && m->feat[k] <= m->feat[k - 1]) {
			sbuf_adds(err, "model: expected ascending feature indices");
			goto fail;
		}
	}
	b += 4 * m->m;
	classify_featmap_build(&m->map, m->feat, m->m);
	if (classify_read_weights(&m->cat, m->m, &b, bend, err) || classify_read_weights(&m->dir, m->m, &b, bend, err))
		goto fail;
	if (b != bend) {
		sbuf_adds(err, "model: expected the data to end after the weights");
		goto fail;
	}
	sbuf_add(&m->bytes, data, len);
	if (!EVP_Digest(data, len, md, &md_len, EVP_sha256(), NULL) || md_len != 32) {
		sbuf_adds(err, "model: cannot compute SHA-256");
		goto fail;
	}
	for (i = 0; i < md_len; i++)
		snprintf(m->hash + 2 * i, 3, "%02x", md[i]);
	sbuf_release(&line);
	*out = m;
	return 0;
fail:
	sbuf_release(&line);
	classify_model_free(m);
	return -1;
}

/* ---------------- prediction ---------------- */

/* Probabilities of each class of s for the vector x (prob has nr_class
 * room); the most probable class. */
static int classify_sub_predict(const classify_submodel *s, const struct feature_node *x, double *prob)
{
	return (int)predict_probability(&s->lm, x, prob);
}

void classify_model_predict(const classify_model *m, const avvik_record *r, org_type rtype, org_type ctype,
			    classify_prediction *out)
{
	classify_feats f;
	struct feature_node *x;
	double prob[64], *pv;
	size_t i, seen = 0;
	int best, n_max;

	memset(out, 0, sizeof *out);
	memset(&f, 0, sizeof f);
	classify_features(r, rtype, ctype, &f);
	x = xmalloc((f.n + 2) * sizeof *x);
	n_max = m->cat.nr_class > m->dir.nr_class ? m->cat.nr_class : m->dir.nr_class;
	pv = n_max > 64 ? xmalloc((size_t)n_max * sizeof *pv) : prob;
	if (m->cat.nr_class) {
		classify_vector(&m->map, &f, 0, x);
		best = classify_sub_predict(&m->cat, x, pv);
		out->category = m->cat.codes[best];
		out->prob = pv[best];
	}
	out->dir = DIR_UKJENT;
	if (m->dir.nr_class) {
		classify_vector(&m->map, &f, 1, x);
		best = classify_sub_predict(&m->dir, x, pv);
		direction_parse(m->dir.codes[best], &out->dir);
		out->dir_prob = pv[best];
	}
	for (i = 0; i < f.n_words; i++)
		if (classify_feat_index(&m->map, f.words[i]))
			seen++;
	out->novelty = f.n_words ? 1.0 - (double)seen / (double)f.n_words : 0.0;
	if (pv != prob)
		free(pv);
	free(x);
	classify_feats_clear(&f);
}

/* ---------------- rules and model together ---------------- */

const char *classify_combine_category(const classify_model *m, const avvik_class *c, const classify_prediction *p,
				      double threshold, int *by_model)
{
	int no_rule = c->decided_by ? !strcmp(c->decided_by, "fallback") : !strcmp(c->category, "annet");
	double bar;

	*by_model = 0;
	if (!p->category || (!no_rule && !strcmp(c->category, p->category)))
		return c->category;
	bar = threshold >= 0 ? threshold : classify_model_rule_trust(m, c->decided_by);
	if (no_rule || p->prob > bar) {
		*by_model = 1;
		return p->category;
	}
	return c->category;
}

direction classify_combine_direction(const avvik_class *c, const classify_prediction *p)
{
	return c->dir == DIR_UKJENT && p->dir != DIR_UKJENT && p->dir_prob >= CLASSIFY_MODEL_DIR_SURE ? p->dir : c->dir;
}

void classify_combine(const classify_rules *rules, const classify_model *m, const avvik_record *r,
		      avvik_class *out)
{
	classify_prediction p;
	const char *cat;
	sbuf why = SBUF_INIT;
	int by_model;

	classify_record(rules, r, out);
	if (!m)
		return;
	classify_model_predict(m, r, out->reporter_type, out->concerned_type, &p);
	out->model_hash = xstrdup(m->hash);
	out->rules_category = xstrdup(out->category);
	out->model_category = xstrdup(p.category);
	out->model_prob = p.prob;
	out->model_novelty = p.novelty;
	/* a model trained under other categories: only its known ones count */
	if (p.category && !classify_category_label(rules, p.category))
		p.category = NULL;
	cat = classify_combine_category(m, out, &p, CLASSIFY_MODEL_SURE, &by_model);
	sbuf_adds(&why, out->why);
	if (by_model) {
		if (!strcmp(out->decided_by, "fallback"))
			sbuf_addf(&why, "; the model (%.12s) chose %s (p = %.2f)", m->hash, cat,
				  p.prob);
		else
			sbuf_addf(&why, "; the model (%.12s) is sure of %s (p = %.2f >= %.2f) against the rule's %s",
				  m->hash, cat, p.prob, CLASSIFY_MODEL_SURE, out->category);
		free(out->category);
		out->category = xstrdup(cat);
		free(out->decided_by);
		out->decided_by = xstrdup("model");
	} else if (p.category && strcmp(p.category, out->category)) {
		sbuf_addf(&why, "; the model (%.12s) would say %s (p = %.2f), below %.2f: the rule stands", m->hash,
			  p.category, p.prob, CLASSIFY_MODEL_SURE);
	}
	if (classify_combine_direction(out, &p) != out->dir) {
		out->dir = p.dir;
		sbuf_addf(&why, "; direction %s from the model (p = %.2f): the metadata and the rules leave it open",
			  direction_name(p.dir), p.dir_prob);
	}
	free(out->why);
	out->why = sbuf_detach(&why, NULL);
}

/* ---------------- explain ---------------- */

typedef struct {
	const char *name;
	double w;
} classify_weighed;

static int classify_cmp_weighed(const void *a, const void *b)
{
	const classify_weighed *x = a, *y = b;

	if (x->w != y->w)
		return x->w < y->w ? 1 : -1;
	return strcmp(x->name, y->name);
}

/* The weight of feature idx (1-based) for class k of s. */
static double classify_weight(const classify_submodel *s, int idx, int k)
{
	if (s->nr_class == 2)
		return k == 0 ? s->lm.w[idx - 1] : -s->lm.w[idx - 1];
	return s->lm.w[(size_t)(idx - 1) * (size_t)s->nr_class + (size_t)k];
}

static void classify_feature_show(FILE *out, const char *name)
{
	switch (name[0]) {
	case 'w': fprintf(out, "word \"%s\"", name + 1); break;
	case 'b': fprintf(out, "words \"%s\"", name + 1); break;
	default: fprintf(out, "organisations: %s", name + 1); break;
	}
}

void classify_model_explain(const classify_model *m, const classify_rules *rules, const avvik_record *r, FILE *out)
{
	avvik_class c;
	classify_prediction p;
	classify_feats f;
	classify_weighed *ws;
	double v;
	size_t i, n = 0, shown;
	int k, best = -1;

	avvik_class_init(&c);
	classify_combine(rules, m, r, &c);
	memset(&p, 0, sizeof p);
	classify_model_predict(m, r, c.reporter_type, c.concerned_type, &p);
	fprintf(out, "\nModel %.12s (trained from rules %.12s, %zu examples, %zu features):\n", m->hash, m->commit,
		m->n_examples, m->m);
	fprintf(out, "  category %s, probability %.2f; direction %s, probability %.2f\n",
		p.category ? p.category : "(none)", p.prob, direction_name(p.dir), p.dir_prob);
	fprintf(out, "  %.0f %% of the words were never seen in training\n", 100 * p.novelty);
	for (k = 0; k < m->cat.nr_class; k++)
		if (p.category && !strcmp(m->cat.codes[k], p.category))
			best = k;
	memset(&f, 0, sizeof f);
	f.want_names = 1;
	classify_features(r, c.reporter_type, c.concerned_type, &f);
	ws = xcalloc(f.n ? f.n : 1, sizeof *ws);
	/* the same feature may come twice (a word repeated): weigh it once */
	{
		uint32_t *u = xmalloc((f.n ? f.n : 1) * sizeof *u);
		size_t nu;
		memcpy(u, f.h, f.n * sizeof *u);
		nu = classify_sort_unique(u, f.n);
		v = nu > f.n_types ? 1.0 / sqrt((double)(nu - f.n_types)) : 0;
		free(u);
	}
	/* each distinct feature once (a repeated word gives the same ones),
	 * summed by its name: a word with its parts, a pair, a type */
	for (i = 0; best >= 0 && i < f.n; i++) {
		int idx = classify_feat_index(&m->map, f.h[i]);
		double w;
		size_t j;
		if (!idx)
			continue;
		for (j = 0; j < i && f.h[j] != f.h[i]; j++)
			;
		if (j < i)
			continue;
		w = classify_weight(&m->cat, idx, best) * (classify_is_type(&f, f.h[i]) ? 1.0 : v);
		for (j = 0; j < n && strcmp(ws[j].name, f.names[i]); j++)
			;
		if (j == n) {
			ws[n].name = f.names[i];
			ws[n].w = 0;
			n++;
		}
		ws[j].w += w;
	}
	if (n)
		qsort(ws, n, sizeof *ws, classify_cmp_weighed);
	fprintf(out, "  the words that weigh most for %s (a word with the parts of it the model knows):\n",
		p.category ? p.category : "(none)");
	for (i = 0, shown = 0; i < n && shown < 10 && ws[i].w > 0; i++, shown++) {
		fprintf(out, "    %+.3f  ", ws[i].w);
		classify_feature_show(out, ws[i].name);
		fputc('\n', out);
	}
	if (!shown)
		fprintf(out, "    (nothing in the text: the choice rests on the bias)\n");
	fprintf(out, "  decided by: %s (category %s)\n  %s\n", c.decided_by, c.category, c.why);
	free(ws);
	classify_feats_clear(&f);
	avvik_class_clear(&c);
}

/* ---------------- cross-validation ---------------- */

typedef struct {
	int k, fold, held;   /* held: keep the fold (1) or the rest (0) */
} classify_fold;

static int classify_fold_keep(void *ctx, size_t i)
{
	const classify_fold *f = ctx;

	return ((int)(i % (size_t)f->k) == f->fold) == f->held;
}

int classify_model_cv(const classify_rules *rules, const classify_trainset *t, int k, classify_cv_fn fn, void *ctx,
		      sbuf *err)
{
	classify_fold f;
	size_t i;

	if (k < 2 || (size_t)k > t->n) {
		sbuf_addf(err, "cross-validation: expected 2 to %zu folds, found %d", t->n, k);
		return -1;
	}
	f.k = k;
	for (f.fold = 0; f.fold < k; f.fold++) {
		classify_trainset *train;
		classify_model *m = NULL;

		f.held = 0;
		train = classify_trainset_subset(t, classify_fold_keep, &f);
		if (classify_model_train(&m, rules, train, NULL, err)) {
			classify_trainset_free(train);
			return -1;
		}
		classify_trainset_free(train);
		for (i = (size_t)f.fold; i < t->n; i += (size_t)k) {
			avvik_class c;
			classify_prediction p;

			avvik_class_init(&c);
			classify_record(rules, &t->v[i].rec, &c);
			classify_model_predict(m, &t->v[i].rec, c.reporter_type, c.concerned_type, &p);
			fn(ctx, m, i, &c, &p);
			avvik_class_clear(&c);
		}
		classify_model_free(m);
	}
	return 0;
}
