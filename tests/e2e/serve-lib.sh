# serve-lib.sh - the workspace for end-to-end tests: a demo database with
# users of three organisations and each role, `avvik serve` on a free port
# of 127.0.0.1 (the kernel picks), and curl sessions.  Source after lib.sh.
: "${AVVIK_GEN:?AVVIK_GEN must name the demo generator}"

# serve_db: the demo corpus, ingested and classified into d.db, plus one
# record from Tromsø whose text is hostile HTML, and the users.
serve_db() {
	"$AVVIK_GEN" --out corpus --truth truth.tsv >gen.log || return 1
	mkdir -p corpus/hostile
	cat >corpus/hostile/hostile.xml <<'XML'
<?xml version="1.0" encoding="UTF-8"?>
<avvik-export xmlns="urn:avvik:export:1" version="1.0" system="Compilo">
  <avvik id="HOSTILE-1">
    <reported-at>2024-05-02T09:12:00</reported-at>
    <event-date>2024-05-01</event-date>
    <reporter type="kommune" org-nr="999990029"><organisation>Tromsø kommune</organisation></reporter>
    <concerned type="unn" org-nr="983974899"><organisation>UNN HF</organisation></concerned>
    <subject>&lt;script&gt;alert(1)&lt;/script&gt; epikrise</subject>
    <description>"&gt;&lt;img src=x onerror=alert(2)&gt; &lt;/svg&gt;&lt;svg onload=alert(3)&gt; Epikrisen kom ikke.</description>
  </avvik>
  <avvik id="HOSTILE-2">
    <reported-at>2024-05-03T09:12:00</reported-at>
    <reporter type="kommune" org-nr="999990029"><organisation>Tromsø kommune</organisation></reporter>
    <concerned type="unn" org-nr="983974899"><organisation>UNN HF</organisation></concerned>
    <subject>=HYPERLINK("http://example.invalid/","klikk")</subject>
    <description>+47 manglet, @SUM(A1) -1 epikrise</description>
  </avvik>
</avvik-export>
XML
	avvik --db d.db init --rules-dir rules >init.log 2>&1 || return 1
	avvik --db d.db ingest --path corpus >ingest.log 2>&1
	[ $? -le 1 ] || return 1
	avvik --db d.db classify >classify.log 2>&1 || return 1
	for u in adv_tromso:adviser:tromso adv_narvik:adviser:narvik adv_harstad:adviser:harstad \
		 fsu_tromso:fsu:tromso admin:admin:; do
		name=${u%%:*} rest=${u#*:} role=${rest%%:*} org=${rest#*:}
		printf '%s\n' "pw-$name-secret" |
			avvik --db d.db user add "$name" --role "$role" ${org:+--org "$org"} >>users.log 2>&1 ||
			return 1
	done
}

# serve_start: starts the server; sets SERVE_URL and SERVE_PID.
serve_start() {
	avvik --db d.db serve --listen 127.0.0.1:0 >serve.out 2>serve.err &
	SERVE_PID=$!
	i=0
	while [ $i -lt 100 ] && ! grep -q listening serve.out 2>/dev/null; do sleep 0.1; i=$((i + 1)); done
	SERVE_URL=$(sed -n 's/.*listening on \(http[^ ]*\)$/\1/p' serve.out)
	[ -n "$SERVE_URL" ]
}

serve_stop() {
	[ -n "${SERVE_PID:-}" ] && kill "$SERVE_PID" 2>/dev/null && wait "$SERVE_PID" 2>/dev/null
	SERVE_PID=
}

# login USER [PASSWORD]: a session in the cookie jar USER.jar; prints the
# HTTP status of the POST (303 when logged in).
login() {
	rm -f "$1.jar"
	curl -s -c "$1.jar" -b "$1.jar" -o "$1.login.html" "$SERVE_URL/login" || return 1
	tok=$(sed -n 's/.*name="csrf" value="\([0-9a-f]*\)".*/\1/p' "$1.login.html")
	curl -s -c "$1.jar" -b "$1.jar" -o /dev/null -w '%{http_code}' \
		--data-urlencode "csrf=$tok" --data-urlencode "user=$1" \
		--data-urlencode "password=${2:-pw-$1-secret}" "$SERVE_URL/login"
}

# code USER PATH: the HTTP status of a GET in USER's session (body in last.body)
code() { curl -s -b "$1.jar" -o last.body -w '%{http_code}' "$SERVE_URL$2"; }

# csrf USER: the session's CSRF token, read from a page
csrf() {
	curl -s -b "$1.jar" "$SERVE_URL/reports" |
		sed -n 's/.*name="csrf" value="\([0-9a-f]*\)".*/\1/p' | head -1
}
