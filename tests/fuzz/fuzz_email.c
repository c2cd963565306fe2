/*
 * fuzz_email.c - libFuzzer target for the e-mail parser (one message, and mbox)
 * through GMime, the form parser and HTML to text.  Corpus: fixtures/email.
 * Build and run: `make fuzz` (build-fuzz/), or clang with
 *   -fsanitize=fuzzer,address,undefined on tests/fuzz/fuzz_email.c, core/ and ingest/,
 *   then e.g. `build-fuzz/fuzz_email -max_total_time=60 fixtures/email`.
 */
#include "ingest/ingest.h"

#include <string.h>

#include <libxml/parser.h>

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const unsigned char fuzz_key[] = "fuzz";

/* Checks what the parser promises about every item; frees nothing itself
 * (the parser clears the record after the sink returns). */
static int fuzz_sink(void *ctx, const ingest_item *it)
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

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	xmlInitParser();
	log_set_level(LOG_LVL_ERROR);
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	ingest_ctx ctx;

	memset(&ctx, 0, sizeof ctx);
	ctx.hmac_key = fuzz_key;
	ctx.hmac_key_len = sizeof fuzz_key - 1;
	ctx.source = "fuzz";
	ctx.max_file_size = 1 << 20;
	ctx.sink = fuzz_sink;
	(void)ingest_email_detect((const char *)data, size);
	ingest_buffer(&ctx, "fuzz.eml", (const char *)data, size, INGEST_FORMAT_EML);
	ingest_buffer(&ctx, "fuzz.mbox", (const char *)data, size, INGEST_FORMAT_MBOX);
	return 0;
}
