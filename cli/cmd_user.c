/* cmd_user.c - avvik user (the workspace's accounts) and avvik audit. */
#include "cli/cli.h"
#include "serve/serve.h"

#include <getopt.h>
#include <sodium.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#define PASSWORD_MIN 10

/* One line from f without its newline; -1 at EOF.  Echo off on a terminal. */
static int read_line(FILE *f, const char *prompt, sbuf *out)
{
	struct termios old, quiet;
	int tty = isatty(fileno(f)), c;

	sbuf_reset(out);
	if (tty) {
		fputs(prompt, stderr);
		fflush(stderr);
		tcgetattr(fileno(f), &old);
		quiet = old;
		quiet.c_lflag &= ~(tcflag_t)ECHO;
		tcsetattr(fileno(f), TCSAFLUSH, &quiet);
	}
	while ((c = getc(f)) != EOF && c != '\n')
		sbuf_addch(out, c);
	if (tty) {
		tcsetattr(fileno(f), TCSAFLUSH, &old);
		fputc('\n', stderr);
	}
	if (out->len && out->buf[out->len - 1] == '\r')
		sbuf_setlen(out, out->len - 1);
	return c == EOF && !out->len ? -1 : 0;
}

/* The new password, from the terminal (twice) or stdin, hashed. */
static int password_read_hash(sbuf *hash)
{
	sbuf a = SBUF_INIT, b = SBUF_INIT;
	int rc = -1;

	if (read_line(stdin, "Passord: ", &a)) {
		log_error("user: no password given on stdin");
	} else if (isatty(fileno(stdin)) && (read_line(stdin, "Gjenta passordet: ", &b) || strcmp(a.buf, b.buf))) {
		log_error("user: the passwords differ");
	} else if (a.len < PASSWORD_MIN) {
		log_error("user: the password must have at least %d characters", PASSWORD_MIN);
	} else if (sodium_init() < 0 || serve_password_hash(a.buf, hash)) {
		log_error("user: cannot hash the password (out of memory?)");
	} else {
		rc = 0;
	}
	sodium_memzero(a.buf, a.len);
	sodium_memzero(b.buf, b.len);
	sbuf_release(&a);
	sbuf_release(&b);
	return rc;
}

static int user_list_one(void *ctx, const store_user *u)
{
	(void)ctx;
	printf("%-20s %-8s %-30s %s%s\n", u->name, u->role, *u->orgs ? u->orgs : "-",
	       u->disabled ? "disabled" : "active", u->locked ? " (locked)" : "");
	return 0;
}

static void audit_cli(store *st, const char *action, const char *target, const char *detail)
{
	char *me = cli_user_name();

	store_audit_put(st, me, action, target, detail, "cli");
	free(me);
}

static int user_add(store *st, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "role", required_argument, NULL, 'r' },
		{ "org", required_argument, NULL, 'o' },
		{ NULL, 0, NULL, 0 },
	};
	const char *role = NULL;
	sbuf orgs = SBUF_INIT, hash = SBUF_INIT, detail = SBUF_INIT;
	int c, rc = EXIT_USAGE;

	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		if (c == 'r') {
			role = optarg;
		} else if (c == 'o' && *optarg && !strchr(optarg, ',')) {
			if (orgs.len)
				sbuf_addch(&orgs, ',');
			sbuf_adds(&orgs, optarg);
		} else {
			cli_usage(stderr, "user");
			goto out;
		}
	}
	if (argc - optind != 1 || !role) {
		cli_usage(stderr, "user");
		goto out;
	}
	if (serve_role_parse(role) == SERVE_ROLE_NONE) {
		log_error("user add: unknown role '%s' (expected adviser, fsu or admin)", role);
		goto out;
	}
	if (serve_role_parse(role) != SERVE_ROLE_ADMIN && !orgs.len) {
		log_error("user add: an %s needs at least one --org (a registry id, e.g. tromso)", role);
		goto out;
	}
	if (password_read_hash(&hash))
		goto out;
	switch (store_user_add(st, argv[optind], hash.buf, role, orgs.buf)) {
	case 0:
		sbuf_addf(&detail, "role %s, orgs %s", role, orgs.len ? orgs.buf : "-");
		audit_cli(st, "user-add", argv[optind], detail.buf);
		printf("user %s added (%s%s%s)\n", argv[optind], role, orgs.len ? ": " : "", orgs.buf);
		rc = EXIT_DONE;
		break;
	case -2:
		log_error("user add: %s exists already", argv[optind]);
		break;
	default:
		log_error("user add: database write failed: %s", store_errmsg(st));
		rc = EXIT_FATAL;
	}
out:
	sbuf_release(&orgs);
	sbuf_release(&hash);
	sbuf_release(&detail);
	return rc;
}

int cmd_user(cli_config *cfg, int argc, char **argv)
{
	const char *sub = argc > 1 ? argv[1] : "";
	store *st;
	int rc = EXIT_DONE, r = 0;
	sbuf hash = SBUF_INIT;

	if (strcmp(sub, "add") && strcmp(sub, "list") && strcmp(sub, "disable") && strcmp(sub, "enable") &&
	    strcmp(sub, "passwd")) {
		cli_usage(stderr, "user");
		return EXIT_USAGE;
	}
	if (strcmp(sub, "add") && strcmp(sub, "list") && argc != 3) {
		cli_usage(stderr, "user");
		return EXIT_USAGE;
	}
	if (!(st = cli_store_open(cfg)))
		return EXIT_USAGE;
	if (!strcmp(sub, "add")) {
		rc = user_add(st, argc - 1, argv + 1);
	} else if (!strcmp(sub, "list")) {
		printf("%-20s %-8s %-30s %s\n", "name", "role", "orgs", "state");
		if (store_user_each(st, user_list_one, NULL))
			rc = EXIT_FATAL;
	} else {
		if (!strcmp(sub, "passwd")) {
			if (password_read_hash(&hash))
				rc = EXIT_USAGE;
			else
				r = store_user_set_pwhash(st, argv[2], hash.buf);
		} else {
			r = store_user_set_disabled(st, argv[2], !strcmp(sub, "disable"));
		}
		if (rc == EXIT_DONE && r == -2) {
			log_error("user %s: no user %s", sub, argv[2]);
			rc = EXIT_USAGE;
		} else if (rc == EXIT_DONE && r) {
			log_error("user %s: database write failed: %s", sub, store_errmsg(st));
			rc = EXIT_FATAL;
		} else if (rc == EXIT_DONE) {
			sbuf action = SBUF_INIT;
			sbuf_addf(&action, "user-%s", sub);
			audit_cli(st, action.buf, argv[2], NULL);
			sbuf_release(&action);
			printf("user %s: %s\n", argv[2], !strcmp(sub, "passwd") ? "password changed" :
			       !strcmp(sub, "disable") ? "disabled" : "enabled");
		}
	}
	sbuf_release(&hash);
	store_close(st);
	return rc;
}

static int audit_one(void *ctx, const char *at, const char *actor, const char *action,
		     const char *target, const char *detail, const char *addr)
{
	(void)ctx;
	printf("%s  %-16s %-14s %-20s %-15s %s\n", at, actor, action, target ? target : "-",
	       addr ? addr : "-", detail ? detail : "");
	return 0;
}

int cmd_audit(cli_config *cfg, int argc, char **argv)
{
	long n = 100;
	char *end;
	store *st;
	int c, rc = EXIT_DONE;

	while ((c = getopt(argc, argv, "n:")) != -1) {
		if (c != 'n' || (n = strtol(optarg, &end, 10), *end || n < 0)) {
			cli_usage(stderr, "audit");
			return EXIT_USAGE;
		}
	}
	if (optind != argc) {
		cli_usage(stderr, "audit");
		return EXIT_USAGE;
	}
	if (!(st = cli_store_open(cfg)))
		return EXIT_USAGE;
	if (store_audit_each(st, n, audit_one, NULL))
		rc = EXIT_FATAL;
	store_close(st);
	return rc;
}
