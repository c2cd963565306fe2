#!/bin/sh
# A rule change is a process change: classification reads the rules from a
# git commit, records the commit, and keeps older commits' results.
. "$AVVIK_SRC/tests/e2e/lib.sh"
: "${AVVIK_GEN:?}"
plan 14

"$AVVIK_GEN" --out corpus --truth truth.tsv >gen.log
avvik --db d.db init --rules-dir rules >/dev/null
avvik --db d.db ingest --path corpus >/dev/null 2>&1
exits "classify under the first commit" 0 avvik --db d.db classify
old=$(git -C rules rev-parse HEAD)
n=$(sql d.db 'select count(*) from deviation')
is "every deviation classified under the first commit" "$(sql d.db "select count(*) from classification where rules_commit='$old'")" "$n"
epi_old=$(sql d.db "select count(*) from classification where rules_commit='$old' and category='epikrise'")

# An edit in the work tree that is not committed changes nothing.
cat >rules/rules/zz-local.yaml <<'YAML'
rules:
  - id: lokal-test
    title: Uncommitted rule
    category: annet
    priority: 1000
    when:
      text: 'e'
YAML
exits "classify --all with an uncommitted edit" 0 avvik --db d.db classify --all
is "still the committed rules" "$(sql d.db 'select rules_commit from classify_run order by id desc limit 1')" "$old"
is "uncommitted rule never matched" "$(sql d.db "select count(*) from classification where category='annet' and matches like '%lokal-test%'")" 0
rm rules/rules/zz-local.yaml

# A committed change: every epikrise text that mentions "forsinket" becomes dialog.
cat >rules/rules/zz-change.yaml <<'YAML'
rules:
  - id: test-forsinket-er-dialog
    title: Test rule that moves late discharge letters to dialog
    category: dialog
    priority: 1000
    when:
      all:
        - text: '\bepikris\w*'
        - text: 'forsinke\w*|for sent|sen\b'
    examples:
      - text: "Epikrisen kom forsinket."
        expect: dialog
YAML
git -C rules add rules/zz-change.yaml
git -C rules commit -q -m "test: move late epikriser to dialog"
new=$(git -C rules rev-parse HEAD)
exits "classify --all under the new commit" 0 avvik --db d.db classify --all
like "names the new commit" last.out "under rules commit ${new%????????????????????????????}"
is "the new commit is recorded" "$(sql d.db 'select rules_commit from classify_run order by id desc limit 1')" "$new"
is "every deviation classified under the new commit" "$(sql d.db "select count(*) from classification where rules_commit='$new'")" "$n"
is "the old commit's results remain" "$(sql d.db "select count(*) from classification where rules_commit='$old'")" "$n"
epi_new=$(sql d.db "select count(*) from classification where rules_commit='$new' and category='epikrise'")
ok "the change moved some epikrise to dialog ($epi_old -> $epi_new)" test "$epi_new" -lt "$epi_old"
moved=$(sql d.db "select count(*) from classification n join classification o on o.deviation_id = n.deviation_id and o.rules_commit='$old' where n.rules_commit='$new' and o.category='epikrise' and n.category='dialog'")
is "exactly the moved ones differ" "$moved" "$((epi_old - epi_new))"
avvik --db d.db report compare 2023 2024 --format json -o cmp.json
is "reports use the new commit" "$(json cmp.json '$j->{rules_commit}')" "$new"
exits "classify with --rev of the old commit" 0 avvik --db d.db classify --rev "$old"
done_testing
