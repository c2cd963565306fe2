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

#endif
