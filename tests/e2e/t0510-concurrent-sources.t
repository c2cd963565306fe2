#!/bin/sh
# --jobs N with remote sources: each IMAP/HTTP source is fetched by a thread
# of its own, ahead of the one writer by at most a bounded queue (16 units).
# Shown by what the servers see, never by timing: while one source's server
# holds its response back (http-fault.pl gate), the next source is fetched,
# and only until its queue is full; the writer still stores the sources in
# their configured order, and the result is the result of one job.  A
# failing source fails alone; a dry run commits nothing and leaves the
# mailbox alone; an IMAP message is moved only once it is committed; kill -9
# in a concurrent run loses nothing and doubles nothing.
. "$AVVIK_SRC/tests/e2e/lib.sh"
. "$AVVIK_SRC/tests/e2e/nginx-lib.sh"
. "$AVVIK_SRC/tests/e2e/imap-lib.sh"
plan 39

# skip N REASON: N tests that cannot run here
skip() {
	k=0
	while [ $k -lt "$1" ]; do T_NUM=$((T_NUM + 1)); echo "ok $T_NUM # skip $2"; k=$((k + 1)); done
}

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
    <reported-at>2024-03-05T10:00:00</reported-at>
    <reporter type="unn"><organisation>UNN Tromsø</organisation><unit>Medisinsk klinikk</unit></reporter>
    <concerned type="kommune"><organisation>Balsfjord kommune</organisation></concerned>
    <description>Sak $id: epikrisen er ikke mottatt av hjemmesykepleien etter utskrivning.</description>
  </avvik>
XML
	done
	printf '</avvik-export>\n'
}

# "fast": 100 pages of 2 records, paged by since (p.xml, p1.xml .. p99.xml)
mkdir -p www/fast
export_doc Fast 1 B-0-1 B-0-2 >www/fast/p.xml
k=1
while [ $k -lt 100 ]; do
	next=$((k + 1))
	[ $k -eq 99 ] && next=
	export_doc Fast "$next" "B-$k-1" "B-$k-2" >www/fast/p$k.xml
	k=$((k + 1))
done
export_doc Compilo "" O-1 O-2 O-3 >www/other.xml
export_doc Held "" H-1 H-2 H-3 >held.xml

P=$(free_port)
nginx_start "
	server {
		listen 127.0.0.1:$P;
		root $T_DIR/www;
		location = /fast { try_files /fast/p\$arg_since.xml =404; }
		location = /err500 { return 500; }
	}"
log=$T_DIR/nginx/logs/access.log
perl "$AVVIK_SRC/tests/e2e/http-fault.pl" gate gate.port "$T_DIR/gate.open" held.xml gate.log & gate_pid=$!
perl "$AVVIK_SRC/tests/e2e/http-fault.pl" truncated cut.port & cut_pid=$!
trap 'kill $gate_pid $cut_pid 2>/dev/null; imap_stop; nginx_stop; rm -rf "$T_DIR"' EXIT
for f in gate.port cut.port; do
	for i in $(seq 1 50); do [ -s $f ] && break; sleep 0.1; done
done

imap_why=$(imap_skip_reason)
if [ -z "$imap_why" ]; then
	imap_setup && imap_start || imap_why="dovecot did not start"
fi
printf '%s\n' "$IMAP_PASS" >pw
chmod 600 pw

cat >avvik.conf <<CONF
[source held]
type = http
url = http://127.0.0.1:$(cat gate.port)/held
retries = 0

[source fast]
type = http
url = http://127.0.0.1:$P/fast?since={since}

[source other]
type = http
url = http://127.0.0.1:$P/other.xml

[source err500]
type = http
url = http://127.0.0.1:$P/err500
retries = 1
retry_delay = 0.1

[source cut]
type = http
url = http://127.0.0.1:$(cat cut.port)/export
retries = 1
retry_delay = 0.1

[source box]
type = imap
url = imaps://127.0.0.1:${IMAPS_PORT:-1}/INBOX
user = $IMAP_USER
password_file = $T_DIR/pw
ca_file = ${IMAP_CA:-/dev/null}
after = move:Archive

[source kbox]
type = imap
url = imaps://127.0.0.1:${IMAPS_PORT:-1}/INBOX
user = $IMAP_USER
password_file = $T_DIR/pw
ca_file = ${IMAP_CA:-/dev/null}
after = move:Archive
CONF
export AVVIK_CONFIG=$T_DIR/avvik.conf
devs() { sql "$1" "select count(*) from deviation${2:+ where source = '$2'}"; }

# ---- 1. a held-back source does not hold back the next one; the queue bounds it ----
avvik --db one.db init --rules-dir r1 >/dev/null
avvik --db seq.db init --rules-dir r2 >/dev/null
cp one.db.key seq.db.key   # one key: the same pseudonyms, so the same content hashes
"$AVVIK_BIN" -v -v --db one.db ingest --jobs 3 held fast >held.out 2>held.err &
apid=$!
# no deadline asserted: wait until fast stops for its full queue and held's
# request has come (or give up after about a minute)
n=0
while [ $n -lt 600 ] && ! { grep -q 'source fast: .* wait for the writer' held.err &&
	grep -q '^request' gate.log; } 2>/dev/null; do
	sleep 0.1
	n=$((n + 1))
done
like "fast filled its queue, 16 pages, and paused" held.err 'source fast: 16 units \([0-9]+ bytes\) wait for the writer'
is "held's request came and is held back" "$(grep -c '^request' gate.log):$(grep -c '^response' gate.log)" "1:0"
is "meanwhile fast was fetched: 16 pages queued and 1 in hand, no more" "$(grep -c 'GET /fast' "$log")" 17
is "nothing of fast stored before held: the writer keeps the order" "$(devs one.db fast)" 0
touch gate.open
wait $apid
is "once held is answered the run completes" "$?" 0
like "held: its 3 records" held.out '^held: 1 files \(0 unchanged\), 3 new'
like "fast: all 100 pages, 200 records" held.out '^fast: 100 files \(0 unchanged\), 200 new'
is "one line per source, in the configured order" "$(cut -d: -f1 held.out | tr '\n' ' ')" "held fast total "
is "fast was asked for each page once" "$(grep -c 'GET /fast' "$log")" 100
exits "the same with one job" 0 avvik --db seq.db ingest held fast
is "the same summary" "$(cat last.out)" "$(cat held.out)"
q='select source || ext_id || content_hash from deviation order by 1'
is "the same deviations, byte for byte" "$(sql seq.db "$q" | sha256sum)" "$(sql one.db "$q" | sha256sum)"
q='select source, key, value from source_cursor order by 1, 2'
is "the same cursors" "$(sql seq.db "$q" | sha256sum)" "$(sql one.db "$q" | sha256sum)"

# ---- 2. a failing source fails alone; a dry run changes nothing ----
# mb_count FOLDER: messages in the Maildir folder (INBOX or Archive);
# seen_count: those flagged \Seen in INBOX
mb_count() {
	d=$IMAP_MAILDIR
	[ "$1" = INBOX ] || d=$IMAP_MAILDIR/.$1
	find "$d/cur" "$d/new" -type f 2>/dev/null | wc -l
}
seen_count() { find "$IMAP_MAILDIR/cur" -type f -name '*:2,*S*' 2>/dev/null | wc -l; }
# mail PREFIX N: a form-style report, one deviation, Message-ID <PREFIX-N@...>
mail() {
	cat <<MAIL
From: Hjemmesykepleien <hjemmesykepleien@balsfjord.kommune.no>
To: samhandlingsavvik@unn.no
Subject: Avviksmelding $1-$2
Date: Tue, 05 Mar 2024 14:20:00 +0100
Message-ID: <$1-$2@balsfjord.kommune.no>
MIME-Version: 1.0
Content-Type: text/plain; charset=UTF-8

Meldende enhet: Hjemmesykepleien, Balsfjord kommune
Gjelder enhet: Medisinsk avdeling, UNN Tromsø
Dato for hendelse: 05.03.2024
Beskrivelse:
Sak $1-$2: pasienten kom hjem uten epikrise og uten legemiddelliste.
MAIL
}
if [ -n "$imap_why" ]; then
	skip 15 "$imap_why"
else
	for k in $(seq 1 30); do mail box "$k" >m.eml; imap_deliver m.eml "box$k"; done
	avvik --db two.db init --rules-dir r3 >/dev/null
	exits "a dry run with failing sources, 3 jobs: exit 1" 1 \
		avvik --db two.db ingest --dry-run --jobs 3 box err500 cut other
	like "it fetched and parsed every message" last.out '^box: 30 files \(0 unchanged\), 30 new'
	is "it committed nothing" "$(sql two.db 'select (select count(*) from deviation) + (select count(*) from raw_message) + (select count(*) from source_cursor)')" 0
	is "and left the mailbox as it was: 30 unseen in INBOX, none archived" \
		"$(mb_count INBOX):$(seen_count):$(mb_count Archive)" "30:0:0"

	exits "the failing sources fail the run: exit 1" 1 avvik --db two.db ingest --jobs 3 box err500 cut other
	cp last.out fail.out
	cp last.err fail.err
	is "one line per source, in the configured order" "$(cut -d: -f1 fail.out | tr '\n' ' ')" "box err500 cut other total "
	like "the IMAP source stored all 30" fail.out '^box: 30 files \(0 unchanged\), 30 new, 0 duplicates'
	like "the other HTTP source stored its 3" fail.out '^other: 1 files \(0 unchanged\), 3 new'
	like "the 500 source failed" fail.out '^err500: .*FAILED$'
	like "naming itself" fail.err 'source err500: .*HTTP status 500'
	like "the truncated source failed" fail.out '^cut: .*FAILED$'
	like "naming itself" fail.err 'source cut: .*'
	is "nothing committed for the failing sources, no cursor moved" \
		"$(sql two.db "select (select count(*) from deviation where source in ('err500','cut')) + (select count(*) from source_cursor where source in ('err500','cut'))")" 0
	is "every message moved to Archive once stored" "$(mb_count INBOX):$(mb_count Archive)" "0:30"
	is "the cursor holds the last UID" "$(sql two.db "select value from source_cursor where source='box' and key='imap:INBOX:uid'")" 30
fi

# ---- 3. kill -9 in a concurrent run, again and again; then a run to the end ----
if [ -n "$imap_why" ]; then
	skip 10 "$imap_why"
else
	for k in $(seq 1 200); do mail kill "$k" >m.eml; imap_deliver m.eml "kill$k"; done
	avvik --db k.db init --rules-dir r4 >/dev/null
	# the Message-IDs of messages in Archive that are not stored: must be none,
	# as a message is moved only after its commit
	archived_unstored() {
		find "$IMAP_MAILDIR/.Archive/cur" "$IMAP_MAILDIR/.Archive/new" -type f 2>/dev/null |
			xargs -r grep -h '^Message-ID: <kill-' | sed 's/^Message-ID: <\(.*\)>.*/\1/' | sort >archived.ids
		sql k.db "select ext_id from deviation where source = 'kbox'" | sed 's/^<//; s/>$//' | sort >stored.ids
		comm -23 archived.ids stored.ids | wc -l
	}
	killed=0 bad=0
	for round in 1 2 3 4 5 6 7 8; do
		before=$(devs k.db)
		"$AVVIK_BIN" --db k.db ingest --jobs 3 fast kbox other >/dev/null 2>&1 &
		pid=$!
		# killed once it has committed something in this round (seen in the
		# database), a little later each round
		n=0
		while [ "$(devs k.db)" = "$before" ] && [ $n -lt 600 ] && kill -0 $pid 2>/dev/null; do
			sleep 0.02
			n=$((n + 1))
		done
		sleep "0.$((round % 4))"
		kill -9 $pid 2>/dev/null
		wait $pid 2>/dev/null
		[ $? -eq 137 ] && killed=$((killed + 1))
		[ "$(archived_unstored)" -eq 0 ] || bad=$((bad + 1))
	done
	diag "$killed of 8 runs were killed before they finished; $(devs k.db) deviations stored by then"
	ok "runs were killed in the middle" test "$killed" -ge 4
	is "after every kill, each archived message was stored" "$bad" 0
	exits "the run after the kills completes" 0 avvik --db k.db ingest --jobs 3 fast kbox other
	exits "and another brings nothing new" 0 avvik --db k.db ingest --jobs 3 fast kbox other
	like "nothing new" last.out '^total: .* 0 new, '
	is "every message and record stored exactly once" \
		"$(devs k.db kbox):$(devs k.db fast):$(devs k.db other)" "200:200:3"
	is "no external id twice" "$(sql k.db 'select count(*) from (select ext_id from deviation group by ext_id having count(*) > 1)')" 0
	is "each archived message is stored" "$(archived_unstored)" 0
	is "no message lost on the server: all 200 in INBOX or Archive" \
		"$( (find "$IMAP_MAILDIR/cur" "$IMAP_MAILDIR/new" "$IMAP_MAILDIR/.Archive/cur" "$IMAP_MAILDIR/.Archive/new" -type f | xargs -r grep -l '^Message-ID: <kill-') | wc -l)" 200
	is "the database is intact" "$(sql k.db 'pragma integrity_check')" ok
fi
nowhere "no password in any output" "$IMAP_PASS" "$T_DIR"/*.out "$T_DIR"/*.err "$T_DIR"/last.out "$T_DIR"/last.err
done_testing
