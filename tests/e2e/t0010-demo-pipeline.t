#!/bin/sh
# The spine end to end on the generated demo corpus: init -> ingest ->
# classify -> report compare, and what a re-run must not change.
. "$AVVIK_SRC/tests/e2e/lib.sh"
: "${AVVIK_GEN:?AVVIK_GEN must name the demo generator}"
plan 29

"$AVVIK_GEN" --out corpus --truth truth.tsv >gen.log
ok "generator wrote a corpus" test -s truth.tsv
xsd=${AVVIK_SHARED:-$AVVIK_SRC/../shared}/schemas/kith/all.xsd
if [ -f "$xsd" ]; then
	ok "generated MsgHead files are valid KITH messages" \
		sh -c "find corpus/msghead -name '*.xml' | xargs xmllint --noout --schema '$xsd' 2>xmllint.err"
else
	pass "# SKIP $xsd absent: generated MsgHead files not validated"
fi
exits "init" 0 avvik --db d.db init --rules-dir rules
exits "ingest quarantines the malformed files: exit 1" 1 avvik --db d.db ingest --path corpus
cp last.out ingest1.out
cp last.err ingest1.err
like "quarantine reasons name the file" ingest1.err 'corpus/bad/[^:]+(:[0-9]+)?: .*\(quarantined\)'
exits "classify" 0 avvik --db d.db classify
like "classify names the rules commit" last.out 'classified 775 deviations under rules commit [0-9a-f]{12}'

exits "report compare as json" 0 avvik --db d.db report compare 2023 2024 --format json -o cmp.json
is "a report written with -o is private (mode 0600)" "$(stat -c %a cmp.json)" 600
is "2023 count" "$(json cmp.json '$j->{periods}[0]{count}')" 424
is "2024 count" "$(json cmp.json '$j->{periods}[1]{count}')" 351
is "absolute change" "$(json cmp.json '$j->{change}{absolute}')" -73
is "rate ratio 0.828" "$(json cmp.json 'sprintf "%.3f", $j->{rate_ratio}')" 0.828
is "95 % CI 0.717-0.956" "$(json cmp.json 'sprintf "%.3f-%.3f", @{$j->{ci95}}')" 0.717-0.956
is "p = 0.0097" "$(json cmp.json 'sprintf "%.4f", $j->{p_value}')" 0.0097
is "municipalities and GPs reported about twice as many as UNN" \
	"$(json cmp.json 'my $r = $j->{by_reporter}; my $q = ($r->{kommune_fastlege}[0]+$r->{kommune_fastlege}[1]) / ($r->{unn}[0]+$r->{unn}[1]); $q > 1.7 && $q < 2.3 ? "yes" : "no: $q"')" yes
is "the four recurring categories lead" \
	"$(json cmp.json 'join ",", sort map { $_->{category} } @{$j->{by_category}}[0..3]')" \
	"dialog,epikrise,legemidler,pasientopplysninger"
is "rules commit is named" "$(json cmp.json '$j->{rules_commit}')" "$(git -C rules rev-parse HEAD)"

exits "text report" 0 avvik --db d.db report compare 2023 2024
like "text report in Norwegian with the ratio" last.out 'Rateforhold 2024/2023: 0,828 \(95 % KI 0,717–0,956\), p = 0,0097'

# Agreement of the rules with what the generator meant, per deviation.
avvik --db d.db export --format jsonl >export.jsonl
agree=$(perl -MJSON::PP -e '
	my %truth; open my $t, "<:encoding(UTF-8)", "truth.tsv" or die; <$t>;
	while (<$t>) { chomp; my @f = split /\t/; $truth{$f[0]} = [$f[2], $f[5]] unless $f[6]; }
	my ($n, $cat, $dir) = (0, 0, 0);
	open my $e, "<", "export.jsonl" or die;
	while (<$e>) { my $r = decode_json($_); my $w = $truth{$r->{ext_id}} or next; $n++;
		$cat++ if $r->{category} eq $w->[0]; $dir++ if $r->{direction} eq $w->[1]; }
	printf "%d %.3f %.3f\n", $n, $cat / $n, $dir / $n;')
diag "matched, category agreement, direction agreement: $agree"
is "every unique generated deviation was stored" "${agree%% *}" 775
ok "category agreement with the generator >= 90 %" perl -e 'exit !((split " ", $ARGV[0])[1] >= 0.90)' "$agree"
ok "direction agreement with the generator >= 95 %" perl -e 'exit !((split " ", $ARGV[0])[2] >= 0.95)' "$agree"

ok "no valid fødselsnummer in the export" perl "$AVVIK_SRC/tests/e2e/fnr-scan.pl" export.jsonl

exits "re-ingest: nothing new" 0 avvik --db d.db ingest --path corpus
is "deviation count unchanged after re-ingest" "$(sql d.db 'select count(*) from deviation')" 775
cp -R corpus copy
exits "the same messages under other names: nothing new" 0 avvik --db d.db ingest --path copy
like "all seen as duplicates" last.out 'path: [0-9]+ files \(0 unchanged\), 0 new, [1-9][0-9]* duplicates'
is "deviation count unchanged after ingesting the copy" "$(sql d.db 'select count(*) from deviation')" 775
done_testing
