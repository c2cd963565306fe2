#!/bin/sh
# report compare --lang en: English headings, notes, category labels and
# numbers with a decimal point; bokmål stays the default.
. "$AVVIK_SRC/tests/e2e/lib.sh"
: "${AVVIK_GEN:?AVVIK_GEN must name the demo generator}"
plan 13

"$AVVIK_GEN" --out corpus --truth truth.tsv >gen.log
ok "generator wrote a corpus" test -s truth.tsv
exits "init" 0 avvik --db d.db init --rules-dir rules
exits "ingest quarantines the malformed files: exit 1" 1 avvik --db d.db ingest --path corpus
exits "classify" 0 avvik --db d.db classify

exits "text report in English" 0 avvik --db d.db report compare 2023 2024 --lang en
cp last.out en.txt
like "English ratio line with decimal points" en.txt \
	'^Rate ratio 2024/2023: 0\.828 \(95 % CI 0\.717–0\.956\), p = 0\.0097$'
like "English title" en.txt '^Collaboration deviations 2023 against 2024$'
like "English category labels" en.txt '^  Discharge summary +[0-9]+ +[0-9]+ +(−|\+)?[0-9]+ .* [0-9]\.[0-9]{2} +[0-9]\.[0-9]{3}$'
like "English table heading" en.txt '^By category +2023 +2024 +Change +RR +p$'
unlike "no bokmål left in the English text" en.txt 'Rateforhold|Etter kategori|Endring|Epikrise|Merk:|Regelsett|[0-9],[0-9]'

exits "text report without --lang" 0 avvik --db d.db report compare 2023 2024
like "bokmål stays the default" last.out 'Rateforhold 2024/2023: 0,828 \(95 % KI 0,717–0,956\), p = 0,0097'
unlike "no English in the default text" last.out 'Rate ratio|By category|Discharge summary'
done_testing
