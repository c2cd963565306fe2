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
	{ "ingest", cmd_ingest, "ingest [SOURCE...] | ingest --path PATH [--format auto|msghead|avvik-xml]",
	  "Reads every configured source (or the named ones), or the file or directory\n"
	  "tree PATH.  Each file is stored in one transaction with its identity, so a\n"
	  "file already read is not read again.  Messages that cannot be parsed go to\n"
	  "quarantine with the reason; exit 1 when that happened.\n" },
	{ "classify", cmd_classify, "classify [--rev REV] [--all]",
	  "Classifies the deviations that have no classification under the rules commit\n"
	  "REV (default: rules_rev from the config, else HEAD of the rules repository).\n"
	  "--all re-classifies every deviation under that commit; earlier commits'\n"
	  "results are kept.  Reports use the commit of the latest classify.\n" },
	{ "run", cmd_run, "run",
	  "The nightly job: ingests every configured source, then classifies what is new.\n"
	  "Exit 0 done; 1 something was quarantined or a source failed; 75 another run\n"
	  "holds the lock.\n" },
	{ "report", cmd_report, "report compare A B [--format text|json] [-o FILE]",
	  "Compares two periods (2024, 2024-Q3, 2024-07, 2024-01..2024-06): counts,\n"
	  "change, the rate ratio with the exact conditional Poisson test and its 95 %\n"
	  "confidence interval, and the same counts by direction, category and reporter.\n" },
	{ "export", cmd_export, "export [--format jsonl|csv] [--period P] [-o FILE]",
	  "One record per deviation with its current classification.  Free text is the\n"
	  "scrubbed text: no fødselsnummer, no patient names from structured fields.\n" },
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
