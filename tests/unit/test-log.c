// SPDX-License-Identifier: MIT
/*
 * Unit tests for log: whole lines on fd 2, levels, over-long messages cut, not split, and the
 * rate limiter's windows.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <limits.h>
#include <stdint.h>
#include <wchar.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <string.h>
#include <unistd.h>

#include "udsecho/log.h"
#include "udsecho/monoclock.h"

/* Between capture_begin() and capture_end(), fd 2 is a pipe; capture_end() returns what it got. */
static int capture_pipe[2], capture_saved;

static void capture_begin(void)
{
	assert_int_equal(pipe(capture_pipe), 0);
	capture_saved = dup(STDERR_FILENO);
	assert_true(capture_saved >= 0);
	assert_int_equal(dup2(capture_pipe[1], STDERR_FILENO), STDERR_FILENO);
}

static size_t capture_end(char *out, size_t len)
{
	ssize_t n;

	assert_int_equal(dup2(capture_saved, STDERR_FILENO), STDERR_FILENO);
	close(capture_saved);
	close(capture_pipe[1]);
	n = read(capture_pipe[0], out, len - 1);
	close(capture_pipe[0]);
	assert_true(n >= 0);
	out[n] = '\0';
	return (size_t)n;
}

/* Run @fn with fd 2 redirected to a pipe; return what it wrote. */
static size_t capture(void (*fn)(void), char *out, size_t len)
{
	capture_begin();
	fn();
	return capture_end(out, len);
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

/* Standard error is "the journal": JOURNAL_STREAM names its device and inode. */
static void write_to_journal(void)
{
	struct stat st;
	char v[64];

	assert_int_equal(fstat(STDERR_FILENO, &st), 0);
	snprintf(v, sizeof(v), "%llu:%llu", (unsigned long long)st.st_dev,
		 (unsigned long long)st.st_ino);
	setenv("JOURNAL_STREAM", v, 1);
	log_init("udsechod");
	log_set_level(LOG_LEVEL_DEBUG);
	log_info("event=start");
	log_err("bad");
	log_debug("detail");
	/* Another stream than stderr: plain lines again. */
	setenv("JOURNAL_STREAM", "1:2", 1);
	log_init("udsechod");
	log_info("plain");
	unsetenv("JOURNAL_STREAM");
	log_init("udsechod");
}

static void journal_lines_carry_priorities(void **state)
{
	char buf[256];

	capture(write_to_journal, buf, sizeof(buf));
	assert_string_equal(buf, "<6>event=start\n<3>bad\n<7>detail\nudsechod: plain\n");
}

/* Held lines: nothing reaches fd 2 until the flush (a marker written meanwhile comes first). */
static void write_held(void)
{
	log_init("w");
	log_set_level(LOG_LEVEL_INFO);
	log_hold();
	log_info("one");
	log_info("two");
	assert_int_equal(write(STDERR_FILENO, "|", 1), 1);
	log_flush();
	log_info("three");
	/* A flush with nothing held still ends the hold: the next line goes out at once. */
	log_hold();
	log_flush();
	log_info("four");
	assert_int_equal(write(STDERR_FILENO, "|", 1), 1);
}

static void held_lines_go_out_at_flush(void **state)
{
	char buf[256];

	capture(write_held, buf, sizeof(buf));
	assert_string_equal(buf, "|w: one\nw: two\nw: three\nw: four\n|");
}

/*
 * Held lines go out once the first has waited as long as log_flush_older() is told, and not
 * before; its age counts from the first line held after a write, not from the hold.
 */
static void write_held_by_age(void)
{
	uint64_t t0;

	log_init("w");
	log_set_level(LOG_LEVEL_INFO);
	log_hold();
	log_flush_older(0);
	assert_false(log_pending());
	log_info("one");
	assert_true(log_pending());
	log_flush_older(UINT64_MAX);
	assert_int_equal(write(STDERR_FILENO, "|", 1), 1);
	log_flush_older(0);
	assert_false(log_pending());
	log_hold();
	log_info("two");
	/* Not written at half the clock's count, which an age counted from its start would pass. */
	t0 = monoclock_ns();
	log_flush_older(t0 / 2);
	assert_int_equal(write(STDERR_FILENO, "|", 1), 1);
	/* The clock, read until 2 ms have passed: what is tested is the age itself. */
	while (monoclock_ns() - t0 < 2000000)
		;
	log_flush_older(1000000);
	assert_false(log_pending());
	assert_int_equal(write(STDERR_FILENO, "|", 1), 1);
}

static void held_lines_go_out_by_age(void **state)
{
	char buf[256];

	capture(write_held_by_age, buf, sizeof(buf));
	assert_string_equal(buf, "|w: one\n|w: two\n|");
}

/* More held lines than one write may carry: they go out in several writes, none cut. */
static void write_many_held(void)
{
	log_init("w");
	log_hold();
	for (int i = 0; i < 300; i++)
		log_info("line %03d %0100d", i, 0);
	log_flush();
}

static void many_held_lines_stay_whole(void **state)
{
	static char buf[65536];
	size_t n = capture(write_many_held, buf, sizeof(buf));
	char want[160];

	assert_int_equal(n, 300 * strlen("w: line 000 \n") + 300 * 100);
	for (int i = 0; i < 300; i++) {
		snprintf(want, sizeof(want), "w: line %03d %0100d\n", i, 0);
		assert_memory_equal(buf + (size_t)i * strlen(want), want, strlen(want));
	}
}

/*
 * Lines come out exactly as printf(3) would write them: the conversions the formatter does itself
 * (numbers of every length, widths, zero padding, extremes, strings with ".*") and those it hands
 * back to vsnprintf (a flag, %p, a precision on a number, a short, a wide character).
 */
static char printf_want[1200], printf_got[1200];

#define SAME_AS_PRINTF(fmt, ...)                                                                   \
	do {                                                                                       \
		capture_begin();                                                                   \
		log_info(fmt, __VA_ARGS__);                                                        \
		capture_end(printf_got, sizeof(printf_got));                                       \
		snprintf(printf_want, sizeof(printf_want), "p: " fmt "\n", __VA_ARGS__);           \
		assert_string_equal(printf_got, printf_want);                                      \
	} while (0)

static void conversions_match_printf(void **state)
{
	char text[] = "abcdef";

	log_init("p");
	log_set_level(LOG_LEVEL_INFO);
	SAME_AS_PRINTF("event=allow pid=%d uid=%u gid=%u rule=%s", 4242, 1000u, 100u, "/etc/x:7");
	SAME_AS_PRINTF("%d %d %d %i", 0, -1, INT_MIN, INT_MAX);
	SAME_AS_PRINTF("%u %u %x %o", 0u, UINT_MAX, 0xdeadbeefu, 0755u);
	SAME_AS_PRINTF("%ld %lu %lld %llu", LONG_MIN, ULONG_MAX, LLONG_MIN, ULLONG_MAX);
	SAME_AS_PRINTF("%zu %zd %zx", (size_t)SIZE_MAX, (ssize_t)-5, (size_t)255);
	SAME_AS_PRINTF("mode=%04o [%5d] [%05d] [%3u] [%1d] [%06x]", 0600u, -42, -42, 7u, 123,
		       0xabu);
	SAME_AS_PRINTF("[%s] [%8s] [%2s] [%.*s] [%.*s] [%.*s]", "", "ab", "abcd", 3, text, 0, text,
		       -1, text);
	SAME_AS_PRINTF("%c%c 100%% %s", 'o', 'k', "done");
	SAME_AS_PRINTF("%s", "no conversion at the end %");
	/* Handed back to vsnprintf: the same line all the same. */
	SAME_AS_PRINTF("%-5d| %+d %#x %p", 1, 2, 3u, (void *)text);
	SAME_AS_PRINTF("%.3d %hd", 5, (short)-3);
	SAME_AS_PRINTF("%5.*s|%lc", 2, text, (wint_t)'w');
}

/* log_format() writes what snprintf(3) does, cut where it cuts, both ways of formatting. */
static void format_matches_snprintf(void **state)
{
	static const size_t sizes[] = {1, 2, 9, 20, 64};
	char got[64], want[64];

	for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		size_t n = sizes[i];

		memset(got, 'x', sizeof(got));
		snprintf(want, n, "rule=%s:%u name=%s", "/etc/udsecho/policy", 12u, "backup");
		assert_ptr_equal(log_format(got, n, "rule=%s:%u name=%s", "/etc/udsecho/policy",
					    12u, "backup"),
				 got);
		assert_string_equal(got, want);
		snprintf(want, n, "%+d|%p", 5, (void *)want);
		log_format(got, n, "%+d|%p", 5, (void *)want);
		assert_string_equal(got, want);
	}
}

/* The burst goes through, the rest of the second is held back and counted. */
static void limit_lets_the_burst_through(void **state)
{
	struct log_limit l;

	log_limit_init(&l, 3);
	assert_int_equal(log_limit_end_window(&l, 100), 0);
	for (int i = 0; i < 3; i++)
		assert_int_equal(log_limit_allow(&l), 1);
	assert_int_equal(log_limit_held(&l), 0);
	assert_int_equal(log_limit_allow(&l), 0);
	assert_int_equal(log_limit_allow(&l), 0);
	assert_int_equal(log_limit_held(&l), 2);
}

/* The same second ends nothing; the next one reports what was held back and starts afresh. */
static void limit_window_ends_with_the_second(void **state)
{
	struct log_limit l;

	log_limit_init(&l, 1);
	log_limit_end_window(&l, 7);
	assert_int_equal(log_limit_allow(&l), 1);
	assert_int_equal(log_limit_allow(&l), 0);
	assert_int_equal(log_limit_end_window(&l, 7), 0);
	assert_int_equal(log_limit_allow(&l), 0);
	assert_int_equal(log_limit_held(&l), 2);
	assert_int_equal(log_limit_end_window(&l, 8), 2);
	assert_int_equal(log_limit_held(&l), 0);
	assert_int_equal(log_limit_allow(&l), 1);
	assert_int_equal(log_limit_end_window(&l, 9), 0);
	assert_int_equal(log_limit_allow(&l), 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(lines_and_levels),
		cmocka_unit_test(long_line_is_cut_and_ends_in_newline),
		cmocka_unit_test(errno_is_preserved),
		cmocka_unit_test(enabled_follows_level),
		cmocka_unit_test(journal_lines_carry_priorities),
		cmocka_unit_test(held_lines_go_out_at_flush),
		cmocka_unit_test(held_lines_go_out_by_age),
		cmocka_unit_test(many_held_lines_stay_whole),
		cmocka_unit_test(conversions_match_printf),
		cmocka_unit_test(format_matches_snprintf),
		cmocka_unit_test(limit_lets_the_burst_through),
		cmocka_unit_test(limit_window_ends_with_the_second),
	};
	return cmocka_run_group_tests_name("log", tests, NULL, NULL);
}
