#!/bin/sh
# Fødselsnummer in what people type and name (issue 10): an override's
# reason, a source's name in the config, an ingested file's name never
# reach the database or a log line as written.
. "$AVVIK_SRC/tests/e2e/lib.sh"
plan 13

FNR=15720255178
avvik --db a.db init --rules-dir r >/dev/null
mkdir in
cp "$AVVIK_SRC"/fixtures/avvik-xml/compilo-tromso.xml "in/pasient $FNR.xml"
printf 'not xml\n' >"in/brev-$FNR.txt"
exits "files whose names hold a number" 1 avvik -v --db a.db ingest --path in
unlike "no log line holds it" last.err "$FNR"
# What is kept of it but the file names that mirror the file system (which
# file was read, which file a quarantined item is from: never shown as is)
stored() {
	cp a.db d.db && cp a.db-wal d.db-wal 2>/dev/null
	sqlite3 d.db 'delete from source_file; update quarantine set origin = null' &&
	sqlite3 d.db .dump | grep -c "$FNR"
	rm -f d.db d.db-wal
}
is "no stored row holds it" "$(stored)" 0
like "the name is shown with the pseudonym" last.err 'in/brev-\[pasient:[0-9a-f]{10}\]\.txt: not XML'

avvik --db a.db classify >/dev/null 2>&1
exits "an override whose reason holds a number" 0 \
	avvik --db a.db override 1 --category legemidler --reason "gjelder pasient $FNR, feil kategori"
is "the reason is kept with the pseudonym" \
	"$(sql a.db "select count(*) from override where reason like 'gjelder pasient [pasient:%], feil kategori'")" 1
is "and not as written" "$(stored)" 0

# special files in the tree: skipped with a warning naming them (scrubbed)
mkdir odd
mkfifo "odd/fifo-$FNR"
ln -s /etc/hostname odd/out-link
exits "a tree with a FIFO and a link out of it" 0 timeout 60 "$AVVIK_BIN" --db a.db ingest --path odd
like "the FIFO is skipped, said" last.err 'odd/fifo-\[pasient:[0-9a-f]{10}\]: skipped: a FIFO, not a file'
like "the link is skipped, said" last.err 'odd/out-link: skipped: a symbolic link that leads out of the tree'
unlike "the number is in no warning" last.err "$FNR"

cat >c.conf <<EOF2
[avvik]
db = a.db
[source inn-$FNR]
type = dir
path = in
EOF2
exits "a source named with a number" 2 avvik --config c.conf ingest
unlike "is refused without echoing it" last.err "$FNR"
done_testing
