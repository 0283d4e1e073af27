// SPDX-License-Identifier: MIT
/*
 * log: one line per event on standard error, written whole with one write(2).
 *
 * Between log_hold() and log_flush() lines are collected and written together (whole lines, at
 * most PIPE_BUF bytes per write, so that they never interleave with another process's): the
 * worker holds them while its loop is busy, until the first has waited a millisecond (as seen
 * at the end of a turn), so that a busy server writes its log a few KiB at a time rather than
 * once per line.
 * When the service manager connected standard error to the journal (JOURNAL_STREAM matches it),
 * each line starts with its syslog priority, "<3>" to "<7>", as sd-daemon(3) describes, and the
 * program name is left to the journal; once log_journal_connect() has connected journald's
 * native socket, each line goes there instead, as one datagram with fields (journal.h), and
 * back to standard error whenever a datagram cannot be sent (journald gone, its queue full).
 * Lines are formatted without stdio for the conversions they use (see format()), since every
 * connection writes two; anything else goes to vsnprintf().
 * The rate limiter (struct log_limit) only counts; what it holds back, and the line that says so,
 * are the caller's.
 * Runs in every process, inside the worker's sandbox too: it only formats into a stack buffer,
 * reads the monotonic clock and writes to fd 2 or to the journal's socket, connected before. It
 * never opens, allocates or resolves anything after log_journal_connect().
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "udsecho/fdio.h"
#include "udsecho/journal.h"
#include "udsecho/log.h"
#include "udsecho/monoclock.h"

#define LOG_LINE_MAX 1024

static const char *log_ident = "udsecho";
static enum log_level log_level_max = LOG_LEVEL_INFO;
static int log_journal; /* stderr is the journal: "<N>" priorities, and it names us itself */
static int log_journal_fd = -1; /* journald's native socket, connected, or -1 */

/* Lines held by log_hold() until log_flush(): at most PIPE_BUF bytes, so one write is atomic. */
static char log_batch[PIPE_BUF];
static size_t log_batch_len;
static uint64_t log_batch_since; /* monoclock_ns() when its first line was held */
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

int log_journal_connect(void)
{
	struct sockaddr_un a = {.sun_family = AF_UNIX};
	const char *path = getenv("UDSECHO_JOURNAL_SOCKET");
	int fd, r;

	if (!log_journal || log_journal_fd >= 0)
		return 0;
	if (!path || !*path)
		path = "/run/systemd/journal/socket";
	if (strlen(path) >= sizeof(a.sun_path))
		return -ENAMETOOLONG;
	memcpy(a.sun_path, path, strlen(path) + 1);
	fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0)
		return -errno;
	if (connect(fd, (struct sockaddr *)&a, sizeof(a)) < 0) {
		r = -errno;
		close(fd);
		return r;
	}
	log_journal_fd = fd;
	return 0;
}

/* One line, without its newline, as a journal record: 0 once sent, -1 to write it to stderr. */
static int send_journal(enum log_level level, const char *msg, size_t len)
{
	char rec[LOG_LINE_MAX + 512];
	size_t n;

	if (log_journal_fd < 0)
		return -1;
	n = journal_record(rec, sizeof(rec), (int)level, log_ident, msg, len);
	if (n == 0)
		return -1;
	while (send(log_journal_fd, rec, n, MSG_NOSIGNAL | MSG_DONTWAIT) < 0)
		if (errno != EINTR)
			return -1;
	return 0;
}

void log_set_level(enum log_level level)
{
	log_level_max = level;
}

int log_enabled(enum log_level level)
{
	return level <= log_level_max;
}

void log_hold(void)
{
	log_held = 1;
}

void log_flush(void)
{
	int saved_errno;

	log_held = 0;
	if (log_batch_len == 0)
		return; /* the loop flushes every turn, most with nothing to write */
	saved_errno = errno;
	(void)fdio_write_all(STDERR_FILENO, log_batch, log_batch_len);
	log_batch_len = 0;
	errno = saved_errno;
}

int log_pending(void)
{
	return log_batch_len > 0;
}

void log_flush_older(uint64_t ns)
{
	if (log_batch_len > 0 && monoclock_ns() - log_batch_since >= ns)
		log_flush();
}

/* A line being formatted: what does not fit is dropped. */
struct line {
	char *p;
	size_t len, cap;
};

static void put(struct line *l, const char *s, size_t n)
{
	if (n > l->cap - l->len)
		n = l->cap - l->len;
	memcpy(l->p + l->len, s, n);
	l->len += n;
}

static void put_padding(struct line *l, char c, size_t n)
{
	while (n-- > 0)
		put(l, &c, 1);
}

/* A number in @base (8, 10 or 16), at least @width wide, padded as printf(3) pads it. */
static void put_number(struct line *l, unsigned long long v, int negative, unsigned int base,
		       size_t width, int zero)
{
	char digits[3 * sizeof(v)];
	size_t i = sizeof(digits), n;

	do {
		/* Constant divisors: no division instruction. */
		if (base == 10) {
			digits[--i] = (char)('0' + v % 10);
			v /= 10;
		} else {
			digits[--i] = "0123456789abcdef"[v & (base - 1)];
			v = base == 16 ? v >> 4 : v >> 3;
		}
	} while (v);
	n = sizeof(digits) - i + (negative ? 1 : 0);
	if (!zero && width > n)
		put_padding(l, ' ', width - n);
	if (negative)
		put(l, "-", 1);
	if (zero && width > n)
		put_padding(l, '0', width - n);
	put(l, digits + i, sizeof(digits) - i);
}

/* The argument of a d or i conversion with length @len: 0, 'l', 'L' (ll) or 'z'. */
static long long signed_arg(va_list *ap, int len)
{
	switch (len) {
	case 'L':
		return va_arg(*ap, long long);
	case 'l':
		return va_arg(*ap, long);
	case 'z':
		return va_arg(*ap, ssize_t);
	default:
		return va_arg(*ap, int);
	}
}

/* The argument of a u, x or o conversion with length @len. */
static unsigned long long unsigned_arg(va_list *ap, int len)
{
	switch (len) {
	case 'L':
		return va_arg(*ap, unsigned long long);
	case 'l':
		return va_arg(*ap, unsigned long);
	case 'z':
		return va_arg(*ap, size_t);
	default:
		return va_arg(*ap, unsigned int);
	}
}

/*
 * The printf(3) conversions log lines use, without stdio, whose vsnprintf() costs more than
 * everything else a connection does in user space: d i u x o c s %, the lengths l ll z, a width
 * (zero-padded or not) and ".*" on strings. Returns 0 at anything else, having consumed part of
 * @ap: the caller formats the line again with vsnprintf().
 */
static int format(struct line *l, const char *fmt, va_list *ap)
{
	while (*fmt) {
		const char *pct = strchrnul(fmt, '%');
		size_t width = 0, n;
		int zero = 0, prec = -1, len = 0;
		const char *s;
		long long d;

		put(l, fmt, (size_t)(pct - fmt));
		if (!*pct)
			break;
		fmt = pct + 1;
		if (*fmt == '0') {
			zero = 1;
			fmt++;
		}
		while (*fmt >= '0' && *fmt <= '9' && width < LOG_LINE_MAX)
			width = width * 10 + (size_t)(*fmt++ - '0');
		if (fmt[0] == '.' && fmt[1] == '*') {
			prec = va_arg(*ap, int);
			fmt += 2;
		}
		if (*fmt == 'z') {
			len = 'z';
			fmt++;
		} else if (fmt[0] == 'l' && fmt[1] == 'l') {
			len = 'L';
			fmt += 2;
		} else if (*fmt == 'l') {
			len = 'l';
			fmt++;
		}
		if (prec >= 0 && *fmt != 's')
			return 0;
		switch (*fmt++) {
		case 'd':
		case 'i':
			d = signed_arg(ap, len);
			put_number(l, d < 0 ? 0ULL - (unsigned long long)d : (unsigned long long)d,
				   d < 0, 10, width, zero);
			break;
		case 'u':
			put_number(l, unsigned_arg(ap, len), 0, 10, width, zero);
			break;
		case 'x':
			put_number(l, unsigned_arg(ap, len), 0, 16, width, zero);
			break;
		case 'o':
			put_number(l, unsigned_arg(ap, len), 0, 8, width, zero);
			break;
		case 's':
			s = zero || len ? NULL : va_arg(*ap, const char *);
			if (!s)
				return 0;
			n = prec >= 0 ? strnlen(s, (size_t)prec) : strlen(s);
			if (width > n)
				put_padding(l, ' ', width - n);
			put(l, s, n);
			break;
		case 'c':
			if (zero || len || width)
				return 0;
			put_padding(l, (char)va_arg(*ap, int), 1);
			break;
		case '%':
			if (zero || len || width || prec >= 0)
				return 0;
			put(l, "%", 1);
			break;
		default:
			return 0;
		}
	}
	return 1;
}

const char *log_format(char *buf, size_t size, const char *fmt, ...)
{
	struct line line = {buf, 0, size - 1};
	va_list ap, copy;

	va_start(ap, fmt);
	va_copy(copy, ap);
	if (format(&line, fmt, &copy))
		buf[line.len] = '\0';
	else
		vsnprintf(buf, size, fmt, ap);
	va_end(copy);
	va_end(ap);
	return buf;
}

void log_vmsg(enum log_level level, const char *fmt, va_list ap)
{
	char buf[LOG_LINE_MAX];
	struct line line = {buf, 0, sizeof(buf) - 1}; /* room for the newline */
	int saved_errno = errno;
	size_t start;
	va_list copy;

	if (!log_enabled(level))
		return;
	if (log_journal) {
		put(&line, "<", 1);
		put_number(&line, (unsigned long long)level, 0, 10, 0, 0);
		put(&line, ">", 1);
	} else {
		put(&line, log_ident, strlen(log_ident));
		put(&line, ": ", 2);
	}
	start = line.len;
	va_copy(copy, ap);
	if (!format(&line, fmt, &copy)) {
		int m = vsnprintf(buf + start, line.cap - start + 1, fmt, ap);
		line.len = m < 0 ? start : start + (size_t)m;
		if (line.len > line.cap)
			line.len = line.cap;
	}
	va_end(copy);
	if (send_journal(level, buf + start, line.len - start) == 0) {
		errno = saved_errno;
		return;
	}
	buf[line.len++] = '\n';
	if (!log_held) {
		(void)fdio_write_all(STDERR_FILENO, buf, line.len);
	} else {
		/* Whole lines only, and never more than one atomic write's worth at once. */
		if (log_batch_len + line.len > sizeof(log_batch)) {
			(void)fdio_write_all(STDERR_FILENO, log_batch, log_batch_len);
			log_batch_len = 0;
		}
		if (log_batch_len == 0)
			log_batch_since = monoclock_ns();
		memcpy(log_batch + log_batch_len, buf, line.len);
		log_batch_len += line.len;
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

void log_diags(const struct diag_list *diags)
{
	for (size_t i = 0; i < diags->count; i++) {
		char line[LOG_LINE_MAX];

		diag_format(&diags->items[i], line, sizeof(line));
		log_msg(diags->items[i].severity == DIAG_ERROR ? LOG_LEVEL_ERR : LOG_LEVEL_WARNING,
			"%s", line);
	}
}

void log_limit_init(struct log_limit *l, uint32_t burst)
{
	*l = (struct log_limit){.burst = burst};
}

uint64_t log_limit_end_window(struct log_limit *l, uint32_t now)
{
	uint64_t held = l->held;

	if (l->window == now)
		return 0;
	l->window = now;
	l->lines = 0;
	l->held = 0;
	return held;
}

int log_limit_allow(struct log_limit *l)
{
	if (l->lines < l->burst) {
		l->lines++;
		return 1;
	}
	l->held++;
	return 0;
}

uint64_t log_limit_held(const struct log_limit *l)
{
	return l->held;
}
