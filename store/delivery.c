/*
 * delivery.c - which report went to whom for which period.  A period is
 * sent once per delivery and recipient group; a failed try is kept with
 * its error and tried again by the next run.
 */
#include "store/store_int.h"

int store_delivery_state(store *st, const char *name, const period *p, const char *target,
			 int *attempts)
{
	sqlite3_stmt *s = store_stmt(st,
		"SELECT status = 'sent', attempts FROM delivery"
		" WHERE name = ?1 AND period_start = ?2 AND period_end = ?3 AND target = ?4");
	int rc = 0, step;

	if (attempts)
		*attempts = 0;
	if (!s)
		return -1;
	store_bind_text(s, 1, name);
	store_bind_text(s, 2, p->start);
	store_bind_text(s, 3, p->end);
	store_bind_text(s, 4, target ? target : "");
	if ((step = sqlite3_step(s)) == SQLITE_ROW) {
		rc = sqlite3_column_int(s, 0) ? 1 : 0;
		if (attempts)
			*attempts = sqlite3_column_int(s, 1);
		step = SQLITE_DONE;
	}
	return store_rows_finish(st, s, step, rc);
}

int store_delivery_record(store *st, const char *name, const period *p, const char *target, int ok,
			  const char *error, const char *message_id, const char *recipients)
{
	sqlite3_stmt *s = store_stmt(st,
		"INSERT INTO delivery(name, period_start, period_end, target, status, attempts, last_error,"
		"  message_id, recipients, first_try_at, updated_at)"
		" VALUES (?1, ?2, ?3, ?4, ?5, 1, ?6, ?7, ?8, strftime('%Y-%m-%dT%H:%M:%SZ', 'now'),"
		"  strftime('%Y-%m-%dT%H:%M:%SZ', 'now'))"
		" ON CONFLICT(name, period_start, period_end, target) DO UPDATE SET"
		"  status = excluded.status, attempts = delivery.attempts + 1, last_error = excluded.last_error,"
		"  message_id = excluded.message_id, recipients = excluded.recipients,"
		"  updated_at = excluded.updated_at");

	if (!s)
		return -1;
	store_bind_text(s, 1, name);
	store_bind_text(s, 2, p->start);
	store_bind_text(s, 3, p->end);
	store_bind_text(s, 4, target ? target : "");
	store_bind_text(s, 5, ok ? "sent" : "failed");
	store_bind_text(s, 6, ok ? NULL : error);
	store_bind_text(s, 7, message_id);
	store_bind_text(s, 8, recipients);
	return store_step_done(st, s);
}
