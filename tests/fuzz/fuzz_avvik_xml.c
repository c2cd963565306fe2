/*
 * fuzz_avvik_xml.c - libFuzzer target for the avvik export XML parser (both
 * passes) and format detection.  Corpus: fixtures/avvik-xml, fixtures/bad.
 * Build and run: `make fuzz` (build-fuzz/), or clang with
 *   -fsanitize=fuzzer,address,undefined on tests/fuzz/fuzz_avvik_xml.c, core/ and ingest/,
 *   then e.g. `build-fuzz/fuzz_avvik_xml -max_total_time=60 fixtures/avvik-xml`.
 */
#include "fuzz_util.h"

/* Counts what a file gave: a whole-file quarantine must come alone. */
typedef struct {
	const char *input;      /* a whole-file item carries the input itself as raw */
	long deviations, quarantined, whole_file;
} fuzz_count;

static int fuzz_count_sink(void *ctx, const ingest_item *it)
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
	return fuzz_ingest_init();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	fuzz_count count = { (const char *)data, 0, 0, 0 };
	ingest_ctx ctx = fuzz_ctx(fuzz_count_sink, &count);

	(void)ingest_detect((const char *)data, size);
	ingest_buffer(&ctx, "fuzz.xml", (const char *)data, size, INGEST_FORMAT_AVVIK_XML);
	/* a file that is not well-formed yields that one item and no record */
	if (count.whole_file && (count.deviations || count.quarantined != 1))
		__builtin_trap();
	return 0;
}
