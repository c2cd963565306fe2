/*
 * test_classify_eval.c - the labelled evaluation set (tests/eval/): every
 * description is classified by the shipped rules; precision, recall and F1
 * per category and the overall accuracy are printed as TAP diagnostics, and
 * the test fails below 90 % accuracy.  Also checks that JIT on and off, and
 * the prefilter on and off, give the same results on the whole set.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "classify/classify_int.h"
#include "test_util.h"

#define MIN_ACCURACY 0.90

typedef struct {
	char *category, *direction, *reporter_type, *concerned_type, *text;
	int line;
} eval_row;

static eval_row *rows;
static size_t n_rows;

static void add_row(void *ctx, char *const f[5], int line)
{
	(void)ctx;
	rows = xrealloc(rows, (n_rows + 1) * sizeof *rows);
	rows[n_rows].category = xstrdup(f[0]);
	rows[n_rows].direction = xstrdup(f[1]);
	rows[n_rows].reporter_type = xstrdup(f[2]);
	rows[n_rows].concerned_type = xstrdup(f[3]);
	rows[n_rows].text = xstrdup(f[4]);
	rows[n_rows].line = line;
	n_rows++;
}

static int load_set(void **state)
{
	(void)state;
	return eval_rows_each(add_row, NULL);
}

static int free_set(void **state)
{
	size_t i;

	(void)state;
	for (i = 0; i < n_rows; i++) {
		free(rows[i].category);
		free(rows[i].direction);
		free(rows[i].reporter_type);
		free(rows[i].concerned_type);
		free(rows[i].text);
	}
	free(rows);
	return 0;
}

static void classify_row(const classify_rules *r, const eval_row *row, avvik_class *c)
{
	avvik_record rec;

	avvik_record_init(&rec);
	rec.text = xstrdup(row->text);
	rec.reporter.type_hint = xstrdup(row->reporter_type);
	rec.concerned.type_hint = xstrdup(row->concerned_type);
	avvik_class_init(c);
	classify_record(r, &rec, c);
	avvik_record_clear(&rec);
}

static void test_eval_set(void **state)
{
	classify_rules *r = rules_shipped();
	classify_eval *e = classify_eval_new(r);
	size_t i;
	int verbose = getenv("AVVIK_EVAL_VERBOSE") != NULL;

	(void)state;
	assert_true(n_rows >= 150);
	for (i = 0; i < n_rows; i++) {
		avvik_class c;
		direction want;
		classify_row(r, &rows[i], &c);
		assert_int_equal(direction_parse(rows[i].direction, &want), 0);
		classify_eval_add(e, rows[i].category, c.category);
		classify_eval_add_dir(e, want, c.dir);
		if (verbose && (strcmp(c.category, rows[i].category) || c.dir != want))
			printf("# line %d: want %s %s, got %s %s: %s\n", rows[i].line, rows[i].category,
			       rows[i].direction, c.category, direction_name(c.dir), rows[i].text);
		avvik_class_clear(&c);
	}
	printf("# evaluation set: %zu labelled descriptions (tests/eval/samhandlingsavvik.tsv)\n", n_rows);
	classify_eval_print(e, stdout, "# ", 0);
	fflush(stdout);
	if (classify_eval_accuracy(e) < MIN_ACCURACY)
		fail_msg("accuracy %.1f %% is below %.0f %%", 100 * classify_eval_accuracy(e), 100 * MIN_ACCURACY);
	classify_eval_free(e);
	classify_rules_free(r);
}

/* The same categories, tags, directions and matches with JIT off, and
 * with the literal prefilter off; the prefilter saves regex runs. */
static void test_jit_and_prefilter_agree(void **state)
{
	classify_rules *jit, *interp;
	unsigned long before, with_filter, without_filter;
	size_t i;

	(void)state;
	classify_set_jit(1);
	jit = rules_shipped();
	classify_set_jit(0);
	interp = rules_shipped();
	classify_set_jit(1);
	assert_int_equal(jit->jit, 1);
	assert_int_equal(interp->jit, 0);
	for (i = 0; i < n_rows; i++) {
		avvik_class a, b, c;
		classify_set_prefilter(1);
		before = classify_regex_execs();
		classify_row(jit, &rows[i], &a);
		with_filter = classify_regex_execs() - before;
		classify_row(interp, &rows[i], &b);
		classify_set_prefilter(0);
		before = classify_regex_execs();
		classify_row(jit, &rows[i], &c);
		without_filter = classify_regex_execs() - before;
		classify_set_prefilter(1);
		assert_string_equal(a.category, b.category);
		assert_string_equal(a.tags, b.tags);
		assert_string_equal(a.matches, b.matches);
		assert_int_equal(a.dir, b.dir);
		assert_string_equal(a.matches, c.matches);
		assert_string_equal(a.why, c.why);
		assert_true(with_filter <= without_filter);
		avvik_class_clear(&a);
		avvik_class_clear(&b);
		avvik_class_clear(&c);
	}
	classify_rules_free(jit);
	classify_rules_free(interp);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_eval_set),
		cmocka_unit_test(test_jit_and_prefilter_agree),
	};
	return cmocka_run_group_tests_name("classify_eval", tests, load_set, free_set);
}
