/*
 * pipeline_files.c - directory, Maildir and mbox sources.  Each file is
 * stored in one transaction with its identity (size, mtime, inode, sha256),
 * so a file read whole is not read again.  Each directory listed whole is
 * remembered too: while its identity is unchanged no entry in it was added,
 * removed or renamed, so a nightly run lists it not, and looks only at the
 * files in it that are not settled (store.h).  With jobs > 1 worker threads
 * parse; this thread walks and is the one writer; the queues between them
 * are bounded, so memory does not grow with the number of files.
 */
#include "cli/pipeline_int.h"

#include <assert.h>
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

/* A file modified this shortly before it was read may still have been
 * being written: it is looked at again until it has been quiet so long. */
#define FILES_SETTLE_SECS 60
/* A directory modified this shortly before it was listed may change again
 * within one timestamp tick: it is not trusted to be unchanged. */
#define FILES_RACY_SECS 2
/* Settled marks are written in batches of this many. */
#define FILES_SETTLE_BATCH 1000
/* Files stored in one transaction (a batch): at most this many, this many
 * bytes, or this long, whichever comes first.  A crash loses the batch,
 * and the next run reads its files again (their identity is in it too). */
#define FILES_BATCH_FILES 500
#define FILES_BATCH_BYTES ((int64_t)16 << 20)
#define FILES_BATCH_NS ((int64_t)1000000000)
/* Files larger than this are parsed by the writer itself, streaming, so
 * a huge export never sits in memory as a parsed batch. */
#define FILES_MAX_BATCH_FILE ((off_t)8 << 20)
/* Parsed files waiting for the writer hold at most about this much (one
 * larger batch is let through alone), besides their number. */
#define FILES_QUEUE_BYTES ((size_t)32 << 20)

/* A file recorded before, as loaded for its directory. */
typedef struct {
	char *path;
	store_file_row row;
	int seen;               /* found on disk this run */
} files_known;

/* A directory being walked, or walked and waiting for its last files to
 * be stored (jobs > 1). */
typedef struct files_dir {
	char *key;              /* as stored: the walked path without trailing '/' */
	char *parent;           /* the key of the directory it is in, by its path */
	store_dir_row id;       /* its stat when the walk came to it */
	int listed;             /* listed (else: unchanged, known entries visited) */
	int trusted;            /* not modified just before it was listed */
	int failed;             /* an entry in it could not be read or stored */
	int ended;              /* the walk has left it */
	long pending;           /* its files queued, not stored yet */
	files_known *known;     /* its files recorded before, by path */
	size_t n_known, alloc_known;
	struct files_dir *up;   /* the walk's stack */
} files_dir;

typedef struct files_queue files_queue;

typedef struct {
	char *path;
	store_file_kind kind;
	int settled;
} files_settle;

typedef struct {
	ingest_run *run;
	ingest_ctx *ictx;
	pipeline_counts *total;
	int every_file;         /* --rescan or scan = every-file */
	time_t now;
	files_dir *cur;
	files_settle *settle;   /* files found quiet, to mark settled */
	size_t n_settle, alloc_settle;
	files_queue *q;         /* jobs > 1 */
	long dirs_listed, dirs_unchanged;
	char *root;             /* the source's path, spelled one way */
	struct files_priv { dev_t dev; ino_t ino; } *priv;
	long batch_files;       /* files in the open batch */
	int64_t batch_bytes, batch_start_ns;
	size_t n_priv;          /* avvik's own files: never input */
} files_scan;

static int64_t files_ns(const struct timespec *t)
{
	return (int64_t)t->tv_sec * 1000000000 + t->tv_nsec;
}

/* The directory part of path as the store keys it: "a/b/c.xml" -> "a/b",
 * "/c.xml" -> "/", "c.xml" -> ".". */
static void files_parent_key(const char *path, sbuf *out)
{
	const char *slash = strrchr(path, '/');
	size_t n;

	sbuf_reset(out);
	if (!slash) {
		sbuf_adds(out, ".");
		return;
	}
	n = (size_t)(slash - path);
	while (n > 0 && path[n - 1] == '/')
		n--;
	if (n == 0)
		sbuf_adds(out, "/");
	else
		sbuf_add(out, path, n);
}

/* "in//2024/" -> "in/2024": one spelling, so that one directory is one
 * row however the configuration writes it. */
static char *files_path_normal(const char *path)
{
	sbuf p = SBUF_INIT;
	const char *c;

	for (c = path; *c; c++)
		if (*c != '/' || !p.len || p.buf[p.len - 1] != '/')
			sbuf_add(&p, c, 1);
	while (p.len > 1 && p.buf[p.len - 1] == '/')
		sbuf_setlen(&p, p.len - 1);
	return sbuf_detach(&p, NULL);
}

/* The directory a directory key is in, by its path (so that a walk that
 * starts lower down records the same parent); NULL for "/" and ".". */
static char *files_dir_parent(const char *key)
{
	sbuf p = SBUF_INIT;

	if (!strcmp(key, "/") || !strcmp(key, "."))
		return NULL;
	files_parent_key(key, &p);
	return sbuf_detach(&p, NULL);
}

/* A walked directory as the store keys it: no trailing '/'. */
static char *files_dir_key(const char *dir)
{
	size_t n = strlen(dir);

	while (n > 1 && dir[n - 1] == '/')
		n--;
	return xstrndup(dir, n);
}

static store_file_kind files_kind(ingest_format f)
{
	/* one KITH message or one e-mail is written once; an export or an
	 * mbox is a document that may be rewritten or appended to */
	return f == INGEST_FORMAT_MSGHEAD || f == INGEST_FORMAT_EML || f == INGEST_FORMAT_MAILDIR
		? STORE_FILE_MESSAGE : STORE_FILE_DOCUMENT;
}

static int files_quiet(const files_scan *s, const struct stat *sb)
{
	return s->now - sb->st_mtim.tv_sec >= FILES_SETTLE_SECS;
}

static int files_same(const store_file_row *row, const struct stat *sb)
{
	if (row->size != (int64_t)sb->st_size || row->inode != (int64_t)sb->st_ino)
		return 0;
	/* rows from before schema 3 hold whole seconds only */
	return row->mtime_ns ? row->mtime_ns == files_ns(&sb->st_mtim)
			     : row->mtime_s == (int64_t)sb->st_mtim.tv_sec;
}

static void files_row_fill(store_file_row *row, const char *path, const struct stat *sb)
{
	memset(row, 0, sizeof *row);
	row->path = path;
	row->size = (int64_t)sb->st_size;
	row->mtime_s = (int64_t)sb->st_mtim.tv_sec;
	row->mtime_ns = files_ns(&sb->st_mtim);
	row->inode = (int64_t)sb->st_ino;
}

/* Records the file read whole, in the caller's transaction. */
static int files_mark(files_scan *s, const char *path, const struct stat *sb, const char *sha256,
		      store_file_kind kind, int held)
{
	store_file_row row;
	sbuf dir = SBUF_INIT;
	int rc;

	files_row_fill(&row, path, sb);
	memcpy(row.sha256, sha256, sizeof row.sha256);
	row.kind = kind;
	snprintf(row.format, sizeof row.format, "%s", ingest_format_name(s->run->src->format));
	row.settled = held ? -1 : kind == STORE_FILE_MESSAGE && files_quiet(s, sb);
	files_parent_key(path, &dir);
	rc = store_file_mark(s->run->st, dir.buf, &row);
	sbuf_release(&dir);
	return rc;
}

/* ---- what was recorded of a directory ---- */

/* k becomes an owned copy of row (the store's row is borrowed). */
static void files_known_set(files_known *k, const store_file_row *row)
{
	k->path = xstrdup(row->path);
	k->row = *row;
	k->row.path = k->path;
	k->seen = 0;
}

static int files_known_add(void *ctx, const store_file_row *row)
{
	files_dir *d = ctx;

	if (d->n_known == d->alloc_known) {
		d->alloc_known = d->alloc_known ? 2 * d->alloc_known : 64;
		d->known = xrealloc(d->known, d->alloc_known * sizeof *d->known);
	}
	files_known_set(&d->known[d->n_known++], row);
	return 0;
}

static void files_known_clear(files_dir *d)
{
	size_t i;

	for (i = 0; i < d->n_known; i++)
		free(d->known[i].path);
	free(d->known);
	d->known = NULL;
	d->n_known = d->alloc_known = 0;
}

/* The row recorded for path in d (rows come in path order), or NULL. */
static files_known *files_known_find(const files_dir *d, const char *path)
{
	size_t lo = 0, hi = d->n_known;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int c = strcmp(d->known[mid].path, path);
		if (!c)
			return &d->known[mid];
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

/* store_file_get's callback: keeps the one row. */
static int files_row_copy(void *ctx, const store_file_row *row)
{
	files_known_set(ctx, row);
	return 1;
}

typedef struct {
	ingest_walk_names *names;
	size_t prefix;
} files_names;

static int files_name_file(void *ctx, const store_file_row *row)
{
	files_names *n = ctx;

	ingest_walk_names_add(n->names, row->path + n->prefix);
	return 0;
}

static int files_name_dir(void *ctx, const char *path)
{
	const char *slash = strrchr(path, '/');

	ingest_walk_names_add(((files_names *)ctx)->names, slash ? slash + 1 : path);
	return 0;
}

/* Ends a small transaction of the scan's own (marks, forgetting): rc 0
 * commits; otherwise, or when the commit fails, it is rolled back and the
 * database counts as failed.  0 or -1. */
static int files_txn_end(files_scan *s, int rc)
{
	if (!rc)
		rc = store_commit(s->run->st);
	if (rc) {
		store_rollback(s->run->st);
		s->run->db_failed = 1;
		return -1;
	}
	return 0;
}

/* ---- settled marks, in batches ---- */

static int files_settle_flush(files_scan *s)
{
	store *st = s->run->st;
	size_t i;
	int rc = 0;

	if (!s->n_settle)
		return 0;
	rc = store_begin(st);
	for (i = 0; i < s->n_settle && !rc; i++)
		rc = store_file_set_kind(st, s->settle[i].path, s->settle[i].kind, s->settle[i].settled);
	rc = files_txn_end(s, rc);
	for (i = 0; i < s->n_settle; i++)
		free(s->settle[i].path);
	s->n_settle = 0;
	return rc;
}

static int files_settle_later(files_scan *s, const char *path, store_file_kind kind, int settled)
{
	if (s->n_settle == s->alloc_settle) {
		s->alloc_settle = s->alloc_settle ? 2 * s->alloc_settle : 64;
		s->settle = xrealloc(s->settle, s->alloc_settle * sizeof *s->settle);
	}
	s->settle[s->n_settle].path = xstrdup(path);
	s->settle[s->n_settle].kind = kind;
	s->settle[s->n_settle].settled = settled;
	s->n_settle++;
	return s->n_settle >= FILES_SETTLE_BATCH ? files_settle_flush(s) : 0;
}

/* ---- directories ---- */

static int files_dir_write(files_scan *s, const files_dir *d, int trusted)
{
	store *st = s->run->st;
	store_dir_row row = d->id;

	/* not to be trusted: a row that never matches, so that the directory
	 * is listed next time, and its parent knows it is there */
	if (!trusted)
		row.mtime_ns = row.ctime_ns = -1;
	return files_txn_end(s, store_begin(st) || store_dir_mark(st, d->parent, &row));
}

static void files_dir_free(files_dir *d)
{
	files_known_clear(d);
	free(d->key);
	free(d->parent);
	free(d);
}

/* All files of d are stored: it is recorded as listed whole. */
static int files_dir_finish(files_scan *s, files_dir *d)
{
	int rc = 0;

	assert(d->ended && d->pending == 0);
	if (d->listed)
		rc = files_dir_write(s, d, d->trusted && !d->failed);
	files_dir_free(d);
	return rc;
}

/* One file of d is stored (rc 0) or not: the last one finishes d, which is
 * recorded only when the database is still sound. */
static int files_dir_release(files_scan *s, files_dir *d, int rc)
{
	if (!d || --d->pending > 0 || !d->ended)
		return rc;
	if (rc < 0 || s->run->db_failed) {
		files_dir_free(d);
		return rc;
	}
	return files_dir_finish(s, d);
}

static int files_dir_start(void *ctx, const char *dir, const struct stat *sb, ingest_walk_names *names)
{
	files_scan *s = ctx;
	store *st = s->run->st;
	files_dir *d = xcalloc(1, sizeof *d);
	store_dir_row was;
	int found;

	d->key = files_dir_key(dir);
	d->parent = files_dir_parent(d->key);
	d->id.path = d->key;
	d->id.dev = (int64_t)sb->st_dev;
	d->id.inode = (int64_t)sb->st_ino;
	d->id.mtime_ns = files_ns(&sb->st_mtim);
	d->id.ctime_ns = files_ns(&sb->st_ctim);
	d->trusted = s->now - sb->st_mtim.tv_sec >= FILES_RACY_SECS &&
		     s->now - sb->st_ctim.tv_sec >= FILES_RACY_SECS;
	d->up = s->cur;
	s->cur = d;

	found = store_dir_get(st, d->key, &was);
	if (found < 0)
		goto db_failed;
	if (found && !s->every_file && was.dev == d->id.dev && was.inode == d->id.inode &&
	    was.mtime_ns == d->id.mtime_ns && was.ctime_ns == d->id.ctime_ns) {
		/* unchanged since listed whole: visit the subdirectories and
		 * the files not settled; count the settled ones as seen */
		files_names n = { names, strlen(d->key) + (strcmp(d->key, "/") ? 1 : 0) };
		long settled = store_files_count(st, d->key, 1);

		if (settled < 0 ||
		    store_files_in_dir(st, d->key, 1, files_known_add, d) ||
		    store_dirs_in(st, d->key, files_name_dir, &n))
			goto db_failed;
		for (size_t i = 0; i < d->n_known; i++)
			files_name_file(&n, &d->known[i].row);
		s->total->files += settled;
		s->total->files_unchanged += settled;
		s->dirs_unchanged++;
		return 1;
	}
	d->listed = 1;
	s->dirs_listed++;
	/* recorded at once as "being read": should the run end before this
	 * directory is done, its parent still leads the next run here */
	if ((!found || was.mtime_ns != -1) && files_dir_write(s, d, 0))
		return -1;
	if (store_files_in_dir(st, d->key, 0, files_known_add, d))
		goto db_failed;
	return 0;
db_failed:
	s->run->db_failed = 1;
	return -1;
}

/* A directory listed whole: what was recorded in it and is there no more
 * is forgotten (it would be counted as seen, and would never be missed). */
static int files_dir_forget_unseen(files_scan *s, files_dir *d)
{
	store *st = s->run->st;
	size_t i, n = 0;
	int rc = 0;

	for (i = 0; i < d->n_known; i++)
		n += !d->known[i].seen;
	if (!n)
		return 0;
	rc = store_begin(st);
	for (i = 0; i < d->n_known && !rc; i++)
		if (!d->known[i].seen)
			rc = store_path_forget(st, d->known[i].path);
	return files_txn_end(s, rc);
}

static int files_dir_end(void *ctx, const char *dir, int whole)
{
	files_scan *s = ctx;
	files_dir *d = s->cur;
	int rc = 0;

	(void)dir;
	assert(d);
	s->cur = d->up;
	d->ended = 1;
	if (!whole) {
		/* could not be listed: reported by the walk; listed again next run */
		d->failed = 1;
		s->total->failed = 1;
	} else if (d->listed && !d->failed) {
		rc = files_dir_forget_unseen(s, d);
	}
	files_known_clear(d);   /* the walk has left it: no more lookups */
	if (!rc)
		rc = files_settle_flush(s);
	if (rc) {
		if (!d->pending)
			files_dir_free(d);
		else
			d->failed = 1;   /* freed by the last of its files, not recorded */
		return -1;
	}
	return d->pending ? 0 : files_dir_finish(s, d);
}

/* Walk callbacks: a remembered entry is gone; an entry could not be read. */
static void files_gone(void *ctx, const char *path)
{
	files_scan *s = ctx;

	files_txn_end(s, store_begin(s->run->st) || store_path_forget(s->run->st, path));
}

static void files_problem(void *ctx, const char *path)
{
	files_scan *s = ctx;

	(void)path;
	s->total->failed = 1;
	if (s->cur)
		s->cur->failed = 1;
}

/* ---- batches ---- */

static int64_t files_now_ns(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return files_ns(&t);
}

static int files_batch_begin(files_scan *s)
{
	s->batch_files = 0;
	s->batch_bytes = 0;
	s->batch_start_ns = files_now_ns();
	if (store_begin(s->run->st)) {
		s->run->db_failed = 1;
		return -1;
	}
	return 0;
}

/* Ends the open batch: committed (ok) or rolled back. */
static int files_batch_end(files_scan *s, int ok)
{
	store *st = s->run->st;

	if (!store_in_batch(st))
		return ok ? 0 : -1;
	if (ok && !s->run->db_failed && store_commit(st) == 0)
		return 0;
	if (ok)
		log_error("database: the batch commit failed: %s", store_errmsg(st));
	store_rollback(st);
	s->run->db_failed = 1;
	return -1;
}

/* One more file in the batch: committed when it is full. */
static int files_batch_add(files_scan *s, int64_t bytes)
{
	s->batch_files++;
	s->batch_bytes += bytes;
	if (s->batch_files < FILES_BATCH_FILES && s->batch_bytes < FILES_BATCH_BYTES &&
	    files_now_ns() - s->batch_start_ns < FILES_BATCH_NS)
		return 0;
	return files_batch_end(s, 1) || files_batch_begin(s);
}

/* ---- reading one file ---- */


/* The outcome of reading a file, stored by the writer: its items are
 * already with the sink (sequential) or replayed from a batch (jobs > 1). */
static int files_store_end(files_scan *s, files_dir *d, const char *path, int rc, int saved_errno,
			   const ingest_file_info *info)
{
	ingest_run *run = s->run;
	store *st = run->st;
	sbuf shown = SBUF_INIT;

	if (rc == 0 && !run->db_failed &&
	    files_mark(s, path, &info->st, info->sha256, files_kind(info->format), run->file_held > 0) == 0 &&
	    pipeline_file_resolve(run) == 0 && store_commit(st) == 0) {
		pipeline_counts_add(s->total, &run->file);
		return files_batch_add(s, (int64_t)info->st.st_size);
	}
	if (run->db_failed || (rc == 0 && saved_errno == 0)) {
		/* the message before the rollback clears it */
		log_error("%s: database write failed: %s", ingest_name_shown(s->ictx, path, &shown),
			  store_errmsg(st));
		sbuf_release(&shown);
		store_rollback(st);
		run->db_failed = 1;
		if (d)
			d->failed = 1;
		return -1;
	}
	store_rollback(st);
	/* Could not be read: nothing of it was stored; the next run tries again. */
	if (saved_errno == ESTALE)
		log_error("%s: changed while being read; nothing of it was stored, "
			  "it is read again whole next run", ingest_name_shown(s->ictx, path, &shown));
	else
		log_warn("%s: cannot read: %s", ingest_name_shown(s->ictx, path, &shown), strerror(saved_errno));
	sbuf_release(&shown);
	s->total->failed = 1;
	if (d)
		d->failed = 1;
	return 0;
}

static int files_read_now(files_scan *s, files_dir *d, const char *path)
{
	ingest_run *run = s->run;
	ingest_file_info info;
	int rc;

	pipeline_file_begin(run, path);
	memset(&info, 0, sizeof info);
	if (store_begin(run->st)) {
		run->db_failed = 1;
		return -1;
	}
	errno = 0;
	rc = ingest_file_read(s->ictx, path, run->src->format, &info);
	rc = files_store_end(s, d, path, rc, rc ? errno : 0, &info);
	pipeline_file_end(run);
	return rc;
}

static int files_queue_file(files_scan *s, files_dir *d, const char *path, const struct stat *sb);

/* Walk callback: a file of the source.  Unchanged: nothing to do.
 * Changed in identity but not in content: the new identity is recorded.
 * Otherwise it is read. */
static int files_visit(void *ctx, const char *path)
{
	files_scan *s = ctx;
	files_dir *d = s->cur;
	files_known one = { NULL, { 0 }, 0 }, *k = NULL;
	const store_file_row *row;
	struct stat sb;
	int rc = 0;

	s->total->files++;
	if (d) {
		k = files_known_find(d, path);
		row = k ? &k->row : NULL;
	} else {
		/* the source is this one file (an mbox, say) */
		if (store_file_get(s->run->st, path, files_row_copy, &one) < 0) {
			s->run->db_failed = 1;
			return -1;
		}
		row = one.path ? &one.row : NULL;
	}
	if (stat(path, &sb) != 0) {
		int e = errno;
		sbuf shown = SBUF_INIT;
		log_warn("%s: %s", ingest_name_shown(s->ictx, path, &shown), strerror(e));
		sbuf_release(&shown);
		files_problem(s, path);
		goto out;
	}
	if (k)
		k->seen = 1;
	for (size_t i = 0; i < s->n_priv; i++)
		if (sb.st_dev == s->priv[i].dev && sb.st_ino == s->priv[i].ino) {
			/* the key or the database as "input" would put the key's
			 * bytes in the quarantine table, for any reader of a copy */
			sbuf shown = SBUF_INIT;
			log_warn("%s: skipped: avvik's own file (its database, key, configuration "
				 "or a secret), never read as input", ingest_name_shown(s->ictx, path, &shown));
			sbuf_release(&shown);
			s->total->skipped++;
			goto out;
		}
	/* recorded before kinds were (schema 2): read once more, so that its
	 * kind and whether anything of it is in quarantine are known */
	if (row && row->kind == STORE_FILE_UNKNOWN)
		row = NULL;
	/* read as another format than asked for now (a wrong --format, put
	 * right): read again */
	if (row && strcmp(row->format[0] ? row->format : "auto",
			  ingest_format_name(s->run->src->format)))
		row = NULL;
	if (row && files_same(row, &sb)) {
		s->total->files_unchanged++;
		/* not settled only for want of quiet (a held file stays held) */
		if (row->settled == 0 && row->kind == STORE_FILE_MESSAGE && files_quiet(s, &sb))
			rc = files_settle_later(s, path, row->kind, 1);
		goto out;
	}
	if (row && row->sha256[0]) {
		char sha[65];
		/* touched, copied back, restored from a backup: same bytes, read
		 * no more; only the new identity is recorded */
		if (ingest_file_digest(path, sha) == 0 && !strcmp(sha, row->sha256)) {
			s->total->files_unchanged++;
			rc = files_txn_end(s, store_begin(s->run->st) ||
					   files_mark(s, path, &sb, sha, row->kind, row->settled < 0));
			goto out;
		}
	}
	rc = s->q ? files_queue_file(s, d, path, &sb) : files_read_now(s, d, path);
out:
	free(one.path);
	return rc;
}

/* ---- jobs > 1: workers parse into batches, the writer stores them ---- */

typedef struct {
	char *path;
	files_dir *dir;
	off_t size;
	int rc, err;            /* ingest_file_read's result and errno */
	int deferred;           /* too large: the writer parses it */
	ingest_file_info info;
	pipeline_batch batch;
} parsed_file;

/* Two bounded rings: files to parse, and parsed files to store.  The
 * writer does not wait for room to add a file: it stores one meanwhile. */
struct files_queue {
	pthread_mutex_t mu;
	pthread_cond_t unparsed_ready, parsed_ready, parsed_room;
	parsed_file **unparsed, **parsed;
	size_t cap, unparsed_head, unparsed_n, parsed_head, parsed_n;
	size_t parsed_bytes;      /* what the parsed files waiting hold */
	long in_flight;         /* queued, being parsed or parsed, not stored */
	int closed;             /* no more files: workers finish */
	const ingest_ctx *base;
	ingest_format format;
};

static void parsed_file_free(parsed_file *pf)
{
	pipeline_batch_clear(&pf->batch);
	free(pf->path);
	free(pf);
}

static void *files_worker(void *arg)
{
	files_queue *q = arg;
	ingest_ctx ctx = *q->base;

	for (;;) {
		parsed_file *pf;

		pthread_mutex_lock(&q->mu);
		while (!q->unparsed_n && !q->closed)
			pthread_cond_wait(&q->unparsed_ready, &q->mu);
		if (!q->unparsed_n) {
			pthread_mutex_unlock(&q->mu);
			return NULL;
		}
		pf = q->unparsed[q->unparsed_head];
		q->unparsed_head = (q->unparsed_head + 1) % q->cap;
		q->unparsed_n--;
		pthread_mutex_unlock(&q->mu);

		if (pf->size > FILES_MAX_BATCH_FILE) {
			pf->deferred = 1;
		} else {
			ctx.sink = pipeline_batch_sink;
			ctx.sink_ctx = &pf->batch;
			errno = 0;
			pf->rc = ingest_file_read(&ctx, pf->path, q->format, &pf->info);
			pf->err = pf->rc ? errno : 0;
		}
		pthread_mutex_lock(&q->mu);
		while ((q->parsed_n == q->cap ||
			(q->parsed_n && q->parsed_bytes + pf->batch.bytes > FILES_QUEUE_BYTES)) && !q->closed)
			pthread_cond_wait(&q->parsed_room, &q->mu);
		q->parsed[(q->parsed_head + q->parsed_n) % q->cap] = pf;
		q->parsed_n++;
		q->parsed_bytes += pf->batch.bytes;
		pthread_cond_signal(&q->parsed_ready);
		pthread_mutex_unlock(&q->mu);
	}
}

/* Stores one parsed file: replays its items through the same sink as the
 * sequential path, in one transaction with the file's identity. */
static int files_store_parsed(files_scan *s, parsed_file *pf)
{
	ingest_run *run = s->run;
	files_dir *d = pf->dir;
	int rc;

	if (pf->deferred) {
		rc = files_read_now(s, d, pf->path);
	} else {
		pipeline_file_begin(run, pf->path);
		if (store_begin(run->st)) {
			run->db_failed = 1;
			rc = -1;
		} else {
			pipeline_batch_replay(run, &pf->batch);
			rc = files_store_end(s, d, pf->path, pf->rc, pf->err, &pf->info);
		}
		pipeline_file_end(run);
	}
	return files_dir_release(s, d, rc);
}

/* The writer takes one parsed file, waiting for it; 1 when nothing is in
 * flight any more. */
static int files_queue_take(files_queue *q, parsed_file **out)
{
	pthread_mutex_lock(&q->mu);
	if (!q->in_flight) {
		pthread_mutex_unlock(&q->mu);
		return 1;
	}
	while (!q->parsed_n)
		pthread_cond_wait(&q->parsed_ready, &q->mu);
	*out = q->parsed[q->parsed_head];
	q->parsed_head = (q->parsed_head + 1) % q->cap;
	q->parsed_n--;
	q->parsed_bytes -= (*out)->batch.bytes;
	q->in_flight--;
	/* every waiting worker: with the bound in bytes, which one fits now
	 * is not known here */
	pthread_cond_broadcast(&q->parsed_room);
	pthread_mutex_unlock(&q->mu);
	return 0;
}

static int files_store_one(files_scan *s)
{
	parsed_file *pf;
	int rc;

	if (files_queue_take(s->q, &pf))
		return 1;
	rc = files_store_parsed(s, pf);
	parsed_file_free(pf);
	return rc;
}

static int files_queue_file(files_scan *s, files_dir *d, const char *path, const struct stat *sb)
{
	files_queue *q = s->q;
	parsed_file *pf = xcalloc(1, sizeof *pf);

	pf->path = xstrdup(path);
	pf->dir = d;
	pf->size = sb->st_size;
	if (d)
		d->pending++;
	for (;;) {
		int full;

		pthread_mutex_lock(&q->mu);
		full = q->unparsed_n == q->cap;
		if (!full) {
			q->unparsed[(q->unparsed_head + q->unparsed_n) % q->cap] = pf;
			q->unparsed_n++;
			q->in_flight++;
			pthread_cond_signal(&q->unparsed_ready);
		}
		pthread_mutex_unlock(&q->mu);
		if (!full)
			return 0;
		/* the workers are behind: store what they have parsed meanwhile */
		if (files_store_one(s) < 0) {
			if (d)
				d->pending--;
			parsed_file_free(pf);
			return -1;
		}
	}
}

/* Stores whatever is still in flight; with fail set, only drains. */
static int files_queue_drain(files_scan *s, int fail)
{
	parsed_file *pf;
	int rc = fail ? -1 : 0;

	while (files_queue_take(s->q, &pf) == 0) {
		if (rc == 0) {
			if (files_store_parsed(s, pf) < 0)
				rc = -1;
		} else {
			files_dir_release(s, pf->dir, -1);   /* not recorded: listed again next run */
		}
		parsed_file_free(pf);
	}
	return rc;
}

static int files_walk_parallel(files_scan *s, const ingest_walker *w, int jobs)
{
	files_queue q;
	pthread_t *tid = xcalloc((size_t)jobs, sizeof *tid);
	int i, n_threads = 0, rc;

	memset(&q, 0, sizeof q);
	pthread_mutex_init(&q.mu, NULL);
	pthread_cond_init(&q.unparsed_ready, NULL);
	pthread_cond_init(&q.parsed_ready, NULL);
	pthread_cond_init(&q.parsed_room, NULL);
	q.cap = 2 * (size_t)jobs;
	q.unparsed = xcalloc(q.cap, sizeof *q.unparsed);
	q.parsed = xcalloc(q.cap, sizeof *q.parsed);
	q.base = s->ictx;
	q.format = s->run->src->format;
	for (i = 0; i < jobs; i++)
		if (pthread_create(&tid[i], NULL, files_worker, &q) == 0)
			n_threads++;
	if (n_threads > 0)
		s->q = &q;   /* else: no threads to be had, the writer reads each file */
	rc = ingest_walk_tree(s->root, w);
	if (s->q) {
		int saved = errno;
		if (files_queue_drain(s, rc == -1 && s->run->db_failed) < 0 && rc == 0)
			rc = -2;
		errno = saved;
	}
	pthread_mutex_lock(&q.mu);
	q.closed = 1;
	pthread_cond_broadcast(&q.unparsed_ready);
	pthread_cond_broadcast(&q.parsed_room);
	pthread_mutex_unlock(&q.mu);
	for (i = 0; i < n_threads; i++)
		pthread_join(tid[i], NULL);
	s->q = NULL;
	free(q.unparsed);
	free(q.parsed);
	free(tid);
	pthread_cond_destroy(&q.unparsed_ready);
	pthread_cond_destroy(&q.parsed_ready);
	pthread_cond_destroy(&q.parsed_room);
	pthread_mutex_destroy(&q.mu);
	return rc;
}

int pipeline_files(ingest_run *run, ingest_ctx *ictx, const pipeline_opts *o, pipeline_counts *out)
{
	const cli_source *src = run->src;
	files_scan s;
	ingest_walker w;
	int rc;

	memset(&s, 0, sizeof s);
	s.run = run;
	s.ictx = ictx;
	s.total = out;
	/* an explicit format (a one-off run) looks at every file: a file read
	 * before as another format is read again even where it settled */
	s.every_file = o->rescan || src->scan_every_file || src->format != INGEST_FORMAT_AUTO;
	s.now = time(NULL);
	s.root = files_path_normal(src->path);
	for (size_t i = 0; o->private_paths && o->private_paths[i]; i++) {
		struct stat sb;
		s.priv = xrealloc(s.priv, (i + 1) * sizeof *s.priv);
		if (stat(o->private_paths[i], &sb) == 0) {
			s.priv[s.n_priv].dev = sb.st_dev;
			s.priv[s.n_priv++].ino = sb.st_ino;
		}
	}
	memset(&w, 0, sizeof w);
	w.dir_start = files_dir_start;
	w.file = files_visit;
	w.dir_end = files_dir_end;
	w.gone = files_gone;
	w.problem = files_problem;
	w.ctx = &s;
	w.names = ictx;
	if (files_batch_begin(&s))
		rc = -2;
	else if (o->jobs > 1)
		rc = files_walk_parallel(&s, &w, o->jobs);
	else
		rc = ingest_walk_tree(s.root, &w);
	if (!run->db_failed && files_settle_flush(&s))
		rc = -2;
	/* what was stored before a failure is kept */
	if (files_batch_end(&s, 1) && rc >= 0)
		rc = -2;
	if (s.dirs_listed + s.dirs_unchanged)
		log_info("source %s: %ld director%s listed, %ld unchanged since listed (not read)%s",
			 src->name, s.dirs_listed, s.dirs_listed == 1 ? "y" : "ies", s.dirs_unchanged,
			 s.every_file ? "; every file looked at" : "");
	/* a walk stopped early leaves directories on the stack: not recorded */
	while (s.cur) {
		files_dir *d = s.cur;
		s.cur = d->up;
		files_dir_free(d);
	}
	for (size_t i = 0; i < s.n_settle; i++)
		free(s.settle[i].path);
	free(s.settle);
	free(s.priv);
	free(s.root);
	if (rc == -1 && !run->db_failed) {
		log_error("source %s: %s: %s", src->name, src->path, strerror(errno));
		out->failed = 1;
		return 0;
	}
	return run->db_failed ? -1 : 0;
}
