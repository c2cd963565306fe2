#!/bin/sh
# The FSU one-pager and honest statistics: the summary prints (headless
# Chromium) to one A4 page and an appendix page, opens with three plain
# sentences and explains its terms; incomplete periods are marked and not
# tested; overlapping periods and unknown names are usage errors with
# suggestions; the compare page has its chart.
. "$AVVIK_SRC/tests/e2e/lib.sh"
: "${AVVIK_GEN:?AVVIK_GEN must name the demo generator}"
plan 57

"$AVVIK_GEN" --out corpus --truth truth.tsv >gen.log
avvik --db d.db init --rules-dir rules >/dev/null
avvik --db d.db ingest --path corpus >/dev/null 2>&1
exits "classify" 0 avvik --db d.db classify

# ---- the one-pager ----
exits "summary 2024 as html" 0 avvik --db d.db report summary --period 2024 --format html -o s.html
chromium_run() {
	timeout 120 chromium --headless --no-sandbox --disable-gpu --disable-background-networking \
		--disable-component-update --disable-sync --no-first-run --user-data-dir="$(mktemp -d "$T_DIR/chr.XXXXXX")" \
		"$@"
}
if command -v chromium >/dev/null 2>&1 && command -v pdfinfo >/dev/null 2>&1; then
	chromium_run --no-pdf-header-footer --print-to-pdf="$T_DIR/s.pdf" "file://$T_DIR/s.html" >chr.out 2>&1
	pages=$(pdfinfo s.pdf 2>/dev/null | awk '/^Pages:/ { print $2 }')
	is "printed: one A4 page and one appendix page" "$pages" 2
	like "printed on A4" "$(pdfinfo s.pdf >info.txt; echo info.txt)" '^Page size: .*\(A4\)'

	pdftotext -layout -f 1 -l 1 s.pdf p1.txt && pdftotext -layout -f 2 -l 2 s.pdf p2.txt
	tr -s ' \n' ' ' <p1.txt >p1.flat
	tr -s ' \n' ' ' <p2.txt >p2.flat
	like "page 1 opens with what changed" p1.flat 'I 2024 ble det meldt 351 samhandlingsavvik, 73 færre enn i 2023'
	like "page 1 says whether it is more than chance, in words" p1.flat 'trolig mer enn tilfeldig variasjon'
	like "page 1 says what recurs" p1.flat 'går igjen kvartal etter kvartal: Epikrise'
	unlike "no statistics jargon on page 1" p1.flat 'σz|χ²|Laney|p = |KI |commit'
	like "page 1 has the recurring failures" p1.flat 'Gjengangere'
	like "page 2 is the appendix" p2.flat 'Vedlegg: statistikk og datagrunnlag'
	like "appendix: the test" p2.flat 'Rateforhold 2024/2023: 0,828 \(95 % KI 0,717–0,956\), p = 0,0097'
	for term in 'σz \(Laney\)' 'χ²/df' 'Laneys U′' 'Commit' 'p-verdi' 'Rateforhold'; do
		like "appendix explains $term" p2.flat "$term"
	done
	chromium_run --screenshot="$T_DIR/s.png" --window-size=794,1123 --hide-scrollbars "file://$T_DIR/s.html" >/dev/null 2>&1
	ok "a screenshot of the page" test -s s.png
else
	for i in $(seq 1 16); do pass "# SKIP chromium or pdfinfo not installed"; done
fi
# the run chart names its median and its centre line at their ends
perl -0ne 'print $1 if /(<svg\b[^>]*aria-labelledby="fig-run.*?<\/svg>)/s' s.html >run.svg
like "run chart: the median is labelled" run.svg 'class="lbl-median"[^>]*>Median 31,5<'
like "run chart: the centre line is labelled" run.svg 'class="lbl-cl"[^>]*>Snitt 32,3<'
# the Pareto chart keeps long category names whole
perl -0ne 'print $1 if /(<svg\b[^>]*aria-labelledby="fig-pareto.*?<\/svg>)/s' s.html >pareto.svg
is "pareto: labels are not cut" "$(grep -c '…' pareto.svg)" 0
ok "pareto: the longest label is there, on two lines" \
	perl -0ne 'exit !/Pasientopplysninger og <\/tspan><tspan[^>]*>nødvendig informasjon</' pareto.svg
# the bars say what the table says
ok "direction bars show one decimal, as the table" sh -c '! grep -q "8,50 %" s.html && grep -q "8,5 %" s.html'
exits "summary in English as html" 0 avvik --db d.db report summary --period 2024 --format html --lang en -o en.html
perl -0ne 'while (/(<svg\b.*?<\/svg>)/sg) { print $1 }' en.html >en.svg
unlike "English charts: no Norwegian legend words" en.svg '>(Antall|Kumulativ|Senterlinje|Kontrollgrenser|Snitt)'
like "English charts: English legend" en.svg '>Cumulative share'

# ---- incomplete periods ----
exits "summary of 2025 on data ending 2024-12" 0 avvik --db d.db report summary --period 2025 --format json -o y25.json
is "2025 is marked incomplete and not tested" \
	"$(json y25.json '($j->{complete} ? "complete" : "incomplete") . " " . ($j->{headline}{p_value} // "untested") . " " . ($j->{coverage}{period}{data_end_early} ? "ends-early" : "")')" \
	"incomplete untested ends-early"
exits "summary of 2025 as text" 0 avvik --db d.db report summary --period 2025
like "the text says the period is incomplete" last.out '^OBS: 2025 er ufullstendig: dataene slutter 2024-12-31'
unlike "and does not call it significant" last.out 'signifikant|p = |p <'
# a month missing: March 2024 moved into February, so no March at all
cp d.db m.db
sql m.db "UPDATE deviation SET count_date = '2024-02-15' WHERE count_date LIKE '2024-03-%'" >/dev/null
exits "summary with a month missing" 0 avvik --db m.db report summary --period 2024 --format json -o m.json
is "a missing month marks the period incomplete" \
	"$(json m.json '($j->{complete} ? "complete" : "incomplete") . " " . $j->{coverage}{period}{missing_months}')" \
	"incomplete 2024-03 (path)"
exits "compare with a month missing" 0 avvik --db m.db report compare 2023 2024 --format json -o mc.json
is "compare: not tested" "$(json mc.json '($j->{complete} ? "complete" : "incomplete") . " " . ($j->{p_value} // "null")')" "incomplete null"

# ---- usage errors that used to pass without a word ----
exits "overlapping periods in compare" 2 avvik --db d.db report compare 2024 2024-Q4
like "named as overlapping" last.err 'the periods 2024 and 2024-Q4 overlap'
exits "overlapping periods in summary" 2 avvik --db d.db report summary --period 2024 --vs 2024-Q4
exits "an unknown organisation" 2 avvik --db d.db report summary --period 2024 --org "Bogus kommune"
like "named" last.err "unknown organisation 'Bogus kommune'"
exits "a misspelt category" 2 avvik --db d.db report trend --category epikrse
like "the closest known name suggested" last.err "did you mean 'epikrise'"
exits "a misspelt direction" 2 avvik --db d.db report trend --direction kommune-un
like "the closest direction suggested" last.err "did you mean 'kommune-unn'"
exits "--category takes the label" 0 avvik --db d.db report trend --category "Dialog og kommunikasjon" --format json -o dl.json
is "the label selects the category" "$(json dl.json '$j->{filter}{categories}')" dialog

# ---- labels and the compare chart ----
exits "summary of a quarter" 0 avvik --db d.db report summary --period 2024-Q4 --format json -o q4.json
is "the default --vs of a quarter is the quarter before, named so" "$(json q4.json '$j->{vs}{label}')" 2024-Q3
exits "compare as html" 0 avvik --db d.db report compare 2023 2024 --format html -o c.html
is "compare html has its chart" "$(grep -c '<svg ' c.html)" 1

# ---- what a reader notices ----
exits "trend as text" 0 avvik --db d.db report trend --from 2024-01 --to 2024-12
unlike "no empty Signal column when nothing signals" last.out 'Signal'
avvik --db d.db override 5 --category epikrise --reason "gjelder epikrise" --by t >/dev/null
avvik --db d.db override 7 --direction unn-kommune --reason "retning" --by t >/dev/null
avvik --db d.db override --list >ov.txt
is "override --list: the columns align after a direction with an arrow" \
	"$(perl -CSD -ne 'print index($_, $1), "\n" if /(\d{4}-\d\d-\d\dT)/' ov.txt | sort -u | wc -l)" 1
avvik --db d.db rules list >rl.txt
is "rules list: the titles align" \
	"$(perl -CSD -ne 'print index($_, $1), "\n" if /(rules\/\S+:\d+|where)/' rl.txt | sort -u | wc -l)" 1
exits "compare with month ranges" 0 avvik --db d.db report compare 2024-01..2024-06 2024-07..2024-12
is "compare: counts under their month-range headers" \
	"$(perl -CSD -ne 'if (/2024-01\.\.2024-06 2024-07\.\.2024-12/) { $h = index($_, "2024-07..2024-12") + 16 } elsif (defined $h && /^  alle samhandlingsavvik +\d+ +(\d+)/) { print $h == $+[1] ? "aligned" : "off by " . ($h - $+[1]); exit }' last.out)" aligned
ok "the demo doses insulin in units" sh -c '! grep -rqE "(insulin|Lantus)[^.]{0,30}[0-9] mg" corpus && grep -rqE "(insulin|Lantus)[^.]{0,30}enheter" corpus'
done_testing
