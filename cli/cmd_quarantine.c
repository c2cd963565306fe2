/* cmd_quarantine.c - avvik quarantine list|retry, and avvik purge. */
#include "cli/cli.h"

#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

/* ---- quarantine list ---- */

typedef struct {
	const cli_config *cfg;
	ingest_ctx scrub;       /* the key: names and reasons shown scrubbed */
	long n, bodiless;
} quar_list;

static void quar_shown(const quar_list *l, const char *s, sbuf *out)
{
	ingest_name_shown(&l->scrub, s ? s : "-", out);
	/* one item, one line */
	for (size_t i = 0; i < out->len; i++)
		if ((unsigned char)out->buf[i] < 0x20)
			out->buf[i] = ' ';
}

static int quar_list_one(void *ctx, const store_quarantine_row *q)
{
	quar_list *l = ctx;
	sbuf origin = SBUF_INIT, reason = SBUF_INIT;

	quar_shown(l, q->origin, &origin);
	quar_shown(l, q->reason, &reason);
	printf("%-6lld %-20s %-12s %-7s %s\n    %s\n", (long long)q->id, q->created_at,
	       q->source ? q->source : "-", q->resolved_at ? "solved" : q->has_body ? "open" : "open*",
	       origin.buf, reason.buf);
	sbuf_release(&origin);
	sbuf_release(&reason);
	l->n++;
	l->bodiless += !q->has_body && !q->resolved_at;
	return 0;
}

static int quar_key(const cli_config *cfg, ingest_ctx *ctx, unsigned char *key, size_t *key_len)
{
	memset(ctx, 0, sizeof *ctx);
	if (cli_key_load(cfg->key_file, key, key_len))
		return -1;
	ctx->hmac_key = key;
	ctx->hmac_key_len = *key_len;
	return 0;
}

static int quarantine_list(cli_config *cfg, int all)
{
	unsigned char key[64];
	size_t key_len = sizeof key;
	quar_list l = { cfg, { 0 }, 0, 0 };
	store *st;
	int rc = EXIT_DONE;

	if (quar_key(cfg, &l.scrub, key, &key_len))
		return EXIT_USAGE;
	if (!(st = cli_store_open(cfg)))
		return cli_store_failed(cfg);
	printf("%-6s %-20s %-12s %-7s %s\n    %s\n", "id", "when", "source", "state", "where", "why");
	if (store_quarantine_each(st, all, quar_list_one, &l))
		rc = EXIT_FATAL;
	else if (!l.n)
		printf("(nothing%s in quarantine)\n", all ? "" : " open");
	else
		printf("%ld item%s%s\n", l.n, l.n == 1 ? "" : "s",
		       l.bodiless ? "; open* = its bytes are not kept (too large, binary or purged): "
				    "read again from its file only" : "");
	store_close(st);
	return rc;
}

/* ---- quarantine retry ---- */

typedef struct {
	int64_t id;
	char *source, *origin, *sha256;
	int has_body, open;
} quar_item;

static int quar_item_copy(void *ctx, const store_quarantine_row *q)
{
	quar_item *it = ctx;

	it->id = q->id;
	it->source = xstrdup(q->source ? q->source : "quarantine");
	it->origin = q->origin ? xstrdup(q->origin) : NULL;
	it->sha256 = q->sha256 ? xstrdup(q->sha256) : NULL;
	it->has_body = q->has_body;
	it->open = !q->resolved_at;
	return 0;
}

typedef struct {
	quar_item *v;
	size_t n;
} quar_items;

static int quar_items_add(void *ctx, const store_quarantine_row *q)
{
	quar_items *l = ctx;

	l->v = xrealloc(l->v, (l->n + 1) * sizeof *l->v);
	return quar_item_copy(&l->v[l->n++], q);
}

static void quar_items_free(quar_items *l)
{
	for (size_t i = 0; i < l->n; i++) {
		free(l->v[i].source);
		free(l->v[i].origin);
		free(l->v[i].sha256);
	}
	free(l->v);
}

/* Is origin a file a source read (and still there)? */
static int quar_is_file(const char *origin)
{
	struct stat sb;

	return origin && lstat(origin, &sb) == 0 && S_ISREG(sb.st_mode);
}

static void quar_counts_print(int64_t id, const pipeline_counts *c)
{
	printf("quarantine %lld: read again: %ld new, %ld duplicates, %ld skipped, %ld quarantined\n",
	       (long long)id, c->new_deviations, c->duplicates, c->skipped, c->quarantined);
}

static void quar_file_done(void *ctx, const cli_source *src, const pipeline_counts *c)
{
	pipeline_counts *out = ctx;

	(void)src;
	*out = *c;
}

/* Reads item it's file again whole (its identity forgotten first), or
 * else parses the bytes kept.  Exit code of this item. */
static int quar_retry_one(cli_config *cfg, store *st, const quar_item *it, ingest_format fmt,
			  const pipeline_opts *o, int file_read)
{
	pipeline_counts c;
	int still = 0;

	if (!it->open) {
		printf("quarantine %lld: resolved already\n", (long long)it->id);
		return EXIT_DONE;
	}
	memset(&c, 0, sizeof c);
	if (file_read) {
		/* its file was read again for an item before it: only its state */
	} else if (quar_is_file(it->origin)) {
		const cli_source *conf = cli_config_source(cfg, it->source);
		cli_source one;
		const cli_source *srcs[1];

		memset(&one, 0, sizeof one);
		one.name = it->source;
		one.type = SOURCE_DIR;
		one.path = it->origin;
		one.format = fmt != INGEST_FORMAT_AUTO ? fmt : conf ? conf->format : INGEST_FORMAT_AUTO;
		srcs[0] = &one;
		if (store_begin(st) || store_path_forget(st, it->origin) || store_quarantine_retried(st, it->id) ||
		    store_commit(st)) {
			store_rollback(st);
			return EXIT_FATAL;
		}
		if (pipeline_ingest_sources(st, srcs, 1, o, quar_file_done, &c))
			return EXIT_FATAL;
	} else if (it->has_body) {
		sbuf body = SBUF_INIT;
		int rc = store_quarantine_body(st, it->id, &body);

		if (rc > 0 && store_quarantine_retried(st, it->id) == 0)
			rc = pipeline_ingest_buffer(st, it->source, it->origin, body.buf, body.len, fmt, o,
						    it->sha256, &c);
		else
			rc = -1;
		sbuf_release(&body);
		if (rc)
			return EXIT_FATAL;
	} else {
		log_warn("quarantine %lld: cannot be read again: neither its file nor its bytes are kept",
			 (long long)it->id);
		return EXIT_PARTIAL;
	}
	if (!file_read)
		quar_counts_print(it->id, &c);
	/* resolved when the read did not put it back */
	{
		quar_item now = { 0 };
		if (store_quarantine_get(st, it->id, quar_item_copy, &now) > 0)
			still = now.open;
		free(now.source);
		free(now.origin);
		free(now.sha256);
	}
	if (still)
		printf("quarantine %lld: still in quarantine (see 'avvik quarantine list')\n", (long long)it->id);
	else
		printf("quarantine %lld: resolved\n", (long long)it->id);
	return still || c.failed || c.quarantined ? EXIT_PARTIAL : EXIT_DONE;
}

static int quarantine_retry(cli_config *cfg, int argc, char **argv, int all, ingest_format fmt)
{
	unsigned char key[64];
	size_t key_len = sizeof key;
	quar_items items = { NULL, 0 };
	pipeline_opts o;
	store *st;
	int lock, rc, i;
	char **priv;

	if ((all && argc) || (!all && !argc)) {
		cli_usage(stderr, "quarantine");
		return EXIT_USAGE;
	}
	if (cli_key_load(cfg->key_file, key, &key_len))
		return EXIT_USAGE;
	if ((rc = cli_writer_open(cfg, &st, &lock)) != EXIT_DONE)
		return rc;
	if (all) {
		if (store_quarantine_each(st, 0, quar_items_add, &items))
			rc = EXIT_FATAL;
	}
	for (i = 0; i < argc && rc == EXIT_DONE; i++) {
		char *end;
		long long id = strtoll(argv[i], &end, 10);
		int found;
		if (!*argv[i] || *end || id <= 0) {
			log_error("quarantine retry: expected an item id (see 'avvik quarantine list'), found '%s'",
				  argv[i]);
			rc = EXIT_USAGE;
		} else if ((found = store_quarantine_get(st, id, quar_items_add, &items)) < 0) {
			rc = EXIT_FATAL;
		} else if (!found) {
			log_error("quarantine retry: no item %lld in quarantine", id);
			rc = EXIT_USAGE;
		}
	}
	memset(&o, 0, sizeof o);
	o.key = key;
	o.key_len = key_len;
	o.jobs = 1;
	o.private_paths = (const char *const *)(priv = cli_private_paths(cfg));
	for (size_t k = 0; k < items.n && (rc == EXIT_DONE || rc == EXIT_PARTIAL); k++) {
		int one, file_read = 0;
		/* a file is read again once, for its first item */
		for (size_t j = 0; j < k && !file_read; j++)
			file_read = items.v[j].origin && items.v[k].origin &&
				    !strcmp(items.v[j].origin, items.v[k].origin) &&
				    quar_is_file(items.v[k].origin);
		one = quar_retry_one(cfg, st, &items.v[k], fmt, &o, file_read);
		if (one != EXIT_DONE)
			rc = one;
	}
	if (all && !items.n)
		printf("(nothing open in quarantine)\n");
	cli_strv_free(priv);
	quar_items_free(&items);
	store_close(st);
	if (lock >= 0)
		close(lock);
	return rc;
}

int cmd_quarantine(cli_config *cfg, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "all", no_argument, NULL, 'a' },
		{ "format", required_argument, NULL, 'f' },
		{ NULL, 0, NULL, 0 },
	};
	ingest_format fmt = INGEST_FORMAT_AUTO;
	int c, all = 0, list;

	if (argc < 2 || (strcmp(argv[1], "list") && strcmp(argv[1], "retry"))) {
		cli_usage(stderr, "quarantine");
		return EXIT_USAGE;
	}
	list = !strcmp(argv[1], "list");
	argc--;
	argv++;
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 'a': all = 1; break;
		case 'f':
			if (list || ingest_format_parse(optarg, &fmt)) {
				log_error("quarantine: --format '%s': expected auto, msghead, avvik-xml, eml, "
					  "mbox or maildir (retry only)", optarg);
				return EXIT_USAGE;
			}
			break;
		default: cli_usage(stderr, "quarantine"); return EXIT_USAGE;
		}
	}
	if (list) {
		if (optind < argc) {
			cli_usage(stderr, "quarantine");
			return EXIT_USAGE;
		}
		return quarantine_list(cfg, all);
	}
	return quarantine_retry(cfg, argc - optind, argv + optind, all, fmt);
}

/* ---- purge ---- */

int cli_purge(const cli_config *cfg, store *st, int days)
{
	char before[32];
	time_t t;
	struct tm tm;
	long n_raw = 0, n_quar = 0;
	int rc;

	if (days == 0)
		days = cfg->raw_retention_days;
	if (days < 0)
		return EXIT_DONE;   /* raw_retention_days = never */
	t = time(NULL) - (time_t)days * 86400;
	gmtime_r(&t, &tm);
	strftime(before, sizeof before, "%Y-%m-%dT%H:%M:%SZ", &tm);
	/* what is deleted is overwritten in the file and leaves the WAL, so
	 * that a copy of the database does not hold it either */
	rc = store_secure_delete(st, 1) || store_begin(st) ||
	     store_raw_purge(st, before, &n_raw, &n_quar) || store_commit(st);
	if (rc) {
		store_rollback(st);
		log_error("purge: database write failed: %s", store_errmsg(st));
		return EXIT_FATAL;
	}
	store_secure_delete(st, 0);
	if ((n_raw || n_quar) && store_checkpoint_truncate(st))
		log_info("purge: the WAL is in use by another reader; it is cleared at the next checkpoint");
	if (n_raw || n_quar || log_get_level() >= LOG_LVL_INFO)
		printf("purge: raw bytes of %ld message%s and %ld quarantined item%s received before %s "
		       "deleted (raw_retention_days = %d)\n", n_raw, n_raw == 1 ? "" : "s", n_quar,
		       n_quar == 1 ? "" : "s", before, days);
	return EXIT_DONE;
}

int cmd_purge(cli_config *cfg, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "days", required_argument, NULL, 'd' },
		{ NULL, 0, NULL, 0 },
	};
	int c, days = 0, lock, rc;
	store *st;

	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 'd': {
			char *end;
			long d = strtol(optarg, &end, 10);
			if (!*optarg || *end || d < 1 || d > 36500) {
				log_error("purge: --days '%s': expected a number of days (1..36500)", optarg);
				return EXIT_USAGE;
			}
			days = (int)d;
			break;
		}
		default: cli_usage(stderr, "purge"); return EXIT_USAGE;
		}
	}
	if (optind < argc) {
		cli_usage(stderr, "purge");
		return EXIT_USAGE;
	}
	if ((rc = cli_writer_open(cfg, &st, &lock)) != EXIT_DONE)
		return rc;
	rc = cli_purge(cfg, st, days);
	store_close(st);
	if (lock >= 0)
		close(lock);
	return rc;
}
