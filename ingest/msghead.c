/*
 * msghead.c - KITH MsgHead v1.2 carrying Dialogmelding 1.0 or 1.1, to one
 * deviation record (DESIGN.md "Accepted input" 1, DOMAIN.md 2).
 *
 * The message is parsed into a DOM (messages are small; the size is capped
 * by ingest_ctx.max_file_size) only after the streaming scan in xml.c has
 * found it well-formed and free of DTDs.  Names are matched by namespace URI
 * and local name, never by prefix.  The Patient block is read for two things
 * only: that there is one, and the keyed pseudonym of its number (and its
 * names, to take them out of the free text).
 *
 * Mapping (mh = MsgHead namespace, dia = the Dialogmelding's namespace):
 *   ext_id = MsgInfo/MsgId; reported_at = MsgInfo/GenDate; channel "msghead";
 *   reporter = MsgInfo/Sender/Organisation, concerned = .../Receiver/
 *   Organisation: name = OrganisationName, her_id / org_nr = Ident with
 *   TypeId/@V HER / ENH (top level first, else the first sub-unit that has
 *   one), unit = nested OrganisationNames joined with ", ", type_hint
 *   "fastlege" when a HealthcareProfessional at any level has
 *   RoleToPatient/@V = 6;
 *   Dialogmelding (first one in a Document/RefDoc/Content): subject =
 *   Notat/Tema, else Sakstype, else Foresporsel/EmneSporsmal; text = every
 *   Notat/TekstNotatInnhold flattened (else every Foresporsel/Sporsmal);
 *   event_date = Notat/DatoNotat;
 *   attachments = the other Documents with a MimeType or a Base64Container:
 *   Description, else Id, else FileReference as the name; decoded size;
 *   patient_related = 1 with a Patient block, else 0; patient_key =
 *   pseudonym of its FNR/DNR Ident (or any valid fødselsnummer Ident);
 *   the Patient's names are blanked in every field, origin included.
 * No Dialogmelding -> SKIPPED; AppRec -> SKIPPED; missing MsgId, GenDate,
 * Sender or Receiver, or an invalid date -> QUARANTINE.
 */
#include "ingest/ingest_int.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <libxml/parser.h>
#include <libxml/tree.h>

#define MH INGEST_NS_MSGHEAD

/* Why a message did not become a record. */
typedef struct {
	ingest_item_kind kind;   /* SKIPPED or QUARANTINE */
	long line;
	sbuf why;                /* without the "origin:line: " prefix */
} ingest_mh_problem;

static int ingest_mh_fail(ingest_mh_problem *p, ingest_item_kind kind, const xmlNode *at,
			  const char *fmt, ...) AVVIK_PRINTF(4, 5);

static int ingest_mh_fail(ingest_mh_problem *p, ingest_item_kind kind, const xmlNode *at,
			  const char *fmt, ...)
{
	va_list ap;

	p->kind = kind;
	p->line = kind == INGEST_ITEM_QUARANTINE ? ingest_xml_line(at) : 0;
	va_start(ap, fmt);
	sbuf_vaddf(&p->why, fmt, ap);
	va_end(ap);
	return -1;
}

/* Value of TypeId/@V of an Ident whose children are in ns. */
static char *ingest_ident_type(const xmlNode *ident, const char *ns)
{
	return ingest_xml_attr(ingest_xml_child(ident, ns, "TypeId"), "V");
}

/* Id of an Ident with its spaces removed ("974 795 787" is common). */
static char *ingest_ident_id(const xmlNode *ident, const char *ns)
{
	char *id = ingest_xml_text(ingest_xml_child(ident, ns, "Id"));
	char *w, *r;

	if (!id)
		return NULL;
	for (r = w = id; *r; r++)
		if (*r != ' ')
			*w++ = *r;
	*w = '\0';
	return id;
}

/* HER and ENH idents of one Organisation level; fills what is still empty. */
static void ingest_org_idents(const xmlNode *org, avvik_party *p)
{
	const xmlNode *id;

	for (id = ingest_xml_child(org, MH, "Ident"); id; id = ingest_xml_next(id, MH, "Ident")) {
		char *type = ingest_ident_type(id, MH);
		char **slot = NULL;

		if (type && !strcasecmp(type, "HER"))
			slot = &p->her_id;
		else if (type && !strcasecmp(type, "ENH"))
			slot = &p->org_nr;
		if (slot && !*slot)
			*slot = ingest_ident_id(id, MH);
		free(type);
	}
}

/* Sender or Receiver (wrapper) -> party.  Sub-units below the top level are
 * joined with ", "; a HER-id or org.nr missing at the top is taken from the
 * first sub-unit that has one. */
static void ingest_party(const xmlNode *org, avvik_party *p)
{
	sbuf unit = SBUF_INIT;
	const xmlNode *o;

	p->name = ingest_xml_text(ingest_xml_child(org, MH, "OrganisationName"));
	ingest_org_idents(org, p);
	for (o = ingest_xml_child(org, MH, "Organisation"); o;
	     o = ingest_xml_child(o, MH, "Organisation")) {
		char *name = ingest_xml_text(ingest_xml_child(o, MH, "OrganisationName"));
		if (name) {
			if (unit.len)
				sbuf_adds(&unit, ", ");
			sbuf_adds(&unit, name);
			free(name);
		}
		ingest_org_idents(o, p);
	}
	if (unit.len)
		p->unit = sbuf_detach(&unit, NULL);
	sbuf_release(&unit);
	/* RoleToPatient 6 = Fastlege (kodeverk 9034), at any level */
	for (o = org; o; o = ingest_xml_child(o, MH, "Organisation")) {
		const xmlNode *hp = ingest_xml_child(o, MH, "HealthcareProfessional");
		char *role = ingest_xml_attr(ingest_xml_child(hp, MH, "RoleToPatient"), "V");
		int fastlege = role && !strcmp(role, "6");

		free(role);
		if (fastlege) {
			p->type_hint = xstrdup("fastlege");
			break;
		}
	}
}

/* Pseudonym of the patient's FNR/DNR ident (or any ident holding a valid
 * fødselsnummer, in any spelling); NULL when there is none. */
static char *ingest_mh_patient_key(const ingest_ctx *ctx, const xmlNode *patient)
{
	const xmlNode *id;
	char *key = NULL;

	for (id = ingest_xml_child(patient, MH, "Ident"); id && !key;
	     id = ingest_xml_next(id, MH, "Ident")) {
		char *type = ingest_ident_type(id, MH);
		char *val = ingest_xml_text(ingest_xml_child(id, MH, "Id"));
		int typed = type && (!strcasecmp(type, "FNR") || !strcasecmp(type, "DNR"));

		key = ingest_patient_key(ctx, val, typed);
		free(type);
		free(val);
	}
	return key;
}

/* The words of the patient's names, to take them out of everything the
 * record holds. */
static void ingest_mh_patient_names(const xmlNode *patient, ingest_names *nm)
{
	static const char *const fields[] = { "GivenName", "MiddleName", "FamilyName", NULL };
	size_t f;

	for (f = 0; patient && fields[f]; f++) {
		char *v = ingest_xml_text(ingest_xml_child(patient, MH, fields[f]));
		ingest_names_add(nm, v);
		free(v);
	}
}

/* ---- attachments ---- */

/* Decoded size of base64 text in n's children; -1 when it is not base64. */
static int64_t ingest_base64_size(const xmlNode *n)
{
	const xmlNode *c;
	int64_t chars = 0;

	for (c = n->children; c; c = c->next) {
		const unsigned char *t;
		if (c->type != XML_TEXT_NODE || !c->content)
			continue;
		for (t = c->content; *t; t++) {
			if (isalnum(*t) || *t == '+' || *t == '/')
				chars++;
			else if (*t != '=' && *t != ' ' && *t != '\n' && *t != '\r' && *t != '\t')
				return -1;
		}
	}
	/* 4 characters carry 3 bytes; padding is not counted in chars */
	return chars * 3 / 4;
}

static void ingest_attachments(const xmlNode *mh, const xmlNode *main_doc, avvik_record *r)
{
	const xmlNode *d;
	int nth = 0;

	for (d = ingest_xml_child(mh, MH, "Document"); d; d = ingest_xml_next(d, MH, "Document")) {
		const xmlNode *rd = ingest_xml_child(d, MH, "RefDoc");
		const xmlNode *b64 = ingest_xml_child(ingest_xml_child(rd, MH, "Content"),
						      INGEST_NS_BASE64, "Base64Container");
		const xmlNode *fref = ingest_xml_child(rd, MH, "FileReference");
		char *mime, *name;

		nth++;
		if (d == main_doc || !rd)
			continue;
		mime = ingest_xml_text(ingest_xml_child(rd, MH, "MimeType"));
		if (!mime && !b64) {
			free(mime);
			continue;   /* another XML instance, not a file */
		}
		name = ingest_xml_text(ingest_xml_child(rd, MH, "Description"));
		if (!name)
			name = ingest_xml_text(ingest_xml_child(rd, MH, "Id"));
		if (!name)
			name = ingest_xml_text(fref);
		if (!name) {
			sbuf b = SBUF_INIT;
			sbuf_addf(&b, "vedlegg-%d", nth);
			name = sbuf_detach(&b, NULL);
		}
		avvik_record_add_attachment(r, name, mime ? mime : "application/octet-stream",
					    b64 ? ingest_base64_size(b64) : -1);
		free(name);
		free(mime);
	}
}

/* ---- the mapping ---- */

static const char *ingest_dialog_ns(const xmlNode *n)
{
	if (ingest_xml_is(n, INGEST_NS_DIALOG10, "Dialogmelding"))
		return INGEST_NS_DIALOG10;
	if (ingest_xml_is(n, INGEST_NS_DIALOG11, "Dialogmelding"))
		return INGEST_NS_DIALOG11;
	return NULL;
}

/* The Dialogmelding in Document/RefDoc/Content, and the Document holding it. */
static const xmlNode *ingest_find_dialog(const xmlNode *mh, const xmlNode **doc)
{
	const xmlNode *d, *c;

	for (d = ingest_xml_child(mh, MH, "Document"); d; d = ingest_xml_next(d, MH, "Document")) {
		const xmlNode *content = ingest_xml_child(ingest_xml_child(d, MH, "RefDoc"), MH,
							  "Content");
		for (c = content ? content->children : NULL; c; c = c->next)
			if (ingest_dialog_ns(c)) {
				*doc = d;
				return c;
			}
	}
	return NULL;
}

/* A date field: NULL stays NULL; an invalid one is a problem. */
static int ingest_mh_date(const xmlNode *el, const char *what, char **out, ingest_mh_problem *p)
{
	char *v = ingest_xml_text(el);
	sbuf d = SBUF_INIT;

	if (!v)
		return 0;
	if (date_normalize(v, &d) < 0) {
		ingest_mh_fail(p, INGEST_ITEM_QUARANTINE, el,
			       "MsgHead: %s '%s' is not a date (expected YYYY-MM-DD or ISO 8601 date-time)",
			       what, v);
		free(v);
		sbuf_release(&d);
		return -1;
	}
	free(v);
	*out = sbuf_detach(&d, NULL);
	return 0;
}

static int ingest_map_dialog(const xmlNode *dm, avvik_record *r, ingest_mh_problem *p)
{
	const char *dns = ingest_dialog_ns(dm);
	const xmlNode *notat = ingest_xml_child(dm, dns, "Notat");
	const xmlNode *n;
	sbuf text = SBUF_INIT;

	if (notat) {
		r->subject = ingest_xml_text(ingest_xml_child(notat, dns, "Tema"));
		for (n = notat; n; n = ingest_xml_next(n, dns, "Notat"))
			ingest_xml_flatten(ingest_xml_child(n, dns, "TekstNotatInnhold"), &text);
		if (ingest_mh_date(ingest_xml_child(notat, dns, "DatoNotat"), "Notat/DatoNotat",
				   &r->event_date, p) < 0) {
			sbuf_release(&text);
			return -1;
		}
	}
	if (!r->subject)
		r->subject = ingest_xml_text(ingest_xml_child(dm, dns, "Sakstype"));
	if (!notat) {
		const xmlNode *f = ingest_xml_child(dm, dns, "Foresporsel");
		if (!r->subject)
			r->subject = ingest_xml_text(ingest_xml_child(f, dns, "EmneSporsmal"));
		for (n = f; n; n = ingest_xml_next(n, dns, "Foresporsel"))
			ingest_xml_flatten(ingest_xml_child(n, dns, "Sporsmal"), &text);
	}
	if (text.len)
		r->text = sbuf_detach(&text, NULL);
	sbuf_release(&text);
	return 0;
}

static int ingest_map_msghead(const ingest_ctx *ctx, const char *origin, const xmlNode *mh,
			      avvik_record *r, ingest_mh_problem *p)
{
	const xmlNode *mi = ingest_xml_child(mh, MH, "MsgInfo");
	const xmlNode *dm, *main_doc = NULL, *sender, *receiver, *sorg, *rorg, *patient;
	char *type;

	if (!mi)
		return ingest_mh_fail(p, INGEST_ITEM_QUARANTINE, mh, "MsgHead: missing MsgInfo");
	dm = ingest_find_dialog(mh, &main_doc);
	if (!dm) {
		type = ingest_xml_attr(ingest_xml_child(mi, MH, "Type"), "V");
		ingest_mh_fail(p, INGEST_ITEM_SKIPPED, mh,
			       "MsgHead of type %s is not a deviation report", type ? type : "(none)");
		free(type);
		return -1;
	}
	r->ext_id = ingest_xml_text(ingest_xml_child(mi, MH, "MsgId"));
	if (!r->ext_id)
		return ingest_mh_fail(p, INGEST_ITEM_QUARANTINE, mi, "MsgHead: missing MsgInfo/MsgId");
	if (!ingest_xml_child(mi, MH, "GenDate"))
		return ingest_mh_fail(p, INGEST_ITEM_QUARANTINE, mi, "MsgHead: missing MsgInfo/GenDate");
	if (ingest_mh_date(ingest_xml_child(mi, MH, "GenDate"), "MsgInfo/GenDate", &r->reported_at,
			   p) < 0)
		return -1;
	if (!r->reported_at)
		return ingest_mh_fail(p, INGEST_ITEM_QUARANTINE, mi, "MsgHead: empty MsgInfo/GenDate");
	sender = ingest_xml_child(mi, MH, "Sender");
	if (!sender)
		return ingest_mh_fail(p, INGEST_ITEM_QUARANTINE, mi, "MsgHead: missing MsgInfo/Sender");
	sorg = ingest_xml_child(sender, MH, "Organisation");
	if (!sorg)
		return ingest_mh_fail(p, INGEST_ITEM_QUARANTINE, sender,
				      "MsgHead: missing MsgInfo/Sender/Organisation");
	receiver = ingest_xml_child(mi, MH, "Receiver");
	if (!receiver)
		return ingest_mh_fail(p, INGEST_ITEM_QUARANTINE, mi, "MsgHead: missing MsgInfo/Receiver");
	rorg = ingest_xml_child(receiver, MH, "Organisation");
	if (!rorg)
		return ingest_mh_fail(p, INGEST_ITEM_QUARANTINE, receiver,
				      "MsgHead: missing MsgInfo/Receiver/Organisation");

	r->source = xstrdup(ctx->source ? ctx->source : "path");
	r->channel = xstrdup("msghead");
	r->origin = xstrdup(origin);
	ingest_party(sorg, &r->reporter);
	ingest_party(rorg, &r->concerned);
	if (ingest_map_dialog(dm, r, p) < 0)
		return -1;
	ingest_attachments(mh, main_doc, r);

	patient = ingest_xml_child(mi, MH, "Patient");
	r->patient_related = patient ? 1 : 0;
	if (patient)
		r->patient_key = ingest_mh_patient_key(ctx, patient);
	/* the names are taken out of every field when the record is emitted */
	return 0;
}

int ingest_msghead_buffer(const ingest_ctx *ctx, const char *origin, const char *data,
			  size_t len)
{
	ingest_xml_scan scan;
	ingest_xml_errors err;
	ingest_mh_problem prob;
	avvik_record rec;
	ingest_names names = INGEST_NAMES_INIT;
	xmlDoc *doc = NULL;
	const xmlNode *root, *mh;
	char sha[65];
	int rc = 0;

	ingest_sha256_hex(data, len, sha);
	ingest_xml_scan_init(&scan);
	memset(&prob, 0, sizeof prob);
	sbuf_init(&prob.why, 0);
	avvik_record_init(&rec);

	/* streaming check first: DTDs are refused before a tree is built */
	ingest_xml_scan_memory(data, len, origin, 0, &scan);
	if (!scan.ok) {
		prob.kind = INGEST_ITEM_QUARANTINE;
		prob.line = scan.line;
		sbuf_add(&prob.why, scan.error.buf, scan.error.len);
		goto problem;
	}
	ingest_xml_errors_begin(&err);
	doc = xmlReadMemory(data, (int)len, origin, NULL, ingest_xml_options());
	ingest_xml_errors_end(&err);
	if (!doc || err.n) {
		prob.kind = INGEST_ITEM_QUARANTINE;
		prob.line = err.line;
		sbuf_addf(&prob.why, "not well-formed XML: %s", err.msg.len ? err.msg.buf : "parse error");
		ingest_xml_errors_release(&err);
		goto problem;
	}
	ingest_xml_errors_release(&err);
	root = xmlDocGetRootElement(doc);
	mh = ingest_xml_find(root, MH, "MsgHead");
	if (!mh) {
		if (ingest_xml_find(root, INGEST_NS_APPREC10, "AppRec") ||
		    ingest_xml_find(root, INGEST_NS_APPREC11, "AppRec")) {
			prob.kind = INGEST_ITEM_SKIPPED;
			sbuf_adds(&prob.why, "AppRec (application receipt) is not a deviation report");
		} else {
			prob.kind = INGEST_ITEM_QUARANTINE;
			sbuf_addf(&prob.why, "no KITH MsgHead found (root element %s in namespace %s)",
				  root ? (const char *)root->name : "(none)",
				  root && root->ns && root->ns->href ? (const char *)root->ns->href
								     : "(none)");
		}
		goto problem;
	}
	/* the patient's names first: they are taken out of the record, and of
	 * the reason (its origin may be a file named after the patient) */
	ingest_mh_patient_names(ingest_xml_child(ingest_xml_child(mh, MH, "MsgInfo"), MH, "Patient"),
				&names);
	if (ingest_map_msghead(ctx, origin, mh, &rec, &prob) < 0)
		goto problem;
	rc = ingest_emit_record(ctx, &names, &rec, data, len, ingest_xml_line(mh));
	goto out;

problem:
	if (prob.line > 0)
		rc = ingest_emit_problem_names(ctx, &names, prob.kind, data, len, sha, prob.line,
					       "%s:%ld: %s", origin, prob.line, prob.why.buf);
	else
		rc = ingest_emit_problem_names(ctx, &names, prob.kind, data, len, sha, 0, "%s: %s",
					       origin, prob.why.buf);
out:
	avvik_record_clear(&rec);
	ingest_names_clear(&names);
	if (doc)
		xmlFreeDoc(doc);
	sbuf_release(&prob.why);
	ingest_xml_scan_release(&scan);
	return rc;
}
