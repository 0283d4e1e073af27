// SPDX-License-Identifier: MIT
/*
 * Unit tests for monoclock: it reads CLOCK_MONOTONIC itself (not the wall clock, not the coarse
 * clock), to the nanosecond, and its two units agree.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <time.h>

#include "udsecho/monoclock.h"

static uint64_t kernel_ns(void)
{
	struct timespec ts;

	assert_int_equal(clock_gettime(CLOCK_MONOTONIC, &ts), 0);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* Between two reads of CLOCK_MONOTONIC: the wall clock is far above, the coarse one lags. */
static void reads_the_monotonic_clock(void **state)
{
	for (int i = 0; i < 1000; i++) {
		uint64_t before = kernel_ns(), t = monoclock_ns(), after = kernel_ns();

		assert_true(before <= t);
		assert_true(t <= after);
	}
}

static void seconds_are_the_same_clock(void **state)
{
	uint64_t before = kernel_ns();
	double s = monoclock_s();
	uint64_t after = kernel_ns();

	/* A double holds the seconds of an uptime to well under a microsecond. */
	assert_true(s * 1e9 >= (double)before - 1000);
	assert_true(s * 1e9 <= (double)after + 1000);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(reads_the_monotonic_clock),
		cmocka_unit_test(seconds_are_the_same_clock),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
