#!/bin/sh
# Files that change while they are read (issue 10): an export truncated and
# written again in place, slowly, while nightly runs read it, ends up with
# every record stored exactly once; one record nested too deep is
# quarantined alone, the records after it stored.
. "$AVVIK_SRC/tests/e2e/lib.sh"
plan 9

avvik --db a.db init --rules-dir r >/dev/null
N=20000
perl -e '
	print qq{<avvik-export xmlns="urn:avvik:export:1" version="1.0" system="Gen">\n};
	for my $i (1 .. $ARGV[0]) {
		printf qq{<avvik id="G-%d"><reported-at>2024-01-%02d</reported-at>}
		     . qq{<reporter><organisation>Lødingen kommune</organisation></reporter>}
		     . qq{<concerned><organisation>UNN</organisation></concerned>}
		     . qq{<description>Epikrise mangler, avvik nr %d</description></avvik>\n},
		     $i, 1 + $i % 28, $i;
	}
	print "</avvik-export>\n";' $N >export.xml
mkdir in
cp export.xml in/export.xml

# The writer: three times truncate the file and write the same bytes back
# in small pieces, while runs read it.
perl -MTime::HiRes=sleep -e '
	open my $src, "<", $ARGV[0] or die; local $/; my $all = <$src>;
	for (1 .. 3) {
		open my $f, "+<", $ARGV[1] or die; truncate $f, 0; seek $f, 0, 0;
		for (my $o = 0; $o < length $all; $o += 32768) {
			syswrite $f, substr($all, $o, 32768); sleep 0.004;
		}
		close $f; sleep 0.05;
	}
	open my $done, ">", "writer.done"; close $done;' export.xml in/export.xml &
W=$!
runs=0 changed=0
while [ ! -e writer.done ] && [ $runs -lt 200 ]; do
	avvik --db a.db ingest --path in >run.out 2>run.err
	rc=$?
	runs=$((runs + 1))
	grep -q 'changed while being read' run.err && changed=$((changed + 1)) && [ $rc -ne 1 ] && changed=-1000
done
wait $W
diag "$runs runs during the rewrites, $changed saw the file change"
ok "a run that saw the file change exited 1" [ $changed -ge 0 ]
exits "a run after the writer is done" 0 avvik --db a.db ingest --path in
exits "and one with --rescan" 0 avvik --db a.db ingest --rescan --path in
is "every record is stored" "$(sql a.db 'select count(*) from deviation')" $N
is "none twice" "$(sql a.db 'select count(distinct ext_id) from deviation')" $N
is "nothing in quarantine" "$(sql a.db 'select count(*) from quarantine')" 0

# -- one record nested deeper than libxml2 allows
perl -e '
	print qq{<avvik-export xmlns="urn:avvik:export:1" version="1.0" system="Deep">\n};
	for my $i (1 .. 3) {
		my $d = $i == 2 ? ("<b>" x 300) . ("</b>" x 300) : "";
		print qq{<avvik id="D-$i"><reported-at>2024-03-0$i</reported-at>}
		    . qq{<reporter><organisation>Narvik kommune</organisation></reporter>}
		    . qq{<concerned><organisation>UNN</organisation></concerned>}
		    . qq{<description>Mangler epikrise $d</description></avvik>\n};
	}
	print "</avvik-export>\n";' >deep.xml
exits "an export with one record nested too deep" 1 avvik --db a.db ingest --path deep.xml
is "the others are stored" "$(sql a.db "select group_concat(ext_id) from deviation where ext_id like 'Deep:%' order by ext_id")" "Deep:D-1,Deep:D-3"
like "the record alone is quarantined, with its reason" last.err 'deep.xml:3: record nested deeper than 256 levels'
done_testing
