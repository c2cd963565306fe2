/*
 * cli.h - the command line: configuration, the commands, and the one place
 * where the stages are wired together (pipeline.c: ingest -> store, and
 * store -> classify -> store, one transaction per batch).
 */
#ifndef AVVIK_CLI_H
#define AVVIK_CLI_H

#include "core/core.h"
#include "ingest/ingest.h"
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

/* Global settings: defaults, then the config file, then the command line. */
typedef struct {
	char *config_path;    /* NULL when no config file was read */
	char *db;
	char *rules_dir;
	char *rules_rev;
	char *key_file;
	log_level log_lvl;
	int jobs;             /* worker threads for ingest, classify and run (default 1) */
	cli_source *sources;
	size_t n_sources;
	/* avvik serve */
	char *listen;         /* ADDR:PORT */
	char *tls_cert, *tls_key;
} cli_config;

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
void cli_usage(FILE *out, const char *command);

/* ---- helpers shared by the commands ---- */
/* Opens the database named by cfg (must exist).  NULL after printing why. */
store *cli_store_open(const cli_config *cfg);
/* The rules repository: config/--rules-dir, else what init recorded. */
char *cli_rules_dir(const cli_config *cfg, store *st);
/* Who runs the command: $USER, else the login name of the process owner
 * (for overrides and the audit trail).  Caller frees. */
char *cli_user_name(void);
/* Reads the pseudonym key; refuses a key file others can read. */
int cli_key_load(const char *path, unsigned char *key, size_t *len);
/* Writes to path atomically (temp file + rename) or to stdout for NULL/"-". */
typedef struct {
	FILE *f;
	char *path;
	char *tmp;
} cli_output;
int cli_output_open(cli_output *o, const char *path);
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
/* Classifies under rules_rev of rules_dir what has no classification yet
 * under that commit (all when all != 0), in jobs threads.  Prints
 * nothing; *n_out and *commit_out (caller frees) say what was done.
 * 0 ok; -1 with err. */
int pipeline_classify(store *st, const char *rules_dir, const char *rev, int all, int jobs,
		      long *n_out, char **commit_out, sbuf *err);

#endif
