/* cmd_report.c - avvik report and avvik export. */
#include "cli/cli.h"
#include "classify/classify.h"
#include "report/report.h"

#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

/* What a report needs from the rules: labels and which categories count.
 * Read from the commit whose classification the report shows. */
struct cli_report_rules {
	classify_rules *rules;
	char *commit;
	sbuf exclude;
	/* registry display names looked up so far: id, name pairs */
	char **org_names;
	size_t n_org_names;
};
typedef cli_report_rules report_rules;

static const char *report_label(void *ctx, const char *code)
{
	report_rules *rr = ctx;
	return rr->rules ? classify_category_label(rr->rules, code) : NULL;
}

/* The registry's display name of an org id, by resolving the id as a name
 * (ids are folded aliases); NULL when that does not lead back to the id. */
static const char *report_org_name(void *ctx, const char *id)
{
	report_rules *rr = ctx;
	avvik_party party = { 0 };
	classify_org org = { 0 };
	const char *name = NULL;
	size_t i;

	for (i = 0; i < rr->n_org_names; i++)
		if (!strcmp(rr->org_names[2 * i], id))
			return rr->org_names[2 * i + 1];
	if (!rr->rules)
		return NULL;
	party.name = (char *)id;
	classify_org_resolve(rr->rules, &party, &org);
	rr->org_names = xrealloc(rr->org_names, 2 * (rr->n_org_names + 1) * sizeof *rr->org_names);
	rr->org_names[2 * rr->n_org_names] = xstrdup(id);
	rr->org_names[2 * rr->n_org_names + 1] =
		org.id && org.name && !strcmp(org.id, id) ? xstrdup(org.name) : NULL;
	name = rr->org_names[2 * rr->n_org_names + 1];
	rr->n_org_names++;
	classify_org_clear(&org);
	return name;
}

/* The FSU that owns a category (categories.yaml's fsu field). */
static const char *report_category_fsu(report_rules *rr, const char *code)
{
	return rr->rules ? classify_category_fsu(rr->rules, code) : NULL;
}

static const char *report_label_en(void *ctx, const char *code)
{
	report_rules *rr = ctx;
	return rr->rules ? classify_category_label_en(rr->rules, code) : NULL;
}

int cli_report_rules_load(cli_config *cfg, store *st, report_rules *rr, report_opts *o)
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
	o->category_label_en = report_label_en;
	o->org_label = report_org_name;
	o->label_ctx = rr;
	return 0;
}

void cli_report_rules_clear(report_rules *rr)
{
	classify_rules_free(rr->rules);
	free(rr->commit);
	sbuf_release(&rr->exclude);
	for (size_t i = 0; i < 2 * rr->n_org_names; i++)
		free(rr->org_names[i]);
	free(rr->org_names);
}

/* --locale: nb (the default: ';', decimal comma, UTF-8 BOM, as Norwegian
 * spreadsheets read CSV) or C (',' and '.'). */
static int parse_locale(const char *what, const char *s, int *csv_c)
{
	if (!strcmp(s, "nb") || !strcmp(s, "no") || !strncmp(s, "nb_NO", 5))
		*csv_c = 0;
	else if (!strcmp(s, "C") || !strcmp(s, "POSIX") || !strcmp(s, "en"))
		*csv_c = 1;
	else {
		log_error("%s: --locale %s: expected nb or C", what, s);
		return -1;
	}
	return 0;
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

/* What the command line asked for, before the store is open. */
typedef struct {
	report_format fmt;
	const char *outpath, *from, *to, *period, *vs, *category, *direction, *org, *fsu;
	report_by by;
	report_lang lang;
	int csv_c, top;
} report_args;

static int count_rows(void *ctx, const char *key, long count)
{
	(void)key;
	*(long *)ctx += count;
	return 0;
}

/* The category code a --category names: its code or its label (bokmål or
 * English), compared folded; NULL when none. */
static const char *category_lookup(report_rules *rr, const char *typed)
{
	sbuf t = SBUF_INIT, k = SBUF_INIT;
	const char *hit = NULL;

	utf8_fold(&t, typed);
	for (size_t i = 0; !hit && i < classify_category_count(rr->rules); i++) {
		const char *code = classify_category_code(rr->rules, i);
		const char *names[3] = { code, classify_category_label(rr->rules, code),
					 classify_category_label_en(rr->rules, code) };
		for (int j = 0; j < 3 && !hit; j++) {
			if (!names[j])
				continue;
			sbuf_reset(&k);
			utf8_fold(&k, names[j]);
			if (!strcmp(k.buf, t.buf))
				hit = code;
		}
	}
	sbuf_release(&t);
	sbuf_release(&k);
	return hit;
}

/* Fills o's filter from the arguments, checked against the rules and the
 * data.  0 ok; -1 after saying what is wrong and what was perhaps meant (a
 * usage error): a report on a name nobody reports under would be a report
 * of nothing that looks like one. */
static int report_filter_setup(const report_args *a, report_rules *rr, store *st, report_opts *o,
			       sbuf *cats, direction *dir, classify_org *org)
{
	sbuf msg = SBUF_INIT;

	if (a->category) {
		const char *code = category_lookup(rr, a->category);

		if (!code) {
			size_t n = classify_category_count(rr->rules);
			const char **names = xmalloc((2 * n + 1) * sizeof *names);

			for (size_t i = 0; i < n; i++) {
				names[2 * i] = classify_category_code(rr->rules, i);
				names[2 * i + 1] = classify_category_label(rr->rules, names[2 * i]);
			}
			cli_suggest(a->category, names, 2 * n, &msg);
			log_error("report: unknown category '%s'%s; a code or a label of categories.yaml",
				  a->category, msg.buf);
			free(names);
			sbuf_release(&msg);
			return -1;
		}
		o->filter.categories = code;
	}
	if (a->fsu) {
		if (!cli_fsu_categories(rr, a->fsu, cats)) {
			log_error("report: --fsu %s: no category in categories.yaml names that FSU", a->fsu);
			return -1;
		}
		o->filter.categories = cats->buf;
		o->filter_label = a->fsu;
	}
	if (a->direction) {
		if (direction_parse(a->direction, dir)) {
			/* suggested as typed on a keyboard: kommune-unn */
			sbuf ascii[DIR__COUNT];
			const char *names[DIR__COUNT];

			for (int i = 0; i < DIR__COUNT; i++) {
				const char *n = direction_name((direction)i), *arrow = strstr(n, "→");

				sbuf_init(&ascii[i], 0);
				if (arrow) {
					sbuf_add(&ascii[i], n, (size_t)(arrow - n));
					sbuf_addch(&ascii[i], '-');
					sbuf_adds(&ascii[i], arrow + strlen("→"));
				} else {
					sbuf_adds(&ascii[i], n);
				}
				names[i] = ascii[i].buf;
			}
			cli_suggest(a->direction, names, DIR__COUNT, &msg);
			log_error("report: unknown direction '%s'%s; e.g. kommune-unn, unn-fastlege", a->direction,
				  msg.buf);
			for (int i = 0; i < DIR__COUNT; i++)
				sbuf_release(&ascii[i]);
			sbuf_release(&msg);
			return -1;
		}
		o->filter.direction = direction_name(*dir);
	}
	if (a->org) {
		avvik_party party = { 0 };

		party.name = (char *)a->org;
		classify_org_resolve(rr->rules, &party, org);
		if (org->id) {
			o->filter.org = org->id;
			o->filter_label = org->name ? org->name : a->org;
		} else {
			store_filter f = { 0 };
			long n = 0;

			/* a name as written in the messages, if anyone wrote it */
			f.org_name = a->org;
			if (store_query_count(st, o->commit, NULL, "", &f, STORE_Q_NONE, count_rows, &n)) {
				log_error("report: database: %s", store_errmsg(st));
				return -1;
			}
			if (!n) {
				size_t k = classify_org_count(rr->rules);
				const char **names = xmalloc((k + 1) * sizeof *names);

				for (size_t i = 0; i < k; i++)
					names[i] = classify_org_name(rr->rules, i);
				cli_suggest(a->org, names, k, &msg);
				log_error("report: unknown organisation '%s'%s: not in orgs.yaml, and no deviation names it",
					  a->org, msg.buf);
				free(names);
				sbuf_release(&msg);
				return -1;
			}
			o->filter.org_name = a->org;   /* as written in the messages */
			o->filter_label = a->org;
		}
	}
	return 0;
}

/* Two periods that share a month would count those deviations twice and
 * test a period against part of itself. */
static int periods_overlap(const char *what, const period *a, const period *b)
{
	if (strcmp(a->start, b->end) < 0 && strcmp(b->start, a->end) < 0) {
		log_error("%s: the periods %s and %s overlap; compare periods that do not share a month",
			  what, a->label, b->label);
		return 1;
	}
	return 0;
}

const char *cli_fsu_categories(cli_report_rules *rr, const char *fsu, sbuf *cats)
{
	for (size_t i = 0; i < classify_category_count(rr->rules); i++) {
		const char *code = classify_category_code(rr->rules, i);
		const char *f = report_category_fsu(rr, code);
		if (f && !strcasecmp(f, fsu)) {
			if (cats->len)
				sbuf_addch(cats, ',');
			sbuf_adds(cats, code);
		}
	}
	return cats->len ? cats->buf : NULL;
}

int cli_report_rules_open(cli_config *cfg, store *st, cli_report_rules **out, report_opts *o)
{
	*out = xcalloc(1, sizeof **out);
	if (cli_report_rules_load(cfg, st, *out, o)) {
		cli_report_rules_clear(*out);
		free(*out);
		*out = NULL;
		return -1;
	}
	return 0;
}

void cli_report_rules_free(cli_report_rules *rr)
{
	if (!rr)
		return;
	cli_report_rules_clear(rr);
	free(rr);
}

int cmd_report(cli_config *cfg, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "format", required_argument, NULL, 'f' },
		{ "output", required_argument, NULL, 'o' },
		{ "lang", required_argument, NULL, 'L' },
		{ "locale", required_argument, NULL, 'l' },
		{ "from", required_argument, NULL, 'F' },
		{ "to", required_argument, NULL, 'T' },
		{ "by", required_argument, NULL, 'b' },
		{ "category", required_argument, NULL, 'c' },
		{ "direction", required_argument, NULL, 'd' },
		{ "org", required_argument, NULL, 'g' },
		{ "fsu", required_argument, NULL, 'u' },
		{ "period", required_argument, NULL, 'p' },
		{ "vs", required_argument, NULL, 'v' },
		{ "top", required_argument, NULL, 'n' },
		{ NULL, 0, NULL, 0 },
	};
	report_args a = { .fmt = REPORT_TEXT, .by = REPORT_BY_MONTH, .lang = REPORT_LANG_NB };
	const char *sub;
	period pa, pb, *pfrom = NULL;
	report_rules rr;
	report_opts o;
	cli_output out;
	sbuf err = SBUF_INIT, cats = SBUF_INIT;
	direction dir = DIR_UKJENT;
	classify_org org = { 0 };
	store *st;
	int c, rc = EXIT_FATAL, nargs;

	while ((c = getopt_long(argc, argv, ":o:", opts, NULL)) != -1) {
		switch (c) {
		case 'f':
			if (report_format_parse(optarg, &a.fmt)) {
				log_error("report: unknown format '%s' (expected text, md, csv, json, html or xlsx)", optarg);
				return EXIT_USAGE;
			}
			break;
		case 'o': a.outpath = optarg; break;
		case 'L':
			if (!strcmp(optarg, "nb") || !strcmp(optarg, "no"))
				a.lang = REPORT_LANG_NB;
			else if (!strcmp(optarg, "en"))
				a.lang = REPORT_LANG_EN;
			else {
				log_error("report: --lang %s: expected nb or en", optarg);
				return EXIT_USAGE;
			}
			break;
		case 'l':
			if (parse_locale("report", optarg, &a.csv_c))
				return EXIT_USAGE;
			break;
		case 'F': a.from = optarg; break;
		case 'T': a.to = optarg; break;
		case 'b':
			if (!strcmp(optarg, "month"))
				a.by = REPORT_BY_MONTH;
			else if (!strcmp(optarg, "quarter"))
				a.by = REPORT_BY_QUARTER;
			else {
				log_error("report: --by %s: expected month or quarter", optarg);
				return EXIT_USAGE;
			}
			break;
		case 'c': a.category = optarg; break;
		case 'd': a.direction = optarg; break;
		case 'g': a.org = optarg; break;
		case 'u': a.fsu = optarg; break;
		case 'p': a.period = optarg; break;
		case 'v': a.vs = optarg; break;
		case 'n':
			a.top = atoi(optarg);
			if (a.top < 1 || a.top > 50) {
				log_error("report: --top %s: expected 1 to 50", optarg);
				return EXIT_USAGE;
			}
			break;
		default: return cli_opt_error("report", c, argv);
		}
	}
	nargs = argc - optind;
	sub = nargs ? argv[optind] : "";
	if (!strcmp(sub, "compare") && nargs == 3) {
		if (parse_period_arg(argv[optind + 1], &pa) || parse_period_arg(argv[optind + 2], &pb))
			return EXIT_USAGE;
		if (periods_overlap("report compare", &pa, &pb))
			return EXIT_USAGE;
	} else if (!strcmp(sub, "trend") && nargs == 1) {
		if (!a.from != !a.to) {
			log_error("report trend: give both --from and --to, or neither (all data)");
			return EXIT_USAGE;
		}
		if (a.from) {
			/* period_parse knows "A..B" with any period form on each side */
			sbuf spec = SBUF_INIT;
			int bad;

			sbuf_addf(&spec, "%s..%s", a.from, a.to);
			bad = parse_period_arg(spec.buf, &pa);
			sbuf_release(&spec);
			if (bad)
				return EXIT_USAGE;
			pfrom = &pa;
		}
	} else if (!strcmp(sub, "summary") && nargs == 1) {
		if (!a.period) {
			log_error("report summary: --period P is required (e.g. --period 2024)");
			return EXIT_USAGE;
		}
		if (parse_period_arg(a.period, &pa))
			return EXIT_USAGE;
		if (a.vs ? parse_period_arg(a.vs, &pb) : period_before(&pa, &pb)) {
			log_error("report summary: no period before %s", a.period);
			return EXIT_USAGE;
		}
		if (a.fsu && a.org) {
			log_error("report summary: --fsu and --org exclude each other");
			return EXIT_USAGE;
		}
		if (periods_overlap("report summary", &pa, &pb))
			return EXIT_USAGE;
	} else {
		cli_usage(stderr, "report");
		return EXIT_USAGE;
	}
	if (!strcmp(sub, "compare") && (a.category || a.direction || a.org || a.fsu)) {
		log_error("report compare: --category, --direction, --org and --fsu are for trend and summary");
		return EXIT_USAGE;
	}
	if (!(st = cli_store_open(cfg)))
		return cli_store_failed(cfg);
	if (cli_report_rules_load(cfg, st, &rr, &o)) {
		store_close(st);
		return EXIT_USAGE;
	}
	o.format = a.fmt;
	o.lang = a.lang;
	o.csv_c = a.csv_c;
	o.top = a.top;
	/* colour only for a person at a terminal, never into a file or pipe */
	o.color = a.fmt == REPORT_TEXT && !a.outpath && isatty(STDOUT_FILENO) && !getenv("NO_COLOR");
	if (report_filter_setup(&a, &rr, st, &o, &cats, &dir, &org)) {
		rc = EXIT_USAGE;
	} else if (cli_output_open(&out, a.outpath) == 0) {
		int ok;

		if (!strcmp(sub, "compare"))
			ok = report_compare(st, &o, &pa, &pb, out.f, &err) == 0;
		else if (!strcmp(sub, "trend"))
			ok = report_trend(st, &o, pfrom, a.by, out.f, &err) == 0;
		else
			ok = report_summary(st, &o, &pa, &pb, out.f, &err) == 0;
		if (!ok)
			log_error("report %s: %s", sub, err.buf);
		if (cli_output_close(&out, ok) == 0 && ok)
			rc = EXIT_DONE;
	}
	classify_org_clear(&org);
	cli_report_rules_clear(&rr);
	store_close(st);
	sbuf_release(&err);
	sbuf_release(&cats);
	return rc;
}

int cmd_export(cli_config *cfg, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "format", required_argument, NULL, 'f' },
		{ "period", required_argument, NULL, 'p' },
		{ "output", required_argument, NULL, 'o' },
		{ "locale", required_argument, NULL, 'l' },
		{ NULL, 0, NULL, 0 },
	};
	export_format fmt = EXPORT_JSONL;
	int csv_c = 0;
	const char *outpath = NULL;
	period p, *pp = NULL;
	report_rules rr;
	report_opts o;
	cli_output out;
	sbuf err = SBUF_INIT;
	store *st;
	int c, rc = EXIT_FATAL;

	while ((c = getopt_long(argc, argv, ":o:", opts, NULL)) != -1) {
		switch (c) {
		case 'f':
			if (!strcmp(optarg, "jsonl"))
				fmt = EXPORT_JSONL;
			else if (!strcmp(optarg, "csv"))
				fmt = EXPORT_CSV;
			else if (!strcmp(optarg, "xlsx"))
				fmt = EXPORT_XLSX;
			else {
				log_error("export: unknown format '%s' (expected jsonl, csv or xlsx)", optarg);
				return EXIT_USAGE;
			}
			break;
		case 'l':
			if (parse_locale("export", optarg, &csv_c))
				return EXIT_USAGE;
			break;
		case 'p':
			if (parse_period_arg(optarg, &p))
				return EXIT_USAGE;
			pp = &p;
			break;
		case 'o': outpath = optarg; break;
		default: return cli_opt_error("export", c, argv);
		}
	}
	if (optind < argc) {
		cli_usage(stderr, "export");
		return EXIT_USAGE;
	}
	if (!(st = cli_store_open(cfg)))
		return cli_store_failed(cfg);
	if (cli_report_rules_load(cfg, st, &rr, &o)) {
		store_close(st);
		return EXIT_USAGE;
	}
	o.csv_c = csv_c;
	if (cli_output_open(&out, outpath) == 0) {
		int ok = report_export(st, &o, pp, fmt, out.f, &err) == 0;
		if (!ok)
			log_error("export: %s", err.buf);
		if (cli_output_close(&out, ok) == 0 && ok)
			rc = EXIT_DONE;
	}
	cli_report_rules_clear(&rr);
	store_close(st);
	sbuf_release(&err);
	return rc;
}
