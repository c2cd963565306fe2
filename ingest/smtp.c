/*
 * smtp.c - sends a finished message with libcurl's SMTP: implicit TLS
 * (smtps://) or STARTTLS (smtp://, required unless configured otherwise),
 * certificates verified, the password never in a URL or a log.
 */
#include "ingest/ingest_int.h"

#include <curl/curl.h>
#include <string.h>

typedef struct {
	const char *p;
	size_t left;
} smtp_body;

static size_t smtp_read(char *buf, size_t size, size_t nmemb, void *ctx)
{
	smtp_body *b = ctx;
	size_t n = size * nmemb;

	if (n > b->left)
		n = b->left;
	memcpy(buf, b->p, n);
	b->p += n;
	b->left -= n;
	return n;
}

/* "<addr>" for the envelope: the address alone, in angle brackets. */
static void smtp_addr(sbuf *out, const char *a)
{
	const char *lt = strchr(a, '<'), *gt = lt ? strchr(lt, '>') : NULL;

	sbuf_addch(out, '<');
	if (lt && gt)
		sbuf_add(out, lt + 1, (size_t)(gt - lt - 1));
	else
		sbuf_adds(out, a);
	sbuf_addch(out, '>');
}

int ingest_smtp_send(const ingest_smtp_opts *o, const char *msg, size_t len, sbuf *err)
{
	CURL *c;
	CURLcode rc;
	struct curl_slist *rcpt = NULL;
	smtp_body body = { msg, len };
	char errbuf[CURL_ERROR_SIZE] = "";
	long timeout = o->timeout > 0 ? o->timeout : 60;
	int implicit = !strncmp(o->url, "smtps://", 8);
	sbuf from = SBUF_INIT, a = SBUF_INIT;
	const char *hint = "";

	if (!implicit && strncmp(o->url, "smtp://", 7)) {
		sbuf_addf(err, "%s: expected an smtps:// or smtp:// url", o->url);
		return -1;
	}
	if (!o->n_to) {
		sbuf_addf(err, "%s: no recipients", o->url);
		return -1;
	}
	ingest_curl_init();
	if (!(c = curl_easy_init())) {
		sbuf_adds(err, "cannot start libcurl");
		return -1;
	}
	smtp_addr(&from, o->from);
	for (size_t i = 0; i < o->n_to; i++) {
		sbuf_reset(&a);
		smtp_addr(&a, o->to[i]);
		rcpt = curl_slist_append(rcpt, a.buf);
	}
	curl_easy_setopt(c, CURLOPT_URL, o->url);
	curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "smtp,smtps");
	if (o->user) {
		curl_easy_setopt(c, CURLOPT_USERNAME, o->user);
		curl_easy_setopt(c, CURLOPT_PASSWORD, o->password ? o->password : "");
	}
	curl_easy_setopt(c, CURLOPT_USE_SSL,
			 implicit || o->tls == INGEST_IMAP_TLS_REQUIRED ? (long)CURLUSESSL_ALL
			 : o->tls == INGEST_IMAP_TLS_OPTIONAL ? (long)CURLUSESSL_TRY : (long)CURLUSESSL_NONE);
	curl_easy_setopt(c, CURLOPT_SSL_VERIFYPEER, 1L);
	curl_easy_setopt(c, CURLOPT_SSL_VERIFYHOST, 2L);
	if (o->ca_file && *o->ca_file)
		curl_easy_setopt(c, CURLOPT_CAINFO, o->ca_file);
	curl_easy_setopt(c, CURLOPT_MAIL_FROM, from.buf);
	curl_easy_setopt(c, CURLOPT_MAIL_RCPT, rcpt);
	curl_easy_setopt(c, CURLOPT_READFUNCTION, smtp_read);
	curl_easy_setopt(c, CURLOPT_READDATA, &body);
	curl_easy_setopt(c, CURLOPT_UPLOAD, 1L);
	curl_easy_setopt(c, CURLOPT_INFILESIZE_LARGE, (curl_off_t)len);
	curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT, timeout);
	curl_easy_setopt(c, CURLOPT_TIMEOUT, 4 * timeout);
	curl_easy_setopt(c, CURLOPT_SERVER_RESPONSE_TIMEOUT, timeout);
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c, CURLOPT_ERRORBUFFER, errbuf);
	rc = curl_easy_perform(c);
	if (rc != CURLE_OK) {
		hint = ingest_curl_hint(rc);
		long code = 0;

		curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &code);
		sbuf_addf(err, "%s: %s%s", o->url, errbuf[0] ? errbuf : curl_easy_strerror(rc), hint);
		if (code >= 400)
			sbuf_addf(err, " (the server replied %ld)", code);
	}
	curl_slist_free_all(rcpt);
	curl_easy_cleanup(c);
	sbuf_release(&from);
	sbuf_release(&a);
	return rc == CURLE_OK ? 0 : -1;
}
