/*
 * pipeline_classify.c - store -> classify -> store: what has no
 * classification under a rules commit is classified and the results
 * written back, one transaction per 1000 records.
 *
 * With jobs > 1, worker threads classify and this thread stays the only
 * one that touches SQLite: it reads records in batches, hands them to the
 * workers through a bounded ring, and stores the classified batches in the
 * order it read them, so the rows are the same as with one job.
 */
#include "cli/pipeline_int.h"
#include "classify/classify.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#define PIPELINE_CLASSIFY_COMMIT_EVERY 1000   /* records per transaction */
#define PIPELINE_CLASSIFY_BATCH 256           /* records a worker takes at once */

/* Records on their way: read and filled by the writer, classified by one
 * worker, stored and freed by the writer. */
typedef struct {
	int64_t ids[PIPELINE_CLASSIFY_BATCH];
	avvik_record recs[PIPELINE_CLASSIFY_BATCH];
	avvik_class cls[PIPELINE_CLASSIFY_BATCH];
	size_t n;
	int classified;         /* set by the worker, under the queue's mutex */
} pipeline_classify_batch;

/* The batches in flight, in read order.  The writer puts at the tail and
 * stores from the head; a worker takes the oldest batch no worker has yet
 * (the first `taken` from head are taken).  At most cap batches, so memory
 * stays bounded however many deviations there are. */
typedef struct {
	pthread_mutex_t mu;
	pthread_cond_t can_take;        /* a batch is waiting for a worker, or stop */
	pthread_cond_t classified;      /* a worker finished a batch */
	pipeline_classify_batch **ring;
	size_t cap, head, count, taken;
	int stop;
	const classify_rules *rules;
	const classify_model *model;    /* NULL: rules alone */
} pipeline_classify_queue;

typedef struct {
	store *st;
	const classify_rules *rules;
	const classify_model *model;    /* the current model, NULL when none is trained */
	long n;                         /* records stored */
	int failed;
	pipeline_classify_queue *q;     /* NULL: this thread classifies */
	pipeline_classify_batch *fill;  /* being filled by the writer */
} pipeline_classify_run;

/* Writes one result; commits every PIPELINE_CLASSIFY_COMMIT_EVERY records
 * so transactions stay short.  0 ok, -1 database error. */
static int pipeline_classify_store(pipeline_classify_run *cr, int64_t id, const avvik_class *c)
{
	if (store_class_put(cr->st, id, classify_rules_commit(cr->rules), c) ||
	    (++cr->n % PIPELINE_CLASSIFY_COMMIT_EVERY == 0 && (store_commit(cr->st) || store_begin(cr->st)))) {
		cr->failed = 1;
		return -1;
	}
	return 0;
}

/* ---- one thread: classify and store each record as it is read ---- */

static int pipeline_classify_one(void *ctx, int64_t id, const avvik_record *r)
{
	pipeline_classify_run *cr = ctx;
	avvik_class c;
	int rc;

	avvik_class_init(&c);
	classify_combine(cr->rules, cr->model, r, &c);
	rc = pipeline_classify_store(cr, id, &c);
	avvik_class_clear(&c);
	return rc;
}

/* ---- worker threads ---- */

static void pipeline_classify_party_dup(avvik_party *dst, const avvik_party *src)
{
	dst->name = xstrdup(src->name);
	dst->unit = xstrdup(src->unit);
	dst->her_id = xstrdup(src->her_id);
	dst->org_nr = xstrdup(src->org_nr);
	dst->type_hint = xstrdup(src->type_hint);
}

/* A deep copy of every member of src (core/core.h: a member added there
 * belongs here too): the store's record lives only during its callback,
 * and a worker classifies it later. */
static void pipeline_classify_record_dup(avvik_record *dst, const avvik_record *src)
{
	size_t i;

	avvik_record_init(dst);
	dst->ext_id = xstrdup(src->ext_id);
	dst->source = xstrdup(src->source);
	dst->channel = xstrdup(src->channel);
	dst->origin = xstrdup(src->origin);
	dst->received_at = xstrdup(src->received_at);
	dst->reported_at = xstrdup(src->reported_at);
	dst->event_date = xstrdup(src->event_date);
	pipeline_classify_party_dup(&dst->reporter, &src->reporter);
	pipeline_classify_party_dup(&dst->concerned, &src->concerned);
	dst->subject = xstrdup(src->subject);
	dst->text = xstrdup(src->text);
	dst->source_category = xstrdup(src->source_category);
	dst->severity = xstrdup(src->severity);
	dst->patient_related = src->patient_related;
	dst->patient_key = xstrdup(src->patient_key);
	for (i = 0; i < src->n_attachments; i++)
		avvik_record_add_attachment(dst, src->attachments[i].name, src->attachments[i].mime_type,
					    src->attachments[i].size);
	memcpy(dst->content_hash, src->content_hash, sizeof dst->content_hash);
}

static pipeline_classify_batch *pipeline_classify_batch_new(void)
{
	return xcalloc(1, sizeof(pipeline_classify_batch));
}

static void pipeline_classify_batch_free(pipeline_classify_batch *b)
{
	size_t i;

	if (!b)
		return;
	for (i = 0; i < b->n; i++) {
		avvik_record_clear(&b->recs[i]);
		avvik_class_clear(&b->cls[i]);
	}
	free(b);
}

/* Takes the oldest untaken batch, classifies it outside the lock, marks
 * it done; until the writer says stop. */
static void *pipeline_classify_worker(void *arg)
{
	pipeline_classify_queue *q = arg;
	size_t i;

	pthread_mutex_lock(&q->mu);
	for (;;) {
		pipeline_classify_batch *b;

		while (!q->stop && q->taken == q->count)
			pthread_cond_wait(&q->can_take, &q->mu);
		if (q->stop)
			break;
		b = q->ring[(q->head + q->taken++) % q->cap];
		pthread_mutex_unlock(&q->mu);
		for (i = 0; i < b->n; i++)
			classify_combine(q->rules, q->model, &b->recs[i], &b->cls[i]);
		pthread_mutex_lock(&q->mu);
		b->classified = 1;
		pthread_cond_signal(&q->classified);   /* only the writer waits on it */
	}
	pthread_mutex_unlock(&q->mu);
	return NULL;
}

/* Stores the classified batches at the head of the ring, in read order.
 * With wait, first waits until the head batch is classified (when there
 * is one), so at least one leaves the ring.  The store is written outside
 * the lock: workers go on meanwhile.  0 ok, -1 database error. */
static int pipeline_classify_store_ready(pipeline_classify_run *cr, int wait)
{
	pipeline_classify_queue *q = cr->q;

	for (;;) {
		pipeline_classify_batch *b = NULL;
		size_t i;
		int rc = 0;

		pthread_mutex_lock(&q->mu);
		while (wait && q->count && !q->ring[q->head]->classified)
			pthread_cond_wait(&q->classified, &q->mu);
		if (q->count && q->ring[q->head]->classified) {
			b = q->ring[q->head];
			q->head = (q->head + 1) % q->cap;
			q->count--;
			q->taken--;
		}
		pthread_mutex_unlock(&q->mu);
		if (!b)
			return 0;
		for (i = 0; i < b->n && !rc; i++)
			rc = pipeline_classify_store(cr, b->ids[i], &b->cls[i]);
		pipeline_classify_batch_free(b);
		if (rc)
			return -1;
		wait = 0;
	}
}

/* Hands the batch being filled to the workers, first making room in the
 * ring when it is full.  0 ok, -1 database error. */
static int pipeline_classify_submit(pipeline_classify_run *cr)
{
	pipeline_classify_queue *q = cr->q;
	pipeline_classify_batch *b = cr->fill;
	int full;

	cr->fill = NULL;
	if (!b || !b->n) {
		pipeline_classify_batch_free(b);
		return 0;
	}
	pthread_mutex_lock(&q->mu);
	full = q->count == q->cap;
	pthread_mutex_unlock(&q->mu);
	/* only this thread adds or removes batches: once made, the room stays */
	if (full && pipeline_classify_store_ready(cr, 1)) {
		pipeline_classify_batch_free(b);
		return -1;
	}
	pthread_mutex_lock(&q->mu);
	q->ring[(q->head + q->count) % q->cap] = b;
	q->count++;
	pthread_cond_signal(&q->can_take);
	pthread_mutex_unlock(&q->mu);
	return pipeline_classify_store_ready(cr, 0);
}

/* store_deviations_each callback with workers: collects a batch, hands it
 * off when full, and stores what is done meanwhile (between its reads the
 * store holds no statement open, so writing here is fine). */
static int pipeline_classify_collect(void *ctx, int64_t id, const avvik_record *r)
{
	pipeline_classify_run *cr = ctx;
	pipeline_classify_batch *b;

	if (!cr->fill)
		cr->fill = pipeline_classify_batch_new();
	b = cr->fill;
	b->ids[b->n] = id;
	pipeline_classify_record_dup(&b->recs[b->n], r);
	avvik_class_init(&b->cls[b->n]);
	b->n++;
	return b->n == PIPELINE_CLASSIFY_BATCH ? pipeline_classify_submit(cr) : 0;
}

/* Starts up to jobs workers on q; returns how many started. */
static int pipeline_classify_start(pipeline_classify_queue *q, pthread_t *tid, int jobs)
{
	int i, n = 0;

	for (i = 0; i < jobs; i++)
		if (pthread_create(&tid[n], NULL, pipeline_classify_worker, q) == 0)
			n++;
	return n;
}

/* Classifies with jobs worker threads; falls back to this thread alone
 * when none can be started.  0 ok, -1 database error. */
static int pipeline_classify_parallel(pipeline_classify_run *cr, const char *commit, int jobs)
{
	pipeline_classify_queue q;
	pthread_t *tid = xcalloc((size_t)jobs, sizeof *tid);
	int n_threads, i, rc;

	memset(&q, 0, sizeof q);
	pthread_mutex_init(&q.mu, NULL);
	pthread_cond_init(&q.can_take, NULL);
	pthread_cond_init(&q.classified, NULL);
	q.cap = 2 * (size_t)jobs;
	q.ring = xcalloc(q.cap, sizeof *q.ring);
	q.rules = cr->rules;
	q.model = cr->model;
	n_threads = pipeline_classify_start(&q, tid, jobs);
	if (n_threads == 0) {
		log_warn("classify: cannot start worker threads; classifying in one thread");
		rc = store_deviations_each(cr->st, commit, pipeline_classify_one, cr);
	} else {
		log_debug("classify: %d worker threads", n_threads);
		cr->q = &q;
		rc = store_deviations_each(cr->st, commit, pipeline_classify_collect, cr);
		if (!rc)
			rc = pipeline_classify_submit(cr);   /* the last, partial batch */
		while (!rc && q.count)
			rc = pipeline_classify_store_ready(cr, 1);
		cr->q = NULL;
	}
	/* done, or a database error: the workers stop, what is left is dropped */
	pthread_mutex_lock(&q.mu);
	q.stop = 1;
	pthread_cond_broadcast(&q.can_take);
	pthread_mutex_unlock(&q.mu);
	for (i = 0; i < n_threads; i++)
		pthread_join(tid[i], NULL);
	for (; q.count; q.count--, q.head = (q.head + 1) % q.cap)
		pipeline_classify_batch_free(q.ring[q.head]);
	pipeline_classify_batch_free(cr->fill);
	cr->fill = NULL;
	free(q.ring);
	free(tid);
	pthread_cond_destroy(&q.classified);
	pthread_cond_destroy(&q.can_take);
	pthread_mutex_destroy(&q.mu);
	return rc;
}

int pipeline_model_load(store *st, const char *hash, classify_model **out, sbuf *err)
{
	store_model sm;
	int rc;

	*out = NULL;
	if ((rc = store_model_get(st, hash, &sm)) <= 0) {
		if (rc == -1)
			sbuf_addf(err, "database read failed: %s", store_errmsg(st));
		else if (rc == -2)
			sbuf_addf(err, "model %s: the prefix names several models; give more of the hash", hash);
		else if (hash)
			sbuf_addf(err, "model %s: no such model ('avvik model train' makes one)", hash);
		return rc < 0 || hash ? -1 : 0;
	}
	rc = classify_model_load(out, sm.body, sm.len, err);
	if (rc)
		sbuf_addf(err, " (stored model %.12s; 'avvik model train' makes a new one)", sm.hash);
	store_model_clear(&sm);
	return rc;
}

int pipeline_classify(store *st, const char *rules_dir, const char *rev, int all, int jobs,
		      long *n_out, char **commit_out, sbuf *err)
{
	classify_rules *rules = NULL;
	classify_model *model = NULL;
	pipeline_classify_run cr;
	const char *only_new, *hash;
	char *prev = NULL;
	int complete = 0;

	*n_out = 0;
	*commit_out = NULL;
	if (classify_rules_load(&rules, rules_dir, rev, err))
		return -1;
	if (pipeline_model_load(st, NULL, &model, err)) {
		classify_rules_free(rules);
		return -1;
	}
	hash = model ? classify_model_hash(model) : NULL;
	memset(&cr, 0, sizeof cr);
	cr.st = st;
	cr.rules = rules;
	cr.model = model;
	only_new = all ? NULL : classify_rules_commit(rules);
	if (store_begin(st))
		goto db_fail;
	/* A model change is a process change, like a rule change: what was
	 * classified under the old model stays until classify --all. */
	if (!all && store_class_run_model(st, classify_rules_commit(rules), &prev) == 1 &&
	    (!prev != !hash || (prev && strcmp(prev, hash))))
		log_warn("classify: the model changed since the last classify under rules %.12s (%.12s -> %.12s): "
			 "new deviations get the new one; 'avvik classify --all' re-classifies the others",
			 classify_rules_commit(rules), prev ? prev : "none", hash ? hash : "none");
	free(prev);
	/* Nothing new under this commit (the nightly case): no scan at all. */
	if (!all && (complete = store_class_complete(st, classify_rules_commit(rules))) < 0)
		goto db_fail;
	if (!all && complete)
		;
	else if (jobs > 1 ? pipeline_classify_parallel(&cr, only_new, jobs) :
		 store_deviations_each(st, only_new, pipeline_classify_one, &cr))
		goto db_fail;
	if (cr.failed)
		goto db_fail;
	if (store_class_run_put(st, classify_rules_commit(rules), cr.n) || store_class_run_model_put(st, hash) ||
	    store_commit(st))
		goto db_fail;
	*n_out = cr.n;
	*commit_out = xstrdup(classify_rules_commit(rules));
	classify_model_free(model);
	classify_rules_free(rules);
	return 0;
db_fail:
	sbuf_addf(err, "database write failed: %s", store_errmsg(st));
	store_rollback(st);
	classify_model_free(model);
	classify_rules_free(rules);
	return -1;
}
