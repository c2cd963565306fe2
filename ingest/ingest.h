/*
 * ingest.h - the ingest stage: turns bytes from a source into deviation
 * records.  Parsers (KITH MsgHead/Dialogmelding, the avvik export XML) and the
 * scrubbing of personal data live here.  ingest/ never touches the store: it
 * hands each item to a sink the caller provides (the wiring in cli/).
 */
#ifndef AVVIK_INGEST_H
#define AVVIK_INGEST_H

#include "core/core.h"

typedef enum {
	INGEST_FORMAT_AUTO = 0,
	INGEST_FORMAT_MSGHEAD,      /* KITH MsgHead v1.2 + Dialogmelding 1.0/1.1 */
	INGEST_FORMAT_AVVIK_XML     /* the avvik export XML (schema/avvik-export.xsd) */
} ingest_format;

const char *ingest_format_name(ingest_format f);           /* "auto", "msghead", "avvik-xml" */
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

/* Same for a message already in memory (e-mail attachments, HTTP bodies,
 * fuzzing).  origin names it in messages. */
int ingest_buffer(const ingest_ctx *ctx, const char *origin, const char *data, size_t len,
		  ingest_format fmt);

/* Detects the format from the first bytes: the root element's namespace. */
ingest_format ingest_detect(const char *data, size_t len);

/* Calls fn for every regular file under path (path itself when it is a
 * file), in sorted order so runs are reproducible; hidden files and
 * directories are skipped.  Stops and returns fn's value when non-zero;
 * -1 with errno when path cannot be read. */
int ingest_walk(const char *path, int (*fn)(void *ctx, const char *file), void *ctx);

/* ---- privacy ---- */
/* Fødselsnummer, D- and H-numbers (incl. synthetic test numbers and the 2032
 * rule: a plausible date and a valid K2 is enough). */
int ingest_fnr_valid(const char *digits11);
/* Replaces every fødselsnummer-shaped run of 11 digits (optionally written
 * "DDMMYY NNNNN") in text with "[pasient:XXXXXXXXXX]", a keyed HMAC-SHA256
 * pseudonym (10 hex digits) of the number.  Returns how many were replaced. */
int ingest_scrub_text(const ingest_ctx *ctx, sbuf *text);
/* The pseudonym token of one number, without brackets (out gets 10 hex). */
void ingest_pseudonym(const ingest_ctx *ctx, const char *digits11, sbuf *out);

/* sha256 of data as 64 hex digits + NUL. */
void ingest_sha256_hex(const void *data, size_t len, char out[65]);
/* Sets r->content_hash from avvik_record_canonical(). */
void ingest_record_hash(avvik_record *r);

/* ---- internal to ingest/: shared by its parsers, not for other stages ----
 * (Declared here because -Wmissing-prototypes wants a prototype and ingest/
 * has one header.  libxml2 types stay opaque so users of ingest.h need not
 * include libxml2.) */

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
} ingest_xml_scan;

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

/* Hands one SKIPPED or QUARANTINE item to the sink; the reason ("origin:line:
 * ..." is the caller's job) is sanitised and scrubbed first.  raw_sha256 may
 * be NULL: it is then computed from raw. */
int ingest_emit_problem(const ingest_ctx *ctx, ingest_item_kind kind, const char *raw,
			size_t raw_len, const char *raw_sha256, long line, const char *fmt, ...)
	AVVIK_PRINTF(7, 8);
/* Finishes r (every string valid UTF-8; free text, names and ids scrubbed;
 * content hash), hands it to the sink as a DEVIATION and clears it.  The sink
 * may take fields by setting them to NULL. */
int ingest_emit_record(const ingest_ctx *ctx, avvik_record *r, const char *raw, size_t raw_len,
		       long line);

/* The parsers. */
int ingest_msghead_buffer(const ingest_ctx *ctx, const char *origin, const char *data,
			  size_t len);
int ingest_avvikxml_buffer(const ingest_ctx *ctx, const char *origin, const char *data,
			   size_t len);
/* fd is a regular file open for reading, at any offset. */
int ingest_avvikxml_fd(const ingest_ctx *ctx, const char *origin, int fd);

#endif
