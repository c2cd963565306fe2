#!/bin/sh
# bench_targets.sh AVVIK: issue 12's targets, each avvik figure beside a
# reference tool measured in the same run, printed as ONE table on stdout
# (progress on stderr).  Asserts nothing.
#
#   Maildir of form e-mails: avvik `run` (ingest + classify) against `cat` of
#     every file (the floor) and `notmuch new`; ratio = reference s / avvik s.
#   One avvik export XML: avvik `run` against `xmllint --stream --noout` and
#     `cat`; peak RSS (/usr/bin/time) and peak WAL (the -wal file's size,
#     sampled every 0.1 s).
#   On the export's database: report compare/trend/summary, bytes per stored
#     deviation (file size after a WAL checkpoint) and a no-op nightly run.
#
# Sizes: BENCH_SIZES words `maildir=N` and `export=N` (several export= words
# give several rows; bare numbers are bench.sh's and ignored here).  Default
# maildir=20000 export=100000.  Issue 12's 1M case:
#   BENCH_SIZES="export=1000000" sh tests/bench/bench_targets.sh ./avvik
# BENCH_JOBS (default 2) is avvik's `jobs`; BENCH_DIR the work directory;
# BENCH_REPORT_TIMEOUT (seconds, default none) stops a report that takes
# longer, shown as "> N s".
# cat and xmllint are timed best of three (they are short and the machine is
# shared); avvik and notmuch once.  The page cache is warm for every tool.
set -eu
AVVIK=$(realpath "$1")
HERE=$(cd "$(dirname "$0")" && pwd)
OUT=${BENCH_DIR:-bench-out}/targets
JOBS=${BENCH_JOBS:-2}
MAILDIR_N=20000
EXPORT_NS=""
for w in ${BENCH_SIZES:-}; do
	case $w in
	maildir=*) MAILDIR_N=${w#maildir=} ;;
	export=*) EXPORT_NS="$EXPORT_NS ${w#export=}" ;;
	esac
done
EXPORT_NS=${EXPORT_NS:-100000}

# The reference tools are the bench's own business, not tools/deps.sh's.
missing=""
command -v notmuch >/dev/null || missing="$missing notmuch"
command -v xmllint >/dev/null || missing="$missing libxml2-utils"
[ -x /usr/bin/time ] || missing="$missing time"
command -v sqlite3 >/dev/null || missing="$missing sqlite3"
if [ -n "$missing" ]; then
	echo "bench: installing:$missing" >&2
	SUDO=""
	[ "$(id -u)" -eq 0 ] || SUDO="sudo"
	export DEBIAN_FRONTEND=noninteractive
	$SUDO apt-get update -q >&2
	# shellcheck disable=SC2086
	$SUDO apt-get install -y -q --no-install-recommends $missing >&2
fi

rm -rf "$OUT"
mkdir -p "$OUT"
cd "$OUT"
OUT=$(pwd)
export AVVIK_RULES_SEED="${AVVIK_RULES_SEED:-$(dirname "$AVVIK")/rules}"
ROWS=$OUT/rows.txt
LOAD0=$(cut -d' ' -f1 /proc/loadavg)
LOG=$OUT/log.txt
: >"$ROWS"

now() { date +%s%N; }
secs() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.3f", (b - a) / 1e9 }'; }

# measure [WALFILE] -- CMD...: runs CMD (output to the log); sets T (wall
# seconds), CPU (user + system seconds), RSS (peak KiB) and WAL (peak bytes
# of WALFILE, sampled every 0.1 s).
measure() {
	walf=$1
	shift 2
	echo "== $*" >>"$LOG"
	t0=$(now)
	/usr/bin/time -f '%M %U %S' -o "$OUT/rss.txt" "$@" >>"$LOG" 2>&1 &
	pid=$!
	WAL=0
	if [ -n "$walf" ]; then
		while kill -0 "$pid" 2>/dev/null; do
			s=$(stat -c %s "$walf" 2>/dev/null || echo 0)
			[ "$s" -gt "$WAL" ] && WAL=$s
			sleep 0.1
		done
	fi
	rc=0
	wait "$pid" || rc=$?
	T=$(secs "$t0" "$(now)")
	# the last line: a failed command's report starts with a line of its own
	RSS=$(tail -n 1 "$OUT/rss.txt" | awk '{ printf "%d", $1 }')
	CPU=$(tail -n 1 "$OUT/rss.txt" | awk '{ printf "%.2f", $2 + $3 }')
	[ "$rc" -eq 0 ] || echo "bench: exit $rc from: $* (see $LOG)" >&2
}

# best3 CMD...: T = the shortest of three runs
best3() {
	measure "" -- "$@"
	b=$T
	for _ in 1 2; do
		measure "" -- "$@"
		b=$(awk -v a="$b" -v t="$T" 'BEGIN { print (t < a ? t : a) }')
	done
	T=$b
}

# ratio CASE N AVVIK_S AVVIK_CPU REF REF_S MIN: a row with REF_S/AVVIK_S
# against MIN ("" = none)
ratio() {
	printf 'R\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$1" "$2" "$3" "$4" "$5" "$6" "$7" >>"$ROWS"
}
# value CASE N VALUE UNIT CPU [MAX AT]: a figure (CPU seconds when it is a
# time, else ""), its target MAX when N >= AT
value() {
	printf 'V\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$1" "$2" "$3" "$4" "$5" "${6:-}" "${7:-0}" >>"$ROWS"
}
# bytes per deviation in DB, after the WAL is checkpointed into it
per_dev() {
	sqlite3 "$1" 'PRAGMA wal_checkpoint(TRUNCATE);' >/dev/null
	n=$(sqlite3 "$1" 'SELECT count(*) FROM deviation;')
	awk -v b="$(stat -c %s "$1")" -v n="$n" 'BEGIN { printf "%.0f", n ? b / n : 0 }'
}
mib() { awk -v k="$1" -v d="$2" 'BEGIN { printf "%.1f", k / d }'; }
# settle DIR: delivered an hour ago, as a night's files are, so that `run`
# trusts them; directories just touched are not trusted within a tick
settle() {
	find "$1" -exec touch -d '-1 hour' {} +
	sleep 2
}

# ---- Maildir of form e-mails ----
if [ "$MAILDIR_N" -gt 0 ]; then
	n=$MAILDIR_N
	echo "bench: maildir of $n form e-mails" >&2
	perl "$HERE/gen_corpus.pl" maildir "$OUT/md$n" "$n"
	settle "md$n"
	"$AVVIK" -q --db "md$n.db" init --rules-dir "md$n.rules" >>"$LOG" 2>&1
	printf '[avvik]\ndb = md%s.db\njobs = %s\n[source mail]\ntype = maildir\npath = md%s\n' \
		"$n" "$JOBS" "$n" >"md$n.conf"
	best3 sh -c "find '$OUT/md$n' -type f -exec cat {} + >/dev/null"
	floor=$T
	measure "md$n.db-wal" -- "$AVVIK" --config "md$n.conf" run
	avvik=$T cpu=$CPU rss=$RSS wal=$WAL
	mkdir "nm$n"
	printf '[database]\npath=%s/nm%s\nmail_root=%s/md%s\n[new]\ntags=unread;inbox;\n' \
		"$OUT" "$n" "$OUT" "$n" >"nm$n.conf"
	NOTMUCH_CONFIG=$OUT/nm$n.conf measure "" -- notmuch new
	nm=$T
	ratio "maildir: run (ingest+classify)" "$n" "$avvik" "$cpu" "cat (floor)" "$floor" 0.5
	ratio "" "" "$avvik" "$cpu" "notmuch new" "$nm" 4
	value "maildir: throughput" "$n" "$(awk -v n="$n" -v t="$avvik" 'BEGIN { printf "%.0f", n / t }')" "msg/s" ""
	value "maildir: peak RSS" "$n" "$(mib "$rss" 1024)" MiB ""
	value "maildir: peak WAL" "$n" "$(mib "$wal" 1048576)" MiB ""
	value "maildir: bytes per deviation" "$n" "$(per_dev "md$n.db")" B ""
fi

# ---- one avvik export XML, and what is done with its database ----
for n in $EXPORT_NS; do
	echo "bench: avvik export of $n records" >&2
	mkdir "ex$n"
	perl "$HERE/gen_corpus.pl" export "$OUT/ex$n/export.xml" "$n"
	settle "ex$n"
	"$AVVIK" -q --db "ex$n.db" init --rules-dir "ex$n.rules" >>"$LOG" 2>&1
	printf '[avvik]\ndb = ex%s.db\njobs = %s\n[source export]\ntype = dir\npath = ex%s\nformat = avvik-xml\n' \
		"$n" "$JOBS" "$n" >"ex$n.conf"
	best3 xmllint --stream --noout "ex$n/export.xml"
	xl=$T
	best3 sh -c "cat '$OUT/ex$n/export.xml' >/dev/null"
	floor=$T
	measure "ex$n.db-wal" -- "$AVVIK" --config "ex$n.conf" run
	avvik=$T cpu=$CPU rss=$RSS wal=$WAL
	ratio "export: run (ingest+classify)" "$n" "$avvik" "$cpu" "xmllint --stream --noout" "$xl" 0.25
	ratio "" "" "$avvik" "$cpu" "cat" "$floor" ""
	value "export: throughput" "$n" "$(awk -v n="$n" -v t="$avvik" 'BEGIN { printf "%.0f", n / t }')" "rec/s" ""
	value "export: run time" "$n" "$avvik" s "$cpu" 30 1000000
	value "export: peak RSS" "$n" "$(mib "$rss" 1024)" MiB "" 64 1000000
	value "export: peak WAL" "$n" "$(mib "$wal" 1048576)" MiB "" 64 1000000
	for r in "compare 2023 2024" "trend" "summary --period 2024"; do
		if [ -n "${BENCH_REPORT_TIMEOUT:-}" ]; then
			# shellcheck disable=SC2086
			measure "" -- timeout "$BENCH_REPORT_TIMEOUT" "$AVVIK" --config "ex$n.conf" report $r
			[ "$rc" -ne 124 ] || T=">$BENCH_REPORT_TIMEOUT"
		else
			# shellcheck disable=SC2086
			measure "" -- "$AVVIK" --config "ex$n.conf" report $r
		fi
		value "report $r" "$n" "$T" s "$CPU" 1 1000000
	done
	measure "" -- "$AVVIK" --config "ex$n.conf" run
	value "no-op nightly run" "$n" "$T" s "$CPU" 0.1 1000000
	value "export: bytes per deviation" "$n" "$(per_dev "ex$n.db")" B ""
done

# ---- the table ----
printf '\navvik bench, issue 12 targets (%s; %s cores, load %s at the start, %s at the end; jobs %s)\n' \
	"$(date -u +%Y-%m-%dT%H:%MZ)" "$(nproc)" "$LOAD0" "$(cut -d' ' -f1 /proc/loadavg)" "$JOBS"
printf 'ratio = reference seconds / avvik seconds, wall clock (above 1: avvik is faster);\n'
printf 'cpu = avvik user + system seconds; met: n/a where the target is for 1M\n\n'
awk -F '\t' '
function row(c, n, a, u, r, rs, ra, t, m,   l) {
	l = sprintf("%-30s %8s %12s %8s  %-24s %8s %8s  %-15s %s", c, n, a, u, r, rs, ra, t, m)
	sub(/ +$/, "", l)
	print l
}
BEGIN { row("case", "N", "avvik", "cpu", "reference", "ref", "ratio", "target", "met");
	row("----", "-", "-----", "---", "---------", "---", "-----", "------", "---") }
$1 == "R" {
	ra = $7 / ($4 > 0 ? $4 : 1e-9)
	t = $8 == "" ? "" : "ratio >= " $8
	m = $8 == "" ? "" : (ra >= $8 ? "yes" : "NO")
	row($2, $3, sprintf("%.2f s", $4), $2 == "" ? "" : $5 " s", $6, sprintf("%.2f s", $7),
	    sprintf("%.3g", ra), t, m)
}
$1 == "V" {
	over = substr($4, 1, 1) == ">"   # stopped by BENCH_REPORT_TIMEOUT
	v = over ? "> " substr($4, 2) " s" : ($5 == "s" ? sprintf("%.3f s", $4) : $4 " " $5)
	t = ""; m = ""
	if ($7 != "") {
		t = "< " $7 " " $5 ($8 > 0 ? " at " ($8 >= 1000000 ? $8 / 1000000 "M" : $8) : "")
		m = $3 + 0 < $8 + 0 ? "n/a" : (!over && $4 + 0 < $7 + 0 ? "yes" : "NO")
	}
	row($2, $3, v, $6 == "" ? "" : $6 " s", "", "", "", t, m)
}' "$ROWS"
printf '\nwork files and the log of every command: %s\n' "$OUT"
