/*
 * avvik - collects samhandlingsavvik from where they arrive, classifies them
 * with rules kept in git, stores them in SQLite and reports the trends.
 *
 * The pipeline, by file: ingest/ (sources, parsers, scrubbing) -> classify/
 * (organisations, rules from a git commit) -> store/ (SQLite) -> report/.
 * cli/ reads the command line and the config and wires the stages together
 * (cli/pipeline.c).
 */
#include "cli/cli.h"

int main(int argc, char **argv)
{
	return cli_main(argc, argv);
}
