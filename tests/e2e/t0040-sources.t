#!/bin/sh
# Configured sources, `ingest NAME`, `run` and its lock.
. "$AVVIK_SRC/tests/e2e/lib.sh"
plan 12

F=$AVVIK_SRC/fixtures
mkdir -p a b
cp "$F"/avvik-xml/*.xml a/
cp "$F"/msghead/*.xml b/
cat >avvik.conf <<CONF
[avvik]
db = $T_DIR/x.db
rules_dir = $T_DIR/rules

[source exports]
type = dir
path = $T_DIR/a
format = avvik-xml

[source dialog]
type = dir
path = $T_DIR/b
CONF
export AVVIK_CONFIG=$T_DIR/avvik.conf
exits "init from the config" 0 avvik init
ok "the database is where the config says" test -f x.db
exits "an unknown source name: exit 2" 2 avvik ingest nosuch
like "names the source and the config" last.err "no source named 'nosuch' in .*avvik.conf"
avvik ingest dialog >one.out 2>one.err
like "ingest NAME runs that source" one.out '^dialog: '
unlike "and only that one" one.out '^exports: '
avvik run >run.out 2>run.err
like "run ingests the other source" run.out '^exports: [0-9]+ files \(0 unchanged\), [1-9]'
like "run classifies what is new" run.out '^classified [1-9][0-9]* deviations'
exits "--db on the command line overrides the config" 2 avvik --db "$T_DIR/elsewhere.db" classify
like "and is the one opened" last.err 'elsewhere\.db: no database here'
flock x.db.lock sleep 3 &
sleep 1
exits "a second run while one holds the lock exits 75" 75 avvik run
exits "so does an ingest" 75 avvik ingest dialog
wait
done_testing
