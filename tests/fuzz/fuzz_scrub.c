/*
 * fuzz_scrub.c - ingest_scrub_text on fuzzed text with a valid number
 * planted in it: the first 8 bytes seed the number and its spelling
 * (fnr_plant.h), the next 2 say where it goes, the rest is the text.
 * Traps when the number survives (read with separators left out and digits
 * of any script as 0-9) or the result is not valid UTF-8.  Run:
 * `make build-fuzz/fuzz_scrub && build-fuzz/fuzz_scrub -max_total_time=180`.
 */
#include "fuzz_util.h"
#include "fnr_plant.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	ingest_ctx ctx = fuzz_ctx(fuzz_sink, NULL);
	sbuf text = SBUF_INIT, t = SBUF_INIT;
	uint64_t seed = 0x9e3779b97f4a7c15ULL;
	char digits[12];
	size_t i, at;

	if (size < 10)
		return 0;
	for (i = 0; i < 8; i++)
		seed = (seed ^ data[i]) * 0x100000001b3ULL;
	if (!seed)
		seed = 1;
	/* the text as ingest hands it to the scrubber: valid UTF-8 */
	utf8_sanitize(&text, (const char *)data + 10, size - 10);
	at = text.len ? ((size_t)data[8] << 8 | data[9]) % (text.len + 1) : 0;
	while (at < text.len && ((unsigned char)text.buf[at] & 0xC0) == 0x80)
		at++;
	plant_number(&seed, digits);
	if (!ingest_fnr_valid(digits))
		__builtin_trap();
	/* the fuzzer copies the number into the text too, glued to other
	 * digits where it is none: only the planted copy is asked about */
	if (plant_survives(text.buf, text.len, digits)) {
		sbuf_release(&text);
		return 0;
	}
	/* a space either side: a digit next to it would make it a longer number */
	sbuf_add(&t, text.buf, at);
	sbuf_addch(&t, ' ');
	plant_spell(&seed, digits, &t);
	sbuf_addch(&t, ' ');
	sbuf_add(&t, text.buf + at, text.len - at);
	ingest_scrub_text(&ctx, &t);
	if (plant_survives(t.buf, t.len, digits) || !utf8_valid(t.buf, t.len))
		__builtin_trap();
	sbuf_release(&t);
	sbuf_release(&text);
	return 0;
}
