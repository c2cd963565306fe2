/* cmd_serve.c - avvik serve: the workspace (serve/). */
#include "cli/cli.h"
#include "serve/serve.h"

#include <getopt.h>
#include <stdlib.h>
#include <string.h>

/* The key's scrubber, for what advisers type. */
static void serve_scrub(void *ctx, sbuf *text)
{
	ingest_scrub_text(ctx, text);
}

int cmd_serve(cli_config *cfg, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "listen", required_argument, NULL, 'l' },
		{ "threads", required_argument, NULL, 't' },
		{ NULL, 0, NULL, 0 },
	};
	serve_opts o;
	unsigned char key[64];
	size_t key_len = sizeof key;
	ingest_ctx scrub;
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
	if (cli_key_load(cfg->key_file, key, &key_len)) {
		free(dir);
		return EXIT_USAGE;
	}
	memset(&scrub, 0, sizeof scrub);
	scrub.hmac_key = key;
	scrub.hmac_key_len = key_len;
	o.scrub = serve_scrub;
	o.scrub_ctx = &scrub;
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
