# imap-lib.sh - a real Dovecot for the IMAP end-to-end tests, started by the
# test on 127.0.0.1 with its own configuration, certificate, users and
# Maildir under the test's scratch directory.  Source after lib.sh.
#
#   imap_setup          writes cert, config, passwd; sets IMAP_PORT (plain,
#                       STARTTLS) and IMAPS_PORT (implicit TLS), IMAP_CA,
#                       IMAP_MAILDIR (the user's Maildir), IMAP_USER, IMAP_PASS
#   imap_start / imap_stop
#   imap_deliver FILE   puts a message into the Maildir's new/, as a local
#                       delivery agent would
#   imap_skip_reason    why Dovecot cannot run here ("" when it can)
IMAP_DIR=$T_DIR/dovecot
IMAP_USER=avvik
IMAP_PASS='s3cret-Passord'
IMAP_PID=

imap_skip_reason() {
	command -v dovecot >/dev/null 2>&1 || { echo "dovecot is not installed (tools/deps.sh installs dovecot-imapd)"; return; }
	command -v openssl >/dev/null 2>&1 || { echo "openssl is not installed"; return; }
	id nobody >/dev/null 2>&1 || { echo "no user 'nobody' to own the test mailbox"; return; }
	echo ""
}

# A free TCP port on 127.0.0.1 (the kernel picks one).
imap_free_port() {
	perl -MIO::Socket::INET -e 'my $s = IO::Socket::INET->new(Listen => 1, LocalAddr => "127.0.0.1", LocalPort => 0) or die; print $s->sockport, "\n"'
}

imap_setup() {
	mkdir -p "$IMAP_DIR/run" "$IMAP_DIR/state" "$IMAP_DIR/mail"
	# Dovecot never serves mail as root: the mailbox belongs to nobody, who
	# must be able to reach it through the scratch directory
	chmod 711 "$T_DIR" "$IMAP_DIR"
	openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj "/CN=127.0.0.1" \
		-addext "subjectAltName=IP:127.0.0.1,DNS:localhost" \
		-keyout "$IMAP_DIR/key.pem" -out "$IMAP_DIR/cert.pem" >"$IMAP_DIR/openssl.log" 2>&1 || return 1
	IMAP_CA=$IMAP_DIR/cert.pem
	IMAP_PORT=$(imap_free_port)
	IMAPS_PORT=$(imap_free_port)
	while [ "$IMAPS_PORT" = "$IMAP_PORT" ]; do IMAPS_PORT=$(imap_free_port); done
	uid=$(id -u nobody) gid=$(id -g nobody)
	printf '%s:{PLAIN}%s:%s:%s::%s/home/%s\n' "$IMAP_USER" "$IMAP_PASS" "$uid" "$gid" "$IMAP_DIR" "$IMAP_USER" >"$IMAP_DIR/passwd"
	chmod 644 "$IMAP_DIR/passwd"
	IMAP_MAILDIR=$IMAP_DIR/mail/$IMAP_USER
	mkdir -p "$IMAP_MAILDIR/cur" "$IMAP_MAILDIR/new" "$IMAP_MAILDIR/tmp" "$IMAP_DIR/home/$IMAP_USER"
	chown -R "$uid:$gid" "$IMAP_DIR/mail" "$IMAP_DIR/home"
	cat >"$IMAP_DIR/dovecot.conf" <<CONF
# written by tests/e2e/imap-lib.sh; nothing outside $IMAP_DIR is used
protocols = imap
listen = 127.0.0.1
base_dir = $IMAP_DIR/run
state_dir = $IMAP_DIR/state
log_path = $IMAP_DIR/dovecot.log
info_log_path = $IMAP_DIR/dovecot.log
ssl = yes
ssl_cert = <$IMAP_DIR/cert.pem
ssl_key = <$IMAP_DIR/key.pem
disable_plaintext_auth = no
auth_mechanisms = plain login
first_valid_uid = 1
mail_location = maildir:$IMAP_DIR/mail/%u
passdb {
  driver = passwd-file
  args = scheme=PLAIN username_format=%u $IMAP_DIR/passwd
}
userdb {
  driver = passwd-file
  args = username_format=%u $IMAP_DIR/passwd
}
service imap-login {
  inet_listener imap {
    address = 127.0.0.1
    port = $IMAP_PORT
  }
  inet_listener imaps {
    address = 127.0.0.1
    port = $IMAPS_PORT
    ssl = yes
  }
}
service anvil {
  chroot =
}
service imap-login {
  chroot =
}
namespace inbox {
  inbox = yes
  mailbox Archive {
    auto = create
  }
}
CONF
}

# Waits (without a deadline that a test asserts on) until the listener
# answers; gives up after about 20 s so a broken setup does not hang.
imap_wait_port() {
	perl -MIO::Socket::INET -e 'for (1..200) { exit 0 if IO::Socket::INET->new(PeerAddr => "127.0.0.1", PeerPort => $ARGV[0]); select undef, undef, undef, 0.1 } exit 1' "$1"
}

imap_start() {
	dovecot -F -c "$IMAP_DIR/dovecot.conf" >>"$IMAP_DIR/stdout.log" 2>&1 &
	IMAP_PID=$!
	imap_wait_port "$IMAP_PORT" && imap_wait_port "$IMAPS_PORT"
}

# Stops the master and every process it started (the imap sessions
# included: a stopped server must not keep serving an open connection).
imap_stop() {
	[ -n "$IMAP_PID" ] || return 0
	kids=$(ps -o pid= --ppid "$IMAP_PID" 2>/dev/null)
	kill "$IMAP_PID" 2>/dev/null
	for k in $kids; do kill -KILL "$k" 2>/dev/null; done
	wait "$IMAP_PID" 2>/dev/null
	for k in $kids; do
		n=0
		while [ -d "/proc/$k" ] && [ $n -lt 100 ]; do sleep 0.1; n=$((n + 1)); done
	done
	IMAP_PID=
}

# imap_deliver FILE [NAME]: a new message in new/, written in tmp/ and
# renamed, as Maildir delivery is done.
imap_deliver() {
	n=${2:-$(basename "$1").$$.$(date +%s%N)}
	cp "$1" "$IMAP_MAILDIR/tmp/$n" && chown nobody "$IMAP_MAILDIR/tmp/$n" &&
		mv "$IMAP_MAILDIR/tmp/$n" "$IMAP_MAILDIR/new/$n.avvik-test"
}

trap 'imap_stop; rm -rf "$T_DIR"' EXIT
