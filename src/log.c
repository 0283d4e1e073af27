// SPDX-License-Identifier: MIT
/*
 * log: one line per event on standard error, written whole with one write(2).
 *
 * Between log_hold() and log_flush() lines are collected and written together (whole lines, at
 * most PIPE_BUF bytes per write, so that they never interleave with another process's): the
 * worker holds them for one turn of its loop, so that a busy server writes once per turn rather
 * than once per line.
 * When the service manager connected standard error to the journal (JOURNAL_STREAM matches it),
 * each line starts with its syslog priority, "<3>" to "<7>", as sd-daemon(3) describes, and the
 * program name is left to the journal.
 * Runs in every process, inside the worker's sandbox too: it only formats into a stack buffer and
 * writes to fd 2. It never opens, allocates or resolves anything.
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "udsecho/log.h"

#define LOG_LINE_MAX 1024

static const char *log_ident = "udsecho";
static enum log_level log_level_max = LOG_LEVEL_INFO;
static int log_journal; /* stderr is the journal: "<N>" priorities, and it names us itself */

/* Lines held by log_hold() until log_flush(): at most PIPE_BUF bytes, so one write is atomic. */
static char log_batch[PIPE_BUF];
static size_t log_batch_len;
static int log_held;

/* JOURNAL_STREAM is "DEVICE:INODE" of the stream the service manager connected to stderr. */
static int stderr_is_journal(void)
{
	const char *v = getenv("JOURNAL_STREAM");
	unsigned long long dev, ino;
	struct stat st;
	char end;

	if (!v || sscanf(v, "%llu:%llu%c", &dev, &ino, &end) != 2)
		return 0;
	if (fstat(STDERR_FILENO, &st) < 0)
		return 0;
	return (unsigned long long)st.st_dev == dev && (unsigned long long)st.st_ino == ino;
}

void log_init(const char *ident)
{
	log_ident = ident;
	log_journal = stderr_is_journal();
}

void log_set_level(enum log_level level)
{
	log_level_max = level;
}

int log_enabled(enum log_level level)
{
	return level <= log_level_max;
}

static void write_all(const char *p, size_t len)
{
	while (len > 0) {
		ssize_t w = write(STDERR_FILENO, p, len);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			break;
		p += w;
		len -= (size_t)w;
	}
}

void log_hold(void)
{
	log_held = 1;
}

void log_flush(void)
{
	int saved_errno = errno;

	write_all(log_batch, log_batch_len);
	log_batch_len = 0;
	log_held = 0;
	errno = saved_errno;
}

void log_vmsg(enum log_level level, const char *fmt, va_list ap)
{
	char line[LOG_LINE_MAX];
	int saved_errno = errno;
	int n, m;
	size_t len;

	if (!log_enabled(level))
		return;
	if (log_journal)
		n = snprintf(line, sizeof(line), "<%d>", (int)level);
	else
		n = snprintf(line, sizeof(line), "%s: ", log_ident);
	if (n < 0 || (size_t)n >= sizeof(line))
		n = 0;
	m = vsnprintf(line + n, sizeof(line) - (size_t)n, fmt, ap);
	if (m < 0)
		m = 0;
	len = (size_t)n + (size_t)m;
	if (len > sizeof(line) - 2)
		len = sizeof(line) - 2;
	line[len++] = '\n';
	if (!log_held) {
		write_all(line, len);
	} else {
		/* Whole lines only, and never more than one atomic write's worth at once. */
		if (log_batch_len + len > sizeof(log_batch)) {
			write_all(log_batch, log_batch_len);
			log_batch_len = 0;
		}
		memcpy(log_batch + log_batch_len, line, len);
		log_batch_len += len;
	}
	errno = saved_errno;
}

void log_msg(enum log_level level, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_vmsg(level, fmt, ap);
	va_end(ap);
}
