/* test_http.c - what the HTTP source decides without a server: where
 * credentials may go, the cursor in a URL, Atom links, next-since. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>

#include "ingest/ingest.h"

static void test_same_origin(void **state)
{
	(void)state;
	assert_true(ingest_http_same_origin("https://a.example/feed", "https://A.example:443/x.xml"));
	assert_true(ingest_http_same_origin("http://127.0.0.1:8080/f", "http://127.0.0.1:8080/d?x=1"));
	assert_false(ingest_http_same_origin("https://a.example/feed", "https://b.example/x.xml"));
	assert_false(ingest_http_same_origin("https://a.example/feed", "http://a.example/x.xml"));
	assert_false(ingest_http_same_origin("https://a.example/feed", "https://a.example:8443/x"));
	assert_false(ingest_http_same_origin("https://a.example/feed", "not a url"));
}

static void test_atom_links_resolved(void **state)
{
	static const char feed[] =
		"<feed xmlns='http://www.w3.org/2005/Atom'>"
		"<entry><link rel='alternate' href='docs/a.xml'/></entry>"
		"<entry><link rel='self' href='ignored'/><content src='/b.xml'/></entry>"
		"<entry><link href='https://other.example/c.xml'/></entry>"
		"</feed>";
	char **links = NULL;
	size_t n = 0, i;
	sbuf err = SBUF_INIT;

	(void)state;
	assert_true(ingest_http_is_atom(feed, sizeof feed - 1));
	assert_int_equal(ingest_http_atom_links(feed, sizeof feed - 1, "https://a.example/export/feed.atom",
						&links, &n, &err), 0);
	assert_int_equal(n, 3);
	assert_string_equal(links[0], "https://a.example/export/docs/a.xml");
	assert_string_equal(links[1], "https://a.example/b.xml");
	assert_string_equal(links[2], "https://other.example/c.xml");
	for (i = 0; i < n; i++)
		free(links[i]);
	free(links);
	sbuf_release(&err);
}

static void test_next_since(void **state)
{
	static const char page[] = "<avvik-export xmlns='urn:avvik:export:1' version='1.0' system='X'"
				   " next-since='2024-03-01T00:00:00'/>";
	static const char last[] = "<avvik-export xmlns='urn:avvik:export:1' version='1.0' system='X'/>";
	char *v;

	(void)state;
	v = ingest_http_next_since(page, sizeof page - 1);
	assert_string_equal(v, "2024-03-01T00:00:00");
	free(v);
	assert_null(ingest_http_next_since(last, sizeof last - 1));
	assert_false(ingest_http_is_atom(last, sizeof last - 1));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_same_origin),
		cmocka_unit_test(test_atom_links_resolved),
		cmocka_unit_test(test_next_since),
	};
	ingest_global_init();
	return cmocka_run_group_tests(tests, NULL, NULL);
}
