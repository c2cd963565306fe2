/*
 * user.c - the workspace's accounts, sessions and audit trail.  The store
 * keeps what it is given: password hashes and token hashes are made by
 * serve/ (libsodium); no password or session token is ever stored.
 */
#include "store/store_int.h"

#include <stdlib.h>
#include <string.h>

#define NOW "strftime('%Y-%m-%dT%H:%M:%SZ','now')"
#define USER_COLUMNS "u.id, u.name, u.pwhash, u.role, u.orgs, u.disabled, u.failed, u.locked_until," \
	" coalesce(u.locked_until > " NOW ", 0)"

static const char sql_add[] =
	"INSERT INTO app_user(name, pwhash, role, orgs, created_at) VALUES (?1, ?2, ?3, ?4, " NOW ")"
	" ON CONFLICT(name) DO NOTHING";
static const char sql_get[] = "SELECT " USER_COLUMNS " FROM app_user u WHERE u.name = ?1";
static const char sql_each[] = "SELECT " USER_COLUMNS " FROM app_user u ORDER BY u.name";
static const char sql_disable[] = "UPDATE app_user SET disabled = ?2 WHERE name = ?1";
/* a new password also lifts a lock-out */
static const char sql_pwhash[] =
	"UPDATE app_user SET pwhash = ?2, failed = 0, locked_until = NULL WHERE name = ?1";
static const char sql_failed[] =
	"UPDATE app_user SET failed = failed + 1, locked_until = CASE WHEN failed + 1 >= ?2"
	" THEN strftime('%Y-%m-%dT%H:%M:%SZ', 'now', ?3 || ' seconds') ELSE locked_until END"
	" WHERE id = ?1";
static const char sql_ok[] = "UPDATE app_user SET failed = 0, locked_until = NULL WHERE id = ?1";
static const char sql_sess_put[] =
	"INSERT INTO app_session(token_hash, user_id, csrf, created_at, expires_at)"
	" VALUES (?1, ?2, ?3, " NOW ", strftime('%Y-%m-%dT%H:%M:%SZ', 'now', ?4 || ' seconds'))";
static const char sql_sess_get[] =
	"SELECT " USER_COLUMNS ", s.csrf FROM app_session s JOIN app_user u ON u.id = s.user_id"
	" WHERE s.token_hash = ?1 AND s.expires_at > " NOW " AND u.disabled = 0";
static const char sql_sess_del[] = "DELETE FROM app_session WHERE token_hash = ?1 OR expires_at <= " NOW;
static const char sql_audit_put[] =
	"INSERT INTO audit(at, actor, action, target, detail, addr) VALUES (" NOW ", ?1, ?2, ?3, ?4, ?5)";
static const char sql_audit_each[] =
	"SELECT at, actor, action, target, detail, addr FROM audit ORDER BY id DESC LIMIT ?1";

void store_user_clear(store_user *u)
{
	free(u->name);
	free(u->pwhash);
	free(u->role);
	free(u->orgs);
	free(u->locked_until);
	memset(u, 0, sizeof *u);
}

static void user_row(sqlite3_stmt *s, store_user *u)
{
	u->id = sqlite3_column_int64(s, 0);
	u->name = store_column_dup(s, 1);
	u->pwhash = store_column_dup(s, 2);
	u->role = store_column_dup(s, 3);
	u->orgs = store_column_dup(s, 4);
	u->disabled = sqlite3_column_int(s, 5);
	u->failed = (long)sqlite3_column_int64(s, 6);
	u->locked_until = store_column_dup(s, 7);
	u->locked = sqlite3_column_int(s, 8);
}

int store_user_add(store *st, const char *name, const char *pwhash, const char *role,
		   const char *orgs)
{
	sqlite3_stmt *s = store_stmt(st, sql_add);

	if (!s)
		return -1;
	store_bind_text(s, 1, name);
	store_bind_text(s, 2, pwhash);
	store_bind_text(s, 3, role);
	store_bind_text(s, 4, orgs ? orgs : "");
	if (store_step_done(st, s))
		return -1;
	return sqlite3_changes(st->db) ? 0 : -2;
}

int store_user_get(store *st, const char *name, store_user *out)
{
	sqlite3_stmt *s = store_stmt(st, sql_get);
	int step;

	memset(out, 0, sizeof *out);
	if (!s)
		return -1;
	store_bind_text(s, 1, name);
	if ((step = sqlite3_step(s)) == SQLITE_ROW)
		user_row(s, out);
	if (store_rows_finish(st, s, step, 0))
		return -1;
	return step == SQLITE_ROW;
}

int store_user_each(store *st, store_user_fn fn, void *ctx)
{
	sqlite3_stmt *s = store_stmt(st, sql_each);
	int rc = 0, step = SQLITE_DONE;

	if (!s)
		return -1;
	while (!rc && (step = sqlite3_step(s)) == SQLITE_ROW) {
		store_user u;

		user_row(s, &u);
		rc = fn(ctx, &u);
		store_user_clear(&u);
	}
	return store_rows_finish(st, s, step, rc);
}

/* Runs an UPDATE keyed by user name (?1) with one more text value (?2). */
static int user_update(store *st, const char *sql, const char *name, const char *v, int iv)
{
	sqlite3_stmt *s = store_stmt(st, sql);

	if (!s)
		return -1;
	store_bind_text(s, 1, name);
	if (v)
		store_bind_text(s, 2, v);
	else
		sqlite3_bind_int(s, 2, iv);
	if (store_step_done(st, s))
		return -1;
	return sqlite3_changes(st->db) ? 0 : -2;
}

int store_user_set_disabled(store *st, const char *name, int disabled)
{
	return user_update(st, sql_disable, name, NULL, disabled != 0);
}

int store_user_set_pwhash(store *st, const char *name, const char *pwhash)
{
	return user_update(st, sql_pwhash, name, pwhash, 0);
}

int store_user_login_failed(store *st, int64_t user_id, long max_failures, long lock_seconds)
{
	sqlite3_stmt *s = store_stmt(st, sql_failed);

	if (!s)
		return -1;
	sqlite3_bind_int64(s, 1, user_id);
	sqlite3_bind_int64(s, 2, max_failures);
	sqlite3_bind_int64(s, 3, lock_seconds);
	return store_step_done(st, s);
}

int store_user_login_ok(store *st, int64_t user_id)
{
	sqlite3_stmt *s = store_stmt(st, sql_ok);

	if (!s)
		return -1;
	sqlite3_bind_int64(s, 1, user_id);
	return store_step_done(st, s);
}

int store_session_put(store *st, const char *token_hash, int64_t user_id, const char *csrf,
		      long ttl_seconds)
{
	sqlite3_stmt *s = store_stmt(st, sql_sess_put);

	if (!s)
		return -1;
	store_bind_text(s, 1, token_hash);
	sqlite3_bind_int64(s, 2, user_id);
	store_bind_text(s, 3, csrf);
	sqlite3_bind_int64(s, 4, ttl_seconds);
	return store_step_done(st, s);
}

int store_session_get(store *st, const char *token_hash, store_user *user, char **csrf)
{
	sqlite3_stmt *s = store_stmt(st, sql_sess_get);
	int step;

	memset(user, 0, sizeof *user);
	*csrf = NULL;
	if (!s)
		return -1;
	store_bind_text(s, 1, token_hash);
	if ((step = sqlite3_step(s)) == SQLITE_ROW) {
		user_row(s, user);
		*csrf = store_column_dup(s, 9);
	}
	if (store_rows_finish(st, s, step, 0))
		return -1;
	return step == SQLITE_ROW;
}

/* Also drops every expired session, so the table does not grow. */
int store_session_delete(store *st, const char *token_hash)
{
	sqlite3_stmt *s = store_stmt(st, sql_sess_del);

	if (!s)
		return -1;
	store_bind_text(s, 1, token_hash);
	return store_step_done(st, s);
}

int store_audit_put(store *st, const char *actor, const char *action, const char *target,
		    const char *detail, const char *addr)
{
	sqlite3_stmt *s = store_stmt(st, sql_audit_put);

	if (!s)
		return -1;
	store_bind_text(s, 1, actor);
	store_bind_text(s, 2, action);
	store_bind_text(s, 3, target);
	store_bind_text(s, 4, detail);
	store_bind_text(s, 5, addr);
	return store_step_done(st, s);
}

int store_audit_each(store *st, long limit, store_audit_fn fn, void *ctx)
{
	sqlite3_stmt *s = store_stmt(st, sql_audit_each);
	int rc = 0, step = SQLITE_DONE;

	if (!s)
		return -1;
	sqlite3_bind_int64(s, 1, limit > 0 ? limit : -1);
	while (!rc && (step = sqlite3_step(s)) == SQLITE_ROW) {
		const char *v[6];

		for (int i = 0; i < 6; i++)
			v[i] = (const char *)sqlite3_column_text(s, i);
		rc = fn(ctx, v[0], v[1], v[2], v[3], v[4], v[5]);
	}
	return store_rows_finish(st, s, step, rc);
}
