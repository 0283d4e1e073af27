/* SPDX-License-Identifier: MIT */
/*
 * log: one line per event on standard error.
 *
 * Every line is written whole, with a single write(2), so lines from the monitor and the worker
 * never interleave; nothing is buffered, except between log_hold() and log_flush(). The module
 * opens no file and resolves no name: it is safe inside the worker's sandbox. Levels follow
 * syslog(3).
 */
#pragma once

#include <stdarg.h>

#include "udsecho/diag.h"

enum log_level {
	LOG_LEVEL_ERR = 3,
	LOG_LEVEL_WARNING = 4,
	LOG_LEVEL_NOTICE = 5,
	LOG_LEVEL_INFO = 6,
	LOG_LEVEL_DEBUG = 7,
};

/*
 * log_init - set the program name that starts every line. Call once, first thing in main. When
 * JOURNAL_STREAM says standard error is the journal, lines start with "<N>" (the level) instead.
 */
void log_init(const char *ident);

/* log_set_level - lines above @level are not written. The default is LOG_LEVEL_INFO. */
void log_set_level(enum log_level level);

/* log_enabled - whether a line at @level would be written (to skip formatting work). */
int log_enabled(enum log_level level);

/* log_msg - write "IDENT: MESSAGE\n". A message longer than a line buffer is cut, never split. */
void log_msg(enum log_level level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void log_vmsg(enum log_level level, const char *fmt, va_list ap)
	__attribute__((format(printf, 2, 0)));

/*
 * log_hold, log_flush - collect the lines written from now on, and write them (whole lines, a few
 * KiB at a time) at log_flush(). For a loop that writes many lines per turn: at most one turn's
 * lines are held, so a crash loses no more than those.
 */
void log_hold(void);
void log_flush(void);

/* log_diags - one line per diagnostic in diag_format()'s form, errors at err level. */
void log_diags(const struct diag_list *diags);

#define log_err(...)	log_msg(LOG_LEVEL_ERR, __VA_ARGS__)
#define log_warn(...)	log_msg(LOG_LEVEL_WARNING, __VA_ARGS__)
#define log_notice(...) log_msg(LOG_LEVEL_NOTICE, __VA_ARGS__)
#define log_info(...)	log_msg(LOG_LEVEL_INFO, __VA_ARGS__)
#define log_debug(...)	log_msg(LOG_LEVEL_DEBUG, __VA_ARGS__)
