/*
 * store.c - the SQLite database: schema and migrations (by user_version),
 * the writes of the ingest and classify stages, and the report queries.
 * Every statement is prepared once per connection and reused.
 */
#include "store/store_int.h"

#include <assert.h>
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

enum {
	Q_BEGIN, Q_COMMIT, Q_ROLLBACK, Q_SAVEPOINT, Q_RELEASE, Q_ROLLBACK_TO,
	Q_RAW_FIND, Q_RAW_INSERT, Q_RAW_MARK_DUP,
	Q_DEV_INSERT, Q_DEV_FIND,
	Q_QUAR_INSERT,
	Q_COUNTER_ADD,
	Q_DEV_IDS_ALL, Q_DEV_IDS_UNCLASSIFIED, Q_DEV_GET,
	Q_CLASS_PUT, Q_CLASS_RUN_PUT, Q_CURRENT_COMMIT, Q_CLASS_COUNT,
	Q_TOTALS,
	Q_COUNT_NONE, Q_COUNT_DIRECTION, Q_COUNT_CATEGORY, Q_COUNT_REPORTER_TYPE, Q_COUNT_MONTH,
	Q_EXPORT,
	Q_META_GET, Q_META_PUT,
	Q__COUNT
};


#define DEV_COLUMNS \
	"d.id, d.ext_id, d.source, d.channel, d.origin, d.received_at, d.reported_at, d.event_date, " \
	"d.reporter_name, d.reporter_unit, d.reporter_her, d.reporter_orgnr, d.reporter_type_hint, " \
	"d.concerned_name, d.concerned_unit, d.concerned_her, d.concerned_orgnr, d.concerned_type_hint, " \
	"d.subject, d.text, d.source_category, d.severity, d.patient_related, d.patient_key, " \
	"d.attachments, d.content_hash"

/* The effective classification: a manual override wins over the rules. */
#define COUNT_FROM \
	" FROM deviation d JOIN classification c ON c.deviation_id = d.id AND c.rules_commit = ?1" \
	" LEFT JOIN override o ON o.deviation_id = d.id AND o.superseded_at IS NULL" \
	" WHERE d.count_date >= ?2 AND d.count_date < ?3" \
	" AND instr(',' || ?4 || ',', ',' || coalesce(o.category, c.category) || ',') = 0"

_Static_assert(Q__COUNT <= sizeof ((store *)0)->stmt / sizeof(sqlite3_stmt *), "store.stmt too small");

static const char *const sql_text[Q__COUNT] = {
	[Q_BEGIN] = "BEGIN IMMEDIATE",
	[Q_COMMIT] = "COMMIT",
	[Q_ROLLBACK] = "ROLLBACK",
	[Q_SAVEPOINT] = "SAVEPOINT s",
	[Q_RELEASE] = "RELEASE s",
	[Q_ROLLBACK_TO] = "ROLLBACK TO s",
	[Q_RAW_FIND] = "SELECT id FROM raw_message WHERE sha256 = ?1",
	[Q_RAW_INSERT] = "INSERT INTO raw_message(sha256, source, origin, status, reason, received_at, size, body)"
			 " VALUES (?1, ?2, ?3, ?4, ?5, strftime('%Y-%m-%dT%H:%M:%SZ','now'), ?6, ?7)",
	[Q_RAW_MARK_DUP] = "UPDATE raw_message SET status = 'duplicate', reason = ?2 WHERE id = ?1",
	[Q_DEV_INSERT] = "INSERT OR IGNORE INTO deviation(raw_id, content_hash, ext_id, source, channel, origin,"
			 " received_at, reported_at, event_date, count_date,"
			 " reporter_name, reporter_unit, reporter_her, reporter_orgnr, reporter_type_hint,"
			 " concerned_name, concerned_unit, concerned_her, concerned_orgnr, concerned_type_hint,"
			 " subject, text, source_category, severity, patient_related, patient_key, attachments,"
			 " created_at)"
			 " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17,"
			 " ?18, ?19, ?20, ?21, ?22, ?23, ?24, ?25, ?26, ?27,"
			 " strftime('%Y-%m-%dT%H:%M:%SZ','now'))",
	[Q_DEV_FIND] = "SELECT id FROM deviation WHERE content_hash = ?1 OR ext_id = ?2",
	/* an item resolved before that comes back is open again */
	[Q_QUAR_INSERT] = "INSERT INTO quarantine(source, origin, line, reason, sha256, size, body, created_at)"
			  " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, strftime('%Y-%m-%dT%H:%M:%SZ','now'))"
			  " ON CONFLICT(sha256) DO UPDATE SET resolved_at = NULL, reason = excluded.reason,"
			  " origin = excluded.origin, line = excluded.line WHERE resolved_at IS NOT NULL",
	[Q_COUNTER_ADD] = "INSERT INTO counter(name, value) VALUES (?1, ?2)"
			  " ON CONFLICT(name) DO UPDATE SET value = value + excluded.value",
	[Q_DEV_IDS_ALL] = "SELECT id FROM deviation WHERE id > ?1 ORDER BY id LIMIT 512",
	[Q_DEV_IDS_UNCLASSIFIED] = "SELECT d.id FROM deviation d WHERE d.id > ?1 AND NOT EXISTS"
				   " (SELECT 1 FROM classification c WHERE c.deviation_id = d.id"
				   " AND c.rules_commit = ?2) ORDER BY d.id LIMIT 512",
	[Q_DEV_GET] = "SELECT " DEV_COLUMNS " FROM deviation d WHERE d.id = ?1",
	[Q_CLASS_PUT] = "INSERT INTO classification(deviation_id, rules_commit, category, tags, direction,"
			" reporter_org, reporter_type, reporter_how, concerned_org, concerned_type, concerned_how,"
			" matches, why, decided_by, rules_category, model_hash, model_category, model_prob,"
			" model_novelty, classified_at)"
			" VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18, ?19,"
			" strftime('%Y-%m-%dT%H:%M:%SZ','now'))"
			" ON CONFLICT(deviation_id, rules_commit) DO UPDATE SET category = excluded.category,"
			" tags = excluded.tags, direction = excluded.direction, reporter_org = excluded.reporter_org,"
			" reporter_type = excluded.reporter_type, reporter_how = excluded.reporter_how,"
			" concerned_org = excluded.concerned_org, concerned_type = excluded.concerned_type,"
			" concerned_how = excluded.concerned_how, matches = excluded.matches, why = excluded.why,"
			" decided_by = excluded.decided_by, rules_category = excluded.rules_category,"
			" model_hash = excluded.model_hash, model_category = excluded.model_category,"
			" model_prob = excluded.model_prob, model_novelty = excluded.model_novelty,"
			" classified_at = excluded.classified_at",
	[Q_CLASS_RUN_PUT] = "INSERT INTO classify_run(rules_commit, run_at, n)"
			    " VALUES (?1, strftime('%Y-%m-%dT%H:%M:%SZ','now'), ?2)",
	[Q_CURRENT_COMMIT] = "SELECT rules_commit FROM classify_run ORDER BY id DESC LIMIT 1",
	[Q_CLASS_COUNT] = "SELECT count(*) FROM classification WHERE rules_commit = ?1",
	[Q_TOTALS] = "SELECT (SELECT count(*) FROM deviation),"
		     " (SELECT count(*) FROM raw_message)"
		     "   + coalesce((SELECT value FROM counter WHERE name = 'duplicate_raw'), 0)"
		     "   + (SELECT count(*) FROM quarantine),"
		     " (SELECT count(*) FROM raw_message WHERE status = 'duplicate')"
		     "   + coalesce((SELECT value FROM counter WHERE name = 'duplicate_raw'), 0),"
		     " (SELECT count(*) FROM raw_message WHERE status = 'skipped'),"
		     " (SELECT count(*) FROM quarantine WHERE resolved_at IS NULL),"
		     " (SELECT count(*) FROM override WHERE superseded_at IS NULL)",
	[Q_COUNT_NONE] = "SELECT '', count(*)" COUNT_FROM,
	[Q_COUNT_DIRECTION] = "SELECT coalesce(o.direction, c.direction), count(*)" COUNT_FROM " GROUP BY 1 ORDER BY 1",
	[Q_COUNT_CATEGORY] = "SELECT coalesce(o.category, c.category), count(*)" COUNT_FROM " GROUP BY 1 ORDER BY 1",
	[Q_COUNT_REPORTER_TYPE] = "SELECT c.reporter_type, count(*)" COUNT_FROM " GROUP BY 1 ORDER BY 1",
	[Q_COUNT_MONTH] = "SELECT substr(d.count_date, 1, 7), count(*)" COUNT_FROM " GROUP BY 1 ORDER BY 1",
	[Q_EXPORT] = "SELECT " DEV_COLUMNS ", coalesce(o.category, c.category), c.tags,"
		     " coalesce(o.direction, c.direction), c.reporter_org, c.reporter_type,"
		     " c.reporter_how, c.concerned_org, c.concerned_type, c.concerned_how, c.matches, c.why,"
		     " o.id IS NOT NULL"
		     " FROM deviation d LEFT JOIN classification c ON c.deviation_id = d.id AND c.rules_commit = ?1"
		     " LEFT JOIN override o ON o.deviation_id = d.id AND o.superseded_at IS NULL"
		     " WHERE d.count_date >= ?2 AND d.count_date < ?3 ORDER BY d.count_date, d.id",
	[Q_META_GET] = "SELECT value FROM meta WHERE key = ?1",
	[Q_META_PUT] = "INSERT INTO meta(key, value) VALUES (?1, ?2)"
		       " ON CONFLICT(key) DO UPDATE SET value = excluded.value",
};

/* Schema migrations: migration i brings user_version from i to i + 1. */
static const char *const migrations[] = {
	/* 1: the first schema */
	"CREATE TABLE source_file ("
	"  path TEXT PRIMARY KEY, size INTEGER NOT NULL, mtime INTEGER NOT NULL,"
	"  inode INTEGER NOT NULL, sha256 TEXT, seen_at TEXT NOT NULL);"
	"CREATE TABLE raw_message ("
	"  id INTEGER PRIMARY KEY, sha256 TEXT NOT NULL UNIQUE, source TEXT, origin TEXT,"
	"  status TEXT NOT NULL CHECK (status IN ('deviation', 'skipped', 'duplicate')),"
	"  reason TEXT, received_at TEXT NOT NULL, size INTEGER NOT NULL, body BLOB);"
	"CREATE TABLE deviation ("
	"  id INTEGER PRIMARY KEY, raw_id INTEGER REFERENCES raw_message(id),"
	"  content_hash TEXT NOT NULL UNIQUE, ext_id TEXT UNIQUE,"
	"  source TEXT, channel TEXT, origin TEXT, received_at TEXT, reported_at TEXT, event_date TEXT,"
	"  count_date TEXT NOT NULL,"
	"  reporter_name TEXT, reporter_unit TEXT, reporter_her TEXT, reporter_orgnr TEXT, reporter_type_hint TEXT,"
	"  concerned_name TEXT, concerned_unit TEXT, concerned_her TEXT, concerned_orgnr TEXT, concerned_type_hint TEXT,"
	"  subject TEXT, text TEXT, source_category TEXT, severity TEXT,"
	"  patient_related INTEGER, patient_key TEXT, attachments TEXT, created_at TEXT NOT NULL);"
	"CREATE INDEX deviation_count_date ON deviation(count_date);"
	"CREATE TABLE classification ("
	"  deviation_id INTEGER NOT NULL REFERENCES deviation(id) ON DELETE CASCADE,"
	"  rules_commit TEXT NOT NULL, category TEXT NOT NULL, tags TEXT NOT NULL DEFAULT '',"
	"  direction TEXT NOT NULL, reporter_org TEXT, reporter_type TEXT, reporter_how TEXT,"
	"  concerned_org TEXT, concerned_type TEXT, concerned_how TEXT, matches TEXT, why TEXT,"
	"  classified_at TEXT NOT NULL,"
	"  PRIMARY KEY (deviation_id, rules_commit)) WITHOUT ROWID;"
	"CREATE INDEX classification_commit ON classification(rules_commit, category);"
	"CREATE TABLE classify_run ("
	"  id INTEGER PRIMARY KEY, rules_commit TEXT NOT NULL, run_at TEXT NOT NULL, n INTEGER NOT NULL);"
	"CREATE TABLE quarantine ("
	"  id INTEGER PRIMARY KEY, source TEXT, origin TEXT, line INTEGER, reason TEXT NOT NULL,"
	"  sha256 TEXT, size INTEGER, body BLOB, created_at TEXT NOT NULL, resolved_at TEXT,"
	"  UNIQUE (sha256));"
	"CREATE TABLE counter (name TEXT PRIMARY KEY, value INTEGER NOT NULL) WITHOUT ROWID;"
	"CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT) WITHOUT ROWID;",
	/* 2: manual overrides, source cursors, messages that came inside others */
	"CREATE TABLE override ("
	"  id INTEGER PRIMARY KEY, deviation_id INTEGER NOT NULL REFERENCES deviation(id) ON DELETE CASCADE,"
	"  category TEXT, direction TEXT, reason TEXT NOT NULL, by TEXT NOT NULL, at TEXT NOT NULL,"
	"  superseded_at TEXT);"
	"CREATE UNIQUE INDEX override_current ON override(deviation_id) WHERE superseded_at IS NULL;"
	"CREATE TABLE source_cursor ("
	"  source TEXT NOT NULL, key TEXT NOT NULL, value TEXT, updated_at TEXT NOT NULL,"
	"  PRIMARY KEY (source, key)) WITHOUT ROWID;"
	"ALTER TABLE raw_message ADD COLUMN parent_id INTEGER REFERENCES raw_message(id);"
	"ALTER TABLE quarantine ADD COLUMN retried_at TEXT;",
	/* 3: file sources remember directories too, so that a nightly run with
	 * nothing new lists no directory it has seen unchanged (files.c) */
	"ALTER TABLE source_file ADD COLUMN dir TEXT;"
	"ALTER TABLE source_file ADD COLUMN mtime_ns INTEGER;"
	"ALTER TABLE source_file ADD COLUMN kind TEXT;"
	"ALTER TABLE source_file ADD COLUMN settled INTEGER NOT NULL DEFAULT 0;"
	/* the directory: the path up to its last '/' */
	"UPDATE source_file SET dir = CASE WHEN instr(path, '/') = 0 THEN '.'"
	"  WHEN rtrim(path, replace(path, '/', '')) = '/' THEN '/'"
	"  ELSE rtrim(rtrim(path, replace(path, '/', '')), '/') END;"
	"CREATE INDEX source_file_dir ON source_file(dir, settled);"
	"CREATE TABLE source_dir ("
	"  path TEXT PRIMARY KEY, parent TEXT, dev INTEGER NOT NULL, inode INTEGER NOT NULL,"
	"  mtime_ns INTEGER NOT NULL, ctime_ns INTEGER NOT NULL, checked_at TEXT NOT NULL) WITHOUT ROWID;"
	"CREATE INDEX source_dir_parent ON source_dir(parent);",
	/* 4: the format a file was read as (a re-run with another --format
	 * reads it again); quarantine.origin names the file for a retry */
	"ALTER TABLE source_file ADD COLUMN format TEXT;",
	/* 5: deliveries by e-mail (delivery.c): one row per delivery, period and
	 * recipient group, so a period is sent once and a failure is retried */
	"CREATE TABLE delivery ("
	"  name TEXT NOT NULL, period_start TEXT NOT NULL, period_end TEXT NOT NULL,"
	"  target TEXT NOT NULL, status TEXT NOT NULL CHECK (status IN ('sent', 'failed')),"
	"  attempts INTEGER NOT NULL, last_error TEXT, message_id TEXT, recipients TEXT,"
	"  first_try_at TEXT NOT NULL, updated_at TEXT NOT NULL,"
	"  PRIMARY KEY (name, period_start, period_end, target)) WITHOUT ROWID;",
	/* 6: the statistical model beside the rules (classify/model.c): the
	 * trained models, named by the SHA-256 of their bytes; with each
	 * classification what decided it, the rules' own category and the
	 * model's view; with each classify run the model it used */
	"CREATE TABLE model ("
	"  id INTEGER PRIMARY KEY, hash TEXT NOT NULL UNIQUE, rules_commit TEXT NOT NULL,"
	"  examples INTEGER NOT NULL, overrides INTEGER NOT NULL, created_at TEXT NOT NULL, body BLOB NOT NULL);"
	"ALTER TABLE classification ADD COLUMN decided_by TEXT;"
	"ALTER TABLE classification ADD COLUMN rules_category TEXT;"
	"ALTER TABLE classification ADD COLUMN model_hash TEXT;"
	"ALTER TABLE classification ADD COLUMN model_category TEXT;"
	"ALTER TABLE classification ADD COLUMN model_prob REAL;"
	"ALTER TABLE classification ADD COLUMN model_novelty REAL;"
	"ALTER TABLE classify_run ADD COLUMN model_hash TEXT;",
	/* 7: the workspace (avvik serve): accounts, sessions, the audit trail,
	 * and the full-text index of the scrubbed subject and text.  unicode61
	 * folds case and drops diacritics (å -> a, é -> e; ø and æ are letters
	 * of their own); searches are prefix searches (search.c), so
	 * "epikrise" finds "Epikrisen" and "EPIKRISE". */
	"CREATE TABLE app_user ("
	"  id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE, pwhash TEXT NOT NULL,"
	"  role TEXT NOT NULL CHECK (role IN ('adviser', 'fsu', 'admin')), orgs TEXT NOT NULL DEFAULT '',"
	"  disabled INTEGER NOT NULL DEFAULT 0, failed INTEGER NOT NULL DEFAULT 0, locked_until TEXT,"
	"  created_at TEXT NOT NULL);"
	"CREATE TABLE app_session ("
	"  token_hash TEXT PRIMARY KEY, user_id INTEGER NOT NULL REFERENCES app_user(id) ON DELETE CASCADE,"
	"  csrf TEXT NOT NULL, created_at TEXT NOT NULL, expires_at TEXT NOT NULL) WITHOUT ROWID;"
	"CREATE TABLE audit ("
	"  id INTEGER PRIMARY KEY, at TEXT NOT NULL, actor TEXT NOT NULL, action TEXT NOT NULL,"
	"  target TEXT, detail TEXT, addr TEXT);"
	"CREATE VIRTUAL TABLE deviation_fts USING fts5(subject, text, content = 'deviation',"
	"  content_rowid = 'id', tokenize = 'unicode61 remove_diacritics 2');"
	"CREATE TRIGGER deviation_fts_ai AFTER INSERT ON deviation BEGIN"
	"  INSERT INTO deviation_fts(rowid, subject, text) VALUES (new.id, new.subject, new.text); END;"
	"CREATE TRIGGER deviation_fts_ad AFTER DELETE ON deviation BEGIN"
	"  INSERT INTO deviation_fts(deviation_fts, rowid, subject, text)"
	"  VALUES ('delete', old.id, old.subject, old.text); END;"
	"CREATE TRIGGER deviation_fts_au AFTER UPDATE OF subject, text ON deviation BEGIN"
	"  INSERT INTO deviation_fts(deviation_fts, rowid, subject, text)"
	"  VALUES ('delete', old.id, old.subject, old.text);"
	"  INSERT INTO deviation_fts(rowid, subject, text) VALUES (new.id, new.subject, new.text); END;"
	"INSERT INTO deviation_fts(deviation_fts) VALUES ('rebuild');",
};
#define SCHEMA_VERSION ((int)(sizeof migrations / sizeof migrations[0]))

static void store_set_err(sbuf *err, const char *path, const char *what, sqlite3 *db)
{
	sbuf_addf(err, "%s: %s: %s", path, what, db ? sqlite3_errmsg(db) : "out of memory");
}

/* Creates the file 0600 before SQLite sees it, so no other user can ever
 * read it (the -wal and -shm files inherit the mode). */
static int store_create_file(const char *path, sbuf *err)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);

	if (fd < 0) {
		if (errno == EEXIST)
			return 0;
		sbuf_addf(err, "%s: cannot create database: %s", path, strerror(errno));
		return -1;
	}
	close(fd);
	return 1;
}

static int store_migrate(store *st, const char *path, sbuf *err)
{
	sqlite3_stmt *q;
	int v;

	if (sqlite3_prepare_v2(st->db, "PRAGMA user_version", -1, &q, NULL) != SQLITE_OK) {
		store_set_err(err, path, "cannot read schema version", st->db);
		return -1;
	}
	v = sqlite3_step(q) == SQLITE_ROW ? sqlite3_column_int(q, 0) : 0;
	sqlite3_finalize(q);
	if (v > SCHEMA_VERSION) {
		sbuf_addf(err, "%s: database schema version %d is newer than this avvik (%d)",
			  path, v, SCHEMA_VERSION);
		return -1;
	}
	for (; v < SCHEMA_VERSION; v++) {
		sbuf sql = SBUF_INIT;
		char *msg = NULL;

		sbuf_addf(&sql, "BEGIN IMMEDIATE; %s PRAGMA user_version = %d; COMMIT;", migrations[v], v + 1);
		if (sqlite3_exec(st->db, sql.buf, NULL, NULL, &msg) != SQLITE_OK) {
			sbuf_addf(err, "%s: migration to schema version %d failed: %s", path, v + 1,
				  msg ? msg : "unknown error");
			sqlite3_free(msg);
			sqlite3_exec(st->db, "ROLLBACK", NULL, NULL, NULL);
			sbuf_release(&sql);
			return -1;
		}
		sbuf_release(&sql);
		log_info("%s: database schema migrated to version %d", path, v + 1);
	}
	st->version = v;
	return 0;
}

/* Databases up to this size are checked whole (PRAGMA quick_check) at
 * every open: a few milliseconds.  Larger ones when the header disagrees
 * with the file. */
#define STORE_QUICK_CHECK_MAX ((off_t)16 << 20)

/* An existing database file, before SQLite sees it: a zero-length file
 * would otherwise be taken as a new, empty database.  Only stat(): opening
 * and closing the file here would drop the POSIX locks this process's
 * other connections hold on it (SQLite's own warning), and another
 * process could then delete the WAL from under them.  0 ok, 1 small (to
 * be checked whole), -2 damaged (err says why and what to do). */
static int store_check_file(const char *path, sbuf *err)
{
	struct stat sb;

	if (stat(path, &sb) < 0)
		return 0;   /* SQLite says what is wrong */
	if (sb.st_size == 0) {
		sbuf_addf(err, "%s: not an avvik database (the file is empty); restore it from a "
			  "backup (see README, 'Backup'), or move it away and run 'avvik init'", path);
		return -2;
	}
	return sb.st_size <= STORE_QUICK_CHECK_MAX;
}

/* After SQLite opened it: does the file hold the pages the database says
 * it has?  (Only when no WAL holds pages not yet in the file.) */
static int store_size_mismatch(store *st, const char *path)
{
	sqlite3_stmt *q;
	sqlite3_int64 pages = -1, page = -1;
	struct stat sb, wal;
	sbuf walpath = SBUF_INIT;
	int have_wal;

	sbuf_addf(&walpath, "%s-wal", path);
	have_wal = stat(walpath.buf, &wal) == 0 && wal.st_size > 0;
	sbuf_release(&walpath);
	if (have_wal || stat(path, &sb) < 0)
		return 0;
	if (sqlite3_prepare_v2(st->db, "PRAGMA page_count", -1, &q, NULL) == SQLITE_OK) {
		if (sqlite3_step(q) == SQLITE_ROW)
			pages = sqlite3_column_int64(q, 0);
		sqlite3_finalize(q);
	}
	if (sqlite3_prepare_v2(st->db, "PRAGMA page_size", -1, &q, NULL) == SQLITE_OK) {
		if (sqlite3_step(q) == SQLITE_ROW)
			page = sqlite3_column_int64(q, 0);
		sqlite3_finalize(q);
	}
	return pages < 0 || page < 0 || pages * page != (sqlite3_int64)sb.st_size;
}

/* PRAGMA quick_check: 0 "ok", -2 damaged (err names the first problem). */
static int store_quick_check(store *st, const char *path, sbuf *err)
{
	sqlite3_stmt *q;
	int rc;

	if (sqlite3_prepare_v2(st->db, "PRAGMA quick_check(1)", -1, &q, NULL) != SQLITE_OK) {
		sbuf_addf(err, "%s: the database is damaged: %s", path, sqlite3_errmsg(st->db));
		return -2;
	}
	rc = sqlite3_step(q);
	if (rc != SQLITE_ROW || strcmp((const char *)sqlite3_column_text(q, 0), "ok")) {
		sbuf_addf(err, "%s: the database is damaged: %s; restore it from a backup "
			  "(see README, 'Backup')", path,
			  rc == SQLITE_ROW ? (const char *)sqlite3_column_text(q, 0)
					   : sqlite3_errmsg(st->db));
		sqlite3_finalize(q);
		for (size_t i = 0; i < err->len; i++)
			if (err->buf[i] == '\n')
				err->buf[i] = ' ';   /* one log line */
		return -2;
	}
	sqlite3_finalize(q);
	return 0;
}

int store_open(store **out, const char *path, int create, sbuf *err)
{
	store *st = xcalloc(1, sizeof *st);
	int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX;
	int check = 0;
	size_t i;

	*out = NULL;
	if (create) {
		int rc = store_create_file(path, err);
		if (rc < 0)
			goto fail;
		st->created = rc;
	} else if (access(path, F_OK) != 0) {
		sbuf_addf(err, "%s: no database here (run 'avvik init' first)", path);
		goto fail;
	}
	if (!st->created && (check = store_check_file(path, err)) < 0)
		goto fail;
	if (sqlite3_open_v2(path, &st->db, flags, NULL) != SQLITE_OK) {
		store_set_err(err, path, "cannot open database", st->db);
		goto fail;
	}
	sqlite3_busy_timeout(st->db, 10000);
	/* temp_store: a file's savepoint inside a batch journals to memory;
	 * cache_size: a batch's pages stay in memory until its commit */
	if (store_functions_register(st->db)) {
		store_set_err(err, path, "cannot register functions", st->db);
		goto fail;
	}
	if (sqlite3_exec(st->db, "PRAGMA journal_mode = WAL; PRAGMA foreign_keys = ON;"
			 " PRAGMA synchronous = NORMAL; PRAGMA temp_store = MEMORY;"
			 " PRAGMA cache_size = -32768; PRAGMA journal_size_limit = 67108864;",
			 NULL, NULL, NULL) != SQLITE_OK) {
		int code = sqlite3_errcode(st->db);
		store_set_err(err, path, code == SQLITE_CORRUPT || code == SQLITE_NOTADB
			      ? "the database is damaged" : "cannot configure database", st->db);
		if (code == SQLITE_CORRUPT || code == SQLITE_NOTADB)
			check = -2;
		goto fail;
	}
	if (!st->created && !check && store_size_mismatch(st, path))
		check = 1;
	if (check > 0 && (check = store_quick_check(st, path, err)) < 0)
		goto fail;
	if (store_migrate(st, path, err))
		goto fail;
	for (i = 0; i < Q__COUNT; i++) {
		assert(sql_text[i]);
		if (sqlite3_prepare_v3(st->db, sql_text[i], -1, SQLITE_PREPARE_PERSISTENT,
				       &st->stmt[i], NULL) != SQLITE_OK) {
			store_set_err(err, path, "cannot prepare statement", st->db);
			goto fail;
		}
	}
	*out = st;
	return 0;
fail:
	store_close(st);
	return check == -2 ? -2 : -1;
}

sqlite3_stmt *store_stmt(store *st, const char *sql)
{
	size_t i;

	for (i = 0; i < st->n_cached; i++)
		if (st->cached_sql[i] == sql) {
			sqlite3_reset(st->cached[i]);
			sqlite3_clear_bindings(st->cached[i]);
			return st->cached[i];
		}
	assert(st->n_cached < STORE_MAX_CACHED);
	if (st->n_cached == STORE_MAX_CACHED ||
	    sqlite3_prepare_v3(st->db, sql, -1, SQLITE_PREPARE_PERSISTENT, &st->cached[st->n_cached],
			       NULL) != SQLITE_OK) {
		log_error("database: cannot prepare statement: %s", sqlite3_errmsg(st->db));
		return NULL;
	}
	st->cached_sql[st->n_cached] = sql;
	return st->cached[st->n_cached++];
}

int store_rows_finish(store *st, sqlite3_stmt *s, int step, int rc)
{
	sqlite3_reset(s);
	sqlite3_clear_bindings(s);
	if (!rc && step != SQLITE_DONE && step != SQLITE_ROW) {
		log_error("database: %s", sqlite3_errmsg(st->db));
		return -1;
	}
	return rc;
}

int store_step_done(store *st, sqlite3_stmt *s)
{
	int rc = sqlite3_step(s);

	sqlite3_reset(s);
	if (rc != SQLITE_DONE && rc != SQLITE_ROW) {
		log_error("database: %s", sqlite3_errmsg(st->db));
		return -1;
	}
	return 0;
}

void store_bind_text(sqlite3_stmt *s, int i, const char *v)
{
	if (v)
		sqlite3_bind_text(s, i, v, -1, SQLITE_TRANSIENT);
	else
		sqlite3_bind_null(s, i);
}

char *store_column_dup(sqlite3_stmt *s, int i)
{
	const unsigned char *t = sqlite3_column_text(s, i);
	return t ? xstrdup((const char *)t) : NULL;
}

void store_close(store *st)
{
	size_t i;

	if (!st)
		return;
	for (i = 0; i < st->n_cached; i++)
		sqlite3_finalize(st->cached[i]);
	for (i = 0; i < Q__COUNT; i++)
		sqlite3_finalize(st->stmt[i]);
	sqlite3_close(st->db);
	free(st);
}

int store_was_created(const store *st) { return st->created; }
int store_schema_version(const store *st) { return st->version; }
const char *store_errmsg(store *st) { return sqlite3_errmsg(st->db); }

/* Runs a statement that returns no rows; resets it either way. */
static int store_exec(store *st, int q)
{
	sqlite3_stmt *s = st->stmt[q];
	int rc = sqlite3_step(s);

	sqlite3_reset(s);
	sqlite3_clear_bindings(s);
	if (rc != SQLITE_DONE && rc != SQLITE_ROW) {
		log_error("database: %s", sqlite3_errmsg(st->db));
		return -1;
	}
	return 0;
}

/* Transactions nest: inside one, begin/commit/rollback are a savepoint,
 * its release and its rollback, so that a writer can hold many files'
 * transactions in one batch and still drop one file alone. */
int store_begin(store *st)
{
	if (st->depth > 0 && sqlite3_get_autocommit(st->db))
		st->depth = 0;   /* SQLite rolled the batch back itself (full disk, I/O) */
	if (store_exec(st, st->depth ? Q_SAVEPOINT : Q_BEGIN))
		return -1;
	st->depth++;
	return 0;
}

/* In a dry run every transaction is rolled back: all the work, no writes. */
int store_commit(store *st)
{
	int rc;

	assert(st->depth > 0);
	if (st->depth > 1) {
		if (sqlite3_get_autocommit(st->db)) {
			log_error("database: the batch was rolled back");
			st->depth = 0;
			return -1;
		}
		rc = store_exec(st, Q_RELEASE);
		st->depth -= rc == 0;
		return rc;
	}
	rc = store_exec(st, st->dry_run ? Q_ROLLBACK : Q_COMMIT);
	if (rc == 0 || sqlite3_get_autocommit(st->db))
		st->depth = 0;
	return rc;
}

int store_in_batch(const store *st)
{
	return st->depth > 0;
}

int store_depth(const store *st)
{
	return st->depth;
}
void store_set_dry_run(store *st, int on) { st->dry_run = on; }
int store_is_dry_run(const store *st) { return st->dry_run; }

void store_rollback(store *st)
{
	if (sqlite3_get_autocommit(st->db)) {
		st->depth = 0;
		return;
	}
	if (st->depth > 1) {
		if (store_exec(st, Q_ROLLBACK_TO) == 0 && store_exec(st, Q_RELEASE) == 0) {
			st->depth--;
			return;
		}
		/* the savepoint is gone: the whole batch goes */
	}
	store_exec(st, Q_ROLLBACK);
	st->depth = 0;
}


static int store_counter_add(store *st, const char *name, long n)
{
	sqlite3_stmt *s = st->stmt[Q_COUNTER_ADD];

	store_bind_text(s, 1, name);
	sqlite3_bind_int64(s, 2, n);
	return store_exec(st, Q_COUNTER_ADD);
}

int store_raw_put(store *st, const char *sha256, const char *source, const char *origin,
		  const char *status, const char *reason, const void *body, size_t len,
		  int64_t *out_id)
{
	sqlite3_stmt *s = st->stmt[Q_RAW_FIND];

	store_bind_text(s, 1, sha256);
	if (sqlite3_step(s) == SQLITE_ROW) {
		*out_id = sqlite3_column_int64(s, 0);
		sqlite3_reset(s);
		return store_counter_add(st, "duplicate_raw", 1) ? -1 : 0;
	}
	sqlite3_reset(s);
	s = st->stmt[Q_RAW_INSERT];
	store_bind_text(s, 1, sha256);
	store_bind_text(s, 2, source);
	store_bind_text(s, 3, origin);
	store_bind_text(s, 4, status);
	store_bind_text(s, 5, reason);
	sqlite3_bind_int64(s, 6, (sqlite3_int64)len);
	sqlite3_bind_blob64(s, 7, body ? body : "", len, SQLITE_TRANSIENT);
	if (store_exec(st, Q_RAW_INSERT))
		return -1;
	*out_id = sqlite3_last_insert_rowid(st->db);
	return 1;
}

static void store_attachments_json(const avvik_record *r, sbuf *out)
{
	size_t i;

	sbuf_addch(out, '[');
	for (i = 0; i < r->n_attachments; i++) {
		if (i)
			sbuf_addch(out, ',');
		sbuf_adds(out, "{\"name\":");
		sbuf_add_json_str(out, r->attachments[i].name);
		sbuf_adds(out, ",\"type\":");
		sbuf_add_json_str(out, r->attachments[i].mime_type);
		sbuf_addf(out, ",\"size\":%lld}", (long long)r->attachments[i].size);
	}
	sbuf_addch(out, ']');
}

static void bind_party(sqlite3_stmt *s, int first, const avvik_party *p)
{
	store_bind_text(s, first, p->name);
	store_bind_text(s, first + 1, p->unit);
	store_bind_text(s, first + 2, p->her_id);
	store_bind_text(s, first + 3, p->org_nr);
	store_bind_text(s, first + 4, p->type_hint);
}

int store_deviation_put(store *st, const avvik_record *r, int64_t raw_id, int64_t *out_id)
{
	sqlite3_stmt *s = st->stmt[Q_DEV_INSERT];
	const char *count_date = avvik_record_count_date(r);
	char day[11];
	sbuf att = SBUF_INIT;
	int changed;

	assert(r->content_hash[0]);
	if (!count_date || strlen(count_date) < 10) {
		log_error("database: deviation %s has no date to count it under", r->ext_id ? r->ext_id : "?");
		return -1;
	}
	memcpy(day, count_date, 10);
	day[10] = '\0';
	store_attachments_json(r, &att);
	if (raw_id > 0)
		sqlite3_bind_int64(s, 1, raw_id);
	else
		sqlite3_bind_null(s, 1);
	store_bind_text(s, 2, r->content_hash);
	store_bind_text(s, 3, r->ext_id);
	store_bind_text(s, 4, r->source);
	store_bind_text(s, 5, r->channel);
	store_bind_text(s, 6, r->origin);
	store_bind_text(s, 7, r->received_at);
	store_bind_text(s, 8, r->reported_at);
	store_bind_text(s, 9, r->event_date);
	store_bind_text(s, 10, day);
	bind_party(s, 11, &r->reporter);
	bind_party(s, 16, &r->concerned);
	store_bind_text(s, 21, r->subject);
	store_bind_text(s, 22, r->text);
	store_bind_text(s, 23, r->source_category);
	store_bind_text(s, 24, r->severity);
	if (r->patient_related < 0)
		sqlite3_bind_null(s, 25);
	else
		sqlite3_bind_int(s, 25, r->patient_related);
	store_bind_text(s, 26, r->patient_key);
	store_bind_text(s, 27, att.buf);
	sbuf_release(&att);
	if (store_exec(st, Q_DEV_INSERT))
		return -1;
	changed = sqlite3_changes(st->db);
	if (changed) {
		*out_id = sqlite3_last_insert_rowid(st->db);
		return 1;
	}
	/* A duplicate: by content hash or by external id. */
	s = st->stmt[Q_DEV_FIND];
	store_bind_text(s, 1, r->content_hash);
	store_bind_text(s, 2, r->ext_id);
	*out_id = sqlite3_step(s) == SQLITE_ROW ? sqlite3_column_int64(s, 0) : 0;
	sqlite3_reset(s);
	if (raw_id > 0) {
		sbuf why = SBUF_INIT;
		sbuf_addf(&why, "duplicate of deviation %lld", (long long)*out_id);
		s = st->stmt[Q_RAW_MARK_DUP];
		sqlite3_bind_int64(s, 1, raw_id);
		store_bind_text(s, 2, why.buf);
		sbuf_release(&why);
		if (store_exec(st, Q_RAW_MARK_DUP))
			return -1;
	} else if (store_counter_add(st, "duplicate_raw", 1)) {
		return -1;
	}
	return 0;
}

int store_quarantine_put(store *st, const char *source, const char *origin, long line,
			 const char *reason, const char *sha256, const void *body, size_t len)
{
	sqlite3_stmt *s = st->stmt[Q_QUAR_INSERT];

	store_bind_text(s, 1, source);
	store_bind_text(s, 2, origin);
	sqlite3_bind_int64(s, 3, line);
	store_bind_text(s, 4, reason);
	store_bind_text(s, 5, sha256);
	sqlite3_bind_int64(s, 6, (sqlite3_int64)len);
	if (body)
		sqlite3_bind_blob64(s, 7, body, len, SQLITE_TRANSIENT);
	else
		sqlite3_bind_null(s, 7);
	if (store_exec(st, Q_QUAR_INSERT))
		return -1;
	return sqlite3_changes(st->db) ? 1 : 0;
}


static void party_from_row(sqlite3_stmt *s, int first, avvik_party *p)
{
	p->name = store_column_dup(s, first);
	p->unit = store_column_dup(s, first + 1);
	p->her_id = store_column_dup(s, first + 2);
	p->org_nr = store_column_dup(s, first + 3);
	p->type_hint = store_column_dup(s, first + 4);
}

/* Reads the DEV_COLUMNS of the current row into r (attachments are kept
 * only as names: the JSON is parsed minimally). */
static void record_from_row(sqlite3_stmt *s, avvik_record *r)
{
	const unsigned char *h;

	avvik_record_init(r);
	r->ext_id = store_column_dup(s, 1);
	r->source = store_column_dup(s, 2);
	r->channel = store_column_dup(s, 3);
	r->origin = store_column_dup(s, 4);
	r->received_at = store_column_dup(s, 5);
	r->reported_at = store_column_dup(s, 6);
	r->event_date = store_column_dup(s, 7);
	party_from_row(s, 8, &r->reporter);
	party_from_row(s, 13, &r->concerned);
	r->subject = store_column_dup(s, 18);
	r->text = store_column_dup(s, 19);
	r->source_category = store_column_dup(s, 20);
	r->severity = store_column_dup(s, 21);
	r->patient_related = sqlite3_column_type(s, 22) == SQLITE_NULL ? -1 : sqlite3_column_int(s, 22);
	r->patient_key = store_column_dup(s, 23);
	h = sqlite3_column_text(s, 25);
	if (h)
		snprintf(r->content_hash, sizeof r->content_hash, "%s", (const char *)h);
}

/* One deviation by id, read as every other reader reads a row. */
int store_deviation_get(store *st, int64_t id, avvik_record *r)
{
	sqlite3_stmt *s = st->stmt[Q_DEV_GET];
	int rc;

	avvik_record_init(r);
	sqlite3_bind_int64(s, 1, id);
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW)
		record_from_row(s, r);
	sqlite3_reset(s);
	return rc == SQLITE_ROW ? 1 : rc == SQLITE_DONE ? 0 : -1;
}

int store_deviations_each(store *st, const char *commit, store_record_fn fn, void *ctx)
{
	sqlite3_stmt *ids = st->stmt[commit ? Q_DEV_IDS_UNCLASSIFIED : Q_DEV_IDS_ALL];
	sqlite3_stmt *get = st->stmt[Q_DEV_GET];
	int64_t last = 0, batch[512];
	size_t n, i;
	int rc = 0;

	/* In batches of ids, so the callback may write between reads. */
	do {
		n = 0;
		sqlite3_bind_int64(ids, 1, last);
		if (commit)
			store_bind_text(ids, 2, commit);
		while (sqlite3_step(ids) == SQLITE_ROW && n < 512)
			batch[n++] = sqlite3_column_int64(ids, 0);
		sqlite3_reset(ids);
		for (i = 0; i < n && !rc; i++) {
			avvik_record r;
			sqlite3_bind_int64(get, 1, batch[i]);
			if (sqlite3_step(get) != SQLITE_ROW) {
				sqlite3_reset(get);
				continue;
			}
			record_from_row(get, &r);
			sqlite3_reset(get);
			rc = fn(ctx, batch[i], &r);
			avvik_record_clear(&r);
		}
		if (n)
			last = batch[n - 1];
	} while (n == 512 && !rc);
	sqlite3_clear_bindings(ids);
	return rc;
}

int store_class_put(store *st, int64_t deviation_id, const char *commit, const avvik_class *c)
{
	sqlite3_stmt *s = st->stmt[Q_CLASS_PUT];

	assert(c->category && commit);
	sqlite3_bind_int64(s, 1, deviation_id);
	store_bind_text(s, 2, commit);
	store_bind_text(s, 3, c->category);
	store_bind_text(s, 4, c->tags ? c->tags : "");
	store_bind_text(s, 5, direction_name(c->dir));
	store_bind_text(s, 6, c->reporter_org);
	store_bind_text(s, 7, org_type_name(c->reporter_type));
	store_bind_text(s, 8, c->reporter_how);
	store_bind_text(s, 9, c->concerned_org);
	store_bind_text(s, 10, org_type_name(c->concerned_type));
	store_bind_text(s, 11, c->concerned_how);
	store_bind_text(s, 12, c->matches);
	store_bind_text(s, 13, c->why);
	store_bind_text(s, 14, c->decided_by);
	store_bind_text(s, 15, c->rules_category ? c->rules_category : c->category);
	store_bind_text(s, 16, c->model_hash);
	store_bind_text(s, 17, c->model_category);
	if (c->model_hash) {
		sqlite3_bind_double(s, 18, c->model_prob);
		sqlite3_bind_double(s, 19, c->model_novelty);
	} else {
		sqlite3_bind_null(s, 18);
		sqlite3_bind_null(s, 19);
	}
	return store_exec(st, Q_CLASS_PUT);
}

int store_class_run_put(store *st, const char *commit, long n_classified)
{
	sqlite3_stmt *s = st->stmt[Q_CLASS_RUN_PUT];

	store_bind_text(s, 1, commit);
	sqlite3_bind_int64(s, 2, n_classified);
	return store_exec(st, Q_CLASS_RUN_PUT);
}

char *store_current_commit(store *st)
{
	sqlite3_stmt *s = st->stmt[Q_CURRENT_COMMIT];
	char *r = NULL;

	if (sqlite3_step(s) == SQLITE_ROW)
		r = store_column_dup(s, 0);
	sqlite3_reset(s);
	return r;
}

long store_class_count(store *st, const char *commit)
{
	sqlite3_stmt *s = st->stmt[Q_CLASS_COUNT];
	long n = 0;

	store_bind_text(s, 1, commit);
	if (sqlite3_step(s) == SQLITE_ROW)
		n = (long)sqlite3_column_int64(s, 0);
	sqlite3_reset(s);
	return n;
}

int store_class_complete(store *st, const char *commit)
{
	sqlite3_stmt *s = store_stmt(st, "SELECT NOT EXISTS (SELECT 1 FROM deviation) OR EXISTS"
				     " (SELECT 1 FROM classification WHERE rules_commit = ?1 AND"
				     "  deviation_id = (SELECT max(id) FROM deviation))");
	int rc = -1;

	if (!s)
		return -1;
	store_bind_text(s, 1, commit);
	if (sqlite3_step(s) == SQLITE_ROW)
		rc = sqlite3_column_int(s, 0) != 0;
	sqlite3_reset(s);
	return rc;
}

int store_totals_get(store *st, store_totals *out)
{
	sqlite3_stmt *s = st->stmt[Q_TOTALS];
	int rc = -1;

	memset(out, 0, sizeof *out);
	if (sqlite3_step(s) == SQLITE_ROW) {
		out->deviations = (long)sqlite3_column_int64(s, 0);
		out->received = (long)sqlite3_column_int64(s, 1);
		out->duplicates = (long)sqlite3_column_int64(s, 2);
		out->skipped = (long)sqlite3_column_int64(s, 3);
		out->quarantined = (long)sqlite3_column_int64(s, 4);
		out->overrides = (long)sqlite3_column_int64(s, 5);
		rc = 0;
	}
	sqlite3_reset(s);
	return rc;
}

static void bind_period(sqlite3_stmt *s, int first, const period *p)
{
	store_bind_text(s, first, p ? p->start : "0000-00-00");
	store_bind_text(s, first + 1, p ? p->end : "9999-99-99");
}

int store_count(store *st, const char *commit, const period *p, store_group g,
		const char *exclude, store_count_fn fn, void *ctx)
{
	static const int q_of[] = {
		[STORE_GROUP_NONE] = Q_COUNT_NONE,
		[STORE_GROUP_DIRECTION] = Q_COUNT_DIRECTION,
		[STORE_GROUP_CATEGORY] = Q_COUNT_CATEGORY,
		[STORE_GROUP_REPORTER_TYPE] = Q_COUNT_REPORTER_TYPE,
		[STORE_GROUP_MONTH] = Q_COUNT_MONTH,
	};
	sqlite3_stmt *s = st->stmt[q_of[g]];
	int rc = 0, step;

	store_bind_text(s, 1, commit);
	bind_period(s, 2, p);
	store_bind_text(s, 4, exclude ? exclude : "");
	while (!rc && (step = sqlite3_step(s)) == SQLITE_ROW) {
		const unsigned char *k = sqlite3_column_text(s, 0);
		rc = fn(ctx, k ? (const char *)k : "", (long)sqlite3_column_int64(s, 1));
	}
	return store_rows_finish(st, s, step, rc);
}

static int type_col(sqlite3_stmt *s, int i)
{
	org_type t = ORG_TYPE_UNKNOWN;
	const unsigned char *v = sqlite3_column_text(s, i);

	if (v)
		org_type_parse((const char *)v, &t);
	return (int)t;
}

int store_export_each(store *st, const char *commit, const period *p, store_export_fn fn,
		      void *ctx)
{
	sqlite3_stmt *s = st->stmt[Q_EXPORT];
	int rc = 0, step;
	const int c0 = 26;   /* first classification column */

	store_bind_text(s, 1, commit);
	bind_period(s, 2, p);
	while (!rc && (step = sqlite3_step(s)) == SQLITE_ROW) {
		avvik_record r;
		avvik_class c;
		const unsigned char *dir = sqlite3_column_text(s, c0 + 2);

		record_from_row(s, &r);
		avvik_class_init(&c);
		c.category = store_column_dup(s, c0);
		c.tags = store_column_dup(s, c0 + 1);
		c.dir = DIR_UKJENT;
		if (dir)
			direction_parse((const char *)dir, &c.dir);
		c.reporter_org = store_column_dup(s, c0 + 3);
		c.reporter_type = (org_type)type_col(s, c0 + 4);
		c.reporter_how = store_column_dup(s, c0 + 5);
		c.concerned_org = store_column_dup(s, c0 + 6);
		c.concerned_type = (org_type)type_col(s, c0 + 7);
		c.concerned_how = store_column_dup(s, c0 + 8);
		c.matches = store_column_dup(s, c0 + 9);
		c.why = store_column_dup(s, c0 + 10);
		c.overridden = sqlite3_column_int(s, c0 + 11);
		rc = fn(ctx, sqlite3_column_int64(s, 0), &r, &c, commit);
		avvik_record_clear(&r);
		avvik_class_clear(&c);
	}
	return store_rows_finish(st, s, step, rc);
}

char *store_meta_get(store *st, const char *key)
{
	sqlite3_stmt *s = st->stmt[Q_META_GET];
	char *r = NULL;

	store_bind_text(s, 1, key);
	if (sqlite3_step(s) == SQLITE_ROW)
		r = store_column_dup(s, 0);
	sqlite3_reset(s);
	return r;
}

int store_meta_put(store *st, const char *key, const char *value)
{
	sqlite3_stmt *s = st->stmt[Q_META_PUT];

	store_bind_text(s, 1, key);
	store_bind_text(s, 2, value);
	return store_exec(st, Q_META_PUT);
}

