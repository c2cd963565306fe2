/*
 * fuzz_serve_form.c - libFuzzer target for what avvik serve parses from a
 * request: a form body (application/x-www-form-urlencoded) and a Cookie
 * header, and the escapers its answers use on what was parsed.  Checks
 * what serve.h promises: every parsed name and value is valid UTF-8
 * without NUL; a failed parse leaves nothing; escaped HTML has no < > ".
 * Build and run: `make fuzz`, then e.g.
 *   build-fuzz/fuzz_serve_form -max_total_time=60
 */
#include "serve/serve.h"

#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	serve_form f;
	sbuf s = SBUF_INIT, v = SBUF_INIT, o = SBUF_INIT;

	if (serve_form_parse(&f, (const char *)data, size) == 0) {
		for (size_t i = 0; i < f.n; i++) {
			const char *n = f.v[i].name, *x = f.v[i].value;
			if (!utf8_valid(n, strlen(n)) || !utf8_valid(x, strlen(x)))
				__builtin_trap();
			sbuf_reset(&o);
			serve_html_escape(&o, x);
			if (strpbrk(o.buf, "<>\""))
				__builtin_trap();
			sbuf_reset(&o);
			serve_url_encode(&o, x);
			serve_csv_cell(&o, x, ';');
		}
		if (f.n && serve_form_get(&f, f.v[0].name) != f.v[0].value)
			__builtin_trap();
	} else if (f.n || f.v) {
		__builtin_trap();
	}
	serve_form_clear(&f);
	/* the same bytes as a Cookie header */
	sbuf_add(&s, data, size);
	if (serve_cookie_get(s.buf, "avvik_session", &v) && v.len > s.len)
		__builtin_trap();
	sbuf_release(&s);
	sbuf_release(&v);
	sbuf_release(&o);
	return 0;
}
