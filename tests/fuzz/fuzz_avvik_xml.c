/*
 * fuzz_avvik_xml.c - libFuzzer target for the avvik export XML parser (both
 * passes) and format detection.  Corpus: fixtures/avvik-xml, fixtures/bad.
 * Build and run: `make fuzz` (build-fuzz/), or clang with
 *   -fsanitize=fuzzer,address,undefined on tests/fuzz/fuzz_avvik_xml.c, core/ and ingest/,
 *   then e.g. `build-fuzz/fuzz_avvik_xml -max_total_time=60 fixtures/avvik-xml`.
 */
#include "ingest/ingest.h"

#include <string.h>

#include <libxml/parser.h>

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const unsigned char fuzz_key[] = "fuzz";

/* Counts what a file gave: a whole-file quarantine must come alone. */
typedef struct {
	const char *input;      /* a whole-file item carries the input itself as raw */
	long deviations, quarantined, whole_file;
} fuzz_count;

static int fuzz_sink(void *ctx, const ingest_item *it)
{
	fuzz_count *c = ctx;

	if (it->kind == INGEST_ITEM_DEVIATION) {
		if (!it->record || !it->record->ext_id || strlen(it->record->content_hash) != 64)
			__builtin_trap();
		if (it->record->text && !utf8_valid(it->record->text, strlen(it->record->text)))
			__builtin_trap();
		c->deviations++;
	} else {
		if (!it->reason || !utf8_valid(it->reason, strlen(it->reason)))
			__builtin_trap();
		c->quarantined++;
		if (it->raw == c->input)
			c->whole_file++;
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
	fuzz_count count = { (const char *)data, 0, 0, 0 };

	memset(&ctx, 0, sizeof ctx);
	ctx.hmac_key = fuzz_key;
	ctx.hmac_key_len = sizeof fuzz_key - 1;
	ctx.source = "fuzz";
	ctx.sink = fuzz_sink;
	ctx.sink_ctx = &count;
	(void)ingest_detect((const char *)data, size);
	ingest_buffer(&ctx, "fuzz.xml", (const char *)data, size, INGEST_FORMAT_AVVIK_XML);
	/* a file that is not well-formed yields that one item and no record */
	if (count.whole_file && (count.deviations || count.quarantined != 1))
		__builtin_trap();
	return 0;
}
