/*
 * config.c - the INI configuration file, read with libinih.  A global
 * [avvik] section and one [source NAME] section per source.  Unknown
 * sections, unknown keys and bad values are errors naming file, line and key.
 */
#include "cli/cli.h"

#include <errno.h>
#include <ini.h>
#include <libgen.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* A section header or a key seen, to refuse a second one. */
typedef struct {
	char *name;
	int line;
} config_seen;

typedef struct {
	cli_config *cfg;
	const char *path;
	FILE *f;
	int line;        /* lines read so far = the line being handled */
	int section_line;   /* line of the last [section] header */
	sbuf *err;
	int failed;
	char *dir;       /* the config file's directory: relative paths start there */
	config_seen *sections, *keys;   /* every section; the keys of the current one */
	size_t n_sections, n_keys;
	int continued;   /* the line being handled starts with white space */
} config_parse;

static void config_seen_clear(config_seen **v, size_t *n)
{
	size_t i;

	for (i = 0; i < *n; i++)
		free((*v)[i].name);
	free(*v);
	*v = NULL;
	*n = 0;
}

/* The line where name was seen before, else 0 after remembering it. */
static int config_seen_add(config_seen **v, size_t *n, const char *name, size_t len, int line)
{
	size_t i;

	for (i = 0; i < *n; i++)
		if (strlen((*v)[i].name) == len && !memcmp((*v)[i].name, name, len))
			return (*v)[i].line;
	*v = xrealloc(*v, (*n + 1) * sizeof **v);
	(*v)[*n].name = xstrndup(name, len);
	(*v)[(*n)++].line = line;
	return 0;
}

/* A section header: a second [X] would silently merge into the first. */
static void config_section_line(config_parse *cp, const char *p)
{
	const char *end = strchr(p, ']');
	size_t len;
	int first;

	if (!end)
		return;   /* libinih reports the syntax error */
	p++;
	while (p < end && (*p == ' ' || *p == '\t'))
		p++;
	len = (size_t)(end - p);
	while (len && (p[len - 1] == ' ' || p[len - 1] == '\t'))
		len--;
	config_seen_clear(&cp->keys, &cp->n_keys);
	first = config_seen_add(&cp->sections, &cp->n_sections, p, len, cp->line);
	if (first && !cp->failed) {
		sbuf_addf(cp->err, "%s:%d: [%.*s]: duplicate section (first at line %d)", cp->path,
			  cp->line, (int)len, p, first);
		cp->failed = 1;
	}
}

/* libinih reads one line per call: counting them gives each key its line. */
static char *config_reader(char *str, int num, void *stream)
{
	config_parse *cp = stream;
	char *r = fgets(str, num, cp->f);
	const char *p = str;

	if (!r)
		return NULL;
	cp->line++;
	cp->continued = *p == ' ' || *p == '\t';
	while (*p == ' ' || *p == '\t')
		p++;
	if (*p == '[') {
		cp->section_line = cp->line;
		config_section_line(cp, p);
		if (cp->failed)
			return NULL;
	}
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

/* Does s hold anything the scrubber would replace? */
static int config_has_fnr(const char *s)
{
	static const unsigned char any_key[] = "config";
	ingest_ctx ctx;
	sbuf t = SBUF_INIT;
	int n;

	memset(&ctx, 0, sizeof ctx);
	ctx.hmac_key = any_key;
	ctx.hmac_key_len = sizeof any_key - 1;
	sbuf_adds(&t, s);
	n = ingest_scrub_text(&ctx, &t);
	sbuf_release(&t);
	return n > 0;
}

/* A path from the config file: relative to the file's directory, so that
 * cron's working directory does not matter. */
static void config_path_set(config_parse *cp, char **slot, const char *value)
{
	sbuf p = SBUF_INIT;

	if (value[0] == '/' || !cp->dir) {
		config_set(slot, value);
		return;
	}
	sbuf_addf(&p, "%s/%s", cp->dir, value);
	free(*slot);
	*slot = sbuf_detach(&p, NULL);
}

/* rules_upstream: a URL (scheme://, user@host:path) is kept; a path is a path. */
static void config_location_set(config_parse *cp, char **slot, const char *value)
{
	if (strchr(value, ':'))
		config_set(slot, value);
	else
		config_path_set(cp, slot, value);
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
	cfg->sources[cfg->n_sources].retries = -1;
	return &cfg->sources[cfg->n_sources++];
}

static int config_global(config_parse *cp, const char *name, const char *value)
{
	cli_config *cfg = cp->cfg;

	if (!*value)
		return config_fail(cp, name, "empty value%s", "");
	if (!strcmp(name, "db"))
		config_path_set(cp, &cfg->db, value);
	else if (!strcmp(name, "rules_dir"))
		config_path_set(cp, &cfg->rules_dir, value);
	else if (!strcmp(name, "rules_rev"))
		config_set(&cfg->rules_rev, value);
	else if (!strcmp(name, "rules_upstream"))
		config_location_set(cp, &cfg->rules_upstream, value);
	else if (!strcmp(name, "key_file"))
		config_path_set(cp, &cfg->key_file, value);
	else if (!strcmp(name, "raw_retention_days")) {
		char *end;
		long d = strtol(value, &end, 10);
		if (!strcmp(value, "never"))
			cfg->raw_retention_days = -1;
		else if (*end || d < 1 || d > 36500)
			return config_fail(cp, name, "'%s' is not a number of days (1..36500, or never)", value);
		else
			cfg->raw_retention_days = (int)d;
	} else if (!strcmp(name, "listen"))
		config_set(&cfg->listen, value);
	else if (!strcmp(name, "tls_cert"))
		config_path_set(cp, &cfg->tls_cert, value);
	else if (!strcmp(name, "tls_key"))
		config_path_set(cp, &cfg->tls_key, value);
	else if (!strcmp(name, "jobs")) {
		char *end;
		long j = strtol(value, &end, 10);
		if (*end || j < 1 || j > 64)
			return config_fail(cp, name, "'%s' is not a number of jobs (1..64)", value);
		cfg->jobs = (int)j;
	} else if (!strcmp(name, "log_level")) {
		if (log_level_parse(value, &cfg->log_lvl))
			return config_fail(cp, name,
					   "'%s' is not a log level (expected error, warn, info or debug)", value);
	} else
		return config_fail(cp, name,
				   "unknown key in [avvik]%s (expected db, rules_dir, rules_rev, rules_upstream, "
				   "key_file, log_level, jobs, raw_retention_days, listen, tls_cert, tls_key)", "");
	return 1;
}

/* "scheme://user:pass@host/": such secrets would end up in logs. */
static int config_url_has_credentials(const char *url)
{
	const char *p = strstr(url, "://"), *end;

	if (!p)
		return 0;
	p += 3;
	end = p + strcspn(p, "/?#");
	return memchr(p, '@', (size_t)(end - p)) != NULL;
}

static int config_source(config_parse *cp, const char *sname, const char *name, const char *value)
{
	cli_source *src = config_source_get(cp, sname);

	if (!*value)
		return config_fail(cp, name, "empty value%s", "");
	if (!strcmp(name, "type")) {
		if (!strcmp(value, "dir"))
			src->type = SOURCE_DIR;
		else if (!strcmp(value, "maildir"))
			src->type = SOURCE_MAILDIR;
		else if (!strcmp(value, "mbox"))
			src->type = SOURCE_MBOX;
		else if (!strcmp(value, "imap"))
			src->type = SOURCE_IMAP;
		else if (!strcmp(value, "http"))
			src->type = SOURCE_HTTP;
		else
			return config_fail(cp, name,
					   "unknown source type '%s' (expected dir, maildir, mbox, imap or http)", value);
	} else if (!strcmp(name, "path")) {
		config_path_set(cp, &src->path, value);
	} else if (!strcmp(name, "format")) {
		if (ingest_format_parse(value, &src->format))
			return config_fail(cp, name,
					   "unknown format '%s' (expected auto, msghead, avvik-xml, eml, mbox or maildir)",
					   value);
	} else if (!strcmp(name, "scan")) {
		if (!strcmp(value, "every-file"))
			src->scan_every_file = 1;
		else if (!strcmp(value, "auto"))
			src->scan_every_file = 0;
		else
			return config_fail(cp, name, "unknown scan '%s' (expected auto or every-file)", value);
	} else if (!strcmp(name, "url")) {
		config_set(&src->url, value);
	} else if (!strcmp(name, "user")) {
		config_set(&src->user, value);
	} else if (!strcmp(name, "password_file")) {
		config_path_set(cp, &src->password_file, value);
	} else if (!strcmp(name, "password_env")) {
		config_set(&src->password_env, value);
	} else if (!strcmp(name, "ca_file")) {
		config_path_set(cp, &src->ca_file, value);
	} else if (!strcmp(name, "password")) {
		return config_fail(cp, name,
				   "passwords are not read from the config%s (expected password_file or password_env)", "");
	} else if (!strcmp(name, "tls")) {
		if (!strcmp(value, "required") || !strcmp(value, "starttls"))
			src->tls = INGEST_IMAP_TLS_REQUIRED;
		else if (!strcmp(value, "starttls-optional"))
			src->tls = INGEST_IMAP_TLS_OPTIONAL;
		else if (!strcmp(value, "none"))
			src->tls = INGEST_IMAP_TLS_NONE;
		else
			return config_fail(cp, name,
					   "unknown tls '%s' (expected required, starttls-optional or none)", value);
	} else if (!strcmp(name, "after")) {
		if (strcmp(value, "leave") && strcmp(value, "seen") &&
		    !(!strncmp(value, "move:", 5) && value[5]))
			return config_fail(cp, name,
					   "unknown after-action '%s' (expected leave, seen or move:FOLDER)", value);
		config_set(&src->after, value);
	} else if (!strcmp(name, "timeout") || !strcmp(name, "connect_timeout")) {
		char *end;
		long t = strtol(value, &end, 10);
		if (*end || t <= 0 || t > 3600)
			return config_fail(cp, name, "'%s' is not a number of seconds (1..3600)", value);
		*(name[0] == 't' ? &src->timeout : &src->connect_timeout) = t;
	} else if (!strcmp(name, "since_param")) {
		config_set(&src->since_param, value);
	} else if (!strcmp(name, "token_file")) {
		config_path_set(cp, &src->token_file, value);
	} else if (!strcmp(name, "etag")) {
		if (!strcmp(value, "on") || !strcmp(value, "yes") || !strcmp(value, "true"))
			src->no_etag = 0;
		else if (!strcmp(value, "off") || !strcmp(value, "no") || !strcmp(value, "false"))
			src->no_etag = 1;
		else
			return config_fail(cp, name, "'%s' is not on or off", value);
	} else if (!strcmp(name, "retries")) {
		char *end;
		long r = strtol(value, &end, 10);
		if (*end || r < 0 || r > 20)
			return config_fail(cp, name, "'%s' is not a number of retries (0..20)", value);
		src->retries = (int)r;
	} else if (!strcmp(name, "retry_delay")) {
		char *end;
		double d = strtod(value, &end);
		if (*end || !(d > 0 && d <= 600))
			return config_fail(cp, name, "'%s' is not a delay in seconds (e.g. 0.5; at most 600)",
					   value);
		src->retry_delay_ms = (long)(d * 1000 + 0.5);
	} else {
		return config_fail(cp, name, "unknown key in a source%s (expected type, path, format, url, "
				   "user, password_file, password_env, ca_file, tls, after, timeout, "
				   "connect_timeout, since_param, etag, retries, retry_delay, token_file)", "");
	}
	return 1;
}

static int config_handler(void *user, const char *section, const char *name, const char *value)
{
	config_parse *cp = user;
	int first;

	if (cp->failed)
		return 0;
	/* libinih joins an indented line to the key before it: a second value */
	if (cp->continued && cp->n_keys && !strcmp(cp->keys[cp->n_keys - 1].name, name))
		return config_fail(cp, name, "an indented line continues the value%s (expected key = value "
				   "at the start of a line)", "");
	first = config_seen_add(&cp->keys, &cp->n_keys, name, strlen(name), cp->line);
	if (first) {
		sbuf_addf(cp->err, "%s:%d: %s: duplicate key (first at line %d)", cp->path, cp->line, name,
			  first);
		cp->failed = 1;
		return 0;
	}
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
	if (!strncmp(section, "delivery ", 9) && section[9] && !strchr(section + 9, ' ')) {
		sbuf msg = SBUF_INIT;
		if (cli_delivery_key(cp->cfg, section + 9, cp->path, cp->section_line, name, value, &msg)) {
			config_fail(cp, name, "%s", msg.buf);
			sbuf_release(&msg);
			return 0;
		}
		return 1;
	}
	return config_fail(cp, name, "unknown section [%s] (expected [avvik], [source NAME] or [delivery NAME])",
			   section);
}

int cli_config_load(cli_config *cfg, const char *path, sbuf *err)
{
	config_parse cp;
	char *copy;
	size_t i;
	int rc;

	memset(&cp, 0, sizeof cp);
	cp.cfg = cfg;
	cp.path = path;
	cp.err = err;
	cp.f = fopen(path, "r");
	if (!cp.f) {
		sbuf_addf(err, "%s: cannot read config: %s", path, strerror(errno));
		return -1;
	}
	config_set(&cfg->config_path, path);
	copy = xstrdup(path);
	cp.dir = realpath(dirname(copy), NULL);
	free(copy);
	rc = ini_parse_stream(config_reader, &cp, config_handler, &cp);
	fclose(cp.f);
	free(cp.dir);
	config_seen_clear(&cp.sections, &cp.n_sections);
	config_seen_clear(&cp.keys, &cp.n_keys);
	if (cp.failed)
		return -1;
	if (rc) {
		sbuf_addf(err, "%s:%d: syntax error (expected [section], key = value or a ; comment)", path, rc);
		return -1;
	}
	for (i = 0; i < cfg->n_sources; i++) {
		cli_source *s = &cfg->sources[i];
		static const char *const tname[] = { "dir", "maildir", "mbox", "imap", "http" };
		int remote = s->type == SOURCE_IMAP || s->type == SOURCE_HTTP;
		if (config_has_fnr(s->name)) {
			/* a source's name is in every log line and stored row */
			sbuf_addf(err, "%s:%d: a source's name holds what may be a fødselsnummer "
				  "(choose another name)", s->file, s->line);
			return -1;
		}
		if ((int)s->type < 0) {
			sbuf_addf(err, "%s:%d: type: source '%s' has no type (expected type = dir, maildir, "
				  "mbox, imap or http)", s->file, s->line, s->name);
			return -1;
		}
		if (!remote && !s->path) {
			sbuf_addf(err, "%s:%d: path: source '%s' of type %s needs a path", s->file, s->line,
				  s->name, tname[s->type]);
			return -1;
		}
		if (remote && !s->url) {
			sbuf_addf(err, "%s:%d: url: source '%s' of type %s needs a url (%s)", s->file, s->line,
				  s->name, tname[s->type],
				  s->type == SOURCE_IMAP ? "imaps://host/INBOX" : "https://host/export?since={since}");
			return -1;
		}
		if (remote && config_url_has_credentials(s->url)) {
			sbuf_addf(err, "%s:%d: url: source '%s': credentials do not go in the url (expected "
				  "user with password_file or password_env)", s->file, s->line, s->name);
			return -1;
		}
		if (s->type == SOURCE_HTTP && (s->password_file || s->password_env || s->token_file) &&
		    strncasecmp(s->url, "https://", 8)) {
			sbuf_addf(err, "%s:%d: url: source '%s': credentials are only sent over https "
				  "(expected an https:// url)", s->file, s->line, s->name);
			return -1;
		}
		if (s->type == SOURCE_IMAP && (!s->password_file == !s->password_env)) {
			sbuf_addf(err, "%s:%d: password_file: source '%s' of type imap needs exactly one of "
				  "password_file and password_env", s->file, s->line, s->name);
			return -1;
		}
		if (s->type == SOURCE_HTTP && s->password_file && s->password_env) {
			sbuf_addf(err, "%s:%d: password_file: source '%s': give password_file or password_env, "
				  "not both", s->file, s->line, s->name);
			return -1;
		}
		if (s->type == SOURCE_HTTP && (s->password_file || s->password_env) && !s->user) {
			sbuf_addf(err, "%s:%d: user: source '%s' has a password but no user", s->file, s->line,
				  s->name);
			return -1;
		}
		if (s->type == SOURCE_HTTP && s->token_file && (s->user || s->password_file || s->password_env)) {
			sbuf_addf(err, "%s:%d: token_file: source '%s': give a bearer token or a user and "
				  "password, not both", s->file, s->line, s->name);
			return -1;
		}
		if (!remote && (s->url || s->user || s->password_file || s->password_env || s->ca_file)) {
			sbuf_addf(err, "%s:%d: url: source '%s' of type %s takes no network keys (url, user, "
				  "password_file, password_env, ca_file)", s->file, s->line, s->name,
				  tname[s->type]);
			return -1;
		}
		if (s->type != SOURCE_IMAP && (s->after || s->tls)) {
			sbuf_addf(err, "%s:%d: %s: source '%s': only imap sources take it", s->file, s->line,
				  s->after ? "after" : "tls", s->name);
			return -1;
		}
		if (s->type != SOURCE_HTTP && (s->since_param || s->token_file || s->no_etag ||
					       s->connect_timeout || s->retries >= 0 || s->retry_delay_ms)) {
			sbuf_addf(err, "%s:%d: source '%s' of type %s: since_param, token_file, etag, "
				  "connect_timeout, retries and retry_delay are for http sources",
				  s->file, s->line, s->name, tname[s->type]);
			return -1;
		}
		if (s->type == SOURCE_MAILDIR)
			s->format = INGEST_FORMAT_MAILDIR;
		else if (s->type == SOURCE_MBOX)
			s->format = INGEST_FORMAT_MBOX;
	}
	return cli_delivery_check(cfg, err);
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
	if (!cfg->raw_retention_days)
		cfg->raw_retention_days = CLI_RAW_RETENTION_DAYS;
}

void cli_config_clear(cli_config *cfg)
{
	size_t i;

	free(cfg->config_path);
	free(cfg->db);
	free(cfg->rules_dir);
	free(cfg->rules_rev);
	free(cfg->rules_upstream);
	free(cfg->key_file);
	free(cfg->listen);
	free(cfg->tls_cert);
	free(cfg->tls_key);
	for (i = 0; i < cfg->n_sources; i++) {
		free(cfg->sources[i].name);
		free(cfg->sources[i].path);
		free(cfg->sources[i].file);
		free(cfg->sources[i].since_param);
		free(cfg->sources[i].token_file);
		free(cfg->sources[i].url);
		free(cfg->sources[i].user);
		free(cfg->sources[i].password_file);
		free(cfg->sources[i].password_env);
		free(cfg->sources[i].ca_file);
		free(cfg->sources[i].after);
	}
	free(cfg->sources);
	cli_delivery_clear(cfg);
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
