# nginx-lib.sh - starts a real nginx on 127.0.0.1 for the HTTP tests, with
# its configuration, logs and documents under the test's scratch directory.
# Source after lib.sh; call nginx_start with the server blocks to serve.

NGINX=$(command -v nginx || echo /usr/sbin/nginx)

# A free TCP port on 127.0.0.1 (asks the kernel).
free_port() {
	perl -MIO::Socket::INET -e 'my $s = IO::Socket::INET->new(Listen => 1, LocalAddr => "127.0.0.1", LocalPort => 0) or die; print $s->sockport, "\n"'
}

# nginx_start SERVER_BLOCKS: writes nginx.conf around them and starts nginx.
nginx_start() {
	mkdir -p "$T_DIR/nginx/tmp" "$T_DIR/nginx/logs"
	# nginx's workers drop root: let them read the documents
	chmod 755 "$T_DIR"
	cat >"$T_DIR/nginx/nginx.conf" <<CONF
worker_processes 1;
daemon on;
pid $T_DIR/nginx/nginx.pid;
error_log $T_DIR/nginx/logs/error.log info;
events { worker_connections 64; }
http {
	access_log $T_DIR/nginx/logs/access.log;
	client_body_temp_path $T_DIR/nginx/tmp/body;
	proxy_temp_path $T_DIR/nginx/tmp/proxy;
	fastcgi_temp_path $T_DIR/nginx/tmp/fastcgi;
	uwsgi_temp_path $T_DIR/nginx/tmp/uwsgi;
	scgi_temp_path $T_DIR/nginx/tmp/scgi;
	types { application/xml xml; application/atom+xml atom; }
	default_type application/octet-stream;
$1
}
CONF
	"$NGINX" -p "$T_DIR/nginx" -c "$T_DIR/nginx/nginx.conf" -e "$T_DIR/nginx/logs/error.log" ||
		{ cat "$T_DIR/nginx/logs/error.log" >&2; return 1; }
	trap 'nginx_stop; rm -rf "$T_DIR"' EXIT
}

nginx_stop() {
	[ -f "$T_DIR/nginx/nginx.pid" ] && kill "$(cat "$T_DIR/nginx/nginx.pid")" 2>/dev/null
	rm -f "$T_DIR/nginx/nginx.pid"
}
