/*
 * auth.c - passwords (Argon2id), sessions and the login form.  The
 * session cookie holds a random token; the database holds only its hash
 * (SHA-256), with the session's CSRF token and expiry.  Repeated failed
 * logins lock the account for a while; every login, failure and logout
 * goes to the audit trail.
 */
#include "serve/serve_int.h"

#include <pthread.h>
#include <sodium.h>
#include <stdlib.h>
#include <string.h>

#define SESSION_COOKIE "avvik_session"
#define LOGIN_COOKIE "avvik_login"       /* the login form's CSRF token (double submit) */
#define SESSION_SECONDS (8 * 3600)
#define MAX_FAILURES 5
#define LOCK_SECONDS (15 * 60)

int serve_password_hash(const char *password, sbuf *out)
{
	char h[crypto_pwhash_STRBYTES];

	if (crypto_pwhash_str_alg(h, password, strlen(password), crypto_pwhash_OPSLIMIT_INTERACTIVE,
				  crypto_pwhash_MEMLIMIT_INTERACTIVE, crypto_pwhash_ALG_ARGON2ID13))
		return -1;
	sbuf_adds(out, h);
	return 0;
}

int serve_password_verify(const char *hash, const char *password)
{
	return hash && crypto_pwhash_str_verify(hash, password, strlen(password)) == 0;
}

void serve_token_new(char out[65])
{
	unsigned char b[32];

	randombytes_buf(b, sizeof b);
	sodium_bin2hex(out, 65, b, sizeof b);
}

static void token_hash(const char *token, char out[65])
{
	unsigned char h[crypto_hash_sha256_BYTES];

	crypto_hash_sha256(h, (const unsigned char *)token, strlen(token));
	sodium_bin2hex(out, 65, h, sizeof h);
}

/* A well-formed token: 64 hex digits, nothing else reaches the database. */
static int token_get(const char *cookie_header, const char *name, char out[65])
{
	sbuf v = SBUF_INIT;
	int ok = serve_cookie_get(cookie_header, name, &v) && v.len == 64 &&
		 strspn(v.buf, "0123456789abcdef") == 64;

	if (ok)
		memcpy(out, v.buf, 65);
	sbuf_release(&v);
	return ok;
}

static char *cookie_value(const serve_req *rq, const char *name, const char *value, long max_age)
{
	sbuf c = SBUF_INIT;

	sbuf_addf(&c, "%s=%s; Path=/; HttpOnly; SameSite=Strict; Max-Age=%ld%s", name, value, max_age,
		  rq->tls ? "; Secure" : "");
	return sbuf_detach(&c, NULL);
}

void serve_session_load(serve_req *rq, const char *cookie_header)
{
	char tok[65], h[65];

	if (!token_get(cookie_header, SESSION_COOKIE, tok))
		return;
	token_hash(tok, h);
	if (store_session_get(rq->st, h, &rq->user, &rq->csrf) != 1) {
		store_user_clear(&rq->user);
		free(rq->csrf);
		rq->csrf = NULL;
		return;
	}
	rq->role = serve_role_parse(rq->user.role);
}

static void login_form(serve_req *rq, serve_resp *rs, const char *msg, const char *cookie_header)
{
	char tok[65];

	/* the login form's own CSRF token, kept in a cookie of its own */
	if (!token_get(cookie_header, LOGIN_COOKIE, tok)) {
		serve_token_new(tok);
		rs->cookie[1] = cookie_value(rq, LOGIN_COOKIE, tok, 3600);
	}
	serve_page_begin(rs, rq, "Logg inn");
	if (msg) {
		sbuf_adds(&rs->body, "<p class=\"error\">");
		serve_html_escape(&rs->body, msg);
		sbuf_adds(&rs->body, "</p>\n");
	}
	sbuf_addf(&rs->body, "<form method=\"post\" action=\"/login\">\n"
		  "<input type=\"hidden\" name=\"csrf\" value=\"%s\">\n"
		  "<label>Brukernavn <input name=\"user\" autocomplete=\"username\" required></label>\n"
		  "<label>Passord <input name=\"password\" type=\"password\" autocomplete=\"current-password\" required></label>\n"
		  "<p><button type=\"submit\">Logg inn</button></p>\n</form>\n", tok);
	serve_page_end(rs);
}

void serve_login_page(serve_req *rq, serve_resp *rs, const char *cookie_header)
{
	login_form(rq, rs, NULL, cookie_header);
}

/* A hash of a random password, verified against when there is no user
 * to verify against. */
static sbuf dummy_hash = SBUF_INIT;
static pthread_once_t dummy_once = PTHREAD_ONCE_INIT;

static void dummy_make(void)
{
	char pw[65];

	serve_token_new(pw);
	serve_password_hash(pw, &dummy_hash);
}

/* A name as typed, made safe to keep in the audit trail. */
static void audit_name(sbuf *out, const char *s)
{
	utf8_sanitize(out, s ? s : "", s ? strnlen(s, 64) : 0);
}

void serve_login_post(serve_req *rq, serve_resp *rs, const char *cookie_header)
{
	const char *name = serve_form_get(&rq->form, "user");
	const char *pw = serve_form_get(&rq->form, "password");
	const char *csrf = serve_form_get(&rq->form, "csrf");
	store_user u;
	sbuf who = SBUF_INIT;
	char tok[65], h[65], sess_csrf[65];
	int found, ok;

	if (rq->form_bad || !token_get(cookie_header, LOGIN_COOKIE, tok) || !csrf ||
	    strlen(csrf) != 64 || sodium_memcmp(csrf, tok, 64)) {
		rs->status = 403;
		login_form(rq, rs, "Skjemaet var utløpt. Prøv igjen.", cookie_header);
		return;
	}
	if (!name || !pw) {
		rs->status = 400;
		login_form(rq, rs, "Skriv brukernavn og passord.", cookie_header);
		return;
	}
	audit_name(&who, name);
	found = store_user_get(rq->st, name, &u) == 1;
	if (!found || u.disabled || u.locked) {
		/* as slow as a wrong password, so the answer's time tells nothing */
		pthread_once(&dummy_once, dummy_make);
		serve_password_verify(dummy_hash.buf, pw);
		ok = 0;
	} else {
		ok = serve_password_verify(u.pwhash, pw);
	}
	if (!ok) {
		if (found && !u.disabled && !u.locked)
			store_user_login_failed(rq->st, u.id, MAX_FAILURES, LOCK_SECONDS);
		store_audit_put(rq->st, who.buf, "login-failed", NULL,
				!found ? "unknown user" : u.disabled ? "disabled" : u.locked ? "locked" :
				"wrong password", rq->addr);
		rs->status = 401;
		login_form(rq, rs, "Feil brukernavn eller passord, eller kontoen er sperret.", cookie_header);
		goto out;
	}
	serve_token_new(tok);
	serve_token_new(sess_csrf);
	token_hash(tok, h);
	if (store_user_login_ok(rq->st, u.id) || store_session_put(rq->st, h, u.id, sess_csrf, SESSION_SECONDS)) {
		serve_error(rs, rq, 500, "Kunne ikke starte økten.");
		goto out;
	}
	store_audit_put(rq->st, u.name, "login", NULL, NULL, rq->addr);
	rs->cookie[0] = cookie_value(rq, SESSION_COOKIE, tok, SESSION_SECONDS);
	rs->cookie[1] = cookie_value(rq, LOGIN_COOKIE, "", 0);
	serve_redirect(rs, "/");
out:
	if (found)
		store_user_clear(&u);
	sbuf_release(&who);
}

void serve_logout_post(serve_req *rq, serve_resp *rs, const char *cookie_header)
{
	char tok[65], h[65];

	if (token_get(cookie_header, SESSION_COOKIE, tok)) {
		token_hash(tok, h);
		store_session_delete(rq->st, h);
	}
	store_audit_put(rq->st, rq->user.name, "logout", NULL, NULL, rq->addr);
	rs->cookie[0] = cookie_value(rq, SESSION_COOKIE, "", 0);
	serve_redirect(rs, "/login");
}

static int audit_row(void *ctx, const char *at, const char *actor, const char *action,
		     const char *target, const char *detail, const char *addr)
{
	sbuf *b = ctx;
	const char *v[] = { at, actor, action, target, detail, addr };

	sbuf_adds(b, "<tr>");
	for (size_t i = 0; i < sizeof v / sizeof v[0]; i++) {
		sbuf_adds(b, "<td>");
		serve_html_escape(b, v[i]);
		sbuf_adds(b, "</td>");
	}
	sbuf_adds(b, "</tr>\n");
	return 0;
}

void serve_audit_page(serve_req *rq, serve_resp *rs)
{
	if (rq->role != SERVE_ROLE_ADMIN) {
		serve_error(rs, rq, 403, "Bare administratorer ser loggen.");
		return;
	}
	serve_page_begin(rs, rq, "Logg");
	sbuf_adds(&rs->body, "<table>\n<tr><th>Tid</th><th>Hvem</th><th>Hva</th><th>Gjelder</th>"
		  "<th>Detaljer</th><th>Fra</th></tr>\n");
	if (store_audit_each(rq->st, 500, audit_row, &rs->body)) {
		serve_error(rs, rq, 500, "Kunne ikke lese loggen.");
		return;
	}
	sbuf_adds(&rs->body, "</table>\n");
	serve_page_end(rs);
}
