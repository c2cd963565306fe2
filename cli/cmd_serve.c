/* cmd_serve.c - avvik serve: the workspace (serve/). */
#include "cli/cli.h"
#include "serve/serve.h"

#include <getopt.h>
#include <stdlib.h>
#include <string.h>

int cmd_serve(cli_config *cfg, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "listen", required_argument, NULL, 'l' },
		{ "threads", required_argument, NULL, 't' },
		{ NULL, 0, NULL, 0 },
	};
	serve_opts o;
	sbuf err = SBUF_INIT;
	char *dir, *end;
	store *st;
	int c, rc;

	memset(&o, 0, sizeof o);
	o.listen = cfg->listen;
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		if (c == 'l') {
			o.listen = optarg;
		} else if (c == 't' && (o.threads = (int)strtol(optarg, &end, 10), !*end && o.threads >= 1 && o.threads <= 64)) {
			continue;
		} else {
			cli_usage(stderr, "serve");
			return EXIT_USAGE;
		}
	}
	if (optind != argc) {
		cli_usage(stderr, "serve");
		return EXIT_USAGE;
	}
	/* migrations happen here, once, before the pool opens its connections */
	if (!(st = cli_store_open(cfg)))
		return EXIT_USAGE;
	dir = cli_rules_dir(cfg, st);
	store_close(st);
	if (!dir)
		return EXIT_USAGE;
	o.db = cfg->db;
	o.rules_dir = dir;
	o.tls_cert = cfg->tls_cert;
	o.tls_key = cfg->tls_key;
	rc = serve_run(&o, &err) ? EXIT_USAGE : EXIT_DONE;
	if (rc)
		log_error("%s", err.buf);
	free(dir);
	sbuf_release(&err);
	return rc;
}
