#!/bin/sh
# Delivery by e-mail: [delivery NAME] sections, avvik deliver and avvik run,
# against a real SMTP server on 127.0.0.1 (python3-aiosmtpd) that requires
# STARTTLS (a self-signed certificate, verified through ca_file) and AUTH.
# The received messages are parsed back: recipients, subject, the parts
# (text, html with inline PNG charts, the xlsx), no fødselsnummer, and no
# other organisation's text in a feedback report.  A period is sent once; a
# failure exits 1 and is sent by the next run.
. "$AVVIK_SRC/tests/e2e/lib.sh"
: "${AVVIK_GEN:?AVVIK_GEN must name the demo generator}"
plan 39

PY=/usr/bin/python3
if ! [ -x $PY ] || ! $PY -c 'import aiosmtpd' 2>/dev/null || ! command -v openssl >/dev/null; then
	for i in $(seq 1 39); do pass "# SKIP python3-aiosmtpd or openssl not installed"; done
	exit 0
fi

"$AVVIK_GEN" --out corpus --truth truth.tsv >gen.log
avvik --db d.db init --rules-dir rules >/dev/null
avvik --db d.db ingest --path corpus >/dev/null 2>&1
exits "classify" 0 avvik --db d.db classify

openssl req -x509 -newkey rsa:2048 -nodes -keyout key.pem -out cert.pem -days 2 -subj /CN=localhost \
	-addext "subjectAltName=IP:127.0.0.1,DNS:localhost" >/dev/null 2>&1
mkdir mail
$PY "$AVVIK_SRC/tests/e2e/smtp-server.py" mail cert.pem key.pem avvik 'hemmelig passord' >smtp.log 2>&1 &
SMTP_PID=$!
trap 'kill $SMTP_PID 2>/dev/null; rm -rf "$T_DIR"' EXIT
for i in $(seq 1 100); do [ -s mail/port ] && break; sleep 0.1; done
PORT=$(cat mail/port)
ok "the SMTP server listens" test -n "$PORT"
printf 'hemmelig passord\n' >pw
chmod 600 pw

delivery() {   # NAME REPORT PERIOD then extra lines on stdin
	printf '\n[delivery %s]\nreport = %s\nperiod = %s\nsmtp = smtp://127.0.0.1:%s\nuser = avvik\npassword_file = %s/pw\nca_file = %s/cert.pem\nfrom = Avvik UNN <avvik@unn.example>\n' \
		"$1" "$2" "$3" "$PORT" "$T_DIR" "$T_DIR"
	cat
}
{
	printf '[avvik]\ndb = %s/d.db\n\n[source demo]\ntype = dir\npath = %s/corpus\n' "$T_DIR" "$T_DIR"
	delivery fsu summary 2024-Q4 <<'EOF2'
recipients = fsu@example.org, Leder <leder@example.org>
EOF2
	delivery tilbake feedback 2024-Q4 <<'EOF2'
to.tromso = kvalitet@tromso.example
to.narvik = avvik@narvik.example
EOF2
} >avvik.conf

exits "deliver" 0 avvik --config avvik.conf deliver
like "it says what it sent" last.out '^fsu: 2024-Q4: sent to 2 recipients$'
is "three messages arrived" "$(ls mail/*.eml | wc -l)" 3
# parse.py: every message as one JSON line of what a reader would check
cat >parse.py <<'PY'
import email, email.policy, json, re, sys
for path in sys.argv[1:]:
    raw = open(path, "rb").read()
    m = email.message_from_bytes(raw, policy=email.policy.default)
    rcpt = [l.strip() for l in open(path[:-4] + ".rcpt") if not l.startswith("from ")]
    parts = [p.get_content_type() for p in m.walk()]
    html = m.get_body(("html",)).get_content()
    text = m.get_body(("plain",)).get_content()
    cids = [p["Content-ID"].strip("<>") for p in m.walk() if p.get_content_type() == "image/png"]
    pngs = [p.get_payload(decode=True)[:8] == b"\x89PNG\r\n\x1a\n" for p in m.walk() if p.get_content_type() == "image/png"]
    att = [(p.get_filename(), p.get_payload(decode=True)[:2].decode("latin1")) for p in m.walk() if p.get_filename() and p.get_filename().endswith(".xlsx")]
    decoded = text + html
    print(json.dumps({"file": path, "subject": m["Subject"], "to": m["To"], "rcpt": rcpt, "parts": parts,
        "cids_in_html": all(("cid:" + c) in html for c in cids), "n_png": len(cids), "png_ok": all(pngs),
        "svg_in_html": "<svg" in html, "attachments": att, "text": decoded,
        "fnr": bool(re.search(r"(?<!\d)\d{6}\s?\d{5}(?!\d)", decoded)), "crlf": b"\n" not in raw.replace(b"\r\n", b"")}))
PY
$PY parse.py mail/*.eml >msgs.jsonl
sum() { perl -CS -MJSON::PP -e 'my ($re, $expr) = @ARGV; open my $f, "<", "msgs.jsonl" or die; while (<$f>) { my $j = decode_json($_); next unless $j->{subject} =~ /$re/; print eval($expr) // "undef", "\n" }' "$1" "$2"; }
is "fsu: subject" "$(sum 'oppsummering' '$j->{subject}')" "Samhandlingsavvik 2024-Q4 – oppsummering"
is "fsu: both recipients on the envelope" "$(sum 'oppsummering' 'join ",", sort @{$j->{rcpt}}')" "fsu@example.org,leder@example.org"
like "fsu: and in the To header" "$(sum 'oppsummering' '$j->{to}' >to.txt; echo to.txt)" 'Leder <leder@example.org>'
is "fsu: text and html alternatives, related images, an attachment" \
	"$(sum 'oppsummering' 'join " ", grep { /multipart|text/ } @{$j->{parts}}')" \
	"multipart/mixed multipart/related multipart/alternative text/plain text/html"
is "fsu: the charts are inline PNG images the html refers to" \
	"$(sum 'oppsummering' '($j->{n_png} >= 3 && $j->{png_ok} && $j->{cids_in_html} && !$j->{svg_in_html}) ? "yes" : "no"')" yes
is "fsu: the spreadsheet is attached (a zip)" "$(sum 'oppsummering' 'join ",", map { "$_->[0]:$_->[1]" } @{$j->{attachments}}')" "avvik-fsu-2024-Q4.xlsx:PK"
is "fsu: the body is the one-pager" "$(sum 'oppsummering' '$j->{text} =~ /I 2024-Q4 ble det meldt \d+ samhandlingsavvik/ ? "yes" : "no"')" yes
is "no fødselsnummer in any message" "$(perl -MJSON::PP -ne 'print decode_json($_)->{fnr} ? "fnr\n" : ""' msgs.jsonl | wc -l)" 0
is "lines end in CRLF" "$(perl -MJSON::PP -ne 'print decode_json($_)->{crlf} ? "" : "lf\n"' msgs.jsonl | wc -l)" 0
# the feedback reports: each to its organisation, only its own reports
is "feedback: one to each organisation" \
	"$(sum 'tilbakemelding' 'join ",", @{$j->{rcpt}}' | sort | tr '\n' ' ')" "avvik@narvik.example kvalitet@tromso.example "
avvik --db d.db export --format jsonl --period 2024-Q4 >q4.jsonl
is "feedback to Tromsø: as many as Tromsø reported" \
	"$(sum 'tilbakemelding \(tromso\)' '($j->{text} =~ /Dere meldte (\d+) samhandlingsavvik/)[0]')" \
	"$(perl -MJSON::PP -ne 'my $j = decode_json($_); print "x\n" if $j->{category} ne "faktura" && ($j->{reporter}{org} // "") =~ /^tromso(-|$)/' q4.jsonl | wc -l)"
# no free text at all, and so none of another organisation's
perl -MJSON::PP -ne 'my $j = decode_json($_); my $t = $j->{text} // ""; $t =~ s/\s+/ /g; print substr($t, 0, 60), "\n" if length($t) > 40' q4.jsonl >texts.txt
is "feedback: no deviation's free text in it" \
	"$(perl -MJSON::PP -e 'open my $t, "<", "texts.txt"; my @t = <$t>; chomp @t; open my $f, "<", "msgs.jsonl"; my $n = 0; while (<$f>) { my $j = decode_json($_); next unless $j->{subject} =~ /tilbakemelding/; (my $b = $j->{text}) =~ s/\s+/ /g; $n += grep { index($b, $_) >= 0 } @t } print $n')" 0
perl -MJSON::PP -ne 'my $j = decode_json($_); print "$j->{id}\n" if ($j->{reporter}{org} // "") =~ /^narvik(-|$)/' q4.jsonl | sort >narvik.ids
sum 'tilbakemelding \(narvik\)' 'join "\n", $j->{text} =~ /^\s+(\d+)\s+20\d\d-\d\d-\d\d\s/mg' | sort -u >listed.ids
ok "feedback to Narvik lists Narvik's reports" test -s listed.ids
is "and no other organisation's" "$(comm -23 listed.ids narvik.ids | wc -l)" 0

# ---- once per period ----
exits "deliver again" 0 avvik --config avvik.conf deliver
like "nothing is sent twice" last.out '^fsu: 2024-Q4: already sent$'
is "no new message" "$(ls mail/*.eml | wc -l)" 3
is "recorded in the database" "$(sql d.db "SELECT group_concat(target || ':' || status, ' ') FROM (SELECT * FROM delivery ORDER BY target)")" ":sent narvik:sent tromso:sent"

# ---- a failing server: exit 1, retried by the next run ----
delivery q3 summary 2024-Q3 >>avvik.conf <<'EOF2'
recipients = fsu@example.org
EOF2
touch mail/fail
exits "a failing delivery exits 1" 1 avvik --config avvik.conf deliver q3
like "and says why" last.err "delivery q3: 2024-Q3: .*the server replied 554"
is "recorded as failed" "$(sql d.db "SELECT status || ' ' || attempts FROM delivery WHERE name = 'q3'")" "failed 1"
rm mail/fail
exits "avvik run delivers what is due, the failed one too" 0 avvik --config avvik.conf run
like "run: q3 sent" last.out '^q3: 2024-Q3: sent to 1 recipient$'
is "recorded as sent on the second try" "$(sql d.db "SELECT status || ' ' || attempts FROM delivery WHERE name = 'q3'")" "sent 2"
is "one message more" "$(ls mail/*.eml | wc -l)" 4
exits "run again" 0 avvik --config avvik.conf run
unlike "run sends nothing twice" last.out 'sent to'
is "still four messages" "$(ls mail/*.eml | wc -l)" 4

# ---- configuration ----
chmod 644 pw
delivery q2 summary 2024-Q2 >>avvik.conf <<'EOF2'
recipients = fsu@example.org
EOF2
exits "a password file others can read is refused" 1 avvik --config avvik.conf deliver q2
like "naming the file" last.err "pw"
unlike "the password is never printed" last.err 'hemmelig'
chmod 600 pw
printf '\n[delivery bad]\nreport = summary\nsmtp = smtp://127.0.0.1:%s\nfrom = a@b.example\n' "$PORT" >bad.conf
exits "a delivery without recipients is a config error" 2 avvik --config bad.conf deliver
like "named with file and line" last.err 'bad.conf:2: delivery .bad.: recipients'
printf '\n[delivery bad]\nrecipients = a@b.example\npassword = x\n' >bad2.conf
exits "a password in the config is refused" 2 avvik --config bad2.conf deliver
done_testing
