// SPDX-License-Identifier: MIT
/* Unit tests for log: whole lines on fd 2, levels, and over-long messages cut, not split. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <string.h>
#include <unistd.h>

#include "udsecho/log.h"

/* Run @fn with fd 2 redirected to a pipe; return what it wrote. */
static size_t capture(void (*fn)(void), char *out, size_t len)
{
	int p[2], saved;
	ssize_t n;

	assert_int_equal(pipe(p), 0);
	saved = dup(STDERR_FILENO);
	assert_true(saved >= 0);
	assert_int_equal(dup2(p[1], STDERR_FILENO), STDERR_FILENO);
	fn();
	assert_int_equal(dup2(saved, STDERR_FILENO), STDERR_FILENO);
	close(saved);
	close(p[1]);
	n = read(p[0], out, len - 1);
	close(p[0]);
	assert_true(n >= 0);
	out[n] = '\0';
	return (size_t)n;
}

static void write_two(void)
{
	log_init("udsechod");
	log_set_level(LOG_LEVEL_INFO);
	log_info("event=accept pid=%d uid=%u", 42, 1000u);
	log_debug("not shown");
	log_err("bad %s", "thing");
}

static void lines_and_levels(void **state)
{
	char buf[4096];

	capture(write_two, buf, sizeof(buf));
	assert_string_equal(buf, "udsechod: event=accept pid=42 uid=1000\nudsechod: bad thing\n");
}

static void write_long(void)
{
	char big[3000];

	memset(big, 'x', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	log_init("t");
	log_warn("%s", big);
}

static void long_line_is_cut_and_ends_in_newline(void **state)
{
	char buf[8192];
	size_t n = capture(write_long, buf, sizeof(buf));

	assert_true(n > 100 && n <= 1024);
	assert_int_equal(buf[n - 1], '\n');
	assert_null(memchr(buf, '\n', n - 1));
}

static void write_keeps_errno(void)
{
	errno = EACCES;
	log_info("x");
	assert_int_equal(errno, EACCES);
}

static void errno_is_preserved(void **state)
{
	char buf[64];

	capture(write_keeps_errno, buf, sizeof(buf));
}

static void enabled_follows_level(void **state)
{
	log_set_level(LOG_LEVEL_WARNING);
	assert_true(log_enabled(LOG_LEVEL_ERR));
	assert_false(log_enabled(LOG_LEVEL_INFO));
	log_set_level(LOG_LEVEL_DEBUG);
	assert_true(log_enabled(LOG_LEVEL_DEBUG));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(lines_and_levels),
		cmocka_unit_test(long_line_is_cut_and_ends_in_newline),
		cmocka_unit_test(errno_is_preserved),
		cmocka_unit_test(enabled_follows_level),
	};
	return cmocka_run_group_tests_name("log", tests, NULL, NULL);
}
