/*
 * doc.c - the small document model of report_int.h and its renderers:
 * text (aligned tables, colour only when asked), Markdown, CSV (optionally
 * for Norwegian spreadsheets) and one self-contained, script-free HTML page
 * with inline SVG, laid out for A4.
 */
#include "report/report_int.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

void rdoc_init(rdoc *d, const report_opts *o, const char *title)
{
	memset(d, 0, sizeof *d);
	d->o = o;
	d->title = xstrdup(title);
}

void rdoc_clear(rdoc *d)
{
	for (size_t i = 0; i < d->n; i++) {
		rd_block *b = &d->b[i];
		free(b->text);
		free(b->cite);
		free(b->id);
		free(b->svg);
		for (size_t c = 0; c < b->ncol; c++)
			free(b->head[c]);
		free(b->head);
		for (size_t c = 0; c < b->nrow * b->ncol; c++)
			free(b->cells[c].s);
		free(b->cells);
	}
	free(d->b);
	free(d->title);
	memset(d, 0, sizeof *d);
}

static rd_block *rdoc_add(rdoc *d, rd_kind kind, const char *text)
{
	rd_block *b;

	d->b = xrealloc(d->b, (d->n + 1) * sizeof *d->b);
	b = &d->b[d->n++];
	memset(b, 0, sizeof *b);
	b->kind = kind;
	b->text = text ? xstrdup(text) : NULL;
	return b;
}

void rdoc_text(rdoc *d, rd_kind kind, const char *text)
{
	rdoc_add(d, kind, text);
}

void rdoc_quote(rdoc *d, const char *text, const char *cite)
{
	rd_block *b = rdoc_add(d, RD_QUOTE, text);
	b->cite = cite ? xstrdup(cite) : NULL;
}

rd_block *rdoc_table(rdoc *d, const char *id, const char *caption, const char *const *head)
{
	rd_block *b = rdoc_add(d, RD_TABLE, caption);

	b->id = xstrdup(id);
	while (head[b->ncol])
		b->ncol++;
	b->head = xmalloc(b->ncol * sizeof *b->head);
	for (size_t c = 0; c < b->ncol; c++)
		b->head[c] = xstrdup(head[c]);
	return b;
}

/* The next cell; starts a new row when the last one is full. */
static rd_cell *rdoc_next_cell(rd_block *t)
{
	size_t used = 0;

	/* cells are allocated a row at a time; count the filled ones */
	if (t->nrow) {
		for (used = 0; used < t->ncol; used++) {
			rd_cell *c = &t->cells[(t->nrow - 1) * t->ncol + used];
			if (!c->s && !c->is_num)
				break;
		}
	}
	if (!t->nrow || used == t->ncol) {
		t->cells = xrealloc(t->cells, (t->nrow + 1) * t->ncol * sizeof *t->cells);
		memset(&t->cells[t->nrow * t->ncol], 0, t->ncol * sizeof *t->cells);
		t->nrow++;
		used = 0;
	}
	return &t->cells[(t->nrow - 1) * t->ncol + used];
}

static rd_cell *last_cell;   /* for rdoc_cell_strong; reports are single-threaded */

void rdoc_cell_text(rd_block *t, const char *s)
{
	rd_cell *c = rdoc_next_cell(t);
	c->s = xstrdup(s ? s : "");
	last_cell = c;
}

void rdoc_cell_num(rd_block *t, double v, int decimals)
{
	rd_cell *c = rdoc_next_cell(t);
	c->is_num = 1;
	c->v = v;
	c->decimals = decimals;
	last_cell = c;
}

void rdoc_cell_pct(rd_block *t, double v, int decimals)
{
	rdoc_cell_num(t, v, decimals);
	last_cell->pct = 1;
}

void rdoc_cell_p(rd_block *t, double p)
{
	rdoc_cell_num(t, p, 4);
	last_cell->pval = 1;
}

void rdoc_cell_strong(rd_block *t)
{
	(void)t;
	if (last_cell)
		last_cell->strong = 1;
}

rd_block *rdoc_figure(rdoc *d, const char *caption, const char *svg)
{
	rd_block *b = rdoc_add(d, RD_FIGURE, caption);
	b->svg = xstrdup(svg);
	return b;
}

/* ---- shared helpers ---- */

static void num_plain(sbuf *out, double v, int decimals, int comma, int unicode_minus)
{
	char b[64];
	char *p;

	if (!isfinite(v)) {
		sbuf_adds(out, unicode_minus ? "–" : "");
		return;
	}
	snprintf(b, sizeof b, "%.*f", decimals, fabs(v));
	if (comma && (p = strchr(b, '.')))
		*p = ',';
	if (v < 0 && strspn(b, "0,.") != strlen(b))
		sbuf_adds(out, unicode_minus ? "−" : "-");
	sbuf_adds(out, b);
}

void report_num(const report_opts *o, sbuf *out, double v, int decimals)
{
	num_plain(out, v, decimals, o->lang != REPORT_LANG_EN, 1);
}

void report_pval(const report_opts *o, sbuf *out, double p)
{
	if (!isfinite(p)) {
		sbuf_adds(out, "–");
		return;
	}
	if (p < 0.0001) {
		sbuf_adds(out, "< ");
		report_num(o, out, 0.0001, 4);
		return;
	}
	report_num(o, out, p, p < 0.001 ? 5 : 4);
}

void report_p(const report_opts *o, sbuf *out, double p)
{
	/* "p = < 0,0001" reads as a typo: the relation is part of the value */
	sbuf_adds(out, isfinite(p) && p < 0.0001 ? "p " : "p = ");
	report_pval(o, out, p);
}

void report_json_num(sbuf *out, double v)
{
	if (isfinite(v))
		sbuf_addf(out, "%.6g", v);
	else
		sbuf_adds(out, "null");
}

void report_share_json(const report_share *s, sbuf *out)
{
	int i;

	sbuf_adds(out, "\"share\": [");
	report_json_num(out, s->share[0]);
	sbuf_adds(out, ", ");
	report_json_num(out, s->share[1]);
	sbuf_adds(out, "], \"ci95\": [");
	for (i = 0; i < 2; i++) {
		sbuf_adds(out, i ? ", [" : "[");
		report_json_num(out, s->lo[i]);
		sbuf_adds(out, ", ");
		report_json_num(out, s->hi[i]);
		sbuf_addch(out, ']');
	}
	sbuf_adds(out, "], \"fisher_p\": ");
	report_json_num(out, s->fisher_p);
}

const char *report_cat_label(const report_opts *o, const char *code)
{
	const char *l = NULL;

	if (o->lang == REPORT_LANG_EN && o->category_label_en)
		l = o->category_label_en(o->label_ctx, code);
	if (!l && o->category_label)
		l = o->category_label(o->label_ctx, code);
	return l ? l : code;
}

const char *report_org_label(const report_opts *o, const char *id)
{
	const char *l;

	if (id[0] == '?')
		return id[1] ? id + 1 : RL(o, "(ukjent)", "(unknown)");
	l = o->org_label ? o->org_label(o->label_ctx, id) : NULL;
	return l ? l : id;
}

size_t report_text_width(const char *s)
{
	return utf8_width(s);
}

void report_excerpt(sbuf *out, const char *s, size_t max)
{
	sbuf t = SBUF_INIT;
	const char *p, *end, *cut = NULL, *last_space = NULL;
	size_t n = 0;

	utf8_sanitize(&t, s, strlen(s));
	sbuf_squeeze_space(&t);
	sbuf_trim(&t);
	p = t.buf;
	end = t.buf + t.len;
	while (p < end) {
		if (*p == ' ')
			last_space = p;
		if (n == max) {
			cut = p;
			break;
		}
		utf8_next(&p, end);
		n++;
	}
	if (!cut) {
		sbuf_add(out, t.buf, t.len);
	} else {
		/* a word boundary, unless that would leave too little */
		if (last_space && last_space > t.buf + t.len / 4 && (size_t)(last_space - t.buf) > max / 2)
			cut = last_space;
		while (cut > t.buf && strchr(" ,.;:", cut[-1]))
			cut--;
		sbuf_add(out, t.buf, (size_t)(cut - t.buf));
		sbuf_adds(out, "…");
	}
	sbuf_release(&t);
}

size_t report_months(const period *p, char (**keys)[8])
{
	int y, m, ey, em;
	size_t n = 0;

	*keys = NULL;
	if (sscanf(p->start, "%4d-%2d", &y, &m) != 2 || sscanf(p->end, "%4d-%2d", &ey, &em) != 2)
		return 0;
	/* end is exclusive and a month's first day in every period form */
	while (y < ey || (y == ey && m < em)) {
		*keys = xrealloc(*keys, (n + 1) * sizeof **keys);
		snprintf((*keys)[n++], 8, "%04d-%02d", y, m);
		if (++m > 12) {
			m = 1;
			y++;
		}
	}
	return n;
}

/* ---- renderers ---- */

static void cell_str(const rdoc *d, const rd_cell *c, sbuf *out, int csv)
{
	const report_opts *o = d->o;

	if (!c->is_num) {
		sbuf_adds(out, c->s);
		return;
	}
	if (csv) {
		num_plain(out, c->v, c->decimals, !o->csv_c, 0);
		return;
	}
	if (c->pval) {
		report_pval(o, out, c->v);
		return;
	}
	num_plain(out, c->v, c->decimals, o->lang != REPORT_LANG_EN, 1);
	if (c->pct && isfinite(c->v))
		sbuf_adds(out, " %");
}

static void pad(sbuf *out, size_t n)
{
	while (n--)
		sbuf_addch(out, ' ');
}

/* Word-wraps s to width columns with the given indent. */
static void wrap(sbuf *out, const char *s, size_t width, size_t indent)
{
	const char *p = s;
	size_t col = 0;

	while (*p) {
		const char *w = p;
		size_t wl;
		sbuf word = SBUF_INIT;

		while (*p && *p != ' ' && *p != '\n')
			p++;
		sbuf_add(&word, w, (size_t)(p - w));
		wl = report_text_width(word.buf);
		if (col > indent && col + 1 + wl > width) {
			sbuf_addch(out, '\n');
			pad(out, indent);
			col = indent;
		} else if (col > indent) {
			sbuf_addch(out, ' ');
			col++;
		} else if (col == 0) {
			pad(out, indent);
			col = indent;
		}
		sbuf_add(out, word.buf, word.len);
		col += wl;
		sbuf_release(&word);
		if (*p == '\n') {
			sbuf_addch(out, '\n');
			col = 0;
		}
		while (*p == ' ' || *p == '\n')
			p++;
	}
	sbuf_addch(out, '\n');
}

static void render_text(const rdoc *d, sbuf *out)
{
	const int color = d->o->color;
	const char *bold = color ? "\033[1m" : "", *red = color ? "\033[1;31m" : "",
		   *dim = color ? "\033[2m" : "", *off = color ? "\033[0m" : "";
	const char *heading = NULL;
	sbuf cell = SBUF_INIT;

	for (size_t i = 0; i < d->n; i++) {
		const rd_block *b = &d->b[i];
		size_t w;

		switch (b->kind) {
		case RD_H1:
		case RD_H2:
		case RD_APPENDIX:
			if (i && !(out->len >= 2 && out->buf[out->len - 2] == '\n'))
				sbuf_addch(out, '\n');
			if (b->kind == RD_APPENDIX)
				sbuf_addch(out, '\n');
			sbuf_addf(out, "%s%s%s\n", bold, b->text, off);
			for (w = report_text_width(b->text); w; w--)
				sbuf_addch(out, b->kind == RD_H2 ? '-' : '=');
			sbuf_addch(out, '\n');
			heading = b->text;
			break;
		case RD_WARN: {
			sbuf q = SBUF_INIT;

			sbuf_addf(&q, "%s %s", RL(d->o, "OBS:", "NOTE:"), b->text);
			sbuf_adds(out, bold);
			wrap(out, q.buf, 78, 0);
			if (color) {
				sbuf_setlen(out, out->len - 1);
				sbuf_adds(out, off);
				sbuf_addch(out, '\n');
			}
			sbuf_addch(out, '\n');
			sbuf_release(&q);
			break;
		}
		case RD_LEAD:
		case RD_P:
			wrap(out, b->text, 78, 0);
			sbuf_addch(out, '\n');
			break;
		case RD_NOTE:
			sbuf_adds(out, dim);
			wrap(out, b->text, 78, 0);
			if (color) {
				/* the colour must end before the line break */
				sbuf_setlen(out, out->len - 1);
				sbuf_adds(out, off);
				sbuf_addch(out, '\n');
			}
			sbuf_addch(out, '\n');
			break;
		case RD_QUOTE: {
			sbuf q = SBUF_INIT;

			sbuf_addf(&q, "«%s»", b->text);
			if (b->cite)
				sbuf_addf(&q, " (%s)", b->cite);
			wrap(out, q.buf, 78, 2);
			sbuf_release(&q);
			break;
		}
		case RD_FIGURE:
			break;   /* charts are for html; the data is in a table */
		case RD_TABLE: {
			size_t *cw = xcalloc(b->ncol, sizeof *cw);

			for (size_t c = 0; c < b->ncol; c++)
				cw[c] = report_text_width(b->head[c]);
			for (size_t r = 0; r < b->nrow; r++)
				for (size_t c = 0; c < b->ncol; c++) {
					sbuf_reset(&cell);
					cell_str(d, &b->cells[r * b->ncol + c], &cell, 0);
					if ((w = report_text_width(cell.buf)) > cw[c])
						cw[c] = w;
				}
			/* a caption that repeats the heading above says nothing */
			if (b->text && *b->text && !(heading && !strcmp(heading, b->text)))
				sbuf_addf(out, "%s%s%s\n", bold, b->text, off);
			for (size_t r = 0; r <= b->nrow; r++) {
				sbuf_adds(out, "  ");
				for (size_t c = 0; c < b->ncol; c++) {
					const rd_cell *ce = r ? &b->cells[(r - 1) * b->ncol + c] : NULL;
					int right = ce ? ce->is_num : (b->nrow && b->cells[c].is_num);

					sbuf_reset(&cell);
					if (ce)
						cell_str(d, ce, &cell, 0);
					else
						sbuf_adds(&cell, b->head[c]);
					w = report_text_width(cell.buf);
					if (c)
						sbuf_adds(out, "  ");
					if (right)
						pad(out, cw[c] - w);
					if (ce && ce->strong)
						sbuf_adds(out, red);
					sbuf_add(out, cell.buf, cell.len);
					if (ce && ce->strong)
						sbuf_adds(out, off);
					if (!right && c + 1 < b->ncol)
						pad(out, cw[c] - w);
				}
				sbuf_addch(out, '\n');
				if (!r) {
					sbuf_adds(out, "  ");
					for (size_t c = 0; c < b->ncol; c++) {
						if (c)
							sbuf_adds(out, "  ");
						for (w = 0; w < cw[c]; w++)
							sbuf_addch(out, '-');
					}
					sbuf_addch(out, '\n');
				}
			}
			sbuf_addch(out, '\n');
			free(cw);
			break;
		}
		}
	}
	sbuf_release(&cell);
}

/* Markdown: | and the line structure must not break a table. */
static void md_escape(sbuf *out, const char *s)
{
	for (; *s; s++) {
		if (*s == '|' || *s == '\\' || *s == '<' || *s == '>' || *s == '*' || *s == '_' ||
		    *s == '`' || *s == '[' || *s == ']')
			sbuf_addch(out, '\\');
		sbuf_addch(out, *s == '\n' || *s == '\r' ? ' ' : *s);
	}
}

static void render_md(const rdoc *d, sbuf *out)
{
	const char *heading = NULL;
	sbuf cell = SBUF_INIT;

	for (size_t i = 0; i < d->n; i++) {
		const rd_block *b = &d->b[i];

		switch (b->kind) {
		case RD_H1: sbuf_adds(out, "# "); md_escape(out, b->text); sbuf_adds(out, "\n\n"); break;
		case RD_H2:
		case RD_APPENDIX:
			sbuf_adds(out, "## ");
			md_escape(out, b->text);
			sbuf_adds(out, "\n\n");
			heading = b->text;
			break;
		case RD_WARN:
			sbuf_adds(out, RL(d->o, "> **OBS:** ", "> **NOTE:** "));
			md_escape(out, b->text);
			sbuf_adds(out, "\n\n");
			break;
		case RD_LEAD:
		case RD_P: md_escape(out, b->text); sbuf_adds(out, "\n\n"); break;
		case RD_NOTE: sbuf_adds(out, "*"); md_escape(out, b->text); sbuf_adds(out, "*\n\n"); break;
		case RD_QUOTE:
			sbuf_adds(out, "> ");
			md_escape(out, b->text);
			if (b->cite) {
				sbuf_adds(out, " — ");
				md_escape(out, b->cite);
			}
			sbuf_adds(out, "\n\n");
			break;
		case RD_FIGURE: break;
		case RD_TABLE:
			if (b->text && *b->text && !(heading && !strcmp(heading, b->text))) {
				sbuf_adds(out, "**");
				md_escape(out, b->text);
				sbuf_adds(out, "**\n\n");
			}
			sbuf_adds(out, "|");
			for (size_t c = 0; c < b->ncol; c++) {
				sbuf_addch(out, ' ');
				md_escape(out, b->head[c]);
				sbuf_adds(out, " |");
			}
			sbuf_adds(out, "\n|");
			for (size_t c = 0; c < b->ncol; c++)
				sbuf_adds(out, b->nrow && b->cells[c].is_num ? " ---: |" : " --- |");
			sbuf_addch(out, '\n');
			for (size_t r = 0; r < b->nrow; r++) {
				sbuf_adds(out, "|");
				for (size_t c = 0; c < b->ncol; c++) {
					const rd_cell *ce = &b->cells[r * b->ncol + c];
					sbuf_reset(&cell);
					cell_str(d, ce, &cell, 0);
					sbuf_adds(out, ce->strong ? " **" : " ");
					md_escape(out, cell.buf);
					sbuf_adds(out, ce->strong ? "** |" : " |");
				}
				sbuf_addch(out, '\n');
			}
			sbuf_addch(out, '\n');
			break;
		}
	}
	sbuf_release(&cell);
}

/* CSV: every table, each headed by a row naming it, a blank row between;
 * headings and prose are left out (a spreadsheet wants the numbers). */
static void render_csv(const rdoc *d, sbuf *out)
{
	char sep = !d->o->csv_c ? ';' : ',';
	sbuf cell = SBUF_INIT;
	int first = 1;

	if (!d->o->csv_c)
		sbuf_adds(out, "\xEF\xBB\xBF");   /* Excel reads UTF-8 only with a BOM */
	for (size_t i = 0; i < d->n; i++) {
		const rd_block *b = &d->b[i];

		if (b->kind != RD_TABLE)
			continue;
		if (!first)
			sbuf_adds(out, "\r\n");
		first = 0;
		sbuf_add_csv_text(out, b->id, sep);
		sbuf_addch(out, sep);
		sbuf_add_csv_text(out, b->text ? b->text : "", sep);
		sbuf_adds(out, "\r\n");
		for (size_t r = 0; r <= b->nrow; r++) {
			for (size_t c = 0; c < b->ncol; c++) {
				if (c)
					sbuf_addch(out, sep);
				sbuf_reset(&cell);
				if (r)
					cell_str(d, &b->cells[(r - 1) * b->ncol + c], &cell, 1);
				else
					sbuf_adds(&cell, b->head[c]);
				if (r && b->cells[(r - 1) * b->ncol + c].is_num)
					sbuf_add_csv_field(out, cell.buf, sep);
				else
					sbuf_add_csv_text(out, cell.buf, sep);
			}
			sbuf_adds(out, "\r\n");
		}
	}
	sbuf_release(&cell);
}

/* Laid out so that the summary prints as one A4 page and an appendix:
 * small type, two half-width blocks side by side, the appendix on a page
 * of its own. */
static const char html_css[] =
	"@page{size:A4;margin:10mm 12mm 10mm 12mm}"
	"html{-webkit-print-color-adjust:exact;print-color-adjust:exact}"
	"body{font-family:'DejaVu Sans','Liberation Sans',Arial,sans-serif;font-size:9pt;"
	"line-height:1.3;color:#1a1a1a;max-width:186mm;margin:0 auto;padding:4mm 4mm;background:#fff}"
	"h1{font-size:14pt;margin:0 0 2mm;color:#0b3d63}"
	"h2{font-size:10.5pt;margin:3mm 0 1mm;padding-bottom:0.5mm;border-bottom:1px solid #c8d3dc;"
	"color:#0b3d63;break-after:avoid;page-break-after:avoid}"
	"p{margin:0 0 1.5mm}p.note{color:#555;font-size:7.5pt}"
	"p.lead{font-size:10pt;line-height:1.35;margin:0 0 2mm}"
	"p.warn{border-left:4px solid #b00020;background:#fdf0f2;padding:1mm 2mm;font-weight:bold}"
	"table{border-collapse:collapse;margin:0.5mm 0 1.5mm;font-size:8pt;break-inside:avoid;"
	"page-break-inside:avoid}"
	"caption{text-align:left;font-weight:bold;padding-bottom:0.5mm}"
	"th,td{padding:0.3mm 2mm;border-bottom:1px solid #e1e6ea;vertical-align:top;text-align:left}"
	"th{background:#eef3f7}td.n,th.n{text-align:right;font-variant-numeric:tabular-nums;"
	"white-space:nowrap}"
	"td.s{color:#b00020;font-weight:bold}td+td{white-space:nowrap}"
	"figure{margin:0.5mm 0 1mm;break-inside:avoid;page-break-inside:avoid}"
	"figure svg{display:block;width:100%;height:auto;max-height:72mm}"
	"figcaption{font-size:7.5pt;color:#444;margin-top:0.5mm}"
	".row{display:flex;gap:4mm;align-items:flex-start}.row>*{flex:1 1 0;min-width:0}"
	"blockquote{margin:0.5mm 0 1mm 2mm;padding-left:2mm;border-left:3px solid #c8d3dc;"
	"font-size:8pt;color:#333}blockquote p{margin:0}"
	"blockquote cite{display:block;font-style:normal;color:#666;font-size:7pt}"
	".appendix{break-before:page;page-break-before:always;font-size:8pt}"
	".appendix h2{margin-top:0}.appendix p{margin:0 0 1mm}"
	"@media screen{.appendix{margin-top:10mm;border-top:2px solid #0b3d63;padding-top:4mm}}"
	"@media print{body{padding:0;max-width:none}a{color:inherit}}";

static void html_table(const rdoc *d, const rd_block *b, sbuf *out, const char *heading)
{
	sbuf cell = SBUF_INIT;

	sbuf_adds(out, "<table>\n");
	if (b->text && *b->text && !(heading && !strcmp(heading, b->text))) {
		sbuf_adds(out, "<caption>");
		svg_escape(out, b->text);
		sbuf_adds(out, "</caption>\n");
	}
	sbuf_adds(out, "<thead><tr>");
	for (size_t c = 0; c < b->ncol; c++) {
		sbuf_adds(out, b->nrow && b->cells[c].is_num ? "<th scope=\"col\" class=\"n\">" : "<th scope=\"col\">");
		svg_escape(out, b->head[c]);
		sbuf_adds(out, "</th>");
	}
	sbuf_adds(out, "</tr></thead>\n<tbody>\n");
	for (size_t r = 0; r < b->nrow; r++) {
		sbuf_adds(out, "<tr>");
		for (size_t c = 0; c < b->ncol; c++) {
			const rd_cell *ce = &b->cells[r * b->ncol + c];
			sbuf_reset(&cell);
			cell_str(d, ce, &cell, 0);
			sbuf_addf(out, "<td%s>", ce->is_num ? (ce->strong ? " class=\"n s\"" : " class=\"n\"")
							   : (ce->strong ? " class=\"s\"" : ""));
			svg_escape(out, cell.buf);
			sbuf_adds(out, "</td>");
		}
		sbuf_adds(out, "</tr>\n");
	}
	sbuf_adds(out, "</tbody>\n</table>\n");
	sbuf_release(&cell);
}

static void render_html(const rdoc *d, sbuf *out)
{
	const report_opts *o = d->o;
	const char *heading = NULL;
	int in_section = 0, in_row = 0, in_appendix = 0;

	sbuf_addf(out, "<!DOCTYPE html>\n<html lang=\"%s\">\n<head>\n<meta charset=\"utf-8\">\n",
		  o->lang == REPORT_LANG_EN ? "en" : "nb");
	sbuf_adds(out, "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
		       "<meta name=\"generator\" content=\"avvik\">\n<title>");
	svg_escape(out, d->title);
	sbuf_addf(out, "</title>\n<style>%s</style>\n</head>\n<body>\n<main>\n", html_css);
	for (size_t i = 0; i < d->n; i++) {
		const rd_block *b = &d->b[i];

		if (b->text_only)
			continue;
		/* half-width blocks go two to a row */
		if (in_row && (!b->half || in_row == 2)) {
			sbuf_adds(out, "</div>\n");
			in_row = 0;
		}
		if (b->half) {
			if (!in_row)
				sbuf_adds(out, "<div class=\"row\">\n");
			in_row++;
			sbuf_adds(out, "<div>\n");
		}
		switch (b->kind) {
		case RD_H1:
			sbuf_adds(out, "<h1>");
			svg_escape(out, b->text);
			sbuf_adds(out, "</h1>\n");
			break;
		case RD_H2:
		case RD_APPENDIX:
			if (in_section)
				sbuf_adds(out, "</section>\n");
			if (b->kind == RD_APPENDIX && !in_appendix) {
				sbuf_adds(out, "<div class=\"appendix\">\n");
				in_appendix = 1;
			}
			in_section = 1;
			sbuf_adds(out, "<section>\n<h2>");
			svg_escape(out, b->text);
			sbuf_adds(out, "</h2>\n");
			heading = b->text;
			break;
		case RD_P:
		case RD_NOTE:
		case RD_LEAD:
		case RD_WARN:
			sbuf_adds(out, b->kind == RD_NOTE ? "<p class=\"note\">"
				       : b->kind == RD_LEAD ? "<p class=\"lead\">"
				       : b->kind == RD_WARN ? "<p class=\"warn\" role=\"note\">" : "<p>");
			svg_escape(out, b->text);
			sbuf_adds(out, "</p>\n");
			break;
		case RD_QUOTE:
			sbuf_adds(out, "<blockquote><p>");
			svg_escape(out, b->text);
			sbuf_adds(out, "</p>");
			if (b->cite) {
				sbuf_adds(out, "<cite>");
				svg_escape(out, b->cite);
				sbuf_adds(out, "</cite>");
			}
			sbuf_adds(out, "</blockquote>\n");
			break;
		case RD_FIGURE:
			sbuf_adds(out, "<figure>\n");
			sbuf_adds(out, b->svg);   /* built by svg.c, escaped there */
			if (b->text) {
				sbuf_adds(out, "<figcaption>");
				svg_escape(out, b->text);
				sbuf_adds(out, "</figcaption>\n");
			}
			sbuf_adds(out, "</figure>\n");
			break;
		case RD_TABLE:
			html_table(d, b, out, heading);
			break;
		}
		if (b->half)
			sbuf_adds(out, "</div>\n");
	}
	if (in_row)
		sbuf_adds(out, "</div>\n");
	if (in_section)
		sbuf_adds(out, "</section>\n");
	if (in_appendix)
		sbuf_adds(out, "</div>\n");
	sbuf_adds(out, "</main>\n</body>\n</html>\n");
}

int rdoc_render(const rdoc *d, sbuf *out, sbuf *err)
{
	switch (d->o->format) {
	case REPORT_XLSX: return rdoc_render_xlsx(d, out, err);
	case REPORT_MD: render_md(d, out); break;
	case REPORT_CSV: render_csv(d, out); break;
	case REPORT_HTML: render_html(d, out); break;
	default: render_text(d, out); break;
	}
	return 0;
}
