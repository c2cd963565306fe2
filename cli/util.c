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

void cli_suggest(const char *typed, const char *const *names, size_t n, sbuf *out)
{
	sbuf t = SBUF_INIT, k = SBUF_INIT;
	size_t best[3] = { 0 }, nb = 0;
	int bestd[3] = { 0 };
	int max;

	utf8_fold(&t, typed);
	/* a quarter of the typed length, at least 2: "Narvk" finds Narvik,
	 * "Bogus kommune" finds nothing */
	max = (int)(t.len / 4) > 2 ? (int)(t.len / 4) : 2;
	for (size_t i = 0; i < n; i++) {
		int d;

		if (!names[i])
			continue;
		sbuf_reset(&k);
		utf8_fold(&k, names[i]);
		if (t.len >= 3 && k.len && (strstr(k.buf, t.buf) || strstr(t.buf, k.buf)))
			d = 0;
		else if ((d = text_edit_distance(t.buf, k.buf, max)) > max)
			continue;
		/* insertion into the three best, skipping a name already there */
		{
			size_t j, at = nb < 3 ? nb : 3;
			int dup = 0;

			/* "epikrise" and "Epikrise" are one suggestion */
			for (j = 0; j < nb; j++) {
				sbuf b = SBUF_INIT;
				utf8_fold(&b, names[best[j]]);
				if (!strcmp(b.buf, k.buf))
					dup = 1;
				sbuf_release(&b);
			}
			if (dup)
				continue;
			for (j = 0; j < nb; j++)
				if (d < bestd[j]) {
					at = j;
					break;
				}
			if (at >= 3)
				continue;
			for (j = nb < 3 ? nb : 2; j > at; j--) {
				best[j] = best[j - 1];
				bestd[j] = bestd[j - 1];
			}
			best[at] = i;
			bestd[at] = d;
			if (nb < 3)
				nb++;
		}
	}
	if (nb) {
		sbuf_adds(out, " (did you mean ");
		for (size_t j = 0; j < nb; j++) {
			if (j)
				sbuf_adds(out, j + 1 == nb ? " or " : ", ");
			sbuf_addf(out, "'%s'", names[best[j]]);
		}
		sbuf_adds(out, "?)");
	}
	sbuf_release(&t);
	sbuf_release(&k);
}

void cli_table_row(cli_table *t, size_t ncol, const char *const *cells)
{
	t->ncol = ncol;
	t->cells = xrealloc(t->cells, (t->nrow + 1) * ncol * sizeof *t->cells);
	for (size_t c = 0; c < ncol; c++)
		t->cells[t->nrow * ncol + c] = xstrdup(cells[c] ? cells[c] : "");
	t->nrow++;
}

void cli_table_print(const cli_table *t, FILE *out)
{
	size_t *w = xcalloc(t->ncol + 1, sizeof *w);

	for (size_t r = 0; r < t->nrow; r++)
		for (size_t c = 0; c < t->ncol; c++)
			if (utf8_width(t->cells[r * t->ncol + c]) > w[c])
				w[c] = utf8_width(t->cells[r * t->ncol + c]);
	for (size_t r = 0; r < t->nrow; r++) {
		for (size_t c = 0; c < t->ncol; c++) {
			const char *s = t->cells[r * t->ncol + c];
			fputs(s, out);
			if (c + 1 < t->ncol)
				for (size_t k = utf8_width(s); k < w[c] + 2; k++)
					fputc(' ', out);
		}
		fputc('\n', out);
	}
	free(w);
}

void cli_table_clear(cli_table *t)
{
	for (size_t i = 0; i < t->nrow * t->ncol; i++)
		free(t->cells[i]);
	free(t->cells);
	memset(t, 0, sizeof *t);
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
