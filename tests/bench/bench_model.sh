#!/bin/sh
# bench_model.sh AVVIK GEN-DEMO: the statistical model's costs.  Training on
# 10,000 labelled examples (the shipped ones plus generated deviations
# labelled with what the rules say: the labels do not matter for the time,
# the size of the problem does), and classification throughput with the
# model against the rules alone on the same generated corpus.  Prints
# figures; asserts nothing.
set -eu
AVVIK=$(realpath "$1")
GEN=$(realpath "$2")
N=${BENCH_MODEL_SIZE:-10000}
OUT=${BENCH_DIR:-bench-out}/model
rm -rf "$OUT"
mkdir -p "$OUT"
cd "$OUT"
export GIT_AUTHOR_NAME=bench GIT_AUTHOR_EMAIL=bench@localhost GIT_COMMITTER_NAME=bench GIT_COMMITTER_EMAIL=bench@localhost
"$GEN" --bench "$N" --out corpus >/dev/null
"$AVVIK" -q --db b.db init --rules-dir rules >/dev/null
"$AVVIK" -q --db b.db ingest --path corpus >/dev/null 2>&1 || true
n=$(sqlite3 b.db 'select count(*) from deviation')

# Wall-clock seconds, and CPU seconds (user + system), which a machine
# shared with other work inflates less.
classify() { # LABEL TAG
	/usr/bin/time -f '%e %U %S %M' -o time.txt "$AVVIK" -q --db b.db classify --all >/dev/null 2>&1 || true
	read -r secs us sy kb <time.txt
	awk -v l="$1" -v n="$n" -v s="$secs" -v c="$us" -v y="$sy" -v kb="$kb" 'BEGIN {
		printf "%-30s %8d deviations %8.2f s (CPU %.2f s) %8.0f dev/s %8.1f MiB\n", l, n, s, c + y,
			(s > 0 ? n / s : 0), kb / 1024 }'
	echo "$secs $us $sy" >"secs-$2"
}
classify "classify, rules alone" rules

# labelled examples up to N: the shipped ones and generated deviations
shipped=$(cat rules/training/*.tsv | grep -vc '^category' || true)
sqlite3 -batch -noheader -separator '	' b.db "SELECT c.category, c.direction,
	replace(replace(coalesce(d.reporter_name, ''), char(9), ' '), char(10), ' '),
	replace(replace(coalesce(d.concerned_name, ''), char(9), ' '), char(10), ' '),
	replace(replace(coalesce(d.subject, ''), char(9), ' '), char(10), ' '),
	replace(replace(replace(coalesce(d.text, ''), char(9), ' '), char(10), ' '), char(13), ' ')
	FROM deviation d JOIN classification c ON c.deviation_id = d.id WHERE d.text <> ''
	ORDER BY d.id LIMIT $((N - shipped))" >gen.body
{ printf 'category\tdirection\treporter\tconcerned\tsubject\ttext\n'; cat gen.body; } >rules/training/zz-generated.tsv
git -C rules add training/zz-generated.tsv
git -C rules commit -qm "bench: generated labelled examples"
m=$(cat rules/training/*.tsv | grep -vc '^category' || true)
/usr/bin/time -f '%e %U %S %M' -o time.txt "$AVVIK" -q --db b.db model train >train.out
read -r secs us sy kb <time.txt
awk -v n="$m" -v s="$secs" -v c="$us" -v y="$sy" -v kb="$kb" 'BEGIN {
	printf "%-30s %8d examples   %8.2f s (CPU %.2f s) %17s %8.1f MiB\n", "model train", n, s, c + y, "", kb / 1024 }'

classify "classify, rules and model" model
read -r rs ru rsy <secs-rules
read -r ms mu msy <secs-model
awk -v rs="$rs" -v ms="$ms" -v ru="$ru" -v rsy="$rsy" -v mu="$mu" -v msy="$msy" 'BEGIN {
	printf "%-30s %.2f of the rules alone by the clock, %.2f by CPU time\n", "throughput with the model",
		(ms > 0 ? rs / ms : 0), (mu + msy > 0 ? (ru + rsy) / (mu + msy) : 0) }'
