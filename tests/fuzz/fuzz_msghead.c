/*
 * fuzz_msghead.c - libFuzzer target for the KITH MsgHead parser, detection
 * and the fødselsnummer scrubber.  Corpus: fixtures/msghead, fixtures/bad.
 * Build and run: `make fuzz` (build-fuzz/), or clang with
 *   -fsanitize=fuzzer,address,undefined on tests/fuzz/fuzz_msghead.c, core/ and ingest/,
 *   then e.g. `build-fuzz/fuzz_msghead -max_total_time=60 fixtures/msghead`.
 */
#include "fuzz_util.h"

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	return fuzz_ingest_init();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	ingest_ctx ctx;
	sbuf text = SBUF_INIT;

	ctx = fuzz_ctx(fuzz_sink, NULL);
	ctx.max_file_size = 1 << 20;
	(void)ingest_detect((const char *)data, size);
	ingest_buffer(&ctx, "fuzz.xml", (const char *)data, size, INGEST_FORMAT_MSGHEAD);
	/* the scrubber on the raw bytes as text */
	sbuf_add(&text, data, size);
	ingest_scrub_text(&ctx, &text);
	sbuf_release(&text);
	return 0;
}
