#!/bin/sh
# Installs the Debian packages avvik needs, when missing.  Quick when
# everything is there; uses sudo when not run as root.
#   tools/deps.sh         what building and running avvik need (make, make demo)
#   tools/deps.sh --test  that and what the tests need (make check)
# The test servers (dovecot, nginx) are started by the tests themselves on
# free ports; their system services are disabled and stopped again here.
set -e
BUILD_PKGS="build-essential pkg-config git libxml2-dev libsqlite3-dev libgit2-dev libpcre2-dev
libyaml-dev libinih-dev libssl-dev libgmime-3.0-dev libcurl4-openssl-dev libxlsxwriter-dev librsvg2-dev
liblinear-dev libmicrohttpd-dev libsodium-dev"
TEST_PKGS="perl libxml2-utils sqlite3 libcmocka-dev time openssl dovecot-imapd nginx-light
chromium python3 mandoc man-db systemd util-linux
poppler-utils unzip python3-aiosmtpd curl nodejs wrk"
PKGS=$BUILD_PKGS
[ "${1-}" = "--test" ] && PKGS="$BUILD_PKGS $TEST_PKGS"
# npm comes with nodejs when that is NodeSource's; Debian's is a package of its own
[ "${1-}" = "--test" ] && ! command -v npm >/dev/null 2>&1 && PKGS="$PKGS npm"
missing=""
for p in $PKGS; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" ||
		missing="$missing $p"
done
if [ -n "$missing" ]; then
	echo "deps: installing:$missing" >&2
	SUDO=""
	[ "$(id -u)" -eq 0 ] || SUDO="sudo"
	export DEBIAN_FRONTEND=noninteractive
	$SUDO apt-get update -q >&2
	# shellcheck disable=SC2086
	$SUDO apt-get install -y -q --no-install-recommends $missing >&2
	# Debian enables and starts a daemon it installs; the tests want neither.
	for s in dovecot nginx; do
		case "$missing " in
		*" $s"*) if command -v systemctl >/dev/null 2>&1; then
				$SUDO systemctl disable --now "$s.service" >/dev/null 2>&1 || true
			fi ;;
		esac
	done
fi
[ "${1-}" = "--test" ] || exit 0
# the browser test's driver, exactly as tests/web/package-lock.json pins it
web=$(dirname "$0")/../tests/web
if [ ! -f "$web/node_modules/playwright-core/package.json" ] ||
   ! cmp -s "$web/package-lock.json" "$web/node_modules/.avvik-lock" 2>/dev/null; then
	echo "deps: npm ci in tests/web" >&2
	(cd "$web" && npm ci --no-audit --no-fund >&2 && cp package-lock.json node_modules/.avvik-lock)
fi
