/* backup.c - a consistent copy of the live database through SQLite's
 * online backup API, while a run may be writing (WAL: the copy reads one
 * snapshot and blocks no writer). */
#include "store/store_int.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Runs a one-value pragma on db; the text in out (caller frees) or NULL. */
static char *store_backup_pragma(sqlite3 *db, const char *sql)
{
	sqlite3_stmt *s = NULL;
	char *v = NULL;

	if (sqlite3_prepare_v2(db, sql, -1, &s, NULL) == SQLITE_OK && sqlite3_step(s) == SQLITE_ROW &&
	    sqlite3_column_text(s, 0))
		v = xstrdup((const char *)sqlite3_column_text(s, 0));
	sqlite3_finalize(s);
	return v;
}

int store_backup(store *st, const char *path, long *pages_out, sbuf *err)
{
	sbuf tmp = SBUF_INIT;
	sqlite3 *dst = NULL;
	sqlite3_backup *b = NULL;
	char *check = NULL, *mode = NULL;
	int fd, rc = -1, step;

	/* a private temporary file beside the target, renamed into place only
	 * when whole and checked: a failed backup never replaces a good one */
	sbuf_addf(&tmp, "%s.tmp-XXXXXX", path);
	fd = mkstemp(tmp.buf);
	if (fd < 0) {
		sbuf_addf(err, "%s: cannot create: %s", path, strerror(errno));
		sbuf_release(&tmp);
		return -1;
	}
	close(fd);
	if (sqlite3_open_v2(tmp.buf, &dst, SQLITE_OPEN_READWRITE, NULL) != SQLITE_OK) {
		sbuf_addf(err, "%s: cannot open: %s", tmp.buf, dst ? sqlite3_errmsg(dst) : "out of memory");
		goto out;
	}
	b = sqlite3_backup_init(dst, "main", st->db, "main");
	if (!b) {
		sbuf_addf(err, "%s: cannot start the backup: %s", path, sqlite3_errmsg(dst));
		goto out;
	}
	/* all pages in one step: one read transaction, so one snapshot even
	 * while another process commits (stepping in parts would restart) */
	while ((step = sqlite3_backup_step(b, -1)) == SQLITE_BUSY || step == SQLITE_LOCKED)
		sqlite3_sleep(50);
	if (pages_out)
		*pages_out = sqlite3_backup_pagecount(b);
	sqlite3_backup_finish(b);
	if (step != SQLITE_DONE) {
		sbuf_addf(err, "%s: backup failed: %s", path, sqlite3_errstr(step));
		goto out;
	}
	/* the copy is one self-contained file, not a WAL database */
	mode = store_backup_pragma(dst, "PRAGMA journal_mode=DELETE");
	check = store_backup_pragma(dst, "PRAGMA quick_check");
	if (!check || strcmp(check, "ok")) {
		sbuf_addf(err, "%s: the copy fails its check: %s", path, check ? check : sqlite3_errmsg(dst));
		goto out;
	}
	if (sqlite3_close(dst) != SQLITE_OK) {
		sbuf_addf(err, "%s: cannot close the copy", path);
		goto out;
	}
	dst = NULL;
	if ((fd = open(tmp.buf, O_RDONLY | O_CLOEXEC)) < 0 || fsync(fd) != 0) {
		sbuf_addf(err, "%s: cannot sync: %s", tmp.buf, strerror(errno));
		if (fd >= 0)
			close(fd);
		goto out;
	}
	close(fd);
	if (rename(tmp.buf, path) != 0) {
		sbuf_addf(err, "%s: %s", path, strerror(errno));
		goto out;
	}
	rc = 0;
out:
	if (dst)
		sqlite3_close(dst);
	if (rc)
		unlink(tmp.buf);
	free(check);
	free(mode);
	sbuf_release(&tmp);
	return rc;
}
