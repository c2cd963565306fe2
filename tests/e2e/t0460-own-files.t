#!/bin/sh
# avvik's own files (issue 10): a source whose tree holds the database and
# the key never reads them (the key's bytes once ended up in the
# quarantine table); a binary file that looks like a key is quarantined
# without its bytes; a zero-length, foreign or damaged database is fatal
# (exit 3), never taken as a new one.
. "$AVVIK_SRC/tests/e2e/lib.sh"
plan 14

mkdir in
avvik --db in/a.db init --rules-dir r >/dev/null
cp "$AVVIK_SRC"/fixtures/avvik-xml/compilo-tromso.xml in/
KEYHEX=$(od -An -tx1 in/a.db.key | tr -d ' \n')
exits "a tree holding the database and the key" 0 avvik --db in/a.db ingest --path in
like "the database is skipped, with a warning" last.err 'in/a.db: skipped: avvik.s own file'
like "and the key" last.err 'in/a.db.key: skipped: avvik.s own file'
is "nothing of them is in quarantine" "$(sql in/a.db 'select count(*) from quarantine')" 0
is "the export is read" "$(sql in/a.db 'select count(*) from deviation')" 2
unlike "the key's bytes are nowhere in the database" \
	"$(sqlite3 in/a.db .dump | od -An -tx1 | tr -d ' \n' | grep -c "$KEYHEX" >k.out; echo k.out)" '^[1-9]'

# a key-like file elsewhere: quarantined, its bytes not kept
perl -e 'srand 3; print pack("C*", map { int rand 256 } 1 .. 32)' >other.key
exits "a binary file" 1 avvik --db in/a.db ingest --path other.key
is "is quarantined without its bytes" "$(sql in/a.db 'select count(*) from quarantine where body is null')" 1
like "and says so" last.err 'bytes not kept'

# damaged databases
: >empty.db
exits "a zero-length database is fatal" 3 avvik --db empty.db ingest --path in/compilo-tromso.xml
like "and named" last.err 'empty.db: not an avvik database \(the file is empty\)'
exits "init does not take it either" 3 avvik --db empty.db init --rules-dir r2
sqlite3 in/a.db 'pragma wal_checkpoint(TRUNCATE)' >/dev/null
cp in/a.db bad.db
perl -e 'open my $f, "+<", $ARGV[0] or die; my $n = -s $f; srand 7;
	for (1 .. 400) { seek $f, 4096 + int(rand($n - 4200)), 0; print $f pack("C*", map { int rand 256 } 1 .. 64) }' bad.db
exits "a database overwritten with random bytes is fatal" 3 avvik --db bad.db report compare 2023 2024
like "with the damage named" last.err 'bad.db: the database is damaged'
done_testing
