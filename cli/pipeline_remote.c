/*
 * pipeline_remote.c - IMAP and HTTP sources.  A fetcher talks to the
 * server and hands over units: an IMAP message with its UID, an HTTP page
 * with its documents and the cursor after it.  The writer stores each unit
 * in one transaction with the source's cursor, so a run killed at any
 * moment resumes after the last unit committed.
 *
 * With jobs = 1 the writer asks the fetcher for one unit at a time, as a
 * plain loop.  With jobs > 1 the fetcher runs in a thread of its own, ahead
 * of the writer by at most a bounded queue (REMOTE_QUEUE_UNITS units or
 * REMOTE_QUEUE_BYTES bytes), and the IMAP after-actions (\Seen, move,
 * \Unseen restored) stay on the fetcher's connection: the writer only
 * counts the messages it committed, in UID order, and the fetcher acts on
 * those, never on one that is not committed.
 */
#include "cli/pipeline_int.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

/* How far a fetch thread may run ahead of the writer.  One unit always
 * fits into an empty queue, however large (the fetch itself caps it: an
 * IMAP message at the ingest limit, an HTTP response at max_body). */
#define REMOTE_QUEUE_UNITS 16
#define REMOTE_QUEUE_BYTES ((size_t)32 << 20)

#define HTTP_MAX_PAGES 10000

typedef enum {
	UNIT_IMAP_MAILBOX,   /* the mailbox's UIDVALIDITY (uid), the cursor's UID (last) */
	UNIT_IMAP_NEW,       /* how many messages are new (n_new) after UID last */
	UNIT_IMAP_MESSAGE,   /* one message (msg), or why it is too big (err) */
	UNIT_HTTP_PAGE,      /* one page: docs, and the cursor after it */
	UNIT_NOT_MODIFIED,   /* 304: nothing new since the last run */
	UNIT_FAILED,         /* the source failed: err says why */
	UNIT_END             /* nothing more */
} remote_unit_kind;

typedef struct remote_unit {
	struct remote_unit *next;
	remote_unit_kind kind;
	long files;          /* what it adds to the source's count of files */
	size_t bytes;        /* what it holds, for the queue's bound */
	uint64_t uid, last;
	size_t n_new;
	int too_big;
	sbuf msg;                /* the message, until it is parsed into batch */
	pipeline_batch batch;    /* IMAP: the message's items */
	sbuf *docs;              /* HTTP: the page's documents, until parsed: */
	size_t n_docs;
	pipeline_batch *doc_batch;   /* each document's items */
	char (*doc_sha)[65];         /* each document's sha256 */
	char *since, *next_since, *etag, *last_modified;
	sbuf err;
} remote_unit;

struct pipeline_remote {
	const cli_source *src;
	ingest_ctx parse;        /* how the fetcher parses (its sink: a batch) */
	int dry_run;
	/* between the fetch thread and the writer: under mu, cond signals
	 * any change */
	pthread_mutex_t mu;
	pthread_cond_t cond;
	remote_unit *head, *tail;
	size_t count, bytes;
	size_t committed;        /* IMAP: messages the writer committed, in uids order */
	int stop;                /* writer: fetch nothing more */
	int writer_done;         /* writer: nothing more will be committed */
	int threaded, joined;
	pthread_t tid;
	/* the fetcher's own (the thread's, or the writer's without one) */
	int finished;            /* FAILED or END handed over */
	int wrapped_up;
	long after_failed;       /* after-actions that failed (read once joined) */
	sbuf setup_err;
	sbuf secret;
	/* IMAP */
	ingest_imap *im;
	char *mailbox;
	sbuf key_uidv, key_uid;
	uint64_t old_uidv, last, uidv;
	uint64_t *uids, *unseen;
	size_t n, n_unseen, fetched, after_done;
	int imap_step;
	const char *after;
	/* HTTP */
	ingest_http_req req;
	char *since, *etag, *lm;
	int page, http_last, http_loop;
};

static remote_unit *remote_unit_new(remote_unit_kind kind)
{
	remote_unit *u = xcalloc(1, sizeof *u);

	u->kind = kind;
	sbuf_init(&u->msg, 0);
	sbuf_init(&u->err, 0);
	return u;
}

static void http_documents_free(sbuf *docs, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		sbuf_release(&docs[i]);
	free(docs);
}

static void remote_unit_free(remote_unit *u)
{
	size_t i;

	if (!u)
		return;
	sbuf_release(&u->msg);
	sbuf_release(&u->err);
	pipeline_batch_clear(&u->batch);
	for (i = 0; u->doc_batch && i < u->n_docs; i++)
		pipeline_batch_clear(&u->doc_batch[i]);
	free(u->doc_batch);
	free(u->doc_sha);
	http_documents_free(u->docs, u->n_docs);
	free(u->since);
	free(u->next_since);
	free(u->etag);
	free(u->last_modified);
	free(u);
}

/* ---- IMAP: the cursor is (mailbox, UIDVALIDITY, last UID) ---- */

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

/* The writer's thread: the secret, the handle (no network yet) and the
 * cursor. */
static void imap_setup(pipeline_remote *r, store *st)
{
	const cli_source *src = r->src;
	ingest_imap_opts o;

	r->after = src->after ? src->after : "leave";
	if (ingest_secret_read(src->password_file, src->password_env, &r->secret, &r->setup_err))
		return;
	memset(&o, 0, sizeof o);
	o.source = src->name;
	o.url = src->url;
	o.user = src->user;
	o.password = r->secret.buf;
	o.tls = src->tls;
	o.ca_file = src->ca_file;
	o.timeout = src->timeout;
	if (ingest_imap_open(&r->im, &o, &r->setup_err))
		return;
	/* libcurl has its own copy now */
	explicit_bzero(r->secret.buf, r->secret.len);
	r->mailbox = xstrdup(ingest_imap_mailbox(r->im));
	imap_key(&r->key_uidv, r->mailbox, "uidvalidity");
	imap_key(&r->key_uid, r->mailbox, "uid");
	r->old_uidv = imap_cursor_u64(st, src->name, r->key_uidv.buf);
	r->last = imap_cursor_u64(st, src->name, r->key_uid.buf);
}

/* Where an IMAP message came from, as its records and quarantine name it. */
static void imap_origin(sbuf *out, const cli_source *src, uint64_t uid)
{
	sbuf_reset(out);
	sbuf_addf(out, "%s;UID=%llu", src->url, (unsigned long long)uid);
}

/* Parses what was fetched into b, in the fetcher's thread. */
static void remote_parse(pipeline_remote *r, const char *origin, const char *data, size_t len,
			 ingest_format fmt, pipeline_batch *b)
{
	ingest_ctx ctx = r->parse;

	ctx.sink = pipeline_batch_sink;
	ctx.sink_ctx = b;
	ingest_buffer(&ctx, origin, data, len, fmt);   /* the batch sink never fails */
}

/* The next unit from the server: the mailbox's UIDVALIDITY, then what is
 * new, then one message at a time. */
static void imap_fetch_next(pipeline_remote *r, remote_unit *u)
{
	uint64_t uid;

	switch (r->imap_step++) {
	case 0:
		if (ingest_imap_uidvalidity(r->im, &r->uidv, &u->err))
			break;
		/* the server renumbered the mailbox: read it all again; stored
		 * messages are recognised by Message-ID and content hash */
		if (r->old_uidv && r->old_uidv != r->uidv)
			r->last = 0;
		u->kind = UNIT_IMAP_MAILBOX;
		u->uid = r->uidv;
		u->last = r->last;
		return;
	case 1:
		if (ingest_imap_search(r->im, r->last + 1, 0, &r->uids, &r->n, &u->err))
			break;
		/* after = leave: fetching sets \Seen, so what was unseen is made so again */
		if (r->n && (!strcmp(r->after, "leave") || r->dry_run) &&
		    ingest_imap_search(r->im, r->last + 1, 1, &r->unseen, &r->n_unseen, &u->err))
			break;
		u->kind = UNIT_IMAP_NEW;
		u->uid = r->uidv;
		u->last = r->last;
		u->n_new = r->n;
		return;
	default:
		if (r->fetched == r->n) {
			u->kind = UNIT_END;
			return;
		}
		uid = r->uids[r->fetched];
		u->files = 1;
		u->uid = uid;
		if (ingest_imap_fetch(r->im, r->uidv, uid, 0, &u->msg, &u->too_big, &u->err) &&
		    !u->too_big)
			break;
		/* too big: kept out, but said so; the cursor moves past it */
		r->fetched++;
		u->kind = UNIT_IMAP_MESSAGE;
		if (!u->too_big) {
			sbuf origin = SBUF_INIT;
			imap_origin(&origin, r->src, uid);
			remote_parse(r, origin.buf, u->msg.buf, u->msg.len, INGEST_FORMAT_EML, &u->batch);
			sbuf_release(&origin);
		}
		sbuf_release(&u->msg);
		u->bytes = u->batch.bytes;
		return;
	}
	u->kind = UNIT_FAILED;
	sbuf_release(&u->msg);
}

/* The after-action of the message uids[k]: once committed, the source's
 * (after = leave, or a dry run, which stored nothing: only undo the \Seen
 * fetching set); never committed: only that undoing. */
static void imap_after(pipeline_remote *r, size_t k, int committed)
{
	uint64_t uid = r->uids[k];
	int was_unseen = imap_in(r->unseen, r->n_unseen, uid);
	const char *act = was_unseen ? "unseen" : NULL;
	sbuf err = SBUF_INIT;

	if (committed && !r->dry_run && strcmp(r->after, "leave"))
		act = r->after;
	if (act && ingest_imap_after(r->im, uid, act, &err)) {
		log_warn("source %s: %s (the message is %s)", r->src->name, err.buf,
			 committed ? "stored" : "not stored; the next run fetches it again");
		r->after_failed++;
	}
	sbuf_release(&err);
}

/* ---- HTTP: the cursor is `since`, and the last page's validators ---- */

static void http_setup(pipeline_remote *r, store *st)
{
	const cli_source *src = r->src;

	if ((src->password_file || src->password_env) &&
	    ingest_secret_read(src->password_file, src->password_env, &r->secret, &r->setup_err))
		return;
	if (src->token_file && ingest_secret_read(src->token_file, NULL, &r->secret, &r->setup_err))
		return;
	r->since = store_cursor_get(st, src->name, "since");
	if (!src->no_etag) {
		r->etag = store_cursor_get(st, src->name, "etag");
		r->lm = store_cursor_get(st, src->name, "last_modified");
	}
	r->req.since_param = src->since_param;
	r->req.etag = r->etag;
	r->req.last_modified = r->lm;
	r->req.timeout = src->timeout;
	r->req.connect_timeout = src->connect_timeout;
	r->req.retries = src->retries >= 0 ? src->retries : 3;
	r->req.retry_delay_ms = src->retry_delay_ms;
	r->req.ca_file = src->ca_file;
	r->req.user = src->user;
	r->req.password = src->user ? r->secret.buf : NULL;
	r->req.bearer_token = src->token_file ? r->secret.buf : NULL;
}

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
		/* taken, not copied: a page may be large and wait in the queue */
		*docs = xcalloc(1, sizeof **docs);
		(*docs)[0] = first->body;
		sbuf_init(&first->body, 0);
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

/* The next page, with the cursor it leaves behind; the paging's own
 * failures (a cursor that does not advance, too many pages) come after the
 * page that showed them, which is stored. */
static void http_fetch_next(pipeline_remote *r, remote_unit *u)
{
	const cli_source *src = r->src;
	ingest_http_resp resp;
	size_t i;

	if (r->http_last) {
		u->kind = UNIT_END;
		return;
	}
	u->kind = UNIT_FAILED;
	if (r->http_loop) {
		sbuf_addf(&u->err, "%s: next-since '%s' is the cursor just used: the server's paging "
			  "does not advance (stopped; what came is stored)", src->url, r->since);
		return;
	}
	if (r->page == HTTP_MAX_PAGES) {
		sbuf_addf(&u->err, "%s: more than %d pages in one run: stopped (what came is stored; the "
			  "next run goes on from there)", src->url, HTTP_MAX_PAGES);
		return;
	}
	ingest_http_resp_init(&resp);
	r->req.since = r->since;
	if (ingest_http_get(&r->req, src->url, r->page == 0 && !src->no_etag, &resp, &u->err))
		goto out;
	u->files = 1;
	if (resp.not_modified) {
		u->kind = UNIT_NOT_MODIFIED;
		r->http_last = 1;
		goto out;
	}
	if (http_documents(&r->req, src->url, &resp, &u->docs, &u->n_docs, &u->err))
		goto out;
	u->kind = UNIT_HTTP_PAGE;
	u->next_since = u->n_docs == 1 ? ingest_http_next_since(u->docs[0].buf, u->docs[0].len) : NULL;
	u->since = r->since ? xstrdup(r->since) : NULL;
	u->etag = resp.etag;
	u->last_modified = resp.last_modified;
	resp.etag = resp.last_modified = NULL;
	/* parsed here, in the fetcher: the writer only stores */
	u->doc_batch = xcalloc(u->n_docs ? u->n_docs : 1, sizeof *u->doc_batch);
	u->doc_sha = xcalloc(u->n_docs ? u->n_docs : 1, sizeof *u->doc_sha);
	for (i = 0; i < u->n_docs; i++) {
		ingest_sha256_hex(u->docs[i].buf, u->docs[i].len, u->doc_sha[i]);
		remote_parse(r, src->url, u->docs[i].buf, u->docs[i].len, src->format, &u->doc_batch[i]);
		sbuf_release(&u->docs[i]);
		u->bytes += u->doc_batch[i].bytes;
	}
	r->page++;
	if (!u->next_since)
		r->http_last = 1;
	else if (r->since && !strcmp(r->since, u->next_since))
		r->http_loop = 1;
	else {
		free(r->since);
		r->since = xstrdup(u->next_since);
	}
out:
	ingest_http_resp_clear(&resp);
	sbuf_release(&resp.body);
}

/* ---- the fetcher ---- */

static remote_unit *remote_fetch_next(pipeline_remote *r)
{
	remote_unit *u = remote_unit_new(UNIT_END);

	if (r->finished) {
		return u;
	} else if (r->setup_err.len) {
		u->kind = UNIT_FAILED;
		sbuf_adds(&u->err, r->setup_err.buf);
	} else if (r->src->type == SOURCE_IMAP) {
		imap_fetch_next(r, u);
	} else {
		http_fetch_next(r, u);
	}
	if (u->kind == UNIT_FAILED || u->kind == UNIT_END)
		r->finished = 1;
	return u;
}

/* The after-actions of the messages committed so far. */
static void remote_after_committed(pipeline_remote *r)
{
	size_t upto;

	pthread_mutex_lock(&r->mu);
	upto = r->committed;
	pthread_mutex_unlock(&r->mu);
	for (; r->after_done < upto; r->after_done++)
		imap_after(r, r->after_done, 1);
}

/* What the fetcher does last: the after-actions of what was committed,
 * and the messages fetched but never committed put back as they were. */
static void remote_wrap_up(pipeline_remote *r)
{
	size_t k;

	if (r->wrapped_up || !r->im)
		return;
	r->wrapped_up = 1;
	remote_after_committed(r);
	for (k = r->after_done; k < r->fetched; k++)
		imap_after(r, k, 0);
}

/* Hands u to the writer, waiting while the queue is full (doing the
 * after-actions the writer asks for meanwhile).  0, or -1 when the writer
 * stopped this source (u is freed). */
static int remote_queue_put(pipeline_remote *r, remote_unit *u)
{
	int said = 0;

	pthread_mutex_lock(&r->mu);
	for (;;) {
		if (r->stop) {
			pthread_mutex_unlock(&r->mu);
			remote_unit_free(u);
			return -1;
		}
		if (!r->count || (r->count < REMOTE_QUEUE_UNITS && r->bytes + u->bytes <= REMOTE_QUEUE_BYTES))
			break;
		if (r->committed > r->after_done) {
			pthread_mutex_unlock(&r->mu);
			remote_after_committed(r);
			pthread_mutex_lock(&r->mu);
			continue;
		}
		if (!said) {
			size_t count = r->count, bytes = r->bytes;
			/* said outside the lock; the state is looked at again after */
			pthread_mutex_unlock(&r->mu);
			log_debug("source %s: %zu units (%zu bytes) wait for the writer: fetching paused",
				  r->src->name, count, bytes);
			said = 1;
			pthread_mutex_lock(&r->mu);
			continue;
		}
		pthread_cond_wait(&r->cond, &r->mu);
	}
	if (r->tail)
		r->tail->next = u;
	else
		r->head = u;
	r->tail = u;
	r->count++;
	r->bytes += u->bytes;
	pthread_cond_broadcast(&r->cond);
	pthread_mutex_unlock(&r->mu);
	return 0;
}

static void *remote_thread(void *arg)
{
	pipeline_remote *r = arg;
	int stopped = 0;

	while (!r->finished && !stopped) {
		remote_after_committed(r);
		pthread_mutex_lock(&r->mu);
		stopped = r->stop;
		pthread_mutex_unlock(&r->mu);
		if (!stopped)
			stopped = remote_queue_put(r, remote_fetch_next(r)) != 0;
	}
	/* IMAP: the connection stays for the after-actions until the writer
	 * has stored what was handed over */
	pthread_mutex_lock(&r->mu);
	while (!r->writer_done && !r->stop) {
		if (r->committed > r->after_done) {
			pthread_mutex_unlock(&r->mu);
			remote_after_committed(r);
			pthread_mutex_lock(&r->mu);
			continue;
		}
		pthread_cond_wait(&r->cond, &r->mu);
	}
	pthread_mutex_unlock(&r->mu);
	remote_wrap_up(r);
	return NULL;
}

pipeline_remote *pipeline_remote_new(store *st, const cli_source *src, const pipeline_opts *o)
{
	pipeline_remote *r = xcalloc(1, sizeof *r);

	r->src = src;
	r->parse.hmac_key = o->key;
	r->parse.hmac_key_len = o->key_len;
	r->parse.source = src->name;
	r->dry_run = store_is_dry_run(st);
	pthread_mutex_init(&r->mu, NULL);
	pthread_cond_init(&r->cond, NULL);
	sbuf_init(&r->setup_err, 0);
	sbuf_init(&r->secret, 0);
	sbuf_init(&r->key_uidv, 0);
	sbuf_init(&r->key_uid, 0);
	if (src->type == SOURCE_IMAP)
		imap_setup(r, st);
	else
		http_setup(r, st);
	return r;
}

void pipeline_remote_start(pipeline_remote *r)
{
	if (pthread_create(&r->tid, NULL, remote_thread, r) == 0)
		r->threaded = 1;
	else
		log_info("source %s: no thread to fetch ahead with: fetched in turn", r->src->name);
}

/* The writer: the next unit, from the queue or straight from the server. */
static remote_unit *remote_next(pipeline_remote *r)
{
	remote_unit *u;

	if (!r->threaded)
		return remote_fetch_next(r);
	pthread_mutex_lock(&r->mu);
	while (!r->head)
		pthread_cond_wait(&r->cond, &r->mu);
	u = r->head;
	r->head = u->next;
	if (!r->head)
		r->tail = NULL;
	r->count--;
	r->bytes -= u->bytes;
	pthread_cond_broadcast(&r->cond);
	pthread_mutex_unlock(&r->mu);
	u->next = NULL;
	return u;
}

/* The writer committed the next message: its after-action now, or by the
 * fetch thread on its own connection. */
static void remote_committed(pipeline_remote *r)
{
	if (!r->threaded) {
		r->committed++;
		remote_after_committed(r);
		return;
	}
	pthread_mutex_lock(&r->mu);
	r->committed++;
	pthread_cond_broadcast(&r->cond);
	pthread_mutex_unlock(&r->mu);
}

/* The writer is done with the source (stop: before the fetcher is): waits
 * for the fetcher's after-actions, so the source's line can say whether
 * they failed. */
static void remote_finish(pipeline_remote *r, int stop)
{
	if (r->threaded && !r->joined) {
		pthread_mutex_lock(&r->mu);
		r->writer_done = 1;
		r->stop |= stop;
		pthread_cond_broadcast(&r->cond);
		pthread_mutex_unlock(&r->mu);
		pthread_join(r->tid, NULL);
		r->joined = 1;
	}
	remote_wrap_up(r);
}

void pipeline_remote_free(pipeline_remote *r)
{
	remote_unit *u;

	if (!r)
		return;
	remote_finish(r, 1);
	while ((u = r->head) != NULL) {
		r->head = u->next;
		remote_unit_free(u);
	}
	ingest_imap_close(r->im);
	explicit_bzero(r->secret.buf, r->secret.len);
	sbuf_release(&r->secret);
	sbuf_release(&r->setup_err);
	sbuf_release(&r->key_uidv);
	sbuf_release(&r->key_uid);
	free(r->mailbox);
	free(r->uids);
	free(r->unseen);
	free(r->since);
	free(r->etag);
	free(r->lm);
	pthread_cond_destroy(&r->cond);
	pthread_mutex_destroy(&r->mu);
	free(r);
}

/* ---- the writer: one transaction per unit, the cursor in it ---- */

/* A new UIDVALIDITY is recorded at once, so a run that fails before the
 * first message still says the mailbox was renumbered only once. */
static int imap_store_mailbox(ingest_run *run, pipeline_remote *r, const remote_unit *u)
{
	store *st = run->st;
	const char *name = r->src->name;

	if (r->old_uidv && r->old_uidv != u->uid)
		log_warn("source %s: mailbox %s: UIDVALIDITY changed from %llu to %llu: reading the "
			 "whole mailbox again (messages already stored are not stored twice)",
			 name, r->mailbox, (unsigned long long)r->old_uidv, (unsigned long long)u->uid);
	if (r->old_uidv == u->uid)
		return 0;
	if (store_begin(st) || imap_cursor_put(st, name, r->key_uidv.buf, u->uid) ||
	    imap_cursor_put(st, name, r->key_uid.buf, u->last) || store_commit(st)) {
		store_rollback(st);
		run->db_failed = 1;
		return -1;
	}
	return 0;
}

static int imap_store_message(ingest_run *run, pipeline_remote *r,
			      const remote_unit *u, pipeline_counts *out)
{
	store *st = run->st;
	const cli_source *src = r->src;
	int rc = 0;

	memset(&run->file, 0, sizeof run->file);
	if (store_begin(st)) {
		run->db_failed = 1;
		return -1;
	}
	if (u->too_big) {
		sbuf origin = SBUF_INIT;
		imap_origin(&origin, src, u->uid);
		log_warn("source %s: %s (quarantined)", src->name, u->err.buf);
		rc = store_quarantine_put(st, src->name, origin.buf, 0, u->err.buf, NULL, NULL, 0) < 0;
		run->file.quarantined++;
		sbuf_release(&origin);
	} else {
		pipeline_batch_replay(run, &u->batch);
	}
	if (rc || run->db_failed || imap_cursor_put(st, src->name, r->key_uid.buf, u->uid) ||
	    store_commit(st)) {
		store_rollback(st);
		run->db_failed = 1;
		return -1;
	}
	log_debug("source %s: UID %llu stored", src->name, (unsigned long long)u->uid);
	pipeline_counts_add(out, &run->file);
	remote_committed(r);
	return 0;
}

/* One page: its documents' records and the cursor, in one transaction.
 * 0; -1 with err when a document cannot be read as a whole, or with
 * run->db_failed. */
static int http_page_store(ingest_run *run, const remote_unit *u, sbuf *err)
{
	store *st = run->st;
	const cli_source *src = run->src;
	size_t i;
	int rc = 0;

	memset(&run->file, 0, sizeof run->file);
	if (store_begin(st)) {
		run->db_failed = 1;
		return -1;
	}
	for (i = 0; i < u->n_docs && !rc; i++) {
		run->whole_doc_sha = u->doc_sha[i];
		sbuf_reset(&run->whole_doc_error);
		pipeline_batch_replay(run, &u->doc_batch[i]);
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
	    (store_cursor_put(st, src->name, "since", u->next_since ? u->next_since : u->since) ||
	     store_cursor_put(st, src->name, "etag", u->next_since ? NULL : u->etag) ||
	     store_cursor_put(st, src->name, "last_modified", u->next_since ? NULL : u->last_modified)))
		run->db_failed = 1;
	if (rc || run->db_failed || store_commit(st)) {
		store_rollback(st);
		if (!rc)
			run->db_failed = 1;
		return -1;
	}
	return 0;
}

int pipeline_remote_store(ingest_run *run, pipeline_remote *r, pipeline_counts *out)
{
	const char *name = r->src->name;
	sbuf err = SBUF_INIT;
	int done = 0, stop = 0;

	while (!done) {
		remote_unit *u = remote_next(r);
		int rc = 0;

		out->files += u->files;
		switch (u->kind) {
		case UNIT_IMAP_MAILBOX:
			rc = imap_store_mailbox(run, r, u);
			break;
		case UNIT_IMAP_NEW:
			log_info("source %s: mailbox %s: UIDVALIDITY %llu, %zu new message%s after UID %llu",
				 name, r->mailbox, (unsigned long long)u->uid, u->n_new,
				 u->n_new == 1 ? "" : "s", (unsigned long long)u->last);
			break;
		case UNIT_IMAP_MESSAGE:
			rc = imap_store_message(run, r, u, out);
			break;
		case UNIT_HTTP_PAGE:
			rc = http_page_store(run, u, &err);
			if (!rc)
				pipeline_counts_add(out, &run->file);
			else if (!run->db_failed) {
				/* nothing of this page was committed; the next run asks again */
				log_error("source %s: %s", name, err.buf);
				out->failed = 1;
				done = stop = 1;
			}
			break;
		case UNIT_NOT_MODIFIED:
			log_info("source %s: not modified since the last run", name);
			break;
		case UNIT_FAILED:
			log_error("source %s: %s", name, u->err.buf);
			out->failed = 1;
			done = 1;
			break;
		case UNIT_END:
			done = 1;
			break;
		}
		remote_unit_free(u);
		if (rc && run->db_failed) {
			sbuf_release(&err);
			return -1;
		}
	}
	remote_finish(r, stop);
	if (r->after_failed)
		out->failed = 1;
	sbuf_release(&err);
	return 0;
}
