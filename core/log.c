/* log.c - diagnostics on stderr, one line each, prefixed like err(3). */
#include "core.h"

#include <string.h>
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

static void log_emit(log_level lvl, const char *fmt, va_list ap)
{
	static const char *prefix[] = { "error: ", "warning: ", "", "debug: " };
	sbuf line = SBUF_INIT;

	if (lvl > current_level)
		return;
	/* on a terminal, first wipe a progress line that may be drawn there */
	if (isatty(STDERR_FILENO))
		sbuf_adds(&line, "\r\033[K");
	sbuf_adds(&line, "avvik: ");
	sbuf_adds(&line, prefix[lvl]);
	sbuf_vaddf(&line, fmt, ap);
	sbuf_addch(&line, '\n');
	fwrite(line.buf, 1, line.len, stderr);
	sbuf_release(&line);
}

#define LOG_FN(name, lvl) \
	void name(const char *fmt, ...) \
	{ \
		va_list ap; \
		va_start(ap, fmt); \
		log_emit(lvl, fmt, ap); \
		va_end(ap); \
	}

LOG_FN(log_error, LOG_LVL_ERROR)
LOG_FN(log_warn, LOG_LVL_WARN)
LOG_FN(log_info, LOG_LVL_INFO)
LOG_FN(log_debug, LOG_LVL_DEBUG)
