#!/bin/sh
# Installs the Debian packages avvik's build, tests and demo need, when missing.
# Quick when everything is there; uses sudo when not run as root.
set -e
PKGS="build-essential pkg-config git perl libxml2-dev libxml2-utils libsqlite3-dev sqlite3
libgit2-dev libpcre2-dev libyaml-dev libinih-dev libcmocka-dev libssl-dev time
libgmime-3.0-dev libcurl4-openssl-dev openssl dovecot-imapd nginx-light chromium python3
libmicrohttpd-dev libsodium-dev curl nodejs wrk"
# npm comes with nodejs when that is NodeSource's; Debian's is a package of its own
command -v npm >/dev/null 2>&1 || PKGS="$PKGS npm"
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
fi
# the browser test's driver, exactly as tests/web/package-lock.json pins it
web=$(dirname "$0")/../tests/web
if [ ! -f "$web/node_modules/playwright-core/package.json" ] ||
   ! cmp -s "$web/package-lock.json" "$web/node_modules/.avvik-lock" 2>/dev/null; then
	echo "deps: npm ci in tests/web" >&2
	(cd "$web" && npm ci --no-audit --no-fund >&2 && cp package-lock.json node_modules/.avvik-lock)
fi
