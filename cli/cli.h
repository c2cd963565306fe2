/*
 * cli.h - the command line: configuration, the commands, and the one place
 * where the stages are wired together (pipeline.c: ingest -> store, and
 * store -> classify -> store, one transaction per batch).
 */
#ifndef AVVIK_CLI_H
#define AVVIK_CLI_H

#include "classify/classify.h"
#include "core/core.h"
#include "ingest/ingest.h"
#include "report/report.h"
#include "store/store.h"

typedef enum { SOURCE_DIR = 0, SOURCE_MAILDIR, SOURCE_MBOX, SOURCE_IMAP, SOURCE_HTTP } source_type;

typedef struct {
	char *name;
	source_type type;
	char *path;
	ingest_format format;
	int scan_every_file;  /* scan = every-file: stat every file, trust no directory */
	char *file;     /* config file and line of the section, for messages */
	int line;
	/* imap */
	char *url;            /* imaps://host/INBOX */
	char *user;
	char *password_file;  /* mode 0600, else refused */
	char *password_env;   /* or the name of an environment variable */
	char *ca_file;
	char *after;          /* "leave", "seen" or "move:FOLDER" */
	ingest_imap_tls tls;
	long timeout;         /* seconds; 0 = the default */
	/* http (url, user, password_file, password_env, ca_file, timeout as above) */
	char *since_param;    /* query parameter for the cursor when url has no {since} */
	char *token_file;     /* bearer token, mode 0600 */
	int no_etag;          /* etag = off: no conditional GET */
	long connect_timeout; /* seconds; 0 = the default */
	int retries;          /* -1 = the default */
	long retry_delay_ms;  /* first backoff; 0 = the default */
} cli_source;

/* A [delivery NAME] section: a report sent by e-mail for each period the
 * rule names, once (cmd_deliver.c). */
typedef enum { DELIVER_SUMMARY = 0, DELIVER_COMPARE, DELIVER_TREND, DELIVER_FEEDBACK } deliver_report;
typedef struct {
	char *name;
	char *file;           /* config file and line of the section */
	int line;
	deliver_report report;
	char *period;         /* "previous month|quarter|year", or a period ("2024-Q4") */
	report_lang lang;
	int attach;           /* format: 0 none, 1 xlsx (default), 2 csv */
	char **to;            /* recipients (every report but feedback) */
	size_t n_to;
	char **org, **org_to; /* feedback: to.ORG = address, one report per organisation */
	size_t n_org;
	char *fsu;            /* summary: one FSU's categories */
	char *smtp;           /* smtps://host[:port] or smtp://host[:port] */
	char *user, *password_file, *ca_file, *from;
	ingest_imap_tls tls;  /* smtp://: STARTTLS required unless configured otherwise */
	long timeout;
} cli_delivery;

/* Global settings: defaults, then the config file, then the command line. */
typedef struct {
	char *config_path;    /* NULL when no config file was read */
	char *db;
	char *rules_dir;
	char *rules_rev;
	char *rules_upstream; /* where `rules pull` fetches from (NULL: the repository's origin) */
	char *key_file;
	log_level log_lvl;
	int jobs;             /* worker threads for ingest, classify and run (default 1) */
	int raw_retention_days; /* raw bytes kept this long (purge); -1 = for ever */
	cli_source *sources;
	size_t n_sources;
	cli_delivery *deliveries;
	size_t n_deliveries;
	/* avvik serve */
	char *listen;         /* ADDR:PORT */
	char *tls_cert, *tls_key;
} cli_config;

/* One key of a [delivery NAME] section (cmd_deliver.c).  0 ok; -1 with
 * msg saying what is wrong with the value. */
int cli_delivery_key(cli_config *cfg, const char *dname, const char *file, int line, const char *key,
		     const char *value, sbuf *msg);
/* After the file is read: every delivery complete?  0 or -1 with err. */
int cli_delivery_check(cli_config *cfg, sbuf *err);
void cli_delivery_clear(cli_config *cfg);
/* The deliveries that are due (their period is over and not yet sent),
 * for avvik run; today is "YYYY-MM-DD".  Returns an exit code. */
int cli_deliver_due(cli_config *cfg, store *st, const char *today);

/* One writer at a time: an exclusive lock on DB.lock, held until closed
 * (cmd_ingest.c).  The fd; -2 when another process holds it (said so);
 * -1 on an error (said so). */
int cli_run_lock(const char *db);

/* What a report needs from the rules (cmd_report.c). */
typedef struct cli_report_rules cli_report_rules;
int cli_report_rules_load(cli_config *cfg, store *st, cli_report_rules *rr, report_opts *o);
void cli_report_rules_clear(cli_report_rules *rr);
/* The same, allocated: *out owned by the caller (cli_report_rules_free). */
int cli_report_rules_open(cli_config *cfg, store *st, cli_report_rules **out, report_opts *o);
void cli_report_rules_free(cli_report_rules *rr);
/* The categories an FSU owns, comma-separated into cats; NULL when none. */
const char *cli_fsu_categories(cli_report_rules *rr, const char *fsu, sbuf *cats);

/* Reads path into cfg.  0 ok; -1 with err = "file:line: key: what is wrong". */
int cli_config_load(cli_config *cfg, const char *path, sbuf *err);
void cli_config_clear(cli_config *cfg);
/* Fills what was left unset (key file next to the database). */
void cli_config_finish(cli_config *cfg);
const cli_source *cli_config_source(const cli_config *cfg, const char *name);

/* The whole program: parses global options, reads the config, runs a
 * command, returns the exit code. */
int cli_main(int argc, char **argv);

/* Each command gets the arguments after its name (argv[0] is the command)
 * and returns an exit code. */
int cmd_init(cli_config *cfg, int argc, char **argv);
int cmd_ingest(cli_config *cfg, int argc, char **argv);
int cmd_classify(cli_config *cfg, int argc, char **argv);
int cmd_run(cli_config *cfg, int argc, char **argv);
int cmd_report(cli_config *cfg, int argc, char **argv);
int cmd_export(cli_config *cfg, int argc, char **argv);
int cmd_deliver(cli_config *cfg, int argc, char **argv);
int cmd_rules(cli_config *cfg, int argc, char **argv);
int cmd_explain(cli_config *cfg, int argc, char **argv);
int cmd_show(cli_config *cfg, int argc, char **argv);
int cmd_override(cli_config *cfg, int argc, char **argv);
/* The workspace's commands (cmd_serve.c, cmd_user.c, cmd_list.c): their
 * help texts, for the command table. */
#define LIST_FILTERS "[--period P] [--org O] [--category C] [--direction D] [--source S]\n" \
	"         [--overridden yes|no] [--limit N] [--offset N] [--format text|json]"
#define LIST_SYNOPSIS "list " LIST_FILTERS
#define LIST_HELP \
	"The stored deviations, newest first, with their effective classification\n" \
	"(overrides applied): id, date, category, direction, reporter -> concerned, subject.\n" \
	"--org matches the reporter or the concerned organisation and its sub-units.\n" \
	"The last line (on stderr) says how many match.  The workspace's list is the same query.\n"
#define SEARCH_HELP \
	"The deviations whose scrubbed subject or text contain every word of QUERY, as\n" \
	"a word or the start of one, case and accents folded: 'epikrise' finds\n" \
	"'Epikrisen' and 'EPIKRISE'.  Filters as for list.\n"
#define SERVE_SYNOPSIS "serve [--listen ADDR:PORT] [--threads N]"
#define SERVE_HELP \
	"The quality advisers' workspace: a web server (libmicrohttpd) on ADDR:PORT\n" \
	"(config 'listen', default 127.0.0.1:8080).  Plain HTTP only on a loopback\n" \
	"address, for a reverse proxy; elsewhere tls_cert and tls_key in the config are\n" \
	"required.  Accounts: 'avvik user'.  Stops on SIGINT or SIGTERM.\n"
#define USER_SYNOPSIS "user add NAME --role adviser|fsu|admin [--org ORG]... | list | disable NAME | enable NAME\n         | passwd NAME"
#define USER_HELP \
	"The workspace's accounts.  The password is read from the terminal (twice, not\n" \
	"shown) or, when stdin is not a terminal, as its first line; never from the\n" \
	"command line.  It is kept as an Argon2id hash.  An adviser sees and corrects\n" \
	"the deviations of the organisations given by --org (registry ids, sub-units\n" \
	"included); an fsu member sees reports only; an admin sees everything.\n"
#define AUDIT_SYNOPSIS "audit [-n N]"
#define AUDIT_HELP "The audit trail, newest first: logins, failed logins, overrides, downloads,\naccount changes (-n: the last N, default 100; 0: all).\n"
int cmd_serve(cli_config *cfg, int argc, char **argv);
int cmd_user(cli_config *cfg, int argc, char **argv);
int cmd_audit(cli_config *cfg, int argc, char **argv);
int cmd_list(cli_config *cfg, int argc, char **argv);
int cmd_search(cli_config *cfg, int argc, char **argv);
int cmd_help(cli_config *cfg, int argc, char **argv);
int cmd_quarantine(cli_config *cfg, int argc, char **argv);
int cmd_purge(cli_config *cfg, int argc, char **argv);
/* Raw messages keep identifiers as sent: kept this long by default, for
 * re-reading after a parser or rules fix (raw_retention_days). */
#define CLI_RAW_RETENTION_DAYS 90
/* Deletes the raw bytes older than days (0: raw_retention_days from the
 * config, where -1 keeps them); prints what it did.  An exit code. */
int cli_purge(const cli_config *cfg, store *st, int days);
/* The one writer: takes the run lock and opens the store.  EXIT_DONE, or
 * the exit code to return (75 when another run holds the lock). */
int cli_writer_open(cli_config *cfg, store **st, int *lock);
int cmd_config(cli_config *cfg, int argc, char **argv);
int cmd_backup(cli_config *cfg, int argc, char **argv);
int cmd_model(cli_config *cfg, int argc, char **argv);
int cmd_review(cli_config *cfg, int argc, char **argv);
void cli_usage(FILE *out, const char *command);
/* After getopt_long returned c ('?' or ':', the optstring starting with
 * ':'): logs the option error for command (NULL: the global options) and
 * returns EXIT_USAGE. */
int cli_opt_error(const char *command, int c, char *const *argv);

/* ---- helpers shared by the commands ---- */
/* Opens the database named by cfg (must exist).  NULL after printing why. */
store *cli_store_open(const cli_config *cfg);
/* The exit code after cli_store_open failed: 2 when there is no database
 * (run init), 3 when there is one that would not open. */
int cli_store_failed(const cli_config *cfg);
/* The rules repository: config/--rules-dir, else what init recorded. */
char *cli_rules_dir(const cli_config *cfg, store *st);
/* Who runs the command: $USER, else the login name of the process owner
 * (for overrides and the audit trail).  Caller frees. */
char *cli_user_name(void);
/* Reads the pseudonym key; refuses a key file others can read. */
int cli_key_load(const char *path, unsigned char *key, size_t *len);
/* Text a person typed (an override's reason), as it may be kept: every
 * fødselsnummer replaced by its keyed pseudonym.  0, or -1 (logged) when
 * the key cannot be read. */
int cli_scrub(const cli_config *cfg, const char *in, sbuf *out);
/* avvik's own files (pipeline_opts.private_paths), NULL-terminated;
 * free with cli_strv_free. */
char **cli_private_paths(const cli_config *cfg);
void cli_strv_free(char **v);
/* Writes to path atomically (temp file + rename) or to stdout for NULL/"-". */
typedef struct {
	FILE *f;
	char *path;
	char *tmp;
} cli_output;
int cli_output_open(cli_output *o, const char *path);
/* Rows printed as aligned columns, widths counted in code points (æøå, →);
 * the last column is not padded. */
typedef struct {
	size_t ncol, nrow;
	char **cells;   /* [nrow * ncol], owned */
} cli_table;
void cli_table_row(cli_table *t, size_t ncol, const char *const *cells);
void cli_table_print(const cli_table *t, FILE *out);
void cli_table_clear(cli_table *t);
/* Appends " (did you mean X, Y or Z?)" with up to three of names[0..n-1]
 * closest to what was typed (folded: case, accents and æøå do not count;
 * a name containing it or contained in it counts as close); nothing when
 * none is close. */
void cli_suggest(const char *typed, const char *const *names, size_t n, sbuf *out);
int cli_output_close(cli_output *o, int ok);

/* ---- pipeline.c: the wiring ---- */
typedef struct {
	long files, files_unchanged, new_deviations, duplicates, skipped, quarantined;
	int failed;          /* the source could not be read as a whole */
} pipeline_counts;

/* How sources are ingested. */
typedef struct {
	const unsigned char *key;   /* the pseudonym key */
	size_t key_len;
	int jobs;                   /* worker threads (1 = this thread only) */
	int rescan;                 /* stat every file: trust no directory's mtime */
	/* avvik's own files (the database and its -wal, -shm, -journal and
	 * lock, the key, the configuration, secrets): never read as input,
	 * even when a source's tree holds them; NULL-terminated */
	const char *const *private_paths;
} pipeline_opts;

/* Ingests srcs in their order, one transaction per file or message, the
 * source's cursor (file identity, IMAP UID, HTTP ETag/since) advanced in
 * the same transaction, and calls done for each source as soon as it is
 * stored, in that order, with its counts.  This thread is the one writer.
 * With o->jobs > 1 a dir source's files are parsed by jobs worker threads,
 * and up to jobs remote sources are fetched ahead by threads of their own,
 * each through a bounded queue.  0, or -1 when the database failed (after
 * done was called for the source it failed in); source failures are in
 * the counts. */
typedef void (*pipeline_source_done)(void *ctx, const cli_source *src, const pipeline_counts *c);
int pipeline_ingest_sources(store *st, const cli_source *const *srcs, size_t n,
			    const pipeline_opts *o, pipeline_source_done done, void *ctx);
/* Parses data (a quarantined message's bytes) as fmt and stores what it
 * holds as from source, in one transaction; the quarantined item with
 * sha256 resolve_sha (may be NULL) is resolved unless it comes back.  0,
 * or -1 when the database failed. */
int pipeline_ingest_buffer(store *st, const char *source, const char *origin, const char *data,
			   size_t len, ingest_format fmt, const pipeline_opts *o, const char *resolve_sha,
			   pipeline_counts *out);
/* Classifies under rules_rev of rules_dir what has no classification yet
 * under that commit (all when all != 0), in jobs threads.  Prints
 * nothing; *n_out and *commit_out (caller frees) say what was done.
 * 0 ok; -1 with err. */
int pipeline_classify(store *st, const char *rules_dir, const char *rev, int all, int jobs,
		      long *n_out, char **commit_out, sbuf *err);
/* The stored model named by hash (a prefix of 6 or more hex digits; NULL:
 * the current one, which classify uses).  0 with *out (caller frees; NULL
 * when hash is NULL and no model was trained); -1 with err. */
int pipeline_model_load(store *st, const char *hash, classify_model **out, sbuf *err);

#endif
