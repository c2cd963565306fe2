/*
 * avvikxml.c - the avvik export XML (schema/README.md, urn:avvik:export:1),
 * streamed record by record.
 *
 * Two passes, so memory does not grow with the file and a file that is not
 * well-formed is quarantined whole with nothing of it stored:
 *   1. the streaming scan in xml.c (SAX, no tree): well-formedness, no DTD,
 *      the root element and its namespace;
 *   2. xmlTextReader: each <avvik> is expanded, mapped, handed to the sink
 *      and freed before the next is read.
 *
 * Mapping (element names in urn:avvik:export:1):
 *   ext_id "<system>:<@id>", channel "avvik-xml", raw = the record's outer
 *   XML; reported-at / received-at / event-date through date_normalize
 *   (invalid -> the record is quarantined); reporter, concerned ->
 *   organisation, unit, @type (type_hint), @her-id, @org-nr (spaces dropped);
 *   subject; category -> source_category; severity; patient-related
 *   (true/false/1/0/ja/nei, else unknown); patient-id -> patient_key only
 *   (and patient_related 1 when not stated); description -> text (line
 *   breaks kept); attachment -> name, mime-type, size (-1 unknown).
 *   Missing @id, reported-at, reporter, concerned, their organisation or
 *   description -> that record is quarantined.
 */
#include "ingest/ingest_int.h"

#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include <libxml/parser.h>
#include <libxml/tree.h>
#include <libxml/xmlreader.h>

#include <openssl/evp.h>

#define AX INGEST_NS_AVVIK

/* Where the bytes come from: a buffer, or a regular file (fd >= 0). */
typedef struct {
	const char *data;
	size_t len;
	int fd;
} ingest_ax_src;

/* A record-level problem: filled, then emitted as QUARANTINE. */
typedef struct {
	sbuf why;
} ingest_ax_problem;

static int ingest_ax_fail(ingest_ax_problem *p, const char *fmt, ...) AVVIK_PRINTF(2, 3);

static int ingest_ax_fail(ingest_ax_problem *p, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	sbuf_vaddf(&p->why, fmt, ap);
	va_end(ap);
	return -1;
}

/* A date element: absent is fine unless required; invalid never is. */
static int ingest_ax_date(const xmlNode *rec, const char *name, int required, const char *id,
			  char **out, ingest_ax_problem *p)
{
	const xmlNode *el = ingest_xml_child(rec, AX, name);
	char *v = ingest_xml_text(el);
	sbuf d = SBUF_INIT;

	if (!v) {
		if (required)
			return ingest_ax_fail(p, "avvik id=%s: missing <%s>", id, name);
		return 0;
	}
	if (date_normalize(v, &d) < 0) {
		ingest_ax_fail(p,
			       "avvik id=%s: <%s> '%s' is not a date (expected YYYY-MM-DD or ISO 8601 date-time)",
			       id, name, v);
		free(v);
		sbuf_release(&d);
		return -1;
	}
	free(v);
	*out = sbuf_detach(&d, NULL);
	return 0;
}

static char *ingest_ax_strip_spaces(char *s)
{
	char *r, *w;

	if (!s)
		return NULL;
	for (r = w = s; *r; r++)
		if (*r != ' ')
			*w++ = *r;
	*w = '\0';
	return s;
}

static int ingest_ax_party(const xmlNode *rec, const char *name, const char *id, avvik_party *party,
			   ingest_ax_problem *p)
{
	const xmlNode *el = ingest_xml_child(rec, AX, name);

	if (!el)
		return ingest_ax_fail(p, "avvik id=%s: missing <%s>", id, name);
	party->name = ingest_xml_text(ingest_xml_child(el, AX, "organisation"));
	if (!party->name)
		return ingest_ax_fail(p, "avvik id=%s: missing <%s>/<organisation>", id, name);
	party->unit = ingest_xml_text(ingest_xml_child(el, AX, "unit"));
	party->type_hint = ingest_xml_attr(el, "type");
	party->her_id = ingest_ax_strip_spaces(ingest_xml_attr(el, "her-id"));
	party->org_nr = ingest_ax_strip_spaces(ingest_xml_attr(el, "org-nr"));
	return 0;
}

/* xs:boolean, plus the Norwegian words people put there; -1 unknown. */
static int ingest_ax_bool(const char *v)
{
	static const char *const yes[] = { "true", "1", "ja", "yes", NULL };
	static const char *const no[] = { "false", "0", "nei", "no", NULL };
	size_t i;

	for (i = 0; v && yes[i]; i++)
		if (!strcasecmp(v, yes[i]))
			return 1;
	for (i = 0; v && no[i]; i++)
		if (!strcasecmp(v, no[i]))
			return 0;
	return -1;
}

static int64_t ingest_ax_size(const char *v)
{
	char *end;
	long long n;

	if (!v)
		return -1;
	errno = 0;
	n = strtoll(v, &end, 10);
	if (errno || *end || end == v || n < 0)
		return -1;
	return (int64_t)n;
}

/* One <avvik> subtree -> r.  -1 with p->why set when it must be quarantined. */
static int ingest_ax_record(const ingest_ctx *ctx, const char *origin, const char *system,
			    const xmlNode *rec, avvik_record *r, ingest_ax_problem *p)
{
	const xmlNode *el;
	char *id = ingest_xml_attr(rec, "id");
	char *v;
	sbuf b = SBUF_INIT;
	int rc = -1;

	if (!id)
		return ingest_ax_fail(p, "avvik: missing attribute id");
	sbuf_addf(&b, "%s:%s", system, id);
	r->ext_id = sbuf_detach(&b, NULL);
	r->source = xstrdup(ctx->source ? ctx->source : "path");
	r->channel = xstrdup("avvik-xml");
	r->origin = xstrdup(origin);
	if (ingest_ax_date(rec, "reported-at", 1, id, &r->reported_at, p) < 0 ||
	    ingest_ax_date(rec, "received-at", 0, id, &r->received_at, p) < 0 ||
	    ingest_ax_date(rec, "event-date", 0, id, &r->event_date, p) < 0 ||
	    ingest_ax_party(rec, "reporter", id, &r->reporter, p) < 0 ||
	    ingest_ax_party(rec, "concerned", id, &r->concerned, p) < 0)
		goto out;
	r->subject = ingest_xml_text(ingest_xml_child(rec, AX, "subject"));
	r->source_category = ingest_xml_text(ingest_xml_child(rec, AX, "category"));
	r->severity = ingest_xml_text(ingest_xml_child(rec, AX, "severity"));
	v = ingest_xml_text(ingest_xml_child(rec, AX, "patient-related"));
	r->patient_related = ingest_ax_bool(v);
	free(v);
	v = ingest_xml_text(ingest_xml_child(rec, AX, "patient-id"));
	if (v) {
		/* never stored: only the keyed pseudonym */
		r->patient_key = ingest_patient_key(ctx, v, 1);
		if (r->patient_related < 0)
			r->patient_related = 1;
		free(v);
	}
	el = ingest_xml_child(rec, AX, "description");
	if (!el) {
		ingest_ax_fail(p, "avvik id=%s: missing <description>", id);
		goto out;
	}
	ingest_xml_flatten(el, &b);
	if (b.len)
		r->text = sbuf_detach(&b, NULL);
	for (el = ingest_xml_child(rec, AX, "attachment"); el;
	     el = ingest_xml_next(el, AX, "attachment")) {
		char *name = ingest_xml_attr(el, "name");
		char *mime = ingest_xml_attr(el, "mime-type");
		char *size = ingest_xml_attr(el, "size");

		avvik_record_add_attachment(r, name ? name : "vedlegg", mime, ingest_ax_size(size));
		free(name);
		free(mime);
		free(size);
	}
	rc = 0;
out:
	sbuf_release(&b);
	free(id);
	return rc;
}

/* The reader's current element is <avvik>: map it and emit one item.
 * Returns the sink's value; *broken is set when the subtree could not be
 * read.  libxml2 errors stay captured in err except during the sink call. */
static int ingest_ax_emit(const ingest_ctx *ctx, const char *origin, const char *system,
			  xmlTextReaderPtr reader, ingest_xml_errors *err, int *broken)
{
	ingest_ax_problem prob;
	avvik_record rec;
	xmlChar *outer;
	xmlNode *node;
	long line;
	int rc;

	/* outer XML first: it is the item's raw bytes (UTF-8, namespace kept) */
	outer = xmlTextReaderReadOuterXml(reader);
	node = xmlTextReaderExpand(reader);
	if (!node || err->n) {
		/* never hand on a record read only in part */
		xmlFree(outer);
		*broken = 1;
		return 0;
	}
	line = ingest_xml_line(node);
	sbuf_init(&prob.why, 0);
	avvik_record_init(&rec);
	ingest_xml_errors_end(err);   /* the sink may use libxml2 itself */
	if (ingest_ax_record(ctx, origin, system, node, &rec, &prob) < 0)
		rc = ingest_emit_problem(ctx, INGEST_ITEM_QUARANTINE, (const char *)outer,
					 outer ? strlen((const char *)outer) : 0, NULL, line,
					 "%s:%ld: %s", origin, line, prob.why.buf);
	else
		rc = ingest_emit_record(ctx, NULL, &rec, (const char *)outer,
					outer ? strlen((const char *)outer) : 0, line);
	ingest_xml_errors_resume(err);
	avvik_record_clear(&rec);
	sbuf_release(&prob.why);
	xmlFree(outer);
	return rc;
}

/* Emits the whole input as one QUARANTINE item.  From a file, the bytes
 * are attached only when they fit max_file_size; the hash always is. */
static int ingest_ax_quarantine_file(const ingest_ctx *ctx, const char *origin,
				     const ingest_ax_src *src, const char *sha, long line,
				     const char *why)
{
	sbuf all = SBUF_INIT;
	const char *raw = src->data;
	size_t len = src->len;
	int rc;

	if (src->fd >= 0) {
		char buf[65536];
		off_t off = 0;
		ssize_t n;

		raw = NULL;
		len = 0;
		while ((n = pread(src->fd, buf, sizeof buf, off)) > 0) {
			if (all.len + (size_t)n > ingest_max_file_size(ctx))
				break;
			sbuf_add(&all, buf, (size_t)n);
			off += n;
		}
		if (n == 0) {
			raw = all.buf;
			len = all.len;
		}
	}
	if (line > 0)
		rc = ingest_emit_problem(ctx, INGEST_ITEM_QUARANTINE, raw, len, sha, line,
					 "%s:%ld: %s", origin, line, why);
	else
		rc = ingest_emit_problem(ctx, INGEST_ITEM_QUARANTINE, raw, len, sha, 0, "%s: %s",
					 origin, why);
	sbuf_release(&all);
	return rc;
}

/* Pass 2 reads the file through this, so that what is hashed is exactly
 * what was parsed: a file rewritten between the passes (or during pass 2)
 * shows as a different hash, never as a record silently missing. */
typedef struct {
	int fd;
	EVP_MD_CTX *md;
	int failed;
} ingest_ax_io;

static int ingest_ax_io_read(void *ctx, char *buf, int len)
{
	ingest_ax_io *io = ctx;
	ssize_t n;

	do
		n = read(io->fd, buf, (size_t)len);
	while (n < 0 && errno == EINTR);
	if (n < 0) {
		io->failed = 1;
		return -1;
	}
	EVP_DigestUpdate(io->md, buf, (size_t)n);
	return (int)n;
}

static int ingest_ax_io_close(void *ctx)
{
	(void)ctx;   /* the fd is the caller's */
	return 0;
}

/* The rest of the file after the parser stopped, into the hash; the hex
 * digest into out.  0, or -1 when the file could not be read. */
static int ingest_ax_io_finish(ingest_ax_io *io, char out[65])
{
	unsigned char digest[EVP_MAX_MD_SIZE];
	unsigned int dlen = 0, i;
	char buf[65536];

	while (!io->failed && ingest_ax_io_read(io, buf, (int)sizeof buf) > 0)
		;
	EVP_DigestFinal_ex(io->md, digest, &dlen);
	for (i = 0; i < dlen && i < 32; i++)
		snprintf(out + 2 * i, 3, "%02x", digest[i]);
	out[64] = '\0';
	return io->failed ? -1 : 0;
}

/* A child of the root that pass 1 found nested too deep: quarantined
 * alone, and skipped. */
static int ingest_ax_deep(const ingest_ctx *ctx, const char *origin, xmlTextReaderPtr reader,
			  long line)
{
	xmlChar *outer = xmlTextReaderReadOuterXml(reader);
	int rc;

	rc = ingest_emit_problem(ctx, INGEST_ITEM_QUARANTINE, (const char *)outer,
				 outer ? strlen((const char *)outer) : 0, NULL, line,
				 "%s:%ld: record nested deeper than %d levels", origin, line,
				 INGEST_XML_MAX_DEPTH);
	xmlFree(outer);
	return rc;
}

static int ingest_ax_run(const ingest_ctx *ctx, const char *origin, const ingest_ax_src *src)
{
	ingest_xml_scan scan;
	ingest_xml_errors err;
	xmlTextReaderPtr reader = NULL;
	ingest_ax_io io = { src->fd, NULL, 0 };
	char sha[65], sha2[65];
	char *system = NULL;
	sbuf why = SBUF_INIT;
	long why_line = 0, emitted = 0, child = 0;
	size_t next_deep = 0;
	int ret, rc = 0, changed = 0;

	/* pass 1: is the whole file well-formed, DTD-free, ours? */
	ingest_xml_scan_init(&scan);
	if (src->fd >= 0) {
		if (lseek(src->fd, 0, SEEK_SET) < 0 ||
		    ingest_xml_scan_fd(src->fd, origin, &scan, sha) < 0) {
			int saved = errno;
			ingest_xml_scan_release(&scan);
			errno = saved;
			return -1;
		}
	} else {
		ingest_sha256_hex(src->data, src->len, sha);
		ingest_xml_scan_memory(src->data, src->len, origin, 0, &scan);
	}
	if (!scan.ok) {
		rc = ingest_ax_quarantine_file(ctx, origin, src, sha, scan.line, scan.error.buf);
		goto out_scan;
	}
	if (strcmp(scan.root_name.buf, "avvik-export") || strcmp(scan.root_ns.buf, AX)) {
		sbuf_addf(&why, "not an avvik export (root element %s in namespace %s)",
			  scan.root_name.buf, scan.root_ns.len ? scan.root_ns.buf : "(none)");
		rc = ingest_ax_quarantine_file(ctx, origin, src, sha, 0, why.buf);
		goto out_scan;
	}

	/* pass 2: record by record.  HUGE only lifts the depth limit here:
	 * pass 1 held the file to every other limit, and the records nested
	 * too deep are skipped, not expanded. */
	ingest_xml_errors_begin(&err);
	if (src->fd >= 0) {
		io.md = EVP_MD_CTX_new();
		if (io.md && EVP_DigestInit_ex(io.md, EVP_sha256(), NULL) &&
		    lseek(src->fd, 0, SEEK_SET) == 0)
			reader = xmlReaderForIO(ingest_ax_io_read, ingest_ax_io_close, &io, origin,
						NULL, ingest_xml_options() | XML_PARSE_HUGE);
	} else if (src->len <= INT_MAX) {
		reader = xmlReaderForMemory(src->data, (int)src->len, origin, NULL,
					    ingest_xml_options() | XML_PARSE_HUGE);
	}
	if (!reader) {
		ingest_xml_errors_end(&err);
		sbuf_adds(&why, "cannot read the export a second time");
		goto out_err;
	}
	ret = xmlTextReaderRead(reader);
	while (ret == 1 && rc == 0) {
		int type = xmlTextReaderNodeType(reader);
		int depth = xmlTextReaderDepth(reader);

		if (type == XML_READER_TYPE_ELEMENT && depth == 0) {
			xmlChar *sys = xmlTextReaderGetAttribute(reader, (const xmlChar *)"system");
			xmlChar *ver = xmlTextReaderGetAttribute(reader, (const xmlChar *)"version");
			long line = ingest_xml_line(xmlTextReaderCurrentNode(reader));

			free(system);
			system = NULL;
			if (sys) {
				sbuf s = SBUF_INIT;
				utf8_sanitize(&s, (const char *)sys, strlen((const char *)sys));
				sbuf_squeeze_space(&s);
				if (s.len)
					system = sbuf_detach(&s, NULL);
				sbuf_release(&s);
			}
			if (!system || !ver || strncmp((const char *)ver, "1.", 2)) {
				why_line = line;
				if (!system)
					sbuf_adds(&why, "avvik-export: missing attribute system");
				else if (!ver)
					sbuf_adds(&why, "avvik-export: missing attribute version");
				else
					sbuf_addf(&why, "avvik-export: unsupported version '%s' (expected 1.0)",
						  (const char *)ver);
			}
			xmlFree(sys);
			xmlFree(ver);
			if (why.len)
				break;
		} else if (type == XML_READER_TYPE_ELEMENT && depth == 1 &&
			   next_deep < scan.n_deep && scan.deep[next_deep] == ++child) {
			ingest_xml_errors_end(&err);
			rc = ingest_ax_deep(ctx, origin, reader, scan.deep_line[next_deep]);
			ingest_xml_errors_resume(&err);
			next_deep++;
			ret = xmlTextReaderNext(reader);
			continue;
		} else if (type == XML_READER_TYPE_ELEMENT && depth == 1 &&
			   !strcmp((const char *)xmlTextReaderConstLocalName(reader), "avvik") &&
			   xmlTextReaderConstNamespaceUri(reader) &&
			   !strcmp((const char *)xmlTextReaderConstNamespaceUri(reader), AX)) {
			int broken = 0;

			rc = ingest_ax_emit(ctx, origin, system, reader, &err, &broken);
			if (broken) {
				ret = -1;
				break;
			}
			emitted++;
			ret = xmlTextReaderNext(reader);   /* skips (and frees) the subtree */
			continue;
		}
		ret = xmlTextReaderRead(reader);
	}
	ingest_xml_errors_end(&err);
	if (src->fd >= 0 && !why.len && rc == 0) {
		/* pass 1 said well-formed and within every limit: a failure now,
		 * or other bytes than pass 1 hashed, mean the file changed */
		if (ingest_ax_io_finish(&io, sha2) < 0)
			changed = -1;
		else if (ret < 0 || err.n || strcmp(sha, sha2))
			changed = 1;
	} else if (!why.len && rc == 0 && (ret < 0 || err.n)) {
		why_line = err.line;
		sbuf_addf(&why, "second pass failed after %ld records: %s", emitted,
			  err.msg.len ? err.msg.buf : "read error");
	}
	xmlFreeTextReader(reader);
out_err:
	ingest_xml_errors_release(&err);
	if (why.len && rc == 0)
		rc = ingest_ax_quarantine_file(ctx, origin, src, sha, why_line, why.buf);
out_scan:
	EVP_MD_CTX_free(io.md);
	free(system);
	sbuf_release(&why);
	ingest_xml_scan_release(&scan);
	if (changed) {
		/* nothing of it may be kept: the caller rolls back, the next
		 * run reads it again whole */
		errno = changed < 0 ? EIO : ESTALE;
		return -1;
	}
	return rc;
}

int ingest_avvikxml_buffer(const ingest_ctx *ctx, const char *origin, const char *data,
			   size_t len)
{
	ingest_ax_src src = { data ? data : "", data ? len : 0, -1 };

	return ingest_ax_run(ctx, origin, &src);
}

int ingest_avvikxml_fd(const ingest_ctx *ctx, const char *origin, int fd)
{
	ingest_ax_src src = { NULL, 0, fd };

	return ingest_ax_run(ctx, origin, &src);
}
