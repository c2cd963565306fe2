/*
 * pipeline_int.h - what the parts of the pipeline share: the sink that
 * stores what ingest/ hands over, and the counting.  pipeline.c dispatches
 * a source to pipeline_files.c (dir, maildir, mbox) or pipeline_remote.c
 * (IMAP, HTTP); pipeline_classify.c classifies what is stored.  Everything
 * that touches the store runs in one thread, the writer.
 */
#ifndef AVVIK_PIPELINE_INT_H
#define AVVIK_PIPELINE_INT_H

#include "cli/cli.h"

/* One source being ingested: the sink's state. */
typedef struct {
	store *st;
	const cli_source *src;
	const ingest_ctx *ictx; /* the parsers' context (its key scrubs names) */
	pipeline_counts file;   /* counts of the file being read */
	long file_held;         /* its items in quarantine, new or not */
	const char *file_path;  /* the file being stored (a file source), else NULL:
				 * its quarantined items name it, for a retry */
	long file_items;        /* its items stored so far */
	char **held_sha;        /* the sha256 of its items put in quarantine */
	size_t n_held_sha, alloc_held_sha;
	int db_failed;
	/* HTTP: a document that cannot be read as a whole fails its source
	 * instead of being quarantined (the next run fetches it again). */
	const char *whole_doc_sha;
	sbuf whole_doc_error;
} ingest_run;

/* A file of a file source is being stored (items come, counted in
 * run->file); end: done with it, after its commit or rollback. */
void pipeline_file_begin(ingest_run *run, const char *path);
/* Before the commit of a file read whole: its earlier quarantined items
 * that did not come back are resolved.  0 or -1. */
int pipeline_file_resolve(ingest_run *run);
void pipeline_file_end(ingest_run *run);


/* The ingest_ctx sink: stores one item inside the caller's transaction.
 * 0, or -1 after setting run->db_failed. */
int pipeline_sink(void *ctx, const ingest_item *it);

/* Items parsed away from the writer (a worker or a fetch thread), to be
 * replayed through pipeline_sink by the writer: the same stores happen as
 * when the writer parses itself. */
typedef struct pipeline_batch_item pipeline_batch_item;
typedef struct {
	pipeline_batch_item *items;
	size_t n, alloc;
	size_t bytes;            /* about what it holds, for queue bounds */
} pipeline_batch;
/* An ingest_ctx sink (sink_ctx: a zeroed pipeline_batch): keeps a copy. */
int pipeline_batch_sink(void *ctx, const ingest_item *it);
/* Stores b's items in the caller's transaction; run->db_failed tells. */
void pipeline_batch_replay(ingest_run *run, const pipeline_batch *b);
void pipeline_batch_clear(pipeline_batch *b);

/* Adds a file's counts to the source's and redraws the progress line. */
void pipeline_counts_add(pipeline_counts *t, const pipeline_counts *f);

/* The source kinds.  Each returns 0 (source failures are in out->failed)
 * or -1 when the database failed (run->db_failed). */
int pipeline_files(ingest_run *run, ingest_ctx *ictx, const pipeline_opts *o,
		   pipeline_counts *out);

/* ---- remote sources (pipeline_remote.c) ----
 * An IMAP or HTTP source is read by a fetcher that hands the writer units
 * (a message with its UID; a page with its documents and the cursor after
 * it), parsed by the fetcher into batches, each stored in one transaction with the source's cursor.  Without a
 * thread the writer calls the fetcher for one unit at a time; with one, the
 * fetcher runs ahead of the writer by at most a bounded queue and does the
 * IMAP after-actions once the writer has committed the message. */
typedef struct pipeline_remote pipeline_remote;

/* Prepares to fetch src (IMAP or HTTP), in the writer's thread: its secret
 * and its cursor are read here.  A source that cannot be prepared hands
 * over its error as its first unit. */
pipeline_remote *pipeline_remote_new(store *st, const cli_source *src, const pipeline_opts *o);
/* Lets r fetch ahead in a thread of its own (else the writer fetches). */
void pipeline_remote_start(pipeline_remote *r);
/* The writer's side: stores r's units as they come. */
int pipeline_remote_store(ingest_run *run, pipeline_remote *r, pipeline_counts *out);
/* Stops fetching (when still going), waits for the thread, frees. */
void pipeline_remote_free(pipeline_remote *r);

#endif
