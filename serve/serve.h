/*
 * serve.h - the serve stage: the quality advisers' workspace, an HTTP
 * server on libmicrohttpd that reads the same database as the nightly run.
 * Accounts, sessions and the audit trail live in the store (store/user.c);
 * passwords are hashed here with libsodium's Argon2id.  Pages are
 * server-rendered bokmål HTML without scripts; every request is checked
 * on the server.
 *
 * Who sees what (serve_may_*): an adviser sees and may correct the
 * deviations their organisations reported or are concerned in; an fsu
 * member sees reports and aggregates only (the list, search, record pages
 * and list downloads answer 403, whatever the id); an admin sees all.  A
 * record outside one's scope answers 404, as one that does not exist.
 */
#ifndef AVVIK_SERVE_H
#define AVVIK_SERVE_H

#include "core/core.h"

typedef struct {
	const char *db;            /* the database (must exist) */
	const char *rules_dir;     /* the rules repository (labels, explanations) */
	const char *listen;        /* "ADDR:PORT" or "[ADDR]:PORT"; NULL: 127.0.0.1:8080;
				      port 0: the kernel picks */
	const char *tls_cert;      /* PEM files; both required unless ADDR is loopback */
	const char *tls_key;
	int threads;               /* thread pool size (0: 4) */
	unsigned connections;      /* connection limit (0: 64) */
	unsigned timeout;          /* idle seconds before a connection is closed (0: 30) */
	/* Replaces every fødselsnummer in text a person typed (an override's
	 * reason) by its pseudonym before it is kept; required. */
	void (*scrub)(void *ctx, sbuf *text);
	void *scrub_ctx;
} serve_opts;

/* Serves until SIGINT or SIGTERM.  Prints "listening on URL" on stdout
 * once bound.  0 after a clean stop; -1 with err (cannot bind, TLS
 * required, database or TLS files unreadable). */
int serve_run(const serve_opts *o, sbuf *err);

/* ---- passwords (Argon2id, libsodium's crypto_pwhash_str) ---- */
/* 0 ok (out gets the encoded hash), -1 out of memory. */
int serve_password_hash(const char *password, sbuf *out);
/* 1 when password matches hash, else 0. */
int serve_password_verify(const char *hash, const char *password);
/* A new random token: 32 bytes as 64 hex digits. */
void serve_token_new(char out[65]);

/* ---- request parsing (parse.c; fuzzed by tests/fuzz/fuzz_serve_form.c) ---- */
typedef struct {
	char *name, *value;
} serve_pair;
typedef struct {
	serve_pair *v;
	size_t n;
} serve_form;
/* Parses an application/x-www-form-urlencoded body ("a=1&b=x%20y+z") of
 * len bytes (not NUL-terminated).  0 ok; -1 malformed (a bad %-escape, a
 * NUL, invalid UTF-8, more than 64 fields): out is then empty.  The
 * caller clears out. */
int serve_form_parse(serve_form *out, const char *body, size_t len);
/* The first value of name, or NULL. */
const char *serve_form_get(const serve_form *f, const char *name);
void serve_form_clear(serve_form *f);
/* The value of cookie name in a Cookie header ("a=1; b=2"): 1 found (out
 * set), 0 not. */
int serve_cookie_get(const char *header, const char *name, sbuf *out);
/* s percent-encoded for a URL query value. */
void serve_url_encode(sbuf *out, const char *s);
/* s as HTML text or attribute value: & < > " ' escaped, invalid UTF-8 as
 * U+FFFD, controls as spaces, line breaks kept. */
void serve_html_escape(sbuf *out, const char *s);
/* One CSV cell for a spreadsheet: a value that a spreadsheet would read as
 * a formula (starting with = + - @ TAB CR) gets a leading ', then RFC 4180
 * quoting with separator sep. */
void serve_csv_cell(sbuf *out, const char *s, char sep);

/* ---- access decisions (parse.c) ---- */
typedef enum { SERVE_ROLE_NONE = 0, SERVE_ROLE_ADVISER, SERVE_ROLE_FSU, SERVE_ROLE_ADMIN } serve_role;
serve_role serve_role_parse(const char *s);      /* NONE for anything else */
/* The list, search, record pages and list downloads: free text. */
int serve_may_read_records(serve_role r);
/* One record, given its resolved reporter and concerned org ids:
 * 1 in scope, 0 not (answer 404). */
int serve_may_see(serve_role r, const char *orgs, const char *reporter_org,
		  const char *concerned_org);
/* A report for org: NULL or "" (the whole region, aggregates) for
 * everyone, another org only for an admin or a member of it. */
int serve_may_report(serve_role r, const char *orgs, const char *org);
/* Whether a report for org may show free text (the summary's excerpts):
 * an admin's always, an adviser's for their own organisations, an fsu
 * member's never. */
int serve_may_report_text(serve_role r, const char *orgs, const char *org);
/* The org set a reader's lists are restricted to (store_list_filter.scope):
 * NULL for an admin (everything), else orgs ("" sees nothing). */
const char *serve_scope(serve_role r, const char *orgs);

#endif
