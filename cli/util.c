/* util.c - what several commands share: opening the store, the rules
 * repository's location, the pseudonym key, atomic output files. */
#include "cli/cli.h"

#include <errno.h>
#include <fcntl.h>
#include <pwd.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

store *cli_store_open(const cli_config *cfg)
{
	store *st = NULL;
	sbuf err = SBUF_INIT;

	if (store_open(&st, cfg->db, 0, &err)) {
		log_error("%s", err.buf);
		sbuf_release(&err);
		return NULL;
	}
	sbuf_release(&err);
	return st;
}

char *cli_rules_dir(const cli_config *cfg, store *st)
{
	char *dir;

	if (cfg->rules_dir)
		return xstrdup(cfg->rules_dir);
	dir = store_meta_get(st, "rules_dir");
	if (!dir)
		log_error("%s: no rules repository known: set rules_dir in the config or run 'avvik init'",
			  cfg->db);
	return dir;
}

int cli_key_load(const char *path, unsigned char *key, size_t *len)
{
	struct stat sb;
	ssize_t n;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0) {
		log_error("%s: cannot open pseudonym key: %s (run 'avvik init')", path, strerror(errno));
		return -1;
	}
	if (fstat(fd, &sb) != 0 || (sb.st_mode & 077)) {
		log_error("%s: pseudonym key is readable by others (mode %03o); run: chmod 600 %s",
			  path, (unsigned)(sb.st_mode & 0777), path);
		close(fd);
		return -1;
	}
	n = read(fd, key, *len);
	close(fd);
	if (n < 16) {
		log_error("%s: pseudonym key too short (%zd bytes, expected 32)", path, n);
		return -1;
	}
	*len = (size_t)n;
	return 0;
}

int cli_output_open(cli_output *o, const char *path)
{
	sbuf t = SBUF_INIT;
	int fd;

	memset(o, 0, sizeof *o);
	if (!path || !strcmp(path, "-")) {
		o->f = stdout;
		return 0;
	}
	sbuf_addf(&t, "%s.tmp-XXXXXX", path);
	fd = mkstemp(t.buf);
	if (fd < 0 || !(o->f = fdopen(fd, "w"))) {
		log_error("%s: cannot write: %s", path, strerror(errno));
		if (fd >= 0)
			close(fd);
		sbuf_release(&t);
		return -1;
	}
	/* mkstemp makes it 0600, and so it stays: reports hold health data */
	o->path = xstrdup(path);
	o->tmp = sbuf_detach(&t, NULL);
	return 0;
}

int cli_output_close(cli_output *o, int ok)
{
	int rc = 0;

	if (!o->path) {
		if (fflush(stdout) != 0) {
			log_error("stdout: %s", strerror(errno));
			rc = -1;
		}
		return rc;
	}
	if (fclose(o->f) != 0)
		ok = 0;
	if (ok && rename(o->tmp, o->path) != 0) {
		log_error("%s: %s", o->path, strerror(errno));
		ok = 0;
	}
	if (!ok) {
		unlink(o->tmp);
		rc = -1;
	}
	free(o->path);
	free(o->tmp);
	memset(o, 0, sizeof *o);
	return rc;
}

char *cli_user_name(void)
{
	const char *u = getenv("USER");
	struct passwd *pw;

	if (u && *u)
		return xstrdup(u);
	pw = getpwuid(getuid());
	return xstrdup(pw && pw->pw_name ? pw->pw_name : "unknown");
}
