#!/bin/sh
# What could not be read can be read again, and raw bytes do not stay for
# ever (issue 10): quarantine list shows where, why and when (scrubbed);
# retry reads a file again whole, as another --format if told; an item that
# comes back is open again; an mbox ingested as one e-mail is an error, and a
# re-run with the right --format reads the file again; purge deletes the raw
# bytes (identifiers as sent) older than raw_retention_days, overwritten in
# the file, and run does it every night.
. "$AVVIK_SRC/tests/e2e/lib.sh"
plan 23

F=$AVVIK_SRC/fixtures
avvik --db a.db init --rules-dir r >/dev/null
cp "$F/email/postmottak.mbox" post.mbox
cp "$F/avvik-xml/tqm-one-bad-record.xml" "tqm-15720255178.xml"

exits "an mbox read as maildir" 1 avvik --db a.db ingest --path post.mbox --format maildir
like "is an error, not one message of three" last.err 'post.mbox:1: an mbox of several messages, not one e-mail as format maildir says \(use --format mbox\)'
is "nothing of it is stored" "$(sql a.db 'select count(*) from deviation')" 0
exits "a re-run with the right --format" 0 avvik --db a.db ingest --path post.mbox --format mbox
like "reads the file again" last.out '^path: 1 files \(0 unchanged\), 3 new'
is "and resolves its item" "$(sql a.db "select count(*) from quarantine where resolved_at is null")" 0

exits "an export with one bad record" 1 avvik --db a.db ingest --path tqm-15720255178.xml
exits "quarantine list" 0 avvik --db a.db quarantine list
like "shows where, why and when" last.out 'tqm-\[pasient:[0-9a-f]{10}\]\.xml:19: avvik id=T-101: <reported-at> .31\.02\.2023. is not a date'
unlike "never the number in the file's name" last.out '15720255178'
ID=$(sql a.db "select id from quarantine where resolved_at is null")
exits "retry as a wrong format" 1 avvik --db a.db quarantine retry "$ID" --format mbox
like "says what came of it" last.out "quarantine $ID: read again: 0 new, 0 duplicates, 0 skipped, 1 quarantined"
exits "retry --all" 1 avvik --db a.db quarantine retry --all
is "the bad record is open again" \
	"$(sql a.db "select count(*) from quarantine where resolved_at is null and reason like '%T-101%'")" 1
is "the wrong-format item is resolved" \
	"$(sql a.db "select count(*) from quarantine where resolved_at is null and reason like '%mbox%'")" 0
exits "retry of an unknown item" 2 avvik --db a.db quarantine retry 999

# -- retention
cp "$F/email/latin1-qp-form.eml" m.eml
printf 'X-Marker: qzxv-raw-only-7731\n' | cat - m.eml >m2.eml && rm m.eml
exits "an e-mail" 0 avvik --db a.db ingest --path m2.eml
sqlite3 a.db 'pragma wal_checkpoint(TRUNCATE)' >/dev/null
ok "its raw bytes are kept" grep -q qzxv-raw-only-7731 a.db
sqlite3 a.db "update raw_message set received_at = '2000-01-01T00:00:00Z'; update quarantine set created_at = '2000-01-01T00:00:00Z'"
exits "purge" 0 avvik --db a.db purge
like "says what it deleted" last.out 'purge: raw bytes of [1-9][0-9]* messages and [1-9][0-9]* quarantined items received before'
ok "the raw bytes are gone from the file" sh -c '! grep -q qzxv-raw-only-7731 a.db a.db-wal 2>/dev/null'
is "the records stay" "$(sql a.db 'select count(*) from deviation')" 6
sqlite3 a.db "update raw_message set body = x'00', received_at = '2000-01-01T00:00:00Z'"
cat >c.conf <<EOF2
[avvik]
db = a.db
raw_retention_days = 30
[source inbox]
type = dir
path = empty
EOF2
mkdir empty
avvik --config c.conf run >run.out 2>&1
like "run purges too" run.out 'purge: raw bytes of [1-9][0-9]* messages .*raw_retention_days = 30'
done_testing
