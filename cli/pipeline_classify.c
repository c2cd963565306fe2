/*
 * pipeline_classify.c - store -> classify -> store: what has no
 * classification under a rules commit is classified and the results
 * written back, one transaction per batch.
 */
#include "cli/pipeline_int.h"
#include "classify/classify.h"

#include <stdlib.h>
#include <string.h>

typedef struct {
	store *st;
	const classify_rules *rules;
	long n;
	int failed;
} classify_run;

static int pipeline_classify_one(void *ctx, int64_t id, const avvik_record *r)
{
	classify_run *cr = ctx;
	avvik_class c;

	avvik_class_init(&c);
	classify_record(cr->rules, r, &c);
	if (store_class_put(cr->st, id, classify_rules_commit(cr->rules), &c)) {
		avvik_class_clear(&c);
		cr->failed = 1;
		return -1;
	}
	avvik_class_clear(&c);
	/* A batch per 1000 records keeps transactions short. */
	if (++cr->n % 1000 == 0 && (store_commit(cr->st) || store_begin(cr->st))) {
		cr->failed = 1;
		return -1;
	}
	return 0;
}

int pipeline_classify(store *st, const char *rules_dir, const char *rev, int all, int jobs,
		      long *n_out, char **commit_out, sbuf *err)
{
	classify_rules *rules = NULL;
	classify_run cr;

	(void)jobs;
	*n_out = 0;
	*commit_out = NULL;
	if (classify_rules_load(&rules, rules_dir, rev, err))
		return -1;
	memset(&cr, 0, sizeof cr);
	cr.st = st;
	cr.rules = rules;
	if (store_begin(st))
		goto db_fail;
	/* Nothing new under this commit (the nightly case): no scan at all. */
	if (!all && store_class_count(st, classify_rules_commit(rules)) == store_deviation_count(st))
		;
	else if (store_deviations_each(st, all ? NULL : classify_rules_commit(rules),
				       pipeline_classify_one, &cr) || cr.failed)
		goto db_fail;
	if (store_class_run_put(st, classify_rules_commit(rules), cr.n) || store_commit(st))
		goto db_fail;
	*n_out = cr.n;
	*commit_out = xstrdup(classify_rules_commit(rules));
	classify_rules_free(rules);
	return 0;
db_fail:
	sbuf_addf(err, "database write failed: %s", store_errmsg(st));
	store_rollback(st);
	classify_rules_free(rules);
	return -1;
}
