#!/bin/sh
# classify --jobs N: worker threads classify, one thread writes; the rows
# are the same as with one job, also when more records are read than fit
# in flight.  run --jobs N classifies everything new.
. "$AVVIK_SRC/tests/e2e/lib.sh"
: "${AVVIK_GEN:?}"
plan 20

# same DESCRIPTION GOT EXPECTED: two files with the same bytes (a diff on failure)
same() {
	if cmp -s "$2" "$3"; then pass "$1"; else
		fail "$1"; diff "$3" "$2" | head -10 | show_lines
	fi
}
# Every classification column but the time, by external id.
rows() {
	sql "$1" "select d.ext_id, c.rules_commit, c.category, c.tags, c.direction, c.reporter_org,
		c.reporter_type, c.reporter_how, c.concerned_org, c.concerned_type, c.concerned_how,
		c.matches, c.why from classification c join deviation d on d.id = c.deviation_id
		order by d.ext_id, c.rules_commit" >"$2"
}

"$AVVIK_GEN" --out corpus --truth truth.tsv >gen.log
# one rules repository for both, so one rules commit; one key, so the same pseudonyms
avvik --db one.db init --rules-dir rules >/dev/null
avvik --db three.db init --rules-dir rules >/dev/null
cp one.db.key three.db.key
avvik -q --db one.db ingest --path corpus >/dev/null 2>&1
avvik -q --db three.db ingest --path corpus >/dev/null 2>&1
is "the same deviations to classify" "$(sql three.db 'select count(*), sum(id) from deviation')" \
	"$(sql one.db 'select count(*), sum(id) from deviation')"

exits "classify with one job" 0 avvik --db one.db classify --jobs 1
like "classifies all 775" last.out '^classified 775 deviations under rules commit [0-9a-f]{12}$'
exits "classify with three jobs" 0 avvik --db three.db classify --jobs 3
like "classifies all 775 too" last.out '^classified 775 deviations under rules commit [0-9a-f]{12}$'
is "one classification per deviation" "$(sql three.db 'select count(*), count(distinct deviation_id) from classification')" \
	"775|775"
avvik --db one.db export --format csv -o one.csv
avvik --db three.db export --format csv -o three.csv
ok "the export has every deviation" test "$(grep -c '^[0-9][0-9]*;' one.csv)" -ge 775
same "the same csv export" three.csv one.csv
avvik --db one.db export --format jsonl -o one.jsonl
avvik --db three.db export --format jsonl -o three.jsonl
same "the same jsonl export" three.jsonl one.jsonl
rows one.db one.rows
rows three.db three.rows
same "the same rows, matched rules, excerpts and reasons included" three.rows one.rows

# 3000 records with two jobs: at most 2 x 2 batches of 256 in flight, so
# the writer must wait for the workers and store while it reads
"$AVVIK_GEN" --bench 3000 --out bench >/dev/null
avvik --db b.db init --rules-dir rules >/dev/null
avvik -q --db b.db ingest --path bench >/dev/null 2>&1
exits "classify 3000 with one job" 0 avvik --db b.db classify --jobs 1
like "all of them" last.out '^classified 3000 deviations'
rows b.db b1.rows
exits "classify them all again with two jobs" 0 avvik --db b.db classify --all --jobs 2
like "all of them again" last.out '^classified 3000 deviations'
rows b.db b2.rows
same "the same rows as with one job" b2.rows b1.rows
exits "with nothing new, two jobs do nothing" 0 avvik --db b.db classify --jobs 2
like "and say so" last.out '^classified 0 deviations'

# the nightly job: what a run ingests, it classifies, with worker threads
mkdir src
cp -r corpus/msghead src/
cat >avvik.conf <<CONF
[avvik]
db = $T_DIR/run.db
rules_dir = $T_DIR/rules

[source demo]
type = dir
path = $T_DIR/src
CONF
export AVVIK_CONFIG=$T_DIR/avvik.conf
avvik init >/dev/null
avvik run --jobs 2 >run1.out 2>run1.err
cp -r corpus/exports src/
avvik run --jobs 2 >run2.out 2>run2.err
n1=$(sed -n 's/^classified \([0-9]*\) deviations.*/\1/p' run1.out)
n2=$(sed -n 's/^classified \([0-9]*\) deviations.*/\1/p' run2.out)
ok "a run classifies what it ingested" test "${n1:-0}" -gt 0
is "a second run classifies only the new ones" "$((n1 + n2))" "$(sql run.db 'select count(*) from deviation')"
is "and everything is classified, once" \
	"$(sql run.db "select count(distinct deviation_id) || '/' || count(*) from classification")" \
	"$(sql run.db "select count(*) || '/' || count(*) from deviation")"
done_testing
