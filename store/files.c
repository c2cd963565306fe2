/*
 * files.c - what file sources remember: each file read whole (its
 * identity, its hash, whether it can be left unread with its directory)
 * and each directory listed (its identity when it was listed), so that a
 * nightly run with nothing new neither lists nor stats what it has seen.
 */
#include "store/store_int.h"

#include <assert.h>
#include <stdlib.h>
#include <string.h>

#define STORE_FILE_COLUMNS "path, size, mtime, mtime_ns, inode, sha256, kind, settled, format"

static const char *store_file_kind_name(store_file_kind kind)
{
	return kind == STORE_FILE_MESSAGE ? "message" : kind == STORE_FILE_DOCUMENT ? "document" : NULL;
}

static void store_file_row_read(sqlite3_stmt *s, store_file_row *row)
{
	const char *sha = (const char *)sqlite3_column_text(s, 5);
	const char *kind = (const char *)sqlite3_column_text(s, 6);

	memset(row, 0, sizeof *row);
	row->path = (const char *)sqlite3_column_text(s, 0);
	row->size = sqlite3_column_int64(s, 1);
	row->mtime_s = sqlite3_column_int64(s, 2);
	row->mtime_ns = sqlite3_column_int64(s, 3);   /* 0 for rows of schema 2 */
	row->inode = sqlite3_column_int64(s, 4);
	if (sha && strlen(sha) == 64)
		memcpy(row->sha256, sha, 65);
	row->kind = !kind ? STORE_FILE_UNKNOWN
		    : !strcmp(kind, "message") ? STORE_FILE_MESSAGE : STORE_FILE_DOCUMENT;
	row->settled = sqlite3_column_int(s, 7);
	if (sqlite3_column_text(s, 8))
		snprintf(row->format, sizeof row->format, "%s", (const char *)sqlite3_column_text(s, 8));
}

int store_file_get(store *st, const char *path, store_file_fn fn, void *ctx)
{
	sqlite3_stmt *s = store_stmt(st, "SELECT " STORE_FILE_COLUMNS " FROM source_file WHERE path = ?1");
	store_file_row row;
	int step, rc = 0;

	if (!s)
		return -1;
	store_bind_text(s, 1, path);
	if ((step = sqlite3_step(s)) == SQLITE_ROW) {
		store_file_row_read(s, &row);
		rc = fn(ctx, &row);
	}
	return store_rows_finish(st, s, step, rc);
}

int store_files_in_dir(store *st, const char *dir, int unsettled_only, store_file_fn fn, void *ctx)
{
	static const char all[] = "SELECT " STORE_FILE_COLUMNS " FROM source_file"
				  " WHERE dir = ?1 ORDER BY path";
	static const char unsettled[] = "SELECT " STORE_FILE_COLUMNS " FROM source_file"
					" WHERE dir = ?1 AND settled <> 1 ORDER BY path";
	sqlite3_stmt *s = store_stmt(st, unsettled_only ? unsettled : all);
	store_file_row row;
	int step = SQLITE_DONE, rc = 0;

	if (!s)
		return -1;
	store_bind_text(s, 1, dir);
	while (!rc && (step = sqlite3_step(s)) == SQLITE_ROW) {
		store_file_row_read(s, &row);
		rc = fn(ctx, &row);
	}
	return store_rows_finish(st, s, step, rc);
}

int store_file_mark(store *st, const char *dir, const store_file_row *row)
{
	sqlite3_stmt *s = store_stmt(st,
		"INSERT INTO source_file(path, size, mtime, inode, sha256, seen_at, dir, mtime_ns, kind, settled,"
		" format) VALUES (?1, ?2, ?3, ?4, ?5, strftime('%Y-%m-%dT%H:%M:%SZ','now'), ?6, ?7, ?8, ?9, ?10)"
		" ON CONFLICT(path) DO UPDATE SET size = excluded.size, mtime = excluded.mtime,"
		" inode = excluded.inode, sha256 = excluded.sha256, seen_at = excluded.seen_at,"
		" dir = excluded.dir, mtime_ns = excluded.mtime_ns, kind = excluded.kind,"
		" settled = excluded.settled, format = excluded.format");

	assert(row->path && dir);
	if (!s)
		return -1;
	store_bind_text(s, 1, row->path);
	sqlite3_bind_int64(s, 2, row->size);
	sqlite3_bind_int64(s, 3, row->mtime_s);
	sqlite3_bind_int64(s, 4, row->inode);
	store_bind_text(s, 5, row->sha256[0] ? row->sha256 : NULL);
	store_bind_text(s, 6, dir);
	sqlite3_bind_int64(s, 7, row->mtime_ns);
	store_bind_text(s, 8, store_file_kind_name(row->kind));
	sqlite3_bind_int(s, 9, row->settled);
	store_bind_text(s, 10, row->format[0] ? row->format : NULL);
	return store_step_done(st, s);
}

int store_file_set_kind(store *st, const char *path, store_file_kind kind, int settled)
{
	sqlite3_stmt *s = store_stmt(st, "UPDATE source_file SET kind = ?2, settled = ?3 WHERE path = ?1");

	if (!s)
		return -1;
	store_bind_text(s, 1, path);
	store_bind_text(s, 2, store_file_kind_name(kind));
	sqlite3_bind_int(s, 3, settled != 0);
	return store_step_done(st, s);
}

int store_dir_get(store *st, const char *path, store_dir_row *out)
{
	sqlite3_stmt *s = store_stmt(st, "SELECT dev, inode, mtime_ns, ctime_ns FROM source_dir WHERE path = ?1");
	int step, found = 0;

	memset(out, 0, sizeof *out);
	if (!s)
		return -1;
	store_bind_text(s, 1, path);
	if ((step = sqlite3_step(s)) == SQLITE_ROW) {
		out->path = path;
		out->dev = sqlite3_column_int64(s, 0);
		out->inode = sqlite3_column_int64(s, 1);
		out->mtime_ns = sqlite3_column_int64(s, 2);
		out->ctime_ns = sqlite3_column_int64(s, 3);
		found = 1;
	}
	return store_rows_finish(st, s, step, 0) < 0 ? -1 : found;
}

int store_dir_mark(store *st, const char *parent, const store_dir_row *row)
{
	sqlite3_stmt *s = store_stmt(st,
		"INSERT INTO source_dir(path, parent, dev, inode, mtime_ns, ctime_ns, checked_at)"
		" VALUES (?1, ?2, ?3, ?4, ?5, ?6, strftime('%Y-%m-%dT%H:%M:%SZ','now'))"
		" ON CONFLICT(path) DO UPDATE SET parent = excluded.parent, dev = excluded.dev,"
		" inode = excluded.inode, mtime_ns = excluded.mtime_ns, ctime_ns = excluded.ctime_ns,"
		" checked_at = excluded.checked_at");

	if (!s)
		return -1;
	store_bind_text(s, 1, row->path);
	store_bind_text(s, 2, parent);
	sqlite3_bind_int64(s, 3, row->dev);
	sqlite3_bind_int64(s, 4, row->inode);
	sqlite3_bind_int64(s, 5, row->mtime_ns);
	sqlite3_bind_int64(s, 6, row->ctime_ns);
	return store_step_done(st, s);
}

int store_path_forget(store *st, const char *path)
{
	/* the path, and all under it: paths from "P/" up to, not including,
	 * "P0" ('0' follows '/'), which LIKE's wildcards could not say */
	sqlite3_stmt *d = store_stmt(st, "DELETE FROM source_dir WHERE path = ?1"
				     " OR (path >= ?1 || '/' AND path < ?1 || '0')");
	sqlite3_stmt *f = store_stmt(st, "DELETE FROM source_file WHERE path = ?1"
				     " OR (path >= ?1 || '/' AND path < ?1 || '0')");

	if (!d || !f)
		return -1;
	store_bind_text(d, 1, path);
	store_bind_text(f, 1, path);
	return store_step_done(st, d) || store_step_done(st, f) ? -1 : 0;
}

int store_dirs_in(store *st, const char *parent, int (*fn)(void *ctx, const char *path), void *ctx)
{
	sqlite3_stmt *s = store_stmt(st, "SELECT path FROM source_dir WHERE parent = ?1 ORDER BY path");
	int step = SQLITE_DONE, rc = 0;

	if (!s)
		return -1;
	store_bind_text(s, 1, parent);
	while (!rc && (step = sqlite3_step(s)) == SQLITE_ROW)
		rc = fn(ctx, (const char *)sqlite3_column_text(s, 0));
	return store_rows_finish(st, s, step, rc);
}

long store_files_count(store *st, const char *dir, int settled)
{
	sqlite3_stmt *s = store_stmt(st, "SELECT count(*) FROM source_file WHERE dir = ?1 AND settled = ?2");
	long n = -1;

	if (!s)
		return -1;
	store_bind_text(s, 1, dir);
	sqlite3_bind_int(s, 2, settled);
	if (sqlite3_step(s) == SQLITE_ROW)
		n = (long)sqlite3_column_int64(s, 0);
	sqlite3_reset(s);
	return n;
}
