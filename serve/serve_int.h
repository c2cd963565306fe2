/*
 * serve_int.h - internal to serve/: one request as the pages see it, and
 * the answer they build.  The stage's API is serve.h.
 */
#ifndef AVVIK_SERVE_INT_H
#define AVVIK_SERVE_INT_H

#include "classify/classify.h"
#include "serve/serve.h"
#include "store/store.h"

typedef struct serve_server serve_server;

typedef struct {
	serve_server *srv;
	store *st;
	const classify_rules *rules;   /* the current commit's; may be NULL */
	const char *commit;            /* the commit reports use; may be NULL */
	const char *method, *path;     /* path without the query */
	const char *addr;              /* client address, for the audit trail */
	void *conn;                    /* struct MHD_Connection * */
	serve_form form;               /* a POST's fields */
	int form_bad;                  /* the body was not a valid form */
	/* the session (user.id == 0: none) */
	store_user user;
	serve_role role;
	char *csrf;
	int tls;
} serve_req;

typedef struct {
	int status;
	const char *type;              /* Content-Type; NULL: text/html */
	sbuf body;
	char *location;                /* redirect target */
	char *cookie[2];               /* Set-Cookie values */
	char *disposition;             /* Content-Disposition */
	char *style_src;               /* a report's inline styles: CSP hash sources */
} serve_resp;

/* A GET query argument (decoded by libmicrohttpd), or NULL. */
const char *serve_arg(const serve_req *rq, const char *name);
/* A query argument or NULL when absent or blank. */
const char *serve_arg_nz(const serve_req *rq, const char *name);

/* The page frame (bokmål, the stylesheet, the navigation for the user). */
void serve_page_begin(serve_resp *rs, const serve_req *rq, const char *title);
void serve_page_end(serve_resp *rs);
/* A whole page with one message: 400, 403, 404, 405, 413, 500. */
void serve_error(serve_resp *rs, const serve_req *rq, int status, const char *msg);
void serve_redirect(serve_resp *rs, const char *to);
/* The hidden CSRF field of the user's session. */
void serve_csrf_field(sbuf *out, const serve_req *rq);
/* 1 when the POSTed csrf field is the session's token. */
int serve_csrf_ok(const serve_req *rq);
/* The category's bokmål label, or the code. */
const char *serve_category_label(const serve_req *rq, const char *code);

/* auth.c */
/* Reads the session cookie into rq->user/role/csrf. */
void serve_session_load(serve_req *rq, const char *cookie_header);
void serve_login_page(serve_req *rq, serve_resp *rs, const char *cookie_header);
void serve_login_post(serve_req *rq, serve_resp *rs, const char *cookie_header);
void serve_logout_post(serve_req *rq, serve_resp *rs, const char *cookie_header);
void serve_audit_page(serve_req *rq, serve_resp *rs);

/* pages.c */
void serve_list_page(serve_req *rq, serve_resp *rs);
void serve_list_download(serve_req *rq, serve_resp *rs, int json);
void serve_record_page(serve_req *rq, serve_resp *rs, int64_t id);
void serve_override_post(serve_req *rq, serve_resp *rs, int64_t id);

/* reports.c */
void serve_reports_page(serve_req *rq, serve_resp *rs);
void serve_report_page(serve_req *rq, serve_resp *rs, const char *kind);

/* Text a person typed, scrubbed in place with the installation's key. */
void serve_scrub_text(serve_req *rq, sbuf *text);

#endif
