/*
 * classify.h - the classify stage: rules and the organisation registry are
 * read from a commit of the rules git repository (never from the work tree),
 * organisations are resolved, each record gets one primary category, tags
 * and a direction.  classify/ knows nothing of SQLite or of where a message
 * came from.
 *
 * Threads: a loaded rule set is read-only while classifying, so any number
 * of threads may call classify_record, classify_org_resolve,
 * classify_explain and the classify_category_* and classify_rules_*
 * queries at once on one shared const classify_rules * (each call keeps its
 * own regex match data; the one shared thing written, the log of patterns
 * that hit a match limit, has a mutex).  Loading and classify_rules_free
 * must not overlap with any other use of that rule set, and rule sets are
 * loaded by one thread at a time.  A classify_eval belongs to one thread.
 */
#ifndef AVVIK_CLASSIFY_H
#define AVVIK_CLASSIFY_H

#include "core/core.h"

typedef struct classify_rules classify_rules;

/* Creates a git repository at dir (absent or empty), copies the rule set
 * from seed_dir (categories.yaml, orgs.yaml, rules/ *.yaml, README.md) and
 * commits it through libgit2 as "avvik init: default rules".  0 created;
 * 1 dir already is a repository with a commit (nothing changed); 2 dir was
 * a repository (bare or not) without a commit, now seeded; -1 with err
 * filled, naming the command that repairs what cannot be repaired here. */
int classify_repo_init(const char *dir, const char *seed_dir, sbuf *err);

/* The commit rev (NULL: HEAD) of the repository at repo_path names, as 40
 * hex digits in out.  0 ok; -1 no repository there; -2 rev names no
 * commit; both with err filled. */
int classify_repo_resolve(const char *repo_path, const char *rev, char out[41], sbuf *err);

/* Fetches the branch HEAD names from upstream (a path or URL; NULL: the
 * remote "origin") and fast-forwards the branch to it, updating the work
 * tree when there is one (a bare repository has none) and refusing to
 * overwrite local changes.  old_out/new_out: the branch's commit before and
 * after, equal when there was nothing new (or the local branch is ahead).
 * 0 ok; -1 with err naming what to do (no upstream, diverged, ...). */
int classify_repo_pull(const char *dir, const char *upstream, char old_out[41], char new_out[41], sbuf *err);

/* Loads categories, organisations and rules from commit rev (any revspec:
 * "HEAD", a branch, a hex id; NULL means HEAD) of the repository at
 * repo_path.  0 ok; -1 with err naming file:line:col and what was expected.
 * Caller owns *out (classify_rules_free). */
int classify_rules_load(classify_rules **out, const char *repo_path, const char *rev, sbuf *err);
/* Same from files on disk (a rules directory such as the shipped rules/);
 * commit id is then "worktree".  For tests and `rules check --worktree`. */
int classify_rules_load_dir(classify_rules **out, const char *dir, sbuf *err);
void classify_rules_free(classify_rules *rules);

const char *classify_rules_commit(const classify_rules *rules);   /* 40 hex */
size_t classify_rules_count(const classify_rules *rules);

/* Classifies r.  out must be initialised; the caller clears it.  Always
 * succeeds: without a matching rule the category is "annet".  Thread-safe
 * (see the top); the result depends only on rules and r. */
void classify_record(const classify_rules *rules, const avvik_record *r, avvik_class *out);

/* Organisation resolution, for the record's parties and for tests.
 * Fills id (registry id or NULL), type and how ("her", "orgnr", "alias",
 * "folded", "fuzzy:1", "type-hint", "unresolved"). */
typedef struct {
	char *id;
	char *name;     /* registry display name, NULL when unresolved */
	org_type type;
	char *how;
} classify_org;
void classify_org_resolve(const classify_rules *rules, const avvik_party *party, classify_org *out);
void classify_org_clear(classify_org *o);

/* The registry's organisations by index (0 .. count-1): id and display
 * name, for listing and for suggesting a name to someone who mistyped one. */
size_t classify_org_count(const classify_rules *rules);
const char *classify_org_id(const classify_rules *rules, size_t i);
const char *classify_org_name(const classify_rules *rules, size_t i);

/* Category table (from categories.yaml). */
size_t classify_category_count(const classify_rules *rules);
const char *classify_category_code(const classify_rules *rules, size_t i);
const char *classify_category_label(const classify_rules *rules, const char *code); /* bokmål */
const char *classify_category_label_en(const classify_rules *rules, const char *code);
const char *classify_category_fsu(const classify_rules *rules, const char *code); /* owning FSU */
int classify_category_counted(const classify_rules *rules, const char *code); /* 0 for faktura */

/* Runs every example embedded in the rules; prints failures to out.
 * Returns the number of failing examples; *n_total gets the count. */
int classify_rules_test(const classify_rules *rules, FILE *out, int *n_total);

/* Priority ties: two rules that set different categories at one priority
 * and both match one of the rule set's examples.  Appends one
 * "file:line:col: message" per tie to err; returns their number. */
int classify_rules_ties(const classify_rules *rules, sbuf *err);

/* One line per rule: id, priority, category, tags, file:line, title. */
void classify_rules_list(const classify_rules *rules, FILE *out, int verbose);

/* Prints how r is classified under rules, and why: the organisations and
 * how each was resolved, every matching rule with its excerpt, how
 * priority decided, where the direction comes from, the rules commit. */
void classify_explain(const classify_rules *rules, const avvik_record *r, FILE *out);

/* ---- rules history (git.c) ---- */
typedef struct {
	char id[41];
	char *author, *date, *subject;   /* date: ISO 8601 with offset */
	char *added, *removed, *changed; /* rule ids, comma-separated; "" for none */
	int broken;                      /* the commit's rules do not parse (ids read leniently) */
} classify_log_entry;
typedef int (*classify_log_fn)(void *ctx, const classify_log_entry *e);
/* Walks the history from rev (NULL: HEAD) back, newest first, at most max
 * commits (0: all).  0 ok; -1 with err. */
int classify_rules_log(const char *repo_path, const char *rev, int max, classify_log_fn fn, void *ctx, sbuf *err);

/* ---- evaluation against labelled truth (eval.c) ---- */
typedef struct classify_eval classify_eval;
typedef struct {
	long truth, predicted, tp;
	double precision, recall, f1;
} classify_eval_row;
classify_eval *classify_eval_new(const classify_rules *rules);   /* rules may be NULL */
void classify_eval_free(classify_eval *e);
void classify_eval_add(classify_eval *e, const char *truth, const char *predicted);
void classify_eval_add_dir(classify_eval *e, direction truth, direction predicted);
long classify_eval_total(const classify_eval *e);
double classify_eval_accuracy(const classify_eval *e);
int classify_eval_category(const classify_eval *e, const char *code, classify_eval_row *out);
/* The table (or one JSON object), each line starting with prefix. */
void classify_eval_print(const classify_eval *e, FILE *out, const char *prefix, int json);
/* The confusion matrix (rows: truth, columns: predicted), codes abbreviated. */
void classify_eval_print_matrix(const classify_eval *e, FILE *out, const char *prefix);
double classify_eval_dir_accuracy(const classify_eval *e);

/* ---- the statistical model beside the rules (model.c) ----
 * A linear text classifier (liblinear, L2-regularised logistic regression)
 * trained from labelled descriptions: training/ *.tsv of a rules commit
 * plus the manual overrides.  Features: folded word unigrams and bigrams,
 * character 3-5-grams inside words, and the organisation types, hashed
 * into a fixed space of 2^22.  One model predicts the category, one the
 * direction, each with probabilities.  A model is a byte string (its
 * serialisation) named by the SHA-256 of those bytes: the same examples in
 * the same order give the same bytes.  A loaded model is read-only, so
 * any number of threads may predict with it at once. */
typedef struct classify_model classify_model;
typedef struct classify_trainset classify_trainset;

/* Labelled examples, in the order added. */
classify_trainset *classify_trainset_new(void);
void classify_trainset_free(classify_trainset *t);
/* Parses a labelled TSV (the header line names the columns: category,
 * direction, reporter, concerned, subject, text, or reporter_type and
 * concerned_type; '#' lines are comments).  name is used in messages.  0
 * ok; -1 with err naming name:line, the field and what was expected. */
int classify_trainset_read(classify_trainset *t, const char *name, const char *data, size_t len, sbuf *err);
/* Reads every training/ *.tsv of commit rev (NULL: HEAD) of the rules
 * repository, in name order; *commit_out (41 bytes) gets the commit id. */
int classify_trainset_load(classify_trainset *t, const char *repo_path, const char *rev, char commit_out[41],
			   sbuf *err);
/* The same from dir/training/ *.tsv on disk (the shipped rules/). */
int classify_trainset_load_dir(classify_trainset *t, const char *dir, sbuf *err);
/* Adds one example: r's subject, text and parties are copied; category
 * and dir may each be NULL (then that model does not learn from it);
 * weight repeats it (an adviser's correction counts more than a written
 * example).  origin names it in messages ("override 12"). */
void classify_trainset_add(classify_trainset *t, const avvik_record *r, const char *category, const char *dir,
			   int weight, const char *origin);
size_t classify_trainset_count(const classify_trainset *t);
const avvik_record *classify_trainset_record(const classify_trainset *t, size_t i);
const char *classify_trainset_category(const classify_trainset *t, size_t i);   /* NULL: none */
/* The labelled direction; -1 when the example has none. */
int classify_trainset_direction(const classify_trainset *t, size_t i);
const char *classify_trainset_origin(const classify_trainset *t, size_t i);
/* A new set of the examples whose index i has keep(ctx, i) != 0, for
 * cross-validation. */
classify_trainset *classify_trainset_subset(const classify_trainset *t, int (*keep)(void *ctx, size_t i), void *ctx);

/* Trains both models from t; categories must be the rule set's, and
 * organisations are resolved through rules' registry.  commit is recorded
 * in the model (NULL: the rule set's).  Deterministic.  Caller owns *out.
 * 0 ok; -1 with err. */
int classify_model_train(classify_model **out, const classify_rules *rules, const classify_trainset *t,
			 const char *commit, sbuf *err);
/* Reads a serialised model.  0 ok; -1 with err saying what is wrong. */
int classify_model_load(classify_model **out, const void *data, size_t len, sbuf *err);
void classify_model_free(classify_model *m);
/* The serialised bytes (borrowed; as stored) and their SHA-256 (64 hex). */
const void *classify_model_bytes(const classify_model *m, size_t *len);
const char *classify_model_hash(const classify_model *m);
const char *classify_model_commit(const classify_model *m);   /* the rules commit it was trained from */
size_t classify_model_examples(const classify_model *m);
size_t classify_model_features(const classify_model *m);

typedef struct {
	const char *category;   /* borrowed from the model */
	double prob;
	direction dir;          /* DIR_UKJENT with dir_prob 0 when the model knows no direction */
	double dir_prob;
	double novelty;         /* share of the record's words never seen in training */
} classify_prediction;
/* Predicts r, whose parties resolved to the types rtype and ctype. */
void classify_model_predict(const classify_model *m, const avvik_record *r, org_type rtype, org_type ctype,
			    classify_prediction *out);

/* Rules and model together (the README's "Rules and the model"): the
 * rules classify; where no rule set a category, or where the model puts
 * at least CLASSIFY_MODEL_SURE on another category, the model's category
 * is used; where the metadata and the rules leave the direction ukjent,
 * the model's direction is used when it puts at least
 * CLASSIFY_MODEL_DIR_SURE on it.  out->decided_by says which decided, and
 * the model fields are filled.  m NULL: classify_record. */
#define CLASSIFY_MODEL_SURE 0.70
#define CLASSIFY_MODEL_DIR_SURE 0.60
void classify_combine(const classify_rules *rules, const classify_model *m, const avvik_record *r,
		      avvik_class *out);
/* The category decision alone, from a rules result and a prediction
 * already made (for evaluating policies): threshold >= 0: the model's
 * category when no rule set one, or when it differs with a probability
 * above threshold; threshold < 0: above the deciding rule's track record
 * in m instead.  Returns c's or p's category (borrowed), *by_model 1
 * when the model's. */
const char *classify_combine_category(const classify_model *m, const avvik_class *c, const classify_prediction *p,
				      double threshold, int *by_model);
/* The direction decision alone: the rules' unless they leave it ukjent and
 * the model puts at least CLASSIFY_MODEL_DIR_SURE on one. */
direction classify_combine_direction(const avvik_class *c, const classify_prediction *p);
/* How often the rule rule_id decided a training example's category
 * rightly, as a probability: (right + 1) / (decided + 2), 0.5 for a rule
 * the training set never saw deciding. */
double classify_model_rule_trust(const classify_model *m, const char *rule_id);
/* k-fold cross-validation: example i is predicted by a model trained on
 * the other folds (example i is in fold i mod k, so a set in category
 * order is spread evenly); fn gets its rules result and that prediction,
 * fold by fold.  0 ok; -1 with err. */
typedef void (*classify_cv_fn)(void *ctx, const classify_model *m, size_t i, const avvik_class *rules,
			       const classify_prediction *p);
int classify_model_cv(const classify_rules *rules, const classify_trainset *t, int k, classify_cv_fn fn, void *ctx,
		      sbuf *err);
/* Prints the model's choice for r: its probabilities, the words that
 * weigh most for it, and whether it decided. */
void classify_model_explain(const classify_model *m, const classify_rules *rules, const avvik_record *r,
			    FILE *out);

#endif
