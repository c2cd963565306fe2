/*
 * test_rules_git.c - the rules repository: init through libgit2, loading
 * from a commit (not the work tree), and reproducibility across commits.
 * The git CLI plays the rule maintainer.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "classify/classify.h"
#include "test_util.h"

static char tmpdir[64];
static char repo[128];

static int setup(void **state)
{
	(void)state;
	snprintf(tmpdir, sizeof tmpdir, "/tmp/avvik-git-XXXXXX");
	if (!mkdtemp(tmpdir))
		return -1;
	snprintf(repo, sizeof repo, "%s/rules-repo", tmpdir);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	return rm_rf(tmpdir);
}

/* Runs a shell command in the repo and returns its first output line. */
static void sh(sbuf *out, const char *fmt, ...) AVVIK_PRINTF(2, 3);
static void sh(sbuf *out, const char *fmt, ...)
{
	sbuf cmd = SBUF_INIT;
	char line[512] = "";
	va_list ap;
	FILE *p;

	sbuf_addf(&cmd, "cd %s && ", repo);
	va_start(ap, fmt);
	sbuf_vaddf(&cmd, fmt, ap);
	va_end(ap);
	p = popen(cmd.buf, "r");
	assert_non_null(p);
	if (!fgets(line, sizeof line, p))
		line[0] = '\0';
	while (fgetc(p) != EOF)
		;
	if (pclose(p) != 0)
		fail_msg("command failed: %s", cmd.buf);
	line[strcspn(line, "\n")] = '\0';
	if (out) {
		sbuf_reset(out);
		sbuf_adds(out, line);
	}
	sbuf_release(&cmd);
}

static void write_file(const char *rel, const char *text)
{
	write_file_in(repo, rel, text);
}

static classify_rules *load(const char *rev)
{
	classify_rules *r = NULL;
	sbuf err = SBUF_INIT;

	if (classify_rules_load(&r, repo, rev, &err))
		fail_msg("load %s: %s", rev ? rev : "HEAD", err.buf);
	sbuf_release(&err);
	return r;
}

static const char *category(const classify_rules *r, const char *text)
{
	static char buf[64];
	avvik_record rec;
	avvik_class c;

	avvik_record_init(&rec);
	avvik_class_init(&c);
	rec.text = xstrdup(text);
	classify_record(r, &rec, &c);
	snprintf(buf, sizeof buf, "%s", c.category);
	avvik_class_clear(&c);
	avvik_record_clear(&rec);
	return buf;
}

static int is_hex40(const char *s)
{
	size_t i;

	for (i = 0; i < 40; i++)
		if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
			return 0;
	return s[40] == '\0';
}

static const char new_rule[] =
	"rules:\n"
	"  - id: test-syltetoy\n"
	"    title: Blåbærsyltetøy\n"
	"    category: hjelpemidler\n"
	"    priority: 99\n"
	"    when: { text: '\\bblåbærsyltetøy\\b' }\n";

static void test_init_load_and_history(void **state)
{
	sbuf err = SBUF_INIT, head = SBUF_INIT, seed = SBUF_INIT, msg = SBUF_INIT, first = SBUF_INIT;
	classify_rules *r0, *r1, *rold, *rw;
	const char *text = "Pasienten fikk blåbærsyltetøy.";

	(void)state;
	sbuf_addf(&seed, "%s/rules", src_dir());
	if (classify_repo_init(repo, seed.buf, &err))
		fail_msg("init: %s", err.buf);
	/* a second init changes nothing */
	assert_int_equal(classify_repo_init(repo, seed.buf, &err), 1);

	sh(&head, "git rev-parse HEAD");
	sh(&msg, "git log -1 --format=%%s");
	assert_string_equal(msg.buf, "avvik init: default rules");
	sh(&msg, "git symbolic-ref HEAD");
	assert_string_equal(msg.buf, "refs/heads/main");
	/* the commit is checked out: the work tree is clean */
	sh(&msg, "git status --porcelain | wc -l");
	assert_string_equal(msg.buf, "0");

	r0 = load(NULL);
	assert_true(is_hex40(classify_rules_commit(r0)));
	assert_string_equal(classify_rules_commit(r0), head.buf);
	assert_true(classify_rules_count(r0) > 20);
	assert_int_equal(classify_rules_test(r0, stderr, NULL), 0);
	assert_string_equal(category(r0, text), "annet");
	sbuf_adds(&first, head.buf);

	/* a maintainer commits a rule with the git CLI */
	write_file("rules/zz-test.yaml", new_rule);
	sh(NULL, "git add rules/zz-test.yaml && git -c user.name=Test -c user.email=test@example.org "
		 "commit -q -m 'legg til testregel'");
	sh(&head, "git rev-parse HEAD");
	r1 = load("HEAD");
	assert_string_equal(classify_rules_commit(r1), head.buf);
	assert_int_equal(classify_rules_count(r1), classify_rules_count(r0) + 1);
	assert_string_equal(category(r1, text), "hjelpemidler");

	/* the old commit still classifies as it did */
	rold = load(first.buf);
	assert_string_equal(classify_rules_commit(rold), first.buf);
	assert_string_equal(category(rold, text), "annet");
	classify_rules_free(rold);
	rold = load("HEAD~1");
	assert_string_equal(classify_rules_commit(rold), first.buf);
	classify_rules_free(rold);

	/* an uncommitted edit of the work tree is not seen */
	write_file("rules/zz-test.yaml", "rules: []\n");
	write_file("rules/zz-uncommitted.yaml",
		   "rules:\n  - id: u\n    category: dialog\n    priority: 100\n    when: { text: 'syltetøy' }\n");
	rw = load(NULL);
	assert_string_equal(classify_rules_commit(rw), head.buf);
	assert_int_equal(classify_rules_count(rw), classify_rules_count(r1));
	assert_string_equal(category(rw, text), "hjelpemidler");
	classify_rules_free(rw);

	classify_rules_free(r0);
	classify_rules_free(r1);
	sbuf_release(&err);
	sbuf_release(&head);
	sbuf_release(&seed);
	sbuf_release(&msg);
	sbuf_release(&first);
}

static void test_load_errors(void **state)
{
	classify_rules *r = NULL;
	sbuf err = SBUF_INIT;

	(void)state;
	assert_int_equal(classify_rules_load(&r, repo, "no-such-branch", &err), -1);
	assert_null(r);
	assert_non_null(strstr(err.buf, "no-such-branch"));
	sbuf_reset(&err);
	assert_int_equal(classify_rules_load(&r, tmpdir, NULL, &err), -1);
	assert_non_null(strstr(err.buf, "expected a rules git repository"));
	sbuf_reset(&err);

	/* a bad rule committed: the load fails naming file:line:col and commit */
	write_file("rules/zz-bad.yaml", "rules:\n  - id: bad\n    category: nope\n    when: { text: 'x' }\n");
	sh(NULL, "git add rules/zz-bad.yaml && git -c user.name=Test -c user.email=test@example.org "
		 "commit -q -m 'feil'");
	assert_int_equal(classify_rules_load(&r, repo, NULL, &err), -1);
	if (!strstr(err.buf, "rules/zz-bad.yaml:3:15: unknown category 'nope'") || !strstr(err.buf, "commit"))
		fail_msg("unexpected error: %s", err.buf);
	/* HEAD~1 is still good */
	assert_int_equal(classify_rules_load(&r, repo, "HEAD~1", &err), 0);
	classify_rules_free(r);
	sbuf_release(&err);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_init_load_and_history),
		cmocka_unit_test(test_load_errors),
	};

	return cmocka_run_group_tests_name("rules_git", tests, setup, teardown);
}
