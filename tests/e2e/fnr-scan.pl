#!/usr/bin/perl
# fnr-scan.pl FILE...: prints every 11-digit number that is a valid
# fødselsnummer (D-/H-numbers, synthetic +40/+65/+80 months and the 2032 K1
# rule included: a plausible date and a valid K2), in the spellings
# ingest_scrub_text knows and a few more: "DDMMYYNNNNN", the date as
# "DDMMYY", "DDMM YY" or "DD.MM.YY", then an optional space, hyphen or
# no-break space (raw or JSON-escaped), then "NNNNN" or "NNN NN".
# Exit 1 when any is found.
use strict;
use warnings;

sub valid {
	my @d = split //, shift;
	my ($day, $mon) = ($d[0] * 10 + $d[1], $d[2] * 10 + $d[3]);
	$day -= 40 if $day > 40;
	$mon -= 80 if $mon > 80;
	$mon -= 65 if $mon > 65;
	$mon -= 40 if $mon > 40;
	return 0 unless $day >= 1 && $day <= 31 && $mon >= 1 && $mon <= 12;
	my @w2 = (5, 4, 3, 2, 7, 6, 5, 4, 3, 2, 1);
	my $s = 0;
	$s += $w2[$_] * $d[$_] for 0 .. 10;
	return $s % 11 == 0;
}

my $sp = qr/(?: |\xC2\xA0|\\u00[aA]0)/;
my $fnr = qr/(?<!\d)
	((?:\d{6} | \d{4}$sp\d{2} | \d{2}\.\d{2}\.\d{2})
	 (?:-|$sp)?
	 (?:\d{5} | \d{3}$sp\d{2}))
	(?!\d)/x;

my $found = 0;
while (my $line = <>) {
	while ($line =~ /$fnr/g) {
		(my $n = $1) =~ s/\\u00[aA]0//g;
		$n =~ s/\D//g;
		if (valid($n)) {
			print "$ARGV:$.: $n\n";
			$found++;
		}
	}
}
exit($found ? 1 : 0);
