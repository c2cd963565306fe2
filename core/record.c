/* record.c - the deviation record every parser produces, and its names. */
#include "core.h"

#include <stdlib.h>
#include <string.h>

static const char *org_type_names[] = { "ukjent", "kommune", "fastlege", "unn", "annen" };

const char *org_type_name(org_type t)
{
	return (unsigned)t < sizeof org_type_names / sizeof org_type_names[0] ? org_type_names[t] : "ukjent";
}

int org_type_parse(const char *s, org_type *out)
{
	static const struct { const char *name; org_type t; } extra[] = {
		{ "unknown", ORG_TYPE_UNKNOWN }, { "municipality", ORG_TYPE_KOMMUNE },
		{ "gp", ORG_TYPE_FASTLEGE }, { "hf", ORG_TYPE_UNN }, { "hospital", ORG_TYPE_UNN },
		{ "sykehus", ORG_TYPE_UNN }, { "other", ORG_TYPE_OTHER }, { "annet", ORG_TYPE_OTHER },
	};
	size_t i;

	for (i = 0; i < sizeof org_type_names / sizeof org_type_names[0]; i++)
		if (!strcmp(s, org_type_names[i])) {
			*out = (org_type)i;
			return 0;
		}
	for (i = 0; i < sizeof extra / sizeof extra[0]; i++)
		if (!strcmp(s, extra[i].name)) {
			*out = extra[i].t;
			return 0;
		}
	return -1;
}

static const char *direction_names[DIR__COUNT] = {
	"ukjent", "kommune→unn", "fastlege→unn", "unn→kommune", "unn→fastlege",
	"kommune→fastlege", "fastlege→kommune", "annen",
};

const char *direction_name(direction d)
{
	return (unsigned)d < DIR__COUNT ? direction_names[d] : "ukjent";
}

int direction_parse(const char *s, direction *out)
{
	sbuf norm = SBUF_INIT;
	const char *p;
	int i, rc = -1;

	/* accept "→", "->" and "-" as the arrow */
	for (p = s; *p;) {
		if (!strncmp(p, "→", strlen("→"))) {
			sbuf_adds(&norm, "→");
			p += strlen("→");
		} else if (p[0] == '-' && p[1] == '>') {
			sbuf_adds(&norm, "→");
			p += 2;
		} else if (p[0] == '-') {
			sbuf_adds(&norm, "→");
			p++;
		} else {
			sbuf_addch(&norm, (*p >= 'A' && *p <= 'Z') ? *p + 32 : *p);
			p++;
		}
	}
	for (i = 0; i < DIR__COUNT; i++)
		if (!strcmp(norm.buf, direction_names[i])) {
			*out = (direction)i;
			rc = 0;
		}
	if (rc && !strcmp(norm.buf, "unknown")) {
		*out = DIR_UKJENT;
		rc = 0;
	}
	sbuf_release(&norm);
	return rc;
}

direction direction_from_types(org_type r, org_type c)
{
	if (r == ORG_TYPE_UNKNOWN || c == ORG_TYPE_UNKNOWN)
		return DIR_UKJENT;
	if (r == ORG_TYPE_KOMMUNE && c == ORG_TYPE_UNN) return DIR_KOMMUNE_UNN;
	if (r == ORG_TYPE_FASTLEGE && c == ORG_TYPE_UNN) return DIR_FASTLEGE_UNN;
	if (r == ORG_TYPE_UNN && c == ORG_TYPE_KOMMUNE) return DIR_UNN_KOMMUNE;
	if (r == ORG_TYPE_UNN && c == ORG_TYPE_FASTLEGE) return DIR_UNN_FASTLEGE;
	if (r == ORG_TYPE_KOMMUNE && c == ORG_TYPE_FASTLEGE) return DIR_KOMMUNE_FASTLEGE;
	if (r == ORG_TYPE_FASTLEGE && c == ORG_TYPE_KOMMUNE) return DIR_FASTLEGE_KOMMUNE;
	return DIR_ANNEN;
}

void avvik_record_init(avvik_record *r)
{
	memset(r, 0, sizeof *r);
	r->patient_related = -1;
}

void avvik_party_clear(avvik_party *p)
{
	free(p->name);
	free(p->unit);
	free(p->her_id);
	free(p->org_nr);
	free(p->type_hint);
	memset(p, 0, sizeof *p);
}

void avvik_record_clear(avvik_record *r)
{
	size_t i;

	free(r->ext_id);
	free(r->source);
	free(r->channel);
	free(r->origin);
	free(r->received_at);
	free(r->reported_at);
	free(r->event_date);
	avvik_party_clear(&r->reporter);
	avvik_party_clear(&r->concerned);
	free(r->subject);
	free(r->text);
	free(r->source_category);
	free(r->severity);
	free(r->patient_key);
	for (i = 0; i < r->n_attachments; i++) {
		free(r->attachments[i].name);
		free(r->attachments[i].mime_type);
	}
	free(r->attachments);
	avvik_record_init(r);
}

void avvik_record_add_attachment(avvik_record *r, const char *name, const char *mime, int64_t size)
{
	r->attachments = xrealloc(r->attachments, (r->n_attachments + 1) * sizeof *r->attachments);
	r->attachments[r->n_attachments].name = xstrdup(name);
	r->attachments[r->n_attachments].mime_type = xstrdup(mime);
	r->attachments[r->n_attachments].size = size;
	r->n_attachments++;
}

static void canon_field(sbuf *out, const char *tag, const char *v)
{
	size_t len = v ? strlen(v) : 0;
	sbuf_addf(out, "%s:%zu:", tag, len);
	if (v)
		sbuf_add(out, v, len);
	sbuf_addch(out, '\n');
}

static void canon_party(sbuf *out, const char *tag, const avvik_party *p)
{
	sbuf t = SBUF_INIT;
	static const char *sub[] = { "name", "unit", "her", "orgnr", "type" };
	const char *v[] = { p->name, p->unit, p->her_id, p->org_nr, p->type_hint };
	size_t i;

	for (i = 0; i < 5; i++) {
		sbuf_reset(&t);
		sbuf_addf(&t, "%s.%s", tag, sub[i]);
		canon_field(out, t.buf, v[i]);
	}
	sbuf_release(&t);
}

void avvik_record_canonical(const avvik_record *r, sbuf *out)
{
	size_t i;
	char pr[8];

	canon_field(out, "ext_id", r->ext_id);
	canon_field(out, "reported_at", r->reported_at);
	canon_field(out, "event_date", r->event_date);
	canon_party(out, "reporter", &r->reporter);
	canon_party(out, "concerned", &r->concerned);
	canon_field(out, "subject", r->subject);
	canon_field(out, "text", r->text);
	canon_field(out, "source_category", r->source_category);
	canon_field(out, "severity", r->severity);
	snprintf(pr, sizeof pr, "%d", r->patient_related);
	canon_field(out, "patient_related", pr);
	canon_field(out, "patient_key", r->patient_key);
	for (i = 0; i < r->n_attachments; i++) {
		canon_field(out, "attachment.name", r->attachments[i].name);
		canon_field(out, "attachment.type", r->attachments[i].mime_type);
	}
}

const char *avvik_record_count_date(const avvik_record *r)
{
	if (r->event_date && *r->event_date)
		return r->event_date;
	if (r->reported_at && *r->reported_at)
		return r->reported_at;
	if (r->received_at && *r->received_at)
		return r->received_at;
	return NULL;
}

void avvik_class_init(avvik_class *c)
{
	memset(c, 0, sizeof *c);
}

void avvik_class_clear(avvik_class *c)
{
	free(c->category);
	free(c->tags);
	free(c->reporter_org);
	free(c->reporter_how);
	free(c->concerned_org);
	free(c->concerned_how);
	free(c->matches);
	free(c->why);
	free(c->decided_by);
	free(c->rules_category);
	free(c->model_hash);
	free(c->model_category);
	avvik_class_init(c);
}
