#!/bin/sh
# The command line: version, help, exit codes, config errors, init.
. "$AVVIK_SRC/tests/e2e/lib.sh"
plan 32

exits "--version exits 0" 0 avvik --version
like "--version names the version" last.out '^avvik [0-9]+\.[0-9]+'
exits "help exits 0" 0 avvik help
like "help lists the commands" last.out 'report compare'
exits "help for one command" 0 avvik help ingest
like "help ingest shows its options" last.out '--format auto\|msghead\|avvik-xml'
exits "unknown command is a usage error" 2 avvik frobnicate
exits "no command is a usage error" 2 avvik

cat >bad-key.conf <<'CONF'
[avvik]
db = x.db
colour = blue
CONF
exits "unknown config key: exit 2" 2 avvik --config bad-key.conf help
like "names file, line and key" last.err 'bad-key\.conf:3: colour: unknown key'

printf '[avvik]\nlog_level = loud\n' >bad-level.conf
exits "bad log_level: exit 2" 2 avvik --config bad-level.conf help
like "says what was expected" last.err 'bad-level\.conf:2: log_level: .loud. is not a log level \(expected'

printf '[avvik]\ndb = x.db\n\n[source inbox]\ntype = carrier-pigeon\n' >bad-type.conf
exits "unknown source type: exit 2" 2 avvik --config bad-type.conf help
like "names the line of the type" last.err 'bad-type\.conf:5: type: unknown source type'

printf '[source inbox]\ntype = dir\n' >no-path.conf
exits "dir source without path: exit 2" 2 avvik --config no-path.conf help
like "names the missing key" last.err 'no-path\.conf:1: path: source .inbox. of type dir needs a path'

printf '[source x]\ntype = http\nurl = https://u:secret@example.invalid/export\n' >cred.conf
exits "credentials in a url: exit 2" 2 avvik --config cred.conf help
like "says where they go instead" last.err 'cred\.conf:1: url: .*credentials do not go in the url'
unlike "and does not repeat the secret" last.err 'secret'
printf '[source x]\ntype = http\nurl = https://example.invalid/\nretries = many\n' >retries.conf
exits "a bad retries value: exit 2" 2 avvik --config retries.conf help
like "names line and key" last.err "retries\.conf:4: retries: 'many' is not a number"
printf '[source x]\ntype = dir\npath = /tmp\nsince_param = since\n' >dirhttp.conf
exits "an http key on a dir source: exit 2" 2 avvik --config dirhttp.conf help
like "says which keys are for http" last.err "dirhttp\.conf:1: .*are for http sources"

printf '[source x]\ntype = http\nurl = http://example.invalid/\ntoken_file = /etc/t\n' >plain.conf
exits "credentials over plain http: exit 2" 2 avvik --config plain.conf help
like "says they go over https only" last.err 'plain\.conf:1: url: .*only sent over https'

exits "the shipped example config is valid" 0 avvik --config "$AVVIK_SRC/avvik.conf.example" help

exits "init creates everything" 0 avvik --db a.db init --rules-dir rules
is "database is mode 0600" "$(stat -c %a a.db)" 600
is "pseudonym key is mode 0600" "$(stat -c %a a.db.key)" 600
is "rules repository has one commit" "$(git -C rules rev-list --count HEAD 2>/dev/null)" 1
exits "init again is safe" 0 avvik --db a.db init --rules-dir rules
like "and says what it kept" last.out 'database exists.*kept'
done_testing
