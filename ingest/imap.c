/*
 * imap.c - an IMAP mailbox through libcurl: STATUS for UIDVALIDITY, UID
 * SEARCH for what is new, one ";UID=" URL per message, and the after-action
 * (flag \Seen, or move) once the caller has committed.  The cursor itself
 * lives in the store; this file only talks to the server.
 *
 * TLS: imaps:// is TLS from the start; imap:// requires STARTTLS
 * (CURLUSESSL_ALL) unless the source says tls = starttls-optional
 * (CURLUSESSL_TRY) or tls = none.  Certificates are always verified, with
 * ca_file when given.  The password goes to libcurl by CURLOPT_PASSWORD
 * only: never in a URL, argv, a log line or an error message.
 */
#include "ingest/ingest_int.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <curl/curl.h>

struct ingest_imap {
	CURL *curl;
	char *source;
	char *base;          /* scheme://host[:port]/ */
	char *mbox_url;      /* base + the mailbox as the URL wrote it */
	char *mailbox;       /* decoded */
	char *shown;         /* base + mailbox, for messages */
	char errbuf[CURL_ERROR_SIZE];
};

/* ---- the password ---- */

int ingest_secret_read(const char *file, const char *env, sbuf *out, sbuf *err)
{
	struct stat st;
	char buf[4096];
	ssize_t n;
	int fd;

	sbuf_reset(out);
	if (env && *env) {
		const char *v = getenv(env);
		if (!v || !*v) {
			sbuf_addf(err, "password_env: environment variable %s is not set (expected the password in it)", env);
			return -1;
		}
		sbuf_adds(out, v);
		return 0;
	}
	if (!file || !*file) {
		sbuf_adds(err, "no password: set password_file or password_env");
		return -1;
	}
	fd = open(file, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	if (fd < 0) {
		sbuf_addf(err, "password_file %s: %s", file, strerror(errno));
		return -1;
	}
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		sbuf_addf(err, "password_file %s: not a regular file", file);
		close(fd);
		return -1;
	}
	if (st.st_mode & (S_IRWXG | S_IRWXO)) {
		sbuf_addf(err, "password_file %s: group or others may read it (mode %04o); "
			  "refusing it (expected chmod 600)", file, (unsigned)(st.st_mode & 07777));
		close(fd);
		return -1;
	}
	do
		n = read(fd, buf, sizeof buf);
	while (n < 0 && errno == EINTR);
	close(fd);
	if (n < 0) {
		sbuf_addf(err, "password_file %s: %s", file, strerror(errno));
		return -1;
	}
	/* the first line; a trailing newline is not part of it */
	sbuf_add(out, buf, (size_t)n);
	explicit_bzero(buf, sizeof buf);
	sbuf_setlen(out, strcspn(out->buf, "\r\n"));
	if (!out->len) {
		sbuf_addf(err, "password_file %s: empty (expected the password on its first line)", file);
		return -1;
	}
	return 0;
}

/* ---- connection ---- */

typedef struct {
	sbuf *out;
	size_t max;
	int too_big;
} imap_sink;

static size_t imap_write(char *data, size_t size, size_t nmemb, void *ctx)
{
	imap_sink *s = ctx;
	size_t n = size * nmemb;

	if (s->max && s->out->len + n > s->max) {
		s->too_big = 1;
		return 0;    /* aborts the transfer */
	}
	sbuf_add(s->out, data, n);
	return n;
}

int ingest_imap_open(ingest_imap **out, const ingest_imap_opts *o, sbuf *err)
{
	ingest_imap *im;
	CURLU *u;
	char *scheme = NULL, *host = NULL, *port = NULL, *path = NULL, *pass = NULL, *user = NULL;
	const char *mb;
	long timeout = o->timeout > 0 ? o->timeout : 60;
	sbuf b = SBUF_INIT;
	int tls_implicit;

	*out = NULL;
	ingest_curl_init();
	u = curl_url();
	if (!u || curl_url_set(u, CURLUPART_URL, o->url, 0) != CURLUE_OK ||
	    curl_url_get(u, CURLUPART_SCHEME, &scheme, 0) != CURLUE_OK ||
	    curl_url_get(u, CURLUPART_HOST, &host, 0) != CURLUE_OK) {
		sbuf_addf(err, "url '%s' is not a URL (expected imaps://host/MAILBOX)", o->url);
		goto fail;
	}
	if (strcmp(scheme, "imap") && strcmp(scheme, "imaps")) {
		sbuf_addf(err, "url '%s': scheme %s (expected imaps:// or imap://)", o->url, scheme);
		goto fail;
	}
	if (curl_url_get(u, CURLUPART_PASSWORD, &pass, 0) == CURLUE_OK && pass) {
		/* do not repeat the URL: it holds the password */
		sbuf_adds(err, "url holds a password: put it in password_file or password_env instead");
		goto fail;
	}
	if (curl_url_get(u, CURLUPART_USER, &user, 0) == CURLUE_OK && user) {
		sbuf_addf(err, "url '%s': give the user with 'user =', not in the URL", o->url);
		goto fail;
	}
	curl_url_get(u, CURLUPART_PORT, &port, 0);
	curl_url_get(u, CURLUPART_PATH, &path, 0);
	mb = path && path[0] == '/' ? path + 1 : (path ? path : "");
	if (!*mb)
		mb = "INBOX";
	if (strchr(mb, ';') || strchr(mb, '/')) {
		sbuf_addf(err, "url '%s': give only the mailbox after the host (expected imaps://host/INBOX)", o->url);
		goto fail;
	}
	tls_implicit = !strcmp(scheme, "imaps");

	im = xcalloc(1, sizeof *im);
	im->source = xstrdup(o->source ? o->source : "imap");
	sbuf_addf(&b, "%s://%s%s%s/", scheme, host, port ? ":" : "", port ? port : "");
	im->base = xstrdup(b.buf);
	sbuf_adds(&b, mb);
	im->mbox_url = sbuf_detach(&b, NULL);
	im->shown = xstrdup(im->mbox_url);
	{
		int dl = 0;
		char *d = curl_easy_unescape(NULL, mb, 0, &dl);
		im->mailbox = xstrndup(d ? d : mb, d ? (size_t)dl : strlen(mb));
		curl_free(d);
	}
	im->curl = curl_easy_init();
	if (!im->curl) {
		sbuf_adds(err, "cannot start libcurl");
		ingest_imap_close(im);
		goto fail;
	}
	curl_easy_setopt(im->curl, CURLOPT_PROTOCOLS_STR, "imap,imaps");
	curl_easy_setopt(im->curl, CURLOPT_USERNAME, o->user ? o->user : "");
	curl_easy_setopt(im->curl, CURLOPT_PASSWORD, o->password ? o->password : "");
	curl_easy_setopt(im->curl, CURLOPT_USE_SSL,
			 tls_implicit || o->tls == INGEST_IMAP_TLS_REQUIRED ? (long)CURLUSESSL_ALL
			 : o->tls == INGEST_IMAP_TLS_OPTIONAL ? (long)CURLUSESSL_TRY : (long)CURLUSESSL_NONE);
	curl_easy_setopt(im->curl, CURLOPT_SSL_VERIFYPEER, 1L);
	curl_easy_setopt(im->curl, CURLOPT_SSL_VERIFYHOST, 2L);
	if (o->ca_file && *o->ca_file)
		curl_easy_setopt(im->curl, CURLOPT_CAINFO, o->ca_file);
	/* nothing may hang a nightly run: bounded connect, and a transfer that
	 * stalls for the timeout is given up */
	curl_easy_setopt(im->curl, CURLOPT_CONNECTTIMEOUT, timeout);
	curl_easy_setopt(im->curl, CURLOPT_LOW_SPEED_LIMIT, 1L);
	curl_easy_setopt(im->curl, CURLOPT_LOW_SPEED_TIME, timeout);
	curl_easy_setopt(im->curl, CURLOPT_SERVER_RESPONSE_TIMEOUT, timeout);
	curl_easy_setopt(im->curl, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(im->curl, CURLOPT_TCP_KEEPALIVE, 1L);
	curl_easy_setopt(im->curl, CURLOPT_ERRORBUFFER, im->errbuf);
	curl_easy_setopt(im->curl, CURLOPT_WRITEFUNCTION, imap_write);
	*out = im;
	curl_free(scheme);
	curl_free(host);
	curl_free(port);
	curl_free(path);
	curl_url_cleanup(u);
	return 0;
fail:
	sbuf_release(&b);
	curl_free(scheme);
	curl_free(host);
	curl_free(port);
	curl_free(path);
	curl_free(pass);
	curl_free(user);
	curl_url_cleanup(u);
	return -1;
}

void ingest_imap_close(ingest_imap *im)
{
	if (!im)
		return;
	if (im->curl)
		curl_easy_cleanup(im->curl);
	free(im->source);
	free(im->base);
	free(im->mbox_url);
	free(im->mailbox);
	free(im->shown);
	free(im);
}

const char *ingest_imap_mailbox(const ingest_imap *im)
{
	return im->mailbox;
}

/* What went wrong, in words an operator can act on (IMAP and SMTP). */
const char *ingest_curl_hint(int rc)
{
	switch ((CURLcode)rc) {
	case CURLE_LOGIN_DENIED:
		return " (wrong user or password?)";
	case CURLE_USE_SSL_FAILED:
		return " (the server offers no STARTTLS; tls = starttls-optional or none allows that)";
	case CURLE_PEER_FAILED_VERIFICATION:
	case CURLE_SSL_CACERT_BADFILE:
	case CURLE_SSL_CONNECT_ERROR:
		return " (TLS failed: is the server's certificate trusted? see ca_file)";
	case CURLE_COULDNT_CONNECT:
	case CURLE_COULDNT_RESOLVE_HOST:
		return " (server unreachable)";
	case CURLE_OPERATION_TIMEDOUT:
		return " (no answer within the timeout)";
	default:
		return "";
	}
}

static void imap_explain(ingest_imap *im, CURLcode rc, const char *what, sbuf *err)
{
	const char *hint = ingest_curl_hint(rc);

	sbuf_addf(err, "%s: %s: %s%s", im->shown, what,
		  im->errbuf[0] ? im->errbuf : curl_easy_strerror(rc), hint);
}

/* One request: url, optional custom command; the response body (or the
 * custom command's untagged lines) into out. */
static int imap_request(ingest_imap *im, const char *url, const char *custom, sbuf *out, size_t max,
			int *too_big, const char *what, sbuf *err)
{
	imap_sink s = { out, max, 0 };
	CURLcode rc;

	im->errbuf[0] = '\0';
	curl_easy_setopt(im->curl, CURLOPT_URL, url);
	curl_easy_setopt(im->curl, CURLOPT_CUSTOMREQUEST, custom);
	curl_easy_setopt(im->curl, CURLOPT_WRITEDATA, &s);
	rc = curl_easy_perform(im->curl);
	curl_easy_setopt(im->curl, CURLOPT_CUSTOMREQUEST, NULL);
	if (too_big)
		*too_big = s.too_big;
	if (rc != CURLE_OK) {
		if (s.too_big)
			sbuf_addf(err, "%s: %s: larger than %zu bytes", im->shown, what, max);
		else
			imap_explain(im, rc, what, err);
		return -1;
	}
	return 0;
}

/* "INBOX" -> "\"INBOX\"" (quoted string, RFC 3501). */
static void imap_quote(sbuf *out, const char *s)
{
	sbuf_addch(out, '"');
	for (; *s; s++) {
		if (*s == '"' || *s == '\\')
			sbuf_addch(out, '\\');
		if (*s != '\r' && *s != '\n')
			sbuf_addch(out, *s);
	}
	sbuf_addch(out, '"');
}

int ingest_imap_uidvalidity(ingest_imap *im, uint64_t *out, sbuf *err)
{
	sbuf cmd = SBUF_INIT, resp = SBUF_INIT;
	const char *p;
	int rc = -1;

	sbuf_adds(&cmd, "STATUS ");
	imap_quote(&cmd, im->mailbox);
	sbuf_adds(&cmd, " (UIDVALIDITY)");
	if (imap_request(im, im->base, cmd.buf, &resp, 1 << 16, NULL, "STATUS", err) == 0) {
		p = strstr(resp.buf, "UIDVALIDITY ");
		if (p && isdigit((unsigned char)p[12])) {
			*out = strtoull(p + 12, NULL, 10);
			rc = 0;
		} else {
			sbuf_addf(err, "%s: STATUS: no UIDVALIDITY in the answer (does the mailbox exist?)",
				  im->shown);
		}
	}
	sbuf_release(&cmd);
	sbuf_release(&resp);
	return rc;
}

static int imap_cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
	return x < y ? -1 : x > y;
}

int ingest_imap_search(ingest_imap *im, uint64_t from, int unseen, uint64_t **uids, size_t *n,
		       sbuf *err)
{
	sbuf cmd = SBUF_INIT, resp = SBUF_INIT;
	size_t cap = 0;
	const char *p;

	*uids = NULL;
	*n = 0;
	sbuf_addf(&cmd, "UID SEARCH UID %llu:*%s", (unsigned long long)(from ? from : 1),
		  unseen ? " UNSEEN" : "");
	if (imap_request(im, im->mbox_url, cmd.buf, &resp, (size_t)64 << 20, NULL, "UID SEARCH", err)) {
		sbuf_release(&cmd);
		sbuf_release(&resp);
		return -1;
	}
	/* "* SEARCH 4 5 9" lines; "n:*" also gives the highest UID when all are
	 * older than n, so keep only those >= from */
	for (p = resp.buf; (p = strstr(p, "* SEARCH")) != NULL;) {
		p += 8;
		while (*p && *p != '\n') {
			char *e;
			uint64_t v;
			while (*p == ' ' || *p == '\r')
				p++;
			if (!isdigit((unsigned char)*p))
				break;
			v = strtoull(p, &e, 10);
			p = e;
			if (v >= from) {
				if (*n == cap) {
					cap = cap ? cap * 2 : 64;
					*uids = xrealloc(*uids, cap * sizeof **uids);
				}
				(*uids)[(*n)++] = v;
			}
		}
	}
	if (*n)
		qsort(*uids, *n, sizeof **uids, imap_cmp_u64);
	sbuf_release(&cmd);
	sbuf_release(&resp);
	return 0;
}

int ingest_imap_fetch(ingest_imap *im, uint64_t uidvalidity, uint64_t uid, size_t max, sbuf *out,
		      int *too_big, sbuf *err)
{
	static long fetched;
	const char *stop = getenv("AVVIK_TEST_IMAP_STOP_BEFORE");
	sbuf url = SBUF_INIT, what = SBUF_INIT;
	int rc;

	/* Test hook: stop (SIGSTOP) before the Nth fetch of this process, so
	 * a test can take the server away at a known point without timing. */
	if (stop && *stop && ++fetched == atol(stop))
		raise(SIGSTOP);
	/* ;UIDVALIDITY= makes libcurl refuse a mailbox that changed under us */
	sbuf_addf(&url, "%s;UIDVALIDITY=%llu/;UID=%llu", im->mbox_url, (unsigned long long)uidvalidity,
		  (unsigned long long)uid);
	sbuf_addf(&what, "UID FETCH %llu", (unsigned long long)uid);
	sbuf_reset(out);
	rc = imap_request(im, url.buf, NULL, out, max ? max : INGEST_DEFAULT_MAX_FILE_SIZE, too_big, what.buf, err);
	sbuf_release(&url);
	sbuf_release(&what);
	return rc;
}

int ingest_imap_after(ingest_imap *im, uint64_t uid, const char *action, sbuf *err)
{
	sbuf cmd = SBUF_INIT, resp = SBUF_INIT;
	int rc;

	if (!strcmp(action, "seen"))
		sbuf_addf(&cmd, "UID STORE %llu +FLAGS.SILENT (\\Seen)", (unsigned long long)uid);
	else if (!strcmp(action, "unseen"))
		sbuf_addf(&cmd, "UID STORE %llu -FLAGS.SILENT (\\Seen)", (unsigned long long)uid);
	else if (!strncmp(action, "move:", 5) && action[5]) {
		sbuf_addf(&cmd, "UID MOVE %llu ", (unsigned long long)uid);
		imap_quote(&cmd, action + 5);
	} else {
		sbuf_addf(err, "%s: unknown after-action '%s'", im->shown, action);
		return -1;
	}
	rc = imap_request(im, im->mbox_url, cmd.buf, &resp, 1 << 20, NULL, cmd.buf, err);
	sbuf_release(&cmd);
	sbuf_release(&resp);
	return rc;
}
