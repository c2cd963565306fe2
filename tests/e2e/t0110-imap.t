#!/bin/sh
# IMAP sources against a real Dovecot on 127.0.0.1 (implicit TLS and
# STARTTLS listeners, a test certificate): incremental fetching by
# UIDVALIDITY/UID, a UIDVALIDITY reset, a server stopped in the middle of a
# run, after-actions, and the faults that must fail one source only.
. "$AVVIK_SRC/tests/e2e/lib.sh"
. "$AVVIK_SRC/tests/e2e/imap-lib.sh"

why=$(imap_skip_reason)
if [ -n "$why" ]; then
	echo "1..0 # SKIP $why"
	exit 0
fi
plan 37

F=$AVVIK_SRC/fixtures/email
ok "dovecot configured" imap_setup
if ! imap_start; then
	fail "dovecot started"
	diag "$(tail -20 "$IMAP_DIR/dovecot.log" "$IMAP_DIR/stdout.log" 2>/dev/null)"
	done_testing
fi
pass "dovecot started on 127.0.0.1:$IMAP_PORT (STARTTLS) and :$IMAPS_PORT (TLS)"

# 8 messages: 7 reports and one carrying a KITH MsgHead (so 8 deviations)
i=0
for f in "$F"/*.eml; do i=$((i + 1)); imap_deliver "$f" "m$i"; done
printf '%s\n' "$IMAP_PASS" >pw
chmod 600 pw
printf 'wrong-%s\n' "$IMAP_PASS" >badpw
chmod 600 badpw
cat >avvik.conf <<CONF
[avvik]
db = $T_DIR/x.db
rules_dir = $T_DIR/rules

[source box]
type = imap
url = imaps://127.0.0.1:$IMAPS_PORT/INBOX
user = $IMAP_USER
password_file = $T_DIR/pw
ca_file = $IMAP_CA

[source starttls]
type = imap
url = imap://127.0.0.1:$IMAP_PORT/INBOX
user = $IMAP_USER
password_env = AVVIK_TEST_IMAP_PASSWORD
ca_file = $IMAP_CA
after = seen

[source wrongpw]
type = imap
url = imaps://127.0.0.1:$IMAPS_PORT/INBOX
user = $IMAP_USER
password_file = $T_DIR/badpw
ca_file = $IMAP_CA

[source untrusted]
type = imap
url = imaps://127.0.0.1:$IMAPS_PORT/INBOX
user = $IMAP_USER
password_file = $T_DIR/pw
timeout = 10

[source files]
type = maildir
path = $F/maildir
CONF
export AVVIK_CONFIG=$T_DIR/avvik.conf
export AVVIK_TEST_IMAP_PASSWORD="$IMAP_PASS"
exits "init" 0 avvik init

devs() { sql x.db 'select count(*) from deviation'; }
exits "first run over implicit TLS" 0 avvik ingest box
is "first run ingests all 8 deviations" "$(sed -n 's/^box: .* \([0-9]*\) new, .*/\1/p' last.out)" 8
is "8 deviations stored" "$(devs)" 8
is "the cursor holds the last UID" "$(sql x.db "select value from source_cursor where source='box' and key='imap:INBOX:uid'")" 8
ok "the XML attachment is linked to its e-mail" test "$(sql x.db 'select count(*) from raw_message where parent_id is not null')" = 1
ok "after = leave: no message was left flagged \\Seen" sh -c "! ls '$IMAP_MAILDIR/cur' | grep -q ':2,.*S'"

exits "second run" 0 avvik ingest box
like "second run ingests nothing" last.out '^box: 0 files \(0 unchanged\), 0 new, 0 duplicates'

cp "$F/cp1252-undeclared.eml" n1.eml
sed -i 's/<cp1252-undeclared@/<new-1@/' n1.eml
cp "$F/latin1-qp-form.eml" n2.eml
sed -i 's/<20240305142000.4711@/<new-2@/' n2.eml
imap_deliver n1.eml n9
imap_deliver n2.eml n10
exits "two new messages delivered" 0 avvik ingest box
like "exactly 2 new" last.out '^box: 2 files \(0 unchanged\), 2 new, 0 duplicates'
is "10 deviations" "$(devs)" 10

# UIDVALIDITY reset: the server forgets its UID list and index
imap_stop
rm -f "$IMAP_MAILDIR"/dovecot-uidlist "$IMAP_MAILDIR"/dovecot.index* "$IMAP_MAILDIR"/dovecot-uidvalidity*
# a new UIDVALIDITY for certain (Dovecot derives one from the clock, which
# may not have moved on since the mailbox was made)
printf '3 V%s N1\n' "$(( $(date +%s) + 100000 ))" >"$IMAP_MAILDIR"/dovecot-uidlist
ok "dovecot restarted after the reset" imap_start
exits "run after a UIDVALIDITY reset" 0 avvik ingest box
like "the change is logged" last.err 'source box: mailbox INBOX: UIDVALIDITY changed from [0-9]+ to [0-9]+'
like "everything is read again and recognised" last.out '^box: 10 files \(0 unchanged\), 0 new, 1[01] duplicates'
is "no duplicates stored" "$(devs)" 10

# The server goes away in the middle of a run (the test hook stops avvik
# before its 3rd fetch; the server is then stopped; avvik continues)
for k in 1 2 3 4 5; do
	sed "s/<cp1252-undeclared@/<stop-$k@/" "$F/cp1252-undeclared.eml" >s$k.eml
	imap_deliver s$k.eml s$k
done
AVVIK_TEST_IMAP_STOP_BEFORE=3 "$AVVIK_BIN" ingest box >stop.out 2>stop.err &
apid=$!
n=0
while ! grep -q '^State:.*T' /proc/$apid/status 2>/dev/null && [ $n -lt 300 ]; do sleep 0.1; n=$((n + 1)); done
ok "avvik paused before its 3rd fetch" grep -q '^State:.*T' /proc/$apid/status
imap_stop
kill -CONT $apid
wait $apid
is "the interrupted run exits 1" "$?" 1
like "and names the source" stop.err 'avvik: error: source box: imaps://127\.0\.0\.1:[0-9]+/INBOX: UID FETCH'
is "what was fetched before is stored" "$(devs)" 12
ok "dovecot restarted" imap_start
exits "the next run completes" 0 avvik ingest box
like "with the 3 that were left" last.out '^box: 3 files \(0 unchanged\), 3 new, 0 duplicates'
is "nothing lost, nothing doubled" "$(devs):$(sql x.db 'select count(distinct ext_id) from deviation')" "15:15"

# STARTTLS on the plain listener, password from the environment, after = seen
exits "STARTTLS source" 0 avvik ingest starttls
like "reads the same mailbox: all known" last.out '^starttls: 15 files \(0 unchanged\), 0 new, 1[56] duplicates'
ok "after = seen flagged the messages" sh -c "[ \$(ls '$IMAP_MAILDIR/cur' | grep -c ':2,.*S') -eq 15 ]"

# Faults fail one source; the others run; exit 1
exits "a wrong password and an untrusted certificate: exit 1" 1 avvik ingest wrongpw untrusted files
like "the wrong password names its source" last.err 'avvik: error: source wrongpw: .*(wrong user or password)'
like "the TLS failure names its source" last.err 'avvik: error: source untrusted: .*TLS'
like "the other source still ran" last.out '^files: 2 files \(0 unchanged\), [0-9]+ new'
chmod 644 pw
exits "a password file others can read is refused" 1 avvik ingest box
like "saying why" last.err "source box: password_file .*/pw: group or others may read it \\(mode 0644\\)"
nowhere "the password appears in no output" "$IMAP_PASS" "$T_DIR"/*.out "$T_DIR"/*.err "$T_DIR"/last.out "$T_DIR"/last.err "$IMAP_DIR/dovecot.log"
done_testing
