/*
 * export.c - avvik export: one line (JSON Lines) or row (CSV) per deviation
 * with its classification.  Only the stored, scrubbed fields leave: the
 * record never holds a patient's number or name.
 */
#include "report/report.h"

#include <string.h>

typedef struct {
	export_format fmt;
	FILE *out;
	sbuf line;
	int failed;
} export_ctx;

static void json_field(sbuf *b, const char *name, const char *v, int first)
{
	if (!first)
		sbuf_addch(b, ',');
	sbuf_add_json_str(b, name);
	sbuf_addch(b, ':');
	sbuf_add_json_str(b, v);
}

static void json_party(sbuf *b, const char *name, const avvik_party *p, const char *org,
		       org_type t, const char *how)
{
	sbuf_addch(b, ',');
	sbuf_add_json_str(b, name);
	sbuf_addch(b, ':');
	sbuf_addch(b, '{');
	json_field(b, "org", org, 1);
	json_field(b, "name", p->name, 0);
	json_field(b, "unit", p->unit, 0);
	json_field(b, "type", org_type_name(t), 0);
	json_field(b, "resolved", how, 0);
	sbuf_addch(b, '}');
}

static void json_tags(sbuf *b, const char *tags)
{
	const char *p = tags ? tags : "";
	int first = 1;

	sbuf_adds(b, ",\"tags\":[");
	while (*p) {
		size_t n = strcspn(p, ",");
		if (n) {
			sbuf tag = SBUF_INIT;
			sbuf_add(&tag, p, n);
			if (!first)
				sbuf_addch(b, ',');
			sbuf_add_json_str(b, tag.buf);
			sbuf_release(&tag);
			first = 0;
		}
		p += n + (p[n] == ',');
	}
	sbuf_addch(b, ']');
}

static void export_jsonl(sbuf *b, int64_t id, const avvik_record *r, const avvik_class *c,
			 const char *commit)
{
	sbuf_addf(b, "{\"id\":%lld", (long long)id);
	json_field(b, "ext_id", r->ext_id, 0);
	json_field(b, "source", r->source, 0);
	json_field(b, "channel", r->channel, 0);
	json_field(b, "received_at", r->received_at, 0);
	json_field(b, "reported_at", r->reported_at, 0);
	json_field(b, "event_date", r->event_date, 0);
	json_party(b, "reporter", &r->reporter, c->reporter_org, c->reporter_type, c->reporter_how);
	json_party(b, "concerned", &r->concerned, c->concerned_org, c->concerned_type, c->concerned_how);
	json_field(b, "subject", r->subject, 0);
	json_field(b, "text", r->text, 0);
	json_field(b, "source_category", r->source_category, 0);
	json_field(b, "severity", r->severity, 0);
	sbuf_addf(b, ",\"patient_related\":%s",
		  r->patient_related < 0 ? "null" : r->patient_related ? "true" : "false");
	json_field(b, "patient_key", r->patient_key, 0);
	json_field(b, "category", c->category, 0);
	sbuf_addf(b, ",\"overridden\":%s", c->overridden ? "true" : "false");
	json_tags(b, c->tags);
	json_field(b, "direction", c->category ? direction_name(c->dir) : NULL, 0);
	json_field(b, "rules_commit", c->category ? commit : NULL, 0);
	sbuf_adds(b, "}\n");
}

static const char *const csv_header[] = {
	"id", "ext_id", "source", "channel", "received_at", "reported_at", "event_date",
	"reporter_org", "reporter_name", "reporter_unit", "reporter_type",
	"concerned_org", "concerned_name", "concerned_unit", "concerned_type",
	"subject", "text", "source_category", "severity", "patient_related", "patient_key",
	"category", "tags", "direction", "rules_commit",
};

static void export_csv(sbuf *b, int64_t id, const avvik_record *r, const avvik_class *c,
		       const char *commit)
{
	const char *v[sizeof csv_header / sizeof csv_header[0]];
	char idb[32];
	size_t i = 0, k;

	snprintf(idb, sizeof idb, "%lld", (long long)id);
	v[i++] = idb;
	v[i++] = r->ext_id;
	v[i++] = r->source;
	v[i++] = r->channel;
	v[i++] = r->received_at;
	v[i++] = r->reported_at;
	v[i++] = r->event_date;
	v[i++] = c->reporter_org;
	v[i++] = r->reporter.name;
	v[i++] = r->reporter.unit;
	v[i++] = org_type_name(c->reporter_type);
	v[i++] = c->concerned_org;
	v[i++] = r->concerned.name;
	v[i++] = r->concerned.unit;
	v[i++] = org_type_name(c->concerned_type);
	v[i++] = r->subject;
	v[i++] = r->text;
	v[i++] = r->source_category;
	v[i++] = r->severity;
	v[i++] = r->patient_related < 0 ? "" : r->patient_related ? "1" : "0";
	v[i++] = r->patient_key;
	v[i++] = c->category;
	v[i++] = c->tags;
	v[i++] = c->category ? direction_name(c->dir) : NULL;
	v[i++] = c->category ? commit : NULL;
	for (k = 0; k < i; k++) {
		if (k)
			sbuf_addch(b, ',');
		sbuf_add_csv_field(b, v[k], ',');
	}
	sbuf_adds(b, "\r\n");
}

static int export_one(void *ctx, int64_t id, const avvik_record *r, const avvik_class *c,
		      const char *commit)
{
	export_ctx *e = ctx;

	sbuf_reset(&e->line);
	if (e->fmt == EXPORT_JSONL)
		export_jsonl(&e->line, id, r, c, commit);
	else
		export_csv(&e->line, id, r, c, commit);
	if (fwrite(e->line.buf, 1, e->line.len, e->out) != e->line.len) {
		e->failed = 1;
		return -1;
	}
	return 0;
}

int report_export(store *st, const report_opts *o, const period *p, export_format fmt,
		  FILE *out, sbuf *err)
{
	export_ctx e;
	size_t i;
	int rc;

	memset(&e, 0, sizeof e);
	e.fmt = fmt;
	e.out = out;
	sbuf_init(&e.line, 4096);
	if (fmt == EXPORT_CSV) {
		for (i = 0; i < sizeof csv_header / sizeof csv_header[0]; i++)
			fprintf(out, "%s%s", i ? "," : "", csv_header[i]);
		fputs("\r\n", out);
	}
	rc = store_export_each(st, o->commit, p, export_one, &e);
	sbuf_release(&e.line);
	if (rc) {
		sbuf_addf(err, e.failed ? "write failed" : "database: %s", store_errmsg(st));
		return -1;
	}
	return 0;
}
