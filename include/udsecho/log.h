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
#include <stdint.h>

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

/*
 * log_journal_connect - when log_init() found standard error to be the journal, connect
 * journald's native socket ($UDSECHO_JOURNAL_SOCKET, else /run/systemd/journal/socket), so that
 * every later line is sent there as a record with fields (journal.h), and still written to
 * standard error when a record cannot be sent. Call once the descriptors a process inherited are
 * closed, before the fork: both processes then share it, the worker inside its sandbox. Returns
 * 0 (also when there is no journal), or -errno: lines then go to standard error, as before.
 */
int log_journal_connect(void);

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
 * KiB at a time) at log_flush(), or at once when they would fill a write. For a loop that writes
 * many lines: at most PIPE_BUF bytes of lines are held, so a crash loses no more than those.
 * log_pending - whether lines are held, not written yet.
 * log_flush_older - log_flush() once the first line held has waited @ns (CLOCK_MONOTONIC).
 */
void log_hold(void);
void log_flush(void);
int log_pending(void);
void log_flush_older(uint64_t ns);

/*
 * log_format - snprintf(@buf, @size, @fmt, ...) (@size at least 1), formatted as log lines are:
 * the conversions they use without stdio, whose vsnprintf() costs more. Returns @buf.
 */
const char *log_format(char *buf, size_t size, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* log_diags - one line per diagnostic in diag_format()'s form, errors at err level. */
void log_diags(const struct diag_list *diags);

/*
 * The rate limiter, for lines a peer can cause: at most @burst a second, the rest counted so that
 * the caller can say how many it held back once the second is over. The caller supplies the
 * clock (whole seconds, such as CLOCK_MONOTONIC's) and writes the lines. Pure: these functions
 * only count, they write nothing and call nothing, so they may run inside the worker's sandbox.
 */
struct log_limit {
	uint32_t burst;	 /* lines a second lets through */
	uint32_t window; /* the second being counted */
	uint32_t lines;	 /* lines let through in it */
	uint64_t held;	 /* lines held back in it */
};

/* log_limit_init - a limiter letting @burst lines a second through, with nothing counted. */
void log_limit_init(struct log_limit *l, uint32_t burst);

/*
 * log_limit_end_window - when @now is not the second being counted, start counting @now afresh
 * and return how many lines the old second held back (0 if none); within the same second, change
 * nothing and return 0. Call it before log_limit_allow() with the current second.
 */
uint64_t log_limit_end_window(struct log_limit *l, uint32_t now);

/*
 * log_limit_allow - whether one more line may be written in the second being counted: 1 while
 * fewer than the burst went through (the line is counted as written), 0 past it (the line is
 * counted as held back).
 */
int log_limit_allow(struct log_limit *l);

/* log_limit_held - how many lines the second being counted has held back so far. */
uint64_t log_limit_held(const struct log_limit *l);

#define log_err(...)	log_msg(LOG_LEVEL_ERR, __VA_ARGS__)
#define log_warn(...)	log_msg(LOG_LEVEL_WARNING, __VA_ARGS__)
#define log_notice(...) log_msg(LOG_LEVEL_NOTICE, __VA_ARGS__)
#define log_info(...)	log_msg(LOG_LEVEL_INFO, __VA_ARGS__)
#define log_debug(...)	log_msg(LOG_LEVEL_DEBUG, __VA_ARGS__)
