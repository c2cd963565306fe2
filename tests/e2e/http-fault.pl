#!/usr/bin/perl
# http-fault.pl MODE PORTFILE [GATEFILE BODYFILE LOGFILE]: a deliberately
# broken (or held back) HTTP server on 127.0.0.1 for the fault tests,
# writing its port to PORTFILE.
#   silent    accepts connections and never answers (a timeout)
#   truncated answers 200 with a Content-Length longer than the body it sends
#   gate      answers 200 with BODYFILE, but only once GATEFILE exists, and
#             writes to LOGFILE "request N PATH" when request N has come and
#             "response N" once it is answered: a test sees what a client
#             did while a request was held open, without timing anything
# It serves at most 20 connections and exits after 60 s (gate: 300 s)
# whatever happens.
use strict;
use warnings;
use IO::Handle;
use IO::Socket::INET;

my ($mode, $portfile, $gate, $bodyfile, $logfile) = @ARGV;
my $srv = IO::Socket::INET->new(Listen => 16, LocalAddr => '127.0.0.1', LocalPort => 0, ReuseAddr => 1)
	or die "listen: $!";
my ($log, $body);
if ($mode eq 'gate') {
	open my $bf, '<', $bodyfile or die "$bodyfile: $!";
	local $/;
	$body = <$bf>;
	close $bf;
	open $log, '>>', $logfile or die "$logfile: $!";
	$log->autoflush(1);
}
open my $pf, '>', "$portfile.tmp" or die;
print $pf $srv->sockport, "\n";
close $pf;
rename "$portfile.tmp", $portfile or die;
alarm($mode eq 'gate' ? 300 : 60);
my @held;
for my $n (1 .. 20) {
	my $c = $srv->accept or last;
	if ($mode eq 'silent') {
		push @held, $c;    # keep it open, say nothing
		next;
	}
	my $req = '';
	while (my $line = <$c>) { $req .= $line; last if $line =~ /^\r?\n$/; }
	if ($mode eq 'gate') {
		my ($path) = $req =~ /^GET (\S+)/;
		print $log "request $n ", $path // '?', "\n";
		select undef, undef, undef, 0.05 until -e $gate;
		print $c "HTTP/1.1 200 OK\r\nContent-Type: application/xml\r\nContent-Length: ",
			length($body), "\r\nConnection: close\r\n\r\n", $body;
		close $c;
		print $log "response $n\n";
		next;
	}
	my $part = qq{<?xml version="1.0" encoding="UTF-8"?>\n<avvik-export xmlns="urn:avvik:export:1" version="1.0" system="Cut">\n<avvik id="1"><reported-at>2024-01-01</reported-at>};
	print $c "HTTP/1.1 200 OK\r\nContent-Type: application/xml\r\nContent-Length: 5000\r\nConnection: close\r\n\r\n$part";
	close $c;
}
