#!/bin/sh
# Spreadsheets: --format xlsx for reports and export (libxlsxwriter), read
# back with unzip and xmllint: number, date and boolean cells, a header
# row, column widths, frozen panes.  CSV for Norwegian spreadsheets by
# default (';', decimal comma, BOM), --locale C for the other; CSV and JSON
# exports carry the same columns; formulas in texts are neutralised.
. "$AVVIK_SRC/tests/e2e/lib.sh"
: "${AVVIK_GEN:?AVVIK_GEN must name the demo generator}"
plan 32

"$AVVIK_GEN" --out corpus --truth truth.tsv >gen.log
mkdir evil
cat >evil/evil.xml <<'XML'
<?xml version="1.0" encoding="UTF-8"?>
<avvik-export xmlns="urn:avvik:export:1" version="1.0" system="Compilo">
  <avvik id="X-1">
    <reported-at>2024-03-02</reported-at>
    <event-date>2024-03-01</event-date>
    <reporter type="kommune"><organisation>Tromsø kommune</organisation></reporter>
    <concerned type="unn"><organisation>UNN Tromsø</organisation></concerned>
    <subject>=HYPERLINK("http://evil.example/","klikk")</subject>
    <description>@SUM(1+1) Epikrise mangler.</description>
  </avvik>
</avvik-export>
XML
avvik --db d.db init --rules-dir rules >/dev/null
avvik --db d.db ingest --path corpus >/dev/null 2>&1
exits "classify" 0 avvik --db d.db classify
# the first exported deviation gets an override
first=$(avvik --db d.db export --format jsonl | head -1 | perl -MJSON::PP -ne 'print decode_json($_)->{id}')
avvik --db d.db override "$first" --category epikrise --reason "test" --by tester >/dev/null 2>&1
# a deviation whose subject and text are formulas, in a database of its own
avvik --db e.db init --rules-dir rules-e >/dev/null
avvik --db e.db ingest --path evil >/dev/null 2>&1
avvik --db e.db classify >/dev/null

# xpath FILE-IN-ZIP XLSX EXPR: evaluates EXPR on a part of the workbook
xpath() { unzip -p "$2" "$1" | xmllint --xpath "$3" - 2>/dev/null; }
cell() { printf "//*[local-name()='c'][@r='%s']" "$1"; }

# ---- export as a workbook ----
exits "export --format xlsx" 0 avvik --db d.db export --format xlsx -o e.xlsx
is "the workbook is private" "$(stat -c %a e.xlsx)" 600
ok "a zip with one worksheet" sh -c 'unzip -l e.xlsx | grep -q "xl/worksheets/sheet1.xml"'
S=xl/worksheets/sheet1.xml
is "header row: id first" "$(xpath $S e.xlsx "string($(cell A1))")" id
is "header row: overridden" "$(xpath $S e.xlsx "string($(cell Y1))")" overridden
is "header row is bold (a style)" "$(xpath $S e.xlsx "boolean($(cell A1)/@s)")" true
is "the id is a number cell" "$(xpath $S e.xlsx "concat(count($(cell A2)/@t), ':', $(cell A2)/*[local-name()='v'])")" "0:$first"
# received_at 2023-01-07T08:50:00 is Excel's day 44933 + 8:50
is "received_at is a date-time cell" "$(xpath $S e.xlsx "concat(count($(cell E2)/@t), ':', substring($(cell E2)/*[local-name()='v'], 1, 8))")" "0:44933.36"
is "event_date is a date cell" "$(xpath $S e.xlsx "string($(cell G2)/*[local-name()='v'])")" 44928
s=$(xpath $S e.xlsx "string($(cell G2)/@s)")
fmt=$(unzip -p e.xlsx xl/styles.xml | xmllint --xpath "string((//*[local-name()='cellXfs']/*[local-name()='xf'])[$((s + 1))]/@numFmtId)" -)
is "with a date format" "$(unzip -p e.xlsx xl/styles.xml | xmllint --xpath "string(//*[local-name()='numFmt'][@numFmtId='$fmt']/@formatCode)" -)" yyyy-mm-dd
is "patient_related is a boolean cell" "$(xpath $S e.xlsx "string($(cell V2)/@t)")" b
is "overridden is a boolean cell, true for the override" "$(xpath $S e.xlsx "concat($(cell Y2)/@t, $(cell Y2)/*[local-name()='v'])")" b1
is "frozen panes" "$(xpath $S e.xlsx "string(//*[local-name()='pane']/@state)")" frozen
ok "column widths" sh -c "[ \$(unzip -p e.xlsx $S | xmllint --xpath \"count(//*[local-name()='col'][@customWidth='1'])\" -) -ge 20 ]"
n=$(avvik --db d.db export --format jsonl | wc -l)
is "one row per deviation, and the header" "$(xpath $S e.xlsx "count(//*[local-name()='row'])")" $((n + 1))

# ---- a report as a workbook ----
exits "summary --format xlsx" 0 avvik --db d.db report summary --period 2024 --format xlsx -o s.xlsx
sheet=$(unzip -p s.xlsx xl/workbook.xml | xmllint --xpath "count(//*[local-name()='sheet'][@name='Etter kategori']/preceding-sibling::*)" -)
K=xl/worksheets/sheet$((sheet + 1)).xml
is "the category sheet: a 2024 count is a number" "$(xpath $K s.xlsx "concat(count($(cell C2)/@t), ':', $(cell C2)/*[local-name()='v'])")" "0:67"
is "the share is a fraction with a percent format" "$(xpath $K s.xlsx "substring($(cell D2)/*[local-name()='v'], 1, 6)")" 0.1908
is "the report sheets freeze their header" "$(xpath $K s.xlsx "string(//*[local-name()='pane']/@state)")" frozen
exits "trend --format xlsx" 0 avvik --db d.db report trend --format xlsx -o t.xlsx
is "trend: months are date cells" "$(xpath xl/worksheets/sheet2.xml t.xlsx "concat(count($(cell A2)/@t), ':', $(cell A2)/*[local-name()='v'])")" "0:44927"

# ---- CSV ----
exits "export --format csv" 0 avvik --db d.db export --format csv -o e.csv
is "csv: a UTF-8 BOM by default" "$(head -c 3 e.csv | od -An -tx1 | tr -d ' ')" efbbbf
like "csv: semicolons, booleans as booleans" e.csv "^$first;.*;(true|false);[^;]*;epikrise;true;"
exits "export --format csv --locale C" 0 avvik --db d.db export --format csv --locale C -o c.csv
is "--locale C: no BOM, commas" "$(head -c 3 c.csv)" "id,"
avvik --db d.db export --format jsonl -o e.jsonl
is "csv and json carry the same columns" \
	"$(perl -MJSON::PP -ne 'my $j = JSON::PP->new->decode($_); my @k; for my $f (qw(id ext_id source channel received_at reported_at event_date reporter concerned subject text source_category severity patient_related patient_key category overridden tags direction rules_commit)) { die "missing $f" unless exists $j->{$f}; if (ref $j->{$f} eq "HASH") { push @k, map { "${f}_$_" } qw(org name unit type resolved) } else { push @k, $f } } print join(";", @k), "\n"; last' e.jsonl)" \
	"$(head -1 e.csv | sed 's/^\xef\xbb\xbf//' | tr -d '\r')"
avvik --db e.db export --format csv -o evil.csv
like "a formula in a subject is neutralised" evil.csv ";\"'=HYPERLINK\(\"\"http://evil.example/\"\",\"\"klikk\"\"\)\";"
like "so is one in the text" evil.csv ";'@SUM\(1\+1\) Epikrise mangler\.;"
exits "report csv by default for Norwegian spreadsheets" 0 avvik --db d.db report summary --period 2024 --format csv -o r.csv
like "report csv: semicolons and decimal commas" r.csv '^Per måned;35,3;29,'
done_testing
