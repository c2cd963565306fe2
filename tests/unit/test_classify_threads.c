/*
 * test_classify_threads.c - classify_record on one shared rule set from
 * several threads at once gives what one thread gives: the labelled
 * descriptions of tests/eval (with parties that exercise every step of
 * organisation resolution) and every example embedded in the shipped
 * rules, classified by 4 threads side by side, under JIT and under the
 * interpreter.  The regex counters add up over the threads, and a pattern
 * that hits its match limit in 4 threads at once is logged once.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <fcntl.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "classify/classify_int.h"
#include "test_util.h"

#define N_THREADS 4

/* ---- the records ---- */

static avvik_record *recs;
static size_t n_recs;

/* Parties as senders write them: exact and folded aliases, a misspelling,
 * an e-mail domain, a site under UNN, GP offices, nothing. */
static const char *const party_names[] = {
	"Tromsø kommune", "UNN HF", "Tromsoe kommune", "Narvk kommune", "postmottak@unn.no",
	"Storgata legekontor, Harstad", "Balsfjord legesenter", "Harstad kommune, hjemmesykepleien",
	"Universitetssykehuset Nord-Norge", NULL,
};
static const char *const unit_names[] = {
	"Medisinsk avdeling, Narvik", NULL, "Hjemmesykepleien sone 2", NULL, "Ortopedisk avdeling",
};
#define N_PARTIES (sizeof party_names / sizeof party_names[0])
#define N_UNITS (sizeof unit_names / sizeof unit_names[0])

static avvik_record *new_record(void)
{
	recs = xrealloc(recs, (n_recs + 1) * sizeof *recs);
	avvik_record_init(&recs[n_recs]);
	return &recs[n_recs++];
}

/* tests/eval/samhandlingsavvik.tsv: category, direction, reporter type,
 * concerned type, text.  Each row is used with and without parties. */
static void add_eval_row(void *ctx, char *const f[5], int line)
{
	size_t *row = ctx;
	avvik_record *r;

	(void)line;
	r = new_record();
	r->text = xstrdup(f[4]);
	r->reporter.type_hint = xstrdup(f[2]);
	r->concerned.type_hint = xstrdup(f[3]);
	r = new_record();
	r->text = xstrdup(f[4]);
	r->subject = xstrdup(f[0]);
	r->source = xstrdup("demo");
	r->channel = xstrdup(*row % 2 ? "msghead" : "avvik-xml");
	r->ext_id = xstrdup(*row % 2 ? "msg-1" : "tqm:17");
	r->source_category = xstrdup(*row % 3 ? f[0] : "Epikrise");
	r->reporter.name = xstrdup(party_names[*row % N_PARTIES]);
	r->reporter.unit = xstrdup(unit_names[*row % N_UNITS]);
	r->concerned.name = xstrdup(party_names[(*row + 3) % N_PARTIES]);
	r->concerned.unit = xstrdup(unit_names[(*row + 1) % N_UNITS]);
	(*row)++;
}

static int load_eval_rows(void)
{
	size_t row = 0;

	return eval_rows_each(add_eval_row, &row);
}

static int setup(void **state)
{
	classify_rules *r;
	size_t i, j;

	(void)state;
	if (load_eval_rows())
		return -1;
	/* and the example of every rule, so every rule fires somewhere */
	r = rules_shipped();
	for (i = 0; i < r->n_rules; i++)
		for (j = 0; j < r->rules[i].n_examples; j++)
			classify_example_record(&r->rules[i].examples[j], new_record());
	classify_rules_free(r);
	return n_recs >= 300 ? 0 : -1;
}

static int teardown(void **state)
{
	size_t i;

	(void)state;
	for (i = 0; i < n_recs; i++)
		avvik_record_clear(&recs[i]);
	free(recs);
	return 0;
}

/* ---- classifying from threads ---- */

typedef struct {
	const classify_rules *rules;
	const avvik_record *recs;
	size_t n, start;            /* each thread begins elsewhere and wraps around */
	int rounds;
	avvik_class *out;           /* n results, by record index (the last round's) */
	pthread_barrier_t *go;
} worker_arg;

/* No cmocka assertions here: they are not thread-safe.  The main thread
 * checks the results after the join. */
static void *worker(void *p)
{
	worker_arg *a = p;
	size_t k;
	int round;

	pthread_barrier_wait(a->go);
	for (round = 0; round < a->rounds; round++)
		for (k = 0; k < a->n; k++) {
			size_t i = (a->start + k) % a->n;
			classify_record(a->rules, &a->recs[i], &a->out[i]);
		}
	return NULL;
}

/* Classifies recs[0..n) rounds times in each of N_THREADS threads started
 * together; out[t] gets thread t's n results (initialised here). */
static void classify_in_threads(const classify_rules *rules, const avvik_record *rv, size_t n, int rounds,
				avvik_class *out[N_THREADS])
{
	pthread_t tid[N_THREADS];
	worker_arg arg[N_THREADS];
	pthread_barrier_t go;
	size_t t, i;

	assert_int_equal(pthread_barrier_init(&go, NULL, N_THREADS), 0);
	for (t = 0; t < N_THREADS; t++) {
		out[t] = xcalloc(n, sizeof *out[t]);
		for (i = 0; i < n; i++)
			avvik_class_init(&out[t][i]);
		arg[t].rules = rules;
		arg[t].recs = rv;
		arg[t].n = n;
		arg[t].start = t * n / N_THREADS;
		arg[t].rounds = rounds;
		arg[t].out = out[t];
		arg[t].go = &go;
		assert_int_equal(pthread_create(&tid[t], NULL, worker, &arg[t]), 0);
	}
	for (t = 0; t < N_THREADS; t++)
		assert_int_equal(pthread_join(tid[t], NULL), 0);
	pthread_barrier_destroy(&go);
}

static void free_results(avvik_class *v, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		avvik_class_clear(&v[i]);
	free(v);
}

#define STR_SAME(what, a, b) do { \
	if (((a) == NULL) != ((b) == NULL) || ((a) && strcmp((a), (b)))) \
		fail_msg("record %zu, thread %zu: %s '%s', one thread gave '%s'", i, t, what, \
			 (a) ? (a) : "(null)", (b) ? (b) : "(null)"); \
	} while (0)

/* Every field of every thread's result equals the one-thread result. */
static void assert_same(const avvik_class *want, avvik_class *got[N_THREADS], size_t n)
{
	size_t t, i;

	for (t = 0; t < N_THREADS; t++)
		for (i = 0; i < n; i++) {
			const avvik_class *w = &want[i], *g = &got[t][i];
			STR_SAME("category", g->category, w->category);
			STR_SAME("tags", g->tags, w->tags);
			STR_SAME("reporter_org", g->reporter_org, w->reporter_org);
			STR_SAME("reporter_how", g->reporter_how, w->reporter_how);
			STR_SAME("concerned_org", g->concerned_org, w->concerned_org);
			STR_SAME("concerned_how", g->concerned_how, w->concerned_how);
			STR_SAME("matches", g->matches, w->matches);
			STR_SAME("why", g->why, w->why);
			assert_int_equal(g->dir, w->dir);
			assert_int_equal(g->reporter_type, w->reporter_type);
			assert_int_equal(g->concerned_type, w->concerned_type);
		}
}

/* The shipped rules under JIT (jit = 1) or the interpreter (0). */
static void threads_agree(int jit)
{
	classify_rules *r;
	avvik_class *want, *got[N_THREADS];
	unsigned long before, one, all;
	size_t i, t, n_annet = 0, n_resolved = 0;
	const int rounds = 5;

	classify_set_jit(jit);
	r = rules_shipped();
	classify_set_jit(1);
	assert_int_equal(r->jit, jit);

	want = xcalloc(n_recs, sizeof *want);
	before = classify_regex_execs();
	for (i = 0; i < n_recs; i++) {
		avvik_class_init(&want[i]);
		classify_record(r, &recs[i], &want[i]);
		n_annet += !strcmp(want[i].category, "annet");
		n_resolved += want[i].reporter_org != NULL;
	}
	one = classify_regex_execs() - before;
	/* the set is worth the name: regexes run, rules decide, parties resolve */
	assert_true(one > n_recs);
	assert_true(n_annet < n_recs / 4);
	assert_true(n_resolved > 50);

	before = classify_regex_execs();
	classify_in_threads(r, recs, n_recs, rounds, got);
	all = classify_regex_execs() - before;
	assert_same(want, got, n_recs);
	/* no count lost: every thread ran every record's regexes each round */
	assert_int_equal(all, (unsigned long)N_THREADS * (unsigned long)rounds * one);

	for (t = 0; t < N_THREADS; t++)
		free_results(got[t], n_recs);
	free_results(want, n_recs);
	classify_rules_free(r);
}

static void test_threads_agree_jit(void **state)
{
	(void)state;
	threads_agree(1);
}

static void test_threads_agree_interpreter(void **state)
{
	(void)state;
	threads_agree(0);
}

/* ---- the match-limit log, the one thing matching writes ---- */

static int load_hostile(classify_rules **out, sbuf *err)
{
	return rules_load_mem("rules:\n"
			      "  - id: evil\n    category: legemidler\n    priority: 90\n"
			      "    when: { text: '(a+)+$' }\n"
			      "  - id: fine\n    category: epikrise\n    when: { text: epikrisen }\n",
			      "orgs:\n  - { id: unn, name: UNN HF, type: unn, aliases: [UNN] }\n"
			      "fastlege_patterns: ['(x+)+$']\n", out, err);
}

static size_t count_in(const char *s, const char *needle)
{
	size_t n = 0;

	while ((s = strstr(s, needle))) {
		n++;
		s++;
	}
	return n;
}

/* Both hostile patterns (a rule's and a fastlege pattern) stop at their
 * limit in 4 threads at once: every stop is counted, each pattern is
 * logged once, and the results are those of one thread. */
static void test_threads_limit_log(void **state)
{
	classify_rules *ref = NULL, *r = NULL;
	sbuf err = SBUF_INIT, text = SBUF_INIT, name = SBUF_INIT, log = SBUF_INIT;
	avvik_record rec;
	avvik_class want, *got[N_THREADS];
	char logpath[] = "/tmp/avvik-threads-log-XXXXXX";
	unsigned long before, one, all;
	int fd, saved, i;
	size_t t;
	const int rounds = 3;

	(void)state;
	for (i = 0; i < 3000; i++) {
		sbuf_addch(&text, 'a');
		sbuf_addch(&name, 'x');
	}
	sbuf_adds(&text, "! epikrisen mangler");
	sbuf_addch(&name, '!');
	avvik_record_init(&rec);
	rec.text = sbuf_detach(&text, NULL);
	rec.reporter.name = sbuf_detach(&name, NULL);

	fd = mkstemp(logpath);
	assert_true(fd >= 0);
	fflush(stderr);
	saved = dup(2);
	assert_true(saved >= 0);
	/* the reference, with a rule set of its own: its warnings go nowhere */
	if (load_hostile(&ref, &err))
		fail_msg("load: %s", err.buf);
	dup2(fd, 2);
	avvik_class_init(&want);
	before = classify_regex_limit_hits();
	classify_record(ref, &rec, &want);
	one = classify_regex_limit_hits() - before;
	fflush(stderr);
	assert_int_equal(ftruncate(fd, 0), 0);
	lseek(fd, 0, SEEK_SET);

	if (load_hostile(&r, &err))
		fail_msg("load: %s", err.buf);
	before = classify_regex_limit_hits();
	classify_in_threads(r, &rec, 1, rounds, got);
	all = classify_regex_limit_hits() - before;
	fflush(stderr);
	dup2(saved, 2);
	close(saved);

	assert_int_equal(one, 2);   /* the rule's pattern and the fastlege pattern */
	assert_int_equal(all, (unsigned long)N_THREADS * (unsigned long)rounds * one);
	assert_string_equal(want.category, "epikrise");
	for (t = 0; t < N_THREADS; t++) {
		assert_string_equal(got[t][0].category, want.category);
		assert_string_equal(got[t][0].matches, want.matches);
		assert_int_equal(got[t][0].reporter_type, want.reporter_type);
		free_results(got[t], 1);
	}
	assert_int_equal(r->limit_log->n, 2);   /* each pattern noted once */
	assert_int_equal(sbuf_read_file(&log, logpath, 0), 0);
	assert_int_equal(count_in(log.buf, "counted as not matching"), 2);
	assert_int_equal(count_in(log.buf, "rule 'evil'"), 1);
	assert_int_equal(count_in(log.buf, "a fastlege pattern stopped"), 1);

	close(fd);
	unlink(logpath);
	avvik_class_clear(&want);
	avvik_record_clear(&rec);
	classify_rules_free(ref);
	classify_rules_free(r);
	sbuf_release(&log);
	sbuf_release(&err);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_threads_agree_jit),
		cmocka_unit_test(test_threads_agree_interpreter),
		cmocka_unit_test(test_threads_limit_log),
	};
	return cmocka_run_group_tests_name("classify_threads", tests, setup, teardown);
}
