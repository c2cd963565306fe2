#!/bin/sh
# avvik serve: who sees what.  Users of three organisations and each role
# against every page and download (200/303/403/404), a record outside
# one's scope is a 404 exactly like one that does not exist, another
# session's CSRF token is refused, hostile text is shown as text, filters
# that look like SQL are data, lock-out, logout and the audit trail.
. "$AVVIK_SRC/tests/e2e/lib.sh"
. "$AVVIK_SRC/tests/e2e/serve-lib.sh"
plan 45
trap 'serve_stop; rm -rf "$T_DIR"' EXIT

ok "demo database with users" serve_db
exits "plain HTTP is refused off loopback" 2 avvik --db d.db serve --listen 0.0.0.0:0
like "and it says why" last.err 'not a loopback address.*tls_cert and tls_key'
ok "server started on a free port" serve_start
diag "server at $SERVE_URL"

# one record of each organisation that concerns no other of the three
rec() { sql d.db "SELECT deviation_id FROM classification WHERE reporter_org = '$1' AND concerned_org LIKE 'unn%' ORDER BY deviation_id LIMIT 1"; }
T=$(rec tromso) N=$(rec narvik) H=$(rec harstad)
X=$(sql d.db "SELECT id FROM deviation WHERE ext_id LIKE '%HOSTILE-1'")
MISSING=$(( $(sql d.db "SELECT max(id) FROM deviation") + 1000 ))
diag "records: tromso $T, narvik $N, harstad $H, hostile $X, missing $MISSING"

for u in adv_tromso adv_narvik adv_harstad fsu_tromso admin; do
	[ "$(login $u)" = 303 ] || echo "$u" >>login.failed
done
ok "every user logs in (303 to the start page)" test ! -e login.failed

# the matrix: one line per URL, the expected status for
# adv_tromso adv_narvik adv_harstad fsu_tromso admin anonymous
cat >matrix <<EOM
/                                   303 303 303 303 303 303
/list                               200 200 200 403 200 303
/search?q=epikrise                  200 200 200 403 200 303
/record/$T                          200 404 404 403 200 303
/record/$N                          404 200 404 403 200 303
/record/$H                          404 404 200 403 200 303
/record/$MISSING                    404 404 404 403 404 303
/record/abc                         404 404 404 403 404 303
/list.csv                           200 200 200 403 200 303
/list.json?period=2024              200 200 200 403 200 303
/reports                            200 200 200 200 200 303
/report/trend                       200 200 200 200 200 303
/report/trend?org=tromso            200 403 403 200 200 303
/report/summary?period=2024&org=narvik 403 200 403 403 200 303
/report/compare?a=2023&b=2024       200 200 200 200 200 303
/audit                              403 403 403 403 200 303
/nowhere                            404 404 404 404 404 303
EOM
: >anonymous.jar
bad=0
while read -r url e1 e2 e3 e4 e5 e6; do
	set -- $e1 $e2 $e3 $e4 $e5 $e6
	for u in adv_tromso adv_narvik adv_harstad fsu_tromso admin anonymous; do
		got=$(code $u "$url")
		if [ "$got" != "$1" ]; then
			diag "$u GET $url: $got, expected $1"
			bad=$((bad + 1))
		fi
		shift
	done
done <matrix
is "access matrix: 5 users and anonymous x 17 URLs" "$bad" 0

code adv_narvik "/record/$T" >/dev/null; cp last.body out-of-scope.html
code adv_narvik "/record/$MISSING" >/dev/null; cp last.body missing.html
ok "an out-of-scope record answers exactly as a missing one" cmp -s out-of-scope.html missing.html

# downloads hold only what the reader may see
code adv_tromso "/list.json" >/dev/null; cp last.body tromso.json
is "JSON download: every row is Tromsø's" \
	"$(json tromso.json 'scalar(grep { $_->{reporter_org} !~ /^tromso(-|$)/ && $_->{concerned_org} !~ /^tromso(-|$)/ } @$j) . " of " . (@$j > 10 ? "many" : scalar @$j)')" "0 of many"
is "JSON download: as many rows as the list says" "$(json tromso.json 'scalar @$j')" \
	"$(avvik --db d.db list --org tromso --limit 0 2>&1 >/dev/null | sed 's/.* of \([0-9]*\) .*/\1/')"
curl -s -b adv_tromso.jar -D csv.head -o tromso.csv "$SERVE_URL/list.csv"
is "CSV download starts with the UTF-8 BOM" "$(head -c 3 tromso.csv | od -An -tx1 | tr -d ' ')" efbbbf
like "CSV download is separated by ;" tromso.csv 'nr;ekstern_id;dato;kilde;kategori'
like "CSV download: formula cells are neutralised" tromso.csv ";\"'=HYPERLINK\(\"\"http://example.invalid/\"\",\"\"klikk\"\"\)\";'\\+47 manglet"
unlike "CSV download: no cell starts a formula" tromso.csv '(^|;)"?[=+@-]'
like "CSV download is an attachment" csv.head '^Content-Disposition: attachment; filename="avvik.csv"'

# hostile text is text
code adv_tromso "/record/$X" >/dev/null; cp last.body hostile.html
like "hostile subject shown escaped" hostile.html '&lt;script&gt;alert\(1\)&lt;/script&gt;'
like "hostile text shown escaped" hostile.html '&quot;&gt;&lt;img src=x onerror=alert\(2\)&gt; &lt;/svg&gt;'
unlike "no live script, img or svg from the record" hostile.html '<script|<img|<svg'
code adv_tromso "/search?q=alert" >/dev/null; cp last.body hostile-list.html
like "search finds the hostile record, escaped" hostile-list.html "href=\"/record/$X\""
unlike "no live script in the list" hostile-list.html '<script'

# paging keeps the filters
code admin "/list?period=2024&category=epikrise" >/dev/null
like "the next page's link keeps the filters" last.body 'rel="next" href="/list\?period=2024&amp;category=epikrise&amp;page=2"'
code admin "/list?period=2024&category=epikrise&page=2" >/dev/null
like "page 2" last.body 'id="count">[0-9]+ avvik, side 2 av'

# SQL-looking filters are data
n_before=$(sql d.db "SELECT count(*) FROM deviation")
is "org filter with SQL: 200" "$(code admin "/list?org=tromso%27%20OR%201%3D1--")" 200
like "... and matches nothing" last.body 'id="count">0 avvik'
is "category filter with SQL: 200" "$(code admin "/list?category=x%27%3B%20DROP%20TABLE%20deviation%3B--")" 200
is "search with FTS and SQL syntax: 200" "$(code admin "/search?q=%22%20OR%20NEAR(a%20b)%20*%20%27%3B--")" 200
is "the table is still there, unchanged" "$(sql d.db "SELECT count(*) FROM deviation")" "$n_before"
is "a scope cannot be widened by an org filter" "$(code adv_tromso "/list?org=narvik")" 200
like "... an adviser filtering another org sees nothing" last.body 'id="count">0 avvik'

# overrides and CSRF
tok_t=$(csrf adv_tromso) tok_n=$(csrf adv_narvik)
ok "sessions have different CSRF tokens" test -n "$tok_t" -a "$tok_t" != "$tok_n"
post() { curl -s -b "$1.jar" -o last.body -w '%{http_code}' "$SERVE_URL$2" --data-urlencode "csrf=$3" \
	--data-urlencode "category=$4" --data-urlencode "direction=$5" --data-urlencode "reason=test"; }
is "another session's CSRF token is refused" "$(post adv_tromso /record/$T/override "$tok_n" legemidler '')" 403
is "no token is refused" "$(post adv_tromso /record/$T/override '' legemidler '')" 403
is "nothing was stored" "$(sql d.db "SELECT count(*) FROM override WHERE deviation_id = $T")" 0
is "an adviser cannot override another org's record (404)" "$(post adv_narvik /record/$T/override "$tok_n" legemidler '')" 404
is "fsu cannot override (403)" "$(post fsu_tromso /record/$T/override "$(csrf fsu_tromso)" legemidler '')" 403
is "the adviser overrides the category" "$(post adv_tromso /record/$T/override "$tok_t" legemidler '')" 303
is "then only the direction" "$(post adv_tromso /record/$T/override "$tok_t" '' 'fastlege→unn')" 303
is "the override in force keeps both parts" \
	"$(sql d.db "SELECT category || ' ' || direction || ' ' || by FROM override WHERE deviation_id = $T AND superseded_at IS NULL")" \
	"legemidler fastlege→unn adv_tromso"
code adv_tromso "/record/$T" >/dev/null
is "the record page shows the whole history" "$(grep -c '<td>adv_tromso</td>' last.body)" 2

# fsu sees aggregates, never text
code fsu_tromso "/report/summary?period=2024&org=tromso" >/dev/null; cp last.body fsu-summary.html
code admin "/report/summary?period=2024&org=tromso" >/dev/null; cp last.body admin-summary.html
ok "admin's summary has excerpts" grep -q '<blockquote' admin-summary.html
unlike "fsu's summary has none" fsu-summary.html '<blockquote'

# headers, logout, lock-out, audit
curl -s -D head.txt -o /dev/null -b admin.jar "$SERVE_URL/list"
like "CSP default-src 'self'" head.txt "^Content-Security-Policy: default-src 'self'"
like "X-Frame-Options DENY" head.txt '^X-Frame-Options: DENY'
curl -s -o /dev/null -b admin.jar "$SERVE_URL/logout" --data-urlencode "csrf=$(csrf admin)"
is "after logout the session is gone" "$(code admin /list)" 303
for i in 1 2 3 4 5; do login adv_harstad wrong-password >/dev/null; done
is "after 5 failures the right password is refused" "$(login adv_harstad)" 401
avvik --db d.db audit -n 0 >audit.out
ok "audit: logins, failures, lock-out and overrides" sh -c \
	"grep -q ' login ' audit.out && grep -q 'login-failed.*locked' audit.out && grep -q 'override.*deviation $T' audit.out"
serve_stop
done_testing
