/*
 * email.c - e-mail to deviation records (DESIGN.md "Accepted input" 3):
 * single messages (.eml, Maildir files, IMAP), mbox files read as a stream,
 * MIME decoded by GMime 3.
 *
 * Mapping of one message:
 *   ext_id = Message-ID without <> (else "email:" + sha256 of the bytes);
 *   reported_at = Date (the sender's local time); channel "email";
 *   received_at = the date of the mbox "From " line (the delivering
 *   server's local time), else, only when there is no Date header, the
 *   file's modification time (local time); where a Date-less message's
 *   date came from is logged at -v (the record has no field for it);
 *   subject = Subject (RFC 2047 decoded), else the form's Tema;
 *   text = the form's Beskrivelse, else the body; body = the inline
 *   text/plain parts (in multipart/alternative the text/plain one, else the
 *   HTML one as text), forwarded messages included;
 *   reporter = the form's Meldende enhet/Melder/Avsender, else the sender's
 *   address (classify resolves registry domains) with the signature's
 *   organisation line (else the sender's name) as unit;
 *   concerned = the form's Gjelder enhet, else the first UNN or "X kommune"
 *   the subject or text names; event_date = the form's Dato for hendelse;
 *   attachments = every part that is not body text: name, type, size;
 *   patient_related = 1 with a Pasient, patient-name (Pasientens navn, Navn
 *   på pasient, Pasientnavn; "Navn" inside a form) or number line
 *   (Fødselsnummer, Personnummer, Pnr, F.nr, Fnr); patient_key = pseudonym
 *   of the number (ingest_patient_key); the names are blanked in every field
 *   of the record, the origin included, and in the origins and reasons of
 *   what the message carries.
 * An e-mail with a KITH MsgHead or avvik export XML attachment is a carrier:
 * it is handed on as SKIPPED and each such attachment is parsed on its own
 * (ingest_buffer), its items linked to the e-mail by parent_sha256.
 *
 * Limits, so broken or hostile mail costs bounded memory and time: the
 * message is capped by ingest_max_file_size (mbox messages are split
 * without parsing and read one by one), MIME nesting is followed 32 levels
 * deep and for 1000 parts, and the text kept is cut at 1 MiB.  The parts
 * are bounded before GMime parses (email_parts_bound): a message with more
 * is kept, not quarantined, with its text and attachments up to the bound
 * and a note in its text ("deler av meldingen er ikke lest"), as a report
 * with a broken tail still is a report; its raw bytes are all stored.
 */
#include "ingest/ingest_int.h"

#include <ctype.h>
#include <errno.h>
#include <iconv.h>
#include <limits.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include <gmime/gmime.h>
#include <libxml/HTMLparser.h>
#include <libxml/parser.h>

#include <openssl/evp.h>

#define EMAIL_MAX_DEPTH 32
#define EMAIL_MAX_PARTS 1000
#define EMAIL_MAX_TEXT ((size_t)1 << 20)
#define EMAIL_HEAD 65536           /* bytes looked at for detection */

/* ---- GMime, once per process ---- */

static pthread_once_t ingest_gmime_once = PTHREAD_ONCE_INIT;
static GMimeParserOptions *ingest_gmime_opts;

static void ingest_gmime_shutdown(void)
{
	g_mime_parser_options_free(ingest_gmime_opts);
	ingest_gmime_opts = NULL;
	g_mime_shutdown();
}

static void ingest_gmime_start(void)
{
	/* raw 8-bit headers: UTF-8 when valid, else Windows-1252 */
	static const char *fallback[] = { "UTF-8", "windows-1252", NULL };

	g_mime_init();
	ingest_gmime_opts = g_mime_parser_options_new();
	g_mime_parser_options_set_fallback_charsets(ingest_gmime_opts, fallback);
	g_mime_parser_options_set_rfc2047_compliance_mode(ingest_gmime_opts, GMIME_RFC_COMPLIANCE_LOOSE);
	g_mime_parser_options_set_address_compliance_mode(ingest_gmime_opts, GMIME_RFC_COMPLIANCE_LOOSE);
	g_mime_parser_options_set_parameter_compliance_mode(ingest_gmime_opts, GMIME_RFC_COMPLIANCE_LOOSE);
	/* GLib and GMime keep tables until g_mime_shutdown: give them back at
	 * exit, so leak checkers see only real leaks */
	atexit(ingest_gmime_shutdown);
}

static GMimeParserOptions *ingest_gmime(void)
{
	pthread_once(&ingest_gmime_once, ingest_gmime_start);
	return ingest_gmime_opts;
}

/* ---- detection ---- */

/* A header field name at p ("Subject:"); its length up to the colon, 0
 * when none. */
static size_t email_field_name(const char *p, const char *end)
{
	const char *q = p;

	while (q < end && *q != ':' && (unsigned char)*q > 32 && (unsigned char)*q < 127)
		q++;
	return q < end && *q == ':' && q > p ? (size_t)(q - p) : 0;
}

/* RFC 5322's structure, not the first '<': a header block (field lines
 * "Name: value", continuation lines starting with white space) ended by a
 * blank line.  An e-mail that carries XML, or whose header starts with
 * kilobytes of ARC, DKIM or Exchange fields, is still mail; an XML file
 * (a BOM, white space, "<?xml", a comment or a root element first) never
 * starts with a field name.  Looked at: the first 64 KiB. */
ingest_format ingest_email_detect(const char *data, size_t len)
{
	static const char *const known[] = {
		"from", "to", "subject", "date", "message-id", "received", "return-path",
		"mime-version", "delivered-to", "content-type", "reply-to", "sender", "cc", NULL
	};
	const char *p = data, *end = data + (len > EMAIL_HEAD ? EMAIL_HEAD : len);
	int fields = 0, hits = 0, blank = 0;

	if (!data || !len)
		return INGEST_FORMAT_AUTO;
	if (len >= 5 && !memcmp(data, "From ", 5))
		return INGEST_FORMAT_MBOX;
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t n;
		int k;

		if (!nl)
			break;   /* the head ends inside a line */
		if (p == nl || (*p == '\r' && p + 1 == nl)) {
			blank = 1;   /* the empty line ending the header */
			break;
		}
		if (*p == ' ' || *p == '\t') {
			if (!fields)
				return INGEST_FORMAT_AUTO;   /* a continuation of nothing */
		} else if ((n = email_field_name(p, nl)) != 0) {
			fields++;
			for (k = 0; known[k]; k++)
				if (strlen(known[k]) == n && !strncasecmp(p, known[k], n))
					hits++;
		} else {
			/* a header without the blank line after it is broken
			 * mail, still mail */
			break;
		}
		p = nl + 1;
	}
	/* a whole header block naming one field mail has; else (cut short by
	 * the head's end or a line that is no field) two, or one and more
	 * fields */
	if (blank && fields && hits)
		return INGEST_FORMAT_EML;
	return hits >= 2 || (hits >= 1 && fields >= 2) ? INGEST_FORMAT_EML : INGEST_FORMAT_AUTO;
}

/* ---- charsets ---- */

/* Windows-1252 0x80..0x9F; the five undefined bytes become U+FFFD. */
static const uint16_t cp1252_high[32] = {
	0x20AC, 0xFFFD, 0x201A, 0x0192, 0x201E, 0x2026, 0x2020, 0x2021,
	0x02C6, 0x2030, 0x0160, 0x2039, 0x0152, 0xFFFD, 0x017D, 0xFFFD,
	0xFFFD, 0x2018, 0x2019, 0x201C, 0x201D, 0x2022, 0x2013, 0x2014,
	0x02DC, 0x2122, 0x0161, 0x203A, 0x0153, 0xFFFD, 0x017E, 0x0178,
};

static void email_cp1252(const char *data, size_t len, sbuf *out)
{
	size_t i;

	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)data[i];
		if (c < 0x80)
			sbuf_addch(out, c);
		else if (c < 0xA0)
			utf8_encode(out, cp1252_high[c - 0x80]);
		else
			utf8_encode(out, c);
	}
}

/* iconv from charset; -1 when the charset is unknown or the bytes are not
 * in it (nothing added then). */
static int email_iconv(const char *data, size_t len, const char *charset, sbuf *out)
{
	iconv_t cd = iconv_open("UTF-8", g_mime_charset_iconv_name(charset));
	sbuf tmp = SBUF_INIT;
	char *in = (char *)data;
	size_t left = len;

	if (cd == (iconv_t)-1)
		return -1;
	while (left) {
		char *o;
		size_t room, r;

		sbuf_grow(&tmp, left * 2 + 16);
		o = tmp.buf + tmp.len;
		room = tmp.alloc - tmp.len - 1;
		r = iconv(cd, &in, &left, &o, &room);
		sbuf_setlen(&tmp, (size_t)(o - tmp.buf));
		if (r == (size_t)-1 && errno != E2BIG) {
			iconv_close(cd);
			sbuf_release(&tmp);
			return -1;
		}
	}
	iconv_close(cd);
	sbuf_add(out, tmp.buf, tmp.len);
	sbuf_release(&tmp);
	return 0;
}

void ingest_to_utf8(const char *data, size_t len, const char *charset, sbuf *out)
{
	sbuf tmp = SBUF_INIT;
	const char *canon = charset && *charset ? g_mime_charset_canon_name(charset) : NULL;

	ingest_gmime();
	/* valid UTF-8 with non-ASCII bytes is practically never Latin-1 text:
	 * trust the bytes over a wrong label */
	if (utf8_valid(data, len))
		sbuf_add(&tmp, data, len);
	else if (!canon || !strcasecmp(canon, "utf-8") || !strcasecmp(canon, "us-ascii") ||
		 !strcasecmp(canon, "iso-8859-1") || !strcasecmp(canon, "windows-1252") ||
		 email_iconv(data, len, charset, &tmp) < 0)
		email_cp1252(data, len, &tmp);
	/* NUL and other controls out, whatever came in */
	utf8_sanitize(out, tmp.buf, tmp.len);
	sbuf_release(&tmp);
}

/* ---- HTML ---- */

void ingest_html_text(const char *html, size_t len, sbuf *out)
{
	ingest_xml_errors err;
	htmlDocPtr doc;
	xmlNode *root;

	if (!len || len > INT_MAX)
		return;
	xmlInitParser();
	ingest_xml_errors_begin(&err);
	doc = htmlReadMemory(html, (int)len, NULL, "UTF-8",
			     HTML_PARSE_NONET | HTML_PARSE_NOERROR | HTML_PARSE_NOWARNING);
	ingest_xml_errors_end(&err);
	ingest_xml_errors_release(&err);
	if (!doc)
		return;
	root = xmlDocGetRootElement(doc);
	if (root)
		ingest_xml_flatten(root, out);
	xmlFreeDoc(doc);
}

/* ---- the form ---- */

typedef enum {
	FORM_NONE, FORM_REPORTER, FORM_REPORTER_UNIT, FORM_CONCERNED, FORM_CONCERNED_UNIT,
	FORM_DATE, FORM_TEXT, FORM_SUBJECT, FORM_CATEGORY, FORM_SEVERITY,
	FORM_PATIENT,        /* name and/or number */
	FORM_PATIENT_NAME,
	FORM_PATIENT_ID,
	FORM_NAME            /* "Navn:": the patient's name, but only inside a form */
} form_field;

/* Labels as utf8_fold() writes them (lower case, æ->ae, ø->o, å->a,
 * punctuation gone): bokmål, nynorsk and the variants forms use. */
static const struct {
	const char *label;
	form_field field;
} form_labels[] = {
	{ "meldende enhet", FORM_REPORTER }, { "meldande eining", FORM_REPORTER },
	{ "meldende eining", FORM_REPORTER }, { "meldande enhet", FORM_REPORTER },
	{ "melder", FORM_REPORTER }, { "meldar", FORM_REPORTER }, { "innmelder", FORM_REPORTER },
	{ "meldt av", FORM_REPORTER }, { "melde av", FORM_REPORTER }, { "avsender", FORM_REPORTER },
	{ "avsendar", FORM_REPORTER }, { "fra enhet", FORM_REPORTER }, { "fra eining", FORM_REPORTER },
	{ "meldende virksomhet", FORM_REPORTER }, { "meldande verksemd", FORM_REPORTER },
	{ "rapportert av", FORM_REPORTER }, { "meldende avdeling", FORM_REPORTER_UNIT },
	{ "meldande avdeling", FORM_REPORTER_UNIT }, { "avdeling", FORM_REPORTER_UNIT },
	{ "gjelder enhet", FORM_CONCERNED }, { "gjeld eining", FORM_CONCERNED },
	{ "gjelder eining", FORM_CONCERNED }, { "gjeld enhet", FORM_CONCERNED },
	{ "gjelder virksomhet", FORM_CONCERNED }, { "gjeld verksemd", FORM_CONCERNED },
	{ "avviket gjelder", FORM_CONCERNED }, { "avviket gjeld", FORM_CONCERNED },
	{ "mottaker", FORM_CONCERNED }, { "mottakar", FORM_CONCERNED },
	{ "gjelder", FORM_CONCERNED }, { "gjeld", FORM_CONCERNED },
	{ "gjelder avdeling", FORM_CONCERNED_UNIT }, { "gjeld avdeling", FORM_CONCERNED_UNIT },
	{ "dato for hendelse", FORM_DATE }, { "dato for hending", FORM_DATE },
	{ "dato for hendinga", FORM_DATE }, { "dato for hendelsen", FORM_DATE },
	{ "hendelsesdato", FORM_DATE }, { "hendingsdato", FORM_DATE },
	{ "tidspunkt for hendelse", FORM_DATE }, { "tidspunkt for hending", FORM_DATE },
	{ "dato for avvik", FORM_DATE }, { "avviksdato", FORM_DATE },
	{ "beskrivelse", FORM_TEXT }, { "beskriving", FORM_TEXT }, { "skildring", FORM_TEXT },
	{ "beskrivelse av hendelsen", FORM_TEXT }, { "beskriving av hendinga", FORM_TEXT },
	{ "skildring av hendinga", FORM_TEXT }, { "hendelsesbeskrivelse", FORM_TEXT },
	{ "hva skjedde", FORM_TEXT }, { "kva skjedde", FORM_TEXT }, { "fritekst", FORM_TEXT },
	{ "tema", FORM_SUBJECT }, { "emne", FORM_SUBJECT }, { "overskrift", FORM_SUBJECT },
	{ "kategori", FORM_CATEGORY }, { "avvikstype", FORM_CATEGORY }, { "type avvik", FORM_CATEGORY },
	{ "alvorlighetsgrad", FORM_SEVERITY }, { "alvorsgrad", FORM_SEVERITY },
	{ "pasient", FORM_PATIENT }, { "gjelder pasient", FORM_PATIENT },
	{ "gjeld pasient", FORM_PATIENT }, { "pasienten", FORM_PATIENT },
	{ "pasientnavn", FORM_PATIENT_NAME }, { "pasientens navn", FORM_PATIENT_NAME },
	{ "navn pa pasient", FORM_PATIENT_NAME }, { "namn pa pasient", FORM_PATIENT_NAME },
	{ "pasient navn", FORM_PATIENT_NAME }, { "pasientens namn", FORM_PATIENT_NAME },
	{ "navn pa pasienten", FORM_PATIENT_NAME }, { "navn", FORM_NAME }, { "namn", FORM_NAME },
	{ "fodselsnummer", FORM_PATIENT_ID }, { "fodselsnr", FORM_PATIENT_ID },
	{ "f nr", FORM_PATIENT_ID }, { "fnr", FORM_PATIENT_ID }, { "personnummer", FORM_PATIENT_ID },
	{ "personnr", FORM_PATIENT_ID }, { "pnr", FORM_PATIENT_ID }, { "p nr", FORM_PATIENT_ID },
	{ "d nummer", FORM_PATIENT_ID }, { "dnr", FORM_PATIENT_ID },
	{ "pasientens fodselsnummer", FORM_PATIENT_ID }, { "pasientens personnummer", FORM_PATIENT_ID },
};

/* The field a line's label names; *value points after the colon. */
static form_field form_label(const char *line, size_t len, const char **value)
{
	const char *colon = memchr(line, ':', len < 64 ? len : 64);
	sbuf lab = SBUF_INIT, fold = SBUF_INIT;
	form_field f = FORM_NONE;
	size_t i;

	if (!colon)
		return FORM_NONE;
	sbuf_add(&lab, line, (size_t)(colon - line));
	utf8_fold(&fold, lab.buf);
	for (i = 0; i < sizeof form_labels / sizeof form_labels[0]; i++)
		if (!strcmp(fold.buf, form_labels[i].label)) {
			f = form_labels[i].field;
			break;
		}
	sbuf_release(&lab);
	sbuf_release(&fold);
	*value = colon + 1;
	return f;
}

static const char *const form_months[] = {
	"januar", "februar", "mars", "april", "mai", "juni", "juli", "august", "september",
	"oktober", "november", "desember", NULL
};

/* "5.3.2024", "05.03.2024 kl 14:20", "5/3-2024", "2024-03-05", "5. mars 2024"
 * -> "YYYY-MM-DD"; -1 when it is none of these. */
static int form_date(const char *s, sbuf *out)
{
	int d = 0, m = 0, y = 0, n = 0;
	char mon[16] = "";
	size_t i;
	sbuf tmp = SBUF_INIT;

	while (*s == ' ' || *s == '\t')
		s++;
	if (sscanf(s, "%4d-%2d-%2d%n", &y, &m, &d, &n) == 3 && n == 10) {
		;
	} else if (sscanf(s, "%2d.%2d.%4d%n", &d, &m, &y, &n) == 3 ||
		   sscanf(s, "%2d/%2d-%4d%n", &d, &m, &y, &n) == 3 ||
		   sscanf(s, "%2d/%2d/%4d%n", &d, &m, &y, &n) == 3) {
		;
	} else if (sscanf(s, "%2d. %15[a-zA-Z] %4d%n", &d, mon, &y, &n) == 3 ||
		   sscanf(s, "%2d %15[a-zA-Z] %4d%n", &d, mon, &y, &n) == 3) {
		for (i = 0; form_months[i]; i++)
			if (!strcasecmp(mon, form_months[i]) ||
			    (strlen(mon) >= 3 && !strncasecmp(mon, form_months[i], strlen(mon))))
				m = (int)i + 1;
	} else {
		return -1;
	}
	if (y < 1900 || y > 2999)
		return -1;
	sbuf_addf(&tmp, "%04d-%02d-%02d", y, m, d);
	if (date_normalize(tmp.buf, out) < 0) {
		sbuf_release(&tmp);
		return -1;
	}
	sbuf_release(&tmp);
	return 0;
}

/* Patient lines add up: every name given is blanked. */
static void form_append(char **slot, const char *v, size_t len)
{
	sbuf b = SBUF_INIT;

	sbuf_add(&b, v, len);
	sbuf_trim(&b);
	if (b.len && *slot) {
		sbuf t = SBUF_INIT;
		sbuf_adds(&t, *slot);
		sbuf_addch(&t, '\n');
		sbuf_add(&t, b.buf, b.len);
		free(*slot);
		*slot = sbuf_detach(&t, NULL);
	} else if (b.len) {
		*slot = sbuf_detach(&b, NULL);
	}
	sbuf_release(&b);
}

static void form_set(char **slot, const char *v, size_t len)
{
	sbuf b = SBUF_INIT;

	sbuf_add(&b, v, len);
	sbuf_trim(&b);
	if (!b.len || *slot) {
		sbuf_release(&b);
		return;
	}
	*slot = sbuf_detach(&b, NULL);
}

void ingest_form_clear(ingest_form *f)
{
	free(f->reporter);
	free(f->reporter_unit);
	free(f->concerned);
	free(f->concerned_unit);
	free(f->event_date);
	free(f->subject);
	free(f->category);
	free(f->severity);
	free(f->text);
	free(f->patient);
	free(f->patient_name);
	free(f->patient_id);
	memset(f, 0, sizeof *f);
}

/* The start of a line's label: quoted forms ("> Meldende enhet: ...") and
 * list markers are skipped. */
static const char *form_line_start(const char *line)
{
	while (*line == '>' || *line == ' ' || *line == '\t' || *line == '*')
		line++;
	return line;
}

/* Whether body holds labelled lines other than "Navn:": only then is a
 * "Navn:" line the patient's name. */
static int form_is_form(const char *body)
{
	const char *p = body, *value;
	sbuf line = SBUF_INIT;
	int yes = 0;

	while (*p && !yes) {
		size_t len = strcspn(p, "\n");
		const char *start;
		form_field lf;

		sbuf_reset(&line);
		sbuf_add(&line, p, len);
		p += len + (p[len] == '\n');
		start = form_line_start(line.buf);
		lf = form_label(start, strlen(start), &value);
		yes = lf != FORM_NONE && lf != FORM_NAME;
	}
	sbuf_release(&line);
	return yes;
}

void ingest_form_parse(const char *body, ingest_form *f)
{
	const char *p = body, *value;
	sbuf desc = SBUF_INIT, rest = SBUF_INIT, line = SBUF_INIT;
	form_field cur = FORM_NONE, last = FORM_NONE;
	int in_desc = 0, have_desc = 0, in_form;

	memset(f, 0, sizeof *f);
	if (!body)
		return;
	in_form = form_is_form(body);
	while (*p) {
		size_t len = strcspn(p, "\n");
		const char *start;
		form_field lf;

		sbuf_reset(&line);
		sbuf_add(&line, p, len);
		p += len + (p[len] == '\n');
		start = form_line_start(line.buf);
		lf = form_label(start, strlen(start), &value);
		if (lf == FORM_NAME)
			lf = in_form ? FORM_PATIENT_NAME : FORM_NONE;
		if (lf != FORM_NONE) {
			f->n_fields++;
			cur = lf;
			in_desc = lf == FORM_TEXT;
			if (in_desc) {
				have_desc = 1;
				if (desc.len)
					sbuf_addch(&desc, '\n');
				sbuf_adds(&desc, value);
			}
			switch (lf) {
			case FORM_REPORTER: form_set(&f->reporter, value, strlen(value)); break;
			case FORM_REPORTER_UNIT: form_set(&f->reporter_unit, value, strlen(value)); break;
			case FORM_CONCERNED: form_set(&f->concerned, value, strlen(value)); break;
			case FORM_CONCERNED_UNIT: form_set(&f->concerned_unit, value, strlen(value)); break;
			case FORM_SUBJECT: form_set(&f->subject, value, strlen(value)); break;
			case FORM_CATEGORY: form_set(&f->category, value, strlen(value)); break;
			case FORM_SEVERITY: form_set(&f->severity, value, strlen(value)); break;
			case FORM_PATIENT: form_append(&f->patient, value, strlen(value)); break;
			case FORM_PATIENT_NAME:
				form_append(&f->patient_name, value, strlen(value));
				break;
			case FORM_PATIENT_ID: form_append(&f->patient_id, value, strlen(value)); break;
			case FORM_DATE: {
				sbuf d = SBUF_INIT;
				if (!f->event_date && form_date(value, &d) == 0)
					f->event_date = sbuf_detach(&d, NULL);
				sbuf_release(&d);
				break;
			}
			default: break;
			}
			last = lf;
			continue;
		}
		/* the signature ends the text: names and phone numbers of staff
		 * are not part of the report */
		if (!strcmp(line.buf, "-- ") || !strcmp(line.buf, "--") || !strcmp(line.buf, "-- \r"))
			break;
		if (in_desc) {
			sbuf_addch(&desc, '\n');
			sbuf_add(&desc, line.buf, line.len);
			continue;
		}
		/* a label alone on its line, its value on the next */
		{
			sbuf t = SBUF_INIT;
			char **slot = NULL;
			sbuf_adds(&t, line.buf);
			sbuf_trim(&t);
			switch (last) {
			case FORM_REPORTER: slot = &f->reporter; break;
			case FORM_CONCERNED: slot = &f->concerned; break;
			case FORM_PATIENT: slot = &f->patient; break;
			case FORM_PATIENT_NAME: slot = &f->patient_name; break;
			case FORM_PATIENT_ID: slot = &f->patient_id; break;
			default: break;
			}
			if (slot && !*slot && t.len) {
				*slot = sbuf_detach(&t, NULL);
				last = FORM_NONE;
				sbuf_release(&t);
				continue;
			}
			if (last == FORM_DATE && !f->event_date && t.len) {
				sbuf d = SBUF_INIT;
				if (form_date(t.buf, &d) == 0) {
					f->event_date = sbuf_detach(&d, NULL);
					sbuf_release(&d);
					sbuf_release(&t);
					last = FORM_NONE;
					continue;
				}
				sbuf_release(&d);
			}
			if (t.len)
				last = FORM_NONE;
			sbuf_release(&t);
		}
		(void)cur;
		sbuf_add(&rest, line.buf, line.len);
		sbuf_addch(&rest, '\n');
	}
	ingest_text_tidy(&desc);
	ingest_text_tidy(&rest);
	/* the description when the form has one, else what is not the form */
	if (have_desc && desc.len)
		f->text = sbuf_detach(&desc, NULL);
	else if (rest.len)
		f->text = sbuf_detach(&rest, NULL);
	sbuf_release(&desc);
	sbuf_release(&rest);
	sbuf_release(&line);
}

/* ---- walking the MIME tree ---- */

typedef struct {
	char *name, *type;
	int64_t size;
	char *data;              /* XML attachments to parse: the decoded bytes */
	size_t len;
	ingest_format fmt;
} email_att;

typedef struct {
	sbuf plain;              /* inline text/plain, UTF-8 */
	sbuf html;               /* inline text/html as text */
	email_att *att;
	size_t n_att;
	int n_parts;
	int too_deep, too_many, cut;
	size_t max_xml;
} email_walk;

/* Decoded content of a leaf part (transfer encoding undone). */
static void email_decode(GMimePart *part, sbuf *out)
{
	GMimeDataWrapper *dw = g_mime_part_get_content(part);
	GMimeStream *ms;
	GByteArray *ba;

	if (!dw)
		return;
	ms = g_mime_stream_mem_new();
	g_mime_data_wrapper_write_to_stream(dw, ms);
	ba = g_mime_stream_mem_get_byte_array(GMIME_STREAM_MEM(ms));
	if (ba && ba->len)
		sbuf_add(out, ba->data, ba->len);
	g_object_unref(ms);
}

static void email_add_text(email_walk *w, sbuf *to, const char *text, size_t len)
{
	if (!len)
		return;
	if (to->len)
		sbuf_adds(to, "\n\n");
	if (to->len + len > EMAIL_MAX_TEXT) {
		size_t keep = to->len < EMAIL_MAX_TEXT ? EMAIL_MAX_TEXT - to->len : 0;
		/* cut on a character boundary */
		while (keep && ((unsigned char)text[keep] & 0xC0) == 0x80)
			keep--;
		len = keep;
		w->cut = 1;
	}
	sbuf_add(to, text, len);
}

static int email_is_xml(const char *type, const char *name)
{
	size_t n = name ? strlen(name) : 0;
	size_t t = type ? strlen(type) : 0;

	return (type && (!strcasecmp(type, "application/xml") || !strcasecmp(type, "text/xml") ||
			 (t > 4 && !strcasecmp(type + t - 4, "+xml")))) ||
	       (n > 4 && !strcasecmp(name + n - 4, ".xml"));
}

static void email_leaf(email_walk *w, GMimeObject *obj)
{
	GMimePart *part = GMIME_PART(obj);
	GMimeContentType *ct = g_mime_object_get_content_type(obj);
	const char *fname = g_mime_part_get_filename(part);
	const char *charset = g_mime_object_get_content_type_parameter(obj, "charset");
	char *type = ct ? g_mime_content_type_get_mime_type(ct) : g_strdup("text/plain");
	int is_text = ct && g_mime_content_type_is_type(ct, "text", "plain");
	int is_html = ct && g_mime_content_type_is_type(ct, "text", "html");
	int attached = g_mime_part_is_attachment(part) || (fname && !is_text && !is_html);
	sbuf raw = SBUF_INIT, txt = SBUF_INIT;

	email_decode(part, &raw);
	if (!attached && (is_text || is_html)) {
		ingest_to_utf8(raw.buf, raw.len, charset, &txt);
		if (is_text)
			email_add_text(w, &w->plain, txt.buf, txt.len);
		else {
			sbuf h = SBUF_INIT;
			ingest_html_text(txt.buf, txt.len, &h);
			email_add_text(w, &w->html, h.buf, h.len);
			sbuf_release(&h);
		}
	} else {
		email_att *a;
		sbuf nm = SBUF_INIT;

		w->att = xrealloc(w->att, (w->n_att + 1) * sizeof *w->att);
		a = &w->att[w->n_att++];
		memset(a, 0, sizeof *a);
		if (fname)
			ingest_to_utf8(fname, strlen(fname), NULL, &nm);
		else
			sbuf_addf(&nm, "vedlegg-%zu", w->n_att);
		a->name = sbuf_detach(&nm, NULL);
		a->type = xstrdup(type);
		a->size = (int64_t)raw.len;
		a->fmt = INGEST_FORMAT_AUTO;
		if (email_is_xml(type, fname) && raw.len && raw.len <= w->max_xml) {
			a->fmt = ingest_detect(raw.buf, raw.len);
			if (a->fmt == INGEST_FORMAT_MSGHEAD || a->fmt == INGEST_FORMAT_AVVIK_XML)
				a->data = sbuf_detach(&raw, &a->len);
			else
				a->fmt = INGEST_FORMAT_AUTO;
		}
		sbuf_release(&nm);
	}
	g_free(type);
	sbuf_release(&raw);
	sbuf_release(&txt);
}

static void email_walk_obj(email_walk *w, GMimeObject *obj, int depth);

/* multipart/alternative: the text/plain part, else the HTML one, else the
 * last part (the richest, by RFC 2046). */
static void email_alternative(email_walk *w, GMimeMultipart *mp, int depth)
{
	int i, n = g_mime_multipart_get_count(mp), best = -1, html = -1;

	for (i = 0; i < n; i++) {
		GMimeObject *c = g_mime_multipart_get_part(mp, i);
		GMimeContentType *ct = g_mime_object_get_content_type(c);
		if (GMIME_IS_PART(c) && ct && g_mime_content_type_is_type(ct, "text", "plain") && best < 0)
			best = i;
		if (GMIME_IS_PART(c) && ct && g_mime_content_type_is_type(ct, "text", "html") && html < 0)
			html = i;
	}
	if (best < 0)
		best = html >= 0 ? html : n - 1;
	if (best >= 0)
		email_walk_obj(w, g_mime_multipart_get_part(mp, best), depth + 1);
}

static void email_walk_obj(email_walk *w, GMimeObject *obj, int depth)
{
	if (!obj)
		return;
	if (depth > EMAIL_MAX_DEPTH) {
		w->too_deep = 1;
		return;
	}
	if (++w->n_parts > EMAIL_MAX_PARTS) {
		w->too_many = 1;
		return;
	}
	if (GMIME_IS_MULTIPART(obj)) {
		GMimeMultipart *mp = GMIME_MULTIPART(obj);
		GMimeContentType *ct = g_mime_object_get_content_type(obj);
		int i, n = g_mime_multipart_get_count(mp);

		if (ct && g_mime_content_type_is_type(ct, "multipart", "alternative")) {
			email_alternative(w, mp, depth);
			return;
		}
		for (i = 0; i < n; i++)
			email_walk_obj(w, g_mime_multipart_get_part(mp, i), depth + 1);
	} else if (GMIME_IS_MESSAGE_PART(obj)) {
		/* a forwarded message: its text is part of the report */
		GMimeMessage *m = g_mime_message_part_get_message(GMIME_MESSAGE_PART(obj));
		if (m)
			email_walk_obj(w, g_mime_message_get_mime_part(m), depth + 1);
	} else if (GMIME_IS_PART(obj)) {
		email_leaf(w, obj);
	}
}

static void email_walk_release(email_walk *w)
{
	size_t i;

	for (i = 0; i < w->n_att; i++) {
		free(w->att[i].name);
		free(w->att[i].type);
		free(w->att[i].data);
	}
	free(w->att);
	sbuf_release(&w->plain);
	sbuf_release(&w->html);
}

/* ---- the record ---- */

/* The first line of the signature (after "-- ", else the last lines) that
 * names an organisation; NULL when none does. */
static char *email_signature_org(const char *body)
{
	static const char *const words[] = {
		"kommune", "legekontor", "legesenter", "legesenteret", "unn", "sykehus", "sjukehus",
		"universitetssykehuset", "helse", "klinikk", "dms", "legevakt", "sykehjem", "omsorg",
		"hjemmetjeneste", "hjemmetjenesten", "hjemmesykepleie", "hjemmesykepleien",
		"sykehjemmet", "heimesjukepleia", "heimetenesta", NULL
	};
	const char *sig = NULL, *p, *from;
	char *hit = NULL;
	size_t nlines = 0, k;

	if (!body || !*body)
		return NULL;
	for (p = body; (p = strstr(p, "\n-- ")) != NULL || (p = strstr(body, "\n--\n")) != NULL;) {
		sig = p + 1;
		p++;
		if (!strstr(p, "\n-- "))
			break;
	}
	if (!sig) {
		/* the last 6 lines */
		for (p = body + strlen(body); p > body && nlines < 6; p--)
			if (p[-1] == '\n')
				nlines++;
		sig = p;
	}
	/* the organisation words first (kommune, legekontor, UNN ...), then
	 * the unit words: "Senja kommune" over "Sykehjemmet på Finnsnes" */
	for (k = 0; words[k] && !hit; k++) {
		for (from = sig; *from && !hit;) {
			size_t len = strcspn(from, "\n");
			sbuf fold = SBUF_INIT, line = SBUF_INIT;
			const char *w;
			size_t wl = strlen(words[k]);

			sbuf_add(&line, from, len);
			sbuf_trim(&line);
			utf8_fold(&fold, line.buf);
			/* a signature line is short and no sentence */
			if (line.len > 80 || (line.len && strchr(".?!:", line.buf[line.len - 1])))
				sbuf_reset(&fold);
			for (w = fold.buf; !hit && (w = strstr(w, words[k])) != NULL; w += wl)
				if ((w == fold.buf || w[-1] == ' ') && (w[wl] == '\0' || w[wl] == ' ') &&
				    line.len)
					hit = sbuf_detach(&line, NULL);
			sbuf_release(&fold);
			sbuf_release(&line);
			from += len + (from[len] == '\n');
		}
	}
	return hit;
}

/* The first party named in text: "UNN"/"Universitetssykehuset Nord-Norge",
 * or "<Name> kommune"; skip names one of (the reporter).  NULL when none. */
static char *email_named_party(const char *text, const char *skip)
{
	const char *p;
	char *best = NULL;
	size_t best_at = (size_t)-1;
	sbuf skipf = SBUF_INIT;

	if (!text)
		return NULL;
	if (skip)
		utf8_fold(&skipf, skip);
	for (p = text; (p = strstr(p, "UNN")) != NULL; p += 3) {
		int left = p == text || !isalnum((unsigned char)p[-1]);
		int right = !isalnum((unsigned char)p[3]);
		if (left && right && !strstr(skipf.buf, "unn")) {
			best_at = (size_t)(p - text);
			best = xstrdup("UNN");
			break;
		}
	}
	p = strstr(text, "Universitetssykehuset Nord-Norge");
	if (p && (size_t)(p - text) < best_at && !strstr(skipf.buf, "unn") &&
	    !strstr(skipf.buf, "universitetssykehuset")) {
		free(best);
		best = xstrdup("Universitetssykehuset Nord-Norge");
		best_at = (size_t)(p - text);
	}
	for (p = text; (p = strstr(p, " kommune")) != NULL; p += 8) {
		const char *b = p;
		sbuf name = SBUF_INIT, fold = SBUF_INIT;
		/* the word before: letters, incl. UTF-8 */
		while (b > text && (isalpha((unsigned char)b[-1]) || ((unsigned char)b[-1] & 0x80)))
			b--;
		if (b == p || (size_t)(b - text) >= best_at)
			continue;
		if (!isupper((unsigned char)*b) && !((unsigned char)*b & 0x80))
			continue;
		sbuf_add(&name, b, (size_t)(p - b) + 8);
		utf8_fold(&fold, name.buf);
		if (!skipf.len || !strstr(skipf.buf, fold.buf)) {
			free(best);
			best = sbuf_detach(&name, NULL);
			best_at = (size_t)(b - text);
		}
		sbuf_release(&name);
		sbuf_release(&fold);
		break;
	}
	sbuf_release(&skipf);
	return best;
}

static char *email_gstr(char *g)
{
	char *s = g ? xstrdup(g) : NULL;

	g_free(g);
	return s;
}

/* The first mailbox of an address list: address and display name. */
static void email_first_address(InternetAddressList *l, char **addr, char **name)
{
	int i, n = l ? internet_address_list_length(l) : 0;

	*addr = *name = NULL;
	for (i = 0; i < n; i++) {
		InternetAddress *a = internet_address_list_get_address(l, i);
		if (INTERNET_ADDRESS_IS_MAILBOX(a)) {
			const char *ad = internet_address_mailbox_get_addr(INTERNET_ADDRESS_MAILBOX(a));
			const char *nm = internet_address_get_name(a);
			if (ad && *ad)
				*addr = xstrdup(ad);
			if (nm && *nm)
				*name = xstrdup(nm);
			return;
		}
	}
}

typedef struct {
	const ingest_ctx *outer;
	const char *parent_sha;
} email_child;

static int email_child_sink(void *c, const ingest_item *it)
{
	email_child *ec = c;
	ingest_item copy = *it;

	copy.parent_sha256 = ec->parent_sha;
	return ec->outer->sink ? ec->outer->sink(ec->outer->sink_ctx, &copy) : 0;
}

static void email_cut_note(sbuf *text, int cut, int deep)
{
	if (cut)
		sbuf_adds(text, "\n[tekst avkortet ved 1 MiB]");
	if (deep)
		sbuf_adds(text, "\n[deler av meldingen er ikke lest: for dypt nøstet]");
}

/* How many bytes of a message GMime may parse.  GMime builds the whole
 * MIME tree in g_mime_parser_construct_message, a few KiB for each part,
 * before the walk can stop at EMAIL_MAX_PARTS: 100,000 sibling parts in
 * 3.7 MB took 228 MB.  Every part but the first begins after a line
 * starting with "--" (its boundary), so the bytes before the line that
 * would open part EMAIL_MAX_PARTS + 2 hold at most the parts the walk
 * reads: only they are parsed, and memory stays bounded whatever the
 * sender wrote.  len when the message is within the bound. */
static size_t email_parts_bound(const char *data, size_t len)
{
	const char *p = data, *end = data + len;
	int dashes = 0;

	while (p < end) {
		const char *nl;

		if (end - p >= 2 && p[0] == '-' && p[1] == '-' && ++dashes > EMAIL_MAX_PARTS + 1)
			return (size_t)(p - data);
		nl = memchr(p, '\n', (size_t)(end - p));
		if (!nl)
			break;
		p = nl + 1;
	}
	return len;
}

/* t as "YYYY-MM-DDTHH:MM:SS" in the local zone (where the file landed). */
static char *email_local_time(time_t t)
{
	struct tm tm;
	char buf[32];

	if (!localtime_r(&t, &tm) || !strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%S", &tm))
		return NULL;
	return xstrdup(buf);
}

static int email_message(const ingest_ctx *ctx, const char *origin, const char *data, size_t len,
			 const char *from_date, time_t mtime);

int ingest_email_buffer(const ingest_ctx *ctx, const char *origin, const char *data, size_t len,
			time_t mtime)
{
	return email_message(ctx, origin, data, len, NULL, mtime);
}

/* One message in memory -> record(s).  from_date: the date of its mbox
 * "From " line (NULL: none), the day it was delivered; mtime: its file's
 * time (0 unknown), the received date when nothing else dates it. */
static int email_message(const ingest_ctx *ctx, const char *origin, const char *data, size_t len,
			 const char *from_date, time_t mtime)
{
	GMimeParserOptions *opts = ingest_gmime();
	GMimeStream *ms;
	GMimeParser *parser;
	GMimeMessage *msg;
	email_walk w;
	avvik_record rec;
	ingest_form form;
	ingest_names names = INGEST_NAMES_INIT;
	char sha[65], *from_addr = NULL, *from_name = NULL;
	const char *mid, *subj;
	GDateTime *date;
	sbuf body = SBUF_INIT, where = SBUF_INIT;
	size_t i, n_carried = 0, parse_len;
	int rc = 0;

	if (!origin)
		origin = "(e-mail)";
	ingest_sha256_hex(data, len, sha);
	if (len > ingest_max_file_size(ctx))
		return ingest_emit_problem(ctx, INGEST_ITEM_QUARANTINE, data, len, sha, 0,
					   "%s: e-mail too large (%zu bytes, limit %zu)", origin, len,
					   ingest_max_file_size(ctx));
	parse_len = email_parts_bound(data, len);
	ms = g_mime_stream_mem_new_with_buffer(data, parse_len);
	parser = g_mime_parser_new_with_stream(ms);
	g_object_unref(ms);
	g_mime_parser_set_format(parser, GMIME_FORMAT_MESSAGE);
	msg = g_mime_parser_construct_message(parser, opts);
	g_object_unref(parser);
	if (!msg)
		return ingest_emit_problem(ctx, INGEST_ITEM_QUARANTINE, data, len, sha, 0,
					   "%s: not an e-mail message (expected RFC 5322 header lines, "
					   "a blank line and a body)", origin);
	mid = g_mime_message_get_message_id(msg);
	subj = g_mime_message_get_subject(msg);
	date = g_mime_message_get_date(msg);
	email_first_address(g_mime_message_get_from(msg), &from_addr, &from_name);
	if (!mid && !subj && !date && !from_addr) {
		g_object_unref(msg);
		free(from_name);
		return ingest_emit_problem(ctx, INGEST_ITEM_QUARANTINE, data, len, sha, 0,
					   "%s: not an e-mail message (no From, Date, Subject or "
					   "Message-ID header)", origin);
	}

	memset(&w, 0, sizeof w);
	sbuf_init(&w.plain, 0);
	sbuf_init(&w.html, 0);
	w.max_xml = ingest_max_file_size(ctx);
	email_walk_obj(&w, g_mime_message_get_mime_part(msg), 0);
	if (parse_len < len)
		w.too_many = 1;   /* the parts after the bound were never parsed */

	/* prefer text/plain; the HTML one when there is no other */
	if (w.plain.len)
		sbuf_add(&body, w.plain.buf, w.plain.len);
	else
		sbuf_add(&body, w.html.buf, w.html.len);
	ingest_text_tidy(&body);
	ingest_form_parse(body.buf, &form);
	/* the patient's name, as the form gives it: taken out of everything,
	 * origins and messages included */
	ingest_names_add(&names, form.patient);
	ingest_names_add(&names, form.patient_name);

	if (w.too_deep || w.too_many) {
		sbuf o = SBUF_INIT;
		sbuf_addf(&o, "%s: e-mail %s", origin, mid ? mid : "(no Message-ID)");
		ingest_clean_text(ctx, &names, o.buf, &where);
		log_warn("%s: MIME structure %s; reading what lies above", where.buf,
			 w.too_deep ? "nested deeper than 32 levels" : "of more than 1000 parts");
		sbuf_release(&o);
	}

	for (i = 0; i < w.n_att; i++)
		if (w.att[i].data)
			n_carried++;
	if (n_carried) {
		/* a carrier: the attached messages are the deviations */
		email_child ec = { ctx, sha };
		ingest_ctx child = *ctx;

		child.sink = email_child_sink;
		child.sink_ctx = &ec;
		rc = ingest_emit_problem_names(ctx, &names, INGEST_ITEM_SKIPPED, data, len, sha, 0,
					       "%s: e-mail %s carries %zu attached message%s, read on "
					       "their own", origin, mid ? mid : "(no Message-ID)",
					       n_carried, n_carried == 1 ? "" : "s");
		for (i = 0; i < w.n_att && !rc; i++) {
			sbuf raw_where = SBUF_INIT;

			if (!w.att[i].data)
				continue;
			/* attachments are named by senders ("Kari Nordmann
			 * 01019012057.xml"): the origin the parsers copy into
			 * records and reasons is scrubbed first */
			sbuf_addf(&raw_where, "%s[%s]", origin, w.att[i].name);
			sbuf_reset(&where);
			ingest_clean_text(ctx, &names, raw_where.buf, &where);
			sbuf_release(&raw_where);
			rc = ingest_buffer(&child, where.buf, w.att[i].data, w.att[i].len, w.att[i].fmt);
		}
		goto out;
	}

	avvik_record_init(&rec);

	rec.channel = xstrdup("email");
	rec.origin = xstrdup(origin);
	if (mid && *mid) {
		rec.ext_id = xstrdup(mid);
	} else {
		sbuf e = SBUF_INIT;
		sbuf_addf(&e, "email:%.32s", sha);
		rec.ext_id = sbuf_detach(&e, NULL);
	}
	if (date)
		rec.reported_at = email_gstr(g_date_time_format(date, "%Y-%m-%dT%H:%M:%S"));
	/* when it arrived: the mbox "From " line is the delivery's own
	 * record; the file's time only dates a message nothing else dates */
	if (from_date)
		rec.received_at = xstrdup(from_date);
	else if (!date && mtime > 0)
		rec.received_at = email_local_time(mtime);
	if (!date && rec.received_at) {
		sbuf o = SBUF_INIT;
		sbuf_addf(&o, "%s: e-mail %s", origin, mid ? mid : "(no Message-ID)");
		sbuf_reset(&where);
		ingest_clean_text(ctx, &names, o.buf, &where);
		log_info("%s: no Date header; received date %s from %s", where.buf, rec.received_at,
			 from_date ? "the mbox \"From \" line" : "the file's modification time");
		sbuf_release(&o);
	}
	if (subj && *subj) {
		sbuf s = SBUF_INIT;
		ingest_to_utf8(subj, strlen(subj), NULL, &s);
		sbuf_squeeze_space(&s);
		rec.subject = sbuf_detach(&s, NULL);
	} else if (form.subject) {
		rec.subject = xstrdup(form.subject);
	}
	rec.event_date = form.event_date ? xstrdup(form.event_date) : NULL;
	if (form.text) {
		sbuf t = SBUF_INIT;
		sbuf_adds(&t, form.text);
		email_cut_note(&t, w.cut, w.too_deep || w.too_many);
		rec.text = sbuf_detach(&t, NULL);
	} else if (w.cut || w.too_deep || w.too_many) {
		sbuf t = SBUF_INIT;
		email_cut_note(&t, w.cut, w.too_deep || w.too_many);
		ingest_text_tidy(&t);
		rec.text = sbuf_detach(&t, NULL);
	}
	if (form.reporter) {
		rec.reporter.name = xstrdup(form.reporter);
		rec.reporter.unit = form.reporter_unit ? xstrdup(form.reporter_unit) : NULL;
	} else {
		/* the sender's address resolves by its domain; the signature (else
		 * the display name) says which unit */
		rec.reporter.name = from_addr ? xstrdup(from_addr) : NULL;
		rec.reporter.unit = form.reporter_unit ? xstrdup(form.reporter_unit)
						       : email_signature_org(body.buf);
		if (!rec.reporter.unit && from_name)
			rec.reporter.unit = xstrdup(from_name);
		if (!rec.reporter.name) {
			rec.reporter.name = rec.reporter.unit;
			rec.reporter.unit = NULL;
		}
	}
	if (form.concerned) {
		rec.concerned.name = xstrdup(form.concerned);
		rec.concerned.unit = form.concerned_unit ? xstrdup(form.concerned_unit) : NULL;
	} else {
		sbuf both = SBUF_INIT, skip = SBUF_INIT;
		sbuf_addf(&both, "%s\n%s", rec.subject ? rec.subject : "", rec.text ? rec.text : "");
		sbuf_addf(&skip, "%s %s", rec.reporter.name ? rec.reporter.name : "",
			  rec.reporter.unit ? rec.reporter.unit : "");
		/* an address at unn.no is UNN reporting: the party is a kommune */
		rec.concerned.name = email_named_party(both.buf, skip.buf);
		rec.concerned.unit = form.concerned_unit ? xstrdup(form.concerned_unit) : NULL;
		sbuf_release(&both);
		sbuf_release(&skip);
	}
	rec.source_category = form.category ? xstrdup(form.category) : NULL;
	rec.severity = form.severity ? xstrdup(form.severity) : NULL;
	if (form.patient || form.patient_name || form.patient_id) {
		rec.patient_related = 1;
		/* a Fødselsnummer line is the patient's id; a Pasient or name
		 * line counts when it holds a valid number */
		rec.patient_key = ingest_patient_key(ctx, form.patient_id, 1);
		if (!rec.patient_key)
			rec.patient_key = ingest_patient_key(ctx, form.patient, 0);
		if (!rec.patient_key)
			rec.patient_key = ingest_patient_key(ctx, form.patient_name, 0);
	} else {
		rec.patient_related = -1;
	}
	for (i = 0; i < w.n_att; i++)
		avvik_record_add_attachment(&rec, w.att[i].name, w.att[i].type, w.att[i].size);
	if (!rec.subject && !rec.text && !rec.n_attachments) {
		avvik_record_clear(&rec);
		rc = ingest_emit_problem_names(ctx, &names, INGEST_ITEM_QUARANTINE, data, len, sha, 0,
					       "%s: e-mail %s has no subject, no text and no "
					       "attachment (expected a report)", origin,
					       mid ? mid : "(no Message-ID)");
	} else {
		/* the names are blanked in every field (ingest_clean_record) */
		rc = ingest_emit_record(ctx, &names, &rec, data, len, 1);
	}
out:
	ingest_form_clear(&form);
	ingest_names_clear(&names);
	email_walk_release(&w);
	sbuf_release(&body);
	sbuf_release(&where);
	free(from_addr);
	free(from_name);
	g_object_unref(msg);
	return rc;
}

/* ---- mbox ---- */

typedef struct {
	int fd;                  /* -1: read from mem */
	const char *mem;
	size_t mem_len;
} mbox_src;

static int mbox_read(const mbox_src *s, int64_t off, size_t n, sbuf *out)
{
	if (s->fd < 0) {
		if ((size_t)off > s->mem_len || n > s->mem_len - (size_t)off) {
			errno = EIO;
			return -1;
		}
		sbuf_add(out, s->mem + off, n);
		return 0;
	}
	sbuf_grow(out, n);
	while (n) {
		ssize_t r = pread(s->fd, out->buf + out->len, n, (off_t)off);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0) {
			if (r == 0)
				errno = EIO;
			return -1;
		}
		sbuf_setlen(out, out->len + (size_t)r);
		off += r;
		n -= (size_t)r;
	}
	return 0;
}

/* sha256 of a range, read in chunks (a message too large to keep). */
static int mbox_sha_range(const mbox_src *s, int64_t off, int64_t n, char out[65])
{
	EVP_MD_CTX *md = EVP_MD_CTX_new();
	unsigned char dg[EVP_MAX_MD_SIZE];
	unsigned int dl = 0;
	sbuf chunk = SBUF_INIT;
	int rc = 0;

	if (!md || !EVP_DigestInit_ex(md, EVP_sha256(), NULL)) {
		EVP_MD_CTX_free(md);
		return -1;
	}
	while (n > 0 && !rc) {
		size_t k = n > 65536 ? 65536 : (size_t)n;
		sbuf_reset(&chunk);
		rc = mbox_read(s, off, k, &chunk);
		if (!rc)
			EVP_DigestUpdate(md, chunk.buf, chunk.len);
		off += (int64_t)k;
		n -= (int64_t)k;
	}
	EVP_DigestFinal_ex(md, dg, &dl);
	EVP_MD_CTX_free(md);
	sbuf_release(&chunk);
	{
		static const char hex[] = "0123456789abcdef";
		unsigned i;
		for (i = 0; i < 32; i++) {
			out[2 * i] = hex[dg[i] >> 4];
			out[2 * i + 1] = hex[dg[i] & 15];
		}
		out[64] = '\0';
	}
	return rc;
}

/* mboxrd: a body line ">From " (any number of '>') was quoted by the
 * writer; one '>' comes off, so the message is as it was sent. */
static void mbox_unquote(sbuf *m)
{
	size_t r = 0, w = 0;
	int bol = 1;

	while (r < m->len) {
		if (bol && m->buf[r] == '>') {
			size_t q = r;
			while (q < m->len && m->buf[q] == '>')
				q++;
			if (m->len - q >= 5 && !memcmp(m->buf + q, "From ", 5))
				r++;
		}
		bol = m->buf[r] == '\n';
		m->buf[w++] = m->buf[r++];
	}
	sbuf_setlen(m, w);
}

/* The date of a "From " line: see ingest_int.h. */
int ingest_mbox_from_date(const char *line, size_t len, sbuf *out)
{
	sbuf l = SBUF_INIT;
	const char *p;
	GDateTime *d;
	int rc = -1;

	if (len < 5 || memcmp(line, "From ", 5))
		return -1;
	ingest_gmime();
	utf8_sanitize(&l, line + 5, len - 5);
	p = l.buf;
	/* the sender ("From - Thu Jan ..." by Thunderbird, none at all
	 * when the line goes on with a space) */
	if (*p != ' ' && *p != '\t')
		while (*p && *p != ' ' && *p != '\t')
			p++;
	while (*p == ' ' || *p == '\t')
		p++;
	/* asctime, with or without seconds, a zone name or an offset, "remote
	 * from": GMime's date parser reads them all */
	d = *p ? g_mime_utils_header_decode_date(p) : NULL;
	if (d) {
		int y = g_date_time_get_year(d);
		if (y >= 1970 && y <= 2999) {
			char *f = g_date_time_format(d, "%Y-%m-%dT%H:%M:%S");
			if (f)
				sbuf_adds(out, f);
			rc = f ? 0 : -1;
			g_free(f);
		}
		g_date_time_unref(d);
	}
	sbuf_release(&l);
	return rc;
}

/* One message of the mbox: [begin, end) of the file, the blank line that
 * separates it from the next "From " line not included; from_date is the
 * date its "From " line gave (NULL none). */
static int mbox_message(const ingest_ctx *ctx, const char *origin, const mbox_src *s, long nth,
			int64_t begin, int64_t end, const char *from_date, time_t mtime)
{
	sbuf where = SBUF_INIT, m = SBUF_INIT;
	int rc;

	sbuf_addf(&where, "%s: message %ld (byte %lld)", origin, nth, (long long)begin);
	if (end - begin > (int64_t)ingest_max_file_size(ctx)) {
		char sha[65];
		if (mbox_sha_range(s, begin, end - begin, sha) < 0) {
			sbuf_release(&where);
			return -1;
		}
		rc = ingest_emit_problem(ctx, INGEST_ITEM_QUARANTINE, NULL, 0, sha, 0,
					 "%s: e-mail too large (%lld bytes, limit %zu)", where.buf,
					 (long long)(end - begin), ingest_max_file_size(ctx));
		sbuf_release(&where);
		return rc;
	}
	if (mbox_read(s, begin, (size_t)(end - begin), &m) < 0) {
		sbuf_release(&where);
		sbuf_release(&m);
		return -1;
	}
	if (m.len >= 2 && m.buf[m.len - 1] == '\n' && m.buf[m.len - 2] == '\n')
		sbuf_setlen(&m, m.len - 1);
	else if (m.len >= 4 && !memcmp(m.buf + m.len - 4, "\r\n\r\n", 4))
		sbuf_setlen(&m, m.len - 2);
	mbox_unquote(&m);
	rc = email_message(ctx, where.buf, m.buf, m.len, from_date, mtime);
	sbuf_release(&where);
	sbuf_release(&m);
	return rc;
}

#define MBOX_CHUNK 65536
#define MBOX_FROM_MAX 1024         /* bytes of a "From " line looked at */

/* The "From " line at off: its first MBOX_FROM_MAX bytes in line, and
 * where the message after it begins (past its newline) in *next. */
static int mbox_from_line(const mbox_src *s, int64_t off, int64_t total, sbuf *line,
			  int64_t *next)
{
	sbuf chunk = SBUF_INIT;
	int64_t at = off;

	sbuf_reset(line);
	while (at < total) {
		size_t n = total - at > MBOX_CHUNK ? MBOX_CHUNK : (size_t)(total - at);
		const char *nl;

		sbuf_reset(&chunk);
		if (mbox_read(s, at, n, &chunk) < 0) {
			sbuf_release(&chunk);
			return -1;
		}
		nl = memchr(chunk.buf, '\n', n);
		if (line->len < MBOX_FROM_MAX) {
			size_t k = nl ? (size_t)(nl - chunk.buf) : n;
			sbuf_add(line, chunk.buf, k < MBOX_FROM_MAX - line->len ? k : MBOX_FROM_MAX - line->len);
		}
		if (nl) {
			*next = at + (nl - chunk.buf) + 1;
			sbuf_release(&chunk);
			return 0;
		}
		at += (int64_t)n;
	}
	*next = total;
	sbuf_release(&chunk);
	return 0;
}

/* Splits the mbox on lines starting with "From " (what GMime's mbox parser
 * splits on, and what mboxrd quoting protects) without building any MIME
 * tree: each message is parsed once, on its own, within the part bound
 * (email_parts_bound).  Read in chunks, so a large mbox costs one message
 * at a time; each message's bytes run from its headers to the next "From "
 * line, so the stored raw message is exactly what was sent.  Bytes before
 * the first "From " line belong to no message. */
static int mbox_split(const ingest_ctx *ctx, const char *origin, const mbox_src *s, int64_t total,
		      time_t mtime)
{
	sbuf chunk = SBUF_INIT, line = SBUF_INIT, date = SBUF_INIT;
	int64_t pos = 0, begin = -1;
	long nth = 0;
	int rc = 0, bol = 1, dated = 0;

	while (!rc && pos < total) {
		size_t n = total - pos > MBOX_CHUNK ? MBOX_CHUNK : (size_t)(total - pos), i;
		int64_t adv = (int64_t)n;

		sbuf_reset(&chunk);
		if (mbox_read(s, pos, n, &chunk) < 0) {
			rc = -1;
			break;
		}
		for (i = 0; i < n; i++) {
			if (bol && chunk.buf[i] == 'F') {
				int64_t at = pos + (int64_t)i, next;

				if (n - i < 5 && pos + (int64_t)n < total) {
					adv = (int64_t)i;   /* read on from this line */
					break;
				}
				if (n - i >= 5 && !memcmp(chunk.buf + i, "From ", 5)) {
					if (begin >= 0)
						rc = mbox_message(ctx, origin, s, ++nth, begin, at,
								  dated ? date.buf : NULL, mtime);
					if (!rc && mbox_from_line(s, at, total, &line, &next) < 0)
						rc = -1;
					if (rc)
						break;
					sbuf_reset(&date);
					dated = ingest_mbox_from_date(line.buf, line.len, &date) == 0;
					begin = next;
					adv = next - pos;
					break;   /* bol stays 1: next starts a line */
				}
			}
			bol = chunk.buf[i] == '\n';
		}
		pos += adv;
	}
	if (!rc && begin >= 0 && total > begin)
		rc = mbox_message(ctx, origin, s, ++nth, begin, total, dated ? date.buf : NULL, mtime);
	if (!rc && nth == 0) {
		char sha[65];
		if (mbox_sha_range(s, 0, total, sha) < 0)
			rc = -1;
		else
			rc = ingest_emit_problem(ctx, INGEST_ITEM_QUARANTINE, NULL, 0, sha, 0,
						 "%s: no message in this mbox (expected \"From \" lines "
						 "each followed by a message)", origin);
	}
	sbuf_release(&chunk);
	sbuf_release(&line);
	sbuf_release(&date);
	return rc;
}

int ingest_mbox_fd(const ingest_ctx *ctx, const char *origin, int fd, time_t mtime)
{
	mbox_src s = { fd, NULL, 0 };
	off_t total = lseek(fd, 0, SEEK_END);

	if (total < 0)
		return -1;
	return mbox_split(ctx, origin, &s, (int64_t)total, mtime);
}

int ingest_mbox_buffer(const ingest_ctx *ctx, const char *origin, const char *data, size_t len,
		       time_t mtime)
{
	mbox_src s = { -1, data, len };

	return mbox_split(ctx, origin ? origin : "(mbox)", &s, (int64_t)len, mtime);
}
