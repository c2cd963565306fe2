#!/bin/sh
# bench_rules.sh AVVIK GEN-DEMO: classification throughput with the default
# rules and with 1,000 generated rules added, on a generated corpus, so the
# growth of cost with the rule count is visible (the literal prefilter
# skips a rule whose words do not occur).  Prints figures; asserts nothing.
set -eu
AVVIK=$(realpath "$1")
GEN=$(realpath "$2")
N=${BENCH_RULES_SIZE:-10000}
OUT=${BENCH_DIR:-bench-out}/rules
rm -rf "$OUT"
mkdir -p "$OUT"
cd "$OUT"
export AVVIK_RULES_SEED="${AVVIK_RULES_SEED:-$(dirname "$AVVIK")/rules}"
export GIT_AUTHOR_NAME=bench GIT_AUTHOR_EMAIL=bench@localhost GIT_COMMITTER_NAME=bench GIT_COMMITTER_EMAIL=bench@localhost
"$GEN" --bench "$N" --out corpus >/dev/null
"$AVVIK" -q --db b.db init --rules-dir rules >/dev/null
"$AVVIK" -q --db b.db ingest --path corpus >/dev/null 2>&1 || true
n=$(sqlite3 b.db 'select count(*) from deviation')

# 1,000 rules in the style of the real ones: a made-up subject word near a
# failure word, most of which never occur in the corpus, a few that do.
perl -e '
	my @fail = qw(mangler ikke feil forsinket uten avvist);
	print "rules:\n";
	for my $i (1 .. 1000) {
		my $w = sprintf "emne%04dord", $i;
		$w = (qw(epikrise legemiddelliste henvisning rapport))[$i % 4] if $i % 100 == 0;
		printf "  - id: gen-%04d\n    category: annet\n    priority: %d\n    when:\n", $i, 1 + $i % 9;
		printf "      near: { a: %s, b: %s, within: 6 }\n", "\x27\\b$w\\w*\x27", "\x27\\b(?:" . join("|", @fail) . ")\\b\x27";
	}' >rules/rules/zz-generated.yaml

run() { # LABEL
	/usr/bin/time -f '%e %M' -o time.txt "$AVVIK" -q --db b.db classify --all >/dev/null 2>&1 || true
	read -r secs kb <time.txt
	awk -v l="$1" -v n="$n" -v s="$secs" -v kb="$kb" -v r="$2" 'BEGIN {
		printf "%-28s %6d rules %8d deviations %8.2f s %10.0f dev/s %8.1f MiB\n", l, r, n, s, (s > 0 ? n / s : 0), kb / 1024 }'
}
rules_default=$("$AVVIK" --db b.db rules list | tail -1 | awk '{print $1}')
run "default rules" "$rules_default"
git -C rules add rules/zz-generated.yaml
git -C rules commit -q -m "bench: 1000 generated rules"
run "default + 1000 generated" "$((rules_default + 1000))"
