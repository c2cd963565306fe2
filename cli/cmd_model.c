/* cmd_model.c - avvik model train|eval|list: the statistical model beside
 * the rules, trained from the labelled examples of a rules commit and the
 * overrides in force, and measured by cross-validation. */
#include "cli/cli.h"

#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* An adviser's correction counts as this many written examples: it is a
 * real deviation, judged by the people the counts are for. */
#define MODEL_OVERRIDE_WEIGHT 3
#define MODEL_FOLDS 10

typedef struct {
	const char *rev;
	const char *format;
	int folds;
} cli_model_opts;

static int cli_model_parse(cli_config *cfg, int argc, char **argv, cli_model_opts *o)
{
	static const struct option opts[] = {
		{ "rev", required_argument, NULL, 'r' },
		{ "format", required_argument, NULL, 'f' },
		{ "folds", required_argument, NULL, 'k' },
		{ NULL, 0, NULL, 0 },
	};
	int c;

	memset(o, 0, sizeof *o);
	o->rev = cfg->rules_rev;
	o->format = "text";
	o->folds = MODEL_FOLDS;
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 'r': o->rev = optarg; break;
		case 'f':
			if (strcmp(optarg, "text") && strcmp(optarg, "json")) {
				log_error("model: unknown format '%s' (expected text or json)", optarg);
				return -1;
			}
			o->format = optarg;
			break;
		case 'k':
			o->folds = atoi(optarg);
			if (o->folds < 2 || o->folds > 100) {
				log_error("model eval: --folds: expected 2 to 100, found '%s'", optarg);
				return -1;
			}
			break;
		default: cli_usage(stderr, "model"); return -1;
		}
	}
	if (optind < argc) {
		log_error("model: unexpected argument '%s'", argv[optind]);
		return -1;
	}
	return 0;
}

/* The rules, their labelled examples and the overrides in force, for one
 * commit. */
typedef struct {
	store *st;
	char *repo;
	classify_rules *rules;
	classify_trainset *set;
	char commit[41];
	long n_written, n_overrides;
	int weight;
	int failed;
} cli_model_data;

static int cli_model_add_override(void *ctx, const store_override *o)
{
	cli_model_data *d = ctx;
	avvik_record rec;
	sbuf origin = SBUF_INIT;
	int rc = store_deviation_get(d->st, o->deviation_id, &rec);

	if (rc < 0) {
		d->failed = 1;
		return -1;
	}
	if (rc == 0)
		return 0;
	sbuf_addf(&origin, "override %lld (deviation %lld)", (long long)o->id, (long long)o->deviation_id);
	classify_trainset_add(d->set, &rec, o->category, o->direction, d->weight, origin.buf);
	d->n_overrides++;
	sbuf_release(&origin);
	avvik_record_clear(&rec);
	return 0;
}

static void cli_model_data_free(cli_model_data *d)
{
	classify_trainset_free(d->set);
	classify_rules_free(d->rules);
	free(d->repo);
	if (d->st)
		store_close(d->st);
}

/* Loads everything; an exit code, EXIT_DONE when all is there. */
static int cli_model_data_load(cli_config *cfg, const cli_model_opts *o, int weight, cli_model_data *d)
{
	sbuf err = SBUF_INIT;

	memset(d, 0, sizeof *d);
	d->weight = weight;
	if (!(d->st = cli_store_open(cfg)) || !(d->repo = cli_rules_dir(cfg, d->st)))
		return EXIT_USAGE;
	d->set = classify_trainset_new();
	if (classify_rules_load(&d->rules, d->repo, o->rev, &err) ||
	    classify_trainset_load(d->set, d->repo, o->rev, d->commit, &err)) {
		log_error("model: %s", err.buf);
		sbuf_release(&err);
		return EXIT_USAGE;
	}
	sbuf_release(&err);
	d->n_written = (long)classify_trainset_count(d->set);
	/* overrides in force, by deviation then id: the same overrides give
	 * the same examples in the same order */
	if (store_override_each(d->st, 0, cli_model_add_override, d) || d->failed) {
		log_error("model: database read failed: %s", store_errmsg(d->st));
		return EXIT_FATAL;
	}
	return EXIT_DONE;
}

static int model_train(cli_config *cfg, const cli_model_opts *o)
{
	cli_model_data d;
	classify_model *m = NULL;
	sbuf err = SBUF_INIT;
	const void *bytes;
	size_t len;
	struct timespec t0, t1;
	int rc = cli_model_data_load(cfg, o, MODEL_OVERRIDE_WEIGHT, &d);

	if (rc != EXIT_DONE)
		goto out;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	if (classify_model_train(&m, d.rules, d.set, d.commit, &err)) {
		log_error("model train: %s", err.buf);
		rc = EXIT_USAGE;
		goto out;
	}
	clock_gettime(CLOCK_MONOTONIC, &t1);
	bytes = classify_model_bytes(m, &len);
	if (store_begin(d.st) ||
	    store_model_put(d.st, classify_model_hash(m), d.commit, d.n_written, d.n_overrides, bytes, len) ||
	    store_commit(d.st)) {
		log_error("model train: database write failed: %s", store_errmsg(d.st));
		store_rollback(d.st);
		rc = EXIT_FATAL;
		goto out;
	}
	printf("model %.12s trained from rules %.12s: %ld labelled examples and %ld overrides (each counted %d "
	       "times), %zu features, %.1f s\n", classify_model_hash(m), d.commit, d.n_written, d.n_overrides,
	       MODEL_OVERRIDE_WEIGHT, classify_model_features(m),
	       (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9);
	printf("classify and run use it from now on; 'avvik classify --all' re-classifies what is stored\n");
out:
	classify_model_free(m);
	cli_model_data_free(&d);
	sbuf_release(&err);
	return rc;
}

/* ---- model eval: k-fold cross-validation ---- */

/* The thresholds the combination is measured at (README), and the rules'
 * track record (-1), for the table that shows what supports the choice. */
static const double model_thresholds[] = { 0.0, 0.5, 0.6, CLASSIFY_MODEL_SURE, 0.8, 0.9, -1.0, 2.0 };
#define N_THRESHOLDS (sizeof model_thresholds / sizeof model_thresholds[0])

typedef struct {
	const classify_trainset *set;
	classify_eval *rules, *model, *combined;
	long right[N_THRESHOLDS];
} model_cv;

static void model_cv_one(void *ctx, const classify_model *m, size_t i, const avvik_class *c,
			 const classify_prediction *p)
{
	model_cv *cv = ctx;
	const char *truth = classify_trainset_category(cv->set, i);
	int want = classify_trainset_direction(cv->set, i), by_model;
	size_t k;

	if (truth) {
		classify_eval_add(cv->rules, truth, c->category);
		classify_eval_add(cv->model, truth, p->category ? p->category : "annet");
		classify_eval_add(cv->combined, truth,
				  classify_combine_category(m, c, p, CLASSIFY_MODEL_SURE, &by_model));
		for (k = 0; k < N_THRESHOLDS; k++)
			cv->right[k] += !strcmp(truth, classify_combine_category(m, c, p, model_thresholds[k],
										 &by_model));
	}
	if (want >= 0) {
		classify_eval_add_dir(cv->rules, (direction)want, c->dir);
		classify_eval_add_dir(cv->model, (direction)want, p->dir);
		classify_eval_add_dir(cv->combined, (direction)want, classify_combine_direction(c, p));
	}
}

static void model_eval_block(const char *title, const classify_eval *e, int json, int last)
{
	if (json) {
		printf("\"%s\":", title);
		classify_eval_print(e, stdout, "", 1);
		if (!last)
			putchar(',');
		return;
	}
	printf("\n%s: category %.1f %%, direction %.1f %%\n", title, 100 * classify_eval_accuracy(e),
	       100 * classify_eval_dir_accuracy(e));
	classify_eval_print(e, stdout, "  ", 0);
	printf("  confusion matrix:\n");
	classify_eval_print_matrix(e, stdout, "  ");
}

static int model_eval(cli_config *cfg, const cli_model_opts *o)
{
	cli_model_data d;
	model_cv cv;
	sbuf err = SBUF_INIT;
	int json = !strcmp(o->format, "json"), rc;
	size_t k, n;

	memset(&cv, 0, sizeof cv);
	/* each override once: copies of one example in several folds would
	 * flatter the model */
	if ((rc = cli_model_data_load(cfg, o, 1, &d)) != EXIT_DONE)
		goto out;
	n = classify_trainset_count(d.set);
	if ((size_t)o->folds > n) {
		log_error("model eval: %d folds but only %zu labelled examples", o->folds, n);
		rc = EXIT_USAGE;
		goto out;
	}
	cv.set = d.set;
	cv.rules = classify_eval_new(d.rules);
	cv.model = classify_eval_new(d.rules);
	cv.combined = classify_eval_new(d.rules);
	if (classify_model_cv(d.rules, d.set, o->folds, model_cv_one, &cv, &err)) {
		log_error("model eval: %s", err.buf);
		rc = EXIT_USAGE;
		goto out;
	}
	if (json) {
		printf("{\"rules_commit\":\"%s\",\"examples\":%zu,\"overrides\":%ld,\"folds\":%d,", d.commit, n,
		       d.n_overrides, o->folds);
		model_eval_block("rules", cv.rules, 1, 0);
		model_eval_block("model", cv.model, 1, 0);
		model_eval_block("combined", cv.combined, 1, 0);
		printf("\"threshold\":%.2f,\"combined_by_threshold\":[", CLASSIFY_MODEL_SURE);
		for (k = 0; k < N_THRESHOLDS; k++) {
			printf("%s{\"threshold\":", k ? "," : "");
			if (model_thresholds[k] < 0)
				printf("\"track record\"");
			else if (model_thresholds[k] > 1)
				printf("\"never\"");
			else
				printf("%.2f", model_thresholds[k]);
			printf(",\"accuracy\":%.4f}", (double)cv.right[k] / (double)classify_eval_total(cv.combined));
		}
		printf("]}\n");
		goto out;
	}
	printf("%d-fold cross-validation on the labelled examples of rules %.12s: %ld written, %ld overrides\n"
	       "(each example is classified by a model trained without its fold)\n", o->folds, d.commit,
	       d.n_written, d.n_overrides);
	model_eval_block("rules alone", cv.rules, 0, 0);
	model_eval_block("model alone", cv.model, 0, 0);
	model_eval_block("rules and model combined", cv.combined, 0, 1);
	printf("\nthe combination when the model overrides a rule at probability above ...\n");
	for (k = 0; k < N_THRESHOLDS; k++) {
		double acc = (double)cv.right[k] / (double)classify_eval_total(cv.combined);
		if (model_thresholds[k] < 0)
			printf("  the rule's track record  %5.1f %%\n", 100 * acc);
		else if (model_thresholds[k] > 1)
			printf("  never (only where no rule set a category)  %5.1f %%\n", 100 * acc);
		else
			printf("  %.2f%s  %5.1f %%\n", model_thresholds[k],
			       model_thresholds[k] == CLASSIFY_MODEL_SURE ? " (in use)" : "         ", 100 * acc);
	}
out:
	classify_eval_free(cv.rules);
	classify_eval_free(cv.model);
	classify_eval_free(cv.combined);
	cli_model_data_free(&d);
	sbuf_release(&err);
	return rc;
}

int cmd_model(cli_config *cfg, int argc, char **argv)
{
	cli_model_opts o;
	const char *sub;

	if (argc < 2) {
		cli_usage(stderr, "model");
		return EXIT_USAGE;
	}
	sub = argv[1];
	argv++;
	argc--;
	if (cli_model_parse(cfg, argc, argv, &o))
		return EXIT_USAGE;
	if (!strcmp(sub, "train"))
		return model_train(cfg, &o);
	if (!strcmp(sub, "eval"))
		return model_eval(cfg, &o);
	log_error("model: unknown subcommand '%s' (expected train or eval)", sub);
	return EXIT_USAGE;
}
