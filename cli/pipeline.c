/*
 * pipeline.c - the one place where the stages meet: files from a source are
 * parsed by ingest/ and written by store/, one transaction per file together
 * with the file's identity; stored deviations are classified by classify/
 * and the results written back, one transaction per batch.
 */
#include "cli/cli.h"
#include "classify/classify.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

typedef struct {
	store *st;
	const cli_source *src;
	pipeline_counts file;   /* counts of the file being read */
	int db_failed;
} ingest_run;

static int pipeline_sink(void *ctx, const ingest_item *it)
{
	ingest_run *run = ctx;
	int64_t raw_id = 0, dev_id = 0;
	int rc;

	switch (it->kind) {
	case INGEST_ITEM_DEVIATION:
		rc = store_raw_put(run->st, it->raw_sha256, run->src->name, it->record->origin,
				   "deviation", NULL, it->raw, it->raw_len, &raw_id);
		if (rc == 0) {
			run->file.duplicates++;
			return 0;
		}
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
		if (rc > 0) {
			run->file.skipped++;
			log_info("%s (skipped)", it->reason);
		} else {
			run->file.duplicates++;
		}
		return 0;
	case INGEST_ITEM_QUARANTINE:
		rc = store_quarantine_put(run->st, run->src->name, NULL, it->line, it->reason,
					  it->raw_sha256, it->raw, it->raw_len);
		if (rc < 0)
			break;
		if (rc > 0) {
			run->file.quarantined++;
			log_warn("%s (quarantined)", it->reason);
		} else {
			log_info("%s (already in quarantine)", it->reason);
		}
		return 0;
	}
	run->db_failed = 1;
	return -1;
}

typedef struct {
	ingest_run *run;
	ingest_ctx *ictx;
	pipeline_counts *total;
} walk_ctx;

static void counts_add(pipeline_counts *t, const pipeline_counts *f)
{
	t->new_deviations += f->new_deviations;
	t->duplicates += f->duplicates;
	t->skipped += f->skipped;
	t->quarantined += f->quarantined;
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
	if (store_file_seen(st, path, (int64_t)sb.st_size, (int64_t)sb.st_mtime, (int64_t)sb.st_ino)) {
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

int pipeline_ingest_source(store *st, const cli_source *src, const unsigned char *key,
			   size_t key_len, pipeline_counts *out)
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
	w.run = &run;
	w.ictx = &ictx;
	w.total = out;
	rc = ingest_walk(src->path, pipeline_file, &w);
	if (rc < 0 && !run.db_failed) {
		log_error("source %s: %s: %s", src->name, src->path, strerror(errno));
		out->failed = 1;
		return 0;
	}
	return run.db_failed ? -1 : 0;
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
	if (store_deviations_each(st, all ? NULL : classify_rules_commit(rules), pipeline_classify_one, &cr) ||
	    cr.failed)
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
