/* util.c - what several commands share: opening the store, the rules
 * repository's location, the pseudonym key, atomic output files. */
#include "cli/cli.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

store *cli_store_open(const cli_config *cfg)
{
	store *st = NULL;
	sbuf err = SBUF_INIT;

	if (store_open(&st, cfg->db, 0, &err)) {
		log_error("%s", err.buf);   /* the caller's exit code: cli_store_failed */
		sbuf_release(&err);
		return NULL;
	}
	sbuf_release(&err);
	return st;
}

int cli_store_failed(const cli_config *cfg)
{
	/* no database is a setup step not done yet; one that will not open is fatal */
	return access(cfg->db, F_OK) == 0 ? EXIT_FATAL : EXIT_USAGE;
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
		log_error("%s: pseudonym key too short (%zd bytes, expected 32); restore it from a backup "
			  "(a new key would unlink every pseudonym from the ones made before)", path, n);
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

/* avvik's own files, which no source may read as input (pipeline_opts). */
char **cli_private_paths(const cli_config *cfg)
{
	static const char *const db_suffix[] = { "", "-wal", "-shm", "-journal", ".lock" };
	char **v = xcalloc(sizeof db_suffix / sizeof db_suffix[0] + 3 + 2 * cfg->n_sources + 1,
			   sizeof *v);
	size_t n = 0, i;

	for (i = 0; i < sizeof db_suffix / sizeof db_suffix[0]; i++) {
		sbuf p = SBUF_INIT;
		sbuf_addf(&p, "%s%s", cfg->db, db_suffix[i]);
		v[n++] = sbuf_detach(&p, NULL);
	}
	if (cfg->key_file)
		v[n++] = xstrdup(cfg->key_file);
	if (cfg->config_path)
		v[n++] = xstrdup(cfg->config_path);
	for (i = 0; i < cfg->n_sources; i++) {
		if (cfg->sources[i].password_file)
			v[n++] = xstrdup(cfg->sources[i].password_file);
		if (cfg->sources[i].token_file)
			v[n++] = xstrdup(cfg->sources[i].token_file);
	}
	return v;
}

void cli_strv_free(char **v)
{
	for (size_t i = 0; v && v[i]; i++)
		free(v[i]);
	free(v);
}

int cli_scrub(const cli_config *cfg, const char *in, sbuf *out)
{
	unsigned char key[64];
	size_t key_len = sizeof key;
	ingest_ctx ctx;

	if (cli_key_load(cfg->key_file, key, &key_len))
		return -1;
	memset(&ctx, 0, sizeof ctx);
	ctx.hmac_key = key;
	ctx.hmac_key_len = key_len;
	sbuf_reset(out);
	sbuf_adds(out, in);
	ingest_scrub_text(&ctx, out);
	return 0;
}
