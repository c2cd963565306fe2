/*
 * fuzz_util.h - what the ingest fuzz targets share: the key, libFuzzer's
 * one-time setup, an ingest context and a sink that checks what the
 * parsers promise about every item.  Each target is built on its own, so
 * everything here is static inline.
 */
#ifndef AVVIK_FUZZ_UTIL_H
#define AVVIK_FUZZ_UTIL_H

#include "ingest/ingest.h"

#include <string.h>

#include <libxml/parser.h>

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const unsigned char fuzz_key[] = "fuzz";

/* Checks what the parser promises about every item; frees nothing itself
 * (the parser clears the record after the sink returns). */
static inline int fuzz_sink(void *ctx, const ingest_item *it)
{
	(void)ctx;
	if (it->kind == INGEST_ITEM_DEVIATION) {
		if (!it->record || strlen(it->record->content_hash) != 64)
			__builtin_trap();
		if (it->record->text && !utf8_valid(it->record->text, strlen(it->record->text)))
			__builtin_trap();
		if (it->record->subject &&
		    !utf8_valid(it->record->subject, strlen(it->record->subject)))
			__builtin_trap();
	} else if (!it->reason || !utf8_valid(it->reason, strlen(it->reason))) {
		__builtin_trap();
	}
	return 0;
}

/* The body of LLVMFuzzerInitialize for the ingest targets. */
static inline int fuzz_ingest_init(void)
{
	xmlInitParser();
	log_set_level(LOG_LVL_ERROR);
	return 0;
}

/* An ingest context keyed with fuzz_key, source "fuzz", handing items to sink. */
static inline ingest_ctx fuzz_ctx(ingest_sink_fn sink, void *sink_ctx)
{
	ingest_ctx ctx;

	memset(&ctx, 0, sizeof ctx);
	ctx.hmac_key = fuzz_key;
	ctx.hmac_key_len = sizeof fuzz_key - 1;
	ctx.source = "fuzz";
	ctx.sink = sink;
	ctx.sink_ctx = sink_ctx;
	return ctx;
}

#endif
