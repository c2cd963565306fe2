/*
 * parse.c - what the server reads from a request (form bodies, cookies)
 * and writes into its answers (URLs, HTML, CSV cells), and the access
 * decisions: small pure functions, unit-tested and fuzzed.
 */
#include "serve/serve.h"
#include "report/report.h"

#include <stdlib.h>
#include <string.h>

#define FORM_MAX_FIELDS 64

static int hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c |= 0x20;
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

/* Decodes one urlencoded component of len bytes; -1 when malformed. */
static int form_decode(sbuf *out, const char *s, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++) {
		int c = (unsigned char)s[i];

		if (c == '+') {
			c = ' ';
		} else if (c == '%') {
			int h, l;
			if (i + 2 >= len || (h = hexval(s[i + 1])) < 0 || (l = hexval(s[i + 2])) < 0)
				return -1;
			c = h * 16 + l;
			i += 2;
		}
		if (c == 0)
			return -1;
		sbuf_addch(out, c);
	}
	return utf8_valid(out->buf, out->len) ? 0 : -1;
}

void serve_form_clear(serve_form *f)
{
	for (size_t i = 0; i < f->n; i++) {
		free(f->v[i].name);
		free(f->v[i].value);
	}
	free(f->v);
	f->v = NULL;
	f->n = 0;
}

int serve_form_parse(serve_form *out, const char *body, size_t len)
{
	const char *p = body, *end = body + len;

	out->v = NULL;
	out->n = 0;
	while (p < end) {
		const char *amp = memchr(p, '&', (size_t)(end - p));
		const char *fe = amp ? amp : end;
		const char *eq = memchr(p, '=', (size_t)(fe - p));
		sbuf name = SBUF_INIT, value = SBUF_INIT;

		if (fe > p) {
			const char *ne = eq ? eq : fe;
			if (out->n == FORM_MAX_FIELDS || form_decode(&name, p, (size_t)(ne - p)) ||
			    (eq && form_decode(&value, eq + 1, (size_t)(fe - eq - 1)))) {
				sbuf_release(&name);
				sbuf_release(&value);
				serve_form_clear(out);
				return -1;
			}
			out->v = xrealloc(out->v, (out->n + 1) * sizeof *out->v);
			out->v[out->n].name = sbuf_detach(&name, NULL);
			out->v[out->n].value = sbuf_detach(&value, NULL);
			out->n++;
		}
		p = amp ? amp + 1 : end;
	}
	return 0;
}

const char *serve_form_get(const serve_form *f, const char *name)
{
	for (size_t i = 0; i < f->n; i++)
		if (!strcmp(f->v[i].name, name))
			return f->v[i].value;
	return NULL;
}

int serve_cookie_get(const char *header, const char *name, sbuf *out)
{
	size_t n = strlen(name);
	const char *p = header;

	if (!p || !n)
		return 0;
	while (*p) {
		const char *e = strchr(p, ';');
		const char *ce = e ? e : p + strlen(p);

		while (p < ce && (*p == ' ' || *p == '\t'))
			p++;
		if ((size_t)(ce - p) > n && !memcmp(p, name, n) && p[n] == '=') {
			const char *v = p + n + 1, *ve = ce;
			while (ve > v && (ve[-1] == ' ' || ve[-1] == '\t'))
				ve--;
			if (ve - v >= 2 && *v == '"' && ve[-1] == '"') {
				v++;
				ve--;
			}
			sbuf_reset(out);
			sbuf_add(out, v, (size_t)(ve - v));
			return 1;
		}
		p = e ? e + 1 : ce;
	}
	return 0;
}

void serve_url_encode(sbuf *out, const char *s)
{
	static const char hex[] = "0123456789ABCDEF";

	for (; s && *s; s++) {
		unsigned char c = (unsigned char)*s;
		if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		    c == '-' || c == '_' || c == '.' || c == '~') {
			sbuf_addch(out, c);
		} else {
			sbuf_addch(out, '%');
			sbuf_addch(out, hex[c >> 4]);
			sbuf_addch(out, hex[c & 15]);
		}
	}
}

void serve_html_escape(sbuf *out, const char *s)
{
	sbuf line = SBUF_INIT;

	/* svg_escape is the one escaper of report/; it makes a label one
	 * line, so line breaks are put back between the lines it escapes */
	while (s && *s) {
		size_t k = strcspn(s, "\n");

		sbuf_reset(&line);
		sbuf_add(&line, s, k);
		svg_escape(out, line.buf);
		s += k;
		if (*s == '\n') {
			sbuf_addch(out, '\n');
			s++;
		}
	}
	sbuf_release(&line);
}

void serve_csv_cell(sbuf *out, const char *s, char sep)
{
	sbuf v = SBUF_INIT;

	if (!s)
		return;
	if (strchr("=+-@\t\r", *s) && *s)
		sbuf_addch(&v, '\'');
	sbuf_adds(&v, s);
	sbuf_add_csv_field(out, v.buf, sep);
	sbuf_release(&v);
}

serve_role serve_role_parse(const char *s)
{
	if (!s)
		return SERVE_ROLE_NONE;
	if (!strcmp(s, "adviser"))
		return SERVE_ROLE_ADVISER;
	if (!strcmp(s, "fsu"))
		return SERVE_ROLE_FSU;
	if (!strcmp(s, "admin"))
		return SERVE_ROLE_ADMIN;
	return SERVE_ROLE_NONE;
}

int serve_may_read_records(serve_role r)
{
	return r == SERVE_ROLE_ADVISER || r == SERVE_ROLE_ADMIN;
}

int serve_may_see(serve_role r, const char *orgs, const char *reporter_org,
		  const char *concerned_org)
{
	if (r == SERVE_ROLE_ADMIN)
		return 1;
	if (r != SERVE_ROLE_ADVISER)
		return 0;
	return store_org_in(reporter_org, orgs) || store_org_in(concerned_org, orgs);
}

int serve_may_report(serve_role r, const char *orgs, const char *org)
{
	if (r == SERVE_ROLE_NONE)
		return 0;
	if (!org || !*org || r == SERVE_ROLE_ADMIN)
		return 1;
	return store_org_in(org, orgs);
}

int serve_may_report_text(serve_role r, const char *orgs, const char *org)
{
	if (r == SERVE_ROLE_ADMIN)
		return 1;
	return r == SERVE_ROLE_ADVISER && org && *org && store_org_in(org, orgs);
}

const char *serve_scope(serve_role r, const char *orgs)
{
	if (r == SERVE_ROLE_ADMIN)
		return NULL;
	return r == SERVE_ROLE_ADVISER && orgs ? orgs : "";
}
