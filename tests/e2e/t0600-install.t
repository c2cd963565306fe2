#!/bin/sh
# make install into a DESTDIR, then init -> run -> report from the installed
# files alone: the build tree's rules hidden, the installed prefix and
# /etc/avvik seen where the binary expects them (a private mount namespace),
# and no AVVIK_CONFIG or AVVIK_RULES_SEED.  Man pages, completion, units.
. "$AVVIK_SRC/tests/e2e/lib.sh"
: "${AVVIK_GEN:?AVVIK_GEN must name the demo generator}"
plan 31

dest=$T_DIR/dest
# the make that runs this test passes its variables (SANITIZE, PREFIX) down
# in MAKEFLAGS, so this installs the binary under test without rebuilding it
exits "make install DESTDIR" 0 make --no-print-directory -C "$AVVIK_SRC" install DESTDIR="$dest"
bin=$(find "$dest" -path '*/bin/avvik' -type f)
prefix=${bin%/bin/avvik}
prefix=${prefix#"$dest"}
ok "the binary is installed" test -x "$dest$prefix/bin/avvik"
ok "the rules are installed" test -f "$dest$prefix/share/avvik/rules/categories.yaml"
ok "the rule files are installed" test -f "$dest$prefix/share/avvik/rules/rules/retning.yaml"
ok "the schema is installed" test -f "$dest$prefix/share/avvik/schema/avvik-export.xsd"
ok "the sample config is installed" test -f "$dest/etc/avvik/avvik.conf"
ok "the licence is installed" test -f "$dest$prefix/share/doc/avvik/LICENSE"

m1=$dest$prefix/share/man/man1/avvik.1
m5=$dest$prefix/share/man/man5/avvik.conf.5
exits "avvik(1) passes mandoc -T lint" 0 mandoc -T lint -W warning "$m1"
exits "avvik.conf(5) passes mandoc -T lint" 0 mandoc -T lint -W warning "$m5"
MANPAGER=cat man -l "$m1" >man1.txt 2>man1.err
like "man -l shows avvik(1) with its exit codes" man1.txt 'EXIT STATUS'
MANPAGER=cat man -l "$m5" >man5.txt 2>man5.err
like "man -l shows avvik.conf(5) with rules_upstream" man5.txt 'rules_upstream'

comp=$dest$prefix/share/bash-completion/completions/avvik
bash -c '. "$1"; COMP_WORDS=(avvik ru); COMP_CWORD=1; _avvik; echo "${COMPREPLY[*]}"' sh "$comp" >comp.out
is "bash completion completes commands" "$(cat comp.out)" "run rules"

# What the binary reads is where make install put it: bind the DESTDIR's
# prefix over the real one, lay its /etc/avvik over /etc, hide the build
# tree's rules, and give it an empty /var/lib for its state.
if ! unshare -m true 2>/dev/null || ! grep -qw overlay /proc/filesystems; then
	for i in $(seq 13 27); do pass "# SKIP no mount namespace or overlayfs here (run as root)"; done
else
	"$AVVIK_GEN" --out corpus --truth truth.tsv >gen.log
	printf '\n[source demo]\ntype = dir\npath = %s/corpus\n' "$T_DIR" >>"$dest/etc/avvik/avvik.conf"
	cat >inside.sh <<SH
set -e
mount --bind "$dest$prefix" "$prefix"
mount -t overlay overlay -o lowerdir="$dest/etc:/etc" /etc
mount -t tmpfs none "$AVVIK_SRC/rules"
mount -t tmpfs none /var/lib
mkdir -m 0700 /var/lib/avvik
unset AVVIK_CONFIG AVVIK_RULES_SEED
cd /
"\$@"
SH
	inside() { unshare -m sh "$T_DIR/inside.sh" "$@"; }
	exits "installed: init seeds from the installed rules" 0 inside sh -c \
		"$prefix/bin/avvik init >$T_DIR/init.out && $prefix/bin/avvik run >$T_DIR/run.out 2>$T_DIR/run.err; \
		 echo \$? >$T_DIR/run.rc; $prefix/bin/avvik report compare 2023 2024 --format json -o $T_DIR/cmp.json; \
		 $prefix/bin/avvik config check >$T_DIR/config.out; \
		 ls -l /var/lib/avvik >$T_DIR/state.ls; \
		 systemd-analyze verify $prefix/lib/systemd/system/avvik.service \
		   $prefix/lib/systemd/system/avvik.timer $prefix/lib/systemd/system/avvik-serve.service \
		   >$T_DIR/verify.out 2>&1; echo \$? >$T_DIR/verify.rc"
	like "init names the installed seed" init.out "rules repository created from $prefix/share/avvik/rules"
	like "the database is where /etc/avvik/avvik.conf says" init.out '/var/lib/avvik/avvik.db: database created'
	is "run: exit 1 (the corpus has malformed files)" "$(cat run.rc)" 1
	like "run stored the corpus" run.out '^demo: .* 775 new'
	like "run classified under a commit" run.out 'classified 775 deviations under rules commit'
	is "the report from the installed files" "$(json cmp.json '$j->{periods}[1]{count}')" 351
	like "config check read the default config" config.out '^config: /etc/avvik/avvik.conf'
	like "the log has a start line" run.err '^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:]{8}[+-][0-9]{2}:[0-9]{2} avvik: notice: run started'
	like "and an end line with totals" run.err 'notice: run finished: exit 1, .* 775 new, .* [0-9.]+ s$'
	is "systemd-analyze verify accepts the units" "$(cat verify.rc)" 0
	# it warns about unknown keys and bad values but exits 0 for them
	is "and has nothing to say about them" "$(cat verify.out)" ""
	unit=$dest$prefix/lib/systemd/system/avvik.service
	like "the service runs the installed binary" "$unit" "^ExecStart=$prefix/bin/avvik run\$"
	ok "and is hardened" sh -c "grep -q '^ProtectSystem=strict' '$unit' && grep -q '^PrivateTmp=yes' '$unit' &&
		grep -q '^NoNewPrivileges=yes' '$unit' && grep -q '^User=avvik' '$unit' &&
		grep -q '^ReadWritePaths=/var/lib/avvik' '$unit'"
	like "the serve unit runs avvik serve" "$dest$prefix/lib/systemd/system/avvik-serve.service" "^ExecStart=$prefix/bin/avvik serve\$"
fi

exits "make install again keeps the config" 0 make --no-print-directory -C "$AVVIK_SRC" install DESTDIR="$dest"
like "and says so" last.out 'avvik.conf exists, kept'
exits "make uninstall" 0 make --no-print-directory -C "$AVVIK_SRC" uninstall DESTDIR="$dest"
is "removes all but the changed config" "$(cd "$dest" && find . -type f | sort)" "./etc/avvik/avvik.conf"
done_testing
