/*
 * pipeline_int.h - what the parts of the pipeline share: the sink that
 * stores what ingest/ hands over, and the counting.  pipeline.c dispatches
 * a source to pipeline_files.c (dir, maildir, mbox) or pipeline_remote.c
 * (IMAP, HTTP); pipeline_classify.c classifies what is stored.
 */
#ifndef AVVIK_PIPELINE_INT_H
#define AVVIK_PIPELINE_INT_H

#include "cli/cli.h"

/* One source being ingested: the sink's state. */
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

/* The ingest_ctx sink: stores one item inside the caller's transaction.
 * 0, or -1 after setting run->db_failed. */
int pipeline_sink(void *ctx, const ingest_item *it);

/* Adds a file's counts to the source's and redraws the progress line. */
void pipeline_counts_add(pipeline_counts *t, const pipeline_counts *f);

/* The source kinds.  Each returns 0 (source failures are in out->failed)
 * or -1 when the database failed (run->db_failed). */
int pipeline_files(ingest_run *run, ingest_ctx *ictx, const pipeline_opts *o,
		   pipeline_counts *out);
int pipeline_imap(ingest_run *run, ingest_ctx *ictx, pipeline_counts *out);
int pipeline_http(ingest_run *run, ingest_ctx *ictx, pipeline_counts *out);

#endif
