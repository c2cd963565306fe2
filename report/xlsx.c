/*
 * xlsx.c - spreadsheets through libxlsxwriter: a report's tables, one
 * worksheet each, and the export, one row per deviation.  Numbers are
 * number cells, dates date cells, booleans boolean cells (a CSV leaves a
 * spreadsheet to guess, and Norwegian LibreOffice guesses 31.5 is 31 May);
 * every sheet has a bold header row, frozen panes and column widths.
 *
 * libxlsxwriter writes to a named file only, so the workbook goes to a
 * private temporary file (mode 0600: it holds health data) and its bytes
 * are handed back; the caller writes them where the user asked.
 */
#include "report/report_int.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>
#include <xlsxwriter.h>

/* ---- the temporary file ---- */

typedef struct {
	char path[4096];
	lxw_workbook *wb;
	lxw_format *head, *bold, *title, *wrap, *strong, *date, *month, *datetime;
	lxw_format *num[6], *pct[3], *pval;
} xl_book;

static int xl_open(xl_book *x, int constant_memory, sbuf *err)
{
	const char *dir = getenv("TMPDIR");
	lxw_workbook_options opt = { 0 };
	int fd;

	memset(x, 0, sizeof *x);
	if (!dir || !*dir)
		dir = "/tmp";
	if ((size_t)snprintf(x->path, sizeof x->path, "%s/avvik-xlsx-XXXXXX", dir) >= sizeof x->path) {
		sbuf_addf(err, "xlsx: TMPDIR is too long");
		return -1;
	}
	/* mkstemp creates it 0600; libxlsxwriter truncates it, keeping the mode */
	if ((fd = mkstemp(x->path)) < 0) {
		sbuf_addf(err, "xlsx: %s: %s", x->path, strerror(errno));
		return -1;
	}
	close(fd);
	opt.constant_memory = (uint8_t)constant_memory;
	opt.tmpdir = (char *)dir;
	if (!(x->wb = workbook_new_opt(x->path, &opt))) {
		sbuf_addf(err, "xlsx: cannot create a workbook in %s", dir);
		unlink(x->path);
		return -1;
	}
	x->head = workbook_add_format(x->wb);
	format_set_bold(x->head);
	format_set_bottom(x->head, LXW_BORDER_THIN);
	format_set_bg_color(x->head, 0xEEF3F7);
	x->bold = workbook_add_format(x->wb);
	format_set_bold(x->bold);
	x->title = workbook_add_format(x->wb);
	format_set_bold(x->title);
	format_set_font_size(x->title, 14);
	x->wrap = workbook_add_format(x->wb);
	format_set_text_wrap(x->wrap);
	format_set_align(x->wrap, LXW_ALIGN_VERTICAL_TOP);
	x->strong = workbook_add_format(x->wb);
	format_set_bold(x->strong);
	format_set_font_color(x->strong, 0xB00020);
	x->date = workbook_add_format(x->wb);
	format_set_num_format(x->date, "yyyy-mm-dd");
	x->month = workbook_add_format(x->wb);
	format_set_num_format(x->month, "yyyy-mm");
	x->datetime = workbook_add_format(x->wb);
	format_set_num_format(x->datetime, "yyyy-mm-dd hh:mm:ss");
	for (int i = 0; i < 6; i++) {
		static const char *const f[6] = { "0", "0.0", "0.00", "0.000", "0.0000", "0.00000" };
		x->num[i] = workbook_add_format(x->wb);
		format_set_num_format(x->num[i], f[i]);
	}
	for (int i = 0; i < 3; i++) {
		static const char *const f[3] = { "0%", "0.0%", "0.00%" };
		x->pct[i] = workbook_add_format(x->wb);
		format_set_num_format(x->pct[i], f[i]);
	}
	x->pval = workbook_add_format(x->wb);
	format_set_num_format(x->pval, "0.0000");
	return 0;
}

/* Closes the workbook and moves its bytes to out; 0 ok, -1 with err. */
static int xl_close(xl_book *x, sbuf *out, sbuf *err)
{
	lxw_error e = workbook_close(x->wb);
	int rc = -1;

	x->wb = NULL;
	if (e != LXW_NO_ERROR)
		sbuf_addf(err, "xlsx: %s", lxw_strerror(e));
	else if (sbuf_read_file(out, x->path, 0))
		sbuf_addf(err, "xlsx: %s: %s", x->path, strerror(errno));
	else
		rc = 0;
	unlink(x->path);
	return rc;
}

/* "2024-03-05", "2024-03-05T10:22:33" or "2024-03" as a date cell's value;
 * 0 when s is one of those. */
static int xl_date(const char *s, lxw_datetime *dt, int *kind)
{
	int y, mo, d = 1, h = 0, mi = 0, se = 0, n = 0;
	size_t len = s ? strlen(s) : 0;

	if (len == 7 && sscanf(s, "%4d-%2d%n", &y, &mo, &n) == 2 && n == 7)
		*kind = 1;
	else if (len == 10 && sscanf(s, "%4d-%2d-%2d%n", &y, &mo, &d, &n) == 3 && n == 10)
		*kind = 2;
	else if (len == 19 && sscanf(s, "%4d-%2d-%2dT%2d:%2d:%2d%n", &y, &mo, &d, &h, &mi, &se, &n) == 6 &&
		 n == 19)
		*kind = 3;
	else
		return -1;
	if (y < 1900 || mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || se > 60)
		return -1;
	dt->year = y;
	dt->month = mo;
	dt->day = d;
	dt->hour = h;
	dt->min = mi;
	dt->sec = se;
	return 0;
}

static void xl_string(xl_book *x, lxw_worksheet *ws, lxw_row_t r, lxw_col_t c, const char *s,
		      lxw_format *f)
{
	sbuf clean = SBUF_INIT;

	if (!s || !*s)
		return;
	/* a string cell is never a formula; it must be valid UTF-8 */
	utf8_sanitize(&clean, s, strlen(s));
	worksheet_write_string(ws, r, c, clean.buf, f);
	(void)x;
	sbuf_release(&clean);
}

/* A text that is a date is written as a date. */
static void xl_text_or_date(xl_book *x, lxw_worksheet *ws, lxw_row_t r, lxw_col_t c, const char *s,
			    lxw_format *f)
{
	lxw_datetime dt;
	int kind;

	if (!f && xl_date(s, &dt, &kind) == 0)
		worksheet_write_datetime(ws, r, c, &dt, kind == 1 ? x->month : kind == 2 ? x->date : x->datetime);
	else
		xl_string(x, ws, r, c, s, f);
}

/* ---- a report ---- */

static void xl_sheet_name(sbuf *out, const char *want, char (*used)[32], size_t n_used)
{
	sbuf base = SBUF_INIT;
	const char *p, *end;
	size_t cps = 0;

	/* at most 31 characters, none of []:*?/\ */
	for (p = want, end = want + strlen(want); p < end && cps < 28;) {
		const char *start = p;
		uint32_t cp = utf8_next(&p, end);
		if (cp == '[' || cp == ']' || cp == ':' || cp == '*' || cp == '?' || cp == '/' || cp == '\\')
			sbuf_addch(&base, '-');
		else
			sbuf_add(&base, start, (size_t)(p - start));
		cps++;
	}
	for (int k = 1;; k++) {
		int clash = 0;

		sbuf_reset(out);
		sbuf_add(out, base.buf, base.len);
		if (k > 1)
			sbuf_addf(out, " %d", k);
		for (size_t i = 0; i < n_used; i++)
			if (!strcasecmp(used[i], out->buf))
				clash = 1;
		if (!clash)
			break;
	}
	sbuf_release(&base);
}

int rdoc_render_xlsx(const rdoc *d, sbuf *out, sbuf *err)
{
	const report_opts *o = d->o;
	xl_book x;
	lxw_worksheet *front;
	lxw_row_t fr = 0;
	char (*used)[32] = xcalloc(d->n + 1, sizeof *used);
	size_t n_used = 0;
	sbuf name = SBUF_INIT, cell = SBUF_INIT;
	int rc;

	if (xl_open(&x, 0, err)) {
		free(used);
		return -1;
	}
	/* the first sheet: the report's words, in order */
	xl_sheet_name(&name, RL(o, "Rapport", "Report"), used, n_used);
	snprintf(used[n_used++], 32, "%s", name.buf);
	front = workbook_add_worksheet(x.wb, name.buf);
	worksheet_set_column(front, 0, 0, 110, x.wrap);
	for (size_t i = 0; i < d->n; i++) {
		const rd_block *b = &d->b[i];

		switch (b->kind) {
		case RD_H1:
			xl_string(&x, front, fr++, 0, b->text, x.title);
			break;
		case RD_H2:
		case RD_APPENDIX:
			fr++;
			xl_string(&x, front, fr++, 0, b->text, x.bold);
			break;
		case RD_WARN:
			xl_string(&x, front, fr++, 0, b->text, x.strong);
			break;
		case RD_P:
		case RD_NOTE:
		case RD_LEAD:
			xl_string(&x, front, fr++, 0, b->text, x.wrap);
			break;
		case RD_QUOTE:
			sbuf_reset(&cell);
			sbuf_addf(&cell, "«%s»%s%s%s", b->text, b->cite ? " (" : "", b->cite ? b->cite : "",
				  b->cite ? ")" : "");
			xl_string(&x, front, fr++, 0, cell.buf, x.wrap);
			break;
		case RD_FIGURE:
			break;
		case RD_TABLE: {
			lxw_worksheet *ws;
			double *w = xcalloc(b->ncol, sizeof *w);

			xl_sheet_name(&name, b->text && *b->text ? b->text : b->id, used, n_used);
			snprintf(used[n_used++], 32, "%s", name.buf);
			ws = workbook_add_worksheet(x.wb, name.buf);
			for (size_t c = 0; c < b->ncol; c++) {
				xl_string(&x, ws, 0, (lxw_col_t)c, b->head[c], x.head);
				w[c] = (double)report_text_width(b->head[c]);
			}
			for (size_t r = 0; r < b->nrow; r++)
				for (size_t c = 0; c < b->ncol; c++) {
					const rd_cell *ce = &b->cells[r * b->ncol + c];
					lxw_row_t row = (lxw_row_t)(r + 1);
					double cw;

					if (!ce->is_num) {
						xl_text_or_date(&x, ws, row, (lxw_col_t)c, ce->s, ce->strong ? x.strong : NULL);
						cw = (double)report_text_width(ce->s ? ce->s : "");
					} else {
						int dec = ce->decimals < 0 ? 0 : ce->decimals > 5 ? 5 : ce->decimals;
						if (isfinite(ce->v)) {
							if (ce->pct)
								worksheet_write_number(ws, row, (lxw_col_t)c, ce->v / 100,
										       x.pct[dec > 2 ? 2 : dec]);
							else
								worksheet_write_number(ws, row, (lxw_col_t)c, ce->v,
										       ce->pval ? x.pval : x.num[dec]);
						}
						cw = 10;
					}
					if (cw > w[c])
						w[c] = cw;
				}
			for (size_t c = 0; c < b->ncol; c++)
				worksheet_set_column(ws, (lxw_col_t)c, (lxw_col_t)c, w[c] > 60 ? 60 : w[c] + 2, NULL);
			/* the header row and the label column stay in view */
			worksheet_freeze_panes(ws, 1, 1);
			free(w);
			sbuf_reset(&cell);
			if (b->text && *b->text)
				xl_string(&x, front, fr++, 0, b->text, NULL);
			break;
		}
		}
	}
	rc = xl_close(&x, out, err);
	sbuf_release(&name);
	sbuf_release(&cell);
	free(used);
	return rc;
}

/* ---- the export ---- */

struct report_xlsx_export {
	xl_book x;
	lxw_worksheet *ws;
	lxw_row_t row;
};

int report_xlsx_export_begin(report_xlsx_export **out, const char *const *head, const double *widths,
			     size_t ncol, sbuf *err)
{
	report_xlsx_export *e = xcalloc(1, sizeof *e);

	/* rows go out in order: constant memory, whatever the export's size */
	if (xl_open(&e->x, 1, err)) {
		free(e);
		return -1;
	}
	e->ws = workbook_add_worksheet(e->x.wb, "avvik");
	for (size_t c = 0; c < ncol; c++)
		worksheet_set_column(e->ws, (lxw_col_t)c, (lxw_col_t)c, widths[c], NULL);
	worksheet_freeze_panes(e->ws, 1, 1);
	for (size_t c = 0; c < ncol; c++)
		xl_string(&e->x, e->ws, 0, (lxw_col_t)c, head[c], e->x.head);
	e->row = 1;
	*out = e;
	return 0;
}

void report_xlsx_export_cell(report_xlsx_export *e, size_t col, report_xlsx_kind kind, const char *s,
			     double v)
{
	lxw_col_t c = (lxw_col_t)col;
	lxw_datetime dt;
	int dk;

	switch (kind) {
	case XLSX_NUMBER:
		worksheet_write_number(e->ws, e->row, c, v, e->x.num[0]);
		break;
	case XLSX_BOOL:
		if (v >= 0)
			worksheet_write_boolean(e->ws, e->row, c, v > 0, NULL);
		break;
	case XLSX_DATE:
		if (s && xl_date(s, &dt, &dk) == 0) {
			worksheet_write_datetime(e->ws, e->row, c, &dt,
						 dk == 1 ? e->x.month : dk == 2 ? e->x.date : e->x.datetime);
			break;
		}
		/* a date not in ISO form stays as written */
		xl_string(&e->x, e->ws, e->row, c, s, NULL);
		break;
	case XLSX_TEXT:
		xl_string(&e->x, e->ws, e->row, c, s, NULL);
		break;
	}
}

void report_xlsx_export_next_row(report_xlsx_export *e)
{
	e->row++;
}

int report_xlsx_export_end(report_xlsx_export *e, sbuf *out, sbuf *err)
{
	int rc = xl_close(&e->x, out, err);

	free(e);
	return rc;
}

void report_xlsx_export_abort(report_xlsx_export *e)
{
	if (!e)
		return;
	workbook_close(e->x.wb);
	unlink(e->x.path);
	free(e);
}
