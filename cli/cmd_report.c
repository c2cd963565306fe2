/* cmd_report.c - avvik report and avvik export. */
#include "cli/cli.h"
#include "classify/classify.h"
#include "report/report.h"

#include <getopt.h>
#include <stdlib.h>
#include <string.h>

/* What a report needs from the rules: labels and which categories count.
 * Read from the commit whose classification the report shows. */
typedef struct {
	classify_rules *rules;
	char *commit;
	sbuf exclude;
} report_rules;

static const char *report_label(void *ctx, const char *code)
{
	report_rules *rr = ctx;
	return rr->rules ? classify_category_label(rr->rules, code) : NULL;
}

static int report_rules_load(cli_config *cfg, store *st, report_rules *rr, report_opts *o)
{
	char *dir;
	sbuf err = SBUF_INIT;
	size_t i;

	memset(rr, 0, sizeof *rr);
	sbuf_init(&rr->exclude, 0);
	rr->commit = store_current_commit(st);
	if (!rr->commit) {
		log_error("%s: nothing classified yet: run 'avvik classify' first", cfg->db);
		return -1;
	}
	dir = cli_rules_dir(cfg, st);
	if (!dir || classify_rules_load(&rr->rules, dir, rr->commit, &err)) {
		log_error("%s", dir ? err.buf : "no rules repository");
		free(dir);
		sbuf_release(&err);
		return -1;
	}
	free(dir);
	sbuf_release(&err);
	for (i = 0; i < classify_category_count(rr->rules); i++) {
		const char *code = classify_category_code(rr->rules, i);
		if (!classify_category_counted(rr->rules, code)) {
			if (rr->exclude.len)
				sbuf_addch(&rr->exclude, ',');
			sbuf_adds(&rr->exclude, code);
		}
	}
	memset(o, 0, sizeof *o);
	o->commit = rr->commit;
	o->exclude = rr->exclude.buf;
	o->category_label = report_label;
	o->label_ctx = rr;
	return 0;
}

static void report_rules_clear(report_rules *rr)
{
	classify_rules_free(rr->rules);
	free(rr->commit);
	sbuf_release(&rr->exclude);
}

static int parse_period_arg(const char *s, period *p)
{
	sbuf err = SBUF_INIT;
	int rc = period_parse(s, p, &err);

	if (rc)
		log_error("%s", err.buf);
	sbuf_release(&err);
	return rc;
}

int cmd_report(cli_config *cfg, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "format", required_argument, NULL, 'f' },
		{ "output", required_argument, NULL, 'o' },
		{ NULL, 0, NULL, 0 },
	};
	report_format fmt = REPORT_TEXT;
	const char *outpath = NULL;
	period a, b;
	report_rules rr;
	report_opts o;
	cli_output out;
	sbuf err = SBUF_INIT;
	store *st;
	int c, rc = EXIT_FATAL;

	while ((c = getopt_long(argc, argv, "o:", opts, NULL)) != -1) {
		switch (c) {
		case 'f':
			if (report_format_parse(optarg, &fmt) || (fmt != REPORT_TEXT && fmt != REPORT_JSON)) {
				log_error("report: format '%s' not available (expected text or json)", optarg);
				return EXIT_USAGE;
			}
			break;
		case 'o': outpath = optarg; break;
		default: cli_usage(stderr, "report"); return EXIT_USAGE;
		}
	}
	if (argc - optind != 3 || strcmp(argv[optind], "compare")) {
		cli_usage(stderr, "report");
		return EXIT_USAGE;
	}
	if (parse_period_arg(argv[optind + 1], &a) || parse_period_arg(argv[optind + 2], &b))
		return EXIT_USAGE;
	if (!(st = cli_store_open(cfg)))
		return EXIT_USAGE;
	if (report_rules_load(cfg, st, &rr, &o)) {
		store_close(st);
		return EXIT_USAGE;
	}
	o.format = fmt;
	if (cli_output_open(&out, outpath) == 0) {
		int ok = report_compare(st, &o, &a, &b, out.f, &err) == 0;
		if (!ok)
			log_error("report: %s", err.buf);
		if (cli_output_close(&out, ok) == 0 && ok)
			rc = EXIT_DONE;
	}
	report_rules_clear(&rr);
	store_close(st);
	sbuf_release(&err);
	return rc;
}

int cmd_export(cli_config *cfg, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "format", required_argument, NULL, 'f' },
		{ "period", required_argument, NULL, 'p' },
		{ "output", required_argument, NULL, 'o' },
		{ NULL, 0, NULL, 0 },
	};
	export_format fmt = EXPORT_JSONL;
	const char *outpath = NULL;
	period p, *pp = NULL;
	report_rules rr;
	report_opts o;
	cli_output out;
	sbuf err = SBUF_INIT;
	store *st;
	int c, rc = EXIT_FATAL;

	while ((c = getopt_long(argc, argv, "o:", opts, NULL)) != -1) {
		switch (c) {
		case 'f':
			if (!strcmp(optarg, "jsonl"))
				fmt = EXPORT_JSONL;
			else if (!strcmp(optarg, "csv"))
				fmt = EXPORT_CSV;
			else {
				log_error("export: unknown format '%s' (expected jsonl or csv)", optarg);
				return EXIT_USAGE;
			}
			break;
		case 'p':
			if (parse_period_arg(optarg, &p))
				return EXIT_USAGE;
			pp = &p;
			break;
		case 'o': outpath = optarg; break;
		default: cli_usage(stderr, "export"); return EXIT_USAGE;
		}
	}
	if (optind < argc) {
		cli_usage(stderr, "export");
		return EXIT_USAGE;
	}
	if (!(st = cli_store_open(cfg)))
		return EXIT_USAGE;
	if (report_rules_load(cfg, st, &rr, &o)) {
		store_close(st);
		return EXIT_USAGE;
	}
	if (cli_output_open(&out, outpath) == 0) {
		int ok = report_export(st, &o, pp, fmt, out.f, &err) == 0;
		if (!ok)
			log_error("export: %s", err.buf);
		if (cli_output_close(&out, ok) == 0 && ok)
			rc = EXIT_DONE;
	}
	report_rules_clear(&rr);
	store_close(st);
	sbuf_release(&err);
	return rc;
}
