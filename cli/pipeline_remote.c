/*
 * pipeline_remote.c - IMAP and HTTP sources: one transaction per message
 * or page, the source's cursor advanced in it.
 */
#include "cli/pipeline_int.h"

#include <stdlib.h>
#include <string.h>

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

int pipeline_imap(ingest_run *run, ingest_ctx *ictx, pipeline_counts *out)
{
	store *st = run->st;
	const cli_source *src = run->src;
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
		pipeline_counts_add(out, &run->file);
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

int pipeline_http(ingest_run *run, ingest_ctx *ictx, pipeline_counts *out)
{
	store *st = run->st;
	const cli_source *src = run->src;
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
		pipeline_counts_add(out, &run->file);
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
