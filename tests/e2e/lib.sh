# lib.sh - a tiny TAP library for the end-to-end tests (after git's t/ and
# mblaze's t/).  Source it, call plan N, then ok/is/... ; each test runs in
# its own scratch directory, removed at exit.
set -u
: "${AVVIK_BIN:?AVVIK_BIN must name the avvik binary (run through make check)}"
: "${AVVIK_SRC:?AVVIK_SRC must name the source tree}"
T_NUM=0
T_FAILED=0
T_DIR=$(mktemp -d "${TMPDIR:-/tmp}/avvik-t.XXXXXX")
trap 'rm -rf "$T_DIR"' EXIT
cd "$T_DIR"
export GIT_AUTHOR_NAME=test GIT_AUTHOR_EMAIL=test@localhost
export GIT_COMMITTER_NAME=test GIT_COMMITTER_EMAIL=test@localhost
export AVVIK_RULES_SEED="$AVVIK_SRC/rules"
# set but empty: no config file, not even the installed /etc/avvik/avvik.conf
export AVVIK_CONFIG=

avvik() { "$AVVIK_BIN" "$@"; }
plan() { echo "1..$1"; }
pass() { T_NUM=$((T_NUM + 1)); echo "ok $T_NUM - $1"; }
fail() { T_NUM=$((T_NUM + 1)); T_FAILED=$((T_FAILED + 1)); echo "not ok $T_NUM - $1"; }
diag() { printf '%s\n' "$@" | sed 's/^/# /'; }
# ok DESCRIPTION COMMAND...: passes when the command succeeds
ok() {
	d=$1; shift
	if "$@"; then pass "$d"; else fail "$d"; fi
}
# is DESCRIPTION GOT EXPECTED
is() {
	if [ "$2" = "$3" ]; then pass "$1"; else fail "$1"; diag "got:      '$2'" "expected: '$3'"; fi
}
# exits DESCRIPTION CODE COMMAND...: passes when the command exits with CODE
exits() {
	d=$1 want=$2; shift 2
	"$@" >"$T_DIR/last.out" 2>"$T_DIR/last.err"
	got=$?
	if [ "$got" = "$want" ]; then pass "$d"; else
		fail "$d"; diag "exit $got, expected $want"; head -20 "$T_DIR/last.err" | show_lines
	fi
}
# Lines as TAP comments: control characters dropped, always newline-ended,
# so a file without a final newline cannot swallow the next test line.
show_lines() { awk '{ gsub(/[\r\033]/, ""); print "#   " $0 }'; }
# like DESCRIPTION FILE REGEX: passes when the file has a line matching REGEX
like() {
	if grep -Eq -- "$3" "$2"; then pass "$1"; else fail "$1"; diag "no line matches /$3/ in:"; head -20 "$2" | show_lines; fi
}
unlike() {
	if grep -Eq -- "$3" "$2"; then fail "$1"; grep -E -- "$3" "$2" | head -5 | show_lines; else pass "$1"; fi
}
# nowhere DESCRIPTION NEEDLE FILE...: passes when every FILE exists and
# none holds NEEDLE (a missing file fails: `! grep` would pass on it)
nowhere() {
	d=$1 needle=$2; shift 2
	for f in "$@"; do
		if [ ! -r "$f" ]; then fail "$d"; diag "no file $f to look in"; return; fi
	done
	if grep -qF -- "$needle" "$@"; then fail "$d"; grep -lF -- "$needle" "$@" | show_lines; else pass "$d"; fi
}
# sql_to DB QUERY OUT: the query's rows into OUT; no OUT when it fails, so
# that a check reading OUT fails too
sql_to() { rm -f "$3"; sqlite3 -batch -noheader "$1" "$2" >"$3.tmp" && mv "$3.tmp" "$3"; }
done_testing() { [ "$T_FAILED" -eq 0 ]; exit $?; }
# sql DB QUERY: one value
sql() { sqlite3 -batch -noheader "$1" "$2"; }
# json FILE PERL-EXPR: evaluates EXPR with $j the decoded JSON
json() { perl -MJSON::PP -e 'local $/; open my $f, "<", $ARGV[0] or die; my $j = decode_json(<$f>); print eval($ARGV[1]) // "undef", "\n"; die $@ if $@' "$1" "$2"; }
