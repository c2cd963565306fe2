#!/bin/sh
# E-mail through `ingest --path` and maildir/mbox sources: .eml, mbox and
# Maildir, auto-detected or named with --format; æøå byte for byte in what
# is stored; an XML attachment linked to its mail; re-runs add nothing.
. "$AVVIK_SRC/tests/e2e/lib.sh"
plan 16

F=$AVVIK_SRC/fixtures/email
exits "init" 0 avvik --db d.db init --rules-dir rules
exits "the e-mail fixtures (broken ones stored best-effort)" 0 avvik --db d.db ingest --path "$F"
like "counts: 14 files, 16 deviations, the carrier mail skipped" last.out '^path: 14 files \(0 unchanged\), 16 new, 0 duplicates, 1 skipped, 0 quarantined'
is "subject from RFC 2047 ISO-8859-1 Q, byte for byte" \
	"$(sql d.db "select hex(subject) from deviation where ext_id = '20240305142000.4711@tromso.kommune.no'")" \
	"$(printf 'Avviksmelding: epikrise mangler ved utskrivning fra Medisinsk avdeling æøå' | od -An -tx1 | tr -d ' \n' | tr a-f A-F)"
is "reporter from a Latin-1 quoted-printable form" \
	"$(sql d.db "select reporter_name from deviation where ext_id = '20240305142000.4711@tromso.kommune.no'")" \
	"Hjemmesykepleien sone 2, Tromsø kommune"
is "HTML-only mail: the text" \
	"$(sql d.db "select substr(text, 1, 52) from deviation where ext_id = 'html-only-1@storgata-legekontor.no'")" \
	"Epikrise fra poliklinikken kom først etter tre uker."
is "the XML attachment is a deviation linked to its mail" \
	"$(sql d.db "select count(*) from raw_message c join raw_message p on c.parent_id = p.id where p.origin is null and c.status = 'deviation'")" 1
sql_to d.db 'select text from deviation' texts.out
nowhere "no fødselsnummer stored" 15720255178 texts.out
exits "re-ingest: nothing new" 0 avvik --db d.db ingest --path "$F"
like "all files unchanged" last.out '^path: 14 files \(14 unchanged\), 0 new'

exits "--format mbox on a file named anything" 0 avvik --db m.db init --rules-dir rules2
cp "$F/postmottak.mbox" box.txt
exits "ingest --format mbox" 0 avvik --db m.db ingest --path box.txt --format mbox
like "three messages" last.out '^path: 1 files \(0 unchanged\), 3 new'
cat >avvik.conf <<CONF
[avvik]
db = $T_DIR/m.db
rules_dir = $T_DIR/rules2
[source md]
type = maildir
path = $F/maildir
[source mb]
type = mbox
path = $T_DIR/box.txt
CONF
exits "maildir and mbox sources" 0 avvik --config avvik.conf ingest md mb
like "the Maildir's cur/ and new/ only (tmp/ is a delivery in progress)" last.out '^md: 2 files \(0 unchanged\), 2 new'
exits "an unknown --format is a usage error" 2 avvik --db m.db ingest --path box.txt --format pst
done_testing
