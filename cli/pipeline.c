/*
 * pipeline.c - the one place where the stages meet: a source's messages are
 * parsed by ingest/ and written by store/, one transaction per file or
 * message together with the source's cursor (pipeline_files.c,
 * pipeline_remote.c); stored deviations are classified by classify/ and
 * the results written back (pipeline_classify.c).  Here: the sink that
 * stores each item, the counting, the progress line, and the order in
 * which sources are read (remote ones fetched ahead with jobs > 1).
 */
#include "cli/pipeline_int.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

/* Quarantines the item's bytes with reason: 0 done, -1 database error. */
/* Bytes that may be a secret or a database are not kept in quarantine
 * (where anyone with a copy of the database could read them): an SQLite
 * database or WAL, or a short run of bytes that is not text, as a key is. */
static int pipeline_looks_secret(const char *raw, size_t len)
{
	static const char sqlite_magic[16] = "SQLite format 3";
	size_t i, odd = 0, high = 0;

	if (len >= 16 && !memcmp(raw, sqlite_magic, 16))
		return 1;
	if (len >= 4 && (unsigned char)raw[0] == 0x37 && (unsigned char)raw[1] == 0x7f &&
	    (unsigned char)raw[2] == 0x06 && ((unsigned char)raw[3] & 0xfe) == 0x82)
		return 1;   /* WAL header */
	if (len > 4096)
		return 0;
	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)raw[i];
		if (!c)
			return 1;
		odd += (c < 0x20 && c != '\t' && c != '\n' && c != '\r') || c == 0x7f;
		high += c >= 0x80;
	}
	/* an eighth control bytes, or a quarter high bytes that are not UTF-8
	 * (Latin-1 text has a few): binary, as random key bytes are */
	return len && (odd * 8 >= len || (high * 4 >= len && !utf8_valid(raw, len)));
}

static int pipeline_quarantine(ingest_run *run, const ingest_item *it, const char *reason)
{
	const char *raw = it->raw;
	size_t raw_len = it->raw_len;
	sbuf why = SBUF_INIT;
	int rc;

	run->file_held++;
	if (run->file_path) {
		if (run->n_held_sha == run->alloc_held_sha) {
			run->alloc_held_sha = run->alloc_held_sha ? 2 * run->alloc_held_sha : 8;
			run->held_sha = xrealloc(run->held_sha, run->alloc_held_sha * sizeof *run->held_sha);
		}
		run->held_sha[run->n_held_sha++] = xstrdup(it->raw_sha256);
	}
	if (raw && pipeline_looks_secret(raw, raw_len)) {
		sbuf_addf(&why, "%s (bytes not kept: binary, possibly a key or a database)", reason);
		reason = why.buf;
		raw = NULL;
		raw_len = 0;
	}
	rc = store_quarantine_put(run->st, run->src->name, run->file_path, it->line, reason,
				  it->raw_sha256, raw, raw_len);

	if (rc < 0) {
		sbuf_release(&why);
		return -1;
	}
	if (rc > 0) {
		run->file.quarantined++;
		log_warn("%s (quarantined)", reason);
	} else {
		log_info("%s (already in quarantine)", reason);
	}
	sbuf_release(&why);
	return 0;
}

void pipeline_file_begin(ingest_run *run, const char *path)
{
	memset(&run->file, 0, sizeof run->file);
	run->file_held = 0;
	run->file_path = path;
	run->file_items = 0;
	run->n_held_sha = 0;
}

int pipeline_file_resolve(ingest_run *run)
{
	int n = store_quarantine_resolve_file(run->st, run->file_path,
					      (const char *const *)run->held_sha, run->n_held_sha);

	if (n > 0) {
		sbuf shown = SBUF_INIT;
		log_info("%s: %d item%s in quarantine resolved: read again without them",
			 ingest_name_shown(run->ictx, run->file_path, &shown), n, n == 1 ? "" : "s");
		sbuf_release(&shown);
	}
	return n < 0 ? -1 : 0;
}

/* A large file (an export) is committed every so many records, so that
 * the WAL stays small; should the run end before the file is done, the
 * next run reads it again, and what was committed counts as duplicates. */
#define PIPELINE_FILE_COMMIT_ITEMS 2000

static int pipeline_file_progress(ingest_run *run)
{
	store *st = run->st;

	if (!run->file_path || ++run->file_items % PIPELINE_FILE_COMMIT_ITEMS)
		return 0;
	if (store_depth(st) != 2)
		return 0;   /* not a file's savepoint inside a batch */
	/* the file's savepoint, the batch; then both again */
	if (store_commit(st) || store_commit(st) || store_begin(st) || store_begin(st)) {
		log_error("database: commit within a file failed: %s", store_errmsg(st));
		run->db_failed = 1;
		return -1;
	}
	return 0;
}

void pipeline_file_end(ingest_run *run)
{
	for (size_t i = 0; i < run->n_held_sha; i++)
		free(run->held_sha[i]);
	run->n_held_sha = 0;
	run->file_path = NULL;
}

int pipeline_sink(void *ctx, const ingest_item *it)
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
		return pipeline_file_progress(run);
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


/* Progress on a terminal: one line per source, redrawn at most five times
 * a second; nothing when stderr is not a terminal or with -q.  Only the
 * writer draws it (fetch threads only log, which wipes it first). */
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
		fprintf(stderr, "\r\033[K%s: %ld files, %ld new, %.0f files/s", progress.source,
			c->files, c->new_deviations, secs > 0 ? (double)c->files / secs : 0.0);
	fflush(stderr);
}

/* ---- batches: parsed elsewhere, stored here ---- */

struct pipeline_batch_item {
	ingest_item_kind kind;
	avvik_record rec;
	char *raw;
	size_t raw_len;
	char sha[65];
	char *reason;
	long line;
	char *parent;
};

int pipeline_batch_sink(void *ctx, const ingest_item *it)
{
	pipeline_batch *b = ctx;
	pipeline_batch_item *bi;

	if (b->n == b->alloc) {
		b->alloc = b->alloc ? 2 * b->alloc : 8;
		b->items = xrealloc(b->items, b->alloc * sizeof *b->items);
	}
	bi = &b->items[b->n++];
	memset(bi, 0, sizeof *bi);
	bi->kind = it->kind;
	avvik_record_init(&bi->rec);
	if (it->record) {
		/* the sink may take the record's fields (ingest.h) */
		bi->rec = *it->record;
		avvik_record_init(it->record);
	}
	bi->raw = xmalloc(it->raw_len + 1);
	memcpy(bi->raw, it->raw ? it->raw : "", it->raw_len);
	bi->raw_len = it->raw_len;
	memcpy(bi->sha, it->raw_sha256, sizeof bi->sha);
	bi->reason = xstrdup(it->reason);
	bi->line = it->line;
	bi->parent = xstrdup(it->parent_sha256);
	/* the raw bytes, and about as much again for the record's fields */
	b->bytes += 2 * it->raw_len + sizeof *bi;
	return 0;
}

void pipeline_batch_replay(ingest_run *run, const pipeline_batch *b)
{
	size_t i;

	for (i = 0; i < b->n && !run->db_failed; i++) {
		pipeline_batch_item *bi = &b->items[i];
		ingest_item it;

		memset(&it, 0, sizeof it);
		it.kind = bi->kind;
		it.record = &bi->rec;
		it.raw = bi->raw;
		it.raw_len = bi->raw_len;
		memcpy(it.raw_sha256, bi->sha, sizeof it.raw_sha256);
		it.reason = bi->reason;
		it.line = bi->line;
		it.parent_sha256 = bi->parent;
		pipeline_sink(run, &it);
	}
}

void pipeline_batch_clear(pipeline_batch *b)
{
	size_t i;

	for (i = 0; i < b->n; i++) {
		avvik_record_clear(&b->items[i].rec);
		free(b->items[i].raw);
		free(b->items[i].reason);
		free(b->items[i].parent);
	}
	free(b->items);
	memset(b, 0, sizeof *b);
}

void pipeline_counts_add(pipeline_counts *t, const pipeline_counts *f)
{
	t->new_deviations += f->new_deviations;
	t->duplicates += f->duplicates;
	t->skipped += f->skipped;
	t->quarantined += f->quarantined;
	progress_show(t, 0);
}

static int pipeline_is_remote(const cli_source *src)
{
	return src->type == SOURCE_IMAP || src->type == SOURCE_HTTP;
}

/* One source; r, when given, is its remote fetcher, already fetching. */
static int pipeline_ingest_one(store *st, const cli_source *src, const pipeline_opts *o,
			       pipeline_remote *r, pipeline_counts *out)
{
	ingest_run run;
	ingest_ctx ictx;
	pipeline_remote *own = NULL;
	int rc;

	memset(out, 0, sizeof *out);
	memset(&run, 0, sizeof run);
	memset(&ictx, 0, sizeof ictx);
	run.st = st;
	run.src = src;
	run.ictx = &ictx;
	ictx.hmac_key = o->key;
	ictx.hmac_key_len = o->key_len;
	ictx.source = src->name;
	ictx.sink = pipeline_sink;
	ictx.sink_ctx = &run;
	progress_start(src->name);
	if (pipeline_is_remote(src)) {
		if (!r)
			r = own = pipeline_remote_new(st, src, o);
		rc = pipeline_remote_store(&run, r, out);
		pipeline_remote_free(own);
	} else {
		rc = pipeline_files(&run, &ictx, o, out);
	}
	progress_show(out, 1);
	sbuf_release(&run.whole_doc_error);
	free(run.held_sha);
	return rc;
}

int pipeline_ingest_buffer(store *st, const char *source, const char *origin, const char *data,
			   size_t len, ingest_format fmt, const pipeline_opts *o, const char *resolve_sha,
			   pipeline_counts *out)
{
	cli_source src;
	ingest_run run;
	ingest_ctx ictx;
	int rc, again = 0;

	memset(out, 0, sizeof *out);
	memset(&src, 0, sizeof src);
	src.name = (char *)source;
	src.format = fmt;
	memset(&run, 0, sizeof run);
	memset(&ictx, 0, sizeof ictx);
	run.st = st;
	run.src = &src;
	run.ictx = &ictx;
	ictx.hmac_key = o->key;
	ictx.hmac_key_len = o->key_len;
	ictx.source = source;
	ictx.sink = pipeline_sink;
	ictx.sink_ctx = &run;
	if (store_begin(st))
		return -1;
	/* file_path set (to the origin) so that what comes back is listed */
	pipeline_file_begin(&run, origin ? origin : "");
	rc = ingest_buffer(&ictx, origin ? origin : source, data, len, fmt);
	for (size_t i = 0; i < run.n_held_sha && resolve_sha; i++)
		again |= !strcmp(run.held_sha[i], resolve_sha);
	if (rc == 0 && !run.db_failed && resolve_sha && !again)
		rc = store_quarantine_resolve_sha(st, resolve_sha);
	if (rc == 0 && !run.db_failed && store_commit(st) == 0) {
		*out = run.file;
		out->files = 1;
		rc = 0;
	} else {
		store_rollback(st);
		rc = -1;
	}
	pipeline_file_end(&run);
	free(run.held_sha);
	sbuf_release(&run.whole_doc_error);
	return rc;
}

/* Remote sources fetched ahead: at most jobs at a time, started in the
 * order the writer stores them, so the one it waits for is always among
 * them; a source named twice is fetched ahead only the first time (the
 * second reads the cursor the first leaves). */
int pipeline_ingest_sources(store *st, const cli_source *const *srcs, size_t n,
			    const pipeline_opts *o, pipeline_source_done done, void *ctx)
{
	pipeline_remote **ahead = xcalloc(n ? n : 1, sizeof *ahead);
	char *fetch_ahead = xcalloc(n ? n : 1, 1);
	size_t i, j, next = 0;
	int running = 0, rc = 0;

	for (i = 0; i < n && o->jobs > 1; i++) {
		fetch_ahead[i] = (char)pipeline_is_remote(srcs[i]);
		for (j = 0; j < i && fetch_ahead[i]; j++)
			if (srcs[j] == srcs[i] || !strcmp(srcs[j]->name, srcs[i]->name))
				fetch_ahead[i] = 0;
	}
	for (i = 0; i < n && !rc; i++) {
		pipeline_counts c;

		/* the cursors are read here, in the writer's thread */
		for (; next < n && running < o->jobs; next++) {
			if (!fetch_ahead[next])
				continue;
			ahead[next] = pipeline_remote_new(st, srcs[next], o);
			pipeline_remote_start(ahead[next]);
			running++;
		}
		rc = pipeline_ingest_one(st, srcs[i], o, ahead[i], &c);
		if (ahead[i]) {
			pipeline_remote_free(ahead[i]);
			ahead[i] = NULL;
			running--;
		}
		done(ctx, srcs[i], &c);
	}
	/* after a database failure: the fetchers still going are stopped */
	for (i = 0; i < n; i++)
		pipeline_remote_free(ahead[i]);
	free(ahead);
	free(fetch_ahead);
	return rc;
}
