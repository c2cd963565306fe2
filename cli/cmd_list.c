/* cmd_list.c - avvik list and avvik search: the workspace's list query
 * (store_list_query) on the command line. */
#include "cli/cli.h"

#include <getopt.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
	int json;
	long n;
} list_out;

static int list_print(void *ctx, const store_list_row *r)
{
	list_out *o = ctx;

	if (o->json) {
		sbuf b = SBUF_INIT;
		sbuf_addf(&b, "{\"id\":%lld,\"date\":", (long long)r->id);
		sbuf_add_json_str(&b, r->date);
		sbuf_adds(&b, ",\"category\":");
		sbuf_add_json_str(&b, r->category);
		sbuf_adds(&b, ",\"direction\":");
		sbuf_add_json_str(&b, r->direction);
		sbuf_adds(&b, ",\"reporter_org\":");
		sbuf_add_json_str(&b, r->reporter_org);
		sbuf_adds(&b, ",\"concerned_org\":");
		sbuf_add_json_str(&b, r->concerned_org);
		sbuf_addf(&b, ",\"overridden\":%s,\"subject\":", r->overridden ? "true" : "false");
		sbuf_add_json_str(&b, r->subject);
		puts(b.buf);
		sbuf_release(&b);
	} else {
		printf("%-7lld %s  %-22s %-18s %s -> %s  %s\n", (long long)r->id, r->date, r->category,
		       r->direction, *r->reporter_org ? r->reporter_org : "?",
		       *r->concerned_org ? r->concerned_org : "?", r->subject);
	}
	o->n++;
	return 0;
}

static int list_run(cli_config *cfg, int argc, char **argv, int search)
{
	static const struct option opts[] = {
		{ "period", required_argument, NULL, 'p' },
		{ "org", required_argument, NULL, 'o' },
		{ "category", required_argument, NULL, 'c' },
		{ "direction", required_argument, NULL, 'd' },
		{ "source", required_argument, NULL, 's' },
		{ "overridden", required_argument, NULL, 'O' },
		{ "limit", required_argument, NULL, 'l' },
		{ "offset", required_argument, NULL, 'f' },
		{ "format", required_argument, NULL, 'F' },
		{ NULL, 0, NULL, 0 },
	};
	const char *cmd = search ? "search" : "list";
	store_list_filter f;
	list_out out = { 0, 0 };
	period p;
	direction d;
	sbuf err = SBUF_INIT;
	char *end;
	long total = 0;
	store *st;
	int c, rc = EXIT_USAGE;

	store_list_filter_init(&f);
	f.limit = 100;
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 'p':
			if (period_parse(optarg, &p, &err)) {
				log_error("%s: --period: %s", cmd, err.buf);
				goto out;
			}
			f.p = &p;
			break;
		case 'o': f.org = optarg; break;
		case 'c': f.category = optarg; break;
		case 's': f.source = optarg; break;
		case 'd':
			if (direction_parse(optarg, &d)) {
				log_error("%s: unknown direction '%s' (expected e.g. kommune→unn or kommune-unn)", cmd, optarg);
				goto out;
			}
			f.direction = direction_name(d);
			break;
		case 'O':
			if (strcmp(optarg, "yes") && strcmp(optarg, "no")) {
				log_error("%s: --overridden: expected yes or no, found '%s'", cmd, optarg);
				goto out;
			}
			f.overridden = !strcmp(optarg, "yes");
			break;
		case 'l':
		case 'f': {
			long v = strtol(optarg, &end, 10);
			if (*end || v < 0) {
				log_error("%s: --%s: expected a number, found '%s'", cmd, c == 'l' ? "limit" : "offset", optarg);
				goto out;
			}
			*(c == 'l' ? &f.limit : &f.offset) = v;
			break;
		}
		case 'F':
			if (strcmp(optarg, "text") && strcmp(optarg, "json")) {
				log_error("%s: --format: expected text or json, found '%s'", cmd, optarg);
				goto out;
			}
			out.json = !strcmp(optarg, "json");
			break;
		default:
			cli_usage(stderr, cmd);
			goto out;
		}
	}
	if (argc - optind != search) {
		cli_usage(stderr, cmd);
		goto out;
	}
	if (search)
		f.search = argv[optind];
	if (!(st = cli_store_open(cfg)))
		goto out;
	rc = store_list_query(st, &f, list_print, &out, &total) ? EXIT_FATAL : EXIT_DONE;
	if (rc == EXIT_DONE)
		fprintf(stderr, "%ld of %ld deviations\n", out.n, total);
	else
		log_error("%s: database read failed: %s", cmd, store_errmsg(st));
	store_close(st);
out:
	sbuf_release(&err);
	return rc;
}

int cmd_list(cli_config *cfg, int argc, char **argv) { return list_run(cfg, argc, argv, 0); }
int cmd_search(cli_config *cfg, int argc, char **argv) { return list_run(cfg, argc, argv, 1); }
