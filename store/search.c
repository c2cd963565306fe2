/*
 * search.c - the list of deviations the workspace and `avvik list` /
 * `avvik search` show: filters on the effective classification, a reader's
 * scope (organisations), full-text search in the FTS5 index (migration 4)
 * and paging.  The SQL is fixed; every value is a bound parameter, and the
 * search words are turned into FTS5 prefix strings here, so no input is
 * ever read as query syntax.
 */
#include "store/store_int.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* ?1 commit, ?2 ?3 period, ?4 org, ?5 category, ?6 direction, ?7 source,
 * ?8 overridden (-1 any), ?9 scope, ?10 FTS5 query, ?11 limit, ?12 offset */
#define LCAT "coalesce(o.category, c.category)"
#define LDIR "coalesce(o.direction, c.direction)"
/* CROSS JOIN keeps deviation the outer loop: its count_date index gives
 * the period and the order, so a page reads only the rows it shows and a
 * count reads the index and the classifications, not the texts. */
#define LFROM \
	" FROM deviation d CROSS JOIN classification c ON c.deviation_id = d.id AND c.rules_commit = ?1" \
	" LEFT JOIN override o ON o.deviation_id = d.id AND o.superseded_at IS NULL" \
	" WHERE d.count_date >= ?2 AND d.count_date < ?3" \
	" AND (?4 IS NULL OR avvik_org_in(c.reporter_org, ?4) OR avvik_org_in(c.concerned_org, ?4))" \
	" AND (?5 IS NULL OR " LCAT " = ?5) AND (?6 IS NULL OR " LDIR " = ?6)" \
	" AND (?7 IS NULL OR d.source = ?7) AND (?8 < 0 OR (o.id IS NOT NULL) = ?8)" \
	" AND (?9 IS NULL OR avvik_org_in(c.reporter_org, ?9) OR avvik_org_in(c.concerned_org, ?9))"
#define LFTS " AND d.id IN (SELECT rowid FROM deviation_fts WHERE deviation_fts MATCH ?10)"
#define LROWS \
	"SELECT d.id, d.ext_id, d.count_date, d.source, " LCAT ", " LDIR ", c.reporter_org," \
	" d.reporter_name, c.concerned_org, d.concerned_name, d.subject, d.text, o.id IS NOT NULL"
#define LORDER " ORDER BY d.count_date DESC, d.id DESC LIMIT ?11 OFFSET ?12"

static const char sql_rows[] = LROWS LFROM LORDER;
static const char sql_rows_fts[] = LROWS LFROM LFTS LORDER;
/* ?13: how many to count at most (-1: all) */
static const char sql_count[] = "SELECT count(*) FROM (SELECT 1" LFROM " LIMIT ?13)";
static const char sql_count_fts[] = "SELECT count(*) FROM (SELECT 1" LFROM LFTS " LIMIT ?13)";

int store_org_in(const char *org, const char *set)
{
	size_t n;

	if (!org || !set)
		return 0;
	n = strlen(org);
	while (*set) {
		const char *e = strchr(set, ',');
		size_t k = e ? (size_t)(e - set) : strlen(set);

		if (k && k <= n && !memcmp(org, set, k) && (org[k] == '\0' || org[k] == '-'))
			return 1;
		set += k + (e != NULL);
	}
	return 0;
}

static void sql_org_in(sqlite3_context *cx, int argc, sqlite3_value **argv)
{
	(void)argc;
	sqlite3_result_int(cx, store_org_in((const char *)sqlite3_value_text(argv[0]),
					    (const char *)sqlite3_value_text(argv[1])));
}

int store_functions_register(sqlite3 *db)
{
	return sqlite3_create_function(db, "avvik_org_in", 2, SQLITE_UTF8 | SQLITE_DETERMINISTIC,
				       NULL, sql_org_in, NULL, NULL) == SQLITE_OK ? 0 : -1;
}

/* The length of word w without a bokmål inflection ending, so that the
 * prefix search finds the other forms too: "Epikrisen", "epikrise" and
 * "epikriser" all become "epikris".  A stem keeps at least 4 bytes. */
static size_t fts_stem(const char *w, size_t n)
{
	static const char *const endings[] = { "ene", "ane", "ende", "en", "et", "er", "a", "e" };

	for (size_t i = 0; i < sizeof endings / sizeof endings[0]; i++) {
		size_t k = strlen(endings[i]);

		if (n >= k + 4 && !strncasecmp(w + n - k, endings[i], k))
			return n - k;
	}
	return n;
}

/* The user's words as an FTS5 query: each run of letters and digits (any
 * byte >= 0x80 counts as a letter) becomes a quoted prefix string, "w"*,
 * all of which must occur, each without its inflection ending.  Nothing
 * else of the input reaches FTS5. */
static int fts_query(const char *in, sbuf *out)
{
	const unsigned char *p = (const unsigned char *)in;

	while (*p) {
		const unsigned char *w;

		while (*p && !(*p >= 0x80 || (*p >= '0' && *p <= '9') || ((*p | 0x20) >= 'a' && (*p | 0x20) <= 'z')))
			p++;
		for (w = p; *p >= 0x80 || (*p >= '0' && *p <= '9') || ((*p | 0x20) >= 'a' && (*p | 0x20) <= 'z'); p++)
			;
		if (p > w) {
			if (out->len)
				sbuf_addch(out, ' ');
			sbuf_addch(out, '"');
			sbuf_add(out, w, fts_stem((const char *)w, (size_t)(p - w)));
			sbuf_adds(out, "\"*");
		}
	}
	return out->len > 0;
}

void store_list_filter_init(store_list_filter *f)
{
	memset(f, 0, sizeof *f);
	f->overridden = -1;
}

static const char *nz(const char *s) { return s && *s ? s : NULL; }

static void list_bind(sqlite3_stmt *s, const store_list_filter *f, const char *commit, const char *fts)
{
	store_bind_text(s, 1, commit);
	store_bind_text(s, 2, f->p ? f->p->start : "0000-00-00");
	store_bind_text(s, 3, f->p ? f->p->end : "9999-99-99");
	store_bind_text(s, 4, nz(f->org));
	store_bind_text(s, 5, nz(f->category));
	store_bind_text(s, 6, nz(f->direction));
	store_bind_text(s, 7, nz(f->source));
	sqlite3_bind_int(s, 8, f->overridden < 0 ? -1 : f->overridden != 0);
	/* an empty scope is a reader who may see nothing, not everything */
	store_bind_text(s, 9, f->scope);
	if (fts)
		store_bind_text(s, 10, fts);
}

static const char *col(sqlite3_stmt *s, int i)
{
	const unsigned char *t = sqlite3_column_text(s, i);
	return t ? (const char *)t : "";
}

int store_list_query(store *st, const store_list_filter *f, store_list_fn fn, void *ctx,
		     long *total)
{
	sbuf q = SBUF_INIT;
	char *cur = NULL;
	const char *commit = f->commit;
	const char *fts = NULL;
	sqlite3_stmt *s;
	int rc = 0, step = SQLITE_DONE;

	if (total)
		*total = 0;
	if (!commit && !(commit = cur = store_current_commit(st)))
		return 0;   /* nothing classified: nothing to list */
	if (f->search && fts_query(f->search, &q))
		fts = q.buf;
	if (total) {
		if (!(s = store_stmt(st, fts ? sql_count_fts : sql_count))) {
			rc = -1;
			goto out;
		}
		list_bind(s, f, commit, fts);
		sqlite3_bind_int64(s, 13, f->count_max > 0 ? f->count_max + 1 : -1);
		if ((step = sqlite3_step(s)) == SQLITE_ROW) {
			*total = (long)sqlite3_column_int64(s, 0);
			step = SQLITE_DONE;
		}
		if ((rc = store_rows_finish(st, s, step, 0)))
			goto out;
	}
	if (!(s = store_stmt(st, fts ? sql_rows_fts : sql_rows))) {
		rc = -1;
		goto out;
	}
	list_bind(s, f, commit, fts);
	sqlite3_bind_int64(s, 11, f->limit > 0 ? f->limit : -1);
	sqlite3_bind_int64(s, 12, f->offset > 0 ? f->offset : 0);
	while (!rc && (step = sqlite3_step(s)) == SQLITE_ROW) {
		store_list_row r;

		r.id = sqlite3_column_int64(s, 0);
		r.ext_id = col(s, 1);
		r.date = col(s, 2);
		r.source = col(s, 3);
		r.category = col(s, 4);
		r.direction = col(s, 5);
		r.reporter_org = col(s, 6);
		r.reporter_name = col(s, 7);
		r.concerned_org = col(s, 8);
		r.concerned_name = col(s, 9);
		r.subject = col(s, 10);
		r.text = col(s, 11);
		r.overridden = sqlite3_column_int(s, 12);
		rc = fn(ctx, &r);
	}
	rc = store_rows_finish(st, s, step, rc);
out:
	free(cur);
	sbuf_release(&q);
	return rc;
}
