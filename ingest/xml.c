/*
 * xml.c - what both XML parsers share: the safe parser options, capture of
 * libxml2's errors, a streaming safety/well-formedness scan (SAX, no tree)
 * that refuses DTDs before anything could be expanded, and DOM helpers that
 * match names by namespace URI, never by prefix.
 */
#include "ingest/ingest_int.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include <libxml/SAX2.h>
#include <libxml/parser.h>
#include <libxml/parserInternals.h>
#include <libxml/tree.h>
#include <libxml/xmlerror.h>

#include <openssl/evp.h>

#define INGEST_SCAN_CHUNK 65536
#define INGEST_DETECT_LIMIT 65536

int ingest_xml_options(void)
{
	/* NONET: no network; no NOENT (entities stay unexpanded), no DTDLOAD /
	 * DTDATTR / DTDVALID, no HUGE (libxml2's size limits stay in force);
	 * BIG_LINES so line numbers above 65535 are right in messages. */
	return XML_PARSE_NONET | XML_PARSE_NOCDATA | XML_PARSE_BIG_LINES;
}

size_t ingest_max_file_size(const ingest_ctx *ctx)
{
	return ctx && ctx->max_file_size ? ctx->max_file_size : INGEST_DEFAULT_MAX_FILE_SIZE;
}

/* ---- error capture ---- */

static void ingest_xml_serror(void *ud, xmlErrorPtr err)
{
	ingest_xml_errors *e = ud;

	if (!err || err->level < XML_ERR_ERROR)
		return;     /* warnings (e.g. relative namespace URIs) are not failures */
	if (e->n++ == 0) {
		e->code = err->code;
		e->line = err->line;
		sbuf_reset(&e->msg);
		if (err->message)
			utf8_sanitize(&e->msg, err->message, strlen(err->message));
		sbuf_squeeze_space(&e->msg);
	}
}

static void AVVIK_PRINTF(2, 3) ingest_xml_gerror(void *ud, const char *fmt, ...)
{
	ingest_xml_errors *e = ud;
	sbuf tmp = SBUF_INIT;
	va_list ap;

	/* Generic messages come in pieces and only outside the parser proper;
	 * keep the text when nothing better was captured, print nothing. */
	if (e->n || e->msg.len > 200)
		return;
	va_start(ap, fmt);
	sbuf_vaddf(&tmp, fmt, ap);
	va_end(ap);
	utf8_sanitize(&e->msg, tmp.buf, tmp.len);
	sbuf_release(&tmp);
}

void ingest_xml_errors_begin(ingest_xml_errors *e)
{
	e->n = 0;
	e->code = 0;
	e->line = 0;
	sbuf_init(&e->msg, 0);
	ingest_xml_errors_resume(e);
}

void ingest_xml_errors_resume(ingest_xml_errors *e)
{
	e->saved_ctx_[0] = xmlStructuredErrorContext;
	e->saved_fn_[0] = (void (*)(void))xmlStructuredError;
	e->saved_ctx_[1] = xmlGenericErrorContext;
	e->saved_fn_[1] = (void (*)(void))xmlGenericError;
	xmlSetStructuredErrorFunc(e, ingest_xml_serror);
	xmlSetGenericErrorFunc(e, ingest_xml_gerror);
}

void ingest_xml_errors_end(ingest_xml_errors *e)
{
	xmlSetStructuredErrorFunc(e->saved_ctx_[0], (xmlStructuredErrorFunc)e->saved_fn_[0]);
	xmlSetGenericErrorFunc(e->saved_ctx_[1], (xmlGenericErrorFunc)e->saved_fn_[1]);
	sbuf_squeeze_space(&e->msg);
}

void ingest_xml_errors_release(ingest_xml_errors *e)
{
	sbuf_release(&e->msg);
}

/* ---- the streaming scan ---- */

typedef struct {
	xmlParserCtxtPtr pc;
	ingest_xml_scan *s;
	int detect;
	int depth;
	int decided;       /* detect mode: the format is clear, stop */
	int refused;       /* a DTD (or an over-long text) was refused */
	size_t text_len;   /* length of the text node being read */
} ingest_scan_state;

static void ingest_scan_stop(ingest_scan_state *st, const char *prefix, const char *why)
{
	if (!st->refused) {
		st->refused = 1;
		st->s->line = st->pc ? xmlSAX2GetLineNumber(st->pc) : 0;
		sbuf_reset(&st->s->error);
		sbuf_addf(&st->s->error, "%s%s", prefix, why);
	}
	if (st->pc)
		xmlStopParser(st->pc);
}

static void ingest_scan_refuse(ingest_scan_state *st, const char *why)
{
	ingest_scan_stop(st, "DTDs are not accepted ", why);
}

/* Text between two pieces of markup becomes one text node when a tree is
 * built, and libxml2 refuses text nodes over XML_MAX_TEXT_LENGTH there
 * (not in SAX): check it here, so that a file this scan passes can also be
 * read into a tree. */
static void ingest_scan_characters(void *ud, const xmlChar *ch, int len)
{
	ingest_scan_state *st = ud;

	(void)ch;
	st->text_len += (size_t)len;
	if (st->text_len > XML_MAX_TEXT_LENGTH)
		ingest_scan_stop(st, "not accepted: ", "a text node is larger than libxml2's limit "
			    "of 10000000 bytes");
}

static void ingest_scan_markup(void *ud, const xmlChar *a, const xmlChar *b)
{
	(void)a;
	(void)b;
	((ingest_scan_state *)ud)->text_len = 0;
}

static void ingest_scan_comment(void *ud, const xmlChar *value)
{
	(void)value;
	((ingest_scan_state *)ud)->text_len = 0;
}

static void ingest_scan_internal_subset(void *ud, const xmlChar *name, const xmlChar *ext_id,
					const xmlChar *sys_id)
{
	(void)name;
	if (ext_id || sys_id)
		ingest_scan_refuse(ud, "(the DOCTYPE references an external DTD)");
}

static void ingest_scan_entity_decl(void *ud, const xmlChar *name, int type, const xmlChar *pub,
				    const xmlChar *sys, xmlChar *content)
{
	(void)name; (void)type; (void)pub; (void)sys; (void)content;
	ingest_scan_refuse(ud, "(the document declares entities)");
}

static void ingest_scan_unparsed_entity_decl(void *ud, const xmlChar *name, const xmlChar *pub,
					     const xmlChar *sys, const xmlChar *notation)
{
	(void)name; (void)pub; (void)sys; (void)notation;
	ingest_scan_refuse(ud, "(the document declares entities)");
}

static void ingest_scan_attribute_decl(void *ud, const xmlChar *elem, const xmlChar *fullname,
				       int type, int def, const xmlChar *default_value,
				       xmlEnumerationPtr tree)
{
	(void)elem; (void)fullname; (void)type; (void)def; (void)default_value;
	xmlFreeEnumeration(tree);   /* the handler owns it */
	/* internal-subset defaults would be applied even without DTDATTR */
	ingest_scan_refuse(ud, "(the document declares attribute defaults)");
}

static void ingest_scan_element_decl(void *ud, const xmlChar *name, int type,
				     xmlElementContentPtr content)
{
	(void)name; (void)type; (void)content;
	ingest_scan_refuse(ud, "(the document declares elements)");
}

static void ingest_scan_notation_decl(void *ud, const xmlChar *name, const xmlChar *pub,
				      const xmlChar *sys)
{
	(void)name; (void)pub; (void)sys;
	ingest_scan_refuse(ud, "(the document declares notations)");
}

static int ingest_is_kith_ns(const xmlChar *uri)
{
	const char *u = (const char *)uri;

	return u && (!strcmp(u, INGEST_NS_MSGHEAD) || !strcmp(u, INGEST_NS_APPREC10) ||
		     !strcmp(u, INGEST_NS_APPREC11));
}

static void ingest_scan_start(void *ud, const xmlChar *localname, const xmlChar *prefix,
			      const xmlChar *uri, int nb_namespaces, const xmlChar **namespaces,
			      int nb_attributes, int nb_defaulted, const xmlChar **attributes)
{
	ingest_scan_state *st = ud;

	st->text_len = 0;
	(void)prefix; (void)nb_namespaces; (void)namespaces;
	(void)nb_attributes; (void)nb_defaulted; (void)attributes;
	if (st->depth == 1)
		st->s->children++;
	if (st->depth >= INGEST_XML_MAX_DEPTH) {
		ingest_xml_scan *s = st->s;
		if (st->depth >= INGEST_XML_DOC_MAX_DEPTH) {
			ingest_scan_stop(st, "", "elements nested deeper than "
					 INGEST_XSTR(INGEST_XML_DOC_MAX_DEPTH) " levels");
			return;
		}
		if (!s->n_deep || s->deep[s->n_deep - 1] != s->children) {
			if (s->n_deep == s->alloc_deep) {
				s->alloc_deep = s->alloc_deep ? 2 * s->alloc_deep : 8;
				s->deep = xrealloc(s->deep, s->alloc_deep * sizeof *s->deep);
				s->deep_line = xrealloc(s->deep_line,
							s->alloc_deep * sizeof *s->deep_line);
			}
			s->deep[s->n_deep] = s->children;
			s->deep_line[s->n_deep++] = xmlSAX2GetLineNumber(st->pc);
		}
	}
	if (st->depth++ == 0 && !st->s->reached_root) {
		st->s->reached_root = 1;
		sbuf_adds(&st->s->root_name, (const char *)localname);
		sbuf_adds(&st->s->root_ns, (const char *)uri);
		if (st->detect && uri &&
		    (ingest_is_kith_ns(uri) || !strcmp((const char *)uri, INGEST_NS_AVVIK)))
			st->decided = 1;
	}
	if (ingest_is_kith_ns(uri)) {
		st->s->kith_seen = 1;
		if (st->detect)
			st->decided = 1;
	}
	if (st->decided)
		xmlStopParser(st->pc);
}

static void ingest_scan_end(void *ud, const xmlChar *localname, const xmlChar *prefix,
			    const xmlChar *uri)
{
	ingest_scan_state *st = ud;

	(void)localname; (void)prefix; (void)uri;
	st->text_len = 0;
	st->depth--;
}

void ingest_xml_scan_init(ingest_xml_scan *s)
{
	memset(s, 0, sizeof *s);
	sbuf_init(&s->error, 0);
	sbuf_init(&s->root_name, 0);
	sbuf_init(&s->root_ns, 0);
}

void ingest_xml_scan_release(ingest_xml_scan *s)
{
	sbuf_release(&s->error);
	sbuf_release(&s->root_name);
	sbuf_release(&s->root_ns);
	free(s->deep);
	free(s->deep_line);
	s->deep = s->deep_line = NULL;
	s->n_deep = s->alloc_deep = 0;
}

/* One scan: begin() creates the push parser, feed() gives it bytes, end()
 * finishes and fills in s. */
typedef struct {
	ingest_scan_state st;
	ingest_xml_errors err;
	xmlSAXHandler sax;
} ingest_scan_run;

static void ingest_scan_begin(ingest_scan_run *run, ingest_xml_scan *s, const char *origin,
			      int detect)
{
	xmlInitParser();
	memset(&run->st, 0, sizeof run->st);
	run->st.s = s;
	run->st.detect = detect;
	memset(&run->sax, 0, sizeof run->sax);
	run->sax.initialized = XML_SAX2_MAGIC;
	run->sax.startElementNs = ingest_scan_start;
	run->sax.endElementNs = ingest_scan_end;
	run->sax.internalSubset = ingest_scan_internal_subset;
	run->sax.entityDecl = ingest_scan_entity_decl;
	run->sax.unparsedEntityDecl = ingest_scan_unparsed_entity_decl;
	run->sax.attributeDecl = ingest_scan_attribute_decl;
	run->sax.elementDecl = ingest_scan_element_decl;
	run->sax.notationDecl = ingest_scan_notation_decl;
	run->sax.characters = ingest_scan_characters;
	run->sax.cdataBlock = ingest_scan_characters;
	run->sax.processingInstruction = ingest_scan_markup;
	run->sax.comment = ingest_scan_comment;
	ingest_xml_errors_begin(&run->err);
	run->st.pc = xmlCreatePushParserCtxt(&run->sax, &run->st, NULL, 0, origin);
	if (run->st.pc)
		xmlCtxtUseOptions(run->st.pc, ingest_xml_options());
}

/* 0 to go on, 1 when the parse ended (error, refusal or decision). */
static int ingest_scan_feed(ingest_scan_run *run, const char *data, size_t len, int terminate)
{
	xmlParserCtxtPtr pc = run->st.pc;

	if (!pc)
		return 1;
	if (xmlParseChunk(pc, data, (int)len, terminate) != 0 && !run->st.decided)
		return 1;
	return run->st.refused || run->st.decided || pc->instate == XML_PARSER_EOF ||
	       (!pc->wellFormed);
}

static void ingest_scan_end_run(ingest_scan_run *run, int complete)
{
	ingest_xml_scan *s = run->st.s;
	xmlParserCtxtPtr pc = run->st.pc;
	int wf = pc && pc->wellFormed;

	ingest_xml_errors_end(&run->err);
	if (!pc) {
		sbuf_reset(&s->error);
		sbuf_adds(&s->error, "cannot create an XML parser");
	} else if (run->st.refused) {
		/* s->error and s->line were set by the refusal */
	} else if (run->err.n || (!wf && !run->st.decided) || (complete && !s->reached_root)) {
		sbuf_reset(&s->error);
		sbuf_adds(&s->error, s->reached_root ? "not well-formed XML: " : "not XML: ");
		if (run->err.code == XML_ERR_DOCUMENT_END && run->st.depth > 0)
			/* the push parser's word for a file cut short */
			sbuf_adds(&s->error, "premature end of data (the document ends inside an element)");
		else
			sbuf_adds(&s->error, run->err.msg.len ? run->err.msg.buf : "parse error");
		s->line = run->err.line;
	} else {
		s->ok = 1;
	}
	if (pc) {
		if (pc->myDoc)      /* the scan builds no tree, but be sure */
			xmlFreeDoc(pc->myDoc);
		pc->myDoc = NULL;
		xmlFreeParserCtxt(pc);
	}
	ingest_xml_errors_release(&run->err);
}

void ingest_xml_scan_memory(const char *data, size_t len, const char *origin, int detect,
			    ingest_xml_scan *s)
{
	ingest_scan_run run;
	size_t limit = detect && len > INGEST_DETECT_LIMIT ? INGEST_DETECT_LIMIT : len;
	size_t off = 0;
	int done = 0;

	ingest_scan_begin(&run, s, origin, detect);
	while (!done && off < limit) {
		size_t n = limit - off > INGEST_SCAN_CHUNK ? INGEST_SCAN_CHUNK : limit - off;
		/* a detection cut short must not be reported as truncated XML */
		int last = off + n == limit && limit == len;
		done = ingest_scan_feed(&run, data + off, n, last);
		off += n;
	}
	if (!done && (limit == len))
		ingest_scan_feed(&run, NULL, 0, 1);
	ingest_scan_end_run(&run, !detect || limit == len);
}

int ingest_xml_scan_fd(int fd, const char *origin, ingest_xml_scan *s, char sha256_hex[65])
{
	ingest_scan_run run;
	EVP_MD_CTX *md = EVP_MD_CTX_new();
	unsigned char digest[EVP_MAX_MD_SIZE];
	unsigned int dlen = 0, i;
	char *buf = xmalloc(INGEST_SCAN_CHUNK);
	int done = 0, rc = 0;

	if (!md || !EVP_DigestInit_ex(md, EVP_sha256(), NULL)) {
		free(buf);
		EVP_MD_CTX_free(md);
		errno = ENOMEM;
		return -1;
	}
	ingest_scan_begin(&run, s, origin, 0);
	for (;;) {
		ssize_t n = read(fd, buf, INGEST_SCAN_CHUNK);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			rc = -1;
			break;
		}
		if (n == 0) {
			if (!done)
				ingest_scan_feed(&run, NULL, 0, 1);
			break;
		}
		EVP_DigestUpdate(md, buf, (size_t)n);
		/* after an error keep reading only for the hash */
		if (!done)
			done = ingest_scan_feed(&run, buf, (size_t)n, 0);
	}
	{
		int saved = errno;
		ingest_scan_end_run(&run, 1);
		if (rc)
			s->ok = 0;
		errno = saved;
	}
	EVP_DigestFinal_ex(md, digest, &dlen);
	EVP_MD_CTX_free(md);
	free(buf);
	if (sha256_hex) {
		for (i = 0; i < dlen && i < 32; i++)
			snprintf(sha256_hex + 2 * i, 3, "%02x", digest[i]);
		sha256_hex[64] = '\0';
	}
	return rc;
}

/* ---- DOM helpers ---- */

int ingest_xml_is(const xmlNode *n, const char *ns, const char *name)
{
	if (!n || n->type != XML_ELEMENT_NODE || strcmp((const char *)n->name, name))
		return 0;
	if (!ns)
		return !n->ns || !n->ns->href || !*n->ns->href;
	return n->ns && n->ns->href && !strcmp((const char *)n->ns->href, ns);
}

xmlNode *ingest_xml_next(const xmlNode *n, const char *ns, const char *name)
{
	for (n = n ? n->next : NULL; n; n = n->next)
		if (ingest_xml_is(n, ns, name))
			return (xmlNode *)n;
	return NULL;
}

xmlNode *ingest_xml_child(const xmlNode *parent, const char *ns, const char *name)
{
	const xmlNode *c;

	if (!parent || parent->type != XML_ELEMENT_NODE)
		return NULL;
	for (c = parent->children; c; c = c->next)
		if (ingest_xml_is(c, ns, name))
			return (xmlNode *)c;
	return NULL;
}

xmlNode *ingest_xml_find(const xmlNode *n, const char *ns, const char *name)
{
	/* iterative pre-order walk: no recursion depth to worry about */
	const xmlNode *top = n;

	while (n) {
		if (ingest_xml_is(n, ns, name))
			return (xmlNode *)n;
		if (n->type == XML_ELEMENT_NODE && n->children) {
			n = n->children;
			continue;
		}
		while (n && n != top && !n->next)
			n = n->parent;
		if (!n || n == top)
			break;
		n = n->next;
	}
	return NULL;
}

static char *ingest_line_text(const char *s)
{
	sbuf b = SBUF_INIT;

	if (!s)
		return NULL;
	utf8_sanitize(&b, s, strlen(s));
	sbuf_squeeze_space(&b);
	if (!b.len) {
		sbuf_release(&b);
		return NULL;
	}
	return sbuf_detach(&b, NULL);
}

char *ingest_xml_text(const xmlNode *n)
{
	xmlChar *c;
	char *r;

	if (!n)
		return NULL;
	c = xmlNodeGetContent(n);
	r = ingest_line_text((const char *)c);
	xmlFree(c);
	return r;
}

char *ingest_xml_attr(const xmlNode *n, const char *name)
{
	xmlChar *c;
	char *r;

	if (!n || n->type != XML_ELEMENT_NODE)
		return NULL;
	c = xmlGetNoNsProp(n, (const xmlChar *)name);
	r = ingest_line_text((const char *)c);
	xmlFree(c);
	return r;
}

long ingest_xml_line(const xmlNode *n)
{
	return n ? xmlGetLineNo(n) : 0;
}

static int ingest_name_in(const char *name, const char *const *list)
{
	for (; *list; list++)
		if (!strcasecmp(name, *list))
			return 1;
	return 0;
}

/* Ends the current line unless output is empty or already ends one. */
static void ingest_newline(sbuf *out)
{
	if (out->len && out->buf[out->len - 1] != '\n')
		sbuf_addch(out, '\n');
}

static void ingest_flatten_rec(const xmlNode *n, sbuf *out, int markup, int depth)
{
	static const char *const block[] = {
		"p", "div", "li", "tr", "ul", "ol", "dl", "dt", "dd", "table", "thead", "tbody",
		"tfoot", "caption", "blockquote", "pre", "h1", "h2", "h3", "h4", "h5", "h6",
		"section", "article", "header", "footer", "address", "hr", "body", "html", NULL
	};
	static const char *const skip[] = { "head", "script", "style", "title", NULL };
	const xmlNode *c;

	for (c = n->children; c; c = c->next) {
		if (c->type == XML_TEXT_NODE || c->type == XML_CDATA_SECTION_NODE) {
			const char *t = (const char *)c->content;
			if (!t)
				continue;
			if (!markup) {
				sbuf_adds(out, t);
				continue;
			}
			/* in markup, line breaks in the source are only layout */
			for (; *t; t++)
				sbuf_addch(out, (*t == '\n' || *t == '\r' || *t == '\t') ? ' ' : *t);
		} else if (c->type == XML_ELEMENT_NODE) {
			const char *name = (const char *)c->name;
			int is_block = ingest_name_in(name, block);

			if (ingest_name_in(name, skip))
				continue;
			if (!strcasecmp(name, "br")) {
				sbuf_addch(out, '\n');
				continue;
			}
			if (!strcasecmp(name, "td") || !strcasecmp(name, "th"))
				sbuf_addch(out, ' ');
			if (is_block)
				ingest_newline(out);
			if (depth < 200)   /* libxml2 limits depth anyway */
				ingest_flatten_rec(c, out, markup, depth + 1);
			if (is_block)
				ingest_newline(out);
		}
		/* comments, PIs and (unexpanded) entity references add nothing */
	}
}

void ingest_xml_flatten(const xmlNode *n, sbuf *out)
{
	const xmlNode *c;
	int markup = 0;
	sbuf tmp = SBUF_INIT;

	if (!n)
		return;
	for (c = n->children; c; c = c->next)
		if (c->type == XML_ELEMENT_NODE)
			markup = 1;
	ingest_flatten_rec(n, &tmp, markup, 0);
	ingest_text_tidy(&tmp);
	if (markup) {
		/* blocks give line breaks; the white space between them no empty lines */
		size_t r, w = 0;
		for (r = 0; r < tmp.len; r++)
			if (!(tmp.buf[r] == '\n' && w && tmp.buf[w - 1] == '\n'))
				tmp.buf[w++] = tmp.buf[r];
		sbuf_setlen(&tmp, w);
	}
	if (tmp.len) {
		if (out->len)
			sbuf_adds(out, "\n\n");
		sbuf_add(out, tmp.buf, tmp.len);
	}
	sbuf_release(&tmp);
}

void ingest_text_tidy(sbuf *text)
{
	sbuf clean = SBUF_INIT, out = SBUF_INIT;
	size_t i;
	int empties = 0, space = 0;
	size_t line_start;

	utf8_sanitize(&clean, text->buf, text->len);
	line_start = out.len;
	for (i = 0; i <= clean.len; i++) {
		char c = i < clean.len ? clean.buf[i] : '\n';

		if (c == '\r') {
			if (i + 1 < clean.len && clean.buf[i + 1] == '\n')
				continue;
			c = '\n';
		}
		if (c == '\n') {
			if (out.len == line_start) {
				/* an empty line: remember it, emit at most one */
				if (out.len)
					empties++;
			} else {
				sbuf_addch(&out, '\n');
				empties = 0;
			}
			space = 0;
			line_start = out.len;
			continue;
		}
		if (c == ' ' || c == '\t' || c == '\v' || c == '\f') {
			space = 1;
			continue;
		}
		if (out.len == line_start && empties) {
			sbuf_addch(&out, '\n');
			line_start = out.len;
			empties = 0;
		}
		if (space && out.len > line_start)
			sbuf_addch(&out, ' ');
		space = 0;
		sbuf_addch(&out, c);
	}
	while (out.len && out.buf[out.len - 1] == '\n')
		sbuf_setlen(&out, out.len - 1);
	sbuf_release(&clean);
	sbuf_release(text);
	*text = out;
}
