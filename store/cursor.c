/*
 * cursor.c - where a source got to (IMAP mailbox, UIDVALIDITY and last UID;
 * HTTP ETag and since), and which raw message came inside which.  The
 * cursor is written in the caller's transaction, together with the messages
 * it covers, so a run killed at any moment resumes where the data ends.
 */
#include "store/store_int.h"

#include <stdlib.h>

char *store_cursor_get(store *st, const char *source, const char *key)
{
	sqlite3_stmt *s = store_stmt(st, "SELECT value FROM source_cursor WHERE source = ?1 AND key = ?2");
	char *v = NULL;

	if (!s)
		return NULL;
	store_bind_text(s, 1, source);
	store_bind_text(s, 2, key);
	if (sqlite3_step(s) == SQLITE_ROW)
		v = store_column_dup(s, 0);
	sqlite3_reset(s);
	return v;
}

int store_cursor_put(store *st, const char *source, const char *key, const char *value)
{
	sqlite3_stmt *s = store_stmt(st,
		"INSERT INTO source_cursor(source, key, value, updated_at)"
		" VALUES (?1, ?2, ?3, strftime('%Y-%m-%dT%H:%M:%SZ', 'now'))"
		" ON CONFLICT(source, key) DO UPDATE SET value = excluded.value,"
		" updated_at = excluded.updated_at");

	if (!s)
		return -1;
	store_bind_text(s, 1, source);
	store_bind_text(s, 2, key);
	store_bind_text(s, 3, value);
	return store_step_done(st, s);
}

int store_raw_set_parent(store *st, int64_t raw_id, const char *parent_sha256)
{
	sqlite3_stmt *s = store_stmt(st,
		"UPDATE raw_message SET parent_id = (SELECT id FROM raw_message WHERE sha256 = ?2)"
		" WHERE id = ?1 AND parent_id IS NULL");

	if (!s)
		return -1;
	sqlite3_bind_int64(s, 1, raw_id);
	store_bind_text(s, 2, parent_sha256);
	return store_step_done(st, s);
}
