// SPDX-License-Identifier: MIT
/*
 * Unit tests for refusal: the exact lines a refused peer is told, their lengths, and that a
 * short buffer or a long reason cuts the line instead of overrunning it.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "udsecho/refusal.h"

static void denied_names_the_ids(void **state)
{
	struct peer_cred cred = {.pid = 4321, .uid = 1000, .gid = 100};
	char buf[REFUSAL_MAX];
	size_t len = refusal_denied(buf, sizeof(buf), &cred, NULL);

	assert_string_equal(buf, "udsechod: permission denied: uid=1000 gid=100 pid=4321\n");
	assert_int_equal(len, strlen(buf));
}

static void denied_with_the_largest_ids_fits(void **state)
{
	struct peer_cred cred = {.pid = 2147483647, .uid = 4294967294u, .gid = 4294967294u};
	char buf[REFUSAL_MAX];
	size_t len = refusal_denied(buf, sizeof(buf), &cred, NULL);

	assert_string_equal(
		buf, "udsechod: permission denied: uid=4294967294 gid=4294967294 pid=2147483647\n");
	assert_int_equal(len, strlen(buf));
}

static void busy_says_why(void **state)
{
	char buf[REFUSAL_MAX];
	size_t len = refusal_busy(buf, sizeof(buf), "too many connections");

	assert_string_equal(buf, "udsechod: busy: too many connections\n");
	assert_int_equal(len, strlen(buf));
}

/* A reason is cut at 200 bytes, so the line still ends in a newline within REFUSAL_MAX. */
static void busy_cuts_a_long_reason(void **state)
{
	char reason[400], buf[REFUSAL_MAX];
	size_t len;

	memset(reason, 'x', sizeof(reason) - 1);
	reason[sizeof(reason) - 1] = '\0';
	len = refusal_busy(buf, sizeof(buf), reason);
	assert_int_equal(len, strlen("udsechod: busy: ") + 200 + 1);
	assert_int_equal(len, strlen(buf));
	assert_memory_equal(buf, "udsechod: busy: xxx", 19);
	assert_int_equal(buf[len - 1], '\n');
	assert_int_equal(buf[len - 2], 'x');
}

/* A buffer too short for the line gets its start, NUL-terminated; the length is what it holds. */
static void short_buffer_is_cut(void **state)
{
	struct peer_cred cred = {.pid = 1, .uid = 2, .gid = 3};
	char buf[12];

	memset(buf, '#', sizeof(buf));
	assert_int_equal(refusal_denied(buf, sizeof(buf), &cred, NULL), sizeof(buf) - 1);
	assert_string_equal(buf, "udsechod: p");
	assert_int_equal(refusal_busy(buf, 6, "why"), 5);
	assert_string_equal(buf, "udsec");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(denied_names_the_ids),
		cmocka_unit_test(denied_with_the_largest_ids_fits),
		cmocka_unit_test(busy_says_why),
		cmocka_unit_test(busy_cuts_a_long_reason),
		cmocka_unit_test(short_buffer_is_cut),
	};
	return cmocka_run_group_tests_name("refusal", tests, NULL, NULL);
}
