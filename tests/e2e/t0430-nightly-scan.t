#!/bin/sh
# The nightly run over a file source: a directory seen unchanged since it
# was listed is not read again, yet what arrives or changes is found: new
# files, new directories, exports rewritten in place, messages completed
# after a half-written first read.  A touched file with the same bytes is
# not parsed again.  --rescan and scan = every-file look at every file.
. "$AVVIK_SRC/tests/e2e/lib.sh"
plan 31

F=$AVVIK_SRC/fixtures
# A message like dialog11-xhtml.xml with its own MsgId and text ($1).
message() {
	sed -e "s/0b8e6d1c-5a43-4f0e-8c7d-2a1b3c4d5e02/0b8e6d1c-5a43-4f0e-8c7d-2a1b3c4d$1/" \
	    -e "s/Legemiddelliste manglet ved utskrivning/Legemiddelliste manglet ($1)/" \
	    "$F/msghead/dialog11-xhtml.xml"
}
# Directories changed within the last two seconds are not trusted to stay
# so (one timestamp tick); the tests wait that long where they rely on it.
settle_dirs() { sleep 2; }

mkdir -p in/kith/2024 in/exports
cp "$F/msghead/epikrise.xml" in/kith/2024/
message 0001 >in/kith/2024/m1.xml
cp "$F/avvik-xml/docmap-unn.xml" in/exports/
touch -d '-1 hour' in/kith/2024/* in/exports/*   # delivered an hour ago
avvik --db a.db init --rules-dir r >/dev/null
printf '[avvik]\ndb = a.db\n[source inbox]\ntype = dir\npath = in\n' >a.conf
settle_dirs

exits "the first run reads every file" 0 avvik -v --config a.conf ingest
like "three files, none seen before" last.out '^inbox: 3 files \(0 unchanged\), 5 new, 0 duplicates, 1 skipped'
like "every directory listed" last.err 'source inbox: 4 directories listed, 0 unchanged'

exits "nothing new: exit 0" 0 avvik -v --config a.conf ingest
like "every file counted as unchanged" last.out '^inbox: 3 files \(3 unchanged\), 0 new, 0 duplicates'
like "no directory listed" last.err 'source inbox: 0 directories listed, 4 unchanged'

message 0002 >in/kith/2024/m2.xml
touch -d '-1 hour' in/kith/2024/m2.xml
exits "a new message in a known directory" 0 avvik -v --config a.conf ingest
like "is found" last.out '^inbox: 4 files \(3 unchanged\), 1 new'
like "by listing that directory alone" last.err 'source inbox: 1 directory listed, 3 unchanged'

mkdir in/kith/2025
message 0003 >in/kith/2025/m3.xml
touch -d '-1 hour' in/kith/2025/m3.xml
exits "a message in a new directory" 0 avvik --config a.conf ingest
like "is found" last.out '^inbox: 5 files \(4 unchanged\), 1 new'

# an export rewritten in place: same name, same inode, the directory unchanged
settle_dirs
avvik --config a.conf ingest >/dev/null
sed 's/id="2023-0142"/id="2023-9142"/; s/uten oppdatert legemiddelliste/uten noen legemiddelliste/' \
	"$F/avvik-xml/docmap-unn.xml" >export.tmp
cat export.tmp >in/exports/docmap-unn.xml
exits "an export rewritten in place" 0 avvik -v --config a.conf ingest
like "is read again: its one changed record is new" last.out '^inbox: 5 files \(4 unchanged\), 1 new, 3 duplicates'
like "though its directory was not listed" last.err '0 directories listed, 5 unchanged'

touch in/exports/docmap-unn.xml in/kith/2024/epikrise.xml
exits "touched files" 0 avvik --config a.conf ingest
like "with the same bytes are not parsed again" last.out '^inbox: 5 files \(5 unchanged\), 0 new, 0 duplicates'

# a settled message rewritten in place is the one change the quick scan
# leaves to --rescan (messages are written once: see README)
settle_dirs
avvik --config a.conf ingest >/dev/null
message 0004 >m.tmp
cat m.tmp >in/kith/2024/m1.xml
touch -d '-1 hour' in/kith/2024/m1.xml
exits "a message rewritten in place" 0 avvik --config a.conf ingest
like "is not looked at by the quick scan" last.out '^inbox: 5 files \(5 unchanged\), 0 new'
exits "--rescan" 0 avvik -v --config a.conf ingest --rescan
like "looks at every file and finds it" last.out '^inbox: 5 files \(4 unchanged\), 1 new'
like "listing every directory" last.err '5 directories listed, 0 unchanged since listed \(not read\); every file looked at'

# a message read while still being written: quarantined, looked at again
# every run until it is whole
head -c 900 "$F/msghead/dialog11-xhtml.xml" >in/kith/2024/late.xml
exits "a half-written message" 1 avvik --config a.conf ingest
like "is quarantined" last.out '1 quarantined'
settle_dirs
avvik --config a.conf ingest >/dev/null
message 0005 >late.tmp
cat late.tmp >in/kith/2024/late.xml
exits "completed in place later" 0 avvik -v --config a.conf ingest
like "it is read again and stored" last.out '^inbox: 6 files \(5 unchanged\), 1 new'

printf '[avvik]\ndb = a.db\n[source inbox]\ntype = dir\npath = in\nscan = sometimes\n' >bad.conf
exits "an unknown scan value is a config error" 2 avvik --config bad.conf ingest
like "naming file, line and key" last.err 'bad.conf:6: scan: unknown scan .sometimes. \(expected auto or every-file\)'

# with worker threads a directory is recorded once its last file is stored
avvik --db j.db init --rules-dir r3 >/dev/null
exits "--jobs 3: the first run" 0 avvik --db j.db ingest --jobs 3 --path in
exits "--jobs 3: nothing new" 0 avvik -v --db j.db ingest --jobs 3 --path in
like "and no directory listed" last.err 'source path: 0 directories listed, 5 unchanged'

avvik --db dry.db init --rules-dir r2 >/dev/null
avvik --db dry.db ingest --dry-run --path in >/dev/null 2>&1
is "a dry run records no file and no directory" \
	"$(sql dry.db 'select (select count(*) from source_file) + (select count(*) from source_dir)')" 0
done_testing
