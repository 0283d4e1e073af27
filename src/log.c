// SPDX-License-Identifier: MIT
/*
 * log: one line per event on standard error, written whole with one write(2).
 *
 * Runs in every process, inside the worker's sandbox too: it only formats into a stack buffer and
 * writes to fd 2. It never opens, allocates or resolves anything.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "udsecho/log.h"

#define LOG_LINE_MAX 1024

static const char *log_ident = "udsecho";
static enum log_level log_level_max = LOG_LEVEL_INFO;

void log_init(const char *ident)
{
	log_ident = ident;
}

void log_set_level(enum log_level level)
{
	log_level_max = level;
}

int log_enabled(enum log_level level)
{
	return level <= log_level_max;
}

void log_vmsg(enum log_level level, const char *fmt, va_list ap)
{
	char line[LOG_LINE_MAX];
	int saved_errno = errno;
	int n, m;
	size_t len, off = 0;

	if (!log_enabled(level))
		return;
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
	while (off < len) {
		ssize_t w = write(STDERR_FILENO, line + off, len - off);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			break;
		off += (size_t)w;
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
