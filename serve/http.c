/*
 * http.c - the daemon: libmicrohttpd with a thread pool, a connection
 * limit and timeouts; TLS through libmicrohttpd unless on loopback.  Each
 * request takes a database connection from a small pool (one per pool
 * thread), loads its session, is routed, and gets the security headers.
 */
#include "serve/serve_int.h"

#include <arpa/inet.h>
#include <errno.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <sodium.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#define BODY_MAX (64 * 1024)

struct serve_server {
	const serve_opts *o;
	struct MHD_Daemon *d;
	int tls;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	store **pool;
	int n_pool, n_free;
	/* the rules of the commit reports use, reloaded when it changes */
	pthread_rwlock_t rules_mu;
	classify_rules *rules;
	char *commit;
};

typedef struct {
	sbuf body;
	int too_large;
} serve_conn;

static const char css[] =
	"body{font-family:system-ui,sans-serif;margin:0;color:#222;background:#fafafa}"
	"header{background:#1d3f6e;color:#fff;padding:.5em 1em;display:flex;gap:1.5em;align-items:center;flex-wrap:wrap}"
	"header a{color:#fff}header form{margin-left:auto}main{padding:1em;max-width:80em}"
	"table{border-collapse:collapse;width:100%}th,td{border-bottom:1px solid #ddd;padding:.3em;text-align:left;vertical-align:top}"
	"form.filters{display:flex;flex-wrap:wrap;gap:.5em 1em;align-items:end;margin-bottom:1em}"
	"label{display:flex;flex-direction:column;font-size:.9em}.text{white-space:pre-wrap;background:#fff;border:1px solid #ddd;padding:.5em}"
	"pre{white-space:pre-wrap;background:#fff;border:1px solid #ddd;padding:.5em}.error{color:#a00;font-weight:bold}"
	"dl{display:grid;grid-template-columns:max-content auto;gap:.2em 1em}dt{font-weight:bold}";

const char *serve_arg(const serve_req *rq, const char *name)
{
	return MHD_lookup_connection_value(rq->conn, MHD_GET_ARGUMENT_KIND, name);
}

const char *serve_arg_nz(const serve_req *rq, const char *name)
{
	const char *v = serve_arg(rq, name);
	return v && *v ? v : NULL;
}

void serve_page_begin(serve_resp *rs, const serve_req *rq, const char *title)
{
	sbuf *b = &rs->body;

	sbuf_adds(b, "<!DOCTYPE html>\n<html lang=\"nb\">\n<head>\n<meta charset=\"utf-8\">\n"
		  "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n<title>");
	serve_html_escape(b, title);
	sbuf_adds(b, " – avvik</title>\n<link rel=\"stylesheet\" href=\"/static/avvik.css\">\n</head>\n<body>\n<header>"
		  "<strong>avvik</strong>");
	if (rq->user.id) {
		if (serve_may_read_records(rq->role))
			sbuf_adds(b, "<a href=\"/list\">Avvik</a><a href=\"/search\">Søk</a>");
		sbuf_adds(b, "<a href=\"/reports\">Rapporter</a>");
		if (rq->role == SERVE_ROLE_ADMIN)
			sbuf_adds(b, "<a href=\"/audit\">Logg</a>");
		sbuf_adds(b, "<form method=\"post\" action=\"/logout\"><span>");
		serve_html_escape(b, rq->user.name);
		sbuf_adds(b, "</span> ");
		serve_csrf_field(b, rq);
		sbuf_adds(b, "<button type=\"submit\">Logg ut</button></form>");
	}
	sbuf_adds(b, "</header>\n<main>\n<h1>");
	serve_html_escape(b, title);
	sbuf_adds(b, "</h1>\n");
}

void serve_page_end(serve_resp *rs)
{
	sbuf_adds(&rs->body, "</main>\n</body>\n</html>\n");
}

void serve_error(serve_resp *rs, const serve_req *rq, int status, const char *msg)
{
	const char *title = status == 403 ? "Ingen tilgang" : status == 404 ? "Finnes ikke" :
		status == 500 ? "Feil på tjeneren" : "Ugyldig forespørsel";

	rs->status = status;
	rs->type = NULL;
	sbuf_reset(&rs->body);
	serve_page_begin(rs, rq, title);
	sbuf_adds(&rs->body, "<p class=\"error\">");
	serve_html_escape(&rs->body, msg);
	sbuf_adds(&rs->body, "</p>\n");
	serve_page_end(rs);
}

void serve_redirect(serve_resp *rs, const char *to)
{
	rs->status = 303;
	free(rs->location);
	rs->location = xstrdup(to);
}

void serve_csrf_field(sbuf *out, const serve_req *rq)
{
	sbuf_adds(out, "<input type=\"hidden\" name=\"csrf\" value=\"");
	serve_html_escape(out, rq->csrf ? rq->csrf : "");
	sbuf_adds(out, "\">");
}

int serve_csrf_ok(const serve_req *rq)
{
	const char *t = serve_form_get(&rq->form, "csrf");

	return rq->csrf && t && strlen(t) == strlen(rq->csrf) &&
	       sodium_memcmp(t, rq->csrf, strlen(t)) == 0;
}

const char *serve_category_label(const serve_req *rq, const char *code)
{
	const char *l = rq->rules && code ? classify_category_label(rq->rules, code) : NULL;
	return l ? l : code ? code : "";
}

/* ---- the database pool and the rules ---- */

static store *pool_get(serve_server *srv)
{
	store *st;

	pthread_mutex_lock(&srv->mu);
	while (!srv->n_free)
		pthread_cond_wait(&srv->cv, &srv->mu);
	st = srv->pool[--srv->n_free];
	pthread_mutex_unlock(&srv->mu);
	return st;
}

static void pool_put(serve_server *srv, store *st)
{
	pthread_mutex_lock(&srv->mu);
	srv->pool[srv->n_free++] = st;
	pthread_cond_signal(&srv->cv);
	pthread_mutex_unlock(&srv->mu);
}

/* Takes the read lock on the rules of the commit reports use, loading
 * them first when a classify run changed it. */
static void rules_acquire(serve_server *srv, serve_req *rq)
{
	char *cur = store_current_commit(rq->st);

	pthread_rwlock_rdlock(&srv->rules_mu);
	if (cur && (!srv->commit || strcmp(cur, srv->commit))) {
		pthread_rwlock_unlock(&srv->rules_mu);
		pthread_rwlock_wrlock(&srv->rules_mu);
		if (!srv->commit || strcmp(cur, srv->commit)) {
			classify_rules *r = NULL;
			sbuf err = SBUF_INIT;

			if (classify_rules_load(&r, srv->o->rules_dir, cur, &err)) {
				log_error("serve: rules of commit %.12s: %s", cur, err.buf);
			} else {
				classify_rules_free(srv->rules);
				srv->rules = r;
				free(srv->commit);
				srv->commit = xstrdup(cur);
			}
			sbuf_release(&err);
		}
		pthread_rwlock_unlock(&srv->rules_mu);
		pthread_rwlock_rdlock(&srv->rules_mu);
	}
	free(cur);
	rq->rules = srv->rules;
	rq->commit = srv->commit;
}

/* ---- routing ---- */

static int64_t path_id(const char *s, const char **rest)
{
	int64_t v = 0;
	const char *p = s;

	while (*p >= '0' && *p <= '9' && v < INT64_MAX / 10 - 10)
		v = v * 10 + (*p++ - '0');
	*rest = p;
	return p == s || (*p >= '0' && *p <= '9') ? -1 : v;
}

static void route(serve_req *rq, serve_resp *rs, const char *cookie)
{
	int get = !strcmp(rq->method, "GET") || !strcmp(rq->method, "HEAD");
	int post = !strcmp(rq->method, "POST");
	const char *p = rq->path, *rest;
	int64_t id;

	if (!get && !post) {
		serve_error(rs, rq, 405, "Metoden er ikke støttet.");
		return;
	}
	if (!strcmp(p, "/static/avvik.css") && get) {
		rs->type = "text/css; charset=utf-8";
		sbuf_adds(&rs->body, css);
		return;
	}
	if (!strcmp(p, "/login")) {
		if (post)
			serve_login_post(rq, rs, cookie);
		else
			serve_login_page(rq, rs, cookie);
		return;
	}
	serve_session_load(rq, cookie);
	if (!rq->user.id) {
		serve_redirect(rs, "/login");
		return;
	}
	if (post && (rq->form_bad || !serve_csrf_ok(rq))) {
		serve_error(rs, rq, 403, "Skjemaet mangler en gyldig sikkerhetsnøkkel (CSRF). Last siden på nytt.");
		return;
	}
	if (!strcmp(p, "/logout") && post) {
		serve_logout_post(rq, rs, cookie);
	} else if (!strcmp(p, "/") && get) {
		serve_redirect(rs, serve_may_read_records(rq->role) ? "/list" : "/reports");
	} else if ((!strcmp(p, "/list") || !strcmp(p, "/search")) && get) {
		serve_list_page(rq, rs);
	} else if ((!strcmp(p, "/list.csv") || !strcmp(p, "/list.json")) && get) {
		serve_list_download(rq, rs, p[6] == 'j');
	} else if (!strncmp(p, "/record/", 8) && (id = path_id(p + 8, &rest)) > 0 && !*rest && get) {
		serve_record_page(rq, rs, id);
	} else if (!strncmp(p, "/record/", 8) && (id = path_id(p + 8, &rest)) > 0 &&
		   !strcmp(rest, "/override") && post) {
		serve_override_post(rq, rs, id);
	} else if (!strncmp(p, "/record/", 8)) {
		/* not an id: answered as one that does not exist, after the
		 * same role check, so the answer tells nothing */
		if (!serve_may_read_records(rq->role))
			serve_error(rs, rq, 403, "Din rolle gir ikke tilgang til enkeltmeldinger.");
		else
			serve_error(rs, rq, 404, "Avviket finnes ikke.");
	} else if (!strcmp(p, "/reports") && get) {
		serve_reports_page(rq, rs);
	} else if (!strncmp(p, "/report/", 8) && get) {
		serve_report_page(rq, rs, p + 8);
	} else if (!strcmp(p, "/audit") && get) {
		serve_audit_page(rq, rs);
	} else {
		serve_error(rs, rq, 404, "Siden finnes ikke.");
	}
}

static void client_addr(struct MHD_Connection *c, char *out, size_t n)
{
	const union MHD_ConnectionInfo *ci = MHD_get_connection_info(c, MHD_CONNECTION_INFO_CLIENT_ADDRESS);

	snprintf(out, n, "?");
	if (!ci || !ci->client_addr)
		return;
	if (ci->client_addr->sa_family == AF_INET)
		inet_ntop(AF_INET, &((const struct sockaddr_in *)(const void *)ci->client_addr)->sin_addr, out, (socklen_t)n);
	else if (ci->client_addr->sa_family == AF_INET6)
		inet_ntop(AF_INET6, &((const struct sockaddr_in6 *)(const void *)ci->client_addr)->sin6_addr, out, (socklen_t)n);
}

static enum MHD_Result respond(struct MHD_Connection *c, serve_server *srv, serve_resp *rs)
{
	struct MHD_Response *r;
	enum MHD_Result ret;
	sbuf csp = SBUF_INIT;

	r = MHD_create_response_from_buffer(rs->body.len, rs->body.buf, MHD_RESPMEM_MUST_COPY);
	if (!r)
		return MHD_NO;
	sbuf_adds(&csp, "default-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'");
	if (rs->style_src)
		sbuf_addf(&csp, "; style-src 'self' 'unsafe-hashes'%s", rs->style_src);
	MHD_add_response_header(r, "Content-Security-Policy", csp.buf);
	MHD_add_response_header(r, "X-Frame-Options", "DENY");
	MHD_add_response_header(r, "X-Content-Type-Options", "nosniff");
	MHD_add_response_header(r, "Referrer-Policy", "no-referrer");
	MHD_add_response_header(r, "Cache-Control", "no-store");
	if (srv->tls)
		MHD_add_response_header(r, "Strict-Transport-Security", "max-age=31536000");
	MHD_add_response_header(r, "Content-Type", rs->type ? rs->type : "text/html; charset=utf-8");
	if (rs->location)
		MHD_add_response_header(r, "Location", rs->location);
	for (int i = 0; i < 2; i++)
		if (rs->cookie[i])
			MHD_add_response_header(r, "Set-Cookie", rs->cookie[i]);
	if (rs->disposition)
		MHD_add_response_header(r, "Content-Disposition", rs->disposition);
	ret = MHD_queue_response(c, (unsigned)rs->status, r);
	MHD_destroy_response(r);
	sbuf_release(&csp);
	return ret;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *c, const char *url,
				  const char *method, const char *version, const char *upload,
				  size_t *upload_size, void **con_cls)
{
	serve_server *srv = cls;
	serve_conn *cc = *con_cls;
	serve_req rq;
	serve_resp rs;
	char addr[INET6_ADDRSTRLEN + 1];
	const char *cookie;
	enum MHD_Result ret;

	(void)version;
	if (!cc) {
		cc = xcalloc(1, sizeof *cc);
		sbuf_init(&cc->body, 0);
		*con_cls = cc;
		return MHD_YES;
	}
	if (*upload_size) {
		if (cc->body.len + *upload_size > BODY_MAX)
			cc->too_large = 1;
		else
			sbuf_add(&cc->body, upload, *upload_size);
		*upload_size = 0;
		return MHD_YES;
	}
	memset(&rq, 0, sizeof rq);
	memset(&rs, 0, sizeof rs);
	sbuf_init(&rs.body, 0);
	rs.status = 200;
	rq.srv = srv;
	rq.method = method;
	rq.path = url;
	rq.conn = c;
	rq.tls = srv->tls;
	client_addr(c, addr, sizeof addr);
	rq.addr = addr;
	cookie = MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_COOKIE);
	if (!strcmp(method, "POST")) {
		const char *ct = MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_TYPE);
		rq.form_bad = !ct || strncmp(ct, "application/x-www-form-urlencoded", 33) ||
			serve_form_parse(&rq.form, cc->body.buf, cc->body.len);
	}
	rq.st = pool_get(srv);
	rules_acquire(srv, &rq);
	if (cc->too_large)
		serve_error(&rs, &rq, 413, "Skjemaet er for stort.");
	else
		route(&rq, &rs, cookie);
	pthread_rwlock_unlock(&srv->rules_mu);
	pool_put(srv, rq.st);
	ret = respond(c, srv, &rs);
	serve_form_clear(&rq.form);
	store_user_clear(&rq.user);
	free(rq.csrf);
	sbuf_release(&rs.body);
	free(rs.location);
	free(rs.cookie[0]);
	free(rs.cookie[1]);
	free(rs.disposition);
	free(rs.style_src);
	return ret;
}

static void on_completed(void *cls, struct MHD_Connection *c, void **con_cls,
			 enum MHD_RequestTerminationCode toe)
{
	serve_conn *cc = *con_cls;

	(void)cls;
	(void)c;
	(void)toe;
	if (cc) {
		sbuf_release(&cc->body);
		free(cc);
		*con_cls = NULL;
	}
}

static void on_mhd_log(void *cls, const char *fmt, va_list ap)
{
	sbuf m = SBUF_INIT;

	(void)cls;
	sbuf_vaddf(&m, fmt, ap);
	sbuf_trim(&m);
	log_warn("serve: %s", m.buf);
	sbuf_release(&m);
}

/* "ADDR:PORT" or "[ADDR]:PORT" into a socket address; 1 when loopback. */
static int parse_listen(const char *s, struct sockaddr_storage *ss, socklen_t *len, sbuf *err)
{
	char host[64];
	const char *colon, *h = s;
	size_t hl;
	char *end;
	long port;

	memset(ss, 0, sizeof *ss);
	if (*s == '[') {
		const char *rb = strchr(s, ']');
		if (!rb || rb[1] != ':')
			goto bad;
		h = s + 1;
		hl = (size_t)(rb - h);
		colon = rb + 1;
	} else {
		if (!(colon = strrchr(s, ':')))
			goto bad;
		hl = (size_t)(colon - s);
	}
	if (hl == 0 || hl >= sizeof host)
		goto bad;
	memcpy(host, h, hl);
	host[hl] = '\0';
	port = strtol(colon + 1, &end, 10);
	if (!colon[1] || *end || port < 0 || port > 65535)
		goto bad;
	if (*s == '[') {
		struct sockaddr_in6 *a = (struct sockaddr_in6 *)ss;
		a->sin6_family = AF_INET6;
		a->sin6_port = htons((uint16_t)port);
		if (inet_pton(AF_INET6, host, &a->sin6_addr) != 1)
			goto bad;
		*len = sizeof *a;
		return IN6_IS_ADDR_LOOPBACK(&a->sin6_addr);
	} else {
		struct sockaddr_in *a = (struct sockaddr_in *)ss;
		a->sin_family = AF_INET;
		a->sin_port = htons((uint16_t)port);
		if (inet_pton(AF_INET, host, &a->sin_addr) != 1)
			goto bad;
		*len = sizeof *a;
		return (ntohl(a->sin_addr.s_addr) >> 24) == 127;
	}
bad:
	sbuf_addf(err, "listen: '%s' is not ADDR:PORT (e.g. 127.0.0.1:8080 or [::1]:8080)", s);
	return -1;
}

static void server_free(serve_server *srv)
{
	if (srv->d)
		MHD_stop_daemon(srv->d);
	for (int i = 0; i < srv->n_free; i++)
		store_close(srv->pool[i]);
	free(srv->pool);
	classify_rules_free(srv->rules);
	free(srv->commit);
	pthread_rwlock_destroy(&srv->rules_mu);
	pthread_cond_destroy(&srv->cv);
	pthread_mutex_destroy(&srv->mu);
}

int serve_run(const serve_opts *o, sbuf *err)
{
	serve_server srv;
	struct sockaddr_storage ss;
	socklen_t sl = 0;
	sbuf cert = SBUF_INIT, key = SBUF_INIT;
	const char *listen = o->listen ? o->listen : "127.0.0.1:8080";
	unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_ERROR_LOG;
	const union MHD_DaemonInfo *di;
	sigset_t sigs;
	int loopback, sig, rc = -1;

	if (!o->scrub) {
		sbuf_adds(err, "serve: no scrubber for typed text (a programming error)");
		return -1;
	}
	memset(&srv, 0, sizeof srv);
	srv.o = o;
	pthread_mutex_init(&srv.mu, NULL);
	pthread_cond_init(&srv.cv, NULL);
	pthread_rwlock_init(&srv.rules_mu, NULL);
	if (sodium_init() < 0) {
		sbuf_adds(err, "serve: libsodium cannot be initialised");
		goto out;
	}
	if ((loopback = parse_listen(listen, &ss, &sl, err)) < 0)
		goto out;
	if (o->tls_cert || o->tls_key) {
		if (!o->tls_cert || !o->tls_key) {
			sbuf_adds(err, "serve: TLS needs both tls_cert and tls_key");
			goto out;
		}
		if (sbuf_read_file(&cert, o->tls_cert, 1 << 20) || sbuf_read_file(&key, o->tls_key, 1 << 20)) {
			sbuf_addf(err, "serve: cannot read %s: %s", cert.len ? o->tls_key : o->tls_cert,
				  strerror(errno));
			goto out;
		}
		srv.tls = 1;
		flags |= MHD_USE_TLS;
	} else if (!loopback) {
		sbuf_addf(err, "serve: %s is not a loopback address: plain HTTP only on loopback (behind a"
			  " reverse proxy); set tls_cert and tls_key in the config for TLS", listen);
		goto out;
	}
	srv.n_pool = o->threads > 0 ? o->threads : 4;
	srv.pool = xcalloc((size_t)srv.n_pool, sizeof *srv.pool);
	for (; srv.n_free < srv.n_pool; srv.n_free++)
		if (store_open(&srv.pool[srv.n_free], o->db, 0, err))
			goto out;
	if (ss.ss_family == AF_INET6)
		flags |= MHD_USE_IPv6;
	/* the signals are taken by sigwait below: the pool threads inherit the mask */
	sigemptyset(&sigs);
	sigaddset(&sigs, SIGINT);
	sigaddset(&sigs, SIGTERM);
	pthread_sigmask(SIG_BLOCK, &sigs, NULL);
	srv.d = MHD_start_daemon(flags, 0, NULL, NULL, on_request, &srv,
				 MHD_OPTION_EXTERNAL_LOGGER, on_mhd_log, &srv,
				 MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&ss,
				 MHD_OPTION_THREAD_POOL_SIZE, (unsigned)srv.n_pool,
				 MHD_OPTION_CONNECTION_LIMIT, o->connections ? o->connections : 64u,
				 MHD_OPTION_PER_IP_CONNECTION_LIMIT, 0u,
				 MHD_OPTION_CONNECTION_TIMEOUT, o->timeout ? o->timeout : 30u,
				 MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)(128 * 1024),
				 MHD_OPTION_NOTIFY_COMPLETED, on_completed, &srv,
				 srv.tls ? MHD_OPTION_HTTPS_MEM_CERT : MHD_OPTION_END, cert.buf,
				 MHD_OPTION_HTTPS_MEM_KEY, key.buf,
				 MHD_OPTION_END);
	if (!srv.d) {
		sbuf_addf(err, "serve: cannot listen on %s%s", listen,
			  srv.tls ? " (or the TLS certificate and key are not usable)" : "");
		goto out;
	}
	(void)sl;
	di = MHD_get_daemon_info(srv.d, MHD_DAEMON_INFO_BIND_PORT);
	{
		char host[INET6_ADDRSTRLEN + 1] = "?";
		if (ss.ss_family == AF_INET)
			inet_ntop(AF_INET, &((struct sockaddr_in *)&ss)->sin_addr, host, sizeof host);
		else
			inet_ntop(AF_INET6, &((struct sockaddr_in6 *)&ss)->sin6_addr, host, sizeof host);
		printf("avvik serve: listening on %s://%s%s%s:%u\n", srv.tls ? "https" : "http",
		       ss.ss_family == AF_INET6 ? "[" : "", host, ss.ss_family == AF_INET6 ? "]" : "",
		       di ? (unsigned)di->port : 0u);
		fflush(stdout);
	}
	while (sigwait(&sigs, &sig) == 0 && sig != SIGINT && sig != SIGTERM)
		;
	log_info("serve: stopping on signal %d", sig);
	rc = 0;
out:
	server_free(&srv);
	sodium_memzero(key.buf, key.len);
	sbuf_release(&cert);
	sbuf_release(&key);
	return rc;
}

void serve_scrub_text(serve_req *rq, sbuf *text)
{
	rq->srv->o->scrub(rq->srv->o->scrub_ctx, text);
}
