/* buf.c - sbuf, the one string buffer used everywhere (after git's strbuf). */
#include "core.h"

#include <assert.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

char sbuf_empty_[1];

void sbuf_init(sbuf *sb, size_t hint)
{
	sb->buf = sbuf_empty_;
	sb->len = sb->alloc = 0;
	if (hint)
		sbuf_grow(sb, hint);
}

void sbuf_release(sbuf *sb)
{
	if (sb->alloc)
		free(sb->buf);
	sbuf_init(sb, 0);
}

char *sbuf_detach(sbuf *sb, size_t *len)
{
	char *r;

	if (!sb->alloc)
		sbuf_grow(sb, 1);
	r = sb->buf;
	if (len)
		*len = sb->len;
	sbuf_init(sb, 0);
	return r;
}

void sbuf_grow(sbuf *sb, size_t extra)
{
	size_t need;

	if (extra > SIZE_MAX - sb->len - 1) {
		fprintf(stderr, "avvik: fatal: string too large\n");
		exit(EXIT_FATAL);
	}
	need = sb->len + extra + 1;
	if (need <= sb->alloc)
		return;
	if (!sb->alloc)
		sb->buf = NULL;
	sb->alloc = sb->alloc ? sb->alloc : 64;
	while (sb->alloc < need)
		sb->alloc = sb->alloc < SIZE_MAX / 2 ? sb->alloc * 2 : need;
	sb->buf = xrealloc(sb->buf, sb->alloc);
	if (sb->len == 0)
		sb->buf[0] = '\0';
}

void sbuf_reset(sbuf *sb)
{
	sbuf_setlen(sb, 0);
}

void sbuf_setlen(sbuf *sb, size_t len)
{
	assert(len <= (sb->alloc ? sb->alloc - 1 : 0));
	if (!sb->alloc)
		return;
	sb->len = len;
	sb->buf[len] = '\0';
}

void sbuf_add(sbuf *sb, const void *data, size_t len)
{
	if (!len)
		return;
	sbuf_grow(sb, len);
	memcpy(sb->buf + sb->len, data, len);
	sbuf_setlen(sb, sb->len + len);
}

void sbuf_adds(sbuf *sb, const char *s)
{
	if (s)
		sbuf_add(sb, s, strlen(s));
}

void sbuf_addch(sbuf *sb, int c)
{
	sbuf_grow(sb, 1);
	sb->buf[sb->len++] = (char)c;
	sb->buf[sb->len] = '\0';
}

void sbuf_vaddf(sbuf *sb, const char *fmt, va_list ap)
{
	va_list cp;
	int n;

	va_copy(cp, ap);
	n = vsnprintf(NULL, 0, fmt, cp);
	va_end(cp);
	if (n < 0)
		return;
	sbuf_grow(sb, (size_t)n);
	vsnprintf(sb->buf + sb->len, (size_t)n + 1, fmt, ap);
	sbuf_setlen(sb, sb->len + (size_t)n);
}

void sbuf_addf(sbuf *sb, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	sbuf_vaddf(sb, fmt, ap);
	va_end(ap);
}

static int is_space(int c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}

void sbuf_trim(sbuf *sb)
{
	size_t start = 0, end = sb->len;

	while (start < end && is_space((unsigned char)sb->buf[start]))
		start++;
	while (end > start && is_space((unsigned char)sb->buf[end - 1]))
		end--;
	if (start)
		memmove(sb->buf, sb->buf + start, end - start);
	sbuf_setlen(sb, end - start);
}

void sbuf_squeeze_space(sbuf *sb)
{
	size_t r, w = 0;
	int in_space = 1;   /* drops leading space */

	for (r = 0; r < sb->len; r++) {
		unsigned char c = (unsigned char)sb->buf[r];
		if (is_space(c)) {
			if (!in_space)
				sb->buf[w++] = ' ';
			in_space = 1;
		} else {
			sb->buf[w++] = (char)c;
			in_space = 0;
		}
	}
	if (w && sb->buf[w - 1] == ' ')
		w--;
	sbuf_setlen(sb, w);
}

void sbuf_add_json_str(sbuf *sb, const char *s)
{
	const char *p, *end;

	if (!s) {
		sbuf_adds(sb, "null");
		return;
	}
	end = s + strlen(s);
	sbuf_addch(sb, '"');
	for (p = s; p < end;) {
		const char *start = p;
		uint32_t cp = utf8_next(&p, end);
		switch (cp) {
		case '"': sbuf_adds(sb, "\\\""); break;
		case '\\': sbuf_adds(sb, "\\\\"); break;
		case '\n': sbuf_adds(sb, "\\n"); break;
		case '\r': sbuf_adds(sb, "\\r"); break;
		case '\t': sbuf_adds(sb, "\\t"); break;
		default:
			if (cp < 0x20 || cp == 0x2028 || cp == 0x2029)
				sbuf_addf(sb, "\\u%04x", (unsigned)cp);
			else if (cp == 0xFFFD)
				utf8_encode(sb, cp);
			else
				sbuf_add(sb, start, (size_t)(p - start));
		}
	}
	sbuf_addch(sb, '"');
}

void sbuf_add_csv_field(sbuf *sb, const char *s, char sep)
{
	const char *p;

	if (!s)
		return;
	if (!strchr(s, sep) && !strpbrk(s, "\"\r\n")) {
		sbuf_adds(sb, s);
		return;
	}
	sbuf_addch(sb, '"');
	for (p = s; *p; p++) {
		if (*p == '"')
			sbuf_addch(sb, '"');
		sbuf_addch(sb, *p);
	}
	sbuf_addch(sb, '"');
}

void sbuf_add_csv_text(sbuf *sb, const char *s, char sep)
{
	sbuf t = SBUF_INIT;

	if (!s)
		return;
	if (*s && strchr("=+-@\t\r", *s)) {
		sbuf_addch(&t, '\'');
		sbuf_adds(&t, s);
		s = t.buf;
	}
	sbuf_add_csv_field(sb, s, sep);
	sbuf_release(&t);
}

int sbuf_read_file(sbuf *sb, const char *path, size_t max_len)
{
	FILE *f = fopen(path, "rb");
	char chunk[65536];
	size_t n;
	int saved;

	if (!f)
		return -1;
	while ((n = fread(chunk, 1, sizeof chunk, f)) > 0) {
		if (max_len && sb->len + n > max_len) {
			fclose(f);
			errno = EFBIG;
			return -1;
		}
		sbuf_add(sb, chunk, n);
	}
	if (ferror(f)) {
		saved = errno ? errno : EIO;
		fclose(f);
		errno = saved;
		return -1;
	}
	fclose(f);
	return 0;
}
