/*
 * store_int.h - internal to store/: the connection and the statement cache
 * its files share.  The stage's API is store.h; no other stage includes this.
 */
#ifndef AVVIK_STORE_INT_H
#define AVVIK_STORE_INT_H

#include <sqlite3.h>

#include "store/store.h"

#define STORE_MAX_CACHED 96

struct store {
	sqlite3 *db;
	sqlite3_stmt *stmt[64];          /* store.c's own statements, by its enum */
	const char *cached_sql[STORE_MAX_CACHED];
	sqlite3_stmt *cached[STORE_MAX_CACHED];
	size_t n_cached;
	int created;
	int version;
	int dry_run;
	int depth;                       /* transactions open: 1 the outer, more savepoints */
};

/* The statement for sql, prepared on first use and reused after, reset and
 * with bindings cleared.  sql must be a string constant: the cache is keyed
 * by its address.  NULL (logged) when it cannot be prepared. */
sqlite3_stmt *store_stmt(store *st, const char *sql);
/* Steps a statement that returns no rows (or ignores them), resets it;
 * 0 ok, -1 logged. */
int store_step_done(store *st, sqlite3_stmt *s);
/* Ends a read of rows: resets s; returns rc (the callback's verdict), or
 * -1 logged when the last step was an error (not ROW, not DONE). */
int store_rows_finish(store *st, sqlite3_stmt *s, int step, int rc);
void store_bind_text(sqlite3_stmt *s, int i, const char *v);   /* NULL binds NULL */
char *store_column_dup(sqlite3_stmt *s, int i);                 /* caller frees; NULL for NULL */
/* Registers avvik_org_in(org, set) (search.c) on a new connection. */
int store_functions_register(sqlite3 *db);

#endif
