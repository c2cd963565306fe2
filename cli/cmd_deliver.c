/*
 * cmd_deliver.c - avvik deliver, and the deliveries avvik run makes when
 * they are due: [delivery NAME] sections of the config, each a report sent
 * by e-mail for every period its rule names, once.
 *
 * The report is rendered three times (text, html, xlsx) by report/, the
 * message built by report/mail.c (GMime) and sent by ingest/smtp.c
 * (libcurl); the store remembers what was sent and what failed.
 */
#include "cli/cli.h"

#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

/* ---- configuration ---- */

static cli_delivery *delivery_get(cli_config *cfg, const char *name, const char *file, int line)
{
	cli_delivery *d;

	for (size_t i = 0; i < cfg->n_deliveries; i++)
		if (!strcmp(cfg->deliveries[i].name, name))
			return &cfg->deliveries[i];
	cfg->deliveries = xrealloc(cfg->deliveries, (cfg->n_deliveries + 1) * sizeof *cfg->deliveries);
	d = &cfg->deliveries[cfg->n_deliveries++];
	memset(d, 0, sizeof *d);
	d->name = xstrdup(name);
	d->file = xstrdup(file);
	d->line = line;
	d->attach = 1;
	d->period = xstrdup("previous quarter");
	return d;
}

static void set_str(char **slot, const char *v)
{
	free(*slot);
	*slot = xstrdup(v);
}

/* "a@b, Name <c@d>" -> list */
static void split_addresses(const char *v, char ***out, size_t *n)
{
	const char *p = v;

	while (*p) {
		size_t k = strcspn(p, ",");
		sbuf a = SBUF_INIT;

		sbuf_add(&a, p, k);
		sbuf_trim(&a);
		if (a.len) {
			*out = xrealloc(*out, (*n + 1) * sizeof **out);
			(*out)[(*n)++] = sbuf_detach(&a, NULL);
		}
		sbuf_release(&a);
		p += k + (p[k] == ',');
	}
}

int cli_delivery_key(cli_config *cfg, const char *dname, const char *file, int line, const char *key,
		     const char *value, sbuf *msg)
{
	cli_delivery *d = delivery_get(cfg, dname, file, line);

	if (!*value) {
		sbuf_adds(msg, "empty value");
		return -1;
	}
	if (!strcmp(key, "report")) {
		static const char *const names[] = { "summary", "compare", "trend", "feedback" };
		size_t i;
		for (i = 0; i < 4 && strcmp(value, names[i]); i++)
			;
		if (i == 4) {
			sbuf_addf(msg, "unknown report '%s' (expected summary, compare, trend or feedback)", value);
			return -1;
		}
		d->report = (deliver_report)i;
	} else if (!strcmp(key, "period")) {
		period p;
		sbuf e = SBUF_INIT;
		int ok = !strcmp(value, "previous month") || !strcmp(value, "previous quarter") ||
			 !strcmp(value, "previous year") || period_parse(value, &p, &e) == 0;
		sbuf_release(&e);
		if (!ok) {
			sbuf_addf(msg, "'%s' is no period rule (expected previous month, previous quarter, previous "
				  "year, or a period such as 2024-Q4)", value);
			return -1;
		}
		set_str(&d->period, value);
	} else if (!strcmp(key, "language")) {
		if (!strcmp(value, "nb") || !strcmp(value, "no"))
			d->lang = REPORT_LANG_NB;
		else if (!strcmp(value, "en"))
			d->lang = REPORT_LANG_EN;
		else {
			sbuf_addf(msg, "unknown language '%s' (expected nb or en)", value);
			return -1;
		}
	} else if (!strcmp(key, "format")) {
		if (!strcmp(value, "xlsx"))
			d->attach = 1;
		else if (!strcmp(value, "csv"))
			d->attach = 2;
		else if (!strcmp(value, "none") || !strcmp(value, "html"))
			d->attach = 0;
		else {
			sbuf_addf(msg, "unknown format '%s' (the attachment: xlsx, csv or none)", value);
			return -1;
		}
	} else if (!strcmp(key, "recipients")) {
		split_addresses(value, &d->to, &d->n_to);
	} else if (!strncmp(key, "to.", 3) && key[3]) {
		d->org = xrealloc(d->org, (d->n_org + 1) * sizeof *d->org);
		d->org_to = xrealloc(d->org_to, (d->n_org + 1) * sizeof *d->org_to);
		d->org[d->n_org] = xstrdup(key + 3);
		d->org_to[d->n_org++] = xstrdup(value);
	} else if (!strcmp(key, "fsu")) {
		set_str(&d->fsu, value);
	} else if (!strcmp(key, "smtp")) {
		if (strncmp(value, "smtps://", 8) && strncmp(value, "smtp://", 7)) {
			sbuf_addf(msg, "'%s' is no SMTP url (expected smtps://host[:port] or smtp://host[:port])", value);
			return -1;
		}
		if (strchr(value + 7, '@')) {
			sbuf_adds(msg, "credentials do not go in the url (expected user and password_file)");
			return -1;
		}
		set_str(&d->smtp, value);
	} else if (!strcmp(key, "user")) {
		set_str(&d->user, value);
	} else if (!strcmp(key, "password_file")) {
		set_str(&d->password_file, value);
	} else if (!strcmp(key, "password")) {
		sbuf_adds(msg, "passwords are not read from the config (expected password_file, mode 0600)");
		return -1;
	} else if (!strcmp(key, "ca_file")) {
		set_str(&d->ca_file, value);
	} else if (!strcmp(key, "from")) {
		set_str(&d->from, value);
	} else if (!strcmp(key, "tls")) {
		if (!strcmp(value, "required") || !strcmp(value, "starttls"))
			d->tls = INGEST_IMAP_TLS_REQUIRED;
		else if (!strcmp(value, "starttls-optional"))
			d->tls = INGEST_IMAP_TLS_OPTIONAL;
		else if (!strcmp(value, "none"))
			d->tls = INGEST_IMAP_TLS_NONE;
		else {
			sbuf_addf(msg, "unknown tls '%s' (expected required, starttls-optional or none)", value);
			return -1;
		}
	} else if (!strcmp(key, "timeout")) {
		char *end;
		long t = strtol(value, &end, 10);
		if (*end || t <= 0 || t > 3600) {
			sbuf_addf(msg, "'%s' is not a number of seconds (1..3600)", value);
			return -1;
		}
		d->timeout = t;
	} else {
		sbuf_adds(msg, "unknown key in a delivery (expected report, period, language, format, recipients, "
			       "to.ORG, fsu, smtp, user, password_file, ca_file, from, tls, timeout)");
		return -1;
	}
	return 0;
}

int cli_delivery_check(cli_config *cfg, sbuf *err)
{
	for (size_t i = 0; i < cfg->n_deliveries; i++) {
		const cli_delivery *d = &cfg->deliveries[i];
		const char *what = NULL;

		if (!d->smtp)
			what = "smtp: no smtp url (smtps://host or smtp://host)";
		else if (!d->from)
			what = "from: no sender address";
		else if (d->report == DELIVER_FEEDBACK && !d->n_org)
			what = "to.ORG: a feedback delivery needs to.ORG = address for each organisation";
		else if (d->report == DELIVER_FEEDBACK && d->n_to)
			what = "recipients: a feedback delivery goes to each organisation's to.ORG address only";
		else if (d->report != DELIVER_FEEDBACK && !d->n_to)
			what = "recipients: no recipients";
		else if (d->report != DELIVER_FEEDBACK && d->n_org)
			what = "to.ORG: only a feedback delivery sends to organisations";
		else if (!d->user != !d->password_file)
			what = "user: give user and password_file together";
		if (what) {
			sbuf_addf(err, "%s:%d: delivery '%s': %s", d->file, d->line, d->name, what);
			return -1;
		}
	}
	return 0;
}

void cli_delivery_clear(cli_config *cfg)
{
	for (size_t i = 0; i < cfg->n_deliveries; i++) {
		cli_delivery *d = &cfg->deliveries[i];

		for (size_t k = 0; k < d->n_to; k++)
			free(d->to[k]);
		for (size_t k = 0; k < d->n_org; k++) {
			free(d->org[k]);
			free(d->org_to[k]);
		}
		free(d->to);
		free(d->org);
		free(d->org_to);
		free(d->name);
		free(d->file);
		free(d->period);
		free(d->fsu);
		free(d->smtp);
		free(d->user);
		free(d->password_file);
		free(d->ca_file);
		free(d->from);
	}
	free(cfg->deliveries);
	cfg->deliveries = NULL;
	cfg->n_deliveries = 0;
}

/* ---- which period ---- */

/* The period the rule names on day today ("YYYY-MM-DD"). */
static int delivery_period(const cli_delivery *d, const char *today, period *out, sbuf *err)
{
	int y, m;
	sbuf spec = SBUF_INIT;
	int rc;

	if (sscanf(today, "%4d-%2d", &y, &m) != 2) {
		sbuf_addf(err, "'%s' is no date (expected YYYY-MM-DD)", today);
		return -1;
	}
	if (!strcmp(d->period, "previous month")) {
		if (--m < 1) {
			m = 12;
			y--;
		}
		sbuf_addf(&spec, "%04d-%02d", y, m);
	} else if (!strcmp(d->period, "previous quarter")) {
		int q = (m - 1) / 3;   /* 0-based: this quarter */
		if (q == 0)
			sbuf_addf(&spec, "%04d-Q4", y - 1);
		else
			sbuf_addf(&spec, "%04d-Q%d", y, q);
	} else if (!strcmp(d->period, "previous year")) {
		sbuf_addf(&spec, "%04d", y - 1);
	} else {
		sbuf_adds(&spec, d->period);
	}
	rc = period_parse(spec.buf, out, err);
	sbuf_release(&spec);
	return rc;
}

/* ---- rendering and sending ---- */

/* A report into memory: text, html or xlsx. */
typedef int (*deliver_render_fn)(void *ctx, store *st, const report_opts *o, FILE *f, sbuf *err);

static int render_mem(deliver_render_fn fn, void *ctx, store *st, report_opts *o, report_format fmt,
		      sbuf *out, sbuf *err)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	int rc;

	if (!f) {
		sbuf_adds(err, "out of memory");
		return -1;
	}
	o->format = fmt;
	rc = fn(ctx, st, o, f, err);
	if (fclose(f))
		rc = -1;
	if (!rc)
		sbuf_add(out, buf, len);
	free(buf);
	return rc;
}

typedef struct {
	const cli_delivery *d;
	const period *p, *vs;
	const char *org;   /* feedback */
} deliver_job;

static int render_job(void *ctx, store *st, const report_opts *o, FILE *f, sbuf *err)
{
	const deliver_job *j = ctx;

	switch (j->d->report) {
	case DELIVER_COMPARE: return report_compare(st, o, j->vs, j->p, f, err);
	case DELIVER_TREND: return report_trend(st, o, j->p, REPORT_BY_MONTH, f, err);
	case DELIVER_FEEDBACK: return report_feedback(st, o, j->org, j->p, f, err);
	case DELIVER_SUMMARY: break;
	}
	return report_summary(st, o, j->p, j->vs, f, err);
}

/* Builds and sends one message; 0 sent (or printed, dry run), -1 with err. */
static int deliver_send(const cli_delivery *d, const deliver_job *j, store *st, report_opts *o,
			const char *const *to, size_t n_to, int dry_run, char **message_id, sbuf *err)
{
	sbuf text = SBUF_INIT, html = SBUF_INIT, att = SBUF_INIT, msg = SBUF_INIT, subj = SBUF_INIT,
	     name = SBUF_INIT, secret = SBUF_INIT;
	report_mail m = { 0 };
	int rc = -1;
	static const char *const what_nb[] = { "oppsummering", "sammenligning", "utvikling", "tilbakemelding" };
	static const char *const what_en[] = { "summary", "comparison", "trend", "feedback" };

	if (render_mem(render_job, (void *)j, st, o, REPORT_TEXT, &text, err) ||
	    render_mem(render_job, (void *)j, st, o, REPORT_HTML, &html, err))
		goto out;
	if (d->attach && render_mem(render_job, (void *)j, st, o, d->attach == 1 ? REPORT_XLSX : REPORT_CSV, &att, err))
		goto out;
	sbuf_addf(&subj, "%s %s – %s", o->lang == REPORT_LANG_EN ? "Collaboration deviations" : "Samhandlingsavvik",
		  j->p->label, (o->lang == REPORT_LANG_EN ? what_en : what_nb)[d->report]);
	if (j->org)
		sbuf_addf(&subj, " (%s)", j->org);
	sbuf_addf(&name, "avvik-%s-%s%s%s.%s", d->name, j->p->label, j->org ? "-" : "", j->org ? j->org : "",
		  d->attach == 1 ? "xlsx" : "csv");
	m.from = d->from;
	m.to = to;
	m.n_to = n_to;
	m.subject = subj.buf;
	m.text = text.buf;
	m.html = html.buf;
	m.attachment = att.len ? att.buf : NULL;
	m.attachment_len = att.len;
	m.attachment_name = name.buf;
	m.attachment_type = d->attach == 1 ? "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
					   : "text/csv";
	{
		const char *at = strrchr(d->from, '@');
		sbuf dom = SBUF_INIT;
		if (at) {
			sbuf_adds(&dom, at + 1);
			if (dom.len && dom.buf[dom.len - 1] == '>')
				sbuf_setlen(&dom, dom.len - 1);
		}
		m.domain = dom.len ? dom.buf : NULL;
		rc = report_mail_build(&m, &msg, message_id, err);
		sbuf_release(&dom);
		if (rc)
			goto out;
		rc = -1;
	}
	if (dry_run) {
		fwrite(msg.buf, 1, msg.len, stdout);
		rc = 0;
		goto out;
	}
	{
		ingest_smtp_opts so = { 0 };

		if (d->password_file && ingest_secret_read(d->password_file, NULL, &secret, err))
			goto out;
		so.url = d->smtp;
		so.user = d->user;
		so.password = d->user ? secret.buf : NULL;
		so.ca_file = d->ca_file;
		so.tls = d->tls;
		so.timeout = d->timeout;
		so.from = d->from;
		so.to = to;
		so.n_to = n_to;
		rc = ingest_smtp_send(&so, msg.buf, msg.len, err);
	}
out:
	explicit_bzero(secret.buf, secret.len);
	sbuf_release(&secret);
	sbuf_release(&text);
	sbuf_release(&html);
	sbuf_release(&att);
	sbuf_release(&msg);
	sbuf_release(&subj);
	sbuf_release(&name);
	return rc;
}

/* Delivers d for the period its rule names on today, to each target not
 * yet sent.  Returns EXIT_DONE or EXIT_PARTIAL (something failed). */
static int deliver_one(cli_config *cfg, store *st, const cli_delivery *d, const char *today, int dry_run,
		       int only_due)
{
	period p, vs;
	sbuf err = SBUF_INIT;
	cli_report_rules *rr = NULL;
	report_opts o;
	sbuf cats = SBUF_INIT;
	int rc = EXIT_DONE;
	size_t n_targets = d->report == DELIVER_FEEDBACK ? d->n_org : 1;

	if (delivery_period(d, today, &p, &err) || period_before(&p, &vs)) {
		log_error("delivery %s: %s", d->name, err.len ? err.buf : "no period before");
		sbuf_release(&err);
		return EXIT_PARTIAL;
	}
	if (strncmp(p.end, today, 10) > 0) {
		if (!only_due)
			printf("%s: %s: not due before %s\n", d->name, p.label, p.end);
		sbuf_release(&err);
		return EXIT_DONE;
	}
	if (cli_report_rules_open(cfg, st, &rr, &o)) {
		sbuf_release(&err);
		return EXIT_PARTIAL;
	}
	o.lang = d->lang;
	if (d->fsu) {
		if (!cli_fsu_categories(rr, d->fsu, &cats)) {
			log_error("delivery %s: fsu %s: no category in categories.yaml names that FSU", d->name, d->fsu);
			rc = EXIT_PARTIAL;
			goto done;
		}
		o.filter.categories = cats.buf;
		o.filter_label = d->fsu;
	}
	for (size_t t = 0; t < n_targets; t++) {
		const char *target = d->report == DELIVER_FEEDBACK ? d->org[t] : "";
		deliver_job j = { d, &p, &vs, d->report == DELIVER_FEEDBACK ? d->org[t] : NULL };
		char **to = d->report == DELIVER_FEEDBACK ? &d->org_to[t] : d->to;
		size_t n_to = d->report == DELIVER_FEEDBACK ? 1 : d->n_to;
		char *mid = NULL;
		sbuf who = SBUF_INIT;
		int attempts = 0, state = store_delivery_state(st, d->name, &p, target, &attempts);

		if (state < 0) {
			log_error("delivery %s: database: %s", d->name, store_errmsg(st));
			rc = EXIT_FATAL;
			break;
		}
		if (state == 1 && !dry_run) {
			if (!only_due)
				printf("%s: %s%s%s: already sent\n", d->name, p.label, *target ? " to " : "", target);
			continue;
		}
		for (size_t k = 0; k < n_to; k++)
			sbuf_addf(&who, "%s%s", k ? ", " : "", to[k]);
		sbuf_reset(&err);
		if (deliver_send(d, &j, st, &o, (const char *const *)to, n_to, dry_run, &mid, &err)) {
			log_warn("delivery %s: %s%s%s: %s (tried %d time%s; again next run)", d->name, p.label,
				 *target ? " to " : "", target, err.buf, attempts + 1, attempts ? "s" : "");
			if (!dry_run && store_delivery_record(st, d->name, &p, target, 0, err.buf, NULL, who.buf))
				rc = EXIT_FATAL;
			else if (rc == EXIT_DONE)
				rc = EXIT_PARTIAL;
		} else if (!dry_run) {
			if (store_delivery_record(st, d->name, &p, target, 1, NULL, mid, who.buf))
				rc = EXIT_FATAL;
			printf("%s: %s%s%s: sent to %zu recipient%s\n", d->name, p.label, *target ? " to " : "",
			       target, n_to, n_to == 1 ? "" : "s");
		}
		free(mid);
		sbuf_release(&who);
	}
done:
	cli_report_rules_free(rr);
	sbuf_release(&cats);
	sbuf_release(&err);
	return rc;
}

int cli_deliver_due(cli_config *cfg, store *st, const char *today)
{
	int rc = EXIT_DONE;

	for (size_t i = 0; i < cfg->n_deliveries; i++) {
		int r = deliver_one(cfg, st, &cfg->deliveries[i], today, 0, 1);
		if (r > rc)
			rc = r;
	}
	return rc;
}

int cmd_deliver(cli_config *cfg, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "as-of", required_argument, NULL, 'a' },
		{ "dry-run", no_argument, NULL, 'n' },
		{ NULL, 0, NULL, 0 },
	};
	char today[11];
	int c, dry_run = 0, rc = EXIT_DONE, lock;
	store *st;

	{
		sbuf now = SBUF_INIT;
		date_now_utc(&now);
		snprintf(today, sizeof today, "%.10s", now.buf);
		sbuf_release(&now);
	}
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 'a': {
			sbuf n = SBUF_INIT;
			if (date_normalize(optarg, &n) || n.len < 10) {
				log_error("deliver: --as-of %s: expected a date (YYYY-MM-DD)", optarg);
				sbuf_release(&n);
				return EXIT_USAGE;
			}
			snprintf(today, sizeof today, "%.10s", n.buf);
			sbuf_release(&n);
			break;
		}
		case 'n': dry_run = 1; break;
		default: cli_usage(stderr, "deliver"); return EXIT_USAGE;
		}
	}
	if (!cfg->n_deliveries) {
		log_error("deliver: no [delivery NAME] sections in the config");
		return EXIT_USAGE;
	}
	for (int i = optind; i < argc; i++) {
		size_t k;
		for (k = 0; k < cfg->n_deliveries && strcmp(cfg->deliveries[k].name, argv[i]); k++)
			;
		if (k == cfg->n_deliveries) {
			log_error("deliver: no delivery '%s' in %s", argv[i], cfg->config_path ? cfg->config_path : "the config");
			return EXIT_USAGE;
		}
	}
	/* the run lock: two deliveries at once would send a period twice */
	lock = cli_run_lock(cfg->db);
	if (lock == -1 || lock == -2)
		return lock == -2 ? EXIT_LOCKED : EXIT_FATAL;
	if (!(st = cli_store_open(cfg))) {
		if (lock >= 0)
			close(lock);
		return EXIT_USAGE;
	}
	for (size_t k = 0; k < cfg->n_deliveries; k++) {
		int want = optind == argc, r;

		for (int i = optind; i < argc && !want; i++)
			want = !strcmp(cfg->deliveries[k].name, argv[i]);
		if (!want)
			continue;
		r = deliver_one(cfg, st, &cfg->deliveries[k], today, dry_run, 0);
		if (r > rc)
			rc = r;
	}
	store_close(st);
	if (lock >= 0)
		close(lock);
	return rc;
}
