/* cmd_init.c - avvik init: database, pseudonym key, rules repository. */
#include "cli/cli.h"
#include "classify/classify.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <libgen.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#include "avvik_paths.h"   /* AVVIK_PKGDATADIR: where make install put the rules */

#define AVVIK_RULES_SEED AVVIK_PKGDATADIR "/rules"

/* 32 random bytes, created 0600 and never overwritten: losing the key would
 * unlink every pseudonym from the ones made before. */
static int init_key(const char *path)
{
	unsigned char key[32];
	size_t got = 0;
	int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);

	if (fd < 0) {
		if (errno == EEXIST) {
			size_t len = sizeof key;
			printf("%s: pseudonym key exists, kept\n", path);
			return cli_key_load(path, key, &len);
		}
		log_error("%s: cannot create pseudonym key: %s", path, strerror(errno));
		return -1;
	}
	while (got < sizeof key) {
		ssize_t n = getrandom(key + got, sizeof key - got, 0);
		if (n < 0 && errno != EINTR)
			break;
		if (n > 0)
			got += (size_t)n;
	}
	if (got < sizeof key || write(fd, key, sizeof key) != (ssize_t)sizeof key || close(fd) != 0) {
		log_error("%s: cannot write pseudonym key: %s", path, strerror(errno));
		unlink(path);
		return -1;
	}
	printf("%s: pseudonym key created (mode 0600)\n", path);
	return 0;
}

/* A repository that was there: its HEAD must hold rules classify can load;
 * init does not touch them, it names the way out. */
static int init_rules_check(const char *rules_dir)
{
	classify_rules *r = NULL;
	sbuf err = SBUF_INIT;
	int rc = classify_rules_load(&r, rules_dir, NULL, &err);

	if (rc)
		log_error("%s: the rules at HEAD do not load, so classify cannot run: %s; commit a fix "
			  "('avvik rules check --worktree' shows what is wrong) or bring in a good commit "
			  "('avvik rules pull')", rules_dir, err.buf);
	classify_rules_free(r);
	sbuf_release(&err);
	return rc;
}

static char *init_default_rules_dir(const char *db)
{
	char *copy = xstrdup(db);
	sbuf d = SBUF_INIT;

	sbuf_addf(&d, "%s/rules", dirname(copy));
	free(copy);
	return sbuf_detach(&d, NULL);
}

int cmd_init(cli_config *cfg, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "rules-dir", required_argument, NULL, 'r' },
		{ "seed", required_argument, NULL, 's' },
		{ NULL, 0, NULL, 0 },
	};
	const char *seed = getenv("AVVIK_RULES_SEED");
	char *rules_dir = NULL, *abs = NULL;
	store *st = NULL;
	sbuf err = SBUF_INIT;
	int c, rc = EXIT_FATAL, r;

	if (!seed || !*seed)
		seed = AVVIK_RULES_SEED;
	while ((c = getopt_long(argc, argv, ":", opts, NULL)) != -1) {
		switch (c) {
		case 'r': free(rules_dir); rules_dir = xstrdup(optarg); break;
		case 's': seed = optarg; break;
		default: return cli_opt_error("init", c, argv);
		}
	}
	if (optind < argc) {
		cli_usage(stderr, "init");
		free(rules_dir);
		return EXIT_USAGE;
	}
	if (!rules_dir)
		rules_dir = cfg->rules_dir ? xstrdup(cfg->rules_dir) : init_default_rules_dir(cfg->db);

	if (store_open(&st, cfg->db, 1, &err)) {
		log_error("%s", err.buf);   /* rc: EXIT_FATAL */
		goto out;
	}
	if (store_was_created(st))
		printf("%s: database created (schema version %d, mode 0600)\n", cfg->db, store_schema_version(st));
	else
		printf("%s: database exists (schema version %d), kept\n", cfg->db, store_schema_version(st));
	if (init_key(cfg->key_file))
		goto out;

	/* what init cannot create or repair needs the operator: a usage error */
	r = classify_repo_init(rules_dir, seed, &err);
	if (r < 0) {
		log_error("%s", err.buf);
		rc = EXIT_USAGE;
		goto out;
	}
	if (r == 1 && init_rules_check(rules_dir)) {
		rc = EXIT_USAGE;
		goto out;
	}
	if (r == 2)
		printf("%s: rules repository had no commit: seeded from %s\n", rules_dir, seed);
	else
		printf(r ? "%s: rules repository exists, kept\n"
			 : "%s: rules repository created from %s\n", rules_dir, seed);
	abs = realpath(rules_dir, NULL);
	if (!abs || store_meta_put(st, "rules_dir", abs)) {
		log_error("%s: cannot record the rules repository: %s", rules_dir,
			  abs ? store_errmsg(st) : strerror(errno));
		goto out;
	}
	rc = EXIT_DONE;
out:
	free(abs);
	free(rules_dir);
	store_close(st);
	sbuf_release(&err);
	return rc;
}
