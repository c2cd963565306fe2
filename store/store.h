/*
 * store.h - the store stage: the SQLite database (schema, migrations,
 * writes, queries).  Every statement is prepared once per connection and
 * reused.  store/ knows the record and the classification from core/, and
 * nothing of parsers, rules or renderers.
 */
#ifndef AVVIK_STORE_H
#define AVVIK_STORE_H

#include "core/core.h"

typedef struct store store;

/* Opens (create != 0: creates, mode 0600) the database at path, enables WAL
 * and foreign keys, and brings the schema to the current version.  Caller
 * owns *out (store_close).  0 ok; -1 with err filled; -2 when the file is
 * damaged or not a database at all (zero-length, foreign, failing
 * PRAGMA quick_check, which runs at every open of a small database and of
 * one whose header disagrees with its size): fatal, never a new database. */
int store_open(store **out, const char *path, int create, sbuf *err);
void store_close(store *st);
int store_was_created(const store *st);   /* 1 when this open created the file */
int store_schema_version(const store *st);

/* One transaction per batch: the caller brackets its writes.  Inside an
 * open transaction, begin/commit/rollback nest as a savepoint, its release
 * and its rollback: a writer keeps many files in one batch (one commit)
 * and still drops one file alone.  Only the outermost commit is durable. */
int store_begin(store *st);
int store_commit(store *st);
void store_rollback(store *st);
/* Is a transaction open?  How deep (0 none, 1 the outer, more savepoints)? */
int store_in_batch(const store *st);
int store_depth(const store *st);
/* Dry run: store_commit rolls back, so a run does all its work and
 * writes nothing. */
void store_set_dry_run(store *st, int on);
int store_is_dry_run(const store *st);
const char *store_errmsg(store *st);

/* Small settings kept with the data (e.g. where init put the rules
 * repository).  store_meta_get returns a malloc'd copy or NULL. */
char *store_meta_get(store *st, const char *key);
int store_meta_put(store *st, const char *key, const char *value);

/* ---- ingest side ---- */
/* ---- file sources (files.c) ----
 * A file read whole is recorded with its identity and hash in the
 * transaction that stores its messages.  A "message" file (one KITH
 * message, one e-mail) is written once; once it is settled (read whole,
 * nothing quarantined, not modified just before it was read) it is left
 * unread with its directory while that directory is unchanged.  A
 * "document" (an export, an mbox) may be rewritten in place and is looked
 * at every run. */
typedef enum { STORE_FILE_DOCUMENT = 0, STORE_FILE_MESSAGE, STORE_FILE_UNKNOWN /* recorded before schema 3 */ } store_file_kind;
typedef struct {
	const char *path;          /* borrowed: valid during the callback, or the caller's */
	int64_t size, mtime_s, mtime_ns, inode;   /* mtime_ns 0: recorded in whole seconds */
	char sha256[65];           /* of the whole file; "" when not known */
	store_file_kind kind;
	char format[16];           /* as asked for ("auto", "mbox", ...); "" not known */
	int settled;               /* 1 settled; 0 not yet (modified just before it was
				    * read); -1 held: something of it is in quarantine,
				    * so it is read again whenever it changes */
} store_file_row;
typedef int (*store_file_fn)(void *ctx, const store_file_row *row);
/* Calls fn with the row recorded for path, if any.  fn's non-zero value,
 * 0, or -1 on a database error. */
int store_file_get(store *st, const char *path, store_file_fn fn, void *ctx);
/* The files recorded in directory dir (as the walk names it, no trailing
 * '/'), in path order; only those not settled (0 or -1) when unsettled_only. */
int store_files_in_dir(store *st, const char *dir, int unsettled_only, store_file_fn fn, void *ctx);
/* Records row (in directory dir) as read whole.  0 or -1. */
int store_file_mark(store *st, const char *dir, const store_file_row *row);
/* Records path as a file of that kind, settled or not. */
int store_file_set_kind(store *st, const char *path, store_file_kind kind, int settled);
/* How many files of dir are recorded with that value of settled; -1 on error. */
long store_files_count(store *st, const char *dir, int settled);
/* A directory as it was when it was last listed whole with nothing failing:
 * while it is so, no entry in it was added, removed or renamed. */
typedef struct {
	const char *path;          /* borrowed */
	int64_t dev, inode, mtime_ns, ctime_ns;
} store_dir_row;
/* 1 found (*out filled, out->path = path), 0 not recorded, -1 error. */
int store_dir_get(store *st, const char *path, store_dir_row *out);
int store_dir_mark(store *st, const char *parent, const store_dir_row *row);
/* Forgets a file or a directory that is gone, and all recorded under it. */
int store_path_forget(store *st, const char *path);
/* The recorded directories whose parent is parent, in path order. */
int store_dirs_in(store *st, const char *parent, int (*fn)(void *ctx, const char *path), void *ctx);
/* Raw messages, unique by sha256.  status is "deviation" or "skipped".
 * Returns 1 when added (*out_id set), 0 when already there (*out_id set to
 * the existing row), -1 on error. */
int store_raw_put(store *st, const char *sha256, const char *source, const char *origin,
		  const char *status, const char *reason, const void *body, size_t len,
		  int64_t *out_id);
/* Deviation, unique by content hash and by external id.  1 added, 0
 * duplicate (nothing written), -1 error. */
int store_deviation_put(store *st, const avvik_record *r, int64_t raw_id, int64_t *out_id);
/* Quarantine, unique by the bytes' sha256: 1 added (or a resolved item
 * back again: open once more), 0 already quarantined,
 * -1 error. */
int store_quarantine_put(store *st, const char *source, const char *origin, long line,
			 const char *reason, const char *sha256, const void *body, size_t len);

/* ---- quarantine and raw bytes (quarantine.c) ---- */
typedef struct {
	int64_t id;
	const char *source, *origin;   /* borrowed; origin names the file, for a file source */
	long line;
	const char *reason, *sha256;
	int64_t size;
	int has_body;                  /* its bytes are kept (not too large, not purged) */
	const char *created_at, *resolved_at, *retried_at;   /* resolved_at NULL: open */
} store_quarantine_row;
typedef int (*store_quarantine_fn)(void *ctx, const store_quarantine_row *q);
/* The open items (all: every item), in id order: fn's value, 0, or -1. */
int store_quarantine_each(store *st, int all, store_quarantine_fn fn, void *ctx);
/* Item id: 1 found (fn called), 0 none, -1 error. */
int store_quarantine_get(store *st, int64_t id, store_quarantine_fn fn, void *ctx);
/* Item id's bytes into out: 1, 0 when not kept, -1 error. */
int store_quarantine_body(store *st, int64_t id, sbuf *out);
/* Removes item id (before it is read again: it comes back if it fails again). */
int store_quarantine_drop(store *st, int64_t id);
/* A file (origin) was read whole again: its open items that did not come
 * back (their sha256 not among kept[0..n)) are resolved.  How many, or -1. */
int store_quarantine_resolve_file(store *st, const char *origin, const char *const *kept, size_t n);
/* The item with these bytes is resolved (read again without it).  0 or -1. */
int store_quarantine_resolve_sha(store *st, const char *sha256);
/* Notes that item id was tried again now.  0 or -1. */
int store_quarantine_retried(store *st, int64_t id);
/* Retention: the raw bytes of messages received and of items quarantined
 * before `before` (UTC, "YYYY-MM-DDTHH:MM:SSZ") are deleted; records,
 * hashes and reasons stay.  *n_raw, *n_quar: how many.  0 or -1. */
int store_raw_purge(store *st, const char *before, long *n_raw, long *n_quar);
/* PRAGMA secure_delete: deleted content is overwritten in the file. */
int store_secure_delete(store *st, int on);
/* Copies the WAL into the database and truncates it (nothing deleted
 * lingers there).  0, or -1 when busy or failed. */
int store_checkpoint_truncate(store *st);

/* ---- classify side ---- */
typedef int (*store_record_fn)(void *ctx, int64_t id, const avvik_record *r);
/* Calls fn for each deviation; with commit != NULL only for those that have
 * no classification under that commit. */
int store_deviations_each(store *st, const char *commit, store_record_fn fn, void *ctx);
int store_class_put(store *st, int64_t deviation_id, const char *commit, const avvik_class *c);
/* Records that commit is now the one reports use. */
int store_class_run_put(store *st, const char *commit, long n_classified);
/* The rules commit reports use (the latest classify run); NULL when none.
 * Caller frees. */
char *store_current_commit(store *st);
/* Number of classifications stored under commit, and of deviations. */
long store_class_count(store *st, const char *commit);
/* 1 when every deviation is classified under commit, 0 when not, -1 on
 * error.  A lookup, not a count: classification goes in id order and
 * deviations are never deleted, so the ids classified under a commit are
 * a prefix of all ids, and the newest tells. */
int store_class_complete(store *st, const char *commit);

/* ---- the statistical model (store/model.c) ---- */
/* A trained model as stored: its bytes (classify_model_load reads them),
 * named by their SHA-256, with the rules commit and the numbers of
 * examples and overrides it was trained from. */
typedef struct {
	int64_t id;
	char *hash, *rules_commit, *created_at;
	long examples, overrides;
	void *body;
	size_t len;
} store_model;
void store_model_clear(store_model *m);
/* Stores a model (kept when the same hash is stored already) and makes it
 * the current one, which classify uses.  0 ok, -1 error. */
int store_model_put(store *st, const char *hash, const char *rules_commit, long examples, long overrides,
		    const void *body, size_t len);
/* The model named by hash or a prefix of it of at least 6 hex digits
 * (NULL: the current one): 1 found, 0 none, -1 error, -2 the prefix names
 * several. */
int store_model_get(store *st, const char *hash, store_model *out);
/* Records that the latest classify run used model hash (NULL: none). */
int store_class_run_model_put(store *st, const char *hash);
/* The model the latest classify run under commit used: 1 found (*hash
 * malloc'd, NULL when that run used none), 0 no run under commit, -1 error. */
int store_class_run_model(store *st, const char *commit, char **hash);

/* The review queue: classifications under commit that a model took part
 * in, without an override in force, the most worth a look first: where
 * model and rules disagree, where the model is unsure, where the wording
 * is new to it (score = disagreement + (1 - probability) + novelty / 2). */
typedef struct {
	int64_t id;
	const char *category, *decided_by, *rules_category, *model_category;   /* borrowed */
	double model_prob, model_novelty, score;
	const char *subject, *text;
} store_review_row;
typedef int (*store_review_fn)(void *ctx, const store_review_row *row);
int store_review_each(store *st, const char *commit, int limit, store_review_fn fn, void *ctx);

/* ---- report side ---- */
/* Totals that every report names. */
typedef struct {
	long deviations;     /* unique deviations stored */
	long received;       /* messages received: stored, duplicate, skipped or quarantined */
	long duplicates;     /* messages seen again and not stored twice */
	long skipped;
	long quarantined;
	long overrides;      /* manual corrections in force */
} store_totals;
int store_totals_get(store *st, store_totals *out);

typedef enum {
	STORE_GROUP_NONE,
	STORE_GROUP_DIRECTION,
	STORE_GROUP_CATEGORY,
	STORE_GROUP_REPORTER_TYPE,
	STORE_GROUP_MONTH
} store_group;
/* Counts deviations whose count date (event, else reported, else received)
 * lies in p, under commit, grouped; categories in exclude (comma-separated
 * codes, e.g. "faktura") are left out.  fn gets each group key ("" for
 * NONE) and its count, in key order. */
typedef int (*store_count_fn)(void *ctx, const char *key, long count);
int store_count(store *st, const char *commit, const period *p, store_group g,
		const char *exclude, store_count_fn fn, void *ctx);

/* One row of an export: the record and its classification under commit. */
typedef int (*store_export_fn)(void *ctx, int64_t id, const avvik_record *r,
			       const avvik_class *c, const char *commit);
int store_export_each(store *st, const char *commit, const period *p, store_export_fn fn,
		      void *ctx);

/* ---- overrides: manual corrections (store/override.c) ---- */
/* A manual correction of one deviation's category and/or direction, kept
 * with who, when and why.  A new one supersedes the one in force; reports
 * and exports use the one in force over any rules commit's result. */
typedef struct {
	int64_t id, deviation_id;
	char *category, *direction, *reason, *by, *at, *superseded_at;
} store_override;
void store_override_clear(store_override *o);
/* Adds an override (category or direction may be NULL, not both: the part
 * not given is kept from the override in force) and supersedes the one in
 * force, in one transaction.  0 ok; -1 error;
 * -2 no such deviation. */
int store_override_put(store *st, int64_t deviation_id, const char *category, const char *dir,
		       const char *reason, const char *by, int64_t *out_id);
/* The override in force for a deviation: 1 found, 0 none, -1 error. */
int store_override_get(store *st, int64_t deviation_id, store_override *out);
/* Overrides in force (all != 0: with the superseded ones), by deviation then id. */
typedef int (*store_override_fn)(void *ctx, const store_override *o);
int store_override_each(store *st, int all, store_override_fn fn, void *ctx);
/* Every override of one deviation, oldest first (the last one in force). */
int store_override_history(store *st, int64_t deviation_id, store_override_fn fn, void *ctx);
/* One stored deviation by id: 1 found, 0 none, -1 error. */
int store_deviation_get(store *st, int64_t id, avvik_record *out);
/* A deviation's classification under commit (NULL: the current one):
 * 1 found, 0 none.  *at (caller frees, may be NULL) gets classified_at. */
int store_class_get(store *st, int64_t id, const char *commit, avvik_class *out, char **at);

/* ---- source cursors: IMAP UIDVALIDITY/UID, HTTP ETag/since (store/cursor.c) ---- */
/* A source's position, written in the transaction of the messages it
 * covers.  store_cursor_get returns a malloc'd copy, NULL when unset. */
char *store_cursor_get(store *st, const char *source, const char *key);
int store_cursor_put(store *st, const char *source, const char *key, const char *value);
/* A raw message that came inside another (an e-mail's XML attachment):
 * links raw_id to the raw message with parent_sha256.  0 ok (also when the
 * parent is not stored), -1 error. */
int store_raw_set_parent(store *st, int64_t raw_id, const char *parent_sha256);

/* ---- deliveries by e-mail (store/delivery.c) ---- */
/* A delivery NAME of period p to target ("" for the delivery's recipients,
 * an org id for a per-organisation feedback report).  store_delivery_state:
 * 1 sent, 0 never tried or failed (*attempts gets the tries so far), -1
 * error. */
int store_delivery_state(store *st, const char *name, const period *p, const char *target,
			 int *attempts);
/* Records one try: ok, or failed with error (never a secret); message_id
 * and recipients (comma-separated) as sent.  0 or -1. */
int store_delivery_record(store *st, const char *name, const period *p, const char *target, int ok,
			  const char *error, const char *message_id, const char *recipients);

/* ---- report queries beyond store_count (store/query.c) ---- */
/* A filter on the effective classification (overrides applied).  NULL
 * fields filter nothing. */
typedef struct {
	const char *categories;  /* comma-separated codes, e.g. one FSU's categories */
	const char *direction;   /* canonical name, "kommune→unn" */
	const char *org;         /* registry id: reporter or concerned org is it or a
				    sub-unit of it ("unn" matches "unn-tromso") */
	const char *org_name;    /* or: a party's name as written contains this
				    (ASCII case-insensitive) */
} store_filter;

typedef enum {
	STORE_Q_NONE,
	STORE_Q_MONTH,           /* "2024-03" */
	STORE_Q_QUARTER,         /* "2024-Q1" */
	STORE_Q_CATEGORY,
	STORE_Q_DIRECTION,
	STORE_Q_REPORTER_TYPE,
	STORE_Q_QUARTER_CATEGORY,/* "2024-Q1	epikrise" */
	STORE_Q_QUARTER_PAIR,    /* "2024-Q1	tromso	unn-tromso": reporter and
				    concerned org id, else "?" + the name as written */
	STORE_Q_MONTH_CATEGORY,  /* "2024-03	epikrise" */
	STORE_Q_SOURCE_MONTH,    /* "docmap	2024-03": which months each source covers */
	STORE_Q__COUNT
} store_qgroup;
/* Like store_count, with a filter and more groupings; keys in key order. */
int store_query_count(store *st, const char *commit, const period *p, const char *exclude,
		      const store_filter *f, store_qgroup g, store_count_fn fn, void *ctx);

/* First and last count date ("YYYY-MM-DD") of the deviations classified
 * under commit (filter applied); 0 ok, 1 no data, -1 error. */
int store_query_range(store *st, const char *commit, const char *exclude,
		      const store_filter *f, char first[11], char last[11]);

/* Up to limit deviations of category in p (filter applied), newest first:
 * id, external id, count date and the stored (already scrubbed) text. */
typedef int (*store_example_fn)(void *ctx, int64_t id, const char *ext_id, const char *date,
				const char *subject, const char *text);
int store_query_examples(store *st, const char *commit, const period *p, const char *exclude,
			 const store_filter *f, const char *category, int limit,
			 store_example_fn fn, void *ctx);

/* Copies the database to path through SQLite's online backup API, in one
 * snapshot while other connections may write; the copy is written beside
 * path (mode 0600), checked (quick_check), synced and renamed into place.
 * *pages_out: its size in pages.  0 ok; -1 with err. */
int store_backup(store *st, const char *path, long *pages_out, sbuf *err);

/* ---- the list of deviations: filters, search, paging (store/search.c) ----
 * One query for `avvik list`, `avvik search` and the workspace.  NULL
 * fields filter nothing.  Organisation ids match sub-units: "unn" matches
 * "unn-tromso". */
typedef struct {
	const char *commit;      /* classification read; NULL: the current one */
	const period *p;         /* count date in [start, end) */
	const char *org;         /* reporter or concerned org is it */
	const char *category;    /* effective category (override applied) */
	const char *direction;   /* effective direction, canonical name */
	const char *source;      /* configured source name */
	int overridden;          /* -1 any, 0 without an override, 1 with one */
	const char *search;      /* words searched in subject and text: each a
				    prefix, all must occur; NULL or blank: none */
	const char *scope;       /* comma-separated org ids the reader may see
				    (reporter or concerned org in it); NULL: all */
	long offset, limit;      /* paging; limit 0: no limit */
	long count_max;          /* count at most this many (0: all): *total is then
				    count_max + 1 when more match */
} store_list_filter;
/* Every field borrowed: valid during the callback only. */
typedef struct {
	int64_t id;
	const char *ext_id, *date, *source, *category, *direction;
	const char *reporter_org, *reporter_name, *concerned_org, *concerned_name;
	const char *subject, *text;
	int overridden;
} store_list_row;
typedef int (*store_list_fn)(void *ctx, const store_list_row *row);
void store_list_filter_init(store_list_filter *f);
/* Calls fn for each deviation of f, newest count date first; *total (may be
 * NULL) gets how many match without paging.  fn's non-zero value, 0, or -1
 * on a database error. */
int store_list_query(store *st, const store_list_filter *f, store_list_fn fn, void *ctx,
		     long *total);
/* 1 when org (a registry id, may be NULL) is one of the comma-separated ids
 * in set or a sub-unit of one ("unn-tromso" of "unn"). */
int store_org_in(const char *org, const char *set);

/* ---- workspace accounts, sessions and the audit trail (store/user.c) ---- */
typedef struct {
	int64_t id;
	char *name, *pwhash, *role, *orgs;   /* role "adviser", "fsu" or "admin";
						orgs comma-separated registry ids */
	int disabled;
	long failed;                          /* failed logins since the last success */
	char *locked_until;                   /* "YYYY-MM-DDTHH:MM:SSZ" or NULL */
	int locked;                           /* locked_until lies in the future */
} store_user;
void store_user_clear(store_user *u);
/* 0 ok, -2 the name exists, -1 error. */
int store_user_add(store *st, const char *name, const char *pwhash, const char *role,
		   const char *orgs);
/* 1 found (*out filled, caller clears), 0 none, -1 error. */
int store_user_get(store *st, const char *name, store_user *out);
typedef int (*store_user_fn)(void *ctx, const store_user *u);
int store_user_each(store *st, store_user_fn fn, void *ctx);
/* 0 ok, -2 no such user, -1 error. */
int store_user_set_disabled(store *st, const char *name, int disabled);
int store_user_set_pwhash(store *st, const char *name, const char *pwhash);
/* A failed login: counts it and, at max_failures, locks the account for
 * lock_seconds.  A successful one resets the count. */
int store_user_login_failed(store *st, int64_t user_id, long max_failures, long lock_seconds);
int store_user_login_ok(store *st, int64_t user_id);
/* Sessions are found by the hash of their token: the token itself is
 * never stored. */
int store_session_put(store *st, const char *token_hash, int64_t user_id, const char *csrf,
		      long ttl_seconds);
/* 1 valid (not expired, user not disabled; *user and *csrf filled, caller
 * frees), 0 none, -1 error. */
int store_session_get(store *st, const char *token_hash, store_user *user, char **csrf);
int store_session_delete(store *st, const char *token_hash);
/* One line of the audit trail: who did what to what, and from where. */
int store_audit_put(store *st, const char *actor, const char *action, const char *target,
		    const char *detail, const char *addr);
typedef int (*store_audit_fn)(void *ctx, const char *at, const char *actor, const char *action,
			      const char *target, const char *detail, const char *addr);
/* Newest first, at most limit (0: all). */
int store_audit_each(store *st, long limit, store_audit_fn fn, void *ctx);

#endif
