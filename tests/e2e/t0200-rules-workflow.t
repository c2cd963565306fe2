#!/bin/sh
# The rule maintainer's workflow: rules check (each error kind with its
# line), rules test, a committed change in rules log and rules diff, the
# change in reports after classify --all, overrides that survive it, rules
# eval against the overrides, explain and show.
. "$AVVIK_SRC/tests/e2e/lib.sh"
: "${AVVIK_GEN:?}"
plan 42

"$AVVIK_GEN" --out corpus --truth truth.tsv >gen.log
avvik --db d.db init --rules-dir rules >/dev/null
avvik --db d.db ingest --path corpus >/dev/null 2>&1
avvik --db d.db classify >/dev/null
old=$(git -C rules rev-parse HEAD)

exits "rules check on the shipped rules" 0 avvik --db d.db rules check
like "says OK" last.out '^rules OK: [0-9]+ rules'
exits "rules test on the shipped rules" 0 avvik --db d.db rules test
like "every example passes" last.out ' 0 failed'

# ---- rules check: each error kind, with its line ----
check_err() { # DESCRIPTION YAML REGEX
	printf '%s\n' "$2" >rules/rules/zz-bad.yaml
	exits "rules check: $1 exits 2" 2 avvik --db d.db rules check --worktree
	like "rules check: $1 names file:line:col" last.err "$3"
	rm -f rules/rules/zz-bad.yaml
}
check_err "YAML syntax error" 'rules:
  - id: x
    when: { text: [unclosed' 'zz-bad.yaml:[34]:[0-9]+: YAML syntax error'
check_err "unknown key" 'rules:
  - id: x
    category: dialog
    prority: 5
    when: { text: x }' 'zz-bad.yaml:4:5: unknown key .prority.'
check_err "invalid pattern" 'rules:
  - id: x
    category: dialog
    when:
      text: "(unclosed"' 'zz-bad.yaml:5:13: invalid regular expression'
check_err "unknown category" 'rules:
  - id: x
    category: nosuch
    when: { text: x }' 'zz-bad.yaml:3:15: unknown category .nosuch.'
check_err "duplicate id" 'rules:
  - id: epikrise-nevnt
    category: dialog
    when: { text: x }' "zz-bad.yaml:2:9: duplicate rule id 'epikrise-nevnt'"
check_err "priority tie" 'rules:
  - id: tie-a
    category: dialog
    priority: 700
    when: { text: sjokolade }
  - id: tie-b
    category: annet
    priority: 700
    when: { text: kake }
    examples:
      - text: "sjokoladekake"
        expect: dialog' 'zz-bad.yaml:6:5: priority tie'
printf 'rules:\n  - id: a1\n    category: nosuch\n    when: { text: x }\n  - id: a2\n    prority: 1\n    when: { text: x }\n' >rules/rules/zz-two.yaml
exits "rules check reports every error, not just the first" 2 avvik --db d.db rules check --worktree
is "two errors, two lines" "$(grep -c 'zz-two.yaml:' last.err)" 2
rm rules/rules/zz-two.yaml

# ---- a committed change ----
cat >rules/rules/zz-change.yaml <<'YAML'
rules:
  - id: test-forsinket-er-dialog
    title: Test rule that moves late discharge letters to dialog
    category: dialog
    priority: 1000
    when:
      all:
        - text: { stem: epikris }
        - text: 'forsinke\w*|for sent|sen\b'
    examples:
      - text: "Epikrisen kom forsinket."
        expect: dialog
YAML
git -C rules add rules/zz-change.yaml
git -C rules commit -q -m "test: move late epikriser to dialog"
new=$(git -C rules rev-parse HEAD)
exits "rules log" 0 avvik --db d.db rules log
like "rules log names the commit and its subject" last.out "^${new%????????????????????????????} .*"
like "rules log names the added rule id" last.out 'added: +test-forsinket-er-dialog$'
avvik --db d.db rules log --format json >log.json
is "rules log json: one array, the first commit last, with every shipped rule" \
	"$(json log.json 'ref $j eq "ARRAY" && @$j >= 2 && scalar(split /,/, $j->[-1]{added}) > 40 ? "yes" : "no"')" yes

exits "rules diff old new" 0 avvik --db d.db rules diff "$old" "$new"
like "rules diff shows the epikrise -> dialog cell" last.out '^epikrise +dialog +[1-9][0-9]* +[0-9]'
unlike "rules diff moves nothing else" last.out '^(legemidler|pasientopplysninger|henvisning) '
avvik --db d.db rules diff "$old" "$new" --format json >diff.json
moved=$(json diff.json 'my ($c) = grep { $_->{from} eq "epikrise" && $_->{to} eq "dialog" } @{$j->{transitions}}; $c->{count}')
is "rules diff wrote nothing" "$(sql d.db "select count(*) from classification where rules_commit='$new'")" 0

exits "classify --all under the new commit" 0 avvik --db d.db classify --all
is "the moves rules diff predicted happened" \
	"$(sql d.db "select count(*) from classification n join classification o on o.deviation_id = n.deviation_id and o.rules_commit='$old' where n.rules_commit='$new' and o.category='epikrise' and n.category='dialog'")" "$moved"
avvik --db d.db report compare 2023 2024 --format json -o cmp.json
is "reports use the new commit" "$(json cmp.json '$j->{rules_commit}')" "$new"

# ---- overrides ----
id=$(sql d.db "select deviation_id from classification where rules_commit='$new' and category='dialog' order by deviation_id limit 1")
exits "override needs a reason" 2 avvik --db d.db override "$id" --category epikrise
exits "override" 0 avvik --db d.db override "$id" --category epikrise --reason "Gjelder epikrise, ikke dialog" --by kvalitet
exits "a second override supersedes the first" 0 avvik --db d.db override "$id" --category henvisning --direction kommune-unn --reason "Ved nærmere lesning: henvisning"
is "one override in force" "$(sql d.db "select count(*) from override where deviation_id=$id and superseded_at is null")" 1
avvik --db d.db override --list >ov.out
like "override --list shows it" ov.out "^[0-9]+ +$id +henvisning +kommune→unn"
avvik --db d.db classify --all --rev "$old" >/dev/null
avvik --db d.db export --format jsonl >export.jsonl
is "the override survives re-classification and wins in exports" \
	"$(perl -MJSON::PP -ne '$r=decode_json($_); print $r->{category} if $r->{id} == '"$id"'' export.jsonl)" henvisning
exits "rules eval" 0 avvik --db d.db rules eval --rev "$new"
like "rules eval prints precision and recall per category" last.out '^henvisning +1 '

# ---- explain and show ----
exits "explain" 0 avvik --db d.db explain "$id"
like "explain shows how the organisations were resolved" last.out 'resolved by (alias|folded|her|orgnr|fuzzy)'
like "explain shows the winning rule and the commit" last.out '^Rules commit: [0-9a-f]{40}$'
exits "show" 0 avvik --db d.db show "$id"
like "show shows the override in force" last.out '^Override in force'
done_testing
