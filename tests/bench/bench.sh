#!/bin/sh
# make bench: ingest + classify throughput and peak memory on generated
# corpora of 10,000 and 100,000 deviations (XML files), so that memory growth
# with corpus size is visible, and what a nightly run costs with nothing new.
# BENCH_SIZES="1000000" measures a million (about 620,000 files; slow).
# Prints figures; asserts nothing.
set -eu
AVVIK=$(realpath "$1")
GEN=$(realpath "$2")
OUT=${BENCH_DIR:-bench-out}
command -v /usr/bin/time >/dev/null || { echo "bench: needs /usr/bin/time (apt-get install time)" >&2; exit 2; }
rm -rf "$OUT"
mkdir -p "$OUT"
cd "$OUT"
export AVVIK_RULES_SEED="${AVVIK_RULES_SEED:-$(dirname "$AVVIK")/rules}"
# measure NAME N CMD...: one row of figures for a command over N messages
measure() {
	name=$1 n=$2
	shift 2
	/usr/bin/time -f '%e %M' -o time.txt "$@" >/dev/null 2>&1 || true
	read -r secs kb <time.txt
	awk -v n="$n" -v st="$name" -v s="$secs" -v kb="$kb" 'BEGIN {
		printf "%-10s %-16s %10.2f %12.0f %12.1f\n", n, st, s, (s > 0 ? n / s : 0), kb / 1024 }'
}

printf '%-10s %-16s %10s %12s %12s\n' corpus step seconds "msgs/s" "peak RSS MiB"
for n in ${BENCH_SIZES:-10000 100000}; do
	"$GEN" --bench "$n" --out "c$n" >/dev/null
	# delivered an hour ago, as a night's files are: settled when read
	find "c$n" -exec touch -d '-1 hour' {} +
	sleep 2   # directories just touched are not trusted within a tick
	"$AVVIK" --db "b$n.db" init --rules-dir "r$n" >/dev/null
	"$AVVIK" --db "j$n.db" init --rules-dir "q$n" >/dev/null
	printf '[avvik]\ndb = b%s.db\n[source bench]\ntype = dir\npath = c%s\n' "$n" "$n" >"b$n.conf"
	measure "ingest --jobs 1" "$n" "$AVVIK" -q --db "b$n.db" ingest --jobs 1 --path "c$n"
	measure "ingest --jobs 2" "$n" "$AVVIK" -q --db "j$n.db" ingest --jobs 2 --path "c$n"
	measure "classify --jobs 1" "$n" "$AVVIK" -q --db "b$n.db" classify --jobs 1
	measure "classify --jobs 2" "$n" "$AVVIK" -q --db "j$n.db" classify --jobs 2
	"$AVVIK" -q --config "b$n.conf" run >/dev/null 2>&1 || true
	# nothing new: what a nightly run costs when there is nothing to do
	measure "no-op run" "$n" "$AVVIK" -q --config "b$n.conf" run
	# the same, looking at every file (--rescan, scan = every-file)
	measure "no-op --rescan" "$n" "$AVVIK" -q --config "b$n.conf" run --rescan
	printf '%-10s %-16s %10s\n' "$n" "files" "$(find "c$n" -type f | wc -l)"
done
