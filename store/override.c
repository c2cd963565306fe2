/*
 * override.c - manual corrections: a quality adviser's category and/or
 * direction for one deviation, with who, when and why.  The table keeps
 * every correction; the one in force has superseded_at NULL (a unique
 * index enforces one), and reports and exports prefer it over the rules.
 * Also the single-record reads that `avvik show` and `explain` need.
 */
#include "store/store_int.h"

#include <stdlib.h>
#include <string.h>

static const char sql_supersede[] =
	"UPDATE override SET superseded_at = strftime('%Y-%m-%dT%H:%M:%SZ','now')"
	" WHERE deviation_id = ?1 AND superseded_at IS NULL";
static const char sql_insert[] =
	"INSERT INTO override(deviation_id, category, direction, reason, by, at)"
	" VALUES (?1, ?2, ?3, ?4, ?5, strftime('%Y-%m-%dT%H:%M:%SZ','now'))";
static const char sql_exists[] = "SELECT 1 FROM deviation WHERE id = ?1";
static const char sql_get[] =
	"SELECT id, deviation_id, category, direction, reason, by, at, superseded_at FROM override"
	" WHERE deviation_id = ?1 AND superseded_at IS NULL";
static const char sql_each[] =
	"SELECT id, deviation_id, category, direction, reason, by, at, superseded_at FROM override"
	" WHERE superseded_at IS NULL ORDER BY deviation_id, id";
static const char sql_each_all[] =
	"SELECT id, deviation_id, category, direction, reason, by, at, superseded_at FROM override"
	" ORDER BY deviation_id, id";
static const char sql_history[] =
	"SELECT id, deviation_id, category, direction, reason, by, at, superseded_at FROM override"
	" WHERE deviation_id = ?1 ORDER BY id";
static const char sql_class[] =
	"SELECT category, tags, direction, reporter_org, reporter_type, reporter_how, concerned_org,"
	" concerned_type, concerned_how, matches, why, classified_at, decided_by, rules_category, model_hash,"
	" model_category, model_prob, model_novelty FROM classification"
	" WHERE deviation_id = ?1 AND rules_commit = ?2";

void store_override_clear(store_override *o)
{
	free(o->category);
	free(o->direction);
	free(o->reason);
	free(o->by);
	free(o->at);
	free(o->superseded_at);
	memset(o, 0, sizeof *o);
}

static void store_override_row(sqlite3_stmt *s, store_override *o)
{
	o->id = sqlite3_column_int64(s, 0);
	o->deviation_id = sqlite3_column_int64(s, 1);
	o->category = store_column_dup(s, 2);
	o->direction = store_column_dup(s, 3);
	o->reason = store_column_dup(s, 4);
	o->by = store_column_dup(s, 5);
	o->at = store_column_dup(s, 6);
	o->superseded_at = store_column_dup(s, 7);
}

int store_override_put(store *st, int64_t deviation_id, const char *category, const char *dir,
		       const char *reason, const char *by, int64_t *out_id)
{
	sqlite3_stmt *s = store_stmt(st, sql_exists);
	store_override prev = { 0 };
	int found;

	if (!s)
		return -1;
	sqlite3_bind_int64(s, 1, deviation_id);
	found = sqlite3_step(s) == SQLITE_ROW;
	sqlite3_reset(s);
	if (!found)
		return -2;
	if (store_begin(st))
		return -1;
	/* the parts not given are kept from the override in force: correcting
	 * only the direction must not undo an earlier category correction */
	if (store_override_get(st, deviation_id, &prev) < 0)
		goto fail;
	if (!category)
		category = prev.category;
	if (!dir)
		dir = prev.direction;
	/* supersede first: the unique index allows one in force */
	if (!(s = store_stmt(st, sql_supersede)))
		goto fail;
	sqlite3_bind_int64(s, 1, deviation_id);
	if (store_step_done(st, s) || !(s = store_stmt(st, sql_insert)))
		goto fail;
	sqlite3_bind_int64(s, 1, deviation_id);
	store_bind_text(s, 2, category);
	store_bind_text(s, 3, dir);
	store_bind_text(s, 4, reason);
	store_bind_text(s, 5, by);
	if (store_step_done(st, s))
		goto fail;
	if (out_id)
		*out_id = sqlite3_last_insert_rowid(st->db);
	store_override_clear(&prev);
	return store_commit(st);
fail:
	store_override_clear(&prev);
	store_rollback(st);
	return -1;
}

int store_override_get(store *st, int64_t deviation_id, store_override *out)
{
	sqlite3_stmt *s = store_stmt(st, sql_get);
	int rc;

	memset(out, 0, sizeof *out);
	if (!s)
		return -1;
	sqlite3_bind_int64(s, 1, deviation_id);
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW)
		store_override_row(s, out);
	sqlite3_reset(s);
	return rc == SQLITE_ROW ? 1 : rc == SQLITE_DONE ? 0 : -1;
}

/* Reads all rows of s first, so fn may use the database. */
static int override_rows(sqlite3_stmt *s, store_override_fn fn, void *ctx)
{
	store_override *v = NULL;
	size_t n = 0, i;
	int rc = 0, step;

	/* read all first, so fn may use the database */
	while ((step = sqlite3_step(s)) == SQLITE_ROW) {
		v = xrealloc(v, (n + 1) * sizeof *v);
		store_override_row(s, &v[n++]);
	}
	sqlite3_reset(s);
	if (step != SQLITE_DONE)
		rc = -1;
	for (i = 0; i < n; i++) {
		if (!rc)
			rc = fn(ctx, &v[i]);
		store_override_clear(&v[i]);
	}
	free(v);
	return rc;
}

int store_override_each(store *st, int all, store_override_fn fn, void *ctx)
{
	sqlite3_stmt *s = store_stmt(st, all ? sql_each_all : sql_each);

	return s ? override_rows(s, fn, ctx) : -1;
}

int store_override_history(store *st, int64_t deviation_id, store_override_fn fn, void *ctx)
{
	sqlite3_stmt *s = store_stmt(st, sql_history);

	if (!s)
		return -1;
	sqlite3_bind_int64(s, 1, deviation_id);
	return override_rows(s, fn, ctx);
}

int store_class_get(store *st, int64_t id, const char *commit, avvik_class *c, char **at)
{
	sqlite3_stmt *s;
	char *cur = NULL;
	int rc;

	if (at)
		*at = NULL;
	if (!commit && !(commit = cur = store_current_commit(st)))
		return 0;
	if (!(s = store_stmt(st, sql_class))) {
		free(cur);
		return -1;
	}
	sqlite3_bind_int64(s, 1, id);
	store_bind_text(s, 2, commit);
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW) {
		const unsigned char *t;
		avvik_class_clear(c);
		c->category = store_column_dup(s, 0);
		c->tags = store_column_dup(s, 1);
		c->dir = DIR_UKJENT;
		if ((t = sqlite3_column_text(s, 2)))
			direction_parse((const char *)t, &c->dir);
		c->reporter_org = store_column_dup(s, 3);
		c->reporter_type = ORG_TYPE_UNKNOWN;
		if ((t = sqlite3_column_text(s, 4)))
			org_type_parse((const char *)t, &c->reporter_type);
		c->reporter_how = store_column_dup(s, 5);
		c->concerned_org = store_column_dup(s, 6);
		c->concerned_type = ORG_TYPE_UNKNOWN;
		if ((t = sqlite3_column_text(s, 7)))
			org_type_parse((const char *)t, &c->concerned_type);
		c->concerned_how = store_column_dup(s, 8);
		c->matches = store_column_dup(s, 9);
		c->why = store_column_dup(s, 10);
		if (at)
			*at = store_column_dup(s, 11);
		c->decided_by = store_column_dup(s, 12);
		c->rules_category = store_column_dup(s, 13);
		c->model_hash = store_column_dup(s, 14);
		c->model_category = store_column_dup(s, 15);
		c->model_prob = sqlite3_column_double(s, 16);
		c->model_novelty = sqlite3_column_double(s, 17);
	}
	sqlite3_reset(s);
	free(cur);
	return rc == SQLITE_ROW ? 1 : rc == SQLITE_DONE ? 0 : -1;
}
