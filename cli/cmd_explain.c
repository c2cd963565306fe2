/* cmd_explain.c - avvik show ID, explain ID, override: looking at one
 * deviation, asking why it was classified so, and correcting it. */
#include "cli/cli.h"
#include "classify/classify.h"

#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static int cli_parse_id(const char *s, int64_t *id)
{
	char *end;
	long long v = strtoll(s, &end, 10);

	if (!*s || *end || v <= 0) {
		log_error("expected a deviation id (a positive number, as in exports and reports), found '%s'", s);
		return -1;
	}
	*id = (int64_t)v;
	return 0;
}

static void show_field(const char *name, const char *v)
{
	if (v && *v)
		printf("  %-16s %s\n", name, v);
}

static void show_record(int64_t id, const avvik_record *r)
{
	printf("Deviation %lld\n", (long long)id);
	show_field("ext_id", r->ext_id);
	show_field("source", r->source);
	show_field("channel", r->channel);
	show_field("origin", r->origin);
	show_field("received_at", r->received_at);
	show_field("reported_at", r->reported_at);
	show_field("event_date", r->event_date);
	show_field("reporter", r->reporter.name);
	show_field("reporter unit", r->reporter.unit);
	show_field("reporter her", r->reporter.her_id);
	show_field("reporter orgnr", r->reporter.org_nr);
	show_field("reporter type", r->reporter.type_hint);
	show_field("concerned", r->concerned.name);
	show_field("concerned unit", r->concerned.unit);
	show_field("concerned her", r->concerned.her_id);
	show_field("concerned orgnr", r->concerned.org_nr);
	show_field("concerned type", r->concerned.type_hint);
	show_field("source category", r->source_category);
	show_field("severity", r->severity);
	show_field("patient", r->patient_key);
	show_field("subject", r->subject);
	printf("  text (scrubbed):\n    %s\n", r->text ? r->text : "");
}

/* Loads the record; prints why not and returns -1 when absent. */
static int load_record(store *st, int64_t id, avvik_record *r)
{
	int rc = store_deviation_get(st, id, r);

	if (rc <= 0) {
		log_error("%s deviation %lld", rc < 0 ? "cannot read" : "no", (long long)id);
		avvik_record_clear(r);
		return -1;
	}
	return 0;
}

static void show_override(store *st, int64_t id)
{
	store_override o;

	if (store_override_get(st, id, &o) == 1) {
		printf("Override in force (#%lld, %s by %s): category %s, direction %s\n  reason: %s\n",
		       (long long)o.id, o.at, o.by, o.category ? o.category : "(rules)",
		       o.direction ? o.direction : "(rules)", o.reason);
		store_override_clear(&o);
	}
}

int cmd_show(cli_config *cfg, int argc, char **argv)
{
	avvik_record r;
	avvik_class c;
	store *st;
	int64_t id;
	char *at = NULL, *commit;

	if (argc != 2 || cli_parse_id(argv[1], &id)) {
		cli_usage(stderr, "show");
		return EXIT_USAGE;
	}
	if (!(st = cli_store_open(cfg)))
		return cli_store_failed(cfg);
	if (load_record(st, id, &r)) {
		store_close(st);
		return EXIT_USAGE;
	}
	show_record(id, &r);
	avvik_class_init(&c);
	commit = store_current_commit(st);
	if (store_class_get(st, id, commit, &c, &at) == 1) {
		printf("\nClassification (rules commit %.12s, %s):\n", commit, at ? at : "");
		show_field("category", c.category);
		show_field("tags", c.tags);
		printf("  %-16s %s\n", "direction", direction_name(c.dir));
		printf("  %-16s %s (%s, %s)\n", "reporter org", c.reporter_org ? c.reporter_org : "-",
		       org_type_name(c.reporter_type), c.reporter_how ? c.reporter_how : "");
		printf("  %-16s %s (%s, %s)\n", "concerned org", c.concerned_org ? c.concerned_org : "-",
		       org_type_name(c.concerned_type), c.concerned_how ? c.concerned_how : "");
		show_field("why", c.why);
		show_field("decided by", c.decided_by);
		if (c.model_hash)
			printf("  %-16s %s (p = %.2f; rules said %s; model %.12s)\n", "model said",
			       c.model_category ? c.model_category : "-", c.model_prob,
			       c.rules_category ? c.rules_category : "-", c.model_hash);
	} else {
		printf("\nNot classified under the current rules commit yet (run 'avvik classify').\n");
	}
	show_override(st, id);
	free(at);
	free(commit);
	avvik_class_clear(&c);
	avvik_record_clear(&r);
	store_close(st);
	return EXIT_DONE;
}

int cmd_explain(cli_config *cfg, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "rev", required_argument, NULL, 'r' },
		{ NULL, 0, NULL, 0 },
	};
	classify_rules *rules = NULL;
	classify_model *model = NULL;
	avvik_record r;
	sbuf err = SBUF_INIT;
	const char *rev = NULL;
	char *commit = NULL, *dir = NULL;
	store *st;
	int64_t id;
	int c, rc = EXIT_DONE;

	while ((c = getopt_long(argc, argv, ":", opts, NULL)) != -1) {
		if (c == 'r') {
			rev = optarg;
		} else {
			return cli_opt_error("explain", c, argv);
		}
	}
	if (argc - optind != 1 || cli_parse_id(argv[optind], &id)) {
		cli_usage(stderr, "explain");
		return EXIT_USAGE;
	}
	if (!(st = cli_store_open(cfg)))
		return cli_store_failed(cfg);
	if (load_record(st, id, &r)) {
		store_close(st);
		return EXIT_USAGE;
	}
	/* the commit reports use, so the explanation matches what they count */
	if (!rev)
		rev = commit = store_current_commit(st);
	if (!(dir = cli_rules_dir(cfg, st))) {
		rc = EXIT_USAGE;
		goto out;
	}
	if (classify_rules_load(&rules, dir, rev, &err)) {
		log_error("explain: %s", err.buf);
		rc = EXIT_USAGE;
		goto out;
	}
	if (pipeline_model_load(st, NULL, &model, &err)) {
		log_error("explain: %s", err.buf);
		rc = EXIT_FATAL;
		goto out;
	}
	show_record(id, &r);
	putchar('\n');
	classify_explain(rules, &r, stdout);
	if (model)
		classify_model_explain(model, rules, &r, stdout);
	show_override(st, id);
out:
	classify_model_free(model);
	classify_rules_free(rules);
	avvik_record_clear(&r);
	free(commit);
	free(dir);
	sbuf_release(&err);
	store_close(st);
	return rc;
}

static int override_list_one(void *ctx, const store_override *o)
{
	char id[32], dev[32];
	sbuf reason = SBUF_INIT;
	const char *row[7];

	snprintf(id, sizeof id, "%lld", (long long)o->id);
	snprintf(dev, sizeof dev, "%lld", (long long)o->deviation_id);
	sbuf_adds(&reason, o->reason);
	if (o->superseded_at)
		sbuf_addf(&reason, "  [superseded %s]", o->superseded_at);
	row[0] = id;
	row[1] = dev;
	row[2] = o->category ? o->category : "-";
	row[3] = o->direction ? o->direction : "-";
	row[4] = o->at;
	row[5] = o->by;
	row[6] = reason.buf;
	cli_table_row(ctx, 7, row);
	sbuf_release(&reason);
	return 0;
}

int cmd_override(cli_config *cfg, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "category", required_argument, NULL, 'c' },
		{ "direction", required_argument, NULL, 'd' },
		{ "reason", required_argument, NULL, 'r' },
		{ "by", required_argument, NULL, 'b' },
		{ "list", no_argument, NULL, 'l' },
		{ "all", no_argument, NULL, 'a' },
		{ NULL, 0, NULL, 0 },
	};
	const char *category = NULL, *dirs = NULL, *reason = NULL, *by = NULL;
	int c, list = 0, all = 0, rc = EXIT_DONE;
	direction d = DIR_UKJENT;
	int64_t id = 0, oid = 0;
	char *byd = NULL;
	sbuf reason_kept = SBUF_INIT;
	store *st;

	while ((c = getopt_long(argc, argv, ":", opts, NULL)) != -1) {
		switch (c) {
		case 'c': category = optarg; break;
		case 'd': dirs = optarg; break;
		case 'r': reason = optarg; break;
		case 'b': by = optarg; break;
		case 'l': list = 1; break;
		case 'a': all = 1; break;
		default: return cli_opt_error("override", c, argv);
		}
	}
	if (list) {
		if (optind < argc) {
			cli_usage(stderr, "override");
			return EXIT_USAGE;
		}
		if (!(st = cli_store_open(cfg)))
			return cli_store_failed(cfg);
		{
			static const char *const head[7] = { "id", "deviation", "category", "direction", "at", "by",
							      "reason" };
			cli_table t = { 0 };

			cli_table_row(&t, 7, head);
			if (store_override_each(st, all, override_list_one, &t))
				rc = EXIT_FATAL;
			else
				cli_table_print(&t, stdout);
			cli_table_clear(&t);
		}
		store_close(st);
		return rc;
	}
	if (argc - optind != 1 || cli_parse_id(argv[optind], &id)) {
		cli_usage(stderr, "override");
		return EXIT_USAGE;
	}
	if (!category && !dirs) {
		log_error("override: give --category C and/or --direction D");
		return EXIT_USAGE;
	}
	if (!reason || !*reason) {
		log_error("override: --reason TEXT is required: say why, for the next reader");
		return EXIT_USAGE;
	}
	if (dirs && direction_parse(dirs, &d)) {
		log_error("override: unknown direction '%s' (expected e.g. kommune→unn or kommune-unn)", dirs);
		return EXIT_USAGE;
	}
	if (!(st = cli_store_open(cfg)))
		return cli_store_failed(cfg);
	if (category) {
		/* the category must exist in the rules the reports use */
		classify_rules *r = NULL;
		sbuf err = SBUF_INIT;
		char *dir = cli_rules_dir(cfg, st), *commit = store_current_commit(st);
		if (!dir || classify_rules_load(&r, dir, commit ? commit : cfg->rules_rev, &err)) {
			if (dir)
				log_error("override: %s", err.buf);
			rc = EXIT_USAGE;
		} else if (!classify_category_label(r, category)) {
			log_error("override: unknown category '%s' (see categories.yaml)", category);
			rc = EXIT_USAGE;
		}
		classify_rules_free(r);
		free(dir);
		free(commit);
		sbuf_release(&err);
		if (rc) {
			store_close(st);
			return rc;
		}
	}
	if (!by)
		by = byd = cli_user_name();
	if (cli_scrub(cfg, reason, &reason_kept)) {
		store_close(st);
		free(byd);
		return EXIT_USAGE;
	}
	switch (store_override_put(st, id, category, dirs ? direction_name(d) : NULL, reason_kept.buf,
				   by, &oid)) {
	case 0:
		printf("override %lld: deviation %lld%s%s%s%s, by %s\n", (long long)oid, (long long)id,
		       category ? " category " : "", category ? category : "", dirs ? " direction " : "",
		       dirs ? direction_name(d) : "", by);
		{
			sbuf target = SBUF_INIT;
			sbuf_addf(&target, "deviation %lld", (long long)id);
			store_audit_put(st, by, "override", target.buf, reason_kept.buf, "cli");
			sbuf_release(&target);
		}
		break;
	case -2:
		log_error("override: no deviation %lld", (long long)id);
		rc = EXIT_USAGE;
		break;
	default:
		log_error("override: database write failed: %s", store_errmsg(st));
		rc = EXIT_FATAL;
	}
	free(byd);
	sbuf_release(&reason_kept);
	store_close(st);
	return rc;
}
