#!/bin/sh
# make bench: ingest + classify throughput and peak memory on generated
# corpora of 10,000 and 100,000 deviations (XML files), so that memory growth
# with corpus size is visible.  Prints figures; asserts nothing.
set -eu
AVVIK=$(realpath "$1")
GEN=$(realpath "$2")
OUT=${BENCH_DIR:-bench-out}
command -v /usr/bin/time >/dev/null || { echo "bench: needs /usr/bin/time (apt-get install time)" >&2; exit 2; }
rm -rf "$OUT"
mkdir -p "$OUT"
cd "$OUT"
export AVVIK_RULES_SEED="${AVVIK_RULES_SEED:-$(dirname "$AVVIK")/rules}"
printf '%-10s %-9s %10s %12s %12s\n' corpus step seconds "msgs/s" "peak RSS MiB"
for n in ${BENCH_SIZES:-10000 100000}; do
	"$GEN" --bench "$n" --out "c$n" >/dev/null
	"$AVVIK" --db "b$n.db" init --rules-dir "r$n" >/dev/null
	for step in ingest classify; do
		if [ "$step" = ingest ]; then set -- ingest --path "c$n"; else set -- classify; fi
		/usr/bin/time -f '%e %M' -o time.txt "$AVVIK" -q --db "b$n.db" "$@" >/dev/null 2>&1 || true
		read -r secs kb <time.txt
		awk -v n="$n" -v st="$step" -v s="$secs" -v kb="$kb" 'BEGIN {
			printf "%-10s %-9s %10.2f %12.0f %12.1f\n", n, st, s, (s > 0 ? n / s : 0), kb / 1024 }'
	done
done
