/*
 * http.c - fetching export documents over HTTP(S) with libcurl: conditional
 * GET (ETag / Last-Modified), retries with exponential backoff on connection
 * errors, timeouts and 5xx, verified TLS, bearer or basic authentication,
 * a size limit, and the two things a response can tell the caller beyond its
 * records: the links of an Atom feed, and an export's `next-since` cursor.
 */
#include "ingest/ingest_int.h"

#include <curl/curl.h>
#include <libxml/parser.h>
#include <libxml/tree.h>
#include <libxml/xmlreader.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#define HTTP_DEFAULT_MAX_BODY ((size_t)256 << 20)
#define ATOM_NS "http://www.w3.org/2005/Atom"

void ingest_http_resp_init(ingest_http_resp *r)
{
	memset(r, 0, sizeof *r);
	sbuf_init(&r->body, 0);
}

void ingest_http_resp_clear(ingest_http_resp *r)
{
	sbuf_release(&r->body);
	free(r->etag);
	free(r->last_modified);
	memset(r, 0, sizeof *r);
	sbuf_init(&r->body, 0);
}

typedef struct {
	ingest_http_resp *resp;
	size_t max_body;
	int too_large;
} http_transfer;

static size_t http_write(char *data, size_t size, size_t n, void *ud)
{
	http_transfer *t = ud;
	size_t len = size * n;

	if (t->resp->body.len + len > t->max_body) {
		t->too_large = 1;
		return 0;   /* makes curl fail with CURLE_WRITE_ERROR */
	}
	sbuf_add(&t->resp->body, data, len);
	return len;
}

/* Keeps the validators of the final response (headers of redirects and
 * earlier responses are forgotten when a new status line arrives). */
static size_t http_header(char *data, size_t size, size_t n, void *ud)
{
	http_transfer *t = ud;
	size_t len = size * n, k;
	char **slot = NULL;

	if (len >= 5 && !strncmp(data, "HTTP/", 5)) {
		free(t->resp->etag);
		free(t->resp->last_modified);
		t->resp->etag = t->resp->last_modified = NULL;
		return len;
	}
	if (len > 5 && !strncasecmp(data, "ETag:", 5)) {
		slot = &t->resp->etag;
		k = 5;
	} else if (len > 14 && !strncasecmp(data, "Last-Modified:", 14)) {
		slot = &t->resp->last_modified;
		k = 14;
	}
	if (slot) {
		sbuf v = SBUF_INIT;
		sbuf_add(&v, data + k, len - k);
		sbuf_trim(&v);
		free(*slot);
		*slot = v.len ? sbuf_detach(&v, NULL) : NULL;
		sbuf_release(&v);
	}
	return len;
}

/* Worth another try: the network or the server, not the request. */
static int http_transient(CURLcode rc, long status)
{
	switch (rc) {
	case CURLE_OK:
		return status >= 500 || status == 429;
	case CURLE_COULDNT_CONNECT:
	case CURLE_OPERATION_TIMEDOUT:
	case CURLE_RECV_ERROR:
	case CURLE_SEND_ERROR:
	case CURLE_GOT_NOTHING:
	case CURLE_PARTIAL_FILE:
	case CURLE_COULDNT_RESOLVE_HOST:
		return 1;
	default:
		return 0;
	}
}

static void http_sleep_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	while (nanosleep(&ts, &ts) != 0)
		;
}

/* The URL with the since cursor put where the template says ({since}), or
 * appended as since_param=value. */
static void http_url(const ingest_http_req *req, const char *url, sbuf *out)
{
	const char *mark = strstr(url, "{since}");
	char *esc = NULL;

	if (req->since && *req->since)
		esc = curl_easy_escape(NULL, req->since, 0);
	if (mark) {
		sbuf_add(out, url, (size_t)(mark - url));
		sbuf_adds(out, esc ? esc : "");
		sbuf_adds(out, mark + strlen("{since}"));
	} else {
		sbuf_adds(out, url);
		if (esc && req->since_param && *req->since_param)
			sbuf_addf(out, "%c%s=%s", strchr(url, '?') ? '&' : '?', req->since_param, esc);
	}
	curl_free(esc);
}

int ingest_http_get(const ingest_http_req *req, const char *url, int conditional,
		    ingest_http_resp *out, sbuf *err)
{
	CURL *h;
	struct curl_slist *hdrs = NULL;
	char errbuf[CURL_ERROR_SIZE];
	http_transfer t;
	sbuf full = SBUF_INIT, line = SBUF_INIT;
	CURLcode rc = CURLE_OK;
	int attempt, tries = req->retries > 0 ? req->retries + 1 : 1;
	long delay = req->retry_delay_ms > 0 ? req->retry_delay_ms : 500;

	ingest_curl_init();
	ingest_http_resp_clear(out);
	http_url(req, url, &full);
	h = curl_easy_init();
	if (!h) {
		sbuf_addf(err, "%s: cannot start libcurl", url);
		sbuf_release(&full);
		return -1;
	}
	if (conditional && req->etag) {
		sbuf_addf(&line, "If-None-Match: %s", req->etag);
		hdrs = curl_slist_append(hdrs, line.buf);
		sbuf_reset(&line);
	}
	if (conditional && req->last_modified) {
		sbuf_addf(&line, "If-Modified-Since: %s", req->last_modified);
		hdrs = curl_slist_append(hdrs, line.buf);
	}
	sbuf_release(&line);
	t.resp = out;
	t.max_body = req->max_body ? req->max_body : HTTP_DEFAULT_MAX_BODY;
	t.too_large = 0;
	curl_easy_setopt(h, CURLOPT_URL, full.buf);
	curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
	/* a redirect may not downgrade https to http; credentials never follow
	 * a redirect to another host (libcurl's default, said here) */
	curl_easy_setopt(h, CURLOPT_REDIR_PROTOCOLS_STR,
			 strncasecmp(full.buf, "https:", 6) ? "http,https" : "https");
	curl_easy_setopt(h, CURLOPT_UNRESTRICTED_AUTH, 0L);
	curl_easy_setopt(h, CURLOPT_FOLLOWLOCATION, 1L);
	curl_easy_setopt(h, CURLOPT_MAXREDIRS, 5L);
	curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(h, CURLOPT_ACCEPT_ENCODING, "");
	curl_easy_setopt(h, CURLOPT_USERAGENT, "avvik/" AVVIK_VERSION);
	curl_easy_setopt(h, CURLOPT_TIMEOUT, req->timeout > 0 ? req->timeout : 300L);
	curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT, req->connect_timeout > 0 ? req->connect_timeout : 30L);
	curl_easy_setopt(h, CURLOPT_SSL_VERIFYPEER, 1L);
	curl_easy_setopt(h, CURLOPT_SSL_VERIFYHOST, 2L);
	if (req->ca_file)
		curl_easy_setopt(h, CURLOPT_CAINFO, req->ca_file);
	if (req->bearer_token) {
		curl_easy_setopt(h, CURLOPT_HTTPAUTH, CURLAUTH_BEARER);
		curl_easy_setopt(h, CURLOPT_XOAUTH2_BEARER, req->bearer_token);
	} else if (req->user) {
		curl_easy_setopt(h, CURLOPT_HTTPAUTH, CURLAUTH_BASIC);
		curl_easy_setopt(h, CURLOPT_USERNAME, req->user);
		curl_easy_setopt(h, CURLOPT_PASSWORD, req->password ? req->password : "");
	}
	curl_easy_setopt(h, CURLOPT_HTTPHEADER, hdrs);
	curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, http_write);
	curl_easy_setopt(h, CURLOPT_WRITEDATA, &t);
	curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, http_header);
	curl_easy_setopt(h, CURLOPT_HEADERDATA, &t);
	curl_easy_setopt(h, CURLOPT_ERRORBUFFER, errbuf);

	for (attempt = 1; attempt <= tries; attempt++) {
		errbuf[0] = '\0';
		sbuf_reset(&out->body);
		out->status = 0;
		rc = curl_easy_perform(h);
		curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &out->status);
		if (!http_transient(rc, out->status) || t.too_large || attempt == tries)
			break;
		log_info("%s: attempt %d of %d failed (%s), retrying in %ld ms", url, attempt, tries,
			 rc != CURLE_OK ? (errbuf[0] ? errbuf : curl_easy_strerror(rc)) : "server error",
			 delay);
		http_sleep_ms(delay);
		delay = delay * 2 > 30000 ? 30000 : delay * 2;
	}
	out->attempts = attempt > tries ? tries : attempt;
	curl_easy_cleanup(h);
	curl_slist_free_all(hdrs);
	sbuf_release(&full);

	/* Messages name the configured URL, never the one with a cursor or
	 * credentials in it. */
	if (t.too_large) {
		sbuf_addf(err, "%s: response larger than %zu bytes", url, t.max_body);
		return -1;
	}
	if (rc != CURLE_OK) {
		sbuf_addf(err, "%s: %s (after %d %s)", url, errbuf[0] ? errbuf : curl_easy_strerror(rc),
			  out->attempts, out->attempts == 1 ? "try" : "tries");
		return -1;
	}
	if (out->status == 304) {
		out->not_modified = 1;
		return 0;
	}
	if (out->status != 200) {
		sbuf_addf(err, "%s: HTTP status %ld (expected 200 or 304) after %d %s", url, out->status,
			  out->attempts, out->attempts == 1 ? "try" : "tries");
		return -1;
	}
	return 0;
}

/* ---- what a response says beyond its records ---- */

/* Scheme, host and port of a URL, lower-cased, as "https://host:443". */
static int http_origin(const char *url, sbuf *out)
{
	CURLU *u = curl_url();
	char *scheme = NULL, *host = NULL, *port = NULL, *p;
	int rc = -1;

	if (u && curl_url_set(u, CURLUPART_URL, url, 0) == CURLUE_OK &&
	    curl_url_get(u, CURLUPART_SCHEME, &scheme, 0) == CURLUE_OK &&
	    curl_url_get(u, CURLUPART_HOST, &host, 0) == CURLUE_OK &&
	    curl_url_get(u, CURLUPART_PORT, &port, CURLU_DEFAULT_PORT) == CURLUE_OK) {
		sbuf_addf(out, "%s://%s:%s", scheme, host, port);
		for (p = out->buf; *p; p++)
			if (*p >= 'A' && *p <= 'Z')
				*p = (char)(*p + 32);
		rc = 0;
	}
	curl_free(scheme);
	curl_free(host);
	curl_free(port);
	curl_url_cleanup(u);
	return rc;
}

int ingest_http_same_origin(const char *a, const char *b)
{
	sbuf oa = SBUF_INIT, ob = SBUF_INIT;
	int same = http_origin(a, &oa) == 0 && http_origin(b, &ob) == 0 && !strcmp(oa.buf, ob.buf);

	sbuf_release(&oa);
	sbuf_release(&ob);
	return same;
}

int ingest_http_is_atom(const char *data, size_t len)
{
	ingest_xml_scan s;
	int atom;

	ingest_xml_scan_init(&s);
	ingest_xml_scan_memory(data, len, "response", 1, &s);
	atom = s.reached_root && !strcmp(s.root_name.buf, "feed") && !strcmp(s.root_ns.buf, ATOM_NS);
	ingest_xml_scan_release(&s);
	return atom;
}

/* Resolves href against base with libcurl's URL parser. */
static char *http_resolve(const char *base, const char *href)
{
	CURLU *u = curl_url();
	char *r = NULL, *out = NULL;

	if (u && curl_url_set(u, CURLUPART_URL, base, 0) == CURLUE_OK &&
	    curl_url_set(u, CURLUPART_URL, href, 0) == CURLUE_OK &&
	    curl_url_get(u, CURLUPART_URL, &r, 0) == CURLUE_OK)
		out = xstrdup(r);
	curl_free(r);
	curl_url_cleanup(u);
	return out;
}

int ingest_http_atom_links(const char *data, size_t len, const char *base_url, char ***out,
			   size_t *n, sbuf *err)
{
	xmlDocPtr doc;
	xmlNodePtr root, e, c;
	ingest_xml_errors xe;

	*out = NULL;
	*n = 0;
	ingest_xml_errors_begin(&xe);
	doc = xmlReadMemory(data, (int)len, base_url, NULL, ingest_xml_options());
	ingest_xml_errors_end(&xe);
	if (!doc || xe.n) {
		sbuf_addf(err, "%s:%ld: Atom feed is not well-formed XML: %s", base_url, xe.line,
			  xe.msg.len ? xe.msg.buf : "parse error");
		xmlFreeDoc(doc);
		ingest_xml_errors_release(&xe);
		return -1;
	}
	ingest_xml_errors_release(&xe);
	root = xmlDocGetRootElement(doc);
	for (e = ingest_xml_child(root, ATOM_NS, "entry"); e; e = ingest_xml_next(e, ATOM_NS, "entry")) {
		char *href = NULL;
		for (c = ingest_xml_child(e, ATOM_NS, "link"); c && !href; c = ingest_xml_next(c, ATOM_NS, "link")) {
			char *rel = ingest_xml_attr(c, "rel");
			if (!rel || !strcmp(rel, "alternate") || !strcmp(rel, "enclosure"))
				href = ingest_xml_attr(c, "href");
			free(rel);
		}
		if (!href && (c = ingest_xml_child(e, ATOM_NS, "content")))
			href = ingest_xml_attr(c, "src");
		if (href) {
			char *abs = http_resolve(base_url, href);
			if (abs) {
				*out = xrealloc(*out, (*n + 1) * sizeof **out);
				(*out)[(*n)++] = abs;
			}
			free(href);
		}
	}
	xmlFreeDoc(doc);
	return 0;
}

char *ingest_http_next_since(const char *data, size_t len)
{
	xmlTextReaderPtr r;
	char *v = NULL;
	ingest_xml_errors xe;

	ingest_xml_errors_begin(&xe);
	r = xmlReaderForMemory(data, (int)len, NULL, NULL, ingest_xml_options());
	/* the root element's attribute: no need to read further */
	while (r && xmlTextReaderRead(r) == 1) {
		if (xmlTextReaderNodeType(r) == XML_READER_TYPE_ELEMENT) {
			xmlChar *a = xmlTextReaderGetAttribute(r, BAD_CAST "next-since");
			if (a && *a)
				v = xstrdup((const char *)a);
			xmlFree(a);
			break;
		}
	}
	xmlFreeTextReader(r);
	ingest_xml_errors_end(&xe);
	ingest_xml_errors_release(&xe);
	return v;
}
