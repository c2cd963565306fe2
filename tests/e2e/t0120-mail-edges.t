#!/bin/sh
# E-mail that used to be misread (issue 10): messages without a Date header
# dated by their mbox "From " line or the file's time, and told where the
# date came from; .eml files that carry XML read as mail, real XML still
# read as XML; an organisation name in decomposed Unicode (NFD) resolves
# like the composed one (NFC) for e-mail and KITH alike; a message with
# 100,000 MIME parts read within a bound, in bounded memory.
. "$AVVIK_SRC/tests/e2e/lib.sh"
plan 31

# file times are turned into dates in the local zone: pin it
TZ=UTC
export TZ
F=$AVVIK_SRC/fixtures
mkdir in
cp "$F"/email-edges/* in/
touch -d '2024-02-01 12:34:56' in/from-line-dates.mbox
touch -d '2024-02-02 07:08:09' in/no-date.eml
rcv() { sql d.db "select received_at || '|' || coalesce(reported_at, '') from deviation where ext_id = '$1'"; }

avvik --db d.db init --rules-dir rules >/dev/null
exits "mail without Date, mail carrying XML: all stored, nothing quarantined" 0 \
	avvik -v --db d.db ingest --path in
cp last.err ingest.err
like "9 deviations from 4 files" last.out '^path: 4 files \(0 unchanged\), 9 new, 0 duplicates, 0 skipped, 0 quarantined'
is "asctime From line" "$(rcv fromline-1@tromso.kommune.no)" "2024-01-02T10:00:00|"
is "From line with an offset before the year" "$(rcv fromline-2@karlsoy.kommune.no)" "2024-01-03T11:30:00|"
is "Thunderbird's 'From - ' line" "$(rcv fromline-3@storgata-legekontor.no)" "2024-01-04T09:15:30|"
is "From line with a zone name and no seconds" "$(rcv fromline-4@balsfjord.kommune.no)" "2024-01-05T08:05:00|"
is "From line without a date: the mbox file's time" "$(rcv fromline-5@lyngen.kommune.no)" "2024-02-01T12:34:56|"
is "a Date header stays the reported date; the From line is when it arrived" \
	"$(rcv fromline-6@senja.kommune.no)" "2024-01-08T12:00:00|2024-01-07T22:10:00"
is "a single .eml without Date: the file's time" "$(rcv nodate-1@narvik.kommune.no)" "2024-02-02T07:08:09|"
like "-v says the date came from the From line" ingest.err \
	'from-line-dates.mbox: message 1 .*: no Date header; received date 2024-01-02T10:00:00 from the mbox "From " line'
like "-v says the date came from the file's time" ingest.err \
	'no-date.eml: .*: no Date header; received date 2024-02-02T07:08:09 from the file.s modification time'
unlike "no date-less record quarantined" ingest.err 'no date to count it under'

# detection: the header block first, then XML
is "ARC/DKIM-sealed mail with an XML attachment is mail" \
	"$(sql d.db "select channel || '|' || subject from deviation where ext_id = 'arc-xml-1@tromso.kommune.no'")" \
	"email|Avvik: bestilling sendt som XML ble ikke lest"
is "its XML attachment is listed" \
	"$(sql d.db "select attachments from deviation where ext_id = 'arc-xml-1@tromso.kommune.no'" | grep -c bestilling.xml)" 1
is "mail with a 5 KiB Exchange header and XML in its text is mail" \
	"$(sql d.db "select channel from deviation where ext_id = 'exchange-xml-1@karlsoy.kommune.no'")" email
unlike "no e-mail called 'not XML'" ingest.err 'not XML'
mkdir xml
# real XML: a BOM, blank lines and a comment before the root
printf '\357\273\277\n  \n<!-- kopi -->\n' >xml/bom.xml
sed 1d "$F/msghead/dialog11-xhtml.xml" >>xml/bom.xml
cp "$F/avvik-xml/docmap-unn.xml" xml/
exits "real XML files" 0 avvik --db x.db init --rules-dir rules
exits "are still read as XML" 0 avvik --db x.db ingest --path xml
is "the KITH file after a BOM and a comment is a KITH deviation" \
	"$(sql x.db "select count(*) from deviation where channel = 'msghead' and ext_id = '0b8e6d1c-5a43-4f0e-8c7d-2a1b3c4d5e02'")" 1
is "the export is an export, nothing came in as e-mail" \
	"$(sql x.db "select count(*) > 0, sum(channel = 'email') from deviation where channel <> 'msghead'")" "1|0"

# NFD and NFC: one organisation
exits "NFD and NFC names" 0 avvik --db n.db init --rules-dir rules
exits "ingest e-mail and KITH, NFD and NFC" 0 avvik --db n.db ingest --path "$F/nfd"
exits "classify" 0 avvik --db n.db classify
avvik --db n.db export --format jsonl >n.jsonl
perl -MJSON::PP -ne '$j = decode_json($_); print "$j->{ext_id}=", $j->{reporter}{org} // "none", "\n"' \
	n.jsonl | sort | paste -sd, - >orgs.txt
is "all four reporters resolve to Målselv" "$(cat orgs.txt)" \
	"nfc-kith-0001=malselv,nfc-org-1@example.org=malselv,nfd-kith-0001=malselv,nfd-org-1@example.org=malselv"
id=$(sql n.db "select id from deviation where ext_id = 'nfd-org-1@example.org'")
avvik --db n.db show "$id" >show.out
like "show: the NFD e-mail's reporter is malselv" show.out 'reporter org +malselv \(kommune'
is "stored in NFC" "$(sql n.db "select hex(reporter_name) from deviation where ext_id = 'nfd-kith-0001'")" \
	"$(printf 'M\303\245lselv kommune' | od -An -tx1 | tr -d ' \n' | tr a-f A-F)"

# 100,000 sibling MIME parts in 3.7 MB
perl -e 'print "From: avvik\@tromso.kommune.no\nSubject: Mange deler\nDate: Tue, 2 Jan 2024 10:00:00 +0100\nMessage-ID: <many-parts\@tromso.kommune.no>\nMIME-Version: 1.0\nContent-Type: multipart/mixed; boundary=\"b\"\n\n--b\nContent-Type: text/plain\n\nEpikrisen mangler.\n"; print "--b\nContent-Type: text/plain\nContent-Disposition: attachment; filename=\"d$_.txt\"\n\nx\n" for 1..100000; print "--b--\n"' >many.eml
exits "100,000 parts" 0 avvik --db m.db init --rules-dir rules
if [ -x /usr/bin/time ]; then
	/usr/bin/time -f '%M' -o rss.txt "$AVVIK_BIN" --db m.db ingest --path many.eml >last.out 2>last.err
	echo $? >rc.txt
else
	avvik --db m.db ingest --path many.eml >last.out 2>last.err
	echo $? >rc.txt
fi
is "are read (exit 0)" "$(cat rc.txt)" 0
like "with a warning that the parts are bounded" last.err 'more than 1000 parts'
n=$(sql m.db "select attachments from deviation where ext_id = 'many-parts@tromso.kommune.no'" | grep -o '"name"' | wc -l)
ok "the record keeps the text and at most 1000 parts ($n attachments)" \
	sh -c "test $n -ge 900 && test $n -le 1000 && sqlite3 m.db \"select text from deviation\" | grep -q 'Epikrisen mangler' && sqlite3 m.db \"select text from deviation\" | grep -q 'deler av meldingen er ikke lest'"
# memory is asserted only against the 228 MB this took before, and not
# under sanitizers (their shadow memory is most of the peak)
case "$AVVIK_BIN" in *-san|*-tsan) sanitized=1 ;; *) sanitized=0 ;; esac
if [ -s rss.txt ] && [ "$sanitized" = 0 ]; then
	rss=$(tail -1 rss.txt)
	diag "peak RSS $rss KiB"
	ok "peak memory bounded ($rss KiB < 100 MiB)" test "$rss" -lt 102400
else
	pass "peak memory # skip no /usr/bin/time or a sanitizer build"
fi
done_testing
