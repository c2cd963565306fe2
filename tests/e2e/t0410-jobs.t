#!/bin/sh
# --jobs: files parsed by worker threads, one writer; the result is the same
# as with one job.  --dry-run: all the work, nothing committed.
. "$AVVIK_SRC/tests/e2e/lib.sh"
: "${AVVIK_GEN:?}"
plan 12

"$AVVIK_GEN" --out corpus --truth truth.tsv >gen.log
avvik --db one.db init --rules-dir r1 >/dev/null
avvik --db two.db init --rules-dir r2 >/dev/null
cp one.db.key two.db.key   # one key: the same pseudonyms, so the same content hashes
exits "ingest with one job" 1 avvik --db one.db ingest --path corpus
cp last.out one.out
exits "ingest with two jobs" 1 avvik --db two.db ingest --jobs 2 --path corpus
cp last.out two.out
is "the same summary" "$(cat two.out)" "$(cat one.out)"
q='select ext_id || content_hash from deviation order by 1'
is "the same deviations, byte for byte" "$(sql two.db "$q" | sha256sum)" "$(sql one.db "$q" | sha256sum)"
is "the same quarantine" "$(sql two.db 'select sha256 from quarantine order by 1' | sha256sum)" \
	"$(sql one.db 'select sha256 from quarantine order by 1' | sha256sum)"
exits "a bad --jobs is a usage error" 2 avvik --db two.db ingest --jobs 0 --path corpus

avvik --db dry.db init --rules-dir r3 >/dev/null
exits "a dry run parses everything (exit 1: bad files seen)" 1 avvik --db dry.db ingest --dry-run --jobs 2 --path corpus
like "and reports what it found" last.out 'path: [0-9]+ files \(0 unchanged\), [0-9]+ new, .* [1-9] quarantined'
is "but commits nothing" "$(sql dry.db 'select (select count(*) from deviation) + (select count(*) from quarantine) + (select count(*) from source_file)')" 0
# progress: on a terminal only, and not with -q
avvik --db tty.db init --rules-dir r4 >/dev/null
avvik --db tty.db ingest --path corpus >notty.out 2>notty.err
unlike "no progress line when stderr is a file" notty.err '[0-9]+ files, [0-9]+ new, [0-9]+ files/s'
script -qec "$AVVIK_BIN --db tty2.db init --rules-dir r5 >/dev/null; $AVVIK_BIN --db tty2.db ingest --path corpus >/dev/null" /dev/null >tty.log 2>&1
like "a progress line on a terminal, counting files" tty.log 'path: [0-9]+ files, [0-9]+ new, [0-9]+ files/s'
script -qec "$AVVIK_BIN --db tty3.db init --rules-dir r6 >/dev/null; $AVVIK_BIN -q --db tty3.db ingest --path corpus >/dev/null" /dev/null >q.log 2>&1
unlike "none with -q" q.log '[0-9]+ files, [0-9]+ new, [0-9]+ files/s'
done_testing
