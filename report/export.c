/*
 * export.c - avvik export: one line (JSON Lines) or row (CSV) per deviation
 * with its classification.  Only the stored, scrubbed fields leave: the
 * record never holds a patient's number or name.
 */
#include "report/report_int.h"

#include <string.h>

typedef struct {
	export_format fmt;
	char sep;
	FILE *out;
	sbuf line;
	report_xlsx_export *xlsx;
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

/* The columns of the CSV and the spreadsheet: the JSON's fields, with
 * the parties flattened (reporter_org for reporter.org) and the tags joined
 * by commas. */
static const struct {
	const char *name;
	report_xlsx_kind kind;
	double width;
} export_cols[] = {
	{ "id", XLSX_NUMBER, 8 }, { "ext_id", XLSX_TEXT, 24 }, { "source", XLSX_TEXT, 12 },
	{ "channel", XLSX_TEXT, 10 }, { "received_at", XLSX_DATE, 19 }, { "reported_at", XLSX_DATE, 19 },
	{ "event_date", XLSX_DATE, 12 },
	{ "reporter_org", XLSX_TEXT, 16 }, { "reporter_name", XLSX_TEXT, 24 }, { "reporter_unit", XLSX_TEXT, 20 },
	{ "reporter_type", XLSX_TEXT, 10 }, { "reporter_resolved", XLSX_TEXT, 10 },
	{ "concerned_org", XLSX_TEXT, 16 }, { "concerned_name", XLSX_TEXT, 24 },
	{ "concerned_unit", XLSX_TEXT, 20 }, { "concerned_type", XLSX_TEXT, 10 },
	{ "concerned_resolved", XLSX_TEXT, 10 },
	{ "subject", XLSX_TEXT, 30 }, { "text", XLSX_TEXT, 60 }, { "source_category", XLSX_TEXT, 14 },
	{ "severity", XLSX_TEXT, 10 }, { "patient_related", XLSX_BOOL, 8 }, { "patient_key", XLSX_TEXT, 22 },
	{ "category", XLSX_TEXT, 18 }, { "overridden", XLSX_BOOL, 8 }, { "tags", XLSX_TEXT, 14 },
	{ "direction", XLSX_TEXT, 16 }, { "rules_commit", XLSX_TEXT, 42 },
};
#define N_COLS (sizeof export_cols / sizeof export_cols[0])

/* One row: text (or NULL) per column; num[] for numbers and booleans
 * (-1: none). */
static void export_row(int64_t id, const avvik_record *r, const avvik_class *c, const char *commit,
		       const char *v[N_COLS], double num[N_COLS], char idb[32])
{
	size_t i = 0;

	for (size_t k = 0; k < N_COLS; k++)
		num[k] = -1;
	snprintf(idb, 32, "%lld", (long long)id);
	num[i] = (double)id;
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
	v[i++] = c->reporter_how;
	v[i++] = c->concerned_org;
	v[i++] = r->concerned.name;
	v[i++] = r->concerned.unit;
	v[i++] = org_type_name(c->concerned_type);
	v[i++] = c->concerned_how;
	v[i++] = r->subject;
	v[i++] = r->text;
	v[i++] = r->source_category;
	v[i++] = r->severity;
	num[i] = r->patient_related < 0 ? -1 : r->patient_related ? 1 : 0;
	v[i++] = r->patient_related < 0 ? NULL : r->patient_related ? "true" : "false";
	v[i++] = r->patient_key;
	v[i++] = c->category;
	num[i] = c->overridden ? 1 : 0;
	v[i++] = c->overridden ? "true" : "false";
	v[i++] = c->tags;
	v[i++] = c->category ? direction_name(c->dir) : NULL;
	v[i++] = c->category ? commit : NULL;
}

static void export_csv(sbuf *b, int64_t id, const avvik_record *r, const avvik_class *c,
		       const char *commit, char sep)
{
	const char *v[N_COLS];
	double num[N_COLS];
	char idb[32];

	export_row(id, r, c, commit, v, num, idb);
	for (size_t k = 0; k < N_COLS; k++) {
		if (k)
			sbuf_addch(b, sep);
		sbuf_add_csv_text(b, v[k], sep);
	}
	sbuf_adds(b, "\r\n");
}

static void export_xlsx(report_xlsx_export *x, int64_t id, const avvik_record *r, const avvik_class *c,
			const char *commit)
{
	const char *v[N_COLS];
	double num[N_COLS];
	char idb[32];

	export_row(id, r, c, commit, v, num, idb);
	for (size_t k = 0; k < N_COLS; k++)
		report_xlsx_export_cell(x, k, export_cols[k].kind, v[k], num[k]);
	report_xlsx_export_next_row(x);
}

static int export_one(void *ctx, int64_t id, const avvik_record *r, const avvik_class *c,
		      const char *commit)
{
	export_ctx *e = ctx;

	if (e->fmt == EXPORT_XLSX) {
		export_xlsx(e->xlsx, id, r, c, commit);
		return 0;
	}
	sbuf_reset(&e->line);
	if (e->fmt == EXPORT_JSONL)
		export_jsonl(&e->line, id, r, c, commit);
	else
		export_csv(&e->line, id, r, c, commit, e->sep);
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
	e.sep = o->csv_c ? ',' : ';';
	sbuf_init(&e.line, 4096);
	if (fmt == EXPORT_CSV) {
		if (!o->csv_c)
			sbuf_adds(&e.line, "\xEF\xBB\xBF");   /* Excel reads UTF-8 only with a BOM */
		for (i = 0; i < N_COLS; i++) {
			if (i)
				sbuf_addch(&e.line, e.sep);
			sbuf_add_csv_text(&e.line, export_cols[i].name, e.sep);
		}
		sbuf_adds(&e.line, "\r\n");
		if (fwrite(e.line.buf, 1, e.line.len, out) != e.line.len) {
			sbuf_release(&e.line);
			sbuf_addf(err, "write failed");
			return -1;
		}
	} else if (fmt == EXPORT_XLSX) {
		const char *head[N_COLS];
		double w[N_COLS];

		for (i = 0; i < N_COLS; i++) {
			head[i] = export_cols[i].name;
			w[i] = export_cols[i].width;
		}
		if (report_xlsx_export_begin(&e.xlsx, head, w, N_COLS, err)) {
			sbuf_release(&e.line);
			return -1;
		}
	}
	rc = store_export_each(st, o->commit, p, export_one, &e);
	if (rc) {
		sbuf_addf(err, e.failed ? "write failed" : "database: %s", store_errmsg(st));
		report_xlsx_export_abort(e.xlsx);
		sbuf_release(&e.line);
		return -1;
	}
	if (e.xlsx) {
		sbuf_reset(&e.line);
		rc = report_xlsx_export_end(e.xlsx, &e.line, err);
		if (!rc)
			rc = report_write(out, &e.line, err);
	}
	sbuf_release(&e.line);
	return rc ? -1 : 0;
}
