#!/bin/sh
# The statistical model beside the rules, end to end: model train from the
# rules commit (reproducible: the same commit and overrides give the same
# hash), classify --all with it (a category the rules miss is recovered,
# with what decided and the model's probability and hash stored), explain
# with the words that weigh most, the review queue, rules diff without and
# with the model, an override that changes the next model's answer on a
# similar text, a labelled file that does not parse, and model eval.
. "$AVVIK_SRC/tests/e2e/lib.sh"
plan 39

export_xml() { # ID REPORTER TEXT...
	printf '  <avvik id="%s">\n    <reported-at>2024-03-0%s</reported-at>\n' "$1" "${1#M-}"
	printf '    <reporter type="kommune"><organisation>%s</organisation></reporter>\n' "$2"
	printf '    <concerned type="unn"><organisation>UNN Tromsø</organisation></concerned>\n'
	printf '    <description>%s</description>\n  </avvik>\n' "$3"
}
{
	echo '<?xml version="1.0" encoding="UTF-8"?>'
	echo '<avvik-export xmlns="urn:avvik:export:1" version="1.0" system="Testsys">'
	# a discharge in words no rule knows (nynorsk, no "utskriv*")
	export_xml M-1 "Lyngen kommune" "Bebuaren vart send heim kl 23 ein laurdag, og ingen hadde sagt frå til oss på førehand."
	# two reports of one unusual failure, worded differently
	export_xml M-2 "Bardu kommune" "Kjøkkenet serverte vanlig kost til pasient med dysfagi, selv om konsistenstilpasset kost var bestilt."
	export_xml M-3 "Senja kommune" "Pasient med dysfagi fikk vanlig kost fra kjøkkenet, konsistenstilpasset kost stod i planen."
	# one the rules are sure of
	export_xml M-4 "Balsfjord kommune" "Epikrise ikke mottatt tre uker etter utskrivning fra medisinsk avdeling."
	echo '</avvik-export>'
} >exp.xml
avvik --db d.db init --rules-dir rules >/dev/null
avvik --db d.db ingest --path exp.xml >/dev/null
commit=$(git -C rules rev-parse HEAD)
ok "init puts the labelled examples in the rules repository" git -C rules cat-file -e HEAD:training/epikrise.tsv

# ---- rules alone ----
exits "classify without a model" 0 avvik --db d.db classify
is "rules alone: the discharge falls through to annet" "$(sql d.db "SELECT category || ' ' || decided_by FROM classification WHERE deviation_id = 1")" "annet fallback"
is "rules alone: no model recorded" "$(sql d.db "SELECT count(*) FROM classification WHERE model_hash IS NOT NULL")" "0"
exits "review with no model says so" 0 avvik --db d.db review
like "review: nothing to review" last.out '^nothing to review'

# ---- model train: reproducible ----
exits "model train" 0 avvik --db d.db model train
like "model train names the model and the commit" last.out "^model [0-9a-f]{12} trained from rules ${commit%????????????????????????????} *[^ ]*: [0-9]+ labelled examples and 0 overrides"
h1=$(sql d.db "SELECT hash FROM model ORDER BY id DESC LIMIT 1")
exits "model train again" 0 avvik --db d.db model train
is "same commit, same overrides: same model" "$(sql d.db "SELECT count(*) || ' ' || max(hash) FROM model")" "1 $h1"
is "the model is named by the SHA-256 of its bytes" "$(sqlite3 d.db "SELECT writefile('m.bin', body) FROM model" >/dev/null; sha256sum m.bin | cut -c1-64)" "$h1"

# ---- classify with the model ----
exits "classify after a new model warns that the old results stay" 0 avvik --db d.db classify
like "the warning says classify --all" last.err "model changed since the last classify .*classify --all"
exits "classify --all with the model" 0 avvik --db d.db classify --all
is "the model recovers the discharge the rules missed" \
	"$(sql d.db "SELECT category || ' ' || decided_by || ' ' || rules_category FROM classification WHERE deviation_id = 1")" \
	"utskrivning model annet"
is "each classification stores the model's hash" "$(sql d.db "SELECT count(*) FROM classification WHERE model_hash = '$h1'")" "4"
ok "and its probability" test "$(sql d.db "SELECT model_prob > 0.5 AND model_prob <= 1 FROM classification WHERE deviation_id = 1")" = 1
is "a rule that is sure still decides" "$(sql d.db "SELECT category || ' ' || (decided_by <> 'model') FROM classification WHERE deviation_id = 4")" "epikrise 1"
is "the classify run records the model" "$(sql d.db "SELECT model_hash FROM classify_run ORDER BY id DESC LIMIT 1")" "$h1"
exits "show" 0 avvik --db d.db show 1
like "show: decided by model" last.out '^  decided by +model'
exits "explain" 0 avvik --db d.db explain 1
like "explain: the model's choice and probability" last.out '^  category utskrivning, probability 0\.[0-9]+'
like "explain: the words that weigh most" last.out '^ +\+[0-9.]+  word "(heim|send|sagt|fra|ingen)"'

# ---- review queue ----
exits "review" 0 avvik --db d.db review --format json
is "review lists the cases the model decided against the rules first" "$(head -1 last.out | perl -MJSON::PP -ne 'print decode_json($_)->{why}')" "model overrode the rules"
is "the case rules and model agree on with confidence comes last" "$(tail -1 last.out | perl -MJSON::PP -ne 'print decode_json($_)->{id}')" "4"

# ---- rules diff accounts for the model ----
exits "rules diff HEAD HEAD, rules alone against the model" 0 avvik --db d.db rules diff HEAD HEAD --model-a none
like "the model moves the discharge out of annet" last.out '^annet +utskrivning +1 +1$'
exits "rules diff HEAD HEAD with the same model on both sides" 0 avvik --db d.db rules diff HEAD HEAD
like "nothing moves" last.out ': 0 of 4 deviations change category'

# ---- an override teaches the next model ----
before=$(sql d.db "SELECT category FROM classification WHERE deviation_id = 3")
[ "$before" = annet ] && diag "deviation 3 is annet already: the override test shows nothing"
avvik --db d.db override 2 --category annet --reason "kostholdet på avdelingen, ikke utstyr" --by test >/dev/null
exits "model train with the override" 0 avvik --db d.db model train
like "model train counts the override" last.out 'and 1 overrides'
h2=$(sql d.db "SELECT hash FROM model ORDER BY id DESC LIMIT 1")
ok "the override makes another model" test "$h2" != "$h1"
avvik --db d.db classify --all >/dev/null
is "the similar text now gets the adviser's category" "$(sql d.db "SELECT category || ' ' || model_hash FROM classification WHERE deviation_id = 3")" "annet $h2"

# ---- a labelled file that does not parse ----
printf 'category\tdirection\ttext\nepikrise\tsidelengs\tEpi mangler\n' >rules/training/zz.tsv
git -C rules add training/zz.tsv && git -C rules -c user.name=t -c user.email=t@t commit -qm bad
exits "model train on a bad labelled file exits 2" 2 avvik --db d.db model train
like "and names file, line and field" last.err 'training/zz.tsv:2: direction: expected .*sidelengs'

# ---- model eval ----
exits "model eval on the shipped examples" 0 avvik --db d.db model eval --rev "$commit" --folds 5
like "model eval reports the three" last.out '^model alone: category [0-9.]+ %, direction [0-9.]+ %'
done_testing
