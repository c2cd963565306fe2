/*
 * pipeline_files.c - directory, Maildir and mbox sources: one transaction
 * per file with the file's identity, so a file read whole is not read
 * again; with jobs > 1 worker threads parse and this thread writes.
 */
#include "cli/pipeline_int.h"

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* The identities of the files read before, loaded once per directory
 * source: a nightly run with nothing new then costs a stat per file and no
 * query at all. */
typedef struct {
	char *path;
	int64_t size, mtime, inode;
} seen_file;

typedef struct {
	seen_file *slots;
	size_t cap, n;
} seen_set;

static size_t seen_hash(const char *s)
{
	uint64_t h = 1469598103934665603ULL;   /* FNV-1a */

	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 1099511628211ULL;
	return (size_t)h;
}

static void seen_put(seen_set *set, char *path, int64_t size, int64_t mtime, int64_t inode)
{
	size_t i;

	if (2 * (set->n + 1) > set->cap) {
		seen_set grown = { xcalloc(set->cap ? 2 * set->cap : 1024, sizeof *grown.slots),
				   set->cap ? 2 * set->cap : 1024, 0 };
		for (i = 0; i < set->cap; i++)
			if (set->slots[i].path)
				seen_put(&grown, set->slots[i].path, set->slots[i].size,
					 set->slots[i].mtime, set->slots[i].inode);
		free(set->slots);
		*set = grown;
	}
	for (i = seen_hash(path) & (set->cap - 1); set->slots[i].path; i = (i + 1) & (set->cap - 1))
		;
	set->slots[i].path = path;
	set->slots[i].size = size;
	set->slots[i].mtime = mtime;
	set->slots[i].inode = inode;
	set->n++;
}

static int seen_load_one(void *ctx, const char *path, int64_t size, int64_t mtime, int64_t inode)
{
	if (path)
		seen_put(ctx, xstrdup(path), size, mtime, inode);
	return 0;
}

static int seen_has(const seen_set *set, const char *path, const struct stat *sb)
{
	size_t i;

	if (!set->cap)
		return 0;
	for (i = seen_hash(path) & (set->cap - 1); set->slots[i].path; i = (i + 1) & (set->cap - 1))
		if (!strcmp(set->slots[i].path, path))
			return set->slots[i].size == (int64_t)sb->st_size &&
			       set->slots[i].mtime == (int64_t)sb->st_mtime &&
			       set->slots[i].inode == (int64_t)sb->st_ino;
	return 0;
}

static void seen_clear(seen_set *set)
{
	size_t i;

	for (i = 0; i < set->cap; i++)
		free(set->slots[i].path);
	free(set->slots);
	memset(set, 0, sizeof *set);
}

typedef struct {
	ingest_run *run;
	ingest_ctx *ictx;
	pipeline_counts *total;
	seen_set seen;
} walk_ctx;

static int pipeline_file(void *ctx, const char *path)
{
	walk_ctx *w = ctx;
	ingest_run *run = w->run;
	store *st = run->st;
	struct stat sb;
	int rc, saved_errno;

	w->total->files++;
	if (stat(path, &sb) != 0) {
		log_warn("%s: %s", path, strerror(errno));
		w->total->failed = 1;
		return 0;
	}
	/* A file already read whole, unchanged since: nothing to do. */
	if (seen_has(&w->seen, path, &sb)) {
		w->total->files_unchanged++;
		return 0;
	}
	memset(&run->file, 0, sizeof run->file);
	if (store_begin(st))
		return -1;
	rc = ingest_file(w->ictx, path, run->src->format);
	saved_errno = errno;
	if (rc == 0 && !run->db_failed &&
	    store_file_mark(st, path, (int64_t)sb.st_size, (int64_t)sb.st_mtime, (int64_t)sb.st_ino, NULL) == 0 &&
	    store_commit(st) == 0) {
		pipeline_counts_add(w->total, &run->file);
		return 0;
	}
	store_rollback(st);
	if (run->db_failed) {
		log_error("%s: database write failed: %s", path, store_errmsg(st));
		return -1;
	}
	/* Could not be read: nothing of it was stored; the next run tries again. */
	log_warn("%s: cannot read: %s", path, strerror(saved_errno));
	w->total->failed = 1;
	return 0;
}

/* ---- parallel parsing: workers parse files into batches held in a
 * bounded queue; this thread, the one writer, stores each batch in one
 * transaction with the file's identity, as the sequential path does ---- */

/* Files larger than this are parsed by the writer itself, streaming, so
 * a huge export never sits in memory as a batch. */
#define PARALLEL_MAX_BATCH_FILE ((off_t)8 << 20)

typedef struct {
	ingest_item_kind kind;
	avvik_record rec;
	char *raw;
	size_t raw_len;
	char sha[65];
	char *reason;
	long line;
	char *parent;
} parsed_item;

typedef struct {
	char *path;
	struct stat sb;
	int rc, err;            /* ingest_file's result and errno */
	int deferred;           /* too large: the writer parses it */
	parsed_item *items;
	size_t n, alloc;
} parsed_file;

typedef struct {
	pthread_mutex_t mu;
	pthread_cond_t can_put, can_take;
	parsed_file *files;     /* the work list, in walk order */
	size_t n_files, next;   /* next file to parse */
	parsed_file **queue;    /* parsed, waiting for the writer */
	size_t cap, head, count;
	int stop;
	const ingest_ctx *base;
	ingest_format format;
} parallel_ingest;

static int parallel_collect_sink(void *ctx, const ingest_item *it)
{
	parsed_file *pf = ctx;
	parsed_item *pi;

	if (pf->n == pf->alloc) {
		pf->alloc = pf->alloc ? 2 * pf->alloc : 8;
		pf->items = xrealloc(pf->items, pf->alloc * sizeof *pf->items);
	}
	pi = &pf->items[pf->n++];
	memset(pi, 0, sizeof *pi);
	pi->kind = it->kind;
	avvik_record_init(&pi->rec);
	if (it->record) {
		/* the sink may take the record's fields (ingest.h) */
		pi->rec = *it->record;
		avvik_record_init(it->record);
	}
	pi->raw = xmalloc(it->raw_len + 1);
	memcpy(pi->raw, it->raw ? it->raw : "", it->raw_len);
	pi->raw_len = it->raw_len;
	memcpy(pi->sha, it->raw_sha256, sizeof pi->sha);
	pi->reason = xstrdup(it->reason);
	pi->line = it->line;
	pi->parent = xstrdup(it->parent_sha256);
	return 0;
}

static void parsed_file_clear(parsed_file *pf)
{
	size_t i;

	for (i = 0; i < pf->n; i++) {
		avvik_record_clear(&pf->items[i].rec);
		free(pf->items[i].raw);
		free(pf->items[i].reason);
		free(pf->items[i].parent);
	}
	free(pf->items);
	pf->items = NULL;
	pf->n = pf->alloc = 0;
}

static void *parallel_worker(void *arg)
{
	parallel_ingest *pi = arg;
	ingest_ctx ctx = *pi->base;

	for (;;) {
		parsed_file *pf;

		pthread_mutex_lock(&pi->mu);
		if (pi->stop || pi->next == pi->n_files) {
			pthread_mutex_unlock(&pi->mu);
			return NULL;
		}
		pf = &pi->files[pi->next++];
		pthread_mutex_unlock(&pi->mu);

		if (pf->sb.st_size > PARALLEL_MAX_BATCH_FILE) {
			pf->deferred = 1;
		} else {
			ctx.sink = parallel_collect_sink;
			ctx.sink_ctx = pf;
			pf->rc = ingest_file(&ctx, pf->path, pi->format);
			pf->err = errno;
		}
		pthread_mutex_lock(&pi->mu);
		while (pi->count == pi->cap && !pi->stop)
			pthread_cond_wait(&pi->can_put, &pi->mu);
		if (!pi->stop) {
			pi->queue[(pi->head + pi->count) % pi->cap] = pf;
			pi->count++;
			pthread_cond_signal(&pi->can_take);
		}
		pthread_mutex_unlock(&pi->mu);
	}
}

/* Stores one parsed file: replays its items through the same sink as the
 * sequential path, in one transaction with the file's identity. */
static int parallel_store(walk_ctx *w, parsed_file *pf)
{
	ingest_run *run = w->run;
	store *st = run->st;
	int rc = pf->rc, saved_errno = pf->err;
	size_t i;

	memset(&run->file, 0, sizeof run->file);
	if (store_begin(st))
		return -1;
	if (pf->deferred) {
		rc = ingest_file(w->ictx, pf->path, run->src->format);
		saved_errno = errno;
	} else {
		for (i = 0; i < pf->n && !run->db_failed; i++) {
			parsed_item *p = &pf->items[i];
			ingest_item it;

			memset(&it, 0, sizeof it);
			it.kind = p->kind;
			it.record = &p->rec;
			it.raw = p->raw;
			it.raw_len = p->raw_len;
			memcpy(it.raw_sha256, p->sha, sizeof it.raw_sha256);
			it.reason = p->reason;
			it.line = p->line;
			it.parent_sha256 = p->parent;
			pipeline_sink(run, &it);
		}
	}
	if (rc == 0 && !run->db_failed &&
	    store_file_mark(st, pf->path, (int64_t)pf->sb.st_size, (int64_t)pf->sb.st_mtime,
			    (int64_t)pf->sb.st_ino, NULL) == 0 &&
	    store_commit(st) == 0) {
		pipeline_counts_add(w->total, &run->file);
		return 0;
	}
	store_rollback(st);
	if (run->db_failed) {
		log_error("%s: database write failed: %s", pf->path, store_errmsg(st));
		return -1;
	}
	log_warn("%s: cannot read: %s", pf->path, strerror(saved_errno));
	w->total->failed = 1;
	return 0;
}

typedef struct {
	walk_ctx *w;
	parsed_file *files;
	size_t n, alloc;
} parallel_list;

/* Walk callback: the files to read, leaving out those read before. */
static int parallel_list_file(void *ctx, const char *path)
{
	parallel_list *l = ctx;
	struct stat sb;

	l->w->total->files++;
	if (stat(path, &sb) != 0) {
		log_warn("%s: %s", path, strerror(errno));
		l->w->total->failed = 1;
		return 0;
	}
	if (seen_has(&l->w->seen, path, &sb)) {
		l->w->total->files_unchanged++;
		return 0;
	}
	if (l->n == l->alloc) {
		l->alloc = l->alloc ? 2 * l->alloc : 64;
		l->files = xrealloc(l->files, l->alloc * sizeof *l->files);
	}
	memset(&l->files[l->n], 0, sizeof l->files[0]);
	l->files[l->n].path = xstrdup(path);
	l->files[l->n].sb = sb;
	l->n++;
	return 0;
}

static int pipeline_dir_parallel(walk_ctx *w, int jobs)
{
	parallel_list l;
	parallel_ingest pi;
	pthread_t *tid;
	size_t i, done = 0;
	int rc, n_threads = 0, failed = 0;

	memset(&l, 0, sizeof l);
	l.w = w;
	rc = ingest_walk(w->run->src->path, parallel_list_file, &l);
	if (rc < 0) {
		int e = errno;
		for (i = 0; i < l.n; i++)
			free(l.files[i].path);
		free(l.files);
		errno = e;
		return -1;
	}
	memset(&pi, 0, sizeof pi);
	pthread_mutex_init(&pi.mu, NULL);
	pthread_cond_init(&pi.can_put, NULL);
	pthread_cond_init(&pi.can_take, NULL);
	pi.files = l.files;
	pi.n_files = l.n;
	pi.cap = 2 * (size_t)jobs;
	pi.queue = xcalloc(pi.cap, sizeof *pi.queue);
	pi.base = w->ictx;
	pi.format = w->run->src->format;
	tid = xcalloc((size_t)jobs, sizeof *tid);
	for (i = 0; i < (size_t)jobs && i < l.n; i++)
		if (pthread_create(&tid[i], NULL, parallel_worker, &pi) == 0)
			n_threads++;
	if (n_threads == 0)   /* no threads to be had: the writer reads each file itself */
		for (i = 0; i < l.n; i++)
			l.files[i].deferred = 1;
	while (done < l.n && n_threads == 0) {
		if (parallel_store(w, &l.files[done++])) {
			failed = 1;
			break;
		}
	}
	while (done < l.n && n_threads > 0) {
		parsed_file *pf;

		pthread_mutex_lock(&pi.mu);
		while (pi.count == 0)
			pthread_cond_wait(&pi.can_take, &pi.mu);
		pf = pi.queue[pi.head];
		pi.head = (pi.head + 1) % pi.cap;
		pi.count--;
		pthread_cond_signal(&pi.can_put);
		pthread_mutex_unlock(&pi.mu);
		done++;
		if (parallel_store(w, pf)) {
			failed = 1;
			break;
		}
		parsed_file_clear(pf);
	}
	pthread_mutex_lock(&pi.mu);
	pi.stop = 1;
	pthread_cond_broadcast(&pi.can_put);
	pthread_mutex_unlock(&pi.mu);
	for (i = 0; i < (size_t)n_threads; i++)
		pthread_join(tid[i], NULL);
	for (i = 0; i < l.n; i++) {
		parsed_file_clear(&l.files[i]);
		free(l.files[i].path);
	}
	free(l.files);
	free(pi.queue);
	free(tid);
	pthread_cond_destroy(&pi.can_put);
	pthread_cond_destroy(&pi.can_take);
	pthread_mutex_destroy(&pi.mu);
	return failed ? 1 : 0;
}

int pipeline_files(ingest_run *run, ingest_ctx *ictx, const pipeline_opts *o, pipeline_counts *out)
{
	const cli_source *src = run->src;
	walk_ctx w;
	int rc;

	w.run = run;
	w.ictx = ictx;
	w.total = out;
	memset(&w.seen, 0, sizeof w.seen);
	if (store_files_each(run->st, seen_load_one, &w.seen)) {
		seen_clear(&w.seen);
		run->db_failed = 1;
		return -1;
	}
	if (o->jobs > 1 && src->type == SOURCE_DIR)
		rc = pipeline_dir_parallel(&w, o->jobs);
	else
		rc = ingest_walk(src->path, pipeline_file, &w);
	seen_clear(&w.seen);
	if (rc < 0 && !run->db_failed) {
		log_error("source %s: %s: %s", src->name, src->path, strerror(errno));
		out->failed = 1;
		return 0;
	}
	return run->db_failed ? -1 : 0;
}
