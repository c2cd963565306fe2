/* cmd_rules.c - avvik rules check|test|list|log|diff|eval: the rule
 * maintainer's workflow around the rules git repository. */
#include "cli/cli.h"
#include "classify/classify.h"

#include <getopt.h>
#include <stdlib.h>
#include <string.h>

/* Where a subcommand reads the rules from. */
typedef struct {
	const char *rev;        /* --rev REV (default HEAD) */
	int worktree;           /* --worktree: the rules repository's work tree */
	const char *dir;        /* --dir DIR: any rules directory (no database needed) */
	const char *format;     /* --format text|json */
	int verbose;
	int max;                /* rules log -n */
	const char *model_a, *model_b;  /* rules diff: a model hash (prefix), "none" or "current" */
} cli_rules_opts;

static int cli_rules_parse(cli_config *cfg, int argc, char **argv, cli_rules_opts *o, const char *usage_of)
{
	static const struct option opts[] = {
		{ "rev", required_argument, NULL, 'r' },
		{ "worktree", no_argument, NULL, 'w' },
		{ "dir", required_argument, NULL, 'd' },
		{ "format", required_argument, NULL, 'f' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "max-count", required_argument, NULL, 'n' },
		{ "model-a", required_argument, NULL, 'a' },
		{ "model-b", required_argument, NULL, 'b' },
		{ NULL, 0, NULL, 0 },
	};
	int c;

	memset(o, 0, sizeof *o);
	o->rev = cfg->rules_rev;
	o->format = "text";
	while ((c = getopt_long(argc, argv, ":n:v", opts, NULL)) != -1) {
		switch (c) {
		case 'r': o->rev = optarg; break;
		case 'w': o->worktree = 1; break;
		case 'd': o->dir = optarg; break;
		case 'f':
			if (strcmp(optarg, "text") && strcmp(optarg, "json")) {
				log_error("rules: unknown format '%s' (expected text or json)", optarg);
				return -1;
			}
			o->format = optarg;
			break;
		case 'v': o->verbose = 1; break;
		case 'n': o->max = atoi(optarg); break;
		case 'a': o->model_a = optarg; break;
		case 'b': o->model_b = optarg; break;
		default: cli_opt_error(usage_of, c, argv); return -1;
		}
	}
	return 0;
}

/* The rules repository's directory (config, else what init recorded). */
static char *cli_rules_repo(cli_config *cfg)
{
	store *st;
	char *dir;

	if (cfg->rules_dir)
		return xstrdup(cfg->rules_dir);
	if (!(st = cli_store_open(cfg)))
		return NULL;
	dir = cli_rules_dir(cfg, st);
	store_close(st);
	return dir;
}

/* Loads the rule set the options name; errors go to err. */
static int cli_rules_load(cli_config *cfg, const cli_rules_opts *o, classify_rules **out, sbuf *err)
{
	char *repo;
	int rc;

	if (o->dir)
		return classify_rules_load_dir(out, o->dir, err);
	if (!(repo = cli_rules_repo(cfg)))
		return -2;
	rc = o->worktree ? classify_rules_load_dir(out, repo, err) : classify_rules_load(out, repo, o->rev, err);
	free(repo);
	return rc;
}

static int rules_check(cli_config *cfg, const cli_rules_opts *o)
{
	classify_rules *r = NULL;
	sbuf err = SBUF_INIT;
	int rc = cli_rules_load(cfg, o, &r, &err), ties;

	if (rc == -2)
		return EXIT_USAGE;
	if (rc) {
		fprintf(stderr, "%s\n", err.buf);
		sbuf_release(&err);
		return EXIT_USAGE;
	}
	ties = classify_rules_ties(r, &err);
	if (ties) {
		fprintf(stderr, "%s\n", err.buf);
	} else {
		printf("rules OK: %zu rules, %zu categories (%s)\n", classify_rules_count(r),
		       classify_category_count(r), classify_rules_commit(r));
	}
	classify_rules_free(r);
	sbuf_release(&err);
	return ties ? EXIT_USAGE : EXIT_DONE;
}

static int rules_test(cli_config *cfg, const cli_rules_opts *o)
{
	classify_rules *r = NULL;
	sbuf err = SBUF_INIT;
	int rc = cli_rules_load(cfg, o, &r, &err), n = 0, fails;

	if (rc) {
		if (rc != -2)
			fprintf(stderr, "%s\n", err.buf);
		sbuf_release(&err);
		return EXIT_USAGE;
	}
	fails = classify_rules_test(r, stdout, &n);
	printf("%d examples, %d passed, %d failed (%s)\n", n, n - fails, fails, classify_rules_commit(r));
	classify_rules_free(r);
	sbuf_release(&err);
	return fails ? EXIT_PARTIAL : EXIT_DONE;
}

static int rules_list(cli_config *cfg, const cli_rules_opts *o)
{
	classify_rules *r = NULL;
	sbuf err = SBUF_INIT;
	int rc = cli_rules_load(cfg, o, &r, &err);

	if (rc) {
		if (rc != -2)
			fprintf(stderr, "%s\n", err.buf);
		sbuf_release(&err);
		return EXIT_USAGE;
	}
	classify_rules_list(r, stdout, o->verbose);
	printf("%zu rules (%s)\n", classify_rules_count(r), classify_rules_commit(r));
	classify_rules_free(r);
	sbuf_release(&err);
	return EXIT_DONE;
}

/* --format json: one JSON array of commits, written as they come */
typedef struct {
	int json;
	long n;
} rules_log_ctx;

static int rules_log_one(void *ctx, const classify_log_entry *e)
{
	rules_log_ctx *lc = ctx;

	if (lc->json) {
		sbuf s = SBUF_INIT;
		sbuf_addf(&s, "%s  {\"commit\":\"%s\",\"date\":", lc->n++ ? ",\n" : "[\n", e->id);
		sbuf_add_json_str(&s, e->date);
		sbuf_adds(&s, ",\"author\":");
		sbuf_add_json_str(&s, e->author);
		sbuf_adds(&s, ",\"subject\":");
		sbuf_add_json_str(&s, e->subject);
		sbuf_adds(&s, ",\"added\":");
		sbuf_add_json_str(&s, e->added);
		sbuf_adds(&s, ",\"removed\":");
		sbuf_add_json_str(&s, e->removed);
		sbuf_adds(&s, ",\"changed\":");
		sbuf_add_json_str(&s, e->changed);
		sbuf_addf(&s, ",\"broken\":%s}", e->broken ? "true" : "false");
		fputs(s.buf, stdout);
		sbuf_release(&s);
		return 0;
	}
	printf("%.12s %s %s\n    %s\n", e->id, e->date, e->author, e->subject);
	if (*e->added)
		printf("    added:   %s\n", e->added);
	if (*e->changed)
		printf("    changed: %s\n", e->changed);
	if (*e->removed)
		printf("    removed: %s\n", e->removed);
	if (!*e->added && !*e->changed && !*e->removed)
		printf("    (no rule changed)\n");
	if (e->broken)
		printf("    (some rule files of this commit do not parse)\n");
	return 0;
}

static int rules_log(cli_config *cfg, const cli_rules_opts *o)
{
	char *repo = o->dir ? xstrdup(o->dir) : cli_rules_repo(cfg);
	sbuf err = SBUF_INIT;
	rules_log_ctx lc = { !strcmp(o->format, "json"), 0 };
	int rc = EXIT_DONE;

	if (!repo)
		return EXIT_USAGE;
	if (classify_rules_log(repo, o->rev, o->max, rules_log_one, &lc, &err)) {
		log_error("rules log: %s", err.buf);
		rc = EXIT_USAGE;
	}
	if (lc.json && rc == EXIT_DONE)
		fputs(lc.n ? "\n]\n" : "[]\n", stdout);
	free(repo);
	sbuf_release(&err);
	return rc;
}

/* ---- rules diff A B ---- */

#define DIFF_EXAMPLES 5

typedef struct {
	char *from, *to;
	long n;
	int64_t ex[DIFF_EXAMPLES];
} diff_cell;

typedef struct {
	const classify_rules *a, *b;
	const classify_model *ma, *mb;  /* NULL: rules alone */
	diff_cell *cells;
	size_t n_cells;
	long total, moved, dir_moved;
} diff_run;

static int diff_one(void *ctx, int64_t id, const avvik_record *r)
{
	diff_run *d = ctx;
	avvik_class ca, cb;
	size_t i;

	avvik_class_init(&ca);
	avvik_class_init(&cb);
	classify_combine(d->a, d->ma, r, &ca);
	classify_combine(d->b, d->mb, r, &cb);
	d->total++;
	if (ca.dir != cb.dir)
		d->dir_moved++;
	if (strcmp(ca.category, cb.category)) {
		d->moved++;
		for (i = 0; i < d->n_cells; i++)
			if (!strcmp(d->cells[i].from, ca.category) && !strcmp(d->cells[i].to, cb.category))
				break;
		if (i == d->n_cells) {
			d->cells = xrealloc(d->cells, (d->n_cells + 1) * sizeof *d->cells);
			memset(&d->cells[i], 0, sizeof d->cells[i]);
			d->cells[i].from = xstrdup(ca.category);
			d->cells[i].to = xstrdup(cb.category);
			d->n_cells++;
		}
		if (d->cells[i].n < DIFF_EXAMPLES)
			d->cells[i].ex[d->cells[i].n] = id;
		d->cells[i].n++;
	}
	avvik_class_clear(&ca);
	avvik_class_clear(&cb);
	return 0;
}

static int diff_cmp(const void *x, const void *y)
{
	const diff_cell *a = x, *b = y;

	if (a->n != b->n)
		return a->n < b->n ? 1 : -1;
	return strcmp(a->from, b->from) ? strcmp(a->from, b->from) : strcmp(a->to, b->to);
}

/* The model a side of rules diff uses: "none", "current" (NULL: the
 * default) or a stored model's hash. */
static int diff_model(store *st, const char *which, classify_model **out, sbuf *err)
{
	*out = NULL;
	if (which && !strcmp(which, "none"))
		return 0;
	return pipeline_model_load(st, which && strcmp(which, "current") ? which : NULL, out, err);
}

static const char *diff_model_name(const classify_model *m)
{
	return m ? classify_model_hash(m) : "none";
}

static int rules_diff(cli_config *cfg, const cli_rules_opts *o, const char *ra, const char *rb)
{
	classify_rules *a = NULL, *b = NULL;
	classify_model *ma = NULL, *mb = NULL;
	sbuf err = SBUF_INIT;
	store *st;
	char *repo;
	diff_run d;
	size_t i, k;
	int rc = EXIT_DONE;

	if (!(st = cli_store_open(cfg)))
		return cli_store_failed(cfg);
	if (!(repo = o->dir ? xstrdup(o->dir) : cli_rules_dir(cfg, st))) {
		store_close(st);
		return EXIT_USAGE;
	}
	if (classify_rules_load(&a, repo, ra, &err) || classify_rules_load(&b, repo, rb, &err) ||
	    diff_model(st, o->model_a, &ma, &err) || diff_model(st, o->model_b, &mb, &err)) {
		log_error("rules diff: %s", err.buf);
		rc = EXIT_USAGE;
		goto out;
	}
	memset(&d, 0, sizeof d);
	d.a = a;
	d.b = b;
	d.ma = ma;
	d.mb = mb;
	/* read only: nothing is written, whatever the rules say */
	if (store_deviations_each(st, NULL, diff_one, &d)) {
		log_error("rules diff: database read failed: %s", store_errmsg(st));
		rc = EXIT_FATAL;
	} else {
		if (d.n_cells)
			qsort(d.cells, d.n_cells, sizeof *d.cells, diff_cmp);
		if (!strcmp(o->format, "json")) {
			printf("{\"from\":\"%s\",\"to\":\"%s\",\"model_from\":\"%s\",\"model_to\":\"%s\","
			       "\"deviations\":%ld,\"moved\":%ld,\"direction_moved\":%ld,"
			       "\"transitions\":[", classify_rules_commit(a), classify_rules_commit(b), diff_model_name(ma),
			       diff_model_name(mb), d.total, d.moved, d.dir_moved);
			for (i = 0; i < d.n_cells; i++) {
				printf("%s{\"from\":\"%s\",\"to\":\"%s\",\"count\":%ld,\"examples\":[", i ? "," : "",
				       d.cells[i].from, d.cells[i].to, d.cells[i].n);
				for (k = 0; k < DIFF_EXAMPLES && k < (size_t)d.cells[i].n; k++)
					printf("%s%lld", k ? "," : "", (long long)d.cells[i].ex[k]);
				printf("]}");
			}
			printf("]}\n");
		} else {
			printf("rules diff %.12s -> %.12s: %ld of %ld deviations change category, %ld change direction\n",
			       classify_rules_commit(a), classify_rules_commit(b), d.moved, d.total, d.dir_moved);
			printf("model %.12s -> %.12s\n", diff_model_name(ma), diff_model_name(mb));
			if (d.n_cells)
				printf("%-22s %-22s %7s  %s\n", "from", "to", "count", "examples (ids)");
			for (i = 0; i < d.n_cells; i++) {
				printf("%-22s %-22s %7ld  ", d.cells[i].from, d.cells[i].to, d.cells[i].n);
				for (k = 0; k < DIFF_EXAMPLES && k < (size_t)d.cells[i].n; k++)
					printf("%s%lld", k ? " " : "", (long long)d.cells[i].ex[k]);
				printf("\n");
			}
		}
	}
	for (i = 0; i < d.n_cells; i++) {
		free(d.cells[i].from);
		free(d.cells[i].to);
	}
	free(d.cells);
out:
	classify_model_free(ma);
	classify_model_free(mb);
	classify_rules_free(a);
	classify_rules_free(b);
	free(repo);
	store_close(st);
	sbuf_release(&err);
	return rc;
}

/* ---- rules eval: the overrides as ground truth ---- */

typedef struct {
	store *st;
	const classify_rules *r;
	classify_eval *e;
	int failed;
} eval_run;

static int eval_one(void *ctx, const store_override *o)
{
	eval_run *ev = ctx;
	avvik_record rec;
	avvik_class c;
	int rc = store_deviation_get(ev->st, o->deviation_id, &rec);

	if (rc < 0) {
		ev->failed = 1;
		return -1;
	}
	if (rc == 0)
		return 0;
	avvik_class_init(&c);
	classify_record(ev->r, &rec, &c);
	if (o->category)
		classify_eval_add(ev->e, o->category, c.category);
	if (o->direction) {
		direction want;
		if (!direction_parse(o->direction, &want))
			classify_eval_add_dir(ev->e, want, c.dir);
	}
	avvik_class_clear(&c);
	avvik_record_clear(&rec);
	return 0;
}

static int rules_eval(cli_config *cfg, const cli_rules_opts *o)
{
	classify_rules *r = NULL;
	sbuf err = SBUF_INIT;
	eval_run ev;
	store *st;
	char *repo;
	int rc = EXIT_DONE;

	if (!(st = cli_store_open(cfg)))
		return cli_store_failed(cfg);
	if (!(repo = o->dir ? xstrdup(o->dir) : cli_rules_dir(cfg, st))) {
		store_close(st);
		return EXIT_USAGE;
	}
	if (o->worktree ? classify_rules_load_dir(&r, repo, &err) : classify_rules_load(&r, repo, o->rev, &err)) {
		log_error("rules eval: %s", err.buf);
		free(repo);
		store_close(st);
		sbuf_release(&err);
		return EXIT_USAGE;
	}
	memset(&ev, 0, sizeof ev);
	ev.st = st;
	ev.r = r;
	ev.e = classify_eval_new(r);
	if (store_override_each(st, 0, eval_one, &ev) || ev.failed) {
		log_error("rules eval: database read failed: %s", store_errmsg(st));
		rc = EXIT_FATAL;
	} else if (!classify_eval_total(ev.e)) {
		printf("no overrides with a category: nothing to evaluate against (see 'avvik override')\n");
	} else {
		if (strcmp(o->format, "json"))
			printf("rules %s against %ld overrides (manual corrections)\n", classify_rules_commit(r),
			       classify_eval_total(ev.e));
		classify_eval_print(ev.e, stdout, "", !strcmp(o->format, "json"));
	}
	classify_eval_free(ev.e);
	classify_rules_free(r);
	free(repo);
	store_close(st);
	sbuf_release(&err);
	return rc;
}

/* Brings reviewed commits in from the shared upstream, fast-forward only. */
static int rules_pull(cli_config *cfg)
{
	char *repo = cli_rules_repo(cfg), before[41], after[41];
	sbuf err = SBUF_INIT;
	int rc = EXIT_DONE;

	if (!repo)
		return EXIT_USAGE;
	if (classify_repo_pull(repo, cfg->rules_upstream, before, after, &err)) {
		log_error("rules pull: %s", err.buf);
		rc = EXIT_USAGE;
	} else if (!strcmp(before, after)) {
		printf("%s: up to date (%.12s)\n", repo, after);
	} else {
		printf("%s: fast-forwarded %.12s..%.12s from %s\n", repo, before, after,
		       cfg->rules_upstream ? cfg->rules_upstream : "origin");
	}
	free(repo);
	sbuf_release(&err);
	return rc;
}

int cmd_rules(cli_config *cfg, int argc, char **argv)
{
	cli_rules_opts o;
	const char *sub;

	if (argc < 2) {
		cli_usage(stderr, "rules");
		return EXIT_USAGE;
	}
	sub = argv[1];
	argv++;
	argc--;
	if (cli_rules_parse(cfg, argc, argv, &o, "rules"))
		return EXIT_USAGE;
	if (!strcmp(sub, "diff")) {
		if (argc - optind != 2) {
			log_error("rules diff: expected two revisions A B");
			return EXIT_USAGE;
		}
		return rules_diff(cfg, &o, argv[optind], argv[optind + 1]);
	}
	if (optind < argc) {
		log_error("rules %s: unexpected argument '%s'", sub, argv[optind]);
		return EXIT_USAGE;
	}
	if (!strcmp(sub, "check"))
		return rules_check(cfg, &o);
	if (!strcmp(sub, "test"))
		return rules_test(cfg, &o);
	if (!strcmp(sub, "list"))
		return rules_list(cfg, &o);
	if (!strcmp(sub, "log"))
		return rules_log(cfg, &o);
	if (!strcmp(sub, "eval"))
		return rules_eval(cfg, &o);
	if (!strcmp(sub, "pull"))
		return rules_pull(cfg);
	log_error("rules: unknown subcommand '%s' (expected check, test, list, log, diff, eval or pull)", sub);
	return EXIT_USAGE;
}
