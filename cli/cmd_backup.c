/* cmd_backup.c - avvik backup FILE: the database copied online. */
#include "cli/cli.h"

#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

int cmd_backup(cli_config *cfg, int argc, char **argv)
{
	store *st;
	sbuf err = SBUF_INIT;
	long pages = 0;
	struct stat a, b;
	int rc = EXIT_DONE;

	if (argc != 2 || argv[1][0] == '-') {
		log_error("backup: expected one argument, the file to write");
		cli_usage(stderr, "backup");
		return EXIT_USAGE;
	}
	if (stat(argv[1], &a) == 0 && stat(cfg->db, &b) == 0 && a.st_dev == b.st_dev && a.st_ino == b.st_ino) {
		log_error("backup: %s is the database itself", argv[1]);
		return EXIT_USAGE;
	}
	if (!(st = cli_store_open(cfg)))
		return cli_store_failed(cfg);
	if (store_backup(st, argv[1], &pages, &err)) {
		log_error("backup: %s", err.buf);
		rc = EXIT_FATAL;
	} else {
		printf("%s: backup of %s written (%ld pages, mode 0600, quick_check ok)\n", argv[1], cfg->db, pages);
		printf("the pseudonym key %s is not in it: keep a copy of the key apart from the backups\n",
		       cfg->key_file);
	}
	store_close(st);
	sbuf_release(&err);
	return rc;
}
