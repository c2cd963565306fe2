#!/bin/sh
# make bench: the workspace on a big database.  Median latency of a
# filtered list page and of a search (curl, sequential), then wrk with 32
# connections on the list page for 15 s while a nightly run writes.
# BENCH_SERVE_SIZE (default 100000; the issue's target is 1000000) sets
# the number of deviations; BENCH_SERVE_REUSE=1 measures the database of
# the last run again.  Prints figures; asserts nothing.
set -eu
AVVIK=$(realpath "$1")
GEN=$(realpath "$2")
N=${BENCH_SERVE_SIZE:-100000}
OUT=${BENCH_DIR:-bench-out}/serve
command -v wrk >/dev/null || { echo "bench_serve: needs wrk (make deps)" >&2; exit 2; }
mkdir -p "$OUT"
cd "$OUT"
export AVVIK_RULES_SEED="${AVVIK_RULES_SEED:-$(dirname "$AVVIK")/rules}"
if [ -n "${BENCH_SERVE_REUSE:-}" ] && [ -f b.db ]; then
	:   # BENCH_SERVE_REUSE=1: the database of the last run, as it is
else
rm -rf ./*
"$GEN" --bench "$N" --out corpus >/dev/null
"$GEN" --bench 2000 --seed 7 --out night >/dev/null
"$AVVIK" -q --db b.db init --rules-dir rules >/dev/null
"$AVVIK" -q --db b.db ingest --jobs 2 --path corpus >/dev/null 2>&1 || true
"$AVVIK" -q --db b.db classify --jobs 2 >/dev/null
printf '%s\n' bench-password-1 | "$AVVIK" -q --db b.db user add bench --role admin >/dev/null
printf '%s\n' bench-password-2 | "$AVVIK" -q --db b.db user add adv --role adviser --org tromso >/dev/null
fi
"$AVVIK" --db b.db serve --listen 127.0.0.1:0 --threads 4 >serve.out 2>serve.err &
pid=$!
trap 'kill $pid 2>/dev/null' EXIT
i=0
while [ $i -lt 100 ] && ! grep -q listening serve.out; do sleep 0.1; i=$((i + 1)); done
url=$(sed -n 's/.*listening on \(http[^ ]*\)$/\1/p' serve.out)
# session NAME PASSWORD: prints the session cookie
session() {
	curl -s -c "$1.jar" -b "$1.jar" -o login.html "$url/login"
	tok=$(sed -n 's/.*name="csrf" value="\([0-9a-f]*\)".*/\1/p' login.html)
	curl -s -c "$1.jar" -b "$1.jar" -o /dev/null --data-urlencode "csrf=$tok" \
		--data-urlencode "user=$1" --data-urlencode "password=$2" "$url/login"
	awk '$6 == "avvik_session" { print "avvik_session=" $7 }' "$1.jar"
}
admin=$(session bench bench-password-1)
adv=$(session adv bench-password-2)
# median NAME COOKIE PATH: 21 sequential requests, the median time in ms
median() {
	for _ in $(seq 21); do
		curl -s -o /dev/null -b "$2" -w '%{time_total}\n' "$url$3"
	done | sort -n | awk -v name="$1" 'NR == 11 { printf "%-44s %8.1f ms\n", name, $1 * 1000 }'
}
echo "workspace on $N deviations ($(du -m b.db | cut -f1) MiB database)"
median "list page, admin, category + quarter" "$admin" "/list?category=epikrise&period=2024-Q3"
median "list page, admin, no filter (count capped)" "$admin" "/list"
median "list page, adviser (scope tromso)" "$adv" "/list?period=2024"
median "search 'epikrise', admin" "$admin" "/search?q=epikrise"
median "search 'epikrise', adviser + quarter" "$adv" "/search?q=epikrise&period=2024-Q3"
median "record page" "$admin" "/record/1"
median "trend report" "$admin" "/report/trend?by=quarter"
# throughput while a nightly run writes
("$AVVIK" -q --db b.db ingest --path night >/dev/null 2>&1; "$AVVIK" -q --db b.db classify >/dev/null 2>&1) &
writer=$!
wrk -t 2 -c 32 -d 15s -H "Cookie: $adv" "$url/list?category=epikrise&period=2024-Q3" >wrk.txt 2>&1 || true
wait $writer || true
echo "wrk, 32 connections, 15 s, adviser's list page while a run writes:"
grep -E 'Requests/sec|Latency|Non-2xx|Socket errors|requests in' wrk.txt | sed 's/^/  /'
