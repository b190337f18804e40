/*
 * logging.h: the daemon's log, one line per message on stderr:
 *   2026-11-29T09:30:00Z liudongd[1234] warn: peer 南京: handshake failed: ...
 * Thread-safe (one fprintf per line). Level from [log] level; the default is info.
 */
#pragma once

#include <stdarg.h>
#include "lderr.h"

enum log_level { LOG_LEVEL_ERROR = 0, LOG_LEVEL_WARN, LOG_LEVEL_INFO, LOG_LEVEL_DEBUG };

/* Set the level by name ("error", "warn", "info", "debug"). Returns 0 or LD_EINPUT. */
int log_set_level_name(const char *name);
void log_set_level(enum log_level level);

/* printf-style; a trailing newline is added. */
void log_msg(enum log_level level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#define log_error(...) log_msg(LOG_LEVEL_ERROR, __VA_ARGS__)
#define log_warn(...)  log_msg(LOG_LEVEL_WARN, __VA_ARGS__)
#define log_info(...)  log_msg(LOG_LEVEL_INFO, __VA_ARGS__)
#define log_debug(...) log_msg(LOG_LEVEL_DEBUG, __VA_ARGS__)
