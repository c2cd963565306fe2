/*
 * test_util.h - helpers the unit tests share: where the sources and the
 * fixtures are ($AVVIK_SRC, default "."), an ingest sink that keeps every
 * item it is given, pseudonyms, searching a record's strings, and scratch
 * rules directories.
 *
 * Each tests/unit/test_*.c is built on its own, so everything here is
 * static inline: a test uses what it needs and the rest costs nothing.
 */
#ifndef AVVIK_TEST_UTIL_H
#define AVVIK_TEST_UTIL_H

#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "classify/classify.h"
#include "ingest/ingest.h"

/* ---- where things are ---- */

static inline const char *src_dir(void)
{
	const char *s = getenv("AVVIK_SRC");
	return s && *s ? s : ".";
}

/* "$AVVIK_SRC/fixtures/rel" in a static buffer (one at a time is enough). */
static inline const char *fixture(const char *rel)
{
	static char path[4096];

	snprintf(path, sizeof path, "%s/fixtures/%s", src_dir(), rel);
	return path;
}

/* The shipped rules ($AVVIK_SRC/rules), loaded from disk; fails the test
 * when they do not load.  Caller frees (classify_rules_free). */
static inline classify_rules *rules_shipped(void)
{
	classify_rules *r = NULL;
	sbuf dir = SBUF_INIT, err = SBUF_INIT;

	sbuf_addf(&dir, "%s/rules", src_dir());
	if (classify_rules_load_dir(&r, dir.buf, &err))
		fail_msg("shipped rules: %s", err.buf);
	sbuf_release(&dir);
	sbuf_release(&err);
	return r;
}

#ifdef AVVIK_CLASSIFY_INT_H
/* A rule set from memory: the shipped categories, orgs_text as orgs.yaml
 * and rules_text as one rule file.  0, or -1 with err on a load error.
 * For the tests that include classify's internals. */
static inline int rules_load_mem(const char *rules_text, const char *orgs_text,
				 classify_rules **out, sbuf *err)
{
	sbuf cats = SBUF_INIT, path = SBUF_INIT;
	const char *names[] = { "categories.yaml", "orgs.yaml", "rules/test.yaml" };
	const char *data[3];
	size_t len[3];
	int rc;

	sbuf_addf(&path, "%s/rules/categories.yaml", src_dir());
	assert_int_equal(sbuf_read_file(&cats, path.buf, 0), 0);
	data[0] = cats.buf;
	data[1] = orgs_text;
	data[2] = rules_text;
	len[0] = cats.len;
	len[1] = strlen(orgs_text);
	len[2] = strlen(rules_text);
	rc = classify_rules_load_mem(out, names, data, len, 3, err);
	sbuf_release(&cats);
	sbuf_release(&path);
	return rc;
}
#endif

/* tests/eval/samhandlingsavvik.tsv, the labelled evaluation set: fn gets
 * each row's five fields (category, direction, reporter type, concerned
 * type, text) and its line number.  0, or -1 when the file is missing or
 * a row is short. */
static inline int eval_rows_each(void (*fn)(void *ctx, char *const f[5], int line), void *ctx)
{
	sbuf path = SBUF_INIT, data = SBUF_INIT;
	char *line, *next, *f[5];
	int ln = 0, i, rc = 0;

	sbuf_addf(&path, "%s/tests/eval/samhandlingsavvik.tsv", src_dir());
	if (sbuf_read_file(&data, path.buf, 0))
		rc = -1;
	for (line = data.buf; !rc && line && *line; line = next) {
		next = strchr(line, '\n');
		if (next)
			*next++ = '\0';
		if (++ln == 1 || *line == '#' || !*line)
			continue;   /* the header, comments, blank lines */
		for (i = 0; i < 5 && !rc; i++) {
			f[i] = line;
			line = i < 4 ? strchr(line, '\t') : NULL;
			if (i < 4 && !line)
				rc = -1;
			else if (line)
				*line++ = '\0';
		}
		if (!rc)
			fn(ctx, f, ln);
	}
	sbuf_release(&path);
	sbuf_release(&data);
	return rc;
}

/* ---- an ingest sink that keeps everything it is given ---- */

typedef struct {
	ingest_item_kind kind;
	avvik_record rec;       /* taken from the parser (DEVIATION) */
	char *reason;
	char *parent;           /* parent_sha256, for an item carried by another */
	long line;
	char *raw;
	size_t raw_len;
	char raw_sha256[65];
} got_item;

typedef struct {
	got_item *items;
	size_t n, cap;
	size_t max;             /* non-zero: assert fewer than max items came before */
	int stop_with;          /* returned by the sink when non-zero */
	size_t stop_after;      /* non-zero: the sink returns 5 at that item */
	int strict;             /* non-zero: any other item has a reason, no record */
} collector;

static inline int collect(void *ctx, const ingest_item *it)
{
	collector *c = ctx;
	got_item *g;

	if (c->max)
		assert_true(c->n < c->max);
	if (c->n == c->cap) {
		c->cap = c->cap ? 2 * c->cap : 16;
		c->items = xrealloc(c->items, c->cap * sizeof *c->items);
	}
	g = &c->items[c->n++];
	memset(g, 0, sizeof *g);
	avvik_record_init(&g->rec);
	g->kind = it->kind;
	g->reason = it->reason ? xstrdup(it->reason) : NULL;
	g->parent = it->parent_sha256 ? xstrdup(it->parent_sha256) : NULL;
	g->line = it->line;
	g->raw = it->raw ? xstrndup(it->raw, it->raw_len) : NULL;
	g->raw_len = it->raw_len;
	memcpy(g->raw_sha256, it->raw_sha256, 65);
	if (it->kind == INGEST_ITEM_DEVIATION) {
		assert_non_null(it->record);
		g->rec = *it->record;           /* the sink may take the fields */
		avvik_record_init(it->record);
	} else if (c->strict) {
		assert_null(it->record);
		assert_non_null(it->reason);
	}
	if (c->stop_after && c->n == c->stop_after)
		return 5;
	return c->stop_with;
}

/* Frees the items; the settings (max, stop_with, ...) stay. */
static inline void collector_free(collector *c)
{
	size_t i;

	for (i = 0; i < c->n; i++) {
		avvik_record_clear(&c->items[i].rec);
		free(c->items[i].reason);
		free(c->items[i].parent);
		free(c->items[i].raw);
	}
	free(c->items);
	c->items = NULL;
	c->n = c->cap = 0;
}

/* An ingest context whose sink is collect() into c. */
static inline ingest_ctx collector_ctx(collector *c, const unsigned char *key, size_t key_len,
				       const char *source)
{
	ingest_ctx x;

	memset(&x, 0, sizeof x);
	x.hmac_key = key;
	x.hmac_key_len = key_len;
	x.source = source;
	x.sink = collect;
	x.sink_ctx = c;
	return x;
}

/* ingest_file(x, path, f) must return 0; the failure names name. */
static inline void ingest_file_ok(const ingest_ctx *x, const char *path, ingest_format f,
				  const char *name)
{
	int rc = ingest_file(x, path, f);

	if (rc != 0)
		fail_msg("ingest_file(%s) = %d (%s)", name, rc, strerror(errno));
}

/* The pseudonym of digits under x, as a string the test owns. */
static inline char *pseudo(const ingest_ctx *x, const char *digits)
{
	sbuf b = SBUF_INIT;

	ingest_pseudonym(x, digits, &b);
	return sbuf_detach(&b, NULL);
}

/* ---- searching strings and records ---- */

/* Does needle occur in s (NULL: no)? */
static inline int contains(const char *s, const char *needle)
{
	return s && strstr(s, needle) != NULL;
}

/* Does needle (ASCII) occur in s, in any case? */
static inline int has_ci(const char *s, const char *needle)
{
	size_t n = strlen(needle), i;

	for (; s && *s; s++) {
		for (i = 0; i < n && s[i]; i++) {
			char a = s[i], b = needle[i];
			if (a >= 'A' && a <= 'Z')
				a = (char)(a + 32);
			if (b >= 'A' && b <= 'Z')
				b = (char)(b + 32);
			if (a != b)
				break;
		}
		if (i == n)
			return 1;
	}
	return 0;
}

/* Does match(s, needle) hold for any string of r (and, with attachments
 * non-zero, for any attachment's name or MIME type)? */
static inline int record_matches(const avvik_record *r, int (*match)(const char *, const char *),
				 const char *needle, int attachments)
{
	const char *s[] = {
		r->ext_id, r->source, r->channel, r->origin, r->received_at, r->reported_at,
		r->event_date, r->reporter.name, r->reporter.unit, r->reporter.her_id,
		r->reporter.org_nr, r->reporter.type_hint, r->concerned.name, r->concerned.unit,
		r->concerned.her_id, r->concerned.org_nr, r->concerned.type_hint, r->subject,
		r->text, r->source_category, r->severity, r->patient_key,
	};
	size_t i;

	for (i = 0; i < sizeof s / sizeof s[0]; i++)
		if (match(s[i], needle))
			return 1;
	if (!attachments)
		return 0;
	for (i = 0; i < r->n_attachments; i++)
		if (match(r->attachments[i].name, needle) || match(r->attachments[i].mime_type, needle))
			return 1;
	return 0;
}

/* ---- scratch directories ---- */

/* Writes text to dir/rel; the test fails when it cannot. */
static inline void write_file_in(const char *dir, const char *rel, const char *text)
{
	sbuf path = SBUF_INIT;
	FILE *f;

	sbuf_addf(&path, "%s/%s", dir, rel);
	f = fopen(path.buf, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
	sbuf_release(&path);
}

/* dir/categories.yaml from the shipped rules and an empty dir/rules;
 * returns what system() returned. */
static inline int copy_categories(const char *dir)
{
	sbuf cmd = SBUF_INIT;
	int rc;

	sbuf_addf(&cmd, "cp %s/rules/categories.yaml %s/ && mkdir %s/rules", src_dir(), dir, dir);
	rc = system(cmd.buf);
	sbuf_release(&cmd);
	return rc;
}

/* A rules dir made from tmpl ("/tmp/...-XXXXXX") into dir: the shipped
 * categories, a tiny registry and an empty rules/ for the test's own rule
 * files.  For a cmocka setup: 0 when all went well. */
static inline int rules_dir_setup(char *dir, size_t size, const char *tmpl)
{
	sbuf path = SBUF_INIT;
	FILE *f;
	int rc;

	snprintf(dir, size, "%s", tmpl);
	if (!mkdtemp(dir))
		return -1;
	rc = copy_categories(dir);
	sbuf_addf(&path, "%s/orgs.yaml", dir);
	f = fopen(path.buf, "w");
	sbuf_release(&path);
	if (!f)
		return -1;
	fputs("orgs:\n"
	      "  - { id: tromso, name: Tromsø kommune, type: kommune, aliases: [Tromsø] }\n"
	      "  - { id: unn, name: UNN HF, type: unn, aliases: [UNN] }\n"
	      "fastlege_patterns: ['legekontor\\w*']\n", f);
	fclose(f);
	return rc;
}

/* rm -rf dir; returns what system() returned. */
static inline int rm_rf(const char *dir)
{
	sbuf cmd = SBUF_INIT;
	int rc;

	sbuf_addf(&cmd, "rm -rf '%s'", dir);
	rc = system(cmd.buf);
	sbuf_release(&cmd);
	return rc;
}

#endif
