/* cli.c - global options, the command table and the help texts. */
#include "cli/cli.h"
#include "avvik_paths.h"   /* AVVIK_CONFIG_DEFAULT */

#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

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
	  "         [--top N]  [--format text|md|csv|json|html|xlsx] [--lang nb|en] [--locale nb|C] [-o FILE]",
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
	  "csv is for Norwegian spreadsheets (';', decimal comma, UTF-8 BOM); --locale C gives ',' and '.'.\n" },
	{ "export", cmd_export, "export [--format jsonl|csv|xlsx] [--locale nb|C] [--period P] [-o FILE]",
	  "One record per deviation with its current classification.  Free text is the\n"
	  "scrubbed text: no fødselsnummer, no patient names from structured fields.\n" },
	{ "deliver", cmd_deliver, "deliver [--as-of DATE] [--dry-run] [NAME...]",
	  "Sends each [delivery NAME] of the config (or the named ones) whose period is\n"
	  "over and not yet sent: an e-mail with the report as text and HTML (charts\n"
	  "inline) and the spreadsheet attached; feedback deliveries send each reporting\n"
	  "organisation its own report.  A period is sent once; a failure is tried again\n"
	  "next time (exit 1).  avvik run delivers what is due after classifying.\n"
	  "--as-of DATE: the day the period rule counts from (default today).\n"
	  "--dry-run: writes the messages to stdout, sends and records nothing.\n" },
		{ "rules", cmd_rules, "rules check|test|list|log|diff|eval [--rev REV | --worktree | --dir DIR] | rules pull",
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
	  "                       count, example ids) [--format text|json]; both sides use\n"
	  "                       the current model, or --model-a/--model-b HASH|none|current\n"
	  "  rules eval           precision, recall and F1 per category and the accuracy\n"
	  "                       of a revision, with the overrides as ground truth\n"
	  "  rules pull           fetches rules_upstream (default: the repository's origin)\n"
	  "                       and fast-forwards the rules repository to it\n" },
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
	{ "quarantine", cmd_quarantine, "quarantine list [--all] | quarantine retry [--format F] ID... | --all",
	  "list: what could not be read (open items; --all: resolved ones too): where,\n"
	  "  why and when, names and reasons scrubbed.\n"
	  "retry: reads each item again: its file whole (after a parser or rules fix, a\n"
	  "  corrected file, or as --format F), else the bytes kept of it.  An item that\n"
	  "  does not come back is resolved.  Exit 1 when any is still in quarantine.\n" },
	{ "purge", cmd_purge, "purge [--days N]",
	  "Deletes the raw bytes (as received, identifiers included) of messages and\n"
	  "quarantined items older than N days (default raw_retention_days, 90); the\n"
	  "scrubbed records, their hashes and reasons stay.  Deleted bytes are\n"
	  "overwritten in the database file.  'avvik run' does it every night.\n" },
	{ "config", cmd_config, "config check",
	  "Reads the configuration and prints it as resolved: paths made absolute\n"
	  "(relative to the config file), defaults filled in, secrets masked, and\n"
	  "what is absent said so.  Exit 2 when the configuration is wrong.\n" },
	{ "backup", cmd_backup, "backup FILE",
	  "Copies the database to FILE (mode 0600) through SQLite's online backup API:\n"
	  "one consistent snapshot, taken while a run may be writing.  The copy is\n"
	  "checked before it replaces FILE.  The pseudonym key is not in it: keep a\n"
	  "copy of the key apart.  Restore: stop the timer, copy FILE over the database.\n" },
	{ "model", cmd_model, "model train|eval [--rev REV] [--folds K] [--format text|json]",
	  "train: trains the statistical model from the labelled examples of rules commit REV\n"
	  "  (training/*.tsv) and the overrides in force, and makes it the one classify uses.\n"
	  "eval: k-fold cross-validated accuracy, precision/recall per category and the\n"
	  "  confusion matrix for rules alone, model alone and the two combined.\n" },
	{ "review", cmd_review, "review [--limit N] [--format text|json]",
	  "The classifications most worth a human look first: where the rules and the model\n"
	  "disagree, where the model is unsure, where the wording is new to it.  Correct one\n"
	  "with 'avvik override'; the next 'model train' learns from it.\n" },
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

/* Every option error in one wording, through the log like every error:
 * "avvik: error: init: unknown option --bogus (see 'avvik help init')". */
int cli_opt_error(const char *command, int c, char *const *argv)
{
	const char *opt = argv[optind - 1];
	char shortopt[3] = { '-', (char)optopt, '\0' };

	/* a short option in a cluster (-qx) is not the whole argument */
	if (optopt && strncmp(opt, "--", 2))
		opt = shortopt;
	log_error("%s%s%s %s%s (see 'avvik help%s%s')", command ? command : "", command ? ": " : "",
		  c == ':' ? "option" : "unknown option", opt, c == ':' ? " needs an argument" : "",
		  command ? " " : "", command ? command : "");
	return EXIT_USAGE;
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
	opterr = 0;   /* cli_opt_error words them */
	while ((c = getopt_long(argc, argv, "+:qvh", opts, NULL)) != -1) {
		switch (c) {
		case 'c': config_path = optarg; break;
		case 'd': db = optarg; break;
		case 'q': verbosity--; break;
		case 'v': verbosity++; break;
		case 'V': printf("avvik %s\n", AVVIK_VERSION); return EXIT_DONE;
		case 'h': cli_usage(stdout, NULL); return EXIT_DONE;
		default: return cli_opt_error(NULL, c, argv);
		}
	}
	if (optind >= argc) {
		fputs(global_usage, stderr);
		return EXIT_USAGE;
	}
	/* $AVVIK_CONFIG set but empty means no config file at all */
	if (!config_path && access(AVVIK_CONFIG_DEFAULT, F_OK) == 0)
		config_path = AVVIK_CONFIG_DEFAULT;
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
