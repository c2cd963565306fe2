/*
 * query.c - the report queries beyond store_count: filtered counts by
 * month, quarter, category, direction and organisation pair, the data range
 * and example texts.  The classification read is the effective one: a
 * manual override wins over the rules, as in store_count.
 */
#include "store/store_int.h"

#include <stdlib.h>
#include <string.h>

/* ?1 commit, ?2 ?3 period, ?4 excluded categories, ?5 category list,
 * ?6 direction, ?7 org id, ?8 LIKE pattern on the names as written. */
#define QCAT "coalesce(o.category, c.category)"
#define QDIR "coalesce(o.direction, c.direction)"
#define QQUARTER "substr(d.count_date, 1, 4) || '-Q' || ((CAST(substr(d.count_date, 6, 2) AS INTEGER) + 2) / 3)"
#define QMONTH "substr(d.count_date, 1, 7)"
#define QPARTY(side) "coalesce(c." side "_org, '?' || coalesce(d." side "_name, ''))"
#define QFROM \
	" FROM deviation d JOIN classification c ON c.deviation_id = d.id AND c.rules_commit = ?1" \
	" LEFT JOIN override o ON o.deviation_id = d.id AND o.superseded_at IS NULL" \
	" WHERE d.count_date >= ?2 AND d.count_date < ?3" \
	" AND instr(',' || ?4 || ',', ',' || " QCAT " || ',') = 0" \
	" AND (?5 IS NULL OR instr(',' || ?5 || ',', ',' || " QCAT " || ',') > 0)" \
	" AND (?6 IS NULL OR " QDIR " = ?6)" \
	" AND ((?7 IS NULL AND ?8 IS NULL)" \
	"   OR c.reporter_org = ?7 OR c.concerned_org = ?7" \
	"   OR c.reporter_org LIKE ?7 || '-%' ESCAPE '\\' OR c.concerned_org LIKE ?7 || '-%' ESCAPE '\\'" \
	"   OR d.reporter_name LIKE ?8 ESCAPE '\\' OR d.concerned_name LIKE ?8 ESCAPE '\\')"
#define QCOUNT(key) "SELECT " key ", count(*)" QFROM " GROUP BY 1 ORDER BY 1"

/* The statement cache is keyed by the SQL's address: one constant each. */
static const char *const count_sql[STORE_Q__COUNT] = {
	[STORE_Q_NONE] = "SELECT '', count(*)" QFROM,
	[STORE_Q_MONTH] = QCOUNT(QMONTH),
	[STORE_Q_QUARTER] = QCOUNT(QQUARTER),
	[STORE_Q_CATEGORY] = QCOUNT(QCAT),
	[STORE_Q_DIRECTION] = QCOUNT(QDIR),
	[STORE_Q_REPORTER_TYPE] = QCOUNT("coalesce(c.reporter_type, 'ukjent')"),
	[STORE_Q_QUARTER_CATEGORY] = QCOUNT(QQUARTER " || char(9) || " QCAT),
	[STORE_Q_QUARTER_PAIR] = QCOUNT(QQUARTER " || char(9) || " QPARTY("reporter")
					" || char(9) || " QPARTY("concerned")),
	[STORE_Q_MONTH_CATEGORY] = QCOUNT(QMONTH " || char(9) || " QCAT),
	[STORE_Q_SOURCE_MONTH] = QCOUNT("coalesce(d.source, '') || char(9) || " QMONTH),
};

static const char sql_range[] = "SELECT min(d.count_date), max(d.count_date)" QFROM;

static const char sql_examples[] =
	"SELECT d.id, d.ext_id, d.count_date, d.subject, d.text" QFROM
	" AND " QCAT " = ?9 AND coalesce(d.text, '') <> ''"
	" ORDER BY d.count_date DESC, d.id DESC LIMIT ?10";

/* Binds ?1..?8.  The LIKE pattern is built here, with % and _ escaped, so
 * a name is matched as written. */
static void query_bind(sqlite3_stmt *s, const char *commit, const period *p, const char *exclude,
		       const store_filter *f)
{
	store_bind_text(s, 1, commit);
	store_bind_text(s, 2, p ? p->start : "0000-00-00");
	store_bind_text(s, 3, p ? p->end : "9999-99-99");
	store_bind_text(s, 4, exclude ? exclude : "");
	store_bind_text(s, 5, f && f->categories ? f->categories : NULL);
	store_bind_text(s, 6, f && f->direction ? f->direction : NULL);
	store_bind_text(s, 7, f && f->org && *f->org ? f->org : NULL);
	if (f && f->org_name && *f->org_name) {
		sbuf pat = SBUF_INIT;
		const char *c;

		sbuf_addch(&pat, '%');
		for (c = f->org_name; *c; c++) {
			if (*c == '%' || *c == '_' || *c == '\\')
				sbuf_addch(&pat, '\\');
			sbuf_addch(&pat, *c);
		}
		sbuf_addch(&pat, '%');
		store_bind_text(s, 8, pat.buf);
		sbuf_release(&pat);
	} else {
		store_bind_text(s, 8, NULL);
	}
}

int store_query_count(store *st, const char *commit, const period *p, const char *exclude,
		      const store_filter *f, store_qgroup g, store_count_fn fn, void *ctx)
{
	sqlite3_stmt *s;
	int rc = 0, step = SQLITE_DONE;

	if ((unsigned)g >= STORE_Q__COUNT || !(s = store_stmt(st, count_sql[g])))
		return -1;
	query_bind(s, commit, p, exclude, f);
	while (!rc && (step = sqlite3_step(s)) == SQLITE_ROW) {
		const unsigned char *k = sqlite3_column_text(s, 0);
		long n = (long)sqlite3_column_int64(s, 1);

		/* an aggregate without GROUP BY returns one row even for no data */
		if (g == STORE_Q_NONE && n == 0)
			continue;
		rc = fn(ctx, k ? (const char *)k : "", n);
	}
	return store_rows_finish(st, s, step, rc);
}

int store_query_range(store *st, const char *commit, const char *exclude,
		      const store_filter *f, char first[11], char last[11])
{
	sqlite3_stmt *s = store_stmt(st, sql_range);
	int rc = -1, step;

	if (!s)
		return -1;
	first[0] = last[0] = '\0';
	query_bind(s, commit, NULL, exclude, f);
	if ((step = sqlite3_step(s)) == SQLITE_ROW) {
		const unsigned char *a = sqlite3_column_text(s, 0), *b = sqlite3_column_text(s, 1);

		rc = 1;
		if (a && b && strlen((const char *)a) >= 10 && strlen((const char *)b) >= 10) {
			memcpy(first, a, 10);
			memcpy(last, b, 10);
			first[10] = last[10] = '\0';
			rc = 0;
		}
		step = SQLITE_DONE;
	}
	if (store_rows_finish(st, s, step, 0))
		return -1;
	return rc;
}

int store_query_examples(store *st, const char *commit, const period *p, const char *exclude,
			 const store_filter *f, const char *category, int limit,
			 store_example_fn fn, void *ctx)
{
	sqlite3_stmt *s = store_stmt(st, sql_examples);
	int rc = 0, step = SQLITE_DONE;

	if (!s)
		return -1;
	query_bind(s, commit, p, exclude, f);
	store_bind_text(s, 9, category);
	sqlite3_bind_int(s, 10, limit);
	while (!rc && (step = sqlite3_step(s)) == SQLITE_ROW) {
		const unsigned char *ext = sqlite3_column_text(s, 1), *date = sqlite3_column_text(s, 2);
		const unsigned char *subj = sqlite3_column_text(s, 3), *text = sqlite3_column_text(s, 4);

		rc = fn(ctx, sqlite3_column_int64(s, 0), ext ? (const char *)ext : "",
			date ? (const char *)date : "", subj ? (const char *)subj : "",
			text ? (const char *)text : "");
	}
	return store_rows_finish(st, s, step, rc);
}
