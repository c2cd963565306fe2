/*
 * svg.c - inline SVG charts for the HTML report: run/control charts,
 * Pareto charts and horizontal bars.
 *
 * The output is meant to sit inside an HTML page that is printed on A4:
 * self-contained (no scripts, no external references, no <style> element,
 * which would leak into the page), presentation attributes only, a viewBox
 * so the chart scales with the page, text of at least 11 user units in a
 * 720-unit width (about 8 pt across an A4 text column), and highlighted
 * points that differ in shape and size as well as in colour so they survive
 * grey-scale printing and colour blindness.
 *
 * Every piece of text goes through svg_escape(); numbers shown to people
 * go through shown() (the caller's formatter, or C-locale digits with an
 * optional decimal comma); coordinates go through coord() ('.' always).
 */
#include "report/report.h"

#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define FONT "Arial, Helvetica, sans-serif"
#define C_TEXT "#222222"
#define C_AXIS "#444444"
#define C_GRID "#dddddd"
#define C_SERIES "#1f4e79"   /* dark blue */
#define C_BAR "#5b8db8"      /* mid blue */
#define C_MEDIAN "#6a3d9a"   /* purple: apart from the brown-red centre line */
#define C_LIMIT "#8c2d04"    /* dark brown-red */
#define C_RUN "#e66100"      /* orange: distinct from blue for colour-blind readers */
#define C_OUT "#b2182b"      /* red */
#define C_CUM "#222222"

/* average glyph advance of the sans-serif font, as a share of the font size */
#define CHAR_W 0.6   /* DejaVu Sans, Chromium's fallback for Arial, is wide */

static const char *const month_abbr[12] = {
	"jan", "feb", "mar", "apr", "mai", "jun", "jul", "aug", "sep", "okt", "nov", "des"
};
static const char *const month_abbr_en[12] = {
	"Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"
};

/* a fixed word of a chart in the chart's language */
#define SL(o, nb, en_) ((o)->en ? (en_) : (nb))

/* ---------------------------------------------------------------------- */
/* text and numbers                                                        */
/* ---------------------------------------------------------------------- */

void svg_escape(sbuf *out, const char *s)
{
	if (!s)
		return;
	const char *p = s, *end = s + strlen(s);

	while (p < end) {
		const char *start = p;
		uint32_t cp = utf8_next(&p, end);

		switch (cp) {
		case '&': sbuf_adds(out, "&amp;"); break;
		case '<': sbuf_adds(out, "&lt;"); break;
		case '>': sbuf_adds(out, "&gt;"); break;
		case '"': sbuf_adds(out, "&quot;"); break;
		case '\'': sbuf_adds(out, "&apos;"); break;
		default:
			if (cp < 0x20 || cp == 0x7F)
				sbuf_addch(out, ' ');    /* XML 1.0 forbids most C0; a label is one line */
			else if (cp == 0xFFFE || cp == 0xFFFF || (cp >= 0x80 && cp < 0xA0))
				utf8_encode(out, 0xFFFD); /* not characters / C1 controls */
			else if (cp == 0xFFFD)
				utf8_encode(out, 0xFFFD); /* an invalid byte, or a literal U+FFFD */
			else
				sbuf_add(out, start, (size_t)(p - start));
		}
	}
}

void svg_fmt_number(sbuf *out, double v, int decimals, int decimal_comma)
{
	if (isnan(v)) {
		sbuf_adds(out, "\xE2\x80\x93"); /* en dash */
		return;
	}
	if (isinf(v)) {
		sbuf_adds(out, v < 0 ? "-\xE2\x88\x9E" : "\xE2\x88\x9E");
		return;
	}
	if (decimals < 0)
		decimals = 0;
	if (decimals > 9)
		decimals = 9;

	double scale = 1.0;

	for (int i = 0; i < decimals; i++)
		scale *= 10.0;

	double r = round(fabs(v) * scale);

	/* beyond 2^53 the fraction is lost anyway: integer digits only.
	 * "%.0f" has no decimal point, so LC_NUMERIC cannot touch it. */
	if (r > 9007199254740992.0) {
		sbuf_addf(out, "%.0f", v);
		return;
	}
	if (v < 0 && r > 0)
		sbuf_addch(out, '-');

	double ip = floor(r / scale), frac = r - ip * scale;

	sbuf_addf(out, "%.0f", ip);
	if (decimals > 0) {
		sbuf_addch(out, decimal_comma ? ',' : '.');
		sbuf_addf(out, "%0*lld", decimals, (long long)frac);
	}
}

/* decimals that show v to about three significant digits; 0 for integers */
static int auto_decimals(double v)
{
	double a = fabs(v);

	if (!isfinite(v) || fabs(v - round(v)) < 1e-9)
		return 0;
	if (a >= 100)
		return 0;
	if (a >= 10)
		return 1;
	if (a >= 1)
		return 2;
	return 3;
}

/* the fewest decimals that show a tick step exactly (0.25 -> 2) */
static int step_decimals(double step)
{
	double s = step;

	for (int d = 0; d < 6; d++, s *= 10)
		if (fabs(s - round(s)) < 1e-9 * (s > 1 ? s : 1))
			return d;
	return 6;
}

/* a number for people: the caller's formatter or the built-in one */
static void shown(sbuf *out, const svg_opts *o, double v, int decimals)
{
	if (o->fmt)
		o->fmt(out, v, o->fmt_ctx);
	else
		svg_fmt_number(out, v, decimals, o->decimal_comma);
}

/* a coordinate: one decimal, '.' always, no trailing ".0" */
static void coord(sbuf *out, double v)
{
	size_t at = out->len;

	if (!isfinite(v))
		v = 0;
	svg_fmt_number(out, v, 1, 0);
	if (out->len >= at + 2 && !memcmp(out->buf + out->len - 2, ".0", 2))
		sbuf_setlen(out, out->len - 2);
}

/* code points in s (a width estimate for layout) */
static size_t text_chars(const char *s)
{
	size_t n = 0;

	if (!s)
		return 0;
	for (const unsigned char *p = (const unsigned char *)s; *p; p++)
		if ((*p & 0xC0) != 0x80)
			n++;
	return n;
}

static double text_width(const char *s, double size)
{
	return (double)text_chars(s) * size * CHAR_W;
}

/* s cut to at most max code points, with an ellipsis when cut */
static void truncated(sbuf *out, const char *s, size_t max)
{
	size_t n = 0;
	const unsigned char *p = (const unsigned char *)(s ? s : "");
	const unsigned char *start = p;

	if (text_chars((const char *)p) <= max) {
		sbuf_adds(out, (const char *)p);
		return;
	}
	for (; *p; p++) {
		if ((*p & 0xC0) != 0x80 && n++ == (max > 1 ? max - 1 : 0))
			break;
	}
	sbuf_add(out, start, (size_t)(p - start));
	sbuf_adds(out, "\xE2\x80\xA6"); /* … */
}

/* s broken at a space into at most two lines of about max code points
 * each (the second cut with an ellipsis only when even that is too long);
 * returns the number of lines. */
static int two_lines(const char *s, size_t max, sbuf *l1, sbuf *l2)
{
	const char *best = NULL, *p;
	size_t n = text_chars(s), before = 0, best_gap = (size_t)-1;

	sbuf_reset(l1);
	sbuf_reset(l2);
	if (!s)
		s = "";
	if (n <= max) {
		sbuf_adds(l1, s);
		return 1;
	}
	/* the space nearest the middle that leaves a first line within max */
	for (p = s; *p; p++) {
		if ((*(const unsigned char *)p & 0xC0) != 0x80)
			before++;
		if (*p == ' ' && before - 1 <= max) {
			size_t gap = before - 1 > n / 2 ? before - 1 - n / 2 : n / 2 - (before - 1);
			if (gap < best_gap) {
				best_gap = gap;
				best = p;
			}
		}
	}
	if (!best) {
		truncated(l1, s, max);
		return 1;
	}
	sbuf_add(l1, s, (size_t)(best - s));
	truncated(l2, best + 1, max);
	return 2;
}

/* ---------------------------------------------------------------------- */
/* drawing primitives                                                      */
/* ---------------------------------------------------------------------- */

static void attr_num(sbuf *out, const char *name, double v)
{
	sbuf_addf(out, " %s=\"", name);
	coord(out, v);
	sbuf_addch(out, '"');
}

static void line(sbuf *out, double x1, double y1, double x2, double y2, const char *stroke,
		 double width, const char *dash, const char *cls)
{
	sbuf_adds(out, "<line");
	if (cls)
		sbuf_addf(out, " class=\"%s\"", cls);
	attr_num(out, "x1", x1);
	attr_num(out, "y1", y1);
	attr_num(out, "x2", x2);
	attr_num(out, "y2", y2);
	sbuf_addf(out, " stroke=\"%s\"", stroke);
	attr_num(out, "stroke-width", width);
	if (dash)
		sbuf_addf(out, " stroke-dasharray=\"%s\"", dash);
	sbuf_adds(out, "/>\n");
}

/* text element; content is escaped; extra is raw attributes (ours only) */
static void text(sbuf *out, double x, double y, const char *anchor, double size,
		 const char *extra, const char *content)
{
	sbuf_adds(out, "<text");
	attr_num(out, "x", x);
	attr_num(out, "y", y);
	if (anchor)
		sbuf_addf(out, " text-anchor=\"%s\"", anchor);
	attr_num(out, "font-size", size);
	if (extra) {
		sbuf_addch(out, ' ');
		sbuf_adds(out, extra);
	}
	sbuf_addch(out, '>');
	svg_escape(out, content);
	sbuf_adds(out, "</text>\n");
}

typedef enum { MK_CIRCLE, MK_TRIANGLE, MK_DIAMOND, MK_SQUARE } marker_shape;

static void marker(sbuf *out, marker_shape shape, double x, double y, double r, const char *fill,
		   const char *cls)
{
	switch (shape) {
	case MK_CIRCLE:
		sbuf_adds(out, "<circle");
		if (cls)
			sbuf_addf(out, " class=\"%s\"", cls);
		attr_num(out, "cx", x);
		attr_num(out, "cy", y);
		attr_num(out, "r", r);
		break;
	case MK_SQUARE:
		sbuf_adds(out, "<rect");
		if (cls)
			sbuf_addf(out, " class=\"%s\"", cls);
		attr_num(out, "x", x - r);
		attr_num(out, "y", y - r);
		attr_num(out, "width", 2 * r);
		attr_num(out, "height", 2 * r);
		break;
	case MK_TRIANGLE:
	case MK_DIAMOND:
		sbuf_adds(out, "<path");
		if (cls)
			sbuf_addf(out, " class=\"%s\"", cls);
		sbuf_adds(out, " d=\"M");
		if (shape == MK_TRIANGLE) {
			/* equilateral-ish, centred on the point */
			coord(out, x); sbuf_addch(out, ' '); coord(out, y - r * 1.15);
			sbuf_adds(out, "L"); coord(out, x + r); sbuf_addch(out, ' '); coord(out, y + r * 0.7);
			sbuf_adds(out, "L"); coord(out, x - r); sbuf_addch(out, ' '); coord(out, y + r * 0.7);
		} else {
			coord(out, x); sbuf_addch(out, ' '); coord(out, y - r);
			sbuf_adds(out, "L"); coord(out, x + r); sbuf_addch(out, ' '); coord(out, y);
			sbuf_adds(out, "L"); coord(out, x); sbuf_addch(out, ' '); coord(out, y + r);
			sbuf_adds(out, "L"); coord(out, x - r); sbuf_addch(out, ' '); coord(out, y);
		}
		sbuf_adds(out, "Z\"");
		break;
	}
	sbuf_addf(out, " fill=\"%s\" stroke=\"#ffffff\" stroke-width=\"0.8\"/>\n", fill);
}

/* FNV-1a, for default ids */
static uint32_t fnv(uint32_t h, const char *s)
{
	for (const unsigned char *p = (const unsigned char *)(s ? s : ""); *p; p++) {
		h ^= *p;
		h *= 16777619u;
	}
	return h;
}

/* the id prefix: the caller's, reduced to NCName-safe characters, or a hash */
static void make_id(sbuf *id, const svg_opts *o, const char *kind, const char *title, int w,
		    int h, size_t n)
{
	sbuf_reset(id);
	if (o->id && *o->id) {
		const char *p = o->id;
		if (!((*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z')))
			sbuf_adds(id, "svg-");
		for (; *p; p++) {
			char c = *p;
			int ok = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
				 (c >= '0' && c <= '9') || c == '-' || c == '_';
			sbuf_addch(id, ok ? c : '_');
		}
		return;
	}
	uint32_t hash = fnv(2166136261u, kind);

	hash = fnv(hash, title);
	sbuf_addf(id, "%dx%d:%zu", w, h, n);
	hash = fnv(hash, id->buf);
	sbuf_reset(id);
	sbuf_addf(id, "svg-%s-%08x", kind, (unsigned)hash);
}

static void svg_open(sbuf *out, const svg_opts *o, const char *kind, int w, int h, size_t n,
		     const char *title, const char *desc)
{
	sbuf id = SBUF_INIT;

	if (!title || !*title)
		title = "Diagram";
	make_id(&id, o, kind, title, w, h, n);
	sbuf_addf(out,
		  "<svg xmlns=\"http://www.w3.org/2000/svg\" class=\"chart chart-%s\" "
		  "width=\"%d\" height=\"%d\" viewBox=\"0 0 %d %d\" "
		  "preserveAspectRatio=\"xMidYMid meet\" role=\"img\" "
		  "aria-labelledby=\"%s-title %s-desc\" "
		  "style=\"max-width:100%%;height:auto\" font-family=\"" FONT "\" fill=\"" C_TEXT "\">\n",
		  kind, w, h, w, h, id.buf, id.buf);
	sbuf_addf(out, "<title id=\"%s-title\">", id.buf);
	svg_escape(out, title);
	sbuf_addf(out, "</title>\n<desc id=\"%s-desc\">", id.buf);
	svg_escape(out, desc ? desc : "");
	sbuf_adds(out, "</desc>\n");
	/* a white ground, so a printed or copied chart is not transparent */
	sbuf_addf(out, "<rect x=\"0\" y=\"0\" width=\"%d\" height=\"%d\" fill=\"#ffffff\"/>\n", w, h);
	if (o->show_title)
		text(out, 8, 18, "start", 14, "font-weight=\"bold\"", title);
	sbuf_release(&id);
}

/* ---------------------------------------------------------------------- */
/* axes                                                                    */
/* ---------------------------------------------------------------------- */

static double nice_step(double raw)
{
	if (!(raw > 0) || !isfinite(raw))
		return 1;
	double e = floor(log10(raw)), p = pow(10, e), f = raw / p;

	if (f <= 1.0 + 1e-9)
		f = 1;
	else if (f <= 2.0 + 1e-9)
		f = 2;
	else if (f <= 2.5 + 1e-9)
		f = 2.5;
	else if (f <= 5.0 + 1e-9)
		f = 5;
	else
		f = 10;
	return f * p;
}

typedef struct {
	double lo, hi, step;
	double top, bottom;   /* pixel rows of hi and lo */
} yaxis;

/* a range [lo, hi] widened to nice ticks; integer steps when integral */
static void yaxis_fit(yaxis *ax, double lo, double hi, int integral, int ticks)
{
	if (!isfinite(lo) || !isfinite(hi)) {
		lo = 0;
		hi = 1;
	}
	if (hi <= lo)
		hi = lo + (integral ? 1 : fabs(lo) * 0.1 + 1);
	ax->step = nice_step((hi - lo) / ticks);
	if (integral && ax->step < 1)
		ax->step = 1;
	ax->lo = floor(lo / ax->step + 1e-9) * ax->step;
	ax->hi = ceil(hi / ax->step - 1e-9) * ax->step;
	if (ax->hi <= ax->lo)
		ax->hi = ax->lo + ax->step;
}

static double ypix(const yaxis *ax, double v)
{
	return ax->bottom - (v - ax->lo) / (ax->hi - ax->lo) * (ax->bottom - ax->top);
}

/* ticks, labels and grid lines of a left axis from x0 to x1 */
static void yaxis_draw(sbuf *out, const svg_opts *o, const yaxis *ax, double x0, double x1)
{
	int dec = step_decimals(ax->step);
	sbuf lab = SBUF_INIT;

	for (int i = 0;; i++) {
		double v = ax->lo + i * ax->step;
		if (v > ax->hi + ax->step * 1e-6)
			break;
		double y = ypix(ax, v);
		line(out, x0, y, x1, y, C_GRID, 1, NULL, NULL);
		line(out, x0 - 4, y, x0, y, C_AXIS, 1, NULL, NULL);
		sbuf_reset(&lab);
		shown(&lab, o, v, dec);
		text(out, x0 - 6, y + 4, "end", 11, NULL, lab.buf);
	}
	line(out, x0, ax->top, x0, ax->bottom, C_AXIS, 1, NULL, NULL);
	sbuf_release(&lab);
}

/* ---------------------------------------------------------------------- */
/* legends                                                                 */
/* ---------------------------------------------------------------------- */

typedef enum { LG_LINE, LG_DASH, LG_DOT, LG_BAR, LG_TRIANGLE, LG_DIAMOND, LG_LINE_POINT } lg_kind;

typedef struct {
	lg_kind kind;
	const char *colour;
	char *label;        /* owned */
	double x, y;        /* laid out */
} lg_item;

typedef struct {
	lg_item items[8];
	size_t n;
} legend;

static void legend_add(legend *lg, lg_kind kind, const char *colour, const char *label)
{
	if (lg->n >= sizeof lg->items / sizeof lg->items[0])
		return;
	lg->items[lg->n].kind = kind;
	lg->items[lg->n].colour = colour;
	lg->items[lg->n].label = xstrdup(label);
	lg->n++;
}

/* lays the items out in rows from (x0, y0) within width; returns the height */
static double legend_layout(legend *lg, double x0, double y0, double width)
{
	double x = x0, y = y0, row = 18;

	for (size_t i = 0; i < lg->n; i++) {
		double w = 26 + text_width(lg->items[i].label, 11) + 18;
		if (x > x0 && x + w > x0 + width) {
			x = x0;
			y += row;
		}
		lg->items[i].x = x;
		lg->items[i].y = y;
		x += w;
	}
	return lg->n ? y - y0 + row : 0;
}

static void legend_draw(sbuf *out, const legend *lg)
{
	if (!lg->n)
		return;
	sbuf_adds(out, "<g class=\"legend\">\n");
	for (size_t i = 0; i < lg->n; i++) {
		const lg_item *it = &lg->items[i];
		double x = it->x, y = it->y;

		switch (it->kind) {
		case LG_LINE:
			line(out, x, y, x + 20, y, it->colour, 1.5, NULL, NULL);
			break;
		case LG_LINE_POINT:
			line(out, x, y, x + 20, y, it->colour, 1.5, NULL, NULL);
			marker(out, MK_CIRCLE, x + 10, y, 3.5, it->colour, NULL);
			break;
		case LG_DASH:
			line(out, x, y, x + 20, y, it->colour, 2, "8 4", NULL);
			break;
		case LG_DOT:
			line(out, x, y, x + 20, y, it->colour, 1.5, "2 3", NULL);
			break;
		case LG_BAR:
			sbuf_adds(out, "<rect");
			attr_num(out, "x", x + 4);
			attr_num(out, "y", y - 6);
			sbuf_addf(out, " width=\"12\" height=\"12\" fill=\"%s\"/>\n", it->colour);
			break;
		case LG_TRIANGLE:
			marker(out, MK_TRIANGLE, x + 10, y, 5.5, it->colour, NULL);
			break;
		case LG_DIAMOND:
			marker(out, MK_DIAMOND, x + 10, y, 6, it->colour, NULL);
			break;
		}
		text(out, x + 26, y + 4, "start", 11, NULL, it->label);
	}
	sbuf_adds(out, "</g>\n");
}

static void legend_free(legend *lg)
{
	for (size_t i = 0; i < lg->n; i++)
		free(lg->items[i].label);
	lg->n = 0;
}

/* ---------------------------------------------------------------------- */
/* run chart                                                               */
/* ---------------------------------------------------------------------- */

/* "jan 23" for point i, or the caller's label */
static void x_label(sbuf *out, const svg_opts *o, const svg_series *s, size_t i, int y0, int m0)
{
	if (s->x_labels) {
		sbuf_adds(out, s->x_labels[i] ? s->x_labels[i] : "");
		return;
	}
	if (y0 < 0)
		return;
	long m = (long)(m0 - 1) + (long)i;
	sbuf_addf(out, "%s %02ld", (o->en ? month_abbr_en : month_abbr)[m % 12], (long)((y0 + m / 12) % 100));
}

static int parse_month(const char *s, int *year, int *month)
{
	if (!s || strlen(s) < 7 || s[4] != '-')
		return -1;
	for (int i = 0; i < 7; i++)
		if (i != 4 && (s[i] < '0' || s[i] > '9'))
			return -1;
	*year = (s[0] - '0') * 1000 + (s[1] - '0') * 100 + (s[2] - '0') * 10 + (s[3] - '0');
	*month = (s[5] - '0') * 10 + (s[6] - '0');
	return *month >= 1 && *month <= 12 ? 0 : -1;
}

/* a label every `step` points; for months, aligned to the calendar (every
 * quarter starts at jan, apr, jul, okt) */
static size_t label_step(size_t n, double plot_w, double label_w)
{
	static const size_t steps[] = { 1, 2, 3, 4, 6, 12, 24, 36, 60, 120 };
	size_t max = (size_t)(plot_w / label_w);

	if (max < 1)
		max = 1;
	for (size_t i = 0; i < sizeof steps / sizeof steps[0]; i++)
		if ((n + steps[i] - 1) / steps[i] <= max)
			return steps[i];
	return (n + max - 1) / max;
}

static void desc_runchart(sbuf *d, const svg_opts *o, const svg_series *s,
			  const runchart_result *rc, int y0, int m0)
{
	sbuf_addf(d, SL(o, "Serie med %zu punkter", "Series of %zu points"), s->n);
	if (s->n && (s->x_labels || y0 >= 0)) {
		sbuf_adds(d, " (");
		x_label(d, o, s, 0, y0, m0);
		sbuf_adds(d, " \xE2\x80\x93 ");
		x_label(d, o, s, s->n - 1, y0, m0);
		sbuf_adds(d, ")");
	}
	sbuf_adds(d, ".");
	if (rc && !isnan(rc->median)) {
		sbuf_adds(d, " Median ");
		shown(d, o, rc->median, auto_decimals(rc->median));
		sbuf_addf(d, SL(o, ". Lengste serie %d punkter (signal over %d)%s.",
				". Longest run %d points (signal above %d)%s."), rc->longest_run,
			  rc->longest_run_max, rc->signal_shift ? SL(o, ": signal om skift", ": a shift") : "");
		sbuf_addf(d, SL(o, " Antall kryssinger %d (signal under %d)%s.", " Crossings %d (signal below %d)%s."),
			  rc->crossings, rc->crossings_min,
			  rc->signal_crossings ? SL(o, ": signal, for f\xC3\xA5 kryssinger", ": too few crossings") : "");
		if (!rc->signal)
			sbuf_adds(d, SL(o, " Ingen tegn til ikke-tilfeldig variasjon.", " No sign of non-random variation."));
	}
	if (s->limits) {
		const ctrlchart *cc = s->limits;
		sbuf_adds(d, SL(o, " Senterlinje ", " Centre line "));
		shown(d, o, cc->center, auto_decimals(cc->center));
		sbuf_addf(d, SL(o, ", kontrollgrenser 3 sigma%s; %zu punkt%s utenfor grensene.",
				", control limits 3 sigma%s; %zu point%s outside the limits."),
			  cc->laney ? " (Laney U\xE2\x80\xB2)" : "", cc->n_outside,
			  cc->n_outside == 1 ? "" : SL(o, "er", "s"));
	}
}

void svg_runchart(sbuf *out, const svg_opts *o_in, const svg_series *s, const runchart_result *rc,
		  const char *title, const char *desc)
{
	static const svg_opts defaults;
	const svg_opts *o = o_in ? o_in : &defaults;
	const ctrlchart *cc = s ? s->limits : NULL;
	size_t n = s && s->y ? s->n : 0;
	int W = o->width > 0 ? o->width : 720, H = o->height > 0 ? o->height : 320;
	int y0 = -1, m0 = 1;
	unsigned char *run_mark = NULL;
	size_t n_run = 0, n_out = 0;
	sbuf tmp = SBUF_INIT, gen = SBUF_INIT;
	legend lg = { .n = 0 };

	if (cc && cc->n != n)
		cc = NULL;      /* mismatched limits are not drawn rather than misdrawn */
	if (s && !s->x_labels && parse_month(s->first_month, &y0, &m0) < 0)
		y0 = -1;
	if (n && rc && !isnan(rc->median)) {
		run_mark = xcalloc(n, 1);
		n_run = runchart_mark_runs(s->y, n, rc, run_mark);
	}
	if (cc)
		n_out = cc->n_outside;

	if (!desc) {
		svg_series empty = { 0 };
		desc_runchart(&gen, o, s ? s : &empty, rc, y0, m0);
		desc = gen.buf;
	}
	svg_open(out, o, "run", W, H, n, title, desc);

	/* legend */
	legend_add(&lg, LG_LINE_POINT, C_SERIES, s && s->y_name ? s->y_name : SL(o, "Antall", "Count"));
	if (rc && !isnan(rc->median)) {
		sbuf_reset(&tmp);
		sbuf_adds(&tmp, "Median ");
		shown(&tmp, o, rc->median, auto_decimals(rc->median));
		if (rc->signal_crossings)
			sbuf_addf(&tmp, SL(o, " \xE2\x80\x93 for f\xC3\xA5 kryssinger (%d < %d)",
					   " \xE2\x80\x93 too few crossings (%d < %d)"),
				  rc->crossings, rc->crossings_min);
		legend_add(&lg, LG_DASH, rc->signal_crossings ? C_RUN : C_MEDIAN, tmp.buf);
	}
	if (cc) {
		int constant = 1;
		for (size_t i = 1; i < n; i++)
			if (cc->ucl[i] != cc->ucl[0] || cc->lcl[i] != cc->lcl[0])
				constant = 0;
		sbuf_reset(&tmp);
		sbuf_adds(&tmp, SL(o, "Senterlinje (snitt) ", "Centre line (mean) "));
		shown(&tmp, o, cc->center, auto_decimals(cc->center));
		legend_add(&lg, LG_LINE, C_LIMIT, tmp.buf);
		sbuf_reset(&tmp);
		sbuf_adds(&tmp, cc->laney && !o->plain ? SL(o, "Kontrollgrenser (Laney U\xE2\x80\xB2)", "Control limits (Laney U\xE2\x80\xB2)")
					  : SL(o, "Kontrollgrenser", "Control limits"));
		if (constant && n) {
			sbuf_addch(&tmp, ' ');
			shown(&tmp, o, cc->lcl[0], auto_decimals(cc->lcl[0]));
			sbuf_adds(&tmp, "\xE2\x80\x93");
			shown(&tmp, o, cc->ucl[0], auto_decimals(cc->ucl[0]));
		}
		legend_add(&lg, LG_DOT, C_LIMIT, tmp.buf);
	}
	if (n_run) {
		sbuf_reset(&tmp);
		sbuf_addf(&tmp, SL(o, "Signal: serie over %d punkter p\xC3\xA5 samme side av median",
				   "Signal: run of more than %d points on one side of the median"),
			  rc->longest_run_max);
		legend_add(&lg, LG_TRIANGLE, C_RUN, tmp.buf);
	}
	if (n_out)
		legend_add(&lg, LG_DIAMOND, C_OUT, SL(o, "Utenfor kontrollgrensene", "Outside the control limits"));

	/* the median and the centre line are labelled at their right ends,
	 * so that two lines close together are still told apart */
	int label_lines = n && ((rc && !isnan(rc->median)) || cc);
	double mL = 52, mR = label_lines ? 84 : 16, mB = 40, top0 = o->show_title ? 34 : 14;
	double lg_h = legend_layout(&lg, mL, top0 + 4, W - mL - mR);
	double mT = top0 + lg_h + 8;
	double pw = W - mL - mR;
	yaxis ax;

	/* y range: always from 0 for counts and rates (bars and areas start
	 * there in the reader's mind); up to the largest point or limit */
	double lo = 0, hi = 0;
	int integral = 1;

	for (size_t i = 0; i < n; i++) {
		double v = s->y[i];
		if (isnan(v))
			continue;
		if (v < lo)
			lo = v;
		if (v > hi)
			hi = v;
		if (fabs(v - round(v)) > 1e-9)
			integral = 0;
	}
	if (cc) {
		for (size_t i = 0; i < n; i++) {
			if (cc->ucl[i] > hi)
				hi = cc->ucl[i];
		}
	}
	ax.top = mT;
	ax.bottom = H - mB;
	yaxis_fit(&ax, lo, hi, integral, 5);
	yaxis_draw(out, o, &ax, mL, W - mR);

	/* x axis, month ticks and thinned labels */
	line(out, mL, ax.bottom, W - mR, ax.bottom, C_AXIS, 1, NULL, NULL);
	if (n) {
		size_t maxlab = 0;
		for (size_t i = 0; i < n; i++) {
			sbuf_reset(&tmp);
			x_label(&tmp, o, s, i, y0, m0);
			if (text_chars(tmp.buf) > maxlab)
				maxlab = text_chars(tmp.buf);
		}
		size_t step = label_step(n, pw, maxlab * 11 * CHAR_W + 10);
		sbuf_adds(out, "<g class=\"x-labels\">\n");
		for (size_t i = 0; i < n; i++) {
			double x = mL + pw * ((double)i + 0.5) / (double)n;
			size_t pos = (!s->x_labels && y0 >= 0 && step > 1 && step <= 12 && 12 % step == 0)
					     ? (size_t)(m0 - 1) + i : i;
			int lab = pos % step == 0;
			line(out, x, ax.bottom, x, ax.bottom + (lab ? 5 : 3), C_AXIS, 1, NULL, NULL);
			if (!lab)
				continue;
			sbuf_reset(&tmp);
			x_label(&tmp, o, s, i, y0, m0);
			text(out, x, ax.bottom + 18, "middle", 11, NULL, tmp.buf);
		}
		sbuf_adds(out, "</g>\n");
	}

#define XP(i) (mL + pw * ((double)(i) + 0.5) / (double)n)

	/* control limits: CL solid, UCL/LCL dotted steps (per-point for u) */
	if (cc) {
		sbuf_adds(out, "<g class=\"limits\">\n");
		line(out, mL, ypix(&ax, cc->center), W - mR, ypix(&ax, cc->center), C_LIMIT, 1, NULL,
		     "cl");
		for (int which = 0; which < 2; which++) {
			const double *lim = which ? cc->lcl : cc->ucl;
			sbuf_addf(out, "<path class=\"%s\" fill=\"none\" stroke=\"" C_LIMIT
				  "\" stroke-width=\"1.2\" stroke-dasharray=\"2 3\" d=\"",
				  which ? "lcl" : "ucl");
			for (size_t i = 0; i < n; i++) {
				double xa = mL + pw * (double)i / (double)n;
				double xb = mL + pw * (double)(i + 1) / (double)n;
				sbuf_adds(out, i ? "L" : "M");
				coord(out, xa);
				sbuf_addch(out, ' ');
				coord(out, ypix(&ax, lim[i]));
				sbuf_adds(out, "L");
				coord(out, xb);
				sbuf_addch(out, ' ');
				coord(out, ypix(&ax, lim[i]));
			}
			sbuf_adds(out, "\"/>\n");
		}
		sbuf_adds(out, "</g>\n");
	}

	/* the median: long dashes, thicker than the solid centre line */
	if (rc && !isnan(rc->median) && n) {
		double y = ypix(&ax, rc->median);
		line(out, mL, y, W - mR, y, rc->signal_crossings ? C_RUN : C_MEDIAN, 2, "8 4", "median");
	}
	if (label_lines) {
		double ym = rc && !isnan(rc->median) ? ypix(&ax, rc->median) : NAN;
		double yc = cc ? ypix(&ax, cc->center) : NAN;

		/* keep the two labels a line apart: the higher value above */
		if (!isnan(ym) && !isnan(yc) && fabs(ym - yc) < 13) {
			double mid = (ym + yc) / 2, up = ym < yc || (ym == yc && rc->median >= cc->center);
			ym = mid + (up ? -6.5 : 6.5);
			yc = mid + (up ? 6.5 : -6.5);
		}
		sbuf_adds(out, "<g class=\"line-labels\">\n");
		if (!isnan(ym)) {
			sbuf_reset(&tmp);
			sbuf_adds(&tmp, "Median ");
			shown(&tmp, o, rc->median, auto_decimals(rc->median));
			text(out, W - mR + 4, ym + 4, "start", 11,
			     rc->signal_crossings ? "class=\"lbl-median\" fill=\"" C_RUN "\""
						  : "class=\"lbl-median\" fill=\"" C_MEDIAN "\"", tmp.buf);
		}
		if (!isnan(yc)) {
			sbuf_reset(&tmp);
			sbuf_adds(&tmp, SL(o, "Snitt ", "Mean "));
			shown(&tmp, o, cc->center, auto_decimals(cc->center));
			text(out, W - mR + 4, yc + 4, "start", 11, "class=\"lbl-cl\" fill=\"" C_LIMIT "\"", tmp.buf);
		}
		sbuf_adds(out, "</g>\n");
	}

	/* the series: a line broken at missing points */
	if (n) {
		int pen = 0;
		sbuf_adds(out, "<path class=\"series\" fill=\"none\" stroke=\"" C_SERIES
			       "\" stroke-width=\"1.5\" stroke-linejoin=\"round\" d=\"");
		for (size_t i = 0; i < n; i++) {
			if (isnan(s->y[i])) {
				pen = 0;
				continue;
			}
			sbuf_adds(out, pen ? "L" : "M");
			coord(out, XP(i));
			sbuf_addch(out, ' ');
			coord(out, ypix(&ax, s->y[i]));
			pen = 1;
		}
		sbuf_adds(out, "\"/>\n");
	}

	/* the points: outside limits > signalling run > ordinary */
	sbuf_adds(out, "<g class=\"points\">\n");
	for (size_t i = 0; i < n; i++) {
		double v = s->y[i];
		if (isnan(v))
			continue;
		double x = XP(i), y = ypix(&ax, v);
		if (cc && cc->outside[i]) {
			marker(out, MK_DIAMOND, x, y, 6.5, C_OUT, "pt pt-out");
			sbuf_reset(&tmp);
			shown(&tmp, o, v, auto_decimals(v));
			/* above a high point, below a low one; beside it where
			 * that would leave the plot (into the legend or axis) */
			double ly = cc->outside[i] > 0 ? y - 10 : y + 18, lx = x;
			const char *anchor = "middle";
			if (ly - 11 < ax.top || ly > ax.bottom - 2) {
				ly = y + 4;
				lx = x + 9;
				anchor = "start";
			}
			text(out, lx, ly, anchor, 11,
			     "class=\"lbl-out\" font-weight=\"bold\" fill=\"" C_OUT "\"", tmp.buf);
		} else if (run_mark && run_mark[i]) {
			marker(out, MK_TRIANGLE, x, y, 5.5, C_RUN, "pt pt-run");
		} else {
			marker(out, MK_CIRCLE, x, y, 3.5, C_SERIES, "pt");
		}
	}
	sbuf_adds(out, "</g>\n");
#undef XP

	if (!n)
		text(out, mL + pw / 2, (ax.top + ax.bottom) / 2, "middle", 13, NULL, SL(o, "Ingen data", "No data"));
	legend_draw(out, &lg);
	sbuf_adds(out, "</svg>\n");

	legend_free(&lg);
	free(run_mark);
	sbuf_release(&tmp);
	sbuf_release(&gen);
}

/* ---------------------------------------------------------------------- */
/* Pareto chart                                                            */
/* ---------------------------------------------------------------------- */

typedef struct {
	long count;
	size_t idx;
} pareto_item;

static int cmp_pareto(const void *a, const void *b)
{
	const pareto_item *x = a, *y = b;

	if (x->count != y->count)
		return x->count > y->count ? -1 : 1;
	return x->idx < y->idx ? -1 : x->idx > y->idx;
}

#define PARETO_LABEL_MAX 28   /* per line; two lines */

void svg_pareto(sbuf *out, const svg_opts *o_in, const char *const *labels, const long *counts,
		size_t n, const char *title, const char *desc)
{
	static const svg_opts defaults;
	const svg_opts *o = o_in ? o_in : &defaults;
	int W = o->width > 0 ? o->width : 720, H = o->height > 0 ? o->height : 380;
	pareto_item *it = NULL;
	long total = 0;
	sbuf tmp = SBUF_INIT, gen = SBUF_INIT;
	legend lg = { .n = 0 };

	if (!counts)
		n = 0;
	if (n) {
		it = xmalloc(n * sizeof *it);
		for (size_t i = 0; i < n; i++) {
			it[i].count = counts[i] > 0 ? counts[i] : 0;
			it[i].idx = i;
			total += it[i].count;
		}
		qsort(it, n, sizeof *it, cmp_pareto);
	}

	if (!desc) {
		sbuf_addf(&gen, SL(o, "Pareto-diagram over %zu kategorier, til sammen %ld.",
				   "Pareto chart of %zu categories, %ld in all."), n, total);
		for (size_t i = 0; i < n && i < 3 && total > 0; i++) {
			sbuf_addf(&gen, " %s", i == 0 ? SL(o, "St\xC3\xB8rst:", "Largest:") : SL(o, "Deretter:", "Then:"));
			sbuf_addch(&gen, ' ');
			sbuf_adds(&gen, labels && labels[it[i].idx] ? labels[it[i].idx] : "?");
			sbuf_addf(&gen, " %ld (", it[i].count);
			shown(&gen, o, 100.0 * (double)it[i].count / (double)total, 0);
			sbuf_adds(&gen, " %).");
		}
		desc = gen.buf;
	}
	svg_open(out, o, "pareto", W, H, n, title, desc);

	legend_add(&lg, LG_BAR, C_BAR, SL(o, "Antall", "Count"));
	legend_add(&lg, LG_LINE_POINT, C_CUM, SL(o, "Kumulativ andel (h\xC3\xB8yre akse)", "Cumulative share (right axis)"));

	/* room for labels rotated by 40 degrees (sin 40 = 0.64), each on at
	 * most two lines, so that long category names are not cut */
	size_t maxlab = 0;
	int maxlines = 1;
	sbuf l1 = SBUF_INIT, l2 = SBUF_INIT;
	for (size_t i = 0; i < n; i++) {
		int nl = two_lines(labels ? labels[i] : NULL, PARETO_LABEL_MAX, &l1, &l2);
		size_t c = text_chars(l1.buf) > text_chars(l2.buf) ? text_chars(l1.buf) : text_chars(l2.buf);
		if (c > maxlab)
			maxlab = c;
		if (nl > maxlines)
			maxlines = nl;
	}

	double mL = 52, mR = 52, top0 = o->show_title ? 34 : 14;

	/* a rotated label reaches cos 40 = 0.77 of its width left of its bar:
	 * widen the left margin so the first labels are not cut off */
	for (int pass = 0; pass < 2 && n; pass++) {
		double band0 = (W - mL - mR) / (double)n, need = mL;
		for (size_t i = 0; i < n; i++) {
			two_lines(labels ? labels[it[i].idx] : NULL, PARETO_LABEL_MAX, &l1, &l2);
			double w1 = text_width(l1.buf, 11), w2 = text_width(l2.buf, 11);
			double reach = (w1 > w2 ? w1 : w2) * 0.77 + 4;
			double want = reach + 2 - band0 * ((double)i + 0.5);
			if (want > need)
				need = want;
		}
		if (need > W * 0.4)
			need = W * 0.4;
		mL = need > mL ? need : mL;
	}
	double lg_h = legend_layout(&lg, mL, top0 + 4, W - mL - mR);
	double mT = top0 + lg_h + 14;
	double mB = 20 + (double)maxlab * 11 * CHAR_W * 0.64 + 12 + (maxlines - 1) * 11;
	if (mB > H * 0.55)
		mB = H * 0.55;
	double pw = W - mL - mR;
	yaxis ax;
	long maxc = n ? it[0].count : 0;

	ax.top = mT;
	ax.bottom = H - mB;
	yaxis_fit(&ax, 0, (double)maxc, 1, 5);
	yaxis_draw(out, o, &ax, mL, W - mR);
	line(out, mL, ax.bottom, W - mR, ax.bottom, C_AXIS, 1, NULL, NULL);

	/* right axis 0-100 % */
	line(out, W - mR, ax.top, W - mR, ax.bottom, C_AXIS, 1, NULL, NULL);
	sbuf_adds(out, "<g class=\"axis-pct\">\n");
	for (int p = 0; p <= 100; p += 20) {
		double y = ax.bottom - (ax.bottom - ax.top) * p / 100.0;
		line(out, W - mR, y, W - mR + 4, y, C_AXIS, 1, NULL, NULL);
		sbuf_reset(&tmp);
		sbuf_addf(&tmp, "%d\xC2\xA0%%", p);  /* no-break space before % */
		text(out, W - mR + 6, y + 4, "start", 11, NULL, tmp.buf);
	}
	sbuf_adds(out, "</g>\n");

	double band = n ? pw / (double)n : pw;
	double bw = band * 0.7;

	/* bars with their counts */
	sbuf_adds(out, "<g class=\"bars\">\n");
	for (size_t i = 0; i < n; i++) {
		double xc = mL + band * ((double)i + 0.5);
		double y = ypix(&ax, (double)it[i].count);
		sbuf_adds(out, "<rect class=\"bar\"");
		attr_num(out, "x", xc - bw / 2);
		attr_num(out, "y", y);
		attr_num(out, "width", bw);
		attr_num(out, "height", ax.bottom - y);
		sbuf_adds(out, " fill=\"" C_BAR "\"/>\n");
		sbuf_reset(&tmp);
		shown(&tmp, o, (double)it[i].count, 0);
		text(out, xc, y - 4, "middle", 11, "class=\"bar-value\"", tmp.buf);
	}
	sbuf_adds(out, "</g>\n");

	/* category labels, rotated, on one or two lines */
	sbuf_adds(out, "<g class=\"x-labels\">\n");
	for (size_t i = 0; i < n; i++) {
		double xc = mL + band * ((double)i + 0.5), yl = ax.bottom + 14;
		int nl = two_lines(labels ? labels[it[i].idx] : NULL, PARETO_LABEL_MAX, &l1, &l2);
		sbuf_adds(out, "<text");
		attr_num(out, "x", xc);
		attr_num(out, "y", yl);
		sbuf_adds(out, " text-anchor=\"end\" font-size=\"11\" transform=\"rotate(-40 ");
		coord(out, xc);
		sbuf_addch(out, ' ');
		coord(out, yl);
		sbuf_adds(out, ")\">");
		if (nl == 1) {
			svg_escape(out, l1.buf);
		} else {
			sbuf_adds(out, "<tspan");
			attr_num(out, "x", xc);
			sbuf_adds(out, ">");
			svg_escape(out, l1.buf);
			sbuf_adds(out, " </tspan><tspan");   /* the space keeps the words apart in the text's value */
			attr_num(out, "x", xc);
			sbuf_adds(out, " dy=\"11\">");
			svg_escape(out, l2.buf);
			sbuf_adds(out, "</tspan>");
		}
		sbuf_adds(out, "</text>\n");
	}
	sbuf_adds(out, "</g>\n");
	sbuf_release(&l1);
	sbuf_release(&l2);

	/* cumulative percentage */
	if (n && total > 0) {
		long cum = 0;
		sbuf_adds(out, "<path class=\"cumulative\" fill=\"none\" stroke=\"" C_CUM
			       "\" stroke-width=\"1.5\" d=\"");
		for (size_t i = 0; i < n; i++) {
			cum += it[i].count;
			double pct = 100.0 * (double)cum / (double)total;
			sbuf_adds(out, i ? "L" : "M");
			coord(out, mL + band * ((double)i + 0.5));
			sbuf_addch(out, ' ');
			coord(out, ax.bottom - (ax.bottom - ax.top) * pct / 100.0);
		}
		sbuf_adds(out, "\"/>\n<g class=\"cumulative-points\">\n");
		cum = 0;
		for (size_t i = 0; i < n; i++) {
			cum += it[i].count;
			double pct = 100.0 * (double)cum / (double)total;
			marker(out, MK_CIRCLE, mL + band * ((double)i + 0.5),
			       ax.bottom - (ax.bottom - ax.top) * pct / 100.0, 3, C_CUM, "cum-pt");
		}
		sbuf_adds(out, "</g>\n");
	}
	if (!n || total == 0)
		text(out, mL + pw / 2, (ax.top + ax.bottom) / 2, "middle", 13, NULL, SL(o, "Ingen data", "No data"));

	legend_draw(out, &lg);
	sbuf_adds(out, "</svg>\n");

	legend_free(&lg);
	free(it);
	sbuf_release(&tmp);
	sbuf_release(&gen);
}

/* ---------------------------------------------------------------------- */
/* horizontal bars                                                         */
/* ---------------------------------------------------------------------- */

#define HBAR_ROW 24

void svg_hbars(sbuf *out, const svg_opts *o_in, const char *const *labels, const double *values,
	       size_t n, const char *unit, const char *title, const char *desc)
{
	static const svg_opts defaults;
	const svg_opts *o = o_in ? o_in : &defaults;
	sbuf tmp = SBUF_INIT, gen = SBUF_INIT;
	double maxv = 0;

	if (!values)
		n = 0;
	double top0 = o->show_title ? 30 : 8;
	int W = o->width > 0 ? o->width : 720;
	int H = o->height > 0 ? o->height : (int)(top0 + (double)(n ? n : 1) * HBAR_ROW + 8);

	for (size_t i = 0; i < n; i++)
		if (isfinite(values[i]) && values[i] > maxv)
			maxv = values[i];

	if (!desc) {
		sbuf_addf(&gen, SL(o, "Liggende s\xC3\xB8yler, %zu rader:", "Horizontal bars, %zu rows:"), n);
		for (size_t i = 0; i < n; i++) {
			sbuf_adds(&gen, i ? "; " : " ");
			sbuf_adds(&gen, labels && labels[i] ? labels[i] : "?");
			sbuf_addch(&gen, ' ');
			shown(&gen, o, values[i], auto_decimals(values[i]));
			sbuf_adds(&gen, unit);
		}
		sbuf_adds(&gen, ".");
		desc = gen.buf;
	}
	svg_open(out, o, "hbars", W, H, n, title, desc);

	/* label column as wide as the longest label, within 15-45 % of W */
	double lab_w = 0;
	for (size_t i = 0; i < n; i++) {
		double w = text_width(labels ? labels[i] : NULL, 12);
		if (w > lab_w)
			lab_w = w;
	}
	lab_w += 22;   /* wide glyphs (→) and the gap to the axis */
	if (lab_w < W * 0.15)
		lab_w = W * 0.15;
	if (lab_w > W * 0.45)
		lab_w = W * 0.45;
	size_t lab_max = (size_t)((lab_w - 10) / (12 * CHAR_W));

	/* room for the longest value label after the longest bar */
	double val_w = 0;
	for (size_t i = 0; i < n; i++) {
		sbuf_reset(&tmp);
		shown(&tmp, o, values[i], auto_decimals(values[i]));
		sbuf_adds(&tmp, unit);
		double w = text_width(tmp.buf, 12) + 12;
		if (w > val_w)
			val_w = w;
	}
	double x0 = lab_w, bar_max = W - x0 - val_w - 8;
	if (bar_max < 20)
		bar_max = 20;
	double rows_h = H - top0 - 8, row = n ? rows_h / (double)n : rows_h;
	double bh = row * 0.66 < 18 ? row * 0.66 : 18;

	line(out, x0, top0, x0, top0 + rows_h, C_AXIS, 1, NULL, NULL);
	sbuf_adds(out, "<g class=\"bars\">\n");
	for (size_t i = 0; i < n; i++) {
		double v = isfinite(values[i]) && values[i] > 0 ? values[i] : 0;
		double yc = top0 + row * ((double)i + 0.5);
		double w = maxv > 0 ? v / maxv * bar_max : 0;

		sbuf_reset(&tmp);
		truncated(&tmp, labels ? labels[i] : NULL, lab_max);
		text(out, x0 - 8, yc + 4, "end", 12, NULL, tmp.buf);

		sbuf_adds(out, "<rect class=\"bar\"");
		attr_num(out, "x", x0);
		attr_num(out, "y", yc - bh / 2);
		attr_num(out, "width", w);
		attr_num(out, "height", bh);
		sbuf_adds(out, " fill=\"" C_BAR "\"/>\n");

		sbuf_reset(&tmp);
		shown(&tmp, o, values[i], auto_decimals(values[i]));
		sbuf_adds(&tmp, unit);
		text(out, x0 + w + 6, yc + 4, "start", 12, "class=\"bar-value\"", tmp.buf);
	}
	sbuf_adds(out, "</g>\n");
	if (!n)
		text(out, W / 2.0, top0 + rows_h / 2 + 4, "middle", 13, NULL, SL(o, "Ingen data", "No data"));
	sbuf_adds(out, "</svg>\n");

	sbuf_release(&tmp);
	sbuf_release(&gen);
}
