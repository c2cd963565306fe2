/*
 * classify_int.h - shared between the files of classify/ only; no other
 * stage includes it.  Holds the YAML tree every loader walks, the loaded
 * rule set, and the hooks between loading (rules.c), organisation
 * resolution (orgs.c), matching (match.c) and git access (git.c).
 */
#ifndef AVVIK_CLASSIFY_INT_H
#define AVVIK_CLASSIFY_INT_H

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>
#include <pthread.h>

#include "classify/classify.h"

/* ---- YAML as a tree with positions (yaml.c) ---- */
typedef enum { CY_SCALAR, CY_SEQ, CY_MAP } cy_kind;

typedef struct cy_node {
	cy_kind kind;
	int line, col;          /* 1-based, where the node starts */
	int plain;              /* scalar written without quotes */
	char *str;              /* scalar value (owned), NULL for SEQ/MAP */
	struct cy_node **kids;  /* SEQ: items; MAP: key, value, key, value ... */
	size_t n;               /* number of kids (2 per MAP pair) */
	size_t alloc;           /* room in kids */
} cy_node;

/* Parses one YAML document.  *root is NULL for an empty document.  On error
 * returns -1 and appends "file:line:col: message" to err.  Caller frees *root
 * with classify_yaml_free.  Anchors/aliases, tags and duplicate keys are
 * rejected so every value has exactly one position to report. */
int classify_yaml_parse(const char *file, const char *data, size_t len, cy_node **root, sbuf *err);
void classify_yaml_free(cy_node *n);
/* Human name of a node kind for "expected X, found Y" messages. */
const char *classify_yaml_kind(const cy_node *n);

/* ---- one file of the rule set, however it was read ---- */
typedef struct {
	char *path;     /* as shown in messages: repo-relative or on disk */
	char *name;     /* repo-relative: "categories.yaml", "rules/x.yaml" */
	sbuf data;
} classify_file;
/* Frees n files and the array. */
void classify_files_free(classify_file *files, size_t n);

/* ---- the loaded rule set ---- */
typedef struct {
	char *code, *label, *label_en, *description, *fsu;
	int counted;
} classify_category;

typedef struct {
	char *id, *name, *parent;
	org_type type;
	char **orgnr, **her, **kommunenr, **aliases, **places, **strict_aliases, **site_aliases, **domains, **resh;
	size_t n_orgnr, n_her, n_kommunenr, n_aliases, n_places, n_strict_aliases, n_site_aliases, n_domains, n_resh;
} classify_orgdef;

/* A lookup key (normalised name or identifier) -> organisation index. */
typedef struct {
	char *key;
	size_t org;
	int line, col;          /* where orgs.yaml wrote it, for collisions */
	int strict;             /* only for a whole name or segment, never a word n-gram */
} classify_key;

typedef struct {
	classify_key *v;
	size_t n, alloc;
} classify_keys;

/* Condition tree of a rule.  New kinds (proximity, exclusions) slot in
 * here and in match.c's evaluator. */
typedef enum {
	CC_ALL, CC_ANY, CC_NOT,
	CC_PATTERN,     /* regex over one or more text fields */
	CC_NEAR,        /* two regexes within N words, in one clause */
	CC_TYPE,        /* reporter/concerned org type in a set */
	CC_ORG,         /* reporter/concerned resolved org id in a set */
	CC_NEGATED,     /* a term with a negation cue shortly before it */
	CC_AFFIRMED,    /* a term without a negation cue shortly before it */
	CC_LABEL        /* mappings: source/system and the sender's own label */
} classify_cond_kind;

/* Text fields a pattern can look at (bit mask). */
enum {
	CF_TEXT = 1 << 0,
	CF_SUBJECT = 1 << 1,
	CF_SOURCE_CATEGORY = 1 << 2,
	CF_REPORTER_NAME = 1 << 3,
	CF_REPORTER_UNIT = 1 << 4,
	CF_CONCERNED_NAME = 1 << 5,
	CF_CONCERNED_UNIT = 1 << 6,
	CF_SOURCE = 1 << 7,
	CF_CHANNEL = 1 << 8,
	CF__N = 9
};

/* A compiled pattern and the literals one of which any match must contain
 * (lower-cased); with none, the regex always runs. */
typedef struct {
	pcre2_code *code;
	char **lits;
	size_t n_lits;
} classify_re;

typedef struct classify_cond {
	classify_cond_kind kind;
	int line, col;
	struct classify_cond **kids;    /* ALL/ANY/NOT */
	size_t n;
	unsigned fields;                /* PATTERN, NEAR, NEGATED, AFFIRMED: CF_* mask */
	char *pattern;                  /* PATTERN, NEAR: source text of the (first) regex */
	classify_re re;                 /* PATTERN; NEAR: a; NEGATED/AFFIRMED: the term */
	classify_re re2;                /* NEAR: b; NEGATED/AFFIRMED: the cues */
	int within;                     /* NEAR, NEGATED, AFFIRMED: most words between */
	int ordered;                    /* NEAR: a must come before b */
	int type_reporter;              /* TYPE, ORG: 1 reporter, 0 concerned */
	unsigned type_mask;             /* TYPE: 1u << org_type */
	char **strs;                    /* ORG: ids; LABEL: folded sources ("*" any) */
	size_t n_strs;
	char **strs2;                   /* LABEL: folded labels */
	size_t n_strs2;
} classify_cond;

typedef struct {
	char *text, *subject, *source_category, *reporter, *concerned;
	char *reporter_type, *concerned_type;
	char *expect;
	char **expect_tags;
	size_t n_expect_tags;
	int line, col;
} classify_example;

/* Patterns that have hit a match limit (logged once each).  Written while
 * matching, possibly by several threads at once: only under mu. */
struct classify_limit_log {
	pthread_mutex_t mu;
	const pcre2_code **v;
	size_t n;
};

typedef struct {
	char *id, *title, *description, *category;
	char **tags;
	size_t n_tags;
	int priority;
	org_type concerned_is;          /* direction output: the text names the concerned party */
	int has_concerned_is;
	int is_mapping;                 /* made from a mappings: entry */
	classify_cond *when;
	classify_cond *unless;          /* exclusion: the rule does not fire when this holds */
	classify_example *examples;
	size_t n_examples;
	const char *file;       /* points into classify_rules.files_names */
	int line, col;
} classify_rule;

struct classify_rules {
	char commit[41];
	classify_category *cats;
	size_t n_cats;
	classify_orgdef *orgs;
	size_t n_orgs;
	pcre2_code **fastlege;          /* fastlege name patterns */
	size_t n_fastlege;
	classify_keys k_her, k_orgnr, k_kommunenr, k_exact, k_folded, k_domain, k_site;
	classify_rule *rules;
	size_t n_rules;
	char **file_names;              /* rule files, for messages (owned) */
	size_t n_file_names;
	int jit;                        /* the patterns were JIT-compiled (at load, never later) */
	/* The match limits every regex runs under.  Shared by every thread
	 * that classifies, so it is set up at load and only read after; it
	 * has no JIT stack assigned (a shared one would not be thread-safe). */
	pcre2_match_context *mctx;
	/* Patterns that hit a limit, so each is logged once.  A pointer, so
	 * matching through a const rule set may still record them; the only
	 * state matching writes (under its mutex). */
	struct classify_limit_log *limit_log;
};

/* Indexes of the rules that match r (caller frees *idx); their count. */
size_t classify_matching(const classify_rules *rules, const avvik_record *r, size_t **idx);
/* The record an embedded example describes. */
void classify_example_record(const classify_example *e, avvik_record *rec);

/* ---- switches and counters for tests and benchmarks (match.c) ---- */
/* Process-wide.  Set the switches before classifying starts (a change while
 * other threads classify is safe but takes effect at no defined point);
 * the counters sum every thread's work (relaxed atomics). */
/* JIT compilation of patterns loaded from now on (default on). */
void classify_set_jit(int on);
int classify_get_jit(void);
/* The literal prefilter (default on).  It never changes a result, only
 * how many regexes run. */
void classify_set_prefilter(int on);
/* liblinear's C for models trained from now on (model.c; <= 0: the
 * default).  For tuning by cross-validation. */
void classify_model_set_c(double c);
/* Regex executions since start (pcre2_match calls by the matcher), added
 * once per classified record. */
unsigned long classify_regex_execs(void);
/* Regex runs stopped by a match limit since start (each counted as no match). */
unsigned long classify_regex_limit_hits(void);
/* Every regex of a rule set runs under these limits, so one hostile pattern
 * (catastrophic backtracking such as '(a+)+$') costs a bounded time per
 * record instead of hanging a nightly run.  Legitimate rules stay far below. */
#define CLASSIFY_MATCH_LIMIT 1000000u   /* backtracking steps per match call */
#define CLASSIFY_DEPTH_LIMIT 100000u    /* nested backtracking points (interpreter) */
#define CLASSIFY_HEAP_LIMIT 65536u      /* KiB of backtracking memory (interpreter) */
/* pcre2_match under rules' limits.  A limit or other run-time error counts
 * as no match (PCRE2_ERROR_NOMATCH) and is logged once per pattern, naming
 * the rule (NULL: a fastlege pattern of orgs.yaml).  md must belong to the
 * calling thread (PCRE2 match data is never shared). */
int classify_pcre_match(const classify_rules *rules, const pcre2_code *code, const sbuf *subject, size_t off,
			uint32_t opts, pcre2_match_data *md, const classify_rule *rule);
/* The literals extracted from a pattern (lower-cased); 0 when none can be
 * required.  For tests and `rules list --verbose`. */
size_t classify_literals(const char *pattern, char ***out);
void classify_re_free(classify_re *re);
/* Compiles pattern with its prefilter literals: 0 ok, -1 with err. */
int classify_re_compile(const char *file, const cy_node *at, const char *pattern, classify_re *out, sbuf *err);

/* Builds a rule set from the files of one commit or directory (takes
 * nothing from them; caller frees files).  0 ok, -1 with err. */
int classify_rules_build(classify_rules **out, const char *commit,
			 classify_file *files, size_t n_files, sbuf *err);

/* Builds a rule set from in-memory texts: names[i] is repo-relative
 * ("categories.yaml", "orgs.yaml", "rules/x.yaml") and doubles as the
 * path in messages; data[i] holds len[i] bytes.  Commit id "memory".  For
 * the fuzzer and tests.  0 ok, -1 with err. */
int classify_rules_load_mem(classify_rules **out, const char *const *names, const char *const *data,
			    const size_t *len, size_t n, sbuf *err);

/* orgs.c: parses orgs.yaml into r and builds its lookup tables. */
int classify_orgs_load(classify_rules *r, const classify_file *f, const cy_node *root, sbuf *err);
void classify_orgs_free(classify_rules *r);

/* rules.c helpers shared with orgs.c */
void classify_errf(sbuf *err, const char *file, const cy_node *at, const char *fmt, ...) AVVIK_PRINTF(4, 5);
const cy_node *classify_map_get(const cy_node *map, const char *key);
/* Copies a scalar or a sequence of scalars into a new string array. */
int classify_str_list(const char *file, const cy_node *n, char ***out, size_t *n_out, sbuf *err);
pcre2_code *classify_compile(const char *file, const cy_node *at, const char *pattern, sbuf *err);

/* Lower-cases UTF-8 (ASCII, Latin-1 and Latin Extended-A letters). */
void classify_lower(sbuf *out, const char *s);

#endif
