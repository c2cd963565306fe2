/*
 * log.c - diagnostics on stderr, one line each, prefixed like err(3).
 * On a terminal: "avvik: warning: ...".  Elsewhere (cron appending to a
 * file) every line starts with an ISO-8601 time and always names its level;
 * under systemd (stderr is the journal) it starts with a syslog priority
 * "<4>" instead, since the journal keeps the time.  Whatever the caller
 * passes, the message is one line: control characters are escaped here, so
 * a file name holding a newline cannot forge a log line.
 */
#include "core.h"

#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

static log_level current_level = LOG_LVL_WARN;

void log_set_level(log_level lvl) { current_level = lvl; }
log_level log_get_level(void) { return current_level; }

int log_level_parse(const char *s, log_level *out)
{
	static const char *names[] = { "error", "warn", "info", "debug" };
	size_t i;

	for (i = 0; i < sizeof names / sizeof names[0]; i++)
		if (!strcmp(s, names[i])) {
			*out = (log_level)i;
			return 0;
		}
	if (!strcmp(s, "warning")) {
		*out = LOG_LVL_WARN;
		return 0;
	}
	return -1;
}

typedef enum { LOG_TO_TERMINAL, LOG_TO_FILE, LOG_TO_JOURNAL } log_target;

/* $JOURNAL_STREAM is "DEV:INODE" of the journal's socket when systemd
 * connected stderr to it (sd_journal_stream_fd(3)). */
static log_target log_target_get(void)
{
	static int known = 0;
	static log_target t;
	const char *js;
	struct stat sb;

	if (known)
		return t;
	known = 1;
	t = LOG_TO_FILE;
	if (isatty(STDERR_FILENO))
		t = LOG_TO_TERMINAL;
	else if ((js = getenv("JOURNAL_STREAM")) && fstat(STDERR_FILENO, &sb) == 0) {
		unsigned long long dev, ino;
		if (sscanf(js, "%llu:%llu", &dev, &ino) == 2 && dev == (unsigned long long)sb.st_dev &&
		    ino == (unsigned long long)sb.st_ino)
			t = LOG_TO_JOURNAL;
	}
	return t;
}

/* Appends msg with C0 controls, DEL and the C1 controls (U+0080..U+009F,
 * which some terminals obey) escaped as \n, \t, \r or \xHH. */
static void log_add_escaped(sbuf *line, const char *msg, size_t len)
{
	static const char hex[] = "0123456789abcdef";
	size_t i;

	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)msg[i];
		if (c == 0xc2 && i + 1 < len && (unsigned char)msg[i + 1] >= 0x80 &&
		    (unsigned char)msg[i + 1] <= 0x9f) {
			unsigned char c1 = (unsigned char)msg[++i];
			sbuf_adds(line, "\\xc2\\x");
			sbuf_addch(line, hex[c1 >> 4]);
			sbuf_addch(line, hex[c1 & 15]);
		} else if (c >= 0x20 && c != 0x7f) {
			sbuf_addch(line, (char)c);
		} else if (c == '\n') {
			sbuf_adds(line, "\\n");
		} else if (c == '\t') {
			sbuf_adds(line, "\\t");
		} else if (c == '\r') {
			sbuf_adds(line, "\\r");
		} else {
			sbuf_adds(line, "\\x");
			sbuf_addch(line, hex[c >> 4]);
			sbuf_addch(line, hex[c & 15]);
		}
	}
}

/* "2026-03-01T02:15:04+01:00" */
static void log_add_time(sbuf *line)
{
	char ts[40];
	struct timespec now;
	struct tm tm;
	size_t n;

	clock_gettime(CLOCK_REALTIME, &now);
	localtime_r(&now.tv_sec, &tm);
	n = strftime(ts, sizeof ts, "%Y-%m-%dT%H:%M:%S%z", &tm);
	if (n == 24) {   /* +0100 -> +01:00 */
		sbuf_add(line, ts, 22);
		sbuf_addch(line, ':');
		sbuf_add(line, ts + 22, 2);
	} else {
		sbuf_add(line, ts, n);
	}
	sbuf_addch(line, ' ');
}

static void log_emit(log_level lvl, const char *label, const char *fmt, va_list ap)
{
	static const char *const names[] = { "error", "warning", "info", "debug" };
	static const char prio[] = { '3', '4', '6', '7' };
	sbuf line = SBUF_INIT, msg = SBUF_INIT;
	log_target t = log_target_get();

	if (lvl > current_level)
		return;
	if (!label)
		label = names[lvl];
	sbuf_vaddf(&msg, fmt, ap);
	if (t == LOG_TO_TERMINAL)   /* first wipe a progress line that may be drawn there */
		sbuf_adds(&line, "\r\033[K");
	else if (t == LOG_TO_JOURNAL)
		sbuf_addf(&line, "<%c>", prio[lvl]);
	else
		log_add_time(&line);
	sbuf_adds(&line, "avvik: ");
	/* on a terminal plain information needs no label */
	if (t != LOG_TO_TERMINAL || lvl != LOG_LVL_INFO || strcmp(label, names[lvl])) {
		sbuf_adds(&line, label);
		sbuf_adds(&line, ": ");
	}
	log_add_escaped(&line, msg.buf, msg.len);
	sbuf_addch(&line, '\n');
	fwrite(line.buf, 1, line.len, stderr);
	sbuf_release(&line);
	sbuf_release(&msg);
}

#define LOG_FN(name, lvl) \
	void name(const char *fmt, ...) \
	{ \
		va_list ap; \
		va_start(ap, fmt); \
		log_emit(lvl, NULL, fmt, ap); \
		va_end(ap); \
	}

LOG_FN(log_error, LOG_LVL_ERROR)
LOG_FN(log_warn, LOG_LVL_WARN)
LOG_FN(log_info, LOG_LVL_INFO)
LOG_FN(log_debug, LOG_LVL_DEBUG)

/* Shown whenever warnings are (not under -q), labelled "notice": the lines
 * that mark a run's start and end in a log file. */
void log_notice(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_emit(LOG_LVL_WARN, "notice", fmt, ap);
	va_end(ap);
}
