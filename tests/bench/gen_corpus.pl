#!/usr/bin/perl
# gen_corpus.pl maildir DIR N | export FILE N
#
# Synthetic input for tests/bench/bench_targets.sh (issue 12), deterministic
# (fixed seed) so that runs compare:
#   maildir: N form e-mails of about 1.1 KB in DIR/new, as a municipality's
#            e-mail form sends them (Meldende enhet / Gjelder enhet / Dato for
#            hendelse / Beskrivelse), every fourth one ISO-8859-1
#            quoted-printable like fixtures/email/latin1-qp-form.eml, the
#            others UTF-8 8bit;
#   export:  one avvik export (schema/avvik-export.xsd) of N records.
# Dates spread over 2023 and 2024 so that the reports have two years of data.
# All names, units and numbers are invented.
use strict;
use utf8;
use warnings;
use Encode qw(encode);
use MIME::QuotedPrint qw(encode_qp);

my ($mode, $out, $n) = @ARGV;
die "usage: gen_corpus.pl maildir DIR N | export FILE N\n"
	unless defined $n && $n =~ /^\d+$/ && ($mode eq 'maildir' || $mode eq 'export');
srand(12);

my @kommune = ('Tromsø', 'Harstad', 'Narvik', 'Balsfjord', 'Bardu', 'Dyrøy', 'Evenes',
	'Gratangen', 'Ibestad', 'Karlsøy', 'Kvæfjord', 'Kvænangen', 'Kåfjord', 'Lavangen',
	'Lyngen', 'Målselv', 'Nordreisa', 'Salangen', 'Senja', 'Skjervøy', 'Sørreisa',
	'Storfjord', 'Tjeldsund', 'Lødingen');
my @kunit = ('Hjemmesykepleien sone 2', 'Hjemmetjenesten', 'Legevakten', 'Tildelingskontoret',
	'Kroken sykehjem', 'Helsetjenesten', 'Korttidsavdelingen', 'Rus og psykisk helse',
	'Omsorgstjenesten', 'Helsesykepleier');
my @unn = ('Medisinsk avdeling', 'Hjertemedisinsk avdeling', 'Akuttmottaket',
	'Ortopedisk avdeling', 'Nevrologisk avdeling', 'Geriatrisk avdeling',
	'Kirurgisk avdeling', 'Psykisk helse- og rusklinikken', 'Lungemedisinsk avdeling',
	'Kreftavdelingen');
my @site = ('UNN Tromsø', 'UNN Harstad', 'UNN Narvik');
my @gp = ('Legesenter', 'Legekontor', 'Fastlegekontoret');
my @subject = ('Epikrise mangler ved utskrivning', 'Legemiddelliste ikke oppdatert',
	'Utskrevet uten beskjed til kommunen', 'Henvisning avvist uten begrunnelse',
	'PLO-melding ikke mottatt', 'Pasient sendt hjem sent på kvelden',
	'Innleggelse uten innleggelsesskriv', 'Prøvesvar ikke videresendt',
	'Hjelpemidler ikke bestilt før utskrivning', 'Feil i medisinering etter utskrivning',
	'Manglende informasjon om smitte', 'Forsinket svar på henvendelse');
my @category = ('Epikrise', 'Legemidler', 'Utskrivning', 'Henvisning', 'Innleggelse',
	'Kommunikasjon', 'Hjelpemidler', 'Prøvesvar');
my @severity = ('Lav', 'Middels', 'Høy');
my @sentence = (
	'Pasienten kom hjem fra sykehuset uten epikrise og uten oppdatert legemiddelliste.',
	'Hjemmesykepleien måtte ringe avdelingen for å få vite hvilke medisiner som var endret.',
	'Det ble ikke sendt PLO-melding om utskrivning før pasienten sto i døra.',
	'Pasienten ble skrevet ut fredag ettermiddag uten at kommunen var varslet.',
	'Legemiddellisten i epikrisen stemte ikke med det pasienten hadde med seg.',
	'Henvisningen ble returnert uten begrunnelse og uten forslag til annen instans.',
	'Prøvesvar ble ikke videresendt til fastlegen, som først fikk vite om dem ved neste time.',
	'Innleggelsesskriv manglet, og mottaket hadde ingen opplysninger om funksjonsnivå.',
	'Hjelpemidler var ikke bestilt, så pasienten måtte ligge i en vanlig seng første natt.',
	'Vi fikk ikke beskjed om at pasienten hadde smitte, og personalet brukte ikke utstyr.',
	'Det tok tre dager før vi fikk svar på henvendelsen om videre oppfølging.',
	'Pasienten ble sendt hjem med taxi sent på kvelden uten følge.',
	'Medisinene som ble sendt med rakk bare til dagen etter, og apoteket var stengt.',
	'Avdelingen svarte ikke på telefon, og vi ble satt over til feil post flere ganger.',
	'Sykepleiersammenfatning kom først en uke etter utskrivning.',
	'Det er tredje gang denne måneden at dette skjer ved samme avdeling.',
);

sub pick { $_[int rand @_] }

# a date in 2023-2024: (y, m, d, H, M)
sub when {
	my $day = int rand 731;
	my @ml = (31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31);
	my $y = 2023;
	if ($day >= 365) { $y = 2024; $day -= 365; $ml[1] = 29 }
	my $m = 0;
	while ($day >= $ml[$m]) { $day -= $ml[$m]; $m++ }
	return ($y, $m + 1, $day + 1, 7 + int rand 10, int rand 60);
}

sub description {
	my $k = 3 + int rand 3;
	return join(' ', map { pick(@sentence) } 1 .. $k);
}

# "X kommune" reporting to UNN, UNN to "X kommune", or a GP (one in eight)
sub parties {
	my $k = pick(@kommune);
	my $r = rand;
	return ("$k kommune", pick(@kunit), 'kommune', 'UNN HF', pick(@unn) . ', ' . pick(@site), 'unn')
		if $r < 0.6;
	return ('UNN HF', pick(@unn) . ', ' . pick(@site), 'unn', "$k kommune", pick(@kunit), 'kommune')
		if $r < 0.875;
	return ("$k " . pick(@gp), 'Fastlege', 'fastlege', 'UNN HF', pick(@unn) . ', ' . pick(@site), 'unn');
}

sub q_word {   # RFC 2047 Q-encoding of ISO-8859-1 bytes, in words of 40 source bytes
	my ($bytes) = @_;
	my @w;
	for (my $i = 0; $i < length $bytes; $i += 40) {
		(my $q = substr($bytes, $i, 40)) =~ s/([^A-Za-z0-9!*+\-\/])/$1 eq ' ' ? '_' : sprintf('=%02X', ord $1)/ge;
		push @w, "=?ISO-8859-1?Q?$q?=";
	}
	return join("\n ", @w);
}

my @dow = ('Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat');
my @mon = ('Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec');

sub weekday {   # Zeller, 0 = Sunday
	my ($y, $m, $d) = @_;
	if ($m < 3) { $m += 12; $y-- }
	return ($d + int(13 * ($m + 1) / 5) + $y + int($y / 4) - int($y / 100) + int($y / 400) + 6) % 7;
}

sub maildir {
	mkdir $out;
	mkdir "$out/$_" for qw(new cur tmp);
	for my $i (1 .. $n) {
		my ($y, $m, $d, $H, $M) = when();
		my ($rep, $runit, undef, $con, $cunit) = parties();
		my $who = sprintf 'saksbehandler%04d', $i % 5000;
		(my $dom = lc $rep) =~ tr/æøå /eoa-/;
		$dom = $rep eq 'UNN HF' ? 'unn.no'
			: $dom =~ s/-kommune$// ? "$dom.kommune.no" : "$dom.no";
		$dom =~ s/[^a-z.-]//g;
		my $subj = 'Avviksmelding: ' . pick(@subject);
		(my $text = description()) =~ s/(.{1,72})(?: |$)/$1\n/g;   # wrapped as a mail client does
		my $body = "Meldende enhet: $runit, $rep\n"
			. "Gjelder enhet: $cunit, $con\n"
			. sprintf("Dato for hendelse: %02d.%02d.%04d\n", $d, $m, $y)
			. "Beskrivelse:\n$text\n"
			. "Med vennlig hilsen\n$who\n$runit\n";
		my $latin1 = $i % 4 == 0;
		my $head = "Return-Path: <$who\@$dom>\n"
			. "Received: from mx.$dom (mx.$dom [192.0.2." . ($i % 250 + 1) . "])\n"
			. "\tby mx.unn.no with ESMTPS id b$i; "
			. sprintf("%s, %02d %s %04d %02d:%02d:00 +0100\n", $dow[weekday($y, $m, $d)], $d, $mon[$m - 1], $y, $H, $M)
			. "From: $who <$who\@$dom>\n"
			. "To: samhandlingsavvik\@unn.no\n"
			. 'Subject: ' . ($latin1 ? q_word(encode('iso-8859-1', $subj)) : encode('UTF-8', $subj)) . "\n"
			. sprintf("Date: %s, %02d %s %04d %02d:%02d:00 +0100\n", $dow[weekday($y, $m, $d)], $d, $mon[$m - 1], $y, $H, $M)
			. sprintf("Message-ID: <%04d%02d%02d%02d%02d00.%d\@%s>\n", $y, $m, $d, $H, $M, $i, $dom)
			. "MIME-Version: 1.0\n";
		my $msg;
		if ($latin1) {
			$msg = $head . "Content-Type: text/plain; charset=ISO-8859-1\n"
				. "Content-Transfer-Encoding: quoted-printable\n\n"
				. encode_qp(encode('iso-8859-1', $body));
		} else {
			$msg = $head . "Content-Type: text/plain; charset=UTF-8\n"
				. "Content-Transfer-Encoding: 8bit\n\n" . encode('UTF-8', $body);
		}
		my $f = sprintf '%s/new/%d.M%dP1.bench', $out, 1700000000 + $i, $i;
		open my $fh, '>:raw', $f or die "$f: $!\n";
		print $fh $msg;
		close $fh or die "$f: $!\n";
	}
}

sub xml_escape {
	my ($s) = @_;
	$s =~ s/&/&amp;/g;
	$s =~ s/</&lt;/g;
	return $s;
}

sub export {
	open my $fh, '>:raw', $out or die "$out: $!\n";
	my $buf = qq{<?xml version="1.0" encoding="UTF-8"?>\n}
		. qq{<avvik-export xmlns="urn:avvik:export:1" version="1.0" system="Bench">\n};
	for my $i (1 .. $n) {
		my ($y, $m, $d, $H, $M) = when();
		my ($rep, $runit, $rtype, $con, $cunit, $ctype) = parties();
		my ($ey, $em, $ed) = ($y, $m, $d > 3 ? $d - 1 - int rand 3 : $d);
		my $r = sprintf("  <avvik id=\"B-%07d\">\n", $i)
			. sprintf("    <reported-at>%04d-%02d-%02dT%02d:%02d:00</reported-at>\n", $y, $m, $d, $H, $M)
			. sprintf("    <event-date>%04d-%02d-%02d</event-date>\n", $ey, $em, $ed)
			. "    <reporter type=\"$rtype\">\n      <organisation>$rep</organisation>\n"
			. "      <unit>$runit</unit>\n    </reporter>\n"
			. "    <concerned type=\"$ctype\">\n      <organisation>$con</organisation>\n"
			. "      <unit>$cunit</unit>\n    </concerned>\n"
			. '    <subject>' . pick(@subject) . "</subject>\n";
		$r .= '    <category>' . pick(@category) . "</category>\n" if rand() < 0.7;
		$r .= '    <severity>' . pick(@severity) . "</severity>\n";
		$r .= "    <patient-related>true</patient-related>\n" if rand() < 0.5;
		$r .= '    <description>' . xml_escape(description()) . "</description>\n  </avvik>\n";
		$buf .= encode('UTF-8', $r);   # bytes: length() of a character string is a scan
		if (length $buf > 1 << 20) {
			print $fh $buf;
			$buf = '';
		}
	}
	print $fh $buf . "</avvik-export>\n";
	close $fh or die "$out: $!\n";
}

$mode eq 'maildir' ? maildir() : export();
