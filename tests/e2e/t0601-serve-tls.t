#!/bin/sh
# avvik serve with TLS (libmicrohttpd's): tls_cert and tls_key from the
# config; the session cookie is Secure and HSTS is sent; a missing key
# file is a clear configuration error.
. "$AVVIK_SRC/tests/e2e/lib.sh"
plan 9
trap '[ -n "${pid:-}" ] && kill "$pid" 2>/dev/null; rm -rf "$T_DIR"' EXIT

exits "init" 0 avvik --db d.db init --rules-dir rules
printf '%s\n' "pw-tls-user-secret" | avvik --db d.db user add tlsuser --role admin >/dev/null 2>&1
ok "self-signed certificate" sh -c 'openssl req -x509 -newkey rsa:2048 -nodes -keyout key.pem -out cert.pem \
	-days 2 -subj /CN=localhost >openssl.log 2>&1'
printf '[avvik]\ndb = d.db\ntls_cert = cert.pem\ntls_key = missing.pem\n' >bad.conf
exits "a missing key file is refused" 2 avvik --config bad.conf serve --listen 127.0.0.1:0
like "... naming the file" last.err 'missing.pem'
printf '[avvik]\ndb = d.db\ntls_cert = cert.pem\ntls_key = key.pem\n' >tls.conf
avvik --config tls.conf serve --listen 127.0.0.1:0 >serve.out 2>serve.err &
pid=$!
i=0
while [ $i -lt 100 ] && ! grep -q listening serve.out 2>/dev/null; do sleep 0.1; i=$((i + 1)); done
url=$(sed -n 's/.*listening on \(https[^ ]*\)$/\1/p' serve.out)
ok "listening on https" test -n "$url"
curl -sk -c jar -b jar -o login.html "$url/login"
tok=$(sed -n 's/.*name="csrf" value="\([0-9a-f]*\)".*/\1/p' login.html)
curl -sk -c jar -b jar -D head.txt -o /dev/null --data-urlencode "csrf=$tok" \
	--data-urlencode "user=tlsuser" --data-urlencode "password=pw-tls-user-secret" "$url/login"
like "login over TLS: a Secure session cookie" head.txt '^Set-Cookie: avvik_session=[0-9a-f]{64}; Path=/; HttpOnly; SameSite=Strict; Max-Age=[0-9]+; Secure'
like "HSTS under TLS" head.txt '^Strict-Transport-Security: max-age='
is "the session works over TLS" "$(curl -sk -b jar -o /dev/null -w '%{http_code}' "$url/audit")" 200
is "plain HTTP to the TLS port gets no page" "$(curl -s -m 5 -o /dev/null -w '%{http_code}' "http${url#https}")" 000
done_testing
