/*
 * pipeline.c - the one place where the stages meet: files from a source are
 * parsed by ingest/ and written by store/, one transaction per file together
 * with the file's identity; stored deviations are classified by classify/
 * and the results written back, one transaction per batch.
 */
#include "cli/cli.h"
#include "classify/classify.h"

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

typedef struct {
	store *st;
	const cli_source *src;
	pipeline_counts file;   /* counts of the file being read */
	int db_failed;
	/* HTTP: a document that cannot be read as a whole fails its source
	 * instead of being quarantined (the next run fetches it again). */
	const char *whole_doc_sha;
	sbuf whole_doc_error;
} ingest_run;

/* Quarantines the item's bytes with reason: 0 done, -1 database error. */
static int pipeline_quarantine(ingest_run *run, const ingest_item *it, const char *reason)
{
	int rc = store_quarantine_put(run->st, run->src->name, NULL, it->line, reason,
				      it->raw_sha256, it->raw, it->raw_len);

	if (rc < 0)
		return -1;
	if (rc > 0) {
		run->file.quarantined++;
		log_warn("%s (quarantined)", reason);
	} else {
		log_info("%s (already in quarantine)", reason);
	}
	return 0;
}

static int pipeline_sink(void *ctx, const ingest_item *it)
{
	ingest_run *run = ctx;
	int64_t raw_id = 0, dev_id = 0;
	int rc;

	switch (it->kind) {
	case INGEST_ITEM_DEVIATION:
		/* A report with no date cannot be counted in any period. */
		if (!avvik_record_count_date(it->record)) {
			sbuf why = SBUF_INIT;
			sbuf_addf(&why, "%s: %s: no date to count it under (expected an event date, "
				  "a reported date or a received date)",
				  it->record->origin ? it->record->origin : "?",
				  it->record->ext_id ? it->record->ext_id : "message");
			rc = pipeline_quarantine(run, it, why.buf);
			sbuf_release(&why);
			if (rc < 0)
				break;
			return 0;
		}
		rc = store_raw_put(run->st, it->raw_sha256, run->src->name, it->record->origin,
				   "deviation", NULL, it->raw, it->raw_len, &raw_id);
		if (rc == 0) {
			run->file.duplicates++;
			return 0;
		}
		if (rc > 0 && it->parent_sha256 && store_raw_set_parent(run->st, raw_id, it->parent_sha256))
			break;
		if (rc > 0)
			rc = store_deviation_put(run->st, it->record, raw_id, &dev_id);
		if (rc < 0)
			break;
		if (rc > 0)
			run->file.new_deviations++;
		else
			run->file.duplicates++;
		return 0;
	case INGEST_ITEM_SKIPPED:
		rc = store_raw_put(run->st, it->raw_sha256, run->src->name, NULL, "skipped",
				   it->reason, it->raw, it->raw_len, &raw_id);
		if (rc < 0)
			break;
		if (rc > 0 && it->parent_sha256 && store_raw_set_parent(run->st, raw_id, it->parent_sha256))
			break;
		if (rc > 0) {
			run->file.skipped++;
			log_info("%s (skipped)", it->reason);
		} else {
			run->file.duplicates++;
		}
		return 0;
	case INGEST_ITEM_QUARANTINE:
		if (run->whole_doc_sha && !strcmp(run->whole_doc_sha, it->raw_sha256)) {
			if (!run->whole_doc_error.len)
				sbuf_adds(&run->whole_doc_error, it->reason);
			return 0;
		}
		if (pipeline_quarantine(run, it, it->reason))
			break;
		return 0;
	}
	run->db_failed = 1;
	return -1;
}

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

/* Progress on a terminal: one line per source, redrawn at most five times
 * a second; nothing when stderr is not a terminal or with -q. */
static struct {
	const char *source;
	struct timespec start, last;
	int drawn;
} progress;

static double progress_since(const struct timespec *t0, const struct timespec *t1)
{
	return (double)(t1->tv_sec - t0->tv_sec) + (double)(t1->tv_nsec - t0->tv_nsec) / 1e9;
}

static int progress_wanted(void)
{
	static int tty = -1;

	if (tty < 0)
		tty = isatty(STDERR_FILENO);
	return tty && log_get_level() >= LOG_LVL_WARN;
}

static void progress_start(const char *source)
{
	progress.source = source;
	progress.drawn = 0;
	clock_gettime(CLOCK_MONOTONIC, &progress.start);
	progress.last = progress.start;
}

static void progress_show(const pipeline_counts *c, int final)
{
	struct timespec now;
	double secs;

	if (!progress_wanted() || !progress.source)
		return;
	clock_gettime(CLOCK_MONOTONIC, &now);
	/* the first update at once, then at most five a second */
	if (!final && progress.drawn && progress_since(&progress.last, &now) < 0.2)
		return;
	progress.drawn = !final;
	progress.last = now;
	secs = progress_since(&progress.start, &now);
	if (final)
		fputs("\r\033[K", stderr);
	else
		fprintf(stderr, "\r\033[K%s: %ld messages, %ld new, %.0f/s", progress.source,
			c->files, c->new_deviations, secs > 0 ? (double)c->files / secs : 0.0);
	fflush(stderr);
}

static void counts_add(pipeline_counts *t, const pipeline_counts *f)
{
	t->new_deviations += f->new_deviations;
	t->duplicates += f->duplicates;
	t->skipped += f->skipped;
	t->quarantined += f->quarantined;
	progress_show(t, 0);
}

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
		counts_add(w->total, &run->file);
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
		counts_add(w->total, &run->file);
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

/* ---- IMAP: one transaction per message, the cursor (mailbox,
 * UIDVALIDITY, last UID) advanced in it; the after-action once committed ---- */

/* The source's cursor keys for a mailbox. */
static void imap_key(sbuf *k, const char *mailbox, const char *what)
{
	sbuf_reset(k);
	sbuf_addf(k, "imap:%s:%s", mailbox, what);
}

static uint64_t imap_cursor_u64(store *st, const char *source, const char *key)
{
	char *v = store_cursor_get(st, source, key);
	uint64_t n = v ? strtoull(v, NULL, 10) : 0;

	free(v);
	return n;
}

static int imap_cursor_put(store *st, const char *source, const char *key, uint64_t v)
{
	char num[32];

	snprintf(num, sizeof num, "%llu", (unsigned long long)v);
	return store_cursor_put(st, source, key, num);
}

static int imap_in(const uint64_t *v, size_t n, uint64_t x)
{
	size_t lo = 0, hi = n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (v[mid] == x)
			return 1;
		if (v[mid] < x)
			lo = mid + 1;
		else
			hi = mid;
	}
	return 0;
}

static int pipeline_imap(store *st, const cli_source *src, ingest_ctx *ictx, ingest_run *run,
			 pipeline_counts *out)
{
	ingest_imap_opts o;
	ingest_imap *im = NULL;
	sbuf err = SBUF_INIT, pw = SBUF_INIT, kv = SBUF_INIT, ku = SBUF_INIT, msg = SBUF_INIT,
	     origin = SBUF_INIT;
	uint64_t uidv = 0, old_uidv, last, *uids = NULL, *unseen = NULL;
	size_t n = 0, n_unseen = 0, i;
	const char *after = src->after ? src->after : "leave";
	int rc = 0;

	if (ingest_secret_read(src->password_file, src->password_env, &pw, &err))
		goto failed;
	memset(&o, 0, sizeof o);
	o.source = src->name;
	o.url = src->url;
	o.user = src->user;
	o.password = pw.buf;
	o.tls = src->tls;
	o.ca_file = src->ca_file;
	o.timeout = src->timeout;
	if (ingest_imap_open(&im, &o, &err))
		goto failed;
	/* libcurl has its own copy now */
	explicit_bzero(pw.buf, pw.len);
	if (ingest_imap_uidvalidity(im, &uidv, &err))
		goto failed;
	imap_key(&kv, ingest_imap_mailbox(im), "uidvalidity");
	imap_key(&ku, ingest_imap_mailbox(im), "uid");
	old_uidv = imap_cursor_u64(st, src->name, kv.buf);
	last = imap_cursor_u64(st, src->name, ku.buf);
	if (old_uidv && old_uidv != uidv) {
		/* the server renumbered the mailbox: read it all again; stored
		 * messages are recognised by Message-ID and content hash */
		log_warn("source %s: mailbox %s: UIDVALIDITY changed from %llu to %llu: reading the "
			 "whole mailbox again (messages already stored are not stored twice)",
			 src->name, ingest_imap_mailbox(im), (unsigned long long)old_uidv,
			 (unsigned long long)uidv);
		last = 0;
	}
	if (old_uidv != uidv) {
		if (store_begin(st) || imap_cursor_put(st, src->name, kv.buf, uidv) ||
		    imap_cursor_put(st, src->name, ku.buf, last) || store_commit(st)) {
			store_rollback(st);
			run->db_failed = 1;
			goto out;
		}
	}
	if (ingest_imap_search(im, last + 1, 0, &uids, &n, &err))
		goto failed;
	/* after = leave: fetching sets \Seen, so what was unseen is made so again */
	if (n && (!strcmp(after, "leave") || store_is_dry_run(st)) &&
	    ingest_imap_search(im, last + 1, 1, &unseen, &n_unseen, &err))
		goto failed;
	log_info("source %s: mailbox %s: UIDVALIDITY %llu, %zu new message%s after UID %llu",
		 src->name, ingest_imap_mailbox(im), (unsigned long long)uidv, n, n == 1 ? "" : "s",
		 (unsigned long long)last);
	for (i = 0; i < n; i++) {
		int too_big = 0;

		out->files++;
		sbuf_reset(&origin);
		sbuf_addf(&origin, "%s;UID=%llu", src->url, (unsigned long long)uids[i]);
		if (ingest_imap_fetch(im, uidv, uids[i], ictx->max_file_size, &msg, &too_big, &err) &&
		    !too_big)
			goto failed;
		memset(&run->file, 0, sizeof run->file);
		if (store_begin(st)) {
			run->db_failed = 1;
			goto out;
		}
		if (too_big) {
			/* kept out, but said so: the cursor moves past it */
			log_warn("source %s: %s (quarantined)", src->name, err.buf);
			rc = store_quarantine_put(st, src->name, origin.buf, 0, err.buf, NULL, NULL, 0) < 0;
			sbuf_reset(&err);
			run->file.quarantined++;
		} else {
			rc = ingest_buffer(ictx, origin.buf, msg.buf, msg.len, INGEST_FORMAT_EML);
		}
		if (rc || run->db_failed || imap_cursor_put(st, src->name, ku.buf, uids[i]) ||
		    store_commit(st)) {
			store_rollback(st);
			run->db_failed = 1;
			goto out;
		}
		log_debug("source %s: UID %llu stored", src->name, (unsigned long long)uids[i]);
		counts_add(out, &run->file);
		{
			const char *act = !strcmp(after, "leave")
				? (imap_in(unseen, n_unseen, uids[i]) ? "unseen" : NULL) : after;
			/* a dry run stored nothing: only undo what fetching did */
			if (store_is_dry_run(st))
				act = imap_in(unseen, n_unseen, uids[i]) ? "unseen" : NULL;
			if (act && ingest_imap_after(im, uids[i], act, &err)) {
				log_warn("source %s: %s (the message is stored)", src->name, err.buf);
				sbuf_reset(&err);
				out->failed = 1;
			}
		}
	}
	goto out;
failed:
	log_error("source %s: %s", src->name, err.buf);
	out->failed = 1;
out:
	explicit_bzero(pw.buf, pw.len);
	ingest_imap_close(im);
	free(uids);
	free(unseen);
	sbuf_release(&err);
	sbuf_release(&pw);
	sbuf_release(&kv);
	sbuf_release(&ku);
	sbuf_release(&msg);
	sbuf_release(&origin);
	return run->db_failed ? -1 : 0;
}

/* ---- HTTP sources ---- */

#define HTTP_MAX_PAGES 10000

/* Fetches every document a response stands for: the response itself, or
 * the documents an Atom feed links to.  0 ok; -1 with err. */
static int http_documents(const ingest_http_req *req, const char *url, ingest_http_resp *first,
			  sbuf **docs, size_t *n, sbuf *err)
{
	char **links = NULL;
	size_t n_links = 0, i;
	int rc = 0;

	*docs = NULL;
	*n = 0;
	if (!ingest_http_is_atom(first->body.buf, first->body.len)) {
		*docs = xcalloc(1, sizeof **docs);
		sbuf_init(&(*docs)[0], 0);
		sbuf_add(&(*docs)[0], first->body.buf, first->body.len);
		*n = 1;
		return 0;
	}
	if (ingest_http_atom_links(first->body.buf, first->body.len, url, &links, &n_links, err))
		return -1;
	*docs = xcalloc(n_links ? n_links : 1, sizeof **docs);
	for (i = 0; i < n_links; i++) {
		ingest_http_req entry = *req;
		ingest_http_resp r;

		entry.since = NULL;
		/* the source's credentials are for the feed's own server only */
		if (!ingest_http_same_origin(url, links[i])) {
			entry.user = entry.password = entry.bearer_token = NULL;
			log_info("%s: entry on another server, fetched without credentials", links[i]);
		}
		ingest_http_resp_init(&r);
		if (!rc && ingest_http_get(&entry, links[i], 0, &r, err) == 0) {
			sbuf_init(&(*docs)[*n], 0);
			sbuf_add(&(*docs)[*n], r.body.buf, r.body.len);
			(*n)++;
		} else {
			rc = -1;
		}
		ingest_http_resp_clear(&r);
		sbuf_release(&r.body);
		free(links[i]);
	}
	free(links);
	return rc;
}

static void http_documents_free(sbuf *docs, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		sbuf_release(&docs[i]);
	free(docs);
}

/* One page: its documents' records and the cursor, in one transaction. */
static int http_page_store(store *st, const cli_source *src, ingest_ctx *ictx, ingest_run *run,
			   sbuf *docs, size_t n, const char *since, const ingest_http_resp *resp,
			   const char *next, sbuf *err)
{
	char sha[65];
	size_t i;
	int rc = 0;

	memset(&run->file, 0, sizeof run->file);
	if (store_begin(st)) {
		run->db_failed = 1;
		return -1;
	}
	for (i = 0; i < n && !rc; i++) {
		ingest_sha256_hex(docs[i].buf, docs[i].len, sha);
		run->whole_doc_sha = sha;
		sbuf_reset(&run->whole_doc_error);
		rc = ingest_buffer(ictx, src->url, docs[i].buf, docs[i].len, src->format);
		run->whole_doc_sha = NULL;
		if (!rc && run->whole_doc_error.len) {
			sbuf_addf(err, "%s", run->whole_doc_error.buf);
			rc = -1;
		}
	}
	/* The cursor moves with the records: to the next page, or, on the last
	 * page, stays with the validators that make the next run's GET
	 * conditional. */
	if (!rc && !run->db_failed &&
	    (store_cursor_put(st, src->name, "since", next ? next : since) ||
	     store_cursor_put(st, src->name, "etag", next ? NULL : resp->etag) ||
	     store_cursor_put(st, src->name, "last_modified", next ? NULL : resp->last_modified)))
		run->db_failed = 1;
	if (rc || run->db_failed || store_commit(st)) {
		store_rollback(st);
		if (!rc)
			run->db_failed = 1;
		return -1;
	}
	return 0;
}

static int pipeline_http(store *st, const cli_source *src, ingest_ctx *ictx, ingest_run *run,
			 pipeline_counts *out)
{
	ingest_http_req req;
	ingest_http_resp resp;
	sbuf err = SBUF_INIT, secret = SBUF_INIT;
	char *since = NULL, *etag = NULL, *lm = NULL, *next = NULL;
	int page;

	memset(&req, 0, sizeof req);
	ingest_http_resp_init(&resp);
	if ((src->password_file || src->password_env) &&
	    ingest_secret_read(src->password_file, src->password_env, &secret, &err))
		goto failed;
	if (src->token_file && ingest_secret_read(src->token_file, NULL, &secret, &err))
		goto failed;
	since = store_cursor_get(st, src->name, "since");
	if (!src->no_etag) {
		etag = store_cursor_get(st, src->name, "etag");
		lm = store_cursor_get(st, src->name, "last_modified");
	}
	req.since_param = src->since_param;
	req.etag = etag;
	req.last_modified = lm;
	req.timeout = src->timeout;
	req.connect_timeout = src->connect_timeout;
	req.retries = src->retries >= 0 ? src->retries : 3;
	req.retry_delay_ms = src->retry_delay_ms;
	req.ca_file = src->ca_file;
	req.user = src->user;
	req.password = src->user ? secret.buf : NULL;
	req.bearer_token = src->token_file ? secret.buf : NULL;
	for (page = 0; page < HTTP_MAX_PAGES; page++) {
		sbuf *docs = NULL;
		size_t n = 0;
		int rc;

		req.since = since;
		if (ingest_http_get(&req, src->url, page == 0 && !src->no_etag, &resp, &err))
			goto failed;
		out->files++;
		if (resp.not_modified) {
			log_info("source %s: not modified since the last run", src->name);
			break;
		}
		if (http_documents(&req, src->url, &resp, &docs, &n, &err)) {
			http_documents_free(docs, n);
			goto failed;
		}
		free(next);
		next = n == 1 ? ingest_http_next_since(docs[0].buf, docs[0].len) : NULL;
		rc = http_page_store(st, src, ictx, run, docs, n, since, &resp, next, &err);
		http_documents_free(docs, n);
		if (rc) {
			if (run->db_failed)
				goto out;
			/* nothing of this page was committed; the next run asks again */
			goto failed;
		}
		counts_add(out, &run->file);
		if (!next)
			break;
		if (since && !strcmp(since, next)) {
			sbuf_addf(&err, "%s: next-since '%s' is the cursor just used: the server's paging "
				  "does not advance (stopped; what came is stored)", src->url, next);
			goto failed;
		}
		free(since);
		since = xstrdup(next);
	}
	if (page == HTTP_MAX_PAGES) {
		sbuf_addf(&err, "%s: more than %d pages in one run: stopped (what came is stored; the "
			  "next run goes on from there)", src->url, HTTP_MAX_PAGES);
		goto failed;
	}
	goto out;
failed:
	log_error("source %s: %s", src->name, err.buf);
	out->failed = 1;
out:
	explicit_bzero(secret.buf, secret.len);
	sbuf_release(&secret);
	sbuf_release(&err);
	ingest_http_resp_clear(&resp);
	sbuf_release(&resp.body);
	free(since);
	free(etag);
	free(lm);
	free(next);
	return run->db_failed ? -1 : 0;
}

static int pipeline_ingest_one(store *st, const cli_source *src, const unsigned char *key,
			       size_t key_len, int jobs, pipeline_counts *out)
{
	ingest_run run;
	ingest_ctx ictx;
	walk_ctx w;
	int rc;

	memset(out, 0, sizeof *out);
	memset(&run, 0, sizeof run);
	memset(&ictx, 0, sizeof ictx);
	run.st = st;
	run.src = src;
	ictx.hmac_key = key;
	ictx.hmac_key_len = key_len;
	ictx.source = src->name;
	ictx.sink = pipeline_sink;
	ictx.sink_ctx = &run;
	if (src->type == SOURCE_IMAP)
		return pipeline_imap(st, src, &ictx, &run, out);
	if (src->type == SOURCE_HTTP) {
		rc = pipeline_http(st, src, &ictx, &run, out);
		sbuf_release(&run.whole_doc_error);
		return rc;
	}
	w.run = &run;
	w.ictx = &ictx;
	w.total = out;
	memset(&w.seen, 0, sizeof w.seen);
	if (store_files_each(st, seen_load_one, &w.seen)) {
		seen_clear(&w.seen);
		return -1;
	}
	if (jobs > 1 && src->type == SOURCE_DIR)
		rc = pipeline_dir_parallel(&w, jobs);
	else
		rc = ingest_walk(src->path, pipeline_file, &w);
	seen_clear(&w.seen);
	if (rc < 0 && !run.db_failed) {
		log_error("source %s: %s: %s", src->name, src->path, strerror(errno));
		out->failed = 1;
		return 0;
	}
	return run.db_failed ? -1 : 0;
}

int pipeline_ingest_source(store *st, const cli_source *src, const unsigned char *key,
			   size_t key_len, int jobs, pipeline_counts *out)
{
	int rc;

	progress_start(src->name);
	rc = pipeline_ingest_one(st, src, key, key_len, jobs, out);
	progress_show(out, 1);
	return rc;
}

typedef struct {
	store *st;
	const classify_rules *rules;
	long n;
	int failed;
} classify_run;

static int pipeline_classify_one(void *ctx, int64_t id, const avvik_record *r)
{
	classify_run *cr = ctx;
	avvik_class c;

	avvik_class_init(&c);
	classify_record(cr->rules, r, &c);
	if (store_class_put(cr->st, id, classify_rules_commit(cr->rules), &c)) {
		avvik_class_clear(&c);
		cr->failed = 1;
		return -1;
	}
	avvik_class_clear(&c);
	/* A batch per 1000 records keeps transactions short. */
	if (++cr->n % 1000 == 0 && (store_commit(cr->st) || store_begin(cr->st))) {
		cr->failed = 1;
		return -1;
	}
	return 0;
}

int pipeline_classify(store *st, const char *rules_dir, const char *rev, int all,
		      long *n_out, char **commit_out, sbuf *err)
{
	classify_rules *rules = NULL;
	classify_run cr;

	*n_out = 0;
	*commit_out = NULL;
	if (classify_rules_load(&rules, rules_dir, rev, err))
		return -1;
	memset(&cr, 0, sizeof cr);
	cr.st = st;
	cr.rules = rules;
	if (store_begin(st))
		goto db_fail;
	/* Nothing new under this commit (the nightly case): no scan at all. */
	if (!all && store_class_count(st, classify_rules_commit(rules)) == store_deviation_count(st))
		;
	else if (store_deviations_each(st, all ? NULL : classify_rules_commit(rules),
				       pipeline_classify_one, &cr) || cr.failed)
		goto db_fail;
	if (store_class_run_put(st, classify_rules_commit(rules), cr.n) || store_commit(st))
		goto db_fail;
	*n_out = cr.n;
	*commit_out = xstrdup(classify_rules_commit(rules));
	classify_rules_free(rules);
	return 0;
db_fail:
	sbuf_addf(err, "database write failed: %s", store_errmsg(st));
	store_rollback(st);
	classify_rules_free(rules);
	return -1;
}
