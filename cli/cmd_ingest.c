/* cmd_ingest.c - avvik ingest, classify and run. */
#include "cli/cli.h"
#include "classify/classify.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <time.h>
#include <unistd.h>

static void ingest_print(const char *name, const pipeline_counts *c)
{
	printf("%s: %ld files (%ld unchanged), %ld new, %ld duplicates, %ld skipped, %ld quarantined%s\n",
	       name, c->files, c->files_unchanged, c->new_deviations, c->duplicates, c->skipped,
	       c->quarantined, c->failed ? ", FAILED" : "");
}

/* What the sources' lines add up to. */
typedef struct {
	pipeline_counts total;
	long failed;
	int rc;
} ingest_tally;

/* Called in the configured order, as each source is done. */
static void ingest_source_done(void *ctx, const cli_source *src, const pipeline_counts *c)
{
	ingest_tally *t = ctx;

	ingest_print(src->name, c);
	t->total.files += c->files;
	t->total.files_unchanged += c->files_unchanged;
	t->total.new_deviations += c->new_deviations;
	t->total.duplicates += c->duplicates;
	t->total.skipped += c->skipped;
	t->total.quarantined += c->quarantined;
	t->failed += c->failed;
	if (c->failed || c->quarantined)
		t->rc = EXIT_PARTIAL;
}

/* Ingests the given sources; returns the exit code.  One line per source,
 * and a total when there are several. */
static int ingest_sources(cli_config *cfg, store *st, const cli_source **srcs, size_t n, int rescan,
			  ingest_tally *out)
{
	unsigned char key[64];
	size_t key_len = sizeof key;
	pipeline_opts o;
	ingest_tally dummy, *tp = out ? out : &dummy, t;
	char **priv;
	int rc;

	if (cli_key_load(cfg->key_file, key, &key_len))
		return EXIT_USAGE;
	o.key = key;
	o.key_len = key_len;
	o.jobs = cfg->jobs;
	o.rescan = rescan;
	o.private_paths = (const char *const *)(priv = cli_private_paths(cfg));
	memset(&t, 0, sizeof t);
	t.rc = EXIT_DONE;
	rc = pipeline_ingest_sources(st, srcs, n, &o, ingest_source_done, &t);
	cli_strv_free(priv);
	if (rc) {
		*tp = t;
		return EXIT_FATAL;
	}
	*tp = t;
	if (n > 1)
		printf("total: %ld files (%ld unchanged), %ld new, %ld duplicates, %ld skipped, "
		       "%ld quarantined, %ld of %zu sources failed%s\n", t.total.files,
		       t.total.files_unchanged, t.total.new_deviations, t.total.duplicates,
		       t.total.skipped, t.total.quarantined, t.failed, n,
		       store_is_dry_run(st) ? " (dry run: nothing committed)" : "");
	return t.rc;
}

static int writer_open(cli_config *cfg, store **st, int *lock);

/* --jobs N: 1..64 */
static int parse_jobs(const char *s, int *out)
{
	char *end;
	long j = strtol(s, &end, 10);

	if (*end || j < 1 || j > 64) {
		log_error("--jobs '%s': expected a number of jobs (1..64)", s);
		return -1;
	}
	*out = (int)j;
	return 0;
}

/* The sources named on the command line, or all configured. */
static int ingest_select(cli_config *cfg, int argc, char **argv, const cli_source ***out, size_t *n)
{
	int i;

	*out = NULL;
	*n = 0;
	if (argc == 0) {
		if (!cfg->n_sources) {
			log_error("no sources configured: give --path PATH, or [source NAME] sections in the config");
			return -1;
		}
		*out = xcalloc(cfg->n_sources, sizeof **out);
		for (*n = 0; *n < cfg->n_sources; (*n)++)
			(*out)[*n] = &cfg->sources[*n];
		return 0;
	}
	*out = xcalloc((size_t)argc, sizeof **out);
	for (i = 0; i < argc; i++) {
		const cli_source *s = cli_config_source(cfg, argv[i]);
		if (!s) {
			log_error("no source named '%s' in %s", argv[i],
				  cfg->config_path ? cfg->config_path : "the config (none given)");
			free(*out);
			*out = NULL;
			return -1;
		}
		(*out)[(*n)++] = s;
	}
	return 0;
}

int cmd_ingest(cli_config *cfg, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "path", required_argument, NULL, 'p' },
		{ "format", required_argument, NULL, 'f' },
		{ "jobs", required_argument, NULL, 'j' },
		{ "dry-run", no_argument, NULL, 'n' },
		{ "rescan", no_argument, NULL, 'r' },
		{ NULL, 0, NULL, 0 },
	};
	const char *path = NULL;
	ingest_format fmt = INGEST_FORMAT_AUTO;
	const cli_source **srcs = NULL;
	cli_source adhoc;
	size_t n = 0;
	store *st;
	int c, rc, dry_run = 0, rescan = 0, lock;

	while ((c = getopt_long(argc, argv, ":", opts, NULL)) != -1) {
		switch (c) {
		case 'p': path = optarg; break;
		case 'f':
			if (ingest_format_parse(optarg, &fmt)) {
				log_error("ingest: unknown format '%s' (expected auto, msghead, avvik-xml, eml, mbox or maildir)",
					  optarg);
				return EXIT_USAGE;
			}
			break;
		case 'j':
			if (parse_jobs(optarg, &cfg->jobs))
				return EXIT_USAGE;
			break;
		case 'n': dry_run = 1; break;
		case 'r': rescan = 1; break;
		default: return cli_opt_error("ingest", c, argv);
		}
	}
	if (path && optind < argc) {
		log_error("ingest: give either --path or source names, not both");
		return EXIT_USAGE;
	}
	if (path && access(path, F_OK) != 0) {
		log_error("ingest: --path %s: %s", path, strerror(errno));
		return EXIT_USAGE;
	}
	if (path) {
		memset(&adhoc, 0, sizeof adhoc);
		adhoc.name = "path";
		adhoc.type = SOURCE_DIR;
		adhoc.path = (char *)path;
		adhoc.format = fmt;
	} else if (ingest_select(cfg, argc - optind, argv + optind, &srcs, &n)) {
		return EXIT_USAGE;
	}
	/* one writer at a time: ingest takes the lock `run` takes */
	if ((rc = writer_open(cfg, &st, &lock)) != EXIT_DONE) {
		free(srcs);
		return rc;
	}
	store_set_dry_run(st, dry_run);
	if (path) {
		const cli_source *one = &adhoc;
		rc = ingest_sources(cfg, st, &one, 1, rescan, NULL);
	} else {
		rc = ingest_sources(cfg, st, srcs, n, rescan, NULL);
	}
	free(srcs);
	store_close(st);
	if (lock >= 0)
		close(lock);
	return rc;
}

/* *n_out (may be NULL): how many were classified. */
static int classify_now(cli_config *cfg, store *st, const char *rev, int all, long *n_out)
{
	char *dir = cli_rules_dir(cfg, st), *commit = NULL, hex[41];
	sbuf err = SBUF_INIT;
	long n = 0;
	int rc = EXIT_DONE;

	if (!dir)
		return EXIT_USAGE;
	if (classify_repo_resolve(dir, rev, hex, &err)) {
		log_error("classify: %s", err.buf);
		free(dir);
		sbuf_release(&err);
		return EXIT_USAGE;
	}
	if (pipeline_classify(st, dir, rev, all, cfg->jobs, &n, &commit, &err)) {
		log_error("classify: %s", err.buf);
		rc = EXIT_FATAL;
	} else {
		printf("classified %ld deviations under rules commit %.12s\n", n, commit);
	}
	if (n_out)
		*n_out = n;
	free(commit);
	free(dir);
	sbuf_release(&err);
	return rc;
}

int cmd_classify(cli_config *cfg, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "rev", required_argument, NULL, 'r' },
		{ "all", no_argument, NULL, 'a' },
		{ "jobs", required_argument, NULL, 'j' },
		{ NULL, 0, NULL, 0 },
	};
	const char *rev = cfg->rules_rev;
	int c, all = 0, rc, lock;
	store *st;

	while ((c = getopt_long(argc, argv, ":", opts, NULL)) != -1) {
		switch (c) {
		case 'r': rev = optarg; break;
		case 'a': all = 1; break;
		case 'j':
			if (parse_jobs(optarg, &cfg->jobs))
				return EXIT_USAGE;
			break;
		default: return cli_opt_error("classify", c, argv);
		}
	}
	if (optind < argc) {
		cli_usage(stderr, "classify");
		return EXIT_USAGE;
	}
	if ((rc = writer_open(cfg, &st, &lock)) != EXIT_DONE)
		return rc;
	rc = classify_now(cfg, st, rev, all, NULL);
	store_close(st);
	if (lock >= 0)
		close(lock);
	return rc;
}

/* One run at a time: an exclusive lock on DB.lock, held until exit. */
int cli_run_lock(const char *db)
{
	sbuf p = SBUF_INIT;
	int fd;

	if (access(db, F_OK) != 0)
		return -3;   /* no database: opening it says so; nothing to lock */
	sbuf_addf(&p, "%s.lock", db);
	fd = open(p.buf, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	if (fd < 0) {
		log_error("%s: cannot open lock file: %s", p.buf, strerror(errno));
		sbuf_release(&p);
		return -1;
	}
	if (flock(fd, LOCK_EX | LOCK_NB) != 0) {
		char pid[32] = "";
		ssize_t n = pread(fd, pid, sizeof pid - 1, 0);
		if (n > 0)
			pid[n] = '\0';
		pid[strcspn(pid, "\n")] = '\0';
		log_error("%s: another run holds the lock (process %s)", p.buf, *pid ? pid : "?");
		close(fd);
		sbuf_release(&p);
		return -2;
	}
	if (ftruncate(fd, 0) == 0)
		dprintf(fd, "%ld\n", (long)getpid());
	sbuf_release(&p);
	return fd;
}

/* The one writer: takes the lock, then opens the store.  EXIT_DONE, or the
 * exit code to end with (the lock is released then). */
static int writer_open(cli_config *cfg, store **st, int *lock)
{
	*lock = cli_run_lock(cfg->db);
	if (*lock == -1 || *lock == -2)
		return *lock == -2 ? EXIT_LOCKED : EXIT_FATAL;
	if (!(*st = cli_store_open(cfg))) {
		if (*lock >= 0)
			close(*lock);
		return cli_store_failed(cfg);
	}
	return EXIT_DONE;
}

int cmd_run(cli_config *cfg, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "jobs", required_argument, NULL, 'j' },
		{ "dry-run", no_argument, NULL, 'n' },
		{ "rescan", no_argument, NULL, 'r' },
		{ NULL, 0, NULL, 0 },
	};
	const cli_source **srcs = NULL;
	size_t n = 0;
	store *st;
	int lock, rc, crc, c, dry_run = 0, rescan = 0;
	ingest_tally t;
	long classified = 0;
	struct timespec t0, t1;

	while ((c = getopt_long(argc, argv, ":", opts, NULL)) != -1) {
		switch (c) {
		case 'j':
			if (parse_jobs(optarg, &cfg->jobs))
				return EXIT_USAGE;
			break;
		case 'n': dry_run = 1; break;
		case 'r': rescan = 1; break;
		default: return cli_opt_error("run", c, argv);
		}
	}
	if (optind < argc) {
		cli_usage(stderr, "run");
		return EXIT_USAGE;
	}
	if (ingest_select(cfg, 0, NULL, &srcs, &n))
		return EXIT_USAGE;
	if ((rc = writer_open(cfg, &st, &lock)) != EXIT_DONE) {
		free(srcs);
		return rc;
	}
	/* a log file that cron appends to shows where each run begins and ends */
	clock_gettime(CLOCK_MONOTONIC, &t0);
	log_notice("run started: process %ld, database %s, %zu sources%s%s", (long)getpid(), cfg->db, n,
		   dry_run ? ", dry run" : "", rescan ? ", rescan" : "");
	memset(&t, 0, sizeof t);
	store_set_dry_run(st, dry_run);
	rc = ingest_sources(cfg, st, srcs, n, rescan, &t);
	if (dry_run)
		printf("dry run: fetched and parsed, nothing committed\n");
	else if (rc != EXIT_FATAL && rc != EXIT_USAGE) {
		crc = classify_now(cfg, st, cfg->rules_rev, 0, &classified);
		if (crc != EXIT_DONE)
			rc = crc;
		/* retention: raw bytes older than raw_retention_days go */
		if (rc != EXIT_FATAL && (crc = cli_purge(cfg, st, 0)) != EXIT_DONE)
			rc = crc;
		/* then what is due by e-mail (cmd_deliver.c) */
		if (rc != EXIT_FATAL && cfg->n_deliveries) {
			sbuf now = SBUF_INIT;
			date_now_utc(&now);
			crc = cli_deliver_due(cfg, st, now.buf);
			sbuf_release(&now);
			if (crc > rc)
				rc = crc;
		}
	}
	clock_gettime(CLOCK_MONOTONIC, &t1);
	log_notice("run finished: exit %d, %ld files (%ld unchanged), %ld new, %ld duplicates, "
		   "%ld skipped, %ld quarantined, %ld of %zu sources failed, %ld classified, %.2f s",
		   rc, t.total.files, t.total.files_unchanged, t.total.new_deviations, t.total.duplicates,
		   t.total.skipped, t.total.quarantined, t.failed, n, classified,
		   (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9);
	free(srcs);
	store_close(st);
	if (lock >= 0)
		close(lock);
	return rc;
}

int cli_writer_open(cli_config *cfg, store **st, int *lock)
{
	return writer_open(cfg, st, lock);
}
