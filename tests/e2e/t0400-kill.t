#!/bin/sh
# Killing the nightly job at any moment loses nothing and duplicates
# nothing: 20 runs killed with SIGKILL at random moments, then a final run.
. "$AVVIK_SRC/tests/e2e/lib.sh"
: "${AVVIK_GEN:?}"
plan 6

# large enough that no single run finishes inside the kill window
"$AVVIK_GEN" --bench 40000 --out corpus --truth truth.tsv >gen.log
cat >avvik.conf <<CONF
[avvik]
db = $T_DIR/k.db
rules_dir = $T_DIR/rules
[source corpus]
type = dir
path = $T_DIR/corpus
CONF
export AVVIK_CONFIG=$T_DIR/avvik.conf
avvik init >/dev/null
unique=$(awk -F'\t' 'NR > 1 && $7 == 0' truth.tsv | wc -l)

killed=0
for i in $(seq 1 20); do
	# a delay between 0 and ~0.6 s, different each round but reproducible
	delay=$(awk -v i="$i" 'BEGIN { srand(i * 7919); printf "%.3f", 0.02 + rand() * 0.5 }')
	"$AVVIK_BIN" run >/dev/null 2>&1 &
	pid=$!
	sleep "$delay"
	if kill -9 "$pid" 2>/dev/null; then killed=$((killed + 1)); fi
	wait "$pid" 2>/dev/null
done
diag "$killed of 20 runs were killed before they finished"
ok "the runs were killed mid-way" test "$killed" -ge 18
exits "the run after the kills completes" 0 avvik run
exits "and another is a no-op" 0 avvik run
is "every unique message stored exactly once" "$(sql k.db 'select count(*) from deviation')" "$unique"
is "no external id twice" "$(sql k.db 'select count(*) from (select ext_id from deviation group by ext_id having count(*) > 1)')" 0
is "the database is intact" "$(sql k.db 'pragma integrity_check')" ok
done_testing
