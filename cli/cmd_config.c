/* cmd_config.c - avvik config check: the configuration as resolved. */
#include "cli/cli.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

/* A query parameter whose name says it is a secret has its value masked. */
static int config_param_secret(const char *name, size_t len)
{
	static const char *const words[] = { "key", "token", "secret", "pass", "auth", "sig", "session" };
	size_t i, j;

	for (i = 0; i < sizeof words / sizeof words[0]; i++) {
		size_t wl = strlen(words[i]);
		for (j = 0; j + wl <= len; j++)
			if (!strncasecmp(name + j, words[i], wl))
				return 1;
	}
	return 0;
}

/* The url with secret-looking query values replaced by "***". */
static void config_url_masked(sbuf *out, const char *url)
{
	const char *q = strchr(url, '?'), *p;

	if (!q) {
		sbuf_adds(out, url);
		return;
	}
	sbuf_add(out, url, (size_t)(q - url) + 1);
	for (p = q + 1; *p;) {
		size_t len = strcspn(p, "&#"), nlen = strcspn(p, "=&#");
		if (nlen < len && config_param_secret(p, nlen)) {
			sbuf_add(out, p, nlen + 1);
			sbuf_adds(out, "***");
		} else {
			sbuf_add(out, p, len);
		}
		p += len;
		if (*p == '#') {
			sbuf_adds(out, p);
			break;
		}
		if (*p)
			sbuf_addch(out, *p++);
	}
}

static void config_print(const char *key, const char *value, const char *note)
{
	if (value)
		printf("%s = %s%s%s\n", key, value, note ? "    ; " : "", note ? note : "");
}

static const char *config_exists(const char *path, const char *absent)
{
	return path && access(path, F_OK) != 0 ? absent : NULL;
}

int cmd_config(cli_config *cfg, int argc, char **argv)
{
	static const char *const tname[] = { "dir", "maildir", "mbox", "imap", "http" };
	static const char *const lvl[] = { "error", "warn", "info", "debug" };
	char jobs[16];
	size_t i;

	if (argc != 2 || strcmp(argv[1], "check")) {
		log_error("config: expected 'config check'");
		cli_usage(stderr, "config");
		return EXIT_USAGE;
	}
	printf("config: %s\n\n[avvik]\n", cfg->config_path ? cfg->config_path : "none");
	config_print("db", cfg->db, config_exists(cfg->db, "absent: run 'avvik init'"));
	config_print("rules_dir", cfg->rules_dir ? cfg->rules_dir : "(recorded by init)",
		     config_exists(cfg->rules_dir, "absent: run 'avvik init'"));
	config_print("rules_rev", cfg->rules_rev ? cfg->rules_rev : "HEAD", NULL);
	config_print("rules_upstream", cfg->rules_upstream, NULL);
	config_print("key_file", cfg->key_file, config_exists(cfg->key_file, "absent: run 'avvik init'"));
	config_print("log_level", lvl[cfg->log_lvl], NULL);
	snprintf(jobs, sizeof jobs, "%d", cfg->jobs > 0 ? cfg->jobs : 1);
	config_print("jobs", jobs, NULL);
	for (i = 0; i < cfg->n_sources; i++) {
		const cli_source *s = &cfg->sources[i];
		sbuf url = SBUF_INIT;

		printf("\n[source %s]    ; %s:%d\n", s->name, s->file, s->line);
		config_print("type", tname[s->type], NULL);
		config_print("path", s->path, config_exists(s->path, "absent"));
		if (s->type != SOURCE_IMAP && s->type != SOURCE_HTTP) {
			config_print("format", ingest_format_name(s->format), NULL);
			config_print("scan", s->scan_every_file ? "every-file" : "auto", NULL);
		}
		if (s->url) {
			config_url_masked(&url, s->url);
			config_print("url", url.buf, NULL);
		}
		config_print("user", s->user, NULL);
		/* the files' names, never what is in them */
		config_print("password_file", s->password_file, config_exists(s->password_file, "absent"));
		config_print("password_env", s->password_env,
			     s->password_env && !getenv(s->password_env) ? "not set here" : NULL);
		config_print("token_file", s->token_file, config_exists(s->token_file, "absent"));
		config_print("ca_file", s->ca_file, config_exists(s->ca_file, "absent"));
		config_print("after", s->after, NULL);
		config_print("since_param", s->since_param, NULL);
		sbuf_release(&url);
	}
	return EXIT_DONE;
}
