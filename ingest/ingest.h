/*
 * ingest.h - the ingest stage: turns bytes from a source into deviation
 * records.  Parsers (KITH MsgHead/Dialogmelding, the avvik export XML) and the
 * scrubbing of personal data live here.  ingest/ never touches the store: it
 * hands each item to a sink the caller provides (the wiring in cli/).
 */
#ifndef AVVIK_INGEST_H
#define AVVIK_INGEST_H

#include "core/core.h"

#include <sys/stat.h>

typedef enum {
	INGEST_FORMAT_AUTO = 0,
	INGEST_FORMAT_MSGHEAD,      /* KITH MsgHead v1.2 + Dialogmelding 1.0/1.1 */
	INGEST_FORMAT_AVVIK_XML,    /* the avvik export XML (schema/avvik-export.xsd) */
	INGEST_FORMAT_EML,          /* one e-mail message (RFC 5322 + MIME) */
	INGEST_FORMAT_MBOX,         /* many e-mail messages in one mbox file */
	INGEST_FORMAT_MAILDIR       /* a Maildir: the messages in cur/ and new/ */
} ingest_format;

/* "auto", "msghead", "avvik-xml", "eml", "mbox", "maildir" */
const char *ingest_format_name(ingest_format f);
int ingest_format_parse(const char *s, ingest_format *out); /* 0 ok, -1 unknown */

/* What a parser hands to the sink for each thing it found. */
typedef enum {
	INGEST_ITEM_DEVIATION,   /* record is a deviation; raw holds its own bytes */
	INGEST_ITEM_SKIPPED,     /* valid message that is no deviation (AppRec, epikrise) */
	INGEST_ITEM_QUARANTINE   /* could not be parsed; reason says why */
} ingest_item_kind;

typedef struct {
	ingest_item_kind kind;
	avvik_record *record;    /* DEVIATION only; the sink may take its fields */
	const char *raw;         /* the message's bytes: whole file, or one <avvik> element */
	size_t raw_len;
	char raw_sha256[65];     /* hex sha256 of raw */
	const char *reason;      /* SKIPPED/QUARANTINE: "file:line: what was expected" */
	long line;               /* line in origin where the item starts/failed; 0 unknown */
	/* hex sha256 of the message this one came inside (an e-mail carrying
	 * an XML attachment), already handed to the sink; NULL when none */
	const char *parent_sha256;
} ingest_item;

/* The sink returns 0 to go on, non-zero to stop the parse (it is then
 * returned by the parser). */
typedef int (*ingest_sink_fn)(void *ctx, const ingest_item *item);

typedef struct {
	const unsigned char *hmac_key;   /* pseudonym key (from the key file) */
	size_t hmac_key_len;
	const char *source;              /* source name, copied into records */
	size_t max_file_size;            /* DOM-parsed messages larger than this are quarantined */
	ingest_sink_fn sink;
	void *sink_ctx;
} ingest_ctx;

/* Parses one file (path names it in messages) in the given or detected
 * format, handing every item to ctx->sink.  A file that is not well-formed,
 * empty, binary or of unknown format yields one QUARANTINE item.  Returns 0
 * when the file was read (whatever its items were), -1 when it could not be
 * read at all (errno set), or the sink's non-zero value. */
int ingest_file(const ingest_ctx *ctx, const char *path, ingest_format fmt);
/* Same, and says what was read: the open file's stat, the sha256 of all
 * its bytes, and the format it was read as (AUTO when it could not be
 * told).  -1 with errno ESTALE when the file changed while it was read:
 * items were handed to the sink already, and the caller must drop them. */
typedef struct {
	struct stat st;
	char sha256[65];
	ingest_format format;
} ingest_file_info;
int ingest_file_read(const ingest_ctx *ctx, const char *path, ingest_format fmt,
		     ingest_file_info *info);
/* The sha256 of all of path's bytes: 0, or -1 with errno. */
int ingest_file_digest(const char *path, char sha256[65]);

/* Same for a message already in memory (e-mail attachments, HTTP bodies,
 * fuzzing).  origin names it in messages. */
int ingest_buffer(const ingest_ctx *ctx, const char *origin, const char *data, size_t len,
		  ingest_format fmt);

/* Initialises the parsing libraries (libxml2, libcurl) once; call it from
 * the main thread before any worker thread parses. */
void ingest_global_init(void);

/* Detects the format from the first bytes: a header block (RFC 5322 fields,
 * then a blank line) is an e-mail or an mbox, whatever XML it carries; else
 * the root element's namespace. */
ingest_format ingest_detect(const char *data, size_t len);

/* Calls fn for every regular file under path (path itself when it is a
 * file), in sorted order so runs are reproducible; hidden files and
 * directories are skipped.  In a Maildir (a directory holding cur/ and
 * new/) only the messages in cur/ and new/ are visited: tmp/ holds
 * deliveries in progress, the rest is the mail server's index.  Stops and returns fn's value when non-zero;
 * -1 with errno when path cannot be read. */
int ingest_walk(const char *path, int (*fn)(void *ctx, const char *file), void *ctx);

/* The same walk, told about directories: a caller that remembers a
 * directory as unchanged can have it visited without listing it. */
typedef struct ingest_walk_names ingest_walk_names;
/* Adds an entry (a file or a directory) to visit in place of listing the
 * directory (dir_start). */
void ingest_walk_names_add(ingest_walk_names *known, const char *name);
typedef struct {
	/* Before dir is listed (st: its stat): 0 lists it; 1 visits only the
	 * entries added to known (which may exist no more); < 0 stops the
	 * walk with that value.  NULL: every directory is listed. */
	int (*dir_start)(void *ctx, const char *dir, const struct stat *st, ingest_walk_names *known);
	int (*file)(void *ctx, const char *path);   /* non-zero stops the walk */
	/* After the last entry of dir (whole = 1), or when it could not be
	 * listed after dir_start (whole = 0); non-zero stops.  May be NULL. */
	int (*dir_end)(void *ctx, const char *dir, int whole);
	/* An entry from known that no longer exists.  May be NULL. */
	void (*gone)(void *ctx, const char *path);
	/* An entry that could not be looked at (reported already).  May be NULL. */
	void (*problem)(void *ctx, const char *path);
	void *ctx;
	/* Its key scrubs the names the walk's warnings show.  May be NULL. */
	const ingest_ctx *names;
} ingest_walker;
int ingest_walk_tree(const char *path, const ingest_walker *w);

/* ---- e-mail (email.c, imap.c) ----
 * An e-mail is one deviation: reporter, concerned unit, event date and
 * description from a form-style body ("Meldende enhet: ..."), else the
 * sender's address and signature; ext_id = Message-ID.  An e-mail carrying
 * a KITH MsgHead or avvik export XML attachment is handed to the sink as
 * SKIPPED ("carries attached messages") and each attachment is parsed as
 * such, its items pointing back to the e-mail by parent_sha256. */

/* EML or MBOX when data looks like an e-mail or an mbox file (header lines
 * or a "From " line at the start); AUTO otherwise. */
ingest_format ingest_email_detect(const char *data, size_t len);

/* IMAP (libcurl).  Every call names the source in err; the password never
 * appears in a message. */
typedef enum {
	INGEST_IMAP_TLS_REQUIRED = 0,   /* imaps://, or imap:// with STARTTLS required */
	INGEST_IMAP_TLS_OPTIONAL,       /* imap://: STARTTLS when offered */
	INGEST_IMAP_TLS_NONE            /* imap:// in the clear (loopback, tests) */
} ingest_imap_tls;

typedef struct {
	const char *source;     /* source name, for messages */
	const char *url;        /* imaps://host[:port]/MAILBOX or imap://... */
	const char *user;
	const char *password;
	ingest_imap_tls tls;
	const char *ca_file;    /* CA bundle to verify the server with; NULL = system's */
	long timeout;           /* seconds for connecting and for a stalled transfer; 0 = 60 */
} ingest_imap_opts;

typedef struct ingest_imap ingest_imap;

/* Connects lazily: open only checks the options.  0 ok, -1 with err. */
int ingest_imap_open(ingest_imap **out, const ingest_imap_opts *o, sbuf *err);
void ingest_imap_close(ingest_imap *im);
/* The mailbox name (decoded from the URL). */
const char *ingest_imap_mailbox(const ingest_imap *im);
/* STATUS: the mailbox's UIDVALIDITY.  0 ok, -1 with err. */
int ingest_imap_uidvalidity(ingest_imap *im, uint64_t *out, sbuf *err);
/* UID SEARCH UID from:* (UNSEEN with unseen != 0): the UIDs >= from in
 * ascending order (caller frees *uids). */
int ingest_imap_search(ingest_imap *im, uint64_t from, int unseen, uint64_t **uids, size_t *n,
		       sbuf *err);
/* The message with that UID, checked against uidvalidity.  max caps its
 * size (0: the ingest default, 32 MiB); a larger one fails with *too_big set. */
int ingest_imap_fetch(ingest_imap *im, uint64_t uidvalidity, uint64_t uid, size_t max,
		      sbuf *out, int *too_big, sbuf *err);
/* After the commit: "seen" sets \Seen, "unseen" clears it (after = leave:
 * as it was), "move:FOLDER" moves it. */
int ingest_imap_after(ingest_imap *im, uint64_t uid, const char *action, sbuf *err);
/* ---- sending mail (ingest/smtp.c) ----
 * Lives here with the other libcurl code (IMAP, HTTP): one curl
 * initialisation, one TLS policy (certificates always verified, a CA file
 * when given, STARTTLS required unless configured otherwise), one secret
 * reader.  It sends bytes; report/ builds the message. */
typedef struct {
	const char *url;            /* smtps://host[:port] or smtp://host[:port] (STARTTLS) */
	const char *user;           /* NULL: no login */
	const char *password;       /* secret: never logged */
	const char *ca_file;        /* extra CA bundle */
	ingest_imap_tls tls;        /* for smtp://: required (default), optional or none */
	long timeout;               /* seconds; 0 = 60 */
	const char *from;           /* envelope sender */
	const char *const *to;      /* envelope recipients */
	size_t n_to;
} ingest_smtp_opts;
/* Sends the RFC 5322 message msg[0..len).  0 ok; -1 with err naming the
 * server and what failed (every recipient must be accepted). */
int ingest_smtp_send(const ingest_smtp_opts *o, const char *msg, size_t len, sbuf *err);

/* Reads a secret (an IMAP or HTTP password, a bearer token) from file
 * (refused when group or others may read it)
 * or from the environment variable env; never logged.  0 ok, -1 with err. */
int ingest_secret_read(const char *file, const char *env, sbuf *out, sbuf *err);

/* ---- privacy ---- */
/* Fødselsnummer, D- and H-numbers (incl. synthetic test numbers and the 2032
 * rule: a plausible date and a valid K2 is enough). */
int ingest_fnr_valid(const char *digits11);
/* Replaces every fødselsnummer however it is written (any digit grouping
 * across space, dot, slash, hyphen or a line break, invisible characters,
 * digits of any script; see ingest_fnr_find in ingest_int.h), separators
 * included, in text with "[pasient:XXXXXXXXXX]", a keyed HMAC-SHA256
 * pseudonym (10 hex digits) of the number.  Returns how many were replaced. */
int ingest_scrub_text(const ingest_ctx *ctx, sbuf *text);
/* name as a message may show it: a copy in tmp, scrubbed (a file name a
 * sender chose may hold a fødselsnummer); ctx NULL: as it is.  Returns
 * tmp->buf. */
const char *ingest_name_shown(const ingest_ctx *ctx, const char *name, sbuf *tmp);
/* The pseudonym token of one number, without brackets (out gets 10 hex). */
void ingest_pseudonym(const ingest_ctx *ctx, const char *digits11, sbuf *out);

/* sha256 of data as 64 hex digits + NUL. */
void ingest_sha256_hex(const void *data, size_t len, char out[65]);
/* Sets r->content_hash from avvik_record_canonical(). */
void ingest_record_hash(avvik_record *r);

/* ---- HTTP(S) export endpoints (ingest/http.c) ---- */
typedef struct {
	const char *since;          /* cursor from the last run; NULL for everything */
	const char *since_param;    /* query parameter for it when the URL has no {since} */
	const char *etag;           /* validators of the last response, for a conditional GET */
	const char *last_modified;
	long timeout;               /* seconds for the whole transfer (default 300) */
	long connect_timeout;       /* seconds (default 30) */
	int retries;                /* further tries on connection errors, timeouts, 5xx, 429 */
	long retry_delay_ms;        /* first backoff (default 500 ms), doubled each try, max 30 s */
	const char *ca_file;        /* extra CA bundle; TLS is always verified */
	const char *bearer_token;   /* secret: never logged */
	const char *user;
	const char *password;       /* secret: never logged */
	size_t max_body;            /* default 256 MiB */
} ingest_http_req;

typedef struct {
	long status;                /* final HTTP status */
	int not_modified;           /* 304: nothing new */
	int attempts;
	sbuf body;
	char *etag;                 /* validators of this response (owned) */
	char *last_modified;
} ingest_http_resp;

void ingest_http_resp_init(ingest_http_resp *r);
void ingest_http_resp_clear(ingest_http_resp *r);
/* GETs url (with req's since cursor filled in: "{since}" in the URL is
 * replaced, else since_param=VALUE is appended); with conditional set, sends
 * req's validators.  0 on 200 or 304 (out->not_modified); -1 with err naming
 * the URL (as configured, never with credentials) and what went wrong. */
int ingest_http_get(const ingest_http_req *req, const char *url, int conditional,
		    ingest_http_resp *out, sbuf *err);
/* Whether a body is an Atom feed; its entries' links (alternate/enclosure
 * link href, or content src), resolved against base_url.  *out is an array
 * of n malloc'd strings the caller frees. */
int ingest_http_is_atom(const char *data, size_t len);
int ingest_http_atom_links(const char *data, size_t len, const char *base_url, char ***out,
			   size_t *n, sbuf *err);
/* Whether two URLs have the same scheme, host and port: credentials are
 * only sent to the server they were configured for. */
int ingest_http_same_origin(const char *a, const char *b);
/* The `next-since` attribute of an export's root element: the cursor for
 * the next page; NULL when this was the last page.  Caller frees. */
char *ingest_http_next_since(const char *data, size_t len);

#endif
