#!/usr/bin/perl
# http-fault.pl MODE PORTFILE: a deliberately broken HTTP server on
# 127.0.0.1 for the fault tests, writing its port to PORTFILE.
#   silent    accepts connections and never answers (a timeout)
#   truncated answers 200 with a Content-Length longer than the body it sends
# It serves at most 20 connections and exits after 60 s whatever happens.
use strict;
use warnings;
use IO::Socket::INET;

my ($mode, $portfile) = @ARGV;
my $srv = IO::Socket::INET->new(Listen => 16, LocalAddr => '127.0.0.1', LocalPort => 0, ReuseAddr => 1)
	or die "listen: $!";
open my $pf, '>', "$portfile.tmp" or die;
print $pf $srv->sockport, "\n";
close $pf;
rename "$portfile.tmp", $portfile or die;
alarm 60;
my @held;
for (1 .. 20) {
	my $c = $srv->accept or last;
	if ($mode eq 'silent') {
		push @held, $c;    # keep it open, say nothing
		next;
	}
	my $req = '';
	while (my $line = <$c>) { $req .= $line; last if $line =~ /^\r?\n$/; }
	my $part = qq{<?xml version="1.0" encoding="UTF-8"?>\n<avvik-export xmlns="urn:avvik:export:1" version="1.0" system="Cut">\n<avvik id="1"><reported-at>2024-01-01</reported-at>};
	print $c "HTTP/1.1 200 OK\r\nContent-Type: application/xml\r\nContent-Length: 5000\r\nConnection: close\r\n\r\n$part";
	close $c;
}
