/*
 * fuzz_email.c - libFuzzer target for the e-mail parser (one message, and mbox)
 * through GMime, the form parser and HTML to text, and the date of an mbox
 * "From " line.  Corpus: fixtures/email.
 * Build and run: `make fuzz` (build-fuzz/), or clang with
 *   -fsanitize=fuzzer,address,undefined on tests/fuzz/fuzz_email.c, core/ and ingest/,
 *   then e.g. `build-fuzz/fuzz_email -max_total_time=60 fixtures/email`.
 */
#include "fuzz_util.h"
#include "ingest/ingest_int.h"

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	return fuzz_ingest_init();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	ingest_ctx ctx = fuzz_ctx(fuzz_sink, NULL);

	ctx.max_file_size = 1 << 20;
	(void)ingest_email_detect((const char *)data, size);
	{
		sbuf d = SBUF_INIT;
		(void)ingest_mbox_from_date((const char *)data, size, &d);
		sbuf_release(&d);
	}
	ingest_buffer(&ctx, "fuzz.eml", (const char *)data, size, INGEST_FORMAT_EML);
	ingest_buffer(&ctx, "fuzz.mbox", (const char *)data, size, INGEST_FORMAT_MBOX);
	return 0;
}
