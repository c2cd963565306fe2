/*
 * model.c - the stored statistical models, which model each classify run
 * used, and the review queue (store.h).
 */
#include "store/store_int.h"

#include <stdlib.h>
#include <string.h>

#define STORE_META_MODEL "model_current"

void store_model_clear(store_model *m)
{
	free(m->hash);
	free(m->rules_commit);
	free(m->created_at);
	free(m->body);
	memset(m, 0, sizeof *m);
}

int store_model_put(store *st, const char *hash, const char *rules_commit, long examples, long overrides,
		    const void *body, size_t len)
{
	static const char sql[] =
		"INSERT INTO model(hash, rules_commit, examples, overrides, created_at, body)"
		" VALUES (?1, ?2, ?3, ?4, strftime('%Y-%m-%dT%H:%M:%SZ','now'), ?5)"
		" ON CONFLICT(hash) DO NOTHING";
	sqlite3_stmt *s = store_stmt(st, sql);

	if (!s)
		return -1;
	store_bind_text(s, 1, hash);
	store_bind_text(s, 2, rules_commit);
	sqlite3_bind_int64(s, 3, examples);
	sqlite3_bind_int64(s, 4, overrides);
	sqlite3_bind_blob64(s, 5, body, len, SQLITE_STATIC);
	if (store_step_done(st, s))
		return -1;
	return store_meta_put(st, STORE_META_MODEL, hash);
}

int store_model_get(store *st, const char *hash, store_model *out)
{
	static const char sql[] =
		"SELECT id, hash, rules_commit, examples, overrides, created_at, body FROM model"
		" WHERE substr(hash, 1, length(?1)) = ?1 ORDER BY id LIMIT 2";
	sqlite3_stmt *s;
	char *cur = NULL;
	int step, rc = 0;

	memset(out, 0, sizeof *out);
	if (!hash && !(hash = cur = store_meta_get(st, STORE_META_MODEL)))
		return 0;
	if (strlen(hash) < 6 || !(s = store_stmt(st, sql))) {
		free(cur);
		return strlen(hash) < 6 ? 0 : -1;
	}
	store_bind_text(s, 1, hash);
	if ((step = sqlite3_step(s)) == SQLITE_ROW) {
		const void *b = sqlite3_column_blob(s, 6);
		out->id = sqlite3_column_int64(s, 0);
		out->hash = store_column_dup(s, 1);
		out->rules_commit = store_column_dup(s, 2);
		out->examples = (long)sqlite3_column_int64(s, 3);
		out->overrides = (long)sqlite3_column_int64(s, 4);
		out->created_at = store_column_dup(s, 5);
		out->len = (size_t)sqlite3_column_bytes(s, 6);
		out->body = xmalloc(out->len ? out->len : 1);
		if (out->len)
			memcpy(out->body, b, out->len);
		rc = 1;
		if ((step = sqlite3_step(s)) == SQLITE_ROW) {
			store_model_clear(out);
			rc = -2;
		}
	}
	free(cur);
	return store_rows_finish(st, s, step, rc);
}

int store_class_run_model_put(store *st, const char *hash)
{
	static const char sql[] = "UPDATE classify_run SET model_hash = ?1 WHERE id = (SELECT max(id) FROM classify_run)";
	sqlite3_stmt *s = store_stmt(st, sql);

	if (!s)
		return -1;
	store_bind_text(s, 1, hash);
	return store_step_done(st, s);
}

int store_class_run_model(store *st, const char *commit, char **hash)
{
	static const char sql[] = "SELECT model_hash FROM classify_run WHERE rules_commit = ?1 ORDER BY id DESC LIMIT 1";
	sqlite3_stmt *s = store_stmt(st, sql);
	int step, rc = 0;

	*hash = NULL;
	if (!s)
		return -1;
	store_bind_text(s, 1, commit);
	if ((step = sqlite3_step(s)) == SQLITE_ROW) {
		*hash = store_column_dup(s, 0);
		rc = 1;
	}
	return store_rows_finish(st, s, step, rc);
}

int store_review_each(store *st, const char *commit, int limit, store_review_fn fn, void *ctx)
{
	static const char sql[] =
		"SELECT d.id, c.category, c.decided_by, c.rules_category, c.model_category, c.model_prob,"
		"  c.model_novelty, d.subject, d.text,"
		"  (CASE WHEN c.model_category IS NOT c.rules_category THEN 1.0 ELSE 0.0 END)"
		"  + (1.0 - c.model_prob) + 0.5 * c.model_novelty AS score"
		" FROM classification c JOIN deviation d ON d.id = c.deviation_id"
		" LEFT JOIN override o ON o.deviation_id = d.id AND o.superseded_at IS NULL"
		" WHERE c.rules_commit = ?1 AND c.model_hash IS NOT NULL AND o.id IS NULL"
		" ORDER BY score DESC, d.id LIMIT ?2";
	sqlite3_stmt *s = store_stmt(st, sql);
	int step, rc = 0;

	if (!s)
		return -1;
	store_bind_text(s, 1, commit);
	sqlite3_bind_int(s, 2, limit);
	while (!rc && (step = sqlite3_step(s)) == SQLITE_ROW) {
		store_review_row r;
		r.id = sqlite3_column_int64(s, 0);
		r.category = (const char *)sqlite3_column_text(s, 1);
		r.decided_by = (const char *)sqlite3_column_text(s, 2);
		r.rules_category = (const char *)sqlite3_column_text(s, 3);
		r.model_category = (const char *)sqlite3_column_text(s, 4);
		r.model_prob = sqlite3_column_double(s, 5);
		r.model_novelty = sqlite3_column_double(s, 6);
		r.subject = (const char *)sqlite3_column_text(s, 7);
		r.text = (const char *)sqlite3_column_text(s, 8);
		r.score = sqlite3_column_double(s, 9);
		rc = fn(ctx, &r);
	}
	return store_rows_finish(st, s, step, rc);
}
