#!/bin/sh
# HTTP export sources against a real nginx on 127.0.0.1: paging by a since
# cursor, conditional GET (304), Atom feeds, retries, and faults that must
# commit nothing for their source while the other sources still run.
. "$AVVIK_SRC/tests/e2e/lib.sh"
. "$AVVIK_SRC/tests/e2e/nginx-lib.sh"
plan 21

# export_doc SYSTEM NEXT-SINCE ID...: an avvik export with one record per id
export_doc() {
	sys=$1 next=$2
	shift 2
	printf '<?xml version="1.0" encoding="UTF-8"?>\n'
	printf '<avvik-export xmlns="urn:avvik:export:1" version="1.0" system="%s"%s>\n' "$sys" \
		"${next:+ next-since=\"$next\"}"
	for id in "$@"; do
		cat <<XML
  <avvik id="$id">
    <reported-at>2024-03-0${id#*-}T10:00:00</reported-at>
    <reporter type="unn"><organisation>UNN Tromsø</organisation><unit>Medisinsk klinikk</unit></reporter>
    <concerned type="kommune"><organisation>Balsfjord kommune</organisation></concerned>
    <description>Sak $id: epikrisen er ikke mottatt av hjemmesykepleien etter utskrivning.</description>
  </avvik>
XML
	done
	printf '</avvik-export>\n'
}

mkdir -p www/feed
export_doc Docmap p2 P-1 P-2 >www/p1.xml
export_doc Docmap p3 P-3 P-4 >www/p2.xml
export_doc Docmap "" P-5 P-6 >www/p3.xml
export_doc Compilo "" F-1 F-2 >www/feed/a.xml
export_doc Compilo "" F-3 >www/feed/b.xml
export_doc TQM "" R-1 R-2 R-3 >www/flaky.xml
export_doc Loop same L-1 >www/loop.xml
cat >www/feed.atom <<'XML'
<?xml version="1.0" encoding="UTF-8"?>
<feed xmlns="http://www.w3.org/2005/Atom">
  <title>Avvikseksport</title><id>urn:test:feed</id><updated>2024-03-10T00:00:00Z</updated>
  <entry><id>urn:test:a</id><title>a</title><updated>2024-03-10T00:00:00Z</updated>
    <link rel="alternate" type="application/xml" href="feed/a.xml"/></entry>
  <entry><id>urn:test:b</id><title>b</title><updated>2024-03-10T00:00:00Z</updated>
    <content type="application/xml" src="/feed/b.xml"/></entry>
</feed>
XML

P=$(free_port) P500=$(free_port) POK=$(free_port)
nginx_start "
	map \$arg_since \$page { default /p1.xml; p2 /p2.xml; p3 /p3.xml; }
	upstream flaky { server 127.0.0.1:$P500; server 127.0.0.1:$POK; }
	server {
		listen 127.0.0.1:$P;
		root $T_DIR/www;
		location = /export { try_files \$page =404; }
		location = /flaky { proxy_pass http://flaky/flaky.xml; proxy_next_upstream off; }
	}
	server { listen 127.0.0.1:$P500; location / { return 500; } }
	server { listen 127.0.0.1:$POK; root $T_DIR/www; }"
perl "$AVVIK_SRC/tests/e2e/http-fault.pl" silent silent.port & silent_pid=$!
perl "$AVVIK_SRC/tests/e2e/http-fault.pl" truncated cut.port & cut_pid=$!
trap 'kill $silent_pid $cut_pid 2>/dev/null; nginx_stop; rm -rf "$T_DIR"' EXIT
for f in silent.port cut.port; do
	for i in $(seq 1 50); do [ -s $f ] && break; sleep 0.1; done
done

cat >avvik.conf <<CONF
[avvik]
db = $T_DIR/h.db
rules_dir = $T_DIR/rules

[source pages]
type = http
url = http://127.0.0.1:$P/export?since={since}

[source feed]
type = http
url = http://127.0.0.1:$P/feed.atom

[source flaky]
type = http
url = http://127.0.0.1:$P/flaky
retries = 2
retry_delay = 0.1

[source loop]
type = http
url = http://127.0.0.1:$P/loop.xml?since={since}

[source silent]
type = http
url = http://127.0.0.1:$(cat silent.port)/export
timeout = 1
connect_timeout = 1
retries = 1
retry_delay = 0.1

[source cut]
type = http
url = http://127.0.0.1:$(cat cut.port)/export
retries = 1
retry_delay = 0.1
CONF
export AVVIK_CONFIG=$T_DIR/avvik.conf
avvik init >/dev/null
log=$T_DIR/nginx/logs/access.log

exits "a run with two failing sources exits 1" 1 avvik run
cp last.out run1.out
cp last.err run1.err; sed "s/^/# /" run1.err
like "paging fetched three pages" run1.out '^pages: .* 6 new'
like "the feed's two documents" run1.out '^feed: .* 3 new'
like "the flaky source succeeded after a retry" run1.out '^flaky: .* 3 new'
is "the second page was asked for by its cursor" "$(grep -c 'GET /export?since=p2 ' "$log")" 1
is "and the third" "$(grep -c 'GET /export?since=p3 ' "$log")" 1
ok "nginx answered the flaky source 500, then 200" \
	sh -c "grep 'GET /flaky ' '$log' | awk '{print \$9}' | tr '\n' ' ' | grep -q '^500 200 '"
like "the timeout failed its source, naming it" run1.err 'source silent: .*(timed out|Timeout)'
like "the truncated body failed its source" run1.err 'source cut: .*'
is "nothing from the failing sources was committed" "$(sql h.db "select count(*) from deviation where source in ('silent','cut')")" 0
like "paging that does not advance stops and says so" run1.err 'source loop: .*does not advance'
is "what it sent is stored once" "$(sql h.db "select count(*) from deviation where source = 'loop'")" 1
is "the others were" "$(sql h.db "select count(*) from deviation where source <> 'loop'")" 12
unlike "no credentials or cursor values in the log" run1.err 'since=p'

: >"$log"
exits "a second run: the failing sources still fail" 1 avvik run
cp last.out run2.out
like "the paged source has nothing new" run2.out '^pages: .* 0 new'
ok "its conditional GET got 304" grep -q 'GET /export?since=p3 HTTP/1.1" 304' "$log"
ok "the feed's conditional GET got 304" grep -q 'GET /feed.atom HTTP/1.1" 304' "$log"
is "nothing stored twice" "$(sql h.db "select count(*) from deviation where source <> 'loop'")" 12

export_doc Docmap "" P-5 P-6 P-7 >www/p3.xml
touch -d '+1 minute' www/p3.xml
: >"$log"
avvik ingest pages >run3.out 2>run3.err
like "a changed last page brings only the new record" run3.out '^pages: .* 1 new'
is "now 13" "$(sql h.db "select count(*) from deviation where source <> 'loop'")" 13
done_testing
