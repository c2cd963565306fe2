/*
 * config.c - the INI configuration file, read with libinih.  A global
 * [avvik] section and one [source NAME] section per source.  Unknown
 * sections, unknown keys and bad values are errors naming file, line and key.
 */
#include "cli/cli.h"

#include <errno.h>
#include <ini.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
	cli_config *cfg;
	const char *path;
	FILE *f;
	int line;        /* lines read so far = the line being handled */
	int section_line;   /* line of the last [section] header */
	sbuf *err;
	int failed;
} config_parse;

/* libinih reads one line per call: counting them gives each key its line. */
static char *config_reader(char *str, int num, void *stream)
{
	config_parse *cp = stream;
	char *r = fgets(str, num, cp->f);
	const char *p = str;

	if (!r)
		return NULL;
	cp->line++;
	while (*p == ' ' || *p == '\t')
		p++;
	if (*p == '[')
		cp->section_line = cp->line;
	return r;
}

static int config_fail(config_parse *cp, const char *key, const char *fmt, const char *value)
{
	if (!cp->failed) {
		sbuf_addf(cp->err, "%s:%d: %s: ", cp->path, cp->line, key);
		sbuf_addf(cp->err, fmt, value);
	}
	cp->failed = 1;
	return 0;
}

static void config_set(char **slot, const char *value)
{
	free(*slot);
	*slot = xstrdup(value);
}

static cli_source *config_source_get(config_parse *cp, const char *name)
{
	cli_config *cfg = cp->cfg;
	size_t i;

	for (i = 0; i < cfg->n_sources; i++)
		if (!strcmp(cfg->sources[i].name, name))
			return &cfg->sources[i];
	cfg->sources = xrealloc(cfg->sources, (cfg->n_sources + 1) * sizeof *cfg->sources);
	memset(&cfg->sources[cfg->n_sources], 0, sizeof cfg->sources[0]);
	cfg->sources[cfg->n_sources].name = xstrdup(name);
	cfg->sources[cfg->n_sources].file = xstrdup(cp->path);
	cfg->sources[cfg->n_sources].line = cp->section_line;
	cfg->sources[cfg->n_sources].type = (source_type)-1;
	return &cfg->sources[cfg->n_sources++];
}

static int config_global(config_parse *cp, const char *name, const char *value)
{
	cli_config *cfg = cp->cfg;

	if (!*value)
		return config_fail(cp, name, "empty value%s", "");
	if (!strcmp(name, "db"))
		config_set(&cfg->db, value);
	else if (!strcmp(name, "rules_dir"))
		config_set(&cfg->rules_dir, value);
	else if (!strcmp(name, "rules_rev"))
		config_set(&cfg->rules_rev, value);
	else if (!strcmp(name, "key_file"))
		config_set(&cfg->key_file, value);
	else if (!strcmp(name, "log_level")) {
		if (log_level_parse(value, &cfg->log_lvl))
			return config_fail(cp, name,
					   "'%s' is not a log level (expected error, warn, info or debug)", value);
	} else
		return config_fail(cp, name,
				   "unknown key in [avvik]%s (expected db, rules_dir, rules_rev, key_file, log_level)", "");
	return 1;
}

static int config_source(config_parse *cp, const char *sname, const char *name, const char *value)
{
	cli_source *src = config_source_get(cp, sname);

	if (!*value)
		return config_fail(cp, name, "empty value%s", "");
	if (!strcmp(name, "type")) {
		if (strcmp(value, "dir"))
			return config_fail(cp, name, "unknown source type '%s' (expected dir)", value);
		src->type = SOURCE_DIR;
	} else if (!strcmp(name, "path")) {
		config_set(&src->path, value);
	} else if (!strcmp(name, "format")) {
		if (ingest_format_parse(value, &src->format))
			return config_fail(cp, name,
					   "unknown format '%s' (expected auto, msghead or avvik-xml)", value);
	} else {
		return config_fail(cp, name, "unknown key in a source%s (expected type, path, format)", "");
	}
	return 1;
}

static int config_handler(void *user, const char *section, const char *name, const char *value)
{
	config_parse *cp = user;

	if (cp->failed)
		return 0;
	if (!strcmp(section, "avvik"))
		return config_global(cp, name, value);
	if (!strncmp(section, "source ", 7) && section[7]) {
		const char *sname = section + 7;
		while (*sname == ' ')
			sname++;
		if (!*sname || strchr(sname, ' '))
			return config_fail(cp, name, "bad section name [%s] (expected [source NAME])", section);
		return config_source(cp, sname, name, value);
	}
	return config_fail(cp, name, "unknown section [%s] (expected [avvik] or [source NAME])", section);
}

int cli_config_load(cli_config *cfg, const char *path, sbuf *err)
{
	config_parse cp = { cfg, path, NULL, 0, 0, err, 0 };
	size_t i;
	int rc;

	cp.f = fopen(path, "r");
	if (!cp.f) {
		sbuf_addf(err, "%s: cannot read config: %s", path, strerror(errno));
		return -1;
	}
	config_set(&cfg->config_path, path);
	rc = ini_parse_stream(config_reader, &cp, config_handler, &cp);
	fclose(cp.f);
	if (cp.failed)
		return -1;
	if (rc) {
		sbuf_addf(err, "%s:%d: syntax error (expected [section], key = value or a ; comment)", path, rc);
		return -1;
	}
	for (i = 0; i < cfg->n_sources; i++) {
		cli_source *s = &cfg->sources[i];
		if ((int)s->type < 0) {
			sbuf_addf(err, "%s:%d: type: source '%s' has no type (expected type = dir)",
				  s->file, s->line, s->name);
			return -1;
		}
		if (s->type == SOURCE_DIR && !s->path) {
			sbuf_addf(err, "%s:%d: path: source '%s' of type dir needs a path", s->file, s->line,
				  s->name);
			return -1;
		}
	}
	return 0;
}

void cli_config_finish(cli_config *cfg)
{
	if (!cfg->db)
		cfg->db = xstrdup("avvik.db");
	if (!cfg->key_file) {
		sbuf k = SBUF_INIT;
		sbuf_addf(&k, "%s.key", cfg->db);
		cfg->key_file = sbuf_detach(&k, NULL);
	}
}

void cli_config_clear(cli_config *cfg)
{
	size_t i;

	free(cfg->config_path);
	free(cfg->db);
	free(cfg->rules_dir);
	free(cfg->rules_rev);
	free(cfg->key_file);
	for (i = 0; i < cfg->n_sources; i++) {
		free(cfg->sources[i].name);
		free(cfg->sources[i].path);
		free(cfg->sources[i].file);
	}
	free(cfg->sources);
	memset(cfg, 0, sizeof *cfg);
}

const cli_source *cli_config_source(const cli_config *cfg, const char *name)
{
	size_t i;

	for (i = 0; i < cfg->n_sources; i++)
		if (!strcmp(cfg->sources[i].name, name))
			return &cfg->sources[i];
	return NULL;
}
