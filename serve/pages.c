/*
 * pages.c - the list (filters, search, paging), its downloads (CSV for
 * Norwegian spreadsheets, JSON), the record page with its explanation and
 * override history, and the override form.  Every page checks the role
 * and the reader's organisations itself: the list is restricted to them
 * in the query (store_list_filter.scope), a record outside them is a 404.
 */
#include "serve/serve_int.h"

#include <stdlib.h>
#include <string.h>

#define PAGE_ROWS 50
#define DOWNLOAD_MAX 100000
#define COUNT_MAX 10000

typedef struct {
	store_list_filter f;
	period p;
	char dir[32];
	sbuf qs;           /* the filters as a query string, for links */
	const char *err;   /* a filter that is not valid */
	long page;
} list_args;

static const char *const filter_names[] = { "period", "org", "category", "direction", "source",
					    "overridden", "q" };

static void list_args_read(serve_req *rq, list_args *a)
{
	const char *v;
	sbuf err = SBUF_INIT;

	memset(a, 0, sizeof *a);
	sbuf_init(&a->qs, 0);
	store_list_filter_init(&a->f);
	a->f.commit = rq->commit;
	a->f.scope = serve_scope(rq->role, rq->user.orgs);
	for (size_t i = 0; i < sizeof filter_names / sizeof filter_names[0]; i++) {
		if (!(v = serve_arg_nz(rq, filter_names[i])))
			continue;
		if (a->qs.len)
			sbuf_addch(&a->qs, '&');
		sbuf_addf(&a->qs, "%s=", filter_names[i]);
		serve_url_encode(&a->qs, v);
	}
	if ((v = serve_arg_nz(rq, "period"))) {
		if (period_parse(v, &a->p, &err))
			a->err = "Ugyldig periode (skriv f.eks. 2024, 2024-Q3, 2024-07 eller 2024-01..2024-06).";
		else
			a->f.p = &a->p;
	}
	a->f.org = serve_arg_nz(rq, "org");
	a->f.category = serve_arg_nz(rq, "category");
	a->f.source = serve_arg_nz(rq, "source");
	if ((v = serve_arg_nz(rq, "direction"))) {
		direction d;
		if (direction_parse(v, &d))
			a->err = "Ukjent retning.";
		else
			snprintf(a->dir, sizeof a->dir, "%s", direction_name(d));
		a->f.direction = a->dir;
	}
	if ((v = serve_arg_nz(rq, "overridden"))) {
		if (!strcmp(v, "ja"))
			a->f.overridden = 1;
		else if (!strcmp(v, "nei"))
			a->f.overridden = 0;
		else
			a->err = "Overstyrt må være «ja» eller «nei».";
	}
	a->f.search = serve_arg_nz(rq, "q");
	a->page = 1;
	if ((v = serve_arg_nz(rq, "page"))) {
		char *end;
		a->page = strtol(v, &end, 10);
		if (*end || a->page < 1 || a->page > 1000000)
			a->err = "Ugyldig sidenummer.";
	}
	sbuf_release(&err);
}

static void input(sbuf *b, const char *label, const char *name, const char *value, const char *type)
{
	sbuf_addf(b, "<label>%s <input name=\"%s\" type=\"%s\" value=\"", label, name, type);
	serve_html_escape(b, value);
	sbuf_adds(b, "\"></label>\n");
}

static void option(sbuf *b, const char *value, const char *label, const char *cur)
{
	sbuf_adds(b, "<option value=\"");
	serve_html_escape(b, value);
	sbuf_addf(b, "\"%s>", cur && !strcmp(cur, value) ? " selected" : "");
	serve_html_escape(b, label);
	sbuf_adds(b, "</option>");
}

static void category_select(sbuf *b, const serve_req *rq, const char *name, const char *cur, const char *none)
{
	sbuf_addf(b, "<label>Kategori <select name=\"%s\">", name);
	option(b, "", none, cur);
	for (size_t i = 0; rq->rules && i < classify_category_count(rq->rules); i++) {
		const char *code = classify_category_code(rq->rules, i);
		option(b, code, serve_category_label(rq, code), cur);
	}
	sbuf_adds(b, "</select></label>\n");
}

static void direction_select(sbuf *b, const char *cur, const char *none)
{
	sbuf_adds(b, "<label>Retning <select name=\"direction\">");
	option(b, "", none, cur);
	for (int d = 0; d < DIR__COUNT; d++)
		option(b, direction_name((direction)d), direction_name((direction)d), cur);
	sbuf_adds(b, "</select></label>\n");
}

static void filter_form(sbuf *b, const serve_req *rq, const char *action)
{
	const char *ov = serve_arg(rq, "overridden");

	sbuf_addf(b, "<form class=\"filters\" method=\"get\" action=\"%s\">\n", action);
	input(b, "Søk i tekst", "q", serve_arg(rq, "q"), "search");
	input(b, "Periode", "period", serve_arg(rq, "period"), "text");
	input(b, "Organisasjon", "org", serve_arg(rq, "org"), "text");
	category_select(b, rq, "category", serve_arg(rq, "category"), "alle");
	direction_select(b, serve_arg(rq, "direction"), "alle");
	input(b, "Kilde", "source", serve_arg(rq, "source"), "text");
	sbuf_adds(b, "<label>Overstyrt <select name=\"overridden\">");
	option(b, "", "alle", ov);
	option(b, "ja", "ja", ov);
	option(b, "nei", "nei", ov);
	sbuf_adds(b, "</select></label>\n<button type=\"submit\">Vis</button>\n</form>\n");
}

static void party(sbuf *b, const char *org, const char *name)
{
	serve_html_escape(b, *org ? org : "?");
	if (*name) {
		sbuf_adds(b, " <small>(");
		serve_html_escape(b, name);
		sbuf_adds(b, ")</small>");
	}
}

typedef struct {
	serve_req *rq;
	sbuf *b;
} list_ctx;

static int list_row(void *ctx, const store_list_row *r)
{
	list_ctx *lc = ctx;
	sbuf *b = lc->b;

	sbuf_addf(b, "<tr><td><a href=\"/record/%lld\">%lld</a></td><td>", (long long)r->id, (long long)r->id);
	serve_html_escape(b, r->date);
	sbuf_adds(b, "</td><td>");
	serve_html_escape(b, serve_category_label(lc->rq, r->category));
	if (r->overridden)
		sbuf_adds(b, " <small>(overstyrt)</small>");
	sbuf_adds(b, "</td><td>");
	serve_html_escape(b, r->direction);
	sbuf_adds(b, "</td><td>");
	party(b, r->reporter_org, r->reporter_name);
	sbuf_adds(b, "</td><td>");
	party(b, r->concerned_org, r->concerned_name);
	sbuf_adds(b, "</td><td>");
	serve_html_escape(b, r->subject);
	sbuf_adds(b, "</td></tr>\n");
	return 0;
}

void serve_list_page(serve_req *rq, serve_resp *rs)
{
	int search = !strcmp(rq->path, "/search");
	list_args a;
	list_ctx lc = { rq, &rs->body };
	sbuf qs = SBUF_INIT;
	long total = 0, pages;
	sbuf *b = &rs->body;

	if (!serve_may_read_records(rq->role)) {
		serve_error(rs, rq, 403, "Din rolle gir tilgang til rapporter, ikke til enkeltmeldinger.");
		return;
	}
	list_args_read(rq, &a);
	if (a.err) {
		serve_error(rs, rq, 400, a.err);
		sbuf_release(&a.qs);
		return;
	}
	a.f.limit = PAGE_ROWS;
	a.f.offset = (a.page - 1) * PAGE_ROWS;
	a.f.count_max = COUNT_MAX;
	serve_page_begin(rs, rq, search ? "Søk i avvik" : "Avvik");
	filter_form(b, rq, search ? "/search" : "/list");
	sbuf_adds(b, "<table>\n<thead><tr><th>Nr.</th><th>Dato</th><th>Kategori</th><th>Retning</th>"
		  "<th>Melder</th><th>Gjelder</th><th>Emne</th></tr></thead>\n<tbody>\n");
	if (store_list_query(rq->st, &a.f, list_row, &lc, &total)) {
		serve_error(rs, rq, 500, "Databasen svarte ikke.");
		sbuf_release(&a.qs);
		return;
	}
	sbuf_adds(b, "</tbody>\n</table>\n");
	/* the filters for links: percent-encoded, and & as &amp; in HTML */
	serve_html_escape(&qs, a.qs.buf);
	if (total > COUNT_MAX) {
		/* counting all of a big unfiltered list costs more than it tells */
		pages = a.page + 1;
		sbuf_addf(b, "<p id=\"count\">Over %d avvik, side %ld.", COUNT_MAX, a.page);
	} else {
		pages = (total + PAGE_ROWS - 1) / PAGE_ROWS;
		sbuf_addf(b, "<p id=\"count\">%ld avvik, side %ld av %ld.", total, a.page, pages ? pages : 1);
	}
	if (a.page > 1)
		sbuf_addf(b, " <a rel=\"prev\" href=\"%s?%s%spage=%ld\">Forrige</a>", rq->path, qs.buf,
			  qs.len ? "&amp;" : "", a.page - 1);
	if (a.page < pages)
		sbuf_addf(b, " <a rel=\"next\" href=\"%s?%s%spage=%ld\">Neste</a>", rq->path, qs.buf,
			  qs.len ? "&amp;" : "", a.page + 1);
	sbuf_addf(b, "</p>\n<p>Last ned: <a href=\"/list.csv?%s\">CSV</a> · <a href=\"/list.json?%s\">JSON</a></p>\n",
		  qs.buf, qs.buf);
	serve_page_end(rs);
	sbuf_release(&a.qs);
	sbuf_release(&qs);
}

typedef struct {
	sbuf *b;
	int json;
	long n;
	const serve_req *rq;
} dl_ctx;

static int dl_row(void *ctx, const store_list_row *r)
{
	dl_ctx *d = ctx;
	sbuf *b = d->b;

	if (d->json) {
		sbuf_adds(b, d->n ? ",\n" : "\n");
		sbuf_addf(b, "{\"id\":%lld,\"ext_id\":", (long long)r->id);
		sbuf_add_json_str(b, r->ext_id);
		sbuf_adds(b, ",\"date\":");
		sbuf_add_json_str(b, r->date);
		sbuf_adds(b, ",\"source\":");
		sbuf_add_json_str(b, r->source);
		sbuf_adds(b, ",\"category\":");
		sbuf_add_json_str(b, r->category);
		sbuf_adds(b, ",\"direction\":");
		sbuf_add_json_str(b, r->direction);
		sbuf_adds(b, ",\"reporter_org\":");
		sbuf_add_json_str(b, r->reporter_org);
		sbuf_adds(b, ",\"reporter_name\":");
		sbuf_add_json_str(b, r->reporter_name);
		sbuf_adds(b, ",\"concerned_org\":");
		sbuf_add_json_str(b, r->concerned_org);
		sbuf_adds(b, ",\"concerned_name\":");
		sbuf_add_json_str(b, r->concerned_name);
		sbuf_addf(b, ",\"overridden\":%s,\"subject\":", r->overridden ? "true" : "false");
		sbuf_add_json_str(b, r->subject);
		sbuf_adds(b, ",\"text\":");
		sbuf_add_json_str(b, r->text);
		sbuf_addch(b, '}');
	} else {
		const char *v[] = { r->ext_id, r->date, r->source, r->category,
				    serve_category_label(d->rq, r->category), r->direction,
				    r->reporter_org, r->reporter_name, r->concerned_org, r->concerned_name,
				    r->overridden ? "ja" : "nei", r->subject, r->text };
		sbuf_addf(b, "%lld", (long long)r->id);
		for (size_t i = 0; i < sizeof v / sizeof v[0]; i++) {
			sbuf_addch(b, ';');
			serve_csv_cell(b, v[i], ';');
		}
		sbuf_adds(b, "\r\n");
	}
	d->n++;
	return 0;
}

void serve_list_download(serve_req *rq, serve_resp *rs, int json)
{
	list_args a;
	dl_ctx d = { &rs->body, json, 0, rq };

	if (!serve_may_read_records(rq->role)) {
		serve_error(rs, rq, 403, "Din rolle gir tilgang til rapporter, ikke til enkeltmeldinger.");
		return;
	}
	list_args_read(rq, &a);
	sbuf_release(&a.qs);
	if (a.err) {
		serve_error(rs, rq, 400, a.err);
		return;
	}
	a.f.limit = DOWNLOAD_MAX;
	if (json)
		sbuf_adds(&rs->body, "[");
	else
		sbuf_adds(&rs->body, "\xEF\xBB\xBFnr;ekstern_id;dato;kilde;kategori;kategorinavn;retning;"
			  "melder_org;melder;gjelder_org;gjelder;overstyrt;emne;tekst\r\n");
	if (store_list_query(rq->st, &a.f, dl_row, &d, NULL)) {
		serve_error(rs, rq, 500, "Databasen svarte ikke.");
		return;
	}
	if (json)
		sbuf_adds(&rs->body, "\n]\n");
	rs->type = json ? "application/json; charset=utf-8" : "text/csv; charset=utf-8";
	rs->disposition = xstrdup(json ? "attachment; filename=\"avvik.json\"" : "attachment; filename=\"avvik.csv\"");
	store_audit_put(rq->st, rq->user.name, "download", json ? "list.json" : "list.csv", NULL, rq->addr);
}

/* ---- one record ---- */

static void dd(sbuf *b, const char *term, const char *v)
{
	if (!v || !*v)
		return;
	sbuf_addf(b, "<dt>%s</dt><dd>", term);
	serve_html_escape(b, v);
	sbuf_adds(b, "</dd>\n");
}

static void party_dd(sbuf *b, const char *term, const avvik_party *p, const char *org, org_type t, const char *how)
{
	sbuf_addf(b, "<dt>%s</dt><dd>", term);
	serve_html_escape(b, p->name ? p->name : "?");
	if (p->unit) {
		sbuf_adds(b, ", ");
		serve_html_escape(b, p->unit);
	}
	sbuf_adds(b, " → <strong>");
	serve_html_escape(b, org ? org : "ikke funnet");
	sbuf_addf(b, "</strong> (%s, ", org_type_name(t));
	serve_html_escape(b, how ? how : "");
	sbuf_adds(b, ")</dd>\n");
}

static int history_row(void *ctx, const store_override *o)
{
	sbuf *b = ctx;
	const char *v[] = { o->at, o->by, o->category ? o->category : "–", o->direction ? o->direction : "–",
			    o->reason, o->superseded_at ? "erstattet" : "gjelder" };

	sbuf_adds(b, "<tr>");
	for (size_t i = 0; i < sizeof v / sizeof v[0]; i++) {
		sbuf_adds(b, "<td>");
		serve_html_escape(b, v[i]);
		sbuf_adds(b, "</td>");
	}
	sbuf_adds(b, "</tr>\n");
	return 0;
}

/* Loads record id if the reader may see it: 1, else 0 (answer 404) or -1. */
static int record_load(serve_req *rq, int64_t id, avvik_record *r, avvik_class *c)
{
	int rc;

	avvik_record_init(r);
	avvik_class_init(c);
	if (!rq->commit)
		return 0;
	if ((rc = store_deviation_get(rq->st, id, r)) != 1 ||
	    (rc = store_class_get(rq->st, id, rq->commit, c, NULL)) != 1)
		return rc;
	return serve_may_see(rq->role, rq->user.orgs, c->reporter_org, c->concerned_org);
}

static void record_render(serve_req *rq, serve_resp *rs, int64_t id, const avvik_record *r,
			  const avvik_class *c, const char *msg)
{
	sbuf *b = &rs->body, title = SBUF_INIT;
	store_override o;
	int has_o = store_override_get(rq->st, id, &o) == 1;
	char *expl = NULL;
	size_t expl_len = 0;
	FILE *f;

	sbuf_addf(&title, "Avvik %lld", (long long)id);
	serve_page_begin(rs, rq, title.buf);
	sbuf_release(&title);
	if (msg) {
		sbuf_adds(b, "<p class=\"error\">");
		serve_html_escape(b, msg);
		sbuf_adds(b, "</p>\n");
	}
	sbuf_adds(b, "<h2>Melding</h2>\n<dl>\n");
	dd(b, "Ekstern id", r->ext_id);
	dd(b, "Kilde", r->source);
	dd(b, "Kanal", r->channel);
	dd(b, "Hendelsesdato", r->event_date);
	dd(b, "Meldt", r->reported_at);
	dd(b, "Mottatt", r->received_at);
	party_dd(b, "Melder", &r->reporter, c->reporter_org, c->reporter_type, c->reporter_how);
	party_dd(b, "Gjelder", &r->concerned, c->concerned_org, c->concerned_type, c->concerned_how);
	dd(b, "Melders kategori", r->source_category);
	dd(b, "Alvorlighet", r->severity);
	dd(b, "Emne", r->subject);
	sbuf_adds(b, "</dl>\n<h3>Tekst (renset for fødselsnummer)</h3>\n<div class=\"text\">");
	serve_html_escape(b, r->text);
	sbuf_adds(b, "</div>\n<h2>Klassifisering</h2>\n<dl>\n");
	sbuf_adds(b, "<dt>Kategori</dt><dd id=\"category\">");
	serve_html_escape(b, serve_category_label(rq, has_o && o.category ? o.category : c->category));
	if (has_o && o.category)
		sbuf_adds(b, " <small>(overstyrt)</small>");
	sbuf_adds(b, "</dd>\n<dt>Retning</dt><dd id=\"direction\">");
	serve_html_escape(b, has_o && o.direction ? o.direction : direction_name(c->dir));
	if (has_o && o.direction)
		sbuf_adds(b, " <small>(overstyrt)</small>");
	sbuf_adds(b, "</dd>\n");
	dd(b, "Regelkategori", c->category);
	dd(b, "Regelretning", direction_name(c->dir));
	dd(b, "Stikkord", c->tags);
	dd(b, "Begrunnelse", c->why);
	dd(b, "Regelversjon", rq->commit);
	sbuf_adds(b, "</dl>\n<h2>Forklaring</h2>\n");
	/* the same explanation as `avvik explain`, under the commit reports use */
	if (rq->rules && (f = open_memstream(&expl, &expl_len))) {
		classify_explain(rq->rules, r, f);
		fclose(f);
		sbuf_adds(b, "<pre>");
		serve_html_escape(b, expl);
		sbuf_adds(b, "</pre>\n");
		free(expl);
	} else {
		sbuf_adds(b, "<p>Reglene kunne ikke leses.</p>\n");
	}
	sbuf_addf(b, "<h2>Overstyr</h2>\n<form method=\"post\" action=\"/record/%lld/override\">\n", (long long)id);
	serve_csrf_field(b, rq);
	category_select(b, rq, "category", NULL, "(uendret)");
	direction_select(b, NULL, "(uendret)");
	sbuf_adds(b, "<label>Begrunnelse <input name=\"reason\" required maxlength=\"500\"></label>\n"
		  "<p><button type=\"submit\">Lagre overstyring</button></p>\n</form>\n"
		  "<h2>Overstyringer</h2>\n<table id=\"history\">\n<tr><th>Tid</th><th>Hvem</th><th>Kategori</th>"
		  "<th>Retning</th><th>Begrunnelse</th><th>Status</th></tr>\n");
	store_override_history(rq->st, id, history_row, b);
	sbuf_adds(b, "</table>\n");
	serve_page_end(rs);
	if (has_o)
		store_override_clear(&o);
}

static int record_gate(serve_req *rq, serve_resp *rs, int64_t id, avvik_record *r, avvik_class *c)
{
	int rc;

	if (!serve_may_read_records(rq->role)) {
		serve_error(rs, rq, 403, "Din rolle gir tilgang til rapporter, ikke til enkeltmeldinger.");
		return -1;
	}
	if ((rc = record_load(rq, id, r, c)) != 1) {
		/* not there and not in scope answer alike */
		if (rc < 0)
			serve_error(rs, rq, 500, "Databasen svarte ikke.");
		else
			serve_error(rs, rq, 404, "Avviket finnes ikke.");
		avvik_record_clear(r);
		avvik_class_clear(c);
		return -1;
	}
	return 0;
}

void serve_record_page(serve_req *rq, serve_resp *rs, int64_t id)
{
	avvik_record r;
	avvik_class c;

	if (record_gate(rq, rs, id, &r, &c))
		return;
	record_render(rq, rs, id, &r, &c, NULL);
	avvik_record_clear(&r);
	avvik_class_clear(&c);
}

void serve_override_post(serve_req *rq, serve_resp *rs, int64_t id)
{
	const char *cat = serve_form_get(&rq->form, "category");
	const char *dirs = serve_form_get(&rq->form, "direction");
	const char *reason = serve_form_get(&rq->form, "reason");
	const char *msg = NULL;
	avvik_record r;
	avvik_class c;
	direction d = DIR_UKJENT;
	sbuf target = SBUF_INIT, detail = SBUF_INIT, to = SBUF_INIT, kept = SBUF_INIT;

	if (record_gate(rq, rs, id, &r, &c))
		return;
	if (cat && !*cat)
		cat = NULL;
	if (dirs && !*dirs)
		dirs = NULL;
	if (!cat && !dirs)
		msg = "Velg en kategori og/eller en retning.";
	else if (!reason || !*reason || strlen(reason) > 500)
		msg = "Skriv en begrunnelse (høyst 500 tegn).";
	else if (cat && (!rq->rules || !classify_category_label(rq->rules, cat)))
		msg = "Ukjent kategori.";
	else if (dirs && direction_parse(dirs, &d))
		msg = "Ukjent retning.";
	if (msg) {
		rs->status = 400;
		record_render(rq, rs, id, &r, &c, msg);
		goto out;
	}
	/* what a person typed is kept scrubbed, like every other text */
	sbuf_adds(&kept, reason);
	serve_scrub_text(rq, &kept);
	reason = kept.buf;
	if (store_override_put(rq->st, id, cat, dirs ? direction_name(d) : NULL, reason, rq->user.name, NULL)) {
		serve_error(rs, rq, 500, "Overstyringen kunne ikke lagres.");
		goto out;
	}
	sbuf_addf(&target, "deviation %lld", (long long)id);
	sbuf_addf(&detail, "category %s, direction %s: ", cat ? cat : "-", dirs ? direction_name(d) : "-");
	sbuf_adds(&detail, reason);
	store_audit_put(rq->st, rq->user.name, "override", target.buf, detail.buf, rq->addr);
	sbuf_addf(&to, "/record/%lld", (long long)id);
	serve_redirect(rs, to.buf);
out:
	sbuf_release(&kept);
	sbuf_release(&target);
	sbuf_release(&detail);
	sbuf_release(&to);
	avvik_record_clear(&r);
	avvik_class_clear(&c);
}
