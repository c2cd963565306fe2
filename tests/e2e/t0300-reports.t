#!/bin/sh
# report trend, summary and compare on the demo corpus: the numbers the FSU
# reads, every format, the HTML report rendered in headless Chromium, and a
# deviation text with markup shown as text.
. "$AVVIK_SRC/tests/e2e/lib.sh"
: "${AVVIK_GEN:?AVVIK_GEN must name the demo generator}"
plan 55

"$AVVIK_GEN" --out corpus --truth truth.tsv >gen.log
avvik --db d.db init --rules-dir rules >/dev/null
avvik --db d.db ingest --path corpus >/dev/null 2>&1
exits "classify" 0 avvik --db d.db classify

# ---- summary: the headline and the four recurring categories ----
exits "report summary 2024" 0 avvik --db d.db report summary --period 2024 -o summary.txt
tr '\n' ' ' <summary.txt | tr -s ' ' >summary.flat
like "headline: 351 in 2024 against 424 in 2023" summary.flat '351 samhandlingsavvik i 2024 mot 424 i 2023: −73 \(−17,2 %\)'
like "headline: the exact Poisson test" summary.flat 'Rateforhold 2024/2023: 0,828 \(95 % KI 0,717–0,956\), p = 0,0097'
like "over-dispersion caveat" summary.flat 'Tellingene er overspredt'
for c in Epikrise 'Legemidler og legemiddelliste' 'Pasientopplysninger og nødvendig informasjon' 'Dialog og kommunikasjon'; do
	like "recurring category: $c" summary.txt "^  $c +[3-8]  20[0-9]{2}-Q[1-4]–20[0-9]{2}-Q[1-4] "
done
like "data counts with the rules commit" summary.flat "Regelsett: commit $(git -C rules rev-parse HEAD)"
exits "summary as json" 0 avvik --db d.db report summary --period 2024 --format json -o summary.json
is "json: the four recurring categories lead the list" \
	"$(json summary.json 'join ",", sort map { $_->{category} } @{$j->{recurring_categories}}[0..3]')" \
	"dialog,epikrise,legemidler,pasientopplysninger"
is "json: period counts" "$(json summary.json '"$j->{vs}{count} $j->{period}{count}"')" "424 351"
is "json: rate ratio" "$(json summary.json 'sprintf "%.3f", $j->{headline}{rate_ratio}')" 0.828
is "json: reporter share test" "$(json summary.json 'sprintf "%.4f", $j->{reporter_share}{fisher_p}')" 1.0000
is "json: 24 monthly points" "$(json summary.json 'scalar @{$j->{monthly}{points}}')" 24
is "json: examples are short excerpts" \
	"$(json summary.json 'my @t = map { map { $_->{text} } @{$_->{excerpts}} } @{$j->{examples}}; (@t >= 3 && !grep { length($_) > 210 } @t) ? "yes" : "no"')" yes
is "json: data counts" "$(json summary.json '$j->{data}{deviations}')" 775
exits "summary against another period" 0 avvik --db d.db report summary --period 2024-Q4 --vs 2024-Q3 --format json -o q4.json
is "quarter against quarter" "$(json q4.json '"$j->{vs}{label} $j->{period}{label} $j->{vs}{months}"')" "2024-Q3 2024-Q4 3"
exits "summary for one organisation" 0 avvik --db d.db report summary --period 2024 --org Narvik --format json -o narvik.json
ok "org filter selects fewer" perl -e 'exit !($ARGV[0] > 0 && $ARGV[0] < 351)' "$(json narvik.json '$j->{period}{count}')"
exits "summary in English" 0 avvik --db d.db report summary --period 2024 --lang en
like "English labels" last.out '^Recurring failures'
exits "--period is required" 2 avvik --db d.db report summary

# ---- trend ----
exits "trend as json" 0 avvik --db d.db report trend --format json -o trend.json
is "trend: all data by month" "$(json trend.json 'scalar @{$j->{points}}')" 24
is "trend: a c-chart" "$(json trend.json '$j->{control_chart}{kind}')" c
is "trend: counts add up" "$(json trend.json 'my $s = 0; $s += $_->{count} for @{$j->{points}}; $s')" 775
exits "trend by quarter for one category" 0 avvik --db d.db report trend --by quarter --category epikrise \
	--from 2023-01 --to 2024-12 --format json -o epi.json
is "trend: epikrise by quarter" "$(json epi.json 'my $s = 0; $s += $_->{count} for @{$j->{points}}; scalar(@{$j->{points}}) . " $s"')" "8 149"
exits "trend for one direction" 0 avvik --db d.db report trend --direction kommune-unn --format json -o dir.json
is "trend: kommune→unn" "$(json dir.json 'my $s = 0; $s += $_->{count} for @{$j->{points}}; $s')" 366
exits "unknown category is a usage error" 2 avvik --db d.db report trend --category nosuch
exits "trend as text" 0 avvik --db d.db report trend --from 2024-01 --to 2024-12
like "text trend names the Anhøj limits" last.out 'Lengste løp på samme side av medianen: [0-9]+ \(signal over 7\)'

# ---- compare gains tests per row, the share and the dispersion ----
exits "compare as json" 0 avvik --db d.db report compare 2023 2024 --format json -o cmp.json
is "compare: spine keys kept" "$(json cmp.json 'join ",", map { exists $j->{$_} ? 1 : 0 } qw(periods change rate_ratio ci95 p_value by_direction by_category rules_commit)')" "1,1,1,1,1,1,1,1"
is "compare: a test per category" "$(json cmp.json 'sprintf "%.3f", $j->{by_category}[0]{p_value}')" 0.251
is "compare: the over-dispersion caveat" "$(json cmp.json '$j->{overdispersion}{overdispersed} ? "yes" : "no"')" yes

# ---- csv and markdown ----
exits "csv for Norwegian spreadsheets" 0 avvik --db d.db report summary --period 2024 --format csv --locale nb -o s.csv
is "csv starts with a UTF-8 BOM" "$(head -c 3 s.csv | od -An -tx1 | tr -d ' ')" efbbbf
like "csv: semicolons and decimal commas" s.csv '^Per måned;35,3;29,2'
exits "markdown" 0 avvik --db d.db report summary --period 2024 --format md
like "markdown table" last.out '^\| Epikrise \| 82 \| 67 \|'

# ---- html in headless Chromium ----
exits "html written atomically with -o" 0 avvik --db d.db report summary --period 2024 --format html -o s.html
ok "no temporary file left" sh -c '! ls s.html.tmp-* 2>/dev/null'
chromium_run() {
	timeout 120 chromium --headless --no-sandbox --disable-gpu --disable-background-networking \
		--disable-component-update --disable-sync --no-first-run --user-data-dir="$(mktemp -d "$T_DIR/chr.XXXXXX")" \
		--enable-logging=stderr --v=0 "$@"
}
# png-stats.py FILE: "WIDTH HEIGHT BAR_PIXELS SERIES_PIXELS" of the screenshot
cat >png-stats.py <<'PY'
#!/usr/bin/env python3
"""png-stats.py FILE: prints "WIDTH HEIGHT BAR_PIXELS SERIES_PIXELS" of an
8-bit RGB(A) non-interlaced PNG (what Chromium writes), so a test can check
that the charts were drawn: pixels near the bar colour #5b8db8 and the
series colour #1f4e79 of report/svg.c."""
import struct, sys, zlib

data = open(sys.argv[1], "rb").read()
assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
pos, idat, w = 8, b"", 0
while pos < len(data):
    n, typ = struct.unpack(">I4s", data[pos:pos + 8])
    body = data[pos + 8:pos + 8 + n]
    if typ == b"IHDR":
        w, h, depth, ctype, _, _, interlace = struct.unpack(">IIBBBBB", body)
        assert depth == 8 and ctype in (2, 6) and not interlace, "unsupported PNG"
        bpp = 3 if ctype == 2 else 4
    elif typ == b"IDAT":
        idat += body
    pos += 12 + n
raw = zlib.decompress(idat)
stride = w * bpp
prev = bytearray(stride)
bar = series = 0
near = lambda px, c: all(abs(px[i] - c[i]) <= 24 for i in range(3))
for y in range(h):
    f = raw[y * (stride + 1)]
    line = bytearray(raw[y * (stride + 1) + 1:(y + 1) * (stride + 1)])
    for x in range(stride):
        a = line[x - bpp] if x >= bpp else 0
        b = prev[x]
        c = prev[x - bpp] if x >= bpp else 0
        if f == 1: line[x] = (line[x] + a) & 255
        elif f == 2: line[x] = (line[x] + b) & 255
        elif f == 3: line[x] = (line[x] + (a + b) // 2) & 255
        elif f == 4:
            p = a + b - c
            pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
            line[x] = (line[x] + (a if pa <= pb and pa <= pc else b if pb <= pc else c)) & 255
    for x in range(0, stride, bpp):
        px = line[x:x + 3]
        if near(px, (0x5b, 0x8d, 0xb8)): bar += 1
        elif near(px, (0x1f, 0x4e, 0x79)): series += 1
    prev = line
print(w, h, bar, series)
PY
if command -v chromium >/dev/null 2>&1; then
	chromium_run --window-size=794,4000 --screenshot="$T_DIR/s.png" "file://$T_DIR/s.html" >chr.out 2>chr.err
	stats=$(python3 png-stats.py s.png 2>&1)
	diag "screenshot width height bar-pixels series-pixels: $stats"
	ok "screenshot is a PNG of the window's size" sh -c "[ '$(echo "$stats" | cut -d' ' -f1-2)' = '794 4000' ]"
	ok "the charts drew (bars and the run-chart line have pixels)" \
		perl -e 'my @s = split " ", $ARGV[0]; exit !($s[2] > 2000 && $s[3] > 200)' "$stats"
	unlike "the page logged no console error" chr.err 'CONSOLE|Uncaught|Refused to|net::ERR_'
	chromium_run --dump-dom "file://$T_DIR/s.html" >dom.html 2>dom.err
	is "the DOM has the three charts" "$(grep -o '<svg ' dom.html | wc -l)" 3
else
	for i in 1 2 3 4; do pass "# SKIP chromium not installed"; done
fi
perl -0ne 'my $i = 0; while (/(<svg\b.*?<\/svg>)/sg) { open my $f, ">", "svg" . $i++ . ".svg" or die; print $f $1 }' s.html
ok "every SVG is well-formed XML" sh -c 'ls svg*.svg >/dev/null && xmllint --noout svg*.svg'

# ---- markup in a deviation's text is shown as text ----
mkdir evil
cat >evil/evil.xml <<'XML'
<?xml version="1.0" encoding="UTF-8"?>
<avvik-export xmlns="urn:avvik:export:1" version="1.0" system="Compilo">
  <avvik id="X-1">
    <reported-at>2024-03-02</reported-at>
    <event-date>2024-03-01</event-date>
    <reporter type="kommune"><organisation>Tromsø kommune</organisation></reporter>
    <concerned type="unn"><organisation>UNN Tromsø</organisation></concerned>
    <subject>Epikrise mangler</subject>
    <description>Epikrise mangler. &lt;script&gt;alert(1)&lt;/script&gt; &amp; &lt;b&gt;fet&lt;/b&gt;</description>
  </avvik>
</avvik-export>
XML
avvik --db e.db init --rules-dir rules-e >/dev/null
avvik --db e.db ingest --path evil >/dev/null 2>&1
avvik --db e.db classify >/dev/null
exits "html with a hostile text" 0 avvik --db e.db report summary --period 2024 --format html -o e.html
like "the text is escaped" e.html '&lt;script&gt;alert\(1\)&lt;/script&gt; &amp; &lt;b&gt;fet&lt;/b&gt;'
if command -v chromium >/dev/null 2>&1; then
	chromium_run --dump-dom "file://$T_DIR/e.html" >e.dom 2>e.err
	unlike "no script element in the DOM" e.dom '<script'
else
	pass "# SKIP chromium not installed"
fi
done_testing
