#!/bin/sh
# The workspace in a real headless Chromium (tests/web/workspace.mjs,
# playwright-core pinned by tests/web/package-lock.json, installed by
# tools/deps.sh): an adviser of Tromsø logs in, filters, searches, opens
# a record, corrects it, sees the trend report change and logs out.
# Screenshots are kept in build/web-screenshots.
. "$AVVIK_SRC/tests/e2e/lib.sh"
. "$AVVIK_SRC/tests/e2e/serve-lib.sh"
trap 'serve_stop; rm -rf "$T_DIR"' EXIT
web=$AVVIK_SRC/tests/web
if [ ! -d "$web/node_modules/playwright-core" ]; then
	plan 1
	fail "playwright-core is installed (run make deps: it runs npm ci in tests/web)"
	done_testing
fi
serve_db >setup.log 2>&1 || { plan 1; fail "demo database"; cat setup.log | show_lines; done_testing; }
serve_start || { plan 1; fail "server started"; done_testing; }
shots=${AVVIK_SCREENSHOTS:-$AVVIK_SRC/build/web-screenshots}
rm -rf "$shots"
node "$web/workspace.mjs" "$SERVE_URL" adv_tromso pw-adv_tromso-secret "$shots"
rc=$?
serve_stop
exit $rc
