/*
 * reports.c - the trend, compare and summary reports, rendered by report/'s
 * own HTML renderer and served as they are, with a link back.  A reader
 * who is not an admin gets the whole region or one of their own
 * organisations; free text (the summary's excerpts) only for an adviser's
 * own organisation.  The report's inline styles are allowed by their hashes
 * in the CSP.
 */
#include "serve/serve_int.h"
#include "report/report.h"

#include <sodium.h>
#include <stdlib.h>
#include <string.h>

void serve_reports_page(serve_req *rq, serve_resp *rs)
{
	sbuf *b = &rs->body;
	const char *orgs = rq->user.orgs && *rq->user.orgs ? rq->user.orgs : NULL;

	serve_page_begin(rs, rq, "Rapporter");
	if (rq->role != SERVE_ROLE_ADMIN) {
		sbuf_adds(b, "<p>Dine organisasjoner: ");
		serve_html_escape(b, orgs ? orgs : "ingen");
		sbuf_adds(b, ". La organisasjon stå tom for hele regionen.</p>\n");
	}
	sbuf_adds(b, "<h2>Trend</h2>\n<form class=\"filters\" method=\"get\" action=\"/report/trend\">\n"
		  "<label>Fra <input name=\"from\" placeholder=\"2023-01\"></label>\n"
		  "<label>Til <input name=\"to\" placeholder=\"2024-12\"></label>\n"
		  "<label>Per <select name=\"by\"><option value=\"month\">måned</option>"
		  "<option value=\"quarter\">kvartal</option></select></label>\n");
	sbuf_adds(b, "<label>Kategori <select name=\"category\"><option value=\"\">alle</option>");
	for (size_t i = 0; rq->rules && i < classify_category_count(rq->rules); i++) {
		const char *code = classify_category_code(rq->rules, i);
		sbuf_adds(b, "<option value=\"");
		serve_html_escape(b, code);
		sbuf_adds(b, "\">");
		serve_html_escape(b, serve_category_label(rq, code));
		sbuf_adds(b, "</option>");
	}
	sbuf_adds(b, "</select></label>\n<label>Organisasjon <input name=\"org\"></label>\n"
		  "<button type=\"submit\">Vis trend</button>\n</form>\n"
		  "<h2>Sammenligning</h2>\n<form class=\"filters\" method=\"get\" action=\"/report/compare\">\n"
		  "<label>Periode A <input name=\"a\" required placeholder=\"2023\"></label>\n"
		  "<label>Periode B <input name=\"b\" required placeholder=\"2024\"></label>\n"
		  "<button type=\"submit\">Sammenlign</button>\n</form>\n"
		  "<h2>Oppsummering</h2>\n<form class=\"filters\" method=\"get\" action=\"/report/summary\">\n"
		  "<label>Periode <input name=\"period\" required placeholder=\"2024\"></label>\n"
		  "<label>Mot <input name=\"vs\" placeholder=\"2023\"></label>\n"
		  "<label>Organisasjon <input name=\"org\"></label>\n"
		  "<button type=\"submit\">Vis oppsummering</button>\n</form>\n");
	serve_page_end(rs);
}

static const char *label_cb(void *ctx, const char *code)
{
	const serve_req *rq = ctx;
	return rq->rules ? classify_category_label(rq->rules, code) : NULL;
}

static int parse_period(const char *s, period *p)
{
	sbuf err = SBUF_INIT;
	int rc = period_parse(s, p, &err);

	sbuf_release(&err);
	return rc;
}

/* Adds 'sha256-…' of len bytes at p to the CSP sources in out, once. */
static void csp_hash(sbuf *out, const char *p, size_t len)
{
	unsigned char h[crypto_hash_sha256_BYTES];
	char b64[sodium_base64_ENCODED_LEN(crypto_hash_sha256_BYTES, sodium_base64_VARIANT_ORIGINAL)];
	sbuf src = SBUF_INIT;

	crypto_hash_sha256(h, (const unsigned char *)p, (unsigned long long)len);
	sodium_bin2base64(b64, sizeof b64, h, sizeof h, sodium_base64_VARIANT_ORIGINAL);
	sbuf_addf(&src, " 'sha256-%s'", b64);
	if (!strstr(out->buf, src.buf))
		sbuf_add(out, src.buf, src.len);
	sbuf_release(&src);
}

/* The report page as the renderer wrote it, with a way back, and the
 * hashes of its <style> element and its style attributes (the SVG's) for
 * the CSP, so nothing else inline is allowed. */
static void report_wrap(serve_resp *rs, const char *html, size_t len)
{
	const char *st = strstr(html, "<style>"), *se = st ? strstr(st, "</style>") : NULL;
	const char *main = strstr(html, "<main>\n"), *a;
	sbuf src = SBUF_INIT;

	if (st && se)
		csp_hash(&src, st + 7, (size_t)(se - st - 7));
	for (a = html; (a = strstr(a, " style=\"")); ) {
		const char *e = strchr(a + 8, '"');
		if (!e)
			break;
		csp_hash(&src, a + 8, (size_t)(e - a - 8));
		a = e;
	}
	if (src.len)
		rs->style_src = sbuf_detach(&src, NULL);
	sbuf_release(&src);
	if (main) {
		size_t k = (size_t)(main - html) + 7;
		sbuf_add(&rs->body, html, k);
		sbuf_adds(&rs->body, "<p><a href=\"/reports\">← Tilbake til rapportene</a></p>\n");
		sbuf_add(&rs->body, html + k, len - k);
	} else {
		sbuf_add(&rs->body, html, len);
	}
}

void serve_report_page(serve_req *rq, serve_resp *rs, const char *kind)
{
	const char *org = serve_arg_nz(rq, "org"), *v;
	report_opts o;
	period a, b, *pa = NULL, *pb = NULL;
	sbuf exclude = SBUF_INIT, err = SBUF_INIT;
	char *html = NULL;
	size_t len = 0;
	FILE *f;
	int rc;

	if (strcmp(kind, "trend") && strcmp(kind, "compare") && strcmp(kind, "summary")) {
		serve_error(rs, rq, 404, "Rapporten finnes ikke.");
		return;
	}
	if (!serve_may_report(rq->role, rq->user.orgs, org)) {
		serve_error(rs, rq, 403, "Du kan se rapporter for hele regionen eller for dine egne organisasjoner.");
		return;
	}
	if (!rq->commit) {
		serve_error(rs, rq, 404, "Ingenting er klassifisert ennå.");
		return;
	}
	memset(&o, 0, sizeof o);
	o.commit = rq->commit;
	o.format = REPORT_HTML;
	o.category_label = label_cb;
	o.label_ctx = rq;
	o.no_text = !serve_may_report_text(rq->role, rq->user.orgs, org);
	o.filter.org = org;
	o.filter.categories = serve_arg_nz(rq, "category");
	for (size_t i = 0; rq->rules && i < classify_category_count(rq->rules); i++) {
		const char *code = classify_category_code(rq->rules, i);
		if (!classify_category_counted(rq->rules, code)) {
			if (exclude.len)
				sbuf_addch(&exclude, ',');
			sbuf_adds(&exclude, code);
		}
	}
	o.exclude = exclude.buf;
	if (!strcmp(kind, "compare")) {
		if (!serve_arg_nz(rq, "a") || !serve_arg_nz(rq, "b") || parse_period(serve_arg(rq, "a"), &a) ||
		    parse_period(serve_arg(rq, "b"), &b))
			goto bad;
		pa = &a;
		pb = &b;
	} else if (!strcmp(kind, "summary")) {
		if (!(v = serve_arg_nz(rq, "period")) || parse_period(v, &a))
			goto bad;
		pa = &a;
		if ((v = serve_arg_nz(rq, "vs"))) {
			if (parse_period(v, &b))
				goto bad;
			pb = &b;
		}
	} else {
		const char *from = serve_arg_nz(rq, "from"), *to = serve_arg_nz(rq, "to");
		if (from || to) {
			sbuf r = SBUF_INIT;
			sbuf_addf(&r, "%s..%s", from ? from : "2000", to ? to : "2099");
			rc = parse_period(r.buf, &a);
			sbuf_release(&r);
			if (rc)
				goto bad;
			pa = &a;
		}
	}
	if (!(f = open_memstream(&html, &len))) {
		serve_error(rs, rq, 500, "Tomt for minne.");
		goto out;
	}
	if (!strcmp(kind, "compare"))
		rc = report_compare(rq->st, &o, pa, pb, f, &err);
	else if (!strcmp(kind, "summary"))
		rc = report_summary(rq->st, &o, pa, pb, f, &err);
	else
		rc = report_trend(rq->st, &o, pa, (v = serve_arg(rq, "by")) && !strcmp(v, "quarter") ?
				  REPORT_BY_QUARTER : REPORT_BY_MONTH, f, &err);
	fclose(f);
	if (rc) {
		log_error("serve: report %s: %s", kind, err.buf);
		serve_error(rs, rq, 500, "Rapporten kunne ikke lages.");
	} else {
		report_wrap(rs, html, len);
	}
	free(html);
	goto out;
bad:
	serve_error(rs, rq, 400, "Ugyldig periode (skriv f.eks. 2024, 2024-Q3, 2024-07 eller 2024-01..2024-06).");
out:
	sbuf_release(&exclude);
	sbuf_release(&err);
}
