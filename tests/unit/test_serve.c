/* test_serve.c - the workspace's request parsing (forms, cookies), what it
 * writes into answers (URLs, HTML, CSV cells), passwords, and the access
 * decisions. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <sodium.h>
#include <stdlib.h>
#include <string.h>

#include "serve/serve.h"

static void test_form_parse(void **state)
{
	serve_form f;
	static const char body[] = "user=anne&password=p%C3%A5+ss%26w%3Dd&empty=&flag&csrf=ab&user=second";

	(void)state;
	assert_int_equal(serve_form_parse(&f, body, strlen(body)), 0);
	assert_int_equal(f.n, 6);
	assert_string_equal(serve_form_get(&f, "user"), "anne");   /* the first wins */
	assert_string_equal(serve_form_get(&f, "password"), "på ss&w=d");
	assert_string_equal(serve_form_get(&f, "empty"), "");
	assert_string_equal(serve_form_get(&f, "flag"), "");
	assert_null(serve_form_get(&f, "missing"));
	serve_form_clear(&f);
	/* only len bytes are read: the body is not NUL-terminated */
	assert_int_equal(serve_form_parse(&f, "a=1&b=2", 3), 0);
	assert_int_equal(f.n, 1);
	assert_string_equal(serve_form_get(&f, "a"), "1");
	serve_form_clear(&f);
	assert_int_equal(serve_form_parse(&f, "", 0), 0);
	assert_int_equal(f.n, 0);
	assert_int_equal(serve_form_parse(&f, "&&=&", 4), 0);
	assert_int_equal(f.n, 1);
	assert_string_equal(f.v[0].name, "");
	serve_form_clear(&f);
}

static void test_form_malformed(void **state)
{
	static const char *const bad[] = { "a=%", "a=%4", "a=%zz", "a=%00", "a%=1", "a=%C3", "a=%FF%FE" };
	serve_form f;
	sbuf many = SBUF_INIT;

	(void)state;
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		assert_int_equal(serve_form_parse(&f, bad[i], strlen(bad[i])), -1);
		assert_int_equal(f.n, 0);
		assert_null(f.v);
	}
	assert_int_equal(serve_form_parse(&f, "a\0=1", 4), -1);   /* a raw NUL */
	for (int i = 0; i < 65; i++)
		sbuf_addf(&many, "f%d=%d&", i, i);
	assert_int_equal(serve_form_parse(&f, many.buf, many.len), -1);
	sbuf_release(&many);
}

static void test_cookie_get(void **state)
{
	sbuf v = SBUF_INIT;

	(void)state;
	assert_int_equal(serve_cookie_get("a=1; avvik_session=abc123; b=2", "avvik_session", &v), 1);
	assert_string_equal(v.buf, "abc123");
	assert_int_equal(serve_cookie_get("avvik_session=\"q\"", "avvik_session", &v), 1);
	assert_string_equal(v.buf, "q");
	assert_int_equal(serve_cookie_get("xavvik_session=1;avvik_session2=2", "avvik_session", &v), 0);
	assert_int_equal(serve_cookie_get("avvik_session", "avvik_session", &v), 0);
	assert_int_equal(serve_cookie_get("a=1;  avvik_session=  ", "avvik_session", &v), 1);
	assert_string_equal(v.buf, "");
	assert_int_equal(serve_cookie_get(NULL, "a", &v), 0);
	assert_int_equal(serve_cookie_get("a=1", "", &v), 0);
	sbuf_release(&v);
}

static void test_escaping(void **state)
{
	sbuf o = SBUF_INIT;

	(void)state;
	serve_html_escape(&o, "<script>\"x\" & 'y'</script>\nline 2\x01");
	assert_string_equal(o.buf, "&lt;script&gt;&quot;x&quot; &amp; &apos;y&apos;&lt;/script&gt;\nline 2 ");
	sbuf_reset(&o);
	serve_html_escape(&o, "\"><img onerror=alert(1)>");
	assert_string_equal(o.buf, "&quot;&gt;&lt;img onerror=alert(1)&gt;");
	sbuf_reset(&o);
	serve_url_encode(&o, "kommune→unn & x=1/2");
	assert_string_equal(o.buf, "kommune%E2%86%92unn%20%26%20x%3D1%2F2");
	sbuf_reset(&o);
	serve_csv_cell(&o, "=HYPERLINK(\"x\")", ';');
	assert_string_equal(o.buf, "\"'=HYPERLINK(\"\"x\"\")\"");
	sbuf_reset(&o);
	serve_csv_cell(&o, "+47", ';');
	serve_csv_cell(&o, "-1", ';');
	serve_csv_cell(&o, "@SUM", ';');
	serve_csv_cell(&o, "\tx", ';');
	serve_csv_cell(&o, "a;b", ';');
	serve_csv_cell(&o, "", ';');
	assert_string_equal(o.buf, "'+47'-1'@SUM'\tx\"a;b\"");
	sbuf_release(&o);
}

static void test_password(void **state)
{
	sbuf h = SBUF_INIT;
	char t1[65], t2[65];

	(void)state;
	assert_true(sodium_init() >= 0);
	assert_int_equal(serve_password_hash("riktig hest batteri", &h), 0);
	assert_non_null(strstr(h.buf, "$argon2id$"));
	assert_null(strstr(h.buf, "riktig"));
	assert_true(serve_password_verify(h.buf, "riktig hest batteri"));
	assert_false(serve_password_verify(h.buf, "riktig hest batteri "));
	assert_false(serve_password_verify("not a hash", "x"));
	serve_token_new(t1);
	serve_token_new(t2);
	assert_int_equal(strlen(t1), 64);
	assert_int_equal(strspn(t1, "0123456789abcdef"), 64);
	assert_string_not_equal(t1, t2);
	sbuf_release(&h);
}

static void test_access(void **state)
{
	(void)state;
	assert_int_equal(serve_role_parse("adviser"), SERVE_ROLE_ADVISER);
	assert_int_equal(serve_role_parse("fsu"), SERVE_ROLE_FSU);
	assert_int_equal(serve_role_parse("admin"), SERVE_ROLE_ADMIN);
	assert_int_equal(serve_role_parse("Admin"), SERVE_ROLE_NONE);
	assert_int_equal(serve_role_parse(NULL), SERVE_ROLE_NONE);
	/* records: advisers and admins; fsu never */
	assert_true(serve_may_read_records(SERVE_ROLE_ADVISER));
	assert_true(serve_may_read_records(SERVE_ROLE_ADMIN));
	assert_false(serve_may_read_records(SERVE_ROLE_FSU));
	assert_false(serve_may_read_records(SERVE_ROLE_NONE));
	/* one record: reporter or concerned org in the adviser's set */
	assert_true(serve_may_see(SERVE_ROLE_ADVISER, "tromso", "tromso", "unn"));
	assert_true(serve_may_see(SERVE_ROLE_ADVISER, "tromso", "unn-tromso", "tromso"));
	assert_true(serve_may_see(SERVE_ROLE_ADVISER, "narvik,unn", "tromso", "unn-tromso"));
	assert_false(serve_may_see(SERVE_ROLE_ADVISER, "tromso", "narvik", "unn"));
	assert_false(serve_may_see(SERVE_ROLE_ADVISER, "tromso", NULL, NULL));
	assert_false(serve_may_see(SERVE_ROLE_ADVISER, "", "tromso", "unn"));
	assert_false(serve_may_see(SERVE_ROLE_FSU, "tromso", "tromso", "unn"));
	assert_true(serve_may_see(SERVE_ROLE_ADMIN, "", NULL, NULL));
	/* reports: the region for all, an org only for its members and admins */
	assert_true(serve_may_report(SERVE_ROLE_FSU, "tromso", NULL));
	assert_true(serve_may_report(SERVE_ROLE_FSU, "tromso", "tromso"));
	assert_false(serve_may_report(SERVE_ROLE_FSU, "tromso", "narvik"));
	assert_false(serve_may_report(SERVE_ROLE_ADVISER, "tromso", "unn"));
	assert_true(serve_may_report(SERVE_ROLE_ADMIN, "", "narvik"));
	assert_false(serve_may_report(SERVE_ROLE_NONE, "", NULL));
	/* free text in reports: never for fsu; an adviser's own org only */
	assert_false(serve_may_report_text(SERVE_ROLE_FSU, "tromso", "tromso"));
	assert_true(serve_may_report_text(SERVE_ROLE_ADVISER, "tromso", "tromso"));
	assert_false(serve_may_report_text(SERVE_ROLE_ADVISER, "tromso", NULL));
	assert_false(serve_may_report_text(SERVE_ROLE_ADVISER, "tromso", "narvik"));
	assert_true(serve_may_report_text(SERVE_ROLE_ADMIN, "", NULL));
	/* list scope */
	assert_null(serve_scope(SERVE_ROLE_ADMIN, "tromso"));
	assert_string_equal(serve_scope(SERVE_ROLE_ADVISER, "tromso"), "tromso");
	assert_string_equal(serve_scope(SERVE_ROLE_FSU, "tromso"), "");
	assert_string_equal(serve_scope(SERVE_ROLE_ADVISER, NULL), "");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_form_parse),
		cmocka_unit_test(test_form_malformed),
		cmocka_unit_test(test_cookie_get),
		cmocka_unit_test(test_escaping),
		cmocka_unit_test(test_password),
		cmocka_unit_test(test_access),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
