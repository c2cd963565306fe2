/*
 * quarantine.c - what could not be read, and the raw bytes kept for
 * re-reading: listing, retrying, resolving, and purging by age.
 */
#include "store/store_int.h"

#include <stdlib.h>
#include <string.h>

#define STORE_QUAR_COLUMNS \
	"id, source, origin, line, reason, sha256, size, body IS NOT NULL, created_at, resolved_at, retried_at"

static void store_quar_row_read(sqlite3_stmt *s, store_quarantine_row *q)
{
	memset(q, 0, sizeof *q);
	q->id = sqlite3_column_int64(s, 0);
	q->source = (const char *)sqlite3_column_text(s, 1);
	q->origin = (const char *)sqlite3_column_text(s, 2);
	q->line = (long)sqlite3_column_int64(s, 3);
	q->reason = (const char *)sqlite3_column_text(s, 4);
	q->sha256 = (const char *)sqlite3_column_text(s, 5);
	q->size = sqlite3_column_int64(s, 6);
	q->has_body = sqlite3_column_int(s, 7);
	q->created_at = (const char *)sqlite3_column_text(s, 8);
	q->resolved_at = (const char *)sqlite3_column_text(s, 9);
	q->retried_at = (const char *)sqlite3_column_text(s, 10);
}

int store_quarantine_each(store *st, int all, store_quarantine_fn fn, void *ctx)
{
	static const char open_only[] = "SELECT " STORE_QUAR_COLUMNS " FROM quarantine"
					" WHERE resolved_at IS NULL ORDER BY id";
	static const char every[] = "SELECT " STORE_QUAR_COLUMNS " FROM quarantine ORDER BY id";
	sqlite3_stmt *s = store_stmt(st, all ? every : open_only);
	store_quarantine_row q;
	int step = SQLITE_DONE, rc = 0;

	if (!s)
		return -1;
	while (!rc && (step = sqlite3_step(s)) == SQLITE_ROW) {
		store_quar_row_read(s, &q);
		rc = fn(ctx, &q);
	}
	return store_rows_finish(st, s, step, rc);
}

int store_quarantine_get(store *st, int64_t id, store_quarantine_fn fn, void *ctx)
{
	sqlite3_stmt *s = store_stmt(st, "SELECT " STORE_QUAR_COLUMNS " FROM quarantine WHERE id = ?1");
	store_quarantine_row q;
	int step, rc = 0;

	if (!s)
		return -1;
	sqlite3_bind_int64(s, 1, id);
	if ((step = sqlite3_step(s)) == SQLITE_ROW) {
		store_quar_row_read(s, &q);
		rc = fn(ctx, &q);
		if (!rc)
			rc = 1;
	}
	return store_rows_finish(st, s, step, rc);
}

int store_quarantine_body(store *st, int64_t id, sbuf *out)
{
	sqlite3_stmt *s = store_stmt(st, "SELECT body FROM quarantine WHERE id = ?1 AND body IS NOT NULL");
	int step, rc = 0;

	if (!s)
		return -1;
	sqlite3_bind_int64(s, 1, id);
	sbuf_reset(out);
	if ((step = sqlite3_step(s)) == SQLITE_ROW) {
		const void *b = sqlite3_column_blob(s, 0);
		sbuf_add(out, b ? b : "", (size_t)sqlite3_column_bytes(s, 0));
		rc = 1;
	}
	return store_rows_finish(st, s, step, rc);
}

int store_quarantine_drop(store *st, int64_t id)
{
	sqlite3_stmt *s = store_stmt(st, "DELETE FROM quarantine WHERE id = ?1");

	if (!s)
		return -1;
	sqlite3_bind_int64(s, 1, id);
	return store_step_done(st, s);
}

int store_quarantine_resolve_file(store *st, const char *origin, const char *const *kept, size_t n)
{
	sqlite3_stmt *s = store_stmt(st, "SELECT id, sha256 FROM quarantine"
				     " WHERE origin = ?1 AND resolved_at IS NULL");
	sqlite3_stmt *u;
	int64_t *ids = NULL;
	size_t n_ids = 0, i, j;
	int step, rc = 0;

	if (!s)
		return -1;
	store_bind_text(s, 1, origin);
	while ((step = sqlite3_step(s)) == SQLITE_ROW) {
		const char *sha = (const char *)sqlite3_column_text(s, 1);
		int again = 0;
		for (j = 0; j < n && sha && !again; j++)
			again = !strcmp(kept[j], sha);
		if (!again) {
			ids = xrealloc(ids, (n_ids + 1) * sizeof *ids);
			ids[n_ids++] = sqlite3_column_int64(s, 0);
		}
	}
	if (store_rows_finish(st, s, step, 0) < 0) {
		free(ids);
		return -1;
	}
	u = n_ids ? store_stmt(st, "UPDATE quarantine SET resolved_at ="
			       " strftime('%Y-%m-%dT%H:%M:%SZ','now') WHERE id = ?1") : NULL;
	for (i = 0; i < n_ids && !rc; i++) {
		if (!u) {
			rc = -1;
			break;
		}
		sqlite3_bind_int64(u, 1, ids[i]);
		rc = store_step_done(st, u);
	}
	free(ids);
	return rc < 0 ? -1 : (int)n_ids;
}

int store_quarantine_resolve_sha(store *st, const char *sha256)
{
	sqlite3_stmt *s = store_stmt(st, "UPDATE quarantine SET resolved_at ="
				     " strftime('%Y-%m-%dT%H:%M:%SZ','now') WHERE sha256 = ?1");

	if (!s)
		return -1;
	store_bind_text(s, 1, sha256);
	return store_step_done(st, s);
}

int store_quarantine_retried(store *st, int64_t id)
{
	sqlite3_stmt *s = store_stmt(st, "UPDATE quarantine SET retried_at ="
				     " strftime('%Y-%m-%dT%H:%M:%SZ','now') WHERE id = ?1");

	if (!s)
		return -1;
	sqlite3_bind_int64(s, 1, id);
	return store_step_done(st, s);
}

int store_raw_purge(store *st, const char *before, long *n_raw, long *n_quar)
{
	sqlite3_stmt *r = store_stmt(st, "UPDATE raw_message SET body = NULL"
				     " WHERE received_at < ?1 AND body IS NOT NULL");
	sqlite3_stmt *q = store_stmt(st, "UPDATE quarantine SET body = NULL"
				     " WHERE created_at < ?1 AND body IS NOT NULL");

	*n_raw = *n_quar = 0;
	if (!r || !q)
		return -1;
	store_bind_text(r, 1, before);
	if (store_step_done(st, r))
		return -1;
	*n_raw = sqlite3_changes(st->db);
	store_bind_text(q, 1, before);
	if (store_step_done(st, q))
		return -1;
	*n_quar = sqlite3_changes(st->db);
	return 0;
}

int store_secure_delete(store *st, int on)
{
	return sqlite3_exec(st->db, on ? "PRAGMA secure_delete = ON" : "PRAGMA secure_delete = OFF",
			    NULL, NULL, NULL) == SQLITE_OK ? 0 : -1;
}

int store_checkpoint_truncate(store *st)
{
	int rc = sqlite3_wal_checkpoint_v2(st->db, NULL, SQLITE_CHECKPOINT_TRUNCATE, NULL, NULL);

	return rc == SQLITE_OK ? 0 : -1;
}
