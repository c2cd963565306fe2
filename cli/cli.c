/* cli.c - global options, the command table and the help texts. */
#include "cli/cli.h"

#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

typedef struct {
	const char *name;
	int (*fn)(cli_config *cfg, int argc, char **argv);
	const char *synopsis;
	const char *help;
} cli_command;

static const cli_command commands[] = {
	{ "init", cmd_init, "init [--rules-dir DIR] [--seed DIR]",
	  "Creates the database (mode 0600), the pseudonym key (mode 0600) and the rules\n"
	  "repository at DIR (default: 'rules' beside the database), seeded from the\n"
	  "shipped rules and committed through libgit2.  Safe to run again: what exists\n"
	  "is kept and said so.\n" },
	{ "ingest", cmd_ingest, "ingest [--jobs N] [--dry-run] [--rescan] [SOURCE...] | ingest --path PATH [--format auto|msghead|avvik-xml|eml|mbox|maildir]",
	  "Reads every configured source (or the named ones), or the file or directory\n"
	  "tree PATH.  Each file is stored in one transaction with its identity, so a\n"
	  "file already read is not read again.  Messages that cannot be parsed go to\n"
	  "quarantine with the reason; exit 1 when that happened.\n" },
	{ "classify", cmd_classify, "classify [--rev REV] [--all] [--jobs N]",
	  "Classifies the deviations that have no classification under the rules commit\n"
	  "REV (default: rules_rev from the config, else HEAD of the rules repository).\n"
	  "--all re-classifies every deviation under that commit; earlier commits'\n"
	  "results are kept.  Reports use the commit of the latest classify.\n" },
	{ "run", cmd_run, "run [--jobs N] [--dry-run] [--rescan]",
	  "The nightly job: ingests every configured source, then classifies what is new.\n"
	  "Exit 0 done; 1 something was quarantined or a source failed; 75 another run\n"
	  "holds the lock.\n" },
	{ "report", cmd_report,
	  "report compare A B | trend [--from P --to P] [--by month|quarter] [--category C]\n"
	  "         [--direction D] [--org O] | summary --period P [--vs Q] [--fsu NAME | --org O]\n"
	  "         [--top N]  [--format text|md|csv|json|html] [--lang nb|en] [--locale nb] [-o FILE]",
	  "compare A B: counts in two periods (2024, 2024-Q3, 2024-07, 2024-01..2024-06),\n"
	  "  the rate ratio with the exact conditional Poisson test and its 95 % interval,\n"
	  "  the same per direction and category, the municipal/GP share against UNN with\n"
	  "  an exact interval and Fisher's exact test, and the monthly over-dispersion.\n"
	  "trend: the series by month or quarter, its median and Anhøj run-chart signals,\n"
	  "  a c- or u-chart with 3-sigma limits (Laney's U' when over-dispersed).\n"
	  "summary: the one-page FSU summary of P against Q (default: the period before):\n"
	  "  headline and test, directions, Pareto of categories, monthly run chart,\n"
	  "  recurring failures (top N in 3 consecutive quarters), rising categories,\n"
	  "  example excerpts, data counts and the rules commit.\n"
	  "--format html writes one self-contained page with inline SVG charts, for A4;\n"
	  "--locale nb makes csv for Norwegian spreadsheets (';', decimal comma, BOM).\n" },
	{ "export", cmd_export, "export [--format jsonl|csv] [--period P] [-o FILE]",
	  "One record per deviation with its current classification.  Free text is the\n"
	  "scrubbed text: no fødselsnummer, no patient names from structured fields.\n" },
	{ "rules", cmd_rules, "rules check|test|list|log|diff|eval [--rev REV | --worktree | --dir DIR]",
	  "The rule maintainer's workflow.  Rules are read from a commit of the rules\n"
	  "repository (--rev, default rules_rev or HEAD), from its work tree (--worktree),\n"
	  "or from any rules directory (--dir DIR, no database needed).\n"
	  "  rules check          YAML errors, unknown keys, invalid patterns, unknown\n"
	  "                       categories, duplicate ids and priority ties, each as\n"
	  "                       file:line:col: message on stderr; exit 2 on any\n"
	  "  rules test           runs every embedded example; a failure shows the text,\n"
	  "                       the expected category and the rule that won; exit 1\n"
	  "  rules list [-v]      id, priority, category, tags, file:line, title\n"
	  "  rules log [-n N]     commits: id, date, author, subject, rule ids added,\n"
	  "                       changed and removed [--format json]\n"
	  "  rules diff A B       classifies the stored deviations under revisions A and\n"
	  "                       B without writing: the category transitions (from, to,\n"
	  "                       count, example ids) [--format text|json]\n"
	  "  rules eval           precision, recall and F1 per category and the accuracy\n"
	  "                       of a revision, with the overrides as ground truth\n" },
	{ "show", cmd_show, "show ID",
	  "The stored deviation ID (fields, scrubbed text) and its current classification,\n"
	  "and the override in force, if any.\n" },
	{ "explain", cmd_explain, "explain ID [--rev REV]",
	  "Why deviation ID is classified as it is, under the commit reports use (or\n"
	  "REV): its fields, how each organisation was resolved, every rule that matched\n"
	  "with its excerpt, how priority decided, why the direction is what it is, and\n"
	  "the rules commit.\n" },
	{ "override", cmd_override, "override ID --category C [--direction D] --reason TEXT [--by NAME] | override --list [--all]",
	  "A manual correction of a deviation's category and/or direction, kept with who\n"
	  "(--by, default $USER), when and why.  A new override supersedes the one in\n"
	  "force; overrides survive re-classification and win in reports and exports.\n"
	  "--list shows those in force (--all: with the superseded ones).\n" },
	{ "list", cmd_list, LIST_SYNOPSIS, LIST_HELP },
	{ "search", cmd_search, "search QUERY " LIST_FILTERS, SEARCH_HELP },
	{ "serve", cmd_serve, SERVE_SYNOPSIS, SERVE_HELP },
	{ "user", cmd_user, USER_SYNOPSIS, USER_HELP },
	{ "audit", cmd_audit, AUDIT_SYNOPSIS, AUDIT_HELP },
	{ "help", cmd_help, "help [COMMAND]", "Shows the usage of avvik or of one command.\n" },
};
#define N_COMMANDS (sizeof commands / sizeof commands[0])

static const char global_usage[] =
	"usage: avvik [--config FILE] [--db FILE] [-q|-v] COMMAND [ARGS]\n"
	"       avvik --version | --help\n";

void cli_usage(FILE *out, const char *command)
{
	size_t i;

	if (command) {
		for (i = 0; i < N_COMMANDS; i++)
			if (!strcmp(commands[i].name, command)) {
				fprintf(out, "usage: avvik %s\n\n%s", commands[i].synopsis, commands[i].help);
				return;
			}
	}
	fputs(global_usage, out);
	fputs("\ncommands:\n", out);
	for (i = 0; i < N_COMMANDS; i++)
		fprintf(out, "  %s\n", commands[i].synopsis);
	fputs("\nThe config file is --config FILE, else $AVVIK_CONFIG.  Exit codes: 0 done;\n"
	      "1 done but something was quarantined or a source failed; 2 usage or\n"
	      "configuration error; 3 fatal; 75 another run holds the lock.\n", out);
}

int cmd_help(cli_config *cfg, int argc, char **argv)
{
	size_t i;

	(void)cfg;
	if (argc > 1) {
		for (i = 0; i < N_COMMANDS; i++)
			if (!strcmp(commands[i].name, argv[1]))
				break;
		if (i == N_COMMANDS) {
			log_error("help: unknown command '%s'", argv[1]);
			return EXIT_USAGE;
		}
	}
	cli_usage(stdout, argc > 1 ? argv[1] : NULL);
	return EXIT_DONE;
}

int cli_main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "db", required_argument, NULL, 'd' },
		{ "quiet", no_argument, NULL, 'q' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "version", no_argument, NULL, 'V' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	cli_config cfg;
	const char *config_path = getenv("AVVIK_CONFIG");
	const char *db = NULL;
	int c, verbosity = 0, rc;
	size_t i;

	umask(077);
	ingest_global_init();
	memset(&cfg, 0, sizeof cfg);
	cfg.log_lvl = LOG_LVL_WARN;
	while ((c = getopt_long(argc, argv, "+qvh", opts, NULL)) != -1) {
		switch (c) {
		case 'c': config_path = optarg; break;
		case 'd': db = optarg; break;
		case 'q': verbosity--; break;
		case 'v': verbosity++; break;
		case 'V': printf("avvik %s\n", AVVIK_VERSION); return EXIT_DONE;
		case 'h': cli_usage(stdout, NULL); return EXIT_DONE;
		default: fputs(global_usage, stderr); return EXIT_USAGE;
		}
	}
	if (optind >= argc) {
		fputs(global_usage, stderr);
		return EXIT_USAGE;
	}
	if (config_path && *config_path) {
		sbuf err = SBUF_INIT;
		if (cli_config_load(&cfg, config_path, &err)) {
			log_error("%s", err.buf);
			sbuf_release(&err);
			cli_config_clear(&cfg);
			return EXIT_USAGE;
		}
		sbuf_release(&err);
	}
	if (db) {
		free(cfg.db);
		cfg.db = xstrdup(db);
	}
	cli_config_finish(&cfg);
	rc = (int)cfg.log_lvl + verbosity;
	log_set_level(rc < 0 ? LOG_LVL_ERROR : rc > LOG_LVL_DEBUG ? LOG_LVL_DEBUG : (log_level)rc);

	for (i = 0; i < N_COMMANDS; i++)
		if (!strcmp(commands[i].name, argv[optind]))
			break;
	if (i == N_COMMANDS) {
		log_error("unknown command '%s' (see 'avvik help')", argv[optind]);
		cli_config_clear(&cfg);
		return EXIT_USAGE;
	}
	argv += optind;
	argc -= optind;
	optind = 0;   /* glibc: re-initialise getopt for the command's options */
	rc = commands[i].fn(&cfg, argc, argv);
	cli_config_clear(&cfg);
	return rc;
}
