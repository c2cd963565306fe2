/* test_store.c - the SQLite store: creation, idempotent writes, queries. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "store/store.h"

static char dir[] = "/tmp/avvik-store-XXXXXX";
static char path[256];

static int setup(void **state)
{
	(void)state;
	snprintf(dir, sizeof dir, "%s", "/tmp/avvik-store-XXXXXX");
	if (!mkdtemp(dir))
		return -1;
	snprintf(path, sizeof path, "%s/t.db", dir);
	return 0;
}

static int teardown(void **state)
{
	char cmd[300];
	(void)state;
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
	return system(cmd);
}

static void make_record(avvik_record *r, const char *ext_id, const char *date, const char *text)
{
	avvik_record_init(r);
	r->ext_id = xstrdup(ext_id);
	r->event_date = xstrdup(date);
	r->text = xstrdup(text);
	r->reporter.name = xstrdup("Tromsø kommune");
	/* the real hash is ingest's job; any stable unique value does here */
	snprintf(r->content_hash, sizeof r->content_hash, "%s-%s", ext_id, text);
}

static store *open_new(void)
{
	store *st = NULL;
	sbuf err = SBUF_INIT;

	assert_int_equal(store_open(&st, path, 1, &err), 0);
	sbuf_release(&err);
	return st;
}

static void test_created_private_and_migrated(void **state)
{
	struct stat sb;
	store *st = open_new();
	sbuf err = SBUF_INIT;

	(void)state;
	assert_int_equal(store_was_created(st), 1);
	assert_true(store_schema_version(st) >= 1);
	assert_int_equal(stat(path, &sb), 0);
	assert_int_equal(sb.st_mode & 0777, 0600);
	store_close(st);
	assert_int_equal(store_open(&st, path, 1, &err), 0);
	assert_int_equal(store_was_created(st), 0);
	store_close(st);
	sbuf_release(&err);
}

static void test_missing_database_is_an_error(void **state)
{
	store *st = NULL;
	sbuf err = SBUF_INIT;

	(void)state;
	assert_int_equal(store_open(&st, path, 0, &err), -1);
	assert_null(st);
	assert_non_null(strstr(err.buf, "avvik init"));
	sbuf_release(&err);
}

static void test_newer_schema_refused(void **state)
{
	store *st = open_new();
	sqlite3 *db;
	sbuf err = SBUF_INIT;

	(void)state;
	store_close(st);
	assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
	assert_int_equal(sqlite3_exec(db, "PRAGMA user_version = 999", NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(db);
	assert_int_equal(store_open(&st, path, 0, &err), -1);
	assert_non_null(strstr(err.buf, "newer"));
	sbuf_release(&err);
}

static void test_deviation_dedupe(void **state)
{
	store *st = open_new();
	avvik_record a, b, c;
	int64_t raw = 0, id1 = 0, id2 = 0;
	store_totals t;

	(void)state;
	make_record(&a, "M1", "2023-05-01", "Epikrise mangler");
	make_record(&b, "M1", "2023-05-01", "Epikrise mangler, sendt på nytt");  /* same ext id */
	make_record(&c, "M2", "2024-01-01", "Epikrise mangler");
	assert_int_equal(store_begin(st), 0);
	assert_int_equal(store_raw_put(st, "aa", "t", "f1", "deviation", NULL, "x", 1, &raw), 1);
	assert_int_equal(store_deviation_put(st, &a, raw, &id1), 1);
	assert_int_equal(store_raw_put(st, "aa", "t", "f2", "deviation", NULL, "x", 1, &raw), 0);
	assert_int_equal(store_raw_put(st, "bb", "t", "f3", "deviation", NULL, "y", 1, &raw), 1);
	assert_int_equal(store_deviation_put(st, &b, raw, &id2), 0);
	assert_int_equal(id2, id1);
	assert_int_equal(store_deviation_put(st, &c, 0, &id2), 1);
	assert_true(id2 != id1);
	assert_int_equal(store_quarantine_put(st, "t", "bad.xml", 3, "bad.xml:3: broken", "cc", "<a", 2), 1);
	assert_int_equal(store_quarantine_put(st, "t", "copy.xml", 3, "copy.xml:3: broken", "cc", "<a", 2), 0);
	assert_int_equal(store_commit(st), 0);
	assert_int_equal(store_totals_get(st, &t), 0);
	assert_int_equal(t.deviations, 2);
	assert_int_equal(t.duplicates, 2);      /* the identical raw, and the same ext id */
	assert_int_equal(t.quarantined, 1);
	assert_int_equal(t.received, 2 + 1 + 1); /* two raw rows, one identical raw, one quarantined */
	avvik_record_clear(&a);
	avvik_record_clear(&b);
	avvik_record_clear(&c);
	store_close(st);
}

static int classify_all(void *ctx, int64_t id, const avvik_record *r)
{
	store *st = ctx;
	avvik_class c;

	avvik_class_init(&c);
	c.category = xstrdup(strstr(r->text, "Faktura") ? "faktura" : "epikrise");
	c.dir = id % 2 ? DIR_KOMMUNE_UNN : DIR_UNN_KOMMUNE;
	c.reporter_type = id % 2 ? ORG_TYPE_KOMMUNE : ORG_TYPE_UNN;
	assert_int_equal(store_class_put(st, id, "c1", &c), 0);
	avvik_class_clear(&c);
	return 0;
}

static int collect(void *ctx, const char *key, long count)
{
	sbuf *sb = ctx;
	sbuf_addf(sb, "%s=%ld;", key, count);
	return 0;
}

static void test_classify_and_count(void **state)
{
	store *st = open_new();
	static const char *dates[] = { "2023-01-10", "2023-06-30", "2023-12-31", "2024-01-01", "2024-02-02" };
	sbuf out = SBUF_INIT, err = SBUF_INIT;
	period y2023;
	size_t i;
	int64_t id;
	char *commit;

	(void)state;
	assert_int_equal(store_begin(st), 0);
	for (i = 0; i < 5; i++) {
		avvik_record r;
		char ext[8];
		snprintf(ext, sizeof ext, "E%zu", i);
		make_record(&r, ext, dates[i], i == 1 ? "Faktura bestridt" : "Epikrise mangler");
		assert_int_equal(store_deviation_put(st, &r, 0, &id), 1);
		avvik_record_clear(&r);
	}
	assert_int_equal(store_commit(st), 0);
	assert_null(store_current_commit(st));
	assert_int_equal(store_class_complete(st, "c1"), 0);
	assert_int_equal(store_begin(st), 0);
	assert_int_equal(store_deviations_each(st, "c1", classify_all, st), 0);
	assert_int_equal(store_class_run_put(st, "c1", 5), 0);
	assert_int_equal(store_commit(st), 0);
	commit = store_current_commit(st);
	assert_string_equal(commit, "c1");
	free(commit);
	assert_int_equal(store_class_count(st, "c1"), 5);
	assert_int_equal(store_class_complete(st, "c1"), 1);
	assert_int_equal(store_class_complete(st, "c2"), 0);
	/* nothing left unclassified under c1 */
	assert_int_equal(store_deviations_each(st, "c1", classify_all, st), 0);
	assert_int_equal(period_parse("2023", &y2023, &err), 0);
	assert_int_equal(store_count(st, "c1", &y2023, STORE_GROUP_NONE, "", collect, &out), 0);
	assert_string_equal(out.buf, "=3;");
	sbuf_reset(&out);
	assert_int_equal(store_count(st, "c1", &y2023, STORE_GROUP_CATEGORY, "faktura", collect, &out), 0);
	assert_string_equal(out.buf, "epikrise=2;");
	sbuf_reset(&out);
	assert_int_equal(store_count(st, "c1", NULL, STORE_GROUP_MONTH, "faktura", collect, &out), 0);
	assert_string_equal(out.buf, "2023-01=1;2023-12=1;2024-01=1;2024-02=1;");
	sbuf_reset(&out);
	assert_int_equal(store_count(st, "other-commit", NULL, STORE_GROUP_NONE, "", collect, &out), 0);
	assert_string_equal(out.buf, "=0;");
	sbuf_release(&out);
	sbuf_release(&err);
	store_close(st);
}

static void test_meta_and_file_identity(void **state)
{
	store *st = open_new();
	char *v;

	(void)state;
	assert_null(store_meta_get(st, "rules_dir"));
	assert_int_equal(store_meta_put(st, "rules_dir", "/srv/rules"), 0);
	v = store_meta_get(st, "rules_dir");
	assert_string_equal(v, "/srv/rules");
	free(v);
	store_close(st);
}

static int copy_row(void *ctx, const store_file_row *row)
{
	store_file_row *out = ctx;

	*out = *row;
	out->path = NULL;   /* borrowed: gone after the callback */
	return 1;
}

static int count_row(void *ctx, const store_file_row *row)
{
	(void)row;
	(*(int *)ctx)++;
	return 0;
}

static int count_dir(void *ctx, const char *sub)
{
	(void)sub;
	(*(int *)ctx)++;
	return 0;
}

/* A file read whole is found again by path with its identity, hash, kind
 * and whether it settled; its directory lists it. */
static void test_file_identity(void **state)
{
	store *st = open_new();
	store_file_row row, got;
	int n = 0;

	(void)state;
	memset(&row, 0, sizeof row);
	row.path = "/in/a.xml";
	row.size = 10;
	row.mtime_s = 100;
	row.mtime_ns = 100000000123;
	row.inode = 7;
	memset(row.sha256, 'a', 64);
	row.kind = STORE_FILE_MESSAGE;
	memset(&got, 0, sizeof got);
	assert_int_equal(store_file_get(st, "/in/a.xml", copy_row, &got), 0);   /* not yet */
	assert_int_equal(store_file_mark(st, "/in", &row), 0);
	assert_int_equal(store_file_get(st, "/in/a.xml", copy_row, &got), 1);
	assert_int_equal(got.size, 10);
	assert_int_equal(got.mtime_ns, 100000000123);
	assert_int_equal(got.inode, 7);
	assert_int_equal(got.kind, STORE_FILE_MESSAGE);
	assert_int_equal(got.settled, 0);
	assert_string_equal(got.sha256, row.sha256);
	assert_int_equal(store_files_count(st, "/in", 0), 1);
	assert_int_equal(store_file_set_kind(st, "/in/a.xml", STORE_FILE_MESSAGE, 1), 0);
	assert_int_equal(store_files_count(st, "/in", 1), 1);
	assert_int_equal(store_files_in_dir(st, "/in", 1, count_row, &n), 0);
	assert_int_equal(n, 0);   /* settled: not among those to look at */
	assert_int_equal(store_files_in_dir(st, "/in", 0, count_row, &n), 0);
	assert_int_equal(n, 1);
	n = 0;
	assert_int_equal(store_files_in_dir(st, "/other", 0, count_row, &n), 0);
	assert_int_equal(n, 0);
	store_close(st);
}

/* A directory's identity is kept by path and found again; its parent
 * lists it. */
static void test_dir_identity(void **state)
{
	store *st = open_new();
	store_dir_row d = { "/in/2024", 1, 2, 3, 4 }, got;
	int n = 0;

	(void)state;
	assert_int_equal(store_dir_get(st, "/in/2024", &got), 0);
	assert_int_equal(store_dir_mark(st, "/in", &d), 0);
	assert_int_equal(store_dir_get(st, "/in/2024", &got), 1);
	assert_int_equal(got.inode, 2);
	assert_int_equal(got.mtime_ns, 3);
	assert_int_equal(got.ctime_ns, 4);
	assert_int_equal(store_dirs_in(st, "/in", count_dir, &n), 0);
	assert_int_equal(n, 1);
	d.path = "/in/2024/q1";
	assert_int_equal(store_dir_mark(st, "/in/2024", &d), 0);
	d.path = "/in/20240";   /* a sibling that sorts right after "/in/2024/" */
	assert_int_equal(store_dir_mark(st, "/in", &d), 0);
	assert_int_equal(store_path_forget(st, "/in/2024"), 0);
	assert_int_equal(store_dir_get(st, "/in/2024", &got), 0);
	assert_int_equal(store_dir_get(st, "/in/2024/q1", &got), 0);   /* and what was under it */
	assert_int_equal(store_dir_get(st, "/in/20240", &got), 1);     /* not its sibling */
	store_close(st);
}

/* A batch holds many files' transactions: one file rolled back alone, the
 * others committed with the batch. */
static void test_nested_batch(void **state)
{
	store *st = open_new();
	avvik_record a, b;
	int64_t raw, id;
	store_totals t;

	(void)state;
	make_record(&a, "N1", "2023-05-01", "Epikrise mangler");
	make_record(&b, "N2", "2023-05-02", "Legemiddelliste mangler");
	assert_int_equal(store_begin(st), 0);           /* the batch */
	assert_true(store_in_batch(st));
	assert_int_equal(store_begin(st), 0);           /* file 1 */
	assert_int_equal(store_raw_put(st, "a1", "t", "f1", "deviation", NULL, "x", 1, &raw), 1);
	assert_int_equal(store_deviation_put(st, &a, raw, &id), 1);
	assert_int_equal(store_commit(st), 0);
	assert_int_equal(store_begin(st), 0);           /* file 2, dropped */
	assert_int_equal(store_raw_put(st, "b1", "t", "f2", "deviation", NULL, "y", 1, &raw), 1);
	assert_int_equal(store_deviation_put(st, &b, raw, &id), 1);
	store_rollback(st);
	assert_true(store_in_batch(st));
	assert_int_equal(store_commit(st), 0);          /* the batch */
	assert_false(store_in_batch(st));
	assert_int_equal(store_totals_get(st, &t), 0);
	assert_int_equal(t.deviations, 1);
	assert_int_equal(t.received, 1);
	/* a rolled-back batch takes its committed files with it */
	assert_int_equal(store_begin(st), 0);
	assert_int_equal(store_begin(st), 0);
	assert_int_equal(store_raw_put(st, "b2", "t", "f2", "deviation", NULL, "z", 1, &raw), 1);
	assert_int_equal(store_deviation_put(st, &b, raw, &id), 1);
	assert_int_equal(store_commit(st), 0);
	store_rollback(st);
	assert_false(store_in_batch(st));
	assert_int_equal(store_totals_get(st, &t), 0);
	assert_int_equal(t.deviations, 1);
	avvik_record_clear(&a);
	avvik_record_clear(&b);
	store_close(st);
}

/* Five deviations classified under c1: odd ids reported by tromso, even
 * ids by narvik-legevakt (a sub-unit of narvik); all concern unn-tromso. */
static int classify_orgs(void *ctx, int64_t id, const avvik_record *r)
{
	store *st = ctx;
	avvik_class c;

	avvik_class_init(&c);
	c.category = xstrdup(strstr(r->text, "pikrise") || strstr(r->text, "PIKRISE") ? "epikrise" : "legemidler");
	c.dir = DIR_KOMMUNE_UNN;
	c.reporter_org = xstrdup(id % 2 ? "tromso" : "narvik-legevakt");
	c.concerned_org = xstrdup("unn-tromso");
	assert_int_equal(store_class_put(st, id, "c1", &c), 0);
	avvik_class_clear(&c);
	return 0;
}

static store *open_listed(void)
{
	static const char *texts[] = { "Epikrisen kom for sent", "EPIKRISE mangler", "Feil i legemiddellisten",
				       "epikrise: ' OR 1=1 --", "Tromsø ringte om medisiner" };
	store *st = open_new();

	assert_int_equal(store_begin(st), 0);
	for (size_t i = 0; i < 5; i++) {
		avvik_record r;
		char ext[8], date[11];
		int64_t id;
		snprintf(ext, sizeof ext, "L%zu", i);
		snprintf(date, sizeof date, "2024-0%zu-15", i + 1);
		make_record(&r, ext, date, texts[i]);
		assert_int_equal(store_deviation_put(st, &r, 0, &id), 1);
		avvik_record_clear(&r);
	}
	assert_int_equal(store_deviations_each(st, "c1", classify_orgs, st), 0);
	assert_int_equal(store_class_run_put(st, "c1", 5), 0);
	assert_int_equal(store_commit(st), 0);
	return st;
}

static int list_ids(void *ctx, const store_list_row *r)
{
	sbuf *sb = ctx;
	sbuf_addf(sb, "%lld%s;", (long long)r->id, r->overridden ? "o" : "");
	return 0;
}

/* The ids store_list_query gives for f, newest first, and the total. */
static const char *listed(store *st, const store_list_filter *f, sbuf *out)
{
	long total = -1;

	sbuf_reset(out);
	assert_int_equal(store_list_query(st, f, list_ids, out, &total), 0);
	sbuf_addf(out, "/%ld", total);
	return out->buf;
}

static void test_list_query(void **state)
{
	store *st = open_listed();
	store_list_filter f;
	sbuf out = SBUF_INIT, err = SBUF_INIT;
	period q1;

	(void)state;
	store_list_filter_init(&f);
	assert_string_equal(listed(st, &f, &out), "5;4;3;2;1;/5");
	/* Norwegian forms and case fold together, as a prefix of the stem */
	f.search = "epikrise";
	assert_string_equal(listed(st, &f, &out), "4;2;1;/3");
	f.search = "Epikrisen";
	assert_string_equal(listed(st, &f, &out), "4;2;1;/3");
	f.search = "EPIKRISE";
	assert_string_equal(listed(st, &f, &out), "4;2;1;/3");
	f.search = "tromsø";
	assert_string_equal(listed(st, &f, &out), "5;/1");
	/* query syntax is data: quotes, operators, stars */
	f.search = "' OR 1=1 --";
	assert_string_equal(listed(st, &f, &out), "4;/1");
	f.search = "\" OR NEAR(a b) * ^ -";
	assert_string_equal(listed(st, &f, &out), "/0");
	f.search = "   ";
	assert_string_equal(listed(st, &f, &out), "5;4;3;2;1;/5");
	f.search = NULL;
	/* org: reporter or concerned, sub-units included */
	f.org = "narvik";
	assert_string_equal(listed(st, &f, &out), "4;2;/2");
	f.org = "unn";
	assert_string_equal(listed(st, &f, &out), "5;4;3;2;1;/5");
	f.org = "tromso' OR '1'='1";
	assert_string_equal(listed(st, &f, &out), "/0");
	f.org = NULL;
	/* scope: what a reader may see; empty sees nothing */
	f.scope = "tromso";
	assert_string_equal(listed(st, &f, &out), "5;3;1;/3");
	f.scope = "narvik,nordreisa";
	assert_string_equal(listed(st, &f, &out), "4;2;/2");
	f.scope = "";
	assert_string_equal(listed(st, &f, &out), "/0");
	f.scope = "tromso";
	f.org = "narvik";   /* a filter cannot widen a scope */
	assert_string_equal(listed(st, &f, &out), "/0");
	f.org = NULL;
	f.scope = NULL;
	f.category = "epikrise";
	assert_int_equal(period_parse("2024-Q1", &q1, &err), 0);
	f.p = &q1;
	assert_string_equal(listed(st, &f, &out), "2;1;/2");
	f.p = NULL;
	f.category = NULL;
	/* an override changes the effective category and the overridden filter */
	assert_int_equal(store_override_put(st, 3, "epikrise", NULL, "test", "t", NULL), 0);
	f.category = "epikrise";
	assert_string_equal(listed(st, &f, &out), "4;3o;2;1;/4");
	f.category = NULL;
	f.overridden = 1;
	assert_string_equal(listed(st, &f, &out), "3o;/1");
	f.overridden = 0;
	assert_string_equal(listed(st, &f, &out), "5;4;2;1;/4");
	f.overridden = -1;
	/* a capped count says "more than count_max" */
	f.count_max = 2;
	assert_string_equal(listed(st, &f, &out), "5;4;3o;2;1;/3");
	f.count_max = 5;
	assert_string_equal(listed(st, &f, &out), "5;4;3o;2;1;/5");
	f.count_max = 0;
	/* paging */
	f.limit = 2;
	f.offset = 2;
	assert_string_equal(listed(st, &f, &out), "3o;2;/5");
	/* no classification under the commit asked for: nothing */
	f.commit = "c2";
	f.limit = 0;
	f.offset = 0;
	assert_string_equal(listed(st, &f, &out), "/0");
	sbuf_release(&out);
	sbuf_release(&err);
	store_close(st);
}

static void test_org_in(void **state)
{
	(void)state;
	assert_true(store_org_in("unn-tromso", "unn"));
	assert_true(store_org_in("unn", "tromso,unn"));
	assert_false(store_org_in("unn", "unn-tromso"));
	assert_false(store_org_in("unnx", "unn"));
	assert_false(store_org_in("tromso", ""));
	assert_false(store_org_in(NULL, "tromso"));
	assert_false(store_org_in("tromso", ",,"));
}

static int history_row(void *ctx, const store_override *o)
{
	sbuf *sb = ctx;
	sbuf_addf(sb, "%s/%s/%s;", o->category ? o->category : "-", o->direction ? o->direction : "-",
		  o->superseded_at ? "old" : "now");
	return 0;
}

/* Overriding only the direction keeps an earlier category override, and
 * the other way round; the history keeps every step. */
static void test_override_keeps_parts(void **state)
{
	store *st = open_listed();
	store_override o;
	sbuf h = SBUF_INIT;

	(void)state;
	assert_int_equal(store_override_put(st, 2, "legemidler", NULL, "feil kategori", "anne", NULL), 0);
	assert_int_equal(store_override_put(st, 2, NULL, "unn→kommune", "feil retning", "anne", NULL), 0);
	assert_int_equal(store_override_get(st, 2, &o), 1);
	assert_string_equal(o.category, "legemidler");
	assert_string_equal(o.direction, "unn→kommune");
	store_override_clear(&o);
	assert_int_equal(store_override_put(st, 2, "dialog", NULL, "bedre", "per", NULL), 0);
	assert_int_equal(store_override_get(st, 2, &o), 1);
	assert_string_equal(o.category, "dialog");
	assert_string_equal(o.direction, "unn→kommune");
	assert_string_equal(o.by, "per");
	store_override_clear(&o);
	assert_int_equal(store_override_history(st, 2, history_row, &h), 0);
	assert_string_equal(h.buf, "legemidler/-/old;legemidler/unn→kommune/old;dialog/unn→kommune/now;");
	assert_int_equal(store_override_put(st, 99, "dialog", NULL, "x", "y", NULL), -2);
	sbuf_release(&h);
	store_close(st);
}

static int audit_row(void *ctx, const char *at, const char *actor, const char *action,
		     const char *target, const char *detail, const char *addr)
{
	sbuf *sb = ctx;
	(void)at;
	(void)addr;
	sbuf_addf(sb, "%s %s %s %s;", actor, action, target ? target : "-", detail ? detail : "-");
	return 0;
}

static void test_users_sessions_audit(void **state)
{
	store *st = open_new();
	store_user u;
	sbuf a = SBUF_INIT;
	char *csrf;

	(void)state;
	assert_int_equal(store_user_add(st, "anne", "hash1", "adviser", "tromso"), 0);
	assert_int_equal(store_user_add(st, "anne", "hash2", "admin", ""), -2);
	assert_int_equal(store_user_add(st, "bob", "h", "superuser", ""), -1);   /* CHECK constraint */
	assert_int_equal(store_user_get(st, "anne", &u), 1);
	assert_string_equal(u.pwhash, "hash1");
	assert_string_equal(u.orgs, "tromso");
	assert_int_equal(u.locked, 0);
	/* four failures leave it open, the fifth locks it; a new password unlocks */
	for (int i = 0; i < 5; i++) {
		assert_int_equal(store_user_login_failed(st, u.id, 5, 900), 0);
		store_user_clear(&u);
		assert_int_equal(store_user_get(st, "anne", &u), 1);
		assert_int_equal(u.locked, i == 4);
	}
	assert_int_equal(store_user_set_pwhash(st, "anne", "hash3"), 0);
	store_user_clear(&u);
	assert_int_equal(store_user_get(st, "anne", &u), 1);
	assert_int_equal(u.locked, 0);
	assert_int_equal(u.failed, 0);
	assert_int_equal(store_user_set_pwhash(st, "nobody", "x"), -2);
	/* sessions: found by token hash, gone when expired, deleted or the user disabled */
	assert_int_equal(store_session_put(st, "tok1", u.id, "csrf1", 3600), 0);
	assert_int_equal(store_session_put(st, "tok2", u.id, "csrf2", -1), 0);
	store_user_clear(&u);
	assert_int_equal(store_session_get(st, "tok1", &u, &csrf), 1);
	assert_string_equal(u.name, "anne");
	assert_string_equal(csrf, "csrf1");
	free(csrf);
	store_user_clear(&u);
	assert_int_equal(store_session_get(st, "tok2", &u, &csrf), 0);
	assert_int_equal(store_session_get(st, "nope", &u, &csrf), 0);
	assert_int_equal(store_user_set_disabled(st, "anne", 1), 0);
	assert_int_equal(store_session_get(st, "tok1", &u, &csrf), 0);
	assert_int_equal(store_user_set_disabled(st, "anne", 0), 0);
	assert_int_equal(store_session_delete(st, "tok1"), 0);
	assert_int_equal(store_session_get(st, "tok1", &u, &csrf), 0);
	assert_int_equal(store_audit_put(st, "anne", "login", NULL, NULL, "127.0.0.1"), 0);
	assert_int_equal(store_audit_put(st, "anne", "override", "deviation 3", "dialog", "127.0.0.1"), 0);
	assert_int_equal(store_audit_each(st, 0, audit_row, &a), 0);
	assert_string_equal(a.buf, "anne override deviation 3 dialog;anne login - -;");
	sbuf_release(&a);
	store_close(st);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_created_private_and_migrated, setup, teardown),
		cmocka_unit_test_setup_teardown(test_missing_database_is_an_error, setup, teardown),
		cmocka_unit_test_setup_teardown(test_newer_schema_refused, setup, teardown),
		cmocka_unit_test_setup_teardown(test_deviation_dedupe, setup, teardown),
		cmocka_unit_test_setup_teardown(test_classify_and_count, setup, teardown),
		cmocka_unit_test_setup_teardown(test_meta_and_file_identity, setup, teardown),
		cmocka_unit_test_setup_teardown(test_file_identity, setup, teardown),
		cmocka_unit_test_setup_teardown(test_dir_identity, setup, teardown),
		cmocka_unit_test_setup_teardown(test_nested_batch, setup, teardown),
		cmocka_unit_test_setup_teardown(test_list_query, setup, teardown),
		cmocka_unit_test(test_org_in),
		cmocka_unit_test_setup_teardown(test_override_keeps_parts, setup, teardown),
		cmocka_unit_test_setup_teardown(test_users_sessions_audit, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
