#!/bin/sh
# What an operator meets: exit codes as the README's table, init that
# repairs, config paths relative to the file, duplicates refused, config
# check, log lines that cannot be forged, backup while a run writes.
. "$AVVIK_SRC/tests/e2e/lib.sh"
: "${AVVIK_GEN:?AVVIK_GEN must name the demo generator}"
plan 48

# ---- exit codes: 0 done, 1 partial, 2 usage/config, 3 fatal, 75 locked ----
exits "init: exit 0" 0 avvik --db a.db init --rules-dir rules
exits "classify --rev nosuch: usage, exit 2" 2 avvik --db a.db classify --rev nosuch
like "names the revision" last.err "classify: .*expected a revision naming a commit.*nosuch"
exits "ingest --path /nonexistent: usage, exit 2" 2 avvik --db a.db ingest --path /nonexistent
like "names the path" last.err 'ingest: --path /nonexistent: No such file or directory'
exits "a command without a database: exit 2" 2 avvik --db none.db show 1
like "and says to run init" last.err "none\.db.*(avvik init|No such file|unable to open|does not exist)"
head -c 8192 /dev/urandom >corrupt.db
exits "a corrupt database: fatal, exit 3" 3 avvik --db corrupt.db report compare 2023 2024
exits "run on a corrupt database: exit 3" 3 avvik --db corrupt.db classify
mkdir -p in
printf 'not xml\n' >in/bad.xml
exits "a quarantined file: exit 1" 1 avvik --db a.db ingest --path in
exec 9>a.db.lock
flock -x 9
echo 99999 >&9
exits "the lock held: exit 75" 75 avvik --db a.db ingest --path in
exec 9>&-
exits "an unknown option of a command: exit 2" 2 avvik --db a.db init --bogus
like "worded as every error is" last.err 'avvik: error: init: unknown option --bogus'
exits "a missing option argument: exit 2" 2 avvik --db a.db classify --rev
like "worded the same way" last.err "avvik: error: classify: option --rev needs an argument"

# ---- init repairs what a failed init left, names what it cannot ----
git init -q -b main empty-rules
exits "init on a repository without a commit" 0 avvik --db b.db init --rules-dir empty-rules
like "seeds it and says so" last.out 'empty-rules: rules repository had no commit: seeded from'
is "which now has one commit" "$(git -C empty-rules rev-list --count HEAD)" 1
exits "classify works on it" 0 avvik --db b.db classify
git init -q --bare bare-empty.git
exits "init on a bare repository without a commit" 0 avvik --db c.db init --rules-dir bare-empty.git
is "seeds it too" "$(git -C bare-empty.git rev-list --count HEAD)" 1
mkdir junk && echo mine >junk/notes.txt
exits "init on a directory that is no repository: exit 2" 2 avvik --db d.db init --rules-dir junk
like "names the command that fixes it" last.err "junk: exists and is not a git repository; move it away \('mv .*junk .*junk\.old'\)"
is "and leaves the files alone" "$(cat junk/notes.txt)" mine
git -C empty-rules rm -q categories.yaml && git -C empty-rules commit -qm "break"
exits "init on a repository whose rules do not load: exit 2" 2 avvik --db b.db init --rules-dir empty-rules
like "names how to fix them" last.err "rules at HEAD do not load.*avvik rules check --worktree"

# ---- config: relative paths, duplicates, config check ----
mkdir -p etc work
cat >etc/x.conf <<'CONF'
[avvik]
db = ../var/x.db
key_file = ../var/x.key
[source s]
type = http
url = https://example.invalid/export?since={since}&api_key=SECRETVALUE
token_file = token
CONF
mkdir -p var
exits "config check" 0 sh -c "cd work && '$AVVIK_BIN' --config ../etc/x.conf config check"
like "paths are relative to the config file, not the working directory" last.out "^db = $T_DIR/etc/\.\./var/x\.db"
like "for sources too" last.out "^token_file = $T_DIR/etc/token"
like "what is absent is said" last.out "^key_file = .*absent: run 'avvik init'"
unlike "secrets are masked" last.out 'SECRETVALUE'
like "the url is shown masked" last.out 'api_key=\*\*\*'
printf '[source a]\ntype = dir\npath = x\n\n[source a]\npath = y\n' >dup.conf
exits "a duplicate section: exit 2" 2 avvik --config dup.conf config check
like "names file and line of both" last.err 'dup\.conf:5: \[source a\]: duplicate section \(first at line 1\)'
printf '[avvik]\ndb = a.db\njobs = 2\ndb = b.db\n' >dupkey.conf
exits "a duplicate key: exit 2" 2 avvik --config dupkey.conf config check
like "names file, line and key" last.err 'dupkey\.conf:4: db: duplicate key \(first at line 2\)'

# ---- logs: a newline in a file name cannot forge a line ----
mkdir -p forge
printf 'garbage' >"forge/x
2026-01-01T00:00:00+00:00 avvik: notice: all is well.xml"
exits "a file whose name holds a newline is quarantined" 1 avvik --db a.db ingest --path forge
is "its warning is one line" "$(grep -c 'quarantined' last.err)" 1
unlike "no line starts with the forged text" last.err '^2026-01-01T00:00:00'
like "the newline is shown escaped" last.err 'forge/x\\n2026-01-01T00:00:00'

# ---- rules check: every error, once each, one per line ----
cp -r "$AVVIK_SRC/rules" broken
sed -i '0,/any_text: /s/any_text: .*/any_text: '"'"'(unclosed'"'"'/' broken/rules/dialog.yaml
sed -i '0,/priority: /s/priority: .*/priority: [1/' broken/rules/epikrise.yaml
sed -i '0,/category: /s/category: .*/category: nosuchcat/' broken/rules/faktura.yaml
exits "rules check on three broken files: exit 2" 2 avvik rules check --dir broken
is "shows three errors, one per line" "$(grep -c . last.err)" 3
is "the regex error once, at the start of its line" "$(grep -c '^broken/rules/dialog\.yaml:[0-9]*:[0-9]*: invalid regular expression' last.err)" 1
is "the YAML error at the start of its line" "$(grep -c '^broken/rules/epikrise\.yaml:[0-9]*:[0-9]*: YAML syntax error' last.err)" 1
is "the unknown category" "$(grep -c '^broken/rules/faktura\.yaml:[0-9]*:[0-9]*: unknown category' last.err)" 1

# ---- backup while a run writes ----
"$AVVIK_GEN" --out corpus --truth truth.tsv >gen.log
printf '[avvik]\ndb = r.db\n[source demo]\ntype = dir\npath = corpus\n' >r.conf
avvik --config r.conf init >/dev/null 2>&1
avvik --config r.conf run >run.out 2>run.err &
runpid=$!
n=0 bad=0
while kill -0 $runpid 2>/dev/null && [ $n -lt 50 ]; do
	n=$((n + 1))
	avvik --config r.conf backup "b$n.db" >/dev/null 2>>backup.err || bad=$((bad + 1))
	[ "$(sql "b$n.db" 'PRAGMA integrity_check')" = ok ] || bad=$((bad + 1))
done
wait $runpid
is "backups taken while the run wrote all pass integrity_check" "$bad $(test $n -gt 0 && echo some)" "0 some"
diag "$n backups while the run wrote"
exits "a backup after the run" 0 avvik --config r.conf backup final.db
is "holds every deviation" "$(sql final.db 'SELECT count(*) FROM deviation')" "$(sql r.db 'SELECT count(*) FROM deviation')"
done_testing
