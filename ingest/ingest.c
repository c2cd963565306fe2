/*
 * ingest.c - the ingest stage's entry points: format names and detection,
 * files and buffers, walking a tree, hashing, and handing items to the sink.
 * The parsers live in msghead.c and avvikxml.c, scrubbing in scrub.c.
 */
#include "ingest/ingest_int.h"

#include <curl/curl.h>

#include <dirent.h>
#include <errno.h>
#include <pthread.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <glib.h>
#include <libxml/parser.h>

#include <openssl/evp.h>

#define INGEST_HEAD 65536          /* bytes read for detection */
#define INGEST_WALK_MAX_DEPTH 64

static const char *const ingest_format_names[] = {
	"auto", "msghead", "avvik-xml", "eml", "mbox", "maildir"
};

const char *ingest_format_name(ingest_format f)
{
	return (unsigned)f < sizeof ingest_format_names / sizeof ingest_format_names[0]
		? ingest_format_names[f] : "auto";
}

int ingest_format_parse(const char *s, ingest_format *out)
{
	size_t i;

	for (i = 0; i < sizeof ingest_format_names / sizeof ingest_format_names[0]; i++)
		if (!strcmp(s, ingest_format_names[i])) {
			*out = (ingest_format)i;
			return 0;
		}
	/* spellings people type */
	if (!strcmp(s, "kith") || !strcmp(s, "dialogmelding")) {
		*out = INGEST_FORMAT_MSGHEAD;
		return 0;
	}
	if (!strcmp(s, "avvik") || !strcmp(s, "avvikxml") || !strcmp(s, "export")) {
		*out = INGEST_FORMAT_AVVIK_XML;
		return 0;
	}
	if (!strcmp(s, "email") || !strcmp(s, "e-mail") || !strcmp(s, "mail")) {
		*out = INGEST_FORMAT_EML;
		return 0;
	}
	return -1;
}

/* ---- hashing ---- */

static void ingest_hex(const unsigned char *d, size_t n, char *out)
{
	static const char hex[] = "0123456789abcdef";
	size_t i;

	for (i = 0; i < n; i++) {
		out[2 * i] = hex[d[i] >> 4];
		out[2 * i + 1] = hex[d[i] & 15];
	}
	out[2 * n] = '\0';
}

void ingest_sha256_hex(const void *data, size_t len, char out[65])
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int n = 0;

	if (!EVP_Digest(data ? data : "", len, md, &n, EVP_sha256(), NULL) || n != 32) {
		memset(out, '0', 64);
		out[64] = '\0';
		return;
	}
	ingest_hex(md, 32, out);
}

void ingest_record_hash(avvik_record *r)
{
	sbuf c = SBUF_INIT;

	avvik_record_canonical(r, &c);
	ingest_sha256_hex(c.buf, c.len, r->content_hash);
	sbuf_release(&c);
}

/* ---- handing items to the sink ---- */

static int ingest_emit_problem_v(const ingest_ctx *ctx, const ingest_names *nm,
				 ingest_item_kind kind, const char *raw, size_t raw_len,
				 const char *raw_sha256, long line, const char *fmt, va_list ap)
	AVVIK_PRINTF(8, 0);

static int ingest_emit_problem_v(const ingest_ctx *ctx, const ingest_names *nm,
				 ingest_item_kind kind, const char *raw, size_t raw_len,
				 const char *raw_sha256, long line, const char *fmt, va_list ap)
{
	sbuf tmp = SBUF_INIT, reason = SBUF_INIT;
	ingest_item it;
	int rc = 0;

	sbuf_vaddf(&tmp, fmt, ap);
	/* reasons end up in logs and the quarantine table: no fødselsnummer,
	 * no patient name (origins hold file names senders chose) */
	ingest_clean_text(ctx, nm, tmp.buf, &reason);
	memset(&it, 0, sizeof it);
	it.kind = kind;
	it.raw = raw;
	it.raw_len = raw ? raw_len : 0;
	if (raw_sha256)
		memcpy(it.raw_sha256, raw_sha256, 65);
	else
		ingest_sha256_hex(raw, it.raw_len, it.raw_sha256);
	it.raw_sha256[64] = '\0';
	it.reason = reason.buf;
	it.line = line;
	log_debug("%s: %s", kind == INGEST_ITEM_SKIPPED ? "skipped" : "quarantine", reason.buf);
	if (ctx->sink)
		rc = ctx->sink(ctx->sink_ctx, &it);
	sbuf_release(&tmp);
	sbuf_release(&reason);
	return rc;
}

int ingest_emit_problem(const ingest_ctx *ctx, ingest_item_kind kind, const char *raw,
			size_t raw_len, const char *raw_sha256, long line, const char *fmt, ...)
{
	va_list ap;
	int rc;

	va_start(ap, fmt);
	rc = ingest_emit_problem_v(ctx, NULL, kind, raw, raw_len, raw_sha256, line, fmt, ap);
	va_end(ap);
	return rc;
}

int ingest_emit_problem_names(const ingest_ctx *ctx, const ingest_names *nm,
			      ingest_item_kind kind, const char *raw, size_t raw_len,
			      const char *raw_sha256, long line, const char *fmt, ...)
{
	va_list ap;
	int rc;

	va_start(ap, fmt);
	rc = ingest_emit_problem_v(ctx, nm, kind, raw, raw_len, raw_sha256, line, fmt, ap);
	va_end(ap);
	return rc;
}

/* s in Unicode NFC (valid UTF-8 already: ingest_clean_record). */
static void ingest_nfc(char **s)
{
	const unsigned char *p;
	gchar *n;

	if (!*s)
		return;
	for (p = (const unsigned char *)*s; *p && *p < 0x80; p++)
		;
	if (!*p)
		return;   /* ASCII is NFC */
	n = g_utf8_normalize(*s, -1, G_NORMALIZE_NFC);
	if (n && strcmp(n, *s)) {
		free(*s);
		*s = xstrdup(n);
	}
	g_free(n);
}

static void ingest_party_nfc(avvik_party *p)
{
	ingest_nfc(&p->name);
	ingest_nfc(&p->unit);
	ingest_nfc(&p->her_id);
	ingest_nfc(&p->org_nr);
	ingest_nfc(&p->type_hint);
}

/* Every text a sender wrote, in NFC, once, as the record leaves ingest:
 * "Ma\u030alselv" (decomposed, as macOS and some web forms write it) and
 * "M\u00e5lselv" are one name to classify's resolution, rules and search,
 * and one content hash.  The origin is left as it is: it names a file
 * as the file system spells it. */
static void ingest_record_nfc(avvik_record *r)
{
	size_t i;

	ingest_nfc(&r->ext_id);
	ingest_nfc(&r->received_at);
	ingest_nfc(&r->reported_at);
	ingest_nfc(&r->event_date);
	ingest_party_nfc(&r->reporter);
	ingest_party_nfc(&r->concerned);
	ingest_nfc(&r->subject);
	ingest_nfc(&r->text);
	ingest_nfc(&r->source_category);
	ingest_nfc(&r->severity);
	for (i = 0; i < r->n_attachments; i++) {
		ingest_nfc(&r->attachments[i].name);
		ingest_nfc(&r->attachments[i].mime_type);
	}
}

int ingest_emit_record(const ingest_ctx *ctx, const ingest_names *nm, avvik_record *r,
		       const char *raw, size_t raw_len, long line)
{
	ingest_item it;
	int rc = 0;

	if (!r->source)
		r->source = xstrdup(ctx->source ? ctx->source : "path");
	ingest_clean_record(ctx, nm, r);
	ingest_record_nfc(r);
	ingest_record_hash(r);
	memset(&it, 0, sizeof it);
	it.kind = INGEST_ITEM_DEVIATION;
	it.record = r;
	it.raw = raw;
	it.raw_len = raw ? raw_len : 0;
	ingest_sha256_hex(raw, it.raw_len, it.raw_sha256);
	it.line = line;
	if (ctx->sink)
		rc = ctx->sink(ctx->sink_ctx, &it);
	avvik_record_clear(r);
	return rc;
}

/* ---- detection ---- */

static int ingest_ws(unsigned char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

/* Looks like UTF-16 or UTF-32 (BOM, or "<" with NUL bytes beside it). */
static int ingest_wide_start(const unsigned char *d, size_t len)
{
	if (len >= 2 && ((d[0] == 0xFF && d[1] == 0xFE) || (d[0] == 0xFE && d[1] == 0xFF)))
		return 1;
	if (len >= 4 && ((d[0] == 0 && d[1] == 0 && d[2] == 0xFE && d[3] == 0xFF) ||
			 (d[0] == 0 && d[1] == 0 && d[2] == 0 && d[3] == '<') ||
			 (d[0] == '<' && d[1] == 0 && d[2] == 0 && d[3] == 0)))
		return 1;
	return len >= 2 && ((d[0] == '<' && d[1] == 0) || (d[0] == 0 && d[1] == '<'));
}

/* Byte-level checks every input gets, whatever its format: empty, binary.
 * head is the start of the input (all of it when complete). */
static int ingest_precheck(const char *head, size_t len, int complete, sbuf *why)
{
	const unsigned char *d = (const unsigned char *)head;
	size_t i = 0;

	if (ingest_wide_start(d, len))
		return 0;   /* libxml2 decodes UTF-16/32 itself */
	if (len >= 3 && d[0] == 0xEF && d[1] == 0xBB && d[2] == 0xBF)
		i = 3;
	while (i < len && ingest_ws(d[i]))
		i++;
	if (i == len && complete) {
		sbuf_adds(why, "empty file");
		return -1;
	}
	if (memchr(head, '\0', len)) {
		sbuf_adds(why, "not XML (binary data)");
		return -1;
	}
	if (i < len && d[i] != '<') {
		sbuf_adds(why, "not XML (no markup at the start)");
		return -1;
	}
	return 0;
}

/* Detection with the reason when it fails (INGEST_FORMAT_AUTO). */
static ingest_format ingest_detect_ex(const char *data, size_t len, const char *origin,
				      sbuf *why, long *line)
{
	ingest_xml_scan s;
	ingest_format f = INGEST_FORMAT_AUTO;
	size_t head = len > INGEST_HEAD ? INGEST_HEAD : len;

	*line = 0;
	if (ingest_precheck(data, head, head == len, why))
		return INGEST_FORMAT_AUTO;
	ingest_xml_scan_init(&s);
	ingest_xml_scan_memory(data, head, origin, 1, &s);
	if (s.reached_root && !strcmp(s.root_ns.buf, INGEST_NS_AVVIK))
		f = INGEST_FORMAT_AVVIK_XML;
	else if (s.reached_root && s.kith_seen)
		f = INGEST_FORMAT_MSGHEAD;
	else if (!s.ok) {
		sbuf_add(why, s.error.buf, s.error.len);
		*line = s.line;
	} else if (!s.reached_root) {
		sbuf_adds(why, "not XML (no root element in the first 64 KiB)");
	} else {
		sbuf_addf(why, "not a KITH message or avvik export (root element %s in namespace %s)",
			  s.root_name.buf, s.root_ns.len ? s.root_ns.buf : "(none)");
	}
	ingest_xml_scan_release(&s);
	return f;
}

ingest_format ingest_detect(const char *data, size_t len)
{
	sbuf why = SBUF_INIT;
	long line;
	ingest_format f;

	/* the structure first: a header block is mail, whatever XML it
	 * carries; only then the root element */
	f = ingest_email_detect(data, len);
	if (f != INGEST_FORMAT_AUTO)
		return f;
	xmlInitParser();
	f = ingest_detect_ex(data, len, "(buffer)", &why, &line);
	sbuf_release(&why);
	return f;
}

/* ---- buffers and files ---- */

/* "origin: " or "origin:line: " */
static void ingest_where(sbuf *out, const char *origin, long line)
{
	if (line > 0)
		sbuf_addf(out, "%s:%ld: ", origin, line);
	else
		sbuf_addf(out, "%s: ", origin);
}

static int ingest_quarantine_whole(const ingest_ctx *ctx, const char *origin, const char *data,
				   size_t len, const char *sha, long line, const char *why)
{
	sbuf where = SBUF_INIT;
	int rc;

	ingest_where(&where, origin, line);
	rc = ingest_emit_problem(ctx, INGEST_ITEM_QUARANTINE, data, len, sha, line, "%s%s",
				 where.buf, why);
	sbuf_release(&where);
	return rc;
}

int ingest_buffer(const ingest_ctx *ctx, const char *origin, const char *data, size_t len,
		  ingest_format fmt)
{
	sbuf why = SBUF_INIT;
	long line = 0;
	int rc = 0;

	xmlInitParser();
	if (!origin)
		origin = "(buffer)";
	if (!data)
		len = 0;
	if (fmt == INGEST_FORMAT_AUTO)
		fmt = ingest_email_detect(data, len);
	if (fmt == INGEST_FORMAT_EML || fmt == INGEST_FORMAT_MAILDIR)
		return ingest_email_buffer(ctx, origin, data ? data : "", len, 0);
	if (fmt == INGEST_FORMAT_MBOX)
		return ingest_mbox_buffer(ctx, origin, data ? data : "", len, 0);
	if (ingest_precheck(data ? data : "", len > INGEST_HEAD ? INGEST_HEAD : len,
			    len <= INGEST_HEAD, &why) == 0 && fmt == INGEST_FORMAT_AUTO)
		fmt = ingest_detect_ex(data, len, origin, &why, &line);
	if (why.len) {
		rc = ingest_quarantine_whole(ctx, origin, data, len, NULL, line, why.buf);
	} else if (fmt == INGEST_FORMAT_AVVIK_XML) {
		rc = ingest_avvikxml_buffer(ctx, origin, data, len);
	} else if (len > ingest_max_file_size(ctx) || len > INT_MAX) {
		sbuf_addf(&why, "message too large (%zu bytes, limit %zu)", len,
			  ingest_max_file_size(ctx));
		rc = ingest_quarantine_whole(ctx, origin, data, len, NULL, 0, why.buf);
	} else {
		rc = ingest_msghead_buffer(ctx, origin, data, len);
	}
	sbuf_release(&why);
	return rc;
}

/* Reads all of fd from offset 0, at most max bytes (errno EFBIG beyond). */
static int ingest_read_all(int fd, size_t max, sbuf *out)
{
	char buf[65536];
	off_t off = 0;

	for (;;) {
		ssize_t n = pread(fd, buf, sizeof buf, off);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -1;
		if (n == 0)
			return 0;
		if (out->len + (size_t)n > max) {
			errno = EFBIG;
			return -1;
		}
		sbuf_add(out, buf, (size_t)n);
		off += n;
	}
}

/* sha256 of all of fd, streaming. */
static int ingest_sha256_fd(int fd, char out[65])
{
	EVP_MD_CTX *md = EVP_MD_CTX_new();
	unsigned char digest[EVP_MAX_MD_SIZE], buf[65536];
	unsigned int n = 0;
	off_t off = 0;
	int rc = 0;

	if (!md || !EVP_DigestInit_ex(md, EVP_sha256(), NULL)) {
		EVP_MD_CTX_free(md);
		return -1;
	}
	for (;;) {
		ssize_t r = pread(fd, buf, sizeof buf, off);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0) {
			rc = r < 0 ? -1 : 0;
			break;
		}
		EVP_DigestUpdate(md, buf, (size_t)r);
		off += r;
	}
	EVP_DigestFinal_ex(md, digest, &n);
	EVP_MD_CTX_free(md);
	ingest_hex(digest, 32, out);
	return rc;
}

int ingest_file_digest(const char *path, char sha256[65])
{
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY), rc, saved;

	if (fd < 0)
		return -1;
	rc = ingest_sha256_fd(fd, sha256);
	saved = errno;
	close(fd);
	errno = saved;
	return rc;
}

/* An mbox of more than one message: a "From " line first, and another
 * after a blank line (bodies' own "From " lines are quoted in an mbox). */
static int ingest_several_mails(const char *data, size_t len)
{
	if (len < 5 || memcmp(data, "From ", 5))
		return 0;
	return memmem(data, len, "\n\nFrom ", 7) != NULL ||
	       memmem(data, len, "\r\n\r\nFrom ", 9) != NULL;
}

/* Did the file change while it was read?  Its stat against the one taken
 * at open (a truncate or a write moves ctime), and, for a file read into
 * memory, the bytes parsed against the hash remembered for it. */
static int ingest_file_changed(int fd, const struct stat *before, const sbuf *parsed,
			       const char sha256[65])
{
	struct stat now;
	char sha[65];

	if (fstat(fd, &now) < 0 || now.st_size != before->st_size ||
	    now.st_mtim.tv_sec != before->st_mtim.tv_sec ||
	    now.st_mtim.tv_nsec != before->st_mtim.tv_nsec ||
	    now.st_ctim.tv_sec != before->st_ctim.tv_sec ||
	    now.st_ctim.tv_nsec != before->st_ctim.tv_nsec)
		return 1;
	if (!parsed)
		return 0;
	ingest_sha256_hex(parsed->buf, parsed->len, sha);
	return strcmp(sha, sha256) != 0;
}

int ingest_file(const ingest_ctx *ctx, const char *path, ingest_format fmt)
{
	return ingest_file_read(ctx, path, fmt, NULL);
}

int ingest_file_read(const ingest_ctx *ctx, const char *path, ingest_format fmt,
		     ingest_file_info *info)
{
	sbuf head = SBUF_INIT, why = SBUF_INIT, all = SBUF_INIT, origin = SBUF_INIT;
	struct stat st;
	long line = 0;
	int fd, rc = 0, saved;
	ssize_t n;

	xmlInitParser();
	/* the name a sender chose may hold a fødselsnummer: every message and
	 * stored origin gets it scrubbed */
	sbuf_adds(&origin, path);
	ingest_scrub_text(ctx, &origin);
	/* O_NONBLOCK: a FIFO put in the file's place must not hang the run */
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	if (fd < 0) {
		saved = errno;
		sbuf_release(&origin);
		errno = saved;
		return -1;
	}
	if (fstat(fd, &st) < 0)
		goto fail;
	if (!S_ISREG(st.st_mode)) {
		/* two passes and a size limit need a regular file */
		errno = S_ISDIR(st.st_mode) ? EISDIR : EINVAL;
		goto fail;
	}
	if (info) {
		/* the identity of the bytes actually read, taken from the open file */
		info->st = st;
		info->format = INGEST_FORMAT_AUTO;
		if (ingest_sha256_fd(fd, info->sha256) < 0)
			goto fail;
	}
	sbuf_grow(&head, INGEST_HEAD);
	do
		n = pread(fd, head.buf, INGEST_HEAD, 0);
	while (n < 0 && errno == EINTR);
	if (n < 0)
		goto fail;
	sbuf_setlen(&head, (size_t)n);
	if (fmt == INGEST_FORMAT_AUTO)
		fmt = ingest_email_detect(head.buf, head.len);
	if (info)
		info->format = fmt;
	if (fmt == INGEST_FORMAT_MBOX) {
		/* streamed: an mbox may be larger than memory */
		rc = ingest_mbox_fd(ctx, origin.buf, fd, st.st_mtime);
		goto out;
	}
	if (fmt == INGEST_FORMAT_EML || fmt == INGEST_FORMAT_MAILDIR) {
		if (ingest_read_all(fd, ingest_max_file_size(ctx), &all) < 0) {
			char sha[65];
			if (errno != EFBIG || ingest_sha256_fd(fd, sha) < 0)
				goto fail;
			sbuf_addf(&why, "e-mail too large (%lld bytes, limit %zu)",
				  (long long)st.st_size, ingest_max_file_size(ctx));
			rc = ingest_quarantine_whole(ctx, origin.buf, NULL, 0, sha, 0, why.buf);
		} else if (ingest_several_mails(all.buf, all.len)) {
			/* one message of several would be stored, the rest lost */
			sbuf_addf(&why, "an mbox of several messages, not one e-mail as format %s "
				  "says (use --format mbox)", ingest_format_name(fmt));
			rc = ingest_quarantine_whole(ctx, origin.buf, all.buf, all.len, NULL, 1, why.buf);
		} else {
			rc = ingest_email_buffer(ctx, origin.buf, all.buf, all.len, st.st_mtime);
		}
		goto out;
	}
	if (ingest_precheck(head.buf, head.len, (off_t)head.len >= st.st_size, &why) == 0 &&
	    fmt == INGEST_FORMAT_AUTO)
		fmt = ingest_detect_ex(head.buf, head.len, origin.buf, &why, &line);
	if (info)
		info->format = why.len ? INGEST_FORMAT_AUTO : fmt;

	if (!why.len && fmt == INGEST_FORMAT_AVVIK_XML) {
		rc = ingest_avvikxml_fd(ctx, origin.buf, fd);
		goto out;
	}
	/* DOM-parsed or quarantined whole: the bytes are the item's raw */
	if (ingest_read_all(fd, ingest_max_file_size(ctx), &all) < 0) {
		char sha[65];
		if (errno != EFBIG || ingest_sha256_fd(fd, sha) < 0)
			goto fail;
		if (!why.len)
			sbuf_addf(&why, "file too large (%lld bytes, limit %zu)",
				  (long long)st.st_size, ingest_max_file_size(ctx));
		rc = ingest_quarantine_whole(ctx, origin.buf, NULL, 0, sha, line, why.buf);
		goto out;
	}
	if (why.len)
		rc = ingest_quarantine_whole(ctx, origin.buf, all.buf, all.len, NULL, line, why.buf);
	else
		rc = ingest_msghead_buffer(ctx, origin.buf, all.buf, all.len);
out:
	saved = errno;
	if (info && ingest_file_changed(fd, &st, all.len ? &all : NULL, info->sha256)) {
		/* what was parsed is not what is remembered: nothing of it may be
		 * kept, and the next run must read it again whole */
		rc = -1;
		saved = ESTALE;
	}
	close(fd);
	sbuf_release(&head);
	sbuf_release(&why);
	sbuf_release(&all);
	sbuf_release(&origin);
	errno = saved;
	return rc;
fail:
	saved = errno;
	close(fd);
	sbuf_release(&head);
	sbuf_release(&why);
	sbuf_release(&all);
	sbuf_release(&origin);
	errno = saved;
	return -1;
}

/* ---- walking a tree ---- */

static int ingest_cmp_names(const void *a, const void *b)
{
	/* byte order, not the locale's: runs must be reproducible; the first
	 * byte of each entry is its d_type (see ingest_walk_dir) */
	return strcmp(*(char *const *)a + 1, *(char *const *)b + 1);
}

/* Is real (a resolved path) root itself or inside it? */
static int ingest_inside(const char *root, const char *real)
{
	size_t n = strlen(root);

	if (strncmp(root, real, n))
		return 0;
	return real[n] == '\0' || real[n] == '/' || (n == 1 && root[0] == '/');
}

/* A directory holding cur/ and new/ directories is a Maildir. */
static int ingest_is_maildir(const char *dir)
{
	sbuf p = SBUF_INIT;
	struct stat a, b;
	int yes;

	sbuf_addf(&p, "%s/cur", dir);
	yes = stat(p.buf, &a) == 0 && S_ISDIR(a.st_mode);
	sbuf_reset(&p);
	sbuf_addf(&p, "%s/new", dir);
	yes = yes && stat(p.buf, &b) == 0 && S_ISDIR(b.st_mode);
	sbuf_release(&p);
	return yes;
}

struct ingest_walk_names {
	char **names;   /* the first byte of each is its d_type + 1 */
	size_t n, cap;
};

static void ingest_walk_names_push(ingest_walk_names *l, const char *name, unsigned char type)
{
	size_t len = strlen(name);

	if (l->n == l->cap) {
		l->cap = l->cap ? l->cap * 2 : 32;
		l->names = xrealloc(l->names, l->cap * sizeof *l->names);
	}
	l->names[l->n] = xmalloc(len + 2);
	l->names[l->n][0] = (char)(type + 1);
	memcpy(l->names[l->n] + 1, name, len + 1);
	l->n++;
}

void ingest_walk_names_add(ingest_walk_names *known, const char *name)
{
	/* of unknown type: looked at with lstat, so that what was a file or
	 * a directory and is now a link is held to the rule for links */
	ingest_walk_names_push(known, name, DT_UNKNOWN);
}

static void ingest_walk_names_clear(ingest_walk_names *l)
{
	size_t i;

	for (i = 0; i < l->n; i++)
		free(l->names[i]);
	free(l->names);
	memset(l, 0, sizeof *l);
}

/* Lists dir into l; -1 with errno when it cannot be opened. */
static int ingest_walk_list(const char *dir, ingest_walk_names *l)
{
	DIR *d = opendir(dir);
	struct dirent *e;

	if (!d)
		return -1;
	while ((e = readdir(d)) != NULL) {
		if (e->d_name[0] == '.')
			continue;   /* hidden files, ".", ".." */
		/* the entry's type rides in front of its name, so a regular file
		 * or a directory needs no lstat (a nightly walk over 600,000
		 * files is mostly stat calls) */
		ingest_walk_names_push(l, e->d_name, e->d_type);
	}
	closedir(d);
	return 0;
}

const char *ingest_name_shown(const ingest_ctx *ctx, const char *name, sbuf *tmp)
{
	sbuf_reset(tmp);
	sbuf_adds(tmp, name);
	if (ctx)
		ingest_scrub_text(ctx, tmp);
	return tmp->buf;
}

static const char *ingest_walk_shown(const ingest_walker *w, const char *path, sbuf *tmp)
{
	return ingest_name_shown(w->names, path, tmp);
}

/* An entry that cannot be looked at: a remembered one that is gone is the
 * caller's to forget; anything else is reported, and the run goes on. */
static void ingest_walk_missing(const ingest_walker *w, const char *path, int remembered)
{
	int e = errno;
	sbuf shown = SBUF_INIT;

	if (remembered && e == ENOENT && w->gone) {
		w->gone(w->ctx, path);
		return;
	}
	log_warn("%s: %s", ingest_walk_shown(w, path, &shown), strerror(e));
	sbuf_release(&shown);
	if (w->problem)
		w->problem(w->ctx, path);
}

/* Returns the walker's first non-zero value, 0, or -1 when the top
 * directory cannot be read (deeper ones are reported and skipped: the run
 * goes on).  remembered: dir came from a caller's list, not a listing. */
static int ingest_walk_dir(const char *root, const char *dir, int depth, int remembered,
			   const ingest_walker *w)
{
	ingest_walk_names l = { NULL, 0, 0 };
	sbuf child = SBUF_INIT, shown = SBUF_INIT;
	struct stat dst;
	size_t i;
	int rc = 0, maildir, listed = 1;

	if (depth > INGEST_WALK_MAX_DEPTH) {
		log_warn("%s: directories nested too deep, not descending", dir);
		if (w->problem)
			w->problem(w->ctx, dir);
		return 0;
	}
	if (stat(dir, &dst) < 0) {
		if (depth == 0)
			return -1;
		ingest_walk_missing(w, dir, remembered);
		return 0;
	}
	if (w->dir_start) {
		rc = w->dir_start(w->ctx, dir, &dst, &l);
		if (rc < 0)
			goto out;
		listed = rc == 0;
		rc = 0;
	}
	if (listed && ingest_walk_list(dir, &l) < 0) {
		int e = errno;
		if (depth == 0) {
			ingest_walk_names_clear(&l);
			errno = e;
			return -1;
		}
		log_warn("%s: %s", ingest_walk_shown(w, dir, &shown), strerror(e));
		/* told, so that what dir_start began is ended as failed */
		if (w->dir_end)
			rc = w->dir_end(w->ctx, dir, 0);
		goto out;
	}
	if (l.n)
		qsort(l.names, l.n, sizeof *l.names, ingest_cmp_names);
	maildir = ingest_is_maildir(dir);
	for (i = 0; i < l.n && !rc; i++) {
		struct stat st;
		const char *name = l.names[i] + 1;
		unsigned char type = (unsigned char)(l.names[i][0] - 1);

		/* a Maildir: messages are in cur/ and new/ only (tmp/ holds
		 * deliveries in progress; the rest is the server's index) */
		if (maildir && strcmp(name, "cur") && strcmp(name, "new"))
			continue;

		sbuf_reset(&child);
		sbuf_addf(&child, "%s%s%s", dir, dir[strlen(dir) - 1] == '/' ? "" : "/", name);
		if (type == DT_REG) {
			rc = w->file(w->ctx, child.buf);
			continue;
		}
		if (type == DT_DIR) {
			rc = ingest_walk_dir(root, child.buf, depth + 1, !listed, w);
			continue;
		}
		if (lstat(child.buf, &st) < 0) {
			ingest_walk_missing(w, child.buf, !listed);
			continue;
		}
		if (S_ISLNK(st.st_mode)) {
			/* a link is followed only to a regular file inside the tree */
			char *real = realpath(child.buf, NULL);
			struct stat tst;
			if (real && ingest_inside(root, real) && stat(real, &tst) == 0 &&
			    S_ISREG(tst.st_mode))
				rc = w->file(w->ctx, child.buf);
			else
				log_warn("%s: skipped: a symbolic link that leads out of the tree "
					 "or not to a file", ingest_walk_shown(w, child.buf, &shown));
			free(real);
		} else if (S_ISDIR(st.st_mode)) {
			rc = ingest_walk_dir(root, child.buf, depth + 1, !listed, w);
		} else if (S_ISREG(st.st_mode)) {
			rc = w->file(w->ctx, child.buf);
		} else {
			/* reading a FIFO would block the run; a device is no input */
			log_warn("%s: skipped: a %s, not a file", ingest_walk_shown(w, child.buf, &shown),
				 S_ISFIFO(st.st_mode) ? "FIFO" : S_ISSOCK(st.st_mode) ? "socket"
				 : "device file");
		}
	}
	if (!rc && w->dir_end)
		rc = w->dir_end(w->ctx, dir, 1);
out:
	ingest_walk_names_clear(&l);
	sbuf_release(&child);
	sbuf_release(&shown);
	return rc;
}

int ingest_walk_tree(const char *path, const ingest_walker *w)
{
	struct stat st;
	char *root;
	int rc;

	if (stat(path, &st) < 0)
		return -1;
	if (S_ISREG(st.st_mode))
		return w->file(w->ctx, path);
	if (!S_ISDIR(st.st_mode)) {
		errno = EINVAL;
		return -1;
	}
	root = realpath(path, NULL);
	if (!root)
		return -1;
	rc = ingest_walk_dir(root, path, 0, 0, w);
	free(root);
	return rc;
}

int ingest_walk(const char *path, int (*fn)(void *ctx, const char *file), void *ctx)
{
	ingest_walker w;

	memset(&w, 0, sizeof w);
	w.file = fn;
	w.ctx = ctx;
	return ingest_walk_tree(path, &w);
}

static pthread_once_t ingest_curl_once = PTHREAD_ONCE_INIT;

static void ingest_curl_cleanup(void)
{
	curl_global_cleanup();
}

static void ingest_curl_start(void)
{
	curl_global_init(CURL_GLOBAL_DEFAULT);
	atexit(ingest_curl_cleanup);
}

void ingest_curl_init(void)
{
	/* once, whichever thread comes first: fetch threads start together */
	pthread_once(&ingest_curl_once, ingest_curl_start);
}

void ingest_global_init(void)
{
	xmlInitParser();
	ingest_curl_init();
}
