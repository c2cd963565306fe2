/*
 * ingest_int.h - internal to ingest/: what its parsers share.  Not part of
 * the stage's API (that is ingest.h); no other stage includes this.
 */
#ifndef AVVIK_INGEST_INT_H
#define AVVIK_INGEST_INT_H

#include "ingest/ingest.h"

#include <time.h>

/* libxml2 types stay opaque here, so the parsers' shared helpers need no
 * libxml2 include in files that do not parse. */

/* Namespaces the parsers know. */
#define INGEST_NS_MSGHEAD  "http://www.kith.no/xmlstds/msghead/2006-05-24"
#define INGEST_NS_DIALOG10 "http://www.kith.no/xmlstds/dialog/2006-10-11"
#define INGEST_NS_DIALOG11 "http://www.kith.no/xmlstds/dialog/2013-01-23"
#define INGEST_NS_FK1      "http://www.kith.no/xmlstds/felleskomponent1"
#define INGEST_NS_APPREC10 "http://www.kith.no/xmlstds/apprec/2004-11-21"
#define INGEST_NS_APPREC11 "http://www.kith.no/xmlstds/apprec/2012-02-15"
#define INGEST_NS_BASE64   "http://www.kith.no/xmlstds/base64container"
#define INGEST_NS_AVVIK    "urn:avvik:export:1"

/* The default for ingest_ctx.max_file_size when it is 0. */
#define INGEST_DEFAULT_MAX_FILE_SIZE ((size_t)32 << 20)
size_t ingest_max_file_size(const ingest_ctx *ctx);

/* libxml2 parser options for every parse: no network, no entity
 * substitution, no DTD loading, no XML_PARSE_HUGE. */
/* libcurl's global setup, once per process, from any thread. */
void ingest_curl_init(void);
/* A hint an operator can act on for a failed transfer (a CURLcode): "" or
 * " (wrong user or password?)" and the like; IMAP and SMTP share it. */
const char *ingest_curl_hint(int rc);

int ingest_xml_options(void);

/* Result of a streaming check of a document (SAX, builds no tree). */
typedef struct {
	int ok;            /* well-formed, no DTD, no error */
	int reached_root;  /* the root element was seen */
	int kith_seen;     /* an element in the MsgHead or AppRec namespace was seen */
	long line;         /* line of the first problem, 0 unknown */
	sbuf error;        /* the first problem ("" when ok) */
	sbuf root_name;    /* local name of the root element */
	sbuf root_ns;      /* its namespace URI ("" when none) */
	/* children of the root (1-based, in document order) holding elements
	 * nested deeper than INGEST_XML_MAX_DEPTH: libxml2 refuses them, so
	 * the record alone is quarantined, not the rest of the file */
	long *deep;
	long *deep_line;
	size_t n_deep, alloc_deep;
	long children;     /* children of the root seen so far */
} ingest_xml_scan;

/* Deeper than this, libxml2 refuses an element without XML_PARSE_HUGE; an
 * export record holding one is quarantined alone. */
#define INGEST_XML_MAX_DEPTH 256
/* Deeper than this, a document is refused whole. */
#define INGEST_XML_DOC_MAX_DEPTH 1024
#define INGEST_STR(x) #x
#define INGEST_XSTR(x) INGEST_STR(x)

void ingest_xml_scan_init(ingest_xml_scan *s);
void ingest_xml_scan_release(ingest_xml_scan *s);
/* Checks data; with detect set, only the first 64 KiB are read and the scan
 * stops as soon as the format is clear (ok then means "no error so far"). */
void ingest_xml_scan_memory(const char *data, size_t len, const char *origin, int detect,
			    ingest_xml_scan *s);
/* Checks a whole file from fd's current offset, reading it in chunks;
 * sha256_hex (may be NULL) receives the hash of the bytes read.  -1 when
 * the file could not be read (errno set). */
int ingest_xml_scan_fd(int fd, const char *origin, ingest_xml_scan *s, char sha256_hex[65]);

/* Captures libxml2 errors instead of printing them: between begin and end
 * every error goes to e (the first one is kept, with its line). */
typedef struct {
	int n;             /* errors (not warnings) seen */
	int code;          /* libxml2's code of the first one */
	long line;
	sbuf msg;          /* the first error's message, trimmed */
	void *saved_ctx_[2];          /* the handlers in place before begin */
	void (*saved_fn_[2])(void);
} ingest_xml_errors;
void ingest_xml_errors_begin(ingest_xml_errors *e);
void ingest_xml_errors_end(ingest_xml_errors *e);    /* restores, keeps n and msg */
void ingest_xml_errors_resume(ingest_xml_errors *e); /* captures again after end */
void ingest_xml_errors_release(ingest_xml_errors *e);

/* DOM helpers; namespaces are compared by URI, never by prefix. */
struct _xmlNode;
int ingest_xml_is(const struct _xmlNode *n, const char *ns, const char *name);
struct _xmlNode *ingest_xml_child(const struct _xmlNode *parent, const char *ns, const char *name);
struct _xmlNode *ingest_xml_next(const struct _xmlNode *n, const char *ns, const char *name);
/* First element named ns:name in document order under (and including) n. */
struct _xmlNode *ingest_xml_find(const struct _xmlNode *n, const char *ns, const char *name);
/* Text content on one line (valid UTF-8, whitespace squeezed); NULL when n is
 * NULL or the text is empty.  Caller frees. */
char *ingest_xml_text(const struct _xmlNode *n);
/* Attribute value (no namespace) the same way. */
char *ingest_xml_attr(const struct _xmlNode *n, const char *name);
/* Free text: plain text keeps its line breaks; XHTML mixed content gets line
 * breaks for block elements and the text of inline ones. */
void ingest_xml_flatten(const struct _xmlNode *n, sbuf *out);
/* Line of an element (0 unknown). */
long ingest_xml_line(const struct _xmlNode *n);
/* Normalises free text: valid UTF-8, horizontal whitespace squeezed, lines
 * trimmed, at most one empty line in a row. */
void ingest_text_tidy(sbuf *text);

/* ---- privacy (scrub.c) ---- */
/* The first fødselsnummer in s[0..len) in any spelling: digits of any
 * script, grouped any way by at most three spaces, dots, slashes or hyphens
 * or by one line break with indentation, invisible characters anywhere
 * (scrub.c says exactly); whole groups only, with a plausible date and
 * valid check digits.  Its offset in *at, its 11 digits (ASCII) in digits;
 * returns the bytes it takes, 0 when there is none. */
size_t ingest_fnr_find(const char *s, size_t len, size_t *at, char digits[12]);
/* The patient's pseudonym (10 hex, caller frees) from what a message says
 * about the patient: a valid fødselsnummer in any spelling anywhere in
 * value; with is_id (value is the patient's identifier field: a typed
 * Ident, patient-id, a Fødselsnummer line) also 11 digits with separators
 * but bad check digits, else the trimmed text.  NULL when there is none. */
char *ingest_patient_key(const ingest_ctx *ctx, const char *value, int is_id);

/* The words (2+ letters, lower-cased) of the patient's names. */
typedef struct {
	char **words;
	size_t n;
} ingest_names;
#define INGEST_NAMES_INIT { NULL, 0 }
/* Adds the words of one name as written ("Nordmann, Kari", "Anne-Lise");
 * words such as "f.nr" or "født" on a Pasient line are left out. */
void ingest_names_add(ingest_names *nm, const char *name);
void ingest_names_clear(ingest_names *nm);
/* Replaces every whole-word occurrence of the names in text, in any case
 * (Norwegian and accented Latin letters included) and with a genitive
 * ("Nordmanns", "Nordmann's", "Nils'"), by "[pasientnavn]".  Returns how
 * many were replaced; nm may be NULL. */
int ingest_blank_names(const ingest_names *nm, sbuf *text);
/* in made valid UTF-8, names blanked and fødselsnummer scrubbed, appended
 * to out: for origins in messages and logs. */
void ingest_clean_text(const ingest_ctx *ctx, const ingest_names *nm, const char *in, sbuf *out);
/* Every string of r valid UTF-8; the names blanked and fødselsnummer
 * scrubbed in everything a sender wrote, the origin included. */
void ingest_clean_record(const ingest_ctx *ctx, const ingest_names *nm, avvik_record *r);

/* Hands one SKIPPED or QUARANTINE item to the sink; the reason ("origin:line:
 * ..." is the caller's job) is sanitised and scrubbed first.  raw_sha256 may
 * be NULL: it is then computed from raw. */
int ingest_emit_problem(const ingest_ctx *ctx, ingest_item_kind kind, const char *raw,
			size_t raw_len, const char *raw_sha256, long line, const char *fmt, ...)
	AVVIK_PRINTF(7, 8);
/* The same with the patient's names (may be NULL) blanked in the reason. */
int ingest_emit_problem_names(const ingest_ctx *ctx, const ingest_names *nm,
			      ingest_item_kind kind, const char *raw, size_t raw_len,
			      const char *raw_sha256, long line, const char *fmt, ...)
	AVVIK_PRINTF(8, 9);
/* Finishes r (ingest_clean_record with the patient's names nm, which may be
 * NULL; content hash), hands it to the sink as a DEVIATION and clears it.
 * The sink may take fields by setting them to NULL. */
int ingest_emit_record(const ingest_ctx *ctx, const ingest_names *nm, avvik_record *r,
		       const char *raw, size_t raw_len, long line);

/* The parsers. */
int ingest_msghead_buffer(const ingest_ctx *ctx, const char *origin, const char *data,
			  size_t len);
int ingest_avvikxml_buffer(const ingest_ctx *ctx, const char *origin, const char *data,
			   size_t len);
/* fd is a regular file open for reading, at any offset. */
int ingest_avvikxml_fd(const ingest_ctx *ctx, const char *origin, int fd);

/* e-mail (email.c): one message in memory; an mbox read as a stream from
 * fd (each message read on its own, capped by ingest_max_file_size) or
 * from memory.  mtime is the file's modification time (0: not known, as
 * for attachments and HTTP bodies): the received date of a message that
 * has no Date header and no date on its mbox "From " line. */
int ingest_email_buffer(const ingest_ctx *ctx, const char *origin, const char *data, size_t len,
			time_t mtime);
int ingest_mbox_fd(const ingest_ctx *ctx, const char *origin, int fd, time_t mtime);
int ingest_mbox_buffer(const ingest_ctx *ctx, const char *origin, const char *data, size_t len,
		       time_t mtime);
/* The date of an mbox "From " line (the whole line, "From " included;
 * asctime with or without seconds, a zone or an offset, a missing sender)
 * as "YYYY-MM-DDTHH:MM:SS" in out: 0, or -1 when it has none. */
int ingest_mbox_from_date(const char *line, size_t len, sbuf *out);
/* Plain text of an HTML document (libxml2's HTML parser, no network). */
void ingest_html_text(const char *html, size_t len, sbuf *out);
/* Bytes in charset (NULL: undeclared) to valid UTF-8: valid UTF-8 is taken
 * as it is whatever the label says, else the declared charset, else
 * Windows-1252 (a superset of ISO-8859-1 in what mail really holds). */
void ingest_to_utf8(const char *data, size_t len, const char *charset, sbuf *out);

/* A form-style body: what the labelled lines said.  Strings are owned
 * (NULL when absent); text is the description, or the body with the form
 * and patient lines taken out. */
typedef struct {
	char *reporter, *reporter_unit, *concerned, *concerned_unit;
	char *event_date;        /* normalised YYYY-MM-DD */
	char *subject, *category, *severity;
	char *text;
	/* never stored; several lines of a kind are joined with "\n" */
	char *patient;           /* what a Pasient line said: a name and/or a number */
	char *patient_name;      /* Pasientnavn, Pasientens navn, Navn på pasient, Navn
				  * (in a form) */
	char *patient_id;        /* Fødselsnummer, Personnummer, Pnr, F.nr, Fnr */
	int n_fields;            /* labelled lines recognised */
} ingest_form;
void ingest_form_parse(const char *body, ingest_form *f);
void ingest_form_clear(ingest_form *f);

#endif
