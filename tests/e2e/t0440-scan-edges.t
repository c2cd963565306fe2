#!/bin/sh
# The quick scan's edges: a quarantined message is held until it changes;
# a run rooted lower down does not hide a directory from the nightly run; a
# database failure with --jobs leaves the directory to be listed again;
# what is gone is forgotten quietly; a remembered name that became a link
# out of the tree is not followed; one directory is one row however the
# path is spelled.
. "$AVVIK_SRC/tests/e2e/lib.sh"
plan 22

F=$AVVIK_SRC/fixtures
message() {
	sed -e "s/0b8e6d1c-5a43-4f0e-8c7d-2a1b3c4d5e02/0b8e6d1c-5a43-4f0e-8c7d-2a1b3c4d$1/" \
	    -e "s/Legemiddelliste manglet ved utskrivning/Legemiddelliste manglet ($1)/" \
	    "$F/msghead/dialog11-xhtml.xml"
}
old() { touch -d '-1 hour' "$@"; }
settle_dirs() { sleep 2; }
avvik --db a.db init --rules-dir r >/dev/null
ingest() { avvik -v --db a.db ingest "$@"; }

# -- held: a message cut short, quiet for long, completed in place later
mkdir -p data/inbox data/other
message 0001 >data/inbox/m1.xml
head -c 900 "$F/msghead/dialog11-xhtml.xml" >data/inbox/late.xml
old data/inbox/*
settle_dirs
exits "a cut-short message" 1 ingest --path data
like "is quarantined" last.out '1 quarantined'
exits "the next run" 0 ingest --path data
is "keeps it held, not settled" "$(sql a.db "select settled from source_file where path = 'data/inbox/late.xml'")" -1
message 0002 >late.tmp
cat late.tmp >data/inbox/late.xml
old data/inbox/late.xml
exits "completed in place" 0 ingest --path data
like "it is read again" last.out '^path: 2 files \(1 unchanged\), 1 new'

# -- a run rooted lower down records the same parent
settle_dirs
ingest --path data >/dev/null 2>&1
message 0003 >data/inbox/m3.xml
old data/inbox/m3.xml
exits "a one-off run over data/inbox" 0 ingest --path data/inbox
like "stores what is new there" last.out '1 new'
message 0004 >data/inbox/m4.xml
old data/inbox/m4.xml
exits "the nightly run over data" 0 ingest --path data
like "still finds what comes to data/inbox" last.out '^path: 4 files \(3 unchanged\), 1 new'

# -- a database failure with --jobs: the directory is listed again
settle_dirs
ingest --path data >/dev/null 2>&1
message 0005 >data/other/poison.xml
old data/other/poison.xml
sql a.db "CREATE TRIGGER poison BEFORE INSERT ON deviation WHEN NEW.subject LIKE '%(0005)%'
	BEGIN SELECT RAISE(ABORT, 'poisoned for the test'); END;"
exits "a database failure exits 3" 3 ingest --jobs 2 --path data
like "and says so" last.err 'data/other/poison.xml: database write failed'
sql a.db "DROP TRIGGER poison"
settle_dirs
exits "once the database is sound" 0 ingest --jobs 2 --path data
like "the file is stored" last.out '1 new'

# -- gone: a directory moved away, a file removed
settle_dirs
ingest --path data >/dev/null 2>&1
mv data/other moved
rm data/inbox/m1.xml
settle_dirs
ingest --path data >/dev/null 2>&1
settle_dirs
exits "after a directory moved away" 0 ingest --path data
unlike "no warning about it, run after run" last.err 'data/other'
like "and what was removed is not counted" last.out '^path: 3 files \(3 unchanged\)'
is "their rows are forgotten" \
	"$(sql a.db "select count(*) from source_dir where path like 'data/other%'") $(sql a.db "select count(*) from source_file where path like 'data/other/%' or path = 'data/inbox/m1.xml'")" "0 0"

# -- a remembered name that became a link out of the tree
mkdir -p tree/sub outside
cp "$F/avvik-xml/docmap-unn.xml" tree/sub/t.xml
sed 's/id="2023-0142"/id="7777-0001"/' "$F/avvik-xml/docmap-unn.xml" >outside/secret.xml
ln -s sub/t.xml tree/link.xml
old tree/sub/t.xml
settle_dirs
ingest --path tree >/dev/null 2>&1
settle_dirs
ingest --path tree >/dev/null 2>&1
rm tree/sub/t.xml
ln -s ../../outside/secret.xml tree/sub/t.xml
ingest --path tree >/dev/null 2>&1
is "is not followed" "$(sql a.db "select count(*) from deviation where ext_id like '%7777-0001%'")" 0

# -- one directory, however the path is spelled
mkdir -p spelt/in
cp "$F/avvik-xml/compilo-tromso.xml" spelt/in/
old spelt/in/*
settle_dirs
exits "--path spelt//in/" 0 ingest --path spelt//in/
exits "and again as spelt/in" 0 ingest --path spelt/in
like "is the same directory: nothing read again" last.out '^path: 1 files \(1 unchanged\), 0 new, 0 duplicates'
done_testing
