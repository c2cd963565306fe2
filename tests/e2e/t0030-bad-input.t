#!/bin/sh
# Bad input gets a clear error and loses nothing: malformed, hostile and
# non-deviation files next to good ones.
. "$AVVIK_SRC/tests/e2e/lib.sh"
plan 12

F=$AVVIK_SRC/fixtures
mkdir in
cp -R "$F/bad" in/bad
cp -R "$F/msghead" in/msghead
cp -R "$F/avvik-xml" in/avvik-xml
avvik --db d.db init --rules-dir rules >/dev/null
exits "ingest of a tree with bad files: exit 1" 1 avvik --db d.db ingest --path in
cp last.err ingest.err
cp last.out ingest.out
nbad=$(find "$F/bad" -type f | wc -l)
q=$(sql d.db 'select count(*) from quarantine')
ok "every bad file is quarantined ($q of at least $nbad)" test "$q" -ge "$nbad"
like "an empty file is named with its reason" ingest.err 'in/bad/[^ ]*: .*empty'
like "truncated XML names file and line" ingest.err 'in/bad/[^ :]+:[0-9]+: '
ok "the entity bomb and the external entity are refused" \
	test "$(sql d.db "select count(*) from quarantine where reason like '%DTD%' or reason like '%entit%'")" -ge 2
unlike "no /etc/passwd content anywhere in the database" d.db 'root:x:0:0'
ok "the good messages were stored" test "$(sql d.db 'select count(*) from deviation')" -gt 0
skipped=$(sql d.db "select count(*) from raw_message where status='skipped'")
ok "AppRec and non-dialog MsgHead are skipped, not stored as deviations ($skipped)" test "$skipped" -ge 1
like "skipped messages say why" ingest.out 'skipped'
# (binary bytes are not kept: a key or a database must not end up there)
is "quarantine keeps the bytes of every text file for a retry" \
	"$(sql d.db "select count(*) from quarantine where body is null and reason not like '%bytes not kept: binary%'")" 0
exits "a second ingest adds nothing and quarantines nothing new" 0 avvik --db d.db ingest --path in
exits "ingest --path of a missing path is a usage error: exit 2 (a configured source whose path is gone fails alone: exit 1)" 2 avvik --db d.db ingest --path does-not-exist
done_testing
