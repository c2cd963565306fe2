/*
 * core.h - the deviation record and the small utilities every stage shares:
 * string buffers, allocation, logging, UTF-8 folding, dates and periods.
 *
 * core/ depends on libc only.  Ownership: every char * in a struct below is
 * owned by that struct and freed by its *_clear() function.
 */
#ifndef AVVIK_CORE_H
#define AVVIK_CORE_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#define AVVIK_VERSION "0.1.0"

/* Exit codes (DESIGN.md). */
enum {
	EXIT_DONE = 0,
	EXIT_PARTIAL = 1,   /* done, but something was quarantined or a source failed */
	EXIT_USAGE = 2,     /* usage or configuration error */
	EXIT_FATAL = 3,
	EXIT_LOCKED = 75    /* another run holds the lock */
};

#if defined(__GNUC__)
#define AVVIK_PRINTF(f, a) __attribute__((format(printf, f, a)))
#define AVVIK_NORETURN __attribute__((noreturn))
#else
#define AVVIK_PRINTF(f, a)
#define AVVIK_NORETURN
#endif

/* ---- allocation: abort with a message on out-of-memory ---- */
void *xmalloc(size_t n);
void *xcalloc(size_t n, size_t size);
void *xrealloc(void *p, size_t n);
char *xstrdup(const char *s);           /* NULL in, NULL out */
char *xstrndup(const char *s, size_t n);

/* ---- sbuf: a growable, always NUL-terminated byte string (after git's strbuf) ---- */
typedef struct {
	char *buf;      /* never NULL after sbuf_init; "" when empty */
	size_t len;
	size_t alloc;
} sbuf;

#define SBUF_INIT { sbuf_empty_, 0, 0 }
extern char sbuf_empty_[];

void sbuf_init(sbuf *sb, size_t hint);
void sbuf_release(sbuf *sb);                 /* frees, back to SBUF_INIT */
char *sbuf_detach(sbuf *sb, size_t *len);    /* caller owns the result (malloc'd) */
void sbuf_grow(sbuf *sb, size_t extra);
void sbuf_reset(sbuf *sb);                   /* len = 0, keeps memory */
void sbuf_setlen(sbuf *sb, size_t len);
void sbuf_add(sbuf *sb, const void *data, size_t len);
void sbuf_adds(sbuf *sb, const char *s);     /* NULL adds nothing */
void sbuf_addch(sbuf *sb, int c);
void sbuf_addf(sbuf *sb, const char *fmt, ...) AVVIK_PRINTF(2, 3);
void sbuf_vaddf(sbuf *sb, const char *fmt, va_list ap);
void sbuf_trim(sbuf *sb);                    /* ASCII whitespace both ends */
/* Collapse runs of whitespace (incl. newlines) to one space and trim. */
void sbuf_squeeze_space(sbuf *sb);
/* JSON string literal with quotes; invalid UTF-8 becomes U+FFFD; NULL -> null. */
void sbuf_add_json_str(sbuf *sb, const char *s);
/* One CSV field (RFC 4180): quoted when it holds sep, quote, CR or LF. */
void sbuf_add_csv_field(sbuf *sb, const char *s, char sep);
/* One CSV text cell for a spreadsheet: a text starting with = + - @, TAB
 * or CR (a formula to Excel and LibreOffice: OWASP's CSV injection) gets a
 * leading ', then it is written as a field.  Every CSV writer's text goes
 * through here; only numbers the program formatted itself do not. */
void sbuf_add_csv_text(sbuf *sb, const char *s, char sep);
/* Reads a whole file; 0 on success, -1 with errno set.  max_len 0 = no limit;
 * a larger file fails with errno = EFBIG. */
int sbuf_read_file(sbuf *sb, const char *path, size_t max_len);

/* ---- logging to stderr: "avvik: level: message" ---- */
typedef enum { LOG_LVL_ERROR = 0, LOG_LVL_WARN, LOG_LVL_INFO, LOG_LVL_DEBUG } log_level;
void log_set_level(log_level lvl);
log_level log_get_level(void);
int log_level_parse(const char *s, log_level *out);   /* 0 ok, -1 unknown name */
void log_error(const char *fmt, ...) AVVIK_PRINTF(1, 2);
void log_warn(const char *fmt, ...) AVVIK_PRINTF(1, 2);
void log_info(const char *fmt, ...) AVVIK_PRINTF(1, 2);
void log_debug(const char *fmt, ...) AVVIK_PRINTF(1, 2);
/* A run's start and end: shown unless -q, labelled "notice". */
void log_notice(const char *fmt, ...) AVVIK_PRINTF(1, 2);

/* ---- UTF-8 ---- */
int utf8_valid(const char *s, size_t len);
/* Decodes one code point at *p (advancing it); invalid bytes yield U+FFFD
 * and advance by one. */
uint32_t utf8_next(const char **p, const char *end);
void utf8_encode(sbuf *out, uint32_t cp);
/* Code points in s: the display width of a table cell with æøå or →. */
size_t utf8_width(const char *s);
/* Copies s to out, replacing invalid sequences and C0 controls other than
 * TAB/LF/CR with U+FFFD resp. a space. */
void utf8_sanitize(sbuf *out, const char *s, size_t len);
/* Folding for name matching: lower case; æ->ae, ø->o, å->a, accents dropped
 * (á č đ ŋ š ŧ ž ä ö ü é ...), any other non-alphanumeric run -> one space;
 * trimmed.  "Gáivuotna – Kåfjord" -> "gaivuotna kafjord". */
void utf8_fold(sbuf *out, const char *s);
/* Edit distance (Levenshtein over bytes of folded ASCII); stops early and
 * returns max+1 when the distance exceeds max. */
int text_edit_distance(const char *a, const char *b, int max);

/* ---- dates and periods ---- */
/* Normalises an ISO 8601 date or date-time ("2024-03-05", "2024-03-05T10:22",
 * "2024-03-05T10:22:33Z", "2024-03-05 10:22:33+01:00") and Norwegian
 * "05.03.2024" into "YYYY-MM-DD" or "YYYY-MM-DDTHH:MM:SS" (offset dropped:
 * local time is what reporters mean).  0 ok, -1 not a valid date. */
int date_normalize(const char *in, sbuf *out);
/* Current UTC time as "YYYY-MM-DDTHH:MM:SSZ". */
void date_now_utc(sbuf *out);

/* A reporting period: [start, end) as "YYYY-MM-DD" strings, the number of
 * calendar months it covers (the exposure unit for rate comparisons) and a
 * label as the user wrote it. */
typedef struct {
	char start[11];
	char end[11];
	int months;
	char label[32];
} period;
/* "2024", "2024-Q3", "2024-07", "2024-01..2024-06" (either side may be any of
 * the first three forms).  0 ok, -1 invalid (err explains). */
int period_parse(const char *s, period *out, sbuf *err);
/* The period of the same number of months just before p ("2023" before
 * "2024", "2024-Q2" before "2024-Q3").  0 ok, -1 invalid p. */
int period_before(const period *p, period *out);

/* ---- the deviation record ---- */
typedef enum {
	ORG_TYPE_UNKNOWN = 0,
	ORG_TYPE_KOMMUNE,
	ORG_TYPE_FASTLEGE,
	ORG_TYPE_UNN,
	ORG_TYPE_OTHER
} org_type;
const char *org_type_name(org_type t);              /* "ukjent", "kommune", ... */
int org_type_parse(const char *s, org_type *out);   /* accepts the names above, "gp", "hf" */

/* One party as the message wrote it.  Resolution to a registry id happens in
 * classify/, so a better registry fixes old records. */
typedef struct {
	char *name;        /* organisation as written, e.g. "Tromso kommune" */
	char *unit;        /* sub-unit as written, e.g. "Hjemmesykepleien sone 2" */
	char *her_id;      /* HER-id digits, if given */
	char *org_nr;      /* organisasjonsnummer (9 digits), if given */
	char *type_hint;   /* the sender's own statement of the type, if any */
} avvik_party;

typedef struct {
	char *name;
	char *mime_type;
	int64_t size;      /* bytes, -1 unknown */
} avvik_attachment;

typedef struct {
	char *ext_id;          /* MsgId, case number "system:id", Message-ID */
	char *source;          /* configured source name or "path" */
	char *channel;         /* "msghead", "avvik-xml", "email", ... */
	char *origin;          /* file path or URL it came from */
	char *received_at;     /* normalised date(-time) */
	char *reported_at;
	char *event_date;
	avvik_party reporter;
	avvik_party concerned;
	char *subject;
	char *text;            /* free text, already scrubbed of fødselsnummer */
	char *source_category; /* sender's own category label */
	char *severity;
	int patient_related;   /* -1 unknown, 0 no, 1 yes */
	char *patient_key;     /* pseudonym of the patient (HMAC), never the number */
	avvik_attachment *attachments;
	size_t n_attachments;
	char content_hash[65]; /* sha256 hex of the canonical record; set by ingest */
} avvik_record;

void avvik_record_init(avvik_record *r);
void avvik_record_clear(avvik_record *r);            /* frees members, re-inits */
void avvik_party_clear(avvik_party *p);
void avvik_record_add_attachment(avvik_record *r, const char *name, const char *mime, int64_t size);
/* Canonical serialisation used for the content hash: every field in a fixed
 * order, length-prefixed.  Source/origin/received_at are excluded so the same
 * report arriving twice by two routes hashes the same. */
void avvik_record_canonical(const avvik_record *r, sbuf *out);
/* The date a record counts under in reports: event date, else reported, else
 * received (first 10 chars).  Returns NULL when none is set. */
const char *avvik_record_count_date(const avvik_record *r);

/* Directions (DESIGN.md). */
typedef enum {
	DIR_UKJENT = 0,
	DIR_KOMMUNE_UNN,
	DIR_FASTLEGE_UNN,
	DIR_UNN_KOMMUNE,
	DIR_UNN_FASTLEGE,
	DIR_KOMMUNE_FASTLEGE,
	DIR_FASTLEGE_KOMMUNE,
	DIR_ANNEN,
	DIR__COUNT
} direction;
const char *direction_name(direction d);            /* "kommune→unn" */
int direction_parse(const char *s, direction *out); /* also "kommune-unn", "kommune->unn" */
direction direction_from_types(org_type reporter, org_type concerned);

/* What classify/ produces for one record under one rules commit. */
typedef struct {
	char *category;        /* exactly one primary category code */
	char *tags;            /* comma-separated, sorted, may be "" */
	direction dir;
	char *reporter_org;    /* registry id, NULL when unresolved */
	org_type reporter_type;
	char *reporter_how;    /* "her", "orgnr", "kommunenr", "domain", "alias", "folded",
			        * "fuzzy:<d>", "fastlege", "type-hint", "unresolved" */
	char *concerned_org;
	org_type concerned_type;
	char *concerned_how;
	char *matches;         /* JSON array: [{"rule":id,"priority":n,"field":f,"excerpt":s},...] */
	char *why;             /* one line: how the winner was chosen */
	int overridden;        /* category/direction come from a manual override */
	/* What decided the category, and the statistical model's view of it
	 * (classify/model.c); the model fields are unset without a model. */
	char *decided_by;      /* the winning rule's id, "model", or "fallback" (no rule: annet) */
	char *rules_category;  /* what the rules alone said, when a model was asked */
	char *model_hash;      /* the model used (64 hex), NULL when none */
	char *model_category;  /* the model's own choice */
	double model_prob;     /* its probability, 0..1 */
	double model_novelty;  /* share of the text's words the model never saw in training */
} avvik_class;

void avvik_class_init(avvik_class *c);
void avvik_class_clear(avvik_class *c);

#endif
