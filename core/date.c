/* date.c - the few date forms avvik accepts, and reporting periods. */
#include "core.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static int is_leap(int y)
{
	return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

static int days_in_month(int y, int m)
{
	static const int d[] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
	return m == 2 && is_leap(y) ? 29 : d[m - 1];
}

/* Reads exactly n digits at *p. */
static int read_digits(const char **p, int n, int *out)
{
	int v = 0, i;

	for (i = 0; i < n; i++) {
		if (!isdigit((unsigned char)(*p)[i]))
			return -1;
		v = v * 10 + ((*p)[i] - '0');
	}
	*p += n;
	*out = v;
	return 0;
}

static int valid_ymd(int y, int m, int d)
{
	return y >= 1900 && y <= 2200 && m >= 1 && m <= 12 && d >= 1 && d <= days_in_month(y, m);
}

int date_normalize(const char *in, sbuf *out)
{
	const char *p = in;
	int y, m, d, hh = -1, mi = 0, ss = 0;

	while (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r')
		p++;
	if (isdigit((unsigned char)p[0]) && isdigit((unsigned char)p[1]) && p[2] == '.') {
		/* dd.mm.yyyy */
		if (read_digits(&p, 2, &d) || *p++ != '.' || read_digits(&p, 2, &m) ||
		    *p++ != '.' || read_digits(&p, 4, &y))
			return -1;
	} else {
		if (read_digits(&p, 4, &y) || *p++ != '-' || read_digits(&p, 2, &m) ||
		    *p++ != '-' || read_digits(&p, 2, &d))
			return -1;
	}
	if (!valid_ymd(y, m, d))
		return -1;
	if (*p == 'T' || (*p == ' ' && isdigit((unsigned char)p[1]))) {
		p++;
		if (read_digits(&p, 2, &hh) || *p++ != ':' || read_digits(&p, 2, &mi))
			return -1;
		if (*p == ':') {
			p++;
			if (read_digits(&p, 2, &ss))
				return -1;
			if (*p == '.' || *p == ',')
				for (p++; isdigit((unsigned char)*p); p++)
					;
		}
		if (hh > 23 || mi > 59 || ss > 60)
			return -1;
		if (*p == 'Z') {
			p++;
		} else if (*p == '+' || *p == '-') {
			int oh, om;
			p++;
			if (read_digits(&p, 2, &oh))
				return -1;
			if (*p == ':')
				p++;
			if (read_digits(&p, 2, &om))
				return -1;
		}
	}
	while (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r')
		p++;
	if (*p)
		return -1;
	if (hh < 0)
		sbuf_addf(out, "%04d-%02d-%02d", y, m, d);
	else
		sbuf_addf(out, "%04d-%02d-%02dT%02d:%02d:%02d", y, m, d, hh, mi, ss);
	return 0;
}

void date_now_utc(sbuf *out)
{
	time_t now = time(NULL);
	struct tm tm;
	char b[32];

	gmtime_r(&now, &tm);
	strftime(b, sizeof b, "%Y-%m-%dT%H:%M:%SZ", &tm);
	sbuf_adds(out, b);
}

/* One side of a period: year, quarter or month -> [start month, end month). */
static int period_side(const char *s, size_t len, int *y0, int *m0, int *y1, int *m1)
{
	char b[16];
	const char *p = b;
	int y, v;

	if (len >= sizeof b)
		return -1;
	memcpy(b, s, len);
	b[len] = '\0';
	if (read_digits(&p, 4, &y) || y < 1900 || y > 2200)
		return -1;
	if (!*p) {
		*y0 = y; *m0 = 1; *y1 = y + 1; *m1 = 1;
		return 0;
	}
	if (*p++ != '-')
		return -1;
	if (*p == 'Q' || *p == 'q' || *p == 'K' || *p == 'k') {
		p++;
		if (read_digits(&p, 1, &v) || v < 1 || v > 4 || *p)
			return -1;
		*y0 = y; *m0 = (v - 1) * 3 + 1;
		*y1 = v == 4 ? y + 1 : y; *m1 = v == 4 ? 1 : *m0 + 3;
		return 0;
	}
	if (read_digits(&p, 2, &v) || v < 1 || v > 12 || *p)
		return -1;
	*y0 = y; *m0 = v;
	*y1 = v == 12 ? y + 1 : y; *m1 = v == 12 ? 1 : v + 1;
	return 0;
}

int period_parse(const char *s, period *out, sbuf *err)
{
	const char *dots = strstr(s, "..");
	int ay0, am0, ay1, am1, by0, bm0, by1, bm1;
	size_t len = strlen(s);

	memset(out, 0, sizeof *out);
	if (dots) {
		if (period_side(s, (size_t)(dots - s), &ay0, &am0, &ay1, &am1) ||
		    period_side(dots + 2, strlen(dots + 2), &by0, &bm0, &by1, &bm1))
			goto bad;
		if (by1 * 12 + bm1 <= ay0 * 12 + am0) {
			sbuf_addf(err, "period '%s' ends before it starts", s);
			return -1;
		}
	} else {
		if (period_side(s, len, &ay0, &am0, &ay1, &am1))
			goto bad;
		by1 = ay1;
		bm1 = am1;
	}
	snprintf(out->start, sizeof out->start, "%04d-%02d-01", ay0, am0);
	snprintf(out->end, sizeof out->end, "%04d-%02d-01", by1, bm1);
	out->months = (by1 * 12 + bm1) - (ay0 * 12 + am0);
	snprintf(out->label, sizeof out->label, "%.31s", s);
	return 0;
bad:
	sbuf_addf(err, "invalid period '%s': expected 2024, 2024-Q3, 2024-07 or 2024-01..2024-06", s);
	return -1;
}

/* The period before p of the same number of months. */
int period_before(const period *p, period *out)
{
	int y, m;
	sbuf spec = SBUF_INIT, err = SBUF_INIT;
	int rc;

	if (sscanf(p->start, "%4d-%2d", &y, &m) != 2)
		return -1;
	m -= p->months;
	while (m < 1) {
		m += 12;
		y--;
	}
	{
		int ey = y, em = m + p->months - 1;
		while (em > 12) {
			em -= 12;
			ey++;
		}
		sbuf_addf(&spec, "%04d-%02d..%04d-%02d", y, m, ey, em);
	}
	rc = period_parse(spec.buf, out, &err);
	/* a whole year, quarter or month is named as one: "2024-Q3", not
	 * "2024-07..2024-09" */
	if (!rc && p->months == 12 && !strcmp(p->start + 4, "-01-01"))
		snprintf(out->label, sizeof out->label, "%04d", y);
	else if (!rc && p->months == 3 && (m - 1) % 3 == 0)
		snprintf(out->label, sizeof out->label, "%04d-Q%d", y, (m - 1) / 3 + 1);
	else if (!rc && p->months == 1)
		snprintf(out->label, sizeof out->label, "%04d-%02d", y, m);
	sbuf_release(&spec);
	sbuf_release(&err);
	return rc;
}
